"""Privacy: the installation secret, pseudonymised audience ids, sealed tokens, retention, forget.

- Audience accounts (followers, commenters) are stored under a keyed hash (HMAC-SHA256) of their
  platform id with the installation secret, never under their username.
- OAuth tokens are sealed at rest with keys derived from the same secret.
- ``forget_creator`` deletes a creator and everything derived from them, and leaves an audit-log
  entry that names the creator only by pseudonym.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from pathlib import Path
from typing import Any

from microscout.config import Settings
from microscout.errors import InvalidInputError
from microscout.store import Store, parse_url, utcnow
from microscout.store.migrations import quote

__all__ = [
    "Pseudonymiser",
    "apply_comment_retention",
    "derive_key",
    "forget_creator",
    "installation_secret",
    "seal",
    "sidecar_path",
    "unseal",
]

logger = logging.getLogger(__name__)

_PROCESS_SECRET = secrets.token_hex(32).encode()  # in-memory stores only: stable for this process


def sidecar_path(settings: Settings, suffix: str) -> Path | None:
    """A file kept next to the store (``<store>.<suffix>``); None for an in-memory store."""
    kind, location = parse_url(settings.db)
    if location == ":memory:":
        return None
    path = Path(location).expanduser()
    if kind == "parquet":
        return path / f"_microscout.{suffix}"
    return path.with_name(f"{path.name}.{suffix}")


def installation_secret(settings: Settings) -> bytes:
    """The installation secret: ``MICROSCOUT_SECRET`` if set, else a file next to the store.

    The file (``<store>.secret``, mode 0600) is created on first use. It never goes into the store,
    so an exported or shared store does not carry the key to its pseudonyms.
    """
    if settings.secret is not None:
        value = settings.secret.get_secret_value().strip()
        if len(value) < 16:
            raise InvalidInputError("MICROSCOUT_SECRET is too short: use at least 16 characters")
        return value.encode()
    path = sidecar_path(settings, "secret")
    if path is None:
        logger.warning("in-memory store: pseudonyms use a per-process secret (set MICROSCOUT_SECRET to keep them)")
        return _PROCESS_SECRET
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created concurrently: read it below
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the installation secret."""
    return hmac.new(secret, b"microscout/" + purpose.encode(), hashlib.sha256).digest()


class Pseudonymiser:
    """Keyed hash of a platform account id: stable per installation, not reversible without the secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = derive_key(secret, "pseudonym/v1")

    def __call__(self, platform: str, raw_id: str) -> str:
        digest = hmac.new(self._key, f"{platform}\x1f{raw_id}".encode(), hashlib.sha256).hexdigest()
        return "p_" + digest[:32]


# ---- sealing (encrypt-then-MAC with HMAC-SHA256 as the keystream PRF; stdlib only) -------------
_SEAL_VERSION = b"s1"


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def seal(plaintext: bytes, secret: bytes) -> str:
    """Encrypt and authenticate ``plaintext`` with keys derived from ``secret``."""
    enc, mac = derive_key(secret, "seal/enc"), derive_key(secret, "seal/mac")
    nonce = secrets.token_bytes(16)
    body = bytes(a ^ b for a, b in zip(plaintext, _keystream(enc, nonce, len(plaintext)), strict=True))
    tag = hmac.new(mac, _SEAL_VERSION + nonce + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(_SEAL_VERSION + nonce + body + tag).decode()


def unseal(token: str, secret: bytes) -> bytes:
    """Decrypt what :func:`seal` produced; a wrong secret or a changed byte is an error."""
    try:
        blob = base64.urlsafe_b64decode(token.encode())
    except ValueError as exc:
        raise InvalidInputError("sealed value is not valid base64") from exc
    if len(blob) < 2 + 16 + 32 or blob[:2] != _SEAL_VERSION:
        raise InvalidInputError("sealed value has an unknown format")
    nonce, body, tag = blob[2:18], blob[18:-32], blob[-32:]
    mac = derive_key(secret, "seal/mac")
    if not hmac.compare_digest(tag, hmac.new(mac, _SEAL_VERSION + nonce + body, hashlib.sha256).digest()):
        raise InvalidInputError("sealed value does not match this installation's secret (or was altered)")
    enc = derive_key(secret, "seal/enc")
    return bytes(a ^ b for a, b in zip(body, _keystream(enc, nonce, len(body)), strict=True))


# ---- retention ----------------------------------------------------------------------------------
def apply_comment_retention(store: Store, days: int | None, *, now: dt.datetime | None = None) -> int:
    """Erase the raw text of comments published more than ``days`` ago; derived signals stay."""
    if not days:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    with store.transaction():
        n = store.raw.execute(
            "SELECT count(*) FROM comments WHERE text IS NOT NULL AND published_at < ?", [cutoff]
        ).fetchall()[0][0]
        if n:
            store.raw.execute("UPDATE comments SET text = NULL WHERE text IS NOT NULL AND published_at < ?", [cutoff])
    return int(n)


# ---- forget -------------------------------------------------------------------------------------
_KEEP_AS_REMOVED = ("placements",)  # plan and campaign entries stay, marked removed, without the creator
_ANONYMISE = ("deals", "campaign_sales")  # the user's own prices and orders stay, without the creator


def _tables(store: Store) -> dict[str, list[str]]:
    rows = store.raw.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), []).append(str(column))
    return out


def _delete(store: Store, table: str, where: str, params: list[Any]) -> int:
    n = store.raw.execute(f"SELECT count(*) FROM {quote(table)} WHERE {where}", params).fetchall()[0][0]
    if n:
        store.raw.execute(f"DELETE FROM {quote(table)} WHERE {where}", params)
    return int(n)


def forget_creator(
    store: Store,
    platform: str,
    creator_id: str,
    *,
    workspace: str,
    actor: str = "cli",
    pseudonymise: Pseudonymiser | None = None,
) -> dict[str, int]:
    """Delete a creator and everything derived from them; return rows affected per table.

    Deleted: the creator, snapshots, posts and their signals, comments on those posts and the
    creator's own comments, audience edges and the audience accounts sampled only for this creator
    (with their scores), profiles, pods, authorised insights, shortlist rows, list items and notes in
    every workspace, quarantined payloads and run arguments that name them. Placements are kept
    and marked ``removed``; deals are kept without the creator. References from other people's
    posts (replies, quotes, reposts, mentions) are cleared. The audit-log entry names the creator
    only by pseudonym.
    """
    tables = _tables(store)
    handle_row = store.raw.execute(
        "SELECT handle FROM creators WHERE platform = ? AND creator_id = ?", [platform, creator_id]
    ).fetchall()
    handle = handle_row[0][0] if handle_row and handle_row[0][0] else None
    pk = [platform, creator_id]
    done: dict[str, int] = {}

    def note(table: str, n: int) -> None:
        if n:
            done[table] = done.get(table, 0) + n

    with store.transaction():
        raw = store.raw
        raw.execute(
            "CREATE OR REPLACE TEMP TABLE _forget_posts AS "
            "SELECT post_id FROM posts WHERE platform = ? AND creator_id = ?",
            pk,
        )
        raw.execute(
            "CREATE OR REPLACE TEMP TABLE _forget_comments AS SELECT comment_id FROM comments WHERE platform = ? AND "
            "(post_id IN (SELECT post_id FROM _forget_posts) OR author_id = ?)",
            pk,
        )
        raw.execute(
            "CREATE OR REPLACE TEMP TABLE _forget_accounts AS SELECT account_id FROM audience_edges e "
            "WHERE platform = ? AND creator_id = ? AND NOT EXISTS (SELECT 1 FROM audience_edges o WHERE "
            "o.platform = e.platform AND o.account_id = e.account_id AND o.creator_id <> e.creator_id)",
            pk,
        )
        for table, column, temp in (
            ("comment_signals", "comment_id", "_forget_comments"),
            ("comments", "comment_id", "_forget_comments"),
            ("post_signals", "post_id", "_forget_posts"),
        ):
            if table in tables:
                where = f"platform = ? AND {column} IN (SELECT * FROM {temp})"
                note(table, _delete(store, table, where, [platform]))
        for column in ("reply_to", "quote_of", "repost_of"):
            n = raw.execute(
                f"SELECT count(*) FROM posts WHERE platform = ? AND {column} IN (SELECT * FROM _forget_posts)",
                [platform],
            ).fetchall()[0][0]
            if n:
                raw.execute(
                    f"UPDATE posts SET {column} = NULL "
                    f"WHERE platform = ? AND {column} IN (SELECT * FROM _forget_posts)",
                    [platform],
                )
                note("posts (references cleared)", int(n))
        if handle:
            n = raw.execute(
                "SELECT count(*) FROM posts WHERE platform = ? AND list_contains(mentions, ?)", [platform, handle]
            ).fetchall()[0][0]
            if n:
                raw.execute(
                    "UPDATE posts SET mentions = list_filter(mentions, m -> m <> ?) "
                    "WHERE platform = ? AND list_contains(mentions, ?)",
                    [handle, platform, handle],
                )
                note("posts (mentions cleared)", int(n))
        for table in ("audience_scores", "audience_accounts"):
            if table in tables:
                where = "platform = ? AND account_id IN (SELECT * FROM _forget_accounts)"
                note(table, _delete(store, table, where, [platform]))
        proof_files = _forget_proofs(store, tables, pk, note)
        for table in _KEEP_AS_REMOVED:
            if table in tables:
                n = raw.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE platform = ? AND creator_id = ?", pk
                ).fetchall()[0][0]
                if n:
                    raw.execute(
                        f"UPDATE {quote(table)} SET creator_id = NULL, status = 'removed' "
                        "WHERE platform = ? AND creator_id = ?",
                        pk,
                    )
                    note(f"{table} (marked removed)", int(n))
        for table in _ANONYMISE:
            if table in tables:
                n = raw.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE platform = ? AND creator_id = ?", pk
                ).fetchall()[0][0]
                if n:
                    raw.execute(
                        f"UPDATE {quote(table)} SET creator_id = NULL WHERE platform = ? AND creator_id = ?", pk
                    )
                    note(f"{table} (anonymised)", int(n))
        # every other table keyed on the creator: posts, snapshots, edges, profiles, pods, insights,
        # shortlists, lists, notes, derived tables added later, copies of planted truths …
        for table, columns in tables.items():
            if table in (*_KEEP_AS_REMOVED, *_ANONYMISE) or table.startswith("_forget"):
                continue
            if "creator_id" in columns and "platform" in columns:
                note(table, _delete(store, table, "platform = ? AND creator_id = ?", pk))
        needles = [creator_id, *([handle] if handle else [])]
        for needle in needles:
            like = f"%{needle}%"
            note("quarantine", _delete(store, "quarantine", "raw LIKE ? OR position LIKE ?", [like, like]))
            n = raw.execute(
                "SELECT count(*) FROM ingest_runs WHERE args LIKE ? OR checkpoint LIKE ?", [like, like]
            ).fetchall()[0][0]
            if n:
                raw.execute(
                    "UPDATE ingest_runs SET args = replace(args, ?, '[forgotten]'), "
                    "checkpoint = replace(checkpoint, ?, '[forgotten]') WHERE args LIKE ? OR checkpoint LIKE ?",
                    [needle, needle, like, like],
                )
                note("ingest_runs (redacted)", int(n))
        for temp in ("_forget_posts", "_forget_comments", "_forget_accounts"):
            raw.execute(f"DROP TABLE {temp}")
        target = f"{platform}:{pseudonymise(platform, creator_id)}" if pseudonymise else f"{platform}:[forgotten]"
        store.insert_rows(
            "audit_log",
            [
                {
                    "event_id": uuid.uuid4().hex,
                    "at": utcnow(),
                    "actor": actor,
                    "action": "forget",
                    "target": target,
                    "details": json.dumps({"rows": done}, sort_keys=True),
                }
            ],
            workspace=workspace,
        )
    for path in proof_files:  # after the commit: a rolled-back forget keeps its files
        path.unlink(missing_ok=True)
    return done


def _forget_proofs(store: Store, tables: dict[str, list[str]], pk: list[Any], note: Any) -> list[Path]:
    """Delete the proof rows of the creator's placements (screenshots of their content); the files
    to remove once the forget has committed."""
    if "proofs" not in tables or "placements" not in tables:
        return []
    rows = store.raw.execute(
        "SELECT f.workspace_id, f.proof_id, f.path FROM proofs f JOIN placements p ON p.workspace_id = f.workspace_id "
        "AND p.placement_id = f.placement_id WHERE p.platform = ? AND p.creator_id = ?",
        pk,
    ).fetchall()
    for workspace_id, proof_id, _path in rows:
        store.raw.execute("DELETE FROM proofs WHERE workspace_id = ? AND proof_id = ?", [workspace_id, proof_id])
    if rows:
        note("proofs (files deleted)", len(rows))
    base = Path(store.location).expanduser().resolve().parent if store.location != ":memory:" else None
    return [base / path for _w, _id, path in rows if base is not None and path]
