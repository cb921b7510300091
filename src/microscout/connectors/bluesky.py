"""Bluesky through the public AT Protocol AppView (no credentials).

Endpoints (XRPC, documented lexicons): ``app.bsky.actor.getProfile``, ``app.bsky.feed.getAuthorFeed``,
``app.bsky.graph.getFollowers``, ``app.bsky.feed.getPostThread`` (replies → comments and commenter
samples), ``app.bsky.feed.getQuotes`` (quotes → posts with ``quote_of``) and
``app.bsky.feed.searchPosts``. Reposts in an author feed become posts with ``repost_of``.
"""

from __future__ import annotations

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
from microscout.connectors.http import ApiProblem

REPOST = "app.bsky.feed.defs#reasonRepost"
QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


def _ts(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _published(post: dict[str, Any], record: dict[str, Any]) -> Any:
    """``createdAt`` is set by the client; a value later than the AppView's ``indexedAt`` is not trusted."""
    created, indexed = record.get("createdAt"), post.get("indexedAt")
    c, i = _ts(created), _ts(indexed)
    if c and i and c > i + dt.timedelta(minutes=10):
        return indexed
    return created


@register
class Bluesky(Source):
    name = "bluesky"
    platform = "bluesky"
    base_url = "https://public.api.bsky.app/xrpc/"
    credential_required = False
    option_env: ClassVar[dict[str, str]] = {"appview": "MICROSCOUT_BLUESKY_APPVIEW"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.options.get("appview"):
            self.http = self.http.spawn(None, base_url=self.options["appview"].rstrip("/") + "/xrpc/")
            self.http.describe_error = self.describe_error

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        error, message = str(body.get("error") or ""), str(body.get("message") or "")
        kind = None
        if "not found" in message.lower() or error in ("ActorNotFound", "NotFound"):
            kind = "not_found"
        elif error in ("AuthMissing", "AuthenticationRequired", "ExpiredToken", "InvalidToken"):
            kind = "auth"
        elif error == "RateLimitExceeded":
            kind = "rate"
        return ApiProblem(message, error or None, kind)

    @classmethod
    def refresh_handle(cls, creator_id: str, handle: str | None) -> str:
        return creator_id  # the DID survives handle changes

    # ---- mapping -------------------------------------------------------------------------
    def creator_row(self, profile: dict[str, Any], *, full: bool) -> dict[str, Any]:
        handle = profile.get("handle")
        row: dict[str, Any] = {
            "platform": "bluesky",
            "creator_id": profile.get("did"),
            "handle": handle,
            "display_name": profile.get("displayName") or None,
            "profile_url": f"https://bsky.app/profile/{handle}" if handle else None,
        }
        if full:
            verification = profile.get("verification") or {}
            row.update(
                {
                    "bio": profile.get("description"),
                    "followers": profile.get("followersCount"),
                    "following": profile.get("followsCount"),
                    "posts_count": profile.get("postsCount"),
                    "verified": (verification.get("verifiedStatus") == "valid") if verification else None,
                    "first_seen": self.now_iso(),
                    "last_seen": self.now_iso(),
                    "extras": leftovers(
                        profile,
                        ("did", "handle", "displayName", "description", "followersCount", "followsCount", "postsCount"),
                        drop=("viewer", "verification"),
                    ),
                }
            )
        return row

    def post_row(self, post: dict[str, Any]) -> dict[str, Any]:
        record = as_object(post.get("record"), "post.record")
        author = as_object(post.get("author"), "post.author")
        text = record.get("text")
        tags = hashtags_in(text)
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#tag" and feature.get("tag"):
                    tags.append(str(feature["tag"]).lower())
        tags += [str(t).lower() for t in record.get("tags") or []]
        embed = record.get("embed") or {}
        quote = None
        if embed.get("$type") in QUOTE_EMBEDS:
            inner = embed.get("record") or {}
            quote = inner.get("uri") or (inner.get("record") or {}).get("uri")
        uri = post.get("uri")
        rkey = str(uri).rsplit("/", 1)[-1] if uri else None
        return {
            "platform": "bluesky",
            "post_id": uri,
            "creator_id": author.get("did"),
            "published_at": _published(post, record),
            "kind": "post",
            "caption": text,
            "hashtags": list(dict.fromkeys(tags)),
            "mentions": mentions_in(text),
            "likes": post.get("likeCount"),
            "comments": post.get("replyCount"),
            "shares": post.get("repostCount"),
            "saves": None,
            "views": None,
            "url": f"https://bsky.app/profile/{author.get('handle')}/post/{rkey}" if rkey else None,
            "reply_to": ((record.get("reply") or {}).get("parent") or {}).get("uri"),
            "quote_of": quote,
            "extras": {
                "cid": post.get("cid"),
                "quotes": post.get("quoteCount"),
                "langs": record.get("langs"),
                "indexed_at": post.get("indexedAt"),
                "labels": [lab.get("val") for lab in post.get("labels") or [] if isinstance(lab, dict)] or None,
                "has_media": bool(post.get("embed")) or None,
            },
        }

    def add_post(self, records: Records, post: Any, position: str, *, with_author: bool = True) -> str | None:
        try:
            post = as_object(post, "post")
            row = self.post_row(post)
        except ValueError as exc:
            records.reject("posts", position, f"cannot read post: {exc}", post)
            return None
        records.add("posts", row, position=position, raw=post)
        if with_author and row["creator_id"]:
            records.add("creators", self.creator_row(post["author"], full=False), position=position, raw=post["author"])
        return str(row["post_id"]) if row["post_id"] else None

    def add_account(self, records: Records, creator_id: str, profile: Any, relation: str, position: str) -> str | None:
        """A follower or commenter as a pseudonymised audience sample (never their handle)."""
        if not isinstance(profile, dict) or not profile.get("did"):
            records.reject("audience_accounts", position, f"{relation} without a did", {"relation": relation})
            return None
        handle = str(profile.get("handle") or "")
        username = handle.split(".", 1)[0] if handle else None
        row = self.audience_row(
            profile["did"],
            username=username,
            followers=profile.get("followersCount"),
            following=profile.get("followsCount"),
            posts=profile.get("postsCount"),
            bio=profile.get("description") if relation == "follower" else None,
            has_profile_pic=bool(profile.get("avatar")),
            extras={"created_at": profile.get("createdAt"), "custom_domain": not handle.endswith(".bsky.social")},
        )
        records.add("audience_accounts", row, position=position)
        records.add("audience_edges", self.edge(creator_id, row["account_id"], relation), position=position)
        return str(row["account_id"])

    # ---- steps ---------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.handle:
            yield from self._creator(request, state)
        if request.query or request.hashtag:
            q = request.query or f"#{str(request.hashtag).lstrip('#')}"
            yield from paginate(state, "search", lambda c, r: self._search(state, q, c, r), limit=request.posts)

    def _creator(self, request: Request, state: State) -> Iterator[Page]:
        actor = str(request.handle).lstrip("@")
        if not state.is_done("profile"):
            profile = self.http.get("app.bsky.actor.getProfile", params={"actor": actor})
            records = Records()
            profile = as_object(profile, "profile")
            records.add("creators", self.creator_row(profile, full=True), position="profile", raw=profile)
            state.ctx.update({"creator_id": profile.get("did"), "handle": profile.get("handle"), "post_ids": []})
            records_page = state.page("profile", records, cursor=None, n=1, label=f"bluesky {actor} profile")
            yield records_page
        creator_id = str(state.ctx["creator_id"])
        if request.posts:
            yield from paginate(
                state, "posts", lambda c, r: self._feed(state, creator_id, request, c, r), limit=request.posts
            )
        if request.followers:
            yield from paginate(
                state, "followers", lambda c, r: self._followers(state, creator_id, c, r), limit=request.followers
            )
        if request.comments:
            posts = list(state.ctx.get("post_ids") or [])[: request.comment_posts]
            yield from for_each(
                state,
                "threads",
                posts,
                lambda uri, c, r: self._thread(state, creator_id, uri, request.comments),
                per_item=None,
                label=f"bluesky {actor} replies",
            )
            yield from for_each(
                state,
                "quotes",
                posts,
                lambda uri, c, r: self._quotes(state, uri, c, r),
                per_item=request.comments,
                label=f"bluesky {actor} quotes",
            )

    def _feed(
        self, state: State, creator_id: str, request: Request, cursor: Any, remaining: int | None
    ) -> tuple[Records, Any, int]:
        limit = min(100, remaining or 100)
        body = self.http.get(
            "app.bsky.feed.getAuthorFeed",
            params={"actor": creator_id, "limit": limit, "cursor": cursor, "filter": "posts_no_replies"},
        )
        records = Records()
        items = (body.get("feed") or [])[:limit]
        ids: list[str] = state.ctx.setdefault("post_ids", [])
        for i, item in enumerate(items):
            position = state.position("posts", i)
            if not isinstance(item, dict):
                records.reject("posts", position, "feed item is not a JSON object", item)
                continue
            reason = item.get("reason") or {}
            post_id = self.add_post(records, item.get("post"), position)
            if reason.get("$type") == REPOST and post_id:
                by = reason.get("by") or {}
                repost_id = reason.get("uri") or f"repost:{by.get('did')}:{post_id}"
                records.add(
                    "posts",
                    {
                        "platform": "bluesky",
                        "post_id": repost_id,
                        "creator_id": by.get("did"),
                        "published_at": reason.get("indexedAt"),
                        "kind": "post",
                        "repost_of": post_id,
                    },
                    position=position + " repost",
                    raw=reason,
                )
            elif post_id and len(ids) < request.comment_posts:
                ids.append(post_id)
        return records, body.get("cursor"), len(items)

    def _followers(self, state: State, creator_id: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        limit = min(100, remaining or 100)
        body = self.http.get(
            "app.bsky.graph.getFollowers", params={"actor": creator_id, "limit": limit, "cursor": cursor}
        )
        records = Records()
        items = (body.get("followers") or [])[:limit]
        for i, profile in enumerate(items):
            self.add_account(records, creator_id, profile, "follower", state.position("followers", i))
        return records, body.get("cursor"), len(items)

    def _thread(self, state: State, creator_id: str, uri: str, limit: int) -> tuple[Records, Any, int]:
        body = self.http.get("app.bsky.feed.getPostThread", params={"uri": uri, "depth": 6, "parentHeight": 0})
        records = Records()
        queue = list((body.get("thread") or {}).get("replies") or [])
        seen = 0
        while queue and seen < limit:
            node = queue.pop(0)
            if not isinstance(node, dict) or "post" not in node:
                continue  # blocked or deleted replies (#notFoundPost, #blockedPost)
            position = state.position("threads", seen, uri)
            seen += 1
            queue.extend(node.get("replies") or [])
            try:
                post = as_object(node["post"], "reply")
                record = as_object(post.get("record"), "reply.record")
                author = as_object(post.get("author"), "reply.author")
            except ValueError as exc:
                records.reject("comments", position, f"cannot read reply: {exc}", node.get("post"))
                continue
            own = author.get("did") == creator_id
            author_id = creator_id if own else self.add_account(records, creator_id, author, "commenter", position)
            parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
            row = {
                "platform": "bluesky",
                "comment_id": self._comment_id(post.get("uri"), creator_id),
                "post_id": uri,
                "author_id": author_id,
                "author_handle": state.ctx.get("handle") if own else None,
                "text": record.get("text"),
                "published_at": _published(post, record),
                "likes": post.get("likeCount"),
                "is_creator_reply": own,
                "extras": {
                    "parent": self._comment_id(parent, creator_id) if parent != uri else None,
                    "replies": post.get("replyCount"),
                    "langs": record.get("langs"),
                },
            }
            records.add("comments", row, position=position, raw=row)
        return records, None, seen

    def _comment_id(self, reply_uri: Any, creator_id: str) -> str | None:
        """A reply's AT URI names its author's DID: commenters' replies are stored under a pseudonym."""
        if not reply_uri:
            return None
        text = str(reply_uri)
        return text if text.startswith(f"at://{creator_id}/") else self.pseudonym(text)

    def _quotes(self, state: State, uri: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        limit = min(100, remaining or 100)
        body = self.http.get("app.bsky.feed.getQuotes", params={"uri": uri, "limit": limit, "cursor": cursor})
        records = Records()
        items = (body.get("posts") or [])[:limit]
        for i, post in enumerate(items):
            self.add_post(records, post, state.position("quotes", i, uri))
        return records, body.get("cursor"), len(items)

    def _search(self, state: State, q: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        limit = min(100, remaining or 100)
        body = self.http.get("app.bsky.feed.searchPosts", params={"q": q, "limit": limit, "cursor": cursor})
        records = Records()
        items = (body.get("posts") or [])[:limit]
        for i, post in enumerate(items):
            self.add_post(records, post, state.position("search", i))
        return records, body.get("cursor"), len(items)
