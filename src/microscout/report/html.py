"""Self-contained HTML reports: inline CSS and SVG, no JavaScript, nothing from the network.

Text that comes from social media (display names, handles, reasons, flags) is untrusted: the
templates run with ``autoescape=True`` and never mark data as safe, and a Content Security Policy
in the page forbids scripts and remote loads even if something slipped through.

>>> page = render_search_report(title="Shortlist", brief={"brand": "Solara"}, results=[],
...                             scatter=[], summary={}, generated_at="2026-01-01T00:00:00Z")
>>> "<script" in page, "No creators matched" in page
(False, True)
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from statistics import median
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

__all__ = ["MAX_SCATTER_POINTS", "render_search_report", "write_report"]

MAX_SCATTER_POINTS = 5000
TIER_ORDER = ("nano", "micro", "mid", "macro", "mega")
TIER_COLOURS = {
    "nano": "#0f9d8a",
    "micro": "#3867d6",
    "mid": "#e08a00",
    "macro": "#c0392b",
    "mega": "#7d3c98",
}
EXTRA_COLOURS = ("#5d6d7e", "#b7950b", "#1e8449", "#a04000", "#2e4053", "#d35400")

# Chart geometry (SVG user units; the SVG scales to its container).
_W, _H = 820, 460
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 150, 24, 58


# -------------------------------------------------------------------------------- formatting


def _fmt_int(value: Any) -> str:
    if value is None:
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _fmt_pct(fraction: Any, digits: int = 2) -> str:
    if fraction is None or not _is_number(fraction):
        return "—"
    return f"{float(fraction) * 100:.{digits}f}%"


def _fmt_money(amount: Any, currency: Any) -> str:
    try:
        text = f"{Decimal(str(amount)):,}"
    except (InvalidOperation, ValueError):
        text = str(amount)
    return f"{text} {currency}".strip() if currency else text


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_fmt_value(v) for v in value)
    if value is None:
        return "—"
    return str(value)


def _humanise(key: Any) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool) and math.isfinite(float(value))


# ------------------------------------------------------------------------------ brief header


def _brief_facts(brief: dict[str, Any]) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    markets = []
    for market in brief.get("markets") or []:
        if not isinstance(market, dict):
            continue
        text = str(market.get("country", "?"))
        if market.get("languages"):
            text += f" ({', '.join(map(str, market['languages']))})"
        if _is_number(market.get("budget_share")):
            text += f" · {float(market['budget_share']) * 100:.0f}% of budget"
        markets.append(text)
    if markets:
        facts.append(("Markets", "; ".join(markets)))
    for key, label in (("niches", "Niches"), ("platforms", "Platforms")):
        if brief.get(key):
            facts.append((label, ", ".join(map(str, brief[key]))))
    budget = brief.get("budget")
    if isinstance(budget, dict) and budget.get("amount") is not None:
        facts.append(("Budget", _fmt_money(budget["amount"], budget.get("currency"))))
    followers = brief.get("followers")
    if isinstance(followers, dict):
        band = f"{_fmt_int(followers.get('min'))} – {_fmt_int(followers.get('max'))}"
        facts.append(("Followers", band))
    if brief.get("min_quality") is not None:
        facts.append(("Minimum quality", _fmt_value(brief["min_quality"])))
    if brief.get("kpi"):
        facts.append(("KPI", str(brief["kpi"]).replace("_", " ")))
    deliverables = [
        f"{d.get('count', 1)} × {d.get('kind')}" for d in brief.get("deliverables") or [] if isinstance(d, dict)
    ]
    if deliverables:
        facts.append(("Deliverables", ", ".join(deliverables)))
    return facts


# ------------------------------------------------------------------------------- shortlist


def _score_scale(results: list[dict[str, Any]]) -> float:
    """100 when scores are fractions (all ≤ 1), else 1: scores are shown on 0–100."""
    scores = [float(r["score"]) for r in results if _is_number(r.get("score"))]
    return 100.0 if scores and max(scores) <= 1.0 else 1.0


def _rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scale = _score_scale(results)
    rows = []
    ordered = sorted(results, key=lambda r: (r.get("rank") is None, r.get("rank") if _is_number(r.get("rank")) else 0))
    for result in ordered:
        platform, handle = result.get("platform"), result.get("handle")
        creator = f"{platform}:{handle}" if platform and handle else str(result.get("creator", ""))
        low, high = result.get("er_low"), result.get("er_high")
        interval = f"90% interval {_fmt_pct(low)} – {_fmt_pct(high)}" if _is_number(low) and _is_number(high) else ""
        components = []
        for comp in result.get("components") or []:
            contribution = comp.get("contribution")
            points = float(contribution) * scale if _is_number(contribution) else None
            # the weight actually applied (weights of uncomputed components are spread over the rest)
            weight = comp.get("effective_weight", comp.get("weight"))
            components.append(
                {
                    "name": _humanise(comp.get("name", "")),
                    "value": _fmt_value(comp.get("value")),
                    "weight": _fmt_pct(weight, 0) if _is_number(weight) else "—",
                    "points": "—" if points is None else f"{points:.1f}",
                    "bar": 0.0 if points is None else max(0.0, min(100.0, points)),
                    "reason": str(comp.get("reason") or ""),
                }
            )
        score: Any = result.get("score")
        rows.append(
            {
                "rank": result.get("rank", ""),
                "creator": creator,
                "display_name": str(result.get("display_name") or ""),
                "country": result.get("country") or "—",
                "language": result.get("language") or "—",
                "tier": result.get("tier") or "—",
                "followers": _fmt_int(result.get("followers")),
                "er": _fmt_pct(result.get("er")),
                "interval": interval,
                "score": f"{float(score) * scale:.0f}" if _is_number(score) else "—",
                "components": components,
                "flags": [str(flag) for flag in result.get("flags") or []],
            }
        )
    return rows


# ----------------------------------------------------------------------------------- chart


def _tier_colours(tiers: list[str]) -> dict[str, str]:
    ordered = [t for t in TIER_ORDER if t in tiers] + sorted(t for t in tiers if t not in TIER_ORDER)
    colours, extra = {}, 0
    for tier in ordered:
        if tier in TIER_COLOURS:
            colours[tier] = TIER_COLOURS[tier]
        else:
            colours[tier] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return colours


def _subsample(points: list[Any], limit: int = MAX_SCATTER_POINTS) -> list[Any]:
    """At most ``limit`` points, evenly spaced over the input order (deterministic)."""
    n = len(points)
    if n <= limit:
        return points
    return [points[i * n // limit] for i in range(limit)]


def _steps_125(low: float, high: float) -> list[float]:
    """1-2-5 steps covering [low, high] (both > 0), from the step ≤ low to the step ≥ high."""
    steps: list[float] = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 2):
        steps.extend(m * 10.0**exponent for m in (1, 2, 5))
    below = [s for s in steps if s <= low * (1 + 1e-9)]
    above = [s for s in steps if s >= high * (1 - 1e-9)]
    start, stop = (below[-1] if below else steps[0]), (above[0] if above else steps[-1])
    if stop <= start:
        stop = next(s for s in steps if s > start)
    return [s for s in steps if start * (1 - 1e-9) <= s <= stop * (1 + 1e-9)]


def _follower_label(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _nice_step(span: float) -> float:
    raw = span / 5
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _chart(scatter: list[dict[str, Any]]) -> dict[str, Any] | None:
    points = [
        (float(p["followers"]), float(p["er"]) * 100, str(p.get("tier") or "unknown"))
        for p in scatter
        if _is_number(p.get("followers"))
        and float(p["followers"]) > 0
        and _is_number(p.get("er"))
        and float(p["er"]) >= 0
    ]
    if not points:
        return None
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    colours = _tier_colours(sorted({tier for _, _, tier in points}))

    xs = [f for f, _, _ in points]
    x_lo = 10.0 ** math.floor(math.log10(min(xs)))
    x_hi = 10.0 ** math.ceil(math.log10(max(xs)))
    if x_hi <= x_lo:
        x_hi = x_lo * 10
    decades = round(math.log10(x_hi / x_lo))
    x_ticks_at = _steps_125(x_lo, x_hi) if decades <= 2 else [x_lo * 10.0**k for k in range(decades + 1)]

    def x_of(followers: float) -> float:
        return _LEFT + plot_w * math.log10(followers / x_lo) / math.log10(x_hi / x_lo)

    ers = [e for _, e, _ in points]
    log_y = min(ers) > 0
    if log_y:
        y_ticks_at = _steps_125(min(ers), max(ers))
        y_lo, y_hi = y_ticks_at[0], y_ticks_at[-1]

        def y_of(er: float) -> float:
            return _TOP + plot_h * (1 - math.log10(er / y_lo) / math.log10(y_hi / y_lo))

    else:
        step = _nice_step(max(ers) or 1.0)
        y_lo, y_hi = 0.0, step * math.ceil((max(ers) or 1.0) / step)
        y_ticks_at = [step * k for k in range(round(y_hi / step) + 1)]

        def y_of(er: float) -> float:
            return _TOP + plot_h * (1 - (er - y_lo) / (y_hi - y_lo))

    drawn = _subsample(points)
    medians = []
    for tier, colour in colours.items():
        tier_points = [(f, e) for f, e, t in points if t == tier]
        tier_er = median(e for _, e in tier_points)
        x1, x2 = min(f for f, _ in tier_points), max(f for f, _ in tier_points)
        medians.append(
            {
                "x1": round(x_of(x1), 1),
                "x2": round(max(x_of(x2), x_of(x1) + 4), 1),
                "y": round(y_of(tier_er), 1),
                "colour": colour,
                "label": f"{tier}: median ER {tier_er:.2f}%",
            }
        )
    legend = [
        {
            "tier": tier,
            "colour": colour,
            "count": sum(1 for _, _, t in points if t == tier),
            "y": _TOP + 14 + 22 * i,
        }
        for i, (tier, colour) in enumerate(colours.items())
    ]
    return {
        "width": _W,
        "height": _H,
        "left": _LEFT,
        "right": _W - _RIGHT,
        "top": _TOP,
        "bottom": _H - _BOTTOM,
        "legend_x": _W - _RIGHT + 18,
        "log_y": log_y,
        "x_ticks": [{"x": round(x_of(v), 1), "label": _follower_label(v)} for v in x_ticks_at],
        "y_ticks": [{"y": round(y_of(v), 1), "label": f"{v:g}%"} for v in y_ticks_at],
        "points": [{"x": round(x_of(f), 1), "y": round(y_of(e), 1), "colour": colours[t]} for f, e, t in drawn],
        "medians": medians,
        "legend": legend,
        "shown": len(drawn),
        "total": len(points),
    }


# --------------------------------------------------------------------------------- template

_CSS = """
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --soft:#f5f7fa; --accent:#3867d6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 32px 24px 48px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 16px; margin-bottom: 24px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 1.2rem; margin: 32px 0 12px; }
.brand { font-size: 1.05rem; color: var(--accent); font-weight: 600; margin: 0; }
.description { color: var(--muted); margin: 4px 0 12px; max-width: 80ch; }
.meta { color: var(--muted); font-size: .85rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); font-size: .8rem; text-transform: uppercase;
  letter-spacing: .04em; color: var(--muted); }
td.num, th.num { text-align: right; white-space: nowrap; }
table.summary { width: auto; min-width: 320px; }
table.summary th { text-transform: none; letter-spacing: 0; font-size: .9rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.table-wrap table th, .table-wrap table td { border-bottom-color: var(--line); }
tbody.result > tr.main > td { border-bottom: none; }
.creator { font-weight: 600; word-break: break-all; }
.display-name { color: var(--muted); font-size: .9rem; }
.interval { display: block; color: var(--muted); font-size: .78rem; }
.score { font-weight: 700; font-size: 1.05rem; }
.flag { display: inline-block; margin: 2px 4px 0 0; padding: 0 6px; border-radius: 10px;
  background: #fdecea; color: #a93226; font-size: .75rem; }
ul.components { list-style: none; margin: 0; padding: 0 0 4px; display: grid;
  grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 6px 18px; }
ul.components li { font-size: .85rem; }
.comp-head { display: flex; justify-content: space-between; gap: 8px; }
.comp-name { font-weight: 600; }
.comp-math { color: var(--muted); white-space: nowrap; }
.bar { height: 4px; background: var(--line); border-radius: 2px; margin: 2px 0; }
.bar > span { display: block; height: 4px; border-radius: 2px; background: var(--accent); }
.reason { color: var(--muted); }
.empty { padding: 24px; background: var(--soft); border-radius: 8px; text-align: center; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; max-width: 900px; display: block; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: 6px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  fill: #444; }
svg .grid { stroke: #eceff3; stroke-width: 1; }
svg .axis { stroke: #9aa3ae; stroke-width: 1; }
footer { margin-top: 40px; color: var(--muted); font-size: .8rem;
  border-top: 1px solid var(--line); padding-top: 12px; }
@media (max-width: 640px) {
  main { padding: 20px 12px; }
  dl.facts { grid-template-columns: 1fr; }
  th, td { padding: 6px; }
}
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .table-wrap { overflow: visible; border: none; }
  tbody.result, figure, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

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
<main>
<header class="report">
  <h1>{{ title }}</h1>
  {% if brand %}<p class="brand">{{ brand }}</p>{% endif %}
  {% if description %}<p class="description">{{ description }}</p>{% endif %}
  {% if facts %}
  <dl class="facts">
    {% for label, value in facts %}<dt>{{ label }}</dt><dd>{{ value }}</dd>
    {% endfor %}
  </dl>
  {% endif %}
  <p class="meta">Generated {{ generated_at }}</p>
</header>

{% if summary %}
<section aria-labelledby="summary-h">
  <h2 id="summary-h">Summary</h2>
  <table class="summary">
    <tbody>
    {% for key, value in summary %}<tr><th scope="row">{{ key }}</th><td class="num">{{ value }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
</section>
{% endif %}

<section aria-labelledby="shortlist-h">
  <h2 id="shortlist-h">Shortlist</h2>
  {% if rows %}
  <div class="table-wrap">
  <table class="shortlist">
    <thead><tr>
      <th class="num">Rank</th><th>Creator</th><th>Country</th><th>Language</th><th>Tier</th>
      <th class="num">Followers</th><th class="num">ER</th><th class="num">Score</th>
    </tr></thead>
    {% for row in rows %}
    <tbody class="result">
      <tr class="main">
        <td class="num rank">{{ row.rank }}</td>
        <td><span class="creator">{{ row.creator }}</span>
          {% if row.display_name %}<br><span class="display-name">{{ row.display_name }}</span>{% endif %}
          {% if row.flags %}<br>{% for flag in row.flags %}<span class="flag">{{ flag }}</span>{% endfor %}{% endif %}
        </td>
        <td>{{ row.country }}</td>
        <td>{{ row.language }}</td>
        <td>{{ row.tier }}</td>
        <td class="num">{{ row.followers }}</td>
        <td class="num">{{ row.er }}
          {%- if row.interval %}<span class="interval">{{ row.interval }}</span>{% endif %}</td>
        <td class="num"><span class="score">{{ row.score }}</span></td>
      </tr>
      {% if row.components %}
      <tr class="components"><td></td><td colspan="7">
        <ul class="components">
        {% for comp in row.components %}
          <li><div class="comp-head"><span class="comp-name">{{ comp.name }}</span>
            <span class="comp-math">{{ comp.value }} × {{ comp.weight }} = {{ comp.points }} pts</span></div>
            <div class="bar"><span style="width: {{ '%.1f' % comp.bar }}%"></span></div>
            {% if comp.reason %}<span class="reason">{{ comp.reason }}</span>{% endif %}</li>
        {% endfor %}
        </ul>
      </td></tr>
      {% endif %}
    </tbody>
    {% endfor %}
  </table>
  </div>
  {% else %}
  <p class="empty">No creators matched this brief. Try widening the follower band, adding
    markets, niches or platforms, or lowering the minimum quality.</p>
  {% endif %}
</section>

{% if plan %}
<section aria-labelledby="plan-h">
  <h2 id="plan-h">Plan under the budget</h2>
  <table class="summary">
    <tbody>
    {% for key, value in plan.facts %}<tr><th scope="row">{{ key }}</th><td class="num">{{ value }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% for line in plan.lines %}<p class="meta">{{ line }}</p>{% endfor %}
  {% if plan.rows %}
  <div class="table-wrap">
  <table class="shortlist plan">
    <thead><tr>
      <th>Creator</th><th>Market</th><th>Tier</th><th class="num">Followers</th>
      <th class="num">Price</th><th class="num">Engagements (80 % interval)</th>
      <th class="num">Reach (80 % interval)</th>
    </tr></thead>
    <tbody>
    {% for row in plan.rows %}
      <tr><td><span class="creator">{{ row.creator }}</span></td><td>{{ row.market }}</td><td>{{ row.tier }}</td>
        <td class="num">{{ row.followers }}</td><td class="num">{{ row.price }}</td>
        <td class="num">{{ row.engagements }}</td><td class="num">{{ row.reach }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% endif %}
</section>
{% endif %}

<section aria-labelledby="chart-h">
  <h2 id="chart-h">Engagement rate vs followers by tier</h2>
  {% if chart %}
  <figure>
  <svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-labelledby="chart-title">
    <title id="chart-title">Engagement rate vs followers by tier</title>
    {% for t in chart.y_ticks %}
    <line class="grid" x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ t.y }}" y2="{{ t.y }}"/>
    <text x="{{ chart.left - 8 }}" y="{{ t.y + 4 }}" text-anchor="end">{{ t.label }}</text>
    {% endfor %}
    {% for t in chart.x_ticks %}
    <line class="grid" x1="{{ t.x }}" x2="{{ t.x }}" y1="{{ chart.top }}" y2="{{ chart.bottom }}"/>
    <text x="{{ t.x }}" y="{{ chart.bottom + 18 }}" text-anchor="middle">{{ t.label }}</text>
    {% endfor %}
    <line class="axis" x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ chart.bottom }}" y2="{{ chart.bottom }}"/>
    <line class="axis" x1="{{ chart.left }}" x2="{{ chart.left }}" y1="{{ chart.top }}" y2="{{ chart.bottom }}"/>
    <text x="{{ (chart.left + chart.right) / 2 }}" y="{{ chart.height - 14 }}"
      text-anchor="middle">Followers (log scale)</text>
    <text transform="translate(18 {{ (chart.top + chart.bottom) / 2 }}) rotate(-90)"
      text-anchor="middle">Engagement rate{% if chart.log_y %} (log scale){% endif %}</text>
    <g class="points" fill-opacity="0.55">
    {% for p in chart.points %}<circle cx="{{ p.x }}" cy="{{ p.y }}" r="2.6" fill="{{ p.colour }}"/>
    {% endfor %}
    </g>
    <g class="medians">
    {% for m in chart.medians %}
    <line x1="{{ m.x1 }}" x2="{{ m.x2 }}" y1="{{ m.y }}" y2="{{ m.y }}"
      stroke="#fff" stroke-width="6" stroke-linecap="round"/>
    <line x1="{{ m.x1 }}" x2="{{ m.x2 }}" y1="{{ m.y }}" y2="{{ m.y }}"
      stroke="{{ m.colour }}" stroke-width="2.5" stroke-dasharray="6 3"><title>{{ m.label }}</title></line>
    {% endfor %}
    </g>
    <g class="legend">
    {% for item in chart.legend %}
    <g class="legend-item" data-tier="{{ item.tier }}">
      <circle cx="{{ chart.legend_x }}" cy="{{ item.y }}" r="5" fill="{{ item.colour }}"/>
      <text x="{{ chart.legend_x + 12 }}" y="{{ item.y + 4 }}">{{ item.tier }} ({{ '{:,}'.format(item.count) }})</text>
    </g>
    {% endfor %}
    </g>
  </svg>
  <figcaption>Each dot is a creator ({{ '{:,}'.format(chart.shown) }} shown
    {%- if chart.shown < chart.total %} of {{ '{:,}'.format(chart.total) }}, evenly subsampled{% endif %});
    dashed lines are each tier's median engagement rate.</figcaption>
  </figure>
  {% else %}
  <p class="empty">No engagement data to plot.</p>
  {% endif %}
</section>

<footer>Generated by microscout at {{ generated_at }}. Each score (0–100) is the weighted sum of
  the components shown with it; ER intervals are 90% credible intervals.</footer>
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_PAGE = _ENV.from_string(_TEMPLATE)


def render_search_report(
    *,
    title: str,
    brief: dict[str, Any],
    results: list[dict[str, Any]],
    scatter: list[dict[str, Any]],
    summary: dict[str, Any],
    generated_at: str,
    plan: dict[str, Any] | None = None,
) -> str:
    """One self-contained HTML page for a search: the brief, a summary, the ranked
    shortlist with each score's components and reasons, an ER-vs-followers chart and, when
    ``plan`` is given (:meth:`microscout.plan.PlanResult.to_dict`), the plan beside the shortlist.

    ``results`` are ranked creators (keys ``rank, creator, platform, handle, display_name,
    country, language, tier, followers, er, er_low, er_high, score, components, flags``);
    ``score`` and component ``contribution`` may be fractions (all scores ≤ 1, shown ×100)
    or points on 0–100. ``scatter`` holds ``{"followers", "er" (fraction), "tier"}`` dicts;
    at most :data:`MAX_SCATTER_POINTS` are drawn, evenly subsampled.
    """
    return _PAGE.render(
        title=title,
        css=Markup(_CSS),  # a trusted constant: escaping would break the CSS quotes
        brand=brief.get("brand", ""),
        description=brief.get("description", ""),
        facts=_brief_facts(brief),
        summary=[(_humanise(k), _fmt_value(v)) for k, v in summary.items()],
        rows=_rows(results),
        chart=_chart(scatter),
        generated_at=generated_at,
        plan=_plan_view(plan) if plan else None,
    )


def _interval(low: Any, high: Any) -> str:
    return f"{_fmt_int(low)} – {_fmt_int(high)}" if low is not None and high is not None else "—"


def _plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    """Facts, notes and creator rows of a plan for the template (all values as text)."""
    currency = plan.get("currency") or ""
    forecast = plan.get("forecast") or {}
    facts = [
        ("Status", str(plan.get("status"))),
        ("Creators", str(len(plan.get("creators") or []))),
        (
            "Spend / budget",
            f"{_fmt_money(plan.get('total_cost'), currency)} / {_fmt_money(plan.get('budget'), currency)}",
        ),
    ]
    for key, label in (("engagements", "Engagements"), ("authentic_engagements", "Authentic engagements"),
                       ("reach", "Reach")):  # fmt: skip
        cell = forecast.get(key) or {}
        if cell:
            facts.append((f"{label} (80 % interval)", _interval(cell.get("low"), cell.get("high"))))
    greedy = plan.get("greedy") or {}
    if plan.get("expected_value") and greedy.get("value") is not None:
        share = 100 * float(greedy["value"]) / float(plan["expected_value"])
        facts.append(("Greedy pick reaches", f"{share:.0f} % of the optimum ({plan.get('kpi')})"))
    lines = [str(x) for x in (plan.get("explanation") or [])] + [str(x) for x in (plan.get("notes") or [])]
    rows = [
        {
            "creator": c.get("creator"),
            "market": c.get("market"),
            "tier": c.get("tier"),
            "followers": _fmt_int(c.get("followers")),
            "price": _fmt_money(c.get("price"), c.get("currency") or currency),
            "engagements": _interval(c.get("engagements_low"), c.get("engagements_high")),
            "reach": _interval(c.get("reach_low"), c.get("reach_high")),
        }
        for c in plan.get("creators") or []
    ]
    return {"facts": facts, "lines": lines, "rows": rows}


def write_report(path: str | Path, html: str) -> Path:
    """Write ``html`` to ``path`` (UTF-8), creating missing folders; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
