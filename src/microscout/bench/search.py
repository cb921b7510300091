"""``microscout bench search``: latency of brief → top 50 over a million profiled creators.

The world is written straight into a DuckDB store by SQL (seeded, so every run searches the same
rows): ``creators``, ``creator_profiles``, ``creator_markets``, ``creator_niche_scores`` (one row
per creator and niche, as the text stage writes them) and ``recent`` posts per creator (captions
name a competitor brand for about 1 creator in 150) — the tables a search reads, with the sample
world's shapes: followers log-uniform over 500–150k, five platforms, thirteen home markets with
their languages and an audience spread over two to four countries, one or two main niches per
creator, engagement falling with size, AQS mostly high with a fraudulent tail. Building those
tables through the pipeline (generate, ingest, profile) is what ``bench metrics`` measures; here
only the search is timed.

Each query is :func:`microscout.matching.search` for one brief of a deterministic mix of ``queries``
different briefs (one to three markets, niches or a description alone, platforms, follower bands,
deliverables, a minimum AQS, competitors, required content language), unsaved; the first run of
each brief warms nothing for the others (no result cache). Prints one JSON object with at least
``creators``, ``queries``, ``p50_ms`` and ``p95_ms``.

``python -m microscout.bench.search`` also rewrites ``docs/benchmarks-search.md``.
"""

from __future__ import annotations

import json
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from microscout.bench.api import _percentile
from microscout.brief import Brief, parse_brief
from microscout.config import Settings
from microscout.markets import market_languages
from microscout.store import Store, connect
from microscout.text.niche_lexicon import load_lexicon

DOC = Path(__file__).resolve().parents[3] / "docs" / "benchmarks-search.md"
PLATFORMS = ("instagram", "tiktok", "youtube", "x", "bluesky")
PLATFORM_P = (0.38, 0.27, 0.15, 0.12, 0.08)
COMPETITORS = ("Sunbrella", "UVmax", "Glowly", "FitFuel", "TechNova", "Wanderly")
CHUNK = 100_000
VOCABULARY = (
    "morning", "routine", "new", "favourite", "today", "weekend", "review", "haul", "love", "this", "look",
    "trying", "finally", "the", "best", "my", "our", "week", "summer", "city", "recipe", "workout", "tips",
    "honest", "thoughts", "unboxing", "day", "in", "life", "quick", "easy", "style", "story", "behind",
    "scenes", "how", "to", "get", "ready", "with", "me", "guide", "budget", "friendly", "setup", "vlog",
    "travel", "diary", "challenge", "results", "after", "month", "#ootd", "#grwm", "#fyp", "#reels",
    "#weekend", "#love", "#new", "#daily", "#tips", "#review", "#summer", "#life",
)  # fmt: skip
Progress = Callable[[str, int, int], None]


def _maybe(known: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``known``, else None (a missing declared country, say)."""
    out = np.full(len(values), None, dtype=object)
    out[known] = values[known]
    return out


def _chunk(
    rng: np.random.Generator, start: int, n: int, countries: list[str], langs: dict[str, list[str]]
) -> dict[str, pa.Table]:
    ids = np.arange(start, start + n)
    plat = rng.choice(len(PLATFORMS), size=n, p=PLATFORM_P)
    followers = np.exp(rng.uniform(np.log(500), np.log(150_000), n)).astype(np.int64)
    home = rng.integers(0, len(countries), n)
    home_c = np.array(countries, dtype=object)[home]
    main_lang = np.array([langs[c][0] for c in countries], dtype=object)[home]
    # a tenth post mostly in English whatever the market
    content = np.where(rng.random(n) < 0.1, "en", main_lang)
    tier = np.select(
        [followers < 1_000, followers < 10_000, followers < 100_000],
        [np.full(n, None, dtype=object), np.full(n, "nano", dtype=object), np.full(n, "micro", dtype=object)],
        np.full(n, "mid", dtype=object),
    )
    er = 10 ** (1.82 - 0.27 * np.log10(followers)) / 100 * np.exp(rng.normal(0, 0.45, n))
    posts = rng.integers(3, 31, n)
    shrink = 1 / (1 + posts / 8)
    post_er = er * (1 - shrink) + 0.03 * shrink
    width = 1.7 / np.sqrt(posts)
    fraud = rng.random(n) < 0.08
    aqs = np.where(fraud, rng.uniform(15, 65, n), rng.uniform(62, 97, n))
    aqs = np.where(rng.random(n) < 0.05, np.nan, aqs)  # not vetted yet
    aqs_w = rng.uniform(3, 14, n)
    unsafe = np.where(rng.random(n) < 0.04, rng.integers(1, 6, n), 0)
    cid = np.char.add("c", ids.astype(str))
    plat_s = np.array(PLATFORMS, dtype=object)[plat]
    handle = np.char.add("bench_", ids.astype(str))
    creators = pa.table(
        {
            "platform": plat_s,
            "creator_id": cid,
            "handle": handle,
            "display_name": np.char.add("Bench creator ", ids.astype(str)),
            "declared_country": _maybe(rng.random(n) < 0.6, home_c),
            "declared_language": _maybe(rng.random(n) < 0.5, main_lang),
            "followers": followers,
        }
    )
    pct = rng.random(n)
    profiles = pa.table(
        {
            "platform": plat_s,
            "creator_id": cid,
            "profile_version": np.full(n, "bench"),
            "tier": tier,
            "followers": followers,
            "posts_in_window": posts,
            "er_followers": er,
            "er_views": np.where(plat == 1, er * 0.6, np.nan),
            "er_posterior": post_er,
            "er_low": post_er * np.exp(-width),
            "er_high": post_er * np.exp(width),
            "er_posterior_percentile": pct,
            "peer_count": np.full(n, 40_000),
            "aqs": aqs,
            "aqs_low": np.clip(aqs - aqs_w, 0, 100),
            "aqs_high": np.clip(aqs + aqs_w, 0, 100),
            "suspicious_share": np.where(fraud, rng.uniform(0.2, 0.6, n), rng.uniform(0.0, 0.15, n)),
            "home_market": _maybe(rng.random(n) < 0.93, home_c),
            "home_market_confidence": rng.uniform(0.4, 0.99, n),
            "content_language": content,
            "unsafe_posts": unsafe,
            "unsafe_post_share": unsafe / 30.0,
            "safety_categories": [["profanity"] if u else [] for u in unsafe],
        }
    )
    # audience: the home market and one to three other countries
    k = rng.integers(1, 4, n)
    aud_rows = int(n + k.sum())
    a_idx = np.concatenate([np.arange(n), np.repeat(np.arange(n), k)])
    other = rng.integers(0, len(countries), aud_rows - n)
    share_home = rng.uniform(0.4, 0.9, n)
    shares = np.concatenate([share_home, np.repeat((1 - share_home) / k, k)])
    audience = pa.table(
        {
            "platform": plat_s[a_idx],
            "creator_id": cid[a_idx],
            "kind": np.full(aud_rows, "audience"),
            "country": np.concatenate([home_c, np.array(countries, dtype=object)[other]]),
            "share": shares,
        }
    )
    niches = load_lexicon().niches
    scores = rng.beta(0.6, 9, (n, len(niches)))
    main = rng.integers(0, len(niches), n)
    scores[np.arange(n), main] = rng.uniform(0.45, 0.95, n)
    second = rng.random(n) < 0.4
    scores[np.arange(n)[second], rng.integers(0, len(niches), int(second.sum()))] = rng.uniform(
        0.3, 0.7, int(second.sum())
    )
    niche_scores = pa.table(
        {
            "platform": np.repeat(plat_s, len(niches)),
            "creator_id": np.repeat(cid, len(niches)),
            "niche": np.tile(np.array(niches, dtype=object), n),
            "score": scores.ravel(),
        }
    )
    profiles = pa.table(
        [
            pa.array(col.to_numpy(zero_copy_only=False), from_pandas=True) if pa.types.is_floating(col.type) else col
            for col in profiles.columns
        ],
        names=profiles.column_names,
    )  # NaN → NULL (a missing AQS or view-based ER is NULL in a real store)
    return {
        "creators": creators,
        "creator_profiles": profiles,
        "creator_markets": audience,
        "creator_niche_scores": niche_scores,
    }


def build_world(
    store: Store, *, creators: int, recent_posts: int = 10, seed: int = 42, progress: Progress | None = None
) -> dict[str, int]:
    """Write ``creators`` profiled creators (and their recent posts) into ``store``."""
    langs = market_languages(store.settings.reference_dir)
    countries = sorted(langs)
    rng = np.random.default_rng(seed)
    con = store.raw
    for start in range(0, creators, CHUNK):
        n = min(CHUNK, creators - start)
        tables = _chunk(rng, start, n, countries, langs)
        for name, table in tables.items():
            con.register("_bench_chunk", table)
            cols = ", ".join(table.column_names)
            if name == "creator_markets":  # an "other" country may repeat the home market
                con.execute(
                    f"INSERT INTO {name} ({cols}) SELECT platform, creator_id, kind, country, sum(share) "
                    "FROM _bench_chunk GROUP BY ALL"
                )
            else:
                con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _bench_chunk")
            con.unregister("_bench_chunk")
        if progress:
            progress("world", start + n, creators)
    words = ", ".join(f"'{w}'" for w in VOCABULARY)
    brands = ", ".join(f"'{b}'" for b in COMPETITORS)
    # captions of 12-20 words (about 100 characters, nearly all different), posts written in time
    # order across creators as ingestion over months would (no clustering by creator to help a scan)
    con.execute(
        f"""INSERT INTO posts (platform, post_id, creator_id, published_at, kind, caption, likes, comments)
        SELECT c.platform, c.creator_id || '_' || r.k, c.creator_id,
               TIMESTAMP '2026-11-01' - to_days(CAST(r.k * 4 + hash(c.creator_id) % 4 AS INTEGER)),
               'post',
               array_to_string(list_transform(range(12 + CAST(hash(c.creator_id, r.k) % 9 AS INTEGER)),
                   i -> list_extract([{words}], 1 + CAST(hash(c.creator_id, r.k, i) % {len(VOCABULARY)} AS INTEGER))),
                   ' ') ||
               CASE WHEN hash(c.creator_id) % 150 = 0 AND r.k < 3
                    THEN ' with ' || list_extract([{brands}], 1 + CAST(hash(c.creator_id, 'b') % 6 AS INTEGER))
                    ELSE '' END,
               CAST(c.followers * 0.03 AS BIGINT), CAST(c.followers * 0.002 AS BIGINT)
        FROM creators c, range({int(recent_posts)}) r(k)
        ORDER BY r.k DESC, hash(c.creator_id)"""
    )
    counts = {
        name: int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        for name in ("creators", "creator_profiles", "creator_markets", "creator_niche_scores", "posts")
    }
    return counts


def brief_mix(count: int = 60, *, seed: int = 7, reference_dir: Path | None = None) -> list[Brief]:
    """``count`` different briefs (deterministic for a seed), valid against the schema."""
    rng = random.Random(seed)
    langs = market_languages(reference_dir)
    countries = sorted(langs)
    niches = list(load_lexicon(reference_dir).niches)
    bands = [(1000, 100000), (1000, 10000), (10000, 100000), (5000, 50000), (2000, 30000)]
    kinds = ["post", "reel", "story", "video", "short"]
    descriptions = [
        "Mineral sunscreen for sensitive skin, reef-safe summer line",
        "Plant-based protein snacks for runners and gym training",
        "Budget travel backpack for weekend city trips",
        "Wireless earbuds for gamers and streamers",
        "Family board games for rainy afternoons with kids",
        "Sustainable denim made from recycled cotton",
    ]
    seen: set[str] = set()
    out: list[Brief] = []
    while len(out) < count:
        markets = rng.sample(countries, rng.choice((1, 1, 2, 2, 3)))
        band = rng.choice(bands)
        body: dict[str, Any] = {
            "brand": f"Bench brand {len(out) + 1}",
            "description": rng.choice(descriptions),
            "markets": [{"country": c, "languages": langs[c][:1]} for c in markets],
            "platforms": rng.sample(list(PLATFORMS), rng.choice((1, 2, 3, 5))),
            "deliverables": [{"kind": k, "count": rng.choice((1, 2))} for k in rng.sample(kinds, rng.choice((1, 2)))],
            "followers": {"min": band[0], "max": band[1]},
            "budget": {"amount": str(rng.choice((5000, 20000, 50000))), "currency": "USD"},
            "content_language_required": rng.random() < 0.3,
        }
        if rng.random() < 0.85:
            body["niches"] = rng.sample(niches, rng.choice((1, 2, 3)))
        if rng.random() < 0.5:
            body["min_quality"] = rng.choice((50, 60, 70))
        if rng.random() < 0.35:
            body["competitors"] = rng.sample(COMPETITORS, rng.choice((1, 2)))
        key = json.dumps({k: v for k, v in body.items() if k != "brand"}, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append(parse_brief(body, f"bench brief {len(out) + 1}", reference_dir=reference_dir))
    return out


ENGINE_SAMPLE = 12  # briefs also timed through the engine query (about a second each at 1 M)


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(_percentile(ordered, 0.5) or 0.0, 1),
        "p95_ms": round(_percentile(ordered, 0.95) or 0.0, 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
    }


def bench_search(
    *,
    creators: int,
    queries: int = 60,
    limit: int = 50,
    seed: int = 42,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Build the world and the server's in-memory index, then time ``queries`` different briefs
    (top ``limit``, unsaved) through the index and a sample through the engine query."""
    from microscout.matching import description_niches, search
    from microscout.matching_index import BriefIndex

    result: dict[str, Any] = {"benchmark": "search", "creators": creators, "queries": queries, "limit": limit}
    with tempfile.TemporaryDirectory(dir=workdir, prefix="microscout-bench-search-") as tmp:
        settings = Settings(db=str(Path(tmp) / "search.duckdb"))
        with connect(settings.db, settings=settings) as store:
            t = time.perf_counter()
            result["tables"] = build_world(store, creators=creators, seed=seed, progress=progress)
            store.raw.execute("CHECKPOINT")
            result["build_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            index = BriefIndex.build(store)
            result["index_build_s"] = round(time.perf_counter() - t, 2)
            briefs = brief_mix(queries, reference_dir=settings.reference_dir)
            # what a server does once at start: load the text models, compile the queries
            t = time.perf_counter()
            description_niches(briefs[0], settings.reference_dir)
            warm = parse_brief(
                {**briefs[0].to_dict(), "competitors": ["warm-up"]}, reference_dir=settings.reference_dir
            )
            search(store, warm, workspace=settings.workspace, limit=limit, save=False, index=index)
            result["warm_up_s"] = round(time.perf_counter() - t, 2)
            times: list[float] = []
            plain: list[float] = []
            rival: list[float] = []
            candidates: list[int] = []
            for i, brief in enumerate(briefs):
                t = time.perf_counter()
                found = search(store, brief, workspace=settings.workspace, limit=limit, save=False, index=index)
                elapsed = 1000 * (time.perf_counter() - t)
                times.append(elapsed)
                (rival if brief.competitors else plain).append(elapsed)
                candidates.append(found.candidates)
                if progress:
                    progress("queries", i + 1, len(briefs))
            engine: list[float] = []
            for brief in briefs[:ENGINE_SAMPLE]:
                t = time.perf_counter()
                search(store, brief, workspace=settings.workspace, limit=limit, save=False)
                engine.append(1000 * (time.perf_counter() - t))
    result.update(_stats(times))
    without, with_ = _stats(plain), _stats(rival)
    engine_stats = _stats(engine[1:] or engine)  # the first engine query compiles its SQL
    result.update(
        mean_ms=round(sum(times) / len(times), 1),
        without_competitors=len(plain),
        without_competitors_p95_ms=without["p95_ms"],
        with_competitors=len(rival),
        with_competitors_p95_ms=with_["p95_ms"],
        engine_queries=len(engine),
        engine_p50_ms=engine_stats["p50_ms"],
        engine_p95_ms=engine_stats["p95_ms"],
        candidates_median=int(np.median(candidates)),
        candidates_max=max(candidates),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        machine=f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
    )
    return result


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def render(result: dict[str, Any], command: str) -> str:
    t = result["tables"]
    return "\n".join(
        [
            "# Benchmark: brief → shortlist at a million creators",
            "",
            "Rewritten by `make bench` from one run on the machine named; re-run to re-measure. "
            "How the world is built and what a query does: `src/microscout/bench/search.py`.",
            "",
            f"Command: `{command}`  ",
            f"Machine: {result['machine']}",
            "",
            f"World: {t['creators']:,} profiled creators, {t['creator_niche_scores']:,} niche scores, "
            f"{t['creator_markets']:,} audience-market rows, {t['posts']:,} recent posts "
            f"(built in {result['build_s']} s).",
            "",
            "Through the server's in-memory index (`microscout.matching_index.BriefIndex`, built in "
            f"{result['index_build_s']} s; the server builds it on the first brief search and after every job "
            f"that writes public data; warm-up — text models loaded, queries compiled — {result['warm_up_s']} s):",
            "",
            "| what | value |",
            "| --- | ---: |",
            f"| different briefs searched (top {result['limit']} each, unsaved) | {result['queries']} |",
            f"| **p50 latency** | **{result['p50_ms']} ms** |",
            f"| **p95 latency** | **{result['p95_ms']} ms** |",
            f"| slowest | {result['max_ms']} ms |",
            f"| p95 of the {result['without_competitors']} briefs naming no competitor | "
            f"{result['without_competitors_p95_ms']} ms |",
            f"| p95 of the {result['with_competitors']} briefs naming competitors (their recent posts read from the "
            f"store) | {result['with_competitors_p95_ms']} ms |",
            f"| candidates passing a brief's filters (median / most) | {result['candidates_median']:,} / "
            f"{result['candidates_max']:,} |",
            f"| peak resident memory of the process | {result['peak_rss_mb']:,} MB |",
            "",
            "The same briefs through the engine query alone (`microscout search`, no index; "
            f"{result['engine_queries']} briefs): p50 {result['engine_p50_ms']} ms, "
            f"p95 {result['engine_p95_ms']} ms. Both give the same shortlists, scores and reasons "
            "(tests/test_matching_index.py).",
            "",
            "Target (issue 6): p95 ≤ 200 ms for ≥ 50 different briefs over 1 M profiled creators.",
            "",
        ]
    )


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m microscout.bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--no-doc", action="store_true", help="print the JSON only; leave docs/ alone")
    args = parser.parse_args(argv)
    result = bench_search(creators=args.creators, queries=args.queries)
    sys.stdout.write(json.dumps(result) + "\n")
    if not args.no_doc:
        DOC.write_text(
            render(result, f"python -m microscout.bench.search --creators {args.creators}"), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
