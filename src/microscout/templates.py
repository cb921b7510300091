"""Outreach message templates: a subject and a body in one language, with merge fields.

Merge fields are written ``{name}`` and only these exist (:data:`MERGE_FIELDS`):

* ``{creator_name}`` — the creator's display name (their handle when they have none)
* ``{handle}`` — the handle, without ``@``
* ``{brand}`` / ``{campaign}`` — the campaign's brand and name
* ``{deliverables}`` — the placement's deliverables, e.g. ``1 × reel, 2 × story``
* ``{fee}`` — the placement's agreed fee with its currency, e.g. ``€1,200.00``
* ``{due_date}`` — the placement's due date (``YYYY-MM-DD``)

Templates are parsed with :class:`string.Formatter` (no Jinja, no ``eval``, no attribute or
index access): ``{{`` and ``}}`` write literal braces, and a field that is not in the list is
refused when the template is saved. A field without a value when rendering is reported: the
rendered text keeps its ``{placeholder}`` and the field is listed as missing.

Text is kept exactly as written in every language. Right-to-left languages (:data:`RTL_LANGUAGES`:
Arabic, Hebrew, Persian, Urdu) are marked ``dir="rtl"`` in the HTML (and in the HTML part of
``.eml`` files), and every merged value is wrapped in ``<bdi>`` so a Latin handle inside Arabic text
keeps its own direction.

>>> render("Olá {creator_name}!", {"creator_name": "Ana"})
('Olá Ana!', [])
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import re
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from microscout.cells import safe_cell
from microscout.errors import InvalidInputError, NotFoundError
from microscout.outreach import DEFAULT_SEND_STATUSES, get_campaign
from microscout.store import Store, utcnow
from microscout.workspace import scoped_delete, scoped_rows

__all__ = [
    "MERGE_FIELDS",
    "RTL_LANGUAGES",
    "RenderedMessage",
    "delete_template",
    "export_csv",
    "export_eml",
    "get_template",
    "list_templates",
    "message_id",
    "record_exported",
    "render",
    "render_for_campaign",
    "render_template",
    "resolve_templates",
    "save_template",
    "template_fields",
    "text_direction",
    "to_eml",
    "to_html",
]

MERGE_FIELDS = ("creator_name", "handle", "brand", "deliverables", "fee", "campaign", "due_date")
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
MAX_SUBJECT = 300
MAX_BODY = 20_000
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_TEMPLATE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FORMATTER = string.Formatter()


# ---------------------------------------------------------------------------------- parsing
def _parse(text: str, what: str) -> list[tuple[str, str | None]]:
    """``(literal, field or None)`` pieces of a template, or a one-line error naming the problem."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise InvalidInputError(f"{what}: {exc} (write {{{{ and }}}} for literal braces)") from exc
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, None))
            continue
        if name not in MERGE_FIELDS:
            shown = name or "{}"
            raise InvalidInputError(f"{what}: unknown merge field {shown!r}; use one of {', '.join(MERGE_FIELDS)}")
        if spec or conversion:
            raise InvalidInputError(f"{what}: merge field {name!r} takes no format or conversion; write {{{name}}}")
        pieces.append((literal, name))
    return pieces


def template_fields(text: str, what: str = "template") -> list[str]:
    """The merge fields ``text`` uses, in order of first use; unknown fields are refused."""
    return list(dict.fromkeys(name for _, name in _parse(text, what) if name))


def is_rtl(language: str | None) -> bool:
    return bool(language) and str(language).split("-")[0].lower() in RTL_LANGUAGES


def text_direction(language: str | None) -> str:
    """``rtl`` for Arabic, Hebrew, Persian and Urdu, else ``ltr``."""
    return "rtl" if is_rtl(language) else "ltr"


def render(
    text: str, values: Mapping[str, Any], *, allow_missing: bool = False, what: str = "template"
) -> tuple[str, list[str]]:
    """Fill the merge fields of ``text``: ``(rendered text, fields without a value)``.

    A field without a value (absent, None or empty) raises InvalidInputError listing every such
    field, unless ``allow_missing``: then it keeps its ``{placeholder}`` and is listed.
    """
    out, missing = _fill(text, values, what, escape=False)
    if missing and not allow_missing:
        raise InvalidInputError(f"{what}: no value for merge field(s) {', '.join(missing)}")
    return out, missing


def _fill(text: str, values: Mapping[str, Any], what: str, *, escape: bool) -> tuple[str, list[str]]:
    parts: list[str] = []
    missing: list[str] = []
    for literal, name in _parse(text, what):
        parts.append(html.escape(literal) if escape else literal)
        if name is None:
            continue
        value = values.get(name)
        if value is None or value == "":
            missing.append(name)
            parts.append("{" + name + "}")
        else:
            parts.append(f"<bdi>{html.escape(str(value))}</bdi>" if escape else str(value))
    return "".join(parts), list(dict.fromkeys(missing))


def _html_body(text: str, values: Mapping[str, Any], what: str) -> str:
    """The body as HTML paragraphs: text escaped, merged values in ``<bdi>``, line breaks kept."""
    filled, _ = _fill(text.replace("\r\n", "\n"), values, what, escape=True)
    paragraphs = [p for p in re.split(r"\n\s*\n", filled) if p.strip()]
    return "\n".join("<p>" + p.strip("\n").replace("\n", "<br>\n") + "</p>" for p in paragraphs)


# -------------------------------------------------------------------------------- templates
def _language(value: str) -> str:
    value = value.strip()
    if not _LANGUAGE.match(value):
        raise InvalidInputError(f"language {value!r} is not a language code such as en, pt-BR, ar or ja")
    head, *rest = value.split("-")
    return "-".join([head.lower(), *rest])


def _template_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "template_id": row["template_id"],
        "name": row["name"],
        "language": row["language"],
        "direction": text_direction(row["language"]),
        "subject": row["subject"],
        "body": row["body"],
        "fields": template_fields(row["subject"] + "\n" + row["body"]),
        "created_at": row["created_at"],
    }


def save_template(
    store: Store,
    workspace: str,
    *,
    name: str,
    language: str,
    subject: str,
    body: str,
    template_id: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a template (a new one, or replace ``template_id``); unknown merge fields are refused."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInputError("template name must be 1 to 200 characters")
    if not subject.strip() or "\n" in subject or "\r" in subject or len(subject) > MAX_SUBJECT:
        raise InvalidInputError(f"template subject must be one line of 1 to {MAX_SUBJECT} characters")
    if not body.strip() or len(body) > MAX_BODY:
        raise InvalidInputError(f"template body must be 1 to {MAX_BODY} characters")
    template_fields(subject, "template subject")
    template_fields(body, "template body")
    created = now or utcnow()
    if template_id is not None:
        created = get_template(store, workspace, template_id)["created_at"]
    row = {
        "template_id": template_id or uuid.uuid4().hex[:12],
        "name": name,
        "language": _language(language),
        "subject": subject.strip(),
        "body": body,
        "created_at": created,
    }
    store.insert_rows("templates", [row], workspace=workspace)
    return _template_out(row)


def list_templates(store: Store, workspace: str) -> list[dict[str, Any]]:
    rows = scoped_rows(store, "templates", workspace, order_by="name, language, template_id")
    return [_template_out(r) for r in rows]


def get_template(store: Store, workspace: str, template_id: str) -> dict[str, Any]:
    rows = []
    if _TEMPLATE_ID.match(template_id):
        rows = scoped_rows(store, "templates", workspace, where="template_id = ?", params=[template_id])
    if not rows:
        raise NotFoundError(f"no template {template_id!r} in this workspace")
    return _template_out(rows[0])


def delete_template(store: Store, workspace: str, template_id: str) -> None:
    get_template(store, workspace, template_id)
    scoped_delete(store, "templates", workspace, where="template_id = ?", params=[template_id])


def resolve_templates(store: Store, workspace: str, ref: str) -> list[dict[str, Any]]:
    """The template ``ref`` names: one template by id, or every language of a template name."""
    ref = ref.strip()
    if _TEMPLATE_ID.match(ref):
        rows = scoped_rows(store, "templates", workspace, where="template_id = ?", params=[ref])
        if rows:
            return [_template_out(rows[0])]
    rows = scoped_rows(
        store, "templates", workspace, where="lower(name) = lower(?)", params=[ref], order_by="language, template_id"
    )
    if not rows:
        raise NotFoundError(f"no template {ref!r} in this workspace")
    return [_template_out(r) for r in rows]


def pick_template(templates: Sequence[Mapping[str, Any]], language: str | None) -> Mapping[str, Any]:
    """The template in ``language`` (exact, then same base language), else English, else the first."""
    if len(templates) == 1 or not language:
        return _fallback(templates)
    lang = language.lower()
    for t in templates:
        if t["language"].lower() == lang:
            return t
    for t in templates:
        if t["language"].split("-")[0].lower() == lang.split("-")[0]:
            return t
    return _fallback(templates)


def _fallback(templates: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    for t in templates:
        if t["language"].split("-")[0].lower() == "en":
            return t
    return templates[0]


def render_template(
    template: Mapping[str, Any], values: Mapping[str, Any], *, allow_missing: bool = False
) -> dict[str, Any]:
    """``{subject, body, html_body, language, direction, missing}`` of a template filled with ``values``."""
    name = template.get("name") or template.get("template_id") or "template"
    subject, miss_s = render(template["subject"], values, allow_missing=True, what=f"template {name!r} subject")
    body, miss_b = render(template["body"], values, allow_missing=True, what=f"template {name!r}")
    missing = list(dict.fromkeys(miss_s + miss_b))
    if missing and not allow_missing:
        raise InvalidInputError(f"template {name!r}: no value for merge field(s) {', '.join(missing)}")
    return {
        "subject": re.sub(r"[\r\n]+", " ", subject),  # a merged value never breaks the subject line
        "body": body,
        "html_body": _html_body(template["body"], values, f"template {name!r}"),
        "language": template["language"],
        "direction": text_direction(template["language"]),
        "missing": missing,
    }


# -------------------------------------------------------------------------------- campaigns
@dataclass
class RenderedMessage:
    """One outreach message for one creator of a campaign's pipeline."""

    campaign_id: str
    platform: str
    creator_id: str
    creator: str
    status: str
    template_id: str
    language: str
    to_address: str | None
    subject: str
    body: str
    html_body: str
    missing: list[str] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return text_direction(self.language)


def format_deliverables(raw: Any) -> str | None:
    """``1 × reel, 2 × story`` from a placement's ``[{kind, count}]`` JSON."""
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(items, list) or not items:
        return None
    parts = [f"{int(i.get('count', 1))} × {i['kind']}" for i in items if isinstance(i, dict) and i.get("kind")]
    return ", ".join(parts) or None


def _fee(fee: Any, currency: str | None) -> str | None:
    if fee is None:
        return None
    from microscout.cost.money import format_money

    return format_money(Decimal(fee), currency) if currency else f"{Decimal(fee):,.2f}"


_MERGE_SQL = """
SELECT o.platform, o.creator_id, o.status, c.handle, c.display_name, c.declared_language,
       coalesce(c.contact_email, o.contact_email) AS contact_email,
       p.deliverables, p.fee, p.currency, p.due_date
FROM outreach o
LEFT JOIN creators c ON c.platform = o.platform AND c.creator_id = o.creator_id
LEFT JOIN (
    SELECT * FROM placements
    WHERE workspace_id = ? AND campaign_id = ? AND coalesce(status, '') <> 'removed'
    QUALIFY row_number() OVER (PARTITION BY platform, creator_id ORDER BY placement_id) = 1
) p ON p.platform = o.platform AND p.creator_id = o.creator_id
WHERE o.workspace_id = ? AND o.campaign_id = ? AND list_contains(?, o.status)
ORDER BY o.platform, coalesce(c.handle, o.creator_id)
"""


def render_for_campaign(
    store: Store,
    workspace: str,
    campaign_id: str,
    template: str,
    *,
    statuses: Sequence[str] = DEFAULT_SEND_STATUSES,
) -> list[RenderedMessage]:
    """One message per creator of the campaign's pipeline (in ``statuses``), in their language.

    ``template`` is a template id or a name; a name with several languages gives each creator
    the one in their declared language (else English, else the first). Values come from the
    creator (``creators``), the campaign (``campaigns``) and the creator's first placement in
    the campaign (``placements``). Missing values are listed in each message's ``missing``.
    """
    campaign = get_campaign(store, workspace, campaign_id)
    cid = campaign["campaign_id"]
    templates = resolve_templates(store, workspace, template)
    cur = store.raw.execute(_MERGE_SQL, [workspace, cid, workspace, cid, list(statuses)])
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        r = dict(zip(names, values, strict=True))
        handle = r["handle"] or None
        merge = {
            "creator_name": r["display_name"] or handle,
            "handle": handle,
            "brand": campaign.get("brand"),
            "campaign": campaign.get("name"),
            "deliverables": format_deliverables(r["deliverables"]),
            "fee": _fee(r["fee"], r["currency"]),
            "due_date": r["due_date"].isoformat() if r["due_date"] else None,
        }
        chosen = pick_template(templates, r["declared_language"])
        filled = render_template(chosen, merge, allow_missing=True)
        out.append(
            RenderedMessage(
                campaign_id=cid,
                platform=r["platform"],
                creator_id=r["creator_id"],
                creator=f"{r['platform']}:{handle or r['creator_id']}",
                status=r["status"],
                template_id=chosen["template_id"],
                language=chosen["language"],
                to_address=r["contact_email"] or None,
                subject=filled["subject"],
                body=filled["body"],
                html_body=filled["html_body"],
                missing=filled["missing"],
            )
        )
    return out


# ---------------------------------------------------------------------------------- exports
def to_html(msg: RenderedMessage) -> str:
    """A standalone HTML document of the message, ``lang`` and ``dir`` set from its language."""
    lang = html.escape(msg.language, quote=True)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{msg.direction}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(msg.subject)}</title></head>\n"
        f'<body dir="{msg.direction}">\n{msg.html_body}\n</body>\n</html>\n'
    )


def to_eml(msg: RenderedMessage, *, from_address: str | None = None) -> bytes:
    """An unsent e-mail draft (``X-Unsent: 1``): a plain-text body and its HTML alternative."""
    email = EmailMessage()
    if from_address:
        email["From"] = from_address
    if msg.to_address:
        email["To"] = msg.to_address
    email["Subject"] = msg.subject
    email["X-Unsent"] = "1"
    email.set_content(msg.body)
    email.add_alternative(to_html(msg), subtype="html")
    email["Content-Language"] = msg.language  # after the multipart is made, so it stays on the top level
    return email.as_bytes()


def _file_stem(msg: RenderedMessage) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{msg.platform}_{msg.creator_id}").strip("._")
    return stem[:100] or "message"


def export_eml(
    messages: Sequence[RenderedMessage], folder: str | Path, *, from_address: str | None = None, html_too: bool = False
) -> list[Path]:
    """Write one ``.eml`` draft per message (and an ``.html`` twin with ``html_too``) into ``folder``."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for msg in messages:
        stem = base = _file_stem(msg)
        k = 1
        while stem in used:
            k += 1
            stem = f"{base}-{k}"
        used.add(stem)
        path = root / f"{stem}.eml"
        path.write_bytes(to_eml(msg, from_address=from_address))
        written.append(path)
        if html_too:
            page = root / f"{stem}.html"
            page.write_text(to_html(msg), encoding="utf-8")
            written.append(page)
    return written


CSV_COLUMNS = ("creator", "platform", "creator_id", "status", "language", "direction", "to_address", "subject",
               "body", "missing")  # fmt: skip


def export_csv(messages: Sequence[RenderedMessage], path: str | Path) -> int:
    """Write the messages to one CSV file (formula-neutralised); returns the number of rows."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for msg in messages:
            row = {c: getattr(msg, c) for c in CSV_COLUMNS if c != "missing"}
            row["missing"] = ", ".join(msg.missing)
            writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return len(messages)


def message_id(msg: RenderedMessage, *, unique: bool = False) -> str:
    """The id a message is stored under: content-derived (an export repeated is one row) or unique."""
    if unique:
        return uuid.uuid4().hex[:16]
    key = "\x1f".join([msg.campaign_id, msg.platform, msg.creator_id, msg.template_id, msg.subject, msg.body])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def record_exported(store: Store, workspace: str, messages: Sequence[RenderedMessage]) -> int:
    """Store exported messages in ``messages`` (status ``exported``; the same text twice is one row)."""
    rows = [
        {
            "message_id": message_id(m),
            "campaign_id": m.campaign_id,
            "platform": m.platform,
            "creator_id": m.creator_id,
            "template_id": m.template_id,
            "to_address": m.to_address,
            "subject": m.subject,
            "body": m.body,
            "status": "exported",
            "sent_at": None,
            "error": None,
        }
        for m in messages
    ]
    store.insert_rows("messages", rows, workspace=workspace)
    return len(rows)
