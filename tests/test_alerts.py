"""Alert rules, their evaluation and delivery (signed webhooks, e-mail), and the scheduler."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from microscout.alerts import (
    acknowledge,
    add_rule,
    check_alerts,
    deliver_pending,
    evaluate_alerts,
    list_alerts,
    list_rules,
)
from microscout.cli import app
from microscout.config import Settings
from microscout.errors import InvalidInputError, MicroscoutError, NotFoundError
from microscout.scheduler import add_schedule, list_schedules, run_due
from microscout.store import Store, connect

WS = "default"
NOW = dt.datetime(2026, 11, 1, 12, 0)
SECRET = "whsec-test-0123456789"
CID = "solara01"


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "alerts.duckdb"))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = connect(settings.db, settings=settings)
    seed(s)
    yield s
    s.close()


def _placement(pid: str, creator: str, kind: str, count: int, fee: str, due: dt.date, status: str = "booked"):
    return {
        "placement_id": pid,
        "plan_id": None,
        "campaign_id": CID,
        "platform": "instagram",
        "creator_id": creator,
        "market": "BR",
        "deliverables": json.dumps([{"kind": kind, "count": count}]),
        "fee": Decimal(fee),
        "currency": "EUR",
        "due_date": due,
        "status": status,
    }


def _post(post_id: str, creator: str, pid: str | None, published: dt.datetime, disclosure: str | None, **extra: Any):
    row = {
        "campaign_id": CID,
        "platform": "instagram",
        "post_id": post_id,
        "creator_id": creator,
        "role": "deliverable" if pid else "ugc",
        "placement_id": pid,
        "deliverable_kind": "reel" if pid else None,
        "market": "BR",
        "published_at": published,
        "disclosure": disclosure,
        "disclosure_found": None,
        "self_reported": False,
    }
    return row | extra


def seed(store: Store) -> None:
    """One active campaign in BR with three booked creators (and one removed), posts, texts."""
    store.insert_rows(
        "creators",
        [
            {"platform": "instagram", "creator_id": c, "handle": h, "followers": 10_000, "last_seen": NOW}
            for c, h in [("c1", "ana.fit"), ("c2", "bo.run"), ("c3", "cy.eats"), ("c4", "dee.gone")]
        ],
    )
    store.insert_rows(
        "campaigns",
        [
            {
                "campaign_id": CID,
                "name": "Solara",
                "brand": "Solara",
                "status": "active",
                "start_date": dt.date(2026, 10, 1),
                "end_date": dt.date(2026, 11, 30),
                "body": json.dumps({"budget": "1000.00", "currency": "EUR", "markets": ["BR"]}),
                "created_at": dt.datetime(2026, 9, 20),
            },
            {
                "campaign_id": "old01",
                "name": "Old",
                "brand": "Solara",
                "status": "closed",
                "start_date": dt.date(2026, 1, 1),
                "body": json.dumps({"budget": "1.00", "currency": "EUR"}),
                "created_at": dt.datetime(2026, 1, 1),
            },
        ],
        workspace=WS,
    )
    store.insert_rows(
        "placements",
        [
            _placement("p1", "c1", "reel", 2, "600.00", dt.date(2026, 10, 20)),
            _placement("p2", "c2", "post", 1, "300.00", dt.date(2026, 11, 10)),  # not due yet
            _placement("p3", "c3", "reel", 1, "200.00", dt.date(2026, 10, 25)),  # nothing arrived
            _placement("p4", "c4", "reel", 1, "5000.00", dt.date(2026, 10, 25), status="removed"),
            {**_placement("o1", "c1", "reel", 1, "900.00", dt.date(2026, 1, 2)), "campaign_id": "old01"},
        ],
        workspace=WS,
    )
    found = {"found": ["#parceria"], "accepted_options": ["#publi", "#publicidade"]}
    store.insert_rows(
        "campaign_posts",
        [
            _post("m1", "c1", "p1", dt.datetime(2026, 10, 15, 9), "ambiguous", disclosure_found=json.dumps(found)),
            _post("m2", "c1", "p1", dt.datetime(2026, 10, 22, 14), "accepted"),  # slot 2, late
            # a self-reported proof and a UGC post never raise a disclosure alert
            _post("m3", "c2", "p2", dt.datetime(2026, 10, 30), "missing", self_reported=True),
            _post("u1", "c9", None, dt.datetime(2026, 10, 30), "missing"),
        ],
        workspace=WS,
    )


def texts(market: str, start: dt.datetime, positive: int, neutral: int, negative: int, tag: str) -> list[dict]:
    labels = ["positive"] * positive + ["neutral"] * neutral + ["negative"] * negative
    return [
        {
            "campaign_id": CID,
            "platform": "instagram",
            "text_kind": "comment",
            "text_id": f"{tag}{market}{k}",
            "post_id": "m1",
            "role": "deliverable",
            "market": market,
            "language": "pt",
            "sentiment": label,
            "sentiment_score": 0.0,
            "published_at": start + dt.timedelta(hours=k),
        }
        for k, label in enumerate(labels)
    ]


def counts(store: Store) -> dict[str, int]:
    return {t: store.count(t, workspace=WS) for t in ("alerts", "alert_deliveries", "schedules", "alert_rules")}


def rows(store: Store, table: str) -> list[tuple]:
    return sorted(store.raw.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)


# ------------------------------------------------------------------------------ rule kinds
def test_missing_disclosure_fires_on_ambiguous_deliverables_only(store):
    add_rule(store, WS, "missing_disclosure")
    new = evaluate_alerts(store, WS, now=NOW)
    assert [a["message"] for a in new] == [
        "instagram:ana.fit's reel for Solara (BR) has no accepted disclosure: found #parceria (ambiguous); "
        "accepted: #publi, #publicidade"
    ]
    alert = new[0]
    assert (alert["rule"], alert["severity"], alert["status"], alert["campaign_id"]) == (
        "missing_disclosure", "high", "open", CID,
    )  # fmt: skip
    assert alert["details"]["post_id"] == "m1"
    # evaluating again raises nothing new and stores nothing twice
    assert evaluate_alerts(store, WS, now=NOW + dt.timedelta(hours=1)) == []
    assert store.count("alerts", workspace=WS) == 1


def test_missing_disclosure_without_anything_found_uses_the_reference_table(store):
    store.raw.execute("UPDATE campaign_posts SET disclosure = 'missing', disclosure_found = NULL WHERE post_id = 'm1'")
    add_rule(store, WS, "missing_disclosure", campaign_id=CID)
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert alert["message"].startswith("instagram:ana.fit's reel for Solara (BR) has no disclosure; accepted: #publi")


def test_late_deliverable_reports_late_and_missing_slots(store):
    add_rule(store, WS, "late_deliverable")
    new = {a["details"]["placement_id"]: a for a in evaluate_alerts(store, WS, now=NOW)}
    assert sorted(new) == ["p1", "p3"]  # p2 is not due yet, p4 was removed
    assert new["p1"]["message"] == (
        "instagram:ana.fit's reel 2 of 2 for Solara (BR) arrived late: due 2026-10-20, published 2026-10-22 14:00"
    )
    assert new["p3"]["message"] == "instagram:cy.eats's reel for Solara (BR) is missing: due 2026-10-25"
    assert new["p3"]["severity"] == "high"
    assert evaluate_alerts(store, WS, now=NOW) == []


def test_late_deliverable_grace_hours(store):
    add_rule(store, WS, "late_deliverable", threshold=24 * 8)  # 8 days: p1's post and p3's deadline fall inside
    assert evaluate_alerts(store, WS, now=NOW) == []
    assert [a["details"]["placement_id"] for a in evaluate_alerts(store, WS, now=NOW + dt.timedelta(days=2))] == ["p3"]


def test_late_deliverable_ignores_closed_campaigns(store):
    store.raw.execute("UPDATE campaigns SET status = 'closed' WHERE campaign_id = ?", [CID])
    add_rule(store, WS, "late_deliverable")
    assert evaluate_alerts(store, WS, now=NOW) == []


def _profiles(store: Store, aqs: dict[str, float], at: dt.datetime) -> None:
    store.insert_rows(
        "creator_profiles",
        [{"platform": "instagram", "creator_id": c, "aqs": v, "computed_at": at} for c, v in aqs.items()],
    )


def test_fraud_signal_aqs_drop_against_the_last_seen_score(store):
    rule = add_rule(store, WS, "fraud_signal")
    _profiles(store, {"c1": 80.0, "c2": 80.0, "c4": 90.0}, dt.datetime(2026, 10, 1))
    assert evaluate_alerts(store, WS, now=NOW) == []  # first sight: the scores are remembered
    state = json.loads(store.sql("SELECT params FROM alert_rules").iloc[0, 0])["state"]["aqs"]
    assert state["instagram:c1"]["aqs"] == 80.0 and "instagram:c4" not in state  # c4's placement is removed
    _profiles(store, {"c1": 65.0, "c2": 75.0}, dt.datetime(2026, 10, 20))
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert alert["message"] == "instagram:ana.fit (booked for Solara) AQS fell 15.0 points: 80.0 → 65.0"
    assert alert["details"]["signal"] == "aqs_drop" and alert["rule_id"] == rule["rule_id"]
    assert evaluate_alerts(store, WS, now=NOW) == []  # the new score is now the baseline
    (listed,) = list_rules(store, WS)
    assert "state" not in listed and "state" not in listed["params"]  # the remembered scores stay inside


def test_fraud_signal_follower_jump_within_seven_days(store):
    add_rule(store, WS, "fraud_signal")
    snaps = [
        ("c1", dt.datetime(2026, 10, 20), 10_000),
        ("c1", dt.datetime(2026, 10, 23), 13_000),  # +30 % in 3 days: fires
        ("c2", dt.datetime(2026, 10, 1), 10_000),
        ("c2", dt.datetime(2026, 10, 20), 15_000),  # +50 % but over 19 days: no
        ("c2", dt.datetime(2026, 10, 22), 16_500),  # +10 % in 2 days: below 20 %
        ("c4", dt.datetime(2026, 10, 20), 1_000),
        ("c4", dt.datetime(2026, 10, 21), 9_000),  # removed placement: not booked
    ]
    store.insert_rows(
        "creator_snapshots",
        [{"platform": "instagram", "creator_id": c, "observed_at": t, "followers": f} for c, t, f in snaps],
    )
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert alert["message"] == (
        "instagram:ana.fit (booked for Solara) followers jumped 30 % in 3.0 days: 10,000 → 13,000 "
        "(2026-10-20 → 2026-10-23)"
    )
    assert evaluate_alerts(store, WS, now=NOW) == []
    other = add_rule(store, WS, "fraud_signal", params={"threshold_pct": 50})
    assert [a for a in evaluate_alerts(store, WS, now=NOW) if a["rule_id"] == other["rule_id"]] == []


def test_sentiment_drop_needs_enough_texts_in_both_weeks(store):
    week_before, last_week = NOW - dt.timedelta(days=13), NOW - dt.timedelta(days=6)
    store.insert_rows(
        "campaign_texts",
        texts("BR", week_before, 8, 2, 2, "a")  # net +0.50
        + texts("BR", last_week, 4, 4, 4, "b")  # net 0.00: a drop of 0.5
        + texts("MX", week_before, 8, 2, 2, "a")
        + texts("MX", last_week, 0, 1, 4, "b")  # a big drop, but only 5 texts
        + texts("AR", week_before, 6, 4, 2, "a")  # net +0.33
        + texts("AR", last_week, 5, 5, 2, "b"),  # net +0.25: a drop of 0.08
        workspace=WS,
    )
    add_rule(store, WS, "sentiment_drop")
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert alert["details"]["market"] == "BR"
    assert alert["message"].startswith("Net sentiment for Solara in BR fell 0.50: +0.50 (12 texts, ")
    assert (alert["details"]["net_before"], alert["details"]["net_after"]) == (0.5, 0.0)
    assert evaluate_alerts(store, WS, now=NOW + dt.timedelta(hours=2)) == []  # same week: same alert
    add_rule(store, WS, "sentiment_drop", threshold=0.6)
    add_rule(store, WS, "sentiment_drop", params={"min_texts": 5}, threshold=0.05)
    found = sorted(a["details"]["market"] for a in evaluate_alerts(store, WS, now=NOW))
    assert found == ["AR", "BR", "MX"]  # only the rule with 5 texts and a 0.05 drop adds any


def test_budget_overrun(store):
    add_rule(store, WS, "budget_overrun", threshold=15)  # fees 1,100 vs budget 1,000: 10 % over
    assert evaluate_alerts(store, WS, now=NOW) == []
    add_rule(store, WS, "budget_overrun")
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert alert["message"] == (
        "Solara's placement fees €1,100.00 exceed its budget €1,000.00 by 10.0 % (threshold 0 %)"
    )
    assert alert["campaign_id"] == CID  # the closed campaign's overrun is not reported
    assert evaluate_alerts(store, WS, now=NOW) == []


def test_alerts_are_workspace_data(store):
    add_rule(store, WS, "budget_overrun")
    (alert,) = evaluate_alerts(store, WS, now=NOW)
    assert evaluate_alerts(store, "other", now=NOW) == [] and list_alerts(store, "other") == []
    with pytest.raises(NotFoundError):
        acknowledge(store, "other", alert["alert_id"])
    acked = acknowledge(store, WS, alert["alert_id"], now=NOW)
    assert (acked["status"], acked["acknowledged_at"]) == ("acknowledged", NOW)
    assert list_alerts(store, WS, status="open") == []
    assert [a["alert_id"] for a in list_alerts(store, WS, campaign=CID)] == [alert["alert_id"]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "nope"}, "unknown alert kind 'nope'"),
        ({"kind": "fraud_signal", "threshold": 0}, "threshold must be in (0, 100], got 0"),
        ({"kind": "sentiment_drop", "threshold": 3}, "threshold must be in (0, 2], got 3"),
        ({"kind": "missing_disclosure", "threshold": 1}, "missing_disclosure takes no threshold"),
        ({"kind": "sentiment_drop", "params": {"min_texts": 2.5}}, "min_texts must be a whole number"),
        ({"kind": "sentiment_drop", "params": {"state": 1}}, "unknown parameter 'state'"),
        ({"kind": "budget_overrun", "channels": [{"type": "sms", "to": "1"}]}, "unknown channel type 'sms'"),
        ({"kind": "budget_overrun", "channels": [{"type": "email", "to": "not-an-address"}]}, "not an e-mail"),
        ({"kind": "budget_overrun", "channels": [{"type": "webhook", "url": "ftp://x.example/h"}]}, "http(s)"),
        ({"kind": "budget_overrun", "channels": [{"type": "webhook", "url": "http://x.example/h"}]}, "plain http"),
        ({"kind": "budget_overrun", "campaign_id": "nope"}, "no campaign 'nope'"),
    ],
)
def test_add_rule_validates(store, kwargs, message):
    with pytest.raises(MicroscoutError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add_rule(store, WS, **kwargs)
    assert list_rules(store, WS) == []


def test_add_rule_accepts_channels_and_fills_defaults(store):
    rule = add_rule(
        store, WS, "fraud_signal", campaign_id="Solara",
        channels=[{"type": "email", "to": "pr@brand.example"}, {"type": "webhook", "url": "https://hooks.example/x"}],
    )  # fmt: skip
    assert rule["campaign_id"] == CID and rule["threshold"] == 10.0
    assert rule["params"] == {"max_attempts": 3.0, "threshold_pct": 20.0, "lookback_days": 30.0}
    assert list_rules(store, WS)[0]["channels"] == rule["channels"]
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": "http://127.0.0.1:9/h"}])


# ----------------------------------------------------------------------------------- webhooks
class Hook(BaseHTTPRequestHandler):
    """Answers POSTs with the next scripted status (the last one repeats) and records them."""

    script: ClassVar[list[int]] = [200]
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        code = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("MICROSCOUT_WEBHOOK_SECRET", SECRET)
    Hook.script, Hook.seen = [200], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
    thread.join()


def deliveries(store: Store) -> list[tuple]:
    return store.raw.execute(
        "SELECT attempt, status, response FROM alert_deliveries WHERE workspace_id = ? ORDER BY attempt", [WS]
    ).fetchall()


def test_webhook_body_is_signed_with_the_secret(store, hook):
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}])
    sleeps: list[float] = []
    result = check_alerts(store, WS, now=NOW, sleep=sleeps.append)
    (alert,) = result["alerts"]
    ((headers, body),) = Hook.seen
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Microscout-Signature"], expected)
    doc = json.loads(body)
    assert (doc["alert_id"], doc["rule"], doc["message"]) == (alert["alert_id"], "budget_overrun", alert["message"])
    assert doc["delivery"] == headers["X-Microscout-Delivery"] and doc["workspace"] == WS
    assert deliveries(store) == [(1, "delivered", "HTTP 200 OK")]
    assert list_alerts(store, WS)[0]["delivery"] == "delivered" and sleeps == []
    assert SECRET not in json.dumps(rows(store, "alert_deliveries") + rows(store, "alert_rules"), default=str)
    assert check_alerts(store, WS, now=NOW + dt.timedelta(hours=1), sleep=sleeps.append) == {
        "alerts": [],
        "deliveries": [],
    }


def test_webhook_retries_5xx_with_backoff(store, hook):
    Hook.script = [500, 500, 200]
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}])
    sleeps: list[float] = []
    (report,) = check_alerts(store, WS, now=NOW, sleep=sleeps.append)["deliveries"]
    assert (report["delivered"], report["attempts"]) == (True, 3)
    assert [(a, s) for a, s, _ in deliveries(store)] == [(1, "failed"), (2, "failed"), (3, "delivered")]
    assert sleeps == [1.0, 2.0]
    assert len(Hook.seen) == 3 and len({h["X-Microscout-Delivery"] for h, _ in Hook.seen}) == 3
    assert list_alerts(store, WS)[0]["delivery"] == "delivered"


def test_failed_webhook_stays_open_and_is_retried_next_run(store, hook):
    Hook.script = [503]
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}], params={"max_attempts": 2})
    sleeps: list[float] = []
    check_alerts(store, WS, now=NOW, sleep=sleeps.append)
    (alert,) = list_alerts(store, WS)
    assert (alert["status"], alert["delivery"]) == ("open", "failed")
    assert [(a, s) for a, s, _ in deliveries(store)] == [(1, "failed"), (2, "failed")]
    # the same run again: nothing is attempted twice
    assert deliver_pending(store, WS, now=NOW, sleep=sleeps.append) == []
    Hook.script = [200]
    (report,) = deliver_pending(store, WS, now=NOW + dt.timedelta(minutes=15), sleep=sleeps.append)
    assert report["delivered"] and [a for a, _, _ in deliveries(store)] == [1, 2, 3]
    assert list_alerts(store, WS)[0]["delivery"] == "delivered"
    assert deliver_pending(store, WS, now=NOW + dt.timedelta(minutes=30), sleep=sleeps.append) == []


def test_webhook_4xx_is_not_retried_and_unreachable_is(store, hook):
    Hook.script = [404]
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}])
    sleeps: list[float] = []
    check_alerts(store, WS, now=NOW, sleep=sleeps.append)
    assert deliveries(store) == [(1, "failed", "HTTP 404 Not Found")] and sleeps == []
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    add_rule(store, WS, "late_deliverable", channels=[{"type": "webhook", "url": dead}])
    check_alerts(store, WS, now=NOW, sleep=sleeps.append)
    failed = store.raw.execute("SELECT count(*) FROM alert_deliveries WHERE target = ?", [dead]).fetchall()[0][0]
    assert failed == 2 * 3 and sleeps == [1.0, 2.0, 1.0, 2.0]  # two alerts, three attempts each


def test_webhook_without_secret_is_not_sent(store, hook, monkeypatch):
    monkeypatch.delenv("MICROSCOUT_WEBHOOK_SECRET")
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}])
    check_alerts(store, WS, now=NOW, sleep=lambda _: None)
    assert Hook.seen == []
    assert deliveries(store) == [(1, "failed", "not sent: MICROSCOUT_WEBHOOK_SECRET is not set")]


# ------------------------------------------------------------------------------------- e-mail
def test_email_delivery_over_smtp(tmp_path):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope)
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(
            db=str(tmp_path / "mail.duckdb"),
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_from="alerts@ms.example",
            smtp_starttls=False,
        )
        with connect(settings.db, settings=settings) as store:
            seed(store)
            add_rule(store, WS, "budget_overrun", channels=[{"type": "email", "to": "pr@brand.example"}])
            (report,) = check_alerts(store, WS, now=NOW, sleep=lambda _: None)["deliveries"]
            assert report["delivered"] and report["channel"] == "email"
            assert list_alerts(store, WS)[0]["delivery"] == "delivered"
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["pr@brand.example"]
    text = envelope.content.decode()
    assert "Subject: [microscout] high: Solara's placement fees" in text
    assert "microscout alerts ack" in text


def test_email_without_smtp_settings_fails_without_retrying(store):
    add_rule(store, WS, "budget_overrun", channels=[{"type": "email", "to": "pr@brand.example"}])
    sleeps: list[float] = []
    (report,) = check_alerts(store, WS, now=NOW, sleep=sleeps.append)["deliveries"]
    assert not report["delivered"] and report["attempts"] == 1 and "MICROSCOUT_SMTP_HOST" in report["response"]
    assert list_alerts(store, WS)[0]["delivery"] == "failed"


# ---------------------------------------------------------------------------------- scheduler
def test_scheduler_pass_is_idempotent(store, settings, hook):
    add_rule(store, WS, "budget_overrun", channels=[{"type": "webhook", "url": hook}])
    add_rule(store, WS, "late_deliverable")
    add_schedule(store, WS, "creators", every_minutes=60, now=NOW - dt.timedelta(hours=2))
    add_schedule(store, WS, "campaign", CID, every_minutes=15, now=NOW)
    calls: list[str] = []

    def runner(store, settings, workspace, schedule, now):
        calls.append(schedule["kind"])
        if schedule["kind"] == "campaign":
            raise InvalidInputError("campaign 'Solara' has no tracking rules")
        return "ok: refreshed"

    first = run_due(store, settings, WS, NOW, runner=runner, sleep=lambda _: None)
    assert sorted(calls) == ["campaign", "creators"]
    assert len(first["alerts"]) == 3 and len(first["deliveries"]) == 1
    by_kind = {s["kind"]: s for s in list_schedules(store, WS)}
    assert by_kind["campaign"]["last_status"] == "failed: campaign 'Solara' has no tracking rules"
    assert by_kind["creators"]["last_status"] == "ok: refreshed"
    assert by_kind["creators"]["next_run_at"] == NOW - dt.timedelta(hours=2) + dt.timedelta(hours=3)
    assert by_kind["campaign"]["next_run_at"] == NOW + dt.timedelta(minutes=15)
    before_counts = counts(store)
    before = {t: rows(store, t) for t in ("alerts", "alert_deliveries", "schedules", "alert_rules")}
    second = run_due(store, settings, WS, NOW, runner=runner, sleep=lambda _: None)
    assert second == {"ran": [], "alerts": [], "deliveries": []}
    assert len(calls) == 2 and len(Hook.seen) == 1
    assert counts(store) == before_counts
    assert {t: rows(store, t) for t in before} == before
    # a quarter of an hour later only the campaign job is due
    third = run_due(store, settings, WS, NOW + dt.timedelta(minutes=15, seconds=3), runner=runner)
    assert [r["kind"] for r in third["ran"]] == ["campaign"]


def test_default_runner_records_failures_instead_of_crashing(store, settings):
    add_schedule(store, WS, "campaign", CID, every_minutes=30, now=NOW)
    (ran,) = run_due(store, settings, WS, NOW)["ran"]  # the campaign has no tracking rules
    assert ran["status"].startswith(("failed: ", "ok"))
    assert list_schedules(store, WS)[0]["last_status"] == ran["status"]


def test_add_schedule_validates(store):
    with pytest.raises(InvalidInputError, match="unknown schedule kind"):
        add_schedule(store, WS, "posts", every_minutes=5)
    with pytest.raises(InvalidInputError, match="needs the campaign"):
        add_schedule(store, WS, "campaign", every_minutes=5)
    with pytest.raises(InvalidInputError, match="from 1 to"):
        add_schedule(store, WS, "creators", every_minutes=0)
    with pytest.raises(InvalidInputError, match="unknown platform"):
        add_schedule(store, WS, "creators", "myspace", every_minutes=5)
    first = add_schedule(store, WS, "creators", every_minutes=5, now=NOW)
    again = add_schedule(store, WS, "creators", every_minutes=30, now=NOW)
    assert first["schedule_id"] == again["schedule_id"] and again["every_minutes"] == 30
    assert len(list_schedules(store, WS)) == 1


# ---------------------------------------------------------------------------------------- CLI
def test_cli_lists_alerts_and_rejects_bad_input(settings, tmp_path):
    runner = CliRunner()
    db = settings.db
    with connect(db, settings=settings) as store:
        seed(store)
    added = runner.invoke(app, ["alerts", "rule", "add", "budget_overrun", "--campaign", CID, "--db", db])
    assert added.exit_code == 0, added.output
    assert "budget_overrun on campaign solara01" in added.stdout
    checked = runner.invoke(app, ["alerts", "check", "--db", db])
    assert checked.exit_code == 0 and "1 new alert(s)" in checked.stdout
    listed = runner.invoke(app, ["alerts", "--db", db, "--status", "open", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    (alert,) = json.loads(listed.stdout)
    assert alert["rule"] == "budget_overrun" and alert["status"] == "open"
    table = runner.invoke(app, ["alerts", "--db", db])
    assert table.exit_code == 0 and alert["alert_id"] in table.stdout
    assert runner.invoke(app, ["alerts", "ack", alert["alert_id"], "--db", db]).exit_code == 0
    assert json.loads(runner.invoke(app, ["alerts", "--db", db, "--status", "open", "-f", "json"]).stdout) == []
    rules = runner.invoke(app, ["alerts", "rules", "--db", db, "--format", "csv"])
    assert rules.exit_code == 0 and "budget_overrun" in rules.stdout

    bad = runner.invoke(app, ["alerts", "--db", db, "--status", "closed"])
    assert bad.exit_code == 1
    assert bad.stderr == "Error: unknown alert status 'closed'; use open or acknowledged\n"
    bad_kind = runner.invoke(app, ["alerts", "rule", "add", "weather", "--db", db])
    assert bad_kind.exit_code == 1 and bad_kind.stderr.startswith("Error: unknown alert kind 'weather'")
    bad_hook = runner.invoke(
        app, ["alerts", "rule", "add", "budget_overrun", "--webhook", "http://hooks.example/x", "--db", db]
    )
    assert bad_hook.exit_code == 1 and len(bad_hook.stderr.splitlines()) == 1

    scheduled = runner.invoke(app, ["schedule", "add", "creators", "--every", "15", "--db", db])
    assert scheduled.exit_code == 0, scheduled.output
    ls = runner.invoke(app, ["schedule", "ls", "--db", db, "--format", "json"])
    assert [s["kind"] for s in json.loads(ls.stdout)] == ["creators"]
