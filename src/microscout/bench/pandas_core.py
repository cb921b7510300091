"""The core aggregates as an analyst would write them in pandas (the bench's baseline)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

TIERS = [(1_000_000, "mega"), (500_000, "macro"), (100_000, "mid"), (10_000, "micro"), (1_000, "nano")]


def tier_of(followers: float) -> str | None:
    if pd.isna(followers):
        return None
    for low, name in TIERS:
        if followers >= low:
            return name
    return "sub_nano"


def core_pandas(posts: pd.DataFrame, creators: pd.DataFrame, *, now: dt.datetime, window: int = 30) -> pd.DataFrame:
    posts = posts[posts["kind"].isna() | (posts["kind"] != "story")]
    posts = posts.sort_values(
        ["platform", "creator_id", "published_at", "post_id"], ascending=[True, True, False, False]
    )
    recent = posts.groupby(["platform", "creator_id"]).head(window)
    df = recent.merge(creators[["platform", "creator_id", "followers"]], on=["platform", "creator_id"])
    for col in ("likes", "comments", "views", "followers"):
        df[col] = df[col].astype("float64")
    eng = df["likes"] + df["comments"]
    df["er_f"] = np.where(df["followers"] > 0, eng / df["followers"], np.nan)
    df["er_v"] = np.where(df["views"] > 0, eng / df["views"], np.nan)
    g = df.groupby(["platform", "creator_id", "followers"])
    out = g.agg(
        posts_in_window=("er_f", "size"),
        er_followers=("er_f", "median"),
        er_followers_mean=("er_f", "mean"),
        er_views_mean=("er_v", "mean"),
        first=("published_at", "min"),
        last=("published_at", "max"),
    ).reset_index()
    weeks = (out["last"] - out["first"]).dt.total_seconds() / 604800
    out["posts_per_week"] = np.where(weeks > 0, (out["posts_in_window"] - 1) / weeks.where(weeks > 0), np.nan)
    out["days_since_last_post"] = (pd.Timestamp(now) - out["last"]).dt.total_seconds() / 86400
    out["tier"] = out["followers"].apply(tier_of)
    out["er_percentile"] = out.groupby(["platform", "tier"])["er_followers"].rank(method="min", pct=False)
    counts = out.groupby(["platform", "tier"])["er_followers"].transform("count")
    out["er_percentile"] = (
        ((out["er_percentile"] - 1) / (counts - 1).where(counts > 1, np.nan))
        .where(counts > 1, 0.0)
        .where(out["er_followers"].notna())
    )
    return out.drop(columns=["first", "last"])
