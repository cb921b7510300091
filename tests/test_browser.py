"""End to end in headless Debian Chromium: log in, search with filters, open a creator (whose
bio, captions and comments carry XSS payloads), plan a saved brief, book the plan as a campaign and
open the campaign's HTML report, on a laptop; and the pages on a phone. Screenshots (and the
downloaded report) are saved under the test's temporary folder (``artefacts/``)."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from serverworld import PASSWORD, build_world

CHROMIUM = Path("/usr/bin/chromium")
# a brief the server world can meet (no exchange rates there: the budget is in USD), saved in acme
PLAN_BRIEF = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}],
    "platforms": ["instagram", "tiktok", "youtube"],
    "budget": {"amount": 2000, "currency": "USD"},
}
WAIT_MS = 60_000
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (make sysdeps installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from microscout.api import create_app
    from microscout.brief import parse_brief
    from microscout.workspace import save_brief

    world = build_world(tmp_path_factory.mktemp("browser"))
    save_brief(world.store, "acme", parse_brief(PLAN_BRIEF))
    port = _free_port()
    config = uvicorn.Config(
        create_app(world.settings, store=world.store), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    srv.should_exit = True
    thread.join(timeout=10)
    world.store.close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def _watch(page, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text} {m.location}") if m.type == "error" else None)


def _log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/discover")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/discover")


def test_log_in_search_open_a_creator_plan_and_book(server, chromium, tmp_path):
    base, world = server
    shots = tmp_path / "artefacts"
    shots.mkdir()
    problems: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _watch(page, problems)
    _log_in(page, base, world.emails[("acme", "editor")])
    page.screenshot(path=str(shots / "1-discover.png"), full_page=True)
    page.check("input[name=platform][value=instagram]")
    page.fill("input[name=followers_min]", "1000")
    page.fill("input[name=followers_max]", "100000")
    page.select_option("select[name=market]", ["BR"])
    page.click("#filter-form button[type=submit]")
    page.wait_for_load_state()
    assert "platform=instagram" in page.url and "market=BR" in page.url
    links = page.locator("a.creator-link")
    assert sorted(links.all_inner_texts()) == ["instagram:ana.fit", "instagram:bia"]
    page.screenshot(path=str(shots / "2-filtered.png"), full_page=True)
    page.click("text=instagram:ana.fit")
    page.wait_for_url(f"{base}/creators/**")
    assert page.locator("h1").first.inner_text().startswith("instagram:ana.fit")
    assert page.locator("svg circle.er-dot").count() == 8
    # the payloads are shown as text, never run
    assert '<script>alert("x")</script>' in page.locator("p.bio").inner_text()
    assert page.locator("p.bio script, p.caption script, p.comment script, p.bio img").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    page.fill("textarea[name=body]", "<img src=x onerror=alert(5)> looks good")
    page.click("text=Save note")
    page.wait_for_load_state()
    assert "onerror=alert(5)" in page.locator("p.note-body").first.inner_text()
    page.screenshot(path=str(shots / "3-creator.png"), full_page=True)
    _plan_book_and_report(page, base, shots, problems)
    assert problems == []
    context.close()


def _plan_book_and_report(page, base: str, shots: Path, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Plan the saved brief, book the plan as a campaign, open the campaign's HTML report."""
    from microscout.brief import parse_brief
    from microscout.workspace import brief_id_of

    brief_id = brief_id_of(parse_brief(PLAN_BRIEF))
    page.click("#nav-menu a[href='/plans']")
    page.wait_for_url(f"{base}/plans")
    page.screenshot(path=str(shots / "4-plans.png"), full_page=True)
    page.click(f"tr[data-brief-id='{brief_id}'] button.plan-brief")
    page.wait_for_url(re.compile(re.escape(base) + r"/plans/[0-9a-f]+$"), timeout=WAIT_MS)
    page.wait_for_selector("table.plan-creators tbody tr", timeout=WAIT_MS)
    assert page.locator(".plan-status").inner_text() == "optimal"
    placed = page.locator("table.plan-creators tbody tr").count()
    assert placed >= 2
    assert page.locator("table.forecast tbody tr").count() >= 5 and page.locator("table.greedy").count() == 1
    plan_url = page.url
    page.screenshot(path=str(shots / "5-plan.png"), full_page=True)
    page.fill("form.book-plan input[name=name]", "Solara summer")
    page.fill("form.book-plan input[name=start]", "2026-09-01")
    page.fill("form.book-plan input[name=hashtags]", "#skincare")
    page.click("form.book-plan button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + r"/campaigns/[0-9a-f]+$"), timeout=WAIT_MS)
    page.wait_for_selector("table.deliverables", timeout=WAIT_MS)
    assert page.locator("h1").first.inner_text().startswith("Solara summer")
    assert page.locator("table.deliverables tbody tr").count() == placed
    page.screenshot(path=str(shots / "6-campaign.png"), full_page=True)
    # the report link downloads an attachment: open what it gave under the policy it came with
    link = page.locator("a[href$='/report?format=html']")
    with page.expect_download(timeout=WAIT_MS) as download_info:
        link.click()
    download = download_info.value
    saved = shots / "campaign-report.html"
    download.save_as(str(saved))
    html = saved.read_text(encoding="utf-8")
    served = page.context.request.get(download.url)
    assert served.ok and served.headers["content-disposition"].startswith("attachment")
    policy = served.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    report = page.context.new_page()
    _watch(report, problems)
    preview = f"{base}/report-preview"
    report.route(
        preview,
        lambda route: route.fulfill(
            status=200,
            body=html,
            headers={"content-type": "text/html; charset=utf-8", "content-security-policy": policy},
        ),
    )
    report.goto(preview)
    report.wait_for_selector("figure svg", timeout=WAIT_MS)
    assert report.locator("figure svg").count() >= 2
    assert "Solara summer" in report.locator("h1").first.inner_text()
    assert report.evaluate("document.querySelectorAll('script').length") == 0
    report.screenshot(path=str(shots / "7-report.png"), full_page=True)
    report.close()
    page.goto(plan_url)
    assert page.locator("a[href^='/campaigns/']", has_text="Solara summer").count() == 1


def test_pages_work_on_a_phone(server, chromium, tmp_path):
    base, world = server
    problems: list[str] = []
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    _watch(page, problems)
    _log_in(page, base, world.emails[("acme", "viewer")])
    assert page.locator("#nav-menu").is_hidden() and page.locator("#filter-form").is_hidden()
    page.click("button.filters-toggle")
    assert page.locator("#filter-form").is_visible()
    page.click("button.menu-toggle")
    assert page.locator("#nav-menu").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"the page scrolls sideways ({width}px)"
    page.screenshot(path=str(tmp_path / "phone-discover.png"), full_page=True)
    page.goto(f"{base}/creators/instagram:ana.fit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.screenshot(path=str(tmp_path / "phone-creator.png"), full_page=True)
    assert problems == []
    context.close()
