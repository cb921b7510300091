"""Planted truths: the settings per difficulty, and the ``truth_creators`` table."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import numpy as np

from microscout.sample import banks as B

if TYPE_CHECKING:
    from microscout.sample.chunk import Chunk


class Difficulty(TypedDict):
    """How much fraud, oddity and spread a world of one difficulty has."""

    p_bought: float
    p_pod: float
    p_both: float
    p_mild: float
    strong_bought: tuple[float, float]
    mild_bought: tuple[float, float]
    pod_strong: tuple[int, int]
    pod_mild: tuple[int, int]
    pod_comments: tuple[int, int]
    pod_mild_comments: tuple[int, int]
    pod_ring_share: tuple[float, float]
    p_viral: float
    p_travel: float
    p_off: float
    off_share: tuple[float, float]
    p_unsafe: float
    unsafe_share: tuple[float, float]
    p_disclosed: float
    spread: float
    fake_like_real: float


DIFFICULTY: dict[str, Difficulty] = {
    #            bought pod  both  mild  strong-bought  mild-bought  pod-strong pod-mild
    "easy": {
        "p_bought": 0.10,
        "p_pod": 0.07,
        "p_both": 0.03,
        "p_mild": 0.0,
        "strong_bought": (0.40, 0.60),
        "mild_bought": (0.10, 0.20),
        "pod_strong": (8, 15),
        "pod_mild": (3, 5),
        "pod_comments": (12, 25),
        "pod_mild_comments": (3, 6),
        "pod_ring_share": (0.9, 0.6),
        "p_viral": 0.01,
        "p_travel": 0.01,
        "p_off": 0.05,
        "off_share": (0.80, 0.95),
        "p_unsafe": 0.03,
        "unsafe_share": (0.30, 0.50),
        "p_disclosed": 0.75,
        "spread": 1.0,
        "fake_like_real": 0.0,
    },
    "realistic": {
        "p_bought": 0.10,
        "p_pod": 0.06,
        "p_both": 0.03,
        "p_mild": 1 / 3,
        "strong_bought": (0.30, 0.55),
        "mild_bought": (0.10, 0.20),
        "pod_strong": (5, 15),
        "pod_mild": (3, 5),
        "pod_comments": (8, 20),
        "pod_mild_comments": (2, 5),
        "pod_ring_share": (0.8, 0.5),
        "p_viral": 0.04,
        "p_travel": 0.04,
        "p_off": 0.05,
        "off_share": (0.60, 0.85),
        "p_unsafe": 0.03,
        "unsafe_share": (0.10, 0.30),
        "p_disclosed": 0.85,
        "spread": 1.0,
        "fake_like_real": 0.1,
    },
    "hard": {
        "p_bought": 0.11,
        "p_pod": 0.07,
        "p_both": 0.04,
        "p_mild": 0.7,
        "strong_bought": (0.25, 0.40),
        "mild_bought": (0.08, 0.18),
        "pod_strong": (5, 10),
        "pod_mild": (3, 5),
        "pod_comments": (5, 12),
        "pod_mild_comments": (1, 4),
        "pod_ring_share": (0.6, 0.35),
        "p_viral": 0.07,
        "p_travel": 0.07,
        "p_off": 0.05,
        "off_share": (0.50, 0.70),
        "p_unsafe": 0.03,
        "unsafe_share": (0.05, 0.15),
        "p_disclosed": 0.9,
        "spread": 1.2,
        "fake_like_real": 0.3,
    },
}
FRAUD_NAMES = ("none", "bought_followers", "engagement_pod", "both")


def write_truth(ch: Chunk) -> None:
    """Write the planted truths of the chunk's creators to ``truth_creators``."""
    s, n = ch.s, ch.n
    niches = [[B.NICHES[a]] + ([B.NICHES[b]] if h else []) for a, b, h in zip(ch.n1, ch.n2, ch.has2, strict=False)]
    terms: list[list[str]] = [[] for _ in range(n)]
    up = np.flatnonzero(ch.unsafe_term_idx >= 0)
    if len(up):
        pairs = np.unique(ch.post_creator[up] * 16 + ch.unsafe_term_idx[up])
        for key in pairs.tolist():
            c, t = divmod(key, 16)
            terms[c].append(s.un_terms[ch.lang[c]][t])
    pod_ids = [f"pod{ch.index:05d}-{p:03d}" if p >= 0 else None for p in ch.pod.tolist()]
    ch.sinks["truth_creators"].write(
        {
            "platform": ch.pname,
            "creator_id": ch.creator_id,
            "true_market": [s.markets[m] for m in ch.mkt],
            "true_language": [B.LANGUAGES[x] for x in ch.lang],
            "true_niches": niches,
            "fraud": [FRAUD_NAMES[f] for f in ch.fraud],
            "bought_share": np.round(ch.bought, 4),
            "pod_id": pod_ids,
            "off_market": ch.off,
            "unsafe": ch.unsafe & np.array([bool(t) for t in terms]),
            "unsafe_terms": terms,
            "odd_but_honest": [("none", "viral_spike", "travel_abroad")[o] for o in ch.odd],
            "true_er": np.round(ch.true_er, 6),
            "price_factor": np.round(ch.price_factor, 6),
        }
    )
