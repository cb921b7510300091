"""The sample-world generator: a deterministic, calibrated, chunked synthetic social world.

See ``docs/sample-world.md``. Everything is drawn from ``numpy.random.default_rng`` seeded by a
``SeedSequence(seed)`` per chunk, with a fixed reference "now" (2026-11-01T00:00:00Z), so the same
seed and parameters give byte-identical files. Per-post work is vectorised (numpy + Arrow
kernels); only per-creator strings (handles, names, bios) use small Python loops.

This module checks the arguments and runs the stages chunk by chunk; the stages live in
``creators`` (creators, snapshots), ``content`` (posts), ``audience`` (accounts, comments,
edges), ``deals`` (price function, deals, fx rates) and ``truths`` (difficulty settings, planted
truths), with the per-world phrase banks in ``context``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from microscout.errors import InvalidInputError
from microscout.sample._common import NOW, PLATFORMS
from microscout.sample._io import TRUTH_SCHEMAS, Sink, arrow_schema, write_json
from microscout.sample.audience import audience_and_comments
from microscout.sample.chunk import Chunk
from microscout.sample.content import make_posts
from microscout.sample.context import build_setup
from microscout.sample.creators import make_creators, snapshots
from microscout.sample.deals import fx_rows, make_deals, price_doc
from microscout.sample.truths import DIFFICULTY, write_truth

__all__ = ["DIFFICULTIES", "FORMATS", "GENERATOR_VERSION", "NOW", "TABLE_NAMES", "generate_world"]

GENERATOR_VERSION = "1.0"
DIFFICULTIES = ("easy", "realistic", "hard")
FORMATS = ("parquet", "jsonl", "csv")
TABLE_NAMES = (
    "creators",
    "creator_snapshots",
    "posts",
    "comments",
    "audience_accounts",
    "audience_edges",
    "deals",
    "fx_rates",
)
ProgressFn = Callable[[str, int, int], None]


def _check(creators: int, posts_per_creator: int, seed: int, difficulty: str, fmt: str, chunk_creators: int) -> None:
    if difficulty not in DIFFICULTIES:
        raise InvalidInputError(f"--difficulty must be one of {', '.join(DIFFICULTIES)} (got {difficulty!r})")
    if fmt not in FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    for name, value in (
        ("--creators", creators),
        ("--posts-per-creator", posts_per_creator),
        ("--chunk-creators", chunk_creators),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"{name} must be an integer >= 1 (got {value!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInputError(f"--seed must be an integer >= 0 (got {seed!r})")


def generate_world(
    out_dir: Path,
    *,
    creators: int,
    posts_per_creator: int,
    seed: int,
    difficulty: str = "realistic",
    fmt: str = "parquet",
    chunk_creators: int = 5000,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Generate a sample world into ``out_dir`` in the canonical file format.

    Writes ``creators``, ``creator_snapshots``, ``posts``, ``comments``, ``audience_accounts``,
    ``audience_edges``, ``deals``, ``fx_rates`` (``<table>.<fmt>``), the planted truths
    ``truth_creators.<fmt>``, ``truth_sponsored.<fmt>`` and ``truth_price.json``, and
    ``world.json``. Same arguments -> byte-identical files. Returns a summary dict.
    """
    _check(creators, posts_per_creator, seed, difficulty, fmt, chunk_creators)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    setup = build_setup(seed)
    sinks = {name: Sink(out, name, arrow_schema(name), fmt) for name in TABLE_NAMES}
    for name, schema in TRUTH_SCHEMAS.items():
        sinks[name] = Sink(out, name, schema, fmt)
    handles_seen: list[set[str]] = [set() for _ in PLATFORMS]
    n_chunks = (creators + chunk_creators - 1) // chunk_creators
    try:
        for ci in range(n_chunks):
            c0 = ci * chunk_creators
            c1 = min(creators, c0 + chunk_creators)
            rng = np.random.default_rng(np.random.SeedSequence([seed, ci]))
            _run_chunk(Chunk(setup, rng, ci, c0, c1, posts_per_creator, DIFFICULTY[difficulty], handles_seen, sinks))
            if progress is not None:
                progress("creators", c1, creators)
        sinks["fx_rates"].write(fx_rows(seed))
    finally:
        for s in sinks.values():
            s.close()
    counts = {name: sinks[name].rows for name in TABLE_NAMES}
    truth_counts = {name: sinks[name].rows for name in TRUTH_SCHEMAS}
    write_json(out / "truth_price.json", price_doc(setup))
    files = sorted([s.path.name for s in sinks.values()] + ["truth_price.json", "world.json"])
    world = {
        "generator": "microscout.sample",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "difficulty": difficulty,
        "format": fmt,
        "creators": creators,
        "posts_per_creator": posts_per_creator,
        "chunk_creators": chunk_creators,
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": counts,
        "truth_counts": truth_counts,
        "files": files,
        "calibration": setup.cal["er_fit"],
    }
    write_json(out / "world.json", world)
    return {**world, "out_dir": str(out), "seconds": round(time.perf_counter() - started, 3)}


def _run_chunk(chunk: Chunk) -> None:
    """Run the stages on one chunk; the order fixes the order of random draws."""
    make_creators(chunk)
    snapshots(chunk)
    make_posts(chunk)
    audience_and_comments(chunk)
    make_deals(chunk)
    write_truth(chunk)
