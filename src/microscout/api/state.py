"""What one running server holds: the store, a pool of per-request cursors, the creator index.

DuckDB allows one read-write process per database file. The server is that process: it opens the
store once and gives every request (and every job thread) its own cursor — a DuckDB connection to
the same database, safe to use from one thread at a time — wrapped as a
:class:`~microscout.store.Store`, so library functions run unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import ibis

from microscout.config import Settings
from microscout.discovery import CreatorFilters, CreatorIndex, CreatorPage
from microscout.store import Store

if TYPE_CHECKING:
    from microscout.matching_index import BriefIndex

logger = logging.getLogger(__name__)

KEY_TTL = 30.0  # seconds a verified API key is trusted without a store lookup

# Session settings every connection of the store needs (as in Store.__init__): a cursor starts from
# DuckDB's defaults, not from its parent's settings.
_SESSION_SETUP = (
    "SET TimeZone = 'UTC'",
    "SET enable_progress_bar = false",
    "SET lambda_syntax = 'ENABLE_SINGLE_ARROW'",
)


class CursorStore(Store):
    """A :class:`Store` over a cursor of another store's connection (one thread at a time)."""

    def __init__(self, parent: Store) -> None:  # no super().__init__: the database is already open
        self.settings = parent.settings
        self.location = parent.location
        self.raw = parent.raw.cursor()
        for statement in _SESSION_SETUP:
            self.raw.execute(statement)
        self._ibis: Any = None
        self._depth = 0
        self.migrated_from = None

    @property
    def con(self) -> Any:
        """The Ibis backend, made on first use (it costs milliseconds; many requests never need it)."""
        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self.raw)
        return self._ibis

    @con.setter
    def con(self, value: Any) -> None:
        self._ibis = value


class StorePool:
    """Cursor stores reused across requests; each is held by one request or job at a time."""

    def __init__(self, parent: Store, *, keep: int = 32) -> None:
        self.parent = parent
        self.keep = keep
        self._idle: list[CursorStore] = []
        self._lock = threading.Lock()

    @contextmanager
    def acquire(self) -> Iterator[CursorStore]:
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            store = CursorStore(self.parent)
        try:
            yield store
        finally:  # a failed request leaves no open transaction (Store.transaction rolls back)
            self._release(store)

    def _release(self, store: CursorStore) -> None:
        with self._lock:
            if store._depth == 0 and len(self._idle) < self.keep:
                self._idle.append(store)
                return
        store.raw.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for store in idle:
            store.raw.close()


class AppState:
    """The server's shared state (``app.state.microscout``)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        owns_store: bool = False,
    ) -> None:
        from microscout.api.jobs import JobRunner
        from microscout.api.security import RateLimiter, Sessions

        self.store = store
        self.settings = settings
        self.clock = clock
        self.owns_store = owns_store
        self.pool = StorePool(store)
        secret = settings.session_secret.get_secret_value() if settings.session_secret else None
        if not secret:
            secret = secrets.token_urlsafe(32)
            logger.warning("MICROSCOUT_SESSION_SECRET is not set: sessions end when the server restarts")
        self.sessions = Sessions(secret, max_age=settings.session_hours * 3600)
        self.limiter = RateLimiter(capacity=settings.login_attempts_per_minute, per_seconds=60.0, clock=clock)
        self.jobs = JobRunner(self)
        self._index: CreatorIndex | None = None
        self._index_lock = threading.Lock()
        self._brief_index: BriefIndex | None = None
        self._brief_index_lock = threading.Lock()
        self._keys: dict[str, tuple[Any, float]] = {}
        self._keys_lock = threading.Lock()

    # ---- verified API keys (a key is looked up in the store once per KEY_TTL) ------------------
    def cached_key(self, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._keys_lock:
            hit = self._keys.get(digest)
        if hit is None or self.clock() - hit[1] > KEY_TTL:
            return None
        return hit[0]

    def remember_key(self, token: str, principal: Any) -> None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._keys_lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[digest] = (principal, self.clock())

    def forget_key(self, key_id: str) -> None:
        """Drop a revoked key at once (the store is only written through this server)."""
        with self._keys_lock:
            for digest in [d for d, (p, _) in self._keys.items() if getattr(p, "subject_id", None) == key_id]:
                del self._keys[digest]

    # ---- the creator index -------------------------------------------------------------
    @property
    def index_ready(self) -> bool:
        return self._index is not None

    def index(self) -> CreatorIndex:
        """The in-memory creator index (built on first use)."""
        return cast(CreatorIndex, self._built("_index", self._index_lock, CreatorIndex.build))

    def brief_index(self) -> BriefIndex:
        """The in-memory brief matcher (built on the first brief search, seconds at a million creators)."""
        from microscout.matching_index import BriefIndex

        return cast(BriefIndex, self._built("_brief_index", self._brief_index_lock, BriefIndex.build))

    def refresh_index(self) -> None:
        """Rebuild the creator index (after a job wrote public data); searches use the old one meanwhile.
        The brief index, when one was built, is rebuilt too."""
        with self._index_lock:
            self._build("_index", CreatorIndex.build)
        if self._brief_index is not None:
            from microscout.matching_index import BriefIndex

            with self._brief_index_lock:
                self._build("_brief_index", BriefIndex.build)

    def _built(self, attr: str, lock: threading.Lock, build: Callable[[Store], Any]) -> Any:
        value = getattr(self, attr)
        if value is None:
            with lock:
                if getattr(self, attr) is None:
                    self._build(attr, build)
                value = getattr(self, attr)
        return value

    def _build(self, attr: str, build: Callable[[Store], Any]) -> None:
        started = time.perf_counter()
        with self.pool.acquire() as store:
            value = build(store)
        setattr(self, attr, value)
        name = attr.strip("_").replace("_", " ")
        logger.info("%s: %d creators in %.2f s", name, value.size, time.perf_counter() - started)

    def search_creators(
        self, filters: CreatorFilters, *, sort: str, descending: bool, limit: int, offset: int
    ) -> CreatorPage:
        return self.index().search(filters, sort=sort, descending=descending, limit=limit, offset=offset)

    # ---- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.jobs.shutdown()
        self.pool.close()
        if self.owns_store:
            self.store.close()
