from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from conftest import NOW, data_snapshot
from microscout.errors import InvalidInputError
from microscout.ingest import ingest_files
from microscout.store.schema import PUBLIC_TABLES

DATA_TABLES = tuple(t for t in PUBLIC_TABLES if t not in ("ingest_runs", "quarantine"))


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


GOOD_CREATOR = {
    "platform": "instagram",
    "creator_id": "c1",
    "handle": "ana.fit",
    "followers": 12000,
    "declared_country": "BR",
    "declared_language": "pt",
    "last_seen": "2026-10-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            {"platform": "instagram", "creator_id": "c2", "handle": "x", "followers": -5},
            "field 'followers': -5 is negative",
        ),
        (
            {"platform": "myspace", "creator_id": "c3", "handle": "x"},
            "field 'platform': 'myspace' is not one of instagram, tiktok, youtube, x, bluesky, mastodon",
        ),
        ({"platform": "instagram", "handle": "nokey"}, "missing required field 'creator_id'"),
        (
            {"platform": "instagram", "creator_id": "c4", "last_seen": "2030-01-01T00:00:00Z"},
            "field 'last_seen': '2030-01-01T00:00:00Z' is in the future",
        ),
        (
            {"platform": "instagram", "creator_id": "c5", "followers": "many"},
            "field 'followers': 'many' is not a whole number",
        ),
        (
            {"platform": "instagram", "creator_id": "c6", "followers": 10.5},
            "field 'followers': 10.5 is not a whole number",
        ),
        (
            {"platform": "instagram", "creator_id": "c7", "verified": "perhaps"},
            "field 'verified': 'perhaps' is not true or false",
        ),
        (
            {"platform": "instagram", "creator_id": "c8", "declared_country": "Brazil"},
            "field 'declared_country': 'Brazil' is not an ISO 3166 country code (e.g. BR)",
        ),
        (
            {"platform": "instagram", "creator_id": "c9", "first_seen": "last tuesday"},
            "field 'first_seen': 'last tuesday' is not an ISO 8601 timestamp (e.g. 2026-05-01T12:00:00Z)",
        ),
        ("{not json", "invalid JSON: Expecting property name enclosed in double quotes at column 2"),
        ("[1, 2]", "record is not a JSON object"),
    ],
)
def test_bad_record_is_quarantined_with_its_reason_and_good_ones_kept(store, tmp_path, record, reason):
    write_jsonl(tmp_path / "creators.jsonl", [GOOD_CREATOR, record])
    result = ingest_files(store, [tmp_path], workspace="default", now=NOW)
    assert result.tables["creators"].inserted == 1
    assert result.tables["creators"].quarantined == 1
    q = store.sql("SELECT position, reason, raw, table_name FROM quarantine").to_dict("records")
    assert q == [{"position": "creators.jsonl:line 2", "reason": reason, "raw": q[0]["raw"], "table_name": "creators"}]
    raw = record if isinstance(record, str) else json.dumps(record)
    assert (
        json.loads(q[0]["raw"]) == json.loads(raw)
        if not isinstance(record, str) or record.startswith("[")
        else q[0]["raw"] == raw
    )
    assert store.sql("SELECT handle FROM creators")["handle"].tolist() == ["ana.fit"]


def test_csv_lists_booleans_missing_values_and_row_numbers(store, tmp_path):
    (tmp_path / "posts.csv").write_text(
        "platform,post_id,creator_id,published_at,likes,comments,hashtags,is_sponsored,views\n"
        "instagram,p1,c1,2026-09-01T10:00:00Z,100,5,sunscreen|beach,true,\n"
        "instagram,p2,c1,2026-09-02T10:00:00+02:00,,,,false,\n"
        "instagram,p3,c1,2026-09-03T10:00:00Z,1,2,3\n"
        "instagram,p4,c1,2026-09-03T10:00:00Z,-1,2,,false,\n"
    )
    result = ingest_files(store, [tmp_path / "posts.csv"], workspace="default", now=NOW)
    assert (result.tables["posts"].inserted, result.tables["posts"].quarantined) == (2, 2)
    rows = store.sql(
        "SELECT post_id, likes, comments, hashtags, is_sponsored, views, "
        "strftime(published_at, '%Y-%m-%d %H:%M') AS at FROM posts ORDER BY post_id"
    ).to_dict("records")
    assert rows[0]["hashtags"].tolist() == ["sunscreen", "beach"]
    assert rows[0]["is_sponsored"] is True or rows[0]["is_sponsored"] == True  # noqa: E712
    # hidden counts stay missing, never zero; offsets are converted to UTC
    assert rows[1]["post_id"] == "p2" and pd.isna(rows[1]["likes"]) and rows[1]["at"] == "2026-09-02 08:00"
    reasons = store.sql("SELECT position, reason FROM quarantine ORDER BY position").to_dict("records")
    assert reasons == [
        {"position": "posts.csv:row 4", "reason": "row has 7 fields, the header has 9"},
        {"position": "posts.csv:row 5", "reason": "field 'likes': -1 is negative"},
    ]


def test_unknown_fields_are_kept_in_extras(store, tmp_path):
    write_jsonl(
        tmp_path / "creators.jsonl", [{**GOOD_CREATOR, "tier_from_vendor": "gold", "extras": {"source": "export"}}]
    )
    ingest_files(store, [tmp_path], workspace="default", now=NOW)
    extras = json.loads(store.sql("SELECT extras FROM creators")["extras"][0])
    assert extras == {"source": "export", "tier_from_vendor": "gold"}


def test_ingesting_the_same_folder_twice_changes_no_data_table(store, tmp_path):
    write_jsonl(tmp_path / "creators.jsonl", [GOOD_CREATOR, {"platform": "x", "creator_id": "bad", "followers": -1}])
    write_jsonl(
        tmp_path / "posts.jsonl",
        [
            {
                "platform": "instagram",
                "post_id": f"p{i}",
                "creator_id": "c1",
                "likes": i,
                "comments": 1,
                "published_at": f"2026-09-{i + 1:02d}T00:00:00Z",
                "hashtags": ["a", "b"],
            }
            for i in range(5)
        ],
    )
    write_jsonl(
        tmp_path / "creator_snapshots.jsonl",
        [{"platform": "instagram", "creator_id": "c1", "observed_at": "2026-09-01T00:00:00Z", "followers": 11000}],
    )
    write_jsonl(
        tmp_path / "deals.jsonl",
        [
            {
                "deal_id": "d1",
                "platform": "instagram",
                "creator_id": "c1",
                "deliverable": "reel",
                "fee": "350.50",
                "currency": "BRL",
                "deal_date": "2026-05-01",
            }
        ],
    )
    first = ingest_files(store, [tmp_path], workspace="default", now=NOW)
    before = data_snapshot(store, (*DATA_TABLES, "deals"))
    second = ingest_files(store, [tmp_path], workspace="default", now=NOW)
    assert data_snapshot(store, (*DATA_TABLES, "deals")) == before
    assert second.tables["posts"].unchanged == 5 and second.tables["posts"].inserted == 0
    assert first.tables["creators"].quarantined == second.tables["creators"].quarantined == 1
    # a creator record with last_seen is also a snapshot, keyed on when it was observed
    assert store.count("creator_snapshots") == 2
    assert store.raw.execute("SELECT fee FROM deals").fetchall() == [(Decimal("350.50"),)]
    runs = store.sql("SELECT status FROM ingest_runs")["status"].tolist()
    assert runs == ["completed", "completed"]


def test_a_failure_in_the_middle_of_a_batch_leaves_the_store_as_before(store, tmp_path, monkeypatch):
    write_jsonl(tmp_path / "creators.jsonl", [GOOD_CREATOR])
    ingest_files(store, [tmp_path], workspace="default", now=NOW)
    before = data_snapshot(store, DATA_TABLES)
    write_jsonl(
        tmp_path / "creators.jsonl",
        [{**GOOD_CREATOR, "followers": 99999}, {**GOOD_CREATOR, "creator_id": "c2", "handle": "new"}],
    )
    import microscout.ingest as ingest_mod

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    # the creators were upserted, then the snapshot step of the same batch fails
    monkeypatch.setattr(ingest_mod, "_snapshot_from_creators", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_files(store, [tmp_path], workspace="default", now=NOW)
    assert data_snapshot(store, DATA_TABLES) == before
    assert store.sql("SELECT status FROM ingest_runs ORDER BY started_at")["status"].tolist()[-1] == "failed"


def test_planted_truth_files_are_stored_apart_and_other_files_skipped(store, tmp_path):
    tmp_path = tmp_path / "world"
    tmp_path.mkdir()
    write_jsonl(tmp_path / "creators.jsonl", [GOOD_CREATOR])
    write_jsonl(tmp_path / "truth_creators.jsonl", [{"platform": "instagram", "creator_id": "c1", "fraud": "none"}])
    (tmp_path / "world.json").write_text("{}")
    result = ingest_files(store, [tmp_path], workspace="default", now=NOW)
    assert [Path(p).name for p in result.truths] == ["truth_creators.jsonl"]
    assert [Path(p).name for p in result.skipped] == ["world.json"]
    assert store.sql("SELECT fraud FROM truth_creators")["fraud"].tolist() == ["none"]


def test_explicit_bad_paths_are_clear_errors(store, tmp_path):
    with pytest.raises(InvalidInputError, match=r"no such file or folder"):
        ingest_files(store, [tmp_path / "missing"], workspace="default")
    bad = tmp_path / "people.jsonl"
    bad.write_text("{}\n")
    with pytest.raises(InvalidInputError, match=r"'people' is not a canonical table; name files after one of"):
        ingest_files(store, [bad], workspace="default")
    txt = tmp_path / "creators.txt"
    txt.write_text("x")
    with pytest.raises(InvalidInputError, match=r"unsupported file type .txt"):
        ingest_files(store, [txt], workspace="default")


def test_private_tables_land_in_the_callers_workspace(store, tmp_path):
    store.ensure_workspace("acme")
    write_jsonl(
        tmp_path / "deals.jsonl",
        [
            {
                "deal_id": "d1",
                "platform": "instagram",
                "creator_id": "c1",
                "fee": 100,
                "currency": "EUR",
                "deal_date": "2026-01-02",
            }
        ],
    )
    ingest_files(store, [tmp_path], workspace="acme", now=NOW)
    assert store.table("deals", workspace="acme").count().execute() == 1
    assert store.table("deals", workspace="default").count().execute() == 0
