"""A small world for the server tests: creators whose texts carry XSS payloads, two workspaces,
users and API keys for every role. Built once per test module (real DuckDB file)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from microscout.accounts import create_api_key, create_user, create_workspace
from microscout.config import Settings
from microscout.ingest import ingest_files
from microscout.metrics import profile_creators
from microscout.store import Store, connect

NOW_TEXT = "2026-09-{day:02d}T10:00:00Z"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_NAME = "<b onmouseover=alert(2)>Ana</b>"
PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")
WORKSPACES = ("acme", "globex")

CREATORS = [
    # id, handle, followers, country, language, platform
    ("1", "ana.fit", 5000, "BR", "pt", "instagram"),
    ("2", "bia", 8000, "BR", "pt", "instagram"),
    ("3", "carl", 20000, "DE", "de", "instagram"),
    ("4", "dora", 500, "BR", "pt", "instagram"),
    ("5", "eve", 6000, "US", "en", "tiktok"),
    ("6", "fabi", 7000, "PT", "pt", "tiktok"),
    ("7", "gus", 9000, "BR", "pt", "tiktok"),
    ("8", "hana", 40000, "JP", "ja", "youtube"),
    ("9", "ivo", 3000, "DE", "de", "youtube"),
    ("10", "jon", 150000, "US", "en", "instagram"),
]


def write_world(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "creators.jsonl", "w") as fh:
        for cid, handle, followers, country, lang, platform in CREATORS:
            record = {
                "platform": platform,
                "creator_id": cid,
                "handle": handle,
                "display_name": XSS_NAME if cid == "1" else handle.title(),
                "bio": XSS if cid == "1" else f"Creator {handle}",
                "followers": followers,
                "declared_country": country,
                "declared_language": lang,
                "profile_url": "javascript:alert(3)" if cid == "1" else f"https://example.org/{handle}",
            }
            fh.write(json.dumps(record) + "\n")
    with open(folder / "posts.jsonl", "w") as fh, open(folder / "comments.jsonl", "w") as cf:
        for cid, _handle, _followers, _country, _lang, platform in CREATORS:
            for i in range(8):
                post_id = f"{cid}-{i}"
                caption = XSS if (cid == "1" and i == 7) else f"summer day {i}"
                fh.write(
                    json.dumps(
                        {
                            "platform": platform,
                            "post_id": post_id,
                            "creator_id": cid,
                            "published_at": NOW_TEXT.format(day=i + 1),
                            "likes": 40 * int(cid) + 3 * i,
                            "comments": 3 + i % 2,
                            "caption": caption,
                            "hashtags": ["skincare"] if i % 2 else ["travel"],
                        }
                    )
                    + "\n"
                )
                cf.write(
                    json.dumps(
                        {
                            "platform": platform,
                            "comment_id": f"c{post_id}",
                            "post_id": post_id,
                            "author_id": f"a{i}",
                            "author_handle": "<i>fan</i>" if cid == "1" else f"fan{i}",
                            "text": XSS if cid == "1" else "nice",
                            "published_at": NOW_TEXT.format(day=i + 2),
                        }
                    )
                    + "\n"
                )


@dataclass
class World:
    store: Store
    settings: Settings
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (workspace, role) -> token
    emails: dict[tuple[str, str], str] = field(default_factory=dict)  # (workspace, role) -> email


def build_world(folder: Path, *, with_users: bool = True) -> World:
    from microscout.store.schema import TABLES

    settings = Settings(db=str(folder / "server.duckdb"), session_secret="test-secret-" + "x" * 20)
    store = connect(settings.db, settings=settings)
    write_world(folder / "world")
    ingest_files(store, [folder / "world"], workspace="default")
    profile_creators(store)
    extra = {
        "aqs": 82.0,
        "aqs_low": 74.0,
        "aqs_high": 90.0,
        "aqs_signals": json.dumps({"suspicious_followers": 6.0, "pod": None}),
    }
    if "audience_markets" in TABLES["creator_profiles"].columns:
        extra |= {
            "audience_markets": json.dumps({"BR": 0.7, "PT": 0.2, "<svg onload=alert(4)>": 0.1}),
            "content_languages": json.dumps({"pt": 0.9, "en": 0.1}),
            "home_market": "BR",
            "niches": ["beauty", "fitness"],
        }
    store.insert_rows("creator_profiles", [{"platform": "instagram", "creator_id": "1", **extra}])
    store.insert_rows(
        "creator_profiles",
        [{"platform": "instagram", "creator_id": "3", "aqs": 40.0, "aqs_low": 30.0, "aqs_high": 52.0}],
    )
    world = World(store, settings)
    if with_users:
        for ws in WORKSPACES:
            create_workspace(store, ws)
            for role in ROLES:
                email = f"{role}@{ws}.example"
                create_user(store, ws, email=email, password=PASSWORD, role=role)
                world.emails[(ws, role)] = email
                world.keys[(ws, role)] = create_api_key(store, ws, name=f"{role} key", role=role)[1]
    return world


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(html: str) -> str:
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def login(client, email: str, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Log ``client`` in through the form; returns the CSRF token of the session."""
    page = client.get("/login")
    token = csrf_of(page.text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/discover"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/discover").text)
