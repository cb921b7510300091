"""Every API route for every role, the error shape, rate limits and upload limits."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microscout.api import create_app
from serverworld import ROLES, build_world, headers

BRIEF = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}],
    "platforms": ["instagram", "tiktok"],
    "budget": {"amount": 5000, "currency": "EUR"},
}
# the server world has no exchange rates: a plan's budget is in the cost model's currency (USD)
PLAN_BRIEF = {**BRIEF, "platforms": ["instagram", "tiktok", "youtube"], "budget": {"amount": 2000, "currency": "USD"}}
ERROR_KEYS = {"ok", "error", "errors", "status"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("api"))
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def client(world):
    with TestClient(create_app(world.settings, store=world.store)) as c:
        yield c


class Ctx:
    """Makes the objects a route needs, with the admin key of workspace acme."""

    def __init__(self, client: TestClient, world: Any) -> None:
        self.client = client
        self.h = headers(world.keys[("acme", "admin")])

    def brief_id(self) -> str:
        return str(self.client.post("/api/v1/briefs", json={"brief": BRIEF}, headers=self.h).json()["brief_id"])

    def search_id(self) -> str:
        r = self.client.post(f"/api/v1/briefs/{self.brief_id()}/searches", json={"limit": 5}, headers=self.h)
        assert r.status_code == 201, r.text
        return str(r.json()["search_id"])

    def plan_brief_id(self) -> str:
        r = self.client.post("/api/v1/briefs", json={"brief": PLAN_BRIEF}, headers=self.h)
        return str(r.json()["brief_id"])

    def plan_id(self) -> str:
        r = self.client.post(f"/api/v1/briefs/{self.plan_brief_id()}/plans", json={"time_limit": 5}, headers=self.h)
        assert r.status_code == 201, r.text
        return str(r.json()["plan_id"])

    def list_id(self, with_item: bool = False) -> str:
        list_id = str(self.client.post("/api/v1/lists", json={"name": "L"}, headers=self.h).json()["list_id"])
        if with_item:
            self.client.post(f"/api/v1/lists/{list_id}/items", json={"creator": "instagram:bia"}, headers=self.h)
        return list_id

    def note_id(self) -> str:
        body = {"creator": "instagram:bia", "body": "good fit"}
        return str(self.client.post("/api/v1/notes", json=body, headers=self.h).json()["note_id"])

    def key_id(self) -> str:
        body = {"name": "temp", "role": "viewer"}
        return str(self.client.post("/api/v1/api-keys", json=body, headers=self.h).json()["key_id"])

    def job_id(self) -> str:
        return str(_upload(self.client, self.h).json()["job_id"])

    def campaign_id(self) -> str:
        r = self.client.post("/api/v1/campaigns", json=_campaign(), headers=self.h)
        return str(r.json()["campaign_id"])

    def track_job(self) -> str:
        cid = self.campaign_id()
        job = self.client.post(f"/api/v1/campaigns/{cid}/track", headers=self.h).json()["job_id"]
        return f"/api/v1/campaigns/{cid}/track-jobs/{job}"


def _campaign() -> dict[str, Any]:
    return {
        "name": f"C {uuid.uuid4().hex[:8]}", "brand": "Solara", "start": "2026-09-01",
        "placements": [{"creator": "instagram:bia", "market": "BR", "fee": 100, "deliverables": [{"kind": "post"}]}],
    }  # fmt: skip


def _sales() -> dict[str, Any]:
    return {
        "files": {
            "file": (
                "orders.csv",
                io.BytesIO(b"order_id,date,revenue,currency,promo_code\no1,2026-09-02,5,EUR,X\n"),
                "text/csv",
            )
        }
    }


def _comments_file() -> bytes:
    return b'{"platform": "instagram", "comment_id": "up-1", "post_id": "2-1", "text": "hello"}\n'


def _upload(client: TestClient, h: dict[str, str], name: str = "comments.jsonl", data: bytes | None = None) -> Any:
    files = {"file": (name, io.BytesIO(_comments_file() if data is None else data), "application/octet-stream")}
    return client.post("/api/v1/ingest-jobs", files=files, headers=h)


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # the OpenAPI path
    role: str | None  # least role that may call it; None: public
    ok: int
    path: Callable[[Ctx], str]
    kwargs: Callable[[Ctx], dict[str, Any]] = lambda _ctx: {}


def _json(body: Any) -> Callable[[Ctx], dict[str, Any]]:
    return lambda _ctx: {"json": body}


CASES = [
    Case("GET", "/api/v1/health", None, 200, lambda c: "/api/v1/health"),
    Case("GET", "/api/v1/me", "viewer", 200, lambda c: "/api/v1/me"),
    Case("GET", "/api/v1/creators", "viewer", 200, lambda c: "/api/v1/creators?platform=instagram&limit=5"),
    Case("GET", "/api/v1/creators/{ref}", "viewer", 200, lambda c: "/api/v1/creators/instagram:ana.fit"),
    Case("GET", "/api/v1/creators/{ref}/vet", "viewer", 200, lambda c: "/api/v1/creators/instagram:carl/vet"),
    Case("GET", "/api/v1/briefs", "viewer", 200, lambda c: "/api/v1/briefs"),
    Case("POST", "/api/v1/briefs", "editor", 201, lambda c: "/api/v1/briefs", _json({"brief": BRIEF})),
    Case("GET", "/api/v1/briefs/{brief_id}", "viewer", 200, lambda c: f"/api/v1/briefs/{c.brief_id()}"),
    Case(
        "POST",
        "/api/v1/briefs/{brief_id}/searches",
        "editor",
        201,
        lambda c: f"/api/v1/briefs/{c.brief_id()}/searches",
        _json({"limit": 3}),
    ),
    Case("GET", "/api/v1/searches", "viewer", 200, lambda c: "/api/v1/searches"),
    Case("GET", "/api/v1/searches/{search_id}", "viewer", 200, lambda c: f"/api/v1/searches/{c.search_id()}"),
    Case("GET", "/api/v1/reports", "viewer", 200, lambda c: "/api/v1/reports"),
    Case(
        "GET",
        "/api/v1/reports/{search_id}/download",
        "viewer",
        200,
        lambda c: f"/api/v1/reports/{c.search_id()}/download",
    ),
    Case(
        "POST",
        "/api/v1/briefs/{brief_id}/plans",
        "editor",
        201,
        lambda c: f"/api/v1/briefs/{c.plan_brief_id()}/plans",
        _json({"max_creators": 5, "time_limit": 5}),
    ),
    Case("GET", "/api/v1/plans", "viewer", 200, lambda c: "/api/v1/plans"),
    Case("GET", "/api/v1/plans/{plan_id}", "viewer", 200, lambda c: f"/api/v1/plans/{c.plan_id()}"),
    Case(
        "POST",
        "/api/v1/plans/{plan_id}/campaign",
        "editor",
        201,
        lambda c: f"/api/v1/plans/{c.plan_id()}/campaign",
        lambda c: {"json": {"name": f"P {uuid.uuid4().hex[:8]}", "start": "2026-09-01"}},
    ),
    Case("GET", "/api/v1/lists", "viewer", 200, lambda c: "/api/v1/lists"),
    Case("POST", "/api/v1/lists", "editor", 201, lambda c: "/api/v1/lists", _json({"name": "Summer"})),
    Case("GET", "/api/v1/lists/{list_id}", "viewer", 200, lambda c: f"/api/v1/lists/{c.list_id()}"),
    Case("DELETE", "/api/v1/lists/{list_id}", "editor", 204, lambda c: f"/api/v1/lists/{c.list_id()}"),
    Case(
        "POST",
        "/api/v1/lists/{list_id}/items",
        "editor",
        201,
        lambda c: f"/api/v1/lists/{c.list_id()}/items",
        _json({"creator": "tiktok:eve"}),
    ),
    Case(
        "DELETE",
        "/api/v1/lists/{list_id}/items/{ref}",
        "editor",
        204,
        lambda c: f"/api/v1/lists/{c.list_id(with_item=True)}/items/instagram:bia",
    ),
    Case("GET", "/api/v1/notes", "viewer", 200, lambda c: "/api/v1/notes?creator=instagram:bia"),
    Case(
        "POST", "/api/v1/notes", "editor", 201, lambda c: "/api/v1/notes", _json({"creator": "tiktok:eve", "body": "x"})
    ),
    Case("DELETE", "/api/v1/notes/{note_id}", "editor", 204, lambda c: f"/api/v1/notes/{c.note_id()}"),
    Case("GET", "/api/v1/ingest-jobs", "viewer", 200, lambda c: "/api/v1/ingest-jobs"),
    Case(
        "POST",
        "/api/v1/ingest-jobs",
        "editor",
        202,
        lambda c: "/api/v1/ingest-jobs",
        lambda c: {"files": {"file": ("comments.jsonl", io.BytesIO(_comments_file()), "application/octet-stream")}},
    ),
    Case("GET", "/api/v1/ingest-jobs/{job_id}", "viewer", 200, lambda c: f"/api/v1/ingest-jobs/{c.job_id()}"),
    Case("GET", "/api/v1/campaigns", "viewer", 200, lambda c: "/api/v1/campaigns"),
    Case("POST", "/api/v1/campaigns", "editor", 201, lambda c: "/api/v1/campaigns", lambda c: {"json": _campaign()}),
    Case("GET", "/api/v1/campaigns/{campaign_id}", "viewer", 200, lambda c: f"/api/v1/campaigns/{c.campaign_id()}"),
    Case(
        "POST",
        "/api/v1/campaigns/{campaign_id}/close",
        "editor",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/close",
    ),
    Case(
        "POST",
        "/api/v1/campaigns/{campaign_id}/track",
        "editor",
        202,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/track",
    ),
    Case("GET", "/api/v1/campaigns/{campaign_id}/track-jobs/{job_id}", "viewer", 200, lambda c: c.track_job()),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}/status",
        "viewer",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/status",
    ),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}/results",
        "viewer",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/results",
    ),
    Case(
        "POST",
        "/api/v1/campaigns/{campaign_id}/sales",
        "editor",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/sales",
        lambda c: _sales(),
    ),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}/alerts",
        "viewer",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/alerts",
    ),
    Case(
        "GET",
        "/api/v1/campaigns/{campaign_id}/report",
        "viewer",
        200,
        lambda c: f"/api/v1/campaigns/{c.campaign_id()}/report?format=xlsx",
    ),
    Case("GET", "/api/v1/api-keys", "admin", 200, lambda c: "/api/v1/api-keys"),
    Case(
        "POST",
        "/api/v1/api-keys",
        "admin",
        201,
        lambda c: "/api/v1/api-keys",
        _json({"name": "ci", "role": "viewer"}),
    ),
    Case("DELETE", "/api/v1/api-keys/{key_id}", "admin", 204, lambda c: f"/api/v1/api-keys/{c.key_id()}"),
    Case("GET", "/api/v1/users", "admin", 200, lambda c: "/api/v1/users"),
    Case(
        "POST",
        "/api/v1/users",
        "admin",
        201,
        lambda c: "/api/v1/users",
        lambda c: {"json": {"email": f"{uuid.uuid4().hex[:8]}@acme.example", "password": "x" * 12, "role": "viewer"}},
    ),
]


def test_the_case_table_covers_every_route_of_the_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert routes == {(c.method, c.template) for c in CASES}
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert "creators-list_creators" in operation_ids


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.template}")
def test_every_route_for_every_role(client, world, case, role):
    ctx = Ctx(client, world)
    path = case.path(ctx)
    kwargs = case.kwargs(ctx)
    h = headers(world.keys[("acme", role)]) if role else {}
    response = client.request(case.method, path, headers=h, **kwargs)
    if case.role is None:
        expected = case.ok
    elif role is None:
        expected = 401
    else:
        expected = case.ok if ROLES.index(role) >= ROLES.index(case.role) else 403
    assert response.status_code == expected, (role, response.text[:300])
    if expected >= 400:
        assert set(response.json()) == ERROR_KEYS
        assert response.json()["status"] == expected
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_creator_search_filters_and_paging(client, world):
    h = headers(world.keys[("acme", "viewer")])
    everyone = client.get("/api/v1/creators?limit=200", headers=h).json()
    assert everyone["count"] == 10
    page = client.get("/api/v1/creators?limit=3&offset=3&sort=followers&order=desc", headers=h).json()
    followers = sorted((r["followers"] for r in everyone["data"]), reverse=True)
    assert [r["followers"] for r in page["data"]] == followers[3:6]
    micro = client.get(
        "/api/v1/creators?platform=instagram&followers_min=1000&followers_max=100000&market=BR", headers=h
    ).json()
    assert {r["handle"] for r in micro["data"]} == {"ana.fit", "bia"}
    good = client.get("/api/v1/creators?min_aqs=70", headers=h).json()
    assert [r["handle"] for r in good["data"]] == ["ana.fit"]
    named = client.get("/api/v1/creators?q=CAR", headers=h).json()
    assert [r["handle"] for r in named["data"]] == ["carl"]
    assert client.get("/api/v1/creators?tier=nano&tier=micro&language=de", headers=h).json()["count"] == 2


def test_strict_bodies_refuse_lax_coercion(client, world):
    h = headers(world.keys[("acme", "editor")])
    assert client.post("/api/v1/lists", json={"name": 5}, headers=h).status_code == 422
    assert client.post("/api/v1/lists", json={"name": "x", "extra": 1}, headers=h).status_code == 422
    brief_id = client.post("/api/v1/briefs", json={"brief": BRIEF}, headers=h).json()["brief_id"]
    r = client.post(f"/api/v1/briefs/{brief_id}/searches", json={"limit": "5"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0].startswith("body.limit")
    r = client.post(f"/api/v1/briefs/{brief_id}/searches", json={"limit": False}, headers=h)
    assert r.status_code == 422
    bad = {**BRIEF, "markets": [{"country": "XX", "languages": ["pt"]}]}
    assert client.post("/api/v1/briefs", json={"brief": bad}, headers=h).status_code == 422


def test_error_shape_for_every_kind_of_error(client, world, monkeypatch):
    h = headers(world.keys[("acme", "editor")])
    seen = {
        400: client.post("/api/v1/notes", json={"creator": "instagram:bia", "body": "   "}, headers=h),
        401: client.get("/api/v1/me", headers={"Authorization": "Bearer msk_000000000000_" + "a" * 43}),
        403: client.get("/api/v1/users", headers=h),
        404: client.get("/api/v1/creators/instagram:nobody", headers=h),
        405: client.put("/api/v1/lists", headers=h),
        413: client.post("/api/v1/lists", content=b"{" + b" " * (2 << 20) + b"}", headers=h),
        415: _upload(client, h, name="comments.txt"),
        422: client.get("/api/v1/creators?limit=0", headers=h),
    }
    from microscout.api.routes import admin

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(admin, "list_users", boom)
    seen[500] = client.get("/api/v1/users", headers=headers(world.keys[("acme", "admin")]))
    for status, response in seen.items():
        assert response.status_code == status, (status, response.text[:200])
        body = response.json()
        assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == status
        assert isinstance(body["errors"], list) and body["errors"]
        assert "Traceback" not in response.text and "/etc/passwd" not in response.text


def test_api_key_failures_are_rate_limited(world):
    now = [1000.0]
    settings = world.settings.model_copy(update={"login_attempts_per_minute": 3})
    with TestClient(create_app(settings, store=world.store, clock=lambda: now[0])) as c:
        bad = {"Authorization": "Bearer msk_0123456789ab_" + "b" * 43}
        codes = [c.get("/api/v1/me", headers=bad).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        limited = c.get("/api/v1/me", headers=bad)
        assert int(limited.headers["retry-after"]) >= 1
        # a good key from the same client is refused too while the bucket is empty
        good = headers(world.keys[("acme", "viewer")])
        assert c.get("/api/v1/me", headers=good).status_code == 429
        now[0] += 60
        assert c.get("/api/v1/me", headers=good).status_code == 200


def test_revoked_keys_stop_working(client, world):
    admin = headers(world.keys[("acme", "admin")])
    created = client.post("/api/v1/api-keys", json={"name": "tmp", "role": "viewer"}, headers=admin).json()
    token = created["token"]
    assert token.startswith("msk_") and client.get("/api/v1/me", headers=headers(token)).status_code == 200
    listed = client.get("/api/v1/api-keys", headers=admin).json()
    assert all("token" not in k and "key_hash" not in k for k in listed)
    assert client.delete(f"/api/v1/api-keys/{created['key_id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=headers(token)).status_code == 401
    stored = world.store.raw.execute("SELECT key_hash FROM api_keys WHERE key_id = ?", [created["key_id"]]).fetchall()
    assert stored[0][0].startswith("sha256:") and token not in stored[0][0]


def test_uploads_are_size_limited_and_type_checked(world):
    settings = world.settings.model_copy(update={"upload_max_mb": 1})
    h = headers(world.keys[("acme", "editor")])
    with TestClient(create_app(settings, store=world.store)) as c:
        big = b'{"platform": "instagram"}\n' * 60_000  # > 1 MiB
        assert _upload(c, h, data=big).status_code == 413
        assert _upload(c, h, name="comments.exe").status_code == 415
        assert _upload(c, h, name="comments.parquet").status_code == 415  # JSON Lines content
        assert _upload(c, h, name="comments.jsonl", data=b"\x89PNG\r\n\x1a\n\x00\x00").status_code == 415
        assert _upload(c, h, name="comments.jsonl", data=b"just text").status_code == 415
        png = {"file": ("comments.jsonl", io.BytesIO(_comments_file()), "image/png")}
        assert c.post("/api/v1/ingest-jobs", files=png, headers=h).status_code == 415
        unknown = _upload(c, h, name="secrets.jsonl")
        assert unknown.status_code == 400 and "not a canonical table" in unknown.json()["error"]
        assert _upload(c, h, name="truth_creators.jsonl").status_code == 400


def test_ingest_job_runs_on_a_worker_thread_with_progress(client, world):
    h = headers(world.keys[("acme", "editor")])
    data = (
        b"".join(
            f'{{"platform": "tiktok", "creator_id": "new{i}", "handle": "new{i}", "followers": {2000 + i}}}\n'.encode()
            for i in range(30)
        )
        + b'{"platform": "nowhere", "creator_id": "bad"}\n'
    )
    job = _upload(client, h, name="creators.jsonl", data=data).json()
    assert job["status"] == "queued" and job["kind"] == "ingest"
    state = _wait(client, h, job["job_id"])
    assert state["progress"] == 1.0
    assert state["result"]["tables"]["creators"]["inserted"] == 30
    assert state["result"]["quarantined"] == 1
    # the index was rebuilt: the new creators are searchable
    found = client.get("/api/v1/creators?q=new2&platform=tiktok", headers=h).json()
    assert found["count"] >= 1


def test_brief_search_reads_the_rebuilt_brief_index_after_a_job(client, world):
    h = headers(world.keys[("acme", "editor")])
    brief_id = client.post("/api/v1/briefs", json={"brief": BRIEF}, headers=h).json()["brief_id"]
    before = client.post(f"/api/v1/briefs/{brief_id}/searches", json={"limit": 50}, headers=h).json()
    state = client.app.state.microscout
    assert state._brief_index is not None  # built by the first brief search
    # a new Brazilian creator with posts arrives in an ingest job that profiles it
    creator = {"platform": "instagram", "creator_id": "late1", "handle": "late.arrival", "followers": 6000,
               "declared_country": "BR", "declared_language": "pt"}  # fmt: skip
    posts = [
        {"platform": "instagram", "post_id": f"late1-{i}", "creator_id": "late1", "likes": 300 + i, "comments": 9,
         "published_at": f"2026-09-{i + 1:02d}T10:00:00Z", "caption": "dia de praia"}
        for i in range(6)
    ]  # fmt: skip
    job = _upload(client, h, name="creators.jsonl", data=json.dumps(creator).encode() + b"\n").json()
    _wait(client, h, job["job_id"])
    files = {
        "file": (
            "posts.jsonl",
            io.BytesIO(b"".join(json.dumps(p).encode() + b"\n" for p in posts)),
            "application/octet-stream",
        )
    }
    r = client.post("/api/v1/ingest-jobs", files=files, data={"profile": "true"}, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    _wait(client, h, job["job_id"])
    after = client.post(f"/api/v1/briefs/{brief_id}/searches", json={"limit": 50}, headers=h).json()
    assert "instagram:late.arrival" not in [r["creator"] for r in before["results"]]
    assert "instagram:late.arrival" in [r["creator"] for r in after["results"]]
    assert after["candidates"] == before["candidates"] + 1


def _wait(client: TestClient, h: dict[str, str], job_id: str) -> dict[str, Any]:
    """The job's state once it has completed (fails the test if it failed or took over a minute)."""
    deadline = time.monotonic() + 60
    while True:
        state: dict[str, Any] = client.get(f"/api/v1/ingest-jobs/{job_id}", headers=h).json()
        if state["status"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state["status"] == "completed", state
    return state
