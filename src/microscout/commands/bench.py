"""``microscout bench …``: measured speed and memory, one JSON object per run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from microscout.cli import app, console, handle_errors, progress_bar

bench_app = typer.Typer(
    help="Benchmarks: time the pipeline at scale (make bench writes docs/benchmarks.md).", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@bench_app.command("metrics")
@handle_errors
def bench_metrics_cmd(
    creators: Annotated[int, typer.Option("--creators", help="Creators in the benchmark world.")] = 100_000,
    posts_per_creator: Annotated[int, typer.Option("--posts-per-creator")] = 100,
    brief_path: Annotated[Path, typer.Option("--brief", help="Brief to search for.")] = Path("examples/brief.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Generate, ingest, profile and search a sample world, timing each stage."""
    from microscout.bench import bench_metrics
    from microscout.brief import load_brief

    brief = load_brief(brief_path)
    with progress_bar() as update:
        result = bench_metrics(creators=creators, posts_per_creator=posts_per_creator, brief=brief, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for stage, seconds in result["seconds"].items():
        console.print(f"{stage:>9}: {seconds:8.1f} s")
    console.print(f"ingest: {result['ingest_records_per_second']:,} records/s; peak RSS {result['peak_rss_mib']:,} MiB")
