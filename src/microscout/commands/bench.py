"""``microscout bench …``: measured speed and memory, one JSON object per run."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from microscout.cli import app, console, handle_errors, progress_bar

bench_app = typer.Typer(
    help="Benchmarks: time microscout at scale (make bench writes docs/benchmarks.md).", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@bench_app.command("metrics")
@handle_errors
def bench_metrics_cmd(
    creators: Annotated[int, typer.Option("--creators", help="Creators in the benchmark world.")] = 100_000,
    posts_per_creator: Annotated[int, typer.Option("--posts-per-creator", help="Posts per creator.")] = 100,
    spark: Annotated[bool, typer.Option("--spark", help="Also time the core aggregates on Spark.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Time the core aggregates (microscout vs hand SQL vs a window query vs pandas) and the full metrics stage."""
    from microscout.bench import bench_metrics

    with progress_bar() as update:
        result = bench_metrics(creators=creators, posts_per_creator=posts_per_creator, spark=spark, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    keys = (
        "generate_s",
        "ingest_s",
        "core_s",
        "hand_sql_s",
        "window_sql_s",
        "pandas_s",
        "metrics_stage_s",
        "spark_core_s",
    )
    for key in keys:
        value = result[key]
        console.print(f"{key:>16}: {'—' if value is None else f'{value:8.2f} s'}")
    console.print(
        f"core_vs_sql {result['core_vs_sql']}, speedup_vs_pandas {result['speedup_vs_pandas']}, "
        f"peak RSS {result['peak_rss_mb']:,} MB"
    )


@bench_app.command("text")
@handle_errors
def bench_text_cmd(
    texts: Annotated[int, typer.Option("--texts", help="Captions and comments to time.")] = 200_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Time language ID, brand safety, sentiment and creator embeddings on sample-world texts."""
    from microscout.bench.text import bench_text

    with progress_bar() as update:
        result = bench_text(texts=texts, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key in ("texts", "language_per_s", "safety_per_s", "sentiment_per_s", "creators_embedded_per_s"):
        value = result[key]
        console.print(f"{key:>24}: {'—' if value is None else f'{value:,}'}")


@bench_app.command("api")
@handle_errors
def bench_api_cmd(
    creators: Annotated[int, typer.Option("--creators", help="Profiled creators the server holds.")] = 100_000,
    seconds: Annotated[float, typer.Option("--seconds", help="How long the load runs.")] = 60.0,
    connections: Annotated[int, typer.Option("--connections", help="Concurrent connections.")] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load the creator-search endpoint of a served sample world (one pinned load-generator core)."""
    from microscout.bench.api import bench_api

    with progress_bar() as update:
        result = bench_api(creators=creators, seconds=seconds, connections=connections, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key in ("requests", "errors", "rps", "p50_ms", "p99_ms"):
        console.print(f"{key:>10}: {result[key]}")


@bench_app.command("search")
@handle_errors
def bench_search_cmd(
    creators: Annotated[int, typer.Option("--creators", help="Profiled creators in the benchmark world.")] = 1_000_000,
    queries: Annotated[int, typer.Option("--queries", help="Different briefs to search (top 50 each).")] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Time brief → top 50 over a world of profiled creators (the server's index; a sample through the engine)."""
    from microscout.bench.search import bench_search

    with progress_bar() as update:
        result = bench_search(creators=creators, queries=queries, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key in ("creators", "queries", "p50_ms", "p95_ms", "max_ms", "engine_p50_ms", "index_build_s"):
        console.print(f"{key:>14}: {result[key]}")
