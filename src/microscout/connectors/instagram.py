"""Instagram Graph API: Business Discovery, hashtags and tags for the brand's own professional
account (``MICROSCOUT_INSTAGRAM_TOKEN`` + ``MICROSCOUT_INSTAGRAM_USER_ID``), and creator-authorised
data of connected accounts (media, media insights, comments, follower demographics).

- Business Discovery: ``GET /{ig-user-id}?fields=business_discovery.username(h){…,media{…}}``;
  a hidden like count is absent from the media → NULL.
- Hashtags: ``GET /ig_hashtag_search`` then ``/{hashtag-id}/recent_media`` or ``/top_media``
  (the API does not say who posted hashtag media).
- Tags: ``GET /{ig-user-id}/tags`` (media the brand is tagged in, UGC).
- Connected accounts (Instagram API with Instagram Login): ``/me``, ``/me/media``,
  ``/{media-id}/insights`` (reach, saved, shares, views), ``/{media-id}/comments`` and
  ``/me/insights?metric=follower_demographics`` by age, city, country and gender.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar

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
    leftovers,
    mentions_in,
    paginate,
    register,
)
from microscout.connectors.http import ApiProblem, ConnectorError, HttpClient, MissingCredentialsError
from microscout.errors import InvalidInputError

VERSION = "v25.0"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
PROFILE_FIELDS = "id,username,name,biography,website,followers_count,follows_count,media_count,profile_picture_url"
RATE_CODES = {4, 17, 32, 613, 80001, 80002, 80006}
GENDER = {"F": "female", "M": "male", "U": "unknown"}
NEEDS = {
    "discovery": "instagram_basic, instagram_manage_insights and pages_read_engagement (Business Discovery)",
    "hashtag": "instagram_basic and the Instagram Public Content Access feature (hashtag search)",
    "tags": "instagram_basic and instagram_manage_comments (tags of your account)",
    "insights": "instagram_business_manage_insights (creator-authorised insights)",
}


def media_kind(item: dict[str, Any]) -> str:
    product, media = item.get("media_product_type"), item.get("media_type")
    if product == "REELS":
        return "reel"
    if product == "STORY":
        return "story"
    if media == "CAROUSEL_ALBUM":
        return "carousel"
    return "video" if media == "VIDEO" else "post"


def paging_after(body: dict[str, Any]) -> str | None:
    paging = body.get("paging") or {}
    if not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return str(after) if after else None


@register
class Instagram(Source):
    name = "instagram"
    platform = "instagram"
    base_url = f"https://graph.facebook.com/{VERSION}/"
    credential_env = "MICROSCOUT_INSTAGRAM_TOKEN"
    credential_place = "query"
    credential_param = "access_token"
    option_env: ClassVar[dict[str, str]] = {"user_id": "MICROSCOUT_INSTAGRAM_USER_ID"}
    oauth = True

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        code = error.get("code")
        sub = error.get("error_subcode")
        message = str(error.get("error_user_msg") or error.get("message") or "")
        kind = None
        if code == 190 or (error.get("type") == "OAuthException" and response.status_code == 401):
            kind = "auth"
        elif code in RATE_CODES:
            kind = "rate"
        elif code == 10 or (isinstance(code, int) and 200 <= code < 300):
            kind = "permission"
        elif code in (24, 803) or sub in (2207013, 2207035) or "does not exist" in message or "Cannot find" in message:
            kind = "not_found" if code != 24 else "quota"
        label = f"code {code}" + (f"/{sub}" if sub else "")
        return ApiProblem(message, label, kind)

    @classmethod
    def check(cls, request: Request) -> None:
        super().check(request)
        if request.query:
            raise InvalidInputError("ingest instagram: the Graph API has no free-text search; use --hashtag")

    @classmethod
    def refresh_handle(cls, creator_id: str, handle: str | None) -> str:
        return handle or creator_id  # Business Discovery looks accounts up by username

    def brand_user(self) -> str:
        user_id = self.options.get("user_id")
        if not user_id or self.http.credential is None:
            raise MissingCredentialsError(
                "ingest instagram: set MICROSCOUT_INSTAGRAM_TOKEN and MICROSCOUT_INSTAGRAM_USER_ID (your professional "
                "account's id) for Business Discovery, hashtags and tags (docs/connectors.md)"
            )
        return user_id

    # ---- mapping ---------------------------------------------------------------------------------
    def creator_row(self, user: dict[str, Any], *, creator_id: Any = None) -> dict[str, Any]:
        username = user.get("username")
        return {
            "platform": "instagram",
            "creator_id": creator_id or user.get("id"),
            "handle": username,
            "display_name": user.get("name"),
            "bio": user.get("biography"),
            "followers": user.get("followers_count"),
            "following": user.get("follows_count"),
            "posts_count": user.get("media_count"),
            "is_business": True,
            "profile_url": f"https://www.instagram.com/{username}/" if username else None,
            "first_seen": self.now_iso(),
            "last_seen": self.now_iso(),
            "extras": {
                **leftovers(
                    user,
                    ("id", "username", "name", "biography", "followers_count", "follows_count", "media_count"),
                    drop=("media", "profile_picture_url"),
                ),
                "has_profile_picture": bool(user.get("profile_picture_url")),
            },
        }

    def post_row(self, item: dict[str, Any], creator_id: Any) -> dict[str, Any]:
        caption = item.get("caption")
        return {
            "platform": "instagram",
            "post_id": item.get("id"),
            "creator_id": creator_id,
            "published_at": item.get("timestamp"),
            "kind": media_kind(item),
            "caption": caption,
            "hashtags": hashtags_in(caption),
            "mentions": mentions_in(caption),
            "likes": item.get("like_count"),  # absent when the owner hides like counts: NULL
            "comments": item.get("comments_count"),
            "url": item.get("permalink"),
            "extras": {
                "media_type": item.get("media_type"),
                "media_product_type": item.get("media_product_type"),
                "username": item.get("username") if creator_id is None else None,
                "likes_hidden": "like_count" not in item or None,
            },
        }

    def add_media(
        self, records: Records, items: list[Any], creator_id: Any, state: State, step: str, key: str | None = None
    ) -> list[str]:
        ids = []
        for i, item in enumerate(items):
            position = state.position(step, i, key)
            try:
                row = self.post_row(as_object(item, "media"), creator_id)
            except ValueError as exc:
                records.reject("posts", position, f"cannot read media: {exc}", item)
                continue
            if item.get("_insights"):
                row.update(item.pop("_insights"))
            records.add("posts", row, position=position, raw=item)
            if row["post_id"]:
                ids.append(str(row["post_id"]))
        return ids

    # ---- steps ------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.handle:
            yield from self._discovery(request, state)
        if request.hashtag:
            yield from self._hashtag(request, state)
        if request.tags:
            brand = self.brand_user()
            yield from paginate(
                state,
                "tags",
                lambda c, r: self._edge(self.http, f"{brand}/tags", state, "tags", None, c, r, NEEDS["tags"], True),
                limit=request.posts,
            )
        if request.connected:
            for token, credential in self.connected:
                http = self.http.spawn(
                    dataclasses.replace(credential, place="query", param="access_token"),
                    base_url=f"https://graph.instagram.com/{VERSION}/",
                )
                http.credential.refresh = credential.refresh  # type: ignore[union-attr]
                http.describe_error = self.describe_error
                yield from self._connected(request, state, http, str(token.account))

    def _discovery(self, request: Request, state: State) -> Iterator[Page]:
        brand = self.brand_user()
        username = str(request.handle).lstrip("@")
        if not state.is_done("profile"):
            body = self.http.get(
                brand,
                params={"fields": f"business_discovery.username({username}){{{PROFILE_FIELDS}}}"},
                permission=NEEDS["discovery"],
            )
            user = as_object(body.get("business_discovery"), "business_discovery")
            records = Records()
            records.add("creators", self.creator_row(user), position="profile", raw=user)
            state.ctx["creator_id"] = user.get("id")
            yield state.page("profile", records, cursor=None, n=1, label=f"instagram {username} profile")
        creator_id = state.ctx["creator_id"]

        def fetch(cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
            limit = min(50, remaining or 50)
            after = f".after({cursor})" if cursor else ""
            media_fields = "{" + MEDIA_FIELDS + "}"
            body = self.http.get(
                brand,
                params={
                    "fields": f"business_discovery.username({username}){{media.limit({limit}){after}{media_fields}}}"
                },
                permission=NEEDS["discovery"],
            )
            media = (body.get("business_discovery") or {}).get("media") or {}
            items = (media.get("data") or [])[:limit]
            records = Records()
            self.add_media(records, items, creator_id, state, "posts")
            return records, paging_after(media), len(items)

        if request.posts:
            yield from paginate(state, "posts", fetch, limit=request.posts)

    def _hashtag(self, request: Request, state: State) -> Iterator[Page]:
        brand = self.brand_user()
        tag = str(request.hashtag).lstrip("#").lower()
        if not state.is_done("hashtag"):
            body = self.http.get("ig_hashtag_search", params={"user_id": brand, "q": tag}, permission=NEEDS["hashtag"])
            found = body.get("data") or []
            state.ctx["hashtag_id"] = found[0].get("id") if found and isinstance(found[0], dict) else None
            yield state.page("hashtag", Records(), cursor=None, n=0, label=f"instagram #{tag}")
        hashtag_id = state.ctx.get("hashtag_id")
        if not hashtag_id:
            return
        edge = "top_media" if request.top else "recent_media"
        yield from paginate(
            state,
            "hashtag_media",
            lambda c, r: self._edge(
                self.http, f"{hashtag_id}/{edge}", state, "hashtag_media", None, c, r, NEEDS["hashtag"], False, brand
            ),
            limit=request.posts,
        )

    def _edge(
        self,
        http: HttpClient,
        path: str,
        state: State,
        step: str,
        creator_id: Any,
        cursor: Any,
        remaining: int | None,
        needs: str,
        with_username: bool,
        user_id: str | None = None,
    ) -> tuple[Records, Any, int]:
        limit = min(50, remaining or 50)
        fields = MEDIA_FIELDS + (",username" if with_username else "")
        body = http.get(
            path, params={"fields": fields, "limit": limit, "after": cursor, "user_id": user_id}, permission=needs
        )
        items = (body.get("data") or [])[:limit]
        records = Records()
        self.add_media(records, items, creator_id, state, step)
        return records, paging_after(body), len(items)

    # ---- creator-authorised data -------------------------------------------------------------------
    def _connected(self, request: Request, state: State, http: HttpClient, account: str) -> Iterator[Page]:
        tag = f"me:{account}"
        if not state.is_done(f"{tag}/profile"):
            fields = "user_id,username,name,biography,website,followers_count,follows_count,media_count,account_type"
            me = as_object(http.get("me", params={"fields": fields + ",profile_picture_url"}), "me")
            creator_id = me.get("user_id") or me.get("id")
            records = Records()
            records.add("creators", self.creator_row(me, creator_id=creator_id), position=f"{tag} profile", raw=me)
            state.ctx[tag] = {"id": creator_id, "media": []}
            yield state.page(f"{tag}/profile", records, cursor=None, n=1, label=f"instagram {tag}")
        ctx = state.ctx[tag]

        def fetch(cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
            limit = min(50, remaining or 50)
            body = http.get("me/media", params={"fields": MEDIA_FIELDS, "limit": limit, "after": cursor})
            items = list((body.get("data") or [])[:limit])
            for item in items:
                if isinstance(item, dict) and item.get("id"):
                    item["_insights"] = self._media_insights(http, str(item["id"]), item)
            records = Records()
            for media_id in self.add_media(records, items, ctx["id"], state, f"{tag}/media"):
                if len(ctx["media"]) < request.comment_posts:
                    ctx["media"].append(media_id)
            return records, paging_after(body), len(items)

        if request.posts:
            yield from paginate(state, f"{tag}/media", fetch, limit=request.posts)
        if request.comments:
            yield from for_each(
                state,
                f"{tag}/comments",
                list(ctx["media"]),
                lambda media_id, c, r: self._comments(http, state, tag, str(ctx["id"]), media_id, c, r),
                per_item=request.comments,
                label=f"instagram {tag} comments",
            )
        if not state.is_done(f"{tag}/audience"):
            records = self._demographics(http, str(ctx["id"]))
            yield state.page(f"{tag}/audience", records, cursor=None, n=1, label=f"instagram {tag} audience")

    def _media_insights(self, http: HttpClient, media_id: str, item: dict[str, Any]) -> dict[str, Any]:
        metrics = "reach,saved,shares,views" if item.get("media_product_type") != "STORY" else "reach,views"
        try:
            body = http.get(f"{media_id}/insights", params={"metric": metrics}, permission=NEEDS["insights"])
        except ConnectorError as exc:
            if exc.status in (401, 403, 429):
                raise
            return {}  # e.g. album children and expired stories have no insights
        out: dict[str, Any] = {}
        for metric in body.get("data") or []:
            values = metric.get("values") or [{}]
            value = values[0].get("value") if values else None
            if value is None:
                value = (metric.get("total_value") or {}).get("value")
            column = {"saved": "saves", "shares": "shares", "views": "views"}.get(str(metric.get("name")))
            if column:
                out[column] = value
        return out

    def _comments(
        self, http: HttpClient, state: State, tag: str, creator_id: str, media_id: str, cursor: Any, rem: int | None
    ) -> tuple[Records, Any, int]:
        body = http.get(
            f"{media_id}/comments",
            params={
                "fields": "id,text,timestamp,like_count,from,parent_id",
                "limit": min(50, rem or 50),
                "after": cursor,
            },
        )
        items = (body.get("data") or [])[: rem or None]
        records = Records()
        for i, comment in enumerate(items):
            position = state.position(f"{tag}/comments", i, media_id)
            if not isinstance(comment, dict) or not comment.get("id"):
                records.reject("comments", position, "comment without an id", {"media": media_id})
                continue
            author = comment.get("from") or {}
            raw_id = str(author.get("id") or "")
            own = raw_id == creator_id
            account = creator_id if own else (self.pseudonym(raw_id) if raw_id else None)
            if raw_id and not own:
                row = self.audience_row(raw_id, username=author.get("username"))
                records.add("audience_accounts", row, position=position)
                records.add("audience_edges", self.edge(creator_id, row["account_id"], "commenter"), position=position)
            records.add(
                "comments",
                {
                    "platform": "instagram",
                    "comment_id": comment["id"],
                    "post_id": media_id,
                    "author_id": account,
                    "author_handle": author.get("username") if own else None,
                    "text": comment.get("text"),
                    "published_at": comment.get("timestamp"),
                    "likes": comment.get("like_count"),
                    "is_creator_reply": own,
                    "extras": {"parent": comment.get("parent_id")},
                },
                position=position,
            )
        return records, paging_after(body), len(items)

    def _demographics(self, http: HttpClient, creator_id: str) -> Records:
        """Follower demographics (engaged audience when the account is too small for follower data)."""
        observed = dt.datetime.combine(self.now().date(), dt.time()).isoformat() + "Z"
        records = Records()
        for breakdown in ("age", "city", "country", "gender"):
            counts: dict[str, float] = {}
            for metric, extra in (
                ("follower_demographics", {}),
                ("engaged_audience_demographics", {"timeframe": "this_month"}),
            ):
                try:
                    body = http.get(
                        "me/insights",
                        params={
                            "metric": metric,
                            "period": "lifetime",
                            "metric_type": "total_value",
                            "breakdown": breakdown,
                            **extra,
                        },
                        permission=NEEDS["insights"],
                    )
                except ConnectorError as exc:
                    if exc.status in (401, 403, 429):
                        raise
                    continue
                for entry in body.get("data") or []:
                    for part in ((entry.get("total_value") or {}).get("breakdowns")) or []:
                        for result in part.get("results") or []:
                            values = result.get("dimension_values") or []
                            if values and isinstance(result.get("value"), int | float):
                                counts[str(values[0])] = counts.get(str(values[0]), 0.0) + float(result["value"])
                if counts:
                    if metric != "follower_demographics":
                        self.notes.append(f"instagram {creator_id}: {breakdown} from the engaged audience")
                    break
            total = sum(counts.values())
            for value, n in sorted(counts.items()):
                records.add(
                    "audience_insights",
                    {
                        "platform": "instagram",
                        "creator_id": creator_id,
                        "dimension": breakdown,
                        "value": GENDER.get(value, value) if breakdown == "gender" else value,
                        "share": round(n / total, 6) if total else None,
                        "observed_at": observed,
                    },
                    position=f"audience {breakdown} {value}",
                )
        return records
