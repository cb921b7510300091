"""Working with creators: e-mail through a local SMTP server (aiosmtpd on 127.0.0.1) and deliverable proofs."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from crmworld import NOW, OTHER, PASSWORD, PNG, WS, seed, write
from microscout import outreach, proofs, templates
from microscout.config import Settings
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store
from microscout.store.schema import TABLES


@pytest.fixture
def world(store: Store) -> Store:
    """The seeded store (crmworld.seed) with a second, empty workspace."""
    seed(store)
    store.ensure_workspace(OTHER)
    return store


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


def test_forgetting_a_creator_deletes_their_proofs_and_files(world, settings, tmp_path):
    from microscout.privacy import forget_creator

    shot = write(tmp_path / "story.png", PNG)
    proof = proofs.add_proof(world, WS, settings, "c1", "c1-001", shot, reported={"views": 10}, kind="story", now=NOW)
    other = proofs.add_proof(world, WS, settings, "c1", "c1-002", write(tmp_path / "p.png", PNG + b"x"), kind="post")
    stored = tmp_path / proof["path"]
    assert stored.exists()
    done = forget_creator(world, "instagram", "1", workspace=WS)
    assert done["proofs (files deleted)"] == 1 and not stored.exists()
    assert [p["proof_id"] for p in proofs.list_proofs(world, WS, "c1")] == [other["proof_id"]]
    assert (tmp_path / other["path"]).exists()
