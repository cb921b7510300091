"""The three profile stages end to end on a small sample world: metrics, authenticity, text."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from microscout.authenticity.vet import vet_creator
from microscout.cli import app
from microscout.config import Settings
from microscout.ingest import ingest_files
from microscout.profile import run_profile
from microscout.sample import generate_world
from microscout.store import Store, connect

NOW = dt.datetime(2026, 11, 20)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("stages")
    generate_world(root / "w", creators=240, posts_per_creator=12, seed=11, difficulty="easy")
    settings = Settings(db=str(root / "s.duckdb"))
    store = connect(settings.db, settings=settings)
    ingest_files(store, [root / "w"], workspace=settings.workspace)
    run_profile(store, now=NOW)
    yield store
    store.close()


def q(store: Store, sql: str) -> list[tuple]:
    return store.raw.execute(sql).fetchall()


def test_every_post_and_comment_gets_signals(world: Store) -> None:
    assert q(world, "SELECT count(*) FROM post_signals") == q(world, "SELECT count(*) FROM posts")
    with_text = q(world, "SELECT count(*) FROM comments WHERE text IS NOT NULL")
    assert q(world, "SELECT count(*) FROM comment_signals") == with_text
    labels = {
        r[0] for r in q(world, "SELECT DISTINCT sentiment_label FROM comment_signals WHERE sentiment_label NOT NULL")
    }
    assert labels <= {"negative", "neutral", "positive"} and len(labels) >= 2
    # sentiment for each creator's 10 most recent comments, language for all of them
    per_creator = q(
        world,
        """SELECT max(n) FROM (SELECT p.creator_id, count(*) AS n FROM comment_signals s
           JOIN comments c USING (platform, comment_id)
           JOIN posts p ON p.platform = c.platform AND p.post_id = c.post_id
           WHERE s.sentiment IS NOT NULL GROUP BY 1)""",
    )[0][0]
    assert per_creator == 10
    assert q(world, "SELECT count(*) FROM comment_signals WHERE language IS NULL") == [(0,)]


def test_languages_markets_and_niches_match_the_planted_truth(world: Store) -> None:
    rows = q(
        world,
        """SELECT t.true_language, p.content_language, t.true_market, p.home_market, t.true_niches, p.niches
           FROM truth_creators t JOIN creator_profiles p USING (platform, creator_id)""",
    )
    n = len(rows)
    assert n == 240
    assert sum(r[0] == r[1] for r in rows) / n >= 0.9
    assert sum(r[2] == r[3] for r in rows) / n >= 0.9
    assert sum(bool(r[5]) and r[5][0] in r[4] for r in rows) / n >= 0.85
    scores = q(world, "SELECT count(DISTINCT niche) FROM creator_niche_scores")[0][0]
    assert scores >= 18


def test_planted_fraud_scores_low_and_clean_creators_high(world: Store) -> None:
    rows = q(
        world,
        "SELECT t.fraud, p.aqs, p.aqs_low, p.aqs_high FROM truth_creators t JOIN creator_profiles p "
        "USING (platform, creator_id)",
    )
    assert all(r[1] is not None and r[2] <= r[1] <= r[3] for r in rows)
    clean = [r[1] for r in rows if r[0] == "none"]
    fraud = [r[1] for r in rows if r[0] != "none"]
    assert fraud, "the easy world plants fraud"
    assert sum(a >= 70 for a in clean) / len(clean) >= 0.9
    assert sum(a < 70 for a in fraud) / len(fraud) >= 0.8


def test_unsafe_content_is_flagged_with_evidence(world: Store) -> None:
    planted = q(world, "SELECT platform, creator_id FROM truth_creators WHERE unsafe")
    flagged = set(q(world, "SELECT platform, creator_id FROM creator_profiles WHERE unsafe_posts > 0"))
    assert planted and set(planted) <= flagged
    terms = q(world, "SELECT safety_flags, safety_terms FROM post_signals WHERE len(safety_flags) > 0 LIMIT 5")
    assert all(flags and terms for flags, terms in terms)


def test_rerun_is_incremental_and_changes_nothing(world: Store) -> None:
    before = q(world, "SELECT * FROM creator_profiles ORDER BY platform, creator_id")
    runs = run_profile(world, now=NOW)
    assert runs["metrics"].recomputed == 0
    assert runs["authenticity"].accounts_scored == 0
    assert runs["text"].posts == 0 and runs["text"].comments == 0
    after = q(world, "SELECT * FROM creator_profiles ORDER BY platform, creator_id")
    drop = {i for i, d in enumerate(world.raw.execute("SELECT * FROM creator_profiles LIMIT 0").description)
            if d[0] == "computed_at"}  # fmt: skip
    names = [d[0] for d in world.raw.execute("SELECT * FROM creator_profiles LIMIT 0").description]
    for b, a in zip(before, after, strict=True):
        # floats may differ in the last bits (parallel sums add in any order)
        changed = [
            names[i]
            for i in range(len(names))
            if i not in drop
            and b[i] != a[i]
            and not (isinstance(b[i], float) and isinstance(a[i], float) and math.isclose(b[i], a[i], rel_tol=1e-9))
        ]
        assert not changed, (b[1], changed, [(b[names.index(c)], a[names.index(c)]) for c in changed])


def test_vet_card_and_cli(world: Store, tmp_path: Path) -> None:
    ref = q(world, "SELECT c.platform || ':' || c.handle FROM creators c JOIN truth_creators t USING (platform, "
                   "creator_id) WHERE t.fraud = 'both' LIMIT 1")[0][0]  # fmt: skip
    card = vet_creator(world, ref, threshold=70)
    assert card["aqs"] < 70 and card["verdict"].startswith("suspicious")
    assert card["reasons"] and any(
        "engagement pod" in r or "look fake" in r or "followers +" in r for r in card["reasons"]
    )
    assert {c["check"] for c in card["checks"]} >= {"suspicious_followers", "growth_spike", "pod"}
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["vet", ref, "--db", world.location, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["creator"] == ref


def test_stages_on_a_parquet_lake_equal_the_store(world: Store, tmp_path: Path) -> None:
    """The same stages over a Parquet lake (the layout the Spark engine reads) give the same scores."""
    from microscout.store.lake import Lake, export_to_lake

    inputs = ["creators", "creator_snapshots", "posts", "comments", "audience_accounts", "audience_edges",
              "audience_insights", "workspaces"]  # fmt: skip
    export_to_lake(world, tmp_path / "lake", tables=inputs)
    with Lake(tmp_path / "lake", settings=world.settings, engine="duckdb") as lake:
        run_profile(lake, now=NOW)
        got = lake.table("creator_profiles").select("platform", "creator_id", "aqs", "home_market", "content_language")
        lake_rows = {(r["platform"], r["creator_id"]): r for r in got.to_pyarrow().to_pylist()}
    store_rows = {
        (p, c): (a, h, lang)
        for p, c, a, h, lang in q(
            world, "SELECT platform, creator_id, aqs, home_market, content_language FROM creator_profiles"
        )
    }
    assert len(lake_rows) == len(store_rows)
    same_market = sum(lake_rows[k]["home_market"] == v[1] for k, v in store_rows.items())
    assert same_market == len(store_rows)
    assert all(lake_rows[k]["content_language"] == v[2] for k, v in store_rows.items())
    assert all(abs((lake_rows[k]["aqs"] or 0) - (v[0] or 0)) < 1e-6 for k, v in store_rows.items())
