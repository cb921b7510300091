"""Sources: plugins that map a platform's documented JSON into canonical rows, page by page.

A :class:`Source` turns a :class:`Request` (a handle, a hashtag, a query and how much to fetch)
into :class:`Page` objects. Each page carries the canonical rows it produced and the complete
resume state *after* it (:class:`State`), which the runner stores as the run's checkpoint in the
same transaction as the rows: an interrupted run continues at the first page it had not written.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from microscout.connectors.http import ApiProblem, Clock, HttpClient, NotFoundOnPlatformError
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store.schema import TABLES

__all__ = [
    "SOURCES",
    "Page",
    "Records",
    "Request",
    "Source",
    "State",
    "get_source",
    "register",
]

logger = logging.getLogger(__name__)

SOURCES: dict[str, type[Source]] = {}

Pseudonymise = Callable[[str, str], str]
_TAG = re.compile(r"#(\w+)", re.UNICODE)
_MENTION = re.compile(r"(?<![\w@])@([\w.\-]+(?:@[\w.\-]+)?)", re.UNICODE)


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source available by its ``name``."""
    SOURCES[cls.name] = cls
    return cls


def get_source(name: str) -> type[Source]:
    from microscout import connectors  # noqa: F401  (imports the built-in sources)

    try:
        return SOURCES[name]
    except KeyError:
        raise NotFoundError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


@dataclass
class Request:
    """What to fetch. Only fields that differ from the defaults identify a run (for resuming)."""

    handle: str | None = None
    hashtag: str | None = None
    query: str | None = None
    posts: int = 50
    followers: int = 0
    comments: int = 0  # comments per post (0: none)
    comment_posts: int = 10  # how many of the fetched posts get their comments pulled
    connected: bool = False  # creator-authorised data of connected accounts
    tags: bool = False  # posts the brand's own account is tagged in (Instagram)
    top: bool = False  # top instead of recent media for a hashtag (Instagram)
    days: int = 30  # search window in days where the API needs one (TikTok Research)
    instance: str | None = None  # Mastodon instance host

    def args(self) -> dict[str, Any]:
        default = Request()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}


@dataclass
class Page:
    """Rows of one fetched page and the resume state after it."""

    records: Records
    state: dict[str, Any]
    label: str = ""
    done: int = 0
    total: int = 0


class Records:
    """Canonical rows of one page, per table, with their position and raw payload.

    Rows repeating a natural key within the page are merged (the later values win), so the counts
    of a page reconcile with the distinct records it holds.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[dict[str, Any], str, Any]]] = {}
        self._where: dict[tuple[str, tuple[Any, ...]], int] = {}
        self.rejected: list[tuple[str, str, str, Any]] = []  # table, position, reason, raw
        self._positions: dict[str, set[str]] = {}

    def add(self, table: str, row: dict[str, Any], *, position: str, raw: Any = None) -> None:
        if isinstance(row.get("extras"), dict):
            row = {**row, "extras": {k: v for k, v in row["extras"].items() if v is not None} or None}
        key = tuple(row.get(k) for k in TABLES[table].key if k != "workspace_id")
        rows = self.rows.setdefault(table, [])
        position = self._unique(table, position)
        if all(v not in (None, "") for v in key):
            at = self._where.get((table, key))
            if at is not None:
                old, pos, old_raw = rows[at]
                rows[at] = ({**old, **row}, pos, raw if raw is not None else old_raw)
                return
            self._where[(table, key)] = len(rows)
        rows.append((row, position, raw if raw is not None else row))

    def reject(self, table: str, position: str, reason: str, raw: Any) -> None:
        self.rejected.append((table, self._unique(table, position), reason, raw))

    def _unique(self, table: str, position: str) -> str:
        """Positions name quarantined records: two records of one table never share one."""
        seen = self._positions.setdefault(table, set())
        candidate, n = position, 1
        while candidate in seen:
            n += 1
            candidate = f"{position} #{n}"
        seen.add(candidate)
        return candidate

    def extend(self, other: Records) -> None:
        for table, rows in other.rows.items():
            for row, pos, raw in rows:
                self.add(table, row, position=pos, raw=raw)
        self.rejected.extend(other.rejected)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, [])) + sum(1 for r in self.rejected if r[0] == table)

    def __len__(self) -> int:
        return sum(len(v) for v in self.rows.values()) + len(self.rejected)


class State:
    """Resume state of a source run: finished steps, each step's cursor and count, shared context."""

    def __init__(self, saved: Mapping[str, Any] | None = None) -> None:
        base: dict[str, Any] = {"done": [], "cursor": {}, "count": {}, "pages": {}, "ctx": {}}
        base.update(copy.deepcopy(dict(saved or {})))
        self.data = base

    @property
    def ctx(self) -> dict[str, Any]:
        ctx: dict[str, Any] = self.data["ctx"]
        return ctx

    def is_done(self, step: str) -> bool:
        return step in self.data["done"]

    def cursor(self, step: str) -> Any:
        return self.data["cursor"].get(step)

    def count(self, step: str) -> int:
        return int(self.data["count"].get(step, 0))

    def position(self, step: str, i: int, key: str | None = None) -> str:
        page = int(self.data["pages"].get(step, 0)) + 1
        return f"{step}{' ' + key if key else ''} page {page} item {i + 1}"

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    def mark_done(self, step: str) -> None:
        if step not in self.data["done"]:
            self.data["done"].append(step)
        self.data["cursor"].pop(step, None)

    def page(
        self, step: str, records: Records, *, cursor: Any, n: int, limit: int | None = None, label: str = ""
    ) -> Page:
        """Close one page of ``step``: ``cursor`` continues it (None: the step is finished)."""
        before = self.cursor(step)
        self.data["count"][step] = self.count(step) + n
        self.data["pages"][step] = int(self.data["pages"].get(step, 0)) + 1
        finished = cursor is None or (limit is not None and self.count(step) >= limit) or (n == 0 and cursor == before)
        if finished:
            self.mark_done(step)
        else:
            self.data["cursor"][step] = cursor
        return Page(records, self.snapshot(), label or step, self.count(step), limit or 0)


def paginate(
    state: State,
    step: str,
    fetch: Callable[[Any, int | None], tuple[Records, Any, int]],
    *,
    limit: int | None,
    label: str = "",
) -> Iterator[Page]:
    """Run ``fetch(cursor, remaining) -> (records, next cursor, items)`` until the step is done."""
    while not state.is_done(step):
        remaining = None if limit is None else max(0, limit - state.count(step))
        if remaining == 0:
            state.mark_done(step)
            return
        records, nxt, n = fetch(state.cursor(step), remaining)
        yield state.page(step, records, cursor=nxt, n=n, limit=limit, label=label)


def for_each(
    state: State,
    step: str,
    keys: list[str],
    fetch: Callable[[str, Any, int | None], tuple[Records, Any, int]],
    *,
    per_item: int | None,
    label: str = "",
) -> Iterator[Page]:
    """Paginate ``fetch(key, cursor, remaining)`` for every key in turn (e.g. comments per post)."""
    if state.is_done(step):
        return
    saved = state.cursor(step) or {"i": 0, "c": None, "n": 0}
    i, cursor, n = int(saved["i"]), saved["c"], int(saved["n"])
    while i < len(keys):
        remaining = None if per_item is None else max(0, per_item - n)
        try:
            records, nxt, got = fetch(keys[i], cursor, remaining)
        except NotFoundOnPlatformError as exc:  # deleted or hidden since it was listed: skip it
            logger.info("skipping %s %s: %s", step, keys[i], exc.message)
            records, nxt, got = Records(), None, 0
        n += got
        if nxt is None or (per_item is not None and n >= per_item) or (got == 0 and nxt == cursor):
            i, cursor, n = i + 1, None, 0
        else:
            cursor = nxt
        state.data["cursor"][step] = {"i": i, "c": cursor, "n": n}
        state.data["count"][step] = state.count(step) + got
        state.data["pages"][step] = int(state.data["pages"].get(step, 0)) + 1
        if i >= len(keys):
            state.mark_done(step)
        yield Page(records, state.snapshot(), label or step, i, len(keys))
    state.mark_done(step)


# ---- the base class -----------------------------------------------------------------------------
class Source(ABC):
    """A platform connector. Subclasses set the class attributes and implement :meth:`pages`."""

    name: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    base_url: ClassVar[str] = ""
    credential_env: ClassVar[str | None] = None  # environment variable holding the token or key
    credential_required: ClassVar[bool] = True
    credential_place: ClassVar[str] = "bearer"  # bearer | query
    credential_param: ClassVar[str] = "access_token"
    option_env: ClassVar[dict[str, str]] = {}  # option name -> environment variable
    oauth: ClassVar[bool] = False  # can use tokens of accounts connected with `microscout connect`

    def __init__(
        self,
        http: HttpClient,
        *,
        pseudonymise: Pseudonymise,
        clock: Clock,
        options: Mapping[str, str] | None = None,
        connected: list[Any] | None = None,
    ) -> None:
        self.http = http
        self._pseudonymise = pseudonymise
        self.clock = clock
        self.options = dict(options or {})
        self.connected = connected or []  # (Token, Credential) of accounts connected with `microscout connect`
        self.notes: list[str] = []  # shown after the run (quota spent, parts skipped)
        if http.describe_error is None:
            http.describe_error = self.describe_error

    # ---- to implement ----------------------------------------------------------------------
    @abstractmethod
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        """The pages of records ``request`` yields, resuming from ``state``."""

    def describe_error(self, response: Any) -> ApiProblem | None:
        """Read the platform's documented error body (override per platform)."""
        return None

    @classmethod
    def base_url_for(cls, request: Request) -> str:
        return cls.base_url

    @classmethod
    def check(cls, request: Request) -> None:
        """Reject a request this source cannot serve (InvalidInputError)."""
        if not (request.handle or request.hashtag or request.query or request.connected or request.tags):
            raise InvalidInputError(f"ingest {cls.name}: give --handle, --hashtag or --query")

    # ---- helpers for subclasses ----------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The run's clock as naive UTC, to the second (the store's timestamp convention)."""
        return dt.datetime.fromtimestamp(int(self.clock.time()), dt.UTC).replace(tzinfo=None)

    def now_iso(self) -> str:
        return self.now().isoformat() + "Z"

    def pseudonym(self, raw_id: Any) -> str:
        return self._pseudonymise(self.platform, str(raw_id))

    def audience_row(
        self,
        raw_id: Any,
        *,
        username: str | None,
        followers: Any = None,
        following: Any = None,
        posts: Any = None,
        bio: str | None = None,
        has_profile_pic: bool | None = None,
        is_private: bool | None = None,
        has_external_url: bool | None = None,
        extras: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A sampled account under its pseudonym: counts and shape features only, never names."""
        name = username or ""
        return {
            "platform": self.platform,
            "account_id": self.pseudonym(raw_id),
            "followers": followers,
            "following": following,
            "posts": posts,
            "bio_length": None if bio is None else len(bio),
            "has_profile_pic": has_profile_pic,
            "is_private": is_private,
            "username_length": len(name) if username is not None else None,
            "username_digits": sum(ch.isdigit() for ch in name) if username is not None else None,
            "has_external_url": has_external_url,
            "extras": {k: v for k, v in (extras or {}).items() if v is not None} or None,
        }

    def edge(self, creator_id: str, account_id: str, relation: str) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "creator_id": creator_id,
            "account_id": account_id,
            "relation": relation,
            "observed_at": self.now_iso(),
        }


# ---- small mapping helpers ----------------------------------------------------------------------
def leftovers(item: Mapping[str, Any], used: tuple[str, ...] | set[str], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Fields of ``item`` the mapping did not use: kept in ``extras``."""
    return {k: v for k, v in item.items() if k not in used and k not in drop and v is not None}


def as_object(item: Any, what: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"{what} is not a JSON object")
    return item


def hashtags_in(text: str | None) -> list[str]:
    return list(dict.fromkeys(t.lower() for t in _TAG.findall(text or "")))


def mentions_in(text: str | None) -> list[str]:
    return list(dict.fromkeys(m.rstrip(".") for m in _MENTION.findall(text or "")))


def epoch_iso(value: Any) -> Any:
    """Epoch seconds as ISO 8601 UTC; anything else unchanged (validation reports it)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None).isoformat() + "Z"
    return value
