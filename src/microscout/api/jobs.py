"""Long jobs on in-process worker threads, with their progress in the workspace's ``jobs`` table.

An ingest job takes one uploaded file in the canonical format (``<table>.jsonl|csv|parquet``,
checked by name and by content), runs :func:`microscout.ingest.ingest_files` on a worker thread
with its own cursor, records progress as it goes, optionally profiles the creators afterwards
(metrics and authenticity stages) and finally rebuilds the server's creator index.
"""

from __future__ import annotations

import codecs
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from starlette.exceptions import HTTPException

from microscout.errors import InvalidInputError, MicroscoutError
from microscout.store.schema import INGESTIBLE
from microscout.workspace import create_job, update_job

if TYPE_CHECKING:
    from microscout.api.state import AppState

logger = logging.getLogger(__name__)

EXTENSIONS = ("jsonl", "csv", "parquet")
CONTENT_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "text/csv",
        "application/csv",
        "text/plain",
        "application/json",
        "application/jsonl",
        "application/x-ndjson",
        "application/x-jsonlines",
        "application/jsonlines",
        "application/vnd.apache.parquet",
        "application/x-parquet",
    }
)
_CHUNK = 1 << 20
_SNIFF = 64 * 1024


def _unsupported(message: str) -> HTTPException:
    return HTTPException(415, message)


def check_upload_name(filename: str | None, content_type: str | None) -> tuple[str, str]:
    """(table, extension) of an upload named ``<table>.<jsonl|csv|parquet>``; 415 otherwise."""
    name = Path(filename or "").name
    table, _, ext = name.partition(".")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if ext not in EXTENSIONS:
        raise _unsupported(f"unsupported file {name!r}: upload <table>.jsonl, <table>.csv or <table>.parquet")
    if media not in CONTENT_TYPES:
        raise _unsupported(f"unsupported content type {media!r} for {name!r}")
    if table not in INGESTIBLE:
        raise InvalidInputError(f"{name!r}: {table!r} is not a canonical table; use one of {', '.join(INGESTIBLE)}")
    return table, ext


def save_upload(source: BinaryIO, folder: Path, table: str, ext: str, *, limit: int) -> Path:
    """Copy an upload into ``folder`` (at most ``limit`` bytes: 413) and check its content (415)."""
    path = folder / f"{table}.{ext}"
    size = 0
    with open(path, "wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"the file is larger than {limit:,} bytes")
            out.write(chunk)
    if size == 0:
        raise InvalidInputError(f"{path.name} is empty")
    _sniff(path, ext)
    return path


def _sniff(path: Path, ext: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF)
        if ext == "parquet":
            fh.seek(-4, 2)
            tail = fh.read(4)
            if not (head.startswith(b"PAR1") and tail == b"PAR1"):
                raise _unsupported(f"{path.name} is not a Parquet file")
            return
    if b"\x00" in head:
        raise _unsupported(f"{path.name} is not a text file")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise _unsupported(f"{path.name} is not UTF-8 text") from exc
    if ext == "jsonl" and not text.lstrip().startswith("{"):
        raise _unsupported(f"{path.name} is not JSON Lines (one JSON object per line)")


def count_records(path: Path) -> int:
    """Records in a canonical file (for progress): Parquet rows, else lines (less a CSV header)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            lines += chunk.count(b"\n")
    return max(1, lines - (1 if path.suffix == ".csv" else 0))


class JobRunner:
    """Runs jobs one after another on a worker thread (DuckDB writes best from one writer)."""

    def __init__(self, state: AppState, *, workers: int = 1) -> None:
        self.state = state
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="microscout-job")
        self._stopped = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` on the job thread (after the jobs already queued)."""
        if self._stopped:  # the app was shut down and started again (tests do that)
            self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="microscout-job")
            self._stopped = False
        self._pool.submit(fn, *args)

    def submit_ingest(self, workspace: str, folder: Path, path: Path, *, profile: bool) -> dict[str, Any]:
        with self.state.pool.acquire() as store:
            job = create_job(store, workspace, kind="ingest")
        self.submit(self._run_ingest, workspace, job["job_id"], folder, path, profile)
        return job

    def _run_ingest(self, workspace: str, job_id: str, folder: Path, path: Path, profile: bool) -> None:
        from microscout.ingest import ingest_files

        try:
            with self.state.pool.acquire() as store:
                update_job(store, workspace, job_id, status="running", progress=0.0)
                total = count_records(path)
                share = 0.8 if profile else 1.0
                last = [0.0]

                def progress(_label: str, done: int, _total: int) -> None:
                    now = time.monotonic()
                    if now - last[0] >= 0.5:
                        last[0] = now
                        update_job(store, workspace, job_id, progress=share * min(1.0, done / total))

                try:
                    result = ingest_files(store, [path], workspace=workspace, progress=progress)
                    summary = result.to_dict()
                    summary["files"] = [Path(f).name for f in summary["files"]]
                    summary.pop("truths", None)
                    summary.pop("skipped", None)
                    if profile:
                        update_job(store, workspace, job_id, progress=share)
                        summary["profile"] = _profile(store)
                    # searches see the new data by the time the job says it is done
                    self.state.refresh_index()
                    update_job(
                        store, workspace, job_id, status="completed", progress=1.0, result=summary, finished=True
                    )
                except MicroscoutError as exc:
                    update_job(store, workspace, job_id, status="failed", error=exc.message, finished=True)
                    self.state.refresh_index()  # batches written before the failure stay
                except Exception:
                    logger.exception("ingest job %s failed", job_id)
                    update_job(
                        store,
                        workspace,
                        job_id,
                        status="failed",
                        error="internal error: the server log has the details",
                        finished=True,
                    )
                    self.state.refresh_index()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def shutdown(self) -> None:
        self._stopped = True
        self._pool.shutdown(wait=True, cancel_futures=True)


def _profile(store: Any) -> dict[str, Any]:
    from microscout.authenticity.stage import run_authenticity
    from microscout.metrics import profile_creators

    metrics = profile_creators(store)
    out: dict[str, Any] = {"creators": metrics.creators, "recomputed": metrics.recomputed}
    try:
        out["aqs_creators"] = run_authenticity(store).creators
    except MicroscoutError as exc:  # the metrics are kept; the AQS waits for a working model
        out["authenticity"] = f"skipped: {exc.message}"
    return out


def new_upload_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="microscout-upload-"))
