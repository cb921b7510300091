"""The demo's campaign: plan the brief, book the plan, simulate what the campaign produced, track
it, import its sales and write ``campaign-report.html`` and ``.pdf``.

When the brief cannot be met on the small demo world (its markets' budget shares assume more, and
dearer, creators than a few thousand offer), the demo plans again without the budget shares, then
without the minimum creator counts, and says so; if even that fails, the campaign books the
best-value candidates of each target market within the budget.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from microscout.brief import Brief
from microscout.config import Settings
from microscout.ingest import ingest_files
from microscout.plan import Candidates, PlanOptions, candidates_for_plan, plan_brief, save_plan
from microscout.report.campaign import write_campaign_report
from microscout.sample.campaign import simulate_campaign
from microscout.store import Store
from microscout.tracking import campaign_results, create_campaign, import_sales, parse_spec, track_campaign
from microscout.tracking.sales import SalesImport

__all__ = ["Booked", "CampaignDemo", "book_campaign", "campaign_spec", "execute_campaign", "run_campaign_demo"]

PER_MARKET_FALLBACK = 3


def _without_shares(brief: Brief) -> Brief:
    return brief.model_copy(update={"markets": [m.model_copy(update={"budget_share": None}) for m in brief.markets]})


def _without_minimums(brief: Brief) -> Brief:
    markets = [m.model_copy(update={"budget_share": None, "min_creators": None}) for m in brief.markets]
    return brief.model_copy(update={"markets": markets})


_RELAXATIONS = (
    (_without_shares, "planning again without the markets' budget shares"),
    (_without_minimums, "planning again without the markets' minimum creator counts"),
)


@dataclass
class CampaignDemo:
    campaign_id: str
    plan_id: str | None
    html: Path
    pdf: Path
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    team: dict[str, Any] = field(default_factory=dict)


def campaign_spec(brief: Brief, *, start: dt.date, due: dt.date, plan_id: str | None) -> dict[str, Any]:
    """A campaign file for ``brief``: the brand as hashtag, mention and keyword, per-creator codes."""
    slug = re.sub(r"[^0-9a-z]+", "", brief.brand.lower())
    word = re.sub(r"[^0-9A-Z]+", "", brief.brand.split()[0].upper()) or "CODE"
    return {
        "name": f"{brief.brand} — launch",
        "brand": brief.brand,
        "start": start.isoformat(),
        "due": due.isoformat(),
        "currency": brief.budget.currency,
        "budget": float(brief.budget.amount),
        **({"plan": plan_id} if plan_id else {}),
        "tracking": {
            "hashtags": [f"{slug}summer", slug],
            "mentions": [slug],
            "keywords": {"*": [brief.brand.lower()]},
            "competitors": list(brief.competitors),
            "code_prefix": word,
        },
    }


def _fallback_placements(brief: Brief, cands: Candidates) -> list[dict[str, Any]]:
    """The best-value candidates of each target market (up to 3 each) within the budget, at their
    estimated prices."""
    wanted = {m.country for m in brief.markets}
    frame = cands.frame.sort_values("value", ascending=False)
    counts: dict[str, int] = {}
    spent = Decimal(0)
    out = []
    for row in frame.itertuples(index=False):
        market = str(row.market)
        price = Decimal(str(row.price_mid))
        if market not in wanted or counts.get(market, 0) >= PER_MARKET_FALLBACK:
            continue
        if spent + price > Decimal(str(brief.budget.amount)):
            continue
        counts[market] = counts.get(market, 0) + 1
        spent += price
        out.append(
            {
                "creator": str(row.creator),
                "market": market,
                "deliverables": [{"kind": d.kind, "count": d.count} for d in brief.deliverables],
                "fee": float(price),
            }
        )
    return out


@dataclass
class Booked:
    """A campaign booked from a brief: its id, the plan it came from, the candidates, what was relaxed."""

    campaign_id: str
    plan_id: str | None
    candidates: Candidates
    notes: list[str]


def book_campaign(store: Store, brief: Brief, *, settings: Settings, now: dt.datetime) -> Booked:
    """Plan ``brief`` (relaxing what a small world cannot meet, see the module doc) and book it."""
    workspace = settings.workspace
    notes: list[str] = []
    cands = candidates_for_plan(store, brief, workspace=workspace, day=now.date())
    options = PlanOptions(time_limit=20)
    plan = plan_brief(store, brief, workspace=workspace, options=options, save=False, candidates=cands)
    for relax, why in _RELAXATIONS:
        if plan.feasible:
            break
        notes.append(f"the plan is {plan.status} on this small world ({'; '.join(plan.explanation[:1])}): {why}")
        brief = relax(brief)
        plan = plan_brief(store, brief, workspace=workspace, options=options, save=False, candidates=cands)
    plan_id = save_plan(store, plan, workspace=workspace) if plan.feasible else None
    spec = campaign_spec(brief, start=(now - dt.timedelta(days=30)).date(), due=(now - dt.timedelta(days=8)).date(),
                         plan_id=plan_id)  # fmt: skip
    if plan_id is None:
        spec["placements"] = _fallback_placements(brief, cands)
        notes.append("no plan: the campaign books the best-value creators of each market within the budget")
    campaign = create_campaign(store, workspace, parse_spec(spec, "demo campaign"), now=now)
    return Booked(campaign["campaign_id"], plan_id, cands, notes)


def execute_campaign(
    store: Store, campaign_id: str, folder: Path, *, settings: Settings, now: dt.datetime, seed: int = 11
) -> tuple[dict[str, Path], SalesImport]:
    """Simulate what the campaign produced, ingest it, track it and import its sales."""
    workspace = settings.workspace
    paths = simulate_campaign(store, workspace, campaign_id, folder, seed=seed, now=now)
    ingest_files(store, [paths["posts"], paths["comments"]], workspace=workspace, now=now)
    track_campaign(store, workspace, campaign_id, settings=settings, now=now)
    sales = import_sales(store, workspace, campaign_id, paths["sales"], now=now)
    return paths, sales


def run_campaign_demo(store: Store, out: Path, brief: Brief, *, settings: Settings, now: dt.datetime) -> CampaignDemo:
    """Plan, book, simulate, ingest, track, import sales and report (see the module doc)."""
    workspace = settings.workspace
    booked = book_campaign(store, brief, settings=settings, now=now)
    cid, plan_id, cands, notes = booked.campaign_id, booked.plan_id, booked.candidates, booked.notes
    _paths, sales = execute_campaign(store, cid, out / "campaign", settings=settings, now=now)
    notes.append(f"sales: {sales.inserted} order(s) imported, {sales.quarantined} row(s) quarantined")
    team = _team_work(store, workspace, cid, plan_id, cands, now=now)
    doc = campaign_results(store, workspace, cid, settings=settings, now=now)
    html = write_campaign_report(doc, "html", out / "campaign-report.html")
    pdf = write_campaign_report(doc, "pdf", out / "campaign-report.pdf")
    return CampaignDemo(cid, plan_id, html, pdf, doc["summary"], notes, team)


NOTES = (
    ("Replied within a day; prefers e-mail over DMs.", ["responsive"]),
    ("Asked for the product in the SPF 50 variant.", ["product"]),
    ("Audience skews 18-24; strong Reels performance last quarter.", ["audience"]),
)
ALERT_RULES = ("missing_disclosure", "late_deliverable", "budget_overrun", "sentiment_drop", "fraud_signal")


def _team_work(
    store: Store, workspace: str, cid: str, plan_id: str | None, cands: Candidates, *, now: dt.datetime
) -> dict[str, Any]:
    """What a PR team does around the campaign: a list, notes, the outreach pipeline and alerts."""
    from microscout.alerts import add_rule, evaluate_alerts
    from microscout.outreach import add_prospects, pipeline, set_status
    from microscout.tracking import deliverable_status, get_campaign
    from microscout.workspace import add_list_items, create_list, create_note

    placements = get_campaign(store, workspace, cid)["placements"]
    booked = [(p["platform"], p["creator_id"]) for p in placements if p["creator_id"]]
    listed = create_list(
        store, workspace, name="Booked creators", description="Everyone booked for the launch", now=now
    )
    add_list_items(store, workspace, listed["list_id"], booked, added_by="demo", now=now)
    for (platform, creator_id), (body, tags) in zip(booked, NOTES, strict=False):
        create_note(store, workspace, platform=platform, creator_id=creator_id, body=body, author="demo", tags=tags,
                    now=now)  # fmt: skip
    # the pipeline: booked creators went prospect → contacted → negotiating → booked; those whose
    # every deliverable arrived are delivered (the first of them paid); two more were approached
    extra = [
        (str(r.platform), str(r.creator_id))
        for r in cands.frame.sort_values("value", ascending=False).itertuples(index=False)
        if (str(r.platform), str(r.creator_id)) not in set(booked)
    ][:2]
    add_prospects(store, workspace, cid, booked + extra, "demo", now=now)
    done: dict[str, bool] = {}
    for slot in deliverable_status(store, workspace, cid, now=now):
        if slot["status"] != "extra":
            ok = slot["status"] in ("delivered", "late")
            done[slot["placement_id"]] = done.get(slot["placement_id"], True) and ok
    paid = 0
    for p in placements:
        if not p["creator_id"]:
            continue
        path = ["contacted", "negotiating", "booked"]
        if done.get(p["placement_id"]):
            path.append("delivered")
            if paid < 3:
                path.append("paid")
                paid += 1
        for status in path:
            set_status(store, workspace, cid, p["platform"], p["creator_id"], status, "demo", now=now)
    for k, (platform, creator_id) in enumerate(extra):
        set_status(store, workspace, cid, platform, creator_id, "contacted", "demo", now=now)
        if k == 1:
            set_status(store, workspace, cid, platform, creator_id, "declined", "demo", note="fee too high", now=now)
    for kind in ALERT_RULES:
        add_rule(store, workspace, kind, campaign_id=cid if kind != "fraud_signal" else None, now=now)
    alerts = evaluate_alerts(store, workspace, now=now)
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a["rule"]] = by_rule.get(a["rule"], 0) + 1
    return {
        "list": listed["name"],
        "listed": len(booked),
        "notes": min(len(booked), len(NOTES)),
        "pipeline": pipeline(store, workspace, cid)["counts"],
        "alerts": by_rule,
    }
