"""``/campaigns``: a workspace's campaigns (:mod:`microscout.tracking`) — create one from a campaign
file, close it, track its posts (a job on the server's job thread), deliverable status, the results
document, sales imports, alerts and report downloads in every format."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from microscout.api.deps import Editor, StateDep, StoreDep, Viewer
from microscout.api.models import JobPublic, Out, Timestamp
from microscout.api.routes import ERRORS
from microscout.api.security import DEFAULT_BODY_LIMIT, REPORT_CSP
from microscout.api.state import AppState
from microscout.errors import InvalidInputError, MicroscoutError, NotFoundError
from microscout.store import Store
from microscout.tracking import (
    CampaignSpec,
    campaign_results,
    close_campaign,
    create_campaign,
    deliverable_status,
    get_campaign,
    import_sales,
    list_campaigns,
    parse_spec,
    resolve_campaign,
    track_campaign,
)
from microscout.workspace import create_job, get_job, list_jobs, update_job

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=ERRORS)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Campaign id.")]
JobIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

TRACK_KIND = "track"
# a sales upload goes through the default body limit (1 MiB) of the server: the file itself is a little less
SALES_MAX_BYTES = DEFAULT_BODY_LIMIT - (1 << 14)
SALES_TYPES = frozenset(
    {"", "text/csv", "application/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel"}
)
ReportFormat = Literal["html", "pdf", "xlsx", "csv", "json"]
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


# ------------------------------------------------------------------------------------ models
class DeliverableItem(Out):
    kind: str
    count: int


class PlacementPublic(Out):
    placement_id: str
    creator: str
    platform: str | None
    creator_id: str | None
    market: str | None
    deliverables: list[DeliverableItem]
    fee: Decimal | None
    currency: str | None
    due_date: dt.date | None
    status: str | None


class RulePublic(Out):
    rule_id: str
    kind: str
    value: str
    language: str | None
    placement_id: str | None


class CampaignPublic(Out):
    campaign_id: str
    name: str
    brand: str
    plan_id: str | None
    status: str
    start_date: dt.date
    end_date: dt.date | None
    currency: str | None
    budget: str | None
    markets: list[str]
    created_at: Timestamp | None
    closed_at: Timestamp | None
    placements: list[PlacementPublic]
    rules: list[RulePublic]


class CampaignSummary(Out):
    campaign_id: str
    name: str
    brand: str
    status: str
    start_date: dt.date
    end_date: dt.date | None
    placements: int
    fees: Decimal | None
    currency: str | None


class Slot(Out):
    placement_id: str
    creator: str | None
    platform: str | None
    creator_id: str | None
    market: str | None
    due_date: dt.date | None
    kind: str
    slot: int
    status: Literal["delivered", "late", "missing", "pending", "extra", "removed"]
    post_id: str | None
    published_at: Timestamp | None
    disclosure: str | None
    self_reported: bool


class CampaignStatus(Out):
    campaign_id: str
    name: str
    counts: dict[str, int]
    slots: list[Slot]


class _Document(BaseModel):
    """A part of the results document: its main fields typed, further fields passed through."""

    model_config = ConfigDict(extra="allow")


class ResultsCampaign(_Document):
    campaign_id: str
    name: str
    brand: str
    status: str
    start_date: str
    end_date: str | None
    currency: str
    plan_id: str | None
    markets: list[str]
    competitors: list[str]
    budget: str | None


class ResultsSummary(_Document):
    placements: int
    deliverables_expected: int
    deliverables_delivered: int
    late: int
    missing: int
    pending: int
    disclosure_accepted: int
    disclosure_issues: int
    engagements: int
    views: int | None
    reach: int
    impressions: int
    emv: float
    emv_currency: str
    spend: str
    currency: str
    cpe: float | None
    cpm: float | None
    ugc_posts: int
    ugc_creators: int
    ugc_reach: int
    competitor_posts: int
    revenue: str | None
    orders: int
    roas: float | None
    self_reported_posts: int
    forecast: dict[str, Any]


class CampaignResults(_Document):
    """The results document (definitions inside it, and in docs/tracking.md)."""

    campaign: ResultsCampaign
    generated_at: str
    summary: ResultsSummary
    posts: list[dict[str, Any]]
    creators: list[dict[str, Any]]
    markets: list[dict[str, Any]]
    deliverables: list[dict[str, Any]]
    disclosure: list[dict[str, Any]]
    ugc_timeline: list[dict[str, Any]]
    word_of_mouth: dict[str, Any]
    sentiment_timeline: list[dict[str, Any]]
    sentiment_by_language: list[dict[str, Any]]
    share_of_voice: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    notes: list[str]
    definitions: dict[str, str]


class SalesImportPublic(Out):
    campaign_id: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    unattributed: int
    errors: list[str]


class AlertPublic(Out):
    alert_id: str
    created_at: Timestamp | None
    severity: str | None
    rule: str | None
    campaign_id: str | None
    message: str | None
    status: str
    subject: str | None


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``#/$defs/…`` references replaced by the definitions (no recursion in a spec)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _spec_schema() -> dict[str, Any]:
    schema = CampaignSpec.model_json_schema()
    return dict(_inline(schema, schema.get("$defs", {})))


SPEC_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _spec_schema()}},
        "description": "The campaign file as JSON (docs/tracking.md); invalid fields answer 400 naming the field.",
    }
}


# ------------------------------------------------------------------------- shared with the web UI
def status_of(store: Store, workspace: str, campaign_id: str) -> dict[str, Any]:
    """The deliverable slots of a campaign with the creator of each, and the count per status."""
    campaign = get_campaign(store, workspace, campaign_id)
    cid = campaign["campaign_id"]
    creators = {p["placement_id"]: p["creator"] for p in campaign["placements"]}
    slots = [{**s, "creator": creators.get(s["placement_id"])} for s in deliverable_status(store, workspace, cid)]
    counts: dict[str, int] = {}
    for s in slots:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    return {"campaign_id": cid, "name": campaign["name"], "counts": counts, "slots": slots}


def start_tracking(state: AppState, workspace: str, campaign_id: str) -> dict[str, Any]:
    """Queue a tracking run of a campaign; the job's result names the campaign from the start."""
    with state.pool.acquire() as store:
        cid = resolve_campaign(store, workspace, campaign_id)["campaign_id"]
        job = create_job(store, workspace, kind=TRACK_KIND)
        update_job(store, workspace, job["job_id"], result={"campaign_id": cid})
        job = get_job(store, workspace, job["job_id"])
    state.jobs.submit(_run_tracking, state, workspace, job["job_id"], cid)
    return job


def _run_tracking(state: AppState, workspace: str, job_id: str, campaign_id: str) -> None:
    with state.pool.acquire() as store:
        update_job(store, workspace, job_id, status="running", progress=0.0)
        try:
            summary = track_campaign(store, workspace, campaign_id, settings=state.settings)
            result = summary.to_dict()
            update_job(store, workspace, job_id, status="completed", progress=1.0, result=result, finished=True)
        except MicroscoutError as exc:
            update_job(store, workspace, job_id, status="failed", error=exc.message, finished=True)
        except Exception:
            logger.exception("tracking job %s failed", job_id)
            update_job(
                store,
                workspace,
                job_id,
                status="failed",
                error="internal error: the server log has the details",
                finished=True,
            )


def tracking_job(store: Store, workspace: str, campaign_id: str, job_id: str) -> dict[str, Any]:
    job = get_job(store, workspace, job_id)
    if job["kind"] != TRACK_KIND or (job["result"] or {}).get("campaign_id") != campaign_id:
        raise NotFoundError(f"no tracking job {job_id!r} of campaign {campaign_id!r} in this workspace")
    return job


def latest_tracking_job(store: Store, workspace: str, campaign_id: str) -> dict[str, Any] | None:
    for job in list_jobs(store, workspace, kind=TRACK_KIND, limit=200):
        if (job["result"] or {}).get("campaign_id") == campaign_id:
            return job
    return None


def _check_sales_upload(filename: str | None, content_type: str | None) -> str:
    name = FilePath(filename or "").name
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not name.lower().endswith(".csv"):
        raise HTTPException(415, f"unsupported file {name!r}: upload the orders as a .csv file")
    if media not in SALES_TYPES:
        raise HTTPException(415, f"unsupported content type {media!r} for {name!r}")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[-100:]


def import_sales_upload(store: Store, workspace: str, campaign_id: str, upload: UploadFile) -> dict[str, Any]:
    """Save an uploaded sales CSV (at most :data:`SALES_MAX_BYTES`) to a temporary folder and import it."""
    cid = resolve_campaign(store, workspace, campaign_id)["campaign_id"]
    name = _check_sales_upload(upload.filename, upload.content_type)
    folder = FilePath(tempfile.mkdtemp(prefix="microscout-sales-"))
    path = folder / name
    try:
        size = 0
        with open(path, "wb") as out:
            while chunk := upload.file.read(1 << 16):
                size += len(chunk)
                if size > SALES_MAX_BYTES:
                    raise HTTPException(413, f"the file is larger than {SALES_MAX_BYTES:,} bytes")
                if b"\x00" in chunk:
                    raise HTTPException(415, f"{name} is not a text file")
                out.write(chunk)
        if size == 0:
            raise InvalidInputError(f"{name} is empty")
        try:
            result = import_sales(store, workspace, cid, path).to_dict()
        except MicroscoutError as exc:  # name the upload, not the server's temporary folder
            exc.message = exc.message.replace(str(path), name)
            exc.errors = [e.replace(str(path), name) for e in exc.errors]
            raise
        result["errors"] = [e.replace(str(path), name) for e in result["errors"]]
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report_name(campaign: dict[str, Any], fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(campaign.get("name") or "").lower()).strip("-")[:60]
    return f"campaign-report-{slug or campaign['campaign_id']}.{fmt}"


def report_response(state: AppState, store: Store, workspace: str, campaign_id: str, fmt: str) -> Response:
    """A campaign report as a download (an attachment whose policy allows no script)."""
    from microscout.report.campaign import render_campaign_report, write_campaign_report

    doc = campaign_results(store, workspace, campaign_id, settings=state.settings)
    if fmt == "html":
        content = render_campaign_report(doc).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="microscout-report-") as tmp:
            content = write_campaign_report(doc, fmt, FilePath(tmp) / f"report.{fmt}").read_bytes()
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{report_name(doc["campaign"], fmt)}"',
            "Content-Security-Policy": REPORT_CSP,
        },
    )


def campaign_alerts(store: Store, workspace: str, campaign_id: str) -> list[dict[str, Any]]:
    from microscout.alerts import list_alerts

    cid = resolve_campaign(store, workspace, campaign_id)["campaign_id"]
    return list_alerts(store, workspace, campaign=cid)


# ------------------------------------------------------------------------------------ routes
@router.get("", response_model=list[CampaignSummary], summary="The workspace's campaigns, newest first")
def get_campaigns(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_campaigns(store, principal.workspace)


@router.post(
    "",
    response_model=CampaignPublic,
    status_code=201,
    summary="Create a campaign from a campaign file",
    openapi_extra=SPEC_BODY,
)
def post_campaign(body: Annotated[dict[str, Any], Body()], store: StoreDep, principal: Editor) -> dict[str, Any]:
    return create_campaign(store, principal.workspace, parse_spec(body, "campaign"))


@router.get("/{campaign_id}", response_model=CampaignPublic, summary="A campaign: placements and tracking rules")
def get_one_campaign(campaign_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return get_campaign(store, principal.workspace, campaign_id)


@router.post("/{campaign_id}/close", response_model=CampaignPublic, summary="Close a campaign (idempotent)")
def post_close(campaign_id: IdPath, store: StoreDep, principal: Editor) -> dict[str, Any]:
    return close_campaign(store, principal.workspace, campaign_id)


@router.post(
    "/{campaign_id}/track",
    response_model=JobPublic,
    status_code=202,
    summary="Classify the campaign's posts (a job: follow it at /campaigns/{id}/track-jobs/{job_id})",
)
def post_track(campaign_id: IdPath, state: StateDep, principal: Editor) -> dict[str, Any]:
    return start_tracking(state, principal.workspace, campaign_id)


@router.get("/{campaign_id}/track-jobs/{job_id}", response_model=JobPublic, summary="A tracking job and what it found")
def get_track_job(campaign_id: IdPath, job_id: JobIdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    cid = resolve_campaign(store, principal.workspace, campaign_id)["campaign_id"]
    return tracking_job(store, principal.workspace, cid, job_id)


@router.get("/{campaign_id}/status", response_model=CampaignStatus, summary="Deliverable slots and their status")
def get_status(campaign_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return status_of(store, principal.workspace, campaign_id)


@router.get("/{campaign_id}/results", response_model=CampaignResults, summary="The campaign's results document")
def get_results(campaign_id: IdPath, state: StateDep, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return campaign_results(store, principal.workspace, campaign_id, settings=state.settings)


@router.post("/{campaign_id}/sales", response_model=SalesImportPublic, summary="Import a sales CSV")
def post_sales(
    campaign_id: IdPath,
    file: Annotated[
        UploadFile,
        File(description="Orders CSV: order_id, date, revenue, currency, promo_code and/or link, optional market."),
    ],
    store: StoreDep,
    principal: Editor,
) -> dict[str, Any]:
    return import_sales_upload(store, principal.workspace, campaign_id, file)


@router.get("/{campaign_id}/alerts", response_model=list[AlertPublic], summary="Alerts raised for the campaign")
def get_alerts(campaign_id: IdPath, store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return campaign_alerts(store, principal.workspace, campaign_id)


@router.get(
    "/{campaign_id}/report",
    response_class=Response,
    responses={
        200: {
            "content": {
                m.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for m in MEDIA_TYPES.values()
            },
            "description": "The report as an attachment",
        }
    },
    summary="Download the campaign report (html, pdf, xlsx, csv or json)",
)
def get_report(
    campaign_id: IdPath,
    state: StateDep,
    store: StoreDep,
    principal: Viewer,
    fmt: Annotated[ReportFormat, Query(alias="format", description="html, pdf, xlsx, csv or json")] = "html",
) -> Response:
    return report_response(state, store, principal.workspace, campaign_id, fmt)
