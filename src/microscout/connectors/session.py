"""Open sources with their credentials, and the library calls behind ``ingest <platform>`` and ``refresh``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from microscout.config import Settings
from microscout.connectors.base import Request, Source, get_source
from microscout.connectors.http import (
    Budget,
    Clock,
    ConnectorError,
    Credential,
    HttpClient,
    MissingCredentialsError,
    SystemClock,
)
from microscout.connectors.oauth import PROVIDERS, Token, TokenStore, refresh_token
from microscout.connectors.run import Progress, RefreshJob, RunResult, SourceJob, run_job
from microscout.errors import InvalidInputError
from microscout.privacy import Pseudonymiser, installation_secret
from microscout.store import Store

__all__ = ["Runtime", "connected_credentials", "ingest_source", "open_source", "refresh_creators"]

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every source of a run shares: environment, transport (tests), clock and request budget."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=SystemClock)
    budget: Budget | None = None


def connected_credentials(
    settings: Settings, workspace: str, platform: str, runtime: Runtime
) -> list[tuple[Token, Credential]]:
    """Tokens of accounts connected in ``workspace`` (refreshed when expired), as credentials."""
    if platform not in PROVIDERS:
        return []
    try:
        tokens = TokenStore.for_settings(settings, workspace)
    except InvalidInputError:
        return []
    provider = PROVIDERS[platform]
    client_id = runtime.env.get(provider.client_id_env)
    client_secret = runtime.env.get(provider.client_secret_env)
    out = []
    for token in tokens.list(platform):
        holder = {"token": token}

        def renew(holder: dict[str, Token] = holder) -> str:
            fresh = refresh_token(
                provider,
                holder["token"],
                client_id=client_id,
                client_secret=client_secret,
                tokens=tokens,
                clock=runtime.clock,
                transport=runtime.transport,
            )
            holder["token"] = fresh
            return fresh.access_token

        if token.expired(runtime.clock.time()):
            renew()
        credential = Credential(
            holder["token"].access_token,
            origin=f"connected {platform} account {token.account} (microscout connect {platform})",
            refresh=renew,
        )
        out.append((holder["token"], credential))
    return out


def open_source(
    name: str,
    *,
    settings: Settings,
    request: Request,
    workspace: str | None = None,
    runtime: Runtime | None = None,
) -> Source:
    """Build source ``name`` with its credentials (environment first, then connected accounts)."""
    cls = get_source(name)
    runtime = runtime or Runtime()
    workspace = workspace or settings.workspace
    budget = runtime.budget or Budget(settings.connector_request_budget)
    credential = None
    if cls.credential_env and runtime.env.get(cls.credential_env):
        credential = Credential(
            runtime.env[cls.credential_env],
            origin=cls.credential_env,
            place=cls.credential_place,
            param=cls.credential_param,
        )
    connected = connected_credentials(settings, workspace, cls.platform, runtime) if cls.oauth else []
    if request.connected and not connected:
        raise MissingCredentialsError(
            f"ingest {name} --connected: no {cls.platform} account is connected in workspace {workspace!r}; "
            f"run `microscout connect {cls.platform}` first"
        )
    if credential is None and cls.credential_required and not request.connected:
        raise MissingCredentialsError(
            f"ingest {name}: set {cls.credential_env} (docs/connectors.md explains the access it needs)"
        )
    options = {k: runtime.env[v] for k, v in cls.option_env.items() if runtime.env.get(v)}
    http = HttpClient(
        cls.platform,
        base_url=cls.base_url,
        credential=credential,
        transport=runtime.transport,
        clock=runtime.clock,
        budget=budget,
    )
    pseudonymise = Pseudonymiser(installation_secret(settings))
    return cls(http, pseudonymise=pseudonymise, clock=runtime.clock, options=options, connected=connected)


def ingest_source(
    store: Store,
    name: str,
    request: Request,
    *,
    workspace: str | None = None,
    runtime: Runtime | None = None,
    resume: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """``microscout ingest <name>``: fetch, validate, upsert, quarantine; resumable."""
    runtime = runtime or Runtime()
    runtime.budget = runtime.budget or Budget(store.settings.connector_request_budget)
    workspace = workspace or store.settings.workspace
    cls = get_source(name)
    cls.check(request)
    source = open_source(name, settings=store.settings, request=request, workspace=workspace, runtime=runtime)
    budget = runtime.budget
    try:
        result = run_job(
            store,
            SourceJob(source, request),
            workspace=workspace,
            resume=resume,
            progress=progress,
            clock=runtime.clock,
            requests=lambda: budget.used,
        )
    finally:
        source.http.close()
    result.notes = list(source.notes)
    return result


def refresh_creators(
    store: Store,
    template: Request,
    *,
    platforms: list[str] | None = None,
    workspace: str | None = None,
    runtime: Runtime | None = None,
    resume: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """``microscout refresh``: re-pull every tracked creator (profiled before) whose platform can be reached.

    Platforms without credentials are skipped with a note; each creator's profile fetch writes a
    creator snapshot at the time of the fetch; the whole refresh is one resumable run.
    """
    from microscout.connectors.base import SOURCES

    runtime = runtime or Runtime()
    runtime.budget = runtime.budget or Budget(store.settings.connector_request_budget)
    workspace = workspace or store.settings.workspace
    get_source("bluesky")  # make sure the built-in sources are registered
    creators = store.raw.execute(
        # tracked creators: profiled before (authors seen only in search results are not re-pulled)
        "SELECT platform, creator_id, handle FROM creators WHERE last_seen IS NOT NULL ORDER BY platform, creator_id"
    ).fetchall()
    wanted = set(platforms or SOURCES)
    sources: dict[str, Source] = {}
    notes: list[str] = []
    for platform in sorted({p for p, _, _ in creators} & wanted):
        try:
            sources[platform] = open_source(
                platform, settings=store.settings, request=template, workspace=workspace, runtime=runtime
            )
        except ConnectorError as exc:
            notes.append(f"skipped {platform}: {exc.message}")
    todo = [(str(p), str(c), h) for p, c, h in creators if p in sources]
    job = RefreshJob(todo, sources, template, notes=notes)
    budget = runtime.budget
    try:
        result = run_job(
            store,
            job,
            workspace=workspace,
            resume=resume,
            progress=progress,
            clock=runtime.clock,
            requests=lambda: budget.used,
        )
    finally:
        for source in sources.values():
            source.http.close()
    result.notes = notes + [n for source in sources.values() for n in source.notes]
    return result
