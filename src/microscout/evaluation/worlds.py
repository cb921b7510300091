"""Sample worlds for evaluations: generated, ingested and profiled once per run."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from microscout.config import Settings
from microscout.ingest import ingest_files
from microscout.profile import run_profile
from microscout.sample import generate_world
from microscout.store import Store, connect


@dataclass(frozen=True)
class WorldSpec:
    name: str
    creators: int
    posts_per_creator: int
    seed: int
    difficulty: str


# two worlds with different seeds and settings: nothing is tuned to one of them
EVAL_WORLDS = (
    WorldSpec("A (seed 7, realistic)", 4000, 30, 7, "realistic"),
    WorldSpec("B (seed 2027, realistic, 3,000 × 45)", 3000, 45, 2027, "realistic"),
)


def build_world(spec: WorldSpec, root: Path) -> Store:
    """Generate ``spec`` under ``root``, ingest and profile it; return the open store."""
    folder = root / f"world-{spec.seed}"
    generate_world(
        folder,
        creators=spec.creators,
        posts_per_creator=spec.posts_per_creator,
        seed=spec.seed,
        difficulty=spec.difficulty,
    )
    settings = Settings(db=str(root / f"eval-{spec.seed}.duckdb"))
    store = connect(settings.db, settings=settings)
    ingest_files(store, [folder], workspace=settings.workspace)
    run_profile(store)
    return store


def temporary_root() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="microscout-eval-")
