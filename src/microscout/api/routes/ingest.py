"""``/ingest-jobs``: upload a file in the canonical format and follow its ingest job."""

from __future__ import annotations

import shutil
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, UploadFile

from microscout.api.deps import Editor, StateDep, StoreDep, Viewer
from microscout.api.jobs import check_upload_name, new_upload_folder, save_upload
from microscout.api.models import JobPublic
from microscout.api.routes import ERRORS
from microscout.api.state import AppState
from microscout.errors import NotFoundError
from microscout.workspace import get_job, list_jobs

router = APIRouter(prefix="/ingest-jobs", tags=["ingest"], responses=ERRORS)
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def start_ingest(state: AppState, workspace: str, upload: UploadFile, *, profile: bool) -> dict[str, Any]:
    """Check and save an upload, then queue its ingest job (the API route and the web form)."""
    table, ext = check_upload_name(upload.filename, upload.content_type)
    folder = new_upload_folder()
    try:
        path = save_upload(upload.file, folder, table, ext, limit=state.settings.upload_max_mb << 20)
        return state.jobs.submit_ingest(workspace, folder, path, profile=profile)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


@router.post("", response_model=JobPublic, status_code=202, summary="Upload a canonical file and ingest it")
def post_ingest_job(
    file: Annotated[UploadFile, File(description="<table>.jsonl, <table>.csv or <table>.parquet")],
    state: StateDep,
    principal: Editor,
    profile: Annotated[bool, Form(description="Profile the creators afterwards (metrics, authenticity).")] = False,
) -> dict[str, Any]:
    return start_ingest(state, principal.workspace, file, profile=profile)


@router.get("", response_model=list[JobPublic], summary="The workspace's ingest jobs, newest first")
def get_ingest_jobs(store: StoreDep, principal: Viewer) -> list[dict[str, Any]]:
    return list_jobs(store, principal.workspace, kind="ingest")


@router.get("/{job_id}", response_model=JobPublic, summary="One ingest job and its progress")
def get_ingest_job(job_id: IdPath, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    job = get_job(store, principal.workspace, job_id)
    if job["kind"] != "ingest":
        raise NotFoundError(f"no ingest job {job_id!r} in this workspace")
    return job
