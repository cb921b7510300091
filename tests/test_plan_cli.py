"""plan, overlap, deals import, fx import and bench plan through the CLI on a small sample world."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import NOW
from microscout.cli import app
from microscout.config import Settings
from microscout.ingest import ingest_files
from microscout.metrics import profile_creators
from microscout.sample import generate_world
from microscout.store import connect

BRIEF = {
    "brand": "Solara",
    "description": "mineral sunscreen",
    "markets": [
        {"country": "US", "languages": ["en"], "min_creators": 2},
        {"country": "BR", "languages": ["pt"], "min_creators": 2, "budget_share": 0.3},
        {"country": "DE", "languages": ["de"], "max_creators": 3},
    ],
    "platforms": ["instagram", "tiktok", "youtube"],
    "deliverables": [{"kind": "post", "count": 1}, {"kind": "story", "count": 1}],
    "budget": {"amount": 2500, "currency": "EUR"},
    "kpi": "authentic_engagements",
}
DAY = ["--date", "2026-11-01"]


@pytest.fixture(scope="module")
def world_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("planworld")
    generate_world(root / "world", creators=300, posts_per_creator=20, seed=3)
    settings = Settings(db=str(root / "world.duckdb"))
    with connect(settings.db, settings=settings) as store:
        ingest_files(store, [root / "world"], workspace=settings.workspace, now=NOW)
        profile_creators(store, now=NOW)
    return root / "world.duckdb"


@pytest.fixture
def db(world_db, tmp_path) -> str:
    path = tmp_path / "plan.duckdb"
    shutil.copy(world_db, path)
    return str(path)


def _brief(tmp_path: Path, **changes) -> str:
    path = tmp_path / "brief.yaml"
    path.write_text(yaml.safe_dump({**BRIEF, **changes}))
    return str(path)


def test_plan_json_meets_the_brief_and_is_saved(runner: CliRunner, db, tmp_path):
    result = runner.invoke(app, ["plan", _brief(tmp_path), "--db", db, "--format", "json", *DAY])
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    for key in ("status", "gap", "seconds", "total_cost", "expected_value", "greedy_value", "creators"):
        assert key in plan
    assert plan["status"] == "optimal" and plan["gap"] <= 1e-3
    assert Decimal(plan["total_cost"]) <= Decimal("2500")
    assert plan["expected_value"] >= plan["greedy_value"] - 1e-6 or not plan["greedy"]["feasible"]
    markets = [c["market"] for c in plan["creators"]]
    assert markets.count("US") >= 2 and markets.count("BR") >= 2 and markets.count("DE") <= 3
    br_spend = sum(Decimal(c["price"]) for c in plan["creators"] if c["market"] == "BR")
    assert Decimal("625") <= br_spend <= Decimal("875")  # budget_share 0.30 ± 0.05 of €2,500
    assert sum(Decimal(c["price"]) for c in plan["creators"]) == Decimal(plan["total_cost"])
    for name in ("engagements", "authentic_engagements", "reach", "cpe", "cpm"):
        assert plan["forecast"][name]["low"] <= plan["forecast"][name]["high"]
    with connect(db, settings=Settings(db=db)) as store:
        plans = store.table("plans", workspace="default").to_pandas()
        placements = store.table("placements", workspace="default").to_pandas()
    assert list(plans.plan_id) == [plan["plan_id"]] and plans.budget.iloc[0] == Decimal("2500.00")
    assert len(placements) == len(plan["creators"])
    assert all(isinstance(fee, Decimal) for fee in placements.fee)
    assert sum(placements.fee, Decimal("0")) == Decimal(plan["total_cost"])
    assert set(placements.currency) == {"EUR"}


def test_plan_is_reproducible_for_a_seed_and_not_saved_on_request(runner, db, tmp_path):
    brief = _brief(tmp_path)
    args = ["plan", brief, "--db", db, "--format", "json", "--no-save", *DAY]
    a = json.loads(runner.invoke(app, [*args, "--seed", "4"]).stdout)
    b = json.loads(runner.invoke(app, [*args, "--seed", "4"]).stdout)
    c = json.loads(runner.invoke(app, [*args, "--seed", "5"]).stdout)
    assert a["forecast"] == b["forecast"] and a["creators"] == b["creators"]
    assert [x["creator"] for x in a["creators"]] == [x["creator"] for x in c["creators"]]  # the plan ignores the seed
    assert a["forecast"] != c["forecast"]
    with connect(db, settings=Settings(db=db)) as store:
        assert store.count("plans", workspace="default") == 0


def test_plan_table_and_csv(runner, db, tmp_path):
    brief = _brief(tmp_path)
    table = runner.invoke(app, ["plan", brief, "--db", db, "--no-save", *DAY])
    assert table.exit_code == 0, table.stderr
    assert "status optimal" in table.stdout and "80 % intervals" in table.stdout
    csv = runner.invoke(app, ["plan", brief, "--db", db, "--no-save", "--format", "csv", *DAY])
    assert csv.stdout.splitlines()[0].startswith("creator,platform,creator_id,market,tier,followers,price")


def test_an_infeasible_brief_is_explained(runner, db, tmp_path):
    markets = [{"country": "DE", "languages": ["de"], "min_creators": 60}, {"country": "US", "languages": ["en"]}]
    result = runner.invoke(app, ["plan", _brief(tmp_path, markets=markets), "--db", db, "--no-save", *DAY])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the brief cannot be met: market DE needs 60 creators but only ")
    assert "pass the filters" in result.stderr
    cheap = _brief(tmp_path, budget={"amount": 5, "currency": "EUR"})
    result = runner.invoke(app, ["plan", cheap, "--db", db, "--no-save", "--format", "json", *DAY])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "infeasible"
    assert "the market minimums cost at least €" in result.stderr and "> budget €5.00" in result.stderr


def test_overlap_command(runner, db):
    with connect(db, settings=Settings(db=db)) as store:
        rows = store.sql("SELECT platform, handle FROM creators ORDER BY creator_id LIMIT 3")
    refs = [f"{r.platform}:{r.handle}" for r in rows.itertuples()]
    result = runner.invoke(app, ["overlap", *refs, "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["creators"] == refs and len(body["pairs"]) == 3
    assert body["jaccard"][0][0] == 1.0 and body["jaccard"][0][1] == body["jaccard"][1][0]
    table = runner.invoke(app, ["overlap", *refs, "--db", db])
    assert table.exit_code == 0 and "Jaccard" in table.stdout
    missing = runner.invoke(app, ["overlap", refs[0], "instagram:nobody.here", "--db", db])
    assert missing.exit_code == 1 and missing.stderr == "Error: no creator 'instagram:nobody.here' in the store\n"
    one = runner.invoke(app, ["overlap", refs[0], "--db", db])
    assert one.exit_code == 1 and "at least two creators" in one.stderr


def test_deals_and_fx_import_commands(runner, tmp_path):
    db = str(tmp_path / "m.duckdb")
    rates = tmp_path / "rates.csv"
    rates.write_text("base,quote,date,rate\nUSD,EUR,2026-01-01,0.92\nUSD,EUR,2026-01-01,x\n")
    result = runner.invoke(app, ["fx", "import", str(rates), "--db", db])
    assert result.exit_code == 0
    assert "1 new" in result.stdout and "1 quarantined" in result.stdout
    assert "rejected: rates.csv: row 3: rate: 'x' is not a number" in result.stderr
    deals = tmp_path / "deals.jsonl"
    deals.write_text(
        json.dumps({"platform": "instagram", "creator_id": "7", "deliverable": "reel", "fee": 120, "currency": "EUR",
                    "date": "2026-02-03"}) + "\n"
    )  # fmt: skip
    first = runner.invoke(app, ["deals", "import", str(deals), "--db", db, "--format", "json"])
    again = runner.invoke(app, ["deals", "import", str(deals), "--db", db, "--format", "json"])
    assert json.loads(first.stdout)[0]["inserted"] == 1
    assert json.loads(again.stdout)[0]["unchanged"] == 1 and json.loads(again.stdout)[0]["inserted"] == 0


def test_bench_plan_json(runner):
    result = runner.invoke(app, ["bench", "plan", "--candidates", "1500", "--overlap-pairs", "400", "--json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    for key in ("candidates", "picks", "overlap_pairs", "status", "gap", "seconds", "optimal_value", "greedy_value"):
        assert key in body
    assert body["candidates"] == 1500 and body["overlap_pairs"] == 400
    assert body["status"] == "optimal" and body["gap"] <= 1e-3
    assert body["optimal_value"] >= body["greedy_value"]
