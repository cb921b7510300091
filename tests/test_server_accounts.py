"""Workspaces, users and API keys in the library, the admin commands that bootstrap them, the
security helpers of the server, and the benchmark's load generator against a live server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from microscout.accounts import (
    authenticate,
    create_api_key,
    create_user,
    create_workspace,
    has_role,
    key_id_of,
    list_api_keys,
    list_workspaces,
    revoke_api_key,
    verify_api_key,
)
from microscout.api.security import RateLimiter, Sessions
from microscout.cli import app
from microscout.errors import InvalidInputError, NotFoundError

PASSWORD = "a long enough password"


def test_roles_include_the_lower_ones():
    assert has_role("admin", "editor") and has_role("editor", "viewer") and has_role("viewer", "viewer")
    assert not has_role("viewer", "editor") and not has_role("editor", "admin") and not has_role("root", "viewer")


def test_workspaces_are_validated_and_unique(store):
    create_workspace(store, "client-a", name="Client A")
    assert {"default", "client-a"} <= {w["workspace_id"] for w in list_workspaces(store)}
    for bad in ("Client A", "", "-x", "a/b", "x" * 70):
        with pytest.raises(InvalidInputError):
            create_workspace(store, bad)
    with pytest.raises(InvalidInputError, match="already exists"):
        create_workspace(store, "client-a")


def test_passwords_are_argon2_hashes_checked_per_workspace(store):
    create_workspace(store, "a")
    create_workspace(store, "b")
    user = create_user(store, "a", email="Ana@Example.org", password=PASSWORD, role="editor")
    create_user(store, "b", email="ana@example.org", password=PASSWORD, role="viewer")
    stored = store.raw.execute("SELECT password_hash FROM users WHERE user_id = ?", [user.user_id]).fetchall()[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert {u.workspace for u in authenticate(store, "ana@example.org", PASSWORD)} == {"a", "b"}
    assert [u.role for u in authenticate(store, "ANA@example.org", PASSWORD, workspace="a")] == ["editor"]
    assert authenticate(store, "ana@example.org", "wrong password!") == []
    assert authenticate(store, "nobody@example.org", PASSWORD) == []
    with pytest.raises(InvalidInputError, match="already a user"):
        create_user(store, "a", email="ana@example.org", password=PASSWORD, role="viewer")
    with pytest.raises(InvalidInputError, match="at least"):
        create_user(store, "a", email="bo@example.org", password="short", role="viewer")
    with pytest.raises(InvalidInputError, match="unknown role"):
        create_user(store, "a", email="bo@example.org", password=PASSWORD, role="owner")
    with pytest.raises(NotFoundError):
        create_user(store, "nope", email="bo@example.org", password=PASSWORD, role="viewer")


def test_api_keys_are_stored_hashed_and_revocable(store):
    key, token = create_api_key(store, "default", name="ci", role="editor")
    assert key_id_of(token) == key.key_id and token.startswith(f"msk_{key.key_id}_")
    rows = store.raw.execute("SELECT key_hash FROM api_keys").fetchall()
    assert all(token not in r[0] and token.split("_")[2] not in r[0] for r in rows)
    assert verify_api_key(store, token).workspace == "default"
    assert verify_api_key(store, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert verify_api_key(store, "msk_nothing") is None
    with pytest.raises(NotFoundError):
        revoke_api_key(store, "other", key.key_id)  # another workspace's key is not found
    revoke_api_key(store, "default", key.key_id)
    assert verify_api_key(store, token) is None
    assert list_api_keys(store, "default")[0].revoked_at is not None


def test_rate_limiter_refills_with_its_clock():
    now = [0.0]
    limiter = RateLimiter(capacity=2, per_seconds=60, clock=lambda: now[0])
    assert limiter.hit("k") and limiter.hit("k") and not limiter.hit("k")
    assert limiter.blocked("k") and not limiter.blocked("other")
    assert 1 <= limiter.retry_after("k") <= 30
    now[0] += 30
    assert limiter.hit("k") and not limiter.hit("k")


def test_sessions_and_csrf_tokens_are_signed():
    sessions = Sessions("secret-1", max_age=3600)
    other = Sessions("secret-2", max_age=3600)
    cookie = sessions.dumps("acme", "u1")
    assert sessions.loads(cookie) == ("acme", "u1")
    assert other.loads(cookie) is None and sessions.loads(cookie + "x") is None
    nonce = Sessions.new_nonce()
    token = sessions.csrf_token(nonce)
    assert sessions.check_csrf(nonce, token)
    assert not other.check_csrf(nonce, token) and not sessions.check_csrf(nonce, "")
    assert not sessions.check_csrf(None, token)


def test_admin_commands_bootstrap_a_server(runner, settings):
    db = ["--db", settings.db]
    r = runner.invoke(app, ["admin", "create-workspace", "acme", "--name", "Acme", *db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["admin", "create-user", "-w", "acme", "--email", "a@acme.example", "--role", "admin", "--password-stdin", *db],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["admin", "create-key", "-w", "acme", "--name", "ci", "--role", "viewer", *db])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("msk_")
    r = runner.invoke(app, ["admin", "revoke-key", key_id_of(token), "-w", "acme", *db])
    assert r.exit_code == 0 and "revoked" in r.output
    r = runner.invoke(app, ["admin", "revoke-key", key_id_of(token), "-w", "default", *db])
    assert r.exit_code == 1 and r.stderr == f"Error: no API key '{key_id_of(token)}' in workspace 'default'\n"
    r = runner.invoke(app, ["admin", "create-workspace", "Bad Name", *db])
    assert r.exit_code == 1 and r.stderr == (
        "Error: workspace id 'Bad Name' is not valid: use 1-63 lower-case letters, digits, '-' or '_'\n"
    )
    r = runner.invoke(app, ["serve", "--host", "0.0.0.0", *db], env={"MICROSCOUT_SESSION_SECRET": ""})
    assert r.exit_code == 1 and r.stderr == (
        "Error: serving on 0.0.0.0 needs a session secret: set MICROSCOUT_SESSION_SECRET (docs/server.md)\n"
    )


def test_the_load_generator_measures_a_live_server(store, settings):
    import uvicorn

    from microscout.api import create_app
    from microscout.bench.api import _load, query_mix

    _key, token = create_api_key(store, "default", name="bench", role="viewer")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        result = asyncio.run(_load(f"http://127.0.0.1:{port}", token, query_mix(50), 1.0, 4))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert result["requests"] > 10 and result["errors"] == 0
    assert {"requests", "errors", "rps", "p50_ms", "p99_ms"} <= set(result)
    assert 0 < result["p50_ms"] <= result["p99_ms"]
