"""The REST API and the web UI on one FastAPI app: ``create_app(settings)``.

>>> from microscout.config import Settings
>>> app = create_app(Settings(db=":memory:"))
>>> sorted(p for p in app.openapi()["paths"] if p.startswith("/api/v1/creators"))
['/api/v1/creators', '/api/v1/creators/{ref}', '/api/v1/creators/{ref}/vet']

JSON lives under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``); the pages of the web UI
(:mod:`microscout.web`) are at the root and call the same library functions.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from microscout.api.errors import error_response
from microscout.api.errors import install as install_errors
from microscout.api.security import (
    DEFAULT_BODY_LIMIT,
    ASGIApp,
    BodyLimit,
    Message,
    Receive,
    Scope,
    SecurityHeaders,
    Send,
)
from microscout.api.state import AppState
from microscout.config import Settings
from microscout.store import Store, connect

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
UPLOAD_PATHS = (f"{API_PREFIX}/ingest-jobs", "/ingest")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


class CatchAll:
    """Turns an unexpected exception into the canonical 500 body (inside the security headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            import logging

            logging.getLogger(__name__).exception("unexpected error in %s", scope.get("path"), exc_info=exc)
            if started:
                raise
            response = error_response(Request(scope), 500, "internal server error: the server log has the details")
            await response(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """The server app over ``store`` (default: open ``settings.db``; the app then closes it)."""
    from microscout.api.routes import admin, briefs, campaigns, collections, creators, health, ingest, plans
    from microscout.web import campaign_views, plan_views
    from microscout.web import install as install_web

    settings = settings or Settings()
    owns_store = store is None
    store = store or connect(settings.db, settings=settings)
    state = AppState(store, settings, clock=clock, owns_store=owns_store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(state.index)  # searches never wait for the first build
            yield
        finally:
            state.close()

    try:
        from importlib.metadata import version

        release = version("microscout")
    except Exception:  # noqa: BLE001 - not installed as a distribution (source checkout)
        release = "0"
    app = FastAPI(
        title="microscout",
        version=release,
        description="Find, vet and book micro-influencers: the REST API of a microscout server (docs/server.md).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.microscout = state
    install_errors(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (health, creators, briefs, plans, campaigns, collections, ingest, admin):
        api.include_router(module.router)
    app.include_router(api)
    install_web(app)
    app.include_router(campaign_views.router)
    app.include_router(plan_views.router)
    upload_limit = settings.upload_max_mb << 20

    def limit_for(path: str) -> int:
        return upload_limit + (1 << 16) if path in UPLOAD_PATHS else DEFAULT_BODY_LIMIT

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders)
    return app
