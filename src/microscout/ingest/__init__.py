"""Ingest: validate records, upsert the good ones, quarantine the rest, record the run.

Every batch is written atomically (records, quarantine rows and the run's checkpoint together),
re-running the same input changes nothing, and no accepted record is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from microscout.ingest.files import DataFile, discover, read_batches
from microscout.ingest.validate import validate_batch
from microscout.store import Store, UpsertCounts, utcnow
from microscout.store.migrations import quote
from microscout.store.schema import TABLES

__all__ = ["IngestResult", "TableCounts", "ingest_files"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, counts: UpsertCounts, quarantined: int) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.quarantined += quarantined

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class IngestResult:
    """What an ingest run did, per table."""

    run_id: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    truths: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tables": {k: {**vars(v), "accepted": v.accepted} for k, v in self.tables.items()},
            "files": self.files,
            "truths": self.truths,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _raw_json(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    clean = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in dict(raw).items()}
    return json.dumps(clean, ensure_ascii=False, default=_json_default)


def ingest_files(
    store: Store,
    paths: list[Path],
    *,
    workspace: str,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest canonical files (or folders of them) into ``store``.

    Parameters
    ----------
    paths
        Files named ``<table>.jsonl|csv|parquet`` or folders holding them.
    workspace
        Workspace that receives private tables (deals, fx_rates, audience_insights).
    now
        The clock (naive UTC); timestamps after it are rejected as future.
    """
    now = now or utcnow()
    batch_size = batch_size or store.settings.ingest_batch_size
    files, truths, skipped = discover([Path(p) for p in paths])
    run_id = uuid.uuid4().hex[:12]
    result = IngestResult(
        run_id, files=[str(f.path) for f in files], truths=[str(p) for p in truths], skipped=[str(p) for p in skipped]
    )
    store.insert_rows(
        "ingest_runs",
        [
            {
                "run_id": run_id,
                "source": "files",
                "workspace_id": workspace,
                "args": json.dumps({"paths": [str(p) for p in paths]}),
                "started_at": utcnow(),
                "status": "running",
                "counts": "{}",
                "checkpoint": "{}",
            }
        ],
    )
    status = "failed"
    try:
        for df in files:
            counts = result.tables.setdefault(df.table, TableCounts())
            _ingest_file(store, df, run_id, workspace, now, batch_size, counts, result, progress)
        for path in truths:
            _load_truth(store, path)
        status = "completed"
    finally:
        store.insert_rows(
            "ingest_runs",
            [
                {
                    "run_id": run_id,
                    "finished_at": utcnow(),
                    "status": status,
                    "counts": json.dumps(result.to_dict()["tables"]),
                }
            ],
        )
    return result


def _ingest_file(
    store: Store,
    df: DataFile,
    run_id: str,
    workspace: str,
    now: dt.datetime,
    batch_size: int,
    counts: TableCounts,
    result: IngestResult,
    progress: Progress | None,
) -> None:
    tdef = TABLES[df.table]
    done = 0
    for batch in read_batches(df, batch_size):
        checked = validate_batch(tdef, batch.frame, now=now, list_sep=batch.list_sep, typed_lists=batch.typed_lists)
        rejects = [
            (batch.positions[i], reason, _raw_json(batch.raws[i])) for i, reason in sorted(checked.rejected.items())
        ] + batch.unreadable
        with store.transaction():
            upserted = store.upsert(df.table, checked.clean, workspace=workspace if tdef.workspace else None)
            if df.table == "creators":
                _snapshot_from_creators(store, checked.clean)
            if rejects:
                store.insert_rows(
                    "quarantine",
                    [
                        {
                            "run_id": run_id,
                            "source": str(df.path),
                            "table_name": df.table,
                            "position": pos,
                            "reason": reason,
                            "raw": raw,
                            "quarantined_at": utcnow(),
                        }
                        for pos, reason, raw in rejects
                    ],
                )
            store.insert_rows(
                "ingest_runs",
                [
                    {
                        "run_id": run_id,
                        "checkpoint": json.dumps({"file": str(df.path), "position": batch.last_position}),
                    }
                ],
            )
        counts.add(upserted, len(rejects))
        done += len(batch.positions) + len(batch.unreadable)
        if progress:
            progress(df.label, done, 0)


def _snapshot_from_creators(store: Store, clean: pd.DataFrame) -> None:
    """A creator record with ``last_seen`` is also an observation of its counts.

    It never overwrites a snapshot the source recorded itself for the same time.
    """
    if "last_seen" not in clean or clean.empty:
        return
    cols = [c for c in ("followers", "following", "posts_count") if c in clean]
    if not cols:
        return
    snap = clean[["platform", "creator_id", "last_seen", *cols]].rename(columns={"last_seen": "observed_at"})
    snap = snap[snap["observed_at"].notna()]
    if not snap.empty:
        store.upsert("creator_snapshots", snap, update=False)


def _load_truth(store: Store, path: Path) -> None:
    """Planted truths of a sample world, stored as-is for the evaluations (never validated)."""
    name = path.name.split(".", 1)[0]
    reader = {".jsonl": "read_json_auto", ".csv": "read_csv_auto", ".parquet": "read_parquet"}[path.suffix]
    with store.transaction():
        store.raw.execute(f"CREATE OR REPLACE TABLE {quote(name)} AS SELECT * FROM {reader}(?)", [str(path)])
