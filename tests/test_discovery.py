"""Discovery: the in-memory creator index answers exactly what the reference SQL answers."""

from __future__ import annotations

import itertools
import random

import pytest

from conftest import NOW
from microscout.bench.api import query_mix
from microscout.discovery import SORTS, CreatorFilters, CreatorIndex, search_creators
from microscout.ingest import ingest_files
from microscout.metrics import profile_creators
from microscout.sample import generate_world
from microscout.store.schema import TABLES


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    from microscout.config import Settings
    from microscout.store import connect

    folder = tmp_path_factory.mktemp("discovery")
    settings = Settings(db=str(folder / "d.duckdb"))
    store = connect(settings.db, settings=settings)
    generate_world(folder / "w", creators=300, posts_per_creator=6, seed=9)
    ingest_files(store, [folder / "w"], workspace="default")
    profile_creators(store, now=NOW)
    # AQS, markets and niches for part of the creators (others keep NULL), for the filters to bite
    store.raw.execute(
        "UPDATE creator_profiles SET aqs = (hash(creator_id) % 100)::DOUBLE WHERE hash(creator_id) % 3 > 0"
    )
    if "niches" in TABLES["creator_profiles"].columns:
        store.raw.execute(
            "UPDATE creator_profiles SET niches = CASE hash(creator_id) % 4 WHEN 0 THEN ['beauty'] "
            "WHEN 1 THEN ['beauty', 'travel'] WHEN 2 THEN ['food'] ELSE NULL END, "
            "home_market = CASE WHEN hash(creator_id) % 5 = 0 THEN 'JP' ELSE NULL END"
        )
    yield store
    store.close()


def _filters(rng: random.Random) -> CreatorFilters:
    def some(values: list[str]) -> tuple[str, ...]:
        return tuple(rng.sample(values, rng.randrange(1, 3))) if rng.random() < 0.35 else ()

    def maybe(*values: object) -> object:
        return rng.choice(values) if rng.random() < 0.3 else None

    return CreatorFilters(
        platforms=some(["instagram", "tiktok", "youtube", "x", "bluesky", "nowhere"]),
        tiers=some(["nano", "micro", "mid", "sub_nano"]),
        followers_min=maybe(1000, 5000),  # type: ignore[arg-type]
        followers_max=maybe(50_000, 100_000),  # type: ignore[arg-type]
        markets=some(["US", "BR", "JP", "DE", "IN", "XX"]),
        languages=some(["en", "pt", "ja", "de", "hi"]),
        niches=some(["beauty", "travel", "food", "gaming"]),
        min_aqs=maybe(30.0, 70.0),  # type: ignore[arg-type]
        min_er_percentile=maybe(0.25, 0.5),  # type: ignore[arg-type]
        q=maybe("a", "AN", "zz"),  # type: ignore[arg-type]
    )


def test_index_and_sql_give_the_same_pages(profiled):
    index = CreatorIndex.build(profiled)
    assert index.size == 300
    rng = random.Random(4)
    checked = 0
    for _ in range(60):
        filters = _filters(rng)
        sort = rng.choice(list(SORTS))
        descending = rng.random() < 0.7
        limit, offset = rng.choice([(50, 0), (50, 0), (10, 10), (25, 100)])
        expected = search_creators(profiled, filters, sort=sort, descending=descending, limit=limit, offset=offset)
        got = index.search(filters, sort=sort, descending=descending, limit=limit, offset=offset)
        assert got.total == expected.total, filters
        assert got.rows == expected.rows, (filters, sort, descending)
        checked += bool(expected.rows)
    assert checked >= 20  # most combinations matched something


def test_every_filter_narrows_the_result(profiled):
    index = CreatorIndex.build(profiled)
    everyone = index.search(CreatorFilters(), limit=1).total
    for filters in (
        CreatorFilters(platforms=("instagram",)),
        CreatorFilters(tiers=("nano",)),
        CreatorFilters(followers_min=10_000),
        CreatorFilters(markets=("BR",)),
        CreatorFilters(languages=("pt",)),
        CreatorFilters(min_aqs=50),
        CreatorFilters(min_er_percentile=0.5),
        CreatorFilters(q="a"),
    ):
        assert 0 < index.search(filters, limit=1).total < everyone, filters
    assert index.search(CreatorFilters(platforms=("nowhere",))).total == 0
    by_followers = index.search(CreatorFilters(), sort="followers", descending=False, limit=300).rows
    counts = [r["followers"] for r in by_followers if r["followers"] is not None]
    assert counts == sorted(counts)


def test_the_benchmark_query_mix_has_fifty_different_queries():
    mix = query_mix(60)
    assert len({tuple(q) for q in mix}) == 60
    assert all(("limit", "50") in q for q in mix)
    kinds = {k for q in mix for k, _ in q}
    assert {"platform", "market", "language", "niche", "tier", "min_aqs", "min_er_percentile", "sort"} <= kinds
    assert len(list(itertools.islice(query_mix(200), 200))) == 200
