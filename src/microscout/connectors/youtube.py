"""YouTube Data API v3 (API key ``MICROSCOUT_YOUTUBE_API_KEY``) and, for channels that authorised
microscout, the YouTube Analytics API (viewer age, gender and country → ``audience_insights``).

Endpoints: ``channels`` (statistics; ``hiddenSubscriberCount`` → followers NULL), the uploads
playlist (``playlistItems``), ``videos`` (statistics; a hidden like count is absent → NULL),
``commentThreads`` (comments and commenter samples) and ``search``. Quota units are counted.
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
    for_each,
    hashtags_in,
    mentions_in,
    paginate,
    register,
)
from microscout.connectors.http import ApiProblem, ConnectorError, HttpClient, NotFoundOnPlatformError

UNITS = {"search": 100}  # every other list call costs 1 unit
VIDEO_PARTS = "snippet,statistics,contentDetails,status,paidProductPlacementDetails"
ANALYTICS = "https://youtubeanalytics.googleapis.com/v2/reports"
GENDERS = {"female": "female", "male": "male", "user_specified": "other"}


def _count(stats: dict[str, Any], key: str) -> Any:
    """Counts come as strings (validation types them); an absent count (hidden likes, disabled comments)
    stays NULL, never 0."""
    return stats.get(key)


@register
class YouTube(Source):
    name = "youtube"
    platform = "youtube"
    base_url = "https://www.googleapis.com/youtube/v3/"
    credential_env = "MICROSCOUT_YOUTUBE_API_KEY"
    credential_place = "query"
    credential_param = "key"
    oauth = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = 0
        self._clients: dict[str, HttpClient] = {}  # connected accounts: their own bearer client

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
        reason = str(reasons[0]) if reasons else str(error.get("status") or "")
        kind = None
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            kind = "quota"
        elif reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            kind = "rate"
        elif reason in ("keyInvalid", "keyExpired", "authError", "invalidCredentials"):
            kind = "auth"
        elif reason in ("commentsDisabled", "videoNotFound", "channelNotFound", "playlistNotFound"):
            kind = "not_found"
        elif reason in ("insufficientPermissions", "forbidden", "accessNotConfigured"):
            kind = "permission"
        return ApiProblem(str(error.get("message") or ""), reason or None, kind)

    def call(self, endpoint: str, params: dict[str, Any], tag: str = "") -> Any:
        self.units += UNITS.get(endpoint, 1)
        self.notes[:] = [n for n in self.notes if not n.startswith("YouTube Data API quota")]
        self.notes.append(f"YouTube Data API quota units used: {self.units} (default daily quota: 10,000)")
        http = self._clients.get(tag, self.http)
        return http.get(endpoint, params=params, permission="the YouTube Data API v3 enabled for the key's project")

    @classmethod
    def refresh_handle(cls, creator_id: str, handle: str | None) -> str:
        return creator_id

    # ---- mapping ---------------------------------------------------------------------------------
    def creator_row(self, channel: dict[str, Any]) -> dict[str, Any]:
        snippet = channel.get("snippet") or {}
        stats = channel.get("statistics") or {}
        custom = str(snippet.get("customUrl") or "")
        hidden = bool(stats.get("hiddenSubscriberCount"))
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
        return {
            "platform": "youtube",
            "creator_id": channel.get("id"),
            "handle": custom.lstrip("@") or channel.get("id"),
            "display_name": snippet.get("title"),
            "bio": snippet.get("description"),
            "followers": None if hidden else _count(stats, "subscriberCount"),
            "following": None,
            "posts_count": _count(stats, "videoCount"),
            "declared_country": snippet.get("country"),
            "declared_language": snippet.get("defaultLanguage"),
            "profile_url": f"https://www.youtube.com/{custom}"
            if custom
            else f"https://www.youtube.com/channel/{channel.get('id')}",
            "first_seen": self.now_iso(),
            "last_seen": self.now_iso(),
            "extras": {
                "views": stats.get("viewCount"),
                "hidden_subscriber_count": hidden or None,
                "published_at": snippet.get("publishedAt"),
                "uploads_playlist": uploads,
                "keywords": ((channel.get("brandingSettings") or {}).get("channel") or {}).get("keywords"),
                "topics": (channel.get("topicDetails") or {}).get("topicCategories"),
            },
        }

    def post_row(self, video: dict[str, Any]) -> dict[str, Any]:
        snippet = as_object(video.get("snippet"), "video.snippet")
        stats = video.get("statistics") or {}
        details = video.get("contentDetails") or {}
        title, description = snippet.get("title") or "", snippet.get("description") or ""
        text = f"{title}\n{description}".strip()
        live = snippet.get("liveBroadcastContent") in ("live", "upcoming")
        placement = video.get("paidProductPlacementDetails") or {}
        return {
            "platform": "youtube",
            "post_id": video.get("id"),
            "creator_id": snippet.get("channelId"),
            "published_at": snippet.get("publishedAt"),
            "kind": "live" if live else "video",
            "caption": text or None,
            "hashtags": hashtags_in(text),
            "mentions": mentions_in(description),
            "likes": _count(stats, "likeCount"),
            "comments": _count(stats, "commentCount"),
            "views": _count(stats, "viewCount"),
            "is_sponsored": placement.get("hasPaidProductPlacement"),
            "url": f"https://www.youtube.com/watch?v={video.get('id')}",
            "extras": {
                "duration": details.get("duration"),
                "tags": snippet.get("tags"),
                "category_id": snippet.get("categoryId"),
                "audio_language": snippet.get("defaultAudioLanguage"),
                "made_for_kids": (video.get("status") or {}).get("madeForKids"),
                "likes_hidden": "likeCount" not in stats or None,
                "comments_disabled": "commentCount" not in stats or None,
            },
        }

    def add_videos(
        self, records: Records, ids: list[str], state: State, step: str, *, authors: bool, tag: str = ""
    ) -> None:
        if not ids:
            return
        body = self.call("videos", {"part": VIDEO_PARTS, "id": ",".join(ids), "maxResults": 50}, tag)
        for i, video in enumerate(body.get("items") or []):
            position = state.position(step, i)
            try:
                row = self.post_row(as_object(video, "video"))
            except ValueError as exc:
                records.reject("posts", position, f"cannot read video: {exc}", video)
                continue
            records.add("posts", row, position=position, raw=video)
            if authors and row["creator_id"]:
                snippet = video["snippet"]
                records.add(
                    "creators",
                    {
                        "platform": "youtube",
                        "creator_id": row["creator_id"],
                        "display_name": snippet.get("channelTitle"),
                        "profile_url": f"https://www.youtube.com/channel/{row['creator_id']}",
                    },
                    position=position,
                )

    # ---- steps ------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.connected:
            for token, credential in self.connected:
                http = self.http.spawn(credential)
                http.describe_error = self.describe_error
                yield from self._channel(request, state, {"mine": "true"}, f"me:{token.account}", http)
        elif request.handle:
            ref = str(request.handle)
            if ref.startswith("UC") and len(ref) == 24:
                yield from self._channel(request, state, {"id": ref}, "channel")
            else:
                yield from self._channel(request, state, {"forHandle": "@" + ref.lstrip("@")}, "channel")
        if request.query or request.hashtag:
            q = request.query or f"#{str(request.hashtag).lstrip('#')}"
            yield from paginate(state, "search", lambda c, r: self._search(state, q, c, r), limit=request.posts)

    def _channel(
        self, request: Request, state: State, lookup: dict[str, str], tag: str, http: HttpClient | None = None
    ) -> Iterator[Page]:
        step = f"{tag}/profile"
        if http is not None:
            self._clients[tag] = http
        if not state.is_done(step):
            body = self.call(
                "channels", {"part": "snippet,statistics,contentDetails,brandingSettings,topicDetails", **lookup}, tag
            )
            items = body.get("items") or []
            if not items:
                raise NotFoundOnPlatformError(f"youtube: no channel for {next(iter(lookup.values()))}")
            channel = as_object(items[0], "channel")
            records = Records()
            records.add("creators", self.creator_row(channel), position=step, raw=channel)
            uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
            state.ctx[tag] = {"id": channel.get("id"), "uploads": uploads, "videos": []}
            yield state.page(step, records, cursor=None, n=1, label=f"youtube {tag} channel")
        ctx = state.ctx[tag]
        if request.posts and ctx.get("uploads"):
            yield from paginate(
                state, f"{tag}/videos", lambda c, r: self._uploads(state, tag, request, c, r), limit=request.posts
            )
        if request.comments:
            yield from for_each(
                state,
                f"{tag}/comments",
                list(ctx.get("videos") or []),
                lambda vid, c, r: self._comments(state, tag, vid, c, r),
                per_item=request.comments,
                label=f"youtube {tag} comments",
            )
        if request.connected and http is not None and not state.is_done(f"{tag}/audience"):
            yield state.page(f"{tag}/audience", self._audience(http, str(ctx["id"]), state), cursor=None, n=1)

    def _uploads(
        self, state: State, tag: str, request: Request, cursor: Any, remaining: int | None
    ) -> tuple[Records, Any, int]:
        ctx = state.ctx[tag]
        limit = min(50, remaining or 50)
        body = self.call(
            "playlistItems",
            {"part": "contentDetails", "playlistId": ctx["uploads"], "maxResults": limit, "pageToken": cursor},
            tag,
        )
        ids = [
            str((item.get("contentDetails") or {}).get("videoId"))
            for item in (body.get("items") or [])[:limit]
            if isinstance(item, dict) and (item.get("contentDetails") or {}).get("videoId")
        ]
        records = Records()
        self.add_videos(records, ids, state, f"{tag}/videos", authors=False, tag=tag)
        for vid in ids:
            if len(ctx["videos"]) < request.comment_posts:
                ctx["videos"].append(vid)
        return records, body.get("nextPageToken"), len(ids)

    def _comments(
        self, state: State, tag: str, video_id: str, cursor: Any, remaining: int | None
    ) -> tuple[Records, Any, int]:
        channel_id = str(state.ctx[tag]["id"])
        body = self.call(
            "commentThreads",
            {
                "part": "snippet,replies",
                "videoId": video_id,
                "maxResults": min(100, remaining or 100),
                "pageToken": cursor,
                "textFormat": "plainText",
                "order": "time",
            },
            tag,
        )
        records = Records()
        threads = [t for t in body.get("items") or [] if isinstance(t, dict)][: remaining or None]
        for i, thread in enumerate(threads):
            position = state.position(f"{tag}/comments", i, video_id)
            top = ((thread.get("snippet") or {}).get("topLevelComment")) or {}
            replies = (thread.get("replies") or {}).get("comments") or []
            for j, comment in enumerate([top, *replies]):
                self._add_comment(records, comment, channel_id, video_id, f"{position}.{j}")
        return records, body.get("nextPageToken"), len(threads)

    def _add_comment(self, records: Records, comment: Any, channel_id: str, video_id: str, position: str) -> None:
        if not isinstance(comment, dict) or not isinstance(comment.get("snippet"), dict):
            records.reject("comments", position, "comment without a snippet", {"video": video_id})
            return
        s = comment["snippet"]
        author = str((s.get("authorChannelId") or {}).get("value") or "")
        own = author == channel_id
        account = channel_id if own else (self.pseudonym(author) if author else None)
        if author and not own:
            row = self.audience_row(
                author,
                username=str(s.get("authorDisplayName") or "").lstrip("@") or None,
                has_profile_pic=bool(s.get("authorProfileImageUrl")),
            )
            records.add("audience_accounts", row, position=position)
            records.add("audience_edges", self.edge(channel_id, row["account_id"], "commenter"), position=position)
        records.add(
            "comments",
            {
                "platform": "youtube",
                "comment_id": comment.get("id"),
                "post_id": s.get("videoId") or video_id,
                "author_id": account,
                "author_handle": str(s.get("authorDisplayName") or "").lstrip("@") if own else None,
                "text": s.get("textOriginal") or s.get("textDisplay"),
                "published_at": s.get("publishedAt"),
                "likes": s.get("likeCount"),
                "is_creator_reply": own,
                "extras": {"parent": s.get("parentId"), "updated_at": s.get("updatedAt")},
            },
            position=position,
        )

    def _search(self, state: State, q: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        limit = min(50, remaining or 50)
        body = self.call(
            "search", {"part": "snippet", "q": q, "type": "video", "maxResults": limit, "pageToken": cursor}
        )
        ids = [
            str((item.get("id") or {}).get("videoId"))
            for item in (body.get("items") or [])[:limit]
            if isinstance(item, dict) and (item.get("id") or {}).get("videoId")
        ]
        records = Records()
        self.add_videos(records, ids, state, "search", authors=True)
        return records, body.get("nextPageToken"), len(ids)

    def _audience(self, http: HttpClient, channel_id: str, state: State) -> Records:
        """Creator-authorised viewer demographics (YouTube Analytics), the last 28 days."""
        end = self.now().date()
        start = end - dt.timedelta(days=28)
        observed = dt.datetime.combine(end, dt.time()).isoformat() + "Z"
        analytics = http.spawn(http.credential, base_url="")
        analytics.describe_error = self.describe_error
        common = {"ids": "channel==MINE", "startDate": start.isoformat(), "endDate": end.isoformat()}
        records = Records()
        try:
            by_age = analytics.get(
                ANALYTICS, params={**common, "metrics": "viewerPercentage", "dimensions": "ageGroup,gender"}
            )
            by_country = analytics.get(ANALYTICS, params={**common, "metrics": "views", "dimensions": "country"})
        except ConnectorError as exc:
            self.notes.append(f"youtube audience demographics unavailable: {exc.message}")
            return records
        ages: dict[str, float] = {}
        genders: dict[str, float] = {}
        for row in by_age.get("rows") or []:
            if isinstance(row, list) and len(row) == 3 and isinstance(row[2], int | float):
                age = str(row[0]).removeprefix("age")
                ages[age] = ages.get(age, 0.0) + row[2] / 100
                gender = GENDERS.get(str(row[1]), "other")
                genders[gender] = genders.get(gender, 0.0) + row[2] / 100
        views = [(str(r[0]), float(r[1])) for r in by_country.get("rows") or [] if isinstance(r, list) and len(r) == 2]
        total = sum(v for _, v in views)
        countries = {c: v / total for c, v in views} if total else {}
        for dimension, shares in (("age", ages), ("gender", genders), ("country", countries)):
            for value, share in sorted(shares.items()):
                records.add(
                    "audience_insights",
                    {
                        "platform": "youtube",
                        "creator_id": channel_id,
                        "dimension": dimension,
                        "value": value,
                        "share": round(min(1.0, share), 6),
                        "observed_at": observed,
                    },
                    position=f"audience {dimension} {value}",
                )
        return records
