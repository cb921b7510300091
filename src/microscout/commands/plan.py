"""Commands that plan a campaign: ``plan``, ``overlap`` and ``bench plan``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

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
from microscout.commands.bench import bench_app
from microscout.errors import InvalidInputError
from microscout.store import connect

PLAN_COLUMNS = ["creator", "market", "tier", "followers", "price", "expected", "engagements 80%", "CPE 80%"]
CSV_COLUMNS = [
    "creator", "platform", "creator_id", "market", "tier", "followers", "price", "price_low", "price_high",
    "currency", "expected_value", "engagements_low", "engagements_high", "authentic_engagements_low",
    "authentic_engagements_high", "reach_low", "reach_high", "cpe_low", "cpe_high", "cpm_low", "cpm_high",
    "authentic_basis", "market_basis",
]  # fmt: skip


def _num(value: Any, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _range(entry: dict[str, Any] | None, digits: int = 0) -> str:
    if not entry or entry.get("low") is None:
        return "—"
    return f"{_num(entry['low'], digits)}–{_num(entry['high'], digits)}"


def _print_plan(result: dict[str, Any]) -> None:
    from microscout.cost.money import format_money

    currency = result["currency"]
    rows = [
        {
            "creator": r["creator"],
            "market": r["market"],
            "tier": r["tier"],
            "followers": r["followers"],
            "price": format_money(Decimal(r["price"]), currency),
            "expected": _num(r["expected_value"]),
            "engagements 80%": _range({"low": r.get("engagements_low"), "high": r.get("engagements_high")}),
            "CPE 80%": _range({"low": r.get("cpe_low"), "high": r.get("cpe_high")}, 2),
        }
        for r in result["creators"]
    ]
    kpi = result["kpi"].replace("_", " ")
    if rows:
        emit(rows, OutputFormat.table, columns=PLAN_COLUMNS, title=f"Plan for {result['brand']} — KPI: {kpi}")
    gap = "—" if result["gap"] is None else f"{100 * result['gap']:.3f} %"
    console.print(
        f"status [bold]{result['status']}[/bold] · gap {gap} · {result['seconds']:.2f} s · "
        f"{len(result['creators'])} creators of {result['candidates']:,} candidates · "
        f"{result['overlap_pairs']} overlap pair(s)"
    )
    if result["expected_value"] is not None:
        greedy = result["greedy"]
        pct = f"{100 * greedy['value'] / result['expected_value']:.1f} %" if result["expected_value"] else "—"
        spent, budget = (
            format_money(Decimal(result["total_cost"]), currency),
            format_money(Decimal(result["budget"]), currency),
        )
        console.print(
            f"cost {spent} of {budget}"
            f" · expected {kpi} {_num(result['expected_value'])} · greedy {_num(greedy['value'])} ({pct} of the "
            f"optimum{'' if greedy['feasible'] else '; breaks: ' + '; '.join(greedy['unmet'])})"
        )
        f = result["forecast"]
        console.print(
            f"80 % intervals: engagements {_range(f.get('engagements'))}"
            f" · authentic {_range(f.get('authentic_engagements'))}"
            f" · reach {_range(f.get('reach'))} · CPE {_range(f.get('cpe'), 3)} · CPM {_range(f.get('cpm'), 2)}"
        )
    for line in result["limits"]:
        console.print(f"[dim]limit: {line}[/dim]")
    for line in result["notes"]:
        console.print(f"[dim]note: {line}[/dim]")
    if result["plan_id"]:
        console.print(f"saved as plan {result['plan_id']}")


def _parse_day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"--date: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


@app.command("plan")
@handle_errors
def plan_cmd(
    brief_path: Annotated[Path, typer.Argument(metavar="BRIEF", help="Campaign brief (YAML or JSON).")],
    db: DbOption = "./microscout.duckdb",
    engine: EngineOption = "duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the plan and its placements.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the forecast Monte Carlo.")] = 0,
    min_creators: Annotated[int | None, typer.Option("--min-creators", min=0, help="Fewest creators.")] = None,
    max_creators: Annotated[int, typer.Option("--max-creators", min=1, help="Most creators.")] = 50,
    max_per_niche: Annotated[
        int | None, typer.Option("--max-per-niche", min=0, help="Most creators per niche.")
    ] = None,
    max_per_platform: Annotated[
        int | None, typer.Option("--max-per-platform", min=0, help="Most creators per platform.")
    ] = None,
    overlap_threshold: Annotated[
        float, typer.Option("--overlap-threshold", min=0, max=1, help="Audience containment that is penalised.")
    ] = 0.05,
    overlap_penalty: Annotated[
        float, typer.Option("--overlap-penalty", min=0, help="Weight of the overlap penalty (0 = off).")
    ] = 1.0,
    share_tolerance: Annotated[
        float, typer.Option("--share-tolerance", min=0, max=1, help="A market's spend may be budget_share ± this.")
    ] = 0.05,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Solver time limit, seconds.")] = 60.0,
    day: Annotated[str | None, typer.Option("--date", help="Date of the exchange rates (default today).")] = None,
) -> None:
    """Choose creators for a brief under its budget and limits (MIP), with forecasts and the greedy plan.

    Maximises the brief's KPI minus an audience-overlap penalty; reports the solver status and gap,
    the greedy (value per cost) plan, and 80 % intervals for engagements, reach, CPE and CPM. An
    infeasible brief is explained (which limit, by how much) and exits with code 1.
    """
    from microscout.brief import load_brief
    from microscout.plan import PlanOptions, plan_brief, save_plan

    settings = make_settings(db, engine, workspace)
    brief = load_brief(brief_path, reference_dir=settings.reference_dir)
    options = PlanOptions(
        min_creators=min_creators,
        max_creators=max_creators,
        max_per_niche=max_per_niche,
        max_per_platform=max_per_platform,
        overlap_threshold=overlap_threshold,
        overlap_penalty=overlap_penalty,
        share_tolerance=share_tolerance,
        time_limit=time_limit,
        seed=seed,
    )
    with connect(settings.db, settings=settings) as store:
        result = plan_brief(store, brief, workspace=settings.workspace, options=options, day=_parse_day(day))
        if save and result.feasible:
            save_plan(store, result, workspace=settings.workspace)
    data = result.to_dict()
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=2) + "\n")
    elif output is OutputFormat.csv:
        emit(data["creators"], output, columns=CSV_COLUMNS)
    else:
        _print_plan(data)
    if not result.feasible:
        if output is OutputFormat.table:
            for line in result.explanation:
                console.print(f"cannot be met: {line}", markup=False, highlight=False)
        first = result.explanation[0] if result.explanation else result.status
        more = len(result.explanation) - 1
        raise InvalidInputError(f"the brief cannot be met: {first}" + (f" (and {more} more)" if more > 0 else ""))


def _creator_keys(store: Any, refs: list[str]) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str]]:
    from microscout.creators import resolve_creator

    keys: list[tuple[str, str]] = []
    names: dict[tuple[str, str], str] = {}
    for ref in refs:
        key = resolve_creator(store, ref)
        if key not in names:
            keys.append(key)
            names[key] = ref if ":" in ref else f"{key[0]}:{ref}"
    return keys, names


@app.command("overlap")
@handle_errors
def overlap_cmd(
    creators: Annotated[list[str], typer.Argument(metavar="CREATOR...", help="Two or more platform:handle.")],
    db: DbOption = "./microscout.duckdb",
    relation: Annotated[str, typer.Option("--relation", help="Audience sample: follower, commenter or both.")] = "both",
    num_perm: Annotated[int, typer.Option("--num-perm", min=16, max=1024, help="MinHash permutations.")] = 128,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Audience overlap between creators (MinHash over their follower / commenter samples).

    The table shows the estimated Jaccard similarity of the samples and, in brackets, the share of
    the smaller sample also in the other (containment); json and csv add the estimated shared audience.
    """
    from microscout.overlap import RELATIONS, overlap_matrix

    if len(creators) < 2:
        raise InvalidInputError("give at least two creators (platform:handle)")
    relations = RELATIONS if relation == "both" else (relation,)
    settings = make_settings(db)
    with connect(settings.db, settings=settings, read_only=False) as store:
        keys, names = _creator_keys(store, creators)
        pairs, notes = overlap_matrix(store, keys, relations=relations, num_perm=num_perm)
    rows = [p.to_dict(names) for p in pairs]
    if output is OutputFormat.json:
        matrix: list[list[float | None]] = [[None] * len(keys) for _ in keys]
        index = {k: i for i, k in enumerate(keys)}
        for p in pairs:
            i, j = index[p.a], index[p.b]
            matrix[i][j] = matrix[j][i] = round(p.jaccard, 4)
        for i in range(len(keys)):
            matrix[i][i] = 1.0
        body = {"creators": [names[k] for k in keys], "jaccard": matrix, "pairs": rows, "notes": notes}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        emit(
            rows,
            output,
            columns=["a", "b", "jaccard", "shared_sampled", "containment", "shared_audience", "sample_a", "sample_b"],
        )
        return
    lookup = {(p.a, p.b): p for p in pairs} | {(p.b, p.a): p for p in pairs}
    table = Table(title=f"Audience overlap: Jaccard (containment), {relation} samples, MinHash {num_perm}")
    table.add_column("")
    for k in keys:
        table.add_column(names[k], overflow="fold")
    for a in keys:
        cells = []
        for b in keys:
            hit = lookup.get((a, b))
            if a == b:
                cells.append("—")
            else:
                cells.append("no sample" if hit is None else f"{100 * hit.jaccard:.1f}% ({100 * hit.containment:.0f}%)")
        table.add_row(names[a], *cells)
    console.print(table)
    for note in notes:
        console.print(f"[dim]note: {note}[/dim]")


@bench_app.command("plan")
@handle_errors
def bench_plan_cmd(
    candidates: Annotated[int, typer.Option("--candidates", min=10, help="Candidates in the instance.")] = 20_000,
    picks: Annotated[int, typer.Option("--picks", min=1, help="Most creators in the plan.")] = 50,
    overlap_pairs: Annotated[int, typer.Option("--overlap-pairs", min=0, help="Audience-overlap pairs.")] = 6_000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Time the planner's MIP on a synthetic instance (8 markets with minimums, overlap pairs) vs greedy."""
    from microscout.bench.plan import bench_plan

    if overlap_pairs > candidates * (candidates - 1) // 2:
        raise InvalidInputError(f"--overlap-pairs {overlap_pairs} is more than the pairs of {candidates} candidates")
    with progress_bar():
        result = bench_plan(candidates=candidates, picks=picks, overlap_pairs=overlap_pairs, seed=seed)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key in (
        "candidates",
        "picks",
        "overlap_pairs",
        "status",
        "gap",
        "seconds",
        "optimal_value",
        "greedy_value",
        "greedy_pct_of_optimum",
    ):
        console.print(f"{key:>22}: {result[key]}")
