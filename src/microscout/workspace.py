"""A team's private data, always read and written inside one workspace.

Everything a team creates (briefs, shortlists, lists, notes, jobs) carries ``workspace_id``. Every
function here takes the workspace explicitly, and all of them go through :func:`scoped_rows` /
:func:`scoped_delete`, which always add ``workspace_id = ?``: a row of another workspace is
indistinguishable from a row that does not exist (:class:`~microscout.errors.NotFoundError`).

>>> from microscout.store import connect
>>> store = connect(":memory:")
>>> item = create_list(store, "default", name="Summer")
>>> [x["name"] for x in list_lists(store, "default")], list_lists(store, "other")
(['Summer'], [])
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microscout.brief import Brief, parse_brief
from microscout.cells import safe_cell
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, utcnow
from microscout.store.migrations import quote
from microscout.store.schema import table_def

if TYPE_CHECKING:
    from microscout.matching_index import BriefIndex

__all__ = [
    "add_list_item",
    "add_list_items",
    "add_list_items_from_plan",
    "add_list_items_from_search",
    "brief_id_of",
    "create_job",
    "create_list",
    "create_note",
    "delete_list",
    "delete_note",
    "export_list_csv",
    "get_brief",
    "get_job",
    "get_list",
    "get_search",
    "list_briefs",
    "list_jobs",
    "list_lists",
    "list_notes",
    "list_searches",
    "remove_list_item",
    "resolve_list",
    "run_brief_search",
    "save_brief",
    "scoped_delete",
    "scoped_rows",
    "update_job",
]

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 200
MAX_NOTE = 10_000
MAX_TAGS = 20


# ---------------------------------------------------------------------------------- scoping
def _scoped_table(table: str) -> str:
    if not table_def(table).workspace:
        raise InvalidInputError(f"{table!r} is not a workspace table")
    return quote(table)


def scoped_rows(
    store: Store,
    table: str,
    workspace: str,
    *,
    where: str = "",
    params: Sequence[Any] = (),
    columns: str = "*",
    order_by: str = "",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of workspace table ``table`` that belong to ``workspace`` (and match ``where``).

    ``where`` / ``order_by`` are SQL fragments written by this package (never user text); values
    always travel as parameters.
    """
    sql = f"SELECT {columns} FROM {_scoped_table(table)} WHERE workspace_id = ?"
    if where:
        sql += f" AND ({where})"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cur = store.raw.execute(sql, [workspace, *params])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def scoped_delete(store: Store, table: str, workspace: str, *, where: str, params: Sequence[Any] = ()) -> int:
    """Delete rows of ``table`` in ``workspace`` matching ``where``; returns how many went."""
    name = _scoped_table(table)
    clause = f"workspace_id = ? AND ({where})"
    with store.transaction():
        count = store.raw.execute(f"SELECT count(*) FROM {name} WHERE {clause}", [workspace, *params]).fetchall()
        store.raw.execute(f"DELETE FROM {name} WHERE {clause}", [workspace, *params])
    return int(count[0][0])


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise NotFoundError(f"no {what} {value!r} in this workspace")
    return value


def _text(value: str, what: str, limit: int = MAX_NAME) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(f"{what} must not be empty")
    if len(text) > limit:
        raise InvalidInputError(f"{what} is longer than {limit} characters")
    return text


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


# ----------------------------------------------------------------------------------- briefs
def brief_id_of(brief: Brief) -> str:
    """The id a brief is stored under: derived from its content (the same brief, the same id)."""
    body = brief.to_dict()
    return uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(body, sort_keys=True)).hex[:12]


def _brief_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "brief_id": row["brief_id"],
        "name": row["name"],
        "brand": row["brand"],
        "brief": json.loads(row["body"]) if row.get("body") else {},
        "created_at": row["created_at"],
    }


def save_brief(store: Store, workspace: str, brief: Brief, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Store ``brief`` in ``workspace`` (idempotent: the same brief keeps its id)."""
    brief_id = brief_id_of(brief)
    existing = scoped_rows(store, "briefs", workspace, where="brief_id = ?", params=[brief_id])
    if existing:
        return _brief_out(existing[0])
    row = {
        "brief_id": brief_id,
        "name": brief.brand,
        "brand": brief.brand,
        "body": json.dumps(brief.to_dict()),
        "created_at": now or utcnow(),
    }
    store.insert_rows("briefs", [row], workspace=workspace)
    return _brief_out(row)


def list_briefs(store: Store, workspace: str) -> list[dict[str, Any]]:
    rows = scoped_rows(store, "briefs", workspace, order_by="created_at DESC, brief_id")
    return [_brief_out(r) for r in rows]


def get_brief(store: Store, workspace: str, brief_id: str) -> dict[str, Any]:
    rows = scoped_rows(store, "briefs", workspace, where="brief_id = ?", params=[_check_id(brief_id, "brief")])
    if not rows:
        raise NotFoundError(f"no brief {brief_id!r} in this workspace")
    return _brief_out(rows[0])


def run_brief_search(
    store: Store, workspace: str, brief_id: str, *, limit: int = 50, index: BriefIndex | None = None
) -> dict[str, Any]:
    """Run the stored brief through :func:`microscout.matching.search` (from ``index`` when given, a
    server's in-memory matcher); the shortlist is saved."""
    from microscout.matching import search

    stored = get_brief(store, workspace, brief_id)
    brief = parse_brief(stored["brief"], f"brief {brief_id}", reference_dir=store.settings.reference_dir)
    result = search(store, brief, workspace=workspace, limit=limit, index=index)
    out = result.to_dict()
    out["brief_id"] = brief_id
    return out


# --------------------------------------------------------------------------------- searches
def list_searches(store: Store, workspace: str) -> list[dict[str, Any]]:
    """Saved shortlists of ``workspace``, newest first, with their brief's brand."""
    rows = store.raw.execute(
        "SELECT r.search_id, any_value(r.brief_id) AS brief_id, min(r.created_at) AS created_at, "
        "count(*) AS results, any_value(b.brand) AS brand FROM search_results r "
        "LEFT JOIN briefs b ON b.workspace_id = r.workspace_id AND b.brief_id = r.brief_id "
        "WHERE r.workspace_id = ? GROUP BY r.search_id ORDER BY created_at DESC, r.search_id",
        [workspace],
    ).fetchall()
    return [
        {"search_id": s, "brief_id": b, "created_at": c, "results": int(n), "brand": brand}
        for s, b, c, n, brand in rows
    ]


_SEARCH_SQL = """
SELECT r.rank, r.platform, r.creator_id, r.score, r.components, r.weights, r.brief_id, r.created_at,
       c.handle, c.display_name, c.declared_country, c.declared_language, c.followers,
       p.tier, p.er_followers, p.er_low, p.er_high
FROM search_results r
LEFT JOIN creators c ON c.platform = r.platform AND c.creator_id = r.creator_id
LEFT JOIN creator_profiles p ON p.platform = r.platform AND p.creator_id = r.creator_id
WHERE r.workspace_id = ? AND r.search_id = ?
ORDER BY r.rank, r.platform, r.creator_id
"""


def get_search(store: Store, workspace: str, search_id: str) -> dict[str, Any]:
    """A saved shortlist with each creator's score components and reasons."""
    cur = store.raw.execute(_SEARCH_SQL, [workspace, _check_id(search_id, "search")])
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        raise NotFoundError(f"no search {search_id!r} in this workspace")
    results = []
    for r in rows:
        results.append(
            {
                "rank": r["rank"],
                "platform": r["platform"],
                "creator_id": r["creator_id"],
                "handle": r["handle"],
                "creator": f"{r['platform']}:{r['handle']}" if r["handle"] else f"{r['platform']}:{r['creator_id']}",
                "display_name": r["display_name"],
                "country": r["declared_country"],
                "language": r["declared_language"],
                "tier": r["tier"],
                "followers": r["followers"],
                "er": r["er_followers"],
                "er_low": r["er_low"],
                "er_high": r["er_high"],
                "score": r["score"],
                "components": json.loads(r["components"]) if r["components"] else [],
                "flags": [],
            }
        )
    first = rows[0]
    return {
        "search_id": search_id,
        "brief_id": first["brief_id"],
        "created_at": first["created_at"],
        "weights": json.loads(first["weights"]) if first["weights"] else {},
        "results": results,
    }


# ------------------------------------------------------------------------------------ lists
def create_list(
    store: Store, workspace: str, *, name: str, description: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    row = {
        "list_id": _new_id(),
        "name": _text(name, "list name"),
        "description": (description or "").strip()[:MAX_NOTE] or None,
        "created_at": now or utcnow(),
    }
    store.insert_rows("lists", [row], workspace=workspace)
    return {**row, "items": 0}


def list_lists(store: Store, workspace: str) -> list[dict[str, Any]]:
    rows = store.raw.execute(
        "SELECT l.list_id, l.name, l.description, l.created_at, count(i.creator_id) AS items FROM lists l "
        "LEFT JOIN list_items i ON i.workspace_id = l.workspace_id AND i.list_id = l.list_id "
        "WHERE l.workspace_id = ? GROUP BY ALL ORDER BY l.created_at DESC, l.list_id",
        [workspace],
    ).fetchall()
    return [{"list_id": i, "name": n, "description": d, "created_at": c, "items": int(k)} for i, n, d, c, k in rows]


def get_list(store: Store, workspace: str, list_id: str) -> dict[str, Any]:
    rows = scoped_rows(store, "lists", workspace, where="list_id = ?", params=[_check_id(list_id, "list")])
    if not rows:
        raise NotFoundError(f"no list {list_id!r} in this workspace")
    items = store.raw.execute(
        "SELECT i.platform, i.creator_id, c.handle, c.display_name, c.followers, i.added_at, i.added_by "
        "FROM list_items i LEFT JOIN creators c ON c.platform = i.platform AND c.creator_id = i.creator_id "
        "WHERE i.workspace_id = ? AND i.list_id = ? ORDER BY i.added_at, i.platform, i.creator_id",
        [workspace, list_id],
    ).fetchall()
    out = {k: rows[0][k] for k in ("list_id", "name", "description", "created_at")}
    out["items"] = [
        {
            "platform": p,
            "creator_id": cid,
            "creator": f"{p}:{h}" if h else f"{p}:{cid}",
            "display_name": dn,
            "followers": f,
            "added_at": at,
            "added_by": by,
        }
        for p, cid, h, dn, f, at, by in items
    ]
    return out


def delete_list(store: Store, workspace: str, list_id: str) -> None:
    with store.transaction():
        if not scoped_delete(store, "lists", workspace, where="list_id = ?", params=[_check_id(list_id, "list")]):
            raise NotFoundError(f"no list {list_id!r} in this workspace")
        scoped_delete(store, "list_items", workspace, where="list_id = ?", params=[list_id])


def add_list_item(
    store: Store,
    workspace: str,
    list_id: str,
    *,
    platform: str,
    creator_id: str,
    added_by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    get_list(store, workspace, list_id)  # 404 for another workspace's list
    row = {"list_id": list_id, "platform": platform, "creator_id": creator_id, "added_at": now or utcnow()}
    if added_by:
        row["added_by"] = added_by
    existing = scoped_rows(
        store,
        "list_items",
        workspace,
        where="list_id = ? AND platform = ? AND creator_id = ?",
        params=[list_id, platform, creator_id],
    )
    if not existing:
        store.insert_rows("list_items", [row], workspace=workspace)
    return get_list(store, workspace, list_id)


def remove_list_item(store: Store, workspace: str, list_id: str, *, platform: str, creator_id: str) -> None:
    get_list(store, workspace, list_id)
    gone = scoped_delete(
        store,
        "list_items",
        workspace,
        where="list_id = ? AND platform = ? AND creator_id = ?",
        params=[list_id, platform, creator_id],
    )
    if not gone:
        raise NotFoundError(f"{platform}:{creator_id} is not on list {list_id!r}")


def resolve_list(store: Store, workspace: str, ref: str) -> str:
    """The id of the list ``ref`` names: a list id, or a list name unique in ``workspace``."""
    ref = ref.strip()
    if _ID.match(ref) and scoped_rows(store, "lists", workspace, where="list_id = ?", params=[ref]):
        return ref
    rows = scoped_rows(
        store, "lists", workspace, where="lower(name) = lower(?)", params=[ref], order_by="created_at, list_id"
    )
    if not rows:
        raise NotFoundError(f"no list {ref!r} in this workspace")
    if len(rows) > 1:
        ids = ", ".join(r["list_id"] for r in rows)
        raise InvalidInputError(f"list name {ref!r} is ambiguous; use one of the ids {ids}")
    return str(rows[0]["list_id"])


def add_list_items(
    store: Store,
    workspace: str,
    list_id: str,
    creators: Iterable[tuple[str, str]],
    *,
    added_by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Add ``(platform, creator_id)`` pairs to a list; creators already on it keep their entry.

    Returns ``{"list_id", "added", "already"}``.
    """
    get_list(store, workspace, list_id)
    existing = {
        (r["platform"], r["creator_id"])
        for r in scoped_rows(store, "list_items", workspace, where="list_id = ?", params=[list_id])
    }
    at = now or utcnow()
    wanted = list(dict.fromkeys(creators))  # distinct, first occurrence order
    rows = [
        {"list_id": list_id, "platform": platform, "creator_id": creator_id, "added_at": at, "added_by": added_by}
        for platform, creator_id in wanted
        if (platform, creator_id) not in existing
    ]
    store.insert_rows("list_items", rows, workspace=workspace)
    return {"list_id": list_id, "added": len(rows), "already": len(wanted) - len(rows)}


def add_list_items_from_search(
    store: Store,
    workspace: str,
    list_id: str,
    search_id: str,
    *,
    added_by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Add every creator of a saved shortlist (``search_results``)."""
    rows = scoped_rows(
        store,
        "search_results",
        workspace,
        where="search_id = ?",
        params=[_check_id(search_id, "search")],
        columns="platform, creator_id",
        order_by="rank, platform, creator_id",
    )
    if not rows:
        raise NotFoundError(f"no search {search_id!r} in this workspace")
    pairs = [(r["platform"], r["creator_id"]) for r in rows]
    return add_list_items(store, workspace, list_id, pairs, added_by=added_by, now=now)


def add_list_items_from_plan(
    store: Store,
    workspace: str,
    list_id: str,
    plan_id: str,
    *,
    added_by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Add every creator placed in a plan (``placements`` with that ``plan_id``)."""
    rows = scoped_rows(
        store,
        "placements",
        workspace,
        where="plan_id = ? AND creator_id IS NOT NULL",
        params=[_check_id(plan_id, "plan")],
        columns="platform, creator_id",
        order_by="placement_id",
    )
    if not rows:
        raise NotFoundError(f"no plan {plan_id!r} with placements in this workspace")
    pairs = [(r["platform"], r["creator_id"]) for r in rows]
    return add_list_items(store, workspace, list_id, pairs, added_by=added_by, now=now)


LIST_CSV_COLUMNS = ("creator", "platform", "creator_id", "display_name", "followers", "added_at", "added_by")


def export_list_csv(store: Store, workspace: str, list_id: str, path: str | Path) -> int:
    """Write a list's creators to a CSV file (formula-neutralised); returns the number of rows."""
    items = get_list(store, workspace, list_id)["items"]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LIST_CSV_COLUMNS)
        for item in items:
            writer.writerow([safe_cell(item.get(c)) for c in LIST_CSV_COLUMNS])
    return len(items)


# ------------------------------------------------------------------------------------ notes
def _note_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "note_id": row["note_id"],
        "platform": row["platform"],
        "creator_id": row["creator_id"],
        "author": row["author"],
        "body": row["body"],
        "tags": list(row["tags"] or []),
        "created_at": row["created_at"],
    }


def create_note(
    store: Store,
    workspace: str,
    *,
    platform: str,
    creator_id: str,
    body: str,
    author: str | None = None,
    tags: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    clean_tags = sorted({t.strip()[:50] for t in tags if t.strip()})
    if len(clean_tags) > MAX_TAGS:
        raise InvalidInputError(f"at most {MAX_TAGS} tags per note")
    row = {
        "note_id": _new_id(),
        "platform": platform,
        "creator_id": creator_id,
        "author": author,
        "body": _text(body, "note", MAX_NOTE),
        "tags": clean_tags,
        "created_at": now or utcnow(),
    }
    store.insert_rows("notes", [row], workspace=workspace)
    return _note_out(row)


def list_notes(
    store: Store,
    workspace: str,
    *,
    platform: str | None = None,
    creator_id: str | None = None,
    tag: str | None = None,
) -> list[dict[str, Any]]:
    """Notes of ``workspace``, newest first: of one creator, and/or carrying ``tag``."""
    clauses: list[str] = []
    params: list[Any] = []
    if platform is not None and creator_id is not None:
        clauses.append("platform = ? AND creator_id = ?")
        params += [platform, creator_id]
    if tag:
        clauses.append("list_contains(tags, ?)")
        params.append(tag.strip()[:50])
    where = " AND ".join(clauses)
    rows = scoped_rows(store, "notes", workspace, where=where, params=params, order_by="created_at DESC, note_id")
    return [_note_out(r) for r in rows]


def delete_note(store: Store, workspace: str, note_id: str) -> None:
    if not scoped_delete(store, "notes", workspace, where="note_id = ?", params=[_check_id(note_id, "note")]):
        raise NotFoundError(f"no note {note_id!r} in this workspace")


# ------------------------------------------------------------------------------------- jobs
def _job_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_id": row["job_id"],
        "kind": row["kind"],
        "status": row["status"],
        "progress": row["progress"],
        "result": json.loads(row["result"]) if row.get("result") else None,
        "error": row.get("error"),
        "created_at": row["created_at"],
        "finished_at": row.get("finished_at"),
    }


def create_job(store: Store, workspace: str, *, kind: str, now: dt.datetime | None = None) -> dict[str, Any]:
    row = {
        "job_id": _new_id(),
        "kind": kind,
        "status": "queued",
        "progress": 0.0,
        "result": None,
        "error": None,
        "created_at": now or utcnow(),
        "finished_at": None,
    }
    store.insert_rows("jobs", [row], workspace=workspace)
    return _job_out(row)


def update_job(
    store: Store,
    workspace: str,
    job_id: str,
    *,
    status: str | None = None,
    progress: float | None = None,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    finished: bool = False,
) -> None:
    row: dict[str, Any] = {"job_id": job_id}
    if status is not None:
        row["status"] = status
    if progress is not None:
        row["progress"] = float(min(1.0, max(0.0, progress)))
    if result is not None:
        row["result"] = json.dumps(result, default=str, ensure_ascii=False)
    if error is not None:
        row["error"] = error
    if finished:
        row["finished_at"] = utcnow()
    store.insert_rows("jobs", [row], workspace=workspace)


def get_job(store: Store, workspace: str, job_id: str) -> dict[str, Any]:
    rows = scoped_rows(store, "jobs", workspace, where="job_id = ?", params=[_check_id(job_id, "job")])
    if not rows:
        raise NotFoundError(f"no job {job_id!r} in this workspace")
    return _job_out(rows[0])


def list_jobs(store: Store, workspace: str, *, kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    where, params = ("kind = ?", [kind]) if kind else ("", [])
    rows = scoped_rows(
        store, "jobs", workspace, where=where, params=params, order_by="created_at DESC, job_id", limit=limit
    )
    return [_job_out(r) for r in rows]
