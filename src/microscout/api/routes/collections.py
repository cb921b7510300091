"""``/lists`` and ``/notes``: a workspace's creator lists and notes on creators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from microscout.api.deps import Editor, StoreDep, Viewer
from microscout.api.models import (
    CreatorRef,
    ListCreate,
    ListItemCreate,
    ListPublic,
    ListSummary,
    NoteCreate,
    NotePublic,
)
from microscout.api.routes import ERRORS
from microscout.creators import resolve_creator
from microscout.workspace import (
    add_list_item,
    create_list,
    create_note,
    delete_list,
    delete_note,
    get_list,
    list_lists,
    list_notes,
    remove_list_item,
)

router = APIRouter(tags=["collections"], responses=ERRORS)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/lists", response_model=list[ListSummary], summary="List the workspace's creator lists")
def get_lists(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_lists(store, principal.workspace)


@router.post("/lists", response_model=ListSummary, status_code=201, summary="Create a creator list")
def post_list(body: ListCreate, store: StoreDep, principal: Editor) -> dict[str, Any]:
    return create_list(store, principal.workspace, name=body.name, description=body.description)


@router.get("/lists/{list_id}", response_model=ListPublic, summary="A list with its creators")
def get_one_list(list_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return get_list(store, principal.workspace, list_id)


@router.delete("/lists/{list_id}", status_code=204, response_class=Response, summary="Delete a list")
def delete_one_list(list_id: IdPath, store: StoreDep, principal: Editor) -> Response:
    delete_list(store, principal.workspace, list_id)
    return Response(status_code=204)


@router.post("/lists/{list_id}/items", response_model=ListPublic, status_code=201, summary="Add a creator")
def post_list_item(list_id: IdPath, body: ListItemCreate, store: StoreDep, principal: Editor) -> dict[str, Any]:
    get_list(store, principal.workspace, list_id)
    platform, creator_id = resolve_creator(store, body.creator)
    return add_list_item(
        store, principal.workspace, list_id, platform=platform, creator_id=creator_id, added_by=principal.actor
    )


@router.delete(
    "/lists/{list_id}/items/{ref}", status_code=204, response_class=Response, summary="Remove a creator from a list"
)
def delete_list_item(
    list_id: IdPath, ref: Annotated[CreatorRef, Path()], store: StoreDep, principal: Editor
) -> Response:
    get_list(store, principal.workspace, list_id)
    platform, creator_id = resolve_creator(store, ref)
    remove_list_item(store, principal.workspace, list_id, platform=platform, creator_id=creator_id)
    return Response(status_code=204)


@router.get("/notes", response_model=list[NotePublic], summary="Notes, optionally on one creator")
def get_notes(
    store: StoreDep, principal: Viewer, creator: Annotated[CreatorRef | None, Query()] = None
) -> list[dict[str, Any]]:
    if creator is None:
        return list_notes(store, principal.workspace)
    platform, creator_id = resolve_creator(store, creator)
    return list_notes(store, principal.workspace, platform=platform, creator_id=creator_id)


@router.post("/notes", response_model=NotePublic, status_code=201, summary="Write a note on a creator")
def post_note(body: NoteCreate, store: StoreDep, principal: Editor) -> dict[str, Any]:
    platform, creator_id = resolve_creator(store, body.creator)
    return create_note(
        store,
        principal.workspace,
        platform=platform,
        creator_id=creator_id,
        body=body.body,
        author=principal.actor,
        tags=body.tags,
    )


@router.delete("/notes/{note_id}", status_code=204, response_class=Response, summary="Delete a note")
def delete_one_note(note_id: IdPath, store: StoreDep, principal: Editor) -> Response:
    delete_note(store, principal.workspace, note_id)
    return Response(status_code=204)
