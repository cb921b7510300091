"""Commands that find creators: search, show, demo."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from microscout.cli import (
    DbOption,
    EngineOption,
    FormatOption,
    OutputFormat,
    WorkspaceOption,
    app,
    console,
    emit,
    handle_errors,
    make_settings,
    progress_bar,
)
from microscout.store import connect

SHORTLIST_COLUMNS = ["rank", "creator", "market", "tier", "followers", "ER", "score", "components"]
SHORT_NAMES = {"topic": "topic", "market": "mkt", "engagement": "eng", "authenticity": "auth", "cost": "cost"}


def _shortlist_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Compact rows for the terminal; the reasons are in --format json/csv and the report."""
    out = []
    for r in rows:
        parts = [
            f"{SHORT_NAMES.get(c['name'], c['name'])} {'—' if c['value'] is None else round(100 * c['value'])}"
            for c in r["components"]
        ]
        if r["flags"]:
            parts.append("⚠ " + "; ".join(r["flags"]))
        out.append(
            {
                "rank": r["rank"],
                "creator": r["creator"],
                "market": r["market"],
                "tier": r["tier"],
                "followers": r["followers"],
                "ER": None if r["er"] is None else f"{100 * r['er']:.2f}%",
                "score": r["score"],
                "components": " · ".join(parts),
            }
        )
    return out


@app.command("search")
@handle_errors
def search_cmd(
    brief_path: Annotated[
        Path | None, typer.Argument(metavar="[BRIEF]", help="Campaign brief (YAML or JSON); optional with --like.")
    ] = None,
    like: Annotated[
        str | None,
        typer.Option("--like", help="Lookalikes of this creator (platform:handle), within the brief if given."),
    ] = None,
    db: DbOption = "./microscout.duckdb",
    engine: EngineOption = "duckdb",
    workspace: WorkspaceOption = "default",
    limit: Annotated[int, typer.Option("--limit", help="Creators in the shortlist.")] = 25,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Rank creators for a campaign brief (or like a creator), with the reasons behind each score."""
    from microscout.brief import load_brief
    from microscout.errors import InvalidInputError
    from microscout.matching import lookalike_brief, search

    if brief_path is None and like is None:
        raise InvalidInputError("give a BRIEF file, --like platform:handle, or both")
    settings = make_settings(db, engine, workspace)
    with connect(settings.db, settings=settings) as store:
        if brief_path is not None:
            brief = load_brief(brief_path, reference_dir=settings.reference_dir)
        else:
            assert like is not None
            brief = lookalike_brief(store, like)
        result = search(store, brief, workspace=settings.workspace, limit=limit, like=like)
    if output is OutputFormat.json:
        emit([result.to_dict()], output)
        return
    if output is OutputFormat.csv:
        emit(
            [
                {k: r[k] for k in ("rank", "creator", "display_name", "market", "tier", "followers", "er", "score")}
                | {f"{c['name']}_value": c["value"] for c in r["components"]}
                | {f"{c['name']}_reason": c["reason"] for c in r["components"]}
                | {"flags": "; ".join(r["flags"])}
                for r in result.rows
            ],
            output,
        )
        return
    emit(
        _shortlist_rows(result.rows),
        output,
        columns=SHORTLIST_COLUMNS,
        title=f"Shortlist for {brief.brand} ({result.candidates:,} candidates)",
    )
    for note in result.notes:
        console.print(f"[dim]note: {note}[/dim]")


def _pct(v: Any, digits: int = 2) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}%"


def creator_card(d: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The creator card's sections as (title, [(label, text)]) for the terminal."""
    band = "—"
    if d["benchmark_low"] is not None:
        band = f"{_pct(d['benchmark_low'])}–{_pct(d['benchmark_high'])}: {d['benchmark_position'] or 'n/a'}"
    pctl = (
        "—"
        if d["er_posterior_percentile"] is None
        else (f"{100 * d['er_posterior_percentile']:.0f}th of {d['peer_count']:,} {d['tier']} peers")
    )
    residual = "—" if d["er_residual"] is None else f"{10 ** d['er_residual']:.2f}× the expected ER"
    return [
        ("Account", [
            ("followers", "—" if d["followers"] is None else f"{d['followers']:,} ({d['tier']})"),
            ("following / posts", f"{d['following'] or '—'} / {d['posts_count'] or '—'}"),
            ("country / language", f"{d['declared_country'] or '—'} / {d['declared_language'] or '—'}"),
        ]),
        ("Engagement", [
            ("ER by followers", f"{_pct(d['er_followers'])} median, {_pct(d['er_followers_mean'])} mean "
                                f"(last {d['posts_in_window'] or 0} posts)"),
            ("ER by views", f"{_pct(d['er_views'])} median, {_pct(d['er_views_mean'])} mean"),
            ("posterior ER", f"{_pct(d['er_posterior'])} (90% interval {_pct(d['er_low'])}–{_pct(d['er_high'])}; "
                             f"prior {_pct(d['er_prior'])})"),
            ("percentile", pctl),
            ("vs follower curve", f"expected {_pct(d['expected_er'])}; {residual}"),
            ("benchmark band", band),
        ]),
        ("Behaviour", [
            ("posts per week", "—" if d["posts_per_week"] is None else f"{d['posts_per_week']:.1f}"),
            ("days since last post", "—" if d["days_since_last_post"] is None else f"{d['days_since_last_post']:.0f}"),
            ("consistency (CV)", "—" if d["engagement_cv"] is None else f"{d['engagement_cv']:.2f}"),
            ("growth 30 / 90 days", f"{_pct(d['growth_30d'], 1)} / {_pct(d['growth_90d'], 1)}"),
            ("sponsored", f"{_pct(d['sponsored_share'], 0)} of posts; ER {_pct(d['sponsored_er'])} "
                          f"vs organic {_pct(d['organic_er'])}"),
            ("comments per like", "—" if d["comment_like_ratio"] is None else f"{d['comment_like_ratio']:.3f}"),
            ("reply rate", _pct(d["reply_rate"], 0)),
        ]),
    ]  # fmt: skip


@app.command("show")
@handle_errors
def show_cmd(
    creator: Annotated[str, typer.Argument(help="platform:handle (a bare handle if unique).")],
    db: DbOption = "./microscout.duckdb",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show a creator card: engagement with its interval, peers, benchmark band and behaviour."""
    from rich.table import Table

    from microscout.creators import creator_detail

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        detail = creator_detail(store, creator)
    if output is not OutputFormat.table:
        emit([detail], output)
        return
    title = detail["creator"] + (f" — {detail['display_name']}" if detail["display_name"] else "")
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for section, rows in creator_card(detail):
        table.add_section()
        table.add_row(f"[underline]{section}[/underline]", "")
        for label, text in rows:
            table.add_row(label, text)
    console.print(table)
    if detail["profile_version"] is None:
        console.print("[dim]not profiled yet: run microscout profile[/dim]")


@app.command("demo")
@handle_errors
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo store, world and report.")] = Path("demo"),
    brief_path: Annotated[Path, typer.Option("--brief", help="Brief to search for.")] = Path("examples/brief.yaml"),
    creators: Annotated[int, typer.Option("--creators", help="Creators in the sample world.")] = 3000,
    posts_per_creator: Annotated[int, typer.Option("--posts-per-creator")] = 30,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Run the whole flow on a sample world: demo/report.html (shortlist) and demo/campaign-report.html/.pdf."""
    from microscout.brief import load_brief
    from microscout.demo import run_demo

    settings = make_settings(str(out / "microscout.duckdb"))
    brief = load_brief(brief_path, reference_dir=settings.reference_dir)
    started = time.perf_counter()
    with progress_bar(transient=False) as update:
        result = run_demo(
            out,
            brief,
            settings=settings,
            creators=creators,
            posts_per_creator=posts_per_creator,
            seed=seed,
            progress=update,
            step=lambda msg: console.print(f"[bold]•[/bold] {msg}"),
        )
    emit(
        _shortlist_rows(result.search.rows[:15]),
        OutputFormat.table,
        columns=SHORTLIST_COLUMNS,
        title=f"Shortlist for {brief.brand} ({result.search.candidates:,} candidates)",
    )
    for note in result.search.notes:
        console.print(f"[dim]note: {note}[/dim]")
    if result.campaign is not None:
        c = result.campaign
        s = c.summary
        console.print(
            f"Campaign {c.campaign_id}: {s['deliverables_delivered']}/{s['deliverables_expected']} deliverables "
            f"({s['late']} late, {s['missing']} missing), {s['disclosure_issues']} disclosure issue(s), "
            f"{s['ugc_posts']} UGC posts, EMV {s['emv']:,.0f} USD, ROAS {s['roas'] if s['roas'] is not None else '—'}",
            highlight=False,
        )
        if c.team:
            t = c.team
            stages = ", ".join(f"{n} {k}" for k, n in t["pipeline"].items() if n)
            alerts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in t["alerts"].items()) or "none"
            console.print(
                f"Team: list '{t['list']}' ({t['listed']} creators), {t['notes']} notes; pipeline: {stages}; "
                f"alerts: {alerts} (microscout alerts --db {result.db_path})",
                highlight=False,
            )
        for note in c.notes:
            console.print(f"[dim]note: {note}[/dim]")
    campaign_paths = f"\nCampaign report: {result.campaign.html} and {result.campaign.pdf}" if result.campaign else ""
    console.print(
        f"Store:  {result.db_path}\nReport: {result.report_path}{campaign_paths}\n"
        f"Done in {time.perf_counter() - started:.0f} s."
    )
