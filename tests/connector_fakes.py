"""Test doubles for the connector tests: a fake clock and recorded platform responses.

Only HTTP (httpx.MockTransport) and the clock are faked; the store is a real DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from microscout.connectors import Runtime
from microscout.store import Store

NOW = dt.datetime(2026, 11, 1)
EPOCH = NOW.replace(tzinfo=dt.UTC).timestamp()


class FakeClock:
    """Time stands still until something sleeps; every sleep is recorded, none is real."""

    def __init__(self, start: float = EPOCH) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Killed(BaseException):
    """Simulates the process being killed in the middle of a request."""


@dataclass
class Route:
    method: str
    path: str
    params: dict[str, str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int | None
    raises: BaseException | None = None
    contains: dict[str, str] = field(default_factory=dict)
    match_json: dict[str, Any] = field(default_factory=dict)
    used: int = 0


@dataclass
class Api:
    """Recorded responses, matched by method, path and a subset of the query parameters.

    Routes are tried in the order they were added; one with ``times`` is used up after that many
    answers (e.g. a 503 once, then the good page).
    """

    routes: list[Route] = field(default_factory=list)
    calls: list[httpx.Request] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def add(
        self,
        path: str,
        body: Any = None,
        *,
        method: str = "GET",
        status: int = 200,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        raises: BaseException | None = None,
        contains: dict[str, str] | None = None,
        match_json: dict[str, Any] | None = None,
    ) -> Api:
        self.routes.append(
            Route(
                method,
                path,
                {k: str(v) for k, v in (params or {}).items()},
                status,
                body,
                headers or {},
                times,
                raises,
                contains or {},
                match_json or {},
            )
        )
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        query = dict(request.url.params)
        for route in self.routes:
            if route.method != request.method or not request.url.path.endswith(route.path):
                continue
            if any(query.get(k) != v for k, v in route.params.items()):
                continue
            if any(v not in query.get(k, "") for k, v in route.contains.items()):
                continue
            if route.match_json:
                sent = json.loads(request.content or b"{}")
                if any(sent.get(k) != v for k, v in route.match_json.items()):
                    continue
            if route.times is not None and route.used >= route.times:
                continue
            route.used += 1
            if route.raises is not None:
                raise route.raises
            content = b"" if route.body is None else json.dumps(route.body).encode()
            return httpx.Response(
                route.status,
                content=content,
                headers={"content-type": "application/json", **route.headers},
                request=request,
            )
        self.unmatched.append(f"{request.method} {request.url}")
        return httpx.Response(404, json={"error": "NotRecorded", "message": f"no recorded response for {request.url}"})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def runtime(self, clock: FakeClock | None = None, env: dict[str, str] | None = None) -> Runtime:
        return Runtime(env=env or {}, transport=self.transport, clock=clock or FakeClock())

    def count(self, path: str) -> int:
        return sum(1 for r in self.calls if r.url.path.endswith(path))


def table_rows(store: Store, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    out = {}
    for t in tables:
        rows = store.raw.execute(f'SELECT * FROM "{t}"').fetchall()
        out[t] = sorted(rows, key=repr)
    return out


DATA_TABLES = (
    "creators",
    "creator_snapshots",
    "posts",
    "comments",
    "audience_accounts",
    "audience_edges",
    "audience_insights",
)


def all_text(store: Store) -> str:
    """Every value of every table in the store, as one text (for searching what is stored)."""
    parts = []
    for (name,) in store.raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall():
        for row in store.raw.execute(f'SELECT * FROM "{name}"').fetchall():
            parts.append(repr(row))
    return "\n".join(parts)


def fetch(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NULL is None)."""
    cur = store.raw.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def reingest_is_identical(store: Store, source: str, request: Any, recorded: Any, env: dict[str, str]) -> Any:
    """Ingest twice from the same recorded responses: identical tables, second run all unchanged."""
    from microscout.connectors import ingest_source

    first = ingest_source(store, source, request, runtime=recorded().runtime(env=env))
    before = table_rows(store, DATA_TABLES)
    second = ingest_source(store, source, request, runtime=recorded().runtime(env=env))
    assert second.run_id != first.run_id and not second.resumed
    assert table_rows(store, DATA_TABLES) == before
    for table, counts in second.tables.items():
        assert (counts.inserted, counts.updated) == (0, 0), table
        once = first.tables[table]
        assert counts.unchanged + counts.quarantined == once.accepted + once.quarantined, table
    return first


def resumes_after_kill(
    store: Store, tmp_path: Any, source: str, request: Any, recorded: Any, env: dict[str, str], kill: dict[str, Any]
) -> tuple[Any, Api]:
    """Kill the run at the route ``kill`` names, resume it, and compare with an uninterrupted run."""
    import pytest

    from microscout.config import Settings
    from microscout.connectors import ingest_source
    from microscout.store import connect

    api = Api()
    api.add(kill.pop("path"), raises=Killed(), times=1, **kill)
    recorded(api)
    with pytest.raises(Killed):
        ingest_source(store, source, request, runtime=api.runtime(env=env))
    run = fetch(store, "SELECT run_id, status FROM ingest_runs")
    assert len(run) == 1 and run[0]["status"] == "failed"
    api2 = recorded()
    resumed = ingest_source(store, source, request, runtime=api2.runtime(env=env))
    assert resumed.resumed and resumed.run_id == run[0]["run_id"] and resumed.status == "completed"
    secret = (tmp_path / "test.duckdb.secret").read_text()
    (tmp_path / "clean.duckdb.secret").write_text(secret)
    clean = connect(str(tmp_path / "clean.duckdb"), settings=Settings(db=str(tmp_path / "clean.duckdb")))
    try:
        once = ingest_source(clean, source, request, runtime=recorded().runtime(env=env))
        assert table_rows(store, DATA_TABLES) == table_rows(clean, DATA_TABLES)
        for table, counts in once.tables.items():
            got = resumed.tables[table]
            assert (got.inserted, got.quarantined) == (counts.inserted, counts.quarantined), table
    finally:
        clean.close()
    return resumed, api2
