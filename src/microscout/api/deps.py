"""Dependencies of the routes: the request's store, who is asking, and what role they need.

A request is authenticated by an API key (``Authorization: Bearer msk_…`` or ``X-API-Key``) or by
the web UI's session cookie. A cookie-authenticated request that changes something must also send
the CSRF token (form field or ``X-CSRF-Token`` header): a key cannot be sent by another site, a
cookie can.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from microscout.accounts import get_user as load_user
from microscout.accounts import has_role, key_id_of, verify_api_key
from microscout.api.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, too_many
from microscout.api.state import AppState
from microscout.store import Store

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """Who is asking: a workspace, a role and a name for the audit log."""

    workspace: str
    role: str
    actor: str
    kind: str  # "key" or "session"
    subject_id: str  # key id or user id


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.microscout
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_store(state: StateDep) -> Iterator[Store]:
    with state.pool.acquire() as store:
        yield store


StoreDep = Annotated[Store, Depends(get_store)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key else None


def key_principal(request: Request, state: AppState, token: str) -> Principal:
    """The principal of API key ``token`` (401 when unknown or revoked, 429 after many failures)."""
    ip_key = f"key-ip:{client_ip(request)}"
    id_key = f"key-id:{key_id_of(token) or 'malformed'}"
    for bucket in (ip_key, id_key):
        if state.limiter.blocked(bucket):
            raise too_many(state.limiter, bucket)
    cached: Principal | None = state.cached_key(token)
    if cached is not None:
        return cached
    with state.pool.acquire() as store:
        key = verify_api_key(store, token)
    if key is None:
        state.limiter.hit(ip_key)
        state.limiter.hit(id_key)
        raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(key.workspace, key.role, f"key:{key.key_id}", "key", key.key_id)
    state.remember_key(token, principal)
    return principal


def session_principal(request: Request, state: AppState, store: Store) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = state.sessions.loads(token)
    if found is None:
        return None
    user = load_user(store, found[0], found[1])
    if user is None:
        return None
    return Principal(user.workspace, user.role, user.email, "session", user.user_id)


def _pooled_session_principal(request: Request, state: AppState) -> Principal | None:
    with state.pool.acquire() as store:
        return session_principal(request, state, store)


async def get_principal(request: Request, state: StateDep) -> Principal:
    """Who is asking. A cached API key costs no store access and no worker thread."""
    token = _bearer(request)
    if token:
        if state.cached_key(token) is not None and not state.limiter.blocked(f"key-ip:{client_ip(request)}"):
            return key_principal(request, state, token)
        return await run_in_threadpool(key_principal, request, state, token)
    principal = await run_in_threadpool(_pooled_session_principal, request, state)
    if principal is None:
        raise HTTPException(401, "authentication required: send an API key or log in", {"WWW-Authenticate": "Bearer"})
    if request.method in UNSAFE_METHODS and not state.sessions.check_csrf(
        request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _require(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not has_role(principal.role, role):
            raise HTTPException(403, f"this needs the {role} role; you have {principal.role}")
        return principal

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Principal, Depends(_require("viewer"))]
Editor = Annotated[Principal, Depends(_require("editor"))]
Admin = Annotated[Principal, Depends(_require("admin"))]
