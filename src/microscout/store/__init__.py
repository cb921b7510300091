"""The store: one place that opens, creates, migrates, reads and writes microscout's data.

>>> from microscout.store import connect
>>> store = connect(":memory:")
>>> store.table("creators").count().execute()
0
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from microscout.config import DEFAULT_WORKSPACE, Settings
from microscout.errors import InvalidInputError, MissingDependencyError, StoreError
from microscout.store.migrations import column_type, migrate, quote
from microscout.store.schema import SCHEMA_VERSION, TABLES, TableDef, table_def

__all__ = ["SCHEMA_VERSION", "TABLES", "Store", "UpsertCounts", "connect", "parse_url"]

logger = logging.getLogger(__name__)


@dataclass
class UpsertCounts:
    """What an upsert did: new rows, changed rows, rows identical to what was stored."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def parse_url(url: str) -> tuple[str, str]:
    """Split a store URL into (kind, location): a plain path means an embedded DuckDB file."""
    if url in (":memory:", "duckdb://:memory:", "duckdb:///:memory:"):
        return "duckdb", ":memory:"
    if url.startswith("duckdb://"):
        return "duckdb", url[len("duckdb://") :] or ":memory:"
    if url.startswith("parquet://"):
        return "parquet", url[len("parquet://") :]
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise InvalidInputError(
            f"unknown store URL scheme {scheme!r} in {url!r}; use a path, duckdb:///path or parquet:///folder"
        )
    return "duckdb", url


class Store:
    """An open microscout store (embedded DuckDB) with Ibis reads and transactional writes."""

    def __init__(self, location: str, *, settings: Settings, read_only: bool = False) -> None:
        self.settings = settings
        self.location = location
        if location != ":memory:":
            parent = Path(location).expanduser().resolve().parent
            if not parent.exists():
                raise StoreError(f"cannot open store {location}: folder {parent} does not exist")
        config: dict[str, Any] = {}
        if settings.threads:
            config["threads"] = settings.threads
        if settings.memory_limit:
            config["memory_limit"] = settings.memory_limit
        try:
            self.raw = duckdb.connect(location, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {location}: {exc}") from exc
        self.raw.execute("SET TimeZone = 'UTC'")
        self.raw.execute("SET enable_progress_bar = false")
        # ibis 12 compiles array map/filter to DuckDB's arrow lambdas, deprecated in DuckDB 2.0
        self.raw.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
        self.con = ibis.duckdb.from_connection(self.raw)
        self._depth = 0
        self.migrated_from: int | None = None
        if not read_only:
            self.migrated_from, _ = migrate(self.raw)
            self.ensure_workspace(settings.workspace)

    # ---- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        rows = self.raw.execute("SELECT value FROM microscout_meta WHERE key = 'schema_version'").fetchall()
        return int(rows[0][0]) if rows else 0

    # ---- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside happen together or not at all (nested blocks join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.raw.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.raw.execute("ROLLBACK")
            raise
        self._depth = 0
        self.raw.execute("COMMIT")

    # ---- reads ----------------------------------------------------------------------------
    def table(self, name: str, *, workspace: str | None = None) -> ibis.Table:
        """An Ibis expression over ``name``; workspace tables must be read with ``workspace``."""
        tdef = table_def(name)
        expr = self.con.table(name)
        if tdef.workspace:
            if workspace is None:
                raise InvalidInputError(f"table {name!r} holds workspace data: read it with workspace=<id>")
            expr = expr.filter(expr.workspace_id == workspace)
        return expr

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run read-only SQL and return a DataFrame (for tests and ad-hoc inspection)."""
        return self.raw.execute(query, params or []).df()

    def count(self, name: str, *, workspace: str | None = None) -> int:
        return int(self.table(name, workspace=workspace).count().execute())

    # ---- writes ---------------------------------------------------------------------------
    def ensure_workspace(self, workspace_id: str, name: str | None = None) -> None:
        exists = self.raw.execute("SELECT count(*) FROM workspaces WHERE workspace_id = ?", [workspace_id]).fetchall()[
            0
        ]
        if exists and exists[0]:
            return
        label = name or ("Default workspace" if workspace_id == DEFAULT_WORKSPACE else workspace_id)
        self.raw.execute(
            "INSERT INTO workspaces (workspace_id, name, created_at) VALUES (?, ?, ?)",
            [workspace_id, label, utcnow()],
        )

    def upsert(
        self,
        name: str,
        data: pd.DataFrame | pa.Table,
        *,
        workspace: str | None = None,
        update: bool = True,
    ) -> UpsertCounts:
        """Insert or update rows of ``name`` on its natural key.

        Only the columns present in ``data`` are written: a file without a ``bio`` column never
        erases a stored bio. Rows identical to the stored ones are counted as unchanged and not
        rewritten. With ``update=False`` existing rows are kept as they are (insert if absent).
        """
        tdef = table_def(name)
        frame = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        if tdef.workspace:
            if workspace is None:
                raise InvalidInputError(f"table {name!r} holds workspace data: pass workspace=<id>")
            ws = pa.array([workspace] * frame.num_rows, pa.string())
            if "workspace_id" in frame.column_names:
                frame = frame.set_column(frame.column_names.index("workspace_id"), "workspace_id", ws)
            else:
                frame = frame.append_column("workspace_id", ws)
        unknown = [c for c in frame.column_names if c not in tdef.columns]
        if unknown:
            raise InvalidInputError(f"{name}: unknown column(s) {', '.join(unknown)}")
        missing = [k for k in tdef.key if k not in frame.column_names]
        if missing:
            raise InvalidInputError(f"{name}: missing key column(s) {', '.join(missing)}")
        if frame.num_rows == 0:
            return UpsertCounts()
        with self.transaction():
            return self._upsert_arrow(tdef, frame, update=update)

    def _upsert_arrow(self, tdef: TableDef, frame: pa.Table, *, update: bool = True) -> UpsertCounts:
        cols = [c for c in tdef.columns if c in frame.column_names]
        stage = f"_stage_{tdef.name}"
        self.raw.register(f"{stage}_in", frame)
        casts = ", ".join(f"CAST({quote(c)} AS {column_type(tdef, c)}) AS {quote(c)}" for c in cols)
        keys = ", ".join(quote(k) for k in tdef.key)
        # last record wins when a batch repeats a key
        self.raw.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT {casts} FROM "
            f"(SELECT *, row_number() OVER () AS _pos FROM {stage}_in) "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _pos DESC) = 1"
        )
        self.raw.unregister(f"{stage}_in")
        target = quote(tdef.name)
        on = " AND ".join(f"s.{quote(k)} = t.{quote(k)}" for k in tdef.key)
        non_key = [c for c in cols if c not in tdef.key]
        changed = " OR ".join(_changed_expr(tdef, c) for c in non_key) if update else "false"
        first_key = quote(tdef.key[0])
        total = int(self.raw.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0])
        col_list = ", ".join(quote(c) for c in cols)
        # fast path (first loads): when no key of the batch is stored yet, insert without comparing
        # (the semi join reads only the stored key columns, not every column of every stored row)
        existing = self.raw.execute(
            f"SELECT count(*) FROM {stage} s WHERE EXISTS (SELECT 1 FROM {target} t WHERE {on})"
        ).fetchall()[0][0]
        if not existing:
            self.raw.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {stage}")
            self.raw.execute(f"DROP TABLE {stage}")
            return UpsertCounts(total, 0, 0)
        # only new and changed rows are written: unchanged rows are never rewritten
        self.raw.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage}_w AS SELECT s.*, t.{first_key} IS NULL AS _new "
            f"FROM {stage} s LEFT JOIN {target} t ON {on} WHERE t.{first_key} IS NULL OR ({changed or 'false'})"
        )
        inserted, updated = (
            int(v or 0)
            for v in self.raw.execute(
                f"SELECT count(*) FILTER (WHERE _new), count(*) FILTER (WHERE NOT _new) FROM {stage}_w"
            ).fetchall()[0]
        )
        # UPDATE … FROM and a plain INSERT: DuckDB's INSERT … ON CONFLICT DO UPDATE is far slower
        if updated and non_key and update:
            sets = ", ".join(_update_expr(tdef, c) for c in non_key)
            self.raw.execute(
                f"UPDATE {target} AS t SET {sets} FROM (SELECT * FROM {stage}_w WHERE NOT _new) AS s WHERE {on}"
            )
        if inserted:
            self.raw.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {stage}_w WHERE _new")
        self.raw.execute(f"DROP TABLE {stage}")
        self.raw.execute(f"DROP TABLE {stage}_w")
        return UpsertCounts(inserted, updated, total - inserted - updated)

    def insert_rows(self, name: str, rows: list[dict[str, Any]], *, workspace: str | None = None) -> UpsertCounts:
        """Upsert a few Python dicts (bookkeeping rows, settings, small tables)."""
        if not rows:
            return UpsertCounts()
        tdef = table_def(name)
        columns = list(dict.fromkeys(k for row in rows for k in row))  # every key of every row, in order
        frame = pa.Table.from_pylist(rows, schema=_arrow_schema(tdef, columns))
        return self.upsert(name, frame, workspace=workspace)

    def upsert_expr(self, name: str, expr: ibis.Table) -> int:
        """Upsert the rows of an Ibis expression (computed inside DuckDB, never in Python)."""
        self.con._run_pre_execute_hooks(expr)  # registers in-memory tables with the connection
        return self.replace_from_sql(name, str(self.con.compile(expr)))

    def batches(self, expr: ibis.Table, chunk_size: int = 100_000) -> pa.RecordBatchReader:
        """Stream the rows of ``expr`` as Arrow record batches (bounded memory).

        Exhaust the reader before writing through this store: DuckDB runs one result per connection.
        """
        self.con._run_pre_execute_hooks(expr)
        return self.raw.sql(str(self.con.compile(expr))).to_arrow_reader(chunk_size)

    def replace_table(self, name: str, expr: ibis.Table) -> int:
        """Replace every row of ``name`` with the rows of ``expr``, in one transaction."""
        tdef = table_def(name)
        self.con._run_pre_execute_hooks(expr)
        sql = str(self.con.compile(expr))
        cols = ", ".join(quote(c) for c in expr.columns if c in tdef.columns)
        with self.transaction():
            self.raw.execute(f"DELETE FROM {quote(name)}")
            self.raw.execute(f"INSERT INTO {quote(name)} ({cols}) SELECT {cols} FROM ({sql})")
            row = self.raw.execute(f"SELECT count(*) FROM {quote(name)}").fetchall()[0]
        return int(row[0])

    def replace_from_sql(self, name: str, select_sql: str) -> int:
        """Upsert the rows of a SELECT (with the table's column names) into ``name``."""
        tdef = table_def(name)
        cur = self.raw.execute(f"SELECT * FROM ({select_sql}) LIMIT 0")
        cols = [d[0] for d in cur.description]
        unknown = [c for c in cols if c not in tdef.columns]
        if unknown:
            raise InvalidInputError(f"{name}: unknown column(s) {', '.join(unknown)}")
        keys = ", ".join(quote(k) for k in tdef.key)
        col_list = ", ".join(quote(c) for c in cols)
        # the SELECT runs once, in parallel, into a temporary table that the write and the row count
        # read (a SELECT that reads ``name`` itself sees it as it was before the write). Existing
        # rows are updated with UPDATE … FROM and new ones inserted: DuckDB's INSERT … ON CONFLICT DO
        # UPDATE is some fifty times slower on wide tables.
        empty = not self.raw.execute(f"SELECT 1 FROM {quote(name)} LIMIT 1").fetchall()
        if empty:  # nothing to update: insert straight from the SELECT (the key refuses duplicates)
            with self.transaction():
                try:
                    rows = self.raw.execute(
                        f"INSERT INTO {quote(name)} ({col_list}) SELECT {col_list} FROM ({select_sql})"
                    ).fetchall()
                except duckdb.ConstraintException as exc:
                    raise StoreError(f"{name}: duplicate key(s) in one write ({exc})") from exc
            return int(rows[0][0])
        staged = quote(f"_staged_{uuid.uuid4().hex[:12]}")
        match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in tdef.key)
        sets = ", ".join(_update_expr(tdef, c) for c in cols if c not in tdef.key)
        with self.transaction():
            self.raw.execute(f"CREATE TEMP TABLE {staged} AS {select_sql}")
            try:
                total, distinct = self.raw.execute(
                    f"SELECT count(*), count(DISTINCT ({keys})) FROM {staged}"
                ).fetchall()[0]
                if total != distinct:
                    raise StoreError(f"{name}: {total - distinct} duplicate key(s) in one write")
                if sets:
                    self.raw.execute(f"UPDATE {quote(name)} AS t SET {sets} FROM {staged} AS s WHERE {match}")
                self.raw.execute(
                    f"INSERT INTO {quote(name)} ({col_list}) SELECT {col_list} FROM {staged} AS s "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {quote(name)} AS t WHERE {match})"
                )
            finally:
                self.raw.execute(f"DROP TABLE IF EXISTS {staged}")
        return int(total)


def _changed_expr(tdef: TableDef, column: str) -> str:
    """True when writing staged row ``s`` would change stored row ``t`` in ``column``."""
    q = quote(column)
    rule = tdef.merge.get(column)
    new = f"s.{q}"
    if rule == "least":
        new = f"least(t.{q}, s.{q})"
    elif rule == "greatest":
        new = f"greatest(t.{q}, s.{q})"
    return f"{new} IS DISTINCT FROM t.{q}"


def _update_expr(tdef: TableDef, column: str) -> str:
    """``column = …`` of an UPDATE of stored row ``t`` from staged row ``s`` (merge rules kept)."""
    q = quote(column)
    rule = tdef.merge.get(column)
    if rule == "least":
        return f"{q} = least(t.{q}, s.{q})"
    if rule == "greatest":
        return f"{q} = greatest(t.{q}, s.{q})"
    return f"{q} = s.{q}"


def _arrow_schema(tdef: TableDef, columns: list[str]) -> pa.Schema:
    fields = []
    for c in columns:
        if c not in tdef.columns:
            raise InvalidInputError(f"{tdef.name}: unknown column {c!r}")
        fields.append(pa.field(c, tdef.columns[c].to_pyarrow()))
    return pa.schema(fields)


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (the store's timestamp convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def connect(url: str | None = None, *, settings: Settings | None = None, read_only: bool = False) -> Store:
    """Open (and create or migrate) the store at ``url`` (default: ``settings.db``)."""
    settings = settings or Settings()
    kind, location = parse_url(url or settings.db)
    engine = settings.engine
    if kind == "parquet":
        # a Parquet lake (microscout.store.lake) has the read/write surface the metrics code uses
        # (settings, table, upsert_expr, count, close), read by DuckDB or by Spark
        from microscout.store.lake import Lake

        return cast(Store, Lake(location, settings=settings, engine=engine, read_only=read_only))
    if engine != "duckdb":
        if engine == "spark" or engine.startswith(("spark://", "local", "yarn", "k8s://")):
            try:
                import pyspark  # noqa: F401
            except ImportError as exc:
                raise MissingDependencyError("Spark support is not installed: pip install 'microscout[spark]'") from exc
            raise StoreError(
                "the Spark engine reads a Parquet lake: run `microscout export --to parquet:///dir` first, "
                "then use --db parquet:///dir"
            )
        raise InvalidInputError(f"unknown engine {engine!r}; use duckdb, spark or spark://host:port")
    return Store(location, settings=settings, read_only=read_only)
