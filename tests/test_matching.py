from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NOW
from microscout.brief import parse_brief
from microscout.ingest import ingest_files
from microscout.matching import search
from microscout.metrics import profile_creators

BRIEF = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}],
    "niches": ["beauty"],
    "platforms": ["instagram", "tiktok"],
    "budget": {"amount": 5000, "currency": "EUR"},
    "competitors": ["UVmax"],
}


def _world(folder: Path) -> None:
    folder.mkdir()
    creators = [
        ("1", "ana", 5000, "BR", "pt"),
        ("2", "bia", 8000, "BR", "pt"),
        ("3", "carl", 20000, "DE", "de"),
        ("4", "dora", 500, "BR", "pt"),  # below the follower band
        ("5", "eve", 6000, "US", "en"),  # no target market or language
        ("6", "fabi", 7000, "PT", "pt"),  # language match only
        ("7", "gus", 9000, "BR", "pt"),  # mentions a competitor
    ]
    with open(folder / "creators.jsonl", "w") as fh:
        for cid, handle, followers, country, lang in creators:
            fh.write(
                json.dumps(
                    {
                        "platform": "instagram",
                        "creator_id": cid,
                        "handle": handle,
                        "followers": followers,
                        "declared_country": country,
                        "declared_language": lang,
                    }
                )
                + "\n"
            )
    with open(folder / "posts.jsonl", "w") as fh:
        for cid, *_ in creators:
            for i in range(10):
                caption = "love UVmax sunscreen" if cid == "7" and i < 3 else "summer day"
                tags = ["skincare"] if int(cid) % 2 or i < 5 else ["travel"]
                fh.write(
                    json.dumps(
                        {
                            "platform": "instagram",
                            "post_id": f"{cid}-{i}",
                            "creator_id": cid,
                            "published_at": f"2026-09-{i + 1:02d}T10:00:00Z",
                            "likes": 50 * int(cid) + i,
                            "comments": 3,
                            "caption": caption,
                            "hashtags": tags,
                        }
                    )
                    + "\n"
                )


@pytest.fixture
def profiled(store, tmp_path):
    _world(tmp_path / "w")
    ingest_files(store, [tmp_path / "w"], workspace="default", now=NOW)
    profile_creators(store)
    return store


def test_filters_scores_and_reasons(profiled):
    result = search(profiled, parse_brief(BRIEF), workspace="default")
    handles = [r["handle"] for r in result.rows]
    assert "dora" not in handles and "eve" not in handles
    assert set(handles) == {"ana", "bia", "carl", "fabi", "gus"}
    for r in result.rows:
        if not r["flags"]:
            assert r["score"] == pytest.approx(sum(c["contribution"] for c in r["components"]), abs=0.1)
        effective = sum(c["effective_weight"] for c in r["components"])
        assert effective == pytest.approx(1.0, abs=1e-3)
    by = {r["handle"]: r for r in result.rows}
    market = {r["handle"]: next(c for c in r["components"] if c["name"] == "market") for r in result.rows}
    assert market["fabi"]["value"] == 0.5 and "a language of BR" in market["fabi"]["reason"]
    assert market["ana"]["value"] == 1.0
    topic = next(c for c in by["bia"]["components"] if c["name"] == "topic")
    assert topic["value"] == 0.5 and topic["reason"] == "5 of 10 recent posts use beauty hashtags"
    assert by["gus"]["flags"] == ["mentions a competitor in 3 recent post(s): score −20 %"]
    assert [r["rank"] for r in result.rows] == list(range(1, len(result.rows) + 1))
    assert all(a["score"] >= b["score"] for a, b in zip(result.rows, result.rows[1:], strict=False))


def test_exclusions_language_requirement_and_saved_results(profiled):
    brief = parse_brief(
        {
            **BRIEF,
            "exclude_creators": ["instagram:ANA"],
            "content_language_required": True,
            "markets": [{"country": "DE", "languages": ["de"]}],
        }
    )
    result = search(profiled, brief, workspace="default")
    assert [r["handle"] for r in result.rows] == ["carl"]
    saved = profiled.table("search_results", workspace="default").to_pandas()
    assert saved["search_id"].unique().tolist() == [result.search_id]
    assert json.loads(saved["weights"][0]) == brief.normalised_weights()


def test_nothing_matches_says_so(profiled):
    brief = parse_brief({**BRIEF, "markets": [{"country": "JP", "languages": ["ja"]}]})
    result = search(profiled, brief, workspace="default")
    assert result.rows == [] and result.notes == ["no creator passed the brief's filters"]
