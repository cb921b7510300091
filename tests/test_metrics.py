"""Unit tests of the metrics stage: hand-computed values on tiny worlds, compared to 1e-12."""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microscout.config import Settings
from microscout.metrics import peers, profile_creators
from microscout.reference import DATA_DIR
from microscout.store import Store, connect

NOW = dt.datetime(2026, 11, 1)
LAST = dt.datetime(2026, 10, 1, 12)  # the latest post of most creators below
IG = "instagram"
TOL = 1e-12
Z90 = 1.6448536269514722
# The peers.py docstring centres the interval on mu_post + WINDOW_DRIFT and adds WINDOW_DRIFT_SD² to
# its variance (the drift of a creator's level to the next window): the two estimated constants are
# read from the module (0 where it has none: the undrifted interval).
WINDOW_DRIFT = getattr(peers, "WINDOW_DRIFT", 0.0)
WINDOW_DRIFT_SD = getattr(peers, "WINDOW_DRIFT_SD", 0.0)


# ---- helpers ------------------------------------------------------------------------------


def approx(value: float, tol: float = TOL) -> Any:
    return pytest.approx(value, rel=tol, abs=tol)


def creator(cid: str, followers: int | None, platform: str = IG) -> dict[str, Any]:
    return {"platform": platform, "creator_id": cid, "followers": followers}


def post(
    cid: str,
    pid: str,
    *,
    likes: int | None,
    comments: int | None = 0,
    at: dt.datetime = LAST,
    platform: str = IG,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "platform": platform,
        "post_id": pid,
        "creator_id": cid,
        "published_at": at,
        "likes": likes,
        "comments": comments,
        **extra,
    }


def add_posts(store: Store, rows: list[dict[str, Any]]) -> None:
    """Insert posts grouped by column set (insert_rows takes the schema from the first row)."""
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        by_cols.setdefault(tuple(r), []).append(r)
    for group in by_cols.values():
        store.insert_rows("posts", group)


def profiles(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    cur = store.raw.execute("SELECT * FROM creator_profiles")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def run(store: Store, **kw: Any) -> dict[str, dict[str, Any]]:
    """Profile and return the rows of the instagram creators by creator_id (all rows keyed too)."""
    profile_creators(store, now=NOW, **kw)
    rows = profiles(store)
    out: dict[Any, dict[str, Any]] = {cid: r for (p, cid), r in rows.items() if p == IG}
    out.update(rows)
    return out


def new_store(tmp_path: Path, **settings: Any) -> Store:
    s = Settings(db=str(tmp_path / "custom.duckdb"), **settings)
    return connect(s.db, settings=s)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def read_reference_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# ---- ER by followers ----------------------------------------------------------------------


def test_median_and_mean_er_odd_and_even(store: Store) -> None:
    store.insert_rows("creators", [creator("odd", 1000), creator("even", 2000)])
    odd = [(10, 1), (30, 2), (20, 0)]  # engagements 11, 32, 20
    even = [(10, 0), (40, 0), (15, 5), (28, 2)]  # engagements 10, 40, 20, 30
    add_posts(
        store,
        [post("odd", f"o{i}", likes=lk, comments=c, at=LAST - days(i)) for i, (lk, c) in enumerate(odd)]
        + [post("even", f"e{i}", likes=lk, comments=c, at=LAST - days(i)) for i, (lk, c) in enumerate(even)],
    )
    p = run(store)
    assert p["odd"]["posts_in_window"] == 3
    assert p["odd"]["er_followers"] == approx(20 / 1000)
    assert p["odd"]["er_followers_mean"] == approx((11 + 32 + 20) / 3 / 1000)
    assert p["even"]["posts_in_window"] == 4
    assert p["even"]["er_followers"] == approx((20 + 30) / 2 / 2000)
    assert p["even"]["er_followers_mean"] == approx((10 + 40 + 20 + 30) / 4 / 2000)
    # the log scale: ln((eng + 0.5) / followers), sample sd
    logs = [math.log((e + 0.5) / 1000) for e in (11, 32, 20)]
    assert p["odd"]["er_log_n"] == 3
    assert p["odd"]["er_log_mean"] == approx(statistics.fmean(logs))
    assert p["odd"]["er_log_sd"] == approx(statistics.stdev(logs))


def test_hidden_likes_or_comments_are_excluded_not_zero(store: Store) -> None:
    store.insert_rows(
        "creators",
        [creator("likes", 1000), creator("comments", 1000), creator("allhidden", 1000)],
    )
    add_posts(
        store,
        [
            post("likes", "l0", likes=50, comments=0, at=LAST),
            post("likes", "l1", likes=None, comments=5, at=LAST - days(1)),  # hidden likes
            post("likes", "l2", likes=30, comments=0, at=LAST - days(2)),
            post("comments", "c0", likes=10, comments=None, at=LAST),  # hidden comments
            post("comments", "c1", likes=60, comments=0, at=LAST - days(1)),
            post("comments", "c2", likes=80, comments=0, at=LAST - days(2)),
            post("allhidden", "h0", likes=None, comments=None),
        ],
    )
    p = run(store)
    assert p["likes"]["er_followers"] == approx((50 + 30) / 2 / 1000)
    assert p["likes"]["er_followers_mean"] == approx((50 + 30) / 2 / 1000)
    assert p["likes"]["er_log_n"] == 2
    assert p["likes"]["posts_in_window"] == 3  # the hidden post is in the window, without an ER
    assert p["comments"]["er_followers"] == approx((60 + 80) / 2 / 1000)
    assert p["comments"]["er_log_n"] == 2
    # a creator whose every post is hidden is still profiled, without an ER
    assert p["allhidden"]["posts_in_window"] == 1
    assert p["allhidden"]["er_followers"] is None
    assert p["allhidden"]["er_log_n"] == 0
    # without a rated post its posterior is the prior, with no weight on its own posts
    assert p["allhidden"]["er_posterior"] == approx(p["allhidden"]["er_prior"])
    assert p["allhidden"]["shrinkage"] == 0.0


def test_stories_are_excluded(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 1000)])
    add_posts(
        store,
        [
            post("a", "p0", likes=10, at=LAST - days(1), kind="post"),
            post("a", "p1", likes=30, at=LAST - days(2), kind="reel"),
            post("a", "s0", likes=9000, comments=900, at=LAST, kind="story"),
        ],
    )
    p = run(store)
    assert p["a"]["posts_in_window"] == 2
    assert p["a"]["er_followers"] == approx((10 + 30) / 2 / 1000)
    assert p["a"]["last_post_at"] == LAST - days(1)


def test_zero_or_unknown_followers_give_null_er_not_an_error(store: Store) -> None:
    store.insert_rows("creators", [creator("zero", 0), creator("unknown", None)])
    add_posts(
        store,
        [
            post("zero", "z0", likes=10, comments=1, views=100),
            post("unknown", "u0", likes=10, comments=1),
        ],
    )
    p = run(store)
    for cid in ("zero", "unknown"):
        row = p[cid]
        assert row["posts_in_window"] == 1
        for col in ("er_followers", "er_followers_mean", "er_log_mean", "er_posterior", "er_low", "er_high"):
            assert row[col] is None, (cid, col)
        assert row["er_log_n"] == 0
    assert p["zero"]["tier"] == "sub_nano"
    assert p["unknown"]["tier"] is None
    # ER by views does not depend on followers
    assert p["zero"]["er_views"] == approx(11 / 100)


# ---- ER by views --------------------------------------------------------------------------


def test_er_views_only_for_posts_with_views(store: Store) -> None:
    store.insert_rows("creators", [creator("v", 1000), creator("noviews", 1000)])
    add_posts(
        store,
        [
            post("v", "v0", likes=20, comments=0, views=200, at=LAST),
            post("v", "v1", likes=30, comments=10, views=400, at=LAST - days(1)),
            post("v", "v2", likes=50, comments=0, views=0, at=LAST - days(2)),
            post("v", "v3", likes=70, comments=0, views=None, at=LAST - days(3)),
            post("noviews", "n0", likes=20, comments=0),
        ],
    )
    p = run(store)
    assert p["v"]["er_views"] == approx((20 / 200 + 40 / 400) / 2)
    assert p["v"]["er_views_mean"] == approx((20 / 200 + 40 / 400) / 2)
    assert p["v"]["er_followers"] == approx((40 + 50) / 2 / 1000)  # ER/F still uses all four
    assert p["noviews"]["er_views"] is None
    assert p["noviews"]["er_views_mean"] is None


# ---- the window ---------------------------------------------------------------------------


def test_window_keeps_latest_30_with_ties_broken_by_post_id_desc(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 10_000)])
    rows = [post("a", f"p{i:02d}", likes=10 + i, at=LAST - days(i)) for i in range(28)]
    tie_at = LAST - days(40)
    rows += [post("a", f"q{j}", likes=1000 * (j + 1), at=tie_at) for j in range(7)]  # 35 posts in all
    add_posts(store, rows)
    p = run(store)
    kept = [10 + i for i in range(28)] + [1000 * 7, 1000 * 6]  # q6 and q5 win the tie
    assert p["a"]["posts_in_window"] == 30
    assert p["a"]["er_followers_mean"] == approx(sum(kept) / 30 / 10_000)
    assert p["a"]["er_followers"] == approx(statistics.median(kept) / 10_000)
    assert p["a"]["last_post_at"] == LAST


@pytest.mark.parametrize("top_n", [True, False], ids=["duckdb-top-n", "portable-sort"])
@pytest.mark.parametrize(("n", "window_days"), [(1, None), (3, None), (5, None), (5, 3)])
def test_window_selection_equals_a_row_number_window(
    store: Store, n: int, window_days: int | None, top_n: bool
) -> None:
    """The window is chosen without sorting every post (metrics.posts.window_cut, both ways of
    finding the cut): on creators whose posts share times, lack times or are stories, it picks
    exactly the posts that row_number() over (newest first, higher post id first, no time last)
    picks."""
    from microscout.metrics.posts import recent_posts, window_cut

    rng = np.random.default_rng(7)
    creators, rows = [], []
    for c in range(120):
        creators.append(creator(f"c{c:03d}", 5_000))
        for i in range(int(rng.integers(0, 12))):
            at = None if rng.random() < 0.15 else LAST - days(int(rng.integers(0, 6)))  # many ties
            kind = "story" if rng.random() < 0.1 else "post"
            rows.append(post(f"c{c:03d}", f"c{c:03d}-{int(rng.integers(0, 10**6)):06d}-{i}", likes=1, at=at, kind=kind))
    store.insert_rows("creators", creators)
    add_posts(store, rows)
    posts = store.table("posts")
    cuts = window_cut(posts, n, top_n=top_n)
    got = recent_posts(posts, n, ["platform", "post_id"], days=window_days, cuts=cuts).execute()
    days_filter = "" if window_days is None else f"AND published_at >= last_at - INTERVAL {window_days} DAY"
    want = store.raw.execute(
        f"""SELECT platform, post_id FROM (
              SELECT *, row_number() OVER (PARTITION BY platform, creator_id
                                           ORDER BY published_at DESC NULLS LAST, post_id DESC) AS rn,
                        max(published_at) OVER (PARTITION BY platform, creator_id) AS last_at
              FROM posts WHERE kind IS NULL OR kind <> 'story')
            WHERE rn <= {n} {days_filter}"""
    ).fetchall()
    assert sorted(zip(got.platform, got.post_id, strict=True)) == sorted(want)
    assert len(want) > 100


def test_window_size_setting(tmp_path: Path) -> None:
    store = new_store(tmp_path, er_window_posts=5)
    try:
        store.insert_rows("creators", [creator("a", 1000)])
        add_posts(store, [post("a", f"p{i}", likes=10 * (i + 1), at=LAST - days(i)) for i in range(8)])
        p = run(store)
        assert p["a"]["posts_in_window"] == 5
        assert p["a"]["er_followers_mean"] == approx((10 + 20 + 30 + 40 + 50) / 5 / 1000)
        assert p["a"]["er_followers"] == approx(30 / 1000)
    finally:
        store.close()


def test_window_days_setting_is_relative_to_the_latest_post(tmp_path: Path) -> None:
    store = new_store(tmp_path, er_window_days=10)
    try:
        store.insert_rows("creators", [creator("a", 1000), creator("old", 1000)])
        offsets = {0: 10, 5: 20, 10: 30, 11: 400, 20: 500}  # days before the latest post: likes
        old_last = LAST - days(200)
        add_posts(
            store,
            [post("a", f"a{d}", likes=lk, at=LAST - days(d)) for d, lk in offsets.items()]
            + [post("old", f"o{d}", likes=lk, at=old_last - days(d)) for d, lk in offsets.items()],
        )
        p = run(store)
        for cid in ("a", "old"):
            assert p[cid]["posts_in_window"] == 3  # 0, 5 and exactly 10 days before the latest
            assert p[cid]["er_followers_mean"] == approx((10 + 20 + 30) / 3 / 1000)
    finally:
        store.close()


def test_include_shares_and_saves_setting(tmp_path: Path, store: Store) -> None:
    rows = [
        post("a", "p0", likes=10, comments=2, shares=3, saves=5, at=LAST),
        post("a", "p1", likes=20, comments=0, shares=None, saves=4, at=LAST - days(1)),
        post("a", "p2", likes=30, comments=0, shares=1, saves=None, at=LAST - days(2)),
    ]
    store.insert_rows("creators", [creator("a", 1000)])
    add_posts(store, rows)
    plain = run(store)["a"]
    assert plain["er_followers_mean"] == approx((12 + 20 + 30) / 3 / 1000)

    other = new_store(tmp_path, er_include_shares_saves=True)
    try:
        other.insert_rows("creators", [creator("a", 1000)])
        add_posts(other, rows)
        p = run(other)["a"]
        engagements = [12 + 3 + 5, 20 + 0 + 4, 30 + 1 + 0]  # NULL shares/saves count as 0
        assert p["er_followers_mean"] == approx(sum(engagements) / 3 / 1000)
        assert p["er_followers"] == approx(statistics.median(engagements) / 1000)
    finally:
        other.close()


# ---- behaviour ----------------------------------------------------------------------------


def test_posts_per_week_and_days_since_last_post(store: Store) -> None:
    store.insert_rows("creators", [creator("weekly", 1000), creator("fast", 1000), creator("single", 1000)])
    add_posts(
        store,
        [post("weekly", f"w{i}", likes=10, at=LAST - days(7 * i)) for i in range(4)]
        + [post("fast", f"f{i}", likes=10, at=LAST - days(2 * i)) for i in range(3)]
        + [post("single", "s0", likes=10, at=LAST - days(3))],
    )
    p = run(store)
    assert p["weekly"]["posts_per_week"] == approx(1.0)
    assert p["fast"]["posts_per_week"] == approx(2 / (4 / 7))
    assert p["single"]["posts_per_week"] is None  # no span to measure
    assert p["weekly"]["days_since_last_post"] == approx((NOW - LAST).total_seconds() / 86400)  # 30.5
    assert p["weekly"]["days_since_last_post"] == approx(30.5)
    assert p["single"]["days_since_last_post"] == approx(33.5)


def test_days_since_last_post_with_an_aware_now(store: Store) -> None:
    """An aware ``now`` means the same instant as its naive UTC equivalent."""
    store.insert_rows("creators", [creator("a", 1000)])
    add_posts(store, [post("a", "p0", likes=10)])
    aware = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # = NOW in UTC
    profile_creators(store, now=aware)
    row = profiles(store)[(IG, "a")]
    assert row["days_since_last_post"] == approx(30.5)
    assert row["computed_at"] == NOW


def test_engagement_cv(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 1000), creator("flat", 1000), creator("none", 1000)])
    engagements = [10, 20, 45]
    add_posts(
        store,
        [post("a", f"a{i}", likes=e, at=LAST - days(i)) for i, e in enumerate(engagements)]
        + [post("flat", f"f{i}", likes=7, at=LAST - days(i)) for i in range(3)]
        + [post("none", f"n{i}", likes=0, at=LAST - days(i)) for i in range(3)],
    )
    p = run(store)
    assert p["a"]["engagement_cv"] == approx(statistics.stdev(engagements) / statistics.fmean(engagements))
    assert p["flat"]["engagement_cv"] == approx(0.0)
    assert p["none"]["engagement_cv"] is None  # mean 0


def test_comment_like_ratio_uses_posts_with_both(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 1000), creator("nolikes", 1000)])
    add_posts(
        store,
        [
            post("a", "p0", likes=100, comments=5, at=LAST),
            post("a", "p1", likes=50, comments=10, at=LAST - days(1)),
            post("a", "p2", likes=None, comments=7, at=LAST - days(2)),
            post("a", "p3", likes=40, comments=None, at=LAST - days(3)),
            post("nolikes", "n0", likes=0, comments=3),
        ],
    )
    p = run(store)
    assert p["a"]["comment_like_ratio"] == approx((5 + 10) / (100 + 50))
    assert p["nolikes"]["comment_like_ratio"] is None


def test_sponsored_share_and_er_via_flag_and_disclosure_hashtags(store: Store) -> None:
    accepted = {
        r["tag"].lstrip("#").lower()
        for r in read_reference_csv("disclosure_tags.csv")
        if r["kind"] == "hashtag" and r["accepted"] == "1"
    }
    rejected_everywhere = {
        r["tag"].lstrip("#").lower() for r in read_reference_csv("disclosure_tags.csv") if r["kind"] == "hashtag"
    } - accepted
    assert {"anzeige", "werbung"} <= accepted
    assert "sp" in rejected_everywhere

    store.insert_rows("creators", [creator("a", 1000), creator("organic", 1000)])
    add_posts(
        store,
        [
            post("a", "p0", likes=10, is_sponsored=True, hashtags=["summer"], at=LAST),
            post("a", "p1", likes=20, is_sponsored=False, hashtags=["#Anzeige", "beach"], at=LAST - days(1)),
            post("a", "p2", likes=60, is_sponsored=None, hashtags=["Werbung"], at=LAST - days(2)),
            post("a", "p3", likes=40, is_sponsored=False, hashtags=["#sp"], at=LAST - days(3)),  # ambiguous tag
            post("a", "p4", likes=50, is_sponsored=None, hashtags=None, at=LAST - days(4)),
            post("organic", "o0", likes=30, is_sponsored=False, hashtags=["#ootd"]),
        ],
    )
    p = run(store)
    assert p["a"]["sponsored_share"] == approx(3 / 5)
    assert p["a"]["sponsored_er"] == approx(20 / 1000)  # median of 10, 20, 60
    assert p["a"]["organic_er"] == approx((40 + 50) / 2 / 1000)
    assert p["organic"]["sponsored_share"] == approx(0.0)
    assert p["organic"]["sponsored_er"] is None
    assert p["organic"]["organic_er"] == approx(30 / 1000)


def test_reply_rate_counts_comments_on_window_posts(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 1000), creator("b", 1000), creator("quiet", 1000)])
    add_posts(
        store,
        [
            post("a", "p0", likes=10, at=LAST),
            post("a", "p1", likes=10, at=LAST - days(1)),
            post("a", "st", likes=10, at=LAST - days(2), kind="story"),  # not in the window
            post("b", "b0", likes=10),
            post("quiet", "q0", likes=10),
        ],
    )

    def comment(cid: str, pid: str, reply: bool | None) -> dict[str, Any]:
        return {"platform": IG, "comment_id": cid, "post_id": pid, "is_creator_reply": reply}

    store.insert_rows(
        "comments",
        [
            comment("c1", "p0", True),
            comment("c2", "p0", False),
            comment("c3", "p1", None),  # unknown counts as not a reply
            comment("c4", "p1", False),
            comment("c5", "st", True),  # on a story: outside the window
            comment("c6", "b0", True),
            comment("c7", "b0", True),
            comment("c8", "b0", False),
        ],
    )
    p = run(store)
    assert p["a"]["reply_rate"] == approx(1 / 4)
    assert p["b"]["reply_rate"] == approx(2 / 3)
    assert p["quiet"]["reply_rate"] is None


def test_growth_from_snapshots(store: Store) -> None:
    store.insert_rows("creators", [creator("a", 1200), creator("young", 1000)])
    latest = dt.datetime(2026, 10, 31)

    def snap(cid: str, at: dt.datetime, followers: int) -> dict[str, Any]:
        return {"platform": IG, "creator_id": cid, "observed_at": at, "followers": followers}

    store.insert_rows(
        "creator_snapshots",
        [
            snap("a", latest, 1200),
            snap("a", latest - days(21), 1100),
            snap("a", latest - days(30), 1000),  # exactly 30 days older: counts
            snap("a", latest - days(45), 900),
            snap("a", latest - days(90), 800),  # exactly 90 days older
            snap("a", latest - days(120), 500),
            snap("young", latest, 1000),
            snap("young", latest - days(29), 950),
        ],
    )
    add_posts(store, [post("a", "p0", likes=10), post("young", "y0", likes=10)])
    p = run(store)
    assert p["a"]["growth_30d"] == approx(1200 / 1000 - 1)
    assert p["a"]["growth_90d"] == approx(1200 / 800 - 1)
    assert p["young"]["growth_30d"] is None
    assert p["young"]["growth_90d"] is None


# ---- tiers, percentiles, the posterior ---------------------------------------------------


def test_tier_boundaries(store: Store) -> None:
    cases = {
        "t999": (999, "sub_nano"),
        "t1000": (1000, "nano"),
        "t9999": (9999, "nano"),
        "t10000": (10_000, "micro"),
        "t99999": (99_999, "micro"),
        "t100000": (100_000, "mid"),
        "tnull": (None, None),
    }
    store.insert_rows("creators", [creator(cid, f) for cid, (f, _) in cases.items()])
    p = run(store)
    for cid, (followers, tier) in cases.items():
        assert p[cid]["followers"] == followers
        assert p[cid]["tier"] == tier, cid


def test_er_percentile_within_platform_and_tier(store: Store) -> None:
    store.insert_rows(
        "creators",
        [
            creator("low", 2000),
            creator("mid", 2000),
            creator("high", 2000),
            creator("micro", 20_000),
            creator("tt", 2000, platform="tiktok"),
        ],
    )
    add_posts(
        store,
        [
            post("low", "l0", likes=10, at=LAST),
            post("low", "l1", likes=30, at=LAST - days(1)),  # median ER 0.010
            post("mid", "m0", likes=35, at=LAST),
            post("mid", "m1", likes=45, at=LAST - days(1)),  # 0.020
            post("high", "h0", likes=50, at=LAST),
            post("high", "h1", likes=70, at=LAST - days(1)),  # 0.030
            post("micro", "mi", likes=10),  # lowest ER of all, but alone in its tier
            post("tt", "t", likes=1, platform="tiktok"),  # lowest ER, other platform
        ],
    )
    p = run(store)
    assert [p[c]["er_percentile"] for c in ("low", "mid", "high")] == [0.0, 0.5, 1.0]
    assert [p[c]["er_posterior_percentile"] for c in ("low", "mid", "high")] == [0.0, 0.5, 1.0]
    assert {p[c]["peer_count"] for c in ("low", "mid", "high")} == {3}
    assert p["micro"]["er_percentile"] == 0.0
    assert p["micro"]["peer_count"] == 1
    tt = p[("tiktok", "tt")]
    assert tt["er_percentile"] == 0.0
    assert tt["peer_count"] == 1


GROUP = {  # creator -> (followers, engagements of its posts); all instagram nano
    "g0": (2000, [10, 20, 30]),
    "g1": (3000, [100, 150]),
    "g2": (4000, [5, 8, 3, 12]),
    "g3": (5000, [400, 300, 350]),
    "g4": (2500, [0, 2]),
    "g5": (6000, [60, 90, 40, 70, 55]),
    "g6": (7000, [700]),
    "g7": (8000, [20, 25]),
    "g8": (9000, [900, 1200, 600]),
    "g9": (1500, [15, 1, 45]),
}


def _posterior_by_hand(group: dict[str, tuple[int, list[int]]]) -> dict[str, dict[str, float]]:
    logs = {c: np.log((np.array(e, dtype=float) + 0.5) / f) for c, (f, e) in group.items()}
    ybar = np.array([v.mean() for v in logs.values()])
    n = np.array([len(v) for v in logs.values()], dtype=float)
    m = ybar.mean()
    vb = ybar.var(ddof=1)
    inv_n = (1 / n).mean()
    multi = [v for v in logs.values() if len(v) > 1]
    sigma2 = sum((len(v) - 1) * v.var(ddof=1) for v in multi) / sum(len(v) - 1 for v in multi)
    tau2 = max(vb - sigma2 * inv_n, 0.01)
    out = {}
    for (c, (f, _)), yb, nc in zip(group.items(), ybar, n, strict=True):
        prec = 1 / tau2 + nc / sigma2
        mu = (m / tau2 + nc * yb / sigma2) / prec
        centre = mu + WINDOW_DRIFT
        spread = Z90 * math.sqrt(1 / prec + (math.pi / 2) * sigma2 / 30 + WINDOW_DRIFT_SD**2)
        off = 0.5 / f

        def er(x: float, off: float = off) -> float:
            return max(math.exp(x) - off, 0.0)

        out[c] = {
            "er_prior": er(m),
            "er_posterior": er(mu),
            "er_low": er(centre - spread),
            "er_high": er(centre + spread),
            "shrinkage": (nc / sigma2) / prec,
            "er_log_mean": float(yb),
            "_tau2": tau2,
        }
    return out


def _world(store: Store, group: dict[str, tuple[int, list[int]]]) -> None:
    store.insert_rows("creators", [creator(c, f) for c, (f, _) in group.items()])
    add_posts(
        store,
        [post(c, f"{c}-{i}", likes=e, at=LAST - days(i)) for c, (_, es) in group.items() for i, e in enumerate(es)],
    )


def test_posterior_matches_the_normal_normal_formulas(store: Store) -> None:
    _world(store, GROUP)
    p = run(store)
    expected = _posterior_by_hand(GROUP)
    assert expected["g0"]["_tau2"] > 0.01  # the group is built so that tau² is above its floor
    for c, exp_row in expected.items():
        assert p[c]["tier"] == "nano"
        assert p[c]["er_log_mean"] == approx(exp_row["er_log_mean"], 1e-9)
        for col in ("er_prior", "er_posterior", "er_low", "er_high", "shrinkage"):
            assert p[c][col] == approx(exp_row[col], 1e-9), (c, col)
        assert p[c]["er_low"] <= p[c]["er_posterior"] <= p[c]["er_high"]


def test_small_tier_groups_fall_back_to_the_platform_prior(store: Store) -> None:
    # 7 nano + 3 micro creators: no tier has 10, so everyone uses the platform's 10 creators
    group = dict(GROUP)
    for c in ("g7", "g8", "g9"):
        f, e = group[c]
        group[c] = (f * 10, [x * 10 for x in e])
    _world(store, group)
    p = run(store)
    assert {p[c]["tier"] for c in group} == {"nano", "micro"}
    expected = _posterior_by_hand(group)
    for c, exp_row in expected.items():
        for col in ("er_prior", "er_posterior", "er_low", "er_high", "shrinkage"):
            assert p[c][col] == approx(exp_row[col], 1e-9), (c, col)


def test_posterior_is_never_nan_when_posts_do_not_vary(store: Store) -> None:
    """sigma² = 0 (no post-to-post variation in the whole group) must not produce NaN profiles."""
    group = {"flat0": (1000, [0, 0]), "flat1": (2000, [20, 20, 20]), "single": (3000, [30])}
    _world(store, group)
    p = run(store)
    for c in group:
        assert p[c]["er_log_n"] == len(group[c][1])
        values = {col: p[c][col] for col in ("er_posterior", "er_low", "er_high", "shrinkage")}
        for col, v in values.items():
            assert v is None or math.isfinite(v), (c, col, v)
        if values["er_posterior"] is not None:
            assert values["er_low"] <= values["er_posterior"] <= values["er_high"], c
            assert 0.0 <= values["shrinkage"] <= 1.0, c


def test_expected_er_against_polyfit(store: Store) -> None:
    ig = {"a": (1500, 60), "b": (4000, 100), "c": (20_000, 260), "d": (90_000, 700)}
    tt = {"x": (2000, 40), "y": (50_000, 300)}
    store.insert_rows(
        "creators",
        [creator(c, f) for c, (f, _) in ig.items()]
        + [creator(c, f, platform="tiktok") for c, (f, _) in tt.items()]
        + [creator("zero", 0)],
    )
    add_posts(
        store,
        [post(c, c, likes=e) for c, (_, e) in ig.items()]
        + [post(c, c, likes=e, platform="tiktok") for c, (_, e) in tt.items()]
        + [post("zero", "zero", likes=5)],
    )
    p = run(store)
    for platform, world in ((IG, ig), ("tiktok", tt)):
        x = np.log10([f for f, _ in world.values()])
        y = np.log10([e / f for f, e in world.values()])
        slope, intercept = np.polyfit(x, y, 1)
        for c, (f, e) in world.items():
            log_exp = intercept + slope * math.log10(f)
            row = p[(platform, c)]
            assert row["expected_er"] == approx(10**log_exp, 1e-9), c
            assert row["er_residual"] == approx(math.log10(e / f) - log_exp, 1e-9), c
    assert p["zero"]["expected_er"] is None
    assert p["zero"]["er_residual"] is None


def test_benchmark_position_against_the_primary_band(store: Store) -> None:
    followers = 3000
    (band,) = [
        r
        for r in read_reference_csv("benchmarks.csv")
        if r["platform"] == IG
        and r["basis"] == "er_followers"
        and r["primary"] == "1"
        and int(r["followers_min"]) <= followers < int(r["followers_max"] or 10**12)
    ]
    low, high = float(band["low"]), float(band["high"])
    engagements = {
        "within": round(followers * (low + high) / 2),
        "below": math.floor(followers * low) - 1,
        "above": math.ceil(followers * high) + 1,
    }
    assert low <= engagements["within"] / followers <= high
    assert engagements["below"] / followers < low
    assert engagements["above"] / followers > high
    store.insert_rows("creators", [creator(c, followers) for c in engagements])
    add_posts(store, [post(c, c, likes=e) for c, e in engagements.items()])
    p = run(store)
    for c in engagements:
        assert p[c]["benchmark_low"] == approx(low)
        assert p[c]["benchmark_high"] == approx(high)
        assert p[c]["benchmark_position"] == c
        assert band["tier_label"] in p[c]["benchmark_source"]


# ---- incremental re-profiling -------------------------------------------------------------


def assert_same_rows(got: dict[Any, dict[str, Any]], want: dict[Any, dict[str, Any]]) -> None:
    """Equal rows, floats to 1e-12 (aggregation order may differ between runs)."""
    assert got.keys() == want.keys()
    for key, row in want.items():
        for col, value in row.items():
            if isinstance(value, float):
                assert got[key][col] == approx(value), (key, col)
            else:
                assert got[key][col] == value, (key, col)


BASE_COLS = ("followers", "tier", "posts_in_window", "er_followers", "er_followers_mean", "er_log_mean", "last_post_at")


def test_incremental_reprofiling(store: Store) -> None:
    store.insert_rows("creators", [creator(c, 1000 * (i + 2)) for i, c in enumerate("abc")])
    add_posts(store, [post(c, f"{c}{i}", likes=10 * (i + 1), at=LAST - days(i)) for c in "abc" for i in range(3)])
    first = profile_creators(store, now=NOW)
    assert (first.creators, first.recomputed) == (3, 3)
    before = profiles(store)

    again = profile_creators(store, now=NOW)
    assert (again.creators, again.recomputed) == (3, 0)
    assert_same_rows(profiles(store), before)

    add_posts(store, [post("a", "a-new", likes=500, at=LAST + days(1))])
    third = profile_creators(store, now=NOW)
    assert (third.creators, third.recomputed) == (3, 1)
    after = profiles(store)
    assert after[(IG, "a")]["posts_in_window"] == 4
    assert after[(IG, "a")]["er_followers"] == approx((20 + 30) / 2 / 2000)
    assert after[(IG, "a")]["last_post_at"] == LAST + days(1)
    assert after[(IG, "a")]["input_fingerprint"] != before[(IG, "a")]["input_fingerprint"]
    for c in "bc":  # base columns untouched; peer columns may move
        for col in (*BASE_COLS, "input_fingerprint"):
            assert after[(IG, c)][col] == before[(IG, c)][col], (c, col)

    full = profile_creators(store, now=NOW, full=True)
    assert (full.creators, full.recomputed) == (3, 3)
    assert_same_rows(profiles(store), after)


def test_incremental_reprofiling_sees_a_changed_sponsorship_flag(store: Store) -> None:
    """A change to any input of a creator's metrics must trigger its recomputation."""
    store.insert_rows("creators", [creator("a", 1000)])
    add_posts(
        store,
        [
            post("a", "p0", likes=10, is_sponsored=False, at=LAST),
            post("a", "p1", likes=20, is_sponsored=False, at=LAST - days(1)),
        ],
    )
    profile_creators(store, now=NOW)
    assert profiles(store)[(IG, "a")]["sponsored_share"] == 0.0
    store.insert_rows("posts", [post("a", "p0", likes=10, is_sponsored=True, at=LAST)])  # the brand label appears
    profile_creators(store, now=NOW)
    row = profiles(store)[(IG, "a")]
    assert row["sponsored_share"] == approx(0.5)
    assert row["sponsored_er"] == approx(10 / 1000)
