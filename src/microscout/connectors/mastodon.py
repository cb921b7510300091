"""Mastodon (any instance) through its REST API.

Endpoints: ``GET /api/v1/accounts/lookup``, ``/api/v1/accounts/:id/statuses``,
``/api/v1/accounts/:id/followers``, ``/api/v1/statuses/:id/context`` (replies) and
``/api/v1/timelines/tag/:hashtag``; pagination follows the ``Link: <…>; rel="next"`` header.
Ids are global: a creator is ``user@host`` and a post is its ActivityPub ``uri``. A token
(``MICROSCOUT_MASTODON_TOKEN``) is optional and only ever sent to ``MICROSCOUT_MASTODON_INSTANCE``.
"""

from __future__ import annotations

import html
import re
import urllib.parse
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
    leftovers,
    paginate,
    register,
)
from microscout.connectors.http import ApiProblem, HttpClient
from microscout.errors import InvalidInputError

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"(?i)<br\s*/?>|</p>\s*<p[^>]*>")


def html_text(value: Any) -> str | None:
    """Mastodon sends HTML: plain text with line breaks kept."""
    if not isinstance(value, str):
        return None
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", value))).strip()


def count(value: Any) -> Any:
    """Some servers report a hidden count as a negative number: that is unknown, not zero."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return None
    return value


def split_handle(handle: str, instance: str | None) -> tuple[str, str]:
    text = handle.strip().lstrip("@")
    if "@" in text:
        user, host = text.split("@", 1)
        return user, host.lower()
    if instance:
        return text, instance.lower()
    raise InvalidInputError(f"mastodon handle {handle!r} needs its instance: use user@instance.social or --instance")


def next_max_id(response: httpx.Response) -> str | None:
    nxt = response.links.get("next", {}).get("url")
    if not nxt:
        return None
    values = urllib.parse.parse_qs(urllib.parse.urlparse(nxt).query).get("max_id")
    return values[0] if values else None


@register
class Mastodon(Source):
    name = "mastodon"
    platform = "mastodon"
    base_url = "https://mastodon.social/api/"
    credential_env = "MICROSCOUT_MASTODON_TOKEN"
    credential_required = False
    option_env: ClassVar[dict[str, str]] = {"instance": "MICROSCOUT_MASTODON_INSTANCE"}

    def describe_error(self, response: httpx.Response) -> ApiProblem | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if isinstance(body, dict) and body.get("error"):
            return ApiProblem(str(body.get("error_description") or body["error"]))
        return None

    @classmethod
    def check(cls, request: Request) -> None:
        if not (request.handle or request.hashtag):
            raise InvalidInputError("ingest mastodon: give --handle user@instance or --hashtag with --instance")

    def client(self, host: str) -> HttpClient:
        """A client for ``host``: the token goes only to the instance it belongs to."""
        token_host = (self.options.get("instance") or "").lower()
        credential = self.http.credential if token_host and host == token_host else None
        http = self.http.spawn(credential, base_url=f"https://{host}/api/")
        http.describe_error = self.describe_error
        return http

    # ---- mapping ---------------------------------------------------------------------------------
    @staticmethod
    def acct(account: dict[str, Any], host: str) -> str:
        acct = str(account.get("acct") or account.get("username") or "")
        return (acct if "@" in acct else f"{acct}@{host}").lower()

    def creator_row(self, account: dict[str, Any], host: str, *, full: bool) -> dict[str, Any]:
        handle = self.acct(account, host)
        row: dict[str, Any] = {
            "platform": "mastodon",
            "creator_id": handle,
            "handle": handle,
            "display_name": account.get("display_name") or None,
            "profile_url": account.get("url"),
        }
        if full:
            fields = [
                {"name": f.get("name"), "value": html_text(f.get("value")), "verified": bool(f.get("verified_at"))}
                for f in account.get("fields") or []
                if isinstance(f, dict)
            ]
            row.update(
                {
                    "bio": html_text(account.get("note")),
                    "followers": count(account.get("followers_count")),
                    "following": count(account.get("following_count")),
                    "posts_count": count(account.get("statuses_count")),
                    "first_seen": self.now_iso(),
                    "last_seen": self.now_iso(),
                    "extras": {
                        **leftovers(
                            account,
                            ("acct", "username", "display_name", "url", "note", "fields", "id"),
                            drop=("followers_count", "following_count", "statuses_count", "emojis", "source", "roles"),
                        ),
                        "fields": fields or None,
                        "local_id": account.get("id"),
                    },
                }
            )
        return row

    def post_row(self, status: dict[str, Any], host: str) -> dict[str, Any]:
        account = as_object(status.get("account"), "status.account")
        reblog = status.get("reblog")
        return {
            "platform": "mastodon",
            "post_id": status.get("uri"),
            "creator_id": self.acct(account, host),
            "published_at": status.get("created_at"),
            "kind": "post",
            "caption": html_text(status.get("content")) if not reblog else None,
            "hashtags": [str(t.get("name")).lower() for t in status.get("tags") or [] if isinstance(t, dict)],
            "mentions": [str(m.get("acct")) for m in status.get("mentions") or [] if isinstance(m, dict)],
            "likes": count(status.get("favourites_count")),
            "comments": count(status.get("replies_count")),
            "shares": count(status.get("reblogs_count")),
            "url": status.get("url"),
            "repost_of": reblog.get("uri") if isinstance(reblog, dict) else None,
            "extras": {
                "local_id": status.get("id"),
                "in_reply_to_id": status.get("in_reply_to_id"),
                "language": status.get("language"),
                "visibility": status.get("visibility"),
                "sensitive": status.get("sensitive") or None,
                "spoiler_text": status.get("spoiler_text") or None,
                "media": len(status.get("media_attachments") or []) or None,
                "edited_at": status.get("edited_at"),
            },
        }

    def add_status(self, records: Records, status: Any, host: str, position: str) -> str | None:
        try:
            status = as_object(status, "status")
            row = self.post_row(status, host)
        except ValueError as exc:
            records.reject("posts", position, f"cannot read status: {exc}", status)
            return None
        records.add("posts", row, position=position, raw=status)
        records.add("creators", self.creator_row(status["account"], host, full=False), position=position)
        reblog = status.get("reblog")
        if isinstance(reblog, dict) and isinstance(reblog.get("account"), dict):
            records.add("posts", self.post_row(reblog, host), position=position + " boosted", raw=reblog)
            records.add("creators", self.creator_row(reblog["account"], host, full=False), position=position)
            return None
        return str(row["post_id"]) if row["post_id"] else None

    # ---- steps ------------------------------------------------------------------------------------
    def pages(self, request: Request, state: State) -> Iterator[Page]:
        if request.handle:
            yield from self._creator(request, state)
        if request.hashtag:
            host = (request.instance or self.options.get("instance") or "mastodon.social").lower()
            tag = str(request.hashtag).lstrip("#")
            yield from paginate(state, "tag", lambda c, r: self._tag(state, host, tag, c, r), limit=request.posts)

    def _creator(self, request: Request, state: State) -> Iterator[Page]:
        user, host = split_handle(str(request.handle), request.instance)
        http = self.client(host)
        if not state.is_done("profile"):
            account = as_object(http.get("v1/accounts/lookup", params={"acct": user}), "account")
            records = Records()
            records.add("creators", self.creator_row(account, host, full=True), position="profile", raw=account)
            state.ctx.update(
                {
                    "id": account.get("id"),
                    "creator_id": self.acct(account, host),
                    "post_ids": [],
                    "hidden_graph": bool(account.get("hide_collections")),
                }
            )
            yield state.page("profile", records, cursor=None, n=1, label=f"mastodon {user}@{host} profile")
        account_id, creator_id = str(state.ctx["id"]), str(state.ctx["creator_id"])
        if request.posts:
            yield from paginate(
                state,
                "posts",
                lambda c, r: self._statuses(http, state, host, account_id, request, c, r),
                limit=request.posts,
            )
        if request.followers and not state.ctx.get("hidden_graph"):
            yield from paginate(
                state,
                "followers",
                lambda c, r: self._followers(http, state, host, account_id, creator_id, c, r),
                limit=request.followers,
            )
        if request.comments:
            ids = list(state.ctx.get("post_ids") or [])
            yield from for_each(
                state,
                "replies",
                ids,
                lambda key, c, r: self._context(http, state, host, creator_id, key, request.comments),
                per_item=None,
                label=f"mastodon {user}@{host} replies",
            )

    def _statuses(
        self, http: HttpClient, state: State, host: str, account_id: str, request: Request, cursor: Any, rem: int | None
    ) -> tuple[Records, Any, int]:
        limit = min(40, rem or 40)
        response = http.request(
            "GET",
            f"v1/accounts/{account_id}/statuses",
            params={"limit": limit, "max_id": cursor, "exclude_replies": "true"},
        )
        items = http.json(response)
        items = items[:limit] if isinstance(items, list) else []
        records = Records()
        ids: list[str] = state.ctx.setdefault("post_ids", [])
        for i, status in enumerate(items):
            uri = self.add_status(records, status, host, state.position("posts", i))
            if uri and isinstance(status, dict) and len(ids) < request.comment_posts:
                ids.append(f"{status.get('id')} {uri}")
        return records, next_max_id(response), len(items)

    def _followers(
        self, http: HttpClient, state: State, host: str, account_id: str, creator_id: str, cursor: Any, rem: int | None
    ) -> tuple[Records, Any, int]:
        limit = min(80, rem or 80)
        response = http.request("GET", f"v1/accounts/{account_id}/followers", params={"limit": limit, "max_id": cursor})
        items = http.json(response)
        items = items[:limit] if isinstance(items, list) else []
        records = Records()
        for i, account in enumerate(items):
            position = state.position("followers", i)
            if not isinstance(account, dict) or not account.get("acct"):
                records.reject("audience_accounts", position, "follower without an acct", {"item": i})
                continue
            self._add_audience(records, account, host, creator_id, "follower", position)
        return records, next_max_id(response), len(items)

    def _add_audience(
        self, records: Records, account: dict[str, Any], host: str, creator_id: str, relation: str, position: str
    ) -> str:
        avatar = str(account.get("avatar") or "")
        row = self.audience_row(
            self.acct(account, host),
            username=account.get("username"),
            followers=count(account.get("followers_count")),
            following=count(account.get("following_count")),
            posts=count(account.get("statuses_count")),
            bio=html_text(account.get("note")),
            has_profile_pic=bool(avatar) and not avatar.endswith("missing.png"),
            is_private=account.get("locked"),
            has_external_url=bool(account.get("fields")),
            extras={"created_at": account.get("created_at"), "bot": account.get("bot") or None},
        )
        records.add("audience_accounts", row, position=position)
        records.add("audience_edges", self.edge(creator_id, row["account_id"], relation), position=position)
        return str(row["account_id"])

    def _context(
        self, http: HttpClient, state: State, host: str, creator_id: str, key: str, limit: int
    ) -> tuple[Records, Any, int]:
        local_id, uri = key.split(" ", 1)
        body = http.get(f"v1/statuses/{local_id}/context")
        records = Records()
        descendants = [d for d in (body.get("descendants") or []) if isinstance(d, dict)][:limit]
        by_local = {str(d.get("id")): d for d in descendants}
        for i, status in enumerate(descendants):
            position = state.position("replies", i, local_id)
            account = status.get("account")
            if not isinstance(account, dict):
                records.reject("comments", position, "reply without an account", {"id": status.get("id")})
                continue
            own = self.acct(account, host) == creator_id
            author = (
                creator_id if own else self._add_audience(records, account, host, creator_id, "commenter", position)
            )
            parent = by_local.get(str(status.get("in_reply_to_id")))
            row = {
                "platform": "mastodon",
                "comment_id": self._comment_id(status, own),
                "post_id": uri,
                "author_id": author,
                "author_handle": creator_id if own else None,
                "text": html_text(status.get("content")),
                "published_at": status.get("created_at"),
                "likes": count(status.get("favourites_count")),
                "is_creator_reply": own,
                "extras": {
                    "parent": self._comment_id(parent, self.acct(parent.get("account") or {}, host) == creator_id)
                    if parent
                    else None,
                    "language": status.get("language"),
                },
            }
            records.add("comments", row, position=position)
        return records, None, len(descendants)

    def _comment_id(self, status: dict[str, Any], own: bool) -> str | None:
        uri = status.get("uri")
        if not uri:
            return None
        return str(uri) if own else self.pseudonym(uri)  # a status URI names its author

    def _tag(self, state: State, host: str, tag: str, cursor: Any, rem: int | None) -> tuple[Records, Any, int]:
        http = self.client(host)
        limit = min(40, rem or 40)
        response = http.request("GET", f"v1/timelines/tag/{tag}", params={"limit": limit, "max_id": cursor})
        items = http.json(response)
        items = items[:limit] if isinstance(items, list) else []
        records = Records()
        for i, status in enumerate(items):
            self.add_status(records, status, host, state.position("tag", i))
        return records, next_max_id(response), len(items)

    @classmethod
    def refresh_handle(cls, creator_id: str, handle: str | None) -> str:
        return handle or creator_id
