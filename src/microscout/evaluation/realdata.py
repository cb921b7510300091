"""Converter of the real InstaFake accounts with posts into canonical records.

Input: ``<eval_data>/instafake/human_accounts_with_posts.json`` (Akyon & Kalfaoglu 2019,
CC BY-NC 4.0; see ``../shared/data/README.md``): a JSON array of 700 human-operated Instagram
accounts, each with account counts and per-post arrays, most recent post first. The folder is
``Settings().eval_data`` (``MICROSCOUT_EVAL_DATA``, default ``../shared/data``). The data never
enters the repository; evaluations and tests skip with ``skipped: <path> not found`` when absent.

Mapping (account ``i`` of the array, its post ``j`` counted from the most recent):

* ``creators``: ``platform`` ``"instagram"``, ``creator_id`` / ``handle`` ``"if<i>"`` (the data is
  anonymised: there is no user name), ``followers`` = ``userFollowerCount``, ``following`` =
  ``userFollowingCount``, ``posts_count`` = ``userMediaCount``.
* ``posts``: ``post_id`` ``"if<i>-p<c>"`` where ``c`` is the post's chronological index (0 = the
  oldest, so a later post has a larger id, as the window's tie-break expects), ``published_at`` =
  ``mediaUploadTimes`` as ISO 8601 UTC, ``likes`` = ``mediaLikeNumbers``, ``comments`` =
  ``mediaCommentNumbers`` but ``null`` where ``mediaCommentsAreDisabled`` is set (a hidden count is
  missing, not zero: the post gets no engagement rate), ``kind`` ``"post"``.

Posts are re-sorted most recent first by upload time (one account of the 700 has an out-of-order
pair); the per-post arrays are truncated to the shortest of them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELATIVE_PATH = Path("instafake") / "human_accounts_with_posts.json"


@dataclass
class Account:
    """One real account in canonical form; ``posts`` are most recent first."""

    creator: dict[str, Any]
    posts: list[dict[str, Any]]

    @property
    def creator_id(self) -> str:
        return str(self.creator["creator_id"])

    @property
    def followers(self) -> int:
        return int(self.creator["followers"] or 0)


def data_path(eval_data: Path) -> Path:
    """Where the real accounts file lives under the evaluation data folder."""
    return Path(eval_data) / RELATIVE_PATH


def skip_reason(eval_data: Path) -> str | None:
    """``"skipped: <path> not found"`` when the file is absent, else None."""
    path = data_path(eval_data)
    return None if path.exists() else f"skipped: {path} not found"


def _iso(unix_s: float) -> str:
    return dt.datetime.fromtimestamp(int(unix_s), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def convert_account(index: int, raw: dict[str, Any]) -> Account:
    """Canonical creator and posts (most recent first) of account ``index`` of the file."""
    cid = f"if{index}"
    likes = list(raw.get("mediaLikeNumbers") or [])
    comments = list(raw.get("mediaCommentNumbers") or [])
    times = list(raw.get("mediaUploadTimes") or [])
    disabled = list(raw.get("mediaCommentsAreDisabled") or [])
    n = min(len(likes), len(comments), len(times))
    disabled = (disabled + [0] * n)[:n]
    # most recent first; ties keep the file's order (stable sort)
    order = sorted(range(n), key=lambda j: -int(times[j]))
    posts = []
    for pos, j in enumerate(order):
        posts.append(
            {
                "platform": "instagram",
                "post_id": f"{cid}-p{n - 1 - pos:04d}",
                "creator_id": cid,
                "published_at": _iso(times[j]),
                "kind": "post",
                "likes": int(likes[j]),
                "comments": None if disabled[j] else int(comments[j]),
            }
        )
    creator = {
        "platform": "instagram",
        "creator_id": cid,
        "handle": cid,
        "followers": raw.get("userFollowerCount"),
        "following": raw.get("userFollowingCount"),
        "posts_count": raw.get("userMediaCount"),
    }
    return Account(creator=creator, posts=posts)


def convert(raw_accounts: list[dict[str, Any]]) -> list[Account]:
    """Every account of the parsed JSON array, in file order."""
    return [convert_account(i, raw) for i, raw in enumerate(raw_accounts)]


def load_accounts(eval_data: Path) -> list[Account]:
    """Read and convert the real accounts file (raises FileNotFoundError when absent)."""
    with open(data_path(eval_data), encoding="utf-8") as fh:
        return convert(json.load(fh))


def post_er(post: dict[str, Any], followers: int) -> float | None:
    """(likes + comments) / followers of one post; None when a count is hidden or followers is 0."""
    if followers <= 0 or post["likes"] is None or post["comments"] is None:
        return None
    return (post["likes"] + post["comments"]) / followers


def write_canonical(
    accounts: list[Account],
    folder: Path,
    select: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda posts: posts,
) -> Path:
    """Write ``creators.jsonl`` and ``posts.jsonl`` of ``accounts`` into ``folder``.

    ``select`` picks the posts written for each account from its most-recent-first list, e.g.
    ``lambda p: p[30:40]`` writes the 10 posts before the 30 most recent (a history window).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with (
        open(folder / "creators.jsonl", "w", encoding="utf-8") as fc,
        open(folder / "posts.jsonl", "w", encoding="utf-8") as fp,
    ):
        for a in accounts:
            fc.write(json.dumps(a.creator) + "\n")
            for p in select(a.posts):
                fp.write(json.dumps(p) + "\n")
    return folder
