"""Creator authorisation: the OAuth 2.0 authorisation-code flow with PKCE and a 127.0.0.1 callback.

``microscout connect instagram|tiktok|youtube`` opens the platform's consent page; the platform
redirects back to a one-shot HTTP listener on 127.0.0.1; the code is exchanged for tokens, which
are sealed with a key derived from the installation secret and stored per workspace in
``<store>.tokens`` next to the store (never inside it, never in exports). Tokens are refreshed when
they expire and can be revoked.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import logging
import os
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx

from microscout.config import Settings
from microscout.connectors.http import ApiProblem, AuthError, Budget, Clock, HttpClient, MissingCredentialsError
from microscout.errors import InvalidInputError
from microscout.privacy import installation_secret, seal, sidecar_path, unseal

__all__ = ["PROVIDERS", "Provider", "Token", "TokenStore", "authorize", "refresh_token", "revoke"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provider:
    """One platform's OAuth endpoints and conventions."""

    platform: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    client_id_env: str
    client_secret_env: str
    revoke_url: str | None = None
    client_id_param: str = "client_id"
    scope_sep: str = " "
    extra: tuple[tuple[str, str], ...] = ()
    account_field: str | None = None
    refresh_style: str = "oauth2"  # oauth2 | instagram
    refresh_url: str | None = None
    exchange_url: str | None = None  # short-lived → long-lived token (Instagram)
    revoke_note: str = ""

    def credentials(self, env: Mapping[str, str]) -> tuple[str, str]:
        client_id, client_secret = env.get(self.client_id_env), env.get(self.client_secret_env)
        if not client_id or not client_secret:
            raise MissingCredentialsError(
                f"connect {self.platform}: set {self.client_id_env} and {self.client_secret_env} to your app's "
                "OAuth client (docs/connectors.md)"
            )
        return client_id, client_secret


PROVIDERS: dict[str, Provider] = {
    "instagram": Provider(
        "instagram",
        "https://www.instagram.com/oauth/authorize",
        "https://api.instagram.com/oauth/access_token",
        ("instagram_business_basic", "instagram_business_manage_insights"),
        "MICROSCOUT_INSTAGRAM_CLIENT_ID",
        "MICROSCOUT_INSTAGRAM_CLIENT_SECRET",
        scope_sep=",",
        account_field="user_id",
        refresh_style="instagram",
        refresh_url="https://graph.instagram.com/refresh_access_token",
        exchange_url="https://graph.instagram.com/access_token",
        revoke_note="Instagram has no revocation endpoint: the creator removes the app under "
        "Settings → Apps and websites",
    ),
    "tiktok": Provider(
        "tiktok",
        "https://www.tiktok.com/v2/auth/authorize/",
        "https://open.tiktokapis.com/v2/oauth/token/",
        ("user.info.basic", "user.info.profile", "user.info.stats", "video.list"),
        "MICROSCOUT_TIKTOK_CLIENT_KEY",
        "MICROSCOUT_TIKTOK_CLIENT_SECRET",
        revoke_url="https://open.tiktokapis.com/v2/oauth/revoke/",
        client_id_param="client_key",
        scope_sep=",",
        account_field="open_id",
    ),
    "youtube": Provider(
        "youtube",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        ("https://www.googleapis.com/auth/youtube.readonly", "https://www.googleapis.com/auth/yt-analytics.readonly"),
        "MICROSCOUT_YOUTUBE_CLIENT_ID",
        "MICROSCOUT_YOUTUBE_CLIENT_SECRET",
        revoke_url="https://oauth2.googleapis.com/revoke",
        extra=(("access_type", "offline"), ("prompt", "consent")),
    ),
}


@dataclass
class Token:
    """Tokens of one connected account (secrets never appear in ``repr`` or :meth:`public`)."""

    platform: str
    account: str
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    scope: str | None = None
    obtained_at: float = 0.0

    def expired(self, now: float, margin: float = 60.0) -> bool:
        return self.expires_at is not None and now >= self.expires_at - margin

    def public(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "account": self.account,
            "scope": self.scope,
            "expires_at": self.expires_at,
            "refreshable": bool(self.refresh_token) or self.platform == "instagram",
        }

    def __repr__(self) -> str:
        return f"Token(platform={self.platform!r}, account={self.account!r}, expires_at={self.expires_at!r})"


class TokenStore:
    """Sealed tokens per workspace, in one file next to the store (mode 0600)."""

    FORMAT = "microscout-tokens/1"

    def __init__(self, path: Path, secret: bytes, workspace: str) -> None:
        self.path = path
        self._secret = secret
        self.workspace = workspace

    @classmethod
    def for_settings(cls, settings: Settings, workspace: str | None = None) -> TokenStore:
        path = sidecar_path(settings, "tokens")
        if path is None:
            raise InvalidInputError("connected accounts need a store on disk (--db PATH), not an in-memory one")
        return cls(path, installation_secret(settings), workspace or settings.workspace)

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        doc = json.loads(self.path.read_text())
        if doc.get("format") != self.FORMAT:
            raise InvalidInputError(f"{self.path}: not a microscout token file")
        entries: dict[str, str] = doc.get("entries", {})
        return entries

    def _write(self, entries: dict[str, str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"format": self.FORMAT, "entries": entries}, fh, sort_keys=True, indent=1)
        os.replace(tmp, self.path)

    def _key(self, platform: str, account: str) -> str:
        return f"{self.workspace}/{platform}/{account}"

    def save(self, token: Token) -> None:
        entries = self._load()
        entries[self._key(token.platform, token.account)] = seal(
            json.dumps(dataclasses.asdict(token)).encode(), self._secret
        )
        self._write(entries)

    def list(self, platform: str | None = None) -> list[Token]:
        prefix = f"{self.workspace}/{platform + '/' if platform else ''}"
        out = []
        for key, sealed in sorted(self._load().items()):
            if key.startswith(prefix):
                out.append(Token(**json.loads(unseal(sealed, self._secret))))
        return out

    def get(self, platform: str, account: str | None = None) -> Token | None:
        tokens = [t for t in self.list(platform) if account is None or t.account == account]
        if account is None and len(tokens) > 1:
            names = ", ".join(t.account for t in tokens)
            raise InvalidInputError(f"several {platform} accounts are connected ({names}): pick one with --account")
        return tokens[0] if tokens else None

    def delete(self, platform: str, account: str) -> bool:
        entries = self._load()
        found = entries.pop(self._key(platform, account), None) is not None
        if found:
            self._write(entries)
        return found


def _oauth_problem(response: httpx.Response) -> ApiProblem | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):  # TikTok / Meta style
        code = error.get("code") or error.get("type")
        return ApiProblem(str(error.get("message", "")), str(code) if code else None)
    if error:
        kind = "auth" if error in ("invalid_grant", "invalid_client", "unauthorized_client") else None
        return ApiProblem(str(body.get("error_description", "")), str(error), kind)
    return None


def oauth_client(
    platform: str, *, transport: httpx.BaseTransport | None, clock: Clock, secrets_: list[str]
) -> HttpClient:
    return HttpClient(
        platform,
        transport=transport,
        clock=clock,
        budget=Budget(20),
        describe_error=_oauth_problem,
        secrets=secrets_,
    )


def _token_from(provider: Provider, body: Any, now: float, previous: Token | None = None) -> Token:
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        body = body["data"][0]  # Instagram wraps the token in a one-element list
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "access_token" in body["data"]:
        body = body["data"]
    if not isinstance(body, dict) or not body.get("access_token"):
        raise AuthError(f"{provider.platform}: the token endpoint answered without an access token")
    expires_in = body.get("expires_in")
    account = (
        str(body.get(provider.account_field)) if provider.account_field and body.get(provider.account_field) else None
    )
    return Token(
        platform=provider.platform,
        account=account or (previous.account if previous else "default"),
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=now + float(expires_in) if expires_in else None,
        scope=(" ".join(body["scope"]) if isinstance(body.get("scope"), list) else body.get("scope"))
        or (previous.scope if previous else None),
        obtained_at=now,
    )


class _Callback:
    """A one-shot listener on 127.0.0.1 that receives the platform's redirect."""

    def __init__(self, port: int) -> None:
        self.params: dict[str, str] = {}
        self.done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urllib.parse.urlparse(self.path)
                if parsed.path != "/callback":
                    self.send_error(404)
                    return
                outer.params = dict(urllib.parse.parse_qsl(parsed.query))
                ok = "code" in outer.params
                text = "authorised: you can close this tab" if ok else "authorisation was not granted"
                body = f"<!doctype html><title>microscout</title><p>microscout: {html.escape(text)}.</p>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.done.set()

            def log_message(self, format: str, *args: Any) -> None:  # never log the code
                return

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise InvalidInputError(
                f"cannot listen on 127.0.0.1:{port} for the callback ({exc.strerror}); use --port"
            ) from exc
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/callback"

    def __enter__(self) -> _Callback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def authorize(
    provider: Provider,
    *,
    client_id: str,
    client_secret: str,
    tokens: TokenStore,
    open_url: Callable[[str], object],
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
    port: int = 0,
    timeout: float = 300.0,
) -> Token:
    """Run the authorisation-code flow (PKCE S256) and store the account's tokens."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with _Callback(port) as callback:
        query = {
            provider.client_id_param: client_id,
            "redirect_uri": callback.redirect_uri,
            "response_type": "code",
            "scope": provider.scope_sep.join(provider.scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **dict(provider.extra),
        }
        url = provider.authorize_url + ("&" if "?" in provider.authorize_url else "?") + urllib.parse.urlencode(query)
        open_url(url)
        if not callback.done.wait(timeout):
            raise AuthError(f"connect {provider.platform}: no answer from the consent page within {timeout:.0f} s")
        params, redirect_uri = callback.params, callback.redirect_uri
    if params.get("state") != state:
        raise AuthError(
            f"connect {provider.platform}: the callback's state does not match (possible forgery); try again"
        )
    if "code" not in params:
        reason = params.get("error_description") or params.get("error") or "no code"
        raise AuthError(f"connect {provider.platform}: authorisation was not granted ({reason})")
    http = oauth_client(provider.platform, transport=transport, clock=clock, secrets_=[client_secret, params["code"]])
    try:
        body = http.post(
            provider.token_url,
            data={
                provider.client_id_param: client_id,
                "client_secret": client_secret,
                "code": params["code"],
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=False,
        )
        token = _token_from(provider, body, clock.time())
        if provider.exchange_url:
            long_lived = http.get(
                provider.exchange_url,
                params={
                    "grant_type": "ig_exchange_token",
                    "client_secret": client_secret,
                    "access_token": token.access_token,
                },
            )
            token = _token_from(provider, long_lived, clock.time(), previous=token)
    finally:
        http.close()
    tokens.save(token)
    logger.info("connected %s account %s", provider.platform, token.account)
    return token


def refresh_token(
    provider: Provider,
    token: Token,
    *,
    client_id: str | None,
    client_secret: str | None,
    tokens: TokenStore | None,
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
) -> Token:
    """Exchange the refresh token (or, for Instagram, the long-lived token) for a fresh one; store it."""
    http = oauth_client(
        provider.platform, transport=transport, clock=clock, secrets_=[token.access_token, token.refresh_token or ""]
    )
    try:
        if provider.refresh_style == "instagram" and provider.refresh_url:
            body = http.get(
                provider.refresh_url, params={"grant_type": "ig_refresh_token", "access_token": token.access_token}
            )
        elif token.refresh_token and client_id and client_secret:
            body = http.post(
                provider.token_url,
                data={
                    provider.client_id_param: client_id,
                    "client_secret": client_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": token.refresh_token,
                },
                auth=False,
            )
        else:
            raise AuthError(
                f"{provider.platform}: the token of account {token.account} expired and cannot be refreshed here; "
                f"run `microscout connect {provider.platform}` again"
            )
    except AuthError as exc:
        raise AuthError(
            f"{provider.platform}: refreshing the token of account {token.account} failed ({exc.message}); "
            f"run `microscout connect {provider.platform}` again"
        ) from exc
    finally:
        http.close()
    fresh = _token_from(provider, body, clock.time(), previous=token)
    fresh.account = token.account
    if tokens is not None:
        tokens.save(fresh)
    return fresh


def revoke(
    provider: Provider,
    token: Token,
    *,
    client_id: str | None,
    client_secret: str | None,
    tokens: TokenStore,
    clock: Clock,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Revoke the account's token at the platform (where it has an endpoint) and delete it here."""
    note = provider.revoke_note
    if provider.revoke_url:
        data = {"token": token.access_token}
        if provider.platform == "tiktok" and client_id and client_secret:
            data.update({"client_key": client_id, "client_secret": client_secret})
        http = oauth_client(provider.platform, transport=transport, clock=clock, secrets_=[token.access_token])
        try:
            http.post(provider.revoke_url, data=data, auth=False)
        finally:
            http.close()
        note = "revoked at the platform"
    tokens.delete(provider.platform, token.account)
    return f"{provider.platform} account {token.account}: deleted here; {note}"
