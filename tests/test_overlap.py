"""Audience overlap on constructed samples: MinHash estimates, containment, LSH pairs."""

from __future__ import annotations

import pandas as pd
import pytest

from microscout.overlap import audience_samples, overlap_matrix, overlap_pairs

SETS = {
    "a": range(0, 200),
    "b": range(100, 300),  # J(a, b) = 100 / 300
    "c": range(1000, 1200),  # disjoint from a and b
    "d": range(150, 250),  # inside b: containment 1
}


@pytest.fixture
def world(store):
    store.insert_rows(
        "creators",
        [
            {"platform": "instagram", "creator_id": k, "handle": f"h{k}", "followers": 10_000 if k != "d" else 2_000}
            for k in [*SETS, "e"]
        ],
    )
    rows = [
        {"platform": "instagram", "creator_id": k, "account_id": f"u{i}", "relation": "follower"}
        for k, ids in SETS.items()
        for i in ids
    ]
    # one commenter sample: shared only through the commenter relation
    rows += [{"platform": "instagram", "creator_id": "c", "account_id": "u5", "relation": "commenter"}]
    store.upsert("audience_edges", pd.DataFrame(rows))
    return store


def test_minhash_estimates_jaccard_and_containment(world):
    keys = [("instagram", k) for k in ("a", "b", "c", "d", "e")]
    pairs, notes = overlap_matrix(world, keys, num_perm=256)
    by = {(p.a[1], p.b[1]): p for p in pairs}
    assert by[("a", "b")].jaccard == pytest.approx(1 / 3, abs=0.08)
    assert by[("a", "b")].containment == pytest.approx(0.5, abs=0.1)
    assert by[("a", "b")].shared_audience == pytest.approx(5000, rel=0.2)
    assert by[("b", "d")].containment == pytest.approx(1.0, abs=0.1)
    assert by[("b", "d")].shared_audience == pytest.approx(2000, rel=0.1)
    assert by[("a", "c")].jaccard < 0.03  # one shared commenter among 400 accounts
    assert notes == ["instagram:e: no audience sample (follower/commenter)"]
    followers_only, _ = overlap_matrix(world, keys[:3], relations=("follower",), num_perm=256)
    assert {(p.a[1], p.b[1]): p.jaccard for p in followers_only}[("a", "c")] == 0.0


def test_lsh_finds_the_overlapping_pairs_only(world):
    keys = [("instagram", k) for k in SETS]
    found = overlap_pairs(world, keys, min_jaccard=0.1)
    assert {(p.a[1], p.b[1]) for p in found} == {("a", "b"), ("b", "d"), ("a", "d")}
    assert found[0].jaccard >= found[-1].jaccard


def test_samples_are_per_platform(world):
    world.upsert(
        "audience_edges",
        pd.DataFrame([{"platform": "tiktok", "creator_id": "a", "account_id": "u1", "relation": "follower"}]),
    )
    samples = audience_samples(world, [("instagram", "a"), ("tiktok", "a")])
    assert len(samples[("instagram", "a")]) == 200 and list(samples[("tiktok", "a")]) == ["tiktok:u1"]
