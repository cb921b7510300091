"""One error shape for every error: ``{"ok": false, "error": …, "errors": […], "status": N}``.

The HTTP status of a library error is the ``status`` of its class (:mod:`microscout.errors`).
A browser asking for a page gets the same data rendered as ``error.html``; nobody ever gets a
stack trace (unexpected errors are logged and answered with a plain 500).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from microscout.errors import MicroscoutError

logger = logging.getLogger(__name__)

HtmlRenderer = Callable[[Request, int, str, list[str]], Response]


def error_body(status: int, message: str, errors: list[str] | None = None) -> dict[str, Any]:
    return {"ok": False, "error": message, "errors": errors or [message], "status": status}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, message: str, errors: list[str] | None = None, headers: dict[str, str] | None = None
) -> Response:
    renderer: HtmlRenderer | None = getattr(request.app.state, "html_error", None)
    if renderer is not None and _wants_html(request):
        response = renderer(request, status, message, errors or [message])
        if headers:
            response.headers.update(headers)
        return response
    return JSONResponse(error_body(status, message, errors), status_code=status, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    return error_response(request, 422, errors[0] if errors else "invalid request", errors)


async def _microscout(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MicroscoutError)
    status = int(getattr(exc, "status", 500))
    if status >= 500:
        logger.error("request %s %s failed: %s", request.method, request.url.path, exc.message)
    return error_response(request, status, exc.message, list(exc.errors))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return error_response(request, exc.status_code, message, headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal server error: the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(MicroscoutError, _microscout)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
