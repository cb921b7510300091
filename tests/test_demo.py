from __future__ import annotations

import re
from pathlib import Path

from microscout.cli import app
from microscout.store import connect

ROOT = Path(__file__).resolve().parents[1]


def test_demo_end_to_end_on_a_tiny_world(runner, tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(
        app,
        [
            "demo",
            "--out",
            str(out),
            "--brief",
            str(ROOT / "examples" / "brief.yaml"),
            "--creators",
            "400",
            "--posts-per-creator",
            "12",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Shortlist for Solara Skincare" in result.stdout
    assert (out / "microscout.duckdb").exists()

    store = connect(str(out / "microscout.duckdb"))
    try:
        assert store.count("creators") == 400
        assert store.count("creator_profiles") == store.count("creators")
        saved = store.table("search_results", workspace="default").to_pandas()
        assert len(saved) > 0 and saved["rank"].min() == 1
        # every shortlisted creator is in a target market or speaks a target language
        ranked = saved.merge(store.table("creators").to_pandas(), on=["platform", "creator_id"])
        assert (
            ranked["declared_country"].isin(["BR", "DE", "ID"])
            | ranked["declared_language"].isin(["pt", "de", "id", "en"])
        ).all()
        assert (ranked["followers"].between(1000, 100000)).all()
    finally:
        store.close()

    campaign_html = (out / "campaign-report.html").read_text()
    assert "<svg" in campaign_html and "<script" not in campaign_html.lower()
    assert (out / "campaign-report.pdf").read_bytes().startswith(b"%PDF")
    assert "Campaign " in result.stdout and "deliverables" in result.stdout
    store = connect(str(out / "microscout.duckdb"))
    try:
        roles = dict(store.raw.execute("SELECT role, count(*) FROM campaign_posts GROUP BY role").fetchall())
        assert roles.get("deliverable", 0) > 0 and roles.get("ugc", 0) > 0
        assert store.count("campaign_sales", workspace="default") > 0
        assert store.count("campaign_texts", workspace="default") > 0
        # the team's side: a list, notes, pipeline statuses and alerts for the demo campaign
        assert store.count("list_items", workspace="default") > 0 and store.count("notes", workspace="default") > 0
        statuses = {r[0] for r in store.raw.execute("SELECT DISTINCT status FROM outreach").fetchall()}
        assert statuses & {"booked", "delivered", "paid"}
        events, rows = store.count("outreach_events", workspace="default"), store.count("outreach", workspace="default")
        assert events >= 3 * rows - 1
        assert store.count("alerts", workspace="default") > 0
    finally:
        store.close()
    html = (out / "report.html").read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"https?://", html)
    assert "<svg" in html and "Solara Skincare" in html
    assert "Plan under the budget" in html  # the plan beside the shortlist
    # every shortlisted creator appears in the report as platform:handle
    for creator in re.findall(r"^│ \d+\s+│ (\S+:\S+)", result.stdout, flags=re.M)[:3]:
        assert creator in html


def test_demo_refuses_a_missing_brief(runner, tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--brief", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.yaml'}: file not found\n"
