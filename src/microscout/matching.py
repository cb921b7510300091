"""Brief → ranked shortlist with reasons.

The score is a weighted sum of named components, each in 0..1 and shown with its value and a
one-line reason. A component whose signal is not computed yet (authenticity before the
authenticity model has run) is reported as such and its weight is spread over the others,
never guessed.

Components (first version):
* **topic** — share of the creator's recent posts that use hashtags of the brief's niches
  (taxonomy hashtags in every language);
* **market** — declared country in a target market (1.0), else a target language (0.5);
* **engagement** — percentile of the posterior ER/F (shrunk toward the platform × tier prior, so a
  few lucky posts do not win) among creators of the same platform and tier;
* **authenticity** — Audience Quality Score (not computed yet in this version);
* **cost** — expected engagements per USD from the reference rate cards, as a percentile
  among the candidates.
A creator who mentions a competitor in recent posts loses 20 % of the score (flagged).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from microscout.brief import Brief
from microscout.reference import load_table
from microscout.store import Store, utcnow

COMPETITOR_PENALTY = 0.2
RECENT_POSTS = 30

# brief deliverable kind → the rate-card deliverable of each platform
DELIVERABLE_BY_PLATFORM: dict[str, dict[str, str]] = {
    "instagram": {"video": "reel", "short": "reel", "tweet": "post", "live": "reel", "carousel": "post"},
    "tiktok": {
        "post": "video",
        "reel": "video",
        "short": "video",
        "story": "video",
        "carousel": "video",
        "tweet": "video",
        "live": "video",
    },
    "youtube": {
        "post": "video",
        "reel": "short",
        "story": "short",
        "carousel": "video",
        "tweet": "short",
        "live": "video",
    },
    "x": {
        "post": "tweet",
        "reel": "tweet",
        "story": "tweet",
        "video": "tweet",
        "short": "tweet",
        "carousel": "tweet",
        "live": "tweet",
    },
    "bluesky": {
        "reel": "post",
        "story": "post",
        "video": "post",
        "short": "post",
        "tweet": "post",
        "carousel": "post",
        "live": "post",
    },
}


@dataclass
class SearchResult:
    """A ranked shortlist, the weights used and what could not be computed."""

    search_id: str
    rows: list[dict[str, Any]]
    weights: dict[str, float]
    notes: list[str] = field(default_factory=list)
    candidates: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "search_id": self.search_id,
            "weights": self.weights,
            "notes": self.notes,
            "candidates": self.candidates,
            "results": self.rows,
        }


def _niche_tags(brief: Brief, store: Store) -> set[str]:
    niches = {n["id"]: n for n in load_table("niches", reference_dir=store.settings.reference_dir).rows}
    tags: set[str] = set()
    for niche in brief.niches:
        for words in niches[niche]["hashtags"].values():
            tags.update(w.lower().lstrip("#") for w in words)
    return tags


def _prices_usd(store: Store) -> tuple[dict[tuple[str, str, str], float], dict[str, float]]:
    ref = store.settings.reference_dir
    cards: dict[tuple[str, str, str], float] = {}
    for r in load_table("rate_cards", reference_dir=ref).rows:
        if r.get("primary", 1) in (1, None):
            cards[(r["platform"], r["tier"], r["deliverable"])] = (float(r["low"]) + float(r["high"])) / 2
    multipliers = {
        r["country"]: float(r["multiplier"]) for r in load_table("market_multipliers", reference_dir=ref).rows
    }
    return cards, multipliers


def _package_price(
    brief: Brief,
    platform: str,
    tier: str,
    country: str | None,
    cards: dict[tuple[str, str, str], float],
    multipliers: dict[str, float],
) -> float | None:
    total = 0.0
    mapping = DELIVERABLE_BY_PLATFORM.get(platform, {})
    for d in brief.deliverables:
        kind = d.kind if (platform, tier, d.kind) in cards else mapping.get(d.kind, d.kind)
        price = cards.get((platform, tier, kind))
        if price is None:
            return None
        total += price * d.count
    return total * multipliers.get(country or "", 1.0)


def candidates_expr(store: Store, brief: Brief) -> ibis.Table:
    """Creators passing the brief's hard filters, with their profile (percentiles, posterior ER)."""
    creators = store.table("creators")
    profiles = store.table("creator_profiles")
    base = creators.join(profiles.drop("followers", "extras"), ["platform", "creator_id"])
    base = base.select(
        "platform", "creator_id", "handle", "display_name", "declared_country", "declared_language",
        "followers", "tier", "er_followers", "er_followers_mean", "er_views", "posts_in_window",
        "er_posterior", "er_low", "er_high", "er_percentile", "er_posterior_percentile", "peer_count",
    )  # fmt: skip
    base = base.filter(
        base.platform.isin(list(brief.platforms)),
        base.followers >= brief.followers.min,
        base.followers <= brief.followers.max,
    )
    languages = sorted({lang for m in brief.markets for lang in m.languages})
    countries = [m.country for m in brief.markets]
    if brief.content_language_required:
        base = base.filter(base.declared_language.isin(languages))
    else:
        base = base.filter(base.declared_country.isin(countries) | base.declared_language.isin(languages))
    excluded = [ref.split(":", 1) for ref in brief.exclude_creators]
    for platform, handle in excluded:
        base = base.filter(~((base.platform == platform) & (base.handle.lower() == handle.lower())))
    return base


def _post_evidence(store: Store, cands: ibis.Table, tags: set[str], competitors: list[str]) -> pd.DataFrame:
    posts = store.table("posts").filter(lambda p: p.kind.isnull() | (p.kind != "story"))
    posts = posts.semi_join(cands.select("platform", "creator_id"), ["platform", "creator_id"])
    posts = posts.mutate(
        _rn=ibis.row_number().over(group_by=[posts.platform, posts.creator_id], order_by=posts.published_at.desc())
    )
    recent = posts.filter(posts._rn < RECENT_POSTS)
    tag_list = sorted(tags) or ["\x00"]
    on_topic = recent.hashtags.map(lambda h: h.lower()).filter(lambda h: h.isin(tag_list)).length() > 0
    text = recent.caption.fill_null("").lower()
    mentions = [text.contains(c.lower()) for c in competitors]
    any_mention = ibis.or_(*mentions) if mentions else ibis.literal(False)
    agg = recent.group_by(["platform", "creator_id"]).aggregate(
        recent_posts=recent.count(),
        on_topic_posts=on_topic.fill_null(False).cast("int64").sum(),
        competitor_posts=any_mention.cast("int64").sum(),
    )
    return agg.to_pandas()


def search(
    store: Store,
    brief: Brief,
    *,
    workspace: str,
    limit: int = 50,
    save: bool = True,
    now: dt.datetime | None = None,
) -> SearchResult:
    """Rank creators for ``brief``; save the brief and the shortlist in ``workspace``."""
    weights = brief.normalised_weights()
    notes: list[str] = []
    cands = candidates_expr(store, brief)
    frame = cands.to_pandas()
    search_id = uuid.uuid4().hex[:12]
    if frame.empty:
        return SearchResult(search_id, [], weights, ["no creator passed the brief's filters"], 0)
    evidence = _post_evidence(store, cands, _niche_tags(brief, store), list(brief.competitors))
    frame = frame.merge(evidence, on=["platform", "creator_id"], how="left")
    cards, multipliers = _prices_usd(store)
    market_by_country = {m.country: m for m in brief.markets}

    def market_of(row: pd.Series) -> tuple[str | None, float, str]:
        if row.declared_country in market_by_country:
            return row.declared_country, 1.0, f"declared country {row.declared_country} is a target market"
        for m in brief.markets:
            if row.declared_language in m.languages:
                return (
                    m.country,
                    0.5,
                    (
                        f"posts in {row.declared_language}, a language of {m.country}; "
                        f"declared country {row.declared_country or 'unknown'}"
                    ),
                )
        return None, 0.0, "neither country nor language matches a target market"

    rows: list[dict[str, Any]] = []
    for row in frame.itertuples(index=False):
        market, market_score, market_reason = market_of(row)
        recent = int(row.recent_posts) if pd.notna(row.recent_posts) else 0
        on_topic = int(row.on_topic_posts) if pd.notna(row.on_topic_posts) else 0
        topic = on_topic / recent if recent else 0.0
        price = _package_price(brief, row.platform, row.tier, row.declared_country, cards, multipliers)
        eng_expected = (row.er_followers * row.followers) if pd.notna(row.er_followers) else None
        per_usd = (
            (eng_expected * sum(d.count for d in brief.deliverables) / price) if (price and eng_expected) else None
        )
        rows.append(
            {
                "platform": row.platform,
                "creator_id": row.creator_id,
                "handle": row.handle,
                "creator": f"{row.platform}:{row.handle}",
                "display_name": row.display_name,
                "country": row.declared_country,
                "language": row.declared_language,
                "market": market,
                "tier": row.tier,
                "followers": int(row.followers),
                "er": None if pd.isna(row.er_followers) else float(row.er_followers),
                "er_low": None if pd.isna(row.er_low) else float(row.er_low),
                "er_high": None if pd.isna(row.er_high) else float(row.er_high),
                "_topic": (
                    topic,
                    f"{on_topic} of {recent} recent posts use {'/'.join(brief.niches) or 'niche'} hashtags"
                    if brief.niches
                    else "brief names no niches",
                ),
                "_market": (market_score, market_reason),
                "_engagement": (
                    None if pd.isna(row.er_posterior_percentile) else float(row.er_posterior_percentile),
                    _engagement_reason(row),
                ),
                "_per_usd": per_usd,
                "_price": price,
                "_competitor_posts": int(row.competitor_posts) if pd.notna(row.competitor_posts) else 0,
            }
        )
    per_usd_values = pd.Series([r["_per_usd"] for r in rows], dtype="float64")
    cost_pct = per_usd_values.rank(pct=True)
    available = {"topic": bool(brief.niches), "market": True, "engagement": True, "authenticity": False, "cost": True}
    notes.append(
        "authenticity: Audience Quality Score not computed yet; its weight is spread over the other components"
    )
    if brief.min_quality is not None:
        notes.append(f"min_quality {brief.min_quality:g} not applied: no Audience Quality Score yet")
    if not brief.niches:
        notes.append("topic: the brief names no niches; its weight is spread over the others")
    used = {k: w for k, w in weights.items() if available[k]}
    total_w = sum(used.values()) or 1.0
    effective = {k: w / total_w for k, w in used.items()}
    for i, r in enumerate(rows):
        comps = []
        score = 0.0
        values = {
            "topic": r.pop("_topic"),
            "market": r.pop("_market"),
            "engagement": r.pop("_engagement"),
            "authenticity": (None, "not computed yet (needs the audience authenticity model)"),
            "cost": (
                None if pd.isna(cost_pct.iloc[i]) else float(cost_pct.iloc[i]),
                _cost_reason(r.pop("_per_usd"), r.pop("_price")),
            ),
        }
        for name, (value, reason) in values.items():
            w = effective.get(name, 0.0)
            contribution = 100 * (value or 0.0) * w  # points of the 0-100 score
            score += contribution
            comps.append(
                {
                    "name": name,
                    "value": value,
                    "weight": round(weights[name], 4),
                    "effective_weight": round(w, 4),
                    "contribution": round(contribution, 2),
                    "reason": reason,
                }
            )
        flags = []
        competitor_posts = r.pop("_competitor_posts")
        if competitor_posts:
            score *= 1 - COMPETITOR_PENALTY
            flags.append(f"mentions a competitor in {competitor_posts} recent post(s): score −20 %")
        r["score"] = round(score, 1)
        r["components"] = comps
        r["flags"] = flags
    rows.sort(key=lambda r: (-r["score"], r["creator"]))
    shortlist = rows[:limit]
    for rank, r in enumerate(shortlist, start=1):
        r["rank"] = rank
    result = SearchResult(search_id, shortlist, weights, notes, len(rows))
    if save:
        _save(store, brief, result, workspace, now or utcnow())
    return result


def _engagement_reason(row: Any) -> str:
    if pd.isna(row.er_posterior):
        return "no engagement data in recent posts"
    text = (
        f"ER {100 * row.er_posterior:.2f}% (90% interval {100 * row.er_low:.2f}–{100 * row.er_high:.2f}%, "
        f"from {int(row.posts_in_window)} posts)"
    )
    if not pd.isna(row.er_posterior_percentile):
        text += (
            f" — {_ordinal(round(100 * row.er_posterior_percentile))} percentile of "
            f"{int(row.peer_count)} {row.platform} {row.tier} creators"
        )
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cost_reason(per_usd: float | None, price: float | None) -> str:
    if price is None:
        return "no rate card for this platform, tier and deliverables"
    if per_usd is None:
        return f"≈ ${price:,.0f} for the deliverables; no engagement data"
    return f"≈ ${price:,.0f} for the deliverables (rate card) → {per_usd:.1f} engagements per $"


def _save(store: Store, brief: Brief, result: SearchResult, workspace: str, now: dt.datetime) -> None:
    body = brief.to_dict()
    brief_id = uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(body, sort_keys=True)).hex[:12]
    with store.transaction():
        store.insert_rows(
            "briefs",
            [
                {
                    "brief_id": brief_id,
                    "name": brief.brand,
                    "brand": brief.brand,
                    "body": json.dumps(body),
                    "created_at": now,
                }
            ],
            workspace=workspace,
        )
        store.insert_rows(
            "search_results",
            [
                {
                    "search_id": result.search_id,
                    "brief_id": brief_id,
                    "rank": r["rank"],
                    "platform": r["platform"],
                    "creator_id": r["creator_id"],
                    "score": r["score"],
                    "components": json.dumps(r["components"], ensure_ascii=False),
                    "weights": json.dumps(result.weights),
                    "created_at": now,
                }
                for r in result.rows
            ],
            workspace=workspace,
        )
