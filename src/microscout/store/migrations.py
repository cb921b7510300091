"""Schema creation and migrations.

The store records its schema version in ``microscout_meta``. On connect, a new store gets every
table of :mod:`microscout.store.schema`; an older one runs the numbered migrations in order, then
gains any table or column the schema added since (additive changes need no numbered migration).
Everything runs in one transaction: a failed migration leaves the store as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb
from ibis.backends.sql.datatypes import DuckDBType

from microscout.errors import SchemaError
from microscout.store.schema import SCHEMA_VERSION, TABLES, TableDef

logger = logging.getLogger(__name__)

META = "microscout_meta"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_type(table: TableDef, column: str) -> str:
    return str(DuckDBType.to_string(table.columns[column]))


def create_table_sql(table: TableDef, name: str | None = None) -> str:
    cols = ", ".join(f"{quote(c)} {column_type(table, c)}" for c in table.columns)
    key = ", ".join(quote(k) for k in table.key)
    return f"CREATE TABLE IF NOT EXISTS {quote(name or table.name)} ({cols}, PRIMARY KEY ({key}))"


def _existing_columns(raw: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    rows = raw.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [r[0] for r in rows]


def _recreate_with_key(raw: duckdb.DuckDBPyConnection, table: TableDef) -> None:
    """Rebuild a table whose natural key changed, keeping every row."""
    old = _existing_columns(raw, table.name)
    tmp = f"{table.name}__new"
    raw.execute(create_table_sql(table, tmp))
    shared = ", ".join(quote(c) for c in table.columns if c in old)
    raw.execute(f"INSERT INTO {quote(tmp)} ({shared}) SELECT {shared} FROM {quote(table.name)}")
    raw.execute(f"DROP TABLE {quote(table.name)}")
    raw.execute(f"ALTER TABLE {quote(tmp)} RENAME TO {quote(table.name)}")


def _migrate_1_to_2(raw: duckdb.DuckDBPyConnection) -> None:
    """audience_edges gains ``relation`` (follower | commenter) as part of its key.

    Version 1 stored only followers, so existing edges are backfilled as ``follower``.
    """
    cols = _existing_columns(raw, "audience_edges")
    if "relation" not in cols:
        raw.execute("ALTER TABLE audience_edges ADD COLUMN relation TEXT")
    raw.execute("UPDATE audience_edges SET relation = 'follower' WHERE relation IS NULL")
    _recreate_with_key(raw, TABLES["audience_edges"])


def _additive_only(raw: duckdb.DuckDBPyConnection) -> None:
    """2 -> 3: creator_profiles gains the metrics engine's columns (added by the additive sync)."""


# version n -> n + 1
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _migrate_1_to_2,
    2: _additive_only,
    3: _additive_only,  # v4: audience_scores, creator_pods, AQS columns
    4: _additive_only,  # v5: campaign tracking, outreach, proofs, alert rules and deliveries, schedules
}


def current_version(raw: duckdb.DuckDBPyConnection) -> int | None:
    exists = raw.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [META]).fetchall()[0]
    if not exists or not exists[0]:
        return None
    rows = raw.execute(f"SELECT value FROM {META} WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def _missing_columns(raw: duckdb.DuckDBPyConnection) -> bool:
    """True when a table or column of the schema is absent (a development store, say)."""
    rows = raw.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    present = {(t, c) for t, c in rows}
    return any((t.name, c) not in present for t in TABLES.values() for c in t.columns)


def _sync_additive(raw: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        raw.execute(create_table_sql(table))
        present = set(_existing_columns(raw, table.name))
        for column in table.columns:
            if column not in present:
                logger.info("adding column %s.%s", table.name, column)
                raw.execute(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column)} {column_type(table, column)}")


def migrate(raw: duckdb.DuckDBPyConnection) -> tuple[int | None, int]:
    """Bring the store to :data:`SCHEMA_VERSION`; return (version before, version after)."""
    before = current_version(raw)
    if before is not None and before > SCHEMA_VERSION:
        raise SchemaError(
            f"the store has schema version {before}, newer than this microscout "
            f"understands ({SCHEMA_VERSION}); upgrade microscout"
        )
    if before == SCHEMA_VERSION and not _missing_columns(raw):
        return before, before
    raw.execute("BEGIN TRANSACTION")
    try:
        raw.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT)")
        if before is not None:
            for version in range(before, SCHEMA_VERSION):
                logger.info("migrating schema %d -> %d", version, version + 1)
                MIGRATIONS[version](raw)
        _sync_additive(raw)
        raw.execute(
            f"INSERT INTO {META} VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(SCHEMA_VERSION)],
        )
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    return before, SCHEMA_VERSION
