"""Working with creators: lists, notes, the outreach pipeline, templates and the CLI
(SMTP sending and proofs: tests/test_crm_mail.py)."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json

import pytest

from crmworld import NOW, OTHER, PNG, WS, seed, write
from microscout import outreach, templates, workspace
from microscout.cli import app
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, connect


@pytest.fixture
def world(store: Store) -> Store:
    """The seeded store (crmworld.seed) with a second, empty workspace."""
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
