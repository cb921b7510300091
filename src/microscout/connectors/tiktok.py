"""TikTok: the Research API (approved researchers; client token ``MICROSCOUT_TIKTOK_TOKEN``) and the
Display API for creators who connected their account (``microscout connect tiktok``).

- Research: ``POST /v2/research/user/info/``, ``/v2/research/video/query/`` (a window of at most
  30 days; cursor plus ``search_id``) and ``/v2/research/video/comment/list/`` (comment text and
  likes; the API does not name commenters, so TikTok yields no commenter sample).
- Display: ``GET /v2/user/info/`` and ``POST /v2/video/list/``.
TikTok Research identifies accounts by username, so a TikTok creator's id is the username.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx

from microscout.connectors.base import (
    Page,
    Records,
    Request,
    Source,
    State,
    as_object,
    epoch_iso,
    for_each,
    hashtags_in,
    mentions_in,
    paginate,
    register,
)
from microscout.connectors.http import ApiProblem, ConnectorError, HttpClient, MissingCredentialsError

USER_FIELDS = (
    "display_name,bio_description,avatar_url,is_verified,follower_count,following_count,likes_count,video_count"
)
VIDEO_FIELDS = (
    "id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,"
    "hashtag_names,username,video_duration,favorites_count,music_id,playlist_id"
)
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
DISPLAY_USER = (
    "open_id,union_id,avatar_url,display_name,bio_description,profile_deep_link,is_verified,username,"
    "follower_count,following_count,likes_count,video_count"
)
DISPLAY_VIDEO = (
    "id,title,video_description,create_time,share_url,duration,like_count,comment_count,share_count,view_count"
)
RESEARCH = "research.data.basic (approved TikTok Research API access)"
SCOPES = {
    "user": "user.info.basic, user.info.profile and user.info.stats",
    "video": "video.list",
}


@register
class TikTok(Source):
    name = "tiktok"
    platform = "tiktok"
    base_url = "https://open.tiktokapis.com/v2/"
    credential_env = "MICROSCOUT_TIKTOK_TOKEN"
    oauth = True

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        code = str(error.get("code") or "")
        kind = None
        if code in ("access_token_invalid", "token_expired", "invalid_token"):
            kind = "auth"
        elif code in ("scope_not_authorized", "scope_permission_missed", "permission_denied"):
            kind = "permission"
        elif code == "rate_limit_exceeded":
            kind = "rate"
        elif code == "daily_quota_limit_exceeded":
            kind = "quota"
        elif code in ("invalid_params",) and "not exist" in str(error.get("message", "")).lower():
            kind = "not_found"
        return ApiProblem(str(error.get("message") or ""), code or None, kind)

    def research(self) -> HttpClient:
        if self.http.credential is None:
            raise MissingCredentialsError(
                "ingest tiktok: the Research API needs MICROSCOUT_TIKTOK_TOKEN (a client access token of an approved "
                "research project); creators who connected their account can be read with --connected"
            )
        return self.http

    @staticmethod
    def data(body: Any) -> dict[str, Any]:
        """TikTok answers ``{"data": …, "error": {"code": "ok"}}``; anything else is an error."""
        error = (body.get("error") or {}) if isinstance(body, dict) else {}
        if error and error.get("code") not in (None, "ok"):
            raise ConnectorError(f"tiktok: {error.get('code')}: {error.get('message')}")
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    # ---- mapping ----------------------------------------------------------------------------------
    def creator_row(self, user: dict[str, Any], username: str) -> dict[str, Any]:
        return {
            "platform": "tiktok",
            "creator_id": username,
            "handle": username,
            "display_name": user.get("display_name"),
            "bio": user.get("bio_description"),
            "followers": user.get("follower_count"),
            "following": user.get("following_count"),
            "posts_count": user.get("video_count"),
            "verified": user.get("is_verified"),
            "profile_url": f"https://www.tiktok.com/@{username}",
            "first_seen": self.now_iso(),
            "last_seen": self.now_iso(),
            "extras": {
                "likes_received": user.get("likes_count"),
                "bio_url": user.get("bio_url"),
                "open_id": user.get("open_id"),
                "has_avatar": bool(user.get("avatar_url")) or None,
            },
        }

    def post_row(self, video: dict[str, Any], username: str | None) -> dict[str, Any]:
        text = video.get("video_description") or video.get("title")
        author = video.get("username") or username
        tags = video.get("hashtag_names")
        return {
            "platform": "tiktok",
            "post_id": str(video["id"]) if video.get("id") is not None else None,
            "creator_id": author,
            "published_at": epoch_iso(video.get("create_time")),
            "kind": "video",
            "caption": text,
            "hashtags": [str(t).lower() for t in tags] if isinstance(tags, list) else hashtags_in(text),
            "mentions": mentions_in(text),
            "likes": video.get("like_count"),
            "comments": video.get("comment_count"),
            "shares": video.get("share_count"),
            "saves": video.get("favorites_count"),
            "views": video.get("view_count"),
            "url": video.get("share_url")
            or (f"https://www.tiktok.com/@{author}/video/{video.get('id')}" if author else None),
            "extras": {
                "region_code": video.get("region_code"),  # where the creator registered, not where the video was made
                "duration": video.get("video_duration") or video.get("duration"),
                "music_id": video.get("music_id"),
                "title": video.get("title"),
            },
        }

    def add_videos(
        self, records: Records, videos: list[Any], username: str | None, state: State, step: str
    ) -> list[str]:
        ids = []
        for i, video in enumerate(videos):
            position = state.position(step, i)
            try:
                row = self.post_row(as_object(video, "video"), username)
            except ValueError as exc:
                records.reject("posts", position, f"cannot read video: {exc}", video)
                continue
            records.add("posts", row, position=position, raw=video)
            if row["creator_id"] and row["creator_id"] != username:
                author = row["creator_id"]
                records.add(
                    "creators",
                    {
                        "platform": "tiktok",
                        "creator_id": author,
                        "handle": author,
                        "profile_url": f"https://www.tiktok.com/@{author}",
                    },
                    position=position,
                )
            if row["post_id"]:
                ids.append(row["post_id"])
        return ids

    # ---- steps -----------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.connected:
            for token, credential in self.connected:
                http = self.http.spawn(credential)
                http.describe_error = self.describe_error
                yield from self._display(request, state, http, str(token.account))
        elif request.handle:
            yield from self._research_creator(request, state)
        if request.query or request.hashtag:
            if request.hashtag:
                condition = {
                    "operation": "EQ",
                    "field_name": "hashtag_name",
                    "field_values": [str(request.hashtag).lstrip("#")],
                }
            else:
                condition = {"operation": "EQ", "field_name": "keyword", "field_values": [str(request.query)]}
            yield from paginate(
                state, "search", lambda c, r: self._query(state, condition, None, request, c, r), limit=request.posts
            )

    def window(self, request: Request) -> tuple[str, str]:
        end = self.now().date()
        start = end - dt.timedelta(days=max(1, min(30, request.days)) - 1)
        return start.strftime("%Y%m%d"), end.strftime("%Y%m%d")

    def _research_creator(self, request: Request, state: State) -> Iterator[Page]:
        username = str(request.handle).lstrip("@")
        http = self.research()
        if not state.is_done("profile"):
            body = http.post(
                "research/user/info/",
                params={"fields": USER_FIELDS},
                json_body={"username": username},
                permission=RESEARCH,
            )
            user = self.data(body)
            records = Records()
            records.add("creators", self.creator_row(user, username), position="profile", raw=user)
            state.ctx["videos"] = []
            yield state.page("profile", records, cursor=None, n=1, label=f"tiktok {username} profile")
        condition = {"operation": "EQ", "field_name": "username", "field_values": [username]}
        if request.posts:
            yield from paginate(
                state, "posts", lambda c, r: self._query(state, condition, username, request, c, r), limit=request.posts
            )
        if request.comments:
            yield from for_each(
                state,
                "comments",
                list(state.ctx.get("videos") or []),
                lambda vid, c, r: self._comments(state, vid, c, r),
                per_item=request.comments,
                label=f"tiktok {username} comments",
            )

    def _query(
        self,
        state: State,
        condition: dict[str, Any],
        username: str | None,
        request: Request,
        cursor: Any,
        rem: int | None,
    ) -> tuple[Records, Any, int]:
        start, end = self.window(request)
        cursor = cursor or {}
        body = self.research().post(
            "research/video/query/",
            params={"fields": VIDEO_FIELDS},
            json_body={
                "query": {"and": [condition]},
                "start_date": start,
                "end_date": end,
                "max_count": min(100, rem or 100),
                "cursor": cursor.get("cursor", 0),
                **({"search_id": cursor["search_id"]} if cursor.get("search_id") else {}),
            },
            permission=RESEARCH,
        )
        data = self.data(body)
        videos = (data.get("videos") or [])[: rem or None]
        records = Records()
        ids = self.add_videos(records, videos, username, state, "posts" if username else "search")
        if username:
            kept: list[str] = state.ctx.setdefault("videos", [])
            kept.extend(ids[: max(0, request.comment_posts - len(kept))])
        more = data.get("has_more") and data.get("cursor") is not None
        nxt = {"cursor": data.get("cursor"), "search_id": data.get("search_id")} if more else None
        return records, nxt, len(videos)

    def _comments(self, state: State, video_id: str, cursor: Any, rem: int | None) -> tuple[Records, Any, int]:
        body = self.research().post(
            "research/video/comment/list/",
            params={"fields": COMMENT_FIELDS},
            json_body={"video_id": int(video_id), "max_count": min(100, rem or 100), "cursor": cursor or 0},
            permission=RESEARCH,
        )
        data = self.data(body)
        items = (data.get("comments") or [])[: rem or None]
        records = Records()
        for i, comment in enumerate(items):
            position = state.position("comments", i, video_id)
            if not isinstance(comment, dict):
                records.reject("comments", position, "comment is not a JSON object", comment)
                continue
            records.add(
                "comments",
                {
                    "platform": "tiktok",
                    "comment_id": str(comment["id"]) if comment.get("id") is not None else None,
                    "post_id": video_id,
                    "author_id": None,  # the Research API does not say who commented
                    "text": comment.get("text"),
                    "published_at": epoch_iso(comment.get("create_time")),
                    "likes": comment.get("like_count"),
                    "extras": {"replies": comment.get("reply_count"), "parent": comment.get("parent_comment_id")},
                },
                position=position,
                raw=comment,
            )
        return records, data.get("cursor") if data.get("has_more") else None, len(items)

    def _display(self, request: Request, state: State, http: HttpClient, account: str) -> Iterator[Page]:
        tag = f"me:{account}"
        if not state.is_done(f"{tag}/profile"):
            body = http.get("user/info/", params={"fields": DISPLAY_USER}, permission=SCOPES["user"])
            user = as_object(self.data(body).get("user"), "user")
            username = str(user.get("username") or user.get("open_id"))
            records = Records()
            records.add("creators", self.creator_row(user, username), position=f"{tag} profile", raw=user)
            state.ctx[tag] = {"username": username}
            yield state.page(f"{tag}/profile", records, cursor=None, n=1, label=f"tiktok {tag}")
        username = str(state.ctx[tag]["username"])

        def fetch(cursor: Any, rem: int | None) -> tuple[Records, Any, int]:
            body = http.post(
                "video/list/",
                params={"fields": DISPLAY_VIDEO},
                json_body={"max_count": min(20, rem or 20), **({"cursor": cursor} if cursor else {})},
                permission=SCOPES["video"],
            )
            data = self.data(body)
            videos = (data.get("videos") or [])[: rem or None]
            records = Records()
            self.add_videos(records, videos, username, state, f"{tag}/videos")
            return records, data.get("cursor") if data.get("has_more") else None, len(videos)

        if request.posts:
            yield from paginate(state, f"{tag}/videos", fetch, limit=request.posts)
