"""``microscout vet``: the vetting card of one creator."""

from __future__ import annotations

from typing import Annotated

import typer

from microscout.cli import DbOption, FormatOption, OutputFormat, app, console, emit, handle_errors, make_settings
from microscout.store import connect


@app.command("vet")
@handle_errors
def vet_cmd(
    creator: Annotated[str, typer.Argument(help="platform:handle (a bare handle if unique).")],
    db: DbOption = "./microscout.duckdb",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Vet a creator's audience: Audience Quality Score with its interval, reasons and evidence."""
    from rich.markup import escape
    from rich.table import Table

    from microscout.authenticity.vet import vet_creator

    settings = make_settings(db)
    with connect(settings.db, settings=settings) as store:
        card = vet_creator(store, creator, threshold=settings.aqs_threshold)
    if output is not OutputFormat.table:
        flat = {k: v for k, v in card.items() if k not in ("reasons", "checks")}
        flat["reasons"] = " | ".join(card["reasons"])
        for check in card["checks"]:
            flat[f"points_{check['check']}"] = check["points"]
        emit([flat] if output is OutputFormat.csv else [card], output)
        return
    aqs = card["aqs"]
    head = (
        "not vetted" if aqs is None else f"AQS {aqs:.0f} (90 % interval {card['aqs_low']:.0f}–{card['aqs_high']:.0f})"
    )
    console.print(f"[bold]{escape(card['creator'])}[/bold] — {head}: {card['verdict']}")
    if card["reasons"]:
        console.print("Reasons:")
        for reason in card["reasons"]:
            console.print(f"  • {reason}", markup=False)
    table = Table(title="Checks (points taken off 100)", title_justify="left")
    table.add_column("check")
    table.add_column("points", justify="right")
    for check in card["checks"]:
        pts = check["points"]
        table.add_row(check["title"], "not computed" if pts is None else f"{pts:.1f}")
    console.print(table)
    evidence = Table(title="Evidence", show_header=False, title_justify="left")
    for key in (
        "follower_sample", "suspicious_share", "suspicious_low", "suspicious_high", "mass_follower_share",
        "spike_at", "spike_followers", "spike_z", "spike_engagement_ratio", "comment_sample",
        "generic_comment_share", "pod_id", "pod_size", "pod_overlap", "er_followers", "expected_er",
        "comment_like_ratio",
    ):  # fmt: skip
        value = card.get(key)
        if value is not None:
            evidence.add_row(key, f"{value:.3f}" if isinstance(value, float) else escape(str(value)))
    console.print(evidence)
