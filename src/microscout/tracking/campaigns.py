"""Campaigns: create (from a campaign file or a saved plan), list, show, close.

A campaign holds placements (creator, market, deliverables, agreed fee, due date, optional promo
code and tracking link) and tracking rules (rows of ``tracking_rules``: ``hashtag``, ``mention``,
``link``, ``promo_code``, ``keyword`` — with a language, ``*`` for all — and ``competitor``). All of
it is workspace data: another workspace cannot see or change it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from typing import Any

from microscout.creators import resolve_creator
from microscout.errors import InvalidInputError, MicroscoutError, NotFoundError
from microscout.store import Store, utcnow
from microscout.tracking.spec import CampaignSpec, PlacementSpec
from microscout.workspace import scoped_rows

__all__ = [
    "close_campaign",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "resolve_campaign",
]

RULE_KINDS = ("hashtag", "mention", "link", "promo_code", "keyword", "competitor")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def resolve_campaign(store: Store, workspace: str, ref: str) -> dict[str, Any]:
    """The campaign row for an id or a unique name (case-insensitive) in ``workspace``."""
    ref = ref.strip()
    rows = scoped_rows(store, "campaigns", workspace, where="campaign_id = ?", params=[ref])
    if not rows:
        rows = scoped_rows(store, "campaigns", workspace, where="lower(name) = lower(?)", params=[ref])
    if not rows:
        raise NotFoundError(f"no campaign {ref!r} in workspace {workspace!r} (see `microscout campaign list`)")
    if len(rows) > 1:
        ids = ", ".join(r["campaign_id"] for r in rows)
        raise InvalidInputError(f"campaign name {ref!r} is ambiguous; use an id: {ids}")
    row = rows[0]
    row["body"] = json.loads(row["body"]) if row.get("body") else {}
    return row


def _plan(store: Store, workspace: str, plan_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    plans = scoped_rows(store, "plans", workspace, where="plan_id = ?", params=[plan_id])
    if not plans:
        raise NotFoundError(
            f"plan: no saved plan {plan_id!r} in workspace {workspace!r} (see `microscout plan --save`)"
        )
    placements = scoped_rows(
        store, "placements", workspace, where="plan_id = ? AND campaign_id IS NULL", params=[plan_id],
        order_by="placement_id",
    )  # fmt: skip
    return plans[0], placements


def _placements_from_spec(store: Store, spec: CampaignSpec) -> list[dict[str, Any]]:
    out = []
    seen: dict[tuple[str, str], int] = {}
    for k, p in enumerate(spec.placements):
        try:
            platform, creator_id = resolve_creator(store, p.creator)
        except MicroscoutError as exc:
            raise type(exc)(f"placements[{k}].creator: {exc.message}") from None
        if (platform, creator_id) in seen:
            first = seen[(platform, creator_id)]
            raise InvalidInputError(
                f"placements[{k}].creator: {p.creator} is already placed in placements[{first}]; "
                "list all of a creator's deliverables in one placement"
            )
        seen[(platform, creator_id)] = k
        out.append(_placement_row(p, platform, creator_id, spec))
    return out


def _placement_row(p: PlacementSpec, platform: str, creator_id: str, spec: CampaignSpec) -> dict[str, Any]:
    return {
        "platform": platform,
        "creator_id": creator_id,
        "market": p.market,
        "deliverables": json.dumps([{"kind": d.kind, "count": d.count} for d in p.deliverables]),
        "fee": Decimal(p.fee).quantize(Decimal("0.01")),
        "currency": spec.currency,
        "due_date": p.due or spec.due or spec.end,
        "promo_code": p.promo_code,
        "link": p.link,
    }


def _handles(store: Store, placements: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    keys = [(p["platform"], p["creator_id"]) for p in placements if p["creator_id"]]
    if not keys:
        return {}
    rows = store.raw.execute(
        "SELECT platform, creator_id, handle FROM creators WHERE (platform, creator_id) IN "
        "(SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]))",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    return {(r[0], r[1]): str(r[2]) for r in rows}


def _rules(spec: CampaignSpec, competitors: list[str]) -> list[dict[str, Any]]:
    t = spec.tracking
    rules: list[dict[str, Any]] = []
    if t.is_empty():  # sensible defaults: the brand as hashtag, mention and keyword
        slug = _slug(spec.brand)
        rules += [{"kind": "hashtag", "value": slug}, {"kind": "mention", "value": slug}]
        rules.append({"kind": "keyword", "value": " ".join(spec.brand.lower().split()), "language": "*"})
    rules += [{"kind": "hashtag", "value": v} for v in t.hashtags]
    rules += [{"kind": "mention", "value": v} for v in t.mentions]
    rules += [{"kind": "link", "value": v} for v in t.links]
    rules += [{"kind": "promo_code", "value": v} for v in t.promo_codes]
    for lang, phrases in t.keywords.items():
        rules += [{"kind": "keyword", "value": v, "language": lang} for v in phrases]
    rules += [{"kind": "competitor", "value": v} for v in (t.competitors or competitors)]
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for r in rules:
        key = (r["kind"], r["value"], r.get("language") or "*")
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def create_campaign(
    store: Store, workspace: str, spec: CampaignSpec, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Store a campaign with its placements and tracking rules; return :func:`get_campaign`."""
    now = now or utcnow()
    if scoped_rows(store, "campaigns", workspace, where="lower(name) = lower(?)", params=[spec.name]):
        raise InvalidInputError(f"name: a campaign named {spec.name!r} already exists in workspace {workspace!r}")
    competitors: list[str] = []
    currency, budget, markets = spec.currency, spec.budget, list(spec.markets)
    if spec.placements:
        placements = _placements_from_spec(store, spec)
    else:
        plan, planned = _plan(store, workspace, str(spec.plan))
        if not planned:
            raise InvalidInputError(f"plan: plan {spec.plan!r} has no placements to book")
        body = json.loads(plan["body"] or "{}")
        currency = currency or plan["currency"]
        budget = budget if budget is not None else plan["budget"]
        brief = scoped_rows(store, "briefs", workspace, where="brief_id = ?", params=[plan["brief_id"]])
        if brief:
            competitors = list(json.loads(brief[0]["body"] or "{}").get("competitors") or [])
        placements = [
            {
                "platform": p["platform"],
                "creator_id": p["creator_id"],
                "market": p["market"],
                "deliverables": p["deliverables"],
                "fee": p["fee"],
                "currency": p["currency"],
                "due_date": spec.due or spec.end,
                "promo_code": None,
                "link": None,
            }
            for p in planned
            if p["creator_id"] is not None
        ]
        markets = markets or sorted({str(c.get("market")) for c in body.get("creators", []) if c.get("market")})
    currency = currency or "EUR"
    markets = markets or sorted({p["market"] for p in placements if p["market"]})
    campaign_id = uuid.uuid4().hex[:12]
    doc = {
        "spec": spec.model_dump(mode="json"),
        "currency": currency,
        "budget": None if budget is None else str(budget),
        "markets": markets,
    }
    rules = _rules(spec, competitors)
    handles = _handles(store, placements)
    for k, p in enumerate(placements, start=1):
        p["placement_id"] = f"{campaign_id}-{k:03d}"
        p["currency"] = p["currency"] or currency
        code = p.pop("promo_code")
        if not code and spec.tracking.code_prefix:
            handle = handles.get((p["platform"], p["creator_id"]), p["creator_id"])
            code = f"{spec.tracking.code_prefix}-{re.sub(r'[^0-9A-Z]+', '', str(handle).upper())[:20]}"
        if code:
            rules.append({"kind": "promo_code", "value": code, "placement": p})
        link = p.pop("link")
        if link:
            rules.append({"kind": "link", "value": link, "placement": p})
    with store.transaction():
        store.insert_rows(
            "campaigns",
            [
                {
                    "campaign_id": campaign_id, "name": spec.name, "brand": spec.brand, "plan_id": spec.plan,
                    "status": "active", "start_date": spec.start, "end_date": spec.end,
                    "body": json.dumps(doc, ensure_ascii=False), "created_at": now, "closed_at": None,
                }
            ],
            workspace=workspace,
        )  # fmt: skip
        store.insert_rows(
            "placements",
            [{**p, "campaign_id": campaign_id, "plan_id": spec.plan, "status": "booked"} for p in placements],
            workspace=workspace,
        )
        store.insert_rows(
            "tracking_rules",
            [
                {
                    "rule_id": f"{campaign_id}-r{k:03d}",
                    "campaign_id": campaign_id,
                    "kind": r["kind"],
                    "value": r["value"],
                    "language": r.get("language") or "*",
                    "market": None,
                    "placement_id": r["placement"]["placement_id"] if r.get("placement") else None,
                }
                for k, r in enumerate(rules, start=1)
            ],
            workspace=workspace,
        )
    return get_campaign(store, workspace, campaign_id)


def _placement_out(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    handles = _handles(store, rows)
    out = []
    for r in rows:
        handle = handles.get((r["platform"], r["creator_id"]))
        out.append(
            {
                "placement_id": r["placement_id"],
                "creator": f"{r['platform']}:{handle or r['creator_id'] or '[removed]'}",
                "platform": r["platform"],
                "creator_id": r["creator_id"],
                "market": r["market"],
                "deliverables": json.loads(r["deliverables"] or "[]"),
                "fee": r["fee"],
                "currency": r["currency"],
                "due_date": r["due_date"],
                "status": r["status"],
            }
        )
    return out


def get_campaign(store: Store, workspace: str, ref: str) -> dict[str, Any]:
    """A campaign with its placements and tracking rules."""
    row = resolve_campaign(store, workspace, ref)
    cid = row["campaign_id"]
    placements = scoped_rows(
        store, "placements", workspace, where="campaign_id = ?", params=[cid], order_by="placement_id"
    )
    rules = scoped_rows(store, "tracking_rules", workspace, where="campaign_id = ?", params=[cid], order_by="rule_id")
    body = row["body"]
    return {
        "campaign_id": cid,
        "name": row["name"],
        "brand": row["brand"],
        "plan_id": row["plan_id"],
        "status": row["status"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "currency": body.get("currency"),
        "budget": body.get("budget"),
        "markets": body.get("markets", []),
        "created_at": row["created_at"],
        "closed_at": row["closed_at"],
        "placements": _placement_out(store, placements),
        "rules": [{k: r[k] for k in ("rule_id", "kind", "value", "language", "placement_id")} for r in rules],
    }


def list_campaigns(store: Store, workspace: str) -> list[dict[str, Any]]:
    """Campaigns of ``workspace``, newest first, with placement counts and spend."""
    rows = store.raw.execute(
        "SELECT c.campaign_id, c.name, c.brand, c.status, c.start_date, c.end_date, "
        "count(p.placement_id) AS placements, sum(p.fee) AS fees, any_value(p.currency) AS currency "
        "FROM campaigns c LEFT JOIN placements p ON p.workspace_id = c.workspace_id AND p.campaign_id = c.campaign_id "
        "WHERE c.workspace_id = ? GROUP BY ALL ORDER BY c.start_date DESC, c.name",
        [workspace],
    ).fetchall()
    cols = ("campaign_id", "name", "brand", "status", "start_date", "end_date", "placements", "fees", "currency")
    return [dict(zip(cols, r, strict=True)) for r in rows]


def close_campaign(store: Store, workspace: str, ref: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Mark a campaign closed (tracking stops collecting new posts for it); idempotent."""
    row = resolve_campaign(store, workspace, ref)
    if row["status"] != "closed":
        store.raw.execute(
            "UPDATE campaigns SET status = 'closed', closed_at = ? WHERE workspace_id = ? AND campaign_id = ?",
            [now or utcnow(), workspace, row["campaign_id"]],
        )
    return get_campaign(store, workspace, row["campaign_id"])
