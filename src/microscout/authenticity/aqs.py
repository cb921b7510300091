"""The Audience Quality Score (AQS): 0-100 per creator, with contributions, reasons and an interval.

    AQS = clip(100 - sum_i W_i * s_i, 0, 100)

``s_i`` is check *i*'s severity in [0, 1] (:mod:`microscout.authenticity.signals`) and ``W_i`` the
points it can take off at most (``Settings.aqs_weights``). Each contribution ``W_i * s_i`` is
stored in ``aqs_signals`` (JSON, points), so a user sees exactly why a score is what it is.

The interval (``aqs_low`` .. ``aqs_high``) carries what is uncertain: the suspicious-follower
severity evaluated at both ends of the share's 90 % interval, and, for a check that could not be
computed (no follower sample, too few comments), anything from none to half of its points.
Reasons are written from the stored evidence when a profile is shown (:func:`reasons`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ibis
import ibis.expr.types as ir

from microscout.authenticity.signals import (
    BASELINE_FAKE,
    CHECKS,
    CLR_BAND,
    FAKE_SPAN,
    KEYS,
    SPIKE_ENGAGEMENT_MATCH,
    Source,
)
from microscout.metrics.joins import attach

UNKNOWN_SHARE = 0.5  # an uncomputed check may hide up to half of its points


def evidence_columns() -> list[str]:
    return [c for check in CHECKS.values() for c in check.columns]


def score_expr(src: Source, profile: ir.Table) -> ir.Table:
    """``profile`` plus every check's evidence columns and aqs, aqs_low, aqs_high, aqs_signals."""
    weights = src.settings.aqs_weights
    derived = [*evidence_columns(), "aqs", "aqs_low", "aqs_high", "aqs_signals"]
    profile = profile.drop(*[c for c in derived if c in profile.columns])
    out = profile
    for check in CHECKS.values():
        part = check.compute(src, profile)
        out = attach(out, part, KEYS)
    total = ibis.literal(0.0)
    worst = ibis.literal(0.0)
    best = ibis.literal(0.0)
    parts = []
    for name in CHECKS:
        w = float(weights.get(name, 0.0))
        sev = out[f"{name}_severity"]
        points = sev.fill_null(0.0) * w
        total = total + points
        if name == "suspicious_followers":
            hi = ((out.suspicious_high - BASELINE_FAKE) / FAKE_SPAN).clip(0.0, 1.0) * w
            lo = ((out.suspicious_low - BASELINE_FAKE) / FAKE_SPAN).clip(0.0, 1.0) * w
            worst = worst + sev.isnull().ifelse(UNKNOWN_SHARE * w, ibis.greatest(hi, points))
            best = best + sev.isnull().ifelse(0.0, ibis.least(lo, points))
        else:
            worst = worst + sev.isnull().ifelse(UNKNOWN_SHARE * w, points)
            best = best + points
        value = sev.isnull().ifelse(ibis.literal("null"), points.round(1).cast("string"))
        parts.append(ibis.literal(f'"{name}": ').concat(value))
    signals = ibis.literal("{")
    for i, p in enumerate(parts):
        signals = signals.concat(p if i == 0 else ibis.literal(", ").concat(p))
    signals = signals.concat("}")
    severities = [f"{n}_severity" for n in CHECKS]
    out = out.mutate(
        aqs=(100.0 - total).clip(0.0, 100.0),
        aqs_low=(100.0 - worst).clip(0.0, 100.0),
        aqs_high=(100.0 - best).clip(0.0, 100.0),
        aqs_signals=signals,
    )
    return out.drop(*severities)


def contributions(row: dict[str, Any]) -> dict[str, float | None]:
    """Points each check took off (None: not computed), from a stored profile row."""
    raw = row.get("aqs_signals")
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {k: (None if v is None else float(v)) for k, v in data.items()}


def reasons(row: dict[str, Any], limit: int = 5) -> list[str]:
    """The top reasons in plain words, largest contribution first, from a stored profile row."""
    found: list[tuple[float, str]] = []
    for name, points in contributions(row).items():
        if points is None:
            text = _missing(name, row)
            if text:
                found.append((-1.0, text))
            continue
        if points < 0.5:
            continue
        text = _reason(name, row)
        if text:
            found.append((points, f"{text} (−{points:.0f} points)"))
    found.sort(key=lambda t: -t[0])
    return [t for _, t in found[:limit]]


def _pct(x: Any) -> str:
    return "?" if x is None else f"{100 * float(x):.0f} %"


def _reason(name: str, r: dict[str, Any]) -> str | None:
    if name == "suspicious_followers" and r.get("suspicious_share") is not None:
        half = (float(r["suspicious_high"]) - float(r["suspicious_low"])) / 2
        return (
            f"{_pct(r['suspicious_share'])} ± {100 * half:.0f} % of {r['follower_sample']} sampled followers look fake"
        )
    if name == "mass_followers" and r.get("mass_follower_share") is not None:
        return f"{_pct(r['mass_follower_share'])} of sampled followers follow very many accounts (mass followers)"
    if name == "growth_spike" and r.get("spike_followers") is not None:
        at = r.get("spike_at")
        day = at.date().isoformat() if isinstance(at, dt.datetime) else str(at)[:10]
        ratio = r.get("spike_engagement_ratio")
        tail = (
            f"with a post {float(ratio):.0f}× the usual engagement (likely a viral hit)"
            if ratio is not None and float(ratio) >= SPIKE_ENGAGEMENT_MATCH
            else "without matching engagement"
        )
        return (
            f"followers {int(r['spike_followers']):+,} in one step to {day} (robust z {float(r['spike_z']):.0f}) {tail}"
        )
    if name == "er_low" and r.get("expected_er"):
        return (
            f"engagement {_pct2(r.get('er_followers'))} is far below the {_pct2(r['expected_er'])} expected "
            f"for {int(r.get('followers') or 0):,} followers"
        )
    if name == "bought_engagement":
        return (
            f"engagement {_pct2(r.get('er_followers'))} is far above the {_pct2(r.get('expected_er'))} expected "
            f"while {_pct(r.get('generic_comment_share'))} of comments are generic"
        )
    if name == "generic_comments" and r.get("generic_comment_share") is not None:
        share, n = _pct(r["generic_comment_share"]), r.get("comment_sample")
        return f"{share} of {n} sampled comments are generic or emoji-only"
    if name == "comment_like_ratio" and r.get("comment_like_ratio") is not None:
        lo, hi = CLR_BAND
        return f"comments per like {float(r['comment_like_ratio']):.3f}, outside the usual {lo}–{hi}"
    if name == "pod" and r.get("pod_size"):
        return (
            f"commenters overlap with {int(r['pod_size']) - 1} other creator(s) — engagement pod "
            f"{r.get('pod_id')} (mean overlap {float(r.get('pod_overlap') or 0):.2f})"
        )
    return None


def _missing(name: str, r: dict[str, Any]) -> str | None:
    if name == "suspicious_followers":
        return "no usable follower sample: the fake-follower share is not measured (the interval is wider)"
    if name == "generic_comments":
        return "too few sampled comments to judge their quality"
    return None


def _pct2(x: Any) -> str:
    return "?" if x is None else f"{100 * float(x):.2f} %"
