"""Chunked writers of the canonical file format (parquet, jsonl, csv) for the sample world."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from microscout.store.schema import TABLES

_TYPE = {
    "String": pa.string(),
    "Int64": pa.int64(),
    "Float64": pa.float64(),
    "Boolean": pa.bool_(),
    "Timestamp": pa.timestamp("us", tz="UTC"),
    "Date": pa.date32(),
}
SKIP = {"workspace_id", "extras"}


def _arrow_type(dtype: Any) -> pa.DataType:
    name = type(dtype).__name__
    if name == "Array":
        return pa.list_(pa.string())
    if name == "Decimal":
        return pa.decimal128(dtype.precision, dtype.scale)
    return _TYPE[name]


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a canonical table file (schema.py columns minus workspace_id/extras)."""
    cols = TABLES[table].columns
    return pa.schema([(c, _arrow_type(t)) for c, t in cols.items() if c not in SKIP])


TRUTH_SCHEMAS = {
    "truth_creators": pa.schema(
        [
            ("platform", pa.string()),
            ("creator_id", pa.string()),
            ("true_market", pa.string()),
            ("true_language", pa.string()),
            ("true_niches", pa.list_(pa.string())),
            ("fraud", pa.string()),
            ("bought_share", pa.float64()),
            ("pod_id", pa.string()),
            ("off_market", pa.bool_()),
            ("unsafe", pa.bool_()),
            ("unsafe_terms", pa.list_(pa.string())),
            ("odd_but_honest", pa.string()),
            ("true_er", pa.float64()),
            ("price_factor", pa.float64()),
        ]
    ),
    "truth_sponsored": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("creator_id", pa.string()),
            ("disclosed", pa.bool_()),
        ]
    ),
}


def _for_text(table: pa.Table, csv: bool) -> pa.Table:
    cols = []
    for field, col in zip(table.schema, table.columns, strict=False):
        if pa.types.is_timestamp(field.type):
            col = pc.strftime(col.cast(pa.timestamp("s", tz="UTC"), safe=False), format="%Y-%m-%dT%H:%M:%SZ")
        elif csv and pa.types.is_list(field.type):
            col = pc.binary_join(col, "|")
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


class Sink:
    """Append-only writer of one table file; one parquet row group (or text block) per chunk."""

    def __init__(self, out_dir: Path, name: str, schema: pa.Schema, fmt: str) -> None:
        self.name, self.schema, self.fmt = name, schema, fmt
        self.path = out_dir / f"{name}.{fmt}"
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        if self.path.exists():
            self.path.unlink()
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(self.path, schema, compression="snappy")
        else:
            self.path.write_bytes(b"")
            self._con = duckdb.connect()
            self._con.execute("SET preserve_insertion_order=true")

    def write(self, columns: dict[str, Any]) -> None:
        table = pa.Table.from_pydict({c: columns[c] for c in self.schema.names}, schema=self.schema)
        self.rows += table.num_rows
        if table.num_rows == 0:
            return
        if self._writer is not None:
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
            return
        assert self._con is not None
        text = _for_text(table, self.fmt == "csv")
        tmp = self.path.with_name(self.path.name + ".part")
        self._con.register("chunk", text)
        if self.fmt == "jsonl":
            self._con.execute(f"COPY chunk TO '{tmp}' (FORMAT JSON)")
        else:
            header = "true" if self.rows == table.num_rows else "false"
            self._con.execute(f"COPY chunk TO '{tmp}' (FORMAT CSV, HEADER {header})")
        self._con.unregister("chunk")
        with open(self.path, "ab") as dst, open(tmp, "rb") as src:
            while block := src.read(1 << 22):
                dst.write(block)
        os.remove(tmp)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._con is not None:
            if self.rows == 0 and self.fmt == "csv":
                self.path.write_text(",".join(self.schema.names) + "\n", encoding="utf-8")
            self._con.close()


def write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
