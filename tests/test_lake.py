"""The Parquet lake: export, read-back, merge writes, atomic swaps, and DuckDB = Spark profiles."""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from pathlib import Path

import ibis
import pyarrow.parquet as pq
import pytest

from microscout.config import Settings
from microscout.errors import InvalidInputError, StoreError
from microscout.ingest import ingest_files
from microscout.metrics import profile_creators
from microscout.sample import generate_world
from microscout.store import Store, connect
from microscout.store.lake import Lake, arrow_schema, export_to_lake
from microscout.store.schema import TABLES

NOW = dt.datetime(2026, 11, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, creators=150, posts_per_creator=8, seed=3)
    return out


@pytest.fixture(scope="module")
def source(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A DuckDB store with the small world ingested and profiled."""
    settings = Settings(db=str(tmp_path_factory.mktemp("store") / "s.duckdb"))
    store = connect(settings.db, settings=settings)
    ingest_files(store, [world], workspace="default")
    profile_creators(store, now=NOW)
    yield store
    store.close()


def _sorted_rows(table: list[dict], key: tuple[str, ...]) -> list[dict]:
    return sorted(table, key=lambda r: tuple(str(r[k]) for k in key))


def _dataset_bytes(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def test_export_reads_back_identical_rows_with_exact_types(source: Store, tmp_path: Path):
    counts = export_to_lake(source, tmp_path / "lake")
    assert set(counts) == set(TABLES)
    with Lake(tmp_path / "lake", settings=source.settings, engine="duckdb") as lake:
        for name, tdef in TABLES.items():
            ws = "default" if tdef.workspace else None
            assert counts[name] == source.count(name, workspace=ws), name
            want = _sorted_rows(source.table(name, workspace=ws).to_pyarrow().to_pylist(), tdef.key)
            got = _sorted_rows(lake.table(name, workspace=ws).to_pyarrow().to_pylist(), tdef.key)
            assert got == want, name
            for part in (tmp_path / "lake" / name).glob("part-*.parquet"):
                assert pq.read_schema(part).remove_metadata().equals(arrow_schema(tdef)), part
    assert counts["posts"] == 1200
    assert counts["creator_profiles"] == 150


def test_export_twice_is_idempotent(source: Store, tmp_path: Path):
    root = tmp_path / "lake"
    first = export_to_lake(source, root, tables=["creators", "posts", "fx_rates"])
    before = {t: _dataset_bytes(root / t) for t in first}
    second = export_to_lake(source, root, tables=["creators", "posts", "fx_rates"])
    assert first == second
    assert {t: _dataset_bytes(root / t) for t in second} == before
    assert sorted(p.name for p in root.iterdir()) == ["_microscout_lake.json", "creators", "fx_rates", "posts"]


def test_workspace_tables_need_a_workspace_and_absent_tables_read_empty(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators", "deals"])
    with Lake(tmp_path / "lake", settings=source.settings) as lake:
        with pytest.raises(InvalidInputError, match="workspace"):
            lake.table("deals")
        assert lake.count("deals", workspace="default") == source.count("deals", workspace="default")
        assert lake.count("deals", workspace="someone-else") == 0
        notes = lake.table("notes", workspace="default")  # no dataset: empty, with the schema's types
        assert notes.count().execute() == 0
        assert dict(notes.schema().items()) == {c: t.copy(nullable=True) for c, t in TABLES["notes"].columns.items()}


def test_connect_opens_a_lake_and_spark_needs_a_lake(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators"])
    settings = Settings(db=f"parquet://{tmp_path / 'lake'}")
    with connect(settings=settings) as lake:
        assert isinstance(lake, Lake)
        assert lake.count("creators") == 150
    with pytest.raises(StoreError, match="no Parquet lake"):
        connect(f"parquet://{tmp_path / 'missing'}", settings=settings)
    with pytest.raises(StoreError, match=r"microscout export --to parquet:///dir"):
        connect(str(tmp_path / "x.duckdb"), settings=Settings(engine="spark"))


def test_upsert_expr_merges_on_the_key(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators"])
    with Lake(tmp_path / "lake", settings=source.settings) as lake:
        before = {(r["platform"], r["creator_id"]): r for r in lake.table("creators").to_pyarrow().to_pylist()}
        c = lake.table("creators")
        some = c.order_by(["platform", "creator_id"]).limit(10)
        changed = some.select("platform", "creator_id", followers=some.followers + 1, bio=ibis.literal("new bio"))
        brand_new = ibis.memtable(
            {"platform": ["instagram"], "creator_id": ["zz-new"], "followers": [5], "bio": ["hi"]}
        ).cast({"followers": "int64"})
        assert lake.upsert_expr("creators", changed.union(brand_new)) == 11
        after = {(r["platform"], r["creator_id"]): r for r in lake.table("creators").to_pyarrow().to_pylist()}
    assert len(after) == len(before) + 1
    updated = [k for k in before if after[k] != before[k]]
    assert len(updated) == 10
    for k in updated:
        assert after[k]["followers"] == before[k]["followers"] + 1
        assert after[k]["bio"] == "new bio"
        assert after[k]["handle"] == before[k]["handle"]  # a column the expression lacks keeps its value
    assert after[("instagram", "zz-new")]["followers"] == 5
    assert after[("instagram", "zz-new")]["handle"] is None
    for part in (tmp_path / "lake" / "creators").glob("part-*.parquet"):
        assert pq.read_schema(part).remove_metadata().equals(arrow_schema(TABLES["creators"]))


def test_upsert_expr_rejects_repeated_keys_and_keeps_the_dataset(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators"])
    folder = tmp_path / "lake" / "creators"
    before = _dataset_bytes(folder)
    with Lake(tmp_path / "lake", settings=source.settings) as lake:
        c = lake.table("creators").select("platform", "creator_id", "followers")
        with pytest.raises(InvalidInputError, match="repeat a key"):
            lake.upsert_expr("creators", c.union(c, distinct=False))
    assert _dataset_bytes(folder) == before


def test_a_failing_write_leaves_the_previous_dataset_intact(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators"])
    folder = tmp_path / "lake" / "creators"
    before = _dataset_bytes(folder)
    with Lake(tmp_path / "lake", settings=source.settings) as lake:
        c = lake.table("creators")
        # handles are not numbers: the cast fails while the rows are being computed and written
        bad = c.select("platform", "creator_id", followers=c.handle.cast("int64"))
        with pytest.raises(Exception):  # noqa: B017 - the engine's own conversion error
            lake.upsert_expr("creators", bad)
        assert lake.count("creators") == 150
    assert _dataset_bytes(folder) == before
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == ["_microscout_lake.json", "creators"]


def test_an_interrupted_swap_is_repaired_on_open(source: Store, tmp_path: Path):
    export_to_lake(source, tmp_path / "lake", tables=["creators"])
    root = tmp_path / "lake"
    os.rename(root / "creators", root / ".creators.old-123456789abc")  # crash between the two renames
    with Lake(root, settings=source.settings) as lake:
        assert lake.count("creators") == 150


# ---- Spark ---------------------------------------------------------------------------------
def _assert_same_profiles(want: list[dict], got: list[dict]) -> None:
    key = ("platform", "creator_id")
    want, got = _sorted_rows(want, key), _sorted_rows(got, key)
    assert [tuple(r[k] for k in key) for r in got] == [tuple(r[k] for k in key) for r in want]
    for w, g in zip(want, got, strict=True):
        for col, wv in w.items():
            if col in ("computed_at", "input_fingerprint"):  # the fingerprint hashes hashtags: engine-specific
                continue
            gv = g[col]
            if isinstance(wv, float) and isinstance(gv, float):
                assert (math.isnan(wv) and math.isnan(gv)) or abs(wv - gv) <= 1e-9, (w["creator_id"], col, wv, gv)
            else:
                assert gv == wv, (w["creator_id"], col, wv, gv)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:unclosed <socket:ResourceWarning")  # py4j's gateway client sockets
def test_spark_profiles_equal_duckdb_profiles(source: Store, tmp_path: Path):
    """profile_creators on Spark (local[2]) over the lake = profile_creators on the DuckDB store."""
    root = tmp_path / "lake"
    # everything but the profiles, so Spark computes every creator from scratch
    export_to_lake(source, root, tables=[t for t in TABLES if t != "creator_profiles"])
    with Lake(root, settings=source.settings, engine="local[2]") as lake:
        started = time.perf_counter()
        run = profile_creators(lake, now=NOW)
        elapsed = time.perf_counter() - started
        got = lake.table("creator_profiles").to_pyarrow().to_pylist()
    print(f"Spark local[2] profile_creators: {elapsed:.1f} s")
    assert run.creators == 150
    want = source.table("creator_profiles").to_pyarrow().to_pylist()
    _assert_same_profiles(want, got)
    for part in (root / "creator_profiles").glob("part-*.parquet"):  # Spark's files are type-exact too
        schema = pq.read_schema(part).remove_metadata()
        assert [f.type for f in schema] == list(arrow_schema(TABLES["creator_profiles"]).types)
