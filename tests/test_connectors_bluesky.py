"""Bluesky connector against recorded AppView responses (documented lexicon shapes)."""

from __future__ import annotations

import json

import httpx
import pytest

from connector_fakes import DATA_TABLES, Api, FakeClock, Killed, all_text, fetch, table_rows
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import ConnectorError, NotFoundOnPlatformError

ALICE = "did:plc:alice111"
BOB = "did:plc:bob222"


def uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def author(did: str, handle: str) -> dict:
    name = "Alice Sun" if did == ALICE else handle.split(".")[0].title()
    return {"did": did, "handle": handle, "displayName": name, "avatar": "https://cdn/a.jpg"}


def post(did: str, handle: str, rkey: str, text: str, created: str, **extra) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created, "langs": ["en"]}
    record.update(extra.pop("record", {}))
    return {
        "uri": uri(did, rkey),
        "cid": f"bafy{rkey}",
        "author": author(did, handle),
        "record": record,
        "replyCount": extra.pop("replyCount", 0),
        "repostCount": extra.pop("repostCount", 0),
        "likeCount": extra.pop("likeCount", 0),
        "quoteCount": extra.pop("quoteCount", 0),
        "indexedAt": created,
        "labels": [],
        **extra,
    }


PROFILE = {
    "did": ALICE,
    "handle": "alice.bsky.social",
    "displayName": "Alice Sun",
    "description": "Skincare for sensitive skin. Lisbon.",
    "avatar": "https://cdn/alice.jpg",
    "followersCount": 1520,
    "followsCount": 310,
    "postsCount": 240,
    "indexedAt": "2026-01-01T00:00:00.000Z",
    "createdAt": "2024-03-01T00:00:00.000Z",
    "labels": [],
    "viewer": {"muted": False},
}
P1 = post(
    ALICE,
    "alice.bsky.social",
    "p1",
    "Mineral sunscreen day #skincare with @bob.bsky.social",
    "2026-10-20T10:00:00.000Z",
    likeCount=40,
    replyCount=2,
    repostCount=3,
    quoteCount=1,
    record={
        "facets": [{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "SkinCare"}]}],
        "embed": {"$type": "app.bsky.embed.record", "record": {"uri": uri(BOB, "b0"), "cid": "bafyb0"}},
    },
)
BOB_POST = post(BOB, "bob.bsky.social", "b1", "Reef-safe picks", "2026-10-18T08:00:00Z", likeCount=12)
P2 = post(ALICE, "alice.bsky.social", "p2", "Rainy day, no sunscreen needed?", "2026-10-10T09:30:00Z")
BAD = post(ALICE, "alice.bsky.social", "p3", "broken counts", "2026-10-05T09:30:00Z", likeCount="lots")
FEED_1 = {
    "cursor": "c1",
    "feed": [
        {"post": P1},
        {
            "post": BOB_POST,
            "reason": {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": author(ALICE, "alice.bsky.social"),
                "indexedAt": "2026-10-19T12:00:00Z",
            },
        },
    ],
}
FEED_2 = {"feed": [{"post": P2}, {"post": BAD}]}
FOLLOWERS_1 = {
    "subject": PROFILE,
    "cursor": "f1",
    "followers": [
        {
            "did": "did:plc:erin",
            "handle": "erin.bsky.social",
            "description": "hi",
            "avatar": "x",
            "createdAt": "2025-01-01T00:00:00Z",
        },
        {"did": "did:plc:frank", "handle": "frank99.bsky.social", "createdAt": "2026-10-01T00:00:00Z"},
    ],
}
FOLLOWERS_2 = {"subject": PROFILE, "followers": [{"did": "did:plc:gina", "handle": "gina.example.com"}]}
REPLY = post("did:plc:carol", "carol.bsky.social", "r1", "Which SPF?", "2026-10-20T11:00:00Z", likeCount=2)
REPLY_BACK = post(ALICE, "alice.bsky.social", "r2", "SPF 50!", "2026-10-20T11:05:00Z")
THREAD_P1 = {
    "thread": {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": P1,
        "replies": [
            {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": REPLY,
                "replies": [{"post": REPLY_BACK, "replies": []}],
            },
            {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri("did:plc:x", "gone"), "notFound": True},
        ],
    }
}
THREAD_P2 = {"thread": {"post": P2, "replies": []}}
QUOTE = post(
    "did:plc:dave",
    "dave.bsky.social",
    "q1",
    "Great tip ^",
    "2026-10-21T10:00:00Z",
    record={"embed": {"$type": "app.bsky.embed.record", "record": {"uri": uri(ALICE, "p1"), "cid": "bafyp1"}}},
)


def recorded(api: Api | None = None) -> Api:
    api = api or Api()
    api.add("app.bsky.actor.getProfile", PROFILE, params={"actor": "alice.bsky.social"})
    api.add("app.bsky.feed.getAuthorFeed", FEED_2, params={"cursor": "c1"})
    api.add("app.bsky.feed.getAuthorFeed", FEED_1)
    api.add("app.bsky.graph.getFollowers", FOLLOWERS_2, params={"cursor": "f1"})
    api.add("app.bsky.graph.getFollowers", FOLLOWERS_1)
    api.add("app.bsky.feed.getPostThread", THREAD_P1, params={"uri": uri(ALICE, "p1")})
    api.add("app.bsky.feed.getPostThread", THREAD_P2, params={"uri": uri(ALICE, "p2")})
    api.add("app.bsky.feed.getQuotes", {"uri": uri(ALICE, "p1"), "posts": [QUOTE]}, params={"uri": uri(ALICE, "p1")})
    for rkey in ("p2", "p3"):
        api.add("app.bsky.feed.getQuotes", {"uri": uri(ALICE, rkey), "posts": []}, params={"uri": uri(ALICE, rkey)})
    gone = {"error": "NotFound", "message": "Post not found"}
    api.add("app.bsky.feed.getPostThread", gone, status=400, params={"uri": uri(ALICE, "p3")})
    return api


REQUEST = Request(handle="alice.bsky.social", posts=10, followers=10, comments=5)


def test_bluesky_maps_profile_posts_followers_replies_and_quotes(store):
    api = recorded()
    result = ingest_source(store, "bluesky", REQUEST, runtime=api.runtime())
    assert api.unmatched == []
    assert result.status == "completed"
    creator = fetch(store, "SELECT * FROM creators WHERE creator_id = ?", [ALICE])[0]
    assert (creator["handle"], creator["followers"], creator["following"], creator["posts_count"]) == (
        "alice.bsky.social",
        1520,
        310,
        240,
    )
    assert json.loads(creator["extras"])["createdAt"] == "2024-03-01T00:00:00.000Z"
    assert "viewer" not in json.loads(creator["extras"])
    snap = store.sql("SELECT followers FROM creator_snapshots WHERE creator_id = ?", [ALICE])
    assert snap.followers.tolist() == [1520]
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    p1 = posts[uri(ALICE, "p1")]
    assert (p1["likes"], p1["comments"], p1["shares"], p1["saves"], p1["views"]) == (40, 2, 3, None, None)
    assert p1["hashtags"] == ["skincare"] and p1["mentions"] == ["bob.bsky.social"]
    assert p1["quote_of"] == uri(BOB, "b0") and p1["published_at"].isoformat() == "2026-10-20T10:00:00"
    repost = posts[f"repost:{ALICE}:{uri(BOB, 'b1')}"]
    assert repost["repost_of"] == uri(BOB, "b1") and repost["creator_id"] == ALICE
    assert posts[uri("did:plc:dave", "q1")]["quote_of"] == uri(ALICE, "p1")
    assert uri(ALICE, "p3") not in posts
    q = fetch(store, "SELECT reason, table_name, raw FROM quarantine")
    assert [(r["reason"], r["table_name"]) for r in q] == [("field 'likes': 'lots' is not a whole number", "posts")]
    assert json.loads(q[0]["raw"])["uri"] == uri(ALICE, "p3")
    comments = fetch(store, "SELECT * FROM comments ORDER BY published_at")
    assert [c["text"] for c in comments] == ["Which SPF?", "SPF 50!"]
    assert comments[1]["is_creator_reply"] and comments[1]["author_id"] == ALICE
    assert comments[0]["author_id"].startswith("p_") and comments[0]["author_handle"] is None
    edges = fetch(store, "SELECT relation, count(*) AS n FROM audience_edges GROUP BY 1 ORDER BY 1")
    assert edges == [{"relation": "commenter", "n": 1}, {"relation": "follower", "n": 3}]
    frank = fetch(store, "SELECT * FROM audience_accounts WHERE username_digits = 2")
    assert len(frank) == 1 and frank[0]["username_length"] == len("frank99") and frank[0]["has_profile_pic"] is False
    text = all_text(store)
    for name in ("erin", "frank99", "gina.example.com", "carol", "did:plc:erin", "did:plc:carol"):
        assert name not in text, f"{name} stored in clear"
    assert result.tables["posts"].inserted == 5 and result.tables["posts"].quarantined == 1


def test_bluesky_counts_reconcile_and_reingest_is_identical(store):
    first = ingest_source(store, "bluesky", REQUEST, runtime=recorded().runtime())
    before = table_rows(store, DATA_TABLES)
    second = ingest_source(store, "bluesky", REQUEST, runtime=recorded().runtime())
    assert second.run_id != first.run_id and not second.resumed
    assert table_rows(store, DATA_TABLES) == before
    for table, counts in second.tables.items():
        assert counts.inserted == 0 and counts.updated == 0, table
        assert counts.accepted + counts.quarantined == first.tables[table].accepted + first.tables[table].quarantined
    # every post record of the responses is accounted for: 5 stored + 1 quarantined
    # (P1, Bob's post, the repost, P2, Dave's quote; P3 bad)
    assert first.tables["posts"].accepted + first.tables["posts"].quarantined == 6
    assert store.count("posts") == first.tables["posts"].inserted


def test_bluesky_empty_account_and_missing_counts_stay_null(store):
    api = Api()
    api.add("app.bsky.actor.getProfile", {"did": "did:plc:empty", "handle": "empty.bsky.social"})
    api.add("app.bsky.feed.getAuthorFeed", {"feed": []})
    api.add("app.bsky.graph.getFollowers", {"subject": {}, "followers": []})
    result = ingest_source(store, "bluesky", Request(handle="empty.bsky.social", followers=5), runtime=api.runtime())
    assert result.status == "completed"
    row = fetch(store, "SELECT followers, following, posts_count FROM creators")[0]
    assert row == {"followers": None, "following": None, "posts_count": None}  # NULL, not 0
    assert store.count("posts") == 0 and store.count("audience_edges") == 0


def test_bluesky_retries_429_after_retry_after_and_5xx_with_backoff(store):
    api = Api()
    limited = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    api.add("app.bsky.actor.getProfile", limited, status=429, headers={"Retry-After": "7"}, times=1)
    api.add("app.bsky.feed.getAuthorFeed", {"error": "InternalServerError"}, status=502, times=2)
    recorded(api)
    clock = FakeClock()
    result = ingest_source(store, "bluesky", REQUEST, runtime=api.runtime(clock))
    assert result.status == "completed"
    assert clock.sleeps == [7.0, 1.0, 2.0]  # Retry-After, then exponential backoff, never a real sleep
    assert store.count("posts") == 5


def test_bluesky_rate_limit_window_pauses_until_reset(store):
    api = Api()
    reset = int(FakeClock().t) + 30
    api.add(
        "app.bsky.actor.getProfile",
        PROFILE,
        headers={"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
    )
    recorded(api)
    clock = FakeClock()
    ingest_source(store, "bluesky", Request(handle="alice.bsky.social", posts=2), runtime=api.runtime(clock))
    assert clock.sleeps == [30.0]


def test_bluesky_killed_half_way_resumes_without_duplicates_or_gaps(store, tmp_path):
    api = Api()
    api.add("app.bsky.graph.getFollowers", raises=Killed(), params={"cursor": "f1"}, times=1)
    recorded(api)
    with pytest.raises(Killed):
        ingest_source(store, "bluesky", REQUEST, runtime=api.runtime())
    run = fetch(store, "SELECT run_id, status, checkpoint FROM ingest_runs")
    assert run[0]["status"] == "failed" and "followers" in json.loads(run[0]["checkpoint"])["cursor"]
    partial_followers = store.count("audience_edges")
    assert partial_followers == 2
    api2 = recorded()
    resumed = ingest_source(store, "bluesky", REQUEST, runtime=api2.runtime())
    assert resumed.resumed and resumed.run_id == run[0]["run_id"] and resumed.status == "completed"
    assert api2.count("getProfile") == 0 and api2.count("getAuthorFeed") == 0  # written pages are not fetched again
    assert [dict(c.url.params).get("cursor") for c in api2.calls if c.url.path.endswith("getFollowers")] == ["f1"]
    # same store contents as one uninterrupted run (same installation secret, so same pseudonyms)
    from microscout.config import Settings
    from microscout.store import connect

    secret = (tmp_path / "test.duckdb.secret").read_text()
    (tmp_path / "clean.duckdb.secret").write_text(secret)
    clean = connect(str(tmp_path / "clean.duckdb"), settings=Settings(db=str(tmp_path / "clean.duckdb")))
    once = ingest_source(clean, "bluesky", REQUEST, runtime=recorded().runtime())
    assert table_rows(store, DATA_TABLES) == table_rows(clean, DATA_TABLES)
    assert store.count("audience_edges") == 4
    assert resumed.tables["posts"].accepted == once.tables["posts"].accepted
    assert store.count("ingest_runs") == 1
    clean.close()


def test_bluesky_unknown_handle_is_a_clear_error(store):
    api = Api().add(
        "app.bsky.actor.getProfile", {"error": "InvalidRequest", "message": "Profile not found"}, status=400
    )
    with pytest.raises(NotFoundOnPlatformError, match="Profile not found"):
        ingest_source(store, "bluesky", Request(handle="nobody.bsky.social"), runtime=api.runtime())


def test_bluesky_timeouts_and_dropped_connections_are_retried(store):
    api = Api()
    api.add("app.bsky.actor.getProfile", raises=httpx.ReadTimeout("timed out"), times=1)
    api.add("app.bsky.feed.getAuthorFeed", raises=httpx.ConnectError("connection reset"), times=1)
    recorded(api)
    clock = FakeClock()
    result = ingest_source(store, "bluesky", Request(handle="alice.bsky.social", posts=10), runtime=api.runtime(clock))
    assert result.status == "completed" and clock.sleeps == [1.0, 1.0] and store.count("posts") == 4


def test_bluesky_server_down_gives_up_with_a_clear_error_and_keeps_what_was_saved(store):
    api = Api().add("app.bsky.graph.getFollowers", {"error": "InternalServerError"}, status=500)
    recorded(api)
    clock = FakeClock()
    with pytest.raises(ConnectorError, match=r"server error on app\.bsky\.graph\.getFollowers .* after 5 attempts"):
        ingest_source(store, "bluesky", REQUEST, runtime=api.runtime(clock))
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0] and store.count("posts") == 4  # the pages before it are kept
