"""The ``microscout`` command line: each command parses flags and calls one library function."""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from microscout.cells import safe_cell
from microscout.config import Settings
from microscout.errors import MicroscoutError

app = typer.Typer(
    name="microscout",
    help="Find, vet, price, plan and track micro-influencer campaigns across markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(
    help="Bring data in: canonical files, platform APIs; inspect quarantine.", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


DbOption = Annotated[
    str, typer.Option("--db", envvar="MICROSCOUT_DB", help="Store: a DuckDB file path or duckdb:///path.")
]
EngineOption = Annotated[
    str, typer.Option("--engine", envvar="MICROSCOUT_ENGINE", help="Engine: duckdb (default) or spark.")
]
WorkspaceOption = Annotated[
    str, typer.Option("--workspace", envvar="MICROSCOUT_WORKSPACE", help="Workspace for private data.")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output: table, json or csv.")]


def handle_errors(func: F) -> F:
    """Turn a MicroscoutError into a one-line ``Error: …`` and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MicroscoutError as exc:
            err_console.print(f"Error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def make_settings(db: str, engine: str = "duckdb", workspace: str | None = None) -> Settings:
    values: dict[str, Any] = {"db": db, "engine": engine}
    if workspace:
        values["workspace"] = workspace
    return Settings(**values)


@contextmanager
def progress_bar(transient: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar fed by library callbacks ``(label, done, total)``.

    Shown only on a terminal: scripts and pipes get clean output.
    """
    if not err_console.is_terminal:
        yield lambda _label, _done, _total: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)

        yield update


def emit(
    rows: list[dict[str, Any]], fmt: OutputFormat, *, title: str | None = None, columns: list[str] | None = None
) -> None:
    """Print rows as a Rich table, JSON or CSV (formula-safe)."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str, indent=2) + "\n")
        return
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([safe_cell(r.get(c)) for c in columns])
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[_fmt(r.get(c)) for c in columns])
    console.print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """microscout: find, vet, price, plan and track micro-influencer campaigns."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


# ---------------------------------------------------------------------------------- commands
from microscout.commands import alerts as _alerts  # noqa: E402,F401
from microscout.commands import audience as _audience  # noqa: E402,F401
from microscout.commands import bench as _bench  # noqa: E402,F401
from microscout.commands import campaign as _campaign  # noqa: E402,F401
from microscout.commands import connectors as _connectors  # noqa: E402,F401
from microscout.commands import crm as _crm  # noqa: E402,F401
from microscout.commands import data as _data  # noqa: E402,F401  (registers commands)
from microscout.commands import discover as _discover  # noqa: E402,F401
from microscout.commands import lake as _lake  # noqa: E402,F401
from microscout.commands import money as _money  # noqa: E402,F401
from microscout.commands import plan as _plan  # noqa: E402,F401
from microscout.commands import serve as _serve  # noqa: E402,F401
from microscout.commands import text as _text  # noqa: E402,F401
from microscout.commands import text_niche as _text_niche  # noqa: E402,F401
from microscout.commands import text_sentiment as _text_sentiment  # noqa: E402,F401
from microscout.commands import vet as _vet  # noqa: E402,F401


def main() -> None:
    app()
