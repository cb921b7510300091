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
from typing import TYPE_CHECKING, Any

from microscout.brief import Brief
from microscout.errors import InvalidInputError
from microscout.matching_query import (  # noqa: F401  (re-exported: the matcher's public names)
    COMPETITOR_PENALTY,
    PROFILE_COLUMNS,
    RECENT_POSTS,
    UNSAFE_PENALTY_MAX,
    Ranker,
    brief_params,
    brief_prices,
    competitor_posts,
    compiled_sql,
    run_query,
    scored_expr,
    with_competitors,
)
from microscout.store import Store, utcnow

if TYPE_CHECKING:
    from microscout.matching_index import BriefIndex


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
        params = brief_params(brief, niches, seed, topic_available, prices)
        sql = compiled_sql(store, mode)

        def ranked(n: int) -> tuple[list[dict[str, Any]], int]:
            rows = run_query(
                store, f"SELECT * FROM ({sql}) ORDER BY score DESC, platform, handle LIMIT {int(n)}", params
            )
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
