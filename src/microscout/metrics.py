"""Creator metrics, written once as Ibis expressions (they compile to DuckDB or Spark SQL).

First profile: follower tier and engagement rates per creator over the most recent posts.

* ER by followers (ER/F) of a post = (likes + comments [+ shares + saves]) / followers.
* ER by views (ER/V) of a post = the same engagements / views (video posts only).
* Per creator: the **median** over the last ``window`` posts (the basis of the published
  benchmarks), with the mean beside it. A post whose likes or comments are hidden (NULL) is
  excluded, never counted as zero. Stories are excluded (their engagement is not public).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from microscout.reference import load_table
from microscout.store import Store, utcnow

PROFILE_VERSION = "1"


def tier_bands(store: Store) -> list[tuple[str, int, int | None]]:
    rows = load_table("tiers", reference_dir=store.settings.reference_dir).rows
    return [(r["tier"], int(r["min_followers"]), r["max_followers"]) for r in rows]


def tier_expr(followers: ir.IntegerValue, bands: Sequence[tuple[str, int, int | None]]) -> ir.StringValue:
    """The tier of a follower count; below the smallest band is ``sub_nano``."""
    case = ibis.cases(
        *[
            ((followers >= lo) & (followers < hi) if hi is not None else followers >= lo, name)
            for name, lo, hi in bands
        ],
        else_="sub_nano",
    )
    return followers.isnull().ifelse(ibis.null(str), case)


def post_engagement(posts: ir.Table, *, include_shares_saves: bool) -> ir.IntegerValue:
    eng = posts.likes + posts.comments
    if include_shares_saves:
        eng = eng + posts.shares.fill_null(0) + posts.saves.fill_null(0)
    return eng


def profile_expr(store: Store, *, window: int | None = None) -> ir.Table:
    """One row per creator with tier and windowed engagement rates (an unexecuted expression)."""
    settings = store.settings
    window = window or settings.er_window_posts
    creators = store.table("creators")
    posts = store.table("posts").filter(lambda p: p.kind.isnull() | (p.kind != "story"))
    ranked = posts.mutate(
        _rn=ibis.row_number().over(
            group_by=[posts.platform, posts.creator_id],
            order_by=[posts.published_at.desc(), posts.post_id.desc()],
        )
    )
    recent = ranked.filter(ranked._rn < window)
    joined = recent.join(creators.select("platform", "creator_id", "followers"), ["platform", "creator_id"])
    eng = post_engagement(joined, include_shares_saves=settings.er_include_shares_saves)
    enriched = joined.mutate(
        _er_f=(joined.followers > 0).ifelse(eng.cast("float64") / joined.followers, ibis.null(float)),
        _er_v=(joined.views > 0).ifelse(eng.cast("float64") / joined.views, ibis.null(float)),
    )
    agg = enriched.group_by(["platform", "creator_id"]).aggregate(
        posts_in_window=enriched.count(),
        er_followers=enriched._er_f.median(),
        er_followers_mean=enriched._er_f.mean(),
        er_views=enriched._er_v.median(),
        er_views_mean=enriched._er_v.mean(),
        last_post_at=enriched.published_at.max(),
        _first=enriched.published_at.min(),
        sponsored_share=enriched.is_sponsored.cast("float64").mean(),
    )
    span_days = (agg.last_post_at.epoch_seconds() - agg._first.epoch_seconds()) / 86400
    agg = agg.mutate(
        posts_per_week=(span_days > 0).ifelse(
            (agg.posts_in_window - 1).cast("float64") / (span_days / 7), ibis.null(float)
        )
    ).drop("_first")
    out = creators.select("platform", "creator_id", "followers").left_join(agg, ["platform", "creator_id"])
    return out.select(
        "platform",
        "creator_id",
        profile_version=ibis.literal(PROFILE_VERSION),
        computed_at=ibis.literal(utcnow()),
        tier=tier_expr(out.followers, tier_bands(store)),
        followers=out.followers,
        posts_in_window=out.posts_in_window.fill_null(0),
        er_followers=out.er_followers,
        er_followers_mean=out.er_followers_mean,
        er_views=out.er_views,
        er_views_mean=out.er_views_mean,
        last_post_at=out.last_post_at,
        posts_per_week=out.posts_per_week,
        sponsored_share=out.sponsored_share,
    )


def profile_creators(store: Store, *, window: int | None = None) -> int:
    """Compute profiles for every creator and upsert them into ``creator_profiles``."""
    expr = profile_expr(store, window=window)
    sql = str(store.con.compile(expr))
    return store.replace_from_sql("creator_profiles", sql)
