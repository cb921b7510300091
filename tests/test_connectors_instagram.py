"""Instagram Graph API connector against recorded responses (documented Graph API shapes)."""

from __future__ import annotations

import pytest

from connector_fakes import EPOCH, Api, FakeClock, all_text, fetch, reingest_is_identical, resumes_after_kill
from microscout.connectors import Request, ingest_source
from microscout.connectors.http import AccessDeniedError, AuthError, MissingCredentialsError
from microscout.connectors.instagram import MEDIA_FIELDS, PROFILE_FIELDS
from microscout.connectors.oauth import Token, TokenStore

TOKEN = "EAAGtestPageToken123456"
BRAND = "17841400000000001"
ENV = {"MICROSCOUT_INSTAGRAM_TOKEN": TOKEN, "MICROSCOUT_INSTAGRAM_USER_ID": BRAND}
ANA = "17841400000000042"
PROFILE_Q = f"business_discovery.username(ana.fit){{{PROFILE_FIELDS}}}"


def media_q(limit: int, after: str = "") -> str:
    return f"business_discovery.username(ana.fit){{media.limit({limit}){after}{{{MEDIA_FIELDS}}}}}"


def media(mid: str, when: str, **extra) -> dict:
    body = {
        "id": mid,
        "caption": "Protetor mineral no treino #skincare #publi @marca",
        "media_type": "VIDEO",
        "media_product_type": "REELS",
        "timestamp": when,
        "permalink": f"https://www.instagram.com/reel/{mid}/",
        "like_count": 410,
        "comments_count": 12,
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


M1 = media("180001", "2026-10-20T12:00:00+0000")
M2 = media("180002", "2026-10-18T12:00:00+0000", media_type="IMAGE", media_product_type="FEED", like_count=None)
M3 = media("180003", "2026-10-10T12:00:00+0000", media_type="CAROUSEL_ALBUM", media_product_type="FEED")
BAD = media("180004", "yesterday")
PROFILE = {
    "business_discovery": {
        "id": ANA,
        "username": "ana.fit",
        "name": "Ana Fit",
        "biography": "Treinos e pele sensível",
        "website": "https://ana.fit",
        "followers_count": 15200,
        "follows_count": 410,
        "media_count": 320,
        "profile_picture_url": "https://scontent/x.jpg",
    },
    "id": BRAND,
}
PAGE_1 = {
    "business_discovery": {
        "media": {
            "data": [M1, M2],
            "paging": {"cursors": {"before": "QVFA", "after": "QVFH"}, "next": "https://graph.facebook.com/next"},
        },
        "id": ANA,
    },
    "id": BRAND,
}
PAGE_2 = {"business_discovery": {"media": {"data": [M3, BAD], "paging": {"cursors": {"before": "QVFI"}}}, "id": ANA}}


def recorded(api: Api | None = None) -> Api:
    api = api or Api()
    api.add(f"/v25.0/{BRAND}", PROFILE, params={"fields": PROFILE_Q})
    api.add(f"/v25.0/{BRAND}", PAGE_2, params={"fields": media_q(8, ".after(QVFH)")})
    api.add(f"/v25.0/{BRAND}", PAGE_1, params={"fields": media_q(10)})
    return api


REQUEST = Request(handle="ana.fit", posts=10)


def test_instagram_business_discovery_with_hidden_likes(store):
    api = recorded()
    result = ingest_source(store, "instagram", REQUEST, runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    assert all(r.url.params["access_token"] == TOKEN for r in api.calls)
    creator = fetch(store, "SELECT creator_id, handle, followers, following, posts_count, is_business FROM creators")
    assert creator == [
        {
            "creator_id": ANA,
            "handle": "ana.fit",
            "followers": 15200,
            "following": 410,
            "posts_count": 320,
            "is_business": True,
        }
    ]
    posts = {p["post_id"]: p for p in fetch(store, "SELECT * FROM posts")}
    assert {k: (p["kind"], p["likes"]) for k, p in posts.items()} == {
        "180001": ("reel", 410),
        "180002": ("post", None),  # the owner hides like counts: NULL, not 0
        "180003": ("carousel", 410),
    }
    assert posts["180001"]["hashtags"] == ["skincare", "publi"] and posts["180001"]["mentions"] == ["marca"]
    assert str(posts["180001"]["published_at"]) == "2026-10-20 12:00:00"
    assert fetch(store, "SELECT reason FROM quarantine") == [
        {"reason": "field 'published_at': 'yesterday' is not an ISO 8601 timestamp (e.g. 2026-05-01T12:00:00Z)"}
    ]
    assert TOKEN not in all_text(store)


def test_instagram_hashtag_and_tags(store):
    api = Api()
    api.add("/v25.0/ig_hashtag_search", {"data": [{"id": "17843853986012965"}]}, params={"q": "sunscreen"})
    api.add("/v25.0/17843853986012965/recent_media", {"data": [M1]}, params={"user_id": BRAND})
    api.add(f"/v25.0/{BRAND}/tags", {"data": [{**M3, "username": "fan.page"}], "paging": {"cursors": {"after": "x"}}})
    result = ingest_source(store, "instagram", Request(hashtag="#Sunscreen", tags=True), runtime=api.runtime(env=ENV))
    assert api.unmatched == [] and result.status == "completed"
    rows = {p["post_id"]: p for p in fetch(store, "SELECT post_id, creator_id, extras FROM posts")}
    assert rows["180001"]["creator_id"] is None  # the API does not say who posted hashtag media
    assert '"username": "fan.page"' in rows["180003"]["extras"]


def test_instagram_needs_token_and_brand_account(store):
    with pytest.raises(MissingCredentialsError, match="MICROSCOUT_INSTAGRAM_TOKEN"):
        ingest_source(store, "instagram", REQUEST, runtime=Api().runtime(env={}))
    env = {"MICROSCOUT_INSTAGRAM_TOKEN": TOKEN}
    with pytest.raises(MissingCredentialsError, match="MICROSCOUT_INSTAGRAM_USER_ID"):
        ingest_source(store, "instagram", REQUEST, runtime=Api().runtime(env=env))


def test_instagram_expired_token_and_missing_permission(store):
    expired = {
        "error": {
            "message": "Error validating access token: Session has expired on Sunday, 01-Nov-26.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
            "fbtrace_id": "A1",
        }
    }
    api = Api().add(f"/v25.0/{BRAND}", expired, status=400)
    with pytest.raises(AuthError, match="MICROSCOUT_INSTAGRAM_TOKEN") as err:
        ingest_source(store, "instagram", REQUEST, runtime=api.runtime(env=ENV))
    assert "Session has expired" in err.value.message and TOKEN not in err.value.message
    denied = {"error": {"message": "(#10) Application does not have permission for this action", "code": 10}}
    api = Api().add(f"/v25.0/{BRAND}", denied, status=400)
    with pytest.raises(AccessDeniedError, match="instagram_basic, instagram_manage_insights and pages_read_engagement"):
        ingest_source(store, "instagram", REQUEST, runtime=api.runtime(env=ENV), resume=False)


def test_instagram_throttling_and_server_error(store):
    clock = FakeClock()
    api = Api()
    throttled = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
    api.add(
        f"/v25.0/{BRAND}", throttled, status=403, params={"fields": PROFILE_Q}, headers={"Retry-After": "30"}, times=1
    )
    api.add(
        f"/v25.0/{BRAND}",
        {"error": {"message": "unknown", "code": 2}},
        status=500,
        params={"fields": media_q(10)},
        times=1,
    )
    recorded(api)
    ingest_source(store, "instagram", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert clock.sleeps == [30.0, 1.0] and store.count("posts") == 3


def test_instagram_app_usage_near_limit_pauses(store):
    clock = FakeClock()
    api = Api().add(
        f"/v25.0/{BRAND}",
        PROFILE,
        params={"fields": PROFILE_Q},
        headers={"X-App-Usage": '{"call_count": 97, "total_cputime": 20, "total_time": 30}'},
    )
    recorded(api)
    ingest_source(store, "instagram", REQUEST, runtime=api.runtime(clock, env=ENV))
    assert clock.sleeps == [60.0]


def test_instagram_empty_account(store):
    api = Api().add(
        f"/v25.0/{BRAND}",
        {**PROFILE, "business_discovery": {**PROFILE["business_discovery"], "media_count": 0}},
        params={"fields": PROFILE_Q},
    )
    api.add(f"/v25.0/{BRAND}", {"business_discovery": {"media": {"data": []}, "id": ANA}, "id": BRAND})
    result = ingest_source(store, "instagram", REQUEST, runtime=api.runtime(env=ENV))
    assert result.status == "completed" and store.count("posts") == 0


def connected_api(api: Api | None = None) -> Api:
    api = api or Api()
    me = {
        "user_id": ANA,
        "id": "26000000000001",
        "username": "ana.fit",
        "name": "Ana Fit",
        "followers_count": 15210,
        "follows_count": 411,
        "media_count": 321,
        "account_type": "MEDIA_CREATOR",
    }
    api.add("/v25.0/me", me)
    api.add("/v25.0/me/media", {"data": [M1]})
    insights = [
        {
            "name": name,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": name,
            "id": f"180001/insights/{name}",
        }
        for name, value in (("reach", 5400), ("saved", 88), ("shares", 40), ("views", 9100))
    ]
    api.add("/v25.0/180001/insights", {"data": insights})
    comments = [
        {
            "id": "c1",
            "text": "Amei!",
            "timestamp": "2026-10-21T09:00:00+0000",
            "like_count": 1,
            "from": {"id": "17841499999", "username": "fan_77"},
        },
        {
            "id": "c2",
            "text": "Obrigada!",
            "timestamp": "2026-10-21T09:30:00+0000",
            "like_count": 0,
            "from": {"id": ANA, "username": "ana.fit"},
            "parent_id": "c1",
        },
    ]
    api.add("/v25.0/180001/comments", {"data": comments})

    def demographics(key: str, values: dict[str, int]) -> dict:
        results = [{"dimension_values": [k], "value": v} for k, v in values.items()]
        return {
            "data": [
                {
                    "name": "follower_demographics",
                    "period": "lifetime",
                    "total_value": {"breakdowns": [{"dimension_keys": [key], "results": results}]},
                }
            ]
        }

    api.add("/v25.0/me/insights", demographics("country", {"BR": 600, "PT": 400}), params={"breakdown": "country"})
    api.add("/v25.0/me/insights", demographics("gender", {"F": 700, "M": 250, "U": 50}), params={"breakdown": "gender"})
    api.add("/v25.0/me/insights", demographics("age", {"18-24": 300, "25-34": 700}), params={"breakdown": "age"})
    too_small = {"error": {"message": "Not enough data", "code": 100}}
    api.add(
        "/v25.0/me/insights", too_small, status=400, params={"breakdown": "city", "metric": "follower_demographics"}
    )
    engaged = demographics("city", {"São Paulo, São Paulo (state)": 3, "Lisbon, Lisbon District": 1})
    api.add("/v25.0/me/insights", engaged, params={"breakdown": "city", "metric": "engaged_audience_demographics"})
    return api


def test_instagram_connected_account_insights_comments_and_demographics(store):
    tokens = TokenStore.for_settings(store.settings, "default")
    tokens.save(Token("instagram", ANA, "IGQVJcreatortoken", expires_at=EPOCH + 86400 * 30, obtained_at=EPOCH))
    api = connected_api()
    result = ingest_source(store, "instagram", Request(connected=True, posts=5, comments=10), runtime=api.runtime())
    assert api.unmatched == [] and result.status == "completed", result.notes
    assert all(
        r.url.host == "graph.instagram.com" and r.url.params["access_token"] == "IGQVJcreatortoken" for r in api.calls
    )
    post = fetch(store, "SELECT likes, saves, shares, views FROM posts")
    assert post == [{"likes": 410, "saves": 88, "shares": 40, "views": 9100}]
    insights = fetch(
        store,
        "SELECT dimension, value, share FROM audience_insights WHERE workspace_id = 'default' "
        "ORDER BY dimension, value",
    )
    assert {(r["dimension"], r["value"]): r["share"] for r in insights} == {
        ("age", "18-24"): 0.3,
        ("age", "25-34"): 0.7,
        ("city", "Lisbon, Lisbon District"): 0.25,
        ("city", "São Paulo, São Paulo (state)"): 0.75,
        ("country", "BR"): 0.6,
        ("country", "PT"): 0.4,
        ("gender", "female"): 0.7,
        ("gender", "male"): 0.25,
        ("gender", "unknown"): 0.05,
    }
    assert result.notes == [f"instagram {ANA}: city from the engaged audience"]
    comments = fetch(store, "SELECT comment_id, author_id, is_creator_reply FROM comments ORDER BY comment_id")
    assert comments[1] == {"comment_id": "c2", "author_id": ANA, "is_creator_reply": True}
    assert comments[0]["author_id"].startswith("p_") and "fan_77" not in all_text(store)
    assert "IGQVJcreatortoken" not in all_text(store)


def test_instagram_connected_token_is_refreshed_when_expired(store):
    tokens = TokenStore.for_settings(store.settings, "default")
    tokens.save(Token("instagram", ANA, "IGQVJold", expires_at=EPOCH - 10, obtained_at=EPOCH - 5_000_000))
    api = Api().add(
        "/refresh_access_token",
        {"access_token": "IGQVJnew", "token_type": "bearer", "expires_in": 5183944},
        params={"grant_type": "ig_refresh_token", "access_token": "IGQVJold"},
    )
    connected_api(api)
    ingest_source(store, "instagram", Request(connected=True, posts=5), runtime=api.runtime())
    used = {r.url.params.get("access_token") for r in api.calls if not r.url.path.endswith("refresh_access_token")}
    assert used == {"IGQVJnew"}
    assert tokens.get("instagram").access_token == "IGQVJnew"


def test_instagram_reingest_identical(store):
    first = reingest_is_identical(store, "instagram", REQUEST, recorded, ENV)
    assert (first.tables["posts"].inserted, first.tables["posts"].quarantined) == (3, 1)


def test_instagram_killed_half_way_resumes(store, tmp_path):
    _, api = resumes_after_kill(
        store,
        tmp_path,
        "instagram",
        REQUEST,
        recorded,
        ENV,
        {"path": f"/v25.0/{BRAND}", "contains": {"fields": ".after(QVFH)"}},
    )
    assert [r.url.params["fields"] for r in api.calls] == [media_q(8, ".after(QVFH)")]
