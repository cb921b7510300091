"""Shortlist quality: does ``microscout search`` put the right creators on top?

For each evaluation world and each of the briefs below, the top 50 of the search are judged
against the planted truth: a creator is relevant when its true market is a target market, one of
its true niches is a brief niche, it has no planted fraud and no planted unsafe content.
precision@50 = relevant in the top 50 / 50 (or / the list length when shorter); NDCG@50 with
binary gains, the ideal ranking having min(50, relevant creators in the world) relevant first.
"""

from __future__ import annotations

import math
from typing import Any

from microscout.brief import parse_brief
from microscout.matching import search
from microscout.store import Store

K = 50
BRIEFS: list[dict[str, Any]] = [
    {"brand": "Solara", "description": "mineral sunscreen", "niches": ["beauty", "health_wellness"],
     "markets": [{"country": "BR", "languages": ["pt"]}, {"country": "DE", "languages": ["de"]}]},
    {"brand": "Trailhead", "description": "hiking boots", "niches": ["outdoors", "travel"],
     "markets": [{"country": "US", "languages": ["en"]}, {"country": "GB", "languages": ["en"]}]},
    {"brand": "Pixel Arena", "description": "gaming headset", "niches": ["gaming", "tech"],
     "markets": [{"country": "JP", "languages": ["ja"]}, {"country": "ID", "languages": ["id"]}]},
    {"brand": "Cocina Viva", "description": "cookware", "niches": ["food"],
     "markets": [{"country": "MX", "languages": ["es"]}, {"country": "ES", "languages": ["es"]}]},
    {"brand": "FitFuel", "description": "protein snacks", "niches": ["fitness"],
     "markets": [{"country": "FR", "languages": ["fr"]}, {"country": "IT", "languages": ["it"]},
                 {"country": "TR", "languages": ["tr"]}]},
]  # fmt: skip


def judge(store: Store, brief: dict[str, Any]) -> dict[str, float]:
    full = {**brief, "budget": {"amount": 10000, "currency": "USD"}, "min_quality": 70}
    parsed = parse_brief(full, reference_dir=store.settings.reference_dir)
    result = search(store, parsed, workspace=store.settings.workspace, limit=K, save=False)
    truth = {
        (p, c): (m, set(n or []), f, u)
        for p, c, m, n, f, u in store.raw.execute(
            "SELECT platform, creator_id, true_market, true_niches, fraud, unsafe FROM truth_creators"
        ).fetchall()
    }
    markets = {m["country"] for m in brief["markets"]}
    niches = set(brief["niches"])

    def relevant(key: tuple[str, str]) -> bool:
        market, true_niches, fraud, unsafe = truth[key]
        return market in markets and bool(true_niches & niches) and fraud == "none" and not unsafe

    gains = [1.0 if relevant((r["platform"], r["creator_id"])) else 0.0 for r in result.rows]
    platforms = set(parsed.platforms)
    lo, hi = parsed.followers.min, parsed.followers.max
    rows = store.raw.execute("SELECT platform, creator_id, followers FROM creators").fetchall()
    followers = {(p, c): f for p, c, f in rows}
    total_relevant = sum(1 for k in truth if k[0] in platforms and lo <= (followers.get(k) or 0) <= hi and relevant(k))
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(K, total_relevant)))
    return {
        "returned": len(gains),
        "precision": sum(gains) / len(gains) if gains else 0.0,
        "ndcg": dcg / ideal if ideal else 0.0,
        "r_precision": sum(gains[: min(K, total_relevant)]) / min(K, total_relevant) if total_relevant else 0.0,
        "relevant_in_world": total_relevant,
    }


def section(worlds: list[tuple[str, Store]]) -> str:
    lines = [
        "## Shortlists: precision@50 and NDCG@50 against the planted truth",
        "",
        "Measured by `microscout.evaluation.shortlist`: five briefs (different markets, languages and "
        "niches, `min_quality: 70`) on each evaluation world; relevant = true market in the brief, a true "
        "niche in the brief, no planted fraud, no planted unsafe content. Bar: precision@50 ≥ 0.8. When a "
        "world holds fewer than 50 relevant creators precision@50 cannot reach 1, so R-precision (precision "
        "over the top R, R = relevant creators, at most 50) is shown beside it.",
        "",
        "| world | brief | returned | relevant in the world | precision@50 | R-precision | NDCG@50 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, store in worlds:
        for brief in BRIEFS:
            r = judge(store, brief)
            lines.append(
                f"| {name} | {brief['brand']} ({', '.join(brief['niches'])}; "
                f"{', '.join(m['country'] for m in brief['markets'])}) | {r['returned']} | {r['relevant_in_world']} | "
                f"{r['precision']:.2f} | {r['r_precision']:.2f} | {r['ndcg']:.2f} |"
            )
    lines.append("")
    return "\n".join(lines)
