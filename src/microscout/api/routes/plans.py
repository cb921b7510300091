"""``/briefs/{id}/plans`` and ``/plans``: budget-optimal plans of a workspace's saved briefs
(:func:`microscout.plan.plan_brief`), the saved plans, and booking a plan as a campaign
(:func:`microscout.tracking.create_campaign` with ``plan: <plan_id>``).

Planning runs inline in the request's worker thread: the solver stops after ``time_limit`` seconds
(default 10, at most 60), and building the candidates is one pass over the profiled creators. A
feasible plan is saved (201, with its ``plan_id``); an infeasible one is answered with 200, its
``status`` and the ``explanation`` of which limit cannot be met, and is not saved.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from microscout.api.deps import Editor, StoreDep, Viewer
from microscout.api.models import Name, Out, Strict, Timestamp
from microscout.api.routes import ERRORS
from microscout.api.routes.campaigns import CampaignPublic
from microscout.brief import parse_brief
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store
from microscout.tracking import create_campaign, parse_spec
from microscout.tracking.spec import TrackingSpec
from microscout.workspace import get_brief, scoped_rows

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "MAX_TIME_LIMIT",
    "PlanBooking",
    "PlanCreate",
    "book_plan",
    "get_plan",
    "list_plans",
    "plan_saved_brief",
    "router",
]

router = APIRouter(tags=["plans"], responses=ERRORS)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

DEFAULT_TIME_LIMIT = 10.0
MAX_TIME_LIMIT = 60.0


# ------------------------------------------------------------------------------------ models
class PlanCreate(Strict):
    """Options of a planning run (the brief carries the budget, markets and limits)."""

    max_creators: int = Field(50, ge=1, le=500, description="Most creators in the plan.")
    time_limit: float = Field(
        DEFAULT_TIME_LIMIT,
        gt=0,
        le=MAX_TIME_LIMIT,
        allow_inf_nan=False,
        description="Solver time limit in seconds (the request waits for it).",
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the forecast Monte Carlo.")


def _iso_day(value: Any) -> Any:
    if not isinstance(value, str | dt.date):
        raise ValueError("expected an ISO date (YYYY-MM-DD)")
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_day), Field(strict=False)]


class PlanBooking(Strict):
    """A campaign booked from a saved plan: its creators become the placements."""

    name: Name
    start: Day
    end: Day | None = None
    due: Day | None = Field(None, description="Due date of every placement (default: the end date).")
    tracking: TrackingSpec | None = Field(
        None, description="Tracking rules (default: the brand as hashtag, mention and keyword)."
    )


class _Document(BaseModel):
    """A part of the plan document: its main fields typed, further fields passed through."""

    model_config = ConfigDict(extra="allow")


class Interval(_Document):
    low: float | None
    high: float | None
    expected: float | None = None


class GreedyPlan(_Document):
    value: float
    feasible: bool
    unmet: list[str]
    creators: list[str]
    total_cost: str
    forecast: dict[str, Interval]


class PlanCreator(_Document):
    creator: str
    platform: str
    creator_id: str
    market: str | None
    tier: str | None
    followers: int | None
    price: str
    price_low: str | None
    price_high: str | None
    currency: str
    expected_value: float | None
    engagements_low: float | None = None
    engagements_high: float | None = None
    reach_low: float | None = None
    reach_high: float | None = None
    cpe_low: float | None = None
    cpe_high: float | None = None


class PlanCampaign(Out):
    campaign_id: str
    name: str
    status: str


class PlanPublic(_Document):
    """The plan document (the JSON of ``microscout plan --format json``) and where it is kept."""

    plan_id: str | None = Field(description="Null when the plan was not saved (infeasible).")
    brief_id: str
    brand: str
    kpi: str
    currency: str
    budget: str
    status: str
    gap: float | None
    seconds: float
    total_cost: str
    remaining_budget: str
    expected_value: float | None
    greedy: GreedyPlan
    forecast: dict[str, Interval]
    candidates: int
    overlap_pairs: int
    limits: list[str]
    explanation: list[str]
    notes: list[str]
    creators: list[PlanCreator]
    created_at: Timestamp | None
    campaigns: list[PlanCampaign]


class PlanSummary(Out):
    plan_id: str
    brief_id: str | None
    brand: str | None
    kpi: str | None
    status: str
    budget: str | None
    currency: str | None
    total_cost: str | None
    expected_value: float | None
    creators: int
    created_at: Timestamp | None


# ------------------------------------------------------------------------- shared with the web UI
def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def list_plans(store: Store, workspace: str) -> list[dict[str, Any]]:
    """The workspace's saved plans, newest first, with cost and creator count."""
    rows = scoped_rows(store, "plans", workspace, order_by="created_at DESC, plan_id")
    out = []
    for row in rows:
        body = json.loads(row["body"]) if row.get("body") else {}
        out.append(
            {
                "plan_id": row["plan_id"],
                "brief_id": row["brief_id"],
                "brand": body.get("brand"),
                "kpi": row["kpi"],
                "status": row["status"] or "unknown",
                "budget": _money(row["budget"]),
                "currency": row["currency"],
                "total_cost": _money(body.get("total_cost")),
                "expected_value": _float(body.get("expected_value")),
                "creators": len(body.get("creators") or []),
                "created_at": row["created_at"],
            }
        )
    return out


def _campaigns_of(store: Store, workspace: str, plan_id: str) -> list[dict[str, Any]]:
    rows = scoped_rows(
        store,
        "campaigns",
        workspace,
        where="plan_id = ?",
        params=[plan_id],
        columns="campaign_id, name, status",
        order_by="created_at, campaign_id",
    )
    return [{"campaign_id": r["campaign_id"], "name": r["name"], "status": r["status"] or "active"} for r in rows]


def get_plan(store: Store, workspace: str, plan_id: str) -> dict[str, Any]:
    """A saved plan: the stored plan document, its brief, when it was made, campaigns booked from it."""
    rows = scoped_rows(store, "plans", workspace, where="plan_id = ?", params=[plan_id])
    if not rows:
        raise NotFoundError(f"no plan {plan_id!r} in this workspace")
    row = rows[0]
    body: dict[str, Any] = json.loads(row["body"]) if row.get("body") else {}
    return {
        **body,
        "plan_id": row["plan_id"],
        "brief_id": row["brief_id"],
        "created_at": row["created_at"],
        "campaigns": _campaigns_of(store, workspace, row["plan_id"]),
    }


def plan_saved_brief(store: Store, workspace: str, brief_id: str, options: PlanCreate) -> dict[str, Any]:
    """Plan a saved brief; save the plan when it is feasible (``plan_id`` set), else explain it."""
    from microscout.plan import PlanOptions, plan_brief, save_plan

    stored = get_brief(store, workspace, brief_id)
    brief = parse_brief(stored["brief"], f"brief {brief_id}", reference_dir=store.settings.reference_dir)
    opts = PlanOptions(max_creators=options.max_creators, time_limit=options.time_limit, seed=options.seed)
    try:
        result = plan_brief(store, brief, workspace=workspace, options=opts, save=False)
    except NotFoundError as exc:  # e.g. no exchange rate into the budget's currency: the brief exists
        raise InvalidInputError(exc.message, errors=list(exc.errors)) from None
    if result.feasible:
        plan_id = save_plan(store, result, workspace=workspace)
        return get_plan(store, workspace, plan_id)
    # the same JSON a saved plan has (numbers normalised as they are when stored), not saved
    body: dict[str, Any] = json.loads(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
    return {**body, "plan_id": None, "brief_id": stored["brief_id"], "created_at": None, "campaigns": []}


def book_plan(store: Store, workspace: str, plan_id: str, booking: PlanBooking) -> dict[str, Any]:
    """Create a campaign whose placements are the plan's creators (its brand, currency and budget)."""
    plan = get_plan(store, workspace, plan_id)
    data: dict[str, Any] = {
        "name": booking.name,
        "brand": plan.get("brand") or "brand",
        "plan": plan["plan_id"],
        "start": booking.start.isoformat(),
    }
    if booking.end is not None:
        data["end"] = booking.end.isoformat()
    if booking.due is not None:
        data["due"] = booking.due.isoformat()
    if booking.tracking is not None:
        data["tracking"] = booking.tracking
    return create_campaign(store, workspace, parse_spec(data, "campaign"))


# ------------------------------------------------------------------------------------ routes
@router.post(
    "/briefs/{brief_id}/plans",
    response_model=PlanPublic,
    status_code=201,
    responses={200: {"model": PlanPublic, "description": "Infeasible: not saved; `explanation` says why"}},
    summary="Plan a saved brief under its budget (saved when feasible)",
)
def post_plan(
    brief_id: IdPath, body: PlanCreate, response: Response, store: StoreDep, principal: Editor
) -> dict[str, Any]:
    plan = plan_saved_brief(store, principal.workspace, brief_id, body)
    if plan["plan_id"] is None:
        response.status_code = 200
    return plan


@router.get("/plans", response_model=list[PlanSummary], summary="The workspace's saved plans, newest first")
def get_plans(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_plans(store, principal.workspace)


@router.get("/plans/{plan_id}", response_model=PlanPublic, summary="A saved plan")
def get_one_plan(plan_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return get_plan(store, principal.workspace, plan_id)


@router.post(
    "/plans/{plan_id}/campaign",
    response_model=CampaignPublic,
    status_code=201,
    summary="Book a saved plan as a campaign",
)
def post_booking(plan_id: IdPath, body: PlanBooking, store: StoreDep, principal: Editor) -> dict[str, Any]:
    return book_plan(store, principal.workspace, plan_id, body)
