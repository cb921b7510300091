"""Commands for the Parquet lake the Spark engine reads: ``microscout export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from microscout.cli import DbOption, FormatOption, OutputFormat, app, emit, handle_errors, make_settings, progress_bar
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, parse_url
from microscout.store.schema import TABLES


@app.command("export")
@handle_errors
def export_cmd(
    to: Annotated[str, typer.Option("--to", help="The lake to write: parquet:///folder (created if needed).")],
    db: DbOption = "./microscout.duckdb",
    tables: Annotated[
        str | None, typer.Option("--tables", help="Comma-separated tables to export (default: every table).")
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Copy a DuckDB store into a Parquet lake (one dataset per table), for --engine spark."""
    from microscout.store.lake import export_to_lake

    kind, location = parse_url(to)
    if kind != "parquet" or not location:
        raise InvalidInputError(f"--to must be a Parquet lake URL, parquet:///folder; got {to!r}")
    if parse_url(db)[0] != "duckdb":
        raise InvalidInputError(f"--db must be a DuckDB store to export from; got {db!r}")
    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else list(TABLES)
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise InvalidInputError(f"unknown table(s) {', '.join(unknown)}; known tables: {', '.join(TABLES)}")
    settings = make_settings(db)
    location_db = parse_url(settings.db)[1]
    if location_db != ":memory:" and not Path(location_db).expanduser().exists():
        raise NotFoundError(f"no store at {location_db}")
    with Store(parse_url(settings.db)[1], settings=settings) as store, progress_bar() as update:
        counts = export_to_lake(store, Path(location), tables=names, progress=update)
    root = Path(location).expanduser().resolve()
    emit(
        [{"table": t, "rows": n} for t, n in counts.items()],
        output,
        title=f"Exported to parquet://{root}",
        columns=["table", "rows"],
    )
