"""Is the sample world realistic? Engagement by follower range vs published benchmarks and real posts.

For every primary benchmark band (Modash, median of the last 30 posts) of Instagram (ER by
followers), TikTok and YouTube (ER by views), the median profile ER of the world's creators in
that follower range is compared with the band. The Instagram log-log slope of ER against
followers is compared with the slope measured on the 700 real accounts of InstaFake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from microscout.reference import load_table
from microscout.sample.calibrate import calibrate
from microscout.store import Store

BASIS_COLUMN = {"er_followers": "er_followers", "er_views": "er_views"}


def band_medians(store: Store) -> list[dict[str, Any]]:
    """Median creator ER per primary benchmark band, measured with the metrics code."""
    rows = []
    profiles = store.table("creator_profiles")
    for b in load_table("benchmarks", reference_dir=store.settings.reference_dir).rows:
        if b.get("primary") != 1 or b["basis"] not in BASIS_COLUMN:
            continue
        column = profiles[BASIS_COLUMN[b["basis"]]]
        cond = (profiles.platform == b["platform"]) & (profiles.followers >= b["followers_min"]) & column.notnull()
        if b["followers_max"] is not None:
            cond &= profiles.followers < b["followers_max"]
        sub = profiles.filter(cond)
        n = int(sub.count().execute())
        median = float(sub[BASIS_COLUMN[b["basis"]]].median().execute()) if n else None
        rows.append(
            {
                "platform": b["platform"],
                "range": b["tier_label"],
                "basis": b["basis"],
                "low": float(b["low"]),
                "high": float(b["high"]),
                "n": n,
                "median": median,
            }
        )
    return rows


def instagram_slope(store: Store) -> float | None:
    p = store.table("creator_profiles")
    frame = (
        p.filter(p.platform == "instagram", p.er_followers > 0, p.followers >= 1000, p.followers < 100_000)
        .select("followers", "er_followers")
        .to_pandas()
    )
    if len(frame) < 10:
        return None
    slope, _ = np.polyfit(np.log10(frame.followers), np.log10(frame.er_followers), 1)
    return float(slope)


def section(worlds: list[tuple[str, Store]], eval_data: Path) -> str:
    results = {name: band_medians(store) for name, store in worlds}
    names = [name for name, _ in worlds]
    lines = [
        "## Sample world calibration",
        "",
        "Median creator engagement rate per follower range in two evaluation worlds, measured with "
        "`microscout.metrics` (median of each creator's last 30 posts), against the published "
        "benchmark band of the same basis (Modash, `reference/data/benchmarks.csv`).",
        "",
        "| platform | range | basis | benchmark band | " + " | ".join(f"world {n}" for n in names) + " |",
        "| --- | --- | --- | --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    inside = total = 0
    for i, row in enumerate(results[names[0]]):
        cells = []
        for n in names:
            r = results[n][i]
            if r["median"] is None:
                cells.append("— (no creators)")
                continue
            ok = r["low"] <= r["median"] <= r["high"]
            inside += ok
            total += 1
            cells.append(f"{100 * r['median']:.2f} % (n={r['n']}){'' if ok else ' ✗'}")
        lines.append(
            f"| {row['platform']} | {row['range']} | {row['basis']} | "
            f"{100 * row['low']:.2f}–{100 * row['high']:.2f} % | " + " | ".join(cells) + " |"
        )
    lines += ["", f"**{inside} of {total}** band medians fall inside the published band (✗ marks the others).", ""]
    slopes = ", ".join(
        f"world {n}: {s:.3f}" if (s := instagram_slope(store)) is not None else f"world {n}: —" for n, store in worlds
    )
    real_path = eval_data / "instafake" / "human_accounts_with_posts.json"
    if real_path.exists():
        cal = calibrate(eval_data)
        real = (
            f"{cal['er_fit']['slope']:.3f} on {cal['accounts_used']} real InstaFake accounts "
            "(mostly under 1k followers)"
        )
    else:
        real = f"not measured: {real_path} is absent"
    lines += [
        f"Instagram log10 ER vs log10 followers slope (1k–100k creators): {slopes}; real data: {real}. "
        "Published benchmarks imply a steeper fall between 1k and 10k than the real accounts show "
        "below 1k, so the world follows the benchmark bands above 1k.",
        "",
    ]
    return "\n".join(lines)
