"""Per-creator aggregates over the window: engagement, its spread, behaviour and growth."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from microscout.metrics.posts import KEYS, in_window

WEEK_S = 7 * 86400


def engagement_aggregates(window: ir.Table) -> ir.Table:
    """One row per creator with window posts (see :func:`microscout.metrics.posts.window_posts`)."""
    # masked columns instead of `median(where=...)`: portable to Spark
    w = window.mutate(
        _er_sp=window.sponsored.ifelse(window.er_f, ibis.null(float)),
        _er_org=window.sponsored.ifelse(ibis.null(float), window.er_f),
    )
    agg = w.group_by(["platform", "creator_id"]).aggregate(
        posts_in_window=w.count(),
        er_followers=w.er_f.median(),
        er_followers_mean=w.er_f.mean(),
        er_views=w.er_v.median(),
        er_views_mean=w.er_v.mean(),
        er_log_n=w.log_er.count(),
        er_log_mean=w.log_er.mean(),
        er_log_sd=w.log_er.std(),
        last_post_at=w.published_at.max(),
        _first_s=w.pub_s.min(),
        _last_s=w.pub_s.max(),
        _eng_mean=w.eng.mean(),
        _eng_sd=w.eng.std(),
        sponsored_share=w.sponsored.cast("float64").mean(),
        sponsored_er=w._er_sp.median(),
        organic_er=w._er_org.median(),
        _likes=w.likes.sum(where=w.comments.notnull()),
        _comments=w.comments.sum(where=w.likes.notnull()),
    )
    span_weeks = (agg._last_s - agg._first_s).cast("float64") / WEEK_S
    return agg.mutate(
        posts_per_week=(span_weeks > 0).ifelse(
            (agg.posts_in_window - 1).cast("float64") / span_weeks, ibis.null(float)
        ),
        engagement_cv=(agg._eng_mean > 0).ifelse(agg._eng_sd / agg._eng_mean, ibis.null(float)),
        comment_like_ratio=(agg._likes > 0).ifelse(agg._comments.cast("float64") / agg._likes, ibis.null(float)),
    ).drop("_first_s", "_last_s", "_eng_mean", "_eng_sd", "_likes", "_comments")


def post_comments(posts: ir.Table, comments: ir.Table) -> ir.Table:
    """Sampled comments (``_c``) and creator replies among them (``_r``) per post, with the
    post's creator, time and kind: the fingerprint and the reply rate share it (one join of the
    comments to the posts)."""
    per_post = comments.group_by(["platform", "post_id"]).aggregate(
        _c=comments.count(), _r=comments.is_creator_reply.fill_null(False).cast("int64").sum()
    )
    return per_post.join(
        posts.select("platform", "post_id", "creator_id", "published_at", "kind"), ["platform", "post_id"]
    )


def reply_rate(posts: ir.Table, comments: ir.Table, cuts: ir.Table, n: int, days: int | None) -> ir.Table:
    """Share of the sampled comments on the window's posts (``cuts``: the posts'
    :func:`~microscout.metrics.posts.window_cut` for ``n``) that are the creator's own replies;
    creators without sampled comments there have none."""
    pc = post_comments(posts, comments).join(cuts, KEYS)
    pc = pc.filter(in_window(pc, n, days))
    agg = pc.group_by(KEYS).aggregate(_c=pc._c.sum(), _r=pc._r.sum())
    return agg.select(*KEYS, reply_rate=agg._r.cast("float64") / agg._c)


def growth(snapshots: ir.Table, days: tuple[int, ...] = (30, 90)) -> ir.Table:
    """Follower growth over each of ``days``: the latest snapshot against the latest one at least
    that many days older (``growth_30d``, ``growth_90d``; NULL without one). Two aggregates, no
    window: ``argmax`` picks the followers of the newest qualifying snapshot."""
    # two differently built reads of the snapshots: one shared read would be materialised by DuckDB
    s = snapshots.select("platform", "creator_id", "observed_at", "followers")
    s = s.filter(s.followers.notnull())
    latest = s.group_by(["platform", "creator_id"]).aggregate(
        _now_at=s.observed_at.max(), _now_f=s.followers.argmax(s.observed_at)
    )
    j = snapshots.filter(snapshots.followers.notnull()).join(latest, ["platform", "creator_id"])
    old = j.group_by(["platform", "creator_id", "_now_f"]).aggregate(
        **{
            f"_f{d}": j.followers.argmax(j.observed_at, where=j.observed_at <= j._now_at - ibis.interval(days=d))
            for d in days
        }
    )
    return old.select(
        "platform",
        "creator_id",
        **{
            f"growth_{d}d": (old[f"_f{d}"] > 0).ifelse(old._now_f.cast("float64") / old[f"_f{d}"] - 1, ibis.null(float))
            for d in days
        },
    )


def fingerprint(
    creators: ir.Table, posts: ir.Table, snapshots: ir.Table, comments: ir.Table, settings_key: str
) -> ir.Table:
    """A text fingerprint of everything a creator's metrics depend on.

    Built from integer sums and counts: post counts, times and every engagement count (NULLs
    counted apart from zeros), the sponsored flag, hashtags (their number and the engine's hash of
    their text), kinds, creator replies in the comment sample, follower snapshots, and
    ``settings_key`` (the window and ER-basis settings), so a change to any of them recomputes the
    creator. The hash makes the text engine-specific (DuckDB and Spark hash differently): a store
    profiled by one engine and then the other recomputes every creator once.
    """
    p = posts.group_by(["platform", "creator_id"]).aggregate(
        _n=posts.count(),
        _last=posts.published_at.epoch_seconds().floor().cast("int64").max(),
        _tsum=(posts.published_at.epoch_seconds().floor().cast("int64") % 1_000_003).sum(),
        _likes=posts.likes.sum(),
        _likes_n=posts.likes.count(),
        _comments=posts.comments.sum(),
        _comments_n=posts.comments.count(),
        _shares=posts.shares.sum(),
        _saves=posts.saves.sum(),
        _views=posts.views.sum(),
        _views_n=posts.views.count(),
        _sp=posts.is_sponsored.fill_null(False).cast("int64").sum(),
        _tags=posts.hashtags.length().fill_null(0).sum(),
        # the engine's hash of each post's hashtags (joining them into text to measure it took
        # twice as long at fifty million posts): any edit to a tag changes the fingerprint
        _taghash=(posts.hashtags.hash() % 1_000_003).fill_null(0).sum(),
        _kind=posts.kind.length().fill_null(0).sum(),
    )
    # comments per post first (few columns), then one join to the posts' creators
    cn = post_comments(posts, comments)
    cn = cn.group_by(["platform", "creator_id"]).aggregate(_replies=cn._r.sum(), _cn=cn._c.sum())
    s = snapshots.group_by(["platform", "creator_id"]).aggregate(
        _sn=snapshots.count(), _slast=snapshots.observed_at.epoch_seconds().floor().cast("int64").max()
    )
    c = creators.select("platform", "creator_id", "followers")
    j = c.left_join(p, ["platform", "creator_id"]).left_join(s, ["platform", "creator_id"])
    j = j.left_join(cn, ["platform", "creator_id"])
    parts = [
        j.followers,
        j._n,
        j._last,
        j._tsum,
        j._likes,
        j._likes_n,
        j._comments,
        j._comments_n,
        j._shares,
        j._saves,
        j._views,
        j._views_n,
        j._sp,
        j._tags,
        j._taghash,
        j._kind,
        j._sn,
        j._slast,
        j._replies,
        j._cn,
    ]
    text = ibis.literal(f"v4|{settings_key}")
    for part in parts:
        text = text.concat("|", part.cast("string").fill_null("-"))
    return j.select("platform", "creator_id", input_fingerprint=text)
