"""The HTML report of a saved shortlist (a search of one workspace), as a download."""

from __future__ import annotations

from typing import Any

from microscout.report.html import render_search_report
from microscout.store import Store, utcnow
from microscout.workspace import get_brief, get_search

__all__ = ["saved_search_report"]


def _scatter(store: Store, limit: int = 5000) -> list[dict[str, Any]]:
    rows = store.raw.execute(
        "SELECT followers, er_followers, tier FROM creator_profiles WHERE er_followers IS NOT NULL AND followers > 0 "
        "ORDER BY platform, creator_id LIMIT ?",
        [limit],
    ).fetchall()
    return [{"followers": int(f), "er": float(e), "tier": t} for f, e, t in rows]


def saved_search_report(store: Store, workspace: str, search_id: str) -> tuple[str, str]:
    """(file name, HTML) of search ``search_id`` of ``workspace``; another workspace's is not found."""
    search = get_search(store, workspace, search_id)
    brief: dict[str, Any] = {}
    if search["brief_id"]:
        brief = get_brief(store, workspace, search["brief_id"])["brief"]
    brand = str(brief.get("brand") or "search")
    html = render_search_report(
        title=f"microscout shortlist — {brand}",
        brief=brief,
        results=search["results"],
        scatter=_scatter(store),
        summary={"Creators in the shortlist": len(search["results"]), "Search": search_id},
        generated_at=utcnow().isoformat() + "Z",
    )
    return f"microscout-shortlist-{search_id}.html", html
