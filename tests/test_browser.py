"""End to end in headless Debian Chromium: log in, search with filters, open a creator (whose
bio, captions and comments carry XSS payloads), on a laptop and on a phone. Screenshots are
saved under the test's temporary folder (``artefacts/``)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from serverworld import PASSWORD, build_world

CHROMIUM = Path("/usr/bin/chromium")
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

    world = build_world(tmp_path_factory.mktemp("browser"))
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


def test_log_in_search_and_open_a_creator(server, chromium, tmp_path):
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
    assert problems == []
    context.close()


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
