"""The 90 % ER interval's coverage on real accounts, and the InstaFake converter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microscout.config import Settings
from microscout.evaluation.coverage import coverage, estimate_drift, wilson
from microscout.evaluation.realdata import convert, load_accounts, skip_reason, write_canonical

EVAL_DATA = Settings().eval_data
ROOT = Path(__file__).resolve().parents[1]


def _eval_data() -> Path:
    data = EVAL_DATA if EVAL_DATA.is_absolute() else ROOT / EVAL_DATA
    reason = skip_reason(data)
    if reason is not None:
        pytest.skip(reason)
    return data


RAW = [
    {
        "userFollowerCount": 200,
        "userFollowingCount": 150,
        "userMediaCount": 3,
        # most recent first, but the last two are out of order on purpose
        "mediaUploadTimes": [1541700368, 1500000000, 1530000000],
        "mediaLikeNumbers": [20, 5, 10],
        "mediaCommentNumbers": [3, 1, 2],
        "mediaCommentsAreDisabled": [0, 1, 0],
    },
    {"userFollowerCount": 50, "userFollowingCount": 10, "userMediaCount": 0},
]


def test_converter_on_a_tiny_file(tmp_path: Path):
    accounts = convert(json.loads(json.dumps(RAW)))
    a, b = accounts
    assert a.creator == {
        "platform": "instagram",
        "creator_id": "if0",
        "handle": "if0",
        "followers": 200,
        "following": 150,
        "posts_count": 3,
    }
    # most recent first, UTC ISO timestamps
    assert [p["published_at"] for p in a.posts] == [
        "2018-11-08T18:06:08Z",
        "2018-06-26T08:00:00Z",
        "2017-07-14T02:40:00Z",
    ]
    assert [p["likes"] for p in a.posts] == [20, 10, 5]
    # comments disabled on the oldest post: hidden (null), never zero
    assert [p["comments"] for p in a.posts] == [3, 2, None]
    assert all(p["kind"] == "post" and p["creator_id"] == "if0" for p in a.posts)
    # a later post has a larger id (the window's tie-break)
    assert [p["post_id"] for p in a.posts] == ["if0-p0002", "if0-p0001", "if0-p0000"]
    assert b.posts == [] and b.creator_id == "if1"
    folder = write_canonical(accounts, tmp_path / "out", lambda posts: posts[1:])
    posts = [json.loads(line) for line in (folder / "posts.jsonl").read_text().splitlines()]
    creators = (folder / "creators.jsonl").read_text().splitlines()
    assert len(creators) == 2 and [p["post_id"] for p in posts] == ["if0-p0001", "if0-p0000"]
    assert posts[1]["comments"] is None


def test_missing_data_gives_a_clear_skip_reason(tmp_path: Path):
    reason = skip_reason(tmp_path)
    assert reason == f"skipped: {tmp_path / 'instafake' / 'human_accounts_with_posts.json'} not found"


def test_wilson_interval():
    lo, hi = wilson(90, 100)
    assert 0.82 < lo < 0.83 and 0.94 < hi < 0.95


def test_interval_coverage_on_real_accounts(tmp_path: Path):
    accounts = load_accounts(_eval_data())
    subset = [a for a in accounts if len(a.posts) >= 40][:150]
    result = coverage(subset, 10, root=tmp_path)
    assert result.n >= 100
    assert 0.75 <= result.rate <= 0.97, result
    assert result.below + result.above + result.covered == result.n


def test_drift_estimate_is_positive_on_real_accounts():
    n, drift, sd = estimate_drift(load_accounts(_eval_data()))
    assert n > 100 and 0 < drift < 0.05 and 0 < sd < 0.05
