"""Join helpers that keep one copy of the key columns (Ibis keeps both sides of a left join)."""

from __future__ import annotations

import ibis.expr.types as ir


def attach(left: ir.Table, right: ir.Table, keys: list[str]) -> ir.Table:
    """``left`` with the non-key columns of ``right`` matched on ``keys`` (NULL where unmatched)."""
    joined = left.left_join(right, keys)
    extra = [c for c in right.columns if c not in keys]
    return joined.select(*[joined[c] for c in left.columns], *[joined[c] for c in extra])
