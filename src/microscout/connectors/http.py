"""One HTTP layer for every platform connector (httpx).

- Credentials come from environment variables (docs/connectors.md) or from sealed tokens of a
  connected account; they are sent as a bearer header or a query parameter and are redacted from
  every error message and log line.
- Rate limits: ``Retry-After`` and the platforms' reset headers (``x-rate-limit-reset``,
  ``X-RateLimit-Reset``, ``ratelimit-reset``) are respected; a window that is used up pauses
  the next request until it resets; ``X-App-Usage`` near 100 % pauses too.
- 5xx answers, timeouts and dropped connections are retried with exponential backoff (tenacity).
- Every run has a request budget; 401 and 403 raise one-line errors naming the missing
  permission.
- The clock and sleeping are injected (:class:`Clock`), so tests never sleep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import tenacity

from microscout.errors import InvalidInputError, MicroscoutError, NotFoundError

__all__ = [
    "AccessDeniedError",
    "ApiProblem",
    "AuthError",
    "Budget",
    "BudgetExhaustedError",
    "Clock",
    "ConnectorError",
    "Credential",
    "HttpClient",
    "MissingCredentialsError",
    "NotFoundOnPlatformError",
    "RateLimitError",
    "SystemClock",
    "redact",
]

logger = logging.getLogger(__name__)

USER_AGENT = "microscout/0.1 (+https://github.com/microscout; official APIs only)"
SECRET_PARAMS = ("access_token", "key", "token", "client_secret", "refresh_token", "code", "code_verifier")
_SECRET_QUERY = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")=([^&\s\"']+)")


class _RedactQuery(logging.Filter):
    """httpx logs every request URL at INFO: strip credentials sent as query parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


logging.getLogger("httpx").addFilter(_RedactQuery())


# ---- errors -------------------------------------------------------------------------------------
class ConnectorError(MicroscoutError):
    """A platform API call failed."""

    status = 502


class AuthError(ConnectorError):
    """The platform rejected the credentials (expired, revoked or wrong token)."""

    status = 401


class AccessDeniedError(AuthError):
    """The credentials lack a permission, scope or access level the call needs."""

    status = 403


class RateLimitError(ConnectorError):
    """The platform's rate limit or quota is used up for longer than the run may wait."""

    status = 429


class BudgetExhaustedError(ConnectorError):
    """The run made as many requests as its budget allows; rerun to continue."""

    status = 429


class MissingCredentialsError(ConnectorError, InvalidInputError):
    """A source needs credentials that are not configured."""

    status = 400


class NotFoundOnPlatformError(ConnectorError, NotFoundError):
    """The platform says the account or item does not exist (or is not visible)."""

    status = 404


class _Retryable(Exception):
    """Internal: a failure worth another attempt (5xx, 429, timeout)."""

    def __init__(self, error: ConnectorError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


# ---- clock, budget, credentials -----------------------------------------------------------------
class Clock(Protocol):
    """Wall-clock time in epoch seconds, and a way to wait."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Budget:
    """Requests a run may still make (shared by every client of one run)."""

    limit: int
    used: int = 0

    def take(self, platform: str) -> None:
        if self.used >= self.limit:
            raise BudgetExhaustedError(
                f"{platform}: the run's request budget of {self.limit} requests is used up; what was fetched is "
                "saved: run the same command again to continue (or raise MICROSCOUT_CONNECTOR_REQUEST_BUDGET)"
            )
        self.used += 1


@dataclass
class Credential:
    """A secret and how it is sent; ``origin`` names where it came from (never the secret itself)."""

    secret: str
    origin: str
    place: str = "bearer"  # bearer | query
    param: str = "access_token"
    refresh: Callable[[], str] | None = None  # returns a fresh secret (connected accounts)

    def __repr__(self) -> str:
        return f"Credential(origin={self.origin!r}, place={self.place!r})"


@dataclass
class ApiProblem:
    """What a platform said about a failed call, read from its documented error body."""

    message: str = ""
    code: str | None = None
    kind: str | None = None  # auth | permission | rate | quota | not_found | None (decided by status)
    retry_after: float | None = None
    permission: str | None = None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets (and any secret-looking query parameter) from ``text``."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


def _seconds_until(value: str, now: float) -> float | None:
    """A reset header as seconds from ``now``: delta seconds, epoch seconds, HTTP date or ISO 8601."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def _header(response: httpx.Response, *names: str) -> str | None:
    for n in names:
        v = response.headers.get(n)
        if v is not None:
            return str(v)
    return None


# ---- the client -----------------------------------------------------------------------------
@dataclass
class HttpClient:
    """JSON over HTTP for one platform, with auth, pacing, retries, a budget and redaction."""

    platform: str
    base_url: str = ""
    credential: Credential | None = None
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=SystemClock)
    budget: Budget = field(default_factory=lambda: Budget(2000))
    max_attempts: int = 5
    max_wait: float = 900.0  # longest pause for a rate limit before giving up (the run resumes later)
    backoff: float = 1.0
    timeout: float = 30.0
    describe_error: Callable[[httpx.Response], ApiProblem | None] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)  # more values to redact (client secrets, codes)
    _not_before: float = field(default=0.0, init=False)
    _refreshed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url,
            transport=self.transport,
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **self.headers},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def spawn(self, credential: Credential | None, *, base_url: str | None = None) -> HttpClient:
        """A client for another credential or host sharing this one's transport, clock and budget."""
        return dataclasses.replace(
            self, credential=credential, base_url=self.base_url if base_url is None else base_url
        )

    @property
    def requests_made(self) -> int:
        return self.budget.used

    def redact(self, text: str) -> str:
        return redact(text, [*([self.credential.secret] if self.credential else []), *self.secrets])

    # ---- public calls ------------------------------------------------------------------------
    def get(self, url: str, *, params: dict[str, Any] | None = None, permission: str | None = None) -> Any:
        return self.json(self.request("GET", url, params=params, permission=permission))

    def post(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, Any] | None = None,
        permission: str | None = None,
        auth: bool = True,
    ) -> Any:
        response = self.request(
            "POST", url, params=params, json_body=json_body, data=data, permission=permission, auth=auth
        )
        return self.json(response)

    def json(self, response: httpx.Response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConnectorError(
                f"{self.platform}: the answer from {self.redact(str(response.request.url))} is not JSON"
            ) from exc

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, Any] | None = None,
        permission: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one call, retrying what is worth retrying; raise a one-line ConnectorError otherwise."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self.clock.sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, params, json_body, data, permission, auth)
        except _Retryable as exc:
            exc.error.message = f"{exc.error.message} (gave up after {self.max_attempts} attempts)"
            raise exc.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- one attempt -------------------------------------------------------------------------
    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(min(60.0, self.backoff * 2 ** (state.attempt_number - 1)))

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        logger.warning("%s (attempt %d); retrying in %.0f s", exc, state.attempt_number, wait)

    def _pace(self) -> None:
        delay = self._not_before - self.clock.time()
        if delay <= 0:
            return
        if delay > self.max_wait:
            raise RateLimitError(
                f"{self.platform}: rate limit window used up; it resets in {delay / 60:.0f} min. What was fetched "
                "is saved: run the same command again after that to continue"
            )
        logger.info("%s: rate limit window used up, waiting %.0f s", self.platform, delay)
        self.clock.sleep(delay)

    def _once(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json_body: Any,
        data: dict[str, Any] | None,
        permission: str | None,
        auth: bool,
    ) -> httpx.Response:
        self._pace()
        self.budget.take(self.platform)
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers: dict[str, str] = {}
        if auth and self.credential is not None:
            if self.credential.place == "query":
                params[self.credential.param] = self.credential.secret
            else:
                headers["Authorization"] = f"Bearer {self.credential.secret}"
        try:
            response = self._client.request(method, url, params=params, json=json_body, data=data, headers=headers)
        except httpx.TimeoutException as exc:
            raise _Retryable(ConnectorError(f"{self.platform}: timed out calling {self._where(url)}")) from exc
        except httpx.TransportError as exc:
            raise _Retryable(
                ConnectorError(f"{self.platform}: network error calling {self._where(url)}: {type(exc).__name__}")
            ) from exc
        logger.debug("%s %s -> %s", method, self.redact(str(response.request.url)), response.status_code)
        self._note_limits(response)
        if response.is_success:
            return response
        return self._fail(response, url, permission, auth)

    def _where(self, url: str) -> str:
        return self.redact(url.split("?", 1)[0])

    def _note_limits(self, response: httpx.Response) -> None:
        now = self.clock.time()
        remaining = _header(response, "x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")
        reset = _header(response, "x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
        if remaining is not None and reset is not None:
            try:
                left = int(float(remaining))
            except ValueError:
                left = 1
            wait = _seconds_until(reset, now)
            if left <= 0 and wait:
                self._not_before = max(self._not_before, now + wait)
        usage = _header(response, "x-app-usage", "x-ad-account-usage")
        if usage:
            try:
                shares = [float(v) for v in json.loads(usage).values() if isinstance(v, int | float)]
            except (json.JSONDecodeError, AttributeError):
                shares = []
            if shares and max(shares) >= 95:
                # Meta's usage is a rolling one-hour window: pause a minute and let it recover
                self._not_before = max(self._not_before, now + 60)

    def _fail(self, response: httpx.Response, url: str, permission: str | None, auth: bool) -> httpx.Response:
        problem = (self.describe_error(response) if self.describe_error else None) or ApiProblem()
        status = response.status_code
        kind = problem.kind or {401: "auth", 403: "permission", 404: "not_found", 429: "rate"}.get(status)
        said = self.redact(problem.message.strip()) if problem.message else ""
        code = f" {problem.code}" if problem.code else ""
        detail = f" (HTTP {status}{code}{': ' + said if said else ''})"
        where = self._where(url)
        if kind == "rate" or (status == 503 and "retry-after" in response.headers):
            wait = problem.retry_after
            if wait is None:
                header = _header(response, "retry-after") or _header(
                    response, "x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"
                )
                wait = _seconds_until(header, self.clock.time()) if header else None
            if wait is not None and wait > self.max_wait:
                raise RateLimitError(
                    f"{self.platform}: rate limited{detail}; the limit resets in {wait / 60:.0f} min. What was "
                    "fetched is saved: run the same command again after that to continue"
                )
            raise _Retryable(RateLimitError(f"{self.platform}: rate limited on {where}{detail}"), wait)
        if kind == "quota":
            raise RateLimitError(
                f"{self.platform}: API quota used up{detail}. What was fetched is saved: run the same command "
                "again when the quota resets (docs/connectors.md)"
            )
        if status >= 500:
            raise _Retryable(ConnectorError(f"{self.platform}: server error on {where}{detail}"))
        origin = self.credential.origin if self.credential else "no credentials"
        if kind == "auth" and (self.credential is None or not auth):
            raise AuthError(f"{self.platform}: {where} refused the request as unauthorised{detail}")
        if kind == "auth":
            if self.credential and self.credential.refresh and not self._refreshed:
                self._refreshed = True
                self.credential.secret = self.credential.refresh()
                raise _Retryable(AuthError(f"{self.platform}: token expired; refreshed it"), 0.0)
            raise AuthError(
                f"{self.platform}: the access token ({origin}) is expired, revoked or invalid{detail}; "
                f"set a fresh one (docs/connectors.md) or run `microscout connect {self.platform}`"
            )
        if kind == "permission":
            needs = problem.permission or permission
            what = f"this call needs {needs}" if needs else "the credentials lack access to this call"
            raise AccessDeniedError(f"{self.platform}: access denied to {where}{detail}; {what} ({origin})")
        if kind == "not_found":
            raise NotFoundOnPlatformError(f"{self.platform}: not found: {where}{detail}")
        raise ConnectorError(f"{self.platform}: request to {where} failed{detail}")
