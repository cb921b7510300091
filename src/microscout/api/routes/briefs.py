"""``/briefs``, ``/searches`` and ``/reports``: campaign briefs, their ranked shortlists
(:func:`microscout.matching.search`) and the HTML report of each shortlist, per workspace."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from microscout.api.deps import Editor, StateDep, StoreDep, Viewer
from microscout.api.models import (
    BriefCreate,
    BriefPublic,
    ReportPublic,
    SearchCreate,
    SearchPublic,
    SearchSummary,
)
from microscout.api.routes import ERRORS
from microscout.api.security import REPORT_CSP
from microscout.report.saved import saved_search_report
from microscout.workspace import get_brief, get_search, list_briefs, list_searches, run_brief_search, save_brief

router = APIRouter(tags=["briefs"], responses=ERRORS)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/briefs", response_model=BriefPublic, status_code=201, summary="Save a campaign brief")
def create_brief(body: BriefCreate, store: StoreDep, principal: Editor) -> dict[str, Any]:
    return save_brief(store, principal.workspace, body.brief)


@router.get("/briefs", response_model=list[BriefPublic], summary="List the workspace's briefs")
def get_briefs(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_briefs(store, principal.workspace)


@router.get("/briefs/{brief_id}", response_model=BriefPublic, summary="A brief")
def get_one_brief(brief_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return get_brief(store, principal.workspace, brief_id)


@router.post(
    "/briefs/{brief_id}/searches", response_model=SearchPublic, status_code=201, summary="Rank creators for a brief"
)
def run_search(
    brief_id: IdPath, body: SearchCreate, store: StoreDep, state: StateDep, principal: Editor
) -> dict[str, Any]:
    return run_brief_search(store, principal.workspace, brief_id, limit=body.limit, index=state.brief_index())


@router.get("/searches", response_model=list[SearchSummary], summary="List saved shortlists")
def get_searches(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_searches(store, principal.workspace)


@router.get("/searches/{search_id}", response_model=SearchPublic, summary="A saved shortlist with score reasons")
def get_one_search(search_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return get_search(store, principal.workspace, search_id)


def reports_of(store: Any, workspace: str) -> list[dict[str, Any]]:
    return [
        {
            "search_id": s["search_id"],
            "brand": s["brand"],
            "created_at": s["created_at"],
            "results": s["results"],
            "format": "html",
            "download_url": f"/api/v1/reports/{s['search_id']}/download",
        }
        for s in list_searches(store, workspace)
    ]


@router.get("/reports", response_model=list[ReportPublic], summary="List downloadable reports")
def get_reports(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return reports_of(store, principal.workspace)


def report_response(store: Any, workspace: str, search_id: str) -> Response:
    name, html = saved_search_report(store, workspace, search_id)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Content-Security-Policy": REPORT_CSP},
    )


@router.get(
    "/reports/{search_id}/download",
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "The HTML report"}},
    summary="Download a shortlist's HTML report",
)
def download_report(search_id: IdPath, store: StoreDep, principal: Viewer) -> Response:
    return report_response(store, principal.workspace, search_id)
