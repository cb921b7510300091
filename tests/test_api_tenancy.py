"""Tenant isolation: workspace acme never sees globex's objects — by id, by filter, by download —
whether it asks with an API key or with a browser session."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient

from microscout.api import create_app
from microscout.errors import InvalidInputError, NotFoundError
from microscout.workspace import (
    create_job,
    create_list,
    create_note,
    delete_list,
    delete_note,
    get_brief,
    get_job,
    get_list,
    get_search,
    list_briefs,
    list_jobs,
    list_lists,
    list_notes,
    list_searches,
    scoped_rows,
)
from serverworld import build_world, csrf_of, headers, login

B_BRIEF = {
    "brand": "Globex Secret Launch",
    "description": "confidential",
    "markets": [{"country": "DE", "languages": ["de"]}],
    "platforms": ["instagram"],
    "budget": {"amount": 9000, "currency": "EUR"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("tenancy"))
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def client(world):
    with TestClient(create_app(world.settings, store=world.store)) as c:
        yield c


@pytest.fixture(scope="module")
def b_objects(client, world):
    """One object of every kind in workspace globex."""
    h = headers(world.keys[("globex", "admin")])
    brief_id = client.post("/api/v1/briefs", json={"brief": B_BRIEF}, headers=h).json()["brief_id"]
    search_id = client.post(f"/api/v1/briefs/{brief_id}/searches", json={"limit": 5}, headers=h).json()["search_id"]
    list_id = client.post("/api/v1/lists", json={"name": "Globex shortlist"}, headers=h).json()["list_id"]
    client.post(f"/api/v1/lists/{list_id}/items", json={"creator": "instagram:bia"}, headers=h)
    note_id = client.post(
        "/api/v1/notes", json={"creator": "instagram:bia", "body": "globex-only note"}, headers=h
    ).json()["note_id"]
    files = {"file": ("comments.jsonl", io.BytesIO(b'{"platform": "instagram", "comment_id": "g1"}\n'), "text/plain")}
    job_id = client.post("/api/v1/ingest-jobs", files=files, headers=h).json()["job_id"]
    key_id = client.post("/api/v1/api-keys", json={"name": "globex ci", "role": "viewer"}, headers=h).json()["key_id"]
    return {
        "brief": brief_id,
        "search": search_id,
        "list": list_id,
        "note": note_id,
        "job": job_id,
        "key": key_id,
    }


def _by_id_requests(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/v1/briefs/{ids['brief']}"),
        ("POST", f"/api/v1/briefs/{ids['brief']}/searches"),
        ("GET", f"/api/v1/searches/{ids['search']}"),
        ("GET", f"/api/v1/reports/{ids['search']}/download"),
        ("GET", f"/api/v1/lists/{ids['list']}"),
        ("POST", f"/api/v1/lists/{ids['list']}/items"),
        ("DELETE", f"/api/v1/lists/{ids['list']}/items/instagram:bia"),
        ("DELETE", f"/api/v1/lists/{ids['list']}"),
        ("DELETE", f"/api/v1/notes/{ids['note']}"),
        ("GET", f"/api/v1/ingest-jobs/{ids['job']}"),
        ("DELETE", f"/api/v1/api-keys/{ids['key']}"),
    ]


def _body(method: str, path: str) -> dict[str, object]:
    if path.endswith("/searches"):
        return {"json": {"limit": 3}}
    if path.endswith("/items") and method == "POST":
        return {"json": {"creator": "tiktok:eve"}}
    return {}


def test_another_workspace_s_objects_are_not_found_with_a_key(client, world, b_objects):
    a = headers(world.keys[("acme", "admin")])
    for method, path in _by_id_requests(b_objects):
        response = client.request(method, path, headers=a, **_body(method, path))
        assert response.status_code == 404, (method, path, response.text)
        assert "Globex" not in response.text and "globex-only" not in response.text
    # globex still has everything: nothing was deleted through acme
    g = headers(world.keys[("globex", "admin")])
    assert client.get(f"/api/v1/lists/{b_objects['list']}", headers=g).json()["items"]
    assert any(n["note_id"] == b_objects["note"] for n in client.get("/api/v1/notes", headers=g).json())
    assert any(k["key_id"] == b_objects["key"] and k["revoked_at"] is None
               for k in client.get("/api/v1/api-keys", headers=g).json())  # fmt: skip


def test_another_workspace_s_objects_are_not_found_with_a_session(world, b_objects):
    with TestClient(create_app(world.settings, store=world.store)) as browser:
        csrf = login(browser, world.emails[("acme", "admin")])
        for method, path in _by_id_requests(b_objects):
            response = browser.request(method, path, headers={"X-CSRF-Token": csrf}, **_body(method, path))
            assert response.status_code == 404, (method, path, response.text)
        for page in (
            f"/searches/{b_objects['search']}",
            f"/lists/{b_objects['list']}",
            f"/reports/{b_objects['search']}/download",
        ):
            response = browser.get(page, headers={"Accept": "text/html"})
            assert response.status_code == 404, page
            assert "Globex" not in response.text
        html = browser.get("/creators/instagram:bia").text
        token = csrf_of(html)
        r = browser.post(
            f"/notes/{b_objects['note']}/delete",
            data={"csrf_token": token, "back": "instagram:bia"},
            headers={"Accept": "text/html"},
        )
        assert r.status_code == 404


def test_lists_and_filters_never_include_another_workspace(client, world, b_objects):
    a = headers(world.keys[("acme", "viewer")])
    text = "".join(
        client.get(path, headers=a).text
        for path in (
            "/api/v1/briefs",
            "/api/v1/searches",
            "/api/v1/reports",
            "/api/v1/lists",
            "/api/v1/notes",
            "/api/v1/notes?creator=instagram:bia",
            "/api/v1/ingest-jobs",
            "/api/v1/creators/instagram:bia",
        )
    )
    for value in b_objects.values():
        assert value not in text
    assert "Globex" not in text and "globex-only" not in text
    admin = headers(world.keys[("acme", "admin")])
    users = client.get("/api/v1/users", headers=admin).json()
    assert users and all(u["email"].endswith("@acme.example") for u in users)
    assert all(k["key_id"] != b_objects["key"] for k in client.get("/api/v1/api-keys", headers=admin).json())


def test_guessed_ids_are_not_found(client, world):
    a = headers(world.keys[("acme", "admin")])
    for guess in (uuid.uuid4().hex[:12], "000000000000", "%25", "*", "a" * 64):
        for path in (
            f"/api/v1/briefs/{guess}",
            f"/api/v1/searches/{guess}",
            f"/api/v1/reports/{guess}/download",
            f"/api/v1/lists/{guess}",
            f"/api/v1/ingest-jobs/{guess}",
        ):
            assert client.get(path, headers=a).status_code in (404, 422), path


def test_keys_belong_to_their_workspace(client, world):
    me_a = client.get("/api/v1/me", headers=headers(world.keys[("acme", "editor")])).json()
    me_b = client.get("/api/v1/me", headers=headers(world.keys[("globex", "editor")])).json()
    assert (me_a["workspace"], me_b["workspace"]) == ("acme", "globex")


def test_library_functions_are_scoped_by_workspace(world):
    store = world.store
    made = create_list(store, "globex", name="lib list")
    note = create_note(store, "globex", platform="instagram", creator_id="2", body="lib note")
    job = create_job(store, "globex", kind="ingest")
    for call in (
        lambda: get_list(store, "acme", made["list_id"]),
        lambda: delete_list(store, "acme", made["list_id"]),
        lambda: delete_note(store, "acme", note["note_id"]),
        lambda: get_job(store, "acme", job["job_id"]),
        lambda: get_brief(store, "acme", "deadbeef0000"),
        lambda: get_search(store, "acme", "deadbeef0000"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert made["list_id"] not in {x["list_id"] for x in list_lists(store, "acme")}
    assert note["note_id"] not in {x["note_id"] for x in list_notes(store, "acme")}
    assert job["job_id"] not in {x["job_id"] for x in list_jobs(store, "acme")}
    assert all(b["brand"] != "Globex Secret Launch" for b in list_briefs(store, "acme"))
    assert all(s["brand"] != "Globex Secret Launch" for s in list_searches(store, "acme"))
    assert get_list(store, "globex", made["list_id"])["name"] == "lib list"
    with pytest.raises(InvalidInputError):
        scoped_rows(store, "creators", "acme")  # public data has no workspace scope
