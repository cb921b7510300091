"""``/me``, ``/api-keys`` and ``/users``: who am I, and (admins) the workspace's keys and users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from microscout.accounts import create_api_key, create_user, list_api_keys, list_users, record_event, revoke_api_key
from microscout.api.deps import Admin, StateDep, StoreDep, Viewer
from microscout.api.models import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, Me, UserCreate, UserPublic
from microscout.api.routes import ERRORS

router = APIRouter(tags=["admin"], responses=ERRORS)
KeyIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/me", response_model=Me, summary="Who is asking: workspace and role")
def get_me(principal: Viewer) -> dict[str, Any]:
    return {"workspace": principal.workspace, "role": principal.role, "actor": principal.actor, "kind": principal.kind}


@router.get("/api-keys", response_model=list[ApiKeyPublic], summary="The workspace's API keys (never the secrets)")
def get_api_keys(store: StoreDep, principal: Admin) -> list[dict[str, Any]]:
    return [k.public() for k in list_api_keys(store, principal.workspace)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, summary="Create an API key (shown once)")
def post_api_key(body: ApiKeyCreate, store: StoreDep, principal: Admin) -> dict[str, Any]:
    key, token = create_api_key(store, principal.workspace, name=body.name, role=body.role)
    record_event(store, principal.workspace, actor=principal.actor, action="create-key", target=key.key_id)
    return {**key.public(), "token": token}


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response, summary="Revoke an API key")
def delete_api_key(key_id: KeyIdPath, state: StateDep, store: StoreDep, principal: Admin) -> Response:
    revoke_api_key(store, principal.workspace, key_id)
    state.forget_key(key_id)
    record_event(store, principal.workspace, actor=principal.actor, action="revoke-key", target=key_id)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserPublic], summary="The workspace's users")
def get_users(store: StoreDep, principal: Admin) -> list[dict[str, Any]]:
    return [u.public() for u in list_users(store, principal.workspace)]


@router.post("/users", response_model=UserPublic, status_code=201, summary="Add a user to the workspace")
def post_user(body: UserCreate, store: StoreDep, principal: Admin) -> dict[str, Any]:
    user = create_user(
        store, principal.workspace, email=body.email, password=body.password, role=body.role, name=body.name
    )
    record_event(store, principal.workspace, actor=principal.actor, action="create-user", target=user.user_id)
    return user.public()
