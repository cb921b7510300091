"""Working with creators: lists, notes, the outreach pipeline, templates, SMTP sending, proofs."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json
import logging
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from microscout import outreach, proofs, templates, workspace
from microscout.cli import app
from microscout.config import Settings
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, connect
from microscout.store.schema import TABLES

NOW = dt.datetime(2026, 11, 1, 9, 0)
WS, OTHER = "default", "rival"
PASSWORD = "pw-Zq93-never-stored"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))

CREATORS = [
    ("1", "ana.fit", "Ana Fit", "ana@example.com", "pt"),
    ("2", "layla", "ليلى", "layla@example.com", "ar"),
    ("3", "yuki", "ゆき", None, "ja"),
    ("4", "mia", '=HYPERLINK("http://evil.example","x")', "mia@example.com", "en"),
]


def seed(store: Store, workspace_id: str = WS) -> None:
    """Four creators, campaign c1 (Summer Glow by Solara) with placements for ana.fit and layla."""
    store.insert_rows(
        "creators",
        [
            {
                "platform": "instagram",
                "creator_id": cid,
                "handle": handle,
                "display_name": name,
                "contact_email": mail,
                "declared_language": lang,
                "followers": 5000 + int(cid),
            }
            for cid, handle, name, mail, lang in CREATORS
        ],
    )
    store.ensure_workspace(workspace_id)
    store.insert_rows(
        "campaigns",
        [{"campaign_id": "c1", "name": "Summer Glow", "brand": "Solara", "status": "running", "created_at": NOW}],
        workspace=workspace_id,
    )
    store.insert_rows(
        "placements",
        [
            {
                "placement_id": "c1-001",
                "campaign_id": "c1",
                "platform": "instagram",
                "creator_id": "1",
                "market": "BR",
                "deliverables": json.dumps([{"kind": "story", "count": 2}, {"kind": "reel", "count": 1}]),
                "fee": Decimal("1200.00"),
                "currency": "EUR",
                "due_date": dt.date(2026, 11, 15),
                "status": "planned",
            },
            {
                "placement_id": "c1-002",
                "campaign_id": "c1",
                "platform": "instagram",
                "creator_id": "2",
                "market": "AE",
                "deliverables": json.dumps([{"kind": "post", "count": 1}]),
                "fee": Decimal("800.00"),
                "currency": "USD",
                "due_date": dt.date(2026, 11, 20),
                "status": "planned",
            },
        ],
        workspace=workspace_id,
    )


@pytest.fixture
def world(store: Store) -> Store:
    seed(store)
    store.ensure_workspace(OTHER)
    return store


# ------------------------------------------------------------------------------ lists, notes
def test_lists_and_notes_are_invisible_to_another_workspace(world):
    made = workspace.create_list(world, WS, name="Summer", now=NOW)
    lid = made["list_id"]
    result = workspace.add_list_items(world, WS, lid, [("instagram", "1"), ("instagram", "2"), ("instagram", "1")])
    assert result == {"list_id": lid, "added": 2, "already": 0}
    assert workspace.add_list_items(world, WS, lid, [("instagram", "1")])["already"] == 1
    assert workspace.list_lists(world, OTHER) == []
    for attempt in (
        lambda: workspace.get_list(world, OTHER, lid),
        lambda: workspace.delete_list(world, OTHER, lid),
        lambda: workspace.add_list_items(world, OTHER, lid, [("instagram", "3")]),
        lambda: workspace.resolve_list(world, OTHER, "Summer"),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    assert [i["creator"] for i in workspace.get_list(world, WS, lid)["items"]] == [
        "instagram:ana.fit",
        "instagram:layla",
    ]
    assert workspace.resolve_list(world, WS, "summer") == lid

    note = workspace.create_note(
        world, WS, platform="instagram", creator_id="1", body="Great with skincare", tags=["vip", "skin"], now=NOW
    )
    workspace.create_note(world, WS, platform="instagram", creator_id="2", body="Slow replies", tags=["slow"], now=NOW)
    assert workspace.list_notes(world, OTHER) == []
    with pytest.raises(NotFoundError):
        workspace.delete_note(world, OTHER, note["note_id"])
    assert [n["body"] for n in workspace.list_notes(world, WS, tag="vip")] == ["Great with skincare"]
    assert [n["body"] for n in workspace.list_notes(world, WS, platform="instagram", creator_id="2")] == [
        "Slow replies"
    ]
    assert len(workspace.list_notes(world, WS)) == 2


def test_lists_fill_from_a_saved_search_and_from_a_plan(world):
    world.insert_rows(
        "search_results",
        [
            {"search_id": "s1", "brief_id": "b1", "rank": r, "platform": "instagram", "creator_id": c, "score": 1 / r}
            for r, c in ((1, "4"), (2, "3"))
        ],
        workspace=WS,
    )
    world.insert_rows(
        "placements",
        [{"placement_id": "p1-001", "plan_id": "p1", "platform": "instagram", "creator_id": "2", "status": "planned"}],
        workspace=WS,
    )
    lid = workspace.create_list(world, WS, name="From search")["list_id"]
    assert workspace.add_list_items_from_search(world, WS, lid, "s1")["added"] == 2
    assert workspace.add_list_items_from_plan(world, WS, lid, "p1")["added"] == 1
    assert sorted(i["creator_id"] for i in workspace.get_list(world, WS, lid)["items"]) == ["2", "3", "4"]
    other = workspace.create_list(world, OTHER, name="Theirs")["list_id"]
    with pytest.raises(NotFoundError, match="no search 's1' in this workspace"):
        workspace.add_list_items_from_search(world, OTHER, other, "s1")
    with pytest.raises(NotFoundError, match="no plan 'p1'"):
        workspace.add_list_items_from_plan(world, OTHER, other, "p1")


def test_list_csv_export_neutralises_formulas(world, tmp_path):
    lid = workspace.create_list(world, WS, name="Export")["list_id"]
    workspace.add_list_items(world, WS, lid, [("instagram", "4")], added_by="@bob")
    out = tmp_path / "list.csv"
    assert workspace.export_list_csv(world, WS, lid, out) == 1
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0]["display_name"] == """'=HYPERLINK("http://evil.example","x")"""
    assert rows[0]["added_by"] == "'@bob"
    assert rows[0]["creator"] == "instagram:mia"


# ---------------------------------------------------------------------------------- pipeline
def test_pipeline_moves_along_allowed_transitions_and_keeps_history(world):
    added = outreach.add_prospects(world, WS, "c1", [("instagram", "1"), ("instagram", "2")], "ines", now=NOW)
    assert added["added"] == ["instagram:ana.fit", "instagram:layla"]
    assert outreach.add_prospects(world, WS, "c1", [("instagram", "1")], "ines")["already"] == ["instagram:ana.fit"]
    path = ["contacted", "negotiating", "booked", "delivered", "paid"]
    for k, status in enumerate(path, start=1):
        outreach.set_status(
            world, WS, "c1", "instagram", "1", status, "ines", note=f"step {k}", now=NOW + dt.timedelta(hours=k)
        )
    outreach.set_status(world, WS, "c1", "instagram", "2", "declined", "ines", now=NOW)
    result = outreach.pipeline(world, WS, "c1")
    assert result["counts"] == {
        "prospect": 0, "contacted": 0, "negotiating": 0, "booked": 0, "delivered": 0, "paid": 1, "declined": 1,
    }  # fmt: skip
    assert [c["contact_email"] for c in result["creators"]] == ["ana@example.com", "layla@example.com"]
    placement = world.raw.execute("SELECT status FROM placements WHERE placement_id = 'c1-001'").fetchall()
    assert placement == [("booked",)]
    events = outreach.history(world, WS, "c1", platform="instagram", creator_id="1")
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "prospect"),
        *zip(["prospect", *path[:-1]], path, strict=True),
    ]
    assert events[1]["note"] == "step 1" and events[1]["actor"] == "ines"
    with pytest.raises(NotFoundError, match="no campaign 'c1' in workspace"):
        outreach.history(world, OTHER, "c1")


def test_pipeline_refuses_a_move_that_is_not_in_the_table(world):
    outreach.add_prospects(world, WS, "c1", [("instagram", "1")], "ines")
    with pytest.raises(InvalidInputError) as err:
        outreach.set_status(world, WS, "c1", "instagram", "1", "paid", "ines")
    assert err.value.message == "cannot move instagram:ana.fit from prospect to paid; allowed: contacted, declined"
    outreach.set_status(world, WS, "c1", "instagram", "1", "declined", "ines")
    with pytest.raises(InvalidInputError, match="allowed: none \\(declined is final\\)"):
        outreach.set_status(world, WS, "c1", "instagram", "1", "contacted", "ines")
    with pytest.raises(InvalidInputError, match="unknown outreach status 'won'"):
        outreach.set_status(world, WS, "c1", "instagram", "1", "won", "ines")
    with pytest.raises(NotFoundError, match="instagram:layla is not in the pipeline"):
        outreach.set_status(world, WS, "c1", "instagram", "2", "contacted", "ines")
    with pytest.raises(NotFoundError, match="no campaign 'nope'"):
        outreach.add_prospects(world, WS, "nope", [("instagram", "1")], "ines")
    assert len(outreach.history(world, WS, "c1")) == 2  # refused moves leave no trace


# --------------------------------------------------------------------------------- templates
VALUES = {
    "creator_name": "Ana",
    "handle": "ana.fit",
    "brand": "Solara",
    "deliverables": "2 × story",
    "fee": "€1,200.00",
    "campaign": "Summer Glow",
    "due_date": "2026-11-15",
}


@pytest.mark.parametrize(
    ("language", "body", "expected"),
    [
        ("en", "Hi {creator_name} (@{handle}), {brand} offers {fee} for {deliverables}.",
         "Hi Ana (@ana.fit), Solara offers €1,200.00 for 2 × story."),
        ("pt-BR", "Olá {creator_name}! A {brand} quer {deliverables} até {due_date}. Cachê: {fee}.",
         "Olá Ana! A Solara quer 2 × story até 2026-11-15. Cachê: €1,200.00."),
        ("ar", "مرحبا {creator_name}، تود {brand} التعاون معك في حملة {campaign} مقابل {fee}.",
         "مرحبا Ana، تود Solara التعاون معك في حملة Summer Glow مقابل €1,200.00."),
        ("ja", "{creator_name}さん、こんにちは。{brand}の「{campaign}」で{deliverables}をお願いできますか？",
         "Anaさん、こんにちは。Solaraの「Summer Glow」で2 × storyをお願いできますか？"),
    ],
    ids=["en", "pt-BR", "ar", "ja"],
)  # fmt: skip
def test_templates_render_in_every_language(world, language, body, expected):
    saved = templates.save_template(world, WS, name="intro", language=language, subject="{brand} × {handle}", body=body)
    filled = templates.render_template(saved, VALUES)
    assert filled["body"] == expected
    assert filled["subject"] == "Solara × ana.fit"
    assert filled["missing"] == []
    assert filled["direction"] == ("rtl" if language == "ar" else "ltr")


def test_rtl_template_is_marked_rtl_in_html_and_eml_exports(world, tmp_path):
    templates.save_template(world, WS, name="intro", language="en", subject="{brand} x {handle}", body="Hi {handle}")
    templates.save_template(
        world, WS, name="intro", language="ar", subject="{brand} × {creator_name}", body="مرحبا {creator_name}\n\n{fee}"
    )
    outreach.add_prospects(world, WS, "c1", [("instagram", "1"), ("instagram", "2")], "ines")
    messages = {m.creator: m for m in templates.render_for_campaign(world, WS, "c1", "intro")}
    arabic, english = messages["instagram:layla"], messages["instagram:ana.fit"]
    assert arabic.language == "ar" and english.language == "en"  # each creator gets their language (pt → en)
    assert arabic.body == "مرحبا ليلى\n\n$800.00"
    page = templates.to_html(arabic)
    assert '<html lang="ar" dir="rtl">' in page and '<body dir="rtl">' in page
    assert "<bdi>ليلى</bdi>" in page
    assert 'dir="rtl"' not in templates.to_html(english)
    written = templates.export_eml(list(messages.values()), tmp_path / "out", html_too=True)
    assert sorted(p.name for p in written) == [
        "instagram_1.eml",
        "instagram_1.html",
        "instagram_2.eml",
        "instagram_2.html",
    ]
    parsed = email.message_from_bytes((tmp_path / "out" / "instagram_2.eml").read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "layla@example.com" and parsed["Content-Language"] == "ar"
    assert 'dir="rtl"' in parsed.get_body(("html",)).get_content()
    assert parsed.get_body(("plain",)).get_content().rstrip("\n") == "مرحبا ليلى\n\n$800.00"
    assert templates.record_exported(world, WS, list(messages.values())) == 2
    templates.record_exported(world, WS, list(messages.values()))
    assert world.count("messages", workspace=WS) == 2  # the same export twice is one row each


def test_missing_merge_values_are_reported_and_unknown_fields_refused(world):
    saved = templates.save_template(
        world, WS, name="fee", language="en", subject="Offer", body="Fee {fee} by {due_date}"
    )
    partial = {"creator_name": "Ana"}
    assert templates.render_template(saved, partial, allow_missing=True)["missing"] == ["fee", "due_date"]
    assert templates.render("Fee {fee}", partial, allow_missing=True) == ("Fee {fee}", ["fee"])
    with pytest.raises(InvalidInputError) as err:
        templates.render_template(saved, partial)
    assert err.value.message == "template 'fee': no value for merge field(s) fee, due_date"
    with pytest.raises(InvalidInputError) as unknown:
        templates.save_template(world, WS, name="x", language="en", subject="Hi", body="Your price: {price}")
    assert unknown.value.message == (
        "template body: unknown merge field 'price'; use one of creator_name, handle, brand, deliverables, fee, "
        "campaign, due_date"
    )
    for body in ("{brand.__class__}", "{handle[0]}", "{}", "{fee!r}", "{fee:>10}", "open {brand"):
        with pytest.raises(InvalidInputError):
            templates.save_template(world, WS, name="x", language="en", subject="Hi", body=body)
    assert templates.save_template(world, WS, name="x", language="en", subject="Hi", body="{{literal}}")["fields"] == []
    with pytest.raises(InvalidInputError, match="language 'english'"):
        templates.save_template(world, WS, name="x", language="english", subject="Hi", body="Hi")
    assert templates.list_templates(world, OTHER) == []


# ------------------------------------------------------------------------------------ SMTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == PASSWORD)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate, auth_require_tls=False
    )
    controller.start()
    yield inbox, port
    controller.stop()


def smtp_settings(tmp_path: Path, port: int) -> Settings:
    return Settings(
        db=str(tmp_path / "test.duckdb"),
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_username="team",
        smtp_from="Solara Team <team@solara.example>",
        smtp_starttls=False,
    )


def test_send_emails_each_creator_with_a_public_address(world, tmp_path, smtp_server, monkeypatch, caplog):
    inbox, port = smtp_server
    monkeypatch.setenv("MICROSCOUT_SMTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    templates.save_template(
        world, WS, name="intro", language="en", subject="{brand} × {creator_name}", body="Hi {creator_name}, {fee}?"
    )
    world.raw.execute("UPDATE creators SET contact_email = 'layla at example' WHERE creator_id = '2'")
    outreach.add_prospects(world, WS, "c1", [("instagram", "1"), ("instagram", "2"), ("instagram", "3")], "ines")
    rows = outreach.send_campaign(world, WS, smtp_settings(tmp_path, port), "c1", "intro", actor="ines", now=NOW)
    assert [(r["creator"], r["status"]) for r in rows] == [
        ("instagram:ana.fit", "sent"), ("instagram:layla", "failed"), ("instagram:yuki", "skipped"),
    ]  # fmt: skip
    assert rows[1]["error"] == "recipient 'layla at example' is not an e-mail address"
    assert rows[2]["error"] == "no public contact e-mail"
    assert inbox.logins == [("team", PASSWORD)]
    [received] = inbox.messages
    assert received.rcpt_tos == ["ana@example.com"]
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert parsed["Subject"] == "Solara × Ana Fit"
    assert parsed["From"] == "Solara Team <team@solara.example>" and parsed["Content-Language"] == "en"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hi Ana Fit, €1,200.00?"
    stored = world.sql("SELECT status, to_address, sent_at, error FROM messages ORDER BY status").to_dict("records")
    assert [(m["status"], m["to_address"]) for m in stored] == [
        ("failed", "layla at example"), ("sent", "ana@example.com"), ("skipped", None),
    ]  # fmt: skip
    assert outreach.pipeline(world, WS, "c1")["counts"]["contacted"] == 1  # prospect → contacted
    # a second run does not e-mail the same creator the same template again
    again = outreach.send_campaign(world, WS, smtp_settings(tmp_path, port), "c1", "intro", now=NOW)
    assert again[0]["status"] == "skipped" and len(inbox.messages) == 1
    # the password is in no stored row, no log line, and not in the store file
    for name in TABLES:
        assert PASSWORD not in repr(world.raw.execute(f'SELECT * FROM "{name}"').fetchall()), name
    assert PASSWORD not in caplog.text
    world.raw.execute("CHECKPOINT")
    assert PASSWORD.encode() not in Path(world.location).read_bytes()


def test_a_failed_send_is_recorded_as_failed(world, tmp_path, monkeypatch):
    monkeypatch.delenv("MICROSCOUT_SMTP_PASSWORD", raising=False)
    templates.save_template(world, WS, name="intro", language="en", subject="Hi", body="Hi {creator_name}")
    outreach.add_prospects(world, WS, "c1", [("instagram", "1"), ("instagram", "2")], "ines")
    down = smtp_settings(tmp_path, free_port()).model_copy(update={"smtp_username": None})
    rows = outreach.send_campaign(world, WS, down, "c1", "intro", now=NOW)
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert "(connect)" in rows[0]["error"] and rows[0]["error"] == rows[1]["error"]
    stored = world.sql("SELECT status, error FROM messages").to_dict("records")
    assert [m["status"] for m in stored] == ["failed", "failed"] and all(m["error"] for m in stored)
    assert outreach.pipeline(world, WS, "c1")["counts"]["prospect"] == 2
    with pytest.raises(InvalidInputError, match="MICROSCOUT_SMTP_PASSWORD is not"):
        outreach.send_campaign(world, WS, smtp_settings(tmp_path, 25), "c1", "intro", resend=True)
    with pytest.raises(InvalidInputError, match="no SMTP server configured"):
        outreach.send_campaign(world, WS, Settings(db=str(tmp_path / "x.duckdb")), "c1", "intro")


def test_dry_run_sends_and_stores_nothing(world, tmp_path):
    templates.save_template(world, WS, name="intro", language="en", subject="Hi", body="Hi {creator_name}, {fee}")
    outreach.add_prospects(world, WS, "c1", [("instagram", "1"), ("instagram", "4")], "ines")
    rows = outreach.send_campaign(world, WS, Settings(db=str(tmp_path / "x.duckdb")), "c1", "intro", dry_run=True)
    assert [(r["creator"], r["status"]) for r in rows] == [
        ("instagram:ana.fit", "would send"),
        ("instagram:mia", "skipped"),
    ]
    assert rows[1]["error"] == "no value for merge field(s): fee"
    assert world.count("messages", workspace=WS) == 0


# ---------------------------------------------------------------------------------- proofs
def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_png_proof_counts_as_a_self_reported_deliverable(world, settings, tmp_path):
    shot = write(tmp_path / "My Story!.png", PNG)
    proof = proofs.add_proof(
        world, WS, settings, "c1", "c1-001", shot,
        reported={"views": 1200, "reach": "900"}, kind="story",
        published_at=dt.datetime(2026, 11, 3, 18, tzinfo=dt.UTC), uploaded_by="ana", now=NOW,
    )  # fmt: skip
    assert (
        proof["created"] and proof["media_type"] == "image/png" and proof["reported"] == {"reach": 900, "views": 1200}
    )
    stored = tmp_path / proof["path"]
    assert stored.read_bytes() == PNG and stored.name == f"{proof['sha256']}.png"
    assert stored.parent == tmp_path / "proofs" / WS
    post = world.sql("SELECT * FROM campaign_posts").to_dict("records")
    assert len(post) == 1
    assert {k: post[0][k] for k in ("post_id", "role", "self_reported", "placement_id", "deliverable_kind")} == {
        "post_id": f"proof:{proof['proof_id']}",
        "role": "deliverable",
        "self_reported": True,
        "placement_id": "c1-001",
        "deliverable_kind": "story",
    }
    assert post[0]["creator_id"] == "1" and post[0]["market"] == "BR" and post[0]["disclosure"] is None
    assert post[0]["published_at"] == dt.datetime(2026, 11, 3, 18) and post[0]["on_time"]
    again = proofs.add_proof(world, WS, settings, "c1", "c1-001", shot, reported={"views": 1300}, kind="story")
    assert not again["created"] and again["proof_id"] == proof["proof_id"]
    assert world.count("proofs", workspace=WS) == 1 and world.count("campaign_posts", workspace=WS) == 1
    assert proofs.list_proofs(world, WS, "c1")[0]["reported"] == {"views": 1300}
    export = write(tmp_path / "insights.csv", b"metric,value\nviews,1200\n")
    assert proofs.add_proof(world, WS, settings, "c1", "c1-001", export, kind="reel")["media_type"] == "text/csv"
    with pytest.raises(NotFoundError):
        proofs.add_proof(world, OTHER, settings, "c1", "c1-001", shot, kind="story")


def test_proofs_are_checked_by_content_size_and_figures(world, settings, tmp_path):
    exe = write(tmp_path / "proof.png", b"MZ\x90\x00\x03" + bytes(200))
    with pytest.raises(InvalidInputError) as err:
        proofs.add_proof(world, WS, settings, "c1", "c1-001", exe, kind="story")
    assert err.value.message.startswith("proof.png: the content is not a PNG, JPEG, WebP or PDF file or a CSV export")
    text = write(tmp_path / "notes.png", b"views,1200\nreach,900\n")
    with pytest.raises(InvalidInputError, match=r"^notes\.png: the content is not"):
        proofs.add_proof(world, WS, settings, "c1", "c1-001", text, kind="story")
    small = settings.model_copy(update={"proof_max_mb": 1})
    big = write(tmp_path / "big.png", PNG + bytes(2**20))
    with pytest.raises(InvalidInputError, match=r"^big\.png: 1\.0 MiB is over the 1 MiB limit"):
        proofs.add_proof(world, WS, small, "c1", "c1-001", big, kind="story")
    shot = write(tmp_path / "ok.png", PNG)
    with pytest.raises(InvalidInputError) as bad_key:
        proofs.add_proof(world, WS, settings, "c1", "c1-001", shot, reported={"followers": 10}, kind="story")
    assert bad_key.value.message == (
        "reported figure 'followers' is not one of views, reach, impressions, likes, comments, shares, saves, "
        "link_clicks"
    )
    with pytest.raises(InvalidInputError, match="reported views must be a non-negative whole number"):
        proofs.add_proof(world, WS, settings, "c1", "c1-001", shot, reported={"views": "-5"}, kind="story")
    with pytest.raises(InvalidInputError, match="placement c1-001 owes no post"):
        proofs.add_proof(world, WS, settings, "c1", "c1-001", shot, kind="post")
    with pytest.raises(NotFoundError, match="no placement 'c1-009'"):
        proofs.add_proof(world, WS, settings, "c1", "c1-009", shot, kind="story")
    assert world.count("proofs", workspace=WS) == 0 and not (tmp_path / "proofs").exists()


# -------------------------------------------------------------------------------------- CLI
def test_cli_lists_notes_and_a_one_line_error(runner, tmp_path):
    db = str(tmp_path / "cli.duckdb")
    with connect(db) as store:
        seed(store)
    made = runner.invoke(app, ["lists", "create", "Summer", "--description", "BR push", "--db", db])
    assert made.exit_code == 0, made.output
    added = runner.invoke(app, ["lists", "add", "Summer", "instagram:ana.fit", "instagram:mia", "--db", db])
    assert added.exit_code == 0 and "2 added, 0 already on it" in added.stdout
    shown = runner.invoke(app, ["lists", "show", "Summer", "--format", "json", "--db", db])
    assert [i["creator"] for i in json.loads(shown.stdout)[0]["items"]] == ["instagram:ana.fit", "instagram:mia"]
    out = tmp_path / "summer.csv"
    assert runner.invoke(app, ["lists", "export", "Summer", "--out", str(out), "--db", db]).exit_code == 0
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8")
    hidden = runner.invoke(app, ["lists", "show", "Summer", "--db", db, "--workspace", OTHER])
    assert hidden.exit_code == 1 and hidden.stderr == "Error: no list 'Summer' in this workspace\n"

    note = runner.invoke(app, ["notes", "add", "instagram:ana.fit", "Loves SPF", "--tag", "vip", "--db", db])
    assert note.exit_code == 0, note.output
    listed = runner.invoke(app, ["notes", "ls", "--tag", "vip", "--format", "json", "--db", db])
    assert [(n["creator"], n["body"]) for n in json.loads(listed.stdout)] == [("instagram:ana.fit", "Loves SPF")]

    assert runner.invoke(app, ["outreach", "add", "c1", "--placements", "--db", db]).exit_code == 0
    bad = runner.invoke(app, ["outreach", "set", "c1", "instagram:ana.fit", "paid", "--db", db])
    assert bad.exit_code == 1
    assert bad.stderr == "Error: cannot move instagram:ana.fit from prospect to paid; allowed: contacted, declined\n"
    moved = runner.invoke(app, ["outreach", "set", "c1", "instagram:ana.fit", "contacted", "--db", db])
    assert moved.exit_code == 0 and "prospect → contacted" in moved.stdout


def test_cli_templates_render_and_proofs(runner, tmp_path):
    db = str(tmp_path / "cli.duckdb")
    with connect(db) as store:
        seed(store)
    unknown = runner.invoke(
        app, ["outreach", "templates", "add", "intro", "--subject", "Hi", "--body", "{price}", "--db", db]
    )
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: template body: unknown merge field 'price'")
    saved = runner.invoke(
        app, ["outreach", "templates", "add", "intro", "-l", "ar", "--subject", "{brand}", "--body", "مرحبا {handle}",
              "--db", db],
    )  # fmt: skip
    assert saved.exit_code == 0 and "rtl" in saved.stdout
    assert runner.invoke(app, ["outreach", "add", "c1", "--placements", "--db", db]).exit_code == 0
    out = tmp_path / "drafts.csv"
    rendered = runner.invoke(app, ["outreach", "render", "c1", "--template", "intro", "--out", str(out), "--db", db])
    assert rendered.exit_code == 0, rendered.output
    assert [r["body"] for r in csv.DictReader(out.read_text(encoding="utf-8").splitlines())] == [
        "مرحبا ana.fit",
        "مرحبا layla",
    ]

    shot = write(tmp_path / "story.png", PNG)
    args = ["proofs", "add", "c1", "c1-001", str(shot), "--kind", "story", "--reported", "views=1200"]
    added = runner.invoke(app, [*args, "--reported", "reach=900", "--published-at", "2026-11-03", "--db", db])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["proofs", "ls", "c1", "--format", "json", "--db", db])
    assert json.loads(listed.stdout)[0]["reported"] == {"reach": 900, "views": 1200}
    bad = runner.invoke(app, [*args, "--reported", "followers=3", "--db", db])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: reported figure 'followers' is not one of")
