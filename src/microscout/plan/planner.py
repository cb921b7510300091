"""Brief → budget-optimal plan: candidates, overlap, the MIP, the greedy comparison, forecasts, saving.

:func:`plan_brief` builds the candidates (:func:`~microscout.plan.candidates.candidates_for_plan`),
finds audience-overlap pairs among them (MinHash LSH), turns the brief into limits, solves the MIP
(:mod:`microscout.plan.mip`), runs the greedy rule on the same problem, simulates the forecasts of
both plans (seeded Monte Carlo) and, unless told not to, saves the plan and its placements in the
workspace. Money stays Decimal: the solver sees floats, the plan's fees and totals are the
candidates' Decimal prices added exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from microscout.brief import Brief
from microscout.cost.money import format_money, to_money
from microscout.forecast import DEFAULT_DRAWS, creator_intervals, interval, simulate
from microscout.overlap import overlap_pairs
from microscout.plan.candidates import Candidates, candidates_for_plan
from microscout.plan.mip import Group, PlanProblem, explain_infeasible, greedy, solve
from microscout.store import Store, utcnow

__all__ = ["PlanOptions", "PlanResult", "build_problem", "plan_brief", "save_plan"]

KPI_LABELS = {
    "authentic_engagements": "authentic engagements",
    "reach": "reach (unique accounts)",
    "ugc_volume": "UGC posts",
}


@dataclass
class PlanOptions:
    """Limits the brief does not carry, and solver settings (all optional)."""

    min_creators: int | None = None
    max_creators: int | None = 50
    max_per_niche: int | None = None
    max_per_platform: int | None = None
    niche_limits: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    platform_limits: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    share_tolerance: float = 0.05  # a market's spend must lie within budget_share ± this, of the budget
    overlap_threshold: float = 0.05  # containment above which a pair is penalised
    overlap_penalty: float = 1.0
    min_jaccard: float = 0.02
    gap: float = 1e-3
    time_limit: float = 60.0
    seed: int = 0
    draws: int = DEFAULT_DRAWS


@dataclass
class PlanResult:
    """A solved (or explained) plan; :meth:`to_dict` is the JSON the CLI and API print."""

    brief: Brief
    status: str
    gap: float | None
    seconds: float
    picked: list[dict[str, Any]]
    total_cost: Decimal
    expected_value: float | None
    gross_value: float | None
    greedy: dict[str, Any]
    forecast: dict[str, Any]
    candidates: int
    overlap_pairs: int
    limits: list[str]
    explanation: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cost_method: str = ""
    seed: int = 0
    plan_id: str | None = None

    @property
    def feasible(self) -> bool:
        return self.expected_value is not None

    def to_dict(self) -> dict[str, Any]:
        currency = self.brief.budget.currency
        return {
            "plan_id": self.plan_id,
            "brand": self.brief.brand,
            "kpi": self.brief.kpi,
            "currency": currency,
            "budget": str(to_money(self.brief.budget.amount)),
            "status": self.status,
            "gap": None if self.gap is None else round(self.gap, 6),
            "seconds": round(self.seconds, 3),
            "total_cost": str(self.total_cost),
            "remaining_budget": str(to_money(self.brief.budget.amount) - self.total_cost),
            "expected_value": None if self.expected_value is None else round(self.expected_value, 2),
            "gross_value": None if self.gross_value is None else round(self.gross_value, 2),
            "greedy_value": self.greedy.get("value"),
            "greedy": self.greedy,
            "forecast": self.forecast,
            "candidates": self.candidates,
            "overlap_pairs": self.overlap_pairs,
            "limits": self.limits,
            "explanation": self.explanation,
            "notes": self.notes,
            "cost_method": self.cost_method,
            "seed": self.seed,
            "creators": self.picked,
        }


def build_problem(
    cands: Candidates, brief: Brief, options: PlanOptions, store: Store | None = None
) -> tuple[PlanProblem, list[str], int]:
    """The MIP instance for the candidates: values, costs, groups, overlap pairs; and limit texts."""
    frame = cands.frame
    budget = float(to_money(brief.budget.amount))
    currency = brief.budget.currency
    money = lambda v: format_money(Decimal(str(round(v, 2))), currency)  # noqa: E731
    limits = [f"budget {money(budget)}"]
    groups: list[Group] = []
    markets = frame.market.to_numpy() if len(frame) else np.array([])
    for m in brief.markets:
        members = np.flatnonzero(markets == m.country)
        min_spend = max_spend = None
        why = ""
        if m.budget_share is not None:
            min_spend = max(0.0, m.budget_share - options.share_tolerance) * budget
            max_spend = min(1.0, m.budget_share + options.share_tolerance) * budget
            why = f"budget_share {m.budget_share:.2f} ± {options.share_tolerance:.2f}"
        groups.append(Group("market", m.country, members, m.min_creators, m.max_creators, min_spend, max_spend, why))
        text = _range_text(
            m.min_creators, m.max_creators, f"spend {money(min_spend)}–{money(max_spend)} ({why})" if why else ""
        )
        if text:
            limits.append(f"market {m.country}: {text}")
    niche_lists = frame.niche_list.tolist() if len(frame) else []
    for niche in sorted(set(brief.niches) | set(options.niche_limits)):
        low, high = options.niche_limits.get(niche, (None, options.max_per_niche))
        if low is None and high is None:
            continue
        members = np.array([i for i, v in enumerate(niche_lists) if v is not None and niche in v], dtype=np.int64)
        groups.append(Group("niche", niche, members, low, high))
        limits.append(f"niche {niche}: {_range_text(low, high)}")
    platforms = frame.platform.to_numpy() if len(frame) else np.array([])
    for platform in sorted(set(brief.platforms) | set(options.platform_limits)):
        low, high = options.platform_limits.get(platform, (None, options.max_per_platform))
        if low is None and high is None:
            continue
        groups.append(Group("platform", platform, np.flatnonzero(platforms == platform), low, high))
        limits.append(f"platform {platform}: {_range_text(low, high)}")
    if options.min_creators is not None or options.max_creators is not None:
        limits.append(f"creators: {_range_text(options.min_creators, options.max_creators)}")
    value = frame.value.to_numpy(dtype=float) if len(frame) else np.zeros(0)
    cost = frame.price_mid_f.to_numpy(dtype=float) if len(frame) else np.zeros(0)
    pi = pj = np.zeros(0, dtype=np.int64)
    pw = np.zeros(0)
    if store is not None and len(frame) > 1 and options.overlap_penalty > 0:
        keys = list(zip(frame.platform, frame.creator_id, strict=True))
        index = {k: i for i, k in enumerate(keys)}
        pairs = [
            p
            for p in overlap_pairs(store, keys, min_jaccard=options.min_jaccard)
            if p.containment >= options.overlap_threshold
        ]
        if pairs:
            pi = np.array([index[p.a] for p in pairs], dtype=np.int64)
            pj = np.array([index[p.b] for p in pairs], dtype=np.int64)
            containment = np.array([p.containment for p in pairs])
            pw = options.overlap_penalty * containment * np.minimum(value[pi], value[pj])
        limits.append(
            f"overlap: {len(pairs)} pair(s) with containment ≥ {options.overlap_threshold:g}, "
            "penalised by containment × the smaller value"
        )
    problem = PlanProblem(value, cost, budget, options.min_creators, options.max_creators, groups, pi, pj, pw, money)
    return problem, limits, len(pi)


def _range_text(low: int | None, high: int | None, extra: str = "") -> str:
    parts = [f"min {low}" if low is not None else "", f"max {high}" if high is not None else "", extra]
    return ", ".join(p for p in parts if p)


def _forecast(cands: Candidates, rows: np.ndarray, options: PlanOptions) -> tuple[dict[str, Any], pd.DataFrame]:
    """Plan-level 80 % intervals and per-creator intervals for the picked rows."""
    if not len(rows):
        return {}, pd.DataFrame()
    sim = simulate(cands.inputs.iloc[rows], draws=options.draws, seed=options.seed)
    totals = sim.totals()
    means = cands.frame.iloc[rows]
    out: dict[str, Any] = {}
    names = {
        "engagements": "engagements",
        "authentic": "authentic_engagements",
        "reach": "reach",
        "impressions": "impressions",
        "ugc": "ugc_volume",
        "cost": "cost",
        "cpe": "cpe",
        "cpm": "cpm",
    }
    for key, label in names.items():
        low, high = interval(totals[key])
        entry: dict[str, Any] = {"low": _round(low), "high": _round(high)}
        if key in ("engagements", "authentic", "reach", "impressions", "ugc"):
            entry["expected"] = _round(float(np.nansum(means[f"expected_{key}"].to_numpy(dtype=float))))
        out[label] = entry
    return out, creator_intervals(sim)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _creator_rows(cands: Candidates, rows: np.ndarray, intervals: pd.DataFrame, currency: str) -> list[dict[str, Any]]:
    frame = cands.frame.iloc[rows].reset_index(drop=True)
    out = []
    for k, r in enumerate(frame.itertuples(index=False)):
        iv = intervals.iloc[k] if len(intervals) else None
        row: dict[str, Any] = {
            "creator": r.creator,
            "platform": r.platform,
            "creator_id": r.creator_id,
            "market": r.market,
            "tier": r.tier,
            "followers": int(r.followers),
            "niches": r.niche_list,
            "price": str(r.price_mid),
            "price_low": str(r.price_low),
            "price_high": str(r.price_high),
            "currency": currency,
            "expected_value": _round(r.value),
            "expected_engagements": _round(r.expected_engagements),
            "expected_authentic_engagements": _round(r.expected_authentic),
            "expected_reach": _round(r.expected_reach),
            "authentic_basis": r.authentic_basis,
            "market_basis": r.market_basis,
        }
        if iv is not None:
            for key in ("engagements", "authentic", "reach", "cpe", "cpm"):
                name = "authentic_engagements" if key == "authentic" else key
                row[f"{name}_low"] = _round(iv[f"{key}_low"])
                row[f"{name}_high"] = _round(iv[f"{key}_high"])
        out.append(row)
    return out


def plan_brief(
    store: Store,
    brief: Brief,
    *,
    workspace: str,
    options: PlanOptions | None = None,
    save: bool = True,
    day: dt.date | None = None,
    keys: list[tuple[str, str]] | None = None,
    candidates: Candidates | None = None,
) -> PlanResult:
    """Plan ``brief`` (see the module docstring); ``keys`` restricts the candidates to a shortlist."""
    options = options or PlanOptions()
    cands = candidates or candidates_for_plan(store, brief, workspace=workspace, day=day, keys=keys)
    problem, limits, n_pairs = build_problem(cands, brief, options, store)
    notes = list(cands.notes)
    if problem.n == 0:
        notes.append("no creator passed the brief's filters")
    if cands.dropped:
        notes.append("left out: " + "; ".join(f"{n} {why}" for why, n in sorted(cands.dropped.items())))
    result = solve(problem, gap=options.gap, time_limit=options.time_limit)
    rule = greedy(problem)
    currency = brief.budget.currency
    greedy_forecast, _ = _forecast(cands, rule.picked, options)
    greedy_info = {
        "value": round(rule.objective, 2),
        "feasible": rule.feasible,
        "unmet": rule.unmet,
        "creators": [cands.frame.creator.iloc[i] for i in rule.picked.tolist()],
        "total_cost": str(sum((cands.frame.price_mid.iloc[i] for i in rule.picked.tolist()), Decimal("0.00"))),
        "forecast": greedy_forecast,
    }
    explanation: list[str] = []
    if not result.has_solution:
        explanation = (
            explain_infeasible(problem)
            if result.status == "infeasible"
            else [f"the solver stopped without a plan ({result.status}); try a longer --time-limit"]
        )
        return PlanResult(
            brief, result.status, None, result.seconds, [], Decimal("0.00"), None, None, greedy_info, {},
            problem.n, n_pairs, limits, explanation, notes, cands.cost_model.method, options.seed,
        )  # fmt: skip
    picked = np.sort(result.picked)
    forecast, intervals = _forecast(cands, picked, options)
    rows = _creator_rows(cands, picked, intervals, currency)
    total = sum((cands.frame.price_mid.iloc[i] for i in picked.tolist()), Decimal("0.00"))
    if total > to_money(brief.budget.amount):  # cannot happen with whole-cent prices; checked, not assumed
        raise RuntimeError(f"plan spends {total} > budget {brief.budget.amount}")
    gross = float(problem.value[picked].sum())
    return PlanResult(
        brief, result.status, result.gap, result.seconds, rows, total, result.objective, gross, greedy_info,
        forecast, problem.n, n_pairs, limits, explanation, notes, cands.cost_model.method, options.seed,
    )  # fmt: skip


def save_plan(store: Store, result: PlanResult, *, workspace: str, now: dt.datetime | None = None) -> str:
    """Store the plan and one placement per creator (workspace-scoped, Decimal fees); its id."""
    now = now or utcnow()
    plan_id = result.plan_id or uuid.uuid4().hex[:12]
    result.plan_id = plan_id
    body = result.brief.to_dict()
    brief_id = uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(body, sort_keys=True)).hex[:12]
    deliverables = json.dumps([{"kind": d.kind, "count": d.count} for d in result.brief.deliverables])
    currency = result.brief.budget.currency
    with store.transaction():
        store.insert_rows(
            "briefs",
            [
                {
                    "brief_id": brief_id,
                    "name": result.brief.brand,
                    "brand": result.brief.brand,
                    "body": json.dumps(body),
                    "created_at": now,
                }
            ],
            workspace=workspace,
        )
        store.insert_rows(
            "plans",
            [
                {
                    "plan_id": plan_id,
                    "brief_id": brief_id,
                    "name": f"{result.brief.brand} ({result.brief.kpi})",
                    "status": result.status,
                    "budget": to_money(result.brief.budget.amount),
                    "currency": currency,
                    "kpi": result.brief.kpi,
                    "body": json.dumps(result.to_dict(), ensure_ascii=False, default=str),
                    "created_at": now,
                }
            ],
            workspace=workspace,
        )
        store.insert_rows(
            "placements",
            [
                {
                    "placement_id": f"{plan_id}-{k:03d}",
                    "plan_id": plan_id,
                    "platform": row["platform"],
                    "creator_id": row["creator_id"],
                    "market": row["market"],
                    "deliverables": deliverables,
                    "fee": Decimal(row["price"]),
                    "currency": currency,
                    "status": "planned",
                }
                for k, row in enumerate(result.picked, start=1)
            ],
            workspace=workspace,
        )
    return plan_id
