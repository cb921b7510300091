"""X (Twitter) API v2 with an app-only bearer token (``MICROSCOUT_X_BEARER_TOKEN``).

Endpoints: ``GET /2/users/by/username/:username``, ``/2/users/:id/tweets`` (public metrics),
``/2/tweets/search/recent`` (the last 7 days; also replies of a conversation for commenter samples)
and ``/2/users/:id/followers`` (where the app's access level includes follows lookup).
"""

from __future__ import annotations

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
    leftovers,
    paginate,
    register,
)
from microscout.connectors.http import ApiProblem, NotFoundOnPlatformError

USER_FIELDS = "created_at,description,location,profile_image_url,protected,public_metrics,url,verified,verified_type"
TWEET_FIELDS = (
    "created_at,public_metrics,entities,lang,referenced_tweets,conversation_id,in_reply_to_user_id,"
    "possibly_sensitive,note_tweet,author_id"
)
FOLLOWERS_NEED = "follows lookup (GET /2/users/:id/followers) in the app's X API access level"


@register
class X(Source):
    name = "x"
    platform = "x"
    base_url = "https://api.x.com/2/"
    credential_env = "MICROSCOUT_X_BEARER_TOKEN"

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        if body.get("errors") and not body.get("detail"):
            first = body["errors"][0] if isinstance(body["errors"], list) and body["errors"] else {}
            code = str(first.get("code") or first.get("title") or "")
            return ApiProblem(str(first.get("message") or first.get("detail") or ""), code or None)
        kind = "quota" if response.status_code == 402 or body.get("title") == "CreditsDepleted" else None
        return ApiProblem(
            str(body.get("detail") or body.get("title") or ""),
            str(body.get("reason") or body.get("title") or "") or None,
            kind,
            permission=body.get("required_enrollment"),
        )

    # ---- mapping ---------------------------------------------------------------------------------
    def creator_row(self, user: dict[str, Any], *, full: bool) -> dict[str, Any]:
        username = user.get("username")
        row: dict[str, Any] = {
            "platform": "x",
            "creator_id": user.get("id"),
            "handle": username,
            "display_name": user.get("name"),
            "profile_url": f"https://x.com/{username}" if username else None,
        }
        metrics = user.get("public_metrics")
        if full or isinstance(metrics, dict):
            metrics = metrics if isinstance(metrics, dict) else {}
            row.update(
                {
                    "bio": user.get("description"),
                    "followers": metrics.get("followers_count"),
                    "following": metrics.get("following_count"),
                    "posts_count": metrics.get("tweet_count"),
                    "verified": user.get("verified"),
                    "is_business": (user.get("verified_type") == "business") if user.get("verified_type") else None,
                }
            )
        if full:
            row.update(
                {
                    "first_seen": self.now_iso(),
                    "last_seen": self.now_iso(),
                    "extras": {
                        **leftovers(
                            user,
                            ("id", "username", "name", "description", "public_metrics", "verified"),
                            drop=("profile_image_url",),
                        ),
                        "listed_count": (metrics or {}).get("listed_count"),
                        "likes_given": (metrics or {}).get("like_count"),
                        "has_profile_image": bool(user.get("profile_image_url")),
                    },
                }
            )
        return row

    def post_row(self, tweet: dict[str, Any], usernames: dict[str, str]) -> dict[str, Any]:
        metrics = tweet.get("public_metrics") or {}
        entities = tweet.get("entities") or {}
        refs = {r.get("type"): r.get("id") for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
        text = (tweet.get("note_tweet") or {}).get("text") or tweet.get("text")
        author = tweet.get("author_id")
        username = usernames.get(str(author)) if author else None
        return {
            "platform": "x",
            "post_id": tweet.get("id"),
            "creator_id": author,
            "published_at": tweet.get("created_at"),
            "kind": "tweet",
            "caption": text,
            "hashtags": [str(h.get("tag")).lower() for h in entities.get("hashtags") or [] if isinstance(h, dict)],
            "mentions": [str(m.get("username")) for m in entities.get("mentions") or [] if isinstance(m, dict)],
            "likes": metrics.get("like_count"),
            "comments": metrics.get("reply_count"),
            "shares": metrics.get("retweet_count"),
            "saves": metrics.get("bookmark_count"),
            "views": metrics.get("impression_count"),
            "url": f"https://x.com/{username or 'i'}/status/{tweet.get('id')}",
            "reply_to": refs.get("replied_to"),
            "quote_of": refs.get("quoted"),
            "repost_of": refs.get("retweeted"),
            "extras": {
                "quotes": metrics.get("quote_count"),
                "lang": tweet.get("lang"),
                "conversation_id": tweet.get("conversation_id"),
                "possibly_sensitive": tweet.get("possibly_sensitive") or None,
                "urls": [u.get("expanded_url") for u in entities.get("urls") or [] if isinstance(u, dict)] or None,
            },
        }

    def add_tweets(
        self, records: Records, body: dict[str, Any], state: State, step: str, key: str | None = None
    ) -> int:
        users = [u for u in (body.get("includes") or {}).get("users") or [] if isinstance(u, dict)]
        usernames = {str(u.get("id")): str(u.get("username")) for u in users}
        usernames.update(state.ctx.get("usernames") or {})
        for user in users:
            records.add("creators", self.creator_row(user, full=False), position=f"{step} includes", raw=user)
        items = body.get("data") or []
        for i, tweet in enumerate(items):
            position = state.position(step, i, key)
            try:
                records.add("posts", self.post_row(as_object(tweet, "tweet"), usernames), position=position, raw=tweet)
            except ValueError as exc:
                records.reject("posts", position, f"cannot read tweet: {exc}", tweet)
        return len(items)

    # ---- steps ----------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.handle:
            yield from self._creator(request, state)
        if request.query or request.hashtag:
            q = request.query or f"#{str(request.hashtag).lstrip('#')}"
            yield from paginate(state, "search", lambda c, r: self._search(state, q, c, r), limit=request.posts)

    def _creator(self, request: Request, state: State) -> Iterator[Page]:
        username = str(request.handle).lstrip("@")
        if not state.is_done("profile"):
            body = self.http.get(f"users/by/username/{username}", params={"user.fields": USER_FIELDS})
            if not isinstance(body.get("data"), dict):
                detail = ((body.get("errors") or [{}])[0]).get("detail") or "no such user"
                raise NotFoundOnPlatformError(f"x: {username}: {detail}")
            user = body["data"]
            records = Records()
            records.add("creators", self.creator_row(user, full=True), position="profile", raw=user)
            state.ctx.update({"id": user.get("id"), "usernames": {str(user.get("id")): user.get("username")}})
            state.ctx["post_ids"] = []
            yield state.page("profile", records, cursor=None, n=1, label=f"x {username} profile")
        user_id = str(state.ctx["id"])
        if request.posts:
            yield from paginate(
                state, "posts", lambda c, r: self._tweets(state, user_id, request, c, r), limit=request.posts
            )
        if request.followers:
            yield from paginate(
                state, "followers", lambda c, r: self._followers(state, user_id, c, r), limit=request.followers
            )
        if request.comments:
            yield from for_each(
                state,
                "replies",
                list(state.ctx.get("post_ids") or []),
                lambda key, c, r: self._replies(state, user_id, key, c, r),
                per_item=request.comments,
                label=f"x {username} replies",
            )

    def _tweets(
        self, state: State, user_id: str, request: Request, cursor: Any, remaining: int | None
    ) -> tuple[Records, Any, int]:
        limit = max(5, min(100, remaining or 100))
        body = self.http.get(
            f"users/{user_id}/tweets",
            params={
                "max_results": limit,
                "pagination_token": cursor,
                "tweet.fields": TWEET_FIELDS,
                "exclude": "replies",
            },
        )
        if remaining is not None and isinstance(body.get("data"), list):
            body["data"] = body["data"][:remaining]
        records = Records()
        n = self.add_tweets(records, body, state, "posts")
        ids: list[str] = state.ctx.setdefault("post_ids", [])
        for tweet in body.get("data") or []:
            if isinstance(tweet, dict) and tweet.get("id") and len(ids) < request.comment_posts:
                ids.append(str(tweet["id"]))
        return records, (body.get("meta") or {}).get("next_token"), n

    def _followers(self, state: State, user_id: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        limit = min(1000, remaining or 1000)
        body = self.http.get(
            f"users/{user_id}/followers",
            params={"max_results": limit, "pagination_token": cursor, "user.fields": USER_FIELDS},
            permission=FOLLOWERS_NEED,
        )
        records = Records()
        items = (body.get("data") or [])[:limit]
        for i, user in enumerate(items):
            position = state.position("followers", i)
            if not isinstance(user, dict) or not user.get("id"):
                records.reject("audience_accounts", position, "follower without an id", {"item": i})
                continue
            metrics = user.get("public_metrics") or {}
            row = self.audience_row(
                user["id"],
                username=user.get("username"),
                followers=metrics.get("followers_count"),
                following=metrics.get("following_count"),
                posts=metrics.get("tweet_count"),
                bio=user.get("description"),
                has_profile_pic=bool(user.get("profile_image_url"))
                and "default_profile_images" not in str(user.get("profile_image_url")),
                is_private=user.get("protected"),
                has_external_url=bool(user.get("url")),
                extras={"created_at": user.get("created_at"), "verified": user.get("verified") or None},
            )
            records.add("audience_accounts", row, position=position)
            records.add("audience_edges", self.edge(user_id, row["account_id"], "follower"), position=position)
        return records, (body.get("meta") or {}).get("next_token"), len(items)

    def _replies(
        self, state: State, user_id: str, tweet_id: str, cursor: Any, remaining: int | None
    ) -> tuple[Records, Any, int]:
        body = self.http.get(
            "tweets/search/recent",
            params={
                "query": f"conversation_id:{tweet_id} is:reply",
                "max_results": max(10, min(100, remaining or 100)),
                "next_token": cursor,
                "tweet.fields": TWEET_FIELDS,
                "expansions": "author_id",
                "user.fields": "username,created_at,public_metrics,profile_image_url,description,protected,url",
            },
        )
        users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or [] if isinstance(u, dict)}
        records = Records()
        items = (body.get("data") or [])[: remaining or None]
        for i, tweet in enumerate(items):
            position = state.position("replies", i, tweet_id)
            if not isinstance(tweet, dict) or not tweet.get("id"):
                records.reject("comments", position, "reply without an id", {"item": i})
                continue
            author = str(tweet.get("author_id") or "")
            own = author == user_id
            account = self.pseudonym(author) if author and not own else (user_id if own else None)
            if account and not own:
                user = users.get(author, {})
                metrics = user.get("public_metrics") or {}
                row = self.audience_row(
                    author,
                    username=user.get("username"),
                    followers=metrics.get("followers_count"),
                    following=metrics.get("following_count"),
                    posts=metrics.get("tweet_count"),
                    bio=user.get("description"),
                    has_profile_pic=bool(user.get("profile_image_url")) if user else None,
                    is_private=user.get("protected"),
                    has_external_url=bool(user.get("url")) if user else None,
                )
                records.add("audience_accounts", row, position=position)
                records.add("audience_edges", self.edge(user_id, row["account_id"], "commenter"), position=position)
            metrics = tweet.get("public_metrics") or {}
            records.add(
                "comments",
                {
                    "platform": "x",
                    "comment_id": tweet["id"],
                    "post_id": tweet_id,
                    "author_id": account,
                    "author_handle": state.ctx.get("usernames", {}).get(user_id) if own else None,
                    "text": tweet.get("text"),
                    "published_at": tweet.get("created_at"),
                    "likes": metrics.get("like_count"),
                    "is_creator_reply": own,
                    "extras": {"lang": tweet.get("lang"), "replies": metrics.get("reply_count")},
                },
                position=position,
            )
        return records, (body.get("meta") or {}).get("next_token"), len(items)

    def _search(self, state: State, q: str, cursor: Any, remaining: int | None) -> tuple[Records, Any, int]:
        body = self.http.get(
            "tweets/search/recent",
            params={
                "query": q,
                "max_results": max(10, min(100, remaining or 100)),
                "next_token": cursor,
                "tweet.fields": TWEET_FIELDS,
                "expansions": "author_id",
                "user.fields": "username,name,public_metrics,verified,verified_type",
            },
        )
        if remaining is not None and isinstance(body.get("data"), list):
            body["data"] = body["data"][:remaining]
        records = Records()
        n = self.add_tweets(records, body, state, "search")
        return records, (body.get("meta") or {}).get("next_token"), n
