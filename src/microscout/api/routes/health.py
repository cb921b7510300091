"""``/health``: is the server up, and which schema does its store have."""

from __future__ import annotations

from fastapi import APIRouter

from microscout.api.deps import StoreDep
from microscout.api.models import Health
from microscout.api.routes import ERRORS

router = APIRouter(tags=["health"], responses=ERRORS)


@router.get("/health", response_model=Health, summary="Server health")
def health(store: StoreDep) -> Health:
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("microscout")
    except PackageNotFoundError:
        release = "unknown"
    return Health(ok=True, version=release, schema_version=store.schema_version())
