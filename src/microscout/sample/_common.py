"""Shared constants and array helpers of the sample-world generator (time, platforms, kinds)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NOW = datetime(2026, 11, 1, tzinfo=UTC)
NOW_US = int(NOW.timestamp()) * 1_000_000
DAY_US = 86_400 * 1_000_000
WEEK_US = 7 * DAY_US
SNAPSHOT_WEEKS = 26

PLATFORMS = ("instagram", "tiktok", "youtube", "x", "bluesky")
PLATFORM_SHARE = np.array([0.45, 0.25, 0.12, 0.10, 0.08])
PREFIX = ("ig", "tt", "yt", "xx", "bs")
KINDS = {
    "instagram": (("post", 0.47), ("reel", 0.30), ("carousel", 0.18), ("story", 0.05)),
    "tiktok": (("video", 1.0),),
    "youtube": (("video", 0.6), ("short", 0.4)),
    "x": (("tweet", 1.0),),
    "bluesky": (("post", 1.0),),
}
KIND_NAMES = ("post", "reel", "carousel", "story", "video", "short", "tweet")
VIEW_KINDS = {"reel", "story", "video", "short"}


def split_bank(s: str) -> list[str]:
    return s.split("|")


def ascii_fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def interp_log(knots: Sequence[tuple[float, float]], log_f: np.ndarray) -> np.ndarray:
    xs = np.array([k[0] for k in knots])
    ys = np.log10(np.array([k[1] for k in knots]))
    return np.asarray(10 ** np.interp(log_f, xs, ys))


def pareto(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Truncated Pareto (alpha = 1) between lo and hi: density falls with followers."""
    u = rng.random(len(lo))
    return np.asarray(lo / (1 - u * (1 - lo / hi)))


def id_array(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pa.array(nums, pa.int64()).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, s, "")


def list_array(counts: np.ndarray, values: pa.Array) -> pa.Array:
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def phi(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-1.702 * x)))


def ts_array(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype(np.int64), pa.timestamp("us", tz="UTC"))
