"""Brief → ranked shortlist with reasons, scored inside the engine.

The score (0-100) is a weighted sum of named components, each in 0..1 and shown with its value,
its weight and a one-line reason; weights come from the brief (or the defaults) and are saved
with every result. Filters and scores are one Ibis expression, so only the top ``limit`` rows
ever reach Python (where the reasons are written).

* **topic** — the creator's best niche score among the brief's niches (``creator_niche_scores``,
  from captions and hashtags with keyword evidence and multilingual embeddings; text stage);
  with ``--like`` the cosine similarity of the two creators' niche-score vectors; for a brief that
  names no niches, the creator's niche scores weighted by the niches the brief's description reads
  as (the same classifier — keywords and multilingual embeddings — on the description, up to three
  niches scoring ≥ 0.15, weights summing to 1), said in the notes;
* **market** — 0.5 if the inferred home market (the declared country until markets are inferred)
  is a target market, + 0.3 × the audience share in the target markets (``creator_markets``),
  + 0.2 if the main caption language (else the declared one) is a language of a target market;
* **engagement** — percentile of the posterior ER (shrunk toward the platform × tier prior) among
  creators of the same platform and tier;
* **authenticity** — Audience Quality Score / 100;
* **cost** — expected authentic engagements (posterior ER × followers × (1 − suspicious share)
  per deliverable) per USD of the rate-card package price, as a percentile among the candidates.

A component nobody has (e.g. no AQS computed anywhere yet) is reported as not computed and its
weight is spread over the others; a creator lacking a component others have scores 0 there, with
the reason. Penalties: brand-unsafe posts cost up to 50 % of the score (2 × the unsafe share), a
competitor mentioned in recent posts 20 %; both are flagged with the evidence.
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
from microscout.errors import InvalidInputError
from microscout.metrics.joins import attach
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


PROFILE_COLUMNS = (
    "tier", "er_followers", "er_views", "posts_in_window", "er_posterior", "er_low", "er_high",
    "er_posterior_percentile", "peer_count", "aqs", "aqs_low", "aqs_high", "suspicious_share", "home_market",
    "home_market_confidence", "content_language", "unsafe_post_share", "unsafe_posts", "safety_categories",
)  # fmt: skip
UNSAFE_PENALTY_MAX = 0.5
# flag a creator whose AQS is within this many points above the brief's minimum and whose interval
# reaches below it (small follower samples give most creators wide intervals: flag only the close calls)
BORDERLINE_AQS = 10.0


def candidates_expr(store: Store, brief: Brief) -> ibis.Table:
    """Creators passing the brief's hard filters, with their profile and target-audience share."""
    creators = store.table("creators")
    profiles = store.table("creator_profiles").select("platform", "creator_id", *PROFILE_COLUMNS)
    base = creators.select(
        "platform", "creator_id", "handle", "display_name", "declared_country", "declared_language", "followers"
    ).join(profiles, ["platform", "creator_id"])
    base = base.filter(
        base.platform.isin(list(brief.platforms)),
        base.followers >= brief.followers.min,
        base.followers <= brief.followers.max,
    )
    countries = [m.country for m in brief.markets]
    languages = sorted({lang for m in brief.markets for lang in m.languages})
    markets = store.table("creator_markets")
    aud = markets.filter((markets.kind == "audience") & markets.country.isin(countries))
    aud = aud.group_by(["platform", "creator_id"]).aggregate(target_audience=aud.share.sum())
    base = attach(base, aud, ["platform", "creator_id"])
    language = base.content_language.fill_null(base.declared_language)
    country = base.home_market.fill_null(base.declared_country)
    in_market = country.isin(countries) | (base.target_audience.fill_null(0.0) >= 0.5)
    if brief.content_language_required:
        base = base.filter(in_market & language.isin(languages))
    else:
        base = base.filter(in_market | language.isin(languages))
    if brief.min_quality is not None:
        base = base.filter(base.aqs.isnull() | (base.aqs >= brief.min_quality))
    for ref in brief.exclude_creators:
        platform, handle = ref.split(":", 1)
        base = base.filter(~((base.platform == platform) & (base.handle.lower() == handle.lower().lstrip("@"))))
    return base.mutate(market_country=country, main_language=language)


def _topic(
    store: Store, brief: Brief, like: tuple[str, str] | None, described: dict[str, float] | None = None
) -> ibis.Table | None:
    """platform, creator_id, topic (0..1): best brief-niche score, similarity to ``like``, or — for a
    brief without niches — the creator's niche scores weighted by the niches its description reads
    as (``described``, :func:`description_niches`)."""
    scores = store.table("creator_niche_scores")
    if like is not None:
        seed = scores.filter((scores.platform == like[0]) & (scores.creator_id == like[1]))
        seed = seed.select("niche", _s="score")
        j = scores.join(seed, "niche")
        sim = j.group_by(["platform", "creator_id"]).aggregate(
            _dot=(j.score * j._s).sum(), _a=(j.score * j.score).sum(), _b=(j._s * j._s).sum()
        )
        return sim.select(
            "platform",
            "creator_id",
            topic=((sim._a > 0) & (sim._b > 0)).ifelse(sim._dot / (sim._a.sqrt() * sim._b.sqrt()), 0.0),
        )
    if not brief.niches:
        if not described:
            return None
        w = ibis.memtable({"niche": list(described), "_w": list(described.values())})
        j = scores.join(w, "niche")
        return j.group_by(["platform", "creator_id"]).aggregate(topic=(j.score * j._w).sum().clip(0.0, 1.0))
    chosen = scores.filter(scores.niche.isin(list(brief.niches)))
    return chosen.group_by(["platform", "creator_id"]).aggregate(topic=chosen.score.max().clip(0.0, 1.0))


DESCRIPTION_NICHES = 3
DESCRIPTION_MIN_SCORE = 0.15


def description_niches(brief: Brief, reference_dir: Any = None) -> dict[str, float]:
    """For a brief that names no niches: the niches its description reads as (the niche classifier —
    keywords plus multilingual embeddings — on the description), up to three scoring at least 0.15,
    as weights summing to 1. Empty when the description points to no niche."""
    from microscout.text.niche import classify_texts

    scores = classify_texts([brief.description], reference_dir=reference_dir)[0]
    top = sorted(((v, n) for n, v in scores.items() if v >= DESCRIPTION_MIN_SCORE), reverse=True)[:DESCRIPTION_NICHES]
    total = sum(v for v, _n in top)
    return {n: round(v / total, 4) for v, n in top} if total > 0 else {}


def _competitors(store: Store, cands: ibis.Table, competitors: list[str]) -> ibis.Table | None:
    if not competitors:
        return None
    posts = store.table("posts").semi_join(cands.select("platform", "creator_id"), ["platform", "creator_id"])
    posts = posts.mutate(
        _rn=ibis.row_number().over(group_by=[posts.platform, posts.creator_id], order_by=posts.published_at.desc())
    )
    recent = posts.filter(posts._rn < RECENT_POSTS)
    text = recent.caption.fill_null("").lower()
    mention = ibis.or_(*[text.contains(c.lower()) for c in competitors])
    return recent.group_by(["platform", "creator_id"]).aggregate(competitor_posts=mention.cast("int64").sum())


def _price_table(store: Store, brief: Brief) -> ibis.Table:
    """platform, tier, market_country, price_usd of the brief's deliverables (rate cards × market)."""
    cards, multipliers = _prices_usd(store)
    rows: dict[str, list[Any]] = {"platform": [], "tier": [], "market_country": [], "price_usd": []}
    tiers = {t for (_, t, _) in cards}
    for platform in brief.platforms:
        for tier in tiers:
            for country in [*multipliers, None]:
                price = _package_price(brief, platform, tier, country, cards, multipliers)
                if price is not None:
                    rows["platform"].append(platform)
                    rows["tier"].append(tier)
                    rows["market_country"].append(country)
                    rows["price_usd"].append(price)
    return ibis.memtable(
        pd.DataFrame(rows).astype({"platform": str, "tier": str, "market_country": object, "price_usd": float})
    )


def scored_expr(
    store: Store, brief: Brief, *, like: tuple[str, str] | None = None
) -> tuple[ibis.Table, dict[str, float], list[str]]:
    """(candidates with components and score, effective weights, notes) — all inside the engine."""
    weights = brief.normalised_weights()
    notes: list[str] = []
    cands = candidates_expr(store, brief)
    keys = ["platform", "creator_id"]
    described = description_niches(brief, store.settings.reference_dir) if not brief.niches and not like else {}
    if described:
        shares = ", ".join(f"{n} {100 * w:.0f} %" for n, w in described.items())
        notes.append(f"topic: the brief names no niches; its description reads as {shares} (keywords and embeddings)")
    topic = _topic(store, brief, like, described)
    if topic is not None:
        cands = attach(cands, topic, keys)
    comp = _competitors(store, cands, list(brief.competitors))
    if comp is not None:
        cands = attach(cands, comp, keys)
    prices = _price_table(store, brief)
    j = cands.left_join(
        prices,
        [
            cands.platform == prices.platform,
            cands.tier == prices.tier,
            cands.market_country.fill_null("") == prices.market_country.fill_null(""),
        ],
    )
    cands = j.select(*[j[c] for c in cands.columns], price_usd=j.price_usd)
    countries = [m.country for m in brief.markets]
    languages = sorted({lang for m in brief.markets for lang in m.languages})
    deliverables = sum(d.count for d in brief.deliverables)
    authentic = cands.er_posterior * cands.followers.cast("float64") * (1.0 - cands.suspicious_share.fill_null(0.0))
    per_usd = (cands.price_usd > 0).ifelse(authentic * deliverables / cands.price_usd, ibis.null(float))
    cands = cands.mutate(
        c_topic=(cands.topic if topic is not None else ibis.literal(None, "float64")),
        c_market=(
            cands.market_country.isin(countries).fill_null(False).ifelse(0.5, 0.0)
            + 0.3 * cands.target_audience.fill_null(0.0).clip(0.0, 1.0)
            + cands.main_language.isin(languages).fill_null(False).ifelse(0.2, 0.0)
        ),
        c_engagement=cands.er_posterior_percentile,
        c_authenticity=cands.aqs / 100.0,
        per_usd=per_usd,
    )
    cands = cands.mutate(
        c_cost=cands.per_usd.isnull().ifelse(
            ibis.null(float), ibis.percent_rank().over(order_by=cands.per_usd).cast("float64")
        )
    )
    available = {
        "topic": topic is not None and int(store.table("creator_niche_scores").count().execute()) > 0,
        "market": True,
        "engagement": True,
        "authenticity": bool(int(cands.c_authenticity.notnull().sum().execute() or 0)),
        "cost": True,
    }
    if not available["topic"]:
        notes.append(
            "topic: no niche scores yet (run microscout profile) — its weight is spread over the others"
            if brief.niches or like
            else "topic: the brief names no niches and its description points to none; its weight is spread over "
            "the others"
        )
    if not available["authenticity"]:
        notes.append("authenticity: no Audience Quality Score computed yet; its weight is spread over the others")
        if brief.min_quality is not None:
            notes.append(f"min_quality {brief.min_quality:g} not applied: no Audience Quality Score yet")
    used = {k: w for k, w in weights.items() if available[k]}
    total_w = sum(used.values()) or 1.0
    effective = {k: used.get(k, 0.0) / total_w for k in weights}
    raw = sum(
        (cands[f"c_{k}"].fill_null(0.0) * (100.0 * w) for k, w in effective.items() if w),
        start=ibis.literal(0.0),
    )
    unsafe = (cands.unsafe_post_share.fill_null(0.0) * 2.0).clip(0.0, UNSAFE_PENALTY_MAX)
    factor = 1.0 - unsafe
    if comp is not None:
        factor = factor * (cands.competitor_posts.fill_null(0) > 0).ifelse(1.0 - COMPETITOR_PENALTY, 1.0)
    return cands.mutate(score=raw * factor), effective, notes


def search(
    store: Store,
    brief: Brief,
    *,
    workspace: str,
    limit: int = 50,
    save: bool = True,
    like: str | None = None,
    now: dt.datetime | None = None,
) -> SearchResult:
    """Rank creators for ``brief`` (or like the creator ``like``); save the brief and the shortlist."""
    from microscout.creators import resolve_creator

    weights = brief.normalised_weights()
    seed = resolve_creator(store, like) if like else None
    expr, effective, notes = scored_expr(store, brief, like=seed)
    if seed is not None:
        expr = expr.filter(~((expr.platform == seed[0]) & (expr.creator_id == seed[1])))
        notes.append(f"lookalikes of {like}: topic is the similarity of the two creators' niche scores")
    total = int(expr.count().execute())
    search_id = uuid.uuid4().hex[:12]
    if total == 0:
        return SearchResult(search_id, [], weights, [*notes, "no creator passed the brief's filters"], 0)
    top = expr.order_by([ibis.desc("score"), "platform", "handle"]).limit(limit).to_pyarrow().to_pylist()
    rows = [_row(r, brief, weights, effective) for r in top]
    for rank, r in enumerate(rows, start=1):
        r["rank"] = rank
    result = SearchResult(search_id, rows, weights, notes, total)
    if save:
        _save(store, brief, result, workspace, now or utcnow())
    return result


def lookalike_brief(store: Store, ref: str) -> Brief:
    """A brief for creators like ``ref``: its platform, home market and language, niches, size band."""
    from microscout.creators import resolve_creator

    platform, creator_id = resolve_creator(store, ref)
    p = store.table("creator_profiles")
    c = store.table("creators")
    row = (
        c.filter((c.platform == platform) & (c.creator_id == creator_id))
        .select("platform", "creator_id", "handle", "followers", "declared_country", "declared_language")
        .left_join(
            p.select("platform", "creator_id", "home_market", "content_language", "niches"),
            ["platform", "creator_id"],
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    country = row.get("home_market") or row.get("declared_country")
    language = row.get("content_language") or row.get("declared_language")
    if not country or not language or language == "und":
        raise InvalidInputError(
            f"{ref}: no market or language known for lookalikes yet; run microscout profile or pass a brief"
        )
    followers = int(row.get("followers") or 0)
    return Brief.model_validate(
        {
            "brand": f"lookalikes of {ref}",
            "description": f"creators like {ref}",
            "budget": {"amount": "1000", "currency": "USD"},  # required by the schema; unused by search
            "markets": [{"country": country, "languages": [language]}],
            "niches": list(row.get("niches") or [])[:3],
            "platforms": [platform],
            "followers": {"min": max(0, followers // 3), "max": max(followers * 3, 1000)},
        },
        context={"reference_dir": store.settings.reference_dir},
    )


def _row(r: dict[str, Any], brief: Brief, weights: dict[str, float], effective: dict[str, float]) -> dict[str, Any]:
    niches = "/".join(brief.niches) or "the niches the description reads as"
    reasons = {
        "topic": "no niche scores yet"
        if r.get("c_topic") is None
        else f"niche fit {100 * r['c_topic']:.0f}/100 for {niches}",
        "market": _market_reason(r, brief),
        "engagement": _engagement_reason(r),
        "authenticity": "not vetted yet (no Audience Quality Score)"
        if r.get("aqs") is None
        else f"Audience Quality Score {r['aqs']:.0f} (90 % interval {r['aqs_low']:.0f}–{r['aqs_high']:.0f})",
        "cost": _cost_reason(r.get("per_usd"), r.get("price_usd")),
    }
    comps = []
    for name in weights:
        value = r.get(f"c_{name}")
        w = effective.get(name, 0.0)
        comps.append(
            {
                "name": name,
                "value": None if value is None else round(float(value), 4),
                "weight": round(weights[name], 4),
                "effective_weight": round(w, 4),
                "contribution": round(100 * (value or 0.0) * w, 2),
                "reason": reasons[name],
            }
        )
    flags = []
    if r.get("competitor_posts"):
        flags.append(f"mentions a competitor in {r['competitor_posts']} recent post(s): score −20 %")
    if r.get("unsafe_post_share"):
        cats = ", ".join(r.get("safety_categories") or []) or "unsafe content"
        penalty = min(UNSAFE_PENALTY_MAX, 2 * float(r["unsafe_post_share"]))
        flags.append(f"brand safety: {r.get('unsafe_posts')} post(s) flagged ({cats}): score −{100 * penalty:.0f} %")
    if (
        r.get("aqs") is not None
        and brief.min_quality is not None
        and r["aqs_low"] < brief.min_quality
        and r["aqs"] < brief.min_quality + BORDERLINE_AQS
    ):
        flags.append(f"borderline audience quality: AQS interval reaches below {brief.min_quality:g}")
    return {
        "platform": r["platform"],
        "creator_id": r["creator_id"],
        "handle": r["handle"],
        "creator": f"{r['platform']}:{r['handle']}",
        "display_name": r.get("display_name"),
        "country": r.get("declared_country"),
        "language": r.get("main_language"),
        "market": r.get("market_country"),
        "tier": r.get("tier"),
        "followers": int(r["followers"]),
        "er": r.get("er_followers"),
        "er_low": r.get("er_low"),
        "er_high": r.get("er_high"),
        "aqs": r.get("aqs"),
        "score": round(float(r["score"]), 1),
        "components": comps,
        "flags": flags,
    }


def _market_reason(r: dict[str, Any], brief: Brief) -> str:
    countries = [m.country for m in brief.markets]
    parts = []
    home = r.get("home_market")
    if home:
        conf = r.get("home_market_confidence") or 0.0
        where = "a target market" if home in countries else "not a target market"
        parts.append(f"based in {home} ({100 * conf:.0f} % confidence), {where}")
    elif r.get("declared_country"):
        parts.append(f"declared country {r['declared_country']} (market not inferred yet)")
    if r.get("target_audience") is not None:
        parts.append(f"{100 * r['target_audience']:.0f} % of the sampled audience in {'/'.join(countries)}")
    if r.get("main_language"):
        parts.append(f"posts in {r['main_language']}")
    return "; ".join(parts) or "no market evidence"


def _engagement_reason(row: dict[str, Any]) -> str:
    if row.get("er_posterior") is None:
        return "no engagement data in recent posts"
    text = (
        f"ER {100 * row['er_posterior']:.2f}% (90% interval {100 * row['er_low']:.2f}–{100 * row['er_high']:.2f}%, "
        f"from {int(row['posts_in_window'] or 0)} posts)"
    )
    if row.get("er_posterior_percentile") is not None:
        text += (
            f" — {_ordinal(round(100 * row['er_posterior_percentile']))} percentile of "
            f"{int(row['peer_count'] or 0)} {row['platform']} {row['tier']} creators"
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
