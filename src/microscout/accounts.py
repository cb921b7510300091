"""Workspaces, users, roles and API keys: who may do what, in which workspace.

* **Roles** — ``viewer`` (read), ``editor`` (read and write the workspace's data), ``admin``
  (also users and API keys). A higher role includes the lower ones.
* **Passwords** — argon2id hashes (argon2-cffi); a hash made with weaker parameters is upgraded at
  the next successful login.
* **API keys** — ``msk_<key id>_<secret>``: 32 random bytes, shown once; only the SHA-256 of the
  whole token is stored and compared in constant time. The key id (public) names the key in lists,
  logs and rate limits. A revoked key never authenticates again.

Looking a login or a key up is the one place that reads across workspaces (it finds which
workspace the credentials belong to); everything else takes the workspace explicitly.

>>> from microscout.store import connect
>>> store = connect(":memory:")
>>> key, token = create_api_key(store, "default", name="ci", role="viewer")
>>> verify_api_key(store, token).role, verify_api_key(store, token + "x")
('viewer', None)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, utcnow
from microscout.workspace import scoped_rows

__all__ = [
    "KEY_PREFIX",
    "ROLES",
    "ApiKey",
    "User",
    "authenticate",
    "create_api_key",
    "create_user",
    "create_workspace",
    "get_user",
    "has_role",
    "key_id_of",
    "list_api_keys",
    "list_users",
    "list_workspaces",
    "record_event",
    "revoke_api_key",
    "verify_api_key",
    "workspace_exists",
]

ROLES = ("viewer", "editor", "admin")
KEY_PREFIX = "msk"
MIN_PASSWORD = 10
_WORKSPACE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$")
_TOKEN = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when no user matches, so a wrong email costs as much as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    workspace: str
    user_id: str
    email: str
    name: str | None
    role: str
    created_at: dt.datetime | None = None

    def public(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ApiKey:
    workspace: str
    key_id: str
    name: str
    role: str
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def public(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def has_role(role: str, needed: str) -> bool:
    """True when ``role`` includes ``needed`` (admin ⊇ editor ⊇ viewer)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


# ------------------------------------------------------------------------------- workspaces
def workspace_exists(store: Store, workspace: str) -> bool:
    rows = store.raw.execute("SELECT count(*) FROM workspaces WHERE workspace_id = ?", [workspace]).fetchall()
    return bool(rows[0][0])


def create_workspace(store: Store, workspace: str, *, name: str | None = None) -> dict[str, Any]:
    """Create workspace ``workspace`` (lower-case letters, digits, ``-`` and ``_``)."""
    if not _WORKSPACE_ID.match(workspace):
        raise InvalidInputError(
            f"workspace id {workspace!r} is not valid: use 1-63 lower-case letters, digits, '-' or '_'"
        )
    if workspace_exists(store, workspace):
        raise InvalidInputError(f"workspace {workspace!r} already exists")
    store.ensure_workspace(workspace, name or workspace)
    return {"workspace_id": workspace, "name": name or workspace}


def list_workspaces(store: Store) -> list[dict[str, Any]]:
    rows = store.raw.execute("SELECT workspace_id, name, created_at FROM workspaces ORDER BY workspace_id").fetchall()
    return [{"workspace_id": w, "name": n, "created_at": c} for w, n, c in rows]


def _require_workspace(store: Store, workspace: str) -> None:
    if not workspace_exists(store, workspace):
        raise NotFoundError(f"no workspace {workspace!r}; create it with: microscout admin create-workspace")


def record_event(
    store: Store, workspace: str, *, actor: str, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Append one line to the workspace's audit log."""
    store.insert_rows(
        "audit_log",
        [
            {
                "event_id": uuid.uuid4().hex,
                "at": utcnow(),
                "actor": actor,
                "action": action,
                "target": target,
                "details": json.dumps(details or {}, default=str),
            }
        ],
        workspace=workspace,
    )


# ------------------------------------------------------------------------------------ users
def _user(row: dict[str, Any]) -> User:
    return User(row["workspace_id"], row["user_id"], row["email"], row["name"], row["role"], row["created_at"])


def create_user(
    store: Store,
    workspace: str,
    *,
    email: str,
    password: str,
    role: str,
    name: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Add a user with ``role`` to ``workspace``; the password is stored as an argon2id hash."""
    _require_workspace(store, workspace)
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInputError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InvalidInputError("the password must have at most 1024 characters")
    _check_role(role)
    if scoped_rows(store, "users", workspace, where="email = ?", params=[email]):
        raise InvalidInputError(f"{email} is already a user of workspace {workspace!r}")
    row = {
        "user_id": uuid.uuid4().hex[:12],
        "email": email,
        "name": (name or "").strip()[:200] or None,
        "role": role,
        "password_hash": _HASHER.hash(password),
        "created_at": now or utcnow(),
        "disabled": False,
    }
    store.insert_rows("users", [row], workspace=workspace)
    return _user({**row, "workspace_id": workspace})


def get_user(store: Store, workspace: str, user_id: str) -> User | None:
    """The active user ``user_id`` of ``workspace`` (None when missing or disabled)."""
    rows = scoped_rows(
        store, "users", workspace, where="user_id = ? AND coalesce(disabled, false) = false", params=[user_id]
    )
    return _user(rows[0]) if rows else None


def list_users(store: Store, workspace: str) -> list[User]:
    rows = scoped_rows(store, "users", workspace, order_by="email")
    return [_user(r) for r in rows]


def authenticate(store: Store, email: str, password: str, *, workspace: str | None = None) -> list[User]:
    """The users (one per workspace) whose email and password match; empty when none does.

    Pass ``workspace`` to look in that workspace only. The time taken does not reveal whether the
    email exists.
    """
    sql = (
        "SELECT workspace_id, user_id, email, name, role, created_at, password_hash FROM users "
        "WHERE email = ? AND coalesce(disabled, false) = false"
    )
    params: list[Any] = [email.strip().lower()]
    if workspace:
        sql += " AND workspace_id = ?"
        params.append(workspace)
    cur = store.raw.execute(sql + " ORDER BY workspace_id", params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        _verify(_dummy_hash(), password)
        return []
    found = []
    for row in rows:
        if _verify(row["password_hash"] or _dummy_hash(), password):
            found.append(_user(row))
            if _HASHER.check_needs_rehash(row["password_hash"]):
                store.insert_rows(
                    "users",
                    [{"user_id": row["user_id"], "password_hash": _HASHER.hash(password)}],
                    workspace=row["workspace_id"],
                )
    return found


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --------------------------------------------------------------------------------- API keys
def _digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def key_id_of(token: str) -> str | None:
    """The public key id inside a token, or None when the token is not shaped like a key."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def create_api_key(
    store: Store, workspace: str, *, name: str, role: str, now: dt.datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for ``workspace``: returns the key and its token (the only time it is shown)."""
    _require_workspace(store, workspace)
    _check_role(role)
    name = name.strip()[:200]
    if not name:
        raise InvalidInputError("an API key needs a name")
    key_id = secrets.token_hex(6)
    token = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    created = now or utcnow()
    store.insert_rows(
        "api_keys",
        [
            {
                "key_id": key_id,
                "name": name,
                "key_hash": _digest(token),
                "role": role,
                "created_at": created,
                "revoked_at": None,
            }
        ],
        workspace=workspace,
    )
    return ApiKey(workspace, key_id, name, role, created), token


def verify_api_key(store: Store, token: str) -> ApiKey | None:
    """The live key that ``token`` is, or None (unknown, wrong secret or revoked)."""
    key_id = key_id_of(token)
    if key_id is None:
        return None
    rows = store.raw.execute(
        "SELECT workspace_id, key_id, name, role, key_hash, created_at, revoked_at FROM api_keys WHERE key_id = ?",
        [key_id],
    ).fetchall()
    expected = _digest(token)
    for ws, kid, name, role, key_hash, created, revoked in rows:
        if hmac.compare_digest(str(key_hash or ""), expected) and revoked is None:
            return ApiKey(ws, kid, name, role, created)
    return None


def list_api_keys(store: Store, workspace: str) -> list[ApiKey]:
    rows = scoped_rows(store, "api_keys", workspace, order_by="created_at, key_id")
    return [ApiKey(workspace, r["key_id"], r["name"], r["role"], r["created_at"], r["revoked_at"]) for r in rows]


def revoke_api_key(store: Store, workspace: str, key_id: str, *, now: dt.datetime | None = None) -> ApiKey:
    """Revoke key ``key_id`` of ``workspace`` (a key of another workspace is not found)."""
    rows = scoped_rows(store, "api_keys", workspace, where="key_id = ?", params=[key_id])
    if not rows:
        raise NotFoundError(f"no API key {key_id!r} in workspace {workspace!r}")
    row = rows[0]
    revoked = row["revoked_at"] or now or utcnow()
    store.insert_rows("api_keys", [{"key_id": key_id, "revoked_at": revoked}], workspace=workspace)
    return ApiKey(workspace, key_id, row["name"], row["role"], row["created_at"], revoked)
