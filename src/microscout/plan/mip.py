"""The planning problem as numbers: a mixed-integer program solved by HiGHS, and the greedy rule.

A :class:`PlanProblem` holds, per candidate, the expected KPI value and the cost (in the budget's
currency, as floats: money is Decimal everywhere else and enters the solver only here), the budget,
the creator count range, groups with count and spend limits (markets, niches, platforms) and the
audience-overlap pairs with their penalties. :func:`solve` maximises

    Σ value_i x_i − Σ_{pairs} w_ij y_ij      with  y_ij ≥ x_i + x_j − 1,  x binary,  0 ≤ y ≤ 1

subject to Σ cost_i x_i ≤ budget and every limit. :func:`greedy` picks by value per cost under the
same limits where it can, and :func:`explain_infeasible` says which limit cannot be met and by how
much.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["GreedyResult", "Group", "MipResult", "PlanProblem", "explain_infeasible", "greedy", "solve"]

# a half cent of slack on spend limits: costs are whole cents, so no real plan is let through that
# exceeds a limit, while the solver's float tolerance cannot cut off a plan that spends it exactly
_CENT_SLACK = 0.004
# candidates outside the LP relaxation's support added to the LP-guided restricted MIP
LP_GUIDED_EXTRA = 300


@dataclass
class Group:
    """Candidates sharing a market, niche or platform, with the limits the brief sets for them."""

    kind: str  # market | niche | platform
    name: str
    members: np.ndarray  # candidate indices
    min_count: int | None = None
    max_count: int | None = None
    min_spend: float | None = None
    max_spend: float | None = None
    why: str = ""  # where a spend limit comes from (e.g. "budget_share 0.30 ± 0.05")

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class PlanProblem:
    """One planning instance (see the module docstring)."""

    value: np.ndarray
    cost: np.ndarray
    budget: float
    min_count: int | None = None
    max_count: int | None = None
    groups: list[Group] = field(default_factory=list)
    pair_i: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_j: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    money: Callable[[float], str] = field(default=lambda v: f"{v:,.2f}")

    @property
    def n(self) -> int:
        return len(self.value)

    def objective(self, picked: np.ndarray) -> float:
        """Σ value − overlap penalties of the pairs both picked."""
        mask = np.zeros(self.n, dtype=bool)
        mask[picked] = True
        both = mask[self.pair_i] & mask[self.pair_j] if len(self.pair_i) else np.zeros(0, dtype=bool)
        return float(self.value[mask].sum() - self.pair_w[both].sum())

    def violations(self, picked: np.ndarray) -> list[str]:
        """Every limit a set of picks breaks (empty when it is a feasible plan)."""
        mask = np.zeros(self.n, dtype=bool)
        mask[picked] = True
        out: list[str] = []
        spend = float(self.cost[mask].sum())
        if spend > self.budget + _CENT_SLACK:
            out.append(f"spends {self.money(spend)} > budget {self.money(self.budget)}")
        count = int(mask.sum())
        if self.min_count is not None and count < self.min_count:
            out.append(f"{count} creators < minimum {self.min_count}")
        if self.max_count is not None and count > self.max_count:
            out.append(f"{count} creators > maximum {self.max_count}")
        for g in self.groups:
            k = int(mask[g.members].sum())
            s = float(self.cost[g.members][mask[g.members]].sum())
            if g.min_count is not None and k < g.min_count:
                out.append(f"{g.label}: {k} creators < minimum {g.min_count}")
            if g.max_count is not None and k > g.max_count:
                out.append(f"{g.label}: {k} creators > maximum {g.max_count}")
            if g.min_spend is not None and s < g.min_spend - _CENT_SLACK:
                out.append(f"{g.label}: spends {self.money(s)} < {self.money(g.min_spend)} ({g.why})")
            if g.max_spend is not None and s > g.max_spend + _CENT_SLACK:
                out.append(f"{g.label}: spends {self.money(s)} > {self.money(g.max_spend)} ({g.why})")
        return out


@dataclass
class MipResult:
    status: str  # optimal | time_limit | infeasible | …  (HiGHS model status, lower case)
    picked: np.ndarray
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    nodes: int | None = None
    reduced_to: int | None = None  # candidates left after removing dominated ones

    @property
    def has_solution(self) -> bool:
        return self.objective is not None


@dataclass
class GreedyResult:
    picked: np.ndarray
    objective: float
    feasible: bool
    unmet: list[str]
    seconds: float


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence HiGHS's C-level banner, written to file descriptor 1 when a solver is created."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ else 1
    except (OSError, ValueError):  # no real stdout (e.g. some embedded runners)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)


def _highs() -> Any:
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


def _matrix(problem: PlanProblem, slack: bool) -> tuple[Any, list[str], list[float]]:
    """Rows (lower, upper, coefficients) of the model; with ``slack``, one elastic column per limit."""
    n, p = problem.n, len(problem.pair_i)
    inf = math.inf
    rows_lo: list[float] = []
    rows_hi: list[float] = []
    names: list[str] = []
    scales: list[float] = []
    ri: list[np.ndarray] = []
    ci: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def add(cols: np.ndarray, coefs: np.ndarray, lo: float, hi: float, name: str, scale: float) -> None:
        r = len(rows_lo)
        ri.append(np.full(len(cols), r, dtype=np.int64))
        ci.append(np.asarray(cols, dtype=np.int64))
        vals.append(np.asarray(coefs, dtype=np.float64))
        rows_lo.append(lo)
        rows_hi.append(hi)
        names.append(name)
        scales.append(scale)

    every = np.arange(n)
    add(every, problem.cost, -inf, problem.budget + _CENT_SLACK, "budget", problem.budget)
    if problem.min_count is not None or problem.max_count is not None:
        lo = -inf if problem.min_count is None else float(problem.min_count)
        hi = inf if problem.max_count is None else float(problem.max_count)
        add(every, np.ones(n), lo, hi, "creator count", 1.0)
    for g in problem.groups:
        if g.min_count is not None or g.max_count is not None:
            lo = -inf if g.min_count is None else float(g.min_count)
            hi = inf if g.max_count is None else float(g.max_count)
            add(g.members, np.ones(len(g.members)), lo, hi, f"{g.label} count", 1.0)
        if g.min_spend is not None or g.max_spend is not None:
            lo = -inf if g.min_spend is None else g.min_spend - _CENT_SLACK
            hi = inf if g.max_spend is None else g.max_spend + _CENT_SLACK
            add(g.members, problem.cost[g.members], lo, hi, f"{g.label} spend", problem.budget)
    limits = len(rows_lo)
    if p:
        r0 = len(rows_lo)
        rr = np.arange(r0, r0 + p, dtype=np.int64)
        ri += [rr, rr, rr]
        ci += [problem.pair_i, problem.pair_j, n + np.arange(p, dtype=np.int64)]
        vals += [np.ones(p), np.ones(p), -np.ones(p)]
        rows_lo += [-inf] * p
        rows_hi += [1.0] * p
    rows = np.concatenate(ri) if ri else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(ci) if ci else np.zeros(0, dtype=np.int64)
    data = np.concatenate(vals) if vals else np.zeros(0)
    ncols = n + p
    if slack:
        # two elastic columns per limit row: +s lowers a minimum, −s raises a maximum
        sr = np.repeat(np.arange(limits, dtype=np.int64), 2)
        sc = ncols + np.arange(2 * limits, dtype=np.int64)
        sv = np.tile([1.0, -1.0], limits)
        rows, cols, data = np.concatenate([rows, sr]), np.concatenate([cols, sc]), np.concatenate([data, sv])
        ncols += 2 * limits
    from scipy.sparse import coo_matrix

    csc = coo_matrix((data, (rows, cols)), shape=(len(rows_lo), ncols)).tocsc()
    return (csc, np.array(rows_lo), np.array(rows_hi)), names[:limits], scales[:limits]


def _lp(problem: PlanProblem, *, slack: bool = False) -> tuple[Any, list[str], list[float]]:
    import highspy

    (csc, lo, hi), names, scales = _matrix(problem, slack)
    n, p = problem.n, len(problem.pair_i)
    lp = highspy.HighsLp()
    ncols = csc.shape[1]
    lp.num_col_ = ncols
    lp.num_row_ = csc.shape[0]
    if slack:  # minimise the scaled violations; the plan's value only breaks ties
        cost = np.zeros(ncols)
        ns = ncols - n - p
        cost[n + p :] = np.repeat(1.0 / np.maximum(np.array(scales), 1e-9), 2)[:ns] * 1e3
        total = float(np.abs(problem.value).sum()) or 1.0
        cost[:n] = -problem.value / total
        if p:
            cost[n : n + p] = problem.pair_w / total
        lp.sense_ = highspy.ObjSense.kMinimize
    else:
        cost = np.concatenate([problem.value, -problem.pair_w])
        lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = cost
    upper = np.ones(ncols)
    if slack:
        upper[n + p :] = math.inf
    lp.col_lower_ = np.zeros(ncols)
    lp.col_upper_ = upper
    lp.row_lower_ = lo
    lp.row_upper_ = hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    integrality = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * (ncols - n)
    lp.integrality_ = integrality
    return lp, names, scales


def dominated(problem: PlanProblem) -> np.ndarray:
    """Candidates that no optimal plan needs (a boolean mask), removed before solving.

    Candidate *i* is dominated when at least *K* other candidates of exactly the same groups cost at
    most as much and have a value, net of every overlap penalty they could ever pay, at least as
    high as *i*'s value, where *K* is the most creators a plan can take from those groups (the
    smallest of the group maxima, the creator maximum and what the budget can buy). Any plan that
    picks *i* leaves one of them out (it has room for at most *K* − 1 of them besides *i*), and
    swapping *i* for it keeps every count, keeps the spend within every cap, drops *i*'s overlap
    penalties and does not lower the objective. Groups with a spend minimum are left alone, since
    the swap lowers spend.
    """
    import heapq

    n = problem.n
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    positive = problem.cost[problem.cost > 0]
    cap_budget = int(problem.budget // positive.min()) + 1 if len(positive) else n
    cap_total = min(problem.max_count if problem.max_count is not None else n, cap_budget)
    # a dominator's value net of every overlap penalty it could ever pay
    net = problem.value.astype(float).copy()
    np.subtract.at(net, problem.pair_i, problem.pair_w)
    np.subtract.at(net, problem.pair_j, problem.pair_w)
    signature: dict[tuple[int, ...], list[int]] = {}
    member_of: list[list[int]] = [[] for _ in range(n)]
    for gi, g in enumerate(problem.groups):
        for i in g.members.tolist():
            member_of[i].append(gi)
    for i in range(n):
        signature.setdefault(tuple(member_of[i]), []).append(i)
    for sig, members in signature.items():
        groups = [problem.groups[gi] for gi in sig]
        if any(g.min_spend is not None for g in groups):
            continue
        k = min([cap_total] + [g.max_count for g in groups if g.max_count is not None])
        if k <= 0:  # a group that may take no creator: nobody here can be picked
            out[members] = True
            continue
        if k >= len(members):
            continue
        idx = np.array(members)
        order = idx[np.lexsort((-problem.value[idx], problem.cost[idx]))]  # cost up, then value down
        heap: list[float] = []
        for i in order.tolist():
            v = float(problem.value[i])
            if len(heap) >= k and heap[0] >= v:
                out[i] = True
            worst = float(net[i])
            if len(heap) < k:
                heapq.heappush(heap, worst)
            elif worst > heap[0]:
                heapq.heapreplace(heap, worst)
    return out


def _subproblem(problem: PlanProblem, keep: np.ndarray) -> PlanProblem:
    """The problem restricted to the candidates ``keep`` (sorted indices)."""
    new_index = np.full(problem.n, -1, dtype=np.int64)
    new_index[keep] = np.arange(len(keep))
    both = (new_index[problem.pair_i] >= 0) & (new_index[problem.pair_j] >= 0)
    groups = []
    for g in problem.groups:
        members = new_index[g.members]
        groups.append(
            Group(g.kind, g.name, members[members >= 0], g.min_count, g.max_count, g.min_spend, g.max_spend, g.why)
        )
    return PlanProblem(
        value=problem.value[keep],
        cost=problem.cost[keep],
        budget=problem.budget,
        min_count=problem.min_count,
        max_count=problem.max_count,
        groups=groups,
        pair_i=new_index[problem.pair_i[both]],
        pair_j=new_index[problem.pair_j[both]],
        pair_w=problem.pair_w[both],
        money=problem.money,
    )


def solve(
    problem: PlanProblem,
    *,
    gap: float = 1e-3,
    time_limit: float = 60.0,
    threads: int | None = None,
    reduce: bool = True,
    lp_first: bool = True,
) -> MipResult:
    """Solve the plan MIP with HiGHS; ``gap`` is the relative MIP gap that counts as optimal.

    With ``reduce`` (default) dominated candidates (:func:`dominated`) are removed first: the
    optimum is the same, the model smaller. With ``lp_first`` (default) the LP relaxation is solved
    first and the MIP restricted to the candidates it uses (plus those with the smallest reduced
    costs) gives a plan; when that plan is within ``gap`` of the relaxation's bound — a valid upper
    bound on every plan — it is optimal within ``gap`` and returned; otherwise it starts the full
    MIP as its incumbent.
    """
    if reduce and problem.n:
        started = time.perf_counter()
        keep = np.flatnonzero(~dominated(problem))
        if len(keep) < problem.n:
            sub = _subproblem(problem, keep)
            result = solve(sub, gap=gap, time_limit=time_limit, threads=threads, reduce=False, lp_first=lp_first)
            result.picked = keep[result.picked]
            result.seconds = time.perf_counter() - started
            result.reduced_to = len(keep)
            return result
    started = time.perf_counter()
    if problem.n == 0:
        feasible = not problem.violations(np.zeros(0, dtype=np.int64))
        return MipResult(
            "optimal" if feasible else "infeasible",
            np.zeros(0, dtype=np.int64),
            0.0 if feasible else None,
            0.0 if feasible else None,
            0.0 if feasible else None,
            time.perf_counter() - started,
        )
    h = _highs()
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", int(threads))
    start = greedy(problem)
    if lp_first:
        first = _lp_guided(problem, gap, min(time_limit, 10.0))
        if first is not None:
            lp_bound, plan = first
            if lp_bound is None:  # the relaxation is infeasible: so is the MIP
                return MipResult(
                    "infeasible", np.zeros(0, dtype=np.int64), None, None, None, time.perf_counter() - started
                )
            if plan is not None and (not start.feasible or plan.objective > start.objective):
                start = plan
            if start.feasible and lp_bound - start.objective <= gap * max(abs(start.objective), 1e-9):
                lp_gap = max(0.0, (lp_bound - start.objective) / max(abs(start.objective), 1e-9))
                seconds = time.perf_counter() - started
                return MipResult("optimal", start.picked, start.objective, lp_bound, lp_gap, seconds, 0)
    lp, _, _ = _lp(problem)
    h.passModel(lp)
    if start.feasible:  # a first incumbent: the solver proves or improves it
        import highspy

        x = np.zeros(lp.num_col_)
        x[start.picked] = 1.0
        if len(problem.pair_i):
            x[problem.n :] = np.maximum(0.0, x[problem.pair_i] + x[problem.pair_j] - 1.0)
        incumbent = highspy.HighsSolution()
        incumbent.col_value = x.tolist()
        incumbent.value_valid = True
        h.setSolution(incumbent)
    h.run()
    status = h.modelStatusToString(h.getModelStatus()).lower()
    info = h.getInfo()
    seconds = time.perf_counter() - started
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_solution:
        return MipResult(_status_name(status), np.zeros(0, dtype=np.int64), None, None, None, seconds)
    x = np.asarray(h.getSolution().col_value[: problem.n])
    picked = np.flatnonzero(x > 0.5)
    objective = problem.objective(picked)  # recomputed exactly from the picks
    dual_bound = float(info.mip_dual_bound)
    finite = math.isfinite(dual_bound)
    rel_gap = max(0.0, (dual_bound - objective) / max(abs(objective), 1e-9)) if finite else None
    nodes = int(info.mip_node_count)
    return MipResult(_status_name(status), picked, objective, dual_bound, rel_gap, seconds, nodes)


def _lp_guided(problem: PlanProblem, gap: float, time_limit: float) -> tuple[float | None, GreedyResult | None] | None:
    """The LP relaxation's bound and the best plan among the candidates it points at.

    Returns None when the relaxation could not be solved, ``(None, None)`` when it is infeasible.
    """
    import highspy

    h = _highs()
    h.setOptionValue("time_limit", float(time_limit))
    lp, _, _ = _lp(problem)
    lp.integrality_ = [highspy.HighsVarType.kContinuous] * lp.num_col_
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None, None
    if status != highspy.HighsModelStatus.kOptimal:
        return None
    bound = float(h.getInfo().objective_function_value)
    solution = h.getSolution()
    x = np.asarray(solution.col_value[: problem.n])
    reduced = np.abs(np.asarray(solution.col_dual[: problem.n]))
    support = np.flatnonzero(x > 1e-6)
    rest = np.flatnonzero(x <= 1e-6)
    extra = rest[np.argsort(reduced[rest], kind="stable")[: max(LP_GUIDED_EXTRA, len(support))]]
    keep = np.union1d(support, extra)
    if len(keep) >= problem.n:
        return bound, None
    sub = _subproblem(problem, keep)
    result = solve(sub, gap=gap, time_limit=time_limit, reduce=False, lp_first=False)
    if not result.has_solution:
        return bound, None
    picked = keep[result.picked]
    return bound, GreedyResult(picked, problem.objective(picked), not problem.violations(picked), [], 0.0)


def _status_name(status: str) -> str:
    return {
        "optimal": "optimal",
        "infeasible": "infeasible",
        "time limit reached": "time_limit",
        "primal infeasible or unbounded": "infeasible",
        "unbounded": "unbounded",
    }.get(status, status.replace(" ", "_"))


def greedy(problem: PlanProblem, score: np.ndarray | None = None) -> GreedyResult:
    """Value per cost, best first, under the same limits where it can.

    First each group's minimum count is filled with its best value-per-cost members, then each
    minimum spend (skipping members too cheap to reach it in the places left), then the rest of the
    budget goes to the best remaining candidates whose marginal value (value minus overlap
    penalties with those already picked) is positive. Every pick keeps the maxima (budget, counts,
    spend caps); minima it cannot reach are listed in ``unmet``. ``score`` replaces value per cost
    as the ranking (the solver's first incumbent uses value − λ · cost).
    """
    started = time.perf_counter()
    n = problem.n
    ratio = problem.value / np.maximum(problem.cost, 1e-9) if score is None else score
    order = np.argsort(-ratio, kind="stable")
    picked = np.zeros(n, dtype=bool)
    neighbours: dict[int, list[tuple[int, float]]] = {}
    for i, j, w in zip(problem.pair_i.tolist(), problem.pair_j.tolist(), problem.pair_w.tolist(), strict=True):
        neighbours.setdefault(i, []).append((j, w))
        neighbours.setdefault(j, []).append((i, w))
    member_of: list[list[int]] = [[] for _ in range(n)]
    for gi, g in enumerate(problem.groups):
        for i in g.members.tolist():
            member_of[i].append(gi)
    counts = np.zeros(len(problem.groups), dtype=np.int64)
    spends = np.zeros(len(problem.groups))
    state = {"spend": 0.0, "count": 0}

    def fits(i: int) -> bool:
        c = float(problem.cost[i])
        if state["spend"] + c > problem.budget + _CENT_SLACK:
            return False
        if problem.max_count is not None and state["count"] + 1 > problem.max_count:
            return False
        for gi in member_of[i]:
            g = problem.groups[gi]
            if g.max_count is not None and counts[gi] + 1 > g.max_count:
                return False
            if g.max_spend is not None and spends[gi] + c > g.max_spend + _CENT_SLACK:
                return False
        return True

    def take(i: int) -> None:
        picked[i] = True
        state["spend"] += float(problem.cost[i])
        state["count"] += 1
        for gi in member_of[i]:
            counts[gi] += 1
            spends[gi] += float(problem.cost[i])

    def marginal(i: int) -> float:
        return float(problem.value[i]) - sum(w for j, w in neighbours.get(i, ()) if picked[j])

    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ranked = [g.members[np.argsort(rank[g.members], kind="stable")].tolist() for g in problem.groups]

    def deficit(skip: int) -> int:
        """Creators still owed to the count minimums of the other groups."""
        return sum(max(0, (g.min_count or 0) - int(counts[k])) for k, g in enumerate(problem.groups) if k != skip)

    for gi, g in enumerate(problem.groups):  # 1. count minimums, best value per cost first
        for i in ranked[gi]:
            if g.min_count is None or counts[gi] >= g.min_count:
                break
            if not picked[i] and fits(i):
                take(i)
    for gi, g in enumerate(problem.groups):  # 2. spend minimums, keeping room for the count minimums
        for i in ranked[gi]:
            need = (g.min_spend or 0.0) - _CENT_SLACK - spends[gi]
            if need <= 0:
                break
            slots = (problem.max_count if problem.max_count is not None else n) - state["count"] - deficit(gi)
            if slots <= 0:
                break
            if not picked[i] and float(problem.cost[i]) >= need / slots and fits(i):
                take(i)
    for i in order.tolist():
        if problem.max_count is not None and state["count"] >= problem.max_count:
            break
        if not picked[i] and fits(i) and marginal(i) > 0:
            take(i)
    if problem.min_count is not None and state["count"] < problem.min_count:
        for i in order.tolist():
            if state["count"] >= problem.min_count:
                break
            if not picked[i] and fits(i):
                take(i)
    chosen = np.flatnonzero(picked)
    unmet = problem.violations(chosen)
    return GreedyResult(chosen, problem.objective(chosen), not unmet, unmet, time.perf_counter() - started)


# re-exported: the explanation lives in plan/explain.py (imported last: it uses this module)
from microscout.plan.explain import explain_infeasible  # noqa: E402
