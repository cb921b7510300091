"""Is the 90 % ER interval honest? Coverage on real accounts, and the ER-vs-followers curve.

Coverage (metrics issue, item 2). For each history length ``k`` in (3, 10, 30), on the real
InstaFake accounts (:mod:`microscout.evaluation.realdata`) with at least ``k + 30`` posts:

* *future* = the account's 30 most recent posts; its truth is their median ER/F
  ((likes + comments) / followers, hidden counts excluded), the benchmark basis;
* *history* = the ``k`` posts immediately before them (positions 30 … 30 + k − 1 counting from the
  most recent);
* the histories of all accounts are ingested into a temporary DuckDB store and profiled by the
  real metrics stage (``profile_creators`` with ``er_window_posts = k``), so the prior is fitted
  on these accounts' histories only — the future posts are never seen;
* an account is covered when its future median lies in ``[er_low, er_high]``.

Reported: coverage with the number of accounts and a Wilson 95 % binomial interval, the share
that fell below / above, and the median width ratio ``er_high / er_low``. A robustness split
shifts everything 10 posts into the past (future = posts 10 … 39, history = the ``k`` before).

The curve: real accounts binned by followers, median over accounts of the median ER/F of their
last 30 posts, beside the Instagram creators of the evaluation sample worlds (their profiled
``er_followers``, the same definition); a small SVG chart goes to ``docs/img/er-vs-followers.svg``.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microscout.config import Settings
from microscout.evaluation.realdata import Account, load_accounts, post_er, skip_reason, write_canonical
from microscout.ingest import ingest_files
from microscout.metrics import profile_creators
from microscout.metrics.peers import WINDOW_DRIFT, WINDOW_DRIFT_SD
from microscout.metrics.posts import LOG_OFFSET
from microscout.store import Store, connect

KS = (3, 10, 30)
FUTURE = 30
ROBUST_OFFSET = 10
TARGET = (0.80, 0.95)
BINS: tuple[tuple[str, float, float], ...] = (
    ("< 100", 0, 100),
    ("100–300", 100, 300),
    ("300–1k", 300, 1_000),
    ("1k–3k", 1_000, 3_000),
    ("3k–10k", 3_000, 10_000),
    ("10k+", 10_000, math.inf),
)
IMG = Path(__file__).resolve().parents[3] / "docs" / "img" / "er-vs-followers.svg"


@dataclass
class Coverage:
    k: int
    offset: int
    n: int
    covered: int
    below: int
    above: int
    width_ratio: float | None

    @property
    def rate(self) -> float:
        return self.covered / self.n if self.n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return wilson(self.covered, self.n)


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95 % interval of a binomial proportion."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def window_median(account: Account, start: int, size: int = FUTURE) -> float | None:
    """Median ER/F over posts ``start … start + size − 1`` (most recent first), hidden excluded."""
    ers = [e for p in account.posts[start : start + size] if (e := post_er(p, account.followers)) is not None]
    return float(np.median(ers)) if ers else None


def coverage(accounts: list[Account], k: int, *, offset: int = 0, root: Path | None = None) -> Coverage:
    """Coverage of the 90 % interval fitted on ``k`` history posts for the next 30-post window."""
    eligible = [a for a in accounts if len(a.posts) >= offset + FUTURE + k and a.followers > 0]
    start = offset + FUTURE
    with tempfile.TemporaryDirectory(prefix="microscout-coverage-", dir=root) as tmp:
        folder = write_canonical(eligible, Path(tmp) / "history", lambda posts: posts[start : start + k])
        settings = Settings(
            db=str(Path(tmp) / "coverage.duckdb"),
            er_window_posts=k,
            er_window_days=None,
            er_include_shares_saves=False,
        )
        store = connect(settings.db, settings=settings)
        try:
            ingest_files(store, [folder], workspace=settings.workspace)
            profile_creators(store, full=True)
            p = store.table("creator_profiles")
            frame = p.select("creator_id", "er_low", "er_high").to_pandas()
        finally:
            store.close()
    bounds = {r.creator_id: (r.er_low, r.er_high) for r in frame.itertuples()}
    n = covered = below = above = 0
    ratios = []
    for a in eligible:
        truth = window_median(a, offset)
        low, high = bounds.get(a.creator_id, (None, None))
        if truth is None or low is None or high is None or np.isnan(low) or np.isnan(high):
            continue
        n += 1
        if truth < low:
            below += 1
        elif truth > high:
            above += 1
        else:
            covered += 1
        if low > 0:
            ratios.append(high / low)
    return Coverage(k, offset, n, covered, below, above, float(np.median(ratios)) if ratios else None)


def _log_ers(account: Account, start: int, size: int) -> np.ndarray:
    """Per-post log ER/F (the metrics' ``ln((eng + 0.5) / followers)``), hidden excluded."""
    f = account.followers
    return np.array(
        [
            math.log((p["likes"] + p["comments"] + LOG_OFFSET) / f)
            for p in account.posts[start : start + size]
            if p["likes"] is not None and p["comments"] is not None
        ]
    )


def estimate_drift(accounts: list[Account], start: int = FUTURE, size: int = FUTURE) -> tuple[int, float, float]:
    """(accounts, mean, between-creator SD) of the per-post drift of the log ER/F level.

    For each account with ``start + 2 * size`` posts: ``D`` = median log ER of posts
    ``start … start + size − 1`` minus that of the ``size`` posts before them (``size`` posts apart).
    Drift per post = mean(D) / size; its spread = sqrt(var(D) − 2 (π/2) σ² / size) / size, where
    σ² is the pooled within-window variance (the sampling noise of two window medians). The default
    (posts 30–89) never touches the 30 most recent posts that :func:`coverage` scores.
    """
    diffs, ss, df = [], 0.0, 0
    for a in accounts:
        if len(a.posts) < start + 2 * size or a.followers <= 0:
            continue
        new, old = _log_ers(a, start, size), _log_ers(a, start + size, size)
        if len(new) < 2 or len(old) < 2:
            continue
        diffs.append(float(np.median(new) - np.median(old)))
        for w in (new, old):
            ss += float(((w - w.mean()) ** 2).sum())
            df += len(w) - 1
    if len(diffs) < 2 or df == 0:
        return (len(diffs), float("nan"), float("nan"))
    d = np.asarray(diffs)
    noise = 2 * (math.pi / 2) * (ss / df) / size
    return (len(d), float(d.mean()) / size, math.sqrt(max(float(d.var(ddof=1)) - noise, 0.0)) / size)


def real_curve(accounts: list[Account]) -> list[tuple[int, float | None]]:
    """Per follower bin: (accounts, median over accounts of the median ER/F of the last 30 posts)."""
    per_bin: list[list[float]] = [[] for _ in BINS]
    for a in accounts:
        er = window_median(a, 0)
        if er is None or a.followers <= 0:
            continue
        for i, (_, lo, hi) in enumerate(BINS):
            if lo <= a.followers < hi:
                per_bin[i].append(er)
    return [(len(v), float(np.median(v)) if v else None) for v in per_bin]


def world_curve(store: Store) -> list[tuple[int, float | None]]:
    """The same bins over a sample world's Instagram creators (profiled ``er_followers``)."""
    p = store.table("creator_profiles")
    frame = p.filter(p.platform == "instagram", p.er_followers.notnull()).select("followers", "er_followers")
    df = frame.to_pandas()
    out: list[tuple[int, float | None]] = []
    for _, lo, hi in BINS:
        sub = df[(df.followers >= lo) & (df.followers < hi)]
        out.append((len(sub), float(sub.er_followers.median()) if len(sub) else None))
    return out


def svg_chart(series: list[tuple[str, list[tuple[int, float | None]]]], path: Path) -> Path:
    """A small log-log line chart of median ER/F (%) per follower bin, written without libraries."""
    w, h, left, right, top, bottom = 640, 360, 70, 190, 20, 50
    pw, ph = w - left - right, h - top - bottom
    values = [er for _, pts in series for n, er in pts if er and n]
    lo_y = math.floor(math.log10(min(values) * 100)) if values else -1
    hi_y = math.ceil(math.log10(max(values) * 100)) if values else 2
    if hi_y == lo_y:
        hi_y += 1

    def x(i: int) -> float:
        return left + pw * (i + 0.5) / len(BINS)

    def y(er: float) -> float:
        return top + ph * (1 - (math.log10(er * 100) - lo_y) / (hi_y - lo_y))

    colours = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for e in range(lo_y, hi_y + 1):
        yy = top + ph * (1 - (e - lo_y) / (hi_y - lo_y))
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{10.0**e:g} %</text>')
    for i, (label, _, _) in enumerate(BINS):
        parts.append(f'<text x="{x(i):.1f}" y="{top + ph + 18}" text-anchor="middle">{_xml(label)}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{h - 8}" text-anchor="middle">followers</text>')
    parts.append(
        f'<text x="16" y="{top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 {top + ph / 2})">'
        "median ER/F (log scale)</text>"
    )
    for s, (name, pts) in enumerate(series):
        colour = colours[s % len(colours)]
        xy = [(x(i), y(er)) for i, (n, er) in enumerate(pts) if er and n]
        if xy:
            d = " ".join(f"{'M' if j == 0 else 'L'}{px:.1f},{py:.1f}" for j, (px, py) in enumerate(xy))
            parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>' for px, py in xy]
        ly = top + 14 + 20 * s
        parts.append(f'<line x1="{w - right + 12}" x2="{w - right + 32}" y1="{ly - 4}" y2="{ly - 4}" '
                     f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        parts.append(f'<text x="{w - right + 38}" y="{ly}">{_xml(name)}</text>')
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")
    return path


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(x: float | None, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{digits}f} %"


def coverage_table(results: list[Coverage]) -> list[str]:
    lines = [
        "| history k | split | accounts | coverage | 95 % CI | below / above | median width (high/low) |",
        "| ---: | --- | ---: | ---: | --- | --- | ---: |",
    ]
    for c in results:
        lo, hi = c.ci
        ok = TARGET[0] <= c.rate <= TARGET[1]
        split = "latest 30 posts" if c.offset == 0 else f"{c.offset} posts earlier"
        width = f"{c.width_ratio:.2f}×" if c.width_ratio is not None else "—"
        lines.append(
            f"| {c.k} | {split} | {c.n} | {_pct(c.rate, 1)}{'' if ok else ' ✗'} | "
            f"{_pct(lo, 1)}–{_pct(hi, 1)} | {c.below} / {c.above} | {width} |"
        )
    return lines


def section(worlds: list[tuple[str, Store]], eval_data: Path, *, img: Path = IMG) -> str:
    lines = [
        "## Engagement-rate interval coverage (real accounts)",
        "",
        "Is the 90 % interval `[er_low, er_high]` honest? For history length k, each real InstaFake "
        "account with at least k + 30 posts is profiled by `microscout.metrics` on only the k posts "
        "before its 30 most recent ones (a prior fitted on those histories, `er_window_posts = k`); "
        "it is covered when the median ER/F of its 30 most recent posts lies in the interval. "
        "Target: 80–95 %. The second split moves everything 10 posts into the past. "
        "Reproduce with `python -m microscout.evaluation` (code: `src/microscout/evaluation/coverage.py`; "
        "model: docs/metrics.md).",
        "",
    ]
    reason = skip_reason(eval_data)
    if reason is not None:
        lines += [reason, ""]
        accounts: list[Account] = []
    else:
        accounts = load_accounts(eval_data)
        results = [coverage(accounts, k) for k in KS] + [coverage(accounts, k, offset=ROBUST_OFFSET) for k in KS]
        lines += coverage_table(results)
        n_drift, drift, drift_sd = estimate_drift(accounts)
        lines += [
            "",
            "✗ marks a coverage outside 80–95 %; the CI is the Wilson 95 % binomial interval. "
            "Below / above: accounts whose future median fell under `er_low` / over `er_high`.",
            "",
            f"Drift of the log ER/F level from one 30-post window to the next, re-estimated from posts "
            f"30–89 of {n_drift} accounts (`estimate_drift`): mean {FUTURE * drift:.3f}, between-creator "
            f"SD {FUTURE * drift_sd:.3f}; the model uses `WINDOW_DRIFT = {WINDOW_DRIFT}`, "
            f"`WINDOW_DRIFT_SD = {WINDOW_DRIFT_SD}` "
            "(`metrics/peers.py`).",
            "",
        ]
    lines += [
        "## Engagement rate vs followers: real accounts and sample worlds",
        "",
        "Median over accounts of the median ER/F of the last 30 posts, per follower range: the real "
        "InstaFake accounts beside the Instagram creators of the two evaluation worlds "
        "(profiled `er_followers`, the same definition). Chart: [er-vs-followers.svg](img/er-vs-followers.svg).",
        "",
    ]
    series: list[tuple[str, list[tuple[int, float | None]]]] = []
    if reason is not None:
        lines += [f"Real accounts: {reason}", ""]
    else:
        series.append(("real (InstaFake)", real_curve(accounts)))
    series += [(f"world {name.split(' ')[0]}", world_curve(store)) for name, store in worlds]
    names = [name for name, _ in series]
    lines += [
        "| followers | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for i, (label, _, _) in enumerate(BINS):
        cells = [f"{_pct(pts[i][1])} (n={pts[i][0]})" if pts[i][0] else "— (n=0)" for _, pts in series]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    svg_chart(series, img)
    lines += ["", f"![ER vs followers](img/{img.name})", ""]
    return "\n".join(lines)
