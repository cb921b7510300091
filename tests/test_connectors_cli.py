"""The connector commands (ingest <platform>, refresh, connect, forget) and forgetting a creator."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connector_fakes import EPOCH, Api, FakeClock, Killed, all_text, fetch
from microscout.cli import app
from microscout.config import Settings
from microscout.connectors import Request, ingest_source, refresh_creators, session
from microscout.privacy import Pseudonymiser, apply_comment_retention, forget_creator, installation_secret
from microscout.store import connect
from test_connectors_bluesky import ALICE, PROFILE, REQUEST, recorded
from test_connectors_mastodon import HOST
from test_connectors_mastodon import recorded as ana_api

DAY = 86400.0


@pytest.fixture
def fake_api(monkeypatch):
    """Route the commands' HTTP to recorded Bluesky responses (mock only HTTP and the clock)."""
    holder = {"api": recorded(), "clock": FakeClock()}
    monkeypatch.setattr(session, "Runtime", lambda: holder["api"].runtime(holder["clock"], env={}))
    return holder


def test_cli_ingest_bluesky_json_summary_and_rerun(runner, tmp_path, fake_api):
    db = str(tmp_path / "cli.duckdb")
    args = [
        "ingest",
        "bluesky",
        "--handle",
        "alice.bsky.social",
        "--posts",
        "10",
        "--followers",
        "10",
        "--comments",
        "--comments-per-post",
        "5",
        "--db",
        db,
        "--format",
        "json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = {r["table"]: r for r in json.loads(result.stdout)}
    assert (
        rows["posts"]["inserted"] == 5 and rows["posts"]["quarantined"] == 1 and rows["posts"]["status"] == "completed"
    )
    assert rows["audience_edges"]["inserted"] == 4
    fake_api["api"] = recorded()
    again = runner.invoke(app, args)
    rows = {r["table"]: r for r in json.loads(again.stdout)}
    assert rows["posts"]["inserted"] == 0 and rows["posts"]["unchanged"] == 5
    csv_out = runner.invoke(app, [*args[:-1], "csv"])
    assert csv_out.stdout.splitlines()[0] == "run_id,status,table,inserted,updated,unchanged,quarantined"


def test_cli_errors_are_one_line(runner, tmp_path, fake_api):
    db = str(tmp_path / "cli.duckdb")
    result = runner.invoke(app, ["ingest", "x", "--handle", "anafit", "--db", db])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: ingest x: set MICROSCOUT_X_BEARER_TOKEN (docs/connectors.md explains the access it needs)\n"
    )
    result = runner.invoke(app, ["ingest", "bluesky", "--db", db])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ingest bluesky: give --handle")
    result = runner.invoke(app, ["connect", "bluesky", "--db", db])
    assert result.exit_code == 1 and "has no OAuth flow here" in result.stderr
    result = runner.invoke(app, ["connect", "youtube", "--db", db], env={"MICROSCOUT_YOUTUBE_CLIENT_ID": ""})
    assert (
        result.exit_code == 1 and "MICROSCOUT_YOUTUBE_CLIENT_ID and MICROSCOUT_YOUTUBE_CLIENT_SECRET" in result.stderr
    )
    listed = runner.invoke(app, ["connect", "youtube", "--list", "--db", db])
    assert listed.exit_code == 0, listed.output


def test_refresh_writes_a_snapshot_per_pull_and_resumes(store, tmp_path):
    ingest_source(store, "bluesky", Request(handle="alice.bsky.social", posts=10), runtime=recorded().runtime())
    ingest_source(store, "mastodon", Request(handle=f"ana@{HOST}", posts=10), runtime=ana_api().runtime())
    later = FakeClock(EPOCH + DAY)
    grown = {**PROFILE, "followersCount": 1600}
    api = Api().add("app.bsky.actor.getProfile", grown, params={"actor": ALICE})
    recorded(api)
    api.add("/api/v1/accounts/lookup", raises=Killed(), times=1)  # killed while refreshing the second creator
    ana_api(api)
    with pytest.raises(Killed):
        refresh_creators(store, Request(posts=10), runtime=api.runtime(later))
    assert fetch(store, "SELECT status, source FROM ingest_runs WHERE source = 'refresh'") == [
        {"status": "failed", "source": "refresh"}
    ]
    api2 = ana_api()
    result = refresh_creators(store, Request(posts=10), runtime=api2.runtime(later))
    assert result.resumed and result.status == "completed" and api2.unmatched == []
    assert api2.count("getProfile") == 0  # the Bluesky creator was done before the kill
    snaps = fetch(store, "SELECT followers FROM creator_snapshots WHERE creator_id = ? ORDER BY observed_at", [ALICE])
    assert [s["followers"] for s in snaps] == [1520, 1600]
    assert fetch(store, "SELECT followers FROM creators WHERE creator_id = ?", [ALICE]) == [{"followers": 1600}]
    assert fetch(store, "SELECT count(*) AS n FROM creator_snapshots WHERE creator_id = ?", [f"ana@{HOST}"]) == [
        {"n": 2}
    ]


def test_refresh_skips_platforms_without_credentials(store):
    store.insert_rows("creators", [{"platform": "x", "creator_id": "1", "handle": "a", "last_seen": None}])
    store.raw.execute("UPDATE creators SET last_seen = TIMESTAMP '2026-10-01 00:00:00'")
    result = refresh_creators(store, Request(posts=5), runtime=Api().runtime(env={}))
    assert result.status == "completed"
    assert result.notes == [
        "skipped x: ingest x: set MICROSCOUT_X_BEARER_TOKEN (docs/connectors.md explains the access it needs)"
    ]


def seed_derived_rows(store) -> None:
    """Rows other stages derive from a creator, in every kind of table that refers to them."""
    posts = [r["post_id"] for r in fetch(store, "SELECT post_id FROM posts WHERE creator_id = ?", [ALICE])]
    comments = [r["comment_id"] for r in fetch(store, "SELECT comment_id FROM comments")]
    accounts = [r["account_id"] for r in fetch(store, "SELECT account_id FROM audience_edges")]
    store.insert_rows("post_signals", [{"platform": "bluesky", "post_id": p, "language": "en"} for p in posts])
    store.insert_rows("comment_signals", [{"platform": "bluesky", "comment_id": c, "language": "en"} for c in comments])
    store.insert_rows("audience_scores", [{"platform": "bluesky", "account_id": a, "p_fake": 0.1} for a in accounts])
    for n, creator in enumerate((ALICE, "did:plc:bob222")):
        store.insert_rows("creator_profiles", [{"platform": "bluesky", "creator_id": creator, "tier": "nano"}])
        store.insert_rows("creator_pods", [{"platform": "bluesky", "creator_id": creator, "pod_id": "pod1"}])
        store.insert_rows(
            "placements",
            [{"placement_id": f"pl-{n}", "platform": "bluesky", "creator_id": creator, "status": "booked"}],
            workspace="default",
        )
    # one follower also follows Bob: that account stays, its edge to Alice goes
    store.insert_rows(
        "audience_edges",
        [{"platform": "bluesky", "creator_id": "did:plc:bob222", "account_id": accounts[0], "relation": "follower"}],
    )
    ws = "default"
    store.insert_rows(
        "audience_insights",
        [
            {
                "platform": "bluesky",
                "creator_id": ALICE,
                "dimension": "country",
                "value": "PT",
                "share": 1.0,
                "observed_at": dt.datetime(2026, 10, 1),
            }
        ],
        workspace=ws,
    )
    store.insert_rows(
        "search_results", [{"search_id": "s1", "platform": "bluesky", "creator_id": ALICE, "rank": 1}], workspace=ws
    )
    store.insert_rows(
        "list_items", [{"list_id": "l1", "platform": "bluesky", "creator_id": ALICE}], workspace="client-b"
    )
    store.insert_rows(
        "notes", [{"note_id": "n1", "platform": "bluesky", "creator_id": ALICE, "body": "great"}], workspace=ws
    )
    store.insert_rows(
        "deals", [{"deal_id": "d1", "platform": "bluesky", "creator_id": ALICE, "deliverable": "post"}], workspace=ws
    )


def test_forget_removes_the_creator_from_every_table(runner, tmp_path, fake_api):
    db = str(tmp_path / "forget.duckdb")
    settings = Settings(db=db)
    with connect(db, settings=settings) as store:
        ingest_source(store, "bluesky", REQUEST, runtime=recorded().runtime())
        seed_derived_rows(store)
        kept_account = fetch(store, "SELECT account_id FROM audience_edges WHERE creator_id = 'did:plc:bob222'")[0]
        before_other = fetch(store, "SELECT count(*) AS n FROM posts WHERE creator_id <> ?", [ALICE])[0]["n"]
    result = runner.invoke(app, ["forget", "bluesky:alice.bsky.social", "--yes", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    done = {r["table"]: r["rows"] for r in json.loads(result.stdout)}
    assert done["creators"] == 1 and done["posts"] == 3 and done["placements (marked removed)"] == 1
    with connect(db, settings=settings) as store:
        text = all_text(store)
        for needle in (ALICE, "alice.bsky.social", "Alice Sun", "alice111"):
            assert needle not in text, f"{needle!r} is still stored"
        # other people's data stays; references to the forgotten posts are cleared
        assert fetch(store, "SELECT count(*) AS n FROM posts")[0]["n"] == before_other
        assert fetch(store, "SELECT quote_of FROM posts WHERE creator_id = 'did:plc:dave'") == [{"quote_of": None}]
        assert fetch(
            store, "SELECT account_id FROM audience_accounts WHERE account_id = ?", [kept_account["account_id"]]
        )
        assert fetch(store, "SELECT status, creator_id FROM placements ORDER BY placement_id") == [
            {"status": "removed", "creator_id": None},
            {"status": "booked", "creator_id": "did:plc:bob222"},
        ]
        assert fetch(store, "SELECT creator_id FROM deals") == [{"creator_id": None}]
        audit = fetch(store, "SELECT action, target, actor, details FROM audit_log")
        pseudonym = Pseudonymiser(installation_secret(settings))("bluesky", ALICE)
        assert audit[0]["action"] == "forget" and audit[0]["target"] == f"bluesky:{pseudonym}"
        assert audit[0]["actor"].startswith("cli:") and json.loads(audit[0]["details"])["rows"]["creators"] == 1
    again = runner.invoke(app, ["forget", "bluesky:alice.bsky.social", "--yes", "--db", db])
    assert again.exit_code == 1 and again.stderr == "Error: no creator 'bluesky:alice.bsky.social' in the store\n"


def test_forget_library_call_and_comment_retention(store):
    ingest_source(store, "bluesky", REQUEST, runtime=recorded().runtime())
    erased = apply_comment_retention(store, 5, now=dt.datetime(2026, 11, 1))
    assert erased == 2 and fetch(store, "SELECT count(*) AS n FROM comments WHERE text IS NULL") == [{"n": 2}]
    done = forget_creator(store, "bluesky", ALICE, workspace="default")
    assert done["creators"] == 1 and store.count("comments") == 0
    assert ALICE not in all_text(store)
