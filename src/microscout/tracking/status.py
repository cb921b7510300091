"""Deliverable status: what each placement owes, what arrived, what is late or missing.

A placement's deliverables (``[{kind, count}]``) expand into slots. Deliverable posts of the
placement (``campaign_posts`` with ``role = 'deliverable'``, including self-reported proofs) fill
the slots oldest first: slots of their own kind first, then compatible ones (:func:`fulfils`). A
slot is

* ``delivered`` — filled by a post published on or before the due date (end of that day, UTC);
* ``late`` — filled by a post published after the due date;
* ``missing`` — empty, and the due date has passed;
* ``pending`` — empty, not yet due (or no due date).

Posts beyond the slots of their kind are reported as ``extra``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from microscout.store import Store, utcnow

__all__ = ["KIND_FULFILS", "PLATFORM_KINDS", "SLOT_STATUSES", "deliverable_status", "due_at", "fulfils"]

SLOT_STATUSES = ("delivered", "late", "missing", "pending", "extra", "removed")
# deliverable kinds a post of each kind can fulfil besides its own
KIND_FULFILS: dict[str, tuple[str, ...]] = {
    "reel": ("video", "short"),
    "video": ("reel", "short"),
    "short": ("reel", "video"),
    "post": ("carousel", "tweet"),
    "carousel": ("post",),
    "tweet": ("post",),
    "live": ("video",),
}
# the content formats each platform has (a deliverable outside them is met by the platform's stand-in)
PLATFORM_KINDS: dict[str, set[str]] = {
    "instagram": {"post", "reel", "carousel", "story", "live"},
    "tiktok": {"video", "live"},
    "youtube": {"video", "short", "live"},
    "x": {"tweet"},
    "bluesky": {"post"},
    "mastodon": {"post"},
}


def due_at(due: dt.date | None) -> dt.datetime | None:
    """The moment a due date ends (UTC midnight after it), or None."""
    if due is None:
        return None
    return dt.datetime.combine(due, dt.time()) + dt.timedelta(days=1)


def deliverable_status(
    store: Store, workspace: str, campaign_id: str, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One row per deliverable slot of every placement of the campaign (see the module doc)."""
    now = now or utcnow()
    placements = store.raw.execute(
        "SELECT placement_id, platform, creator_id, market, deliverables, due_date, status FROM placements "
        "WHERE workspace_id = ? AND campaign_id = ? ORDER BY placement_id",
        [workspace, campaign_id],
    ).fetchall()
    posts: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for pid, post_id, published, disclosure, self_reported, kind in store.raw.execute(
        "SELECT placement_id, post_id, published_at, disclosure, coalesce(self_reported, false), deliverable_kind "
        "FROM campaign_posts WHERE workspace_id = ? AND campaign_id = ? AND role = 'deliverable' "
        "AND placement_id IS NOT NULL ORDER BY published_at NULLS LAST, post_id",
        [workspace, campaign_id],
    ).fetchall():
        posts[pid].append((post_id, published, disclosure, self_reported, kind))
    out: list[dict[str, Any]] = []
    for pid, platform, creator_id, market, deliverables, due, pstatus in placements:
        deadline = due_at(due)
        slots = [
            str(item["kind"]) for item in json.loads(deliverables or "[]") for _ in range(int(item.get("count", 1)))
        ]
        filled = _fill(platform, slots, posts.get(pid, []))
        base = {"placement_id": pid, "platform": platform, "creator_id": creator_id, "market": market, "due_date": due}
        counter: dict[str, int] = defaultdict(int)
        for kind, post in filled:
            counter[kind] += 1
            if post is not None:
                late = deadline is not None and post[1] is not None and post[1] >= deadline
                status = "late" if late else "delivered"
            elif pstatus == "removed":
                status = "removed"
            else:
                status = "missing" if deadline is not None and now >= deadline else "pending"
            out.append(_slot(base, kind, counter[kind], status, post))
        for post in posts.get(pid, []):
            if not any(p is post for _k, p in filled):
                counter[post[4]] += 1
                out.append(_slot(base, post[4], counter[post[4]], "extra", post))
    return out


def _slot(base: dict[str, Any], kind: str, n: int, status: str, post: tuple[Any, ...] | None) -> dict[str, Any]:
    return {
        **base,
        "kind": kind,
        "slot": n,
        "status": status,
        "post_id": post[0] if post else None,
        "published_at": post[1] if post else None,
        "disclosure": post[2] if post else None,
        "self_reported": bool(post[3]) if post else False,
    }


def fulfils(platform: str, post_kind: str, slot_kind: str) -> bool:
    """Whether a post of ``post_kind`` on ``platform`` delivers a ``slot_kind`` deliverable: the same
    kind, a close format (a video for a reel), or the platform's stand-in for a format it lacks (a
    TikTok video for a story — the rate card prices it the same way)."""
    from microscout.cost.model import card_deliverable

    if post_kind == slot_kind or slot_kind in KIND_FULFILS.get(post_kind, ()):
        return True
    native = PLATFORM_KINDS.get(platform, set())
    return slot_kind not in native and card_deliverable(platform, slot_kind, native) == post_kind


def _fill(platform: str, slots: list[str], posts: list[tuple[Any, ...]]) -> list[tuple[str, tuple[Any, ...] | None]]:
    """Assign posts (oldest first) to slots: exact kinds first, then compatible ones."""
    taken: list[tuple[Any, ...] | None] = [None] * len(slots)
    used: set[int] = set()
    for exact in (True, False):
        for j, post in enumerate(posts):
            if j in used:
                continue
            for i, kind in enumerate(slots):
                ok = post[4] == kind if exact else fulfils(platform, post[4], kind)
                if taken[i] is None and ok:
                    taken[i] = post
                    used.add(j)
                    break
    return list(zip(slots, taken, strict=True))
