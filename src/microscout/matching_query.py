"""The brief matcher's engine query: filters, components, weights and score as one Ibis
expression, compiled once per topic mode, with the brief's values in parameter tables; the
competitor check over the best creators only; rate-card prices of a brief's deliverables.

:func:`microscout.matching.search` runs it (and writes the reasons); the server's in-memory twin is
:mod:`microscout.matching_index`. How a score is made: docs/matching.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from microscout.brief import Brief
from microscout.metrics.joins import attach
from microscout.reference import load_table
from microscout.store import Store

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


# ---- the prepared query -------------------------------------------------------------------------
# The query's structure depends only on how the brief asks for topic fit (its *mode*); the brief's
# values travel in small parameter tables registered on the connection for one query. Ibis compiles
# the SQL once per mode and process: compiling costs more than running it over a million creators.

PARAM = "_ms_"
PARAMS: dict[str, dict[str, str]] = {
    "brief": {
        "followers_min": "int64",
        "followers_max": "int64",
        "min_quality": "float64",
        "language_required": "boolean",
        "deliverables": "int64",
        "topic_available": "boolean",
        "w_topic": "float64",
        "w_market": "float64",
        "w_engagement": "float64",
        "w_authenticity": "float64",
        "w_cost": "float64",
        "seed_platform": "string",
        "seed_creator_id": "string",
    },
    "platforms": {"platform": "string"},
    "countries": {"country": "string"},
    "languages": {"language": "string"},
    "niches": {"niche": "string", "w": "float64"},
    "prices": {"platform": "string", "tier": "string", "market_country": "string", "price_usd": "float64"},
    "excluded": {"platform": "string", "handle": "string"},
    "keys": {"platform": "string", "creator_id": "string"},
    "terms": {"term": "string"},
}
TOPIC_MODES = ("max", "sum", "cosine", "none")  # brief niches, described niches, lookalike, no topic
_SQL: dict[str, str] = {}
# rows fetched before the competitor check (which only lowers scores): limit + this, grown ×4 until
# the shortlist provably holds the best creators
COMPETITOR_HEADROOM = 50


def _param(name: str) -> ibis.Table:
    return ibis.table(ibis.schema(PARAMS[name]), name=PARAM + name)


def _scalar(name: str) -> ir.Scalar:
    return _param("brief")[name].as_scalar()


def candidates_expr(store: Store) -> ibis.Table:
    """Creators passing the brief's hard filters, with their profile and target-audience share."""
    keys = ["platform", "creator_id"]
    creators = store.table("creators")
    profiles = store.table("creator_profiles").select("platform", "creator_id", *PROFILE_COLUMNS)
    base = creators.select(
        "platform", "creator_id", "handle", "display_name", "declared_country", "declared_language", "followers"
    ).join(profiles, keys)
    base = base.filter(
        base.platform.isin(_param("platforms").platform),
        base.followers >= _scalar("followers_min"),
        base.followers <= _scalar("followers_max"),
    )
    countries = _param("countries").country
    markets = store.table("creator_markets")
    aud = markets.filter((markets.kind == "audience") & markets.country.isin(countries))
    aud = aud.group_by(keys).aggregate(target_audience=aud.share.sum())
    base = attach(base, aud, keys)
    language = base.content_language.fill_null(base.declared_language)
    country = base.home_market.fill_null(base.declared_country)
    in_market = country.isin(countries) | (base.target_audience.fill_null(0.0) >= 0.5)
    speaks = language.isin(_param("languages").language)
    base = base.filter(_scalar("language_required").ifelse(in_market & speaks, in_market | speaks))
    floor = _scalar("min_quality")
    base = base.filter(floor.isnull() | base.aqs.isnull() | (base.aqs >= floor))
    seed = (base.platform == _scalar("seed_platform")) & (base.creator_id == _scalar("seed_creator_id"))
    base = base.filter(~seed.fill_null(False))
    excluded = _param("excluded")
    base = base.anti_join(excluded, [base.platform == excluded.platform, base.handle.lower() == excluded.handle])
    return base.mutate(market_country=country, main_language=language)


def _topic(store: Store, mode: str) -> ibis.Table | None:
    """platform, creator_id, topic (0..1) for a topic mode: the best score among the brief's niches
    (``max``), the niche scores weighted by the niches its description reads as (``sum``,
    :func:`description_niches`), or the cosine similarity to the seed creator's scores (``cosine``)."""
    scores = store.table("creator_niche_scores")
    niches = _param("niches")
    keys = ["platform", "creator_id"]
    if mode == "max":
        chosen = scores.filter(scores.niche.isin(niches.niche))
        return chosen.group_by(keys).aggregate(topic=chosen.score.max().clip(0.0, 1.0))
    if mode == "none":
        return None
    j = scores.join(niches, "niche")
    if mode == "sum":
        return j.group_by(keys).aggregate(topic=(j.score * j.w).sum().clip(0.0, 1.0))
    sim = j.group_by(keys).aggregate(_dot=(j.score * j.w).sum(), _a=(j.score * j.score).sum(), _b=(j.w * j.w).sum())
    return sim.select(
        "platform",
        "creator_id",
        topic=((sim._a > 0) & (sim._b > 0)).ifelse(sim._dot / (sim._a.sqrt() * sim._b.sqrt()), 0.0),
    )


def scored_expr(store: Store, mode: str) -> ibis.Table:
    """Candidates with their components, effective weights and score (before any competitor
    penalty, :func:`with_competitors`), plus ``_total`` (candidates) and ``_any_aqs`` — one query,
    all inside the engine."""
    keys = ["platform", "creator_id"]
    cands = candidates_expr(store)
    topic = _topic(store, mode)
    if topic is not None:
        cands = attach(cands, topic, keys)
    prices = _param("prices")
    j = cands.left_join(
        prices,
        [
            cands.platform == prices.platform,
            cands.tier == prices.tier,
            cands.market_country.fill_null("") == prices.market_country.fill_null(""),
        ],
    )
    cands = j.select(*[j[c] for c in cands.columns], price_usd=j.price_usd)
    countries = _param("countries").country
    authentic = cands.er_posterior * cands.followers.cast("float64") * (1.0 - cands.suspicious_share.fill_null(0.0))
    per_usd = (cands.price_usd > 0).ifelse(
        authentic * _scalar("deliverables").cast("float64") / cands.price_usd, ibis.null(float)
    )
    cands = cands.mutate(
        c_topic=(cands.topic if topic is not None else ibis.literal(None, "float64")),
        c_market=(
            cands.market_country.isin(countries).fill_null(False).ifelse(0.5, 0.0)
            + 0.3 * cands.target_audience.fill_null(0.0).clip(0.0, 1.0)
            + cands.main_language.isin(_param("languages").language).fill_null(False).ifelse(0.2, 0.0)
        ),
        c_engagement=cands.er_posterior_percentile,
        c_authenticity=cands.aqs / 100.0,
        per_usd=per_usd,
    )
    cands = cands.mutate(
        c_cost=cands.per_usd.isnull().ifelse(
            ibis.null(float), ibis.percent_rank().over(order_by=cands.per_usd).cast("float64")
        ),
        _any_aqs=cands.c_authenticity.notnull().cast("int8").max().over(),
        _total=cands.count().over(),
    )
    available = {
        "topic": _scalar("topic_available").cast("float64"),
        "market": ibis.literal(1.0),
        "engagement": ibis.literal(1.0),
        "authenticity": cands._any_aqs.cast("float64"),
        "cost": ibis.literal(1.0),
    }
    used = {k: _scalar(f"w_{k}") * a for k, a in available.items()}
    total_w = sum(used.values(), start=ibis.literal(0.0))
    total_w = (total_w > 0).ifelse(total_w, 1.0)
    raw = sum((cands[f"c_{k}"].fill_null(0.0) * (100.0 * w) for k, w in used.items()), start=ibis.literal(0.0))
    unsafe = (cands.unsafe_post_share.fill_null(0.0) * 2.0).clip(0.0, UNSAFE_PENALTY_MAX)
    effective = {f"_w_{k}": w / total_w for k, w in used.items()}
    return cands.mutate(score=raw / total_w * (1.0 - unsafe), **effective)


def competitor_posts_expr(store: Store) -> ibis.Table:
    """platform, creator_id, competitor_posts: how many of the 30 most recent posts of each creator
    of the ``keys`` parameter name a term of ``terms`` (lower case) in their caption
    (case-insensitive substring). The creator id filter goes first so the engine reads the
    captions of those creators only."""
    keys = _param("keys")
    terms = _param("terms")
    posts = store.table("posts")
    posts = posts.filter(posts.creator_id.isin(keys.creator_id)).semi_join(keys, ["platform", "creator_id"])
    posts = posts.mutate(
        _rn=ibis.row_number().over(
            group_by=[posts.platform, posts.creator_id], order_by=[posts.published_at.desc(), posts.post_id]
        )
    )
    recent = posts.filter(posts._rn < RECENT_POSTS).cross_join(terms)  # row_number counts from 0
    recent = recent.filter(recent.caption.fill_null("").lower().contains(recent.term))
    recent = recent.select("platform", "creator_id", "post_id").distinct()
    return recent.group_by(["platform", "creator_id"]).aggregate(competitor_posts=recent.count())


def compiled_sql(store: Store, key: str) -> str:
    if key not in _SQL:
        expr = competitor_posts_expr(store) if key == "competitors" else scored_expr(store, key)
        _SQL[key] = str(store.con.compile(expr))
    return _SQL[key]


Ranker = Callable[[int], tuple[list[dict[str, Any]], int]]
# (rows, lower-case terms) -> {(platform, creator_id): recent posts naming a term}
Mentions = Callable[[list[dict[str, Any]], list[str]], dict[tuple[str, str], int]]


def competitor_posts(store: Store, rows: list[dict[str, Any]], terms: list[str]) -> dict[tuple[str, str], int]:
    """How many of their 30 most recent posts name a term, for the creators of ``rows`` (engine query)."""
    keys = _arrow("keys", [{"platform": r["platform"], "creator_id": r["creator_id"]} for r in rows])
    found = run_query(
        store,
        compiled_sql(store, "competitors"),
        {"keys": keys, "terms": _arrow("terms", [{"term": t} for t in terms])},
    )
    return {(r["platform"], r["creator_id"]): int(r["competitor_posts"]) for r in found}


def with_competitors(
    store: Store, brief: Brief, ranked: Ranker, limit: int, mentions: Mentions | None = None
) -> tuple[list[dict[str, Any]], int]:
    """(the best ``limit`` rows after the competitor penalty, candidates).

    ``ranked(n)`` gives the best ``n`` rows by the score before the penalty and the candidate
    count. The penalty only lowers scores, so rows are fetched (``limit`` + 50, then four times as
    many) until the ``limit``-th penalised score beats the best score left out: the shortlist is
    exact while the posts of a hundred creators, not of every candidate, are read (by ``mentions``,
    :func:`competitor_posts` unless given)."""
    if not brief.competitors:
        return ranked(limit)
    terms = [c.lower() for c in brief.competitors]
    fetch = limit + COMPETITOR_HEADROOM
    while True:
        rows, total = ranked(fetch)
        if not rows:
            return rows, total
        floor = rows[-1]["score"]  # no creator left out scores above this before the penalty
        found = mentions(rows, terms) if mentions else competitor_posts(store, rows, terms)
        for r in rows:
            r["competitor_posts"] = found.get((r["platform"], r["creator_id"]), 0)
            if r["competitor_posts"]:
                r["score"] = r["score"] * (1.0 - COMPETITOR_PENALTY)
        best = sorted(rows, key=lambda r: (-r["score"], r["platform"], r["handle"]))[:limit]
        if total <= len(rows) or (len(best) == limit and best[-1]["score"] > floor):
            return best, total
        fetch *= 4


def _arrow(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema([(c, pa.bool_() if t == "boolean" else pa.from_numpy_dtype(t) if t != "string" else pa.string())
                        for c, t in PARAMS[name].items()])  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def run_query(store: Store, sql: str, params: dict[str, pa.Table]) -> list[dict[str, Any]]:
    con = store.raw
    for name, table in params.items():
        con.register(PARAM + name, table)
    try:
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        for name in params:
            con.unregister(PARAM + name)


def brief_prices(store: Store, brief: Brief) -> list[dict[str, Any]]:
    """The rate-card price (USD) of the brief's deliverables per platform, tier and market
    (``market_country`` None: no market multiplier)."""
    cards, multipliers = _prices_usd(store)
    prices = []
    for platform in brief.platforms:
        for tier in sorted({t for (_, t, _) in cards}):
            for country in [*multipliers, None]:
                price = _package_price(brief, platform, tier, country, cards, multipliers)
                if price is not None:
                    prices.append({"platform": platform, "tier": tier, "market_country": country, "price_usd": price})
    return prices


def brief_params(
    brief: Brief,
    niches: dict[str, float],
    seed: tuple[str, str] | None,
    topic_available: bool,
    prices: list[dict[str, Any]],
) -> dict[str, pa.Table]:
    weights = brief.normalised_weights()
    excluded = []
    for ref in brief.exclude_creators:
        platform, handle = ref.split(":", 1)
        excluded.append({"platform": platform, "handle": handle.lower().lstrip("@")})
    return {
        "brief": _arrow(
            "brief",
            [
                {
                    "followers_min": brief.followers.min,
                    "followers_max": brief.followers.max,
                    "min_quality": brief.min_quality,
                    "language_required": brief.content_language_required,
                    "deliverables": sum(d.count for d in brief.deliverables),
                    "topic_available": topic_available,
                    **{f"w_{k}": w for k, w in weights.items()},
                    "seed_platform": seed[0] if seed else None,
                    "seed_creator_id": seed[1] if seed else None,
                }
            ],
        ),
        "platforms": _arrow("platforms", [{"platform": p} for p in brief.platforms]),
        "countries": _arrow("countries", [{"country": m.country} for m in brief.markets]),
        "languages": _arrow(
            "languages", [{"language": x} for x in sorted({x for m in brief.markets for x in m.languages})]
        ),
        "niches": _arrow("niches", [{"niche": n, "w": w} for n, w in niches.items()]),
        "prices": _arrow("prices", prices),
        "excluded": _arrow("excluded", excluded),
    }
