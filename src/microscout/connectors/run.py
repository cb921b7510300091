"""Run a source (or a refresh of many creators) into the store, resumably.

Each page is validated with the canonical validation (:func:`microscout.ingest.validate.validate_batch`),
upserted, its rejects quarantined with the reason and payload, and the run's counts and checkpoint
updated — all in one transaction. A run that stops (Ctrl-C, kill, network loss, budget, rate limit)
is resumed by the next run with the same source and arguments, from the page after the last one
written: nothing is fetched twice into the store and nothing is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from microscout.connectors.base import Page, Records, Request, Source, State
from microscout.connectors.http import (
    BudgetExhaustedError,
    Clock,
    ConnectorError,
    MissingCredentialsError,
    NotFoundOnPlatformError,
    RateLimitError,
    SystemClock,
)
from microscout.ingest import TableCounts, _json_default, _snapshot_from_creators
from microscout.ingest.validate import validate_batch
from microscout.privacy import apply_comment_retention
from microscout.store import Store, utcnow
from microscout.store.schema import INGESTIBLE, TABLES

__all__ = ["Job", "RefreshJob", "RunResult", "SourceJob", "run_job"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
RESUMABLE = ("running", "interrupted", "failed")
CLOCK_SKEW = dt.timedelta(minutes=10)  # platform timestamps may run slightly ahead of the local clock


class Job(Protocol):
    name: str

    def args(self) -> dict[str, Any]: ...

    def pages(self, saved: dict[str, Any] | None) -> Iterator[Page]: ...


@dataclass
class RunResult:
    """What a connector run did, per table, and how it ended."""

    run_id: str
    source: str
    status: str = "running"
    resumed: bool = False
    requests: int = 0
    tables: dict[str, TableCounts] = field(default_factory=dict)
    message: str = ""
    notes: list[str] = field(default_factory=list)
    comments_erased: int = 0

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "table": t,
                "inserted": c.inserted,
                "updated": c.updated,
                "unchanged": c.unchanged,
                "quarantined": c.quarantined,
            }
            for t, c in sorted(self.tables.items(), key=lambda kv: INGESTIBLE.index(kv[0]))
        ]


class SourceJob:
    """One source and one request as a resumable job."""

    def __init__(self, source: Source, request: Request) -> None:
        self.source = source
        self.request = request
        self.name = source.name

    def args(self) -> dict[str, Any]:
        return {"request": self.request.args()}

    def pages(self, saved: dict[str, Any] | None) -> Iterator[Page]:
        return self.source.pages(self.request, State(saved))


class RefreshJob:
    """Re-pull every listed creator with its platform's source; one resumable run for all of them."""

    name = "refresh"

    def __init__(
        self,
        creators: list[tuple[str, str, str | None]],
        sources: dict[str, Source],
        template: Request,
        *,
        notes: list[str] | None = None,
    ) -> None:
        self.creators = sorted(creators)
        self.sources = sources
        self.template = template
        self.notes = notes if notes is not None else []

    def args(self) -> dict[str, Any]:
        return {"platforms": sorted(self.sources), "request": self.template.args()}

    def pages(self, saved: dict[str, Any] | None) -> Iterator[Page]:
        saved = saved or {}
        after = tuple(saved.get("after") or ())
        current = tuple(saved.get("current") or ())
        total = len(self.creators)
        for index, (platform, creator_id, handle) in enumerate(self.creators, start=1):
            if after and (platform, creator_id) <= after:
                continue
            source = self.sources[platform]
            ref = source.refresh_handle(creator_id, handle) if hasattr(source, "refresh_handle") else handle
            request = dataclasses.replace(self.template, handle=ref or creator_id)
            inner = saved.get("inner") if current == (platform, creator_id) else None
            marker = {"after": list(after) or None, "current": [platform, creator_id]}
            try:
                for page in source.pages(request, State(inner)):
                    yield Page(page.records, {**marker, "inner": page.state}, f"refresh {platform}", index - 1, total)
            except (NotFoundOnPlatformError, MissingCredentialsError) as exc:
                self.notes.append(f"skipped {platform}:{handle or creator_id}: {exc.message}")
            after = (platform, creator_id)
            yield Page(Records(), {"after": list(after), "current": None, "inner": None}, "refresh", index, total)


def _find_resumable(store: Store, name: str, args: str, workspace: str) -> tuple[str, dict[str, Any], dict] | None:
    rows = store.raw.execute(
        "SELECT run_id, counts, checkpoint FROM ingest_runs WHERE source = ? AND args = ? AND workspace_id = ? "
        "AND status IN ('running', 'interrupted', 'failed') ORDER BY started_at DESC, run_id LIMIT 1",
        [name, args, workspace],
    ).fetchall()
    if not rows:
        return None
    run_id, counts, checkpoint = rows[0]
    return str(run_id), json.loads(counts or "{}"), json.loads(checkpoint or "{}")


def run_job(
    store: Store,
    job: Job,
    *,
    workspace: str,
    resume: bool = True,
    progress: Progress | None = None,
    clock: Clock | None = None,
    requests: Callable[[], int] | None = None,
) -> RunResult:
    """Run ``job`` into ``store`` page by page; resume the last unfinished run with the same arguments."""
    clock = clock or SystemClock()
    args = json.dumps({"source": job.name, **job.args()}, sort_keys=True, default=str)
    found = _find_resumable(store, job.name, args, workspace) if resume else None
    saved: dict[str, Any] | None = None
    if found:
        run_id, counts, saved = found
        result = RunResult(run_id, job.name, resumed=True)
        result.tables = {
            t: TableCounts(**{k: int(v) for k, v in c.items() if k != "accepted"}) for t, c in counts.items()
        }
        logger.info("resuming %s run %s from its checkpoint", job.name, run_id)
    else:
        result = RunResult(uuid.uuid4().hex[:12], job.name)
        store.insert_rows(
            "ingest_runs",
            [
                {
                    "run_id": result.run_id,
                    "source": job.name,
                    "workspace_id": workspace,
                    "args": args,
                    "started_at": utcnow(),
                    "status": "running",
                    "counts": "{}",
                    "checkpoint": "{}",
                }
            ],
        )
    store.insert_rows("ingest_runs", [{"run_id": result.run_id, "status": "running", "finished_at": None}])
    status = "failed"
    try:
        for page in job.pages(saved or None):
            now = dt.datetime.fromtimestamp(int(clock.time()), dt.UTC).replace(tzinfo=None)
            _write_page(store, page, result, workspace, now)
            if progress:
                progress(page.label or job.name, page.done, page.total)
        status = "completed"
    except (BudgetExhaustedError, RateLimitError, KeyboardInterrupt) as exc:
        status = "interrupted"
        result.message = getattr(exc, "message", "") or "interrupted"
        raise
    except ConnectorError as exc:
        result.message = exc.message
        raise
    finally:
        result.status = status
        result.requests = requests() if requests else 0
        store.insert_rows(
            "ingest_runs",
            [
                {
                    "run_id": result.run_id,
                    "finished_at": utcnow(),
                    "status": status,
                    "counts": json.dumps(_counts_json(result)),
                }
            ],
        )
    days = store.settings.comment_retention_days
    if days:
        result.comments_erased = apply_comment_retention(store, days)
    return result


def _counts_json(result: RunResult) -> dict[str, Any]:
    return {t: {**vars(c), "accepted": c.accepted} for t, c in result.tables.items()}


def _groups(rows: list[tuple[dict[str, Any], str, Any]]) -> Iterator[list[tuple[dict[str, Any], str, Any]]]:
    """Rows with the same set of fields together: a field one record lacks is never written as NULL."""
    by_cols: dict[tuple[str, ...], list[tuple[dict[str, Any], str, Any]]] = {}
    for item in rows:
        by_cols.setdefault(tuple(item[0]), []).append(item)
    yield from by_cols.values()


def _raw_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, default=_json_default)


def _write_page(store: Store, page: Page, result: RunResult, workspace: str, now: dt.datetime) -> None:
    """Validate, upsert and quarantine one page, and move the checkpoint — in one transaction."""
    delta: dict[str, TableCounts] = {}
    quarantine: list[dict[str, Any]] = []
    stamp = utcnow()

    def reject(table: str, position: str, reason: str, raw: Any) -> None:
        delta.setdefault(table, TableCounts()).quarantined += 1
        quarantine.append(
            {
                "run_id": result.run_id,
                "source": result.source,
                "table_name": table,
                "position": f"{position} [{table}]",
                "reason": reason,
                "raw": _raw_text(raw),
                "quarantined_at": stamp,
            }
        )

    with store.transaction():
        for table in INGESTIBLE:
            tdef = TABLES[table]
            for group in _groups(page.records.rows.get(table, [])):
                frame = pd.DataFrame.from_records([row for row, _, _ in group], columns=list(group[0][0]))
                checked = validate_batch(tdef, frame, now=now + CLOCK_SKEW)
                counts = store.upsert(table, checked.clean, workspace=workspace if tdef.workspace else None)
                if table == "creators":
                    _snapshot_from_creators(store, checked.clean)
                delta.setdefault(table, TableCounts()).add(counts, 0)
                for i, reason in sorted(checked.rejected.items()):
                    reject(table, group[i][1], reason, group[i][2])
        for table, position, reason, raw in page.records.rejected:
            reject(table, position, reason, raw)
        if quarantine:
            store.insert_rows("quarantine", quarantine)
        merged = {t: dataclasses.replace(c) for t, c in result.tables.items()}
        for table, c in delta.items():
            target = merged.setdefault(table, TableCounts())
            target.inserted += c.inserted
            target.updated += c.updated
            target.unchanged += c.unchanged
            target.quarantined += c.quarantined
        store.insert_rows(
            "ingest_runs",
            [
                {
                    "run_id": result.run_id,
                    "checkpoint": json.dumps(page.state, sort_keys=True, default=str),
                    "counts": json.dumps({t: {**vars(c), "accepted": c.accepted} for t, c in merged.items()}),
                }
            ],
        )
    result.tables = merged
