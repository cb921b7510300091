"""Creator metrics, written once as Ibis expressions: they compile to DuckDB SQL or run on Spark.

``profile_creators(source)`` is the metrics stage: engagement rates by basis over the window,
their posterior with a 90 % interval, peers, expectations, benchmark bands and behaviour, upserted
into ``creator_profiles``. Re-profiling is incremental: only creators whose inputs changed since
the last run (``input_fingerprint``) are recomputed; peer statistics are refreshed for everyone in
the same pass. ``source`` is a :class:`~microscout.store.Store` or a Parquet lake
(:mod:`microscout.store.lake`); nothing is computed row by row in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from microscout.config import Settings
from microscout.metrics.creator import engagement_aggregates, fingerprint, growth, reply_rate
from microscout.metrics.joins import attach
from microscout.metrics.peers import benchmark_band, expected_curve, percentiles, posterior
from microscout.metrics.posts import disclosure_hashtags, recent_posts, window_cut, window_posts
from microscout.metrics.tiers import tier_bands, tier_expr
from microscout.reference import load_table
from microscout.store.schema import TABLES

__all__ = ["PROFILE_VERSION", "ProfileRun", "profile_creators", "profile_expr", "tier_bands", "tier_expr"]

PROFILE_VERSION = "2"

BASE_COLUMNS = (
    "platform", "creator_id", "input_fingerprint", "followers", "tier", "posts_in_window",
    "er_followers", "er_followers_mean", "er_views", "er_views_mean", "er_log_n", "er_log_mean", "er_log_sd",
    "last_post_at", "posts_per_week", "engagement_cv", "sponsored_share", "sponsored_er", "organic_er",
    "comment_like_ratio", "reply_rate", "growth_30d", "growth_90d",
)  # fmt: skip


class Source(Protocol):
    settings: Settings

    def table(self, name: str, *, workspace: str | None = None) -> ir.Table: ...

    def upsert_expr(self, name: str, expr: ir.Table) -> int: ...


@dataclass
class ProfileRun:
    """What a metrics stage did."""

    creators: int
    recomputed: int
    profile_version: str = PROFILE_VERSION


def _conform(expr: ir.Table, columns: tuple[str, ...] | list[str]) -> ir.Table:
    """Select ``columns`` cast to the creator_profiles types (so unions and writes line up)."""
    types = TABLES["creator_profiles"].columns
    return expr.select(**{c: expr[c].cast(types[c]) for c in columns})


def settings_key(s: Settings) -> str:
    """The settings a profile depends on, part of its input fingerprint."""
    return f"{s.er_window_posts}/{s.er_window_days}/{int(s.er_include_shares_saves)}"


def base_expr(src: Source, creators: ir.Table, *, everyone: bool = False) -> ir.Table:
    """Per-creator aggregates (no peer statistics) for the given creators (``everyone``: they are
    all the creators, so posts and snapshots are read whole, not through a semi-join the engine
    would materialise)."""
    s = src.settings
    keys = creators.select("platform", "creator_id")
    posts = src.table("posts")
    snapshots = src.table("creator_snapshots")
    if not everyone:
        posts = posts.semi_join(keys, ["platform", "creator_id"])
        snapshots = snapshots.semi_join(keys, ["platform", "creator_id"])
    comments = src.table("comments")
    tags = disclosure_hashtags(load_table("disclosure_tags", reference_dir=s.reference_dir).rows)
    cuts = window_cut(posts, s.er_window_posts)  # the window's and the reply rate's
    window = window_posts(
        posts,
        creators,
        window_posts=s.er_window_posts,
        window_days=s.er_window_days,
        include_shares_saves=s.er_include_shares_saves,
        disclosure_tags=tags,
        cuts=cuts,
    )
    out = creators.select("platform", "creator_id", "followers")
    out = out.mutate(tier=tier_expr(out.followers, tier_bands(s.reference_dir)))
    for part in (
        engagement_aggregates(window),
        reply_rate(posts, comments, cuts, s.er_window_posts, s.er_window_days),
        growth(snapshots),
        fingerprint(creators, posts, snapshots, comments, settings_key(s)),
    ):
        out = attach(out, part, ["platform", "creator_id"])
    out = out.mutate(posts_in_window=out.posts_in_window.fill_null(0), er_log_n=out.er_log_n.fill_null(0))
    return _conform(out, BASE_COLUMNS)


def profile_expr(src: Source, *, now: dt.datetime, changed_only: bool = True) -> tuple[ir.Table, ir.Table]:
    """(the full profile expression for every creator, the creators recomputed this run)."""
    creators = src.table("creators")
    stored = src.table("creator_profiles")
    if changed_only:
        fp = fingerprint(
            creators,
            src.table("posts"),
            src.table("creator_snapshots"),
            src.table("comments"),
            settings_key(src.settings),
        )
        same = fp.join(stored.select("platform", "creator_id", _old="input_fingerprint"), ["platform", "creator_id"])
        same = same.filter(same.input_fingerprint == same._old).select("platform", "creator_id")
        todo = creators.anti_join(same, ["platform", "creator_id"])
    else:
        todo = creators
    fresh = base_expr(src, todo, everyone=not changed_only)
    kept = _conform(
        stored.semi_join(creators, ["platform", "creator_id"]).anti_join(todo, ["platform", "creator_id"]),
        BASE_COLUMNS,
    )
    base = fresh.union(kept)
    bench = load_table("benchmarks", reference_dir=src.settings.reference_dir).rows
    full = benchmark_band(expected_curve(percentiles(posterior(base))), bench)
    now = now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)
    now_s = int(now.timestamp())
    last_s = full.last_post_at.epoch_seconds().floor().cast("int64")
    full = full.mutate(
        days_since_last_post=(ibis.literal(now_s) - last_s).cast("float64") / 86400,
        profile_version=ibis.literal(PROFILE_VERSION),
        computed_at=ibis.literal(now.replace(tzinfo=None, microsecond=0)),
    )
    columns = [c for c in TABLES["creator_profiles"].columns if c in full.columns]
    return _conform(full, columns), todo


def profile_creators(src: Source, *, now: dt.datetime | None = None, full: bool = False) -> ProfileRun:
    """Run the metrics stage and upsert ``creator_profiles``; ``full`` recomputes every creator."""
    from microscout.store import utcnow

    now = now or utcnow()
    expr, todo = profile_expr(src, now=now, changed_only=not full)
    recomputed = int(todo.count().execute())
    written = src.upsert_expr("creator_profiles", expr)
    return ProfileRun(creators=written, recomputed=recomputed)


def profile_summary(src: Source) -> dict[str, Any]:
    p = src.table("creator_profiles")
    return {"creators": int(p.count().execute())}


def core_expr(src: Source, *, now: dt.datetime) -> ir.Table:
    """The core aggregates alone (what ``bench metrics`` compares with hand-written SQL and pandas):
    per creator post count, median and mean ER/F over the window, mean ER/V, posts per week, days
    since the last post, latest followers, tier and the percentile of median ER/F in platform × tier.
    """
    s = src.settings
    creators = src.table("creators")
    columns = ["platform", "creator_id", "post_id", "published_at", "likes", "comments", "views"]
    w = recent_posts(src.table("posts"), s.er_window_posts, columns).join(
        creators.select("platform", "creator_id", "followers"), ["platform", "creator_id"]
    )
    eng = (w.likes + w.comments).cast("float64")
    w = w.mutate(
        er_f=(w.followers > 0).ifelse(eng / w.followers, ibis.null(float)),
        er_v=(w.views > 0).ifelse(eng / w.views, ibis.null(float)),
        pub_s=w.published_at.epoch_seconds().floor().cast("int64"),
    )
    agg = w.group_by(["platform", "creator_id", "followers"]).aggregate(
        posts_in_window=w.count(),
        er_followers=w.er_f.median(),
        er_followers_mean=w.er_f.mean(),
        er_views_mean=w.er_v.mean(),
        _first=w.pub_s.min(),
        _last=w.pub_s.max(),
    )
    weeks = (agg._last - agg._first).cast("float64") / (7 * 86400)
    now_s = int((now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)).timestamp())
    agg = agg.mutate(
        posts_per_week=(weeks > 0).ifelse((agg.posts_in_window - 1).cast("float64") / weeks, ibis.null(float)),
        days_since_last_post=(ibis.literal(now_s) - agg._last).cast("float64") / 86400,
        tier=tier_expr(agg.followers, tier_bands(s.reference_dir)),
    ).drop("_first", "_last")
    return agg.mutate(
        er_percentile=ibis.percent_rank().over(group_by=[agg.platform, agg.tier], order_by=agg.er_followers)
    )
