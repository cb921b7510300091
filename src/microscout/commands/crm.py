"""Commands for working with creators: ``lists``, ``notes``, ``outreach`` and ``proofs``."""

from __future__ import annotations

import datetime as dt
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
from microscout.errors import InvalidInputError
from microscout.store import Store, connect

lists_app = typer.Typer(help="Named creator lists of a workspace.", no_args_is_help=True)
notes_app = typer.Typer(help="Notes on creators, with tags.", no_args_is_help=True)
outreach_app = typer.Typer(
    help="A campaign's outreach pipeline, message templates, rendering and e-mail.", no_args_is_help=True
)
templates_app = typer.Typer(help="Outreach message templates with merge fields.", no_args_is_help=True)
proofs_app = typer.Typer(help="Deliverable proof (screenshots, insights exports), self-reported.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
app.add_typer(notes_app, name="notes")
app.add_typer(outreach_app, name="outreach")
outreach_app.add_typer(templates_app, name="templates")
app.add_typer(proofs_app, name="proofs")

ListArgument = Annotated[str, typer.Argument(metavar="LIST", help="A list id, or a list name unique in the workspace.")]
CampaignArgument = Annotated[str, typer.Argument(metavar="CAMPAIGN", help="A campaign id or unique name.")]
ActorOption = Annotated[str | None, typer.Option("--actor", help="Who does this (recorded in the history).")]
TemplateOption = Annotated[
    str, typer.Option("--template", "-t", help="A template id, or a name (each creator gets their language).")
]
StatusFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--status", help="Only creators in this pipeline status (repeatable; default: all but declined, paid)."
    ),
]


def _open(db: str, workspace: str) -> tuple[Store, str]:
    settings = make_settings(db, workspace=workspace)
    return connect(settings.db, settings=settings), settings.workspace


def _resolve(store: Store, refs: list[str]) -> list[tuple[str, str]]:
    from microscout.creators import resolve_creator

    return [resolve_creator(store, ref) for ref in refs]


# ------------------------------------------------------------------------------------ lists
@lists_app.command("create")
@handle_errors
def lists_create_cmd(
    name: Annotated[str, typer.Argument(help="The list's name.")],
    description: Annotated[str | None, typer.Option("--description", help="What the list is for.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Create an empty list; prints its id."""
    from microscout.workspace import create_list

    store, ws = _open(db, workspace)
    with store:
        created = create_list(store, ws, name=name, description=description)
    console.print(f"Created list {created['list_id']} ({created['name']}).", markup=False, highlight=False)


@lists_app.command("add")
@handle_errors
def lists_add_cmd(
    list_ref: ListArgument,
    creators: Annotated[
        list[str] | None, typer.Argument(metavar="CREATOR...", help="Creators as platform:handle.")
    ] = None,
    from_search: Annotated[
        str | None, typer.Option("--from-search", help="Add every creator of a saved search.")
    ] = None,
    from_plan: Annotated[str | None, typer.Option("--from-plan", help="Add every creator placed in a plan.")] = None,
    added_by: Annotated[str | None, typer.Option("--by", help="Who adds them.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Add creators to a list (by reference, from a saved search, or from a plan)."""
    from microscout import workspace as wsp

    if not creators and not from_search and not from_plan:
        raise InvalidInputError("name creators (platform:handle), --from-search ID or --from-plan ID")
    store, ws = _open(db, workspace)
    with store:
        list_id = wsp.resolve_list(store, ws, list_ref)
        results = []
        if creators:
            results.append(wsp.add_list_items(store, ws, list_id, _resolve(store, creators), added_by=added_by))
        if from_search:
            results.append(wsp.add_list_items_from_search(store, ws, list_id, from_search, added_by=added_by))
        if from_plan:
            results.append(wsp.add_list_items_from_plan(store, ws, list_id, from_plan, added_by=added_by))
    added = sum(r["added"] for r in results)
    already = sum(r["already"] for r in results)
    console.print(f"List {list_id}: {added} added, {already} already on it.", markup=False, highlight=False)


@lists_app.command("remove")
@handle_errors
def lists_remove_cmd(
    list_ref: ListArgument,
    creator: Annotated[str, typer.Argument(help="The creator, as platform:handle.")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Take a creator off a list."""
    from microscout.workspace import remove_list_item, resolve_list

    store, ws = _open(db, workspace)
    with store:
        list_id = resolve_list(store, ws, list_ref)
        platform, creator_id = _resolve(store, [creator])[0]
        remove_list_item(store, ws, list_id, platform=platform, creator_id=creator_id)
    console.print(f"Removed {creator} from list {list_id}.", markup=False, highlight=False)


ITEM_COLUMNS = ["creator", "display_name", "followers", "added_at", "added_by"]


@lists_app.command("show")
@handle_errors
def lists_show_cmd(
    list_ref: ListArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """The creators on a list."""
    from microscout.workspace import get_list, resolve_list

    store, ws = _open(db, workspace)
    with store:
        found = get_list(store, ws, resolve_list(store, ws, list_ref))
    if output is OutputFormat.json:
        emit([found], output)
        return
    emit(found["items"], output, columns=ITEM_COLUMNS, title=f"{found['name']} ({found['list_id']})")


@lists_app.command("ls")
@handle_errors
def lists_ls_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """The lists of the workspace, newest first."""
    from microscout.workspace import list_lists

    store, ws = _open(db, workspace)
    with store:
        rows = list_lists(store, ws)
    emit(rows, output, columns=["list_id", "name", "items", "description", "created_at"], title="Lists")


@lists_app.command("delete")
@handle_errors
def lists_delete_cmd(
    list_ref: ListArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Delete a list and its entries (the creators stay in the store)."""
    from microscout.workspace import delete_list, resolve_list

    store, ws = _open(db, workspace)
    with store:
        list_id = resolve_list(store, ws, list_ref)
        delete_list(store, ws, list_id)
    console.print(f"Deleted list {list_id}.", markup=False, highlight=False)


@lists_app.command("export")
@handle_errors
def lists_export_cmd(
    list_ref: ListArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Write a list to CSV (cells that a spreadsheet would run as formulas are neutralised)."""
    from microscout.workspace import export_list_csv, resolve_list

    store, ws = _open(db, workspace)
    with store:
        n = export_list_csv(store, ws, resolve_list(store, ws, list_ref), out)
    console.print(f"Wrote {n} creator(s) to {out}.", markup=False, highlight=False)


# ------------------------------------------------------------------------------------ notes
NOTE_COLUMNS = ["note_id", "creator", "body", "tags", "author", "created_at"]


@notes_app.command("add")
@handle_errors
def notes_add_cmd(
    creator: Annotated[str, typer.Argument(help="The creator, as platform:handle.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who wrote it.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Add a note on a creator."""
    from microscout.workspace import create_note

    store, ws = _open(db, workspace)
    with store:
        platform, creator_id = _resolve(store, [creator])[0]
        note = create_note(
            store, ws, platform=platform, creator_id=creator_id, body=text, author=author, tags=tag or []
        )
    console.print(f"Added note {note['note_id']} on {creator}.", markup=False, highlight=False)


@notes_app.command("ls")
@handle_errors
def notes_ls_cmd(
    creator: Annotated[str | None, typer.Argument(help="Only notes on this creator (platform:handle).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only notes with this tag.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Notes of the workspace, newest first."""
    from microscout.outreach import creator_ref
    from microscout.workspace import list_notes

    store, ws = _open(db, workspace)
    with store:
        platform = creator_id = None
        if creator:
            platform, creator_id = _resolve(store, [creator])[0]
        rows = list_notes(store, ws, platform=platform, creator_id=creator_id, tag=tag)
        for r in rows:
            r["creator"] = creator_ref(store, r["platform"], r["creator_id"])
    emit(rows, output, columns=NOTE_COLUMNS, title="Notes")


@notes_app.command("delete")
@handle_errors
def notes_delete_cmd(
    note_id: Annotated[str, typer.Argument(metavar="ID", help="The note's id.")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Delete a note."""
    from microscout.workspace import delete_note

    store, ws = _open(db, workspace)
    with store:
        delete_note(store, ws, note_id)
    console.print(f"Deleted note {note_id}.", markup=False, highlight=False)


# --------------------------------------------------------------------------------- outreach
@outreach_app.command("add")
@handle_errors
def outreach_add_cmd(
    campaign: CampaignArgument,
    creators: Annotated[
        list[str] | None, typer.Argument(metavar="CREATOR...", help="Creators as platform:handle.")
    ] = None,
    from_list: Annotated[str | None, typer.Option("--from-list", help="Add every creator of a list.")] = None,
    placements: Annotated[
        bool, typer.Option("--placements", help="Add every creator with a placement in the campaign.")
    ] = False,
    actor: ActorOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Put creators in a campaign's pipeline as prospects."""
    from microscout.outreach import add_prospects, campaign_creators
    from microscout.workspace import get_list, resolve_list

    if not creators and not from_list and not placements:
        raise InvalidInputError("name creators (platform:handle), --from-list LIST or --placements")
    store, ws = _open(db, workspace)
    with store:
        pairs = _resolve(store, creators or [])
        if from_list:
            items = get_list(store, ws, resolve_list(store, ws, from_list))["items"]
            pairs += [(i["platform"], i["creator_id"]) for i in items]
        if placements:
            pairs += campaign_creators(store, ws, campaign)
        result = add_prospects(store, ws, campaign, pairs, actor)
    console.print(
        f"Campaign {result['campaign_id']}: {len(result['added'])} prospect(s) added, "
        f"{len(result['already'])} already in the pipeline.",
        markup=False,
        highlight=False,
    )


@outreach_app.command("set")
@handle_errors
def outreach_set_cmd(
    campaign: CampaignArgument,
    creator: Annotated[str, typer.Argument(help="The creator, as platform:handle.")],
    status: Annotated[str, typer.Argument(help="contacted, negotiating, booked, delivered, paid or declined.")],
    note: Annotated[str | None, typer.Option("--note", help="Why (kept in the history).")] = None,
    actor: ActorOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Move a creator along the pipeline (prospect → contacted → negotiating → booked → delivered → paid)."""
    from microscout.outreach import set_status

    store, ws = _open(db, workspace)
    with store:
        platform, creator_id = _resolve(store, [creator])[0]
        moved = set_status(store, ws, campaign, platform, creator_id, status.strip().lower(), actor, note=note)
    console.print(f"{moved['creator']}: {moved['from_status']} → {moved['status']}.", markup=False, highlight=False)


@outreach_app.command("status")
@handle_errors
def outreach_status_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """A campaign's pipeline: every creator's status, and the count per status."""
    from microscout.outreach import pipeline

    store, ws = _open(db, workspace)
    with store:
        result = pipeline(store, ws, campaign)
    if output is OutputFormat.json:
        emit([result], output)
        return
    columns = ["creator", "display_name", "status", "contact_email", "updated_at", "updated_by"]
    emit(result["creators"], output, columns=columns, title=f"Pipeline of {result['name']} ({result['campaign_id']})")
    if output is OutputFormat.table:
        counts = " · ".join(f"{k} {v}" for k, v in result["counts"].items())
        console.print(counts, markup=False, highlight=False)


@outreach_app.command("history")
@handle_errors
def outreach_history_cmd(
    campaign: CampaignArgument,
    creator: Annotated[str | None, typer.Argument(help="Only this creator (platform:handle).")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Every pipeline change of a campaign, oldest first."""
    from microscout.outreach import history

    store, ws = _open(db, workspace)
    with store:
        platform = creator_id = None
        if creator:
            platform, creator_id = _resolve(store, [creator])[0]
        rows = history(store, ws, campaign, platform=platform, creator_id=creator_id)
    emit(rows, output, columns=["at", "creator", "from_status", "to_status", "actor", "note"], title="History")


@outreach_app.command("render")
@handle_errors
def outreach_render_cmd(
    campaign: CampaignArgument,
    template: TemplateOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="A folder for .eml drafts, or a .csv file.")],
    html: Annotated[bool, typer.Option("--html", help="Also write an .html page per message.")] = False,
    status: StatusFilter = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Render one message per creator of the pipeline into .eml drafts (or one CSV); nothing is sent."""
    from microscout.outreach import DEFAULT_SEND_STATUSES
    from microscout.templates import export_csv, export_eml, record_exported, render_for_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        messages = render_for_campaign(
            store, settings.workspace, campaign, template, statuses=status or DEFAULT_SEND_STATUSES
        )
        if out.suffix.lower() == ".csv":
            export_csv(messages, out)
        else:
            export_eml(messages, out, from_address=settings.smtp_from, html_too=html)
        record_exported(store, settings.workspace, messages)
    console.print(f"Rendered {len(messages)} message(s) into {out}.", markup=False, highlight=False)
    for m in messages:
        if m.missing:
            err_console.print(
                f"{m.creator}: no value for {', '.join(m.missing)}", markup=False, highlight=False, soft_wrap=True
            )


@outreach_app.command("send")
@handle_errors
def outreach_send_cmd(
    campaign: CampaignArgument,
    template: TemplateOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and store nothing.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again to creators already sent this template.")
    ] = False,
    status: StatusFilter = None,
    actor: ActorOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """E-mail the rendered message to every creator with a public contact e-mail (MICROSCOUT_SMTP_*).

    The SMTP password is read from MICROSCOUT_SMTP_PASSWORD only. Each message is stored as sent,
    failed or skipped; a prospect who was sent a message becomes contacted.
    """
    from microscout.outreach import DEFAULT_SEND_STATUSES, send_campaign

    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        rows = send_campaign(
            store,
            settings.workspace,
            settings,
            campaign,
            template,
            actor=actor,
            statuses=status or DEFAULT_SEND_STATUSES,
            dry_run=dry_run,
            resend=resend,
        )
    emit(rows, output, columns=["creator", "to_address", "status", "error"], title="Dry run" if dry_run else "Sent")
    if output is OutputFormat.table:
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        console.print(" · ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no creators", markup=False)


# -------------------------------------------------------------------------------- templates
@templates_app.command("add")
@handle_errors
def templates_add_cmd(
    name: Annotated[str, typer.Argument(help="The template's name (one name may have several languages).")],
    subject: Annotated[str, typer.Option("--subject", help="The subject line, merge fields allowed.")],
    language: Annotated[str, typer.Option("--language", "-l", help="Language code: en, pt-BR, ar, ja, …")] = "en",
    body: Annotated[str | None, typer.Option("--body", help="The message text.")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", help="Read the message text from a file.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Save a template; merge fields: {creator_name} {handle} {brand} {deliverables} {fee} {campaign} {due_date}."""
    from microscout.templates import save_template

    if (body is None) == (body_file is None):
        raise InvalidInputError("give the message text with --body or --body-file (one of them)")
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"{body_file}: cannot read as UTF-8 text ({exc.__class__.__name__})") from exc
    store, ws = _open(db, workspace)
    with store:
        saved = save_template(store, ws, name=name, language=language, subject=subject, body=body or "")
    console.print(
        f"Saved template {saved['template_id']} ({saved['name']}, {saved['language']}, {saved['direction']}).",
        markup=False,
        highlight=False,
    )


@templates_app.command("ls")
@handle_errors
def templates_ls_cmd(
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """The templates of the workspace."""
    from microscout.templates import list_templates

    store, ws = _open(db, workspace)
    with store:
        rows = list_templates(store, ws)
    emit(rows, output, columns=["template_id", "name", "language", "direction", "subject", "fields"], title="Templates")


@templates_app.command("show")
@handle_errors
def templates_show_cmd(
    template_id: Annotated[str, typer.Argument(metavar="ID", help="The template's id.")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """One template with its subject and body."""
    from microscout.templates import get_template

    store, ws = _open(db, workspace)
    with store:
        found = get_template(store, ws, template_id)
    if output is not OutputFormat.table:
        emit([found], output)
        return
    console.print(f"{found['name']} ({found['language']}, {found['direction']})", markup=False, highlight=False)
    console.print(f"Subject: {found['subject']}\n\n{found['body']}", markup=False, highlight=False)


@templates_app.command("delete")
@handle_errors
def templates_delete_cmd(
    template_id: Annotated[str, typer.Argument(metavar="ID", help="The template's id.")],
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Delete a template (messages already rendered or sent stay)."""
    from microscout.templates import delete_template

    store, ws = _open(db, workspace)
    with store:
        delete_template(store, ws, template_id)
    console.print(f"Deleted template {template_id}.", markup=False, highlight=False)


# ----------------------------------------------------------------------------------- proofs
def _reported_pairs(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--reported {item!r}: write key=value, e.g. views=1200")
        out[key.strip()] = value.strip()
    return out


def _when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(f"--published-at {value!r}: use an ISO date or time, e.g. 2026-10-05T18:00") from exc


@proofs_app.command("add")
@handle_errors
def proofs_add_cmd(
    campaign: CampaignArgument,
    placement: Annotated[str, typer.Argument(metavar="PLACEMENT", help="The placement id.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="PNG, JPEG, WebP, PDF or CSV insights export.")],
    kind: Annotated[str, typer.Option("--kind", help="The deliverable: story, post, reel, video, …")],
    reported: Annotated[
        list[str] | None, typer.Option("--reported", help="A figure shown in the proof, e.g. views=1200 (repeatable).")
    ] = None,
    published_at: Annotated[str | None, typer.Option("--published-at", help="When it was published (UTC).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who uploads it.")] = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Upload proof of a deliverable; it counts as delivered, flagged self-reported."""
    from microscout.proofs import add_proof

    figures = _reported_pairs(reported or [])
    when = _when(published_at)
    settings = make_settings(db, workspace=workspace)
    with connect(settings.db, settings=settings) as store:
        proof = add_proof(
            store,
            settings.workspace,
            settings,
            campaign,
            placement,
            file,
            reported=figures,
            kind=kind,
            published_at=when,
            uploaded_by=by,
        )
    what = "Added" if proof["created"] else "Already had"
    console.print(
        f"{what} proof {proof['proof_id']} ({proof['media_type']}, {proof['size_bytes']:,} bytes) for "
        f"{placement}: {proof['kind']}, self-reported.",
        markup=False,
        highlight=False,
    )


@proofs_app.command("ls")
@handle_errors
def proofs_ls_cmd(
    campaign: CampaignArgument,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """A campaign's proofs and the figures they report."""
    from microscout.proofs import list_proofs

    store, ws = _open(db, workspace)
    with store:
        rows = list_proofs(store, ws, campaign)
    columns = ["proof_id", "placement_id", "kind", "media_type", "reported", "published_at", "uploaded_by", "path"]
    emit(rows, output, columns=columns, title="Proofs")
