"""The web UI: login and sessions, CSRF on every form, roles, escaping of social-media text,
security headers, and a page for each JSON twin."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from microscout.api import create_app
from serverworld import PASSWORD, XSS, XSS_NAME, build_world, csrf_of, login

HTML = {"Accept": "text/html"}
BRIEF_YAML = """
brand: Web Brand
description: a test brief
markets: [{country: BR, languages: [pt]}]
platforms: [instagram, tiktok]
budget: {amount: 4000, currency: EUR}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("web"))
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def app(world):
    # the tests log in many times from one address; test_login_attempts_are_rate_limited checks the limit
    return create_app(world.settings.model_copy(update={"login_attempts_per_minute": 1000}), store=world.store)


@pytest.fixture
def browser(app):
    with TestClient(app) as c:
        yield c


def _as(app, world, role: str, workspace: str = "acme") -> tuple[TestClient, str]:
    client = TestClient(app)
    return client, login(client, world.emails[(workspace, role)])


def test_pages_need_a_login(browser):
    r = browser.get("/discover?platform=instagram", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/discover%3Fplatform%3Dinstagram"
    assert browser.get("/api/v1/lists").status_code == 401


def test_login_checks_password_csrf_and_next(browser, world):
    page = browser.get("/login")
    assert page.status_code == 200 and 'name="viewport"' in page.text
    token = csrf_of(page.text)
    email = world.emails[("acme", "viewer")]
    wrong = browser.post("/login", data={"email": email, "password": "nope" * 3, "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    unknown = browser.post("/login", data={"email": "who@x.example", "password": PASSWORD, "csrf_token": token})
    assert unknown.status_code == 401
    no_csrf = browser.post("/login", data={"email": email, "password": PASSWORD}, headers=HTML)
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    forged = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    ok = browser.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/discover"
    for target in ("/\t/evil.example", "https://evil.example/", "/\\evil.example"):
        again = browser.post(
            "/login",
            data={
                "email": email,
                "password": PASSWORD,
                "csrf_token": csrf_of(browser.get("/login").text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert again.headers["location"] == "/discover", target
    cookie = next(v for k, v in ok.headers.multi_items() if k == "set-cookie" and v.startswith("ms_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    assert browser.get("/discover").status_code == 200


def test_session_cookie_is_secure_over_https(app, world):
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_of(client.get("/login").text)
        r = client.post(
            "/login",
            data={"email": world.emails[("acme", "viewer")], "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookies = [v.lower() for k, v in r.headers.multi_items() if k == "set-cookie"]
        assert cookies and all("secure" in c and "httponly" in c for c in cookies)
        assert "max-age=31536000" in r.headers["strict-transport-security"]


def test_logout_needs_csrf_and_ends_the_session(app, world):
    client, token = _as(app, world, "viewer")
    assert client.post("/logout", data={}, headers=HTML).status_code == 403
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/discover", follow_redirects=False).status_code == 303


def test_login_attempts_are_rate_limited(world):
    settings = world.settings.model_copy(update={"login_attempts_per_minute": 2})
    with TestClient(create_app(settings, store=world.store)) as client:
        token = csrf_of(client.get("/login").text)
        data = {"email": world.emails[("acme", "viewer")], "password": "wrong password", "csrf_token": token}
        codes = [client.post("/login", data=data).status_code for _ in range(4)]
        assert codes == [401, 401, 429, 429]


def test_every_page_renders_for_a_viewer_with_security_headers(app, world):
    client, _ = _as(app, world, "viewer")
    editor, token = _as(app, world, "editor")
    made = editor.post("/briefs", data={"text": BRIEF_YAML, "csrf_token": token}, follow_redirects=False)
    search_path = made.headers["location"]
    list_path = editor.post("/lists", data={"name": "Web list", "csrf_token": token}, follow_redirects=False)
    for path in (
        "/discover",
        "/discover?platform=instagram&tier=nano&followers_min=&market=BR&min_aqs=&sort=followers&order=asc&limit=2",
        "/creators/instagram:ana.fit",
        "/creators/instagram%3Acarl",
        "/briefs",
        search_path,
        "/reports",
        "/lists",
        list_path.headers["location"],
        "/ingest",
    ):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"]
        assert 'JSON: <a href="/api/v1/' in r.text, path  # every page has a JSON twin
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text), path  # no inline scripts
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", r.text, re.I), path  # no inline handlers
        assert not re.search(r"\sstyle\s*=", r.text), path  # no inline styles
    download = client.get(search_path.replace("/searches/", "/reports/") + "/download")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    assert "script-src" not in download.headers["content-security-policy"]
    assert "default-src 'none'" in download.headers["content-security-policy"]


def test_discover_filters_and_pages(app, world):
    client, _ = _as(app, world, "viewer")
    r = client.get("/discover?platform=instagram&limit=2&sort=followers&order=desc")
    assert "4 found" in r.text or "5 found" in r.text
    assert 'rel="next"' in r.text and "offset=2" in r.text
    bad = client.get("/discover?limit=0", headers=HTML)
    assert bad.status_code == 422 and "limit" in bad.text


def test_social_media_text_renders_inert(app, world):
    client, _ = _as(app, world, "editor")
    page = client.get("/creators/instagram:ana.fit").text
    for raw in (XSS, XSS_NAME, "<i>fan</i>", "<svg onload=alert(4)>"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b onmouseover=alert(2)&gt;Ana&lt;/b&gt;" in page
    assert 'href="javascript:' not in page
    discover = client.get("/discover?q=ana").text
    assert XSS_NAME not in discover and "&lt;b onmouseover" in discover
    api = client.get("/api/v1/creators/instagram:ana.fit")
    assert api.headers["content-type"].startswith("application/json") and api.json()["bio"] == XSS


def test_editor_forms_need_csrf_and_work_with_it(app, world):
    client, token = _as(app, world, "editor")
    forms = [
        ("/creators/instagram:bia/notes", {"body": "nice"}),
        ("/lists", {"name": "Summer"}),
        ("/briefs", {"text": BRIEF_YAML}),
    ]
    for path, data in forms:
        assert client.post(path, data=data, headers=HTML).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": "f" * 64}, headers=HTML).status_code == 403, path
    upload = {"file": ("comments.jsonl", io.BytesIO(b'{"platform": "instagram", "comment_id": "w1"}\n'), "text/plain")}
    assert client.post("/ingest", files=upload, headers=HTML).status_code == 403
    # with the token
    r = client.post("/creators/instagram:bia/notes", data={"body": "<b>bold</b> note", "csrf_token": token})
    assert r.status_code == 200 and "&lt;b&gt;bold&lt;/b&gt; note" in r.text
    made = client.post("/lists", data={"name": "Summer", "csrf_token": token}, follow_redirects=False)
    list_id = made.headers["location"].rsplit("/", 1)[1]
    added = client.post("/list-items", data={"list_id": list_id, "creator": "instagram:bia", "csrf_token": token})
    assert added.status_code == 200 and "instagram:bia" in added.text
    removed = client.post(
        f"/lists/{list_id}/items", data={"creator": "instagram:bia", "remove": "true", "csrf_token": token}
    )
    assert removed.status_code == 200 and "No creators on this list" in removed.text
    bad = client.post("/briefs", data={"text": "brand: [unclosed", "csrf_token": token})
    assert bad.status_code == 400 and "not valid YAML" in bad.text
    invalid = client.post("/briefs", data={"text": "brand: X\ndescription: y\nmarkets: []", "csrf_token": token})
    assert invalid.status_code == 400 and "markets" in invalid.text
    ran = client.post("/briefs", data={"text": BRIEF_YAML, "csrf_token": token})
    assert ran.status_code == 200 and "Shortlist" in ran.text and "Download the HTML report" in ran.text
    upload = {"file": ("comments.jsonl", io.BytesIO(b'{"platform": "instagram", "comment_id": "w1"}\n'), "text/plain")}
    done = client.post("/ingest", files=upload, data={"csrf_token": token})
    assert done.status_code == 200 and "data-job-id" in done.text
    gone = client.post(f"/lists/{list_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303


def test_viewers_cannot_change_anything(app, world):
    client, token = _as(app, world, "viewer")
    page = client.get("/creators/instagram:bia").text
    assert 'action="/creators/instagram%3Abia/notes"' not in page and "Save note" not in page
    assert 'action="/briefs"' not in client.get("/briefs").text
    for path, data in (
        ("/creators/instagram:bia/notes", {"body": "x"}),
        ("/lists", {"name": "x"}),
        ("/briefs", {"text": BRIEF_YAML}),
    ):
        r = client.post(path, data={**data, "csrf_token": token}, headers=HTML)
        assert r.status_code == 403 and "editor role" in r.text, path


def test_api_calls_with_a_session_cookie_need_the_csrf_header(app, world):
    client, token = _as(app, world, "editor")
    assert client.post("/api/v1/lists", json={"name": "x"}).status_code == 403
    assert client.post("/api/v1/lists", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 201
    assert client.get("/api/v1/me").json()["kind"] == "session"


def test_static_files_and_html_errors(browser):
    js = browser.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = browser.get("/static/app.css")
    assert css.status_code == 200 and "@media (max-width: 640px)" in css.text
    missing = browser.get("/no/such/page", headers=HTML)
    assert missing.status_code == 404 and "<h1>Error 404</h1>" in missing.text
    assert browser.get("/no/such/page").json()["status"] == 404
