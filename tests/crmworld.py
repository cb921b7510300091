"""A small store for the working-with-creators tests: four creators (Portuguese, Arabic, Japanese and a
formula-injection display name) and campaign c1 with two placements."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from microscout.store import Store

NOW = dt.datetime(2026, 11, 1, 9, 0)
WS, OTHER = "default", "rival"
PASSWORD = "pw-Zq93-never-stored"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))

CREATORS = [
    ("1", "ana.fit", "Ana Fit", "ana@example.com", "pt"),
    ("2", "layla", "ليلى", "layla@example.com", "ar"),
    ("3", "yuki", "ゆき", None, "ja"),
    ("4", "mia", '=HYPERLINK("http://evil.example","x")', "mia@example.com", "en"),
]


def seed(store: Store, workspace_id: str = WS) -> None:
    """Four creators, campaign c1 (Summer Glow by Solara) with placements for ana.fit and layla."""
    store.insert_rows(
        "creators",
        [
            {
                "platform": "instagram",
                "creator_id": cid,
                "handle": handle,
                "display_name": name,
                "contact_email": mail,
                "declared_language": lang,
                "followers": 5000 + int(cid),
            }
            for cid, handle, name, mail, lang in CREATORS
        ],
    )
    store.ensure_workspace(workspace_id)
    store.insert_rows(
        "campaigns",
        [{"campaign_id": "c1", "name": "Summer Glow", "brand": "Solara", "status": "running", "created_at": NOW}],
        workspace=workspace_id,
    )
    store.insert_rows(
        "placements",
        [
            {
                "placement_id": "c1-001",
                "campaign_id": "c1",
                "platform": "instagram",
                "creator_id": "1",
                "market": "BR",
                "deliverables": json.dumps([{"kind": "story", "count": 2}, {"kind": "reel", "count": 1}]),
                "fee": Decimal("1200.00"),
                "currency": "EUR",
                "due_date": dt.date(2026, 11, 15),
                "status": "planned",
            },
            {
                "placement_id": "c1-002",
                "campaign_id": "c1",
                "platform": "instagram",
                "creator_id": "2",
                "market": "AE",
                "deliverables": json.dumps([{"kind": "post", "count": 1}]),
                "fee": Decimal("800.00"),
                "currency": "USD",
                "due_date": dt.date(2026, 11, 20),
                "status": "planned",
            },
        ],
        workspace=workspace_id,
    )


def write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``; return the path (proof files for the tests)."""
    path.write_bytes(data)
    return path
