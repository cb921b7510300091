"""Campaign results: per post, creator, market and campaign — the document every report renders.

Definitions (also in the document's ``definitions`` and ``docs/tracking.md``):

* **Engagements** = likes + comments (+ shares + saves when ``er_include_shares_saves``); a hidden
  count is missing, not zero. **ER** = engagements / the creator's followers.
* **Reach** = the reach the platform reports for the post (``posts.extras.reach``) or the creator
  reports with a proof (``self-reported``); otherwise the forecast's reach model: followers × the
  reach rate of platform × tier × deliverable (``reference/reach_rates.csv``). **Impressions** =
  reported views (video) or impressions when given, else the modelled reach.
* **EMV** (earned media value, USD) = impressions / 1000 × CPM + engagements × CPE, with the
  platform's defaults from ``reference/cpm_emv.csv`` (sources there; override the file to use yours).
* **CPE** = fees / engagements and **CPM** = fees / impressions × 1000, in the campaign currency.
* **ROAS** = attributed revenue / fees (revenue converted to the campaign currency with the
  workspace's FX rates on the order date).
* **Forecast vs actual** — the saved plan's 80 % interval for the creator (and the plan) against
  what the delivered posts earned: ``inside``, ``below`` or ``above``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from microscout.config import Settings
from microscout.reference import load_table
from microscout.store import Store, utcnow
from microscout.tracking.campaigns import get_campaign
from microscout.tracking.perception import sentiment_rows, share_of_voice, themes
from microscout.tracking.sales import sales_rows
from microscout.tracking.status import deliverable_status

__all__ = ["DEFINITIONS", "campaign_results"]

DEFINITIONS = {
    "er": "Engagement rate = engagements / followers; engagements = likes + comments (+ shares + saves if configured). "
    "Hidden counts are missing, never zero.",
    "reach": "Reported reach when the platform (or the creator's proof) gives it; otherwise followers × the reach rate "
    "of platform × tier × deliverable (reference/reach_rates.csv, the forecast's model).",
    "emv": "Earned media value (USD) = impressions / 1000 × CPM + engagements × CPE, platform defaults from "
    "reference/cpm_emv.csv.",
    "cpe": "Cost per engagement = fees / engagements (campaign currency).",
    "cpm": "Cost per thousand impressions = fees / impressions × 1000 (campaign currency).",
    "roas": "Return on ad spend = attributed revenue / fees; orders attributed by promo code or tracking link.",
    "disclosure": "accepted: an accepted tag, phrase or platform label for the placement's market "
    "(reference/disclosure_tags.csv); ambiguous: only tags the guidance calls insufficient; missing: none.",
    "self_reported": "Figures a creator reported with an uploaded proof (screenshot or insights export): not "
    "collected from the platform, not verified by microscout.",
}
_METRICS = ("likes", "comments", "shares", "saves", "views")


def _engagements(row: dict[str, Any], with_shares: bool) -> int | None:
    parts = [row.get("likes"), row.get("comments")]
    if with_shares:
        parts += [row.get("shares"), row.get("saves")]
    known = [int(p) for p in parts if p is not None]
    return sum(known) if known else None


class _Reference:
    def __init__(self, settings: Settings | None) -> None:
        ref = settings.reference_dir if settings else None
        self.reach = {
            (r["platform"], r["tier"], r["deliverable"]): float(r["rate"])
            for r in load_table("reach_rates", reference_dir=ref).rows
        }
        self.emv = {
            r["platform"]: (float(r["cpm"]), None if r.get("cpe") in (None, "") else float(r["cpe"]))
            for r in load_table("cpm_emv", reference_dir=ref).rows
        }

    def reach_rate(self, platform: str, tier: str | None, kind: str | None) -> float | None:
        from microscout.cost.model import card_deliverable

        tier = "nano" if tier in (None, "sub_nano") else tier
        available = {d for (p, _t, d) in self.reach if p == platform}
        key = card_deliverable(platform, kind or "post", available)
        return self.reach.get((platform, str(tier), key or ""))

    def value(self, platform: str, impressions: float | None, engagements: int | None) -> float | None:
        if platform not in self.emv:
            return None
        cpm, cpe = self.emv[platform]
        total = (impressions or 0) / 1000 * cpm + (engagements or 0) * (cpe or 0)
        return round(total, 2)


def _post_rows(store: Store, workspace: str, cid: str) -> list[dict[str, Any]]:
    cur = store.raw.execute(
        "SELECT cp.platform, cp.post_id, cp.creator_id, cp.role, cp.placement_id, cp.deliverable_kind, cp.market, "
        "cp.language, cp.published_at, cp.disclosure, cp.disclosure_found, cp.on_time, "
        "coalesce(cp.self_reported, false) AS self_reported, cp.competitors, p.kind, p.caption, p.url, "
        "p.likes, p.comments, p.shares, p.saves, p.views, "
        "TRY_CAST(json_extract_string(p.extras, '$.reach') AS BIGINT) AS reported_reach, "
        "TRY_CAST(json_extract_string(p.extras, '$.impressions') AS BIGINT) AS reported_impressions, "
        "c.handle, c.followers, pr.tier, f.reported AS proof "
        "FROM campaign_posts cp LEFT JOIN posts p ON p.platform = cp.platform AND p.post_id = cp.post_id "
        "LEFT JOIN creators c ON c.platform = cp.platform AND c.creator_id = cp.creator_id "
        "LEFT JOIN creator_profiles pr ON pr.platform = cp.platform AND pr.creator_id = cp.creator_id "
        "LEFT JOIN proofs f ON cp.self_reported AND f.workspace_id = cp.workspace_id "
        "AND 'proof:' || f.proof_id = cp.post_id "
        "WHERE cp.workspace_id = ? AND cp.campaign_id = ? ORDER BY cp.published_at, cp.platform, cp.post_id",
        [workspace, cid],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _post_metrics(row: dict[str, Any], ref: _Reference, with_shares: bool) -> dict[str, Any]:
    if row["self_reported"] and row.get("proof"):
        reported = json.loads(row["proof"]) if isinstance(row["proof"], str) else dict(row["proof"])
        for k in _METRICS:
            row[k] = reported.get(k)
        row["reported_reach"] = reported.get("reach")
        row["reported_impressions"] = reported.get("impressions")
    followers = row.get("followers")
    engagements = _engagements(row, with_shares)
    kind = row.get("deliverable_kind") or row.get("kind")
    reach: float | None
    basis: str | None
    if row.get("reported_reach") is not None:
        reach, basis = float(row["reported_reach"]), "self-reported" if row["self_reported"] else "reported"
    else:
        rate = ref.reach_rate(row["platform"], row.get("tier"), kind)
        reach = followers * rate if followers and rate else None
        basis = "model" if reach is not None else None
    impressions = next((float(v) for v in (row.get("reported_impressions"), row.get("views")) if v is not None), reach)
    handle = row.get("handle") or row.get("creator_id") or "[removed]"
    return {
        "platform": row["platform"],
        "post_id": row["post_id"],
        "creator": f"{row['platform']}:{handle}",
        "creator_id": row["creator_id"],
        "role": row["role"],
        "placement_id": row["placement_id"],
        "deliverable_kind": row["deliverable_kind"],
        "market": row["market"],
        "language": row["language"],
        "published_at": row["published_at"].isoformat(timespec="seconds") if row["published_at"] else None,
        "caption": row.get("caption"),
        "url": row.get("url"),
        **{k: row.get(k) for k in _METRICS},
        "engagements": engagements,
        "er": round(engagements / followers, 5) if engagements is not None and followers else None,
        "reach": round(reach) if reach is not None else None,
        "reach_basis": basis,
        "impressions": round(impressions) if impressions is not None else None,
        "emv": ref.value(row["platform"], impressions, engagements),
        "disclosure": row["disclosure"],
        "disclosure_found": (json.loads(row["disclosure_found"]) or {}).get("found", [])
        if row.get("disclosure_found")
        else [],
        "on_time": row["on_time"],
        "self_reported": bool(row["self_reported"]),
        "competitors": list(row.get("competitors") or []),
        "_accepted": (json.loads(row["disclosure_found"]) or {}).get("accepted_options", [])
        if row.get("disclosure_found")
        else [],
    }


def _ratio(num: float | None, den: float | None, scale: float = 1.0) -> float | None:
    return round(num / den * scale, 4) if num is not None and den else None


def _verdict(actual: float, low: Any, high: Any) -> str:
    if low is None or high is None:
        return "no forecast"
    return "below" if actual < float(low) else "above" if actual > float(high) else "inside"


def _plan_forecast(
    store: Store, workspace: str, plan_id: str | None
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    if not plan_id:
        return {}, {}
    rows = store.raw.execute(
        "SELECT body FROM plans WHERE workspace_id = ? AND plan_id = ?", [workspace, plan_id]
    ).fetchall()
    if not rows or not rows[0][0]:
        return {}, {}
    body = json.loads(rows[0][0])
    per = {(c["platform"], c["creator_id"]): c for c in body.get("creators", [])}
    return body.get("forecast") or {}, per


def _sum(values: list[Any]) -> float:
    return float(sum(v for v in values if v is not None))


def campaign_results(
    store: Store,
    workspace: str,
    campaign_ref: str,
    *,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The results document of a campaign (see the module doc for every definition)."""
    now = now or utcnow()
    campaign = get_campaign(store, workspace, campaign_ref)
    cid, currency = campaign["campaign_id"], campaign["currency"] or "EUR"
    ref = _Reference(settings)
    with_shares = bool(settings.er_include_shares_saves) if settings else False
    posts = [_post_metrics(r, ref, with_shares) for r in _post_rows(store, workspace, cid)]
    slots = deliverable_status(store, workspace, cid, now=now)
    placements = {p["placement_id"]: p for p in campaign["placements"]}
    plan_totals, plan_creators = _plan_forecast(store, workspace, campaign["plan_id"])
    sales = sales_rows(store, workspace, cid, currency=currency)
    deliverables = [p for p in posts if p["role"] == "deliverable"]
    ugc = [p for p in posts if p["role"] == "ugc"]
    creators = _creator_rows(campaign, deliverables, slots, plan_creators, sales)
    markets = _market_rows(campaign, creators, deliverables, ugc, sales)
    sentiment = sentiment_rows(store, workspace, cid)
    for m in markets:
        s = next((x for x in sentiment["by_market"] if x["market"] == m["market"]), None)
        m.update({k: (s or {}).get(k) for k in ("positive", "neutral", "negative")})
        m["net_sentiment"] = (s or {}).get("net")
    sov = share_of_voice(store, workspace, cid, campaign["brand"])
    for m in markets:
        m["share_of_voice"] = next(
            (x["share"] for x in sov if x["market"] == m["market"] and x["brand"] == campaign["brand"]), None
        )
    exclude = {str(r["value"]).lower() for r in campaign["rules"]} | set(campaign["brand"].lower().split())
    spend = sum((Decimal(str(p["fee"])) for p in campaign["placements"] if p["fee"] is not None), Decimal(0))
    eng = _sum([p["engagements"] for p in deliverables])
    imp = _sum([p["impressions"] for p in deliverables])
    reach = _sum([p["reach"] for p in deliverables])
    revenue = sum((Decimal(s["revenue"]) for s in sales["by_key"] if s["revenue"] is not None), Decimal(0))
    orders = sum(int(s["orders"]) for s in sales["by_key"])
    counts: dict[str, int] = defaultdict(int)
    for s in slots:
        counts[s["status"]] += 1
    summary = {
        "placements": len(campaign["placements"]),
        "deliverables_expected": sum(1 for s in slots if s["status"] != "extra"),
        "deliverables_delivered": counts["delivered"] + counts["late"],
        "late": counts["late"],
        "missing": counts["missing"],
        "pending": counts["pending"],
        "disclosure_accepted": sum(1 for p in deliverables if p["disclosure"] == "accepted"),
        "disclosure_issues": sum(1 for p in deliverables if p["disclosure"] in ("missing", "ambiguous")),
        "engagements": int(eng),
        "views": int(_sum([p["views"] for p in deliverables])) if any(p["views"] for p in deliverables) else None,
        "reach": int(reach),
        "impressions": int(imp),
        "emv": round(_sum([p["emv"] for p in deliverables]), 2),
        "emv_currency": "USD",
        "spend": str(spend),
        "currency": currency,
        "cpe": _ratio(float(spend), eng),
        "cpm": _ratio(float(spend), imp, 1000),
        "ugc_posts": len(ugc),
        "ugc_creators": len({(p["platform"], p["creator_id"]) for p in ugc}),
        "ugc_reach": int(_sum([p["reach"] for p in ugc])),
        "competitor_posts": sum(1 for p in posts if p["role"] == "competitor"),
        "revenue": str(revenue) if sales["by_key"] else None,
        "orders": orders,
        "roas": _ratio(float(revenue), float(spend)) if sales["by_key"] else None,
        "self_reported_posts": sum(1 for p in deliverables if p["self_reported"]),
        "forecast": {
            key: {
                "low": (plan_totals.get(key) or {}).get("low"),
                "high": (plan_totals.get(key) or {}).get("high"),
                "actual": actual,
                "verdict": _verdict(
                    actual, (plan_totals.get(key) or {}).get("low"), (plan_totals.get(key) or {}).get("high")
                ),
            }
            for key, actual in (("engagements", eng), ("reach", reach))
        },
    }
    return {
        "campaign": {
            "campaign_id": cid,
            "name": campaign["name"],
            "brand": campaign["brand"],
            "status": campaign["status"],
            "start_date": str(campaign["start_date"]),
            "end_date": str(campaign["end_date"]) if campaign["end_date"] else None,
            "currency": currency,
            "plan_id": campaign["plan_id"],
            "markets": campaign["markets"],
            "competitors": [r["value"] for r in campaign["rules"] if r["kind"] == "competitor"],
            "budget": campaign["budget"],
        },
        "generated_at": now.replace(microsecond=0).isoformat() + "Z",
        "summary": summary,
        "posts": [{k: v for k, v in p.items() if not k.startswith("_")} for p in posts],
        "creators": creators,
        "markets": markets,
        "deliverables": _deliverable_rows(slots, placements),
        "disclosure": [
            {
                "creator": p["creator"],
                "market": p["market"],
                "post_id": p["post_id"],
                "status": p["disclosure"],
                "found": p["disclosure_found"],
                "accepted_options": p["_accepted"],
                "caption": p["caption"],
            }
            for p in deliverables
            if p["disclosure"] in ("missing", "ambiguous")
        ],
        "ugc_timeline": _ugc_timeline(ugc),
        "word_of_mouth": _word_of_mouth(store, workspace, cid, posts),
        "sentiment_timeline": sentiment["timeline"],
        "sentiment_by_language": sentiment["by_language"],
        "share_of_voice": sov,
        "themes": themes(store, workspace, cid, exclude=exclude),
        "sales": sales["by_key"],
        "notes": _notes(summary, sales, campaign),
        "definitions": DEFINITIONS,
    }


def _creator_rows(
    campaign: dict[str, Any],
    deliverables: list[dict[str, Any]],
    slots: list[dict[str, Any]],
    plan_creators: dict[tuple[str, str], Any],
    sales: dict[str, Any],
) -> list[dict[str, Any]]:
    out = []
    for p in campaign["placements"]:
        mine = [d for d in deliverables if d["placement_id"] == p["placement_id"]]
        own_slots = [s for s in slots if s["placement_id"] == p["placement_id"] and s["status"] != "extra"]
        eng = _sum([d["engagements"] for d in mine])
        imp = _sum([d["impressions"] for d in mine])
        fee = float(p["fee"]) if p["fee"] is not None else None
        fc = plan_creators.get((p["platform"], p["creator_id"])) or {}
        sold = sales["by_placement"].get(p["placement_id"], {"revenue": None, "orders": 0})
        out.append(
            {
                "creator": p["creator"],
                "platform": p["platform"],
                "creator_id": p["creator_id"],
                "market": p["market"],
                "fee": str(p["fee"]) if p["fee"] is not None else None,
                "currency": p["currency"],
                "deliverables_expected": len(own_slots),
                "deliverables_delivered": sum(1 for s in own_slots if s["status"] in ("delivered", "late")),
                "late": sum(1 for s in own_slots if s["status"] == "late"),
                "missing": sum(1 for s in own_slots if s["status"] == "missing"),
                "engagements": int(eng),
                "er": round(sum(d["er"] or 0 for d in mine) / len(mine), 5) if mine else None,
                "reach": int(_sum([d["reach"] for d in mine])),
                "impressions": int(imp),
                "emv": round(_sum([d["emv"] for d in mine]), 2),
                "cpe": _ratio(fee, eng),
                "cpm": _ratio(fee, imp, 1000),
                "forecast_low": fc.get("engagements_low"),
                "forecast_high": fc.get("engagements_high"),
                "verdict": _verdict(eng, fc.get("engagements_low"), fc.get("engagements_high")) if mine else "pending",
                "revenue": sold["revenue"],
                "orders": sold["orders"],
                "roas": _ratio(float(sold["revenue"]), fee) if sold["revenue"] is not None else None,
                "disclosure_issues": sum(1 for d in mine if d["disclosure"] in ("missing", "ambiguous")),
                "self_reported": any(d["self_reported"] for d in mine),
            }
        )
    return out


def _market_rows(
    campaign: dict[str, Any],
    creators: list[dict[str, Any]],
    deliverables: list[dict[str, Any]],
    ugc: list[dict[str, Any]],
    sales: dict[str, Any],
) -> list[dict[str, Any]]:
    markets = sorted({c["market"] for c in creators if c["market"]} | set(campaign["markets"]))
    out = []
    for m in markets:
        cs = [c for c in creators if c["market"] == m]
        ds = [d for d in deliverables if d["market"] == m]
        us = [u for u in ugc if u["market"] == m]
        spend = _sum([float(c["fee"]) for c in cs if c["fee"] is not None])
        eng, imp = _sum([d["engagements"] for d in ds]), _sum([d["impressions"] for d in ds])
        sold = sales["by_market"].get(m, {"revenue": None, "orders": 0})
        out.append(
            {
                "market": m,
                "creators": len(cs),
                "deliverables": len(ds),
                "engagements": int(eng),
                "reach": int(_sum([d["reach"] for d in ds])),
                "emv": round(_sum([d["emv"] for d in ds]), 2),
                "spend": f"{spend:.2f}",
                "cpe": _ratio(spend, eng),
                "cpm": _ratio(spend, imp, 1000),
                "ugc_posts": len(us),
                "ugc_reach": int(_sum([u["reach"] for u in us])),
                "revenue": sold["revenue"],
                "orders": sold["orders"],
                "roas": _ratio(float(sold["revenue"]), spend) if sold["revenue"] is not None else None,
            }
        )
    return out


def _deliverable_rows(slots: list[dict[str, Any]], placements: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "placement_id": s["placement_id"],
            "creator": placements.get(s["placement_id"], {}).get("creator"),
            "market": s["market"],
            "kind": s["kind"],
            "due_date": str(s["due_date"]) if s["due_date"] else None,
            "status": s["status"],
            "post_id": s["post_id"],
            "published_at": s["published_at"].isoformat(timespec="seconds") if s["published_at"] else None,
            "disclosure": s["disclosure"],
            "self_reported": s["self_reported"],
        }
        for s in slots
    ]


def _ugc_timeline(ugc: list[dict[str, Any]]) -> list[dict[str, Any]]:
    days: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for u in ugc:
        if u["published_at"]:
            cell = days[(u["published_at"][:10], u["market"] or "?")]
            cell[0] += 1
            cell[1] += u["reach"] or 0
    return [{"date": d, "market": m, "posts": int(v[0]), "reach": int(v[1])} for (d, m), v in sorted(days.items())]


def _word_of_mouth(store: Store, workspace: str, cid: str, posts: list[dict[str, Any]]) -> dict[str, Any]:
    rows = store.raw.execute(
        "SELECT cp.platform, cp.post_id, count(*) FILTER (WHERE o.reply_to = cp.post_id), "
        "count(*) FILTER (WHERE o.quote_of = cp.post_id), count(*) FILTER (WHERE o.repost_of = cp.post_id) "
        "FROM campaign_posts cp JOIN posts o ON o.platform = cp.platform "
        "AND (o.reply_to = cp.post_id OR o.quote_of = cp.post_id OR o.repost_of = cp.post_id) "
        "WHERE cp.workspace_id = ? AND cp.campaign_id = ? GROUP BY ALL ORDER BY 3 + 4 + 5 DESC",
        [workspace, cid],
    ).fetchall()
    creator = {(p["platform"], p["post_id"]): p["creator"] for p in posts}
    by_post = [
        {"post_id": pid, "creator": creator.get((plat, pid)), "replies": a, "quotes": b, "reposts": c}
        for plat, pid, a, b, c in rows
    ]
    return {
        "replies": sum(r["replies"] for r in by_post),
        "quotes": sum(r["quotes"] for r in by_post),
        "reposts": sum(r["reposts"] for r in by_post),
        "by_post": by_post[:50],
    }


def _notes(summary: dict[str, Any], sales: dict[str, Any], campaign: dict[str, Any]) -> list[str]:
    notes = list(sales["notes"])
    if summary["self_reported_posts"]:
        notes.append(
            f"{summary['self_reported_posts']} deliverable(s) rest on figures the creator reported with a proof "
            "(self-reported, not collected from the platform)."
        )
    if not campaign["plan_id"]:
        notes.append("No saved plan: forecast vs actual is not available.")
    if summary["missing"]:
        notes.append(f"{summary['missing']} deliverable(s) are missing past their due date.")
    return notes
