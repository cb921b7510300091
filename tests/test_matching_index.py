"""The in-memory brief matcher (BriefIndex) must answer exactly like the engine's query, and the
competitor check's early stop must give the shortlist a full ranking would."""

from __future__ import annotations

import json

import numpy as np
import pytest

from microscout.bench.search import bench_search, brief_mix, build_world, render
from microscout.brief import parse_brief
from microscout.matching import search
from microscout.matching_index import BriefIndex


@pytest.fixture
def world(store):
    build_world(store, creators=3000, recent_posts=6, seed=11)
    return store


def shortlist(result) -> list[tuple]:
    return [(r["creator"], r["score"], json.dumps(r["components"]), tuple(r["flags"])) for r in result.rows]


def test_index_answers_every_brief_like_the_engine(world):
    index = BriefIndex.build(world)
    assert index.size == 3000 and index.niche_scores.shape == (3000, 20)
    briefs = brief_mix(30, seed=3, reference_dir=world.settings.reference_dir)
    assert any(b.competitors for b in briefs) and any(not b.niches for b in briefs)
    assert any(b.min_quality for b in briefs) and any(b.content_language_required for b in briefs)
    nonempty = 0
    for brief in briefs:
        engine = search(world, brief, workspace="default", save=False)
        memory = search(world, brief, workspace="default", save=False, index=index)
        assert engine.candidates == memory.candidates
        assert engine.notes == memory.notes
        assert shortlist(engine) == shortlist(memory), brief.brand
        nonempty += bool(engine.rows)
    assert nonempty >= 25


def test_lookalikes_exclusions_and_missing_scores_match(world):
    index = BriefIndex.build(world)
    ref = world.raw.execute("SELECT platform || ':' || handle FROM creators WHERE creator_id = 'c7'").fetchall()[0][0]
    brief = brief_mix(1, seed=9, reference_dir=world.settings.reference_dir)[0]
    for kwargs in ({"like": ref}, {}):
        engine = search(world, brief, workspace="default", save=False, **kwargs)
        memory = search(world, brief, workspace="default", save=False, index=index, **kwargs)
        assert shortlist(engine) == shortlist(memory)
    top = engine.rows[0]["creator"]
    platform, handle = top.split(":")
    excluded = parse_brief({**brief.to_dict(), "exclude_creators": [f"{platform}:@{handle.upper()}"]})
    for result in (
        search(world, excluded, workspace="default", save=False),
        search(world, excluded, workspace="default", save=False, index=index),
    ):
        assert top not in [r["creator"] for r in result.rows]
    # creators the text stage has not scored yet: topic missing, weight spread — the same both ways
    world.raw.execute("DELETE FROM creator_niche_scores")
    world.raw.execute("UPDATE creator_profiles SET aqs = NULL, aqs_low = NULL, aqs_high = NULL")
    bare = BriefIndex.build(world)
    engine = search(world, brief, workspace="default", save=False)
    memory = search(world, brief, workspace="default", save=False, index=bare)
    assert shortlist(engine) == shortlist(memory) and engine.notes == memory.notes
    assert any("no niche scores yet" in n for n in engine.notes)
    assert any("no Audience Quality Score" in n for n in engine.notes)


def test_competitor_penalty_early_stop_equals_a_full_ranking(world):
    # make a competitor common among the best creators so the penalty reorders the top
    world.raw.execute(
        "UPDATE posts SET caption = caption || ' with UVmax' WHERE hash(creator_id) % 3 = 0 AND post_id LIKE '%_0'"
    )
    index = BriefIndex.build(world)
    for brief in brief_mix(12, seed=5, reference_dir=world.settings.reference_dir):
        brief = parse_brief({**brief.to_dict(), "competitors": ["uvMAX"]})
        for idx in (None, index):
            short = search(world, brief, workspace="default", save=False, limit=20, index=idx)
            full = search(world, brief, workspace="default", save=False, limit=100_000, index=idx)
            assert shortlist(short) == shortlist(full)[:20]
            flagged = [r for r in full.rows if r["flags"] and "competitor" in r["flags"][0]]
            assert flagged, "the competitor was planted in a third of the creators"


def test_bench_search_reports_latency_and_writes_its_page(tmp_path):
    result = bench_search(creators=1500, queries=50, workdir=tmp_path)
    assert result["creators"] == 1500 and result["queries"] == 50
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert result["engine_p50_ms"] > 0 and result["index_build_s"] > 0
    page = render(result, "python -m microscout.bench.search --creators 1500")
    assert "p95" in page and "1,500" in page


def test_competitor_check_reads_exactly_the_30_most_recent_posts(world):
    from microscout.matching import competitor_posts

    platform, cid = world.raw.execute("SELECT platform, creator_id FROM creators WHERE creator_id = 'c5'").fetchall()[0]
    world.raw.execute("DELETE FROM posts WHERE creator_id = 'c5'")
    for k in range(40):  # k = 0 is the newest; the 30th newest is k = 29
        caption = "loving UVmax today" if k in (29, 30) else f"post {k}"
        world.raw.execute(
            "INSERT INTO posts (platform, post_id, creator_id, published_at, caption) "
            "VALUES (?, ?, ?, TIMESTAMP '2026-10-31' - to_days(CAST(? AS INTEGER)), ?)",
            [platform, f"c5-{k}", cid, k, caption],
        )
    index = BriefIndex.build(world)
    row = int(np.flatnonzero(index.creator_ids == cid)[0])
    rows = [{"platform": platform, "creator_id": cid, "_index_row": row}]
    assert competitor_posts(world, rows, ["uvmax"]) == {(platform, cid): 1}
    assert index.competitor_posts(world, rows, ["uvmax"]) == {(platform, cid): 1}
