"""Campaigns on the server: the ``/api/v1/campaigns`` routes (create, list, show, track as a job,
status, results, sales upload, report downloads, alerts), roles and workspaces, and the campaign
pages of the web UI with their JSON twins."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microscout.api import create_app
from serverworld import build_world, headers, login

HTML = {"Accept": "text/html"}
T = dt.datetime(2026, 10, 10, 12)
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

CREATORS = [
    # platform, creator_id, handle, followers, country (handles unlike serverworld's)
    ("instagram", "ig1", "luz.fit", 20_000, "BR"),
    ("tiktok", "tt1", "ben.moves", 50_000, "DE"),
    ("instagram", "ig2", "chika.jp", 8_000, "JP"),
    ("instagram", "ig3", "layla.sa", 3_000, "SA"),
    ("instagram", "ig4", "rival.fan", 2_000, "US"),
]


def _post(platform, post_id, creator_id, caption, *, kind="post", days=0.0, hashtags=(), **extra):
    return {
        "platform": platform, "post_id": post_id, "creator_id": creator_id, "kind": kind,
        "published_at": T + dt.timedelta(days=days), "caption": caption, "hashtags": list(hashtags),
        "mentions": [], "likes": extra.pop("likes", 900), "comments": extra.pop("comments", 100),
        "views": extra.pop("views", None), **extra,
    }  # fmt: skip


POSTS = [
    # deliverables: BR reel disclosed (#publi); BR story late with only #parceria and an XSS caption;
    # DE video disclosed (#werbung), its second video missing; JP post disclosed by 広告
    _post("instagram", "d1", "ig1", "Meu protetor solar favorito", kind="reel", views=30_000,
          hashtags=["SolaraSummer", "publi"]),
    _post("instagram", "d2", "ig1", f"Rotina da manhã #parceria #solarasummer {XSS}", kind="story", days=12,
          likes=None, comments=None, views=5_000),
    _post("tiktok", "d3", "tt1", "Meine Solara Sonnencreme im Test #werbung", kind="video", views=80_000,
          hashtags=["solarasummer"]),
    _post("instagram", "d4", "ig2", "この広告は#solarasummer の日焼け止めです"),
    # UGC, a competitor-only post, an unrelated post
    _post("instagram", "u1", "ig3", "أحب واقي الشمس الجديد #SolaraSummer", likes=50, comments=5),
    _post("instagram", "c1", "ig4", "Trying UVmax this week", hashtags=["uvmax"], likes=10, comments=1),
    _post("instagram", "n1", "ig3", "Just a sunset", likes=5, comments=0),
]  # fmt: skip

SPEC: dict[str, Any] = {
    "name": "Solara summer",
    "brand": "Solara",
    "start": "2026-10-01",
    "due": "2026-10-20",
    "currency": "EUR",
    "budget": 3000,
    "tracking": {"hashtags": ["#SolaraSummer"], "competitors": ["UVmax"]},
    "placements": [
        {"creator": "instagram:luz.fit", "market": "BR", "fee": 800, "promo_code": "LUZ10",
         "deliverables": [{"kind": "reel", "count": 1}, {"kind": "story", "count": 1}]},
        {"creator": "tiktok:ben.moves", "market": "DE", "fee": 1200, "link": "solara.example/ben",
         "deliverables": [{"kind": "video", "count": 2}]},
        {"creator": "instagram:chika.jp", "market": "JP", "fee": 300, "deliverables": [{"kind": "post", "count": 1}]},
    ],
}  # fmt: skip
SALES_CSV = (
    "order_id,date,revenue,currency,promo_code,link,market\n"
    "o1,2026-10-11,100.00,EUR,luz10,,\n"
    "o2,2026-10-12,40,EUR,,https://www.solara.example/ben?utm=1,\n"
    "o3,not-a-date,20,EUR,LUZ10,,\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("campaigns"))
    w.store.insert_rows(
        "creators",
        [
            {"platform": p, "creator_id": c, "handle": h, "followers": f, "declared_country": m}
            for p, c, h, f, m in CREATORS
        ],
    )
    w.store.insert_rows("posts", POSTS)
    yield w
    w.store.close()


@pytest.fixture(scope="module")
def app(world):
    return create_app(world.settings.model_copy(update={"login_attempts_per_minute": 1000}), store=world.store)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def _h(world, role: str = "editor", workspace: str = "acme") -> dict[str, str]:
    return headers(world.keys[(workspace, role)])


def _wait(client: TestClient, path: str, h: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(path, headers=h).json()
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {path} did not finish")


@pytest.fixture(scope="module")
def campaign(client, world) -> dict[str, Any]:
    """The campaign, created and tracked through the API."""
    h = _h(world)
    created = client.post("/api/v1/campaigns", json=SPEC, headers=h)
    assert created.status_code == 201, created.text
    body = created.json()
    job = client.post(f"/api/v1/campaigns/{body['campaign_id']}/track", headers=h)
    assert job.status_code == 202, job.text
    assert job.json()["status"] == "queued" and job.json()["kind"] == "track"
    done = _wait(client, f"/api/v1/campaigns/{body['campaign_id']}/track-jobs/{job.json()['job_id']}", h)
    assert done["status"] == "completed", done
    body["track"] = done["result"]
    return dict(body)


# ------------------------------------------------------------------------------------ the API


def test_create_returns_the_campaign_with_placements_and_rules(campaign):
    assert campaign["name"] == "Solara summer" and campaign["status"] == "active"
    assert campaign["budget"] == "3000" and campaign["currency"] == "EUR" and campaign["start_date"] == "2026-10-01"
    assert [p["creator"] for p in campaign["placements"]] == [
        "instagram:luz.fit",
        "tiktok:ben.moves",
        "instagram:chika.jp",
    ]
    assert campaign["placements"][0]["fee"] == "800.00"
    rules = {(r["kind"], r["value"]) for r in campaign["rules"]}
    assert {("hashtag", "solarasummer"), ("promo_code", "LUZ10"), ("competitor", "UVmax")} <= rules


def test_a_bad_campaign_file_is_refused_naming_the_field(client, world):
    h = _h(world)
    bad = copy.deepcopy(SPEC) | {"name": "Bad market"}
    bad["placements"][0]["market"] = "XX"
    r = client.post("/api/v1/campaigns", json=bad, headers=h)
    assert r.status_code == 400 and r.json()["error"].startswith("campaign: placements[0].market: 'XX'")
    r = client.post("/api/v1/campaigns", json={**SPEC, "name": "Typo", "budjet": 1}, headers=h)
    assert r.status_code == 400 and "unknown field 'budjet'" in r.json()["error"]
    unknown = copy.deepcopy(SPEC) | {"name": "Nobody"}
    unknown["placements"][0]["creator"] = "instagram:nobody"
    r = client.post("/api/v1/campaigns", json=unknown, headers=h)
    assert r.status_code == 404 and "placements[0].creator" in r.json()["error"]
    assert client.post("/api/v1/campaigns", json=[SPEC], headers=h).status_code == 422
    assert (
        client.post("/api/v1/campaigns", content=b"{", headers={**h, "content-type": "application/json"}).status_code
        == 422
    )


def test_the_openapi_schema_describes_the_campaign_file(client):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/campaigns"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"name", "brand", "start"} <= set(body["required"]) and body["additionalProperties"] is False
    assert "$ref" not in json.dumps(body)
    report = schema["paths"]["/api/v1/campaigns/{campaign_id}/report"]["get"]
    assert set(report["responses"]["200"]["content"]) >= {"text/html", "application/pdf", "text/csv"}


def test_list_and_get(client, world, campaign):
    h = _h(world, "viewer")
    listed = client.get("/api/v1/campaigns", headers=h).json()
    mine = next(c for c in listed if c["campaign_id"] == campaign["campaign_id"])
    assert (mine["placements"], mine["fees"], mine["currency"], mine["status"]) == (3, "2300.00", "EUR", "active")
    one = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}", headers=h)
    assert one.status_code == 200 and one.json()["rules"] == campaign["rules"]


def test_tracking_job_found_the_posts(client, world, campaign):
    t = campaign["track"]
    assert (t["campaign_id"], t["deliverables"], t["ugc"], t["competitor"]) == (campaign["campaign_id"], 4, 1, 1)
    assert t["disclosure_issues"] == 1
    h = _h(world, "viewer")
    other = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/track-jobs/nope", headers=h)
    assert other.status_code == 404


def test_status_lists_every_slot(client, world, campaign):
    r = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/status", headers=_h(world, "viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"] == {"delivered": 3, "late": 1, "missing": 1}
    got = {(s["creator"], s["kind"], s["slot"]): s["status"] for s in body["slots"]}
    assert got[("instagram:luz.fit", "story", 1)] == "late"
    assert got[("tiktok:ben.moves", "video", 2)] == "missing"


def test_results_numbers(client, world, campaign):
    r = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/results", headers=_h(world, "viewer"))
    assert r.status_code == 200, r.text
    doc = r.json()
    s = doc["summary"]
    assert s["spend"] == "2300.00" and s["engagements"] == 3000
    assert s["cpe"] == pytest.approx(2300 / 3000, rel=1e-3)
    assert (s["deliverables_expected"], s["deliverables_delivered"], s["late"], s["missing"]) == (5, 4, 1, 1)
    assert s["disclosure_issues"] == 1 and doc["disclosure"][0]["post_id"] == "d2"
    assert doc["disclosure"][0]["caption"].endswith(XSS)  # JSON carries the text as it is
    assert s["ugc_posts"] == 1 and s["competitor_posts"] == 1
    luz = next(c for c in doc["creators"] if c["creator"] == "instagram:luz.fit")
    assert luz["engagements"] == 1000 and luz["cpe"] == pytest.approx(0.8)
    assert doc["campaign"]["name"] == "Solara summer" and doc["definitions"]["cpe"]


def test_sales_upload_imports_and_quarantines_a_bad_row(client, world, campaign):
    h = _h(world)
    path = f"/api/v1/campaigns/{campaign['campaign_id']}/sales"
    files = {"file": ("orders.csv", io.BytesIO(SALES_CSV.encode()), "text/csv")}
    r = client.post(path, files=files, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows"], body["inserted"], body["quarantined"], body["unattributed"]) == (3, 2, 1, 0)
    assert body["errors"] == ["orders.csv:4: date: 'not-a-date' is not an ISO date (YYYY-MM-DD[THH:MM:SS])"]
    again = client.post(path, files={"file": ("orders.csv", io.BytesIO(SALES_CSV.encode()), "text/csv")}, headers=h)
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 2)
    summary = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/results", headers=h).json()["summary"]
    assert summary["revenue"] == "140.00" and summary["orders"] == 2
    # refused: no CSV name, not text, no needed columns, too large, a viewer
    assert (
        client.post(path, files={"file": ("orders.txt", io.BytesIO(b"a"), "text/plain")}, headers=h).status_code == 415
    )
    assert client.post(path, files={"file": ("o.csv", io.BytesIO(b"a\x00b"), "text/csv")}, headers=h).status_code == 415
    bad = client.post(path, files={"file": ("o.csv", io.BytesIO(b"order,when\n1,2\n"), "text/csv")}, headers=h)
    assert bad.status_code == 400 and bad.json()["error"].startswith("o.csv: missing column(s)")
    assert "microscout-sales" not in bad.text
    big = io.BytesIO(b"order_id,date\n" + b"x" * (1 << 20))
    assert client.post(path, files={"file": ("o.csv", big, "text/csv")}, headers=h).status_code == 413
    viewer = client.post(path, files={"file": ("o.csv", io.BytesIO(b"a"), "text/csv")}, headers=_h(world, "viewer"))
    assert viewer.status_code == 403


def test_report_downloads(client, world, campaign):
    h = _h(world, "viewer")
    base = f"/api/v1/campaigns/{campaign['campaign_id']}/report"
    html = client.get(base, headers=h)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"] == 'attachment; filename="campaign-report-solara-summer.html"'
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "<script" not in html.text.lower() and XSS_ESCAPED in html.text
    xlsx = client.get(f"{base}?format=xlsx", headers=h)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["content-disposition"].endswith('.xlsx"')
    as_json = client.get(f"{base}?format=json", headers=h)
    assert as_json.headers["content-type"] == "application/json" and as_json.json()["summary"]["placements"] == 3
    csv = client.get(f"{base}?format=csv", headers=h)
    assert csv.headers["content-type"].startswith("text/csv") and "d2" in csv.text
    assert client.get(f"{base}?format=doc", headers=h).status_code == 422


def test_report_pdf(client, world, campaign):
    pytest.importorskip("weasyprint")
    r = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/report?format=pdf", headers=_h(world, "viewer"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"


def test_alerts_of_the_campaign(client, world, campaign):
    r = client.get(f"/api/v1/campaigns/{campaign['campaign_id']}/alerts", headers=_h(world, "viewer"))
    assert r.status_code == 200 and r.json() == []


def test_other_workspaces_get_404(client, world, campaign):
    cid = campaign["campaign_id"]
    h = _h(world, "admin", "globex")
    for method, path in [
        ("GET", f"/api/v1/campaigns/{cid}"),
        ("POST", f"/api/v1/campaigns/{cid}/close"),
        ("POST", f"/api/v1/campaigns/{cid}/track"),
        ("GET", f"/api/v1/campaigns/{cid}/status"),
        ("GET", f"/api/v1/campaigns/{cid}/results"),
        ("GET", f"/api/v1/campaigns/{cid}/alerts"),
        ("GET", f"/api/v1/campaigns/{cid}/report?format=xlsx"),
    ]:
        r = client.request(method, path, headers=h)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["status"] == 404
    files = {"file": ("orders.csv", io.BytesIO(SALES_CSV.encode()), "text/csv")}
    assert client.post(f"/api/v1/campaigns/{cid}/sales", files=files, headers=h).status_code == 404
    assert client.get("/api/v1/campaigns", headers=h).json() == []


def test_roles(client, world, campaign):
    cid = campaign["campaign_id"]
    viewer = _h(world, "viewer")
    r = client.post("/api/v1/campaigns", json={**SPEC, "name": "By a viewer"}, headers=viewer)
    assert r.status_code == 403 and "editor" in r.json()["error"]
    assert client.post(f"/api/v1/campaigns/{cid}/track", headers=viewer).status_code == 403
    assert client.post(f"/api/v1/campaigns/{cid}/close", headers=viewer).status_code == 403
    assert client.get("/api/v1/campaigns").status_code == 401


# ------------------------------------------------------------------------------------ the web UI


def test_campaign_pages_render_with_their_json_twins(app, world, campaign):
    client = TestClient(app)
    login(client, world.emails[("acme", "viewer")])
    cid = campaign["campaign_id"]
    listing = client.get("/campaigns")
    assert listing.status_code == 200 and "Solara summer" in listing.text
    assert 'JSON: <a href="/api/v1/campaigns">' in listing.text and "2300.00 EUR" in listing.text
    assert "New campaign" not in listing.text  # a viewer gets no form
    page = client.get(f"/campaigns/{cid}")
    assert page.status_code == 200, page.text[:300]
    text = page.text
    assert "Solara summer" in text and f'JSON: <a href="/api/v1/campaigns/{cid}/results">' in text
    assert XSS not in text and XSS_ESCAPED in text
    assert '<tr data-status="late">' in text and '<strong class="error">missing</strong>' in text
    assert f'href="/campaigns/{cid}/report?format=pdf"' in text and "Track now" not in text
    assert "No alerts for this campaign." in text
    for r in (listing, page):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)
        assert not re.search(r"\sstyle\s*=", r.text)
    twin = client.get(f"/api/v1/campaigns/{cid}/results")
    assert twin.status_code == 200 and twin.json()["summary"]["late"] == 1
    assert client.get("/api/v1/campaigns").json()[0]["name"] == "Solara summer"
    download = client.get(f"/campaigns/{cid}/report?format=html")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    assert "<script" not in download.text.lower()


def test_campaign_pages_for_an_editor_and_other_workspaces(app, world, campaign):
    client = TestClient(app)
    token = login(client, world.emails[("acme", "editor")])
    cid = campaign["campaign_id"]
    page = client.get(f"/campaigns/{cid}")
    assert "Track now" in page.text and "Last tracking</dt><dd>completed" in page.text
    assert client.post(f"/campaigns/{cid}/track", data={}, headers=HTML).status_code == 403  # no CSRF token
    queued = client.post(f"/campaigns/{cid}/track", data={"csrf_token": token}, follow_redirects=False)
    assert queued.status_code == 303 and queued.headers["location"] == f"/campaigns/{cid}"
    bad = client.post("/campaigns", data={"text": "name: [unclosed", "csrf_token": token})
    assert bad.status_code == 400 and "not valid YAML" in bad.text
    wrong = client.post("/campaigns", data={"text": json.dumps({**SPEC, "start": "someday"}), "csrf_token": token})
    assert wrong.status_code == 400 and "campaign: start" in wrong.text
    spec = copy.deepcopy(SPEC) | {"name": f"Web {XSS}"}
    made = client.post("/campaigns", data={"text": json.dumps(spec), "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303, made.text[:300]
    shown = client.get(made.headers["location"])
    assert shown.status_code == 200 and XSS not in shown.text and XSS_ESCAPED in shown.text
    other = TestClient(app)
    login(other, world.emails[("globex", "viewer")])
    assert other.get(f"/campaigns/{cid}", headers=HTML).status_code == 404
    assert "Solara summer" not in other.get("/campaigns").text


def test_closing_a_campaign(client, world):
    h = _h(world)
    created = client.post("/api/v1/campaigns", json={**SPEC, "name": "To close"}, headers=h).json()
    closed = client.post(f"/api/v1/campaigns/{created['campaign_id']}/close", headers=h)
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    again = client.post(f"/api/v1/campaigns/{created['campaign_id']}/close", headers=h)
    assert again.json()["closed_at"] == closed.json()["closed_at"]


def test_campaign_page_shows_alerts_and_the_outreach_pipeline(app, world, campaign):
    cid = campaign["campaign_id"]
    world.store.insert_rows(
        "alerts",
        [
            {"alert_id": "a1", "rule": "missing_deliverable", "severity": "warning", "subject": "slot",
             "message": f"late story {XSS}", "details": "{}", "created_at": dt.datetime(2026, 10, 22),
             "rule_id": "r1", "campaign_id": cid, "status": "open"}
        ],
        workspace="acme",
    )  # fmt: skip
    world.store.insert_rows(
        "outreach",
        [{"campaign_id": cid, "platform": "instagram", "creator_id": "ig1", "status": "booked"}],
        workspace="acme",
    )
    client = TestClient(app)
    login(client, world.emails[("acme", "viewer")])
    alerts = client.get(f"/api/v1/campaigns/{cid}/alerts").json()
    assert [(a["alert_id"], a["message"]) for a in alerts] == [("a1", f"late story {XSS}")]
    page = client.get(f"/campaigns/{cid}").text
    assert f"late story {XSS_ESCAPED}" in page and XSS not in page
    assert "Outreach pipeline" in page and "<dt>booked</dt><dd>1</dd>" in page
