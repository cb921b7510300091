"""Commands that bring data in: sample-world, ingest files, ingest quarantine, profile."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from microscout.cli import (
    DbOption,
    EngineOption,
    FormatOption,
    OutputFormat,
    WorkspaceOption,
    app,
    console,
    emit,
    handle_errors,
    ingest_app,
    make_settings,
    progress_bar,
)
from microscout.store import connect


@app.command("sample-world")
@handle_errors
def sample_world(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")],
    creators: Annotated[int, typer.Option("--creators", help="Number of creators.")] = 1000,
    posts_per_creator: Annotated[int, typer.Option("--posts-per-creator", help="Posts per creator.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 7,
    difficulty: Annotated[str, typer.Option("--difficulty", help="easy, realistic or hard.")] = "realistic",
    file_format: Annotated[str, typer.Option("--file-format", help="parquet or jsonl.")] = "parquet",
) -> None:
    """Generate a deterministic sample world in the canonical file format."""
    from microscout.sample import generate_world

    with progress_bar() as update:
        summary = generate_world(
            out,
            creators=creators,
            posts_per_creator=posts_per_creator,
            seed=seed,
            difficulty=difficulty,
            fmt=file_format,
            progress=update,
        )
    counts = summary.get("counts", {})
    emit([{"table": k, "rows": v} for k, v in counts.items()], OutputFormat.table, title=f"Sample world in {out}")


@ingest_app.command("files")
@handle_errors
def ingest_files_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Canonical files or folders (<table>.jsonl|csv|parquet).")],
    db: DbOption = "./microscout.duckdb",
    engine: EngineOption = "duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Validate and upsert canonical files; rejected records go to quarantine."""
    from microscout.ingest import ingest_files

    settings = make_settings(db, engine, workspace)
    with connect(settings.db, settings=settings) as store, progress_bar() as update:
        result = ingest_files(store, list(paths), workspace=settings.workspace, progress=update)
    rows = [
        {
            "table": t,
            "inserted": c.inserted,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "quarantined": c.quarantined,
        }
        for t, c in result.tables.items()
    ]
    if output is not OutputFormat.table:
        emit(rows, output)
        return
    emit(rows, output, title=f"Ingest run {result.run_id}")
    if result.truths:
        console.print(f"Planted truths stored for evaluation: {len(result.truths)} file(s).")
    if result.skipped:
        console.print(f"Skipped (not canonical tables): {', '.join(Path(p).name for p in result.skipped)}")
    if result.quarantined:
        console.print(
            f"{result.quarantined} record(s) quarantined; see why with: "
            f"microscout ingest quarantine --run {result.run_id} --db {db}"
        )


@ingest_app.command("quarantine")
@handle_errors
def quarantine_cmd(
    run: Annotated[str | None, typer.Option("--run", help="Only this ingest run.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show.")] = 50,
    db: DbOption = "./microscout.duckdb",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show rejected records with where they came from and why."""
    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        q = store.table("quarantine")
        if run:
            q = q.filter(q.run_id == run)
        frame = q.order_by(["quarantined_at", "source", "position"]).limit(limit).to_pandas()
    rows = [
        {"run": r.run_id, "position": r.position, "reason": r.reason, "raw": r.raw}
        for r in frame.itertuples(index=False)
    ]
    emit(rows, output, title="Quarantined records", columns=["run", "position", "reason", "raw"])


class Stage(StrEnum):
    metrics = "metrics"
    authenticity = "authenticity"
    text = "text"
    all = "all"


@app.command("profile")
@handle_errors
def profile_cmd(
    db: DbOption = "./microscout.duckdb",
    engine: EngineOption = "duckdb",
    stage: Annotated[
        Stage,
        typer.Option("--stage", help="Stage to run: metrics, authenticity, text (each reads the one before) or all."),
    ] = Stage.all,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every creator, not only those with new data.")
    ] = False,
    window: Annotated[int | None, typer.Option("--window", help="Posts per ER window (default 30).")] = None,
    window_days: Annotated[int | None, typer.Option("--window-days", help="Only posts of the last N days.")] = None,
) -> None:
    """Compute creator profiles: metrics (incremental), authenticity (AQS), text (language, niches, markets)."""
    from microscout.profile import STAGES, run_profile

    overrides: dict[str, object] = {}
    if window is not None:
        overrides["er_window_posts"] = window
    if window_days is not None:
        overrides["er_window_days"] = window_days
    settings = make_settings(db, engine).model_copy(update=overrides)

    def report(name: str, run: Any, seconds: float) -> None:
        if name == "metrics":
            what = (
                f"{run.creators:,} creators profiled, {run.recomputed:,} recomputed "
                f"(profile version {run.profile_version})"
            )
        elif name == "authenticity":
            what = (
                f"{run.accounts_scored:,} audience accounts scored, {run.pods:,} pods "
                f"({run.pod_members:,} creators), AQS for {run.creators:,} creators"
            )
        else:
            what = (
                f"{run.posts:,} posts and {run.comments:,} comments read, niches for "
                f"{run.creators_classified:,} creators, languages and markets for {run.creators:,}"
            )
        console.print(f"{name} stage: {what} in {seconds:.1f} s.")

    stages = STAGES if stage is Stage.all else (stage.value,)
    with connect(settings.db, settings=settings) as store, progress_bar() as update:
        run_profile(store, stages=stages, full=full, progress=update, report=report)
