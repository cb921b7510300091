"""The campaign pages of the web UI: the list (↔ ``/api/v1/campaigns``) and one campaign's results
(↔ ``/api/v1/campaigns/{id}/results``, its alerts ↔ ``/api/v1/campaigns/{id}/alerts``), over the
same library calls as :mod:`microscout.api.routes.campaigns`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from microscout.accounts import has_role
from microscout.api.deps import StateDep, StoreDep
from microscout.api.routes.campaigns import (
    campaign_alerts,
    latest_tracking_job,
    report_response,
    start_tracking,
)
from microscout.api.state import AppState
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store
from microscout.tracking import campaign_results, create_campaign, list_campaigns, parse_spec
from microscout.web.views import CsrfField, IdPath, WebUser, _back, _csrf, _need, render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
SLOT_ISSUES = ("late", "missing")


def _pipeline_counts(store: Store, workspace: str, campaign_id: str) -> dict[str, int] | None:
    """The outreach pipeline's count per status, or None where the outreach module is not there."""
    try:
        from microscout.outreach import pipeline
    except ImportError:
        return None
    counts: dict[str, int] = pipeline(store, workspace, campaign_id)["counts"]
    return counts


def campaign_page(state: AppState, store: Store, workspace: str, campaign_id: str) -> dict[str, Any]:
    """Everything the campaign page shows: the results document, alerts, pipeline, last tracking run."""
    doc = campaign_results(store, workspace, campaign_id, settings=state.settings)
    cid = doc["campaign"]["campaign_id"]
    return {
        "doc": doc,
        "alerts": campaign_alerts(store, workspace, cid),
        "pipeline": _pipeline_counts(store, workspace, cid),
        "job": latest_tracking_job(store, workspace, cid),
    }


def _list_page(
    request: Request,
    store: Store,
    principal: Any,
    *,
    text: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "campaigns.html",
        principal=principal,
        status=status,
        campaigns=list_campaigns(store, principal.workspace),
        text=text,
        errors=errors or [],
        api_url="/api/v1/campaigns",
    )


@router.get("/campaigns")
def campaigns(request: Request, store: StoreDep, principal: WebUser) -> Response:
    return _list_page(request, store, principal)


@router.post("/campaigns")
def post_campaign(
    request: Request,
    store: StoreDep,
    principal: WebUser,
    text: Annotated[str, Form(max_length=200_000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    try:
        data = yaml.safe_load(text) if text.strip() else None
        created = create_campaign(store, principal.workspace, parse_spec(data, "campaign"))
    except yaml.YAMLError as exc:
        errors = [f"campaign: not valid YAML or JSON ({exc})"]
        return _list_page(request, store, principal, text=text, errors=errors, status=400)
    except (InvalidInputError, NotFoundError) as exc:  # a bad field, or a creator that is not in the store
        return _list_page(request, store, principal, text=text, errors=list(exc.errors), status=400)
    return _back(f"/campaigns/{created['campaign_id']}")


@router.get("/campaigns/{campaign_id}")
def campaign_view(
    request: Request, campaign_id: IdPath, state: StateDep, store: StoreDep, principal: WebUser
) -> Response:
    page = campaign_page(state, store, principal.workspace, campaign_id)
    cid = page["doc"]["campaign"]["campaign_id"]
    disclosure_issues = {d["post_id"] for d in page["doc"]["disclosure"]}
    return render(
        request,
        "campaign.html",
        principal=principal,
        **page,
        slot_issues=SLOT_ISSUES,
        disclosure_issues=disclosure_issues,
        can_edit=has_role(principal.role, "editor"),
        api_url=f"/api/v1/campaigns/{cid}/results",
    )


@router.post("/campaigns/{campaign_id}/track")
def track_view(
    request: Request, campaign_id: IdPath, state: StateDep, principal: WebUser, csrf_token: CsrfField = ""
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    job = start_tracking(state, principal.workspace, campaign_id)
    return _back(f"/campaigns/{job['result']['campaign_id']}")


@router.get("/campaigns/{campaign_id}/report")
def report_view(
    campaign_id: IdPath,
    state: StateDep,
    store: StoreDep,
    principal: WebUser,
    fmt: Annotated[Literal["html", "pdf", "xlsx", "csv", "json"], Query(alias="format")] = "html",
) -> Response:
    return report_response(state, store, principal.workspace, campaign_id, fmt)
