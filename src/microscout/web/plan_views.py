"""The plan pages of the web UI: the saved plans with a **Plan** button per saved brief
(↔ ``/api/v1/plans``, planning ↔ ``POST /api/v1/briefs/{id}/plans``) and one plan
(↔ ``/api/v1/plans/{id}``) with a form that books it as a campaign
(↔ ``POST /api/v1/plans/{id}/campaign``), over the same calls as :mod:`microscout.api.routes.plans`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from microscout.accounts import has_role
from microscout.api.deps import StoreDep
from microscout.api.routes.plans import PlanBooking, PlanCreate, book_plan, get_plan, list_plans, plan_saved_brief
from microscout.errors import MicroscoutError, NotFoundError
from microscout.store import Store
from microscout.web.views import CsrfField, IdPath, WebUser, _back, _csrf, _need, render
from microscout.workspace import get_brief, list_briefs

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
DateField = Annotated[str, Form(max_length=40)]


def _list_page(
    request: Request, store: Store, principal: Any, *, errors: list[str] | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "plans.html",
        principal=principal,
        status=status,
        plans=list_plans(store, principal.workspace),
        briefs=list_briefs(store, principal.workspace),
        can_edit=has_role(principal.role, "editor"),
        errors=errors or [],
        api_url="/api/v1/plans",
    )


def _plan_page(
    request: Request,
    principal: Any,
    plan: dict[str, Any],
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {}
    if plan["plan_id"]:
        context["api_url"] = f"/api/v1/plans/{plan['plan_id']}"
    return render(
        request,
        "plan.html",
        principal=principal,
        status=status,
        plan=plan,
        can_edit=has_role(principal.role, "editor"),
        errors=errors or [],
        form=form or {"name": "", "start": "", "end": "", "due": "", "hashtags": ""},
        **context,
    )


def _validation_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e.get('loc', ())) or 'form'}: {e.get('msg', 'invalid')}" for e in exc.errors()]


@router.get("/plans")
def plans(request: Request, store: StoreDep, principal: WebUser) -> Response:
    return _list_page(request, store, principal)


@router.post("/briefs/{brief_id}/plan")
def post_plan(
    request: Request, brief_id: IdPath, store: StoreDep, principal: WebUser, csrf_token: CsrfField = ""
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    get_brief(store, principal.workspace, brief_id)  # 404 for a brief that is not in this workspace
    try:
        plan = plan_saved_brief(store, principal.workspace, brief_id, PlanCreate())
    except MicroscoutError as exc:  # e.g. no exchange rate into the budget's currency
        return _list_page(request, store, principal, errors=list(exc.errors), status=400)
    if plan["plan_id"] is None:  # infeasible: shown with its explanation, not saved
        return _plan_page(request, principal, plan)
    return _back(f"/plans/{plan['plan_id']}")


@router.get("/plans/{plan_id}")
def plan_view(request: Request, plan_id: IdPath, store: StoreDep, principal: WebUser) -> Response:
    return _plan_page(request, principal, get_plan(store, principal.workspace, plan_id))


@router.post("/plans/{plan_id}/campaign")
def book_view(
    request: Request,
    plan_id: IdPath,
    store: StoreDep,
    principal: WebUser,
    name: Annotated[str, Form(max_length=200)] = "",
    start: DateField = "",
    end: DateField = "",
    due: DateField = "",
    hashtags: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    plan = get_plan(store, principal.workspace, plan_id)
    form = {"name": name, "start": start, "end": end, "due": due, "hashtags": hashtags}
    data: dict[str, Any] = {"name": name.strip(), "start": start.strip()}
    data |= {k: v.strip() for k, v in (("end", end), ("due", due)) if v.strip()}
    tags = [t for t in re.split(r"[\s,]+", hashtags) if t]
    if tags:
        data["tracking"] = {"hashtags": tags}
    try:
        booking = PlanBooking.model_validate(data)
        campaign = book_plan(store, principal.workspace, plan_id, booking)
    except ValidationError as exc:
        return _plan_page(request, principal, plan, errors=_validation_errors(exc), form=form, status=400)
    except MicroscoutError as exc:  # a taken name, a plan without placements
        if isinstance(exc, NotFoundError):
            raise
        return _plan_page(request, principal, plan, errors=list(exc.errors), form=form, status=400)
    return _back(f"/campaigns/{campaign['campaign_id']}")
