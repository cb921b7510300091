"""Property tests of the peer statistics: the posterior, its interval, shrinkage and percentiles."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microscout.config import Settings
from microscout.metrics import profile_creators
from microscout.metrics.peers import MIN_GROUP
from microscout.store import Store, connect

NOW = dt.datetime(2026, 11, 1)
LAST = dt.datetime(2026, 10, 1, 12)
TOL = 1e-9

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

posts_st = st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 200)), min_size=1, max_size=20)
creator_st = st.tuples(st.integers(0, 200_000), posts_st)  # (followers, [(likes, comments)])
world_st = st.lists(creator_st, min_size=10, max_size=15)


@contextmanager
def fresh_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        s = Settings(db=str(Path(folder) / "p.duckdb"))
        store = connect(s.db, settings=s)
        try:
            yield store
        finally:
            store.close()


def load(store: Store, platform: str, world: list[tuple[int, list[tuple[int, int]]]]) -> None:
    store.insert_rows(
        "creators", [{"platform": platform, "creator_id": f"c{i}", "followers": f} for i, (f, _) in enumerate(world)]
    )
    store.insert_rows(
        "posts",
        [
            {
                "platform": platform,
                "post_id": f"c{i}-{j}",
                "creator_id": f"c{i}",
                "published_at": LAST - dt.timedelta(days=j),
                "likes": likes,
                "comments": comments,
            }
            for i, (_, posts) in enumerate(world)
            for j, (likes, comments) in enumerate(posts)
        ],
    )


def rows(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    cur = store.raw.execute("SELECT * FROM creator_profiles")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def between(x: float, a: float, b: float) -> bool:
    lo, hi = min(a, b), max(a, b)
    slack = TOL * max(1.0, abs(lo), abs(hi))
    return lo - slack <= x <= hi + slack


@FAST
@given(world=world_st)
def test_posterior_interval_shrinkage_and_percentiles(world: list[tuple[int, list[tuple[int, int]]]]) -> None:
    with fresh_store() as store:
        load(store, "instagram", world)
        profile_creators(store, now=NOW)
        got = rows(store)
    assert len(got) == len(world)
    rated_in_tier = Counter(r["tier"] for r in got.values() if r["er_log_n"] > 0)

    for key, r in got.items():
        # (d) percentiles are fractions
        for col in ("er_percentile", "er_posterior_percentile"):
            assert r[col] is None or 0.0 <= r[col] <= 1.0, (key, col, r[col])
        if r["er_followers"] is not None:
            assert r["er_percentile"] is not None, key
        if r["er_posterior"] is None:
            continue
        post, prior = r["er_posterior"], r["er_prior"]
        for col in ("er_prior", "er_posterior", "er_low", "er_high", "shrinkage"):
            assert r[col] is not None and math.isfinite(r[col]), (key, col, r[col])
        # (a) between the creator's own geometric-mean ER and the prior
        if r["er_log_n"] > 0:
            own = math.exp(r["er_log_mean"]) - 0.5 / r["followers"]
            assert between(post, own, prior), (key, own, post, prior)
        else:
            assert post == prior or between(post, prior, prior), key
        # (b) the interval holds the posterior
        assert r["er_low"] <= post + TOL * max(1.0, post) and post <= r["er_high"] + TOL * max(1.0, post), key
        # (e) shrinkage is a weight
        assert 0.0 <= r["shrinkage"] <= 1.0, (key, r["shrinkage"])

    # (e) shrinkage grows with the number of rated posts among creators that share a prior
    def prior_key(r: dict[str, Any]) -> str:
        return r["tier"] if rated_in_tier[r["tier"]] >= MIN_GROUP else "(platform)"

    groups: dict[str, list[tuple[int, float]]] = {}
    for r in got.values():
        if r["shrinkage"] is not None:
            groups.setdefault(prior_key(r), []).append((r["er_log_n"], r["shrinkage"]))
    for key, members in groups.items():
        members.sort()
        for (n1, s1), (n2, s2) in itertools.pairwise(members):
            assert s1 <= s2 + 1e-12, (key, n1, s1, n2, s2)
            if n1 == n2:
                assert abs(s1 - s2) <= 1e-12, (key, n1, s1, s2)


@FAST
@given(
    peers=st.lists(creator_st, min_size=9, max_size=14),
    followers=st.integers(1, 200_000),
    likes=st.integers(0, 2000),
    comments=st.integers(0, 200),
    n=st.integers(1, 10),
)
def test_interval_never_widens_with_more_posts_at_the_same_rate(
    peers: list[tuple[int, list[tuple[int, int]]]], followers: int, likes: int, comments: int, n: int
) -> None:
    """The same creator with n and with 2n identical posts among the same peers.

    The two worlds live on two platforms of one store (every peer statistic is per platform). The
    width is compared on the model's log scale, ln(er_high + 0.5/F) - ln(er_low + 0.5/F): in ER units
    the width also scales with the interval's centre, which moves towards the creator's own rate as
    its weight grows.
    """
    target = f"c{len(peers)}"
    with fresh_store() as store:
        load(store, "instagram", [*peers, (followers, [(likes, comments)] * n)])
        load(store, "mastodon", [*peers, (followers, [(likes, comments)] * (2 * n))])
        profile_creators(store, now=NOW)
        got = rows(store)
    few, many = got[("instagram", target)], got[("mastodon", target)]
    assert few["er_log_n"] == n and many["er_log_n"] == 2 * n
    assert few["er_log_mean"] == many["er_log_mean"] or math.isclose(few["er_log_mean"], many["er_log_mean"])
    for r in (few, many):
        for col in ("er_posterior", "er_low", "er_high", "shrinkage"):
            assert r[col] is None or math.isfinite(r[col]), (r["platform"], r["er_log_n"], col, r[col])
    if many["er_posterior"] is None:  # more posts never lose an estimate
        assert few["er_posterior"] is None
        return
    if few["er_posterior"] is None:  # e.g. one post each: no post-to-post variance to estimate yet
        return
    if min(few["er_low"], many["er_low"]) <= 0:  # the lower end is clipped at 0: no log width
        return
    off = 0.5 / followers

    def width(r: dict[str, Any]) -> float:
        return math.log(r["er_high"] + off) - math.log(r["er_low"] + off)

    assert width(many) <= width(few) + 1e-9, (n, width(few), width(many), few, many)
    assert many["shrinkage"] >= few["shrinkage"] - 1e-12, (few["shrinkage"], many["shrinkage"])
