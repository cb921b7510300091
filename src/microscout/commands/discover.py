"""Commands that find creators: search, show, demo."""

from __future__ import annotations

import time
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
    make_settings,
    progress_bar,
)
from microscout.store import connect

SHORTLIST_COLUMNS = ["rank", "creator", "market", "tier", "followers", "ER", "score", "components"]
SHORT_NAMES = {"topic": "topic", "market": "mkt", "engagement": "eng", "authenticity": "auth", "cost": "cost"}


def _shortlist_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compact rows for the terminal; the reasons are in --format json/csv and the report."""
    out = []
    for r in rows:
        parts = [
            f"{SHORT_NAMES.get(c['name'], c['name'])} {'—' if c['value'] is None else round(100 * c['value'])}"
            for c in r["components"]
        ]
        if r["flags"]:
            parts.append("⚠ " + "; ".join(r["flags"]))
        out.append(
            {
                "rank": r["rank"],
                "creator": r["creator"],
                "market": r["market"],
                "tier": r["tier"],
                "followers": r["followers"],
                "ER": None if r["er"] is None else f"{100 * r['er']:.2f}%",
                "score": r["score"],
                "components": " · ".join(parts),
            }
        )
    return out


@app.command("search")
@handle_errors
def search_cmd(
    brief_path: Annotated[Path, typer.Argument(metavar="BRIEF", help="Campaign brief (YAML or JSON).")],
    db: DbOption = "./microscout.duckdb",
    engine: EngineOption = "duckdb",
    workspace: WorkspaceOption = "default",
    limit: Annotated[int, typer.Option("--limit", help="Creators in the shortlist.")] = 25,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Rank creators for a campaign brief, with the reasons behind each score."""
    from microscout.brief import load_brief
    from microscout.matching import search

    settings = make_settings(db, engine, workspace)
    brief = load_brief(brief_path, reference_dir=settings.reference_dir)
    with connect(settings.db, settings=settings) as store:
        result = search(store, brief, workspace=settings.workspace, limit=limit)
    if output is OutputFormat.json:
        emit([result.to_dict()], output)
        return
    if output is OutputFormat.csv:
        emit(
            [
                {k: r[k] for k in ("rank", "creator", "display_name", "market", "tier", "followers", "er", "score")}
                | {f"{c['name']}_value": c["value"] for c in r["components"]}
                | {f"{c['name']}_reason": c["reason"] for c in r["components"]}
                | {"flags": "; ".join(r["flags"])}
                for r in result.rows
            ],
            output,
        )
        return
    emit(
        _shortlist_rows(result.rows),
        output,
        columns=SHORTLIST_COLUMNS,
        title=f"Shortlist for {brief.brand} ({result.candidates:,} candidates)",
    )
    for note in result.notes:
        console.print(f"[dim]note: {note}[/dim]")


@app.command("show")
@handle_errors
def show_cmd(
    creator: Annotated[str, typer.Argument(help="platform:handle (a bare handle if unique).")],
    db: DbOption = "./microscout.duckdb",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show one creator: counts, tier and engagement."""
    from microscout.creators import creator_detail

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        detail = creator_detail(store, creator)
    if output is OutputFormat.table:
        emit([{"field": k, "value": v} for k, v in detail.items()], output, title=creator)
    else:
        emit([detail], output)


@app.command("demo")
@handle_errors
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo store, world and report.")] = Path("demo"),
    brief_path: Annotated[Path, typer.Option("--brief", help="Brief to search for.")] = Path("examples/brief.yaml"),
    creators: Annotated[int, typer.Option("--creators", help="Creators in the sample world.")] = 3000,
    posts_per_creator: Annotated[int, typer.Option("--posts-per-creator")] = 30,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Run the whole flow on a sample world and write demo/report.html."""
    from microscout.brief import load_brief
    from microscout.demo import run_demo

    settings = make_settings(str(out / "microscout.duckdb"))
    brief = load_brief(brief_path, reference_dir=settings.reference_dir)
    started = time.perf_counter()
    with progress_bar(transient=False) as update:
        result = run_demo(
            out,
            brief,
            settings=settings,
            creators=creators,
            posts_per_creator=posts_per_creator,
            seed=seed,
            progress=update,
            step=lambda msg: console.print(f"[bold]•[/bold] {msg}"),
        )
    emit(
        _shortlist_rows(result.search.rows[:15]),
        OutputFormat.table,
        columns=SHORTLIST_COLUMNS,
        title=f"Shortlist for {brief.brand} ({result.search.candidates:,} candidates)",
    )
    for note in result.search.notes:
        console.print(f"[dim]note: {note}[/dim]")
    console.print(
        f"Store:  {result.db_path}\nReport: {result.report_path}\nDone in {time.perf_counter() - started:.0f} s."
    )
