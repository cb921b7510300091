"""Static SVG charts for campaign reports, drawn with Altair and rendered by vl-convert.

Labels come from social media (markets, brands, creator handles) and are untrusted. vl-convert
writes them as XML-escaped text, and :func:`checked_svg` parses every SVG and refuses one that
holds active content (scripts, event handlers, foreign objects, links out), so a renderer bug
fails loudly instead of reaching a page.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import altair as alt
import vl_convert

from microscout.errors import MicroscoutError

__all__ = ["FONT_STACK", "MAX_CREATORS_CHARTED", "campaign_charts", "checked_svg"]

# "Noto Color Emoji" is left out on purpose: named in a stack, Pango (WeasyPrint) draws ASCII
# digits with its keycap glyphs; emoji still print through fontconfig's fallback.
FONT_STACK = '"Noto Sans", "Noto Sans Arabic", "Noto Sans Devanagari", "Noto Sans CJK JP", "DejaVu Sans", sans-serif'
MAX_CREATORS_CHARTED = 40
_WIDTH = 560
_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "use", "image", "a", "style"}


# ------------------------------------------------------------------------------ safety check


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def checked_svg(svg: str) -> str:
    """``svg`` unchanged if it is well-formed and inert; raises :class:`MicroscoutError` if not."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise MicroscoutError(f"chart renderer produced malformed SVG: {exc}") from exc
    for element in root.iter():
        tag = _local(element.tag)
        if tag in _FORBIDDEN_TAGS:
            raise MicroscoutError(f"chart renderer produced SVG with a <{tag}> element")
        for attribute, value in element.attrib.items():
            name = _local(attribute)
            if name.startswith("on") or (name == "href" and not value.startswith("data:")):
                raise MicroscoutError(f"chart renderer produced SVG with a {name!r} attribute")
    return svg


def _to_svg(chart: alt.TopLevelMixin) -> str:
    configured = chart.configure(font=FONT_STACK).configure_view(stroke=None)
    return checked_svg(vl_convert.vegalite_to_svg(configured.to_dict()))


# ------------------------------------------------------------------------------------- data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _label(value: Any) -> str:
    return "—" if value is None else str(value)


# ----------------------------------------------------------------------------------- charts


def engagements_by_market(markets: list[dict[str, Any]]) -> str | None:
    rows = [
        {"market": _label(m.get("market")), "engagements": _number(m.get("engagements"))}
        for m in markets
        if _number(m.get("engagements")) is not None
    ]
    if not rows:
        return None
    chart = (
        alt.Chart(alt.Data(values=rows), title="Engagements by market")
        .mark_bar(color="#3867d6")
        .encode(
            x=alt.X("market:N", title="Market", sort="-y", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("engagements:Q", title="Engagements"),
        )
        .properties(width=_WIDTH, height=240)
    )
    return _to_svg(chart)


def _timeline(rows: list[dict[str, Any]], value: str, title: str, y_title: str) -> str | None:
    points = [
        {"date": str(r["date"]), "market": _label(r.get("market")), value: _number(r.get(value))}
        for r in rows
        if r.get("date") and _number(r.get(value)) is not None
    ]
    if not points:
        return None
    chart = (
        alt.Chart(alt.Data(values=points), title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Date", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%b %d")),
            y=alt.Y(f"{value}:Q", title=y_title),
            color=alt.Color("market:N", title="Market"),
        )
        .properties(width=_WIDTH, height=240)
    )
    return _to_svg(chart)


def ugc_over_time(ugc_timeline: list[dict[str, Any]]) -> str | None:
    return _timeline(ugc_timeline, "posts", "UGC posts over time", "UGC posts")


def sentiment_over_time(sentiment_timeline: list[dict[str, Any]]) -> str | None:
    return _timeline(sentiment_timeline, "net", "Net sentiment over time", "Net sentiment (positive − negative)")


def share_of_voice(rows: list[dict[str, Any]]) -> str | None:
    values = [
        {"market": _label(r.get("market")), "brand": _label(r.get("brand")), "share": _number(r.get("share"))}
        for r in rows
        if _number(r.get("share")) is not None
    ]
    if not values:
        return None
    chart = (
        alt.Chart(alt.Data(values=values), title="Share of voice by market")
        .mark_bar()
        .encode(
            y=alt.Y("market:N", title="Market"),
            x=alt.X("share:Q", title="Share of mentions", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color("brand:N", title="Brand"),
        )
        .properties(width=_WIDTH)
    )
    return _to_svg(chart)


def _interval_chart(rows: list[dict[str, Any]], category: str, title: str) -> alt.LayerChart:
    base = alt.Chart(alt.Data(values=rows)).encode(y=alt.Y(f"{category}:N", title=None))
    interval = base.mark_rule(strokeWidth=6, opacity=0.35, color="#3867d6").encode(
        x=alt.X("low:Q", title="Forecast interval (bar) and actual (dot)"), x2="high:Q"
    )
    actual = base.mark_point(filled=True, size=70).encode(
        x="actual:Q",
        color=alt.Color("verdict:N", title="Verdict", scale=alt.Scale(domain=["inside", "below", "above"])),
    )
    return alt.LayerChart(layer=[interval, actual], width=_WIDTH, title=title)


def _forecast_rows(pairs: list[tuple[str, dict[str, Any]]], low: str, high: str, actual: str) -> list[dict[str, Any]]:
    rows = []
    for label, item in pairs:
        lo, hi, value = _number(item.get(low)), _number(item.get(high)), _number(item.get(actual))
        if lo is None or hi is None or value is None:
            continue
        rows.append({"label": label, "low": lo, "high": hi, "actual": value, "verdict": _label(item.get("verdict"))})
    return rows


def forecast_vs_actual(forecast: dict[str, Any]) -> str | None:
    """Campaign totals: one panel each for engagements and reach (their scales differ)."""
    panels = []
    for metric in ("engagements", "reach"):
        rows = _forecast_rows([(metric, forecast.get(metric) or {})], "low", "high", "actual")
        if rows:
            panels.append(_interval_chart(rows, "label", f"Forecast vs actual: {metric}"))
    if not panels:
        return None
    return _to_svg(alt.vconcat(*panels).resolve_scale(x="independent"))


def forecast_by_creator(creators: list[dict[str, Any]]) -> str | None:
    """Per creator engagements against their forecast; None when none has a forecast or there
    are more than :data:`MAX_CREATORS_CHARTED` creators."""
    if len(creators) > MAX_CREATORS_CHARTED:
        return None
    pairs = [(_label(c.get("creator")), c) for c in creators]
    rows = _forecast_rows(pairs, "forecast_low", "forecast_high", "engagements")
    if not rows:
        return None
    return _to_svg(_interval_chart(rows, "label", "Engagements vs forecast by creator"))


def campaign_charts(doc: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    """Every chart of a campaign report: its SVG text (None where its data is empty) and the
    sentence to show instead when there is no SVG."""
    summary = doc.get("summary") or {}
    creators = doc.get("creators") or []
    by_creator_empty = (
        f"Not charted per creator: {len(creators):,} creators (more than {MAX_CREATORS_CHARTED}); "
        "see the creators table."
        if len(creators) > MAX_CREATORS_CHARTED
        else "No data: no creator has an engagement forecast."
    )
    return {
        "engagements_by_market": (
            engagements_by_market(doc.get("markets") or []),
            "No data: no engagements by market yet.",
        ),
        "ugc_over_time": (ugc_over_time(doc.get("ugc_timeline") or []), "No data: no UGC posts found yet."),
        "sentiment_over_time": (
            sentiment_over_time(doc.get("sentiment_timeline") or []),
            "No data: no sentiment scored yet.",
        ),
        "share_of_voice": (share_of_voice(doc.get("share_of_voice") or []), "No data: no brand mentions found yet."),
        "forecast": (forecast_vs_actual(summary.get("forecast") or {}), "No data: this campaign has no forecast."),
        "forecast_by_creator": (forecast_by_creator(creators), by_creator_empty),
    }
