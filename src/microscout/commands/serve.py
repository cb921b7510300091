"""``microscout serve`` (the REST API and web UI) and ``microscout admin …`` (workspaces, users, keys)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from microscout.cli import DbOption, app, console, err_console, handle_errors, make_settings
from microscout.errors import InvalidInputError
from microscout.store import connect

LOOPBACK = ("127.0.0.1", "localhost", "::1")
RoleOption = Annotated[str, typer.Option("--role", help="viewer, editor or admin.")]
AdminWorkspace = Annotated[str, typer.Option("--workspace", "-w", help="The workspace (id).")]

admin_app = typer.Typer(
    help="Set up the server: workspaces, users and API keys (with the server stopped: it holds the store).",
    no_args_is_help=True,
)
app.add_typer(admin_app, name="admin")


@app.command("serve")
@handle_errors
def serve_cmd(
    db: DbOption = "./microscout.duckdb",
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8001,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For/-Proto headers are trusted (comma-separated, or *).",
        ),
    ] = "127.0.0.1",
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the REST API (/api/v1) and the web UI from one process holding the store.

    Long jobs (ingest uploads) run on worker threads in the same process; see docs/server.md for
    users, roles, API keys and running behind a reverse proxy with TLS.
    """
    import uvicorn

    from microscout.api import create_app

    settings = make_settings(db)
    secret = settings.session_secret.get_secret_value() if settings.session_secret else ""
    if host not in LOOPBACK and not secret:
        raise InvalidInputError(
            f"serving on {host} needs a session secret: set MICROSCOUT_SESSION_SECRET (docs/server.md)"
        )
    if log_level not in ("debug", "info", "warning", "error"):
        raise InvalidInputError(f"unknown log level {log_level!r}; use debug, info, warning or error")
    web_app = create_app(settings)
    err_console.print(f"microscout: serving {settings.db} on http://{host}:{port}/ (API: /api/v1)", highlight=False)
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
        server_header=False,
    )


@admin_app.command("create-workspace")
@handle_errors
def create_workspace_cmd(
    workspace: Annotated[str, typer.Argument(help="Workspace id: lower-case letters, digits, - and _.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    db: DbOption = "./microscout.duckdb",
) -> None:
    """Create a workspace (a team or a client whose data no other workspace sees)."""
    from microscout.accounts import create_workspace

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        created = create_workspace(store, workspace, name=name)
    console.print(f"Workspace {created['workspace_id']} created.", highlight=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@admin_app.command("create-user")
@handle_errors
def create_user_cmd(
    workspace: AdminWorkspace,
    email: Annotated[str, typer.Option("--email", help="Login email.")],
    role: RoleOption = "viewer",
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (no prompt).")
    ] = False,
    db: DbOption = "./microscout.duckdb",
) -> None:
    """Add a user who logs in to the web UI (the password is stored as an argon2 hash)."""
    from microscout.accounts import create_user, record_event

    settings = make_settings(db)
    password = _read_password(password_stdin)
    with connect(settings.db, settings=settings) as store:
        user = create_user(store, workspace, email=email, password=password, role=role, name=name)
        record_event(store, workspace, actor="cli", action="create-user", target=user.user_id)
    console.print(f"User {user.email} ({user.role}) added to {workspace}.", highlight=False)


@admin_app.command("create-key")
@handle_errors
def create_key_cmd(
    workspace: AdminWorkspace,
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. ci or reporting.")],
    role: RoleOption = "viewer",
    db: DbOption = "./microscout.duckdb",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from microscout.accounts import create_api_key, record_event

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        key, token = create_api_key(store, workspace, name=name, role=role)
        record_event(store, workspace, actor="cli", action="create-key", target=key.key_id)
    err_console.print(f"API key {key.key_id} ({key.role}) for {workspace}; it is shown only now:", highlight=False)
    sys.stdout.write(token + "\n")


@admin_app.command("revoke-key")
@handle_errors
def revoke_key_cmd(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after msk_).")],
    workspace: AdminWorkspace,
    db: DbOption = "./microscout.duckdb",
) -> None:
    """Revoke an API key: it never authenticates again."""
    from microscout.accounts import record_event, revoke_api_key

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        key = revoke_api_key(store, workspace, key_id)
        record_event(store, workspace, actor="cli", action="revoke-key", target=key.key_id)
    console.print(f"API key {key.key_id} revoked.", highlight=False)
