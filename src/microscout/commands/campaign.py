"""Campaign tracking commands: ``campaign create|list|show|close|track|status|import-sales`` and ``report``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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

campaign_app = typer.Typer(
    help="Campaigns: placements and tracking rules; classify posts; deliverables, disclosure, sales.",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign")

CampaignArgument = Annotated[str, typer.Argument(metavar="CAMPAIGN", help="Campaign id or name.")]
SHOWN_ERRORS = 20
SALES_HELP = "Orders CSV: order_id, date, revenue, currency, promo_code and/or link, optional market."


def _print(doc: Any, output: OutputFormat) -> bool:
    """Print ``doc`` as JSON when asked; True if printed."""
    if output is OutputFormat.json:
        console.print_json(json.dumps(doc, ensure_ascii=False, default=str))
        return True
    return False


@campaign_app.command("create")
@handle_errors
def create_cmd(
    spec_path: Annotated[Path, typer.Argument(metavar="FILE", help="Campaign file (.yaml or .json).")],
    plan: Annotated[str | None, typer.Option("--plan", help="Book the creators of this saved plan.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Create a campaign from a campaign file, or from a saved plan (``--plan`` or ``plan:`` in the file)."""
    from microscout.tracking import create_campaign, load_spec

    spec = load_spec(spec_path)
    if plan:
        spec = spec.model_copy(update={"plan": plan, "placements": []})
    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        campaign = create_campaign(store, settings.workspace, spec)
    if not _print(campaign, output):
        console.print(
            f"Created campaign {campaign['campaign_id']} ({campaign['name']}): {len(campaign['placements'])} "
            f"placement(s), {len(campaign['rules'])} tracking rule(s)."
        )


@campaign_app.command("list")
@handle_errors
def list_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """List the workspace's campaigns."""
    from microscout.tracking import list_campaigns

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rows = list_campaigns(store, settings.workspace)
    emit(rows, output, title="Campaigns")


@campaign_app.command("show")
@handle_errors
def show_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show a campaign: placements and tracking rules."""
    from microscout.tracking import get_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        doc = get_campaign(store, settings.workspace, campaign)
    if _print(doc, output):
        return
    rows = [
        {**{k: p[k] for k in ("placement_id", "creator", "market", "fee", "currency", "due_date", "status")},
         "deliverables": ", ".join(f"{d['count']}× {d['kind']}" for d in p["deliverables"])}
        for p in doc["placements"]
    ]  # fmt: skip
    if output is OutputFormat.csv:
        emit(rows, output)
        return
    console.print(
        f"[bold]{doc['name']}[/] ({doc['brand']}) — {doc['status']}, from {doc['start_date']}"
        + (f" to {doc['end_date']}" if doc["end_date"] else ""),
        highlight=False,
    )
    emit(rows, output, title="Placements")
    emit(doc["rules"], output, title="Tracking rules")


@campaign_app.command("close")
@handle_errors
def close_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Close a campaign: tracking stops collecting posts published after now."""
    from microscout.tracking import close_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        doc = close_campaign(store, settings.workspace, campaign)
    console.print(f"Campaign {doc['campaign_id']} ({doc['name']}) is closed (at {doc['closed_at']}).")


@campaign_app.command("track")
@handle_errors
def track_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Classify collected posts (deliverables, UGC, competitor mentions) and score new comments."""
    from microscout.tracking import track_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        summary = track_campaign(store, settings.workspace, campaign, settings=settings)
    doc = summary.to_dict()
    if output is not OutputFormat.table:
        emit([doc], output)
        return
    console.print(
        f"Scanned {summary.scanned:,} candidate post(s): {summary.deliverables} deliverable(s) "
        f"({summary.disclosure_issues} without an accepted disclosure), {summary.ugc} UGC, "
        f"{summary.competitor} competitor mention(s); {summary.texts_scored} new text(s) scored."
    )


@campaign_app.command("status")
@handle_errors
def status_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Deliverables per placement: delivered, late, missing or pending, with the disclosure verdict."""
    from microscout.tracking import deliverable_status, resolve_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        cid = resolve_campaign(store, settings.workspace, campaign)["campaign_id"]
        rows = deliverable_status(store, settings.workspace, cid)
    emit(rows, output, title="Deliverables")


@campaign_app.command("import-sales")
@handle_errors
def import_sales_cmd(
    campaign: CampaignArgument,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Orders CSV: order_id, date, revenue, currency, promo_code and/or link, optional market.",
        ),
    ],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import orders or conversions; attribute them to creators by promo code or tracking link."""
    from microscout.tracking import import_sales

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        result = import_sales(store, settings.workspace, campaign, file)
    if output is not OutputFormat.table:
        emit([result.to_dict()], output)
        return
    console.print(
        f"Sales: {result.rows} row(s) read: {result.inserted} new, {result.updated} updated, {result.unchanged} "
        f"unchanged, {result.quarantined} quarantined, {result.unattributed} not attributed to a creator."
    )
    for line in result.errors[:SHOWN_ERRORS]:
        err_console.print(f"rejected: {line}", markup=False, highlight=False, soft_wrap=True)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


@app.command("report")
@handle_errors
def report_cmd(
    campaign: CampaignArgument,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html, pdf, xlsx, csv or json.")] = (
        ReportFormat.html
    ),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (default campaign-report.<fmt>).")
    ] = None,
    track: Annotated[bool, typer.Option("--track/--no-track", help="Classify new posts first.")] = True,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Write a campaign report: deliverables, disclosure, results, UGC, sales and brand perception."""
    from microscout.report.campaign import write_campaign_report
    from microscout.tracking import campaign_results, track_campaign

    settings = make_settings(db, workspace=workspace)
    path = out or Path(f"campaign-report.{fmt.value}")
    with connect(settings.db, settings=settings) as store:
        if track:
            track_campaign(store, settings.workspace, campaign, settings=settings)
        doc = campaign_results(store, settings.workspace, campaign, settings=settings)
    written = write_campaign_report(doc, fmt.value, path)
    console.print(f"Wrote {written}")
