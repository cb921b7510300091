"""Benchmarks: measured speed and memory of the pipeline at scale (``make bench``).

``python -m microscout.bench --scale 100000`` generates a sample world of that many creators,
ingests it, profiles it and runs the demo brief's search, timing each stage, and rewrites
``docs/benchmarks.md``. ``microscout bench metrics --json`` prints the same figures as one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from microscout.brief import Brief
from microscout.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_metrics(
    *,
    creators: int,
    posts_per_creator: int,
    brief: Brief,
    seed: int = 42,
    workdir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Time generate → ingest → profile → search on a fresh world; return the figures."""
    from microscout.ingest import ingest_files
    from microscout.matching import search
    from microscout.metrics import profile_creators
    from microscout.sample import generate_world
    from microscout.store import connect

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp)
        settings = Settings(db=str(root / "bench.duckdb"))
        seconds: dict[str, float] = {}
        t = time.perf_counter()
        world = generate_world(
            root / "world", creators=creators, posts_per_creator=posts_per_creator, seed=seed, progress=progress
        )
        seconds["generate"] = time.perf_counter() - t
        with connect(settings.db, settings=settings) as store:
            t = time.perf_counter()
            ingested = ingest_files(store, [root / "world"], workspace=settings.workspace, progress=progress)
            seconds["ingest"] = time.perf_counter() - t
            t = time.perf_counter()
            profile_creators(store)
            seconds["profile"] = time.perf_counter() - t
            t = time.perf_counter()
            found = search(store, brief, workspace=settings.workspace, limit=50, save=False)
            seconds["search"] = time.perf_counter() - t
            rows = {name: store.count(name) for name in ("creators", "posts", "comments", "audience_accounts")}
            store.raw.execute("CHECKPOINT")
            db_mib = round((root / "bench.duckdb").stat().st_size / 2**20)
    records = sum(c.accepted + c.quarantined for c in ingested.tables.values())
    return {
        "benchmark": "metrics",
        "creators": creators,
        "posts_per_creator": posts_per_creator,
        "rows": rows,
        "records_ingested": records,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "ingest_records_per_second": round(records / seconds["ingest"]),
        "candidates": found.candidates,
        "peak_rss_mib": round(_peak_rss_mib()),
        "world_files": len(world.get("files", [])),
        "store_mib": db_mib,
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
    }


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def write_doc(result: dict[str, Any], command: str, path: Path = DOC) -> None:
    s = result["seconds"]
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (rewritten on every run; figures are from one run on the machine named).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {result['machine']}",
        "",
        f"## Pipeline at {result['creators']:,} creators × {result['posts_per_creator']} posts",
        "",
        "| stage | seconds |",
        "| --- | ---: |",
        f"| generate the sample world (Parquet) | {s['generate']:.1f} |",
        f"| ingest {result['records_ingested']:,} records (validate, upsert, quarantine) | {s['ingest']:.1f} |",
        f"| profile every creator (tier, ER windows; Ibis on DuckDB) | {s['profile']:.1f} |",
        f"| search the demo brief ({result['candidates']:,} candidates) | {s['search']:.1f} |",
        "",
        f"Ingest throughput: {result['ingest_records_per_second']:,} records/s. "
        f"Peak resident memory of the whole run: {result['peak_rss_mib']:,} MiB. "
        f"Store size: {result['store_mib']:,} MiB.",
        "",
        "Rows in the store: " + ", ".join(f"{k} {v:,}" for k, v in result["rows"].items()) + ".",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    from microscout.brief import load_brief

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000, help="creators in the benchmark world")
    parser.add_argument("--posts-per-creator", type=int, default=100)
    parser.add_argument("--brief", type=Path, default=Path("examples/brief.yaml"))
    parser.add_argument("--no-doc", action="store_true", help="print JSON only, do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    result = bench_metrics(creators=args.scale, posts_per_creator=args.posts_per_creator, brief=load_brief(args.brief))
    sys.stdout.write(json.dumps(result) + "\n")
    if not args.no_doc:
        write_doc(
            result, f"python -m microscout.bench --scale {args.scale} --posts-per-creator {args.posts_per_creator}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
