"""Campaign reports in every format: self-contained, escaped, formula-safe, printable in many scripts."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microscout.errors import InvalidInputError
from microscout.report.campaign import FORMATS, render_campaign_report, write_campaign_report
from microscout.report.campaign_charts import checked_svg
from microscout.report.campaign_export import VIEWS, data_only_url_fetcher, html_to_pdf, neutralise

HOSTILE = "<script>alert(1)</script>"
FORMULA_HANDLE = '=HYPERLINK("http://evil","x")'
FORMULA_THEME = "+cmd|' /C calc'!A0"
IMG_CAPTION = 'nice <img src="http://127.0.0.1:9/x.png"> pic'
ARABIC = "العلامة التجارية رائعة"
DEVANAGARI = "यह उत्पाद बहुत अच्छा है"
JAPANESE = "この日焼け止めは最高です"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# creator, market, language, caption, self-reported
POSTS = [
    ("instagram:ana.fit", "BR", "pt", "Protetor solar incrível #publi ☀️😀", False),
    (FORMULA_HANDLE, "SA", "ar", ARABIC, False),
    ("youtube:priya", "IN", "hi", DEVANAGARI, True),
    ("tiktok:yuki", "JP", "ja", JAPANESE, False),
    (f"tiktok:{HOSTILE}", "JP", "ja", HOSTILE, False),
    ("instagram:ana.fit", "BR", "pt", IMG_CAPTION, False),
]


def post(i: int, creator: str, market: str, language: str, caption: str, self_reported: bool) -> dict[str, Any]:
    return {
        "platform": creator.split(":")[0] if ":" in creator else "instagram",
        "post_id": f"p{i}",
        "creator": creator,
        "role": "deliverable" if i < 5 else "ugc",
        "placement_id": f"pl{i}" if i < 5 else None,
        "deliverable_kind": "reel" if i < 5 else None,
        "market": market,
        "language": language,
        "published_at": f"2026-11-0{i + 1}T12:00:00Z",
        "caption": caption,
        "url": f"https://example.com/p{i}",
        "likes": 100 * (i + 1),
        "comments": 10,
        "shares": 3,
        "saves": 2,
        "views": None,
        "engagements": 100 * (i + 1) + 15,
        "er": 0.042,
        "reach": 2000 + i,
        "reach_basis": "self-reported" if self_reported else "model",
        "impressions": 3000,
        "emv": 12.5,
        "disclosure": "missing" if i == 1 else "accepted",
        "disclosure_found": [] if i == 1 else ["#publi"],
        "on_time": i != 2,
        "self_reported": self_reported,
        "competitors": ["UVmax"] if i == 3 else [],
    }


def creator(handle: str, market: str, low: float | None, high: float | None, engagements: int) -> dict[str, Any]:
    return {
        "creator": handle,
        "platform": handle.split(":")[0] if ":" in handle else "instagram",
        "creator_id": handle,
        "market": market,
        "fee": "1500.00",
        "currency": "EUR",
        "deliverables_expected": 2,
        "deliverables_delivered": 1,
        "late": 0,
        "missing": 1,
        "engagements": engagements,
        "er": 0.04,
        "reach": 5000,
        "impressions": 7000,
        "emv": 40.0,
        "cpe": 2.5,
        "cpm": 30.0,
        "forecast_low": low,
        "forecast_high": high,
        "verdict": "inside" if low is not None else "no forecast",
        "revenue": "300.00",
        "orders": 3,
        "roas": 0.2,
        "disclosure_issues": 1 if handle == FORMULA_HANDLE else 0,
        "self_reported": handle == "youtube:priya",
    }


def market(code: str, engagements: int) -> dict[str, Any]:
    return {
        "market": code,
        "creators": 1,
        "deliverables": 2,
        "engagements": engagements,
        "reach": 9000,
        "emv": 80.0,
        "spend": "1500.00",
        "cpe": 2.1,
        "cpm": 25.0,
        "ugc_posts": 4,
        "ugc_reach": 800,
        "revenue": "300.00",
        "orders": 3,
        "roas": 0.2,
        "positive": 0.6,
        "neutral": 0.3,
        "negative": 0.1,
        "net_sentiment": 0.5,
        "share_of_voice": 0.55,
    }


def campaign_doc() -> dict[str, Any]:
    markets = ["BR", "SA", "IN", "JP"]
    return {
        "campaign": {
            "campaign_id": "c1",
            "name": "Solara summer",
            "brand": "Solara",
            "status": "active",
            "start_date": "2026-11-01",
            "end_date": None,
            "currency": "EUR",
            "plan_id": "plan-1",
            "markets": markets,
            "competitors": ["UVmax"],
            "budget": "25000.00",
        },
        "generated_at": "2026-11-26T10:00:00Z",
        "summary": {
            "placements": 5,
            "deliverables_expected": 10,
            "deliverables_delivered": 6,
            "late": 1,
            "missing": 2,
            "pending": 1,
            "disclosure_accepted": 5,
            "disclosure_issues": 1,
            "engagements": 4321,
            "views": None,
            "reach": 123456,
            "impressions": 200000,
            "emv": 456.7,
            "emv_currency": "USD",
            "spend": "12345.00",
            "currency": "EUR",
            "cpe": 2.86,
            "cpm": 61.7,
            "ugc_posts": 16,
            "ugc_creators": 9,
            "ugc_reach": 3200,
            "competitor_posts": 4,
            "revenue": "1234.50",
            "orders": 12,
            "roas": 0.1,
            "self_reported_posts": 1,
            "forecast": {
                "engagements": {"low": 3000.0, "high": 6000.0, "actual": 4321.0, "verdict": "inside"},
                "reach": {"low": 150000.0, "high": 250000.0, "actual": 123456.0, "verdict": "below"},
            },
        },
        "posts": [post(i, *row) for i, row in enumerate(POSTS)],
        "creators": [
            creator("instagram:ana.fit", "BR", 500, 900, 700),
            creator(FORMULA_HANDLE, "SA", 300, 600, 250),
            creator("youtube:priya", "IN", 400, 800, 820),
            creator(f"tiktok:{HOSTILE}", "JP", 200, 500, 330),
            creator("tiktok:yuki", "JP", None, None, 120),
        ],
        "markets": [market(code, 1000 + 300 * i) for i, code in enumerate(markets)],
        "deliverables": [
            {
                "placement_id": f"pl{i}",
                "creator": handle,
                "market": code,
                "kind": "reel",
                "due_date": "2026-11-10",
                "status": status,
                "post_id": f"p{i}" if status != "missing" else None,
                "published_at": "2026-11-09T12:00:00Z" if status != "missing" else None,
                "disclosure": "accepted" if status != "missing" else None,
                "self_reported": handle == "youtube:priya",
            }
            for i, (handle, code, status) in enumerate(
                [
                    ("instagram:ana.fit", "BR", "delivered"),
                    (FORMULA_HANDLE, "SA", "missing"),
                    ("youtube:priya", "IN", "late"),
                    ("tiktok:yuki", "JP", "pending"),
                ]
            )
        ],
        "disclosure": [
            {
                "creator": FORMULA_HANDLE,
                "market": "SA",
                "post_id": "p1",
                "status": "missing",
                "found": [],
                "accepted_options": ["#إعلان", "#ad"],
                "caption": ARABIC,
            },
            {
                "creator": "instagram:ana.fit",
                "market": "BR",
                "post_id": "p0",
                "status": "accepted",
                "found": ["#publi"],
                "accepted_options": ["#publi"],
                "caption": "ok",
            },
        ],
        "ugc_timeline": [
            {"date": f"2026-11-{d:02d}", "market": code, "posts": d % 4 + i, "reach": 100 * d}
            for i, code in enumerate(markets)
            for d in range(1, 8)
        ],
        "word_of_mouth": {
            "replies": 40,
            "quotes": 5,
            "reposts": 12,
            "by_post": [{"post_id": "p0", "creator": "instagram:ana.fit", "replies": 40, "quotes": 5, "reposts": 12}],
        },
        "sentiment_timeline": [
            {
                "date": f"2026-11-{d:02d}",
                "market": code,
                "positive": 0.5,
                "neutral": 0.3,
                "negative": 0.2,
                "net": 0.1 * i,
            }
            for i, code in enumerate(markets)
            for d in range(1, 8)
        ],
        "sentiment_by_language": [
            {
                "market": "SA",
                "language": "ar",
                "texts": 40,
                "positive": 0.6,
                "neutral": 0.3,
                "negative": 0.1,
                "net": 0.5,
            },
            {
                "market": "JP",
                "language": "ja",
                "texts": 25,
                "positive": 0.4,
                "neutral": 0.4,
                "negative": 0.2,
                "net": 0.2,
            },
        ],
        "share_of_voice": [
            {"market": code, "brand": brand, "mentions": n, "share": n / 100}
            for code in markets
            for brand, n in (("Solara", 55), ("UVmax", 35), (HOSTILE, 10))
        ],
        "themes": [
            {"market": "JP", "phrase": "日焼け止め", "count": 7, "examples": [{"post_id": "p3", "text": JAPANESE}]},
            {"market": "IN", "phrase": FORMULA_THEME, "count": 3, "examples": [{"post_id": "p4", "text": HOSTILE}]},
        ],
        "sales": [
            {
                "key": "ANA10",
                "creator": "instagram:ana.fit",
                "market": "BR",
                "orders": 12,
                "revenue": "1234.50",
                "currency": "EUR",
            }
        ],
        "notes": ["Reach for youtube:priya is self-reported.", HOSTILE],
        "definitions": {
            "reach": "Unique accounts reached.",
            "emv": "Earned media value in USD.",
            "cpe": "Spend per engagement.",
            "cpm": "Spend per 1,000 impressions.",
            "roas": "Revenue over spend.",
            "er": "Engagements over followers.",
            "disclosure": "An accepted ad label in the caption.",
            "self_reported": "Figures a creator reported themselves.",
        },
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def html_page() -> str:
    return render_campaign_report(campaign_doc())


@pytest.fixture(scope="module")
def html_file(tmp_path_factory: pytest.TempPathFactory, html_page: str) -> Path:
    path = tmp_path_factory.mktemp("campaign") / "campaign.html"
    path.write_text(html_page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_campaign_report(campaign_doc(), "pdf", tmp_path_factory.mktemp("campaign") / "out" / "report.pdf")


# --------------------------------------------------------------------------------- formats


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "pdf"])
def test_every_format_writes_a_file_creating_folders(fmt: str, tmp_path: Path) -> None:
    out = write_campaign_report(campaign_doc(), fmt, tmp_path / "nested" / f"report.{fmt}")
    assert out == tmp_path / "nested" / f"report.{fmt}"
    assert out.is_file() and out.stat().st_size > 0


def test_pdf_is_written(pdf_file: Path) -> None:
    assert pdf_file.read_bytes().startswith(b"%PDF-")


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown report format 'docx'"):
        write_campaign_report(campaign_doc(), "docx", tmp_path / "r.docx")
    assert not (tmp_path / "r.docx").exists()


def test_a_folder_is_refused_for_single_file_formats(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is a folder"):
        write_campaign_report(campaign_doc(), "json", tmp_path)


# ------------------------------------------------------------------------------------ HTML


def test_html_has_no_script_and_escapes_untrusted_text(html_page: str) -> None:
    assert "<script" not in html_page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_page
    assert "&lt;img src=&#34;http://127.0.0.1:9/x.png&#34;&gt;" in html_page
    assert "<img" not in html_page
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html_page.replace("&#39;", "'")


def test_html_loads_nothing_from_the_network(html_page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?:""", html_page, re.IGNORECASE)
    assert "url(" not in html_page.lower().replace("url(#", "")
    assert "@import" not in html_page
    # the only URLs left are SVG namespaces and escaped user text
    leftovers = set(re.findall(r"https?://[^\s\"'&<>]+", html_page)) - {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert leftovers == {"http://127.0.0.1:9/x.png", "http://evil"}


def test_html_has_every_chart_and_section(html_page: str) -> None:
    assert html_page.count("<svg") == 6
    for heading in (
        "Headline results",
        "Deliverables",
        "Disclosure issues",
        "Creators",
        "Markets",
        "Brand perception",
        "UGC and word of mouth",
        "Sales",
        "Definitions",
        "Notes",
    ):
        assert f">{heading}</h2>" in html_page
    for text in (ARABIC, DEVANAGARI, JAPANESE, "日焼け止め", "25,000.00 EUR"):
        assert text in html_page


def test_chart_labels_are_escaped_in_the_svg(html_page: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", html_page, re.DOTALL)
    labelled = [svg for svg in svgs if "alert(1)" in svg]
    assert len(labelled) >= 2  # share of voice (brand) and forecast by creator (handle)
    for svg in labelled:
        assert "<script" not in svg
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
        checked_svg(svg)


def test_self_reported_figures_carry_a_badge(html_page: str) -> None:
    badges = re.findall(
        r'<tr class="([^"]*)">\s*<td class="creator">([^<]*) <span class="badge">self-reported</span>', html_page
    )
    assert ("role-deliverable self-reported", "youtube:priya") in badges  # posts
    assert ("self-reported", "youtube:priya") in badges  # creators
    assert ("status-late self-reported", "youtube:priya") in badges  # deliverables


def test_late_and_missing_deliverables_are_highlighted(html_page: str) -> None:
    assert '<tr class="status-missing">' in html_page
    assert 'class="status-late' in html_page


def test_disclosure_table_lists_only_issues(html_page: str) -> None:
    section = html_page.split('id="disclosure-h"')[1].split("</section>")[0]
    assert re.findall(r'<tr class="(status-[a-z]+)', section) == ["status-missing"]
    assert "#إعلان" in section


def test_empty_data_skips_charts_with_a_sentence(tmp_path: Path) -> None:
    doc = campaign_doc()
    for key in ("markets", "ugc_timeline", "sentiment_timeline", "share_of_voice", "creators", "posts"):
        doc[key] = []
    doc["summary"]["forecast"] = {
        m: {"low": None, "high": None, "actual": 1.0, "verdict": "no forecast"} for m in ("engagements", "reach")
    }
    page = render_campaign_report(doc)
    assert "<svg" not in page
    assert page.count("No data:") == 6


def test_many_creators_are_not_charted_one_by_one() -> None:
    doc = campaign_doc()
    doc["creators"] = [creator(f"instagram:c{i}", "BR", 10, 20, 15) for i in range(41)]
    page = render_campaign_report(doc)
    assert "Not charted per creator: 41 creators" in page


def test_checked_svg_refuses_active_content() -> None:
    for svg in (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><g x:href="http://e"/></svg>',
        "<svg><unclosed></svg>",
    ):
        with pytest.raises(Exception, match="chart renderer"):
            checked_svg(svg)


# ----------------------------------------------------------------------------- spreadsheets


def test_neutralise_prefixes_formula_starts() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("ana") == "ana"
    assert neutralise(-1) == -1


def test_xlsx_has_a_sheet_per_view_and_no_formulas(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = write_campaign_report(campaign_doc(), "xlsx", tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(out)
    expected = [title for title, _ in VIEWS.values()]
    assert book.sheetnames == expected
    for required in ("Summary", "Posts", "Creators", "Markets", "Deliverables", "Disclosure", "UGC timeline"):
        assert required in book.sheetnames
    for required in ("Sentiment", "Share of voice", "Themes", "Sales", "Definitions"):
        assert required in book.sheetnames
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'" + FORMULA_HANDLE in texts
    assert "'" + FORMULA_THEME in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    creators = book["Creators"]
    header = [c.value for c in creators[1]]
    assert creators.cell(2, header.index("fee") + 1).value == 1500  # money written as a number
    assert any(ARABIC in t for t in texts)


def test_csv_file_is_the_posts_view_neutralised(tmp_path: Path) -> None:
    out = write_campaign_report(campaign_doc(), "csv", tmp_path / "posts.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = read_csv(out)
    assert len(rows) == len(POSTS)
    assert list(rows[0]) == list(VIEWS["posts"][1])
    handles = {row["creator"] for row in rows}
    assert "'" + FORMULA_HANDLE in handles and FORMULA_HANDLE not in handles
    assert any(row["caption"] == DEVANAGARI for row in rows)


def test_csv_folder_gets_one_file_per_view(tmp_path: Path) -> None:
    target = tmp_path / "views"
    out = write_campaign_report(campaign_doc(), "csv", f"{target}/")
    assert out == target
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in VIEWS)
    themes = read_csv(out / "themes.csv")
    assert themes[1]["phrase"] == "'" + FORMULA_THEME
    assert themes[1]["examples"] == f"p4: {HOSTILE}"
    # an existing folder without a trailing separator works too
    again = write_campaign_report(campaign_doc(), "csv", target)
    assert again == target


def test_json_round_trips(tmp_path: Path) -> None:
    doc = campaign_doc()
    out = write_campaign_report(doc, "json", tmp_path / "r.json")
    text = out.read_text(encoding="utf-8")
    assert ARABIC in text  # not ASCII-escaped
    assert json.loads(text) == doc


def test_json_writes_decimals_and_dates_as_text(tmp_path: Path) -> None:
    import datetime as dt
    from decimal import Decimal

    doc = {"spend": Decimal("12.50"), "day": dt.date(2026, 11, 1)}
    out = write_campaign_report(doc, "json", tmp_path / "r.json")
    assert json.loads(out.read_text()) == {"spend": "12.50", "day": "2026-11-01"}


# ------------------------------------------------------------------------------------- PDF

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdffonts")), reason="needs poppler-utils"
)


def test_fetcher_refuses_everything_but_data_urls() -> None:
    fetcher = data_only_url_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.com/a.css", "file:///etc/passwd", "ftp://x/y"):
        with pytest.raises(InvalidInputError, match="refused"):
            fetcher(url)
    response = fetcher("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"


def test_pdf_print_never_fetches_a_remote_url(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    html = '<p>x</p><img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="https://example.com/a.css">'
    out = html_to_pdf(html, tmp_path / "raw.pdf")
    assert out.read_bytes().startswith(b"%PDF-")
    refusals = [r.getMessage() for r in caplog.records if "refused to fetch" in r.getMessage()]
    assert any("127.0.0.1:9" in message for message in refusals)


@needs_poppler
def test_pdf_first_page_is_not_blank(pdf_file: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf_file), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        stat = ImageStat.Stat(image.convert("L"))
    assert stat.stddev[0] > 10  # text, tables and charts, not a blank page


@needs_poppler
def test_pdf_prints_every_script_and_keeps_payloads_as_text(pdf_file: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    squashed = re.sub(r"\s+", "", text)
    assert JAPANESE in squashed
    assert "बहुत" in squashed and "अच्छा" in squashed
    # pdftotext may give Arabic in logical or visual order
    assert "رائعة" in squashed or "رائعة"[::-1] in squashed
    assert HOSTILE in squashed
    raw = pdf_file.read_bytes()
    assert b"/JavaScript" not in raw and b"/JS" not in raw


@needs_poppler
def test_pdf_embeds_a_font_for_every_script(pdf_file: Path) -> None:
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True, check=True, timeout=60).stdout
    for family in ("Noto-Sans", "Noto-Sans-Arabic", "Noto-Sans-Devanagari", "Noto-Sans-CJK-JP", "Noto-Color-Emoji"):
        assert f"+{family} " in fonts, fonts


@needs_poppler
def test_pdf_contains_the_charts(pdf_file: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for title in ("Engagements by market", "UGC posts over time", "Net sentiment over time", "Share of voice"):
        assert title in text


# --------------------------------------------------------------------------------- browser


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (make sysdeps installs it)")
def test_report_in_chromium_loads_nothing_and_shows_charts(html_file: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = html_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.locator("svg").count() >= 3
            for i in range(page.locator("figure svg").count()):
                assert page.locator("figure svg").nth(i).is_visible()
            assert page.evaluate("document.scripts.length") == 0
            assert HOSTILE in page.locator("section", has_text="Notes").inner_text()
            shots = tmp_path / "artefacts"
            shots.mkdir()
            page.screenshot(path=str(shots / "campaign-report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert requests == [url]
    assert (shots / "campaign-report.png").stat().st_size > 10_000
