"""Platform connectors: official APIs and creator-authorised data, loss-free and resumable.

One module per source (``bluesky``, ``instagram``, ``mastodon``, ``tiktok``, ``x``, ``youtube``),
one HTTP layer (:mod:`microscout.connectors.http`), one runner that writes every page through the
canonical validation and quarantine (:mod:`microscout.connectors.run`), and creator authorisation
(:mod:`microscout.connectors.oauth`). docs/connectors.md describes the access each platform needs.
"""

from __future__ import annotations

from microscout.connectors import bluesky as _bluesky  # noqa: F401  (registers the built-in sources)
from microscout.connectors import instagram as _instagram  # noqa: F401
from microscout.connectors import mastodon as _mastodon  # noqa: F401
from microscout.connectors import tiktok as _tiktok  # noqa: F401
from microscout.connectors import x as _x  # noqa: F401
from microscout.connectors import youtube as _youtube  # noqa: F401
from microscout.connectors.base import SOURCES, Request, Source, get_source, register
from microscout.connectors.run import RunResult
from microscout.connectors.session import Runtime, ingest_source, open_source, refresh_creators

__all__ = [
    "SOURCES",
    "Request",
    "RunResult",
    "Runtime",
    "Source",
    "get_source",
    "ingest_source",
    "open_source",
    "refresh_creators",
    "register",
]
