"""The end-to-end demo: sample world → ingest → profile → search → HTML report → plan → campaign
(simulated posts, UGC, comments and sales) → tracking → campaign report (HTML and PDF)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microscout.brief import Brief
from microscout.config import Settings
from microscout.demo_campaign import CampaignDemo, run_campaign_demo
from microscout.ingest import IngestResult, ingest_files
from microscout.matching import SearchResult, search
from microscout.profile import run_profile
from microscout.report.html import render_search_report, write_report
from microscout.sample import generate_world
from microscout.sample._common import NOW as WORLD_NOW_UTC
from microscout.store import connect, utcnow

WORLD_NOW = WORLD_NOW_UTC.replace(tzinfo=None)  # the sample world's "now" (stored timestamps are naive UTC)
Progress = Callable[[str, int, int], None]
Step = Callable[[str], Any]


@dataclass
class DemoResult:
    db_path: Path
    report_path: Path
    world: dict[str, Any]
    ingest: IngestResult
    profiled: dict[str, Any]
    search: SearchResult
    seconds: dict[str, float]
    campaign: CampaignDemo | None = None


def scatter_points(store: Any, limit: int = 5000) -> list[dict[str, Any]]:
    """ER vs followers per creator of the micro band, for the report's chart."""
    profiles = store.table("creator_profiles")
    expr = (
        profiles.filter(profiles.er_followers.notnull(), profiles.followers > 0)
        .order_by(["platform", "creator_id"])
        .select("followers", "er_followers", "tier")
        .limit(limit)
    )
    frame = expr.to_pandas()
    return [
        {"followers": int(r.followers), "er": float(r.er_followers), "tier": r.tier}
        for r in frame.itertuples(index=False)
    ]


def run_demo(
    out: Path,
    brief: Brief,
    *,
    settings: Settings,
    creators: int = 3000,
    posts_per_creator: int = 30,
    seed: int = 7,
    progress: Progress | None = None,
    step: Step | None = None,
) -> DemoResult:
    """Generate a sample world in ``out/world``, ingest it into ``out/microscout.duckdb``, profile
    it, search for ``brief`` and write ``out/report.html``. Re-running replaces the demo folder's
    store so the numbers match the world."""
    out.mkdir(parents=True, exist_ok=True)
    say = step or (lambda _msg: None)
    seconds: dict[str, float] = {}
    world_dir = out / "world"
    if world_dir.exists():
        shutil.rmtree(world_dir)
    t = time.perf_counter()
    say(f"Generating a sample world of {creators:,} creators × {posts_per_creator} posts")
    world = generate_world(
        world_dir,
        creators=creators,
        posts_per_creator=posts_per_creator,
        seed=seed,
        difficulty="realistic",
        progress=progress,
    )
    seconds["generate"] = time.perf_counter() - t
    db_path = out / "microscout.duckdb"
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    store = connect(str(db_path), settings=settings)
    try:
        t = time.perf_counter()
        say("Ingesting the world into the store")
        ingested = ingest_files(store, [world_dir], workspace=settings.workspace, progress=progress)
        seconds["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        say("Profiling creators")
        profiled = run_profile(store, progress=progress)
        seconds["profile"] = time.perf_counter() - t
        t = time.perf_counter()
        say(f"Searching for {brief.brand}")
        result = search(store, brief, workspace=settings.workspace, limit=25)
        seconds["search"] = time.perf_counter() - t
        summary = {
            "Creators": f"{store.count('creators'):,}",
            "Posts": f"{store.count('posts'):,}",
            "Comments": f"{store.count('comments'):,}",
            "Candidates after filters": f"{result.candidates:,}",
            "Quarantined records": f"{ingested.quarantined:,}",
            "Seconds (generate / ingest / profile / search)": " / ".join(
                f"{seconds[k]:.1f}" for k in ("generate", "ingest", "profile", "search")
            ),
        }
        scatter = scatter_points(store)
        t = time.perf_counter()
        say("Planning, booking and tracking a simulated campaign")
        campaign = run_campaign_demo(store, out, brief, settings=settings, now=WORLD_NOW)
        seconds["campaign"] = time.perf_counter() - t
        html = render_search_report(
            title=f"microscout shortlist — {brief.brand}",
            brief=brief.to_dict(),
            results=result.rows,
            scatter=scatter,
            summary=summary,
            generated_at=utcnow().isoformat() + "Z",
            plan=_saved_plan(store, settings.workspace, campaign),
        )
        report_path = out / "report.html"
        write_report(report_path, html)
    finally:
        store.close()
    return DemoResult(db_path, report_path, world, ingested, profiled, result, seconds, campaign)


def _saved_plan(store: Any, workspace: str, campaign: CampaignDemo) -> dict[str, Any] | None:
    """The plan the demo campaign was booked from, with the demo's notes on what it relaxed."""
    if campaign.plan_id is None:
        return None
    rows = store.raw.execute(
        "SELECT body FROM plans WHERE workspace_id = ? AND plan_id = ?", [workspace, campaign.plan_id]
    ).fetchall()
    if not rows:
        return None
    plan: dict[str, Any] = json.loads(rows[0][0])
    plan["notes"] = [n for n in campaign.notes if n.startswith("the plan")] + list(plan.get("notes") or [])
    return plan
