"""Mastodon connector against recorded REST API responses (documented entities, Link pagination)."""

from __future__ import annotations

import pytest

from connector_fakes import Api, FakeClock, all_text, fetch, reingest_is_identical, resumes_after_kill
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AuthError
from microscout.errors import InvalidInputError

HOST = "mastodon.example"
ENV: dict[str, str] = {}


def account(aid: str, username: str, acct: str | None = None, **extra) -> dict:
    body = {
        "id": aid,
        "username": username,
        "acct": acct or username,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2022-11-01T00:00:00.000Z",
        "note": "<p>Trail runner &amp; <a href='x'>#sunscreen</a> fan</p>",
        "url": f"https://{HOST}/@{username}",
        "avatar": f"https://{HOST}/avatars/{aid}.png",
        "header": "",
        "followers_count": 2300,
        "following_count": 180,
        "statuses_count": 920,
        "last_status_at": "2026-10-20",
        "emojis": [],
        "fields": [
            {"name": "Web", "value": "<a href='https://ana.run'>ana.run</a>", "verified_at": "2024-01-01T00:00:00Z"}
        ],
    }
    body.update(extra)
    return body


ANA = account("11", "ana")


def status(sid: str, text: str, created: str, **extra) -> dict:
    body = {
        "id": sid,
        "created_at": created,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://{HOST}/users/ana/statuses/{sid}",
        "url": f"https://{HOST}/@ana/{sid}",
        "replies_count": 2,
        "reblogs_count": 5,
        "favourites_count": 30,
        "content": f"<p>{text}</p>",
        "reblog": None,
        "account": ANA,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
    }
    body.update(extra)
    return body


S1 = status(
    "101", "Sunscreen test <br>on the trail", "2026-10-20T10:00:00.000Z", tags=[{"name": "Sunscreen", "url": "x"}]
)
BOOSTED = status(
    "99",
    "Great gear list",
    "2026-10-18T10:00:00.000Z",
    account=account("12", "bob", "bob@other.social"),
    uri="https://other.social/users/bob/statuses/99",
)
S2 = status(
    "102", "", "2026-10-19T10:00:00.000Z", reblog=BOOSTED, uri=f"https://{HOST}/users/ana/statuses/102/activity"
)
S3 = status("103", "Rest day", "2026-10-15T10:00:00.000Z", favourites_count=-1)
BAD = status("104", "broken", "2026-10-14T10:00:00.000Z", reblogs_count="many")
NEXT = f'<https://{HOST}/api/v1/accounts/11/statuses?limit=40&max_id=102>; rel="next", <https://{HOST}/x>; rel="prev"'
FOLLOWERS = [
    account("21", "carol"),
    account(
        "22",
        "dan2024bot",
        "dan2024bot@spam.example",
        avatar=f"https://{HOST}/avatars/original/missing.png",
        followers_count=0,
        following_count=7000,
        statuses_count=0,
        fields=[],
        note="",
    ),
]
REPLY = status(
    "201",
    "@ana which SPF?",
    "2026-10-20T11:00:00.000Z",
    account=account("21", "carol"),
    in_reply_to_id="101",
    uri=f"https://{HOST}/users/carol/statuses/201",
)
REPLY_BACK = status("202", "@carol SPF 50", "2026-10-20T11:05:00.000Z", in_reply_to_id="201")


def recorded(api: Api | None = None) -> Api:
    api = api or Api()
    api.add("/api/v1/accounts/lookup", ANA, params={"acct": "ana"})
    api.add("/api/v1/accounts/11/statuses", [S3, BAD], params={"max_id": "102"})
    api.add("/api/v1/accounts/11/statuses", [S1, S2], headers={"Link": NEXT})
    api.add("/api/v1/accounts/11/followers", FOLLOWERS)
    api.add("/api/v1/statuses/101/context", {"ancestors": [], "descendants": [REPLY, REPLY_BACK]})
    api.add("/api/v1/statuses/103/context", {"ancestors": [], "descendants": []})
    api.add("/api/v1/statuses/104/context", {"ancestors": [], "descendants": []})
    return api


REQUEST = Request(handle=f"ana@{HOST}", posts=10, followers=10, comments=10)


def test_mastodon_account_statuses_followers_and_replies(store):
    api = recorded()
    result = ingest_source(store, "mastodon", REQUEST, runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    assert all(r.url.host == HOST and "Authorization" not in r.headers for r in api.calls)
    creator = fetch(store, "SELECT * FROM creators WHERE creator_id = ?", [f"ana@{HOST}"])[0]
    assert (creator["handle"], creator["followers"], creator["bio"]) == (
        f"ana@{HOST}",
        2300,
        "Trail runner & #sunscreen fan",
    )
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    s1 = posts[S1["uri"]]
    assert s1["caption"] == "Sunscreen test \non the trail" and s1["hashtags"] == ["sunscreen"]
    assert (s1["likes"], s1["comments"], s1["shares"]) == (30, 2, 5)
    assert posts[S2["uri"]]["repost_of"] == BOOSTED["uri"] and posts[BOOSTED["uri"]]["creator_id"] == "bob@other.social"
    assert posts[S3["uri"]]["likes"] is None  # a hidden (negative) count is unknown, not 0
    assert fetch(store, "SELECT reason FROM quarantine") == [{"reason": "field 'shares': 'many' is not a whole number"}]
    bot = fetch(store, "SELECT * FROM audience_accounts WHERE following = 7000")[0]
    assert (bot["has_profile_pic"], bot["username_digits"], bot["has_external_url"]) == (False, 4, False)
    comments = fetch(store, "SELECT * FROM comments ORDER BY published_at")
    assert [c["is_creator_reply"] for c in comments] == [False, True]
    assert comments[0]["comment_id"].startswith("p_") and comments[1]["comment_id"] == REPLY_BACK["uri"]
    # commenters and followers are stored only under pseudonyms (comment text stays as written)
    text = all_text(store).replace("@carol SPF 50", "")
    assert "carol" not in text and "dan2024bot" not in text


def test_mastodon_token_goes_only_to_its_instance(store):
    env = {"MICROSCOUT_MASTODON_TOKEN": "tok-secret-123", "MICROSCOUT_MASTODON_INSTANCE": HOST}
    api = recorded()
    ingest_source(store, "mastodon", REQUEST, runtime=api.runtime(env=env))
    assert all(r.headers.get("Authorization") == "Bearer tok-secret-123" for r in api.calls)
    other = Api().add("/api/v1/accounts/lookup", account("5", "zed"), params={"acct": "zed"})
    other.add("/api/v1/accounts/5/statuses", [])
    ingest_source(store, "mastodon", Request(handle="zed@elsewhere.social", posts=5), runtime=other.runtime(env=env))
    assert other.calls and all("Authorization" not in r.headers for r in other.calls)


def test_mastodon_tag_timeline_and_bad_handle(store):
    api = Api().add("/api/v1/timelines/tag/sunscreen", [S1])
    result = ingest_source(
        store, "mastodon", Request(hashtag="#sunscreen", instance=HOST, posts=5), runtime=api.runtime()
    )
    assert result.status == "completed" and store.count("posts") == 1
    with pytest.raises(InvalidInputError, match="needs its instance"):
        ingest_source(store, "mastodon", Request(handle="ana"), runtime=Api().runtime())


def test_mastodon_empty_account_hidden_counts_and_locked_graph(store):
    quiet = account("31", "quiet", followers_count=-1, following_count=-1, statuses_count=0, hide_collections=True)
    api = Api().add("/api/v1/accounts/lookup", quiet).add("/api/v1/accounts/31/statuses", [])
    result = ingest_source(store, "mastodon", Request(handle=f"quiet@{HOST}", followers=50), runtime=api.runtime())
    assert result.status == "completed" and api.unmatched == []
    assert fetch(store, "SELECT followers, following, posts_count FROM creators") == [
        {"followers": None, "following": None, "posts_count": 0}
    ]
    assert api.count("/followers") == 0  # the account hides its social graph: nothing to sample


def test_mastodon_429_and_5xx_then_success(store):
    clock = FakeClock()
    api = Api()
    reset = "2026-11-01T00:00:20.000Z"  # Mastodon sends an ISO 8601 reset time
    api.add(
        "/api/v1/accounts/lookup",
        {"error": "Too many requests"},
        status=429,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        times=1,
    )
    api.add("/api/v1/accounts/11/followers", {"error": "oops"}, status=500, times=1)
    recorded(api)
    result = ingest_source(store, "mastodon", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert result.status == "completed" and clock.sleeps == [20.0, 1.0]


def test_mastodon_invalid_token(store):
    env = {"MICROSCOUT_MASTODON_TOKEN": "revoked-token", "MICROSCOUT_MASTODON_INSTANCE": HOST}
    api = Api().add("/api/v1/accounts/lookup", {"error": "The access token is invalid"}, status=401)
    with pytest.raises(AuthError, match="The access token is invalid") as err:
        ingest_source(store, "mastodon", REQUEST, runtime=api.runtime(env=env))
    assert "revoked-token" not in err.value.message and "MICROSCOUT_MASTODON_TOKEN" in err.value.message


def test_mastodon_reingest_identical(store):
    first = reingest_is_identical(store, "mastodon", REQUEST, recorded, ENV)
    assert (first.tables["posts"].inserted, first.tables["posts"].quarantined) == (4, 1)


def test_mastodon_killed_half_way_resumes(store, tmp_path):
    resumes_after_kill(store, tmp_path, "mastodon", REQUEST, recorded, ENV, {"path": "/api/v1/statuses/103/context"})
