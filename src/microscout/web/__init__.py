"""The web UI: server-rendered pages (Jinja2, autoescaped) over the same library calls as the API.

Each page has a JSON twin under ``/api/v1`` (discover ↔ ``/creators``, creator ↔
``/creators/{ref}``, briefs ↔ ``/briefs``, a shortlist ↔ ``/searches/{id}``, reports ↔
``/reports``, lists ↔ ``/lists``, ingest ↔ ``/ingest-jobs``). Static files (CSS and a small plain
script, no CDN) are served from the package.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "TEMPLATES", "install"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def install(app: FastAPI) -> None:
    """Add the pages, the static files and the HTML error page to ``app``."""
    from microscout.web.views import LoginRequired, login_redirect, render_error, router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequired, login_redirect)
    app.state.html_error = render_error
