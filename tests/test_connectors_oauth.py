"""OAuth authorisation-code flow end to end against a fake authorisation server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from connector_fakes import Api, FakeClock, all_text, fetch
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AuthError
from microscout.connectors.oauth import PROVIDERS, Provider, Token, TokenStore, authorize, refresh_token, revoke
from microscout.errors import InvalidInputError


class FakeAuthServer:
    """Authorisation server: consent page (redirects with a code), token endpoint, revocation endpoint."""

    def __init__(self, *, deny: bool = False, forge_state: bool = False) -> None:
        self.codes: dict[str, dict[str, str]] = {}
        self.revoked: list[str] = []
        self.grants: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                assert url.path == "/authorize" and q["client_id"] == "app-123" and q["response_type"] == "code"
                assert q["redirect_uri"].startswith("http://127.0.0.1:") and q["code_challenge_method"] == "S256"
                if deny:
                    params = {
                        "error": "access_denied",
                        "error_description": "The user denied access",
                        "state": q["state"],
                    }
                else:
                    code = f"code-{len(outer.codes) + 1}"
                    outer.codes[code] = q
                    params = {"code": code, "state": "forged" if forge_state else q["state"]}
                self.send_response(302)
                self.send_header("Location", q["redirect_uri"] + "?" + urllib.parse.urlencode(params))
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/revoke":
                    outer.revoked.append(form["token"])
                    self.reply(200, {})
                    return
                if form.get("client_secret") != "shh-secret":
                    self.reply(401, {"error": "invalid_client", "error_description": "bad client secret"})
                    return
                outer.grants.append(form["grant_type"])
                if form["grant_type"] == "authorization_code":
                    asked = outer.codes.pop(form["code"], None)
                    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
                    if asked is None or challenge.rstrip(b"=").decode() != asked["code_challenge"]:
                        self.reply(400, {"error": "invalid_grant", "error_description": "code or PKCE verifier wrong"})
                        return
                    assert form["redirect_uri"] == asked["redirect_uri"]
                    self.reply(
                        200,
                        {
                            "access_token": "at-1",
                            "refresh_token": "rt-1",
                            "expires_in": 3600,
                            "scope": asked["scope"],
                            "token_type": "Bearer",
                        },
                    )
                elif form["grant_type"] == "refresh_token" and form["refresh_token"] == "rt-1":
                    self.reply(200, {"access_token": "at-2", "expires_in": 3600, "token_type": "Bearer"})
                else:
                    self.reply(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.provider = Provider(
            "youtube",
            f"{base}/authorize",
            f"{base}/token",
            ("https://www.googleapis.com/auth/youtube.readonly",),
            "MICROSCOUT_YOUTUBE_CLIENT_ID",
            "MICROSCOUT_YOUTUBE_CLIENT_SECRET",
            revoke_url=f"{base}/revoke",
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def auth_server():
    server = FakeAuthServer()
    yield server
    server.close()


def browser(url: str) -> None:
    """The user's browser: follows the consent page's redirect to the local callback, in the background."""
    threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start()


def test_connect_stores_sealed_tokens_refreshes_and_revokes(store, auth_server):
    tokens = TokenStore.for_settings(store.settings, "default")
    clock = FakeClock()
    token = authorize(
        auth_server.provider,
        client_id="app-123",
        client_secret="shh-secret",
        tokens=tokens,
        open_url=browser,
        clock=clock,
        timeout=10,
    )
    assert (token.access_token, token.refresh_token, token.expires_at) == ("at-1", "rt-1", clock.t + 3600)
    saved = tokens.path.read_text()
    assert "at-1" not in saved and "rt-1" not in saved  # sealed at rest
    assert oct(tokens.path.stat().st_mode & 0o777) == "0o600"
    assert tokens.get("youtube").access_token == "at-1"
    assert "at-1" not in repr(tokens.get("youtube")) and "at-1" not in json.dumps(tokens.get("youtube").public())
    # another workspace does not see the account
    assert TokenStore.for_settings(store.settings, "client-b").list("youtube") == []
    fresh = refresh_token(
        auth_server.provider, token, client_id="app-123", client_secret="shh-secret", tokens=tokens, clock=clock
    )
    assert (fresh.access_token, fresh.refresh_token) == ("at-2", "rt-1")  # Google keeps the refresh token
    assert tokens.get("youtube").access_token == "at-2"
    message = revoke(
        auth_server.provider, fresh, client_id="app-123", client_secret="shh-secret", tokens=tokens, clock=clock
    )
    assert auth_server.revoked == ["at-2"] and "revoked at the platform" in message
    assert tokens.list("youtube") == []
    assert auth_server.grants == ["authorization_code", "refresh_token"]
    assert "at-" not in all_text(store)


def test_connect_refused_or_forged_callback_is_an_error(store):
    tokens = TokenStore.for_settings(store.settings, "default")
    denied = FakeAuthServer(deny=True)
    try:
        with pytest.raises(AuthError, match=r"not granted \(The user denied access\)"):
            authorize(
                denied.provider,
                client_id="app-123",
                client_secret="shh-secret",
                tokens=tokens,
                open_url=browser,
                clock=FakeClock(),
                timeout=10,
            )
    finally:
        denied.close()
    forged = FakeAuthServer(forge_state=True)
    try:
        with pytest.raises(AuthError, match="state does not match"):
            authorize(
                forged.provider,
                client_id="app-123",
                client_secret="shh-secret",
                tokens=tokens,
                open_url=browser,
                clock=FakeClock(),
                timeout=10,
            )
    finally:
        forged.close()
    assert tokens.list() == []


def test_connect_wrong_client_secret_is_redacted(store, auth_server):
    tokens = TokenStore.for_settings(store.settings, "default")
    with pytest.raises(AuthError) as err:
        authorize(
            auth_server.provider,
            client_id="app-123",
            client_secret="wrong-secret",
            tokens=tokens,
            open_url=browser,
            clock=FakeClock(),
            timeout=10,
        )
    assert "bad client secret" in err.value.message and "wrong-secret" not in err.value.message
    assert "refused the request as unauthorised (HTTP 401 invalid_client" in err.value.message


def test_sealed_tokens_need_the_installation_secret(store, tmp_path):
    tokens = TokenStore.for_settings(store.settings, "default")
    tokens.save(Token("youtube", "UC1", "at-9"))
    other = TokenStore(tokens.path, b"another-installation-secret", "default")
    with pytest.raises(InvalidInputError, match="does not match this installation's secret"):
        other.list("youtube")


def test_connected_youtube_token_refreshed_on_401_then_used(store):
    """A connected account whose access token was revoked early: one refresh, then the call succeeds."""
    tokens = TokenStore.for_settings(store.settings, "default")
    tokens.save(Token("youtube", "UCme", "at-old", refresh_token="rt-1", expires_at=None))
    api = Api()
    expired = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "errors": [{"reason": "authError"}],
        }
    }
    api.add("/youtube/v3/channels", expired, status=401, times=1)
    api.add("/token", {"access_token": "at-new", "expires_in": 3599, "token_type": "Bearer"}, method="POST")
    channel = {
        "items": [
            {
                "id": "UCme",
                "snippet": {"title": "Me", "customUrl": "@me"},
                "statistics": {"subscriberCount": "900", "videoCount": "0"},
                "contentDetails": {"relatedPlaylists": {"uploads": "UUme"}},
            }
        ]
    }
    api.add("/youtube/v3/channels", channel, params={"mine": "true"})
    api.add("/youtube/v3/playlistItems", {"items": []})
    api.add(
        "/v2/reports",
        {"columnHeaders": [], "rows": [["age25-34", "female", 60.0], ["age25-34", "male", 40.0]]},
        params={"dimensions": "ageGroup,gender"},
    )
    api.add("/v2/reports", {"rows": [["PT", 300], ["BR", 100]]}, params={"dimensions": "country"})
    env = {PROVIDERS["youtube"].client_id_env: "app-123", PROVIDERS["youtube"].client_secret_env: "shh-secret"}
    result = ingest_source(store, "youtube", Request(connected=True, posts=5), runtime=api.runtime(env=env))
    assert result.status == "completed" and api.unmatched == []
    auth = [
        r.headers.get("Authorization") for r in api.calls if "googleapis" in str(r.url) and "/token" not in str(r.url)
    ]
    assert auth[0] == "Bearer at-old" and set(auth[1:]) == {"Bearer at-new"}
    assert tokens.get("youtube").access_token == "at-new"
    shares = {(r["dimension"], r["value"]): r["share"] for r in fetch(store, "SELECT * FROM audience_insights")}
    assert shares == {
        ("age", "25-34"): 1.0,
        ("gender", "female"): 0.6,
        ("gender", "male"): 0.4,
        ("country", "BR"): 0.25,
        ("country", "PT"): 0.75,
    }
