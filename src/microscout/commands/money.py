"""Commands for money: ``deals import`` (past fees) and ``fx import`` (exchange rates)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from microscout.cli import (
    DbOption,
    FormatOption,
    OutputFormat,
    WorkspaceOption,
    app,
    console,
    emit,
    err_console,
    handle_errors,
    make_settings,
)
from microscout.store import connect

deals_app = typer.Typer(
    help="Past deals: what creators were paid (the cost model learns from them).", no_args_is_help=True
)
fx_app = typer.Typer(help="Exchange rates used to convert fees and budgets.", no_args_is_help=True)
app.add_typer(deals_app, name="deals")
app.add_typer(fx_app, name="fx")

FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="A .csv or .jsonl file.")]
SHOWN_ERRORS = 20


def _report(result: object, output: OutputFormat, what: str) -> None:
    from microscout.cost.imports import ImportResult

    assert isinstance(result, ImportResult)
    summary = result.to_dict()
    if output is not OutputFormat.table:
        emit([summary], output)
        return
    console.print(
        f"{what}: {result.rows} row(s) read from {result.file}: {result.inserted} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {len(result.rejected)} quarantined."
    )
    for line in result.rejected[:SHOWN_ERRORS]:
        err_console.print(f"rejected: {line}", markup=False, highlight=False, soft_wrap=True)
    if len(result.rejected) > SHOWN_ERRORS:
        err_console.print(
            f"… {len(result.rejected) - SHOWN_ERRORS} more; see microscout ingest quarantine --run {result.run_id}",
            markup=False,
        )


@deals_app.command("import")
@handle_errors
def deals_import_cmd(
    file: FileArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import past deals (creator or platform + creator_id, deliverable, fee, currency, date).

    Bad rows go to quarantine with a one-line reason naming the file, row and field; importing
    the same file again changes nothing.
    """
    from microscout.cost.imports import import_deals

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        result = import_deals(store, file, workspace=settings.workspace)
    _report(result, output, "Deals")


@fx_app.command("import")
@handle_errors
def fx_import_cmd(
    file: FileArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import exchange rates (base, quote, date, rate: how many quote one base buys).

    A conversion uses the latest rate on or before its date (direct, inverted or through one
    common currency).
    """
    from microscout.cost.imports import import_fx

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        result = import_fx(store, file, workspace=settings.workspace)
    _report(result, output, "Rates")
