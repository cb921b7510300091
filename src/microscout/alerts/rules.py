"""The alert rule kinds: what each one checks, its threshold and parameters (docs/alerts.md).

Each kind is a :class:`Kind` whose ``evaluate`` reads the store and yields :class:`Finding` s — one
per subject (a post, a deliverable slot, a creator's score change, a market's week, a campaign's
budget). :func:`microscout.alerts.evaluate_alerts` turns findings into deduplicated alerts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from microscout.errors import InvalidInputError, MicroscoutError
from microscout.store import Store

__all__ = ["KINDS", "Context", "Finding", "Kind", "Param", "Rule"]

logger = logging.getLogger(__name__)

EPS = 1e-9  # float slack so that a drop of exactly the threshold fires
SHOWN_TAGS = 3


@dataclass(frozen=True)
class Param:
    """A numeric rule setting: default and allowed range (``low`` exclusive when ``open_low``)."""

    default: float
    low: float
    high: float
    doc: str
    integer: bool = False
    open_low: bool = False

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInputError(f"{name} must be a number, got {value!r}")
        if self.integer and float(value) != int(value):
            raise InvalidInputError(f"{name} must be a whole number, got {value!r}")
        too_low = value <= self.low if self.open_low else value < self.low
        if too_low or value > self.high:
            bracket = "(" if self.open_low else "["
            raise InvalidInputError(f"{name} must be in {bracket}{self.low:g}, {self.high:g}], got {value:g}")
        return float(int(value)) if self.integer else float(value)


@dataclass
class Rule:
    """A stored alert rule with its defaults filled in."""

    rule_id: str
    kind: str
    campaign_id: str | None
    threshold: float | None
    params: dict[str, float]
    channels: list[dict[str, str]]
    enabled: bool
    created_at: dt.datetime | None
    # what the rule remembers between evaluations (fraud_signal: last seen AQS per creator)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One thing a rule found; ``subject`` identifies it (same subject, same alert)."""

    subject: str
    campaign_id: str | None
    severity: str
    message: str
    details: dict[str, Any]


class Context:
    """What every rule reads while one evaluation runs: the store, the workspace, now, caches."""

    def __init__(self, store: Store, workspace: str, now: dt.datetime) -> None:
        self.store = store
        self.workspace = workspace
        self.now = now
        self._campaigns: list[dict[str, Any]] | None = None
        self._labels: dict[tuple[str, str], str] = {}

    def rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows of a query written here; the first parameter is always the workspace."""
        cur = self.store.raw.execute(sql, [self.workspace, *params])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def campaigns(self, rule: Rule) -> dict[str, dict[str, Any]]:
        """Active campaigns the rule watches: its campaign, or every active one of the workspace."""
        if self._campaigns is None:
            self._campaigns = self.rows(
                "SELECT campaign_id, name, brand, status, start_date, end_date, body FROM campaigns "
                "WHERE workspace_id = ? AND coalesce(status, 'active') = 'active' ORDER BY campaign_id",
                [],
            )
            for c in self._campaigns:
                try:
                    c["body"] = json.loads(c["body"]) if c["body"] else {}
                except json.JSONDecodeError:
                    c["body"] = {}
        return {
            c["campaign_id"]: c
            for c in self._campaigns
            if rule.campaign_id is None or c["campaign_id"] == rule.campaign_id
        }

    def label(self, platform: str, creator_id: str | None) -> str:
        """``platform:handle`` of a creator (its id when the handle is unknown)."""
        if creator_id is None:
            return f"{platform}:[removed]"
        key = (platform, creator_id)
        if key not in self._labels:
            row = self.store.raw.execute(
                "SELECT handle FROM creators WHERE platform = ? AND creator_id = ?", [platform, creator_id]
            ).fetchall()
            self._labels[key] = f"{platform}:{row[0][0] if row and row[0][0] else creator_id}"
        return self._labels[key]


@dataclass(frozen=True)
class Kind:
    """An alert rule kind."""

    name: str
    doc: str
    evaluate: Callable[[Context, Rule], list[Finding]]
    threshold: Param | None = None
    params: dict[str, Param] = field(default_factory=dict)


def _campaign_name(c: dict[str, Any]) -> str:
    return str(c.get("name") or c.get("brand") or c["campaign_id"])


def _in_list(column: str) -> str:
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))"


# ------------------------------------------------------------------------ missing_disclosure
def _accepted_tags(ctx: Context, stored: Any, platform: str, market: str | None) -> list[str]:
    """What the market accepts: as the tracker stored it, else from the reference table."""
    if isinstance(stored, dict) and isinstance(stored.get("accepted_options"), list):
        options = [str(o) for o in stored["accepted_options"]]
    else:
        from microscout.tracking.disclosure import load_rules

        try:
            options = load_rules(ctx.store.settings.reference_dir).accepted_options(platform, market)
        except MicroscoutError:  # a broken override must not stop the other alerts
            options = []
    return [o for o in options if o.startswith("#")] + [o for o in options if not o.startswith("#")]


def _parse(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
    return raw


def _found_tags(raw: Any) -> list[str]:
    """What the tracker found: ``{"found": [...], "accepted_options": [...]}`` or a bare list."""
    value = _parse(raw)
    if isinstance(value, dict):
        value = value.get("found", value.get("tags", []))
    if isinstance(value, str):
        return [value]
    out = []
    for item in value or []:
        if isinstance(item, dict):
            text = item.get("tag") or item.get("value") or item.get("text") or item.get("label")
            if text:
                out.append(str(text))
        elif item:
            out.append(str(item))
    return out


def _missing_disclosure(ctx: Context, rule: Rule) -> list[Finding]:
    campaigns = ctx.campaigns(rule)
    if not campaigns:
        return []
    rows = ctx.rows(
        "SELECT cp.campaign_id, cp.platform, cp.post_id, cp.creator_id, cp.placement_id, cp.deliverable_kind, "
        "coalesce(cp.market, p.market) AS market, cp.disclosure, cp.disclosure_found, cp.published_at "
        "FROM campaign_posts cp LEFT JOIN placements p "
        "ON p.workspace_id = cp.workspace_id AND p.placement_id = cp.placement_id "
        f"WHERE cp.workspace_id = ? AND {_in_list('cp.campaign_id')} AND cp.role = 'deliverable' "
        "AND NOT coalesce(cp.self_reported, false) AND cp.disclosure IN ('missing', 'ambiguous') "
        "ORDER BY cp.campaign_id, cp.published_at NULLS LAST, cp.platform, cp.post_id",
        [list(campaigns)],
    )
    out = []
    for r in rows:
        stored = _parse(r["disclosure_found"])
        found = _found_tags(stored)
        accepted = _accepted_tags(ctx, stored, r["platform"], r["market"])
        who = ctx.label(r["platform"], r["creator_id"])
        where = f" ({r['market']})" if r["market"] else ""
        what = f"{who}'s {r['deliverable_kind'] or 'post'} for {_campaign_name(campaigns[r['campaign_id']])}{where}"
        if found:
            verdict = "ambiguous" if r["disclosure"] == "ambiguous" else "not accepted"
            problem = f"has no accepted disclosure: found {', '.join(found)} ({verdict})"
        else:
            problem = "has no disclosure"
        shown = ", ".join(accepted[:SHOWN_TAGS]) + (", …" if len(accepted) > SHOWN_TAGS else "")
        message = f"{what} {problem}" + (f"; accepted: {shown}" if accepted else "")
        out.append(
            Finding(
                subject=f"{r['campaign_id']}:{r['platform']}:{r['post_id']}",
                campaign_id=r["campaign_id"],
                severity="high",
                message=message,
                details={
                    "platform": r["platform"],
                    "post_id": r["post_id"],
                    "creator_id": r["creator_id"],
                    "placement_id": r["placement_id"],
                    "market": r["market"],
                    "disclosure": r["disclosure"],
                    "found": found,
                    "accepted": accepted,
                    "published_at": r["published_at"],
                },
            )
        )
    return out


# -------------------------------------------------------------------------- late_deliverable
def _late_deliverable(ctx: Context, rule: Rule) -> list[Finding]:
    from microscout.tracking.status import deliverable_status, due_at

    grace = dt.timedelta(hours=rule.threshold or 0.0)
    out = []
    for cid, campaign in ctx.campaigns(rule).items():
        slots = deliverable_status(ctx.store, ctx.workspace, cid, now=ctx.now)
        owed: dict[tuple[str, str], int] = {}
        for s in slots:
            if s["status"] != "extra":
                owed[(s["placement_id"], s["kind"])] = owed.get((s["placement_id"], s["kind"]), 0) + 1
        for s in slots:
            deadline = due_at(s["due_date"])
            if s["status"] not in ("late", "missing") or deadline is None:
                continue
            limit = deadline + grace
            if s["status"] == "missing" and ctx.now < limit:
                continue
            if s["status"] == "late" and s["published_at"] is not None and s["published_at"] < limit:
                continue
            who = ctx.label(s["platform"], s["creator_id"])
            count = owed.get((s["placement_id"], s["kind"]), 1)
            slot = f" {s['slot']} of {count}" if count > 1 else ""
            market = f" ({s['market']})" if s["market"] else ""
            what = f"{who}'s {s['kind']}{slot} for {_campaign_name(campaign)}{market}"
            if s["status"] == "missing":
                message = f"{what} is missing: due {s['due_date']}"
            else:
                message = f"{what} arrived late: due {s['due_date']}, published {s['published_at']:%Y-%m-%d %H:%M}"
            out.append(
                Finding(
                    subject=f"{cid}:{s['placement_id']}:{s['kind']}:{s['slot']}",
                    campaign_id=cid,
                    severity="high" if s["status"] == "missing" else "medium",
                    message=message,
                    details={
                        k: s[k]
                        for k in ("placement_id", "platform", "creator_id", "market", "kind", "slot", "due_date")
                    }
                    | {"status": s["status"], "post_id": s["post_id"], "published_at": s["published_at"]},
                )
            )
    return out


# ------------------------------------------------------------------------------ fraud_signal
def _booked(ctx: Context, campaigns: dict[str, dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """Creators booked in ``campaigns`` (placements not removed) -> the campaigns booking them."""
    booked: dict[tuple[str, str], list[str]] = {}
    for r in ctx.rows(
        "SELECT DISTINCT campaign_id, platform, creator_id FROM placements "
        f"WHERE workspace_id = ? AND {_in_list('campaign_id')} AND creator_id IS NOT NULL "
        "AND coalesce(status, 'booked') <> 'removed' ORDER BY campaign_id, platform, creator_id",
        [list(campaigns)],
    ):
        booked.setdefault((r["platform"], r["creator_id"]), []).append(r["campaign_id"])
    return booked


def _fraud_signal(ctx: Context, rule: Rule) -> list[Finding]:
    campaigns = ctx.campaigns(rule)
    booked = _booked(ctx, campaigns) if campaigns else {}
    if not booked:
        return []
    platforms, ids = [k[0] for k in booked], [k[1] for k in booked]
    pairs = "(platform, creator_id) IN (SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]))"
    out: list[Finding] = []
    # AQS: there is no score history table, so the rule remembers the last AQS it saw per creator
    # (rule state, stored in alert_rules.params) and compares the current score with it
    seen: dict[str, Any] = rule.state.setdefault("aqs", {})
    points = rule.threshold if rule.threshold is not None else 10.0
    for platform, creator_id, aqs, computed_at in ctx.store.raw.execute(
        f"SELECT platform, creator_id, aqs, computed_at FROM creator_profiles WHERE {pairs} AND aqs IS NOT NULL "
        "ORDER BY platform, creator_id",
        [platforms, ids],
    ).fetchall():
        key = f"{platform}:{creator_id}"
        current = round(float(aqs), 4)
        at = computed_at.isoformat() if computed_at else None
        before = seen.get(key)
        seen[key] = {"aqs": current, "at": at}
        if not before or before.get("aqs") is None or before["aqs"] - current < points - EPS:
            continue
        who = ctx.label(platform, creator_id)
        for cid in booked[(platform, creator_id)]:
            out.append(
                Finding(
                    subject=f"{cid}:{platform}:{creator_id}:aqs@{at or current}",
                    campaign_id=cid,
                    severity="high",
                    message=(
                        f"{who} (booked for {_campaign_name(campaigns[cid])}) AQS fell "
                        f"{before['aqs'] - current:.1f} points: {before['aqs']:.1f} → {current:.1f}"
                    ),
                    details={
                        "signal": "aqs_drop",
                        "platform": platform,
                        "creator_id": creator_id,
                        "aqs_before": before["aqs"],
                        "aqs_before_at": before.get("at"),
                        "aqs": current,
                        "aqs_at": at,
                        "threshold": points,
                    },
                )
            )
    pct = rule.params["threshold_pct"]
    lookback = ctx.now - dt.timedelta(days=rule.params["lookback_days"])
    for platform, creator_id, prev_at, prev, at, followers in ctx.store.raw.execute(
        "SELECT platform, creator_id, prev_at, prev_followers, observed_at, followers FROM ("
        "SELECT platform, creator_id, observed_at, followers, "
        "lag(observed_at) OVER w AS prev_at, lag(followers) OVER w AS prev_followers "
        f"FROM creator_snapshots WHERE {pairs} AND followers IS NOT NULL AND observed_at <= ? "
        "WINDOW w AS (PARTITION BY platform, creator_id ORDER BY observed_at)) "
        "WHERE prev_followers > 0 AND observed_at - prev_at <= INTERVAL 7 DAY AND observed_at > ? "
        "AND (followers - prev_followers) * 100.0 / prev_followers >= ? ORDER BY platform, creator_id, observed_at",
        [platforms, ids, ctx.now, lookback, pct - EPS],
    ).fetchall():
        who = ctx.label(platform, creator_id)
        jump = (followers - prev) * 100.0 / prev
        days = (at - prev_at).total_seconds() / 86400
        for cid in booked[(platform, creator_id)]:
            out.append(
                Finding(
                    subject=f"{cid}:{platform}:{creator_id}:followers@{at.isoformat()}",
                    campaign_id=cid,
                    severity="high",
                    message=(
                        f"{who} (booked for {_campaign_name(campaigns[cid])}) followers jumped {jump:.0f} % in "
                        f"{days:.1f} days: {prev:,} → {followers:,} ({prev_at:%Y-%m-%d} → {at:%Y-%m-%d})"
                    ),
                    details={
                        "signal": "follower_jump",
                        "platform": platform,
                        "creator_id": creator_id,
                        "followers_before": prev,
                        "observed_before": prev_at,
                        "followers": followers,
                        "observed_at": at,
                        "jump_pct": round(jump, 2),
                        "threshold_pct": pct,
                    },
                )
            )
    return out


# ---------------------------------------------------------------------------- sentiment_drop
def _sentiment_rows(
    ctx: Context, campaigns: list[str], start: dt.datetime, mid: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Per campaign and market: texts and positive/negative counts of the previous and last 7 days."""
    prev, cur = "published_at <= $mid", "published_at > $mid"
    cursor = ctx.store.raw.execute(
        "SELECT campaign_id, market, "
        f"count(*) FILTER (WHERE {prev}) AS n_prev, "
        f"count(*) FILTER (WHERE {prev} AND sentiment = 'positive') AS pos_prev, "
        f"count(*) FILTER (WHERE {prev} AND sentiment = 'negative') AS neg_prev, "
        f"count(*) FILTER (WHERE {cur}) AS n_cur, "
        f"count(*) FILTER (WHERE {cur} AND sentiment = 'positive') AS pos_cur, "
        f"count(*) FILTER (WHERE {cur} AND sentiment = 'negative') AS neg_cur "
        "FROM campaign_texts WHERE workspace_id = $ws AND campaign_id IN (SELECT unnest($ids::VARCHAR[])) "
        "AND market IS NOT NULL AND sentiment IN ('positive', 'neutral', 'negative') "
        "AND published_at > $start AND published_at <= $end "
        "GROUP BY campaign_id, market ORDER BY campaign_id, market",
        {"ws": ctx.workspace, "ids": campaigns, "start": start, "mid": mid, "end": end},
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _sentiment_drop(ctx: Context, rule: Rule) -> list[Finding]:
    campaigns = ctx.campaigns(rule)
    if not campaigns:
        return []
    week = dt.timedelta(days=7)
    start, mid, end = ctx.now - 2 * week, ctx.now - week, ctx.now
    drop = rule.threshold if rule.threshold is not None else 0.2
    least = int(rule.params["min_texts"])
    year, number, _ = ctx.now.isocalendar()
    out = []
    for r in _sentiment_rows(ctx, list(campaigns), start, mid, end):
        if r["n_prev"] < least or r["n_cur"] < least:
            continue
        before = (r["pos_prev"] - r["neg_prev"]) / r["n_prev"]
        after = (r["pos_cur"] - r["neg_cur"]) / r["n_cur"]
        if before - after < drop - EPS:
            continue
        name = _campaign_name(campaigns[r["campaign_id"]])
        out.append(
            Finding(
                # one alert per campaign market and ISO week while the drop lasts
                subject=f"{r['campaign_id']}:{r['market']}:sentiment@{year}-W{number:02d}",
                campaign_id=r["campaign_id"],
                severity="medium",
                message=(
                    f"Net sentiment for {name} in {r['market']} fell {before - after:.2f}: {before:+.2f} "
                    f"({r['n_prev']} texts, {start:%b %d}–{mid:%b %d}) → {after:+.2f} "
                    f"({r['n_cur']} texts, {mid:%b %d}–{end:%b %d})"
                ),
                details={
                    "market": r["market"],
                    "net_before": round(before, 4),
                    "net_after": round(after, 4),
                    "texts_before": r["n_prev"],
                    "texts_after": r["n_cur"],
                    "window_start": start,
                    "window_mid": mid,
                    "window_end": end,
                    "threshold": drop,
                    "min_texts": least,
                },
            )
        )
    return out


# ---------------------------------------------------------------------------- budget_overrun
def _budget_overrun(ctx: Context, rule: Rule) -> list[Finding]:
    from microscout.cost.money import format_money, load_rates, to_money

    campaigns = ctx.campaigns(rule)
    if not campaigns:
        return []
    fees: dict[str, list[tuple[Decimal, str | None]]] = {}
    for r in ctx.rows(
        "SELECT campaign_id, currency, sum(fee) AS fees FROM placements "
        f"WHERE workspace_id = ? AND {_in_list('campaign_id')} AND fee IS NOT NULL "
        "AND coalesce(status, 'booked') <> 'removed' GROUP BY campaign_id, currency ORDER BY campaign_id, currency",
        [list(campaigns)],
    ):
        fees.setdefault(r["campaign_id"], []).append((Decimal(r["fees"]), r["currency"]))
    pct = rule.threshold if rule.threshold is not None else 0.0
    rates = None
    out = []
    for cid, campaign in campaigns.items():
        raw_budget = campaign["body"].get("budget")
        if raw_budget is None or cid not in fees:
            continue
        try:
            budget = to_money(str(raw_budget))
        except MicroscoutError:
            logger.warning("campaign %s: budget %r is not a decimal amount; budget_overrun skipped", cid, raw_budget)
            continue
        currency = campaign["body"].get("currency") or fees[cid][0][1] or "EUR"
        total = Decimal(0)
        try:
            for amount, cur in fees[cid]:
                if cur and cur != currency:
                    rates = rates if rates is not None else load_rates(ctx.store, ctx.workspace)
                    amount = rates.convert(amount, cur, currency, ctx.now.date())
                total += amount
        except MicroscoutError as exc:
            logger.warning("campaign %s: budget_overrun skipped: %s", cid, exc.message)
            continue
        if total <= budget * (1 + Decimal(str(pct)) / 100):
            continue
        over = (total - budget) * 100 / budget if budget else None
        by = f" by {over:.1f} %" if over is not None else ""
        out.append(
            Finding(
                subject=f"{cid}:budget",
                campaign_id=cid,
                severity="high",
                message=(
                    f"{_campaign_name(campaign)}'s placement fees {format_money(total, currency)} exceed its budget "
                    f"{format_money(budget, currency)}{by} (threshold {pct:g} %)"
                ),
                details={
                    "budget": str(budget),
                    "fees": str(to_money(total)),
                    "currency": currency,
                    "overrun_pct": None if over is None else round(float(over), 2),
                    "threshold_pct": pct,
                },
            )
        )
    return out


# ------------------------------------------------------------------------------------ kinds
MAX_ATTEMPTS = Param(3, 1, 10, "Delivery attempts per channel and run (retries use exponential backoff).", True)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind(
            "missing_disclosure",
            "A campaign deliverable (not self-reported) whose disclosure is missing or ambiguous.",
            _missing_disclosure,
        ),
        Kind(
            "late_deliverable",
            "A deliverable slot that arrived after its due date, or is still missing after it.",
            _late_deliverable,
            threshold=Param(0, 0, 24 * 90, "Grace hours after the due date before a slot counts."),
        ),
        Kind(
            "fraud_signal",
            "A booked creator whose AQS dropped, or whose followers jumped between two snapshots within 7 days.",
            _fraud_signal,
            threshold=Param(10, 0, 100, "AQS points the score must drop by.", open_low=True),
            params={
                "threshold_pct": Param(20, 0, 10_000, "Follower jump in percent.", open_low=True),
                "lookback_days": Param(30, 1, 365, "Only jumps whose later snapshot is this recent.", True),
            },
        ),
        Kind(
            "sentiment_drop",
            "A campaign market whose net sentiment of the last 7 days fell below the 7 days before.",
            _sentiment_drop,
            threshold=Param(0.2, 0, 2, "Drop in net sentiment (share positive − share negative).", open_low=True),
            params={"min_texts": Param(10, 1, 1_000_000, "Texts each 7-day window needs.", True)},
        ),
        Kind(
            "budget_overrun",
            "A campaign whose placement fees exceed its budget by more than the threshold.",
            _budget_overrun,
            threshold=Param(0, 0, 1000, "Percent over budget tolerated."),
        ),
    ]
}
