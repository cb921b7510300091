"""Charts of the web UI, drawn on the server as SVG geometry (the templates emit the SVG).

No JavaScript and no inline styles are needed (the Content Security Policy allows neither):
the numbers become SVG attributes, and any text goes through Jinja's escaping.
"""

from __future__ import annotations

import math
from typing import Any

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 0.01
    exponent = math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        top = m * 10.0**exponent
        if top >= value:
            return top
    return 10.0 ** (exponent + 1)


def er_chart(
    history: list[dict[str, Any]], benchmark: dict[str, Any], posterior: float | None
) -> dict[str, Any] | None:
    """Per-post ER (oldest → newest) against the tier's benchmark band and the posterior ER."""
    points = [p for p in history if isinstance(p.get("er"), int | float) and math.isfinite(p["er"])]
    if not points:
        return None
    low, high = benchmark.get("low"), benchmark.get("high")
    candidates = [p["er"] for p in points] + [v for v in (low, high, posterior) if isinstance(v, int | float)]
    y_max = _nice_max(max(candidates) * 1.1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def y_of(er: float) -> float:
        return round(TOP + plot_h * (1 - max(0.0, min(er, y_max)) / y_max), 1)

    n = len(points)

    def x_of(i: int) -> float:
        return round(LEFT + (plot_w * (i + 0.5) / n), 1)

    dots = [
        {
            "x": x_of(i),
            "y": y_of(p["er"]),
            "label": f"{p['published_at']:%Y-%m-%d}: ER {_pct(p['er'])}" if p.get("published_at") else _pct(p["er"]),
        }
        for i, p in enumerate(points)
    ]
    band = None
    if isinstance(low, int | float) and isinstance(high, int | float):
        band = {
            "y": y_of(high),
            "height": round(max(1.0, y_of(low) - y_of(high)), 1),
            "label": f"{benchmark.get('tier') or 'tier'} benchmark {_pct(low)}–{_pct(high)}",
        }
    ticks = [{"y": y_of(y_max * k / 4), "label": _pct(y_max * k / 4)} for k in range(5)]
    first, last = points[0].get("published_at"), points[-1].get("published_at")
    return {
        "width": W,
        "height": H,
        "left": LEFT,
        "right": W - RIGHT,
        "top": TOP,
        "bottom": H - BOTTOM,
        "polyline": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "band": band,
        "posterior": None if posterior is None else {"y": y_of(posterior), "label": f"posterior ER {_pct(posterior)}"},
        "ticks": ticks,
        "first": f"{first:%Y-%m-%d}" if first else "",
        "last": f"{last:%Y-%m-%d}" if last else "",
        "posts": n,
    }


def share_bars(shares: list[dict[str, Any]], *, limit: int = 8) -> list[dict[str, Any]]:
    """Rows for <meter> bars: the ``limit`` largest shares, in percent."""
    return [
        {"key": s["key"], "percent": round(100 * float(s["share"]), 1)}
        for s in shares[:limit]
        if isinstance(s.get("share"), int | float)
    ]
