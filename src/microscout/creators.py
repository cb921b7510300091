"""Referring to creators: ``platform:handle`` everywhere, a bare handle only when unique."""

from __future__ import annotations

from typing import Any

from microscout.errors import AmbiguousCreatorError, InvalidInputError, NotFoundError
from microscout.ingest.validate import PLATFORMS
from microscout.store import Store


def resolve_creator(store: Store, ref: str) -> tuple[str, str]:
    """Return (platform, creator_id) for ``platform:handle`` or a unique bare handle."""
    ref = ref.strip()
    if not ref:
        raise InvalidInputError("creator reference is empty; use platform:handle")
    creators = store.table("creators")
    if ":" in ref:
        platform, handle = ref.split(":", 1)
        if platform not in PLATFORMS:
            raise InvalidInputError(f"unknown platform {platform!r} in {ref!r}; use one of {', '.join(PLATFORMS)}")
        hits = creators.filter(creators.platform == platform, creators.handle.lower() == handle.lstrip("@").lower())
    else:
        hits = creators.filter(creators.handle.lower() == ref.lstrip("@").lower())
    frame = hits.select("platform", "creator_id", "handle").order_by("platform").to_pandas()
    if frame.empty:
        raise NotFoundError(f"no creator {ref!r} in the store")
    if len(frame) > 1:
        candidates = ", ".join(f"{r.platform}:{r.handle}" for r in frame.itertuples())
        raise AmbiguousCreatorError(f"{ref!r} is ambiguous; candidates: {candidates}")
    return str(frame.platform.iloc[0]), str(frame.creator_id.iloc[0])


CARD_FIELDS = (
    "display_name", "followers", "following", "posts_count", "declared_country", "declared_language",
    "tier", "posts_in_window", "er_followers", "er_followers_mean", "er_views", "er_views_mean",
    "er_posterior", "er_low", "er_high", "er_prior", "shrinkage", "er_percentile", "er_posterior_percentile",
    "peer_count", "expected_er", "er_residual", "benchmark_low", "benchmark_high", "benchmark_position",
    "benchmark_source", "posts_per_week", "last_post_at", "days_since_last_post", "engagement_cv",
    "growth_30d", "growth_90d", "sponsored_share", "sponsored_er", "organic_er", "comment_like_ratio",
    "reply_rate", "profile_version", "computed_at",
)  # fmt: skip


def creator_detail(store: Store, ref: str) -> dict[str, Any]:
    """Everything known about one creator: account counts and its profile (NULL where not computed)."""
    platform, creator_id = resolve_creator(store, ref)
    c = store.table("creators")
    p = store.table("creator_profiles")
    joined = c.filter(c.platform == platform, c.creator_id == creator_id).left_join(
        p.drop("followers", "extras"), ["platform", "creator_id"]
    )
    row = joined.to_pandas().iloc[0]
    out: dict[str, Any] = {"creator": f"{platform}:{row.handle}"}
    for k in CARD_FIELDS:
        v = row.get(k)
        out[k] = None if v is None or (not isinstance(v, str) and _isna(v)) else (v.item() if hasattr(v, "item") else v)
    return out


def _isna(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
