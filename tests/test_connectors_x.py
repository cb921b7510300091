"""X API v2 connector against recorded responses (documented v2 payloads)."""

from __future__ import annotations

import pytest

from connector_fakes import Api, FakeClock, all_text, fetch, reingest_is_identical, resumes_after_kill
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AccessDeniedError, AuthError, NotFoundOnPlatformError

TOKEN = "AAAAAAAAAAAAAAAAAAAAAtestbearer%2Fsecret"
ENV = {"MICROSCOUT_X_BEARER_TOKEN": TOKEN}
USER = {
    "id": "1001",
    "name": "Ana Fit",
    "username": "anafit",
    "created_at": "2015-02-01T10:00:00.000Z",
    "description": "Treinos e protetor solar",
    "location": "São Paulo",
    "protected": False,
    "verified": False,
    "verified_type": "none",
    "profile_image_url": "https://pbs.twimg.com/profile_images/1/a.jpg",
    "public_metrics": {"followers_count": 8200, "following_count": 300, "tweet_count": 4100, "listed_count": 12},
}


def tweet(tid: str, text: str, created: str, **extra) -> dict:
    body = {
        "id": tid,
        "text": text,
        "author_id": extra.pop("author_id", "1001"),
        "created_at": created,
        "lang": "pt",
        "conversation_id": extra.pop("conversation_id", tid),
        "public_metrics": extra.pop(
            "public_metrics",
            {
                "retweet_count": 4,
                "reply_count": 3,
                "like_count": 51,
                "quote_count": 1,
                "bookmark_count": 2,
                "impression_count": 2300,
            },
        ),
        "edit_history_tweet_ids": [tid],
    }
    body.update(extra)
    return body


T1 = tweet(
    "2001",
    "Protetor solar antes do treino #skincare @marca",
    "2026-10-20T10:00:00.000Z",
    entities={
        "hashtags": [{"start": 28, "end": 37, "tag": "SkinCare"}],
        "mentions": [{"username": "marca", "id": "9"}],
    },
)
T2 = tweet("2002", "RT outro", "2026-10-19T10:00:00.000Z", referenced_tweets=[{"type": "retweeted", "id": "555"}])
T3 = tweet("2003", "Citando", "2026-10-18T10:00:00.000Z", referenced_tweets=[{"type": "quoted", "id": "777"}])
BAD = tweet("2004", "bad", "not a date")
PAGE_1 = {"data": [T1, T2], "meta": {"result_count": 2, "newest_id": "2001", "oldest_id": "2002", "next_token": "n2"}}
PAGE_2 = {"data": [T3, BAD], "meta": {"result_count": 2, "newest_id": "2003", "oldest_id": "2004"}}
FOLLOWER = {
    "id": "3001",
    "username": "user84721937",
    "name": "x",
    "created_at": "2026-09-30T00:00:00.000Z",
    "description": "",
    "protected": False,
    "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
    "public_metrics": {"followers_count": 0, "following_count": 4999, "tweet_count": 0, "listed_count": 0},
}
REPLIES = {
    "data": [
        tweet(
            "2101",
            "@anafit qual FPS?",
            "2026-10-20T11:00:00.000Z",
            author_id="4001",
            conversation_id="2001",
            referenced_tweets=[{"type": "replied_to", "id": "2001"}],
        ),
        tweet(
            "2102",
            "@fan FPS 50",
            "2026-10-20T11:10:00.000Z",
            conversation_id="2001",
            referenced_tweets=[{"type": "replied_to", "id": "2101"}],
        ),
    ],
    "includes": {"users": [{"id": "4001", "username": "fan_4001", "public_metrics": {"followers_count": 10}}]},
    "meta": {"result_count": 2},
}
NOT_ENROLLED = {
    "client_id": "123",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
    "Twitter developer App that is attached to a Project.",
    "registration_url": "https://developer.x.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


def recorded(api: Api | None = None) -> Api:
    api = api or Api()
    api.add("/2/users/by/username/anafit", {"data": USER})
    api.add("/2/users/1001/tweets", PAGE_2, params={"pagination_token": "n2"})
    api.add("/2/users/1001/tweets", PAGE_1)
    api.add("/2/users/1001/followers", {"data": [FOLLOWER], "meta": {"result_count": 1}})
    api.add("/2/tweets/search/recent", REPLIES, params={"query": "conversation_id:2001 is:reply"})
    for tid in ("2002", "2003", "2004"):
        api.add(
            "/2/tweets/search/recent",
            {"meta": {"result_count": 0}},
            params={"query": f"conversation_id:{tid} is:reply"},
        )
    return api


REQUEST = Request(handle="anafit", posts=10, followers=10, comments=10)


def test_x_user_tweets_followers_and_replies(store):
    api = recorded()
    result = ingest_source(store, "x", REQUEST, runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in api.calls)
    creator = fetch(store, "SELECT creator_id, handle, followers, following, posts_count, is_business FROM creators")
    assert creator == [
        {
            "creator_id": "1001",
            "handle": "anafit",
            "followers": 8200,
            "following": 300,
            "posts_count": 4100,
            "is_business": False,
        }
    ]
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    assert set(posts) == {"2001", "2002", "2003"}
    t1 = posts["2001"]
    assert (t1["likes"], t1["comments"], t1["shares"], t1["saves"], t1["views"]) == (51, 3, 4, 2, 2300)
    assert t1["hashtags"] == ["skincare"] and t1["mentions"] == ["marca"] and t1["kind"] == "tweet"
    assert posts["2002"]["repost_of"] == "555" and posts["2003"]["quote_of"] == "777"
    q = fetch(store, "SELECT reason FROM quarantine")
    assert q == [
        {"reason": "field 'published_at': 'not a date' is not an ISO 8601 timestamp (e.g. 2026-05-01T12:00:00Z)"}
    ]
    follower = fetch(store, "SELECT * FROM audience_accounts WHERE following = 4999")[0]
    assert follower["username_digits"] == 8 and follower["has_profile_pic"] is False and follower["posts"] == 0
    comments = fetch(store, "SELECT * FROM comments ORDER BY comment_id")
    assert [c["is_creator_reply"] for c in comments] == [False, True]
    assert comments[1]["author_id"] == "1001" and comments[1]["author_handle"] == "anafit"
    text = all_text(store)
    assert "user84721937" not in text and "fan_4001" not in text and TOKEN not in text


def test_x_followers_forbidden_names_the_access_level(store):
    api = Api().add("/2/users/1001/followers", NOT_ENROLLED, status=403)
    recorded(api)
    with pytest.raises(AccessDeniedError) as err:
        ingest_source(store, "x", REQUEST, runtime=api.runtime(env=ENV))
    message = err.value.message
    assert "Appropriate Level of API Access" in message and "client-not-enrolled" in message
    assert "MICROSCOUT_X_BEARER_TOKEN" in message and TOKEN not in message
    # what was fetched before the denial is kept; the run can resume once access is granted
    assert store.count("posts") == 3
    assert fetch(store, "SELECT status FROM ingest_runs") == [{"status": "failed"}]


def test_x_expired_token_is_a_clear_error(store):
    api = Api().add(
        "/2/users/by/username/anafit",
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        status=401,
    )
    with pytest.raises(AuthError, match=r"x: the access token \(MICROSCOUT_X_BEARER_TOKEN\) is expired"):
        ingest_source(store, "x", REQUEST, runtime=api.runtime(env=ENV))


def test_x_unknown_user_and_empty_timeline(store):
    missing = {
        "errors": [
            {
                "value": "nobody",
                "detail": "Could not find user with username: [nobody].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "username",
                "resource_id": "nobody",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    api = Api().add("/2/users/by/username/nobody", missing)
    with pytest.raises(NotFoundOnPlatformError, match="Could not find user"):
        ingest_source(store, "x", Request(handle="nobody"), runtime=api.runtime(env=ENV))
    api = Api().add("/2/users/by/username/anafit", {"data": USER})
    api.add("/2/users/1001/tweets", {"meta": {"result_count": 0}})
    result = ingest_source(store, "x", Request(handle="anafit"), runtime=api.runtime(env=ENV))
    assert result.status == "completed" and store.count("posts") == 0


def test_x_rate_limit_reset_header_and_5xx(store):
    clock = FakeClock()
    reset = int(clock.t) + 90
    api = Api()
    api.add(
        "/2/users/1001/tweets",
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        status=429,
        headers={"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        times=1,
    )
    api.add("/2/users/1001/followers", {"title": "Service Unavailable"}, status=503, times=2)
    recorded(api)
    result = ingest_source(store, "x", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert result.status == "completed"
    assert clock.sleeps == [90.0, 1.0, 2.0]


def test_x_rate_limit_too_long_stops_and_resumes_later(store):
    clock = FakeClock()
    api = Api().add(
        "/2/users/1001/tweets",
        {"title": "Too Many Requests"},
        status=429,
        headers={"x-rate-limit-reset": str(int(clock.t) + 3600)},
    )
    recorded(api)
    with pytest.raises(Exception, match=r"rate limited.*run the same command again"):
        ingest_source(store, "x", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert clock.sleeps == []
    assert fetch(store, "SELECT status FROM ingest_runs") == [{"status": "interrupted"}]
    result = ingest_source(store, "x", REQUEST, runtime=recorded().runtime(env=ENV))
    assert result.resumed and result.status == "completed" and store.count("posts") == 3


def test_x_budget_stops_the_run_and_the_next_run_continues(store):
    from microscout.connectors.http import Budget, BudgetExhaustedError

    runtime = recorded().runtime(env=ENV)
    runtime.budget = Budget(2)
    with pytest.raises(BudgetExhaustedError, match="budget of 2 requests"):
        ingest_source(store, "x", REQUEST, runtime=runtime)
    assert store.count("posts") == 2  # the first page is saved
    api = recorded()
    result = ingest_source(store, "x", REQUEST, runtime=api.runtime(env=ENV))
    assert result.resumed and store.count("posts") == 3
    assert api.count("/users/by/username/anafit") == 0


def test_x_reingest_identical_and_counts_reconcile(store):
    first = reingest_is_identical(store, "x", REQUEST, recorded, ENV)
    assert (first.tables["posts"].inserted, first.tables["posts"].quarantined) == (3, 1)


def test_x_killed_half_way_resumes(store, tmp_path):
    resumes_after_kill(store, tmp_path, "x", REQUEST, recorded, ENV, {"path": "/2/users/1001/followers"})
