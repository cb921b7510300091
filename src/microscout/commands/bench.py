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
    """Time the core aggregates (microscout vs hand SQL vs pandas) and the full metrics stage."""
    from microscout.bench import bench_metrics

    with progress_bar() as update:
        result = bench_metrics(creators=creators, posts_per_creator=posts_per_creator, spark=spark, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key in ("generate_s", "ingest_s", "core_s", "hand_sql_s", "pandas_s", "metrics_stage_s", "spark_core_s"):
        value = result[key]
        console.print(f"{key:>16}: {'—' if value is None else f'{value:8.2f} s'}")
    console.print(
        f"core_vs_sql {result['core_vs_sql']}, speedup_vs_pandas {result['speedup_vs_pandas']}, "
        f"peak RSS {result['peak_rss_mb']:,} MB"
    )
