"""A Parquet lake: microscout's tables as Parquet datasets in a folder, read by DuckDB or Spark.

Layout::

    <root>/
      _microscout_lake.json          # {"format": "microscout-lake", "schema_version": N}
      creators/part-00000.parquet    # one dataset (folder) per table of microscout.store.schema
      creators/part-00001.parquet    #   one or more part-*.parquet files, all with the same schema
      posts/part-00000-<uuid>-c000.snappy.parquet   # (the names Spark gives its parts also match)
      ...

Every file has exactly the columns and Arrow types of the table's ``TableDef`` (``dtype.to_pyarrow()``):
strings, int64, double, bool, ``timestamp[us]`` without a time zone (UTC by convention),
``date32``, ``decimal128(18, 2)`` money and ``decimal128(18, 8)`` rates, ``list<string>``.
A table without a folder reads as an empty table with the schema's columns.

Writes replace a whole dataset atomically: the new dataset is written into a hidden sibling
folder (``.<table>.tmp-<id>``), checked, and then swapped in with two renames (the old folder goes
to ``.<table>.old-<id>`` and is deleted). A crash never leaves a half-written dataset under
``<root>/<table>``; a crash between the two renames is repaired the next time the lake is opened
for writing. One writer at a time per lake.

:class:`Lake` has the read/write surface the metrics code uses (``settings``, ``table``,
``upsert_expr``, ``count``, ``close``), so the same Ibis expressions run on DuckDB or on Spark.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from microscout.config import Settings
from microscout.errors import InvalidInputError, SchemaError, StoreError
from microscout.store.schema import SCHEMA_VERSION, TABLES, TableDef, table_def

if TYPE_CHECKING:
    from microscout.store import Store

__all__ = ["MANIFEST", "Lake", "arrow_schema", "export_to_lake"]

logger = logging.getLogger(__name__)

MANIFEST = "_microscout_lake.json"
ROWS_PER_FILE = 2_000_000
ROWS_PER_GROUP = 122_880
Progress = Callable[[str, int, int], None]


def arrow_schema(tdef: TableDef) -> pa.Schema:
    """The exact Arrow schema of ``tdef``'s Parquet files."""
    return pa.schema([pa.field(c, t.to_pyarrow(), nullable=True) for c, t in tdef.columns.items()])


def _plain(t: pa.DataType) -> pa.DataType:
    """``t`` with list item fields renamed to ``item`` (Spark names them ``element``)."""
    if pa.types.is_list(t):
        return pa.list_(_plain(t.value_type))
    return t


def _check_files(tdef: TableDef, folder: Path) -> None:
    """StoreError unless every part file in ``folder`` has exactly the types of ``tdef``."""
    want = arrow_schema(tdef)
    for f in sorted(folder.glob("part-*.parquet")):
        got = pq.read_schema(f)
        have = [(n, _plain(got.field(n).type)) for n in got.names]
        expected = [(n, _plain(want.field(n).type)) for n in want.names]
        if have != expected:
            diff = [f"{n}: {t}" for n, t in have if (n, t) not in expected]
            raise StoreError(f"{tdef.name}: wrote {f.name} with unexpected column types ({', '.join(diff) or have})")


def _write_batches(tdef: TableDef, batches: Iterable[pa.RecordBatch], folder: Path) -> int:
    """Write record batches as ``part-NNNNN.parquet`` files cast to the exact schema; return rows."""
    schema = arrow_schema(tdef)
    folder.mkdir(parents=True, exist_ok=False)
    rows = part = in_file = 0
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
            if writer is not None and in_file >= ROWS_PER_FILE:
                writer.close()
                writer, part, in_file = None, part + 1, 0
            if writer is None:
                writer = pq.ParquetWriter(folder / f"part-{part:05d}.parquet", schema)
            writer.write_table(table, row_group_size=ROWS_PER_GROUP)
            rows += table.num_rows
            in_file += table.num_rows
        if writer is None:  # an empty dataset still has one file that carries the schema
            pq.write_table(schema.empty_table(), folder / "part-00000.parquet")
    finally:
        if writer is not None:
            writer.close()
    return rows


def _hidden(root: Path, name: str, what: str) -> Path:
    return root / f".{name}.{what}-{uuid.uuid4().hex[:12]}"


def _swap(root: Path, name: str, new: Path) -> None:
    """Make ``new`` the dataset ``root/name`` (two renames; the old folder is then deleted)."""
    target = root / name
    old: Path | None = None
    if target.exists():
        old = _hidden(root, name, "old")
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _repair(root: Path) -> None:
    """Put back a dataset whose swap was interrupted between its two renames."""
    for old in sorted(root.glob(".*.old-*")):
        name = old.name[1:].rsplit(".old-", 1)[0]
        if name in TABLES and not (root / name).exists():
            logger.warning("lake %s: restoring %s from an interrupted write", root, name)
            os.rename(old, root / name)


def _write_manifest(root: Path) -> None:
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps({"format": "microscout-lake", "schema_version": SCHEMA_VERSION}) + "\n")
    os.replace(tmp, root / MANIFEST)


def _read_manifest(root: Path) -> None:
    path = root / MANIFEST
    if not path.exists():
        return
    try:
        version = int(json.loads(path.read_text())["schema_version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"lake {root}: unreadable {MANIFEST}: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"lake {root} has schema version {version}; this microscout understands up to {SCHEMA_VERSION}: upgrade it"
        )


class Lake:
    """A Parquet lake opened with the DuckDB engine or the Spark engine.

    ``engine`` is ``duckdb``, ``spark`` (``local[*]``) or a Spark master URL (``spark://host:7077``,
    ``local[2]``). With a cluster master the lake folder must be visible at the same path on
    every executor (a shared file system).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        settings: Settings | None = None,
        engine: str | None = None,
        read_only: bool = False,
        create: bool = False,
    ) -> None:
        from microscout.store.spark import is_spark_engine, master_url, spark_session

        self.settings = settings or Settings()
        self.root = Path(root).expanduser().resolve()
        self.location = str(self.root)
        self.read_only = read_only
        self.engine = engine or self.settings.engine
        if not self.root.is_dir():
            if not create:
                raise StoreError(
                    f"no Parquet lake at {self.root}: create one with `microscout export --to parquet://{self.root}`"
                )
            self.root.mkdir(parents=True)
        _read_manifest(self.root)
        if not read_only:
            _repair(self.root)
            if not (self.root / MANIFEST).exists():
                _write_manifest(self.root)
        self._session: Any = None
        self._raw: duckdb.DuckDBPyConnection | None = None
        if self.engine == "duckdb":
            config: dict[str, Any] = {}
            if self.settings.threads:
                config["threads"] = self.settings.threads
            self._raw = duckdb.connect(":memory:", config=config)
            self._raw.execute("SET TimeZone = 'UTC'")
            self._raw.execute("SET enable_progress_bar = false")
            self._raw.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
            self.con: Any = ibis.duckdb.from_connection(self._raw)
        elif is_spark_engine(self.engine):
            self._session = spark_session(master_url(self.engine))
            self.con = ibis.pyspark.connect(self._session)
        else:
            raise InvalidInputError(f"unknown engine {self.engine!r}; use duckdb, spark or spark://host:port")

    # ---- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        if self._session is not None:
            from microscout.store.spark import stop_session

            stop_session(self._session)
            self._session = None

    def __enter__(self) -> Lake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r}, engine={self.engine!r})"

    # ---- reads ----------------------------------------------------------------------------
    def dataset(self, name: str) -> Path:
        """The folder of table ``name``'s dataset (it may not exist yet)."""
        return self.root / table_def(name).name

    def tables(self) -> list[str]:
        """The tables that have a dataset in this lake."""
        return [n for n in TABLES if any((self.root / n).glob("part-*.parquet"))]

    def table(self, name: str, *, workspace: str | None = None) -> ibis.Table:
        """An Ibis expression over ``name``; workspace tables must be read with ``workspace``."""
        tdef = table_def(name)
        if tdef.workspace and workspace is None:
            raise InvalidInputError(f"table {name!r} holds workspace data: read it with workspace=<id>")
        expr = self._read(tdef)
        if tdef.workspace:
            expr = expr.filter(expr.workspace_id == workspace)
        return expr

    def count(self, name: str, workspace: str | None = None) -> int:
        return int(self.table(name, workspace=workspace).count().execute())

    def _read(self, tdef: TableDef, folder: Path | None = None) -> ibis.Table:
        """The dataset in ``folder`` (default: the table's) with exactly the schema's columns and types."""
        folder = folder or self.dataset(tdef.name)
        if not any(folder.glob("part-*.parquet")):
            raw = ibis.memtable(arrow_schema(tdef).empty_table())
        elif self.engine == "duckdb":
            raw = self.con.read_parquet(str(folder / "part-*.parquet"))
        else:
            raw = self._spark_read(tdef, folder)
        have = raw.schema()
        cols: dict[str, Any] = {}
        for c, want in tdef.columns.items():
            if c not in have:  # a dataset written before the column existed
                cols[c] = ibis.null(want)
            elif have[c].copy(nullable=True) != want.copy(nullable=True):
                cols[c] = raw[c].cast(want)
            else:
                cols[c] = raw[c]
        return raw.select(**cols)

    def _spark_read(self, tdef: TableDef, folder: Path) -> ibis.Table:
        """Register ``folder`` with Spark under the schema we know (no schema-inference job)."""
        from ibis.backends.pyspark.datatypes import PySparkType
        from pyspark.sql import types as T

        fields = [
            T.StructField(c, T.TimestampNTZType() if t.is_timestamp() else PySparkType.from_ibis(t), True)
            for c, t in tdef.columns.items()
        ]
        frame = self._session.read.schema(T.StructType(fields)).parquet(str(folder))
        view = f"lake_{tdef.name}_{uuid.uuid4().hex[:12]}"
        frame.createOrReplaceTempView(view)
        return self.con.table(view)

    # ---- writes ---------------------------------------------------------------------------
    def upsert_expr(self, name: str, expr: ibis.Table) -> int:
        """Merge the rows of ``expr`` into ``name`` on its natural key; return the rows of ``expr``.

        Rows of ``expr`` replace stored rows with the same key (a column ``expr`` lacks keeps its
        stored value, ``least``/``greatest`` merge rules apply as in the DuckDB store); other stored
        rows are kept. ``expr`` is computed once, into a staging dataset; the table's dataset is
        then rewritten into a temporary folder and swapped in, so a failure leaves it as it was.
        """
        tdef = table_def(name)
        if self.read_only:
            raise StoreError(f"lake {self.root} is open read-only")
        cols = list(expr.columns)
        unknown = [c for c in cols if c not in tdef.columns]
        if unknown:
            raise InvalidInputError(f"{name}: unknown column(s) {', '.join(unknown)}")
        missing = [k for k in tdef.key if k not in cols]
        if missing:
            raise InvalidInputError(f"{name}: missing key column(s) {', '.join(missing)}")
        stage_def = TableDef(f"{name}__stage", {c: tdef.columns[c] for c in cols}, tdef.key)
        stage = _hidden(self.root, name, "stage")
        tmp = _hidden(self.root, name, "tmp")
        try:
            self._write(stage_def, expr, stage)
            rows = sum(pq.read_metadata(f).num_rows for f in stage.glob("part-*.parquet"))
            new = self._read(stage_def, stage)
            distinct = int(new.select(*tdef.key).distinct().count().execute())
            if distinct != rows:
                raise InvalidInputError(f"{name}: the rows to write repeat a key ({rows - distinct} duplicate(s))")
            self._write(tdef, self._merged(tdef, new), tmp)
            _swap(self.root, name, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(stage, ignore_errors=True)
        return rows

    def batches(self, expr: ibis.Table, chunk_size: int = 100_000) -> pa.RecordBatchReader:
        """Stream the rows of ``expr`` as Arrow record batches (bounded memory)."""
        self.con._run_pre_execute_hooks(expr)
        if self.engine == "duckdb":
            assert self._raw is not None
            return self._raw.sql(str(self.con.compile(expr))).to_arrow_reader(chunk_size)
        return expr.to_pyarrow_batches(chunk_size=chunk_size)

    def replace_table(self, name: str, expr: ibis.Table) -> int:
        """Replace every row of ``name`` with the rows of ``expr`` (written aside, then swapped in)."""
        tdef = table_def(name)
        if self.read_only:
            raise StoreError(f"lake {self.root} is open read-only")
        tmp = _hidden(self.root, name, "tmp")
        try:
            full = expr.select(
                *[
                    expr[c].cast(t).name(c) if c in expr.columns else ibis.null(t).name(c)
                    for c, t in tdef.columns.items()
                ]
            )
            self._write(tdef, full, tmp)
            rows = sum(pq.read_metadata(f).num_rows for f in tmp.glob("part-*.parquet"))
            _swap(self.root, name, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return rows

    def _merged(self, tdef: TableDef, new: ibis.Table) -> ibis.Table:
        """The stored rows whose key is not in ``new``, plus ``new`` merged with the stored rows."""
        old = self._read(tdef)
        key = list(tdef.key)
        merge = {c: r for c, r in tdef.merge.items() if c in new.columns and c not in key}
        absent = [c for c in tdef.columns if c not in new.columns]
        if absent or merge:
            prev = old.select(*key, *absent, **{f"_old_{c}": old[c] for c in merge})
            joined = new.left_join(prev, key).select(
                *[new[c] for c in new.columns if c not in merge],
                *[prev[c] for c in absent],
                **{
                    c: (ibis.least if rule == "least" else ibis.greatest)(prev[f"_old_{c}"], new[c])
                    for c, rule in merge.items()
                },
            )
        else:
            joined = new
        fresh = joined.select(*[joined[c].cast(t).name(c) for c, t in tdef.columns.items()])
        kept = old.anti_join(new.select(*key), key).select(*tdef.columns)
        return kept.union(fresh)

    def _write(self, tdef: TableDef, expr: ibis.Table, folder: Path) -> None:
        """Compute ``expr`` into a new dataset folder with exactly ``tdef``'s Arrow types."""
        expr = expr.select(*[expr[c].cast(t).name(c) for c, t in tdef.columns.items()])
        if self.engine == "duckdb":
            assert self._raw is not None
            self.con._run_pre_execute_hooks(expr)  # registers in-memory tables with the connection
            reader = self._raw.sql(str(self.con.compile(expr))).to_arrow_reader(ROWS_PER_GROUP)
            _write_batches(tdef, _batches(reader), folder)
            return
        from pyspark.sql import functions as F

        self.con._run_pre_execute_hooks(expr)  # registers in-memory tables with the session
        frame = self._session.sql(self.con.compile(expr))
        # ibis's Spark timestamps are session-zone (UTC) instants: store them as UTC wall-clock time
        frame = frame.select(
            *[
                F.col(f"`{c}`").cast("timestamp_ntz").alias(c) if t.is_timestamp() else F.col(f"`{c}`")
                for c, t in tdef.columns.items()
            ]
        )
        frame.write.mode("errorifexists").parquet(str(folder))
        for f in folder.iterdir():
            if f.name.startswith((".", "_")):
                f.unlink()
        if not any(folder.glob("part-*.parquet")):
            pq.write_table(arrow_schema(tdef).empty_table(), folder / "part-00000.parquet")
        _check_files(tdef, folder)


# ---- export -------------------------------------------------------------------------------
def export_to_lake(
    store: Store,
    root: Path,
    *,
    tables: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy tables of a DuckDB store into the lake at ``root`` (created if needed); return row counts.

    Each dataset is replaced atomically, so exporting again gives the same lake.
    """
    from microscout.store.migrations import quote

    names = list(tables) if tables is not None else list(TABLES)
    defs = [table_def(n) for n in names]
    root = Path(root).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    _read_manifest(root)
    _repair(root)
    counts: dict[str, int] = {}
    for i, tdef in enumerate(defs):
        if progress:
            progress("export", i, len(defs))
        select = ", ".join(quote(c) for c in tdef.columns)
        tmp = _hidden(root, tdef.name, "tmp")
        try:
            reader = store.raw.sql(f"SELECT {select} FROM {quote(tdef.name)}").to_arrow_reader(ROWS_PER_GROUP)
            counts[tdef.name] = _write_batches(tdef, _batches(reader), tmp)
            _swap(root, tdef.name, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _write_manifest(root)
    if progress:
        progress("export", len(defs), len(defs))
    return counts


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    with contextlib.closing(reader):
        yield from reader
