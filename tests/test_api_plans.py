"""Plans on the server: planning a saved brief (``POST /api/v1/briefs/{id}/plans``), the saved plans
(``/api/v1/plans``), booking one as a campaign, an infeasible brief explained, roles and workspaces,
and the plan pages of the web UI with their JSON twins."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microscout.api import create_app
from serverworld import build_world, headers, login

HTML = {"Accept": "text/html"}
XSS = "<script>alert(1)</script>"
BRIEF: dict[str, Any] = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}],
    "platforms": ["instagram", "tiktok", "youtube"],
    "budget": {"amount": 2000, "currency": "USD"},  # the server world has no exchange rates
}
# serverworld has 4 creators in Brazil within the follower band: a minimum of 9 cannot be met
INFEASIBLE: dict[str, Any] = {**BRIEF, "markets": [{"country": "BR", "languages": ["pt"], "min_creators": 9}]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("plans"))
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


def _brief(client: TestClient, world, brief: dict[str, Any], workspace: str = "acme") -> str:
    r = client.post("/api/v1/briefs", json={"brief": brief}, headers=_h(world, workspace=workspace))
    assert r.status_code == 201, r.text
    return str(r.json()["brief_id"])


@pytest.fixture(scope="module")
def brief_id(client, world) -> str:
    return _brief(client, world, BRIEF)


@pytest.fixture(scope="module")
def plan(client, world, brief_id) -> dict[str, Any]:
    r = client.post(f"/api/v1/briefs/{brief_id}/plans", json={"time_limit": 10, "seed": 1}, headers=_h(world))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _plans_in_store(world, workspace: str = "acme") -> int:
    return int(world.store.count("plans", workspace=workspace))


# ------------------------------------------------------------------------------------ the API


def test_a_feasible_plan_is_saved_and_meets_the_brief(plan, brief_id, world):
    assert plan["status"] == "optimal" and plan["plan_id"] and plan["brief_id"] == brief_id
    assert plan["brand"] == "Solara" and plan["currency"] == "USD" and plan["budget"] == "2000.00"
    assert plan["explanation"] == [] and plan["seed"] == 1 and plan["created_at"].endswith("Z")
    creators = plan["creators"]
    assert creators and {c["market"] for c in creators} <= {"BR", "DE"}
    total = sum((Decimal(c["price"]) for c in creators), Decimal("0"))
    assert total == Decimal(plan["total_cost"]) <= Decimal("2000")
    assert Decimal(plan["remaining_budget"]) == Decimal("2000") - total
    for c in creators:
        assert Decimal(c["price_low"]) <= Decimal(c["price"]) <= Decimal(c["price_high"])
        assert c["engagements_low"] <= c["engagements_high"]
    for name in ("engagements", "authentic_engagements", "reach", "cpe", "cpm"):
        assert plan["forecast"][name]["low"] <= plan["forecast"][name]["high"]
    greedy = plan["greedy"]
    assert plan["expected_value"] >= greedy["value"] - 1e-6 or not greedy["feasible"]
    assert plan["campaigns"] == []
    placements = world.store.table("placements", workspace="acme").to_pandas()
    mine = placements[placements.plan_id == plan["plan_id"]]
    assert len(mine) == len(creators) and sum(mine.fee, Decimal("0")) == total


def test_list_and_get_the_saved_plan(client, world, plan):
    listed = client.get("/api/v1/plans", headers=_h(world, "viewer"))
    assert listed.status_code == 200
    row = next(p for p in listed.json() if p["plan_id"] == plan["plan_id"])
    assert row == {
        "plan_id": plan["plan_id"],
        "brief_id": plan["brief_id"],
        "brand": "Solara",
        "kpi": "authentic_engagements",
        "status": "optimal",
        "budget": "2000.00",
        "currency": "USD",
        "total_cost": plan["total_cost"],
        "expected_value": plan["expected_value"],
        "creators": len(plan["creators"]),
        "created_at": plan["created_at"],
    }
    got = client.get(f"/api/v1/plans/{plan['plan_id']}", headers=_h(world, "viewer"))
    assert got.status_code == 200
    assert {k: v for k, v in got.json().items() if k != "campaigns"} == {
        k: v for k, v in plan.items() if k != "campaigns"
    }
    assert client.get("/api/v1/plans/nosuchplan", headers=_h(world, "viewer")).status_code == 404


def test_plan_options_are_checked_and_applied(client, world, brief_id):
    h = _h(world)
    small = client.post(f"/api/v1/briefs/{brief_id}/plans", json={"max_creators": 2, "seed": 7}, headers=h)
    assert small.status_code == 201 and len(small.json()["creators"]) <= 2
    again = client.post(f"/api/v1/briefs/{brief_id}/plans", json={"max_creators": 2, "seed": 7}, headers=h)
    assert again.json()["forecast"] == small.json()["forecast"]  # the same seed, the same forecast
    assert again.json()["plan_id"] != small.json()["plan_id"]  # every run is a plan of its own
    for bad in ({"time_limit": 61}, {"time_limit": 0}, {"max_creators": "2"}, {"max_creators": 0}, {"x": 1}):
        r = client.post(f"/api/v1/briefs/{brief_id}/plans", json=bad, headers=h)
        assert r.status_code == 422, bad
    assert client.post("/api/v1/briefs/nosuchbrief/plans", json={}, headers=h).status_code == 404


def test_an_infeasible_brief_is_explained_and_not_saved(client, world):
    infeasible_id = _brief(client, world, INFEASIBLE)
    before = _plans_in_store(world)
    r = client.post(f"/api/v1/briefs/{infeasible_id}/plans", json={}, headers=_h(world))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_id"] is None and body["status"] == "infeasible" and body["creators"] == []
    assert body["expected_value"] is None and body["brief_id"] == infeasible_id
    assert body["explanation"][0].startswith("market BR needs 9 creators but only ")
    assert body["greedy"]["feasible"] is False and body["greedy"]["unmet"]
    assert _plans_in_store(world) == before


def test_a_budget_in_a_currency_without_exchange_rates_is_a_bad_request(client, world):
    eur = _brief(client, world, {**BRIEF, "budget": {"amount": 2000, "currency": "EUR"}})
    r = client.post(f"/api/v1/briefs/{eur}/plans", json={}, headers=_h(world))
    assert r.status_code == 400 and r.json()["error"].startswith("no exchange rate USD→EUR")


def test_book_a_plan_as_a_campaign(client, world, plan):
    h = _h(world)
    body = {"name": "Solara from plan", "start": "2026-09-01", "due": "2026-09-20", "tracking": {"hashtags": ["#Sun"]}}
    r = client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=body, headers=h)
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert campaign["plan_id"] == plan["plan_id"] and campaign["brand"] == "Solara"
    assert campaign["currency"] == "USD" and campaign["budget"] == "2000.00"
    assert campaign["start_date"] == "2026-09-01" and campaign["status"] == "active"
    assert [p["creator"] for p in campaign["placements"]] == [c["creator"] for c in plan["creators"]]
    assert [Decimal(p["fee"]) for p in campaign["placements"]] == [Decimal(c["price"]) for c in plan["creators"]]
    assert {p["due_date"] for p in campaign["placements"]} == {"2026-09-20"}
    assert {(r["kind"], r["value"]) for r in campaign["rules"]} == {("hashtag", "sun")}
    shown = client.get(f"/api/v1/plans/{plan['plan_id']}", headers=_h(world, "viewer")).json()
    assert shown["campaigns"] == [
        {"campaign_id": campaign["campaign_id"], "name": "Solara from plan", "status": "active"}
    ]
    again = client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=body, headers=h)
    assert again.status_code == 400 and "already exists" in again.json()["error"]
    defaults = client.post(
        f"/api/v1/plans/{plan['plan_id']}/campaign", json={"name": "Second", "start": "2026-10-01"}, headers=h
    )
    assert defaults.status_code == 201
    assert {r["kind"] for r in defaults.json()["rules"]} == {"hashtag", "mention", "keyword"}
    for bad in (
        {"name": "x", "start": "soon"},
        {"name": "x", "start": 20260901},
        {"name": "", "start": "2026-09-01"},
        {"name": "x"},
        {"name": "x", "start": "2026-09-01", "placements": []},
        {"name": "x", "start": "2026-09-01", "tracking": {"hashtags": ["two words"]}},
    ):
        assert client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=bad, headers=h).status_code == 422, bad
    late = {"name": "x", "start": "2026-09-10", "end": "2026-09-01"}
    r = client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=late, headers=h)
    assert r.status_code == 400 and "end" in r.json()["error"]
    missing = client.post("/api/v1/plans/nosuchplan/campaign", json={"name": "y", "start": "2026-09-01"}, headers=h)
    assert missing.status_code == 404


def test_viewers_read_and_editors_write(client, world, plan, brief_id):
    viewer = _h(world, "viewer")
    assert client.get("/api/v1/plans", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/plans/{plan['plan_id']}", headers=viewer).status_code == 200
    assert client.post(f"/api/v1/briefs/{brief_id}/plans", json={}, headers=viewer).status_code == 403
    book = {"name": "Viewer", "start": "2026-09-01"}
    assert client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=book, headers=viewer).status_code == 403
    assert client.get("/api/v1/plans").status_code == 401


def test_another_workspace_sees_nothing(client, world, plan, brief_id):
    other = _h(world, "admin", "globex")
    assert plan["plan_id"] not in {p["plan_id"] for p in client.get("/api/v1/plans", headers=other).json()}
    assert client.get(f"/api/v1/plans/{plan['plan_id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/briefs/{brief_id}/plans", json={}, headers=other).status_code == 404
    book = {"name": "Stolen", "start": "2026-09-01"}
    assert client.post(f"/api/v1/plans/{plan['plan_id']}/campaign", json=book, headers=other).status_code == 404
    # the same brief saved in globex is planned there, and its plan is globex's alone
    own = _brief(client, world, BRIEF, workspace="globex")
    theirs = client.post(f"/api/v1/briefs/{own}/plans", json={}, headers=other)
    assert theirs.status_code == 201
    mine = _h(world, "viewer")
    assert client.get(f"/api/v1/plans/{theirs.json()['plan_id']}", headers=mine).status_code == 404


# ------------------------------------------------------------------------------------ the web UI


def _as(app, world, role: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    return client, login(client, world.emails[("acme", role)])


def _check_page(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text[:300]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)  # no inline scripts
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", r.text, re.I)  # no inline handlers
    assert not re.search(r"\sstyle\s*=", r.text)  # no inline styles


def test_plan_pages_for_a_viewer(app, world, plan):
    client, _ = _as(app, world, "viewer")
    listing = client.get("/plans")
    _check_page(listing)
    assert f'href="/plans/{plan["plan_id"]}"' in listing.text and 'JSON: <a href="/api/v1/plans">' in listing.text
    assert '/plan"' not in listing.text and "Plan a saved brief" not in listing.text  # no Plan button
    page = client.get(f"/plans/{plan['plan_id']}")
    _check_page(page)
    assert f'JSON: <a href="/api/v1/plans/{plan["plan_id"]}">' in page.text
    for c in plan["creators"]:
        assert f">{c['creator']}</a>" in page.text and f"{c['price']} USD" in page.text
    assert "Greedy comparison" in page.text and "Forecast (80 % intervals)" in page.text
    assert f"{plan['total_cost']} USD" in page.text and "<meter" in page.text
    assert "Book as a campaign" not in page.text  # an editor's form
    assert client.get("/plans/nosuchplan", headers=HTML).status_code == 404


def test_plan_a_brief_and_book_it_in_the_web_ui(app, world, client):
    web, token = _as(app, world, "editor")
    xss_id = _brief(client, world, {**BRIEF, "brand": f"Sol {XSS}"})
    listing = web.get("/plans")
    _check_page(listing)
    assert f'action="/briefs/{xss_id}/plan"' in listing.text and XSS not in listing.text
    assert web.post(f"/briefs/{xss_id}/plan", data={}, headers=HTML).status_code == 403  # no CSRF token
    made = web.post(f"/briefs/{xss_id}/plan", data={"csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/plans/")
    page = web.get(made.headers["location"])
    _check_page(page)
    assert XSS not in page.text and "Sol &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'action="' + made.headers["location"] + '/campaign"' in page.text
    plan_path = made.headers["location"]
    bad = web.post(f"{plan_path}/campaign", data={"name": "Web", "start": "not a date", "csrf_token": token})
    assert bad.status_code == 400 and "start:" in bad.text and 'value="Web"' in bad.text
    booked = web.post(
        f"{plan_path}/campaign",
        data={"name": "Web booking", "start": "2026-09-01", "hashtags": "#skincare, travel", "csrf_token": token},
        follow_redirects=False,
    )
    assert booked.status_code == 303 and booked.headers["location"].startswith("/campaigns/")
    campaign = web.get(booked.headers["location"])
    assert campaign.status_code == 200 and "Web booking" in campaign.text
    taken = web.post(f"{plan_path}/campaign", data={"name": "Web booking", "start": "2026-09-01", "csrf_token": token})
    assert taken.status_code == 400 and "already exists" in taken.text
    assert web.post(f"{plan_path}/campaign", data={"name": "x", "start": "2026-09-01"}, headers=HTML).status_code == 403


def test_an_infeasible_brief_in_the_web_ui(app, world, client):
    web, token = _as(app, world, "editor")
    infeasible_id = _brief(client, world, INFEASIBLE)
    before = _plans_in_store(world)
    page = web.post(f"/briefs/{infeasible_id}/plan", data={"csrf_token": token})
    _check_page(page)
    assert "Not saved" in page.text and "market BR needs 9 creators but only" in page.text
    assert "Book as a campaign" not in page.text and _plans_in_store(world) == before
    eur = _brief(client, world, {**BRIEF, "budget": {"amount": 2000, "currency": "EUR"}})
    failed = web.post(f"/briefs/{eur}/plan", data={"csrf_token": token})
    assert failed.status_code == 400 and "no exchange rate" in failed.text


def test_viewers_cannot_plan_or_book_in_the_web_ui(app, world, plan, brief_id):
    client, token = _as(app, world, "viewer")
    r = client.post(f"/briefs/{brief_id}/plan", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 403 and "editor role" in r.text
    r = client.post(
        f"/plans/{plan['plan_id']}/campaign",
        data={"name": "v", "start": "2026-09-01", "csrf_token": token},
        headers=HTML,
    )
    assert r.status_code == 403
