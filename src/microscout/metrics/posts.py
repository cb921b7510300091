"""Per-post engagement, and the window of recent posts each creator is measured on.

* ER by followers (ER/F) = (likes + comments [+ shares + saves]) / followers.
* ER by views (ER/V) = the same engagements / views (posts with views only).
* A post whose likes or comments are hidden (NULL) has no ER: it is excluded, never zero.
* Stories are excluded (their engagement is not public).
* The window: the creator's most recent ``window_posts`` posts, optionally only those of the
  last ``window_days`` days before the creator's latest post.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

# continuity correction for the log scale: a post with no engagement has log ER of ln(0.5/F)
LOG_OFFSET = 0.5


def disclosure_hashtags(rows: list[dict[str, Any]]) -> list[str]:
    """Accepted disclosure hashtags of every market, lower case without '#'."""
    tags = {str(r["tag"]).lstrip("#").lower() for r in rows if r["kind"] == "hashtag" and r.get("accepted", 1) == 1}
    return sorted(tags)


def window_posts(
    posts: ir.Table,
    creators: ir.Table,
    *,
    window_posts: int,
    window_days: int | None,
    include_shares_saves: bool,
    disclosure_tags: list[str],
) -> ir.Table:
    """The posts in each creator's window, with engagement, ER/F, ER/V and a sponsored flag."""
    # only what the window's consumers use: the window sorts (and may spill) every column it carries
    posts = posts.select(
        "platform", "creator_id", "post_id", "published_at", "kind", "hashtags",
        "likes", "comments", "shares", "saves", "views", "is_sponsored",
    )  # fmt: skip
    posts = posts.filter(posts.kind.isnull() | (posts.kind != "story"))
    ranked = posts.mutate(
        rn=ibis.row_number().over(
            group_by=[posts.platform, posts.creator_id],
            order_by=[posts.published_at.desc(), posts.post_id.desc()],
        )
    )
    recent = ranked.filter(ranked.rn < window_posts)
    if window_days is not None:  # a second window over every post: only when asked for
        ranked = ranked.mutate(last_at=ranked.published_at.max().over(group_by=[ranked.platform, ranked.creator_id]))
        recent = ranked.filter(ranked.rn < window_posts)
        recent = recent.filter(recent.published_at >= recent.last_at - ibis.interval(days=window_days))
    joined = recent.join(creators.select("platform", "creator_id", "followers"), ["platform", "creator_id"])
    eng = joined.likes + joined.comments
    if include_shares_saves:
        eng = eng + joined.shares.fill_null(0) + joined.saves.fill_null(0)
    tags = disclosure_tags or ["\x00"]
    # set intersection, not a membership test per hashtag against every tag
    tagged = joined.hashtags.map(lambda h: h.lower().replace("#", "")).intersect(ibis.literal(tags)).length() > 0
    sponsored = joined.is_sponsored.fill_null(False) | tagged.fill_null(False)
    return joined.mutate(
        eng=eng,
        er_f=(joined.followers > 0).ifelse(eng.cast("float64") / joined.followers, ibis.null(float)),
        er_v=(joined.views > 0).ifelse(eng.cast("float64") / joined.views, ibis.null(float)),
        log_er=(joined.followers > 0).ifelse(
            ((eng.cast("float64") + LOG_OFFSET) / joined.followers).ln(), ibis.null(float)
        ),
        sponsored=sponsored,
        pub_s=joined.published_at.epoch_seconds().floor().cast("int64"),
    )
