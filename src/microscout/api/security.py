"""Security plumbing of the server: response headers, body limits, rate limits, sessions, CSRF.

* Every response carries a Content Security Policy that allows scripts, styles and images from
  the server itself only (no inline scripts, no CDN), forbids framing (``frame-ancestors
  'none'``), plus ``nosniff``, a referrer policy and, over HTTPS, HSTS.
* Request bodies are limited (an ingest upload to ``Settings.upload_max_mb``, anything else to
  1 MiB): a larger body is refused with 413 before it is read to the end.
* Login and API-key attempts are counted per client address (and per key id) in a token bucket;
  an empty bucket answers 429 with ``Retry-After``.
* Sessions are signed (itsdangerous) cookies ``HttpOnly; SameSite=Lax`` (``Secure`` over HTTPS);
  forms carry a CSRF token: an HMAC of a random per-browser nonce kept in its own cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "ms_session"
CSRF_COOKIE = "ms_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
DEFAULT_BODY_LIMIT = 1 << 20

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# a downloaded report has its own styles inline and no scripts at all
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers.extend(h for h in _HEADERS if h[0] not in present)
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit:,} bytes")


class BodyLimit:
    """ASGI middleware refusing request bodies over a per-path limit with 413."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    message = f"the request body is larger than {limit:,} bytes"
    body = json.dumps({"ok": False, "error": message, "errors": [message], "status": 413}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets keyed by client: ``capacity`` attempts, refilled over ``per_seconds``."""

    def __init__(self, *, capacity: int, per_seconds: float, clock: Callable[[], float], max_keys: int = 50_000):
        self.capacity = float(capacity)
        self.rate = capacity / per_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.rate)

    def blocked(self, key: str) -> bool:
        """True when ``key`` has no attempt left (nothing is used up)."""
        with self._lock:
            return self._tokens(key, self.clock()) < 1

    def hit(self, key: str) -> bool:
        """Use one attempt of ``key``; False when none was left."""
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True

    def retry_after(self, key: str) -> int:
        with self._lock:
            missing = 1 - self._tokens(key, self.clock())
        return max(1, math.ceil(missing / self.rate))

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._tokens(k, now) >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()


def too_many(limiter: RateLimiter, key: str) -> HTTPException:
    return HTTPException(
        429, "too many attempts: wait and try again", headers={"Retry-After": str(limiter.retry_after(key))}
    )


class Sessions:
    """Signed session cookies and CSRF tokens, both from one secret."""

    def __init__(self, secret: str, *, max_age: int) -> None:
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret, salt="microscout.session")
        self._csrf_key = hashlib.sha256(b"microscout.csrf\x00" + secret.encode()).digest()

    def dumps(self, workspace: str, user_id: str) -> str:
        return self._serializer.dumps({"w": workspace, "u": user_id})

    def loads(self, token: str) -> tuple[str, str] | None:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("w"), str) or not isinstance(data.get("u"), str):
            return None
        return data["w"], data["u"]

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str) -> str:
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)
