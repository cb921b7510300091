from __future__ import annotations

import json
from pathlib import Path

from microscout.cli import app


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def small_world(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(
        folder / "creators.jsonl",
        [
            {
                "platform": "instagram",
                "creator_id": "1",
                "handle": "ana",
                "followers": 5000,
                "declared_country": "BR",
                "declared_language": "pt",
                "display_name": "Ana",
            },
            {
                "platform": "tiktok",
                "creator_id": "2",
                "handle": "ana",
                "followers": 20000,
                "declared_country": "DE",
                "declared_language": "de",
            },
            {
                "platform": "instagram",
                "creator_id": "3",
                "handle": "mia",
                "display_name": '=HYPERLINK("x")',
                "followers": 3000,
                "declared_country": "DE",
                "declared_language": "de",
            },
        ],
    )
    write_jsonl(
        folder / "posts.jsonl",
        [
            {
                "platform": p,
                "post_id": f"{p}{c}{i}",
                "creator_id": c,
                "likes": 100 + i,
                "comments": 5,
                "published_at": f"2026-09-{i + 1:02d}T12:00:00Z",
                "hashtags": ["protetorsolar", "skincare"],
                "kind": "post" if p == "instagram" else "video",
                "views": None if p == "instagram" else 4000,
            }
            for p, c in (("instagram", "1"), ("tiktok", "2"), ("instagram", "3"))
            for i in range(6)
        ],
    )
    return folder


def test_ingest_profile_search_show_end_to_end(runner, tmp_path):
    db = str(tmp_path / "ms.duckdb")
    world = small_world(tmp_path / "world")
    result = runner.invoke(app, ["ingest", "files", str(world), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = {r["table"]: r for r in json.loads(result.stdout)}
    assert counts["creators"]["inserted"] == 3 and counts["posts"]["inserted"] == 18
    assert runner.invoke(app, ["profile", "--db", db]).exit_code == 0
    shown = runner.invoke(app, ["show", "instagram:ana", "--db", db, "--format", "json"])
    detail = json.loads(shown.stdout)[0]
    assert detail["creator"] == "instagram:ana" and detail["tier"] == "nano"
    assert abs(detail["er_followers"] - (102.5 + 5) / 5000) < 1e-9  # median of 100..105 likes + 5 comments

    brief = Path(__file__).resolve().parents[1] / "examples" / "brief.yaml"
    found = runner.invoke(app, ["search", str(brief), "--db", db, "--format", "json"])
    assert found.exit_code == 0, found.output
    body = json.loads(found.stdout)[0]
    creators = [r["creator"] for r in body["results"]]
    assert set(creators) == {"instagram:ana", "tiktok:ana", "instagram:mia"}
    first = body["results"][0]
    assert {c["name"] for c in first["components"]} == {"topic", "market", "engagement", "authenticity", "cost"}
    auth = next(c for c in first["components"] if c["name"] == "authenticity")
    # profile ran the authenticity stage: an AQS exists; with no follower sample its interval is wide
    assert 0 <= auth["value"] <= 1 and "Audience Quality Score" in auth["reason"]
    assert first["aqs"] is not None

    as_csv = runner.invoke(app, ["search", str(brief), "--db", db, "--format", "csv"])
    assert "'=HYPERLINK" in as_csv.stdout  # a formula in untrusted text is neutralised
    assert ',"=HYPERLINK' not in as_csv.stdout and ",=HYPERLINK" not in as_csv.stdout


def test_ambiguous_bare_handle_lists_candidates(runner, tmp_path):
    db = str(tmp_path / "ms.duckdb")
    runner.invoke(app, ["ingest", "files", str(small_world(tmp_path / "w")), "--db", db])
    result = runner.invoke(app, ["show", "ana", "--db", db])
    assert result.exit_code == 1
    assert result.stderr == "Error: 'ana' is ambiguous; candidates: instagram:ana, tiktok:ana\n"
    missing = runner.invoke(app, ["show", "instagram:nobody", "--db", db])
    assert missing.stderr == "Error: no creator 'instagram:nobody' in the store\n"
    bad_platform = runner.invoke(app, ["show", "myspace:ana", "--db", db])
    assert bad_platform.stderr == (
        "Error: unknown platform 'myspace' in 'myspace:ana'; use one of "
        "instagram, tiktok, youtube, x, bluesky, mastodon\n"
    )


def test_ingest_errors_are_one_line(runner, tmp_path):
    db = str(tmp_path / "ms.duckdb")
    result = runner.invoke(app, ["ingest", "files", str(tmp_path / "nope"), "--db", db])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope'}: no such file or folder\n"
    bad_db = runner.invoke(app, ["ingest", "files", str(tmp_path), "--db", str(tmp_path / "no" / "x.duckdb")])
    assert bad_db.exit_code == 1
    assert (
        bad_db.stderr
        == f"Error: cannot open store {tmp_path / 'no' / 'x.duckdb'}: folder {tmp_path / 'no'} does not exist\n"
    )


def test_ingest_reports_quarantine_and_how_to_see_it(runner, tmp_path):
    db = str(tmp_path / "ms.duckdb")
    world = small_world(tmp_path / "w")
    with open(world / "creators.jsonl", "a") as fh:
        fh.write(json.dumps({"platform": "instagram", "creator_id": "9", "followers": -3}) + "\n")
    result = runner.invoke(app, ["ingest", "files", str(world), "--db", db])
    assert result.exit_code == 0
    assert "1 record(s) quarantined; see why with: microscout ingest quarantine --run" in " ".join(
        result.stdout.split()
    )
    shown = runner.invoke(app, ["ingest", "quarantine", "--db", db, "--format", "json"])
    rows = json.loads(shown.stdout)
    assert [(r["position"], r["reason"]) for r in rows] == [
        ("creators.jsonl:line 4", "field 'followers': -3 is negative")
    ]


def test_search_with_an_invalid_brief_names_the_field(runner, tmp_path):
    brief = tmp_path / "brief.yaml"
    brief.write_text(
        "brand: X\ndescription: y\nmarkets: [{country: BR}]\nbudget: {amount: 10, currency: EUR}\nkpi: likes\n"
    )
    result = runner.invoke(app, ["search", str(brief), "--db", str(tmp_path / "ms.duckdb")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {brief}: kpi: 'likes' is not allowed; allowed: authentic_engagements, reach, ugc_volume\n"
    )
