"""``microscout bench api``: requests per second and latency of the creator search over HTTP.

Builds a profiled sample world (:func:`microscout.sample.generate_world`, ingest, the metrics and
authenticity stages), starts ``microscout serve`` on a free loopback port in its own process, then
runs an asyncio load generator (HTTP/1.1 keep-alive on asyncio streams) **pinned to one CPU**
(``os.sched_setaffinity``, in a subprocess) for a bounded time: ``connections`` concurrent
connections, each looping over a fixed mix of ≥ 50 different filter queries with page size 50.
The server keeps no result cache. Prints one JSON object with at least ``requests``, ``errors``,
``rps``, ``p50_ms`` and ``p99_ms``, plus the CPU time per request of the server and of the load
generator (robust to other load on the machine).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from microscout.errors import MicroscoutError

Progress = Callable[[str, int, int], None]

MARKETS = ("US", "GB", "BR", "MX", "ES", "FR", "DE", "IT", "ID", "JP", "IN", "TR", "SA")
LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "id", "ja", "hi", "tr", "ar")
PLATFORMS = ("instagram", "tiktok", "youtube", "x", "bluesky")
NICHES = ("beauty", "fitness", "food", "travel", "gaming", "tech")


def query_mix(count: int = 60, *, page_size: int = 50, seed: int = 3) -> list[list[tuple[str, str]]]:
    """``count`` different creator-search queries (as query-string pairs), deterministic."""
    rng = random.Random(seed)
    bands = [(1000, 10000), (10000, 100000), (1000, 100000), (5000, 50000), (None, None)]
    sorts = [("er_percentile", "desc"), ("followers", "desc"), ("aqs", "desc"), ("er", "desc"), ("followers", "asc")]
    seen: set[str] = set()
    out: list[list[tuple[str, str]]] = []
    for _ in itertools.count():
        params: list[tuple[str, str]] = [("limit", str(page_size))]
        params += [("platform", p) for p in rng.sample(PLATFORMS, rng.choice((1, 1, 2, 3)))]
        low, high = rng.choice(bands)
        if low is not None:
            params += [("followers_min", str(low)), ("followers_max", str(high))]
        kind = rng.randrange(6)
        if kind == 0:
            params.append(("market", rng.choice(MARKETS)))
        elif kind == 1:
            params.append(("language", rng.choice(LANGUAGES)))
        elif kind == 2:
            params += [("market", m) for m in rng.sample(MARKETS, 2)]
        elif kind == 3:
            params.append(("niche", rng.choice(NICHES)))
        elif kind == 4:
            params.append(("tier", rng.choice(("nano", "micro"))))
        if rng.random() < 0.3:
            params.append(("min_aqs", str(rng.choice((50, 60, 70)))))
        if rng.random() < 0.3:
            params.append(("min_er_percentile", str(rng.choice((25, 50, 75)))))
        sort, order = rng.choice(sorts)
        params += [("sort", sort), ("order", order), ("offset", str(rng.choice((0, 0, 0, page_size, 2 * page_size))))]
        key = json.dumps(sorted(params))
        if key not in seen:
            seen.add(key)
            out.append(params)
        if len(out) >= count:
            return out
    return out  # pragma: no cover


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in fields:
        body = await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, body, fields.get("connection", "").lower() != "close"


async def _load(
    url: str, token: str, queries: list[list[tuple[str, str]]], seconds: float, connections: int
) -> dict[str, Any]:
    """Keep ``connections`` HTTP/1.1 keep-alive connections busy for ``seconds``.

    A minimal client on asyncio streams: a general client (httpx) costs about 5 ms of CPU per
    request here, which would make the pinned load generator, not the server, the bottleneck.
    """
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = []
    errors = 0
    requests = [
        (
            f"GET /api/v1/creators?{urlencode([(str(k), str(v)) for k, v in q])} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
        ).encode()
        for q in queries
    ]
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(first: int) -> None:
        nonlocal errors
        i = first
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < deadline:
            request = requests[i % len(requests)]
            i += connections
            t0 = time.perf_counter()
            ok = False
            try:
                if stream is None:
                    stream = await asyncio.open_connection(host, port)
                reader, writer = stream
                writer.write(request)
                await writer.drain()
                status, body, keep = await asyncio.wait_for(_read_response(reader), timeout=30)
                ok = status == 200 and body.startswith(b'{"data":')
                if not keep:
                    writer.close()
                    stream = None
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                if stream is not None:
                    stream[1].close()
                stream = None
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += 0 if ok else 1
        if stream is not None:
            stream[1].close()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "elapsed_s": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _round(_percentile(latencies, 0.50)),
        "p90_ms": _round(_percentile(latencies, 0.90)),
        "p99_ms": _round(_percentile(latencies, 0.99)),
        "max_ms": _round(latencies[-1] if latencies else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def run_load(config: dict[str, Any]) -> dict[str, Any]:
    """The load generator (run in its own process): pin to one CPU, then load the server."""
    cpu = int(config["cpu"])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    started = time.process_time()
    result = asyncio.run(
        _load(config["url"], config["token"], config["queries"], float(config["seconds"]), int(config["connections"]))
    )
    result["loadgen_cpu"] = cpu
    result["loadgen_cpu_ms_per_request"] = _per_request(time.process_time() - started, result["requests"])
    return result


def _per_request(cpu_seconds: float, requests: int) -> float | None:
    return round(1000 * cpu_seconds / requests, 2) if requests else None


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` and its threads (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise MicroscoutError(f"the server exited with code {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise MicroscoutError("the server did not answer /api/v1/health in time")


def build_world(folder: Path, *, creators: int, posts_per_creator: int, seed: int) -> dict[str, Any]:
    """A profiled sample world in ``folder/bench.duckdb``; returns seconds per stage."""
    from microscout.authenticity.stage import run_authenticity
    from microscout.config import Settings
    from microscout.ingest import ingest_files
    from microscout.metrics import profile_creators
    from microscout.sample import generate_world
    from microscout.store import connect

    seconds: dict[str, float] = {}
    notes: dict[str, str] = {}
    t = time.perf_counter()
    generate_world(folder / "world", creators=creators, posts_per_creator=posts_per_creator, seed=seed)
    seconds["generate_s"] = time.perf_counter() - t
    settings = Settings(db=str(folder / "bench.duckdb"))
    with connect(settings.db, settings=settings) as store:
        t = time.perf_counter()
        ingest_files(store, [folder / "world"], workspace=settings.workspace)
        seconds["ingest_s"] = time.perf_counter() - t
        t = time.perf_counter()
        profile_creators(store)
        seconds["profile_s"] = time.perf_counter() - t
        t = time.perf_counter()
        try:
            run_authenticity(store)
            seconds["authenticity_s"] = time.perf_counter() - t
        except MicroscoutError as exc:  # the AQS stays empty; every query still runs its filters
            notes["authenticity"] = f"skipped: {exc.message}"
    return {**{k: round(v, 1) for k, v in seconds.items()}, **notes}


def bench_api(
    *,
    creators: int = 100_000,
    seconds: float = 60.0,
    connections: int = 16,
    page_size: int = 50,
    posts_per_creator: int = 10,
    queries: int = 60,
    seed: int = 11,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Build the world, serve it, load it; return the measured figures."""
    from microscout.accounts import create_api_key
    from microscout.config import Settings
    from microscout.store import connect

    say = progress or (lambda _label, _done, _total: None)
    with tempfile.TemporaryDirectory(prefix="microscout-bench-api-") as tmp:
        folder = Path(tmp)
        say("building the world", 0, 3)
        build = build_world(folder, creators=creators, posts_per_creator=posts_per_creator, seed=seed)
        db = str(folder / "bench.duckdb")
        with connect(db, settings=Settings(db=db)) as store:
            _key, token = create_api_key(store, "default", name="bench", role="viewer")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MICROSCOUT_SESSION_SECRET": os.urandom(16).hex()}
        say("starting the server", 1, 3)
        server = subprocess.Popen(
            [sys.executable, "-m", "microscout", "serve", "--db", db, "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(url, server)
            mix = query_mix(queries, page_size=page_size)
            cpu = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
            # warm-up (builds the server's creator index), not measured
            run_load_subprocess(
                {"url": url, "token": token, "queries": mix, "seconds": 2, "connections": 2, "cpu": cpu}
            )
            say("loading", 2, 3)
            config = {
                "url": url,
                "token": token,
                "queries": mix,
                "seconds": seconds,
                "connections": connections,
                "cpu": cpu,
            }
            cpu_before = _process_cpu_seconds(server.pid)
            load = run_load_subprocess(config)
            cpu_after = _process_cpu_seconds(server.pid)
            if cpu_before is not None and cpu_after is not None:
                load["server_cpu_ms_per_request"] = _per_request(cpu_after - cpu_before, load["requests"])
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    say("done", 3, 3)
    return {
        "creators": creators,
        "posts_per_creator": posts_per_creator,
        "seconds": seconds,
        "connections": connections,
        "page_size": page_size,
        "queries": len(mix),
        **load,
        "cpus": os.cpu_count(),
        "build": build,
    }


def run_load_subprocess(config: dict[str, Any]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(config, fh)
        path = fh.name
    try:
        done = subprocess.run(
            [sys.executable, "-m", "microscout.bench.api", "--load", path],
            capture_output=True,
            text=True,
            timeout=float(config["seconds"]) + 120,
            check=False,
        )
    finally:
        Path(path).unlink(missing_ok=True)
    if done.returncode != 0:
        raise MicroscoutError(f"the load generator failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


DOC = Path(__file__).resolve().parents[3] / "docs" / "benchmarks-api.md"


def render(result: dict[str, Any], command: str) -> str:
    """docs/benchmarks-api.md for one measured run."""
    build = result.get("build") or {}
    target = result["rps"] >= 150 and (result["p99_ms"] or 1e9) <= 250 and result["errors"] == 0
    lines = [
        "# Benchmark: the creator-search API",
        "",
        f"Measured by `{command}` (`make bench` re-measures it and rewrites this page). "
        f"A profiled sample world of {result['creators']:,} creators "
        f"× {result['posts_per_creator']} posts is served by `microscout serve` (one uvicorn process); an asyncio "
        f"HTTP/1.1 client pinned to one CPU keeps {result['connections']} connections busy for "
        f"{result['seconds']:.0f} s with a fixed mix of {result['queries']} different filter queries "
        f"(page size {result['page_size']}, no result cache) on {result.get('cpus', '?')} CPUs.",
        "",
        "| requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms | server CPU ms / request |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {result['requests']:,} | {result['errors']} | {result['rps']} | {result['p50_ms']} | "
        f"{result.get('p90_ms')} | {result['p99_ms']} | {result.get('max_ms')} | "
        f"{result.get('server_cpu_ms_per_request')} |",
        "",
        "Target (issue: ≥ 150 requests/s at 16 connections, p99 ≤ 250 ms, no errors): "
        + ("met." if target else "NOT met."),
        "",
        "Building the world (seconds): "
        + ", ".join(f"{k.removesuffix('_s')} {v}" for k, v in build.items() if isinstance(v, int | float))
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``python -m microscout.bench.api [--creators N] [--seconds S]``: run, print JSON, rewrite the doc."""
    if len(argv) == 2 and argv[0] == "--load":  # the pinned load generator (started by bench_api)
        sys.stdout.write(json.dumps(run_load(json.loads(Path(argv[1]).read_text()))) + "\n")
        return 0
    import argparse

    parser = argparse.ArgumentParser(description="Load the creator-search API of a served sample world.")
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-doc", action="store_true", help="print JSON only, leave docs/benchmarks-api.md alone")
    args = parser.parse_args(argv)
    result = bench_api(creators=args.creators, seconds=args.seconds)
    sys.stdout.write(json.dumps(result) + "\n")
    if not args.no_doc:
        DOC.write_text(render(result, f"python -m microscout.bench.api --creators {args.creators}"), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
