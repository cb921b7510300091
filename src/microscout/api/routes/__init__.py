"""The REST routes, one module per resource, all under ``/api/v1``."""

from __future__ import annotations

from typing import Any

from microscout.api.models import ErrorBody

_STATUSES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Not allowed for this role, or a missing CSRF token",
    404: "Not found (or in another workspace)",
    409: "Conflict (an ambiguous creator handle)",
    413: "Body too large",
    415: "Unsupported file type",
    422: "Invalid parameters",
    429: "Too many attempts",
    500: "Internal error",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _STATUSES.items()
}
