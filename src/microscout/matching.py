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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from microscout.brief import Brief
from microscout.errors import InvalidInputError
from microscout.metrics.joins import attach
from microscout.reference import load_table
from microscout.store import Store, utcnow

if TYPE_CHECKING:
    from microscout.matching_index import BriefIndex

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


def _sql(store: Store, key: str) -> str:
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
    found = _run(
        store, _sql(store, "competitors"), {"keys": keys, "terms": _arrow("terms", [{"term": t} for t in terms])}
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


def _run(store: Store, sql: str, params: dict[str, pa.Table]) -> list[dict[str, Any]]:
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


def _brief_params(
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


def _topic_mode(store: Store, brief: Brief, seed: tuple[str, str] | None) -> tuple[str, dict[str, float], list[str]]:
    """(mode, niche weights, notes) of the brief's topic fit."""
    if seed is not None:
        rows = store.raw.execute(
            "SELECT niche, score FROM creator_niche_scores WHERE platform = ? AND creator_id = ?", list(seed)
        ).fetchall()
        return "cosine", {str(n): float(v) for n, v in rows}, []
    if brief.niches:
        return "max", dict.fromkeys(brief.niches, 1.0), []
    described = description_niches(brief, store.settings.reference_dir)
    if not described:
        return "none", {}, []
    shares = ", ".join(f"{n} {100 * w:.0f} %" for n, w in described.items())
    return (
        "sum",
        described,
        [f"topic: the brief names no niches; its description reads as {shares} (keywords and embeddings)"],
    )


def search(
    store: Store,
    brief: Brief,
    *,
    workspace: str,
    limit: int = 50,
    save: bool = True,
    like: str | None = None,
    now: dt.datetime | None = None,
    index: BriefIndex | None = None,
) -> SearchResult:
    """Rank creators for ``brief`` (or like the creator ``like``); save the brief and the shortlist.

    ``index``: answer from this in-memory :class:`~microscout.matching_index.BriefIndex` of the
    store (a server's, built once) instead of one engine query; the results are the same."""
    from microscout.creators import resolve_creator

    weights = brief.normalised_weights()
    seed = resolve_creator(store, like) if like else None
    mode, niches, notes = _topic_mode(store, brief, seed)
    topic_available = mode != "none" and bool(
        store.raw.execute("SELECT 1 FROM creator_niche_scores LIMIT 1").fetchall()
    )
    prices = brief_prices(store, brief)
    ranked: Ranker
    if index is not None:
        ranked = index.ranker(
            brief,
            mode=mode,
            niches=niches,
            seed=seed,
            topic_available=topic_available,
            prices={(p["platform"], p["tier"], p["market_country"] or ""): p["price_usd"] for p in prices},
        )
    else:
        params = _brief_params(brief, niches, seed, topic_available, prices)
        sql = _sql(store, mode)

        def ranked(n: int) -> tuple[list[dict[str, Any]], int]:
            rows = _run(store, f"SELECT * FROM ({sql}) ORDER BY score DESC, platform, handle LIMIT {int(n)}", params)
            return rows, int(rows[0]["_total"]) if rows else 0

    rows, total = with_competitors(
        store, brief, ranked, limit, (lambda rows, terms: index.competitor_posts(store, rows, terms)) if index else None
    )
    search_id = uuid.uuid4().hex[:12]
    if total == 0:
        notes += _availability_notes(brief, mode, None, like)
        return SearchResult(search_id, [], weights, [*notes, "no creator passed the brief's filters"], 0)
    effective = {k: float(rows[0][f"_w_{k}"]) for k in weights}
    available = {"topic": topic_available, "authenticity": bool(rows[0]["_any_aqs"])}
    notes += _availability_notes(brief, mode, available, like)
    out = [_row(r, brief, weights, effective) for r in rows]
    for rank, r in enumerate(out, start=1):
        r["rank"] = rank
    result = SearchResult(search_id, out, weights, notes, total)
    if save:
        _save(store, brief, result, workspace, now or utcnow())
    return result


def _availability_notes(brief: Brief, mode: str, available: dict[str, bool] | None, like: str | None) -> list[str]:
    notes = []
    if like:
        notes.append(f"lookalikes of {like}: topic is the similarity of the two creators' niche scores")
    if available is None:  # no candidate: nothing to say about the components
        return notes
    if not available["topic"]:
        notes.append(
            "topic: no niche scores yet (run microscout profile) — its weight is spread over the others"
            if mode in ("max", "cosine")
            else "topic: the brief names no niches and its description points to none; its weight is spread over "
            "the others"
        )
    if not available["authenticity"]:
        notes.append("authenticity: no Audience Quality Score computed yet; its weight is spread over the others")
        if brief.min_quality is not None:
            notes.append(f"min_quality {brief.min_quality:g} not applied: no Audience Quality Score yet")
    return notes


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
