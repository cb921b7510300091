"""The vetting card: a creator's Audience Quality Score with its interval, reasons and evidence."""

from __future__ import annotations

from typing import Any

from microscout.authenticity.aqs import contributions, reasons
from microscout.authenticity.signals import CHECKS

VET_FIELDS = (
    "followers", "tier", "aqs", "aqs_low", "aqs_high", "aqs_signals", "follower_sample", "suspicious_share",
    "suspicious_low", "suspicious_high", "mass_follower_share", "spike_z", "spike_at", "spike_followers",
    "spike_engagement_ratio", "comment_sample", "generic_comment_share", "pod_id", "pod_size", "pod_overlap",
    "er_followers", "expected_er", "er_residual", "comment_like_ratio", "computed_at",
)  # fmt: skip


def vet_creator(store: Any, ref: str, *, threshold: float) -> dict[str, Any]:
    """The vetting card of ``ref`` (platform:handle): AQS, verdict, reasons, each check's points."""
    from microscout.creators import resolve_creator

    platform, creator_id = resolve_creator(store, ref)
    c = store.table("creators")
    p = store.table("creator_profiles")
    row = (
        c.filter(c.platform == platform, c.creator_id == creator_id)
        .select("platform", "creator_id", "handle")
        .left_join(p.select("platform", "creator_id", *VET_FIELDS), ["platform", "creator_id"])
        .to_pyarrow()
        .to_pylist()[0]
    )
    card: dict[str, Any] = {"creator": f"{platform}:{row['handle']}"}
    card.update({k: row.get(k) for k in VET_FIELDS if k != "aqs_signals"})
    aqs = row.get("aqs")
    if aqs is None:
        card["verdict"] = "not vetted yet: run microscout profile"
    elif row.get("aqs_high") is not None and row["aqs_high"] < threshold:
        card["verdict"] = "suspicious audience"
    elif aqs < threshold:
        card["verdict"] = "suspicious audience (the interval reaches above the threshold)"
    elif row.get("aqs_low") is not None and row["aqs_low"] < threshold:
        card["verdict"] = "probably fine (the interval reaches below the threshold)"
    else:
        card["verdict"] = "audience looks real"
    card["threshold"] = threshold
    card["reasons"] = reasons(row)
    points = contributions(row)
    card["checks"] = [
        {"check": name, "title": check.title, "points": points.get(name)} for name, check in CHECKS.items()
    ]
    return card
