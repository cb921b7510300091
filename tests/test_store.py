from __future__ import annotations

import pandas as pd
import pytest

from microscout.config import Settings
from microscout.errors import InvalidInputError, NotFoundError, SchemaError
from microscout.store import SCHEMA_VERSION, TABLES, connect
from microscout.store.migrations import create_table_sql
from microscout.store.schema import WORKSPACE_TABLES


def test_new_store_has_every_table_with_its_columns(store):
    tables = set(store.sql("SELECT table_name FROM information_schema.tables")["table_name"])
    assert set(TABLES) <= tables
    for name, tdef in TABLES.items():
        cols = list(
            store.sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            )["column_name"]
        )
        assert cols == list(tdef.columns), name
    assert store.schema_version() == SCHEMA_VERSION


def test_every_workspace_table_carries_workspace_id_in_its_key():
    for name in WORKSPACE_TABLES:
        assert TABLES[name].key[0] == "workspace_id", name


def test_posts_have_thread_columns_and_runs_have_a_checkpoint():
    assert {"reply_to", "quote_of", "repost_of"} <= set(TABLES["posts"].columns)
    assert "checkpoint" in TABLES["ingest_runs"].columns
    assert "post_signals" in TABLES


def test_migration_from_version_1_keeps_rows_and_backfills(tmp_path):
    path = tmp_path / "old.duckdb"
    import duckdb

    raw = duckdb.connect(str(path))
    # a version-1 store: audience_edges had no relation column and a 3-column key
    raw.execute("CREATE TABLE microscout_meta (key TEXT PRIMARY KEY, value TEXT)")
    raw.execute("INSERT INTO microscout_meta VALUES ('schema_version', '1')")
    raw.execute(
        "CREATE TABLE audience_edges (platform TEXT, creator_id TEXT, account_id TEXT, "
        "observed_at TIMESTAMP, PRIMARY KEY (platform, creator_id, account_id))"
    )
    raw.execute("INSERT INTO audience_edges VALUES ('instagram', 'c1', 'a1', '2026-01-01')")
    raw.execute(create_table_sql(TABLES["creators"]).replace(', "extras" TEXT', ""))
    raw.execute("INSERT INTO creators (platform, creator_id, handle) VALUES ('instagram', 'c1', 'ana')")
    raw.close()

    store = connect(str(path), settings=Settings(db=str(path)))
    assert store.migrated_from == 1
    assert store.schema_version() == SCHEMA_VERSION
    edges = store.sql("SELECT platform, creator_id, account_id, relation FROM audience_edges")
    assert edges.to_dict("records") == [
        {"platform": "instagram", "creator_id": "c1", "account_id": "a1", "relation": "follower"}
    ]
    # the new key admits the same account as a commenter
    store.insert_rows(
        "audience_edges", [{"platform": "instagram", "creator_id": "c1", "account_id": "a1", "relation": "commenter"}]
    )
    assert store.count("audience_edges") == 2
    # a column added since version 1 exists, old rows kept
    assert store.sql("SELECT handle, extras FROM creators").to_dict("records") == [{"handle": "ana", "extras": None}]
    store.close()


def test_store_newer_than_the_code_is_refused(tmp_path):
    path = str(tmp_path / "new.duckdb")
    store = connect(path, settings=Settings(db=path))
    store.raw.execute("UPDATE microscout_meta SET value = '999' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(SchemaError, match="schema version 999, newer than"):
        connect(path, settings=Settings(db=path))


def _creators(**over):
    base = {
        "platform": ["instagram", "tiktok"],
        "creator_id": ["1", "2"],
        "handle": ["ana", "bo"],
        "followers": [1200, 54000],
    }
    base.update(over)
    return pd.DataFrame(base)


def test_upsert_is_idempotent_and_counts_changes(store):
    first = store.upsert("creators", _creators())
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = store.upsert("creators", _creators())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = store.upsert("creators", _creators(followers=[1300, 54000]))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    assert store.count("creators") == 2


def test_upsert_writes_only_the_columns_given(store):
    store.upsert("creators", _creators(bio=["runner", "chef"]))
    store.upsert("creators", _creators(followers=[1, 2]).drop(columns=["handle"]))
    rows = store.sql("SELECT handle, bio, followers FROM creators ORDER BY creator_id").to_dict("records")
    assert rows == [{"handle": "ana", "bio": "runner", "followers": 1}, {"handle": "bo", "bio": "chef", "followers": 2}]


def test_first_and_last_seen_merge_instead_of_overwrite(store):
    store.upsert(
        "creators",
        _creators(first_seen=pd.to_datetime(["2026-03-01"] * 2), last_seen=pd.to_datetime(["2026-03-01"] * 2)),
    )
    store.upsert(
        "creators",
        _creators(
            first_seen=pd.to_datetime(["2026-05-01", "2026-01-01"]),
            last_seen=pd.to_datetime(["2026-05-01", "2026-01-01"]),
        ),
    )
    rows = store.sql(
        "SELECT creator_id, first_seen::DATE::TEXT AS f, last_seen::DATE::TEXT AS l FROM creators ORDER BY creator_id"
    ).to_dict("records")
    assert rows == [
        {"creator_id": "1", "f": "2026-03-01", "l": "2026-05-01"},
        {"creator_id": "2", "f": "2026-01-01", "l": "2026-03-01"},
    ]


def test_exception_inside_a_transaction_leaves_the_store_as_before(store):
    store.upsert("creators", _creators())
    before = store.sql("SELECT * FROM creators ORDER BY creator_id")
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert("creators", _creators(followers=[9, 9]))
        store.insert_rows("posts", [{"platform": "instagram", "post_id": "p1", "creator_id": "1"}])
        raise RuntimeError("boom in the middle of the batch")
    pd.testing.assert_frame_equal(store.sql("SELECT * FROM creators ORDER BY creator_id"), before)
    assert store.count("posts") == 0


def test_workspace_reads_never_see_another_workspace(store):
    store.ensure_workspace("acme")
    store.insert_rows("notes", [{"note_id": "n1", "body": "default note"}], workspace="default")
    store.insert_rows(
        "notes", [{"note_id": "n1", "body": "acme note"}, {"note_id": "n2", "body": "acme 2"}], workspace="acme"
    )
    assert list(store.table("notes", workspace="default").body.execute()) == ["default note"]
    assert sorted(store.table("notes", workspace="acme").body.execute()) == ["acme 2", "acme note"]
    with pytest.raises(InvalidInputError, match="holds workspace data"):
        store.table("notes")
    with pytest.raises(InvalidInputError, match="pass workspace=<id>"):
        store.insert_rows("notes", [{"note_id": "n3"}])


def test_a_workspace_cannot_write_into_another(store):
    # a row claiming another workspace is rewritten to the caller's workspace
    store.insert_rows("notes", [{"workspace_id": "acme", "note_id": "n1", "body": "x"}], workspace="default")
    assert store.table("notes", workspace="acme").count().execute() == 0
    assert store.table("notes", workspace="default").count().execute() == 1


def test_default_workspace_exists_and_unknown_table_is_named(store):
    assert store.table("workspaces", workspace="default").count().execute() == 1
    with pytest.raises(NotFoundError, match="unknown table 'creator'"):
        store.table("creator")


def test_unknown_store_scheme_and_missing_folder(tmp_path):
    from microscout.errors import StoreError

    with pytest.raises(InvalidInputError, match="unknown store URL scheme 'postgres'"):
        connect("postgres://x/y")
    with pytest.raises(StoreError, match="does not exist"):
        connect(str(tmp_path / "nope" / "x.duckdb"))


def test_replace_from_sql_inserts_updates_and_refuses_duplicate_keys(store):
    """A stage's write (Store.replace_from_sql): straight into an empty table, then UPDATE + INSERT;
    a SELECT with a key twice is refused on either path and writes nothing."""
    from microscout.errors import StoreError

    def select(*rows: tuple[str, int]) -> str:
        values = ", ".join(f"('instagram', '{cid}', {followers})" for cid, followers in rows)
        return f"SELECT * FROM (VALUES {values}) AS v(platform, creator_id, followers)"

    with pytest.raises(StoreError, match="duplicate key"):
        store.replace_from_sql("creators", select(("a", 1), ("a", 2)))
    assert store.count("creators") == 0
    assert store.replace_from_sql("creators", select(("a", 1), ("b", 2))) == 2
    assert store.replace_from_sql("creators", select(("b", 20), ("c", 30))) == 2
    got = dict(store.raw.execute("SELECT creator_id, followers FROM creators").fetchall())
    assert got == {"a": 1, "b": 20, "c": 30}
    with pytest.raises(StoreError, match="duplicate key"):
        store.replace_from_sql("creators", select(("c", 3), ("c", 4)))
    assert dict(store.raw.execute("SELECT creator_id, followers FROM creators").fetchall()) == got
