"""The shipped reference tables load, hold what the docs promise, and can be overridden."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest

from microscout.errors import ReferenceDataError
from microscout.reference import DATA_DIR, list_tables, load_table

MARKETS = ["US", "GB", "MX", "ES", "BR", "FR", "DE", "IT", "ID", "JP", "IN", "TR", "SA"]
LANGUAGES = ["en", "es", "pt", "fr", "de", "it", "id", "ja", "hi", "tr", "ar"]
NICHE_IDS = [
    "beauty",
    "fashion",
    "fitness",
    "health_wellness",
    "food",
    "travel",
    "outdoors",
    "parenting",
    "gaming",
    "tech",
    "finance",
    "education",
    "music",
    "art_design",
    "home_decor",
    "pets",
    "sports",
    "automotive",
    "entertainment",
    "sustainability",
]
TIERS = ["nano", "micro", "mid", "macro", "mega"]
MAIN_DELIVERABLES = {
    "instagram": ["post", "reel", "story"],
    "tiktok": ["video"],
    "youtube": ["video", "short"],
    "x": ["tweet"],
    "bluesky": ["post"],
}


@pytest.mark.parametrize("name", [t["name"] for t in list_tables()])
def test_every_manifest_table_loads_from_the_package(name: str) -> None:
    table = load_table(name)
    assert table.overridden is False
    assert table.path.parent == DATA_DIR
    assert table.version
    assert table.rows, f"{name} is empty"
    required = next(t for t in list_tables() if t["name"] == name)["required"]
    for row in table.rows:
        assert set(required) <= set(row)


# --- benchmarks -------------------------------------------------------------------------------


def _primary_band(platform: str, fmin: int, fmax: int) -> dict:
    rows = [
        r
        for r in load_table("benchmarks").rows
        if r["platform"] == platform and r["primary"] == 1 and r["followers_min"] == fmin and r["followers_max"] == fmax
    ]
    assert len(rows) == 1, (platform, fmin, fmax, rows)
    return rows[0]


@pytest.mark.parametrize("platform", ["instagram", "tiktok", "youtube"])
def test_primary_benchmark_midpoint_falls_as_followers_rise(platform: str) -> None:
    ranges = [(1000, 5000), (5000, 10000), (10000, 50000), (50000, 100000)]
    mids = []
    for fmin, fmax in ranges:
        row = _primary_band(platform, fmin, fmax)
        assert row["source"].startswith("Modash")
        mids.append((row["low"] + row["high"]) / 2)
    assert all(a > b for a, b in itertools.pairwise(mids)), mids


def test_benchmark_figures_match_reference_and_are_fractions() -> None:
    ig = _primary_band("instagram", 1000, 5000)
    assert (ig["low"], ig["high"], ig["high_threshold"]) == (0.0338, 0.0442, 0.0797)
    assert ig["basis"] == "er_followers"
    tt = _primary_band("tiktok", 1000, 5000)
    assert (tt["low"], tt["high"], tt["basis"], tt["year"]) == (0.1206, 0.1404, "er_views", 2025)
    yt = _primary_band("youtube", 50000, 100000)
    assert (yt["low"], yt["high"], yt["basis"]) == (0.0023, 0.0033, "er_views")


def test_every_benchmark_row_is_sourced_with_an_allowed_basis() -> None:
    rows = load_table("benchmarks").rows
    allowed = {"er_followers", "er_views", "er_impressions", "unstated"}
    seen_primary = set()
    for row in rows:
        assert row["source"], row
        assert row["basis"] in allowed, row
        assert row["platform"] in {"instagram", "tiktok", "youtube"}, row
        assert 0 < row["low"] <= row["high"] < 1, row
        assert row["primary"] in (0, 1)
        if row["year"] is None:
            assert "undated" in row["note"], row
        else:
            assert isinstance(row["year"], int) and 2015 <= row["year"] <= 2030
        if row["primary"] == 1:
            key = (row["platform"], row["market"], row["followers_min"], row["followers_max"], row["basis"])
            assert key not in seen_primary, key
            seen_primary.add(key)
    # seven Modash ranges per platform are the primary bands
    for platform in ("instagram", "tiktok", "youtube"):
        assert sum(1 for k in seen_primary if k[0] == platform) == 7


def test_no_invented_benchmarks_for_x_or_bluesky() -> None:
    platforms = {r["platform"] for r in load_table("benchmarks").rows}
    assert "x" not in platforms and "bluesky" not in platforms


# --- rate cards, multipliers, CPM ------------------------------------------------------------


def test_rate_cards_have_one_default_row_per_platform_tier_deliverable() -> None:
    rows = load_table("rate_cards").rows
    for platform, deliverables in MAIN_DELIVERABLES.items():
        for tier in TIERS:
            for deliverable in deliverables:
                hits = [
                    r
                    for r in rows
                    if (r["platform"], r["tier"], r["deliverable"]) == (platform, tier, deliverable)
                    and r["primary"] == 1
                ]
                assert len(hits) == 1, (platform, tier, deliverable)
    for row in rows:
        assert row["currency"] == "USD"
        assert 0 < row["low"] <= row["high"], row
        assert row["source"]
        if row["derived"] == 1:
            assert row["note"], row


def test_rate_card_prices_rise_with_tier_and_bluesky_borrows_x() -> None:
    rows = [r for r in load_table("rate_cards").rows if r["primary"] == 1]
    ig_posts = {r["tier"]: r for r in rows if (r["platform"], r["deliverable"]) == ("instagram", "post")}
    assert [ig_posts[t]["low"] for t in TIERS] == [10, 100, 500, 5000, 10000]
    for platform, deliverables in MAIN_DELIVERABLES.items():
        for deliverable in deliverables:
            lows = [
                next(
                    r["low"] for r in rows if (r["platform"], r["tier"], r["deliverable"]) == (platform, t, deliverable)
                )
                for t in TIERS
            ]
            assert lows == sorted(lows), (platform, deliverable, lows)
    x = {r["tier"]: (r["low"], r["high"]) for r in rows if r["platform"] == "x"}
    for r in (r for r in rows if r["platform"] == "bluesky"):
        assert (r["low"], r["high"]) == x[r["tier"]]
        assert r["note"] == "no published rates; X rates used"


def test_market_multipliers_cover_every_market_with_us_as_base() -> None:
    markets = [r["country"] for r in load_table("markets").rows]
    mult = {r["country"]: r for r in load_table("market_multipliers").rows}
    assert sorted(mult) == sorted(markets)
    assert mult["US"]["multiplier"] == 1.0
    for row in mult.values():
        assert 0 < row["multiplier"] <= 2
        assert "project default" in row["source"]


def test_cpm_emv_defaults_per_platform() -> None:
    rows = {r["platform"]: r for r in load_table("cpm_emv").rows}
    assert set(rows) == set(MAIN_DELIVERABLES)
    assert (rows["instagram"]["cpm"], rows["instagram"]["cpe"]) == (8.0, 0.25)
    assert (rows["youtube"]["cpm"], rows["youtube"]["cpe"]) == (20.0, 0.35)
    assert rows["x"]["cpm"] == rows["bluesky"]["cpm"] == 6.5
    assert "Upfluence" in rows["x"]["source"]


# --- disclosure tags -------------------------------------------------------------------------


def test_disclosure_tags_cover_every_market() -> None:
    rows = load_table("disclosure_tags").rows
    for market in MARKETS:
        accepted = [r for r in rows if r["market"] == market and r["accepted"] == 1]
        assert accepted, f"no accepted disclosure tag for {market}"
    for row in rows:
        assert row["kind"] in {"hashtag", "phrase", "platform_flag"}, row
        assert row["accepted"] in (0, 1)
        assert row["source"], row
        if row["kind"] == "hashtag":
            assert row["tag"].startswith("#"), row
        if row["accepted"] == 0:
            assert row["note"], row
    tags = {(r["market"], r["tag"]): r["accepted"] for r in rows}
    assert tags[("DE", "#werbung")] == 1 and tags[("DE", "#ad")] == 0
    assert tags[("*", "#sp")] == 0 and tags[("IN", "#collab")] == 1
    assert tags[("JP", "広告")] == 1 and tags[("SA", "إعلان")] == 1
    flags = {r["platform"] for r in rows if r["kind"] == "platform_flag"}
    assert {"instagram", "tiktok", "youtube", "x"} <= flags


# --- niches ----------------------------------------------------------------------------------


def test_niche_taxonomy_has_the_fixed_ids_in_every_language() -> None:
    table = load_table("niches")
    assert isinstance(table.document, list)
    ids = [n["id"] for n in table.rows]
    assert ids == NICHE_IDS
    assert len(ids) >= 18
    for niche in table.rows:
        assert niche["name"]
        for field in ("description", "hashtags", "keywords"):
            assert sorted(niche[field]) == sorted(LANGUAGES), (niche["id"], field)
        for lang in LANGUAGES:
            assert niche["description"][lang].strip()
            tags = niche["hashtags"][lang]
            assert 6 <= len(tags) <= 10, (niche["id"], lang)
            assert all(t == t.lower() and not t.startswith("#") and " " not in t for t in tags)
            assert 8 <= len(niche["keywords"][lang]) <= 12, (niche["id"], lang)


def test_niche_scripts_match_their_language() -> None:
    rows = {n["id"]: n for n in load_table("niches").rows}
    assert "योग" in rows["health_wellness"]["hashtags"]["hi"]
    assert "筋トレ" in rows["fitness"]["hashtags"]["ja"]
    assert "طبخ" in rows["food"]["hashtags"]["ar"]
    for niche in rows.values():
        assert any("\u0900" <= c <= "\u097f" for c in niche["description"]["hi"])
        assert any("\u0600" <= c <= "\u06ff" for c in niche["description"]["ar"])
        assert any("\u3040" <= c <= "\u9fff" for c in niche["description"]["ja"])


# --- overrides -------------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_override_file_replaces_the_shipped_table(tmp_path: Path) -> None:
    _write_csv(
        tmp_path / "tiers.csv",
        ["tier", "min_followers", "max_followers"],
        [["nano", 500, 5000], ["micro", 5000, 50000], ["big", 50000, ""]],
    )
    table = load_table("tiers", reference_dir=tmp_path)
    assert table.overridden is True
    assert table.path == tmp_path / "tiers.csv"
    assert [(r["tier"], r["min_followers"], r["max_followers"]) for r in table.rows] == [
        ("nano", 500, 5000),
        ("micro", 5000, 50000),
        ("big", 50000, None),
    ]
    # other tables still come from the package; the shipped tiers are untouched
    assert load_table("markets", reference_dir=tmp_path).overridden is False
    shipped = load_table("tiers")
    assert shipped.overridden is False
    assert [r["tier"] for r in shipped.rows] == TIERS


def test_override_with_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    _write_csv(tmp_path / "tiers.csv", ["tier", "max_followers"], [["nano", 10000]])
    with pytest.raises(ReferenceDataError) as info:
        load_table("tiers", reference_dir=tmp_path)
    message = str(info.value)
    assert "tiers.csv" in message
    assert "min_followers" in message


def test_json_override_missing_a_field_is_rejected(tmp_path: Path) -> None:
    doc = [{"id": "beauty", "name": "Beauty", "description": {}, "hashtags": {}}]
    (tmp_path / "niches.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"niches\.json.*keywords"):
        load_table("niches", reference_dir=tmp_path)


def test_short_csv_row_reads_trailing_fields_as_missing(tmp_path: Path) -> None:
    (tmp_path / "tiers.csv").write_text(
        "tier,min_followers,max_followers\nnano,1000,10000\nmega,1000000\n", encoding="utf-8"
    )
    rows = load_table("tiers", reference_dir=tmp_path).rows
    assert rows[1] == {"tier": "mega", "min_followers": 1000000, "max_followers": None}


def test_unknown_table_is_an_error() -> None:
    with pytest.raises(ReferenceDataError, match="unknown reference table 'nope'"):
        load_table("nope")
