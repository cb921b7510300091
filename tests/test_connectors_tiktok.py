"""TikTok Research and Display API connector against recorded responses (documented shapes)."""

from __future__ import annotations

import json

import pytest

from connector_fakes import EPOCH, Api, FakeClock, all_text, fetch, reingest_is_identical, resumes_after_kill
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AccessDeniedError, AuthError, RateLimitError
from microscout.connectors.oauth import Token, TokenStore

TOKEN = "clt.researchTOKEN123"
ENV = {"MICROSCOUT_TIKTOK_TOKEN": TOKEN}
OK = {"code": "ok", "message": "", "log_id": "20261101000000"}


def video(vid: int, when: int, **extra) -> dict:
    body = {
        "id": vid,
        "video_description": "Protetor solar na praia #skincare #verao",
        "create_time": when,
        "region_code": "BR",
        "share_count": 31,
        "view_count": 18000,
        "like_count": 1500,
        "comment_count": 44,
        "favorites_count": 120,
        "hashtag_names": ["skincare", "verao"],
        "username": "ana.fit",
        "video_duration": 21,
        "music_id": 7001,
    }
    body.update(extra)
    return body


V1 = video(7400000000000000001, 1792490400)  # 2026-10-20T10:00:00Z
V2 = video(7400000000000000002, 1792317600)
V3 = video(7400000000000000003, 1792144800, view_count=-5)
USER = {
    "display_name": "Ana Fit",
    "bio_description": "Treinos",
    "avatar_url": "https://p16/x.jpg",
    "is_verified": False,
    "follower_count": 52000,
    "following_count": 120,
    "likes_count": 900000,
    "video_count": 310,
}


def recorded(api: Api | None = None) -> Api:
    api = api or Api()
    api.add("/v2/research/user/info/", {"data": USER, "error": OK}, method="POST", match_json={"username": "ana.fit"})
    page2 = {"data": {"videos": [V3], "cursor": 3, "has_more": False, "search_id": "s-1"}, "error": OK}
    page1 = {"data": {"videos": [V1, V2], "cursor": 2, "has_more": True, "search_id": "s-1"}, "error": OK}
    api.add("/v2/research/video/query/", page2, method="POST", match_json={"cursor": 2, "search_id": "s-1"})
    api.add("/v2/research/video/query/", page1, method="POST", match_json={"cursor": 0})
    comments = [
        {
            "id": 801,
            "video_id": V1["id"],
            "text": "qual protetor?",
            "like_count": 3,
            "reply_count": 1,
            "parent_comment_id": V1["id"],
            "create_time": 1792494000,
        },
        {
            "id": 802,
            "video_id": V1["id"],
            "text": "amei",
            "like_count": 0,
            "reply_count": 0,
            "parent_comment_id": V1["id"],
            "create_time": 1792497600,
        },
    ]
    api.add(
        "/v2/research/video/comment/list/",
        {"data": {"comments": comments, "cursor": 2, "has_more": False}, "error": OK},
        method="POST",
        match_json={"video_id": V1["id"]},
    )
    api.add(
        "/v2/research/video/comment/list/",
        {"data": {"comments": [], "cursor": 0, "has_more": False}, "error": OK},
        method="POST",
    )
    return api


REQUEST = Request(handle="ana.fit", posts=10, comments=10, days=30)


def test_tiktok_research_user_videos_and_comments(store):
    api = recorded()
    result = ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    query = json.loads(api.calls[1].content)
    assert query["query"] == {"and": [{"operation": "EQ", "field_name": "username", "field_values": ["ana.fit"]}]}
    assert (query["start_date"], query["end_date"]) == ("20261003", "20261101")  # 30 days, the API's maximum
    creator = fetch(store, "SELECT creator_id, handle, followers, posts_count, extras FROM creators")[0]
    assert (creator["creator_id"], creator["followers"], creator["posts_count"]) == ("ana.fit", 52000, 310)
    assert json.loads(creator["extras"])["likes_received"] == 900000
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    v1 = posts[str(V1["id"])]
    assert (v1["likes"], v1["comments"], v1["shares"], v1["saves"], v1["views"]) == (1500, 44, 31, 120, 18000)
    assert str(v1["published_at"]) == "2026-10-20 10:00:00" and v1["location_country"] is None
    assert v1["hashtags"] == ["skincare", "verao"]
    assert fetch(store, "SELECT reason FROM quarantine") == [{"reason": "field 'views': -5 is negative"}]
    comments = fetch(store, "SELECT comment_id, author_id, text FROM comments ORDER BY comment_id")
    assert comments == [
        {"comment_id": "801", "author_id": None, "text": "qual protetor?"},  # the API names no commenter
        {"comment_id": "802", "author_id": None, "text": "amei"},
    ]
    assert store.count("audience_accounts") == 0


def test_tiktok_errors_name_the_access_needed(store):
    invalid = {
        "error": {"code": "access_token_invalid", "message": "The access token is invalid or not found.", "log_id": "x"}
    }
    api = Api().add("/v2/research/user/info/", invalid, status=401, method="POST")
    with pytest.raises(AuthError, match="MICROSCOUT_TIKTOK_TOKEN") as err:
        ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(env=ENV))
    assert TOKEN not in err.value.message and "access_token_invalid" in err.value.message
    scope = {
        "error": {"code": "scope_not_authorized", "message": "The user did not authorize the scope.", "log_id": "x"}
    }
    api = Api().add("/v2/research/user/info/", scope, status=403, method="POST")
    with pytest.raises(AccessDeniedError, match=r"research\.data\.basic"):
        ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(env=ENV), resume=False)
    quota = {"error": {"code": "daily_quota_limit_exceeded", "message": "quota", "log_id": "x"}}
    api = Api().add("/v2/research/user/info/", quota, status=429, method="POST")
    with pytest.raises(RateLimitError, match="quota used up"):
        ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(env=ENV), resume=False)


def test_tiktok_429_then_500_then_success(store):
    clock = FakeClock()
    api = Api()
    limited = {"error": {"code": "rate_limit_exceeded", "message": "slow", "log_id": "x"}}
    api.add("/v2/research/user/info/", limited, status=429, method="POST", headers={"Retry-After": "5"}, times=1)
    api.add("/v2/research/video/query/", {"error": {"code": "internal_error"}}, status=500, method="POST", times=1)
    recorded(api)
    result = ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert result.status == "completed" and clock.sleeps == [5.0, 1.0] and store.count("posts") == 2


def test_tiktok_empty_account(store):
    api = Api().add("/v2/research/user/info/", {"data": {**USER, "video_count": 0}, "error": OK}, method="POST")
    empty = {"data": {"videos": [], "cursor": 0, "has_more": False, "search_id": "s"}, "error": OK}
    api.add("/v2/research/video/query/", empty, method="POST")
    result = ingest_source(store, "tiktok", REQUEST, runtime=api.runtime(env=ENV))
    assert result.status == "completed" and store.count("posts") == 0 and store.count("creators") == 1


def test_tiktok_connected_display_api(store):
    TokenStore.for_settings(store.settings, "default").save(
        Token("tiktok", "open-abc", "act.usertoken", refresh_token="rft.x", expires_at=EPOCH + 3600)
    )
    api = Api()
    user = {
        "open_id": "open-abc",
        "union_id": "u",
        "username": "ana.fit",
        "display_name": "Ana Fit",
        "follower_count": 52010,
        "following_count": 120,
        "likes_count": 900100,
        "video_count": 311,
        "is_verified": False,
        "avatar_url": "https://p16/y.jpg",
    }
    api.add("/v2/user/info/", {"data": {"user": user}, "error": OK})
    display = {
        "id": "7400000000000000001",
        "title": "Praia",
        "video_description": "Protetor #skincare",
        "create_time": 1792490400,
        "share_url": "https://www.tiktok.com/@ana.fit/video/7400000000000000001",
        "duration": 21,
        "like_count": 1510,
        "comment_count": 45,
        "share_count": 32,
        "view_count": 18100,
    }
    api.add(
        "/v2/video/list/",
        {"data": {"videos": [display], "cursor": 1792490400000, "has_more": False}, "error": OK},
        method="POST",
    )
    result = ingest_source(store, "tiktok", Request(connected=True, posts=5), runtime=api.runtime())
    assert result.status == "completed" and api.unmatched == []
    assert all(r.headers["Authorization"] == "Bearer act.usertoken" for r in api.calls)
    assert fetch(store, "SELECT creator_id, followers FROM creators") == [{"creator_id": "ana.fit", "followers": 52010}]
    assert fetch(store, "SELECT likes, saves FROM posts") == [{"likes": 1510, "saves": None}]
    assert "act.usertoken" not in all_text(store)


def test_tiktok_reingest_identical(store):
    first = reingest_is_identical(store, "tiktok", REQUEST, recorded, ENV)
    assert (first.tables["posts"].inserted, first.tables["posts"].quarantined) == (2, 1)


def test_tiktok_killed_half_way_resumes(store, tmp_path):
    _, api = resumes_after_kill(
        store,
        tmp_path,
        "tiktok",
        REQUEST,
        recorded,
        ENV,
        {"path": "/v2/research/video/query/", "method": "POST", "match_json": {"cursor": 2}},
    )
    sent = [json.loads(r.content) for r in api.calls]
    assert sent[0]["cursor"] == 2 and sent[0]["search_id"] == "s-1"  # resumes the same search
