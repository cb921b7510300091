"""The HTML search report: self-contained, no scripts, escaped, a chart with one legend per tier."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from microscout.report.html import MAX_SCATTER_POINTS, render_search_report, write_report

BRIEF: dict[str, Any] = {
    "brand": "Solara Skincare",
    "description": "Mineral sunscreen for sensitive skin",
    "markets": [
        {"country": "BR", "languages": ["pt"], "budget_share": 0.3},
        {"country": "ID", "languages": ["id", "en"]},
    ],
    "niches": ["beauty", "outdoors"],
    "platforms": ["instagram", "tiktok"],
    "budget": {"amount": "25000", "currency": "EUR"},
    "followers": {"min": 1000, "max": 100000},
    "kpi": "authentic_engagements",
}
HOSTILE = "<script>alert(1)</script>"


def component(name: str, reason: str = "fits the brief") -> dict[str, Any]:
    return {"name": name, "value": 0.8, "weight": 0.25, "contribution": 0.2, "reason": reason}


def result(rank: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rank": rank,
        "creator": f"instagram:creator{rank}",
        "platform": "instagram",
        "handle": f"creator{rank}",
        "display_name": f"Creator {rank}",
        "country": "BR",
        "language": "pt",
        "tier": "micro",
        "followers": 45_210,
        "er": 0.0342,
        "er_low": 0.029,
        "er_high": 0.041,
        "score": 0.9 - rank / 100,
        "components": [component("topic"), component("engagement")],
        "flags": [],
    }
    row.update(overrides)
    return row


SCATTER = [
    {"followers": 1_000 * (i % 90 + 1), "er": 0.01 + (i % 7) / 100, "tier": tier}
    for i, tier in enumerate(["nano", "micro", "mid"] * 40)
]


def render(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "title": "Shortlist: Solara Skincare",
        "brief": BRIEF,
        "results": [result(1), result(2), result(3)],
        "scatter": SCATTER,
        "summary": {"creators": 12_345, "posts": 500_000, "run_time": "3.2 s"},
        "generated_at": "2026-05-01T10:00:00Z",
    }
    args.update(overrides)
    return render_search_report(**args)


def test_report_is_self_contained_without_scripts_or_urls() -> None:
    page = render(results=[result(1, display_name="see https://evil.example")])
    page = page.replace("https://evil.example", "")  # untrusted text, shown escaped as text
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "@import" not in page and "url(" not in page
    assert re.search(r"\son[a-z]+\s*=", page) is None  # no inline event handlers


def test_hostile_display_name_and_reason_are_escaped() -> None:
    hostile = result(
        1,
        display_name=HOSTILE,
        handle='x"><img src=x onerror=alert(1)>',
        flags=[HOSTILE],
        components=[component("topic", reason=f"bio says {HOSTILE} & more")],
    )
    page = render(results=[hostile], scatter=[{"followers": 5000, "er": 0.03, "tier": HOSTILE}])
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "bio says &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_header_shows_brand_and_brief_summary() -> None:
    page = render()
    assert "Solara Skincare" in page
    assert "BR (pt) · 30% of budget" in page
    assert "beauty, outdoors" in page
    assert "instagram, tiktok" in page
    assert "25,000 EUR" in page


def test_summary_is_a_key_value_table() -> None:
    page = render()
    assert '<table class="summary">' in page
    assert '<th scope="row">Creators</th><td class="num">12,345</td>' in page
    assert '<th scope="row">Run time</th><td class="num">3.2 s</td>' in page


def test_shortlist_rows_show_creator_followers_er_interval_score_and_components() -> None:
    page = render()
    assert "instagram:creator1" in page
    assert "45,210" in page
    assert "3.42%" in page
    assert "90% interval 2.90% – 4.10%" in page
    assert '<span class="score">89</span>' in page  # 0.89 shown on 0-100
    assert "0.80 × 25% = 20.0 pts" in page
    assert "fits the brief" in page


def test_missing_interval_is_left_out() -> None:
    page = render(results=[result(1, er_low=None, er_high=None)])
    assert "90% interval" not in page


def test_results_rendered_in_rank_order() -> None:
    page = render(results=[result(3), result(1), result(2)])
    ranks = re.findall(r'<td class="num rank">(\d+)</td>', page)
    assert ranks == ["1", "2", "3"]


def test_chart_is_inline_svg_with_one_legend_entry_per_tier() -> None:
    page = render()
    assert page.count("<svg") == 1
    assert "Engagement rate vs followers by tier" in page
    tiers = re.findall(r'<g class="legend-item" data-tier="([^"]+)">', page)
    assert tiers == ["nano", "micro", "mid"]
    assert page.count("<circle") == len(SCATTER) + len(tiers)
    assert ">1k<" in page and ">10k<" in page


def test_chart_caps_points_by_deterministic_subsampling() -> None:
    scatter = [
        {"followers": 1000 + i, "er": 0.02 + (i % 10) / 1000, "tier": "nano"} for i in range(MAX_SCATTER_POINTS * 2 + 7)
    ]
    page = render(scatter=scatter)
    assert page.count("<circle") == MAX_SCATTER_POINTS + 1  # points + one legend marker
    assert f"{MAX_SCATTER_POINTS:,} shown of {len(scatter):,}" in page
    assert render(scatter=scatter) == page


def test_chart_handles_zero_engagement_with_linear_axis() -> None:
    page = render(scatter=[{"followers": 2000, "er": 0.0, "tier": "nano"}, *SCATTER[:5]])
    assert "<svg" in page
    assert ">0%<" in page


@pytest.mark.parametrize("scatter", [[], [{"followers": 0, "er": None, "tier": "nano"}]])
def test_empty_results_show_a_message(scatter: list[dict[str, Any]]) -> None:
    page = render(results=[], scatter=scatter, summary={})
    assert "No creators matched" in page
    assert '<table class="shortlist"' not in page
    assert "<svg" not in page
    assert "<script" not in page


def test_write_report_creates_folders(tmp_path: Path) -> None:
    target = write_report(tmp_path / "out" / "report.html", render())
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
