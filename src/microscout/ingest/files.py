"""Readers for the canonical interchange folder: ``<table>.jsonl``, ``.csv`` or ``.parquet``.

Each reader yields batches of records with their positions (file and line or row), so that a
rejected record can be quarantined with exactly where it came from and its raw payload.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from microscout.errors import InvalidInputError
from microscout.store.schema import INGESTIBLE

FORMATS = (".jsonl", ".csv", ".parquet")
TRUTH_PREFIX = "truth_"


@dataclass
class Batch:
    """Records read from one file: a frame of the readable ones, and the unreadable ones."""

    frame: pd.DataFrame
    positions: Sequence[str]
    raws: Sequence[Any] | _LazyRows
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # position, reason, raw
    list_sep: str | None = None
    last_position: str = ""
    typed_lists: bool = False  # list columns already typed list<string> (Parquet)


@dataclass(frozen=True)
class DataFile:
    path: Path
    table: str

    @property
    def label(self) -> str:
        return self.path.name


def discover(paths: list[Path]) -> tuple[list[DataFile], list[Path], list[Path]]:
    """Find canonical table files under ``paths``: (data files in load order, planted-truth
    files, skipped files). A path named explicitly that is not a canonical file is an error."""
    found: list[DataFile] = []
    truths: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InvalidInputError(f"{path}: no such file or folder")
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for p in candidates:
            table = p.name.split(".", 1)[0]
            if p.suffix not in FORMATS:
                if not path.is_dir():
                    raise InvalidInputError(
                        f"{p}: unsupported file type {p.suffix or '(none)'}; use .jsonl, .csv or .parquet"
                    )
                skipped.append(p)
            elif table.startswith(TRUTH_PREFIX):
                truths.append(p)
            elif table in INGESTIBLE:
                found.append(DataFile(p, table))
            elif path.is_dir():
                skipped.append(p)
            else:
                raise InvalidInputError(
                    f"{p}: {table!r} is not a canonical table; name files after one of {', '.join(INGESTIBLE)}"
                )
    found.sort(key=lambda f: (INGESTIBLE.index(f.table), f.path.name))
    return found, truths, skipped


def read_batches(df: DataFile, batch_size: int, *, start: int = 0) -> Iterator[Batch]:
    suffix = df.path.suffix
    if suffix == ".jsonl":
        yield from _read_jsonl(df.path, batch_size)
    elif suffix == ".csv":
        yield from _read_csv(df.path, batch_size)
    else:
        yield from _read_parquet(df.path, batch_size)


def _read_jsonl(path: Path, batch_size: int) -> Iterator[Batch]:
    records: list[dict[str, Any]] = []
    positions: list[str] = []
    unreadable: list[tuple[str, str, str]] = []
    lineno = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            pos = f"{path.name}:line {lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                unreadable.append((pos, f"invalid JSON: {exc.msg} at column {exc.colno}", line.rstrip("\n")))
                continue
            if not isinstance(record, dict):
                unreadable.append((pos, "record is not a JSON object", line.rstrip("\n")))
                continue
            records.append(record)
            positions.append(pos)
            if len(records) >= batch_size:
                yield Batch(pd.DataFrame.from_records(records), positions, records, unreadable, last_position=pos)
                records, positions, unreadable = [], [], []
    if records or unreadable:
        yield Batch(
            pd.DataFrame.from_records(records),
            positions,
            records,
            unreadable,
            last_position=f"{path.name}:line {lineno}",
        )


def _read_csv(path: Path, batch_size: int) -> Iterator[Batch]:
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        records: list[dict[str, Any]] = []
        positions: list[str] = []
        unreadable: list[tuple[str, str, str]] = []
        for row in reader:
            pos = f"{path.name}:row {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                unreadable.append(
                    (
                        pos,
                        f"row has {len(row)} fields, the header has {len(header)}",
                        json.dumps(row, ensure_ascii=False),
                    )
                )
                continue
            records.append({h: (v if v != "" else None) for h, v in zip(header, row, strict=True)})
            positions.append(pos)
            if len(records) >= batch_size:
                yield Batch(
                    pd.DataFrame.from_records(records, columns=header),
                    positions,
                    records,
                    unreadable,
                    list_sep="|",
                    last_position=pos,
                )
                records, positions, unreadable = [], [], []
        if records or unreadable:
            yield Batch(
                pd.DataFrame.from_records(records, columns=header),
                positions,
                records,
                unreadable,
                list_sep="|",
                last_position=f"{path.name}:row {reader.line_num}",
            )


def _read_parquet(path: Path, batch_size: int) -> Iterator[Batch]:
    pf = pq.ParquetFile(path)
    offset = 0
    for rb in pf.iter_batches(batch_size=batch_size):
        frame = rb.to_pandas()
        n = len(frame)
        # positions and raw payloads are produced only for rejected rows
        positions = _Positions(path.name, offset, n)
        offset += n
        lists_ok = all(
            pa.types.is_string(f.type.value_type) or pa.types.is_large_string(f.type.value_type)
            for f in rb.schema
            if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
        )
        yield Batch(
            frame, positions, _LazyRows(frame), last_position=positions[n - 1] if n else "", typed_lists=lists_ok
        )


class _Positions(Sequence[str]):
    """``file:row N`` labels of a batch, made on demand."""

    def __init__(self, name: str, offset: int, n: int) -> None:
        self.name, self.offset, self.n = name, offset, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return f"{self.name}:row {self.offset + (i % self.n) + 1}"


class _LazyRows:
    """Raw records of a typed batch, materialised one by one for the rejected rows only."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __getitem__(self, i: int) -> dict[str, Any]:
        row: dict[str, Any] = self.frame.iloc[i].to_dict()
        return row
