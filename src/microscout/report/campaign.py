"""Campaign reports: one results document written as HTML, PDF, XLSX, CSV or JSON.

The HTML page is self-contained: inline CSS and inline SVG charts (Altair, rendered by
vl-convert), no JavaScript, nothing from the network, and a Content Security Policy that forbids
scripts and remote loads. Text from social media (captions, handles, themes, notes) is untrusted:
the template runs with ``autoescape=True`` and only the CSS constant and the checked chart SVG
(see :mod:`microscout.report.campaign_charts`) are marked safe. The PDF is WeasyPrint's print of
the same page, with a URL fetcher that refuses everything but ``data:`` URLs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from microscout.errors import InvalidInputError
from microscout.report.campaign_charts import FONT_STACK, campaign_charts
from microscout.report.campaign_export import html_to_pdf, write_csv, write_csv_folder, write_json, write_xlsx

__all__ = ["FORMATS", "render_campaign_report", "write_campaign_report"]

FORMATS = ("html", "pdf", "xlsx", "csv", "json")
SELF_REPORTED = "self-reported"
_ACRONYMS = {"emv", "cpe", "cpm", "roas", "er", "ugc"}


# -------------------------------------------------------------------------------- formatting


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool) and math.isfinite(float(value))


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def _term(key: str) -> str:
    return key.upper() if key in _ACRONYMS else key.replace("_", " ").capitalize()


def _int(value: Any) -> str:
    return f"{int(value):,}" if _is_number(value) else _text(value)


def _num(value: Any) -> str:
    return f"{float(value):,.2f}" if _is_number(value) else _text(value)


def _pct(value: Any) -> str:
    return f"{float(value) * 100:.1f}%" if _is_number(value) else _text(value)


def _money(amount: Any, currency: Any = None) -> str:
    if amount is None:
        return "—"
    try:
        text = f"{Decimal(str(amount)):,.2f}"
    except (InvalidOperation, ValueError):
        text = str(amount)
    return f"{text} {currency}" if currency else text


# ------------------------------------------------------------------------------------ tables


@dataclass(frozen=True)
class Column:
    """A table column: header, the row key it shows, how to format it, right-aligned or not."""

    label: str
    key: str
    fmt: Callable[[Any], str] = _text
    num: bool = False
    bullets: bool = False  # show a list value as a bulleted list


def _cell(column: Column, row: dict[str, Any], badge: bool) -> dict[str, Any]:
    value = row.get(column.key)
    bullets = [str(item) for item in value] if isinstance(value, list) and column.bullets else []
    return {
        "text": "" if bullets else column.fmt(value),
        "bullets": bullets,
        "cls": "num" if column.num else column.key.replace("_", "-"),
        "badge": SELF_REPORTED if badge else "",
    }


def _table(
    rows: list[dict[str, Any]],
    columns: list[Column],
    empty: str,
    row_class: Callable[[dict[str, Any]], str] = lambda row: "",
) -> dict[str, Any]:
    """Rows ready for the template; the first cell of a self-reported row carries a badge."""
    body = []
    for row in rows:
        self_reported = bool(row.get("self_reported")) or row.get("reach_basis") == SELF_REPORTED
        classes = " ".join(filter(None, [row_class(row), "self-reported" if self_reported else ""]))
        cells = [_cell(column, row, self_reported and i == 0) for i, column in enumerate(columns)]
        body.append({"cls": classes, "cells": cells})
    return {"head": [{"label": c.label, "num": c.num} for c in columns], "rows": body, "empty": empty}


def _posts_table(posts: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [
        {
            **post,
            "reach_text": f"{_int(post.get('reach'))} ({post.get('reach_basis') or 'unknown'})",
        }
        for post in posts
    ]
    columns = [
        Column("Creator", "creator"),
        Column("Role", "role"),
        Column("Market", "market"),
        Column("Language", "language"),
        Column("Published", "published_at"),
        Column("Caption", "caption"),
        Column("Engagements", "engagements", _int, True),
        Column("ER", "er", _pct, True),
        Column("Reach (basis)", "reach_text", _text, True),
        Column("Impressions", "impressions", _int, True),
        Column("EMV", "emv", _num, True),
        Column("Disclosure", "disclosure"),
        Column("On time", "on_time"),
    ]
    return _table(rows, columns, "No posts were tracked.", lambda r: f"role-{r.get('role')}")


def _creators_table(creators: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [
        {
            **c,
            "fee_text": _money(c.get("fee"), c.get("currency")),
            "delivered": f"{_int(c.get('deliverables_delivered'))} / {_int(c.get('deliverables_expected'))}",
            "forecast": f"{_int(c.get('forecast_low'))} – {_int(c.get('forecast_high'))}",
            "revenue_text": _money(c.get("revenue")),
        }
        for c in creators
    ]
    columns = [
        Column("Creator", "creator"),
        Column("Market", "market"),
        Column("Fee", "fee_text", _text, True),
        Column("Delivered", "delivered", _text, True),
        Column("Late", "late", _int, True),
        Column("Missing", "missing", _int, True),
        Column("Engagements", "engagements", _int, True),
        Column("ER", "er", _pct, True),
        Column("Reach", "reach", _int, True),
        Column("EMV", "emv", _num, True),
        Column("CPE", "cpe", _num, True),
        Column("CPM", "cpm", _num, True),
        Column("Forecast", "forecast", _text, True),
        Column("Verdict", "verdict"),
        Column("Revenue", "revenue_text", _text, True),
        Column("Orders", "orders", _int, True),
        Column("ROAS", "roas", _num, True),
        Column("Disclosure issues", "disclosure_issues", _int, True),
    ]
    return _table(rows, columns, "No creators in this campaign.")


def _markets_table(markets: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [{**m, "spend_text": _money(m.get("spend")), "revenue_text": _money(m.get("revenue"))} for m in markets]
    columns = [
        Column("Market", "market"),
        Column("Creators", "creators", _int, True),
        Column("Deliverables", "deliverables", _int, True),
        Column("Engagements", "engagements", _int, True),
        Column("Reach", "reach", _int, True),
        Column("EMV", "emv", _num, True),
        Column("Spend", "spend_text", _text, True),
        Column("CPE", "cpe", _num, True),
        Column("CPM", "cpm", _num, True),
        Column("UGC posts", "ugc_posts", _int, True),
        Column("UGC reach", "ugc_reach", _int, True),
        Column("Revenue", "revenue_text", _text, True),
        Column("Orders", "orders", _int, True),
        Column("ROAS", "roas", _num, True),
        Column("Net sentiment", "net_sentiment", _pct, True),
        Column("Share of voice", "share_of_voice", _pct, True),
    ]
    return _table(rows, columns, "No market results.")


def _deliverables_table(deliverables: list[dict[str, Any]]) -> dict[str, Any]:
    columns = [
        Column("Creator", "creator"),
        Column("Placement", "placement_id"),
        Column("Market", "market"),
        Column("Kind", "kind"),
        Column("Due", "due_date"),
        Column("Status", "status"),
        Column("Post", "post_id"),
        Column("Published", "published_at"),
        Column("Disclosure", "disclosure"),
    ]
    return _table(deliverables, columns, "No deliverables were planned.", lambda r: f"status-{r.get('status')}")


def _disclosure_table(disclosure: list[dict[str, Any]]) -> dict[str, Any]:
    issues = [row for row in disclosure if row.get("status") != "accepted"]
    columns = [
        Column("Creator", "creator"),
        Column("Market", "market"),
        Column("Post", "post_id"),
        Column("Status", "status"),
        Column("Found", "found"),
        Column("Accepted options", "accepted_options"),
        Column("Caption", "caption"),
    ]
    return _table(issues, columns, "No disclosure issues.", lambda r: f"status-{r.get('status')}")


def _sentiment_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    columns = [
        Column("Market", "market"),
        Column("Language", "language"),
        Column("Texts", "texts", _int, True),
        Column("Positive", "positive", _pct, True),
        Column("Neutral", "neutral", _pct, True),
        Column("Negative", "negative", _pct, True),
        Column("Net", "net", _pct, True),
    ]
    return _table(rows, columns, "No sentiment data.")


def _themes_table(themes: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [
        {**t, "example_texts": [f"{e.get('post_id')}: {e.get('text')}" for e in t.get("examples") or []]}
        for t in themes
    ]
    columns = [
        Column("Market", "market"),
        Column("Theme", "phrase"),
        Column("Mentions", "count", _int, True),
        Column("Example posts", "example_texts", bullets=True),
    ]
    return _table(rows, columns, "No recurring themes found.")


def _word_of_mouth_table(by_post: list[dict[str, Any]]) -> dict[str, Any]:
    columns = [
        Column("Post", "post_id"),
        Column("Creator", "creator"),
        Column("Replies", "replies", _int, True),
        Column("Quotes", "quotes", _int, True),
        Column("Reposts", "reposts", _int, True),
    ]
    return _table(by_post, columns, "No replies, quotes or reposts.")


def _sales_table(sales: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [{**s, "revenue_text": _money(s.get("revenue"), s.get("currency"))} for s in sales]
    columns = [
        Column("Promo code or link", "key"),
        Column("Creator", "creator"),
        Column("Market", "market"),
        Column("Orders", "orders", _int, True),
        Column("Revenue", "revenue_text", _text, True),
    ]
    return _table(rows, columns, "No sales were attributed.")


# ------------------------------------------------------------------------------- header, KPIs


def _campaign_facts(campaign: dict[str, Any]) -> list[tuple[str, str]]:
    dates = f"{_text(campaign.get('start_date'))} – {campaign.get('end_date') or 'ongoing'}"
    return [
        ("Brand", _text(campaign.get("brand"))),
        ("Status", _text(campaign.get("status"))),
        ("Dates", dates),
        ("Markets", _text(campaign.get("markets"))),
        ("Competitors", _text(campaign.get("competitors"))),
        ("Budget", _money(campaign.get("budget"), campaign.get("currency"))),
        ("Plan", _text(campaign.get("plan_id"))),
        ("Campaign id", _text(campaign.get("campaign_id"))),
    ]


def _card(label: str, value: str, note: str = "", badge: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "note": note, "badge": badge}


def _kpi_cards(s: dict[str, Any]) -> list[dict[str, str]]:
    currency = s.get("currency")
    late_missing = f"{_int(s.get('late'))} late · {_int(s.get('missing'))} missing · {_int(s.get('pending'))} pending"
    cards = [
        _card(
            "Deliverables",
            f"{_int(s.get('deliverables_delivered'))} / {_int(s.get('deliverables_expected'))}",
            late_missing,
        ),
        _card("Placements", _int(s.get("placements"))),
        _card("Engagements", _int(s.get("engagements"))),
        _card("Reach", _int(s.get("reach"))),
        _card("Impressions", _int(s.get("impressions"))),
        _card("Views", _int(s.get("views"))),
        _card("EMV", f"{_num(s.get('emv'))} {s.get('emv_currency') or ''}".strip()),
        _card("Spend", _money(s.get("spend"), currency)),
        _card("CPE", _num(s.get("cpe")), f"{currency or ''} per engagement".strip()),
        _card("CPM", _num(s.get("cpm")), f"{currency or ''} per 1,000 impressions".strip()),
        _card("Revenue", _money(s.get("revenue"), currency), f"{_int(s.get('orders'))} orders"),
        _card("ROAS", _num(s.get("roas"))),
        _card("UGC posts", _int(s.get("ugc_posts")), f"{_int(s.get('ugc_creators'))} creators"),
        _card("UGC reach", _int(s.get("ugc_reach"))),
        _card("Competitor posts", _int(s.get("competitor_posts"))),
        _card(
            "Disclosure",
            f"{_int(s.get('disclosure_accepted'))} accepted",
            f"{_int(s.get('disclosure_issues'))} with issues",
        ),
    ]
    if s.get("self_reported_posts"):
        cards.append(_card("Self-reported posts", _int(s.get("self_reported_posts")), badge=SELF_REPORTED))
    return cards


def _forecast_lines(forecast: dict[str, Any]) -> list[dict[str, str]]:
    lines = []
    for metric in ("engagements", "reach"):
        item = forecast.get(metric) or {}
        band = f"{_int(item.get('low'))} – {_int(item.get('high'))}"
        lines.append(
            {"metric": metric, "band": band, "actual": _int(item.get("actual")), "verdict": _text(item.get("verdict"))}
        )
    return lines


# ----------------------------------------------------------------------------------- charts


def _charts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # vl-convert escapes every text label and checked_svg refused active content: the SVG is inert
    return {
        name: {"svg": Markup(svg) if svg else None, "empty": empty}
        for name, (svg, empty) in campaign_charts(doc).items()
    }


# --------------------------------------------------------------------------------- template

_CSS = (
    """
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --soft:#f5f7fa; --accent:#3867d6;
  --warn:#fff4e0; --bad:#fdecea; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 FONTS; }
main { max-width: 1280px; margin: 0 auto; padding: 28px 24px 48px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 20px; }
h1 { font-size: 1.7rem; margin: 0 0 6px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; }
h3 { font-size: 1rem; margin: 20px 0 8px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt, dl.definitions dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; }
dl.definitions dd { margin: 0 0 8px; }
.meta, .empty, figcaption { color: var(--muted); font-size: .85rem; }
.empty { padding: 14px; background: var(--soft); border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); }
.card .label { font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .value { font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .note { font-size: .8rem; color: var(--muted); }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-size: .8em; text-transform: uppercase; letter-spacing: .03em;
  color: var(--muted); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.caption { min-width: 220px; max-width: 420px; overflow-wrap: anywhere; }
td.creator { overflow-wrap: anywhere; font-weight: 600; }
td ul { margin: 0; padding-left: 16px; }
tr.status-late td { background: var(--warn); }
tr.status-missing td, tr.status-ambiguous td { background: var(--bad); }
tr.status-late td.status, tr.status-missing td.status { font-weight: 700; }
tr.self-reported td:first-child { box-shadow: inset 3px 0 0 #b7950b; }
.badge { display: inline-block; margin-left: 4px; padding: 0 6px; border-radius: 9px; background: #fcf3cf;
  color: #7d6608; font-size: .8em; font-weight: 600; white-space: nowrap; }
figure { margin: 8px 0 16px; }
figure svg { max-width: 100%; height: auto; display: block; }
ul.notes li { margin-bottom: 4px; }
footer { margin-top: 40px; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--line);
  padding-top: 10px; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 8.5pt; }
  main { max-width: none; padding: 0; }
  .table-wrap { overflow: visible; border: none; }
  .cards { display: block; }
  .card { display: inline-block; width: 15.6%; margin: 0 .8% 8px 0; vertical-align: top; }
  figure, tr, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 6.8pt; }
  th, td { padding: 3px 4px; }
  th { text-transform: none; letter-spacing: 0; }
  th.num { white-space: normal; }
  td.caption { min-width: 0; max-width: 60mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
).replace("FONTS", FONT_STACK)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="microscout">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
{%- macro table(t) %}
{% if t.rows %}<div class="table-wrap"><table>
<thead><tr>{% for h in t.head %}<th{% if h.num %} class="num"{% endif %}>{{ h.label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr class="{{ row.cls }}">{% for c in row.cells %}<td class="{{ c.cls }}">
{%- if c.bullets %}<ul>{% for item in c.bullets %}<li>{{ item }}</li>{% endfor %}</ul>{% else %}{{ c.text }}{% endif %}
{%- if c.badge %} <span class="badge">{{ c.badge }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></div>
{% else %}<p class="empty">{{ t.empty }}</p>{% endif %}
{%- endmacro %}
{%- macro chart(c) %}
{% if c.svg %}<figure>{{ c.svg }}</figure>{% else %}<p class="empty">{{ c.empty }}</p>{% endif %}
{%- endmacro %}
<main>
<header class="report">
  <h1>{{ title }}</h1>
  <dl class="facts">{% for label, value in facts %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
  <p class="meta">Generated {{ generated_at }}</p>
</header>

<section aria-labelledby="kpi-h">
  <h2 id="kpi-h">Headline results</h2>
  <div class="cards">{% for card in cards %}
    <div class="card"><div class="label">{{ card.label }}</div><div class="value">{{ card.value }}
      {%- if card.badge %} <span class="badge">{{ card.badge }}</span>{% endif %}</div>
      {% if card.note %}<div class="note">{{ card.note }}</div>{% endif %}</div>{% endfor %}
  </div>
</section>

<section aria-labelledby="forecast-h">
  <h2 id="forecast-h">Forecast vs actual</h2>
  <table class="forecast"><thead><tr><th>Metric</th><th class="num">Forecast</th><th class="num">Actual</th>
    <th>Verdict</th></tr></thead><tbody>
  {% for f in forecast %}<tr><td>{{ f.metric }}</td><td class="num">{{ f.band }}</td><td class="num">{{ f.actual }}</td>
    <td>{{ f.verdict }}</td></tr>{% endfor %}</tbody></table>
  {{ chart(charts.forecast) }}
  <h3>By creator</h3>
  {{ chart(charts.forecast_by_creator) }}
</section>

<section aria-labelledby="deliverables-h">
  <h2 id="deliverables-h">Deliverables</h2>
  {{ table(deliverables) }}
</section>

<section aria-labelledby="disclosure-h">
  <h2 id="disclosure-h">Disclosure issues</h2>
  {{ table(disclosure) }}
</section>

<section aria-labelledby="creators-h">
  <h2 id="creators-h">Creators</h2>
  {{ table(creators) }}
</section>

<section aria-labelledby="markets-h">
  <h2 id="markets-h">Markets</h2>
  {{ chart(charts.engagements_by_market) }}
  {{ table(markets) }}
</section>

<section aria-labelledby="posts-h">
  <h2 id="posts-h">Posts</h2>
  {{ table(posts) }}
</section>

<section aria-labelledby="brand-h">
  <h2 id="brand-h">Brand perception</h2>
  {{ chart(charts.sentiment_over_time) }}
  {{ chart(charts.share_of_voice) }}
  <h3>Sentiment by language</h3>
  {{ table(sentiment) }}
  <h3>Themes</h3>
  {{ table(themes) }}
</section>

<section aria-labelledby="ugc-h">
  <h2 id="ugc-h">UGC and word of mouth</h2>
  {{ chart(charts.ugc_over_time) }}
  <p>{{ word_of_mouth.replies }} replies · {{ word_of_mouth.quotes }} quotes · {{ word_of_mouth.reposts }} reposts</p>
  {{ table(word_of_mouth.table) }}
</section>

<section aria-labelledby="sales-h">
  <h2 id="sales-h">Sales</h2>
  {{ table(sales) }}
</section>

<section aria-labelledby="definitions-h">
  <h2 id="definitions-h">Definitions</h2>
  <dl class="definitions">{% for term, text in definitions %}<dt>{{ term }}</dt><dd>{{ text }}</dd>{% endfor %}</dl>
</section>

<section aria-labelledby="notes-h">
  <h2 id="notes-h">Notes</h2>
  {% if notes %}<ul class="notes">{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>
  {% else %}<p class="empty">No notes.</p>{% endif %}
</section>

<footer>Generated by microscout at {{ generated_at }}. Figures marked
  <span class="badge">self-reported</span> come from creators' own reports, not from the platforms.</footer>
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_PAGE = _ENV.from_string(_TEMPLATE)


def render_campaign_report(doc: dict[str, Any]) -> str:
    """The campaign results document as one self-contained HTML page."""
    campaign = doc.get("campaign") or {}
    summary = doc.get("summary") or {}
    word_of_mouth = doc.get("word_of_mouth") or {}
    return _PAGE.render(
        title=f"Campaign report: {campaign.get('name') or campaign.get('campaign_id') or 'untitled'}",
        css=Markup(_CSS),  # a trusted constant: escaping would break the CSS quotes
        facts=_campaign_facts(campaign),
        generated_at=_text(doc.get("generated_at")),
        cards=_kpi_cards(summary),
        forecast=_forecast_lines(summary.get("forecast") or {}),
        charts=_charts(doc),
        deliverables=_deliverables_table(doc.get("deliverables") or []),
        disclosure=_disclosure_table(doc.get("disclosure") or []),
        creators=_creators_table(doc.get("creators") or []),
        markets=_markets_table(doc.get("markets") or []),
        posts=_posts_table(doc.get("posts") or []),
        sentiment=_sentiment_table(doc.get("sentiment_by_language") or []),
        themes=_themes_table(doc.get("themes") or []),
        word_of_mouth={
            "replies": _int(word_of_mouth.get("replies")),
            "quotes": _int(word_of_mouth.get("quotes")),
            "reposts": _int(word_of_mouth.get("reposts")),
            "table": _word_of_mouth_table(word_of_mouth.get("by_post") or []),
        },
        sales=_sales_table(doc.get("sales") or []),
        definitions=[(_term(key), _text(v)) for key, v in (doc.get("definitions") or {}).items()],
        notes=[str(note) for note in doc.get("notes") or []],
    )


# ------------------------------------------------------------------------------------ writing


def _write_html(doc: dict[str, Any], out: Path) -> Path:
    out.write_text(render_campaign_report(doc), encoding="utf-8")
    return out


def _write_pdf(doc: dict[str, Any], out: Path) -> Path:
    return html_to_pdf(render_campaign_report(doc), out)


_WRITERS: dict[str, Callable[[dict[str, Any], Path], Path]] = {
    "html": _write_html,
    "pdf": _write_pdf,
    "xlsx": write_xlsx,
    "csv": write_csv,
    "json": write_json,
}


def _is_folder_target(out: str | Path) -> bool:
    return str(out).endswith(("/", os.sep)) or Path(out).is_dir()


def write_campaign_report(doc: dict[str, Any], fmt: str, out: str | Path) -> Path:
    """Write the campaign results ``doc`` as ``fmt`` at ``out`` (parent folders are created)
    and return the path written.

    ``fmt`` is one of :data:`FORMATS`:

    - ``html``: a self-contained page (inline CSS and SVG charts, no JavaScript, no network);
    - ``pdf``: the same page printed by WeasyPrint;
    - ``xlsx``: one sheet per view (Summary, Posts, Creators, Markets, Deliverables, ...);
    - ``csv``: UTF-8 with a BOM. A file path gets the posts view, one row per post. A path that
      ends with a folder separator, or is an existing folder, gets one CSV per view
      (``posts.csv``, ``creators.csv``, ``markets.csv``, ``deliverables.csv``, ...) and the
      folder is returned;
    - ``json``: the document as-is.

    Spreadsheet text that could run as a formula is prefixed with ``'`` in XLSX and CSV.
    Other formats refuse a folder as ``out``.
    """
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "csv" and _is_folder_target(out):
        return write_csv_folder(doc, Path(out))
    path = Path(out)
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: give a file name for the {fmt} report")
    path.parent.mkdir(parents=True, exist_ok=True)
    return _WRITERS[fmt](doc, path)
