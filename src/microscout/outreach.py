"""The outreach pipeline: where each creator of a campaign stands, and how they got there.

A creator enters a campaign's pipeline as a ``prospect`` and moves along one path; any move not
in :data:`TRANSITIONS` is refused with the moves that are allowed:

============  ===========================
from          allowed to
============  ===========================
prospect      contacted, declined
contacted     negotiating, declined
negotiating   booked, declined
booked        delivered, declined
delivered     paid
paid          (final)
declined      (final)
============  ===========================

Every change is appended to ``outreach_events`` (the history, oldest first); the current state
is one ``outreach`` row per (campaign, creator). Moving to ``booked`` also marks the creator's
placement in the campaign (``placements.status``) as booked.

Contact details come from public business fields only: the e-mail address a creator publishes
on their profile for business enquiries (``creators.contact_email``, as delivered by a connector
or a canonical file). Nothing is scraped, guessed or looked up elsewhere; a creator without one
cannot be e-mailed (``outreach send`` skips them).

Everything is workspace-scoped: another workspace's campaigns, pipelines and history do not exist.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from microscout.config import Settings
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, utcnow
from microscout.workspace import scoped_rows

__all__ = [
    "FINAL",
    "STATUSES",
    "TRANSITIONS",
    "add_prospects",
    "campaign_creators",
    "creator_ref",
    "get_campaign",
    "history",
    "pipeline",
    "send_campaign",
    "set_status",
]

STATUSES = ("prospect", "contacted", "negotiating", "booked", "delivered", "paid", "declined")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "prospect": ("contacted", "declined"),
    "contacted": ("negotiating", "declined"),
    "negotiating": ("booked", "declined"),
    "booked": ("delivered", "declined"),
    "delivered": ("paid",),
    "paid": (),
    "declined": (),
}
FINAL = tuple(s for s, moves in TRANSITIONS.items() if not moves)
# creators a campaign-wide message goes to unless told otherwise: never someone who declined
DEFAULT_SEND_STATUSES = ("prospect", "contacted", "negotiating", "booked", "delivered")

_counter = itertools.count()
_last_ns = 0


def _event_id() -> str:
    """An id that sorts in creation order (fixed-width nanoseconds, then a random suffix)."""
    global _last_ns
    _last_ns = max(time.time_ns(), _last_ns + 1)
    return f"{_last_ns:016x}{next(_counter) % 0xFFFF:04x}{secrets.token_hex(2)}"


# ---------------------------------------------------------------------------------- lookups
def get_campaign(store: Store, workspace: str, ref: str) -> dict[str, Any]:
    """The campaign ``ref`` names (its id, or a name unique in the workspace), or NotFoundError."""
    from microscout.tracking.campaigns import resolve_campaign

    return resolve_campaign(store, workspace, ref)


def creator_ref(store: Store, platform: str, creator_id: str) -> str:
    """``platform:handle`` (``platform:creator_id`` when the handle is unknown)."""
    rows = store.raw.execute(
        "SELECT handle FROM creators WHERE platform = ? AND creator_id = ?", [platform, creator_id]
    ).fetchall()
    handle = rows[0][0] if rows and rows[0][0] else creator_id
    return f"{platform}:{handle}"


def campaign_creators(store: Store, workspace: str, campaign_id: str) -> list[tuple[str, str]]:
    """The ``(platform, creator_id)`` of every placement of a campaign, in placement order."""
    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    rows = scoped_rows(
        store,
        "placements",
        workspace,
        where="campaign_id = ? AND creator_id IS NOT NULL",
        params=[cid],
        columns="platform, creator_id",
        order_by="placement_id",
    )
    return list(dict.fromkeys((r["platform"], r["creator_id"]) for r in rows))


def _outreach_row(store: Store, workspace: str, campaign_id: str, platform: str, creator_id: str) -> dict[str, Any]:
    rows = scoped_rows(
        store,
        "outreach",
        workspace,
        where="campaign_id = ? AND platform = ? AND creator_id = ?",
        params=[campaign_id, platform, creator_id],
    )
    if not rows:
        ref = creator_ref(store, platform, creator_id)
        raise NotFoundError(
            f"{ref} is not in the pipeline of campaign {campaign_id!r}; add it with microscout outreach add"
        )
    return rows[0]


# ------------------------------------------------------------------------------------ writes
def add_prospects(
    store: Store,
    workspace: str,
    campaign_id: str,
    creators: Iterable[tuple[str, str]],
    actor: str | None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Put creators in a campaign's pipeline as prospects; creators already in it stay where they are.

    The contact e-mail recorded is the creator's public business address (``creators.contact_email``).
    Returns ``{"campaign_id", "added": [refs], "already": [refs]}``.
    """
    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    wanted = list(dict.fromkeys(creators))
    at = now or utcnow()
    known: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for platform, creator_id in wanted:
        rows = store.raw.execute(
            "SELECT handle, contact_email FROM creators WHERE platform = ? AND creator_id = ?", [platform, creator_id]
        ).fetchall()
        if not rows:
            raise NotFoundError(f"no creator {platform}:{creator_id} in the store")
        known[(platform, creator_id)] = (rows[0][0], rows[0][1])
    present = {
        (r["platform"], r["creator_id"])
        for r in scoped_rows(
            store, "outreach", workspace, where="campaign_id = ?", params=[cid], columns="platform, creator_id"
        )
    }
    added, already, rows_out, events = [], [], [], []
    for platform, creator_id in wanted:
        handle, email = known[(platform, creator_id)]
        ref = f"{platform}:{handle or creator_id}"
        if (platform, creator_id) in present:
            already.append(ref)
            continue
        added.append(ref)
        rows_out.append(
            {
                "campaign_id": cid,
                "platform": platform,
                "creator_id": creator_id,
                "status": "prospect",
                "contact_email": email,
                "updated_at": at,
                "updated_by": actor,
            }
        )
        events.append(_event(cid, platform, creator_id, None, "prospect", at, actor, None))
    with store.transaction():
        store.insert_rows("outreach", rows_out, workspace=workspace)
        store.insert_rows("outreach_events", events, workspace=workspace)
    return {"campaign_id": cid, "added": added, "already": already}


def _event(
    campaign_id: str,
    platform: str,
    creator_id: str,
    from_status: str | None,
    to_status: str,
    at: dt.datetime,
    actor: str | None,
    note: str | None,
) -> dict[str, Any]:
    return {
        "event_id": _event_id(),
        "campaign_id": campaign_id,
        "platform": platform,
        "creator_id": creator_id,
        "from_status": from_status,
        "to_status": to_status,
        "at": at,
        "actor": actor,
        "note": note,
    }


def check_transition(ref: str, from_status: str, to_status: str) -> None:
    """Raise InvalidInputError unless ``from_status → to_status`` is in :data:`TRANSITIONS`."""
    if to_status not in TRANSITIONS:
        raise InvalidInputError(f"unknown outreach status {to_status!r}; use one of {', '.join(STATUSES)}")
    allowed = TRANSITIONS.get(from_status, ())
    if to_status not in allowed:
        options = ", ".join(allowed) if allowed else f"none ({from_status} is final)"
        raise InvalidInputError(f"cannot move {ref} from {from_status} to {to_status}; allowed: {options}")


def set_status(
    store: Store,
    workspace: str,
    campaign_id: str,
    platform: str,
    creator_id: str,
    to_status: str,
    actor: str | None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Move a creator along the pipeline (see :data:`TRANSITIONS`); the change goes to the history."""
    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    row = _outreach_row(store, workspace, cid, platform, creator_id)
    ref = creator_ref(store, platform, creator_id)
    check_transition(ref, row["status"], to_status)
    at = now or utcnow()
    clean_note = note.strip()[:2000] if note and note.strip() else None
    with store.transaction():
        store.insert_rows(
            "outreach",
            [
                {
                    "campaign_id": cid,
                    "platform": platform,
                    "creator_id": creator_id,
                    "status": to_status,
                    "updated_at": at,
                    "updated_by": actor,
                }
            ],
            workspace=workspace,
        )
        store.insert_rows(
            "outreach_events",
            [_event(cid, platform, creator_id, row["status"], to_status, at, actor, clean_note)],
            workspace=workspace,
        )
        if to_status == "booked":
            store.raw.execute(
                "UPDATE placements SET status = 'booked' WHERE workspace_id = ? AND campaign_id = ? "
                "AND platform = ? AND creator_id = ? AND coalesce(status, '') <> 'removed'",
                [workspace, cid, platform, creator_id],
            )
    return {"campaign_id": cid, "creator": ref, "from_status": row["status"], "status": to_status, "at": at}


# ------------------------------------------------------------------------------------- reads
def pipeline(store: Store, workspace: str, campaign_id: str) -> dict[str, Any]:
    """A campaign's pipeline: one row per creator and the count in every status."""
    campaign = get_campaign(store, workspace, campaign_id)
    cid = campaign["campaign_id"]
    cur = store.raw.execute(
        "SELECT o.platform, o.creator_id, c.handle, c.display_name, o.status, "
        "coalesce(c.contact_email, o.contact_email) AS contact_email, o.updated_at, o.updated_by "
        "FROM outreach o LEFT JOIN creators c ON c.platform = o.platform AND c.creator_id = o.creator_id "
        "WHERE o.workspace_id = ? AND o.campaign_id = ? ORDER BY o.platform, coalesce(c.handle, o.creator_id)",
        [workspace, cid],
    )
    names = [d[0] for d in cur.description]
    creators = []
    for values in cur.fetchall():
        r = dict(zip(names, values, strict=True))
        creators.append(
            {
                "creator": f"{r['platform']}:{r['handle'] or r['creator_id']}",
                "platform": r["platform"],
                "creator_id": r["creator_id"],
                "display_name": r["display_name"],
                "status": r["status"],
                "contact_email": r["contact_email"],
                "updated_at": r["updated_at"],
                "updated_by": r["updated_by"],
            }
        )
    counts = dict.fromkeys(STATUSES, 0)
    for c in creators:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return {"campaign_id": cid, "name": campaign["name"], "counts": counts, "creators": creators}


def history(
    store: Store,
    workspace: str,
    campaign_id: str,
    *,
    platform: str | None = None,
    creator_id: str | None = None,
) -> list[dict[str, Any]]:
    """Every pipeline change of a campaign (or of one creator in it), oldest first."""
    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    where, params = "campaign_id = ?", [cid]
    if platform is not None and creator_id is not None:
        where += " AND platform = ? AND creator_id = ?"
        params += [platform, creator_id]
    rows = scoped_rows(store, "outreach_events", workspace, where=where, params=params, order_by='"at", event_id')
    refs: dict[tuple[str, str], str] = {}
    out = []
    for r in rows:
        key = (r["platform"], r["creator_id"])
        if key not in refs:
            refs[key] = creator_ref(store, *key)
        out.append(
            {
                "at": r["at"],
                "creator": refs[key],
                "from_status": r["from_status"],
                "to_status": r["to_status"],
                "actor": r["actor"],
                "note": r["note"],
                "event_id": r["event_id"],
            }
        )
    return out


# ------------------------------------------------------------------------------------- sending
def send_campaign(
    store: Store,
    workspace: str,
    settings: Settings,
    campaign_id: str,
    template: str,
    *,
    actor: str | None = None,
    statuses: Sequence[str] = DEFAULT_SEND_STATUSES,
    dry_run: bool = False,
    resend: bool = False,
    environ: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """E-mail one rendered message to every creator of the pipeline (in ``statuses``) with a contact e-mail.

    Each message is stored in ``messages`` as ``sent``, ``failed`` (with the server's error) or
    ``skipped`` (no contact e-mail, a merge field without a value, or already sent with this
    template unless ``resend``). A sent message moves a prospect to ``contacted``. After a
    connection or login failure the remaining messages are marked failed without trying again.
    With ``dry_run`` nothing is sent or stored: the rows say what would happen.
    """
    from microscout.mail import PASSWORD_ENV, MailError, SmtpConfig, send_email, smtp_password
    from microscout.templates import message_id, render_for_campaign, to_html

    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    config = None if dry_run else SmtpConfig.from_settings(settings)
    if config is not None and config.username and not smtp_password(environ):
        raise InvalidInputError(f"SMTP username is set but {PASSWORD_ENV} is not: export the password to send")
    rendered = render_for_campaign(store, workspace, cid, template, statuses=statuses)
    already: set[tuple[str, str, str]] = set()
    if not resend:
        already = {
            (r["platform"], r["creator_id"], r["template_id"])
            for r in scoped_rows(
                store,
                "messages",
                workspace,
                where="campaign_id = ? AND status = 'sent'",
                params=[cid],
                columns="platform, creator_id, template_id",
            )
        }
    results: list[dict[str, Any]] = []
    broken: str | None = None  # the error of a connection or login failure: nothing more is tried
    for msg in rendered:
        at = now or utcnow()
        status, error = "sent", None
        if not msg.to_address:
            status, error = "skipped", "no public contact e-mail"
        elif msg.missing:
            status, error = "skipped", f"no value for merge field(s): {', '.join(msg.missing)}"
        elif (msg.platform, msg.creator_id, msg.template_id) in already:
            status, error = "skipped", "already sent with this template (use --resend to send again)"
        elif dry_run:
            status = "would send"
        elif broken is not None:
            status, error = "failed", broken
        else:
            assert config is not None
            try:
                send_email(
                    config,
                    msg.to_address,
                    msg.subject,
                    msg.body,
                    html=to_html(msg),
                    language=msg.language,
                    environ=environ,
                )
            except MailError as exc:
                status, error = "failed", exc.message
                if exc.stage in ("connect", "login"):
                    broken = exc.message
            except InvalidInputError as exc:  # e.g. a contact e-mail that is not an address
                status, error = "failed", exc.message
        row = {
            "message_id": message_id(msg, unique=True),
            "campaign_id": msg.campaign_id,
            "platform": msg.platform,
            "creator_id": msg.creator_id,
            "template_id": msg.template_id,
            "to_address": msg.to_address,
            "subject": msg.subject,
            "body": msg.body,
            "status": status,
            "sent_at": at if status == "sent" else None,
            "error": error,
        }
        if not dry_run:
            store.insert_rows("messages", [row], workspace=workspace)
            if status == "sent" and msg.status == "prospect":
                set_status(
                    store,
                    workspace,
                    msg.campaign_id,
                    msg.platform,
                    msg.creator_id,
                    "contacted",
                    actor,
                    note=f"e-mail {row['message_id']} sent",
                    now=at,
                )
        results.append({"creator": msg.creator, "to_address": msg.to_address, "status": status, "error": error})
    return results
