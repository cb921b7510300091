"""Per-post engagement, and the window of recent posts each creator is measured on.

* ER by followers (ER/F) = (likes + comments [+ shares + saves]) / followers.
* ER by views (ER/V) = the same engagements / views (posts with views only).
* A post whose likes or comments are hidden (NULL) has no ER: it is excluded, never zero.
* Stories are excluded (their engagement is not public).
* The window: the creator's most recent ``window_posts`` posts (newest first, ties on the time
  broken by the higher post id, posts without a time last), optionally only those of the last
  ``window_days`` days before the creator's latest post.
"""

from __future__ import annotations

import re
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
from ibis.common.exceptions import IbisError

# continuity correction for the log scale: a post with no engagement has log ER of ln(0.5/F)
LOG_OFFSET = 0.5
KEYS = ["platform", "creator_id"]
# joins a post's hashtags into one string for the disclosure match (a control character: never
# inside a hashtag, so a match cannot straddle two tags)
_SEP = "\x1f"


def disclosure_hashtags(rows: list[dict[str, Any]]) -> list[str]:
    """Accepted disclosure hashtags of every market, lower case without '#'."""
    tags = {str(r["tag"]).lstrip("#").lower() for r in rows if r["kind"] == "hashtag" and r.get("accepted", 1) == 1}
    return sorted(tags)


def disclosed(hashtags: ir.ArrayValue, tags: list[str]) -> ir.BooleanValue:
    """True when one of the post's hashtags, lower-cased and without leading '#', is a disclosure tag.

    One regular expression over the joined hashtags: a lambda per hashtag (lower, strip, then a
    set intersection with forty tags) took 8.7 s per ten million posts, this 1.7 s."""
    if not tags:
        return ibis.literal(False)
    words = "|".join(re.escape(t) for t in tags)
    return hashtags.join(_SEP).lower().re_search(f"(^|{_SEP})#*({words})({_SEP}|$)").fill_null(False)


@ibis.udf.agg.builtin(name="max")
def _latest_times(arg: dt.Timestamp(), n: dt.Int32()) -> dt.Array(dt.Timestamp()):  # type: ignore[valid-type]
    """DuckDB's ``max(x, n)``: the n largest values, largest first."""


def _backend_name(t: ir.Table) -> str | None:
    try:
        return str(ibis.get_backend(t).name)
    except IbisError:  # an unbound table: no backend to specialise for
        return None


def not_story(posts: ir.Table) -> ir.BooleanValue:
    return posts.kind.isnull() | (posts.kind != "story")


def window_cut(posts: ir.Table, n: int, *, top_n: bool | None = None) -> ir.Table:
    """Where each creator's window of ``n`` most recent posts ends: one row per creator with
    ``_n`` (posts other than stories), ``_cut`` (the time of the n-th most recent; NULL when
    fewer than n have a time), ``_edge_id`` (of the posts at exactly the cut, the lowest post id
    inside the window) and ``_last_at`` (the latest post). :func:`in_window` applies it.

    The order is newest first, ties on the time by the higher post id, posts without a time last —
    what ``row_number() < n`` over a window sorted that way selects, without sorting every post:
    one hash aggregate finds each creator's cut — on DuckDB its top-n aggregate ``max(x, n)``, on
    other engines (``top_n=False``) the creator's times collected and sorted — and only the few
    posts at the cut are ranked by id. At ten million posts this takes about a second where a
    window over every post took four.

    ``posts`` is the posts table itself: its reads here and in the callers are built as different
    expressions, so DuckDB scans it again instead of materialising one shared scan of every post
    as a common table expression."""
    times = posts.select("platform", "creator_id", "published_at", "kind")
    times = times.filter(not_story(times))
    m = times.published_at.count()  # posts with a time (NULLs are neither collected nor counted)
    if _backend_name(posts) == "duckdb" if top_n is None else top_n:
        # DuckDB's top-n aggregate keeps the n latest times, newest first, without sorting them all
        top = _latest_times(times.published_at, n)
        cut = (m >= n).ifelse(top[n - 1], ibis.null("timestamp"))
        newer, at_or_after = (m >= n).ifelse(top.index(cut), m), ibis.null("int64")
    else:
        ordered = times.published_at.collect().sort()  # ascending
        cut = (m >= n).ifelse(ordered[(m - n).cast("int32")], ibis.null("timestamp"))  # Spark indexes by int
        newer, at_or_after = ibis.null("int64"), (m >= n).ifelse(m - ordered.index(cut), m)
    # one aggregate computes the cut: DuckDB then keeps (and, read twice, materialises) a few
    # numbers per creator, never the lists
    stats = times.group_by(KEYS).aggregate(
        _n=times.count(),
        _m=m,
        _cut=cut,
        _last_at=times.published_at.max(),
        _newer=newer,  # posts strictly newer than the cut (DuckDB)
        _at_or_after=at_or_after,  # posts at or after the cut (elsewhere)
    )
    edge = posts.select("platform", "creator_id", "post_id", "published_at", "kind")
    edge = edge.filter(not_story(edge)).join(stats, KEYS)
    edge = edge.filter(
        (edge._n > n)
        & ((edge._cut.notnull() & (edge.published_at == edge._cut)) | (edge._cut.isnull() & edge.published_at.isnull()))
    )
    edge = edge.mutate(
        _r=ibis.row_number().over(group_by=[edge.platform, edge.creator_id], order_by=edge.post_id.desc()),
        _c=edge.count().over(group_by=[edge.platform, edge.creator_id]),
    )
    # places left for the posts at the cut: n minus the posts strictly after it (or with a time)
    before = edge._cut.notnull().ifelse(edge._newer.fill_null(edge._at_or_after - edge._c), edge._m)
    edge = edge.filter(edge._r < n - before)  # row_number counts from 0
    edge = edge.group_by(KEYS).aggregate(_edge_id=edge.post_id.min())
    cuts = stats.select(*KEYS, "_n", "_cut", "_last_at").left_join(edge, KEYS)
    # distinct() (one row per creator already): a relation Ibis names once as a common table
    # expression, so every user of the cut shares one computation (a join would be inlined into
    # each user's joins and the posts at the cut ranked again for each)
    return cuts.drop(*[f"{k}_right" for k in KEYS]).distinct()


def in_window(t: ir.Table, n: int, days: int | None = None) -> ir.BooleanValue:
    """Whether a post of ``t`` (posts joined to :func:`window_cut`) is in its creator's window;
    ``days``: and at most that many days older than the creator's latest post.

    One CASE over both sides of the join, so DuckDB cannot push the story test down into the scan
    of posts (it then guesses that a fifth of the posts pass and builds its hash tables on them)."""
    at_cut = (t._cut.notnull() & (t.published_at == t._cut)) | (t._cut.isnull() & t.published_at.isnull())
    sure = (t._n <= n) | (t.published_at > t._cut) | (t._cut.isnull() & t.published_at.notnull())
    keep = sure | (at_cut & (t.post_id >= t._edge_id)).fill_null(False)
    if days is not None:
        keep &= t.published_at >= t._last_at - ibis.interval(days=days)
    return ibis.ifelse(not_story(t), keep, False)


def recent_posts(
    posts: ir.Table,
    n: int,
    columns: list[str],
    *,
    days: int | None = None,
    derived: dict[str, ir.Value] | None = None,
    cuts: ir.Table | None = None,
) -> ir.Table:
    """``columns`` (and ``derived``: expressions over ``posts``) of the posts in each creator's
    window (:func:`window_cut`, :func:`in_window`); ``cuts``: the window cut, when the caller
    uses it elsewhere too (one expression, computed once)."""
    needed = [c for c in (*KEYS, "post_id", "published_at", "kind") if c not in columns]
    cuts = window_cut(posts, n) if cuts is None else cuts
    j = posts.select(*columns, *needed, **(derived or {})).join(cuts, KEYS)
    return j.filter(in_window(j, n, days)).select(*columns, *(derived or {}))


def window_posts(
    posts: ir.Table,
    creators: ir.Table,
    *,
    window_posts: int,
    window_days: int | None,
    include_shares_saves: bool,
    disclosure_tags: list[str],
    cuts: ir.Table | None = None,
) -> ir.Table:
    """The posts in each creator's window, with engagement, ER/F, ER/V and a sponsored flag
    (``cuts``: :func:`window_cut` of the posts, when the caller has it)."""
    columns = [
        "platform", "creator_id", "post_id", "published_at", "hashtags",
        "likes", "comments", "shares", "saves", "views", "is_sponsored",
    ]  # fmt: skip
    recent = recent_posts(posts, window_posts, columns, days=window_days, cuts=cuts)
    joined = recent.join(creators.select("platform", "creator_id", "followers"), KEYS)
    # on the window's posts only: the disclosure match is the costliest step per post
    sponsored = joined.is_sponsored.fill_null(False) | disclosed(joined.hashtags, disclosure_tags)
    eng = joined.likes + joined.comments
    if include_shares_saves:
        eng = eng + joined.shares.fill_null(0) + joined.saves.fill_null(0)
    return joined.mutate(
        eng=eng,
        er_f=(joined.followers > 0).ifelse(eng.cast("float64") / joined.followers, ibis.null(float)),
        er_v=(joined.views > 0).ifelse(eng.cast("float64") / joined.views, ibis.null(float)),
        log_er=(joined.followers > 0).ifelse(
            ((eng.cast("float64") + LOG_OFFSET) / joined.followers).ln(), ibis.null(float)
        ),
        sponsored=sponsored,
        pub_s=joined.published_at.epoch_seconds().floor().cast("int64"),
    ).drop("hashtags")
