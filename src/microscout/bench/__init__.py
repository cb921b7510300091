"""Benchmarks: measured speed and memory of the metrics engine at scale (``make bench``).

``python -m microscout.bench --creators 100000 --posts-per-creator 100`` (or ``microscout bench
metrics --json``) generates a sample world, ingests it, and times in one run:

* ``core_s`` — the core aggregates computed by microscout (an Ibis expression run by DuckDB);
* ``hand_sql_s`` — the same aggregates as one hand-written DuckDB query (``bench/core.sql``: the
  window cut with DuckDB's own top-n aggregate);
* ``window_sql_s`` — the conventional hand-written query, a ``row_number()`` window over every post
  (``bench/core_window.sql``);
* ``pandas_s`` — the same aggregates in straightforward pandas (``bench/pandas_core.py``);
* ``metrics_stage_s`` — the full metrics stage (every metric, posterior and peers, written);
* ``spark_core_s`` — the core aggregates on Spark over a Parquet lake (``--spark``; else null).

Results go to stdout as one JSON object and, from ``make bench``, into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import datetime as dt
import platform
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from microscout.config import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "benchmarks.md"
CORE_SQL = Path(__file__).with_name("core.sql")
WINDOW_SQL = Path(__file__).with_name("core_window.sql")
NOW = dt.datetime(2026, 11, 1)
# DuckDB's memory limit during the benchmark: bigger work spills to disk (Settings.memory_limit)
MEMORY_LIMIT = "1GB"
# the pandas baseline holds every post (5.5 GB peak at 10 M posts); above this it is not run
PANDAS_MAX_POSTS = 20_000_000
PANDAS_BYTES_PER_POST = 550
# the most the conventional window query may spill before it is given up (it spilled ~60 GB at 50 M posts)
WINDOW_SPILL_LIMIT = "20GB"
BULK_TABLES = ("creators", "creator_snapshots", "posts", "comments")


def _bulk_load(store: Any, world: Path, *, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Load a generated world's Parquet into the tables the metrics stage reads (no validation:
    the sample world is valid by construction); the number of rows loaded.

    One Parquet row group (5,000 creators) per INSERT, with a checkpoint every few: one INSERT of
    fifty million posts builds the whole primary-key index in memory and failed at a 1 GB limit."""
    import pyarrow.parquet as pq

    from microscout.store import quote
    from microscout.store.schema import table_def

    total = 0
    store.raw.execute("SET preserve_insertion_order = false")
    for name in BULK_TABLES:
        source = pq.ParquetFile(world / f"{name}.parquet")
        columns = [c for c in source.schema_arrow.names if c in table_def(name).columns]
        cols = ", ".join(quote(c) for c in columns)
        groups = source.metadata.num_row_groups
        for i in range(groups):
            store.raw.register("_bulk_batch", source.read_row_group(i, columns=columns))
            try:
                with store.transaction():
                    store.raw.execute(f"INSERT INTO {quote(name)} ({cols}) SELECT {cols} FROM _bulk_batch")
            finally:
                store.raw.unregister("_bulk_batch")
            if i % 8 == 7 or i == groups - 1:
                store.raw.execute("CHECKPOINT")
            if progress:
                progress(f"load {name}", i + 1, groups)
        total += int(store.raw.execute(f"SELECT count(*) FROM {quote(name)}").fetchall()[0][0])
    store.raw.execute("RESET preserve_insertion_order")
    return total


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory now (Linux /proc; elsewhere the process's high-water mark)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return peak_rss_mb()


class RssMonitor:
    """Samples resident memory in a thread; ``peak(stage)`` is the most seen while it ran."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peaks: dict[str, float] = {}
        self._stage: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            stage = self._stage
            if stage is not None:
                self.peaks[stage] = max(self.peaks.get(stage, 0.0), current_rss_mb())

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.peaks[name] = current_rss_mb()
        self._stage = name
        try:
            yield
        finally:
            self._stage = None
            self.peaks[name] = max(self.peaks[name], current_rss_mb())

    def __enter__(self) -> RssMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def bench_metrics(
    *,
    creators: int,
    posts_per_creator: int,
    seed: int = 42,
    spark: bool = False,
    bulk_load: bool = False,
    memory_limit: str = MEMORY_LIMIT,
    workdir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Generate and ingest a world, then time the core aggregates three ways and the full stage.

    ``bulk_load``: load the generated Parquet straight into the tables the metrics stage reads
    (creators, snapshots, posts, comments) instead of through the validating ingest — for the
    million-creator run, where ingest (measured at 100 k) would take most of an hour. The pandas
    baseline is skipped above :data:`PANDAS_MAX_POSTS` posts: it holds every post in memory."""
    import duckdb

    from microscout.bench.pandas_core import core_pandas
    from microscout.ingest import ingest_files
    from microscout.metrics import core_expr, profile_creators
    from microscout.sample import generate_world
    from microscout.store import connect

    result: dict[str, Any] = {"benchmark": "metrics", "creators": creators, "posts_per_creator": posts_per_creator}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="microscout-bench-") as tmp, RssMonitor() as rss:
        root = Path(tmp)
        settings = Settings(db=str(root / "bench.duckdb"), memory_limit=memory_limit)
        with rss.stage("generate"):
            result["generate_s"], _ = _timed(
                lambda: generate_world(
                    root / "world", creators=creators, posts_per_creator=posts_per_creator, seed=seed, progress=progress
                )
            )
        with connect(settings.db, settings=settings) as store:
            with rss.stage("ingest"):
                if bulk_load:
                    result["ingest_s"], result["records_ingested"] = _timed(
                        lambda: _bulk_load(store, root / "world", progress=progress)
                    )
                else:
                    result["ingest_s"], ingested = _timed(
                        lambda: ingest_files(store, [root / "world"], workspace=settings.workspace, progress=progress)
                    )
                    result["records_ingested"] = sum(c.accepted + c.quarantined for c in ingested.tables.values())
            result["load"] = "bulk" if bulk_load else "ingest"
            result["posts"] = store.count("posts")
            raw = store.raw
            core_sql = str(store.con.compile(core_expr(store, now=NOW)))
            now_s = str(int(NOW.replace(tzinfo=dt.UTC).timestamp()))
            hand_sql = CORE_SQL.read_text().replace("$now_s", now_s)
            window_sql = WINDOW_SQL.read_text().replace("$now_s", now_s)

            def materialise(sql: str) -> tuple[int, int]:
                """(creators, posts in their windows) of the query's answer."""
                raw.execute(f"CREATE OR REPLACE TEMP TABLE _bench AS {sql}")
                rows = raw.execute("SELECT count(*), sum(posts_in_window) FROM _bench").fetchall()[0]
                return int(rows[0]), int(rows[1] or 0)

            with rss.stage("metrics"):
                materialise(core_sql)  # warm the file cache once for all
                result["core_s"], core_rows = _timed(lambda: materialise(core_sql))
                result["hand_sql_s"], hand_rows = _timed(lambda: materialise(hand_sql))
                # the stage before the window query: that query may spill tens of GB and fail
                result["metrics_stage_s"], _ = _timed(lambda: profile_creators(store, now=NOW, full=True))
                window_rows = core_rows
                try:  # a window over every post may spill more than the disk holds: bounded
                    raw.execute(f"SET max_temp_directory_size = '{WINDOW_SPILL_LIMIT}'")
                    result["window_sql_s"], window_rows = _timed(lambda: materialise(window_sql))
                except duckdb.Error as exc:
                    result["window_sql_s"] = None
                    result["window_sql_failed"] = f"{type(exc).__name__}: {str(exc).splitlines()[0].rstrip('.')}"
                finally:
                    raw.execute("RESET max_temp_directory_size")
                if not core_rows == hand_rows == window_rows:
                    raise RuntimeError(
                        f"core aggregates disagree (creators, window posts): {core_rows} by microscout, "
                        f"{hand_rows} by hand, {window_rows} by the window query"
                    )

            def run_pandas() -> int:
                posts = raw.execute(
                    "SELECT platform, creator_id, post_id, published_at, kind, likes, comments, views FROM posts"
                ).df()
                people = raw.execute("SELECT platform, creator_id, followers FROM creators").df()
                return len(core_pandas(posts, people, now=NOW))

            if result["posts"] <= PANDAS_MAX_POSTS:
                with rss.stage("pandas"):  # last: its memory is the baseline's, not microscout's
                    result["pandas_s"], _ = _timed(run_pandas)
            else:
                result["pandas_s"] = None
                result["pandas_skipped"] = (
                    f"{result['posts']:,} posts: the pandas baseline needs about "
                    f"{result['posts'] * PANDAS_BYTES_PER_POST / 2**30:.0f} GiB (0.55 GB per million posts at 10 M)"
                )
            result["spark_core_s"] = _spark_core(store, root) if spark else None
    result["peak_rss_mb"] = round(max(rss.peaks[k] for k in ("ingest", "metrics")))
    result["peak_rss_by_stage_mb"] = {k: round(v) for k, v in rss.peaks.items()}
    result["memory_limit"] = memory_limit
    result["core_vs_sql"] = round(result["core_s"] / result["hand_sql_s"], 3)
    result["speedup_vs_pandas"] = (
        None if result["pandas_s"] is None else round(result["pandas_s"] / result["core_s"], 1)
    )
    for key in ("generate_s", "ingest_s", "core_s", "hand_sql_s", "window_sql_s", "pandas_s", "metrics_stage_s"):
        result[key] = None if result[key] is None else round(result[key], 3)
    result["machine"] = f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}"
    return result


def _spark_core(store: Any, root: Path) -> float:
    from microscout.metrics import core_expr
    from microscout.store.lake import Lake, export_to_lake

    export_to_lake(store, root / "lake", tables=["creators", "posts"])
    settings = store.settings.model_copy(update={"engine": "spark"})
    with Lake(root / "lake", settings=settings, engine="spark") as lake:
        expr = core_expr(lake, now=NOW)
        expr.count().execute()  # start the JVM and warm up
        seconds, _ = _timed(lambda: expr.to_pyarrow())
    return round(seconds, 3)


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def write_doc(result: dict[str, Any], command: str, path: Path = DOC) -> None:
    spark = "not run" if result["spark_core_s"] is None else f"{result['spark_core_s']:.2f}"
    full = path.name != DOC.name
    lines = [
        "# Benchmarks at a million creators" if full else "# Benchmarks",
        "",
        (
            "Rewritten by `make bench-full` from one run on the machine named (about 16 minutes, most of it "
            "generating and loading the world); the everyday figures are in [benchmarks.md](benchmarks.md)."
            if full
            else "Rewritten by `make bench` from one run on the machine named; re-run to re-measure. "
            "A million creators × 50 posts (`make bench-full`): [benchmarks-full.md](benchmarks-full.md). "
            "Text processing (language ID, brand safety, sentiment, embeddings): "
            "[benchmarks-text.md](benchmarks-text.md); "
            "planning (HiGHS vs greedy): [benchmarks-plan.md](benchmarks-plan.md); "
            "brief → shortlist at a million creators: [benchmarks-search.md](benchmarks-search.md); "
            "the server under load: [benchmarks-api.md](benchmarks-api.md)."
        ),
        "",
        f"Command: `{command}`  ",
        f"Machine: {result['machine']}",
        "",
        f"## Metrics engine: {result['creators']:,} creators, {result['posts']:,} posts",
        "",
        "| what | seconds |",
        "| --- | ---: |",
        f"| core aggregates, microscout (Ibis → DuckDB) | {result['core_s']:.2f} |",
        f"| core aggregates, hand-written DuckDB SQL, window cut by DuckDB's top-n aggregate (`bench/core.sql`) "
        f"| {result['hand_sql_s']:.2f} |",
        "| core aggregates, hand-written DuckDB SQL, `row_number()` window over every post "
        "(`bench/core_window.sql`) | "
        + (
            f"{result['window_sql_s']:.2f}"
            if result["window_sql_s"] is not None
            else f"did not finish ({result.get('window_sql_failed', '')}; spill limit {WINDOW_SPILL_LIMIT})"
        )
        + " |",
        "| core aggregates, straightforward pandas (`bench/pandas_core.py`) | "
        + ("not run" if result["pandas_s"] is None else f"{result['pandas_s']:.2f}")
        + " |",
        f"| core aggregates, Ibis → Spark local (`--spark`) | {spark} |",
        f"| full metrics stage (all metrics, posterior, peers; written) | {result['metrics_stage_s']:.2f} |",
        "",
        f"- Full metrics stage: {result['metrics_stage_s']:.1f} s"
        + (" (target < 60 s at 1 M creators / 50 M posts)." if full else "."),
        f"- `core_vs_sql` = {result['core_vs_sql']} (target ≤ 1.3); "
        f"`speedup_vs_pandas` = {result['speedup_vs_pandas'] or 'not measured'} (target ≥ 10)"
        + (f"; pandas not run — {result['pandas_skipped']}." if result.get("pandas_skipped") else "."),
        f"- Peak resident memory of microscout (ingest and metrics stages, DuckDB memory_limit "
        f"{result['memory_limit']}): {result['peak_rss_mb']:,} MB (target < 2 GiB at 10 M posts"
        + (", measured in [benchmarks.md](benchmarks.md)" if full else "")
        + "); by stage: "
        + ", ".join(f"{k} {v:,} MB" for k, v in result["peak_rss_by_stage_mb"].items())
        + " (the pandas baseline runs last and holds every post in memory).",
        "",
        "## Getting the data in",
        "",
        "| stage | seconds |",
        "| --- | ---: |",
        f"| generate the sample world (Parquet, 5,000-creator chunks) | {result['generate_s']:.1f} |",
        (
            f"| load {result['records_ingested']:,} rows of creators, snapshots, posts and comments straight from the "
            f"Parquet (`--bulk-load`; the validating ingest is measured in [benchmarks.md](benchmarks.md)) | "
            f"{result['ingest_s']:.1f} |"
            if result.get("load") == "bulk"
            else f"| ingest {result['records_ingested']:,} records (validate, upsert, quarantine) | "
            f"{result['ingest_s']:.1f} |"
        ),
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--posts-per-creator", type=int, default=100)
    parser.add_argument("--spark", action="store_true", help="also time the core aggregates on Spark")
    parser.add_argument("--bulk-load", action="store_true", help="load the world's Parquet without validating")
    parser.add_argument(
        "--memory-limit",
        default=MEMORY_LIMIT,
        help="DuckDB's memory limit (default 1GB; the posts key index of 50 M posts alone needs more)",
    )
    parser.add_argument("--doc", type=Path, default=DOC, help="the page to rewrite (default docs/benchmarks.md)")
    parser.add_argument("--no-doc", action="store_true", help="print JSON only, leave docs/ alone")
    args = parser.parse_args(argv)
    result = bench_metrics(
        creators=args.creators,
        posts_per_creator=args.posts_per_creator,
        spark=args.spark,
        bulk_load=args.bulk_load,
        memory_limit=args.memory_limit,
    )
    sys.stdout.write(json.dumps(result) + "\n")
    if not args.no_doc:
        flags = (" --spark" if args.spark else "") + (" --bulk-load" if args.bulk_load else "")
        if args.memory_limit != MEMORY_LIMIT:
            flags += f" --memory-limit {args.memory_limit}"
        if args.doc != DOC:
            flags += f" --doc {args.doc}"
        write_doc(
            result,
            f"python -m microscout.bench --creators {args.creators} "
            f"--posts-per-creator {args.posts_per_creator}{flags}",
            args.doc,
        )
    return 0
