"""Follower tiers from the reference table, as an Ibis expression."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir

from microscout.reference import load_table

Band = tuple[str, int, int | None]


def tier_bands(reference_dir: Path | None = None) -> list[Band]:
    rows = load_table("tiers", reference_dir=reference_dir).rows
    return [(r["tier"], int(r["min_followers"]), r["max_followers"]) for r in rows]


def tier_expr(followers: ir.IntegerValue, bands: Sequence[Band]) -> ir.StringValue:
    """The tier of a follower count; below the smallest band is ``sub_nano``; unknown stays NULL."""
    case = ibis.cases(
        *[
            ((followers >= lo) & (followers < hi) if hi is not None else followers >= lo, name)
            for name, lo, hi in bands
        ],
        else_="sub_nano",
    )
    return followers.isnull().ifelse(ibis.null(str), case)
