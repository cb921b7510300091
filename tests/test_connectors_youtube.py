"""YouTube Data API v3 connector against recorded responses (documented resource shapes)."""

from __future__ import annotations

import pytest

from connector_fakes import Api, FakeClock, all_text, fetch, reingest_is_identical, resumes_after_kill
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AuthError, MissingCredentialsError, RateLimitError

KEY = "AIzaSyTESTKEY0123456789"
ENV = {"MICROSCOUT_YOUTUBE_API_KEY": KEY}
CHANNEL = "UCalice0000000000000000A"


def channel(hidden: bool = False, **stats) -> dict:
    statistics = {"viewCount": "982000", "videoCount": "3", "hiddenSubscriberCount": hidden}
    if not hidden:
        statistics["subscriberCount"] = "12400"
    statistics.update(stats)
    return {
        "kind": "youtube#channelListResponse",
        "etag": "e",
        "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
        "items": [
            {
                "kind": "youtube#channel",
                "etag": "e1",
                "id": CHANNEL,
                "snippet": {
                    "title": "Alice Outdoors",
                    "description": "Hikes and sunscreen tests",
                    "customUrl": "@alicehikes",
                    "publishedAt": "2019-04-01T10:00:00Z",
                    "country": "PT",
                    "defaultLanguage": "pt",
                },
                "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UUalice"}},
                "statistics": statistics,
                "brandingSettings": {"channel": {"keywords": "hiking outdoors"}},
            }
        ],
    }


def playlist(ids: list[str], token: str | None = None) -> dict:
    body = {
        "kind": "youtube#playlistItemListResponse",
        "items": [
            {"kind": "youtube#playlistItem", "id": f"pi{v}", "contentDetails": {"videoId": v, "videoPublishedAt": "x"}}
            for v in ids
        ],
        "pageInfo": {"totalResults": 3, "resultsPerPage": 2},
    }
    if token:
        body["nextPageToken"] = token
    return body


def video(vid: str, published: str, **stats) -> dict:
    return {
        "kind": "youtube#video",
        "id": vid,
        "snippet": {
            "publishedAt": published,
            "channelId": CHANNEL,
            "title": f"Trail day {vid}",
            "description": "Reef-safe sunscreen on the trail #hiking #sunscreen with @bobgear",
            "tags": ["hiking"],
            "categoryId": "19",
            "liveBroadcastContent": "none",
            "defaultAudioLanguage": "pt",
        },
        "contentDetails": {"duration": "PT8M12S"},
        "statistics": stats,
        "status": {"madeForKids": False},
        "paidProductPlacementDetails": {"hasPaidProductPlacement": vid == "v2"},
    }


V1 = video("v1", "2026-10-20T12:00:00Z", viewCount="5400", commentCount="2", favoriteCount="0")  # likes hidden
V2 = video("v2", "2026-10-10T12:00:00Z", viewCount="3100", likeCount="210", commentCount="0", favoriteCount="0")
V3 = video("v3", "2026-10-01T12:00:00Z", viewCount="n/a", likeCount="9")


def thread(cid: str, author: str, text: str, replies: list[dict] | None = None) -> dict:
    return {
        "kind": "youtube#commentThread",
        "id": cid,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": "v1",
            "topLevelComment": comment(cid, author, text),
            "canReply": True,
            "totalReplyCount": len(replies or []),
            "isPublic": True,
        },
        "replies": {"comments": replies or []},
    }


def comment(cid: str, author: str, text: str, parent: str | None = None) -> dict:
    snippet = {
        "authorDisplayName": "@alicehikes" if author == CHANNEL else f"@{author}",
        "authorProfileImageUrl": "https://yt3/img",
        "authorChannelUrl": f"http://www.youtube.com/@{author}",
        "authorChannelId": {"value": author},
        "channelId": CHANNEL,
        "videoId": "v1",
        "textDisplay": text,
        "textOriginal": text,
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 3,
        "publishedAt": "2026-10-21T08:00:00Z",
        "updatedAt": "2026-10-21T08:00:00Z",
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "id": cid, "snippet": snippet}


THREADS_V1 = {
    "kind": "youtube#commentThreadListResponse",
    "items": [
        thread("c1", "UCcommenter1", "Which SPF do you use?", [comment("c1.r1", CHANNEL, "SPF 50 mineral", "c1")]),
        thread("c2", "UCbot42", "nice video"),
    ],
}
DISABLED = {
    "error": {
        "code": 403,
        "message": "The video identified by the videoId parameter has disabled comments.",
        "errors": [{"message": "disabled comments", "domain": "youtube.commentThread", "reason": "commentsDisabled"}],
    }
}


def recorded(api: Api | None = None, *, hidden: bool = False) -> Api:
    api = api or Api()
    api.add("/channels", channel(hidden), params={"forHandle": "@alicehikes"})
    api.add("/playlistItems", playlist(["v3"]), params={"pageToken": "PT2"})
    api.add("/playlistItems", playlist(["v1", "v2"], "PT2"), params={"playlistId": "UUalice"})
    api.add("/videos", {"items": [V1, V2]}, params={"id": "v1,v2"})
    api.add("/videos", {"items": [V3]}, params={"id": "v3"})
    api.add("/commentThreads", THREADS_V1, params={"videoId": "v1"})
    api.add("/commentThreads", DISABLED, status=403, params={"videoId": "v2"})
    api.add("/commentThreads", {"items": []}, params={"videoId": "v3"})
    return api


REQUEST = Request(handle="alicehikes", posts=10, comments=20)


def test_youtube_channel_videos_comments_and_hidden_counts(store):
    api = recorded()
    result = ingest_source(store, "youtube", REQUEST, runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    creator = fetch(store, "SELECT * FROM creators")[0]
    assert (creator["creator_id"], creator["handle"], creator["followers"], creator["posts_count"]) == (
        CHANNEL,
        "alicehikes",
        12400,
        3,
    )
    assert creator["declared_country"] == "PT" and creator["following"] is None
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    assert set(posts) == {"v1", "v2"}
    assert posts["v1"]["likes"] is None and posts["v1"]["views"] == 5400  # hidden likes stay NULL
    assert posts["v2"]["likes"] == 210 and posts["v2"]["is_sponsored"] is True
    assert posts["v1"]["hashtags"] == ["hiking", "sunscreen"] and posts["v1"]["mentions"] == ["bobgear"]
    q = fetch(store, "SELECT reason, position FROM quarantine")
    assert q == [
        {"reason": "field 'views': 'n/a' is not a whole number", "position": "channel/videos page 2 item 1 [posts]"}
    ]
    comments = fetch(store, "SELECT * FROM comments ORDER BY comment_id")
    assert [c["comment_id"] for c in comments] == ["c1", "c1.r1", "c2"]
    assert comments[1]["is_creator_reply"] and comments[1]["author_id"] == CHANNEL
    assert comments[0]["author_id"].startswith("p_") and "UCcommenter1" not in all_text(store)
    assert fetch(store, "SELECT count(*) AS n FROM audience_edges WHERE relation = 'commenter'") == [{"n": 2}]
    assert result.notes == ["YouTube Data API quota units used: 8 (default daily quota: 10,000)"]
    assert KEY not in all_text(store)
    assert all(r.url.params.get("key") == KEY for r in api.calls)


def test_youtube_hidden_subscriber_count_is_null_not_zero(store):
    api = Api().add("/channels", channel(hidden=True, subscriberCount="0"), params={"forHandle": "@alicehikes"})
    ingest_source(store, "youtube", Request(handle="@alicehikes", posts=0), runtime=api.runtime(env=ENV))
    assert fetch(store, "SELECT followers FROM creators") == [{"followers": None}]
    assert fetch(store, "SELECT followers FROM creator_snapshots") == [{"followers": None}]


def test_youtube_empty_channel(store):
    api = Api().add("/channels", channel(videoCount="0"), params={"forHandle": "@alicehikes"})
    api.add("/playlistItems", {"kind": "youtube#playlistItemListResponse", "items": [], "pageInfo": {}})
    result = ingest_source(store, "youtube", REQUEST, runtime=api.runtime(env=ENV))
    assert result.status == "completed" and store.count("posts") == 0 and store.count("creators") == 1


def test_youtube_429_retry_after_and_503_then_success(store):
    api = Api()
    api.add(
        "/channels",
        {"error": {"code": 429, "message": "slow down"}},
        status=429,
        headers={"Retry-After": "12"},
        times=1,
    )
    api.add("/videos", {"error": {"code": 503, "message": "backend error"}}, status=503, times=1)
    recorded(api)
    clock = FakeClock()
    result = ingest_source(store, "youtube", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert result.status == "completed" and clock.sleeps == [12.0, 1.0]
    assert store.count("posts") == 2


def test_youtube_invalid_key_and_quota_are_clear_one_line_errors(store):
    bad_key = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "errors": [{"message": "API key not valid.", "domain": "global", "reason": "keyInvalid"}],
        }
    }
    api = Api().add("/channels", bad_key, status=400)
    with pytest.raises(AuthError) as err:
        ingest_source(store, "youtube", REQUEST, runtime=api.runtime(env=ENV))
    assert "MICROSCOUT_YOUTUBE_API_KEY" in err.value.message and "keyInvalid" in err.value.message
    assert KEY not in err.value.message and "\n" not in err.value.message
    quota = {"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded"}]}}
    api = Api().add("/channels", quota, status=403)
    with pytest.raises(RateLimitError, match="quota used up"):
        ingest_source(store, "youtube", REQUEST, runtime=api.runtime(env=ENV), resume=False)
    with pytest.raises(MissingCredentialsError, match="MICROSCOUT_YOUTUBE_API_KEY"):
        ingest_source(store, "youtube", REQUEST, runtime=Api().runtime(env={}))


def test_youtube_reingest_identical_and_counts_reconcile(store):
    first = reingest_is_identical(store, "youtube", REQUEST, recorded, ENV)
    # 3 videos in the responses: 2 stored, 1 quarantined; 3 comments
    assert (first.tables["posts"].inserted, first.tables["posts"].quarantined) == (2, 1)
    assert first.tables["comments"].accepted == 3 and store.count("comments") == 3


def test_youtube_killed_half_way_resumes(store, tmp_path):
    _, api = resumes_after_kill(
        store, tmp_path, "youtube", REQUEST, recorded, ENV, {"path": "/playlistItems", "params": {"pageToken": "PT2"}}
    )
    assert api.count("/channels") == 0
    assert [r.url.params.get("pageToken") for r in api.calls if r.url.path.endswith("/playlistItems")] == ["PT2"]


def test_youtube_key_never_reaches_logs(store, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    api = Api().add("/channels", {"error": {"code": 503, "message": "backend"}}, status=503, times=1)
    recorded(api)
    ingest_source(store, "youtube", REQUEST, runtime=api.runtime(env=ENV))
    assert "key=***" in caplog.text and KEY not in caplog.text
