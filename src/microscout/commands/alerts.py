"""Commands for alerts and the scheduler: ``alerts``, ``alerts rule add``, ``scheduler``, ``schedule add``."""

from __future__ import annotations

import datetime as dt
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
from microscout.errors import InvalidInputError
from microscout.store import connect

alerts_app = typer.Typer(
    help="Alerts on campaigns: list them (the default), set rules, check now, acknowledge.",
    invoke_without_command=True,
)
rule_app = typer.Typer(help="Add or remove alert rules.", no_args_is_help=True)
schedule_app = typer.Typer(help="Scheduled creator refreshes and campaign tracking.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
alerts_app.add_typer(rule_app, name="rule")
app.add_typer(schedule_app, name="schedule")

ALERT_COLUMNS = ["alert_id", "created_at", "severity", "status", "message"]
ALERT_FIELDS = [*ALERT_COLUMNS, "rule", "campaign_id", "delivery", "subject", "rule_id", "acknowledged_at", "details"]
RULE_COLUMNS = ["rule_id", "kind", "campaign_id", "threshold", "params", "channels", "enabled", "created_at"]
SCHEDULE_COLUMNS = ["schedule_id", "kind", "target", "every_minutes", "last_run_at", "next_run_at", "last_status"]

CampaignOption = Annotated[str | None, typer.Option("--campaign", help="A campaign id (or unique name).")]


def _param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise InvalidInputError(f"--param {text!r}: expected NAME=NUMBER, e.g. min_texts=20") from None


@alerts_app.callback()
@handle_errors
def alerts_cmd(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only open or acknowledged alerts.")] = None,
    campaign: CampaignOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """List alerts, newest first (docs/alerts.md)."""
    if ctx.invoked_subcommand is not None:
        return
    from microscout.alerts import list_alerts

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rows = list_alerts(store, settings.workspace, status=status, campaign=campaign)
    if output is OutputFormat.table and not rows:
        console.print("No alerts.")
        return
    columns = ALERT_COLUMNS if output is OutputFormat.table else ALERT_FIELDS
    emit(rows, output, title="Alerts", columns=columns)


@rule_app.command("add")
@handle_errors
def rule_add_cmd(
    kind: Annotated[
        str,
        typer.Argument(help="missing_disclosure, late_deliverable, fraud_signal, sentiment_drop or budget_overrun."),
    ],
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Only this campaign (default: every active campaign).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="The kind's threshold (see docs/alerts.md for units).")
    ] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="Deliver to this address (repeatable).")] = None,
    webhook: Annotated[
        list[str] | None, typer.Option("--webhook", help="POST signed JSON to this https URL (repeatable).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="NAME=NUMBER, e.g. min_texts=20 (repeatable).")
    ] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Add an alert rule with its delivery channels."""
    from microscout.alerts import add_rule

    params = dict(_param(p) for p in param or [])
    channels = [{"type": "email", "to": a} for a in email or []]
    channels += [{"type": "webhook", "url": u} for u in webhook or []]
    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rule = add_rule(store, settings.workspace, kind, campaign, threshold, params, channels)
    if output is OutputFormat.table:
        where = f" on campaign {rule['campaign_id']}" if rule["campaign_id"] else " on every active campaign"
        console.print(f"Rule {rule['rule_id']}: {rule['kind']}{where}, {len(rule['channels'])} channel(s).")
        if not rule["channels"]:
            err_console.print("note: no --email or --webhook: alerts are only listed by `microscout alerts`.")
        return
    emit([rule], output, columns=RULE_COLUMNS)


@rule_app.command("rm")
@handle_errors
def rule_rm_cmd(
    rule_id: Annotated[str, typer.Argument(help="The rule's id (see `microscout alerts rules`).")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Remove an alert rule (its alerts stay)."""
    from microscout.alerts import remove_rule

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        remove_rule(store, settings.workspace, rule_id)
    console.print(f"Rule {rule_id} removed.")


@alerts_app.command("rules")
@handle_errors
def rules_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """List the alert rules."""
    from microscout.alerts import list_rules

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rows = list_rules(store, settings.workspace)
    emit(rows, output, title="Alert rules", columns=RULE_COLUMNS)


def _print_check(result: dict[str, Any], output: OutputFormat) -> None:
    if output is not OutputFormat.table:
        emit([result], output)
        return
    for alert in result["alerts"]:
        console.print(f"new {alert['severity']} alert {alert['alert_id']}: {alert['message']}", markup=False)
    for d in result["deliveries"]:
        outcome = "delivered" if d["delivered"] else "FAILED"
        console.print(
            f"{d['channel']} {d['target']}: {outcome} after {d['attempts']} attempt(s) ({d['response']})",
            markup=False,
        )
    console.print(f"{len(result['alerts'])} new alert(s), {len(result['deliveries'])} delivery(ies).")


@alerts_app.command("check")
@handle_errors
def check_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Evaluate every rule now and deliver new (and earlier undelivered) alerts."""
    from microscout.alerts import check_alerts

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        result = check_alerts(store, settings.workspace)
    _print_check(result, output)


@alerts_app.command("ack")
@handle_errors
def ack_cmd(
    alert_id: Annotated[str, typer.Argument(help="The alert's id (see `microscout alerts`).")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Acknowledge an alert: it stops being delivered and leaves the open list."""
    from microscout.alerts import acknowledge

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        alert = acknowledge(store, settings.workspace, alert_id)
    console.print(f"Alert {alert['alert_id']} acknowledged at {alert['acknowledged_at']}.", markup=False)


# --------------------------------------------------------------------------------- schedules
@schedule_app.command("add")
@handle_errors
def schedule_add_cmd(
    kind: Annotated[str, typer.Argument(help="creators (re-pull tracked creators) or campaign (track its tags).")],
    target: Annotated[
        str | None, typer.Argument(help="campaign: the campaign id; creators: optionally one platform.")
    ] = None,
    every: Annotated[int, typer.Option("--every", help="Minutes between runs.")] = 60,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Schedule a job; `microscout scheduler` runs it when due."""
    from microscout.scheduler import add_schedule

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        row = add_schedule(store, settings.workspace, kind, target, every_minutes=every)
    if output is OutputFormat.table:
        what = f"{row['kind']} {row['target']}" if row["target"] else row["kind"]
        console.print(
            f"Schedule {row['schedule_id']}: {what} every {row['every_minutes']} min, next {row['next_run_at']}."
        )
        return
    emit([row], output, columns=SCHEDULE_COLUMNS)


@schedule_app.command("ls")
@handle_errors
def schedule_ls_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """List schedules, the next due first."""
    from microscout.scheduler import list_schedules

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rows = list_schedules(store, settings.workspace)
    emit(rows, output, title="Schedules", columns=SCHEDULE_COLUMNS)


@schedule_app.command("rm")
@handle_errors
def schedule_rm_cmd(
    schedule_id: Annotated[str, typer.Argument(help="The schedule's id (see `microscout schedule ls`).")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Remove a schedule."""
    from microscout.scheduler import remove_schedule

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        remove_schedule(store, settings.workspace, schedule_id)
    console.print(f"Schedule {schedule_id} removed.")


@app.command("scheduler")
@handle_errors
def scheduler_cmd(
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit (for cron).")] = False,
    interval: Annotated[float, typer.Option("--interval", min=1, help="Seconds between passes when looping.")] = 60.0,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Run due schedules, then evaluate and deliver alerts; loops until Ctrl-C unless --once."""
    from microscout.scheduler import loop

    settings = make_settings(db, workspace=workspace)

    def report(result: dict[str, Any]) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        for job in result["ran"]:
            what = f"{job['kind']} {job['target']}" if job["target"] else job["kind"]
            console.print(f"{stamp} {what}: {job['status']}", markup=False, highlight=False)
        failed = sum(1 for d in result["deliveries"] if not d["delivered"])
        console.print(
            f"{stamp} {len(result['ran'])} job(s), {len(result['alerts'])} new alert(s), "
            f"{len(result['deliveries']) - failed} delivered, {failed} failed",
            markup=False,
            highlight=False,
        )

    if once:
        from microscout.scheduler import run_due

        with connect(settings.db, settings=settings) as store:
            report(run_due(store, settings, settings.workspace))
        return
    import signal

    def _stop(_signum: int, _frame: Any) -> None:  # a service manager's SIGTERM stops it like Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        loop(settings, settings.workspace, interval=interval, on_pass=report)
    except KeyboardInterrupt:
        err_console.print("Scheduler stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)
