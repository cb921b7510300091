"""Deliverable proof: screenshots and insights exports for content the platform APIs cannot collect.

A creator's story or a private insights page cannot be collected, so the creator (or the team)
uploads proof: a PNG, JPEG, WebP or PDF screenshot, or a CSV insights export, with the figures
it shows (:data:`REPORTED_KEYS`). The type is decided by the file's content (its magic bytes),
never by its name; the file is copied to ``<store folder>/proofs/<workspace>/<sha256>.<ext>``.

A proof counts as a delivered deliverable of its placement, flagged **self-reported**: it is also
written to ``campaign_posts`` (``role = 'deliverable'``, ``self_reported = true``,
``post_id = 'proof:<proof_id>'``), so deliverable status and campaign reports include it and can
tell it apart from collected posts. The same file for the same placement is one proof.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from microscout.brief import DELIVERABLE_KINDS
from microscout.config import Settings
from microscout.errors import InvalidInputError, NotFoundError
from microscout.outreach import get_campaign
from microscout.store import Store, utcnow
from microscout.workspace import scoped_rows

__all__ = ["MEDIA_TYPES", "REPORTED_KEYS", "add_proof", "detect_type", "list_proofs", "proof_folder"]

REPORTED_KEYS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves", "link_clicks")
# detected type -> (media type, stored extension)
MEDIA_TYPES = {
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv", "csv"),
}
_WORKSPACE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CSV_PROBE = 64 * 1024


def detect_type(data: bytes, name: str) -> str | None:
    """``png``, ``jpeg``, ``webp``, ``pdf`` or ``csv`` from the content; None for anything else.

    A CSV has no magic bytes: it must be named ``.csv``, be UTF-8 text without NUL bytes, and
    have a header row with a delimiter.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if name.lower().endswith(".csv") and _looks_like_csv(data):
        return "csv"
    return None


def _looks_like_csv(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    first = text[:_CSV_PROBE].splitlines()[0] if text.strip() else ""
    if not any(d in first for d in (",", ";", "\t")):
        return False
    try:
        for _ in csv.reader(io.StringIO(text[:_CSV_PROBE])):
            pass
    except csv.Error:
        return False
    return True


def proof_folder(store: Store, workspace: str) -> Path:
    """Where a workspace's proof files live: ``<store folder>/proofs/<workspace>``."""
    if store.location == ":memory:":
        raise InvalidInputError("proof files are kept next to the store: open a store file, not :memory:")
    if not _WORKSPACE.match(workspace):
        raise InvalidInputError(f"workspace {workspace!r} cannot name a folder; use letters, digits, _ and -")
    return Path(store.location).expanduser().resolve().parent / "proofs" / workspace


def _reported(values: Mapping[str, Any] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in (values or {}).items():
        if key not in REPORTED_KEYS:
            raise InvalidInputError(f"reported figure {key!r} is not one of {', '.join(REPORTED_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidInputError(f"reported {key} must be a whole number, got {value!r}")
        if isinstance(value, str):
            text = value.strip().replace("_", "")
            if not text.isdigit():
                raise InvalidInputError(f"reported {key} must be a non-negative whole number, got {value!r}")
            value = int(text)
        if value < 0:
            raise InvalidInputError(f"reported {key} must be a non-negative whole number, got {value}")
        out[key] = value
    return dict(sorted(out.items()))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _placement(store: Store, workspace: str, campaign_id: str, placement_id: str) -> dict[str, Any]:
    rows = scoped_rows(
        store, "placements", workspace, where="placement_id = ? AND campaign_id = ?", params=[placement_id, campaign_id]
    )
    if not rows:
        raise NotFoundError(f"no placement {placement_id!r} in campaign {campaign_id!r}")
    return rows[0]


def _check_kind(kind: str, placement: Mapping[str, Any]) -> str:
    kind = kind.strip().lower()
    if kind not in DELIVERABLE_KINDS:
        raise InvalidInputError(f"deliverable kind {kind!r} is not one of {', '.join(DELIVERABLE_KINDS)}")
    try:
        owed = [d.get("kind") for d in json.loads(placement.get("deliverables") or "[]") if isinstance(d, dict)]
    except ValueError:
        owed = []
    if owed and kind not in owed:
        raise InvalidInputError(
            f"placement {placement['placement_id']} owes no {kind}; its deliverables are {', '.join(map(str, owed))}"
        )
    return kind


def _read(file_path: Path, max_bytes: int) -> bytes:
    name = file_path.name
    if not file_path.is_file():
        raise NotFoundError(f"{file_path}: no such file")
    size = file_path.stat().st_size
    if size == 0:
        raise InvalidInputError(f"{name}: the file is empty")
    if size > max_bytes:
        raise InvalidInputError(
            f"{name}: {size / 2**20:.1f} MiB is over the {max_bytes / 2**20:g} MiB limit (MICROSCOUT_PROOF_MAX_MB)"
        )
    with file_path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while we looked
        raise InvalidInputError(f"{name}: over the {max_bytes / 2**20:g} MiB limit (MICROSCOUT_PROOF_MAX_MB)")
    return data


def _store_file(folder: Path, digest: str, ext: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.{ext}"
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return target
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def add_proof(
    store: Store,
    workspace: str,
    settings: Settings,
    campaign_id: str,
    placement_id: str,
    file_path: str | Path,
    *,
    reported: Mapping[str, Any] | None = None,
    kind: str,
    published_at: dt.datetime | None = None,
    uploaded_by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a proof file for a placement and count it as a self-reported deliverable.

    Returns the proof (with ``created``: False when this file was already the placement's proof;
    its figures, kind and date are then updated).
    """
    campaign = get_campaign(store, workspace, campaign_id)
    cid = campaign["campaign_id"]
    placement = _placement(store, workspace, cid, placement_id)
    kind = _check_kind(kind, placement)
    figures = _reported(reported)
    path = Path(file_path)
    data = _read(path, settings.proof_max_mb * 2**20)
    detected = detect_type(data, path.name)
    if detected is None:
        raise InvalidInputError(
            f"{path.name}: the content is not a PNG, JPEG, WebP or PDF file or a CSV export "
            f"(the type is read from the file, not its name)"
        )
    media_type, ext = MEDIA_TYPES[detected]
    digest = hashlib.sha256(data).hexdigest()
    folder = proof_folder(store, workspace)
    proof_id = hashlib.sha256(f"{cid}\x1f{placement_id}\x1f{digest}".encode()).hexdigest()[:16]
    existing = scoped_rows(store, "proofs", workspace, where="proof_id = ?", params=[proof_id])
    at = now or utcnow()
    published = _utc(published_at)
    target = _store_file(folder, digest, ext, data)
    row = {
        "proof_id": proof_id,
        "campaign_id": cid,
        "placement_id": placement_id,
        "deliverable_kind": kind,
        "file_name": path.name[:255],
        "media_type": media_type,
        "size_bytes": len(data),
        "sha256": digest,
        "path": str(target.relative_to(folder.parent.parent)),
        "reported": json.dumps(figures),
        "published_at": published,
        "uploaded_at": existing[0]["uploaded_at"] if existing else at,
        "uploaded_by": existing[0]["uploaded_by"] if existing else uploaded_by,
    }
    due = placement.get("due_date")
    on_time = None
    if due is not None and published is not None:
        on_time = published < dt.datetime.combine(due, dt.time()) + dt.timedelta(days=1)
    post = {
        "campaign_id": cid,
        "platform": placement["platform"],
        "post_id": f"proof:{proof_id}",
        "creator_id": placement["creator_id"],
        "role": "deliverable",
        "placement_id": placement_id,
        "deliverable_kind": kind,
        "market": placement.get("market"),
        "published_at": published,
        "on_time": on_time,
        "disclosure": None,
        "self_reported": True,
        "classified_at": at,
    }
    with store.transaction():
        store.insert_rows("proofs", [row], workspace=workspace)
        store.insert_rows("campaign_posts", [post], workspace=workspace)
    return {**_proof_out(row), "created": not existing}


def _proof_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "proof_id": row["proof_id"],
        "campaign_id": row["campaign_id"],
        "placement_id": row["placement_id"],
        "kind": row["deliverable_kind"],
        "file_name": row["file_name"],
        "media_type": row["media_type"],
        "size_bytes": row["size_bytes"],
        "sha256": row["sha256"],
        "path": row["path"],
        "reported": json.loads(row["reported"]) if row.get("reported") else {},
        "published_at": row["published_at"],
        "uploaded_at": row["uploaded_at"],
        "uploaded_by": row["uploaded_by"],
        "self_reported": True,
    }


def list_proofs(store: Store, workspace: str, campaign_id: str) -> list[dict[str, Any]]:
    """A campaign's proofs, newest upload first."""
    cid = get_campaign(store, workspace, campaign_id)["campaign_id"]
    rows = scoped_rows(
        store, "proofs", workspace, where="campaign_id = ?", params=[cid], order_by="uploaded_at DESC, proof_id"
    )
    return [_proof_out(r) for r in rows]
