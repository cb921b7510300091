"""Versioned reference tables shipped with the package, each overridable by the user.

A table is one file in ``microscout/reference/data/`` (CSV or JSON). A file of the same name in
the user's reference folder (``MICROSCOUT_REFERENCE_DIR``) replaces the shipped one entirely.
``manifest.json`` lists every table with its version, description and required columns.

>>> from microscout.reference import load_table
>>> bench = load_table("benchmarks")          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from microscout.errors import ReferenceDataError

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class ReferenceTable:
    """One loaded reference table: rows (CSV) or a document (JSON), and where it came from."""

    name: str
    version: str
    path: Path
    overridden: bool
    rows: list[dict[str, Any]]
    document: Any = None


@lru_cache(maxsize=1)
def manifest() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "manifest.json", encoding="utf-8") as fh:
        doc: dict[str, dict[str, Any]] = json.load(fh)["tables"]
    return doc


def _find(name: str, reference_dir: Path | None) -> tuple[Path, bool]:
    meta = manifest().get(name)
    if meta is None:
        raise ReferenceDataError(f"unknown reference table {name!r}; known: {', '.join(sorted(manifest()))}")
    filename = meta["file"]
    if reference_dir is not None:
        candidate = Path(reference_dir) / filename
        if candidate.exists():
            return candidate, True
    return DATA_DIR / filename, False


def _convert(value: str) -> Any:
    if value == "":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def _read_csv(path: Path, required: list[str]) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(row for row in fh if not row.startswith("#"))
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ReferenceDataError(f"{path}: missing column(s) {', '.join(missing)}; required: {', '.join(required)}")
        rows = []
        for i, row in enumerate(reader, start=2):
            if None in row:
                raise ReferenceDataError(f"{path}: row {i} has more fields than the header")
            # A short row leaves its trailing fields as None: read them as empty (missing).
            rows.append({k: _convert((v or "").strip()) for k, v in row.items()})
    return rows


def load_table(name: str, *, reference_dir: Path | None = None) -> ReferenceTable:
    """Load reference table ``name``, preferring ``reference_dir/<file>`` when it exists.

    Raises :class:`ReferenceDataError` naming the file and the problem when the table is
    unknown or malformed.
    """
    return _load_cached(name, str(reference_dir) if reference_dir else None, _mtime(name, reference_dir))


def _mtime(name: str, reference_dir: Path | None) -> float:
    path, _ = _find(name, reference_dir)
    return path.stat().st_mtime if path.exists() else 0.0


@lru_cache(maxsize=64)
def _load_cached(name: str, reference_dir: str | None, _mtime: float) -> ReferenceTable:
    meta = manifest().get(name, {})
    path, overridden = _find(name, Path(reference_dir) if reference_dir else None)
    if not path.exists():
        raise ReferenceDataError(f"reference table {name!r} not found at {path}")
    required = list(meta.get("required", []))
    if path.suffix == ".csv":
        rows = _read_csv(path, required)
        return ReferenceTable(name, str(meta.get("version", "")), path, overridden, rows)
    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path}: not valid JSON ({exc})") from exc
    rows = document if isinstance(document, list) else document.get("rows", [])
    for i, row in enumerate(rows):
        missing = [c for c in required if c not in row]
        if missing:
            raise ReferenceDataError(f"{path}: entry {i} is missing {', '.join(missing)}")
    return ReferenceTable(name, str(meta.get("version", "")), path, overridden, rows, document)


def list_tables() -> list[dict[str, Any]]:
    """Every reference table with its file, version and description."""
    return [{"name": k, **v} for k, v in sorted(manifest().items())]
