"""Campaign tracking on a hand-built store: campaigns, classification, disclosure per market,
deliverable status, results arithmetic, sales, sentiment aggregation, idempotency, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import data_snapshot
from microscout.cli import app
from microscout.errors import InvalidInputError, NotFoundError
from microscout.tracking import (
    campaign_results,
    create_campaign,
    deliverable_status,
    get_campaign,
    import_sales,
    list_campaigns,
    parse_spec,
    track_campaign,
)
from microscout.tracking.disclosure import load_rules
from microscout.tracking.perception import sentiment_rows

WS = "default"
NOW = dt.datetime(2026, 11, 1)
T = dt.datetime(2026, 10, 10, 12)

CREATORS = [
    # platform, creator_id, handle, followers, country
    ("instagram", "ig1", "ana.fit", 20_000, "BR"),
    ("tiktok", "tt1", "ben.moves", 50_000, "DE"),
    ("instagram", "ig2", "chika.jp", 8_000, "JP"),
    ("instagram", "ig3", "layla.sa", 3_000, "SA"),
    ("x", "x1", "priya_in", 4_000, "IN"),
    ("instagram", "ig4", "rival.fan", 2_000, "US"),
    ("x", "x2", "replier", 900, "IN"),
]


def _post(platform, post_id, creator_id, caption, *, kind="post", days=0.0, hashtags=(), mentions=(), **extra):
    return {
        "platform": platform, "post_id": post_id, "creator_id": creator_id, "kind": kind,
        "published_at": T + dt.timedelta(days=days), "caption": caption, "hashtags": list(hashtags),
        "mentions": list(mentions), "likes": extra.pop("likes", 900), "comments": extra.pop("comments", 100),
        "views": extra.pop("views", None), **extra,
    }  # fmt: skip


POSTS = [
    # deliverables: BR reel disclosed with #publi; BR story with only #parceria (ambiguous, late);
    # DE video with #werbung; JP post disclosed by the phrase 広告 inside Japanese text
    _post(
        "instagram",
        "d1",
        "ig1",
        "Meu protetor solar favorito @solaraskin",
        kind="reel",
        views=30_000,
        hashtags=["SolaraSummer", "publi"],
        mentions=["solaraskin"],
    ),
    _post(
        "instagram",
        "d2",
        "ig1",
        "Rotina da manhã #parceria #solarasummer",
        kind="story",
        days=12,
        likes=None,
        comments=None,
        views=5_000,
    ),
    _post(
        "tiktok",
        "d3",
        "tt1",
        "Meine Solara Sonnencreme im Test #werbung",
        kind="video",
        views=80_000,
        hashtags=["solarasummer"],
    ),
    _post("instagram", "d4", "ig2", "この広告は#solarasummer の日焼け止めです", kind="post"),
    # UGC in Arabic and Hindi, a competitor-only post, a UGC post naming a competitor too
    _post("instagram", "u1", "ig3", "أحب واقي الشمس الجديد #SolaraSummer", likes=50, comments=5),
    _post("x", "u2", "x1", "यह सनस्क्रीन बहुत अच्छा है #solarasummer vs UVmax", likes=20, comments=3),
    _post("instagram", "c1", "ig4", "Trying UVmax this week", hashtags=["uvmax"], likes=10, comments=1),
    # not campaign: unrelated, before the start, a German keyword in a Portuguese caption
    _post("instagram", "n1", "ig3", "Just a sunset", likes=5, comments=0),
    _post("instagram", "n2", "ig1", "#solarasummer teaser", days=-30),
    _post("instagram", "n3", "ig4", "Sonnencreme von solara ist toll", likes=3, comments=0),
    # word of mouth: a reply and a quote of the Hindi UGC post
    _post("x", "w1", "x2", "totally agree", reply_to="u2", likes=1, comments=0),
    _post("x", "w2", "x2", "this!", quote_of="u2", likes=2, comments=0),
]
COMMENTS = [
    ("d1", "Amei demais, vou comprar!"), ("d1", "Muito caro pelo que é"), ("d3", "Beste Sonnencreme bisher"),
    ("u1", "رائع جداً، سأشتريه الآن"),
]  # fmt: skip


def _seed(store) -> None:
    store.insert_rows(
        "creators",
        [
            {"platform": p, "creator_id": c, "handle": h, "followers": f, "declared_country": m}
            for p, c, h, f, m in CREATORS
        ],
    )
    store.insert_rows("posts", POSTS)
    store.insert_rows(
        "comments",
        [
            {"platform": "instagram" if pid != "d3" else "tiktok", "comment_id": f"k{k}", "post_id": pid, "text": text,
             "published_at": T + dt.timedelta(days=1), "is_creator_reply": False}
            for k, (pid, text) in enumerate(COMMENTS)
        ],
    )  # fmt: skip
    store.insert_rows(
        "post_signals",
        [{"platform": "tiktok", "post_id": "d3", "language": "de"}, {"platform": "instagram", "post_id": "n3",
          "language": "pt"}],
    )  # fmt: skip


SPEC = {
    "name": "Solara summer",
    "brand": "Solara",
    "start": "2026-10-01",
    "due": "2026-10-20",
    "currency": "EUR",
    "budget": 3000,
    "tracking": {
        "hashtags": ["#SolaraSummer"],
        "mentions": ["@solaraskin"],
        "keywords": {"de": ["solara sonnencreme"], "pt": ["protetor solar"]},
        "competitors": ["UVmax"],
    },
    "placements": [
        {"creator": "instagram:ana.fit", "market": "BR", "fee": 800, "promo_code": "ANA10",
         "deliverables": [{"kind": "reel", "count": 1}, {"kind": "story", "count": 1}]},
        {"creator": "tiktok:ben.moves", "market": "DE", "fee": 1200, "link": "solara.example/ben",
         "deliverables": [{"kind": "video", "count": 2}]},
        {"creator": "instagram:chika.jp", "market": "JP", "fee": 300, "deliverables": [{"kind": "post", "count": 1}]},
    ],
}  # fmt: skip


@pytest.fixture
def tracked(store, settings):
    _seed(store)
    campaign = create_campaign(store, WS, parse_spec(SPEC), now=NOW)
    summary = track_campaign(store, WS, campaign["campaign_id"], settings=settings, now=NOW)
    return store, campaign, summary


def _roles(store, cid):
    rows = store.raw.execute(
        "SELECT post_id, role, placement_id, disclosure, market FROM campaign_posts WHERE campaign_id = ?", [cid]
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


# ------------------------------------------------------------------------------ campaign files


def test_spec_errors_name_the_field():
    with pytest.raises(InvalidInputError, match=r"campaign: placements\[0\]\.market: 'XX' is not an ISO 3166-1"):
        parse_spec({**SPEC, "placements": [{**SPEC["placements"][0], "market": "XX"}]})
    with pytest.raises(InvalidInputError, match=r"tracking\.hashtags\[0\]: 'two words' is not a hashtag"):
        parse_spec({**SPEC, "tracking": {"hashtags": ["two words"]}})
    with pytest.raises(InvalidInputError, match=r"end .* is before start"):
        parse_spec({**SPEC, "end": "2026-09-01"})
    with pytest.raises(InvalidInputError, match="unknown field 'budjet'"):
        parse_spec({**SPEC, "budjet": 1})
    with pytest.raises(InvalidInputError, match="give placements, or plan"):
        parse_spec({k: v for k, v in SPEC.items() if k != "placements"})


def test_create_validates_creators_and_names(store):
    _seed(store)
    bad = {**SPEC, "placements": [{**SPEC["placements"][0], "creator": "instagram:nobody"}]}
    with pytest.raises(NotFoundError, match=r"placements\[0\]\.creator: no creator 'instagram:nobody'"):
        create_campaign(store, WS, parse_spec(bad))
    twice = {**SPEC, "placements": [SPEC["placements"][0], SPEC["placements"][0]]}
    with pytest.raises(InvalidInputError, match=r"placements\[1\]\.creator: .* already placed in placements\[0\]"):
        create_campaign(store, WS, parse_spec(twice))
    create_campaign(store, WS, parse_spec(SPEC))
    with pytest.raises(InvalidInputError, match="already exists"):
        create_campaign(store, WS, parse_spec(SPEC))
    assert store.count("campaigns", workspace=WS) == 1


def test_campaigns_are_workspace_scoped(store):
    _seed(store)
    c = create_campaign(store, WS, parse_spec(SPEC))
    store.ensure_workspace("other")
    assert list_campaigns(store, "other") == []
    with pytest.raises(NotFoundError):
        get_campaign(store, "other", c["campaign_id"])
    assert get_campaign(store, WS, "solara SUMMER")["campaign_id"] == c["campaign_id"]


def test_rules_hold_per_placement_codes_and_links(store):
    _seed(store)
    c = create_campaign(store, WS, parse_spec(SPEC))
    by_kind = {(r["kind"], r["value"]): r["placement_id"] for r in c["rules"]}
    assert by_kind[("hashtag", "solarasummer")] is None
    assert by_kind[("promo_code", "ANA10")] == c["placements"][0]["placement_id"]
    assert by_kind[("link", "solara.example/ben")] == c["placements"][1]["placement_id"]
    assert ("competitor", "UVmax") in by_kind


def test_campaign_from_a_saved_plan_books_its_creators(store):
    _seed(store)
    store.insert_rows("briefs", [{"brief_id": "b1", "name": "Solara", "brand": "Solara",
                                   "body": json.dumps({"competitors": ["Sunbrella"]})}], workspace=WS)  # fmt: skip
    body = {"forecast": {"engagements": {"low": 500, "high": 1500}},
            "creators": [{"platform": "instagram", "creator_id": "ig1", "market": "BR", "engagements_low": 100,
                          "engagements_high": 900}]}  # fmt: skip
    store.insert_rows("plans", [{"plan_id": "p1", "brief_id": "b1", "budget": Decimal("1000"), "currency": "EUR",
                                  "body": json.dumps(body)}], workspace=WS)  # fmt: skip
    store.insert_rows("placements", [{"placement_id": "p1-001", "plan_id": "p1", "platform": "instagram",
                                       "creator_id": "ig1", "market": "BR", "fee": Decimal("700"), "currency": "EUR",
                                       "deliverables": json.dumps([{"kind": "reel", "count": 1}]),
                                       "status": "planned"}], workspace=WS)  # fmt: skip
    spec = parse_spec({"name": "From plan", "brand": "Solara", "start": "2026-10-01", "plan": "p1",
                       "tracking": {"hashtags": ["solarasummer"], "code_prefix": "SOL"}})  # fmt: skip
    c = create_campaign(store, WS, spec)
    assert [p["creator"] for p in c["placements"]] == ["instagram:ana.fit"]
    assert c["budget"] == "1000.00" and c["currency"] == "EUR"
    assert {(r["kind"], r["value"]) for r in c["rules"]} >= {("competitor", "Sunbrella"), ("promo_code", "SOL-ANAFIT")}
    track_campaign(store, WS, c["campaign_id"], now=NOW, score_texts=False)
    doc = campaign_results(store, WS, c["campaign_id"], now=NOW)
    row = doc["creators"][0]
    assert (row["forecast_low"], row["forecast_high"], row["engagements"]) == (100, 900, 1000)
    assert row["verdict"] == "above"
    assert doc["summary"]["forecast"]["engagements"]["verdict"] == "inside"
    with pytest.raises(NotFoundError, match="no saved plan 'nope'"):
        create_campaign(store, WS, spec.model_copy(update={"plan": "nope", "name": "x"}))


# ------------------------------------------------------------------------------ classification


def test_deliverables_ugc_and_competitor_mentions(tracked):
    store, c, summary = tracked
    roles = _roles(store, c["campaign_id"])
    ana, ben, chika = (p["placement_id"] for p in c["placements"])
    assert roles["d1"][:2] == ("deliverable", ana) and roles["d2"][:2] == ("deliverable", ana)
    assert roles["d3"][:2] == ("deliverable", ben) and roles["d4"][:2] == ("deliverable", chika)
    assert roles["u1"][0] == "ugc" and roles["u2"][0] == "ugc"
    assert roles["c1"][0] == "competitor"
    # not campaign posts: unrelated, published before the start, a German keyword in Portuguese text
    assert not {"n1", "n2", "n3", "w1", "w2"} & set(roles)
    assert (summary.deliverables, summary.ugc, summary.competitor) == (4, 2, 1)
    competitors = store.raw.execute("SELECT competitors FROM campaign_posts WHERE post_id = 'u2'").fetchone()[0]
    assert competitors == ["UVmax"]


def test_ugc_market_comes_from_the_author(tracked):
    store, c, _ = tracked
    roles = _roles(store, c["campaign_id"])
    assert roles["u1"][3] == "SA" and roles["u2"][3] == "IN" and roles["d1"][3] == "BR"


def test_disclosure_verdicts_per_market(tracked):
    store, c, _ = tracked
    roles = _roles(store, c["campaign_id"])
    assert roles["d1"][2] == "accepted"  # #publi in BR
    assert roles["d2"][2] == "ambiguous"  # #parceria only
    assert roles["d3"][2] == "accepted"  # #werbung in DE
    assert roles["d4"][2] == "accepted"  # 広告 inside Japanese text (no word boundaries in CJK)


def test_disclosure_table_per_market():
    rules = load_rules()
    check = rules.check
    assert check("", ["ad"], platform="instagram", market="US").status == "accepted"
    assert check("", ["ad"], platform="instagram", market="DE").status == "ambiguous"
    assert check("", ["collab"], platform="instagram", market="US").status == "ambiguous"
    assert check("Anzeige: mein Lieblingsprodukt", [], platform="tiktok", market="DE").status == "accepted"
    assert check("love it", [], platform="instagram", market="FR").status == "missing"
    flagged = check("love it", [], platform="instagram", market="FR", platform_flag=True)
    assert flagged.status == "accepted" and "Paid partnership" in flagged.found[0]
    missing = check("nothing", [], platform="instagram", market="BR")
    assert "#publi" in missing.accepted_options and missing.describe().startswith("accepted:")


def test_tracking_twice_changes_nothing(tracked, settings):
    store, c, _ = tracked
    tables = ("campaign_posts", "campaign_texts")
    before = data_snapshot(store, tables)
    again = track_campaign(store, WS, c["campaign_id"], settings=settings, now=NOW + dt.timedelta(hours=5))
    assert again.texts_scored == 0
    assert data_snapshot(store, tables) == before


def test_a_closed_campaign_ignores_later_posts(tracked, settings):
    from microscout.tracking import close_campaign

    store, c, _ = tracked
    close_campaign(store, WS, c["campaign_id"], now=T + dt.timedelta(days=5))
    track_campaign(store, WS, c["campaign_id"], settings=settings, now=NOW, score_texts=False)
    roles = _roles(store, c["campaign_id"])
    assert "d2" not in roles and "d1" in roles  # d2 was published after the close


# ------------------------------------------------------------------------------ status and results


def test_deliverable_slots_delivered_late_missing_pending(tracked):
    store, c, _ = tracked
    slots = deliverable_status(store, WS, c["campaign_id"], now=NOW)
    got = {(s["placement_id"][-3:], s["kind"], s["slot"]): s["status"] for s in slots}
    assert got[("001", "reel", 1)] == "delivered"
    assert got[("001", "story", 1)] == "late"  # published 2026-10-22, due 2026-10-20
    assert got[("002", "video", 1)] == "delivered" and got[("002", "video", 2)] == "missing"
    early = deliverable_status(store, WS, c["campaign_id"], now=dt.datetime(2026, 10, 15))
    assert {s["status"] for s in early if s["post_id"] is None} == {"pending"}


def test_results_arithmetic(tracked, settings):
    store, c, _ = tracked
    doc = campaign_results(store, WS, c["campaign_id"], settings=settings, now=NOW)
    posts = {p["post_id"]: p for p in doc["posts"]}
    d1 = posts["d1"]
    assert d1["engagements"] == 1000 and d1["er"] == pytest.approx(1000 / 20_000)
    assert d1["impressions"] == 30_000 and d1["reach_basis"] == "model"
    assert d1["emv"] == pytest.approx(30_000 / 1000 * 8.0 + 1000 * 0.25)  # instagram CPM 8, CPE 0.25
    d2 = posts["d2"]
    assert d2["engagements"] is None and d2["er"] is None  # a story's hidden counts stay missing
    ana = doc["creators"][0]
    assert ana["engagements"] == 1000 and ana["cpe"] == pytest.approx(800 / 1000)
    assert ana["cpm"] == pytest.approx(800 / (30_000 + 5_000) * 1000, rel=1e-3)
    s = doc["summary"]
    assert s["spend"] == "2300.00" and s["engagements"] == 3000
    assert s["cpe"] == pytest.approx(2300 / 3000, rel=1e-3)
    assert (s["deliverables_expected"], s["deliverables_delivered"], s["late"], s["missing"]) == (5, 4, 1, 1)
    assert s["disclosure_issues"] == 1 and doc["disclosure"][0]["post_id"] == "d2"
    assert s["ugc_posts"] == 2 and s["competitor_posts"] == 1
    assert doc["word_of_mouth"]["replies"] == 1 and doc["word_of_mouth"]["quotes"] == 1
    assert s["forecast"]["engagements"]["verdict"] == "no forecast"


def test_reported_reach_wins_over_the_model(store, settings):
    _seed(store)
    store.insert_rows("posts", [{**POSTS[0], "extras": json.dumps({"reach": 12345})}])
    c = create_campaign(store, WS, parse_spec(SPEC))
    track_campaign(store, WS, c["campaign_id"], now=NOW, score_texts=False)
    post = next(p for p in campaign_results(store, WS, c["campaign_id"], now=NOW)["posts"] if p["post_id"] == "d1")
    assert (post["reach"], post["reach_basis"]) == (12345, "reported")


# ------------------------------------------------------------------------------ sales


def _sales(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text("order_id,date,revenue,currency,promo_code,link,market\n" + "\n".join(rows) + "\n")
    return path


def test_sales_import_attributes_quarantines_and_is_idempotent(tracked, tmp_path):
    store, c, _ = tracked
    store.insert_rows("fx_rates", [{"base": "USD", "quote": "EUR", "rate_date": dt.date(2026, 10, 1),
                                     "rate": Decimal("0.9")}], workspace=WS)  # fmt: skip
    path = _sales(tmp_path, [
        "o1,2026-10-11,100.00,EUR,ana10,,",
        "o2,2026-10-12T10:00:00Z,50,USD,,https://www.solara.example/ben?utm=1,",
        "o3,2026-10-12,20,EUR,NOPE,,FR",
        "o4,not-a-date,20,EUR,ANA10,,",
        "o5,2026-10-12,-3,EUR,ANA10,,",
    ])  # fmt: skip
    first = import_sales(store, WS, c["campaign_id"], path)
    assert (first.inserted, first.quarantined, first.unattributed) == (3, 2, 1)
    assert "sales.csv:5: date: 'not-a-date' is not an ISO date" in first.errors[0]
    assert "revenue: must be a finite number >= 0" in first.errors[1]
    assert store.raw.execute("SELECT count(*) FROM quarantine WHERE table_name = 'campaign_sales'").fetchone()[0] == 2
    before = data_snapshot(store, ("campaign_sales",))
    again = import_sales(store, WS, c["campaign_id"], path)
    assert (again.inserted, again.unchanged) == (0, 3) and data_snapshot(store, ("campaign_sales",)) == before
    doc = campaign_results(store, WS, c["campaign_id"], now=NOW)
    by_creator = {r["creator"]: r for r in doc["creators"]}
    assert by_creator["instagram:ana.fit"]["revenue"] == "100.00"
    assert by_creator["instagram:ana.fit"]["roas"] == pytest.approx(100 / 800)
    assert by_creator["tiktok:ben.moves"]["revenue"] == "45.00"  # 50 USD at 0.9
    assert doc["summary"]["orders"] == 3 and doc["summary"]["revenue"] == "165.00"


def test_sales_file_errors_are_one_line(tracked, tmp_path):
    store, c, _ = tracked
    path = tmp_path / "bad.csv"
    path.write_text("order,when\n1,2\n")
    with pytest.raises(InvalidInputError, match="missing column\\(s\\) order_id, date, revenue, currency"):
        import_sales(store, WS, c["campaign_id"], path)
    with pytest.raises(InvalidInputError, match="file not found"):
        import_sales(store, WS, c["campaign_id"], tmp_path / "none.csv")


# ------------------------------------------------------------------------------ perception


def test_sentiment_aggregation_shares_and_net(store):
    rows = [("BR", "pt", "positive")] * 3 + [("BR", "pt", "negative")] + [("DE", "de", "neutral")] * 2
    store.insert_rows(
        "campaign_texts",
        [
            {"campaign_id": "c", "platform": "instagram", "text_kind": "comment", "text_id": f"t{k}", "market": m,
             "language": lg, "sentiment": s, "published_at": T}
            for k, (m, lg, s) in enumerate(rows)
        ],
        workspace=WS,
    )  # fmt: skip
    agg = sentiment_rows(store, WS, "c")
    br = next(r for r in agg["by_language"] if r["market"] == "BR")
    assert (br["texts"], br["positive"], br["negative"], br["net"]) == (4, 0.75, 0.25, 0.5)
    de = next(r for r in agg["by_market"] if r["market"] == "DE")
    assert de["net"] == 0.0 and de["neutral"] == 1.0
    assert sentiment_rows(store, "other", "c")["by_market"] == []


def test_comments_are_scored_by_market_and_language(tracked):
    store, c, summary = tracked
    assert summary.texts_scored == 4 + 2  # four comments and two UGC captions
    rows = dict(
        store.raw.execute(
            "SELECT text_id, sentiment FROM campaign_texts WHERE campaign_id = ? AND text_kind = 'comment'",
            [c["campaign_id"]],
        ).fetchall()
    )
    assert rows["k0"] == "positive" and rows["k1"] == "negative"
    langs = dict(store.raw.execute("SELECT text_id, language FROM campaign_texts").fetchall())
    assert langs["k3"] == "ar" and langs["k2"] == "de"


# ------------------------------------------------------------------------------ CLI


def test_campaign_cli_end_to_end(runner, settings, store, tmp_path):
    _seed(store)
    store.close()
    spec = tmp_path / "campaign.yaml"
    spec.write_text(yaml.safe_dump(SPEC, allow_unicode=True))
    db = ["--db", settings.db]
    created = runner.invoke(app, ["campaign", "create", str(spec), *db, "--format", "json"])
    assert created.exit_code == 0, created.output
    cid = json.loads(created.output)["campaign_id"]
    listed = runner.invoke(app, ["campaign", "list", *db, "--format", "json"])
    assert json.loads(listed.output)[0]["placements"] == 3
    tracked = runner.invoke(app, ["campaign", "track", cid, *db, "--format", "json"])
    assert json.loads(tracked.output)[0]["deliverables"] == 4
    status = runner.invoke(app, ["campaign", "status", "Solara summer", *db, "--format", "csv"])
    assert status.exit_code == 0 and "missing" in status.output
    sales = _sales(tmp_path, ["o1,2026-10-11,100.00,EUR,ANA10,,"])
    imported = runner.invoke(app, ["campaign", "import-sales", cid, str(sales), *db])
    assert imported.exit_code == 0 and "1 new" in imported.output
    out = tmp_path / "r.json"
    report = runner.invoke(app, ["report", cid, "--format", "json", "--out", str(out), *db])
    assert report.exit_code == 0, report.output
    assert json.loads(out.read_text())["summary"]["revenue"] == "100.00"
    closed = runner.invoke(app, ["campaign", "close", cid, *db])
    assert closed.exit_code == 0 and "closed" in closed.output


def test_campaign_cli_bad_input_is_one_line(runner, settings, tmp_path):
    spec = tmp_path / "c.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "start": "someday"}))
    result = runner.invoke(app, ["campaign", "create", str(spec), "--db", settings.db])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "start" in result.output and result.output.count("\n") == 1
    missing = runner.invoke(app, ["campaign", "show", "nope", "--db", settings.db])
    assert missing.exit_code == 1 and "no campaign 'nope'" in missing.output


def test_the_example_campaign_file_is_valid():
    from microscout.tracking import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "examples" / "campaign.yaml")
    assert spec.tracking.code_prefix == "SOLARA" and len(spec.placements) == 2
    assert spec.placements[0].promo_code == "ANA10" and spec.tracking.keywords["pt"] == ["protetor solar solara"]


def test_forgetting_a_booked_creator_keeps_the_orders_without_them(tracked, tmp_path, settings):
    from microscout.privacy import forget_creator

    store, c, _ = tracked
    import_sales(store, WS, c["campaign_id"], _sales(tmp_path, ["o1,2026-10-11,100.00,EUR,ANA10,,"]))
    forget_creator(store, "instagram", "ig1", workspace=WS)
    assert store.raw.execute("SELECT count(*) FROM campaign_posts WHERE creator_id = 'ig1'").fetchone()[0] == 0
    assert store.raw.execute("SELECT creator_id, revenue FROM campaign_sales").fetchall() == [(None, Decimal("100.00"))]
    doc = campaign_results(store, WS, c["campaign_id"], settings=settings, now=NOW)
    assert doc["summary"]["revenue"] == "100.00"
    assert "[removed]" in [r["creator"].split(":")[1] for r in doc["creators"]]
