"""Does the Audience Quality Score find the planted fraud? (sample worlds, ``truth_creators``)

A creator is flagged when its AQS is below ``Settings.aqs_threshold`` (default 70). Positives are
the planted bought-follower, engagement-pod and both creators, mild cases included; negatives are
the clean creators, including the honest odd ones (viral spikes, travel abroad). Reported per
world: precision, recall, the share of clean creators with AQS >= 70, recall per kind of fraud
and mildness, and the false-positive rate among the honest odd creators.
"""

from __future__ import annotations

from typing import Any

from microscout.store import Store

MILD_BOUGHT = 0.2  # planted bought shares at or below this are the mild cases


def detection(store: Store) -> dict[str, Any]:
    threshold = store.settings.aqs_threshold
    frame = store.raw.execute(
        """
        SELECT t.fraud, t.bought_share, t.pod_id IS NOT NULL AS in_pod, t.odd_but_honest, p.aqs
        FROM truth_creators t JOIN creator_profiles p USING (platform, creator_id)
        WHERE p.aqs IS NOT NULL
        """
    ).df()
    bad = frame.fraud != "none"
    flag = frame.aqs < threshold
    tp = int((flag & bad).sum())
    out: dict[str, Any] = {
        "creators": len(frame),
        "fraud": int(bad.sum()),
        "flagged": int(flag.sum()),
        "precision": tp / int(flag.sum()) if flag.any() else None,
        "recall": tp / int(bad.sum()) if bad.any() else None,
        "clean_at_or_above_70": float((frame.aqs[~bad] >= 70).mean()) if (~bad).any() else None,
        "by_kind": {},
        "odd_false_positive": {},
    }
    mild = (frame.fraud == "bought_followers") & (frame.bought_share <= MILD_BOUGHT)
    kinds = {
        "bought followers (strong)": (frame.fraud == "bought_followers") & ~mild,
        "bought followers (mild, ≤ 20 %)": mild,
        "engagement pod": frame.fraud == "engagement_pod",
        "both": frame.fraud == "both",
    }
    for name, sel in kinds.items():
        if sel.any():
            out["by_kind"][name] = (int(sel.sum()), float(flag[sel].mean()))
    for odd in ("viral_spike", "travel_abroad"):
        sel = ~bad & (frame.odd_but_honest == odd)
        if sel.any():
            out["odd_false_positive"][odd] = (int(sel.sum()), float(flag[sel].mean()))
    return out


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def section(worlds: list[tuple[str, Store]]) -> str:
    lines = [
        "## Authenticity: planted fraud in the sample worlds",
        "",
        "Measured by `microscout.evaluation.authenticity` after `microscout profile` (metrics and "
        "authenticity stages) on each evaluation world; flagged = AQS below the default threshold "
        "(70). Targets at `realistic` difficulty: precision ≥ 0.9 and recall ≥ 0.9 on the planted "
        "bought-follower and pod creators (mild cases included), ≥ 90 % of clean creators at AQS ≥ 70. "
        "The thresholds in `authenticity/signals.py` were set looking at world A; world B (another "
        "seed, size and post count) is the check that nothing is tuned to one world.",
        "",
        "| world | creators | fraud | flagged | precision | recall | clean with AQS ≥ 70 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    results = [(name, detection(store)) for name, store in worlds]
    for name, r in results:
        lines.append(
            f"| {name} | {r['creators']:,} | {r['fraud']:,} | {r['flagged']:,} | {_fmt(r['precision'])} | "
            f"{_fmt(r['recall'])} | {_fmt(r['clean_at_or_above_70'])} |"
        )
    lines += ["", "Recall by kind of fraud, and false positives among honest creators that look odd:", ""]
    lines += ["| world | group | creators | flagged |", "| --- | --- | ---: | ---: |"]
    for name, r in results:
        for kind, (n, rate) in r["by_kind"].items():
            lines.append(f"| {name} | {kind} | {n:,} | {rate:.1%} |")
        for odd, (n, rate) in r["odd_false_positive"].items():
            lines.append(f"| {name} | honest, {odd.replace('_', ' ')} | {n:,} | {rate:.1%} |")
    lines.append("")
    return "\n".join(lines)
