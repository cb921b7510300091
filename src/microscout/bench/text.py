"""Text benchmark: how fast language ID, brand safety, sentiment and creator embeddings run.

``python -m microscout.bench.text --texts 200000`` (or ``microscout bench text --json``) generates a
sample world, takes its captions and comments as the texts (duplicates as the world has them:
social text repeats), and times, after loading each model once:

* ``language_per_s`` — language ID (:mod:`microscout.text.language`);
* ``safety_per_s`` — brand-safety matching with every lexicon (:mod:`microscout.text.safety`);
* ``sentiment_per_s`` — the bundled sentiment model on comments (``microscout.text.sentiment``;
  null when that module is not installed);
* ``creators_embedded_per_s`` — creators embedded with the default multilingual embedder over a
  bounded sample of :data:`CAPTIONS_PER_CREATOR` captions each (``microscout.text.embed``; null when
  absent);
* ``*_unique_per_s`` — the same for language and safety on texts made unique (no repeats to memoise).

Figures are wall-clock seconds on the machine named (``load_avg`` says how busy it was); the
``make bench`` run writes them to ``docs/benchmarks-text.md`` (linked from ``docs/benchmarks.md``).
"""

from __future__ import annotations

import importlib
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[3] / "docs" / "benchmarks-text.md"
CAPTIONS_PER_CREATOR = 20
EMBED_CREATORS = 200
SENTIMENT_TEXTS = 20_000

log = logging.getLogger(__name__)


def _rate(n: int, fn: Callable[[], Any]) -> tuple[float, float]:
    """Texts per second, wall and CPU (process) time."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return round(n / max(wall, 1e-9)), round(n / max(cpu, 1e-9))


def sample_texts(texts: int, *, seed: int = 42, workdir: Path | None = None) -> dict[str, Any]:
    """Captions and comments of a generated sample world, about ``texts`` of them in all."""
    import pyarrow.parquet as pq

    from microscout.sample import generate_world

    posts_per_creator = 30
    creators = max(50, -(-texts // (posts_per_creator + 12)))
    with tempfile.TemporaryDirectory(dir=workdir, prefix="microscout-bench-text-") as tmp:
        world = Path(tmp) / "world"
        generate_world(world, creators=creators, posts_per_creator=posts_per_creator, seed=seed)
        posts = pq.read_table(world / "posts.parquet", columns=["creator_id", "caption"])
        comments = pq.read_table(world / "comments.parquet", columns=["text"]).column("text").to_pylist()
    captions = posts.column("caption").to_pylist()
    owners = posts.column("creator_id").to_pylist()
    pool = [t or "" for t in captions + comments]
    while len(pool) < texts:
        pool = pool + pool
    by_creator: dict[str, list[str]] = {}
    for owner, caption in zip(owners, captions, strict=True):
        group = by_creator.setdefault(owner, [])
        if len(group) < CAPTIONS_PER_CREATOR:
            group.append(caption or "")
    return {"texts": pool[:texts], "comments": [c or "" for c in comments], "by_creator": by_creator}


def bench_text(
    *,
    texts: int = 200_000,
    seed: int = 42,
    workdir: Path | None = None,
    sentiment_texts: int = SENTIMENT_TEXTS,
    embed_creators: int = EMBED_CREATORS,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Time the text stage's parts on sample-world texts; one dict of figures (a figure whose part
    is absent, or was given 0 texts or creators, is None)."""
    from microscout.text.language import get_identifier
    from microscout.text.safety import get_scanner

    def step(label: str, i: int) -> None:
        if progress:
            progress("bench text", i, 6)
        log.info("bench text: %s", label)

    step("generate", 0)
    data = sample_texts(texts, seed=seed, workdir=workdir)
    batch: list[str] = data["texts"]
    unique = [f"{t} {i}" for i, t in enumerate(batch)]
    result: dict[str, Any] = {"benchmark": "text", "texts": len(batch), "unique_share": 0.0}
    result["unique_share"] = round(len(set(batch)) / max(len(batch), 1), 4)

    step("language", 1)
    started = time.perf_counter()
    ident = get_identifier()
    ident.detect(batch[:100])
    result["language_load_s"] = round(time.perf_counter() - started, 2)
    result["language_per_s"], result["language_cpu_per_s"] = _rate(len(batch), lambda: ident.detect(batch))
    result["language_unique_per_s"], result["language_unique_cpu_per_s"] = _rate(
        len(unique), lambda: ident.detect(unique)
    )

    step("safety", 2)
    scanner = get_scanner()
    scanner.scan(batch[:100])
    result["safety_per_s"], result["safety_cpu_per_s"] = _rate(len(batch), lambda: scanner.scan(batch))
    result["safety_unique_per_s"], result["safety_unique_cpu_per_s"] = _rate(len(unique), lambda: scanner.scan(unique))

    step("sentiment", 3)
    comments = data["comments"][:sentiment_texts] or batch[:sentiment_texts]
    result["sentiment_per_s"] = _sentiment_rate(comments) if sentiment_texts > 0 else None

    step("embed", 4)
    groups = list(data["by_creator"].values())[: max(embed_creators, 0)]
    result["creators_embedded_per_s"] = _embed_rate(groups) if groups else None
    result["captions_per_creator"] = CAPTIONS_PER_CREATOR

    step("done", 6)
    result["machine"] = f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}"
    result["load_avg"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    return result


def _optional(module: str) -> Any | None:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        log.info("%s not available: %s", module, exc)
        return None


def _sentiment_rate(texts: list[str]) -> float | None:
    """Comments per second through ``microscout.text.sentiment.load_default().predict``; None if absent."""
    sentiment = _optional("microscout.text.sentiment")
    if sentiment is None or not hasattr(sentiment, "load_default") or not texts:
        return None
    try:
        model = sentiment.load_default()
        model.predict(texts[:50])
        rate, _ = _rate(len(texts), lambda: model.predict(texts))
    except Exception as exc:  # noqa: BLE001 - another engineer's model: report, do not fail the bench
        log.warning("sentiment benchmark skipped: %s", exc)
        return None
    return rate


def _embed_rate(groups: list[list[str]]) -> float | None:
    """Creators per second: embed each creator's bounded caption sample and average it; None if absent."""
    embed = _optional("microscout.text.embed")
    if embed is None or not hasattr(embed, "get_embedder") or not groups:
        return None
    try:
        import numpy as np

        embedder = embed.get_embedder("use")
        embedder.embed(groups[0][:2])
        flat = [c for g in groups for c in g]
        sizes = np.array([len(g) for g in groups])

        def run() -> None:
            vectors = np.asarray(embedder.embed(flat))
            owner = np.repeat(np.arange(len(groups)), sizes)
            sums = np.zeros((len(groups), vectors.shape[1]))
            np.add.at(sums, owner, vectors)
            _ = sums / np.maximum(sizes, 1)[:, None]

        rate, _ = _rate(len(groups), run)
    except Exception as exc:  # noqa: BLE001 - another engineer's embedder: report, do not fail the bench
        log.warning("embedding benchmark skipped: %s", exc)
        return None
    return rate


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _fmt(value: Any) -> str:
    return "not available" if value is None else f"{value:,}"


def write_doc(result: dict[str, Any], command: str, path: Path = DOC) -> None:
    """Write ``docs/benchmarks-text.md`` from one run."""
    lines = [
        "# Benchmarks: text",
        "",
        "Rewritten by `make bench` from one run on the machine named; re-run to re-measure. "
        "Part of [the benchmarks](benchmarks.md).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {result['machine']}; load average at the end of the run: {result.get('load_avg')}",
        "",
        f"Texts: {result['texts']:,} captions and comments of a generated sample world "
        f"({result['unique_share']:.0%} distinct: social text repeats, and repeats are detected once); "
        "the *all distinct* rows add a running number to every text so nothing repeats.",
        "",
        "| what | per second (wall) | per second (CPU time) | target |",
        "| --- | ---: | ---: | --- |",
        f"| language ID, texts | {_fmt(result['language_per_s'])} | {_fmt(result['language_cpu_per_s'])} "
        "| ≥ 50,000 on 2 cores |",
        f"| language ID, texts all distinct | {_fmt(result['language_unique_per_s'])} "
        f"| {_fmt(result['language_unique_cpu_per_s'])} | |",
        f"| brand safety, texts (every lexicon) | {_fmt(result['safety_per_s'])} | {_fmt(result['safety_cpu_per_s'])} "
        "| ≥ 20,000 on 2 cores |",
        f"| brand safety, texts all distinct | {_fmt(result['safety_unique_per_s'])} "
        f"| {_fmt(result['safety_unique_cpu_per_s'])} | |",
        f"| sentiment, comments | {_fmt(result['sentiment_per_s'])} | | |",
        f"| creators embedded ({result['captions_per_creator']} captions each, averaged) "
        f"| {_fmt(result['creators_embedded_per_s'])} | | |",
        "",
        f"Loading the language model once: {result['language_load_s']} s. Both language ID and safety run in "
        "one process and one thread; the CPU-time column is what a quiet machine would give.",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--no-doc", action="store_true", help="print JSON only, leave docs/benchmarks-text.md alone")
    args = parser.parse_args(argv)
    result = bench_text(texts=args.texts)
    sys.stdout.write(json.dumps(result) + "\n")
    if not args.no_doc:
        write_doc(result, f"python -m microscout.bench.text --texts {args.texts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
