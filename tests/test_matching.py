from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NOW
from microscout.brief import parse_brief
from microscout.ingest import ingest_files
from microscout.matching import lookalike_brief, search
from microscout.metrics import profile_creators
from microscout.store import Store

BRIEF = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}],
    "niches": ["beauty"],
    "platforms": ["instagram", "tiktok"],
    "budget": {"amount": 5000, "currency": "EUR"},
    "competitors": ["UVmax"],
}
CREATORS = [
    ("1", "ana", 5000, "BR", "pt"),
    ("2", "bia", 8000, "BR", "pt"),
    ("3", "carl", 20000, "DE", "de"),
    ("4", "dora", 500, "BR", "pt"),  # below the follower band
    ("5", "eve", 6000, "US", "en"),  # no target market or language
    ("6", "fabi", 7000, "PT", "pt"),  # language match only
    ("7", "gus", 9000, "BR", "pt"),  # mentions a competitor
]


def _world(folder: Path) -> None:
    folder.mkdir()
    with open(folder / "creators.jsonl", "w") as fh:
        for cid, handle, followers, country, lang in CREATORS:
            row = {"platform": "instagram", "creator_id": cid, "handle": handle, "followers": followers,
                   "declared_country": country, "declared_language": lang}  # fmt: skip
            fh.write(json.dumps(row) + "\n")
    with open(folder / "posts.jsonl", "w") as fh:
        for cid, *_ in CREATORS:
            for i in range(10):
                caption = "love UVmax sunscreen" if cid == "7" and i < 3 else "summer day"
                row = {"platform": "instagram", "post_id": f"{cid}-{i}", "creator_id": cid,
                       "published_at": f"2026-09-{i + 1:02d}T10:00:00Z", "likes": 50 * int(cid) + i, "comments": 3,
                       "caption": caption, "hashtags": ["skincare"]}  # fmt: skip
                fh.write(json.dumps(row) + "\n")


def niche_scores(store: Store, scores: dict[str, dict[str, float]]) -> None:
    store.insert_rows(
        "creator_niche_scores",
        [{"platform": "instagram", "creator_id": cid, "niche": n, "score": v}
         for cid, by in scores.items() for n, v in by.items()],
    )  # fmt: skip


def set_profile(store: Store, cid: str, **values: object) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    store.raw.execute(
        f"UPDATE creator_profiles SET {sets} WHERE platform = 'instagram' AND creator_id = ?", [*values.values(), cid]
    )


@pytest.fixture
def profiled(store, tmp_path):
    _world(tmp_path / "w")
    ingest_files(store, [tmp_path / "w"], workspace="default", now=NOW)
    profile_creators(store)
    niche_scores(
        store,
        {"1": {"beauty": 0.9, "travel": 0.1}, "2": {"beauty": 0.5, "travel": 0.5}, "3": {"beauty": 0.2, "food": 0.8},
         "6": {"beauty": 0.7}, "7": {"beauty": 0.8}},
    )  # fmt: skip
    return store


def components(row: dict) -> dict[str, dict]:
    return {c["name"]: c for c in row["components"]}


def test_filters_scores_and_reasons(profiled):
    result = search(profiled, parse_brief(BRIEF), workspace="default")
    by = {r["handle"]: r for r in result.rows}
    assert set(by) == {"ana", "bia", "carl", "fabi", "gus"}  # dora too small, eve off-market and off-language
    for r in result.rows:
        if not r["flags"]:
            assert r["score"] == pytest.approx(sum(c["contribution"] for c in r["components"]), abs=0.1)
        assert sum(c["effective_weight"] for c in r["components"]) == pytest.approx(1.0, abs=1e-3)
    # market: declared BR + Portuguese = 0.5 + 0.2; PT + Portuguese = 0.2 only
    assert components(by["ana"])["market"]["value"] == pytest.approx(0.7)
    assert components(by["fabi"])["market"]["value"] == pytest.approx(0.2)
    assert "posts in pt" in components(by["fabi"])["market"]["reason"]
    assert components(by["ana"])["topic"]["value"] == pytest.approx(0.9)
    assert components(by["carl"])["topic"]["value"] == pytest.approx(0.2)
    assert by["gus"]["flags"] == ["mentions a competitor in 3 recent post(s): score −20 %"]
    # no AQS anywhere yet: said, and its weight spread over the others
    assert any("no Audience Quality Score" in n for n in result.notes)
    assert components(by["ana"])["authenticity"]["effective_weight"] == 0.0
    assert [r["rank"] for r in result.rows] == list(range(1, len(result.rows) + 1))
    assert all(a["score"] >= b["score"] for a, b in zip(result.rows, result.rows[1:], strict=False))


def test_audience_quality_filters_and_never_lowers_the_score(profiled):
    set_profile(profiled, "1", aqs=55.0, aqs_low=45.0, aqs_high=65.0)
    set_profile(profiled, "2", aqs=80.0, aqs_low=70.0, aqs_high=90.0)
    brief = parse_brief({**BRIEF, "min_quality": 70})
    result = search(profiled, brief, workspace="default")
    handles = {r["handle"] for r in result.rows}
    assert "ana" not in handles and "bia" in handles
    assert "gus" in handles  # not vetted yet: kept, and its reason says so
    gus = next(r for r in result.rows if r["handle"] == "gus")
    assert components(gus)["authenticity"]["reason"].startswith("not vetted")
    before = {r["handle"]: r["score"] for r in search(profiled, parse_brief(BRIEF), workspace="default").rows}
    set_profile(profiled, "2", aqs=95.0, aqs_low=90.0, aqs_high=99.0)
    after = {r["handle"]: r["score"] for r in search(profiled, parse_brief(BRIEF), workspace="default").rows}
    assert after["bia"] > before["bia"]
    assert all(after[h] == before[h] for h in before if h != "bia")


def test_brand_safety_penalty_is_flagged(profiled):
    set_profile(profiled, "3", unsafe_post_share=0.1, unsafe_posts=1, safety_categories=["alcohol"])
    carl = next(r for r in search(profiled, parse_brief(BRIEF), workspace="default").rows if r["handle"] == "carl")
    assert carl["flags"] == ["brand safety: 1 post(s) flagged (alcohol): score −20 %"]
    assert carl["score"] == pytest.approx(0.8 * sum(c["contribution"] for c in carl["components"]), abs=0.1)


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


def test_lookalikes(profiled):
    for cid in ("1", "2", "6", "7"):
        set_profile(profiled, cid, home_market="BR", content_language="pt", niches=["beauty"])
    brief = lookalike_brief(profiled, "instagram:ana")
    assert [m.country for m in brief.markets] == ["BR"] and brief.niches == ["beauty"]
    result = search(profiled, brief, workspace="default", like="instagram:ana")
    handles = [r["handle"] for r in result.rows]
    assert "ana" not in handles
    # gus (beauty 0.8 only) is closer to ana (0.9 beauty, 0.1 travel) than bia (half travel)
    topic = {r["handle"]: components(r)["topic"]["value"] for r in result.rows}
    assert topic["gus"] > topic["bia"]


def test_nothing_matches_says_so(profiled):
    brief = parse_brief({**BRIEF, "markets": [{"country": "JP", "languages": ["ja"]}]})
    result = search(profiled, brief, workspace="default")
    assert result.rows == [] and result.notes[-1] == "no creator passed the brief's filters"


def test_a_brief_without_niches_gets_its_topic_from_the_description(profiled):
    from microscout.matching import description_niches

    description = "Mineral sunscreen and skincare for sensitive skin, glowing makeup looks"
    brief = parse_brief({**{k: v for k, v in BRIEF.items() if k != "niches"}, "description": description})
    described = description_niches(brief)
    assert next(iter(described)) == "beauty" and sum(described.values()) == pytest.approx(1.0, abs=1e-3)
    result = search(profiled, brief, workspace="default")
    by = {r["handle"]: r for r in result.rows}
    # ana (beauty 0.9) fits a skincare description better than carl (food 0.8, beauty 0.2)
    assert components(by["ana"])["topic"]["value"] > components(by["carl"])["topic"]["value"]
    assert components(by["ana"])["topic"]["effective_weight"] > 0
    assert any("description reads as beauty" in n for n in result.notes)
    off_topic = parse_brief({**brief.to_dict(), "description": "Quarterly results webinar"})
    assert description_niches(off_topic) == {} or next(iter(description_niches(off_topic))) != "beauty"
