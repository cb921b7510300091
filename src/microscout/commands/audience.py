"""``microscout audience``: train, run and measure the audience-account (fake follower) classifier."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated

import typer

from microscout.cli import FormatOption, OutputFormat, app, console, emit, handle_errors, progress_bar, safe_cell
from microscout.errors import InvalidInputError

audience_app = typer.Typer(
    help="Audience authenticity: train, run and evaluate the fake-account classifier.", no_args_is_help=True
)
app.add_typer(audience_app, name="audience")

OUTPUT_COLUMNS = ("p_fake", "is_fake_pred", "mass_follower", "rule_flags")

LabeledOption = Annotated[
    list[Path],
    typer.Option(
        "--labeled",
        help="Labelled CSV: canonical columns + is_fake (0/1), or Purba's file (class r/a/i/s). Repeatable.",
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="A model file from 'audience train', or 'rules' (default: the bundled model)."),
]


@audience_app.command("train")
@handle_errors
def train_cmd(
    labeled: LabeledOption,
    out: Annotated[Path, typer.Option("--out", help="Model file to write (skops archive, e.g. model.skops).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same files and seed, same model).")] = 20_240_601,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Train a calibrated fake-account classifier on labelled accounts."""
    from microscout.authenticity.accounts import train_files

    with progress_bar() as update:
        model = train_files(list(labeled), seed=seed, progress=update)
    try:
        model.save(out)
    except OSError as exc:
        raise InvalidInputError(f"{out}: cannot write the model ({exc.strerror or exc})") from exc
    rows = [
        {
            "member": i + 1,
            "learner": m.learner,
            "rows": m.rows,
            "fake": m.fake,
            "columns": ", ".join(m.columns),
        }
        for i, m in enumerate(model.members)
    ]
    emit(rows, output, title=f"Model written to {out}")


@audience_app.command("classify")
@handle_errors
def classify_cmd(
    input_path: Annotated[Path, typer.Option("--input", help="CSV of audience accounts (canonical or Purba columns).")],
    output_path: Annotated[Path, typer.Option("--output", help="CSV to write: the input rows plus the scores.")],
    model: ModelOption = None,
) -> None:
    """Score accounts: adds p_fake (0-1), is_fake_pred (0/1 at the model's threshold) and mass_follower."""
    from microscout.authenticity.accounts import classify, load_model
    from microscout.authenticity.features import read_accounts

    table = read_accounts(input_path)
    scorer = load_model(model)
    scores = classify(scorer, table.accounts)
    raw = table.raw.drop(columns=[c for c in OUTPUT_COLUMNS if c in table.raw.columns])
    header = [*map(str, raw.columns), *map(str, scores.columns)]
    values = scores.astype(object).where(scores.notna(), None)
    try:
        with output_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([safe_cell(h) for h in header])
            for cells, score in zip(raw.itertuples(index=False), values.itertuples(index=False), strict=True):
                writer.writerow([safe_cell(c) for c in cells] + ["" if v is None else safe_cell(v) for v in score])
    except OSError as exc:
        raise InvalidInputError(f"{output_path}: cannot write ({exc.strerror or exc})") from exc
    n = len(scores)
    fake = int(scores["is_fake_pred"].fillna(0).sum())
    mass = int(scores["mass_follower"].fillna(0).sum())
    share = f" ({100 * fake / n:.1f} %)" if n else ""
    console.print(
        f"{n:,} accounts scored with the {scorer.name} model (threshold {scorer.threshold:g}): "
        f"{fake:,} predicted fake{share}, {mass:,} mass followers → {output_path}"
    )


@audience_app.command("evaluate")
@handle_errors
def evaluate_cmd(
    labeled: LabeledOption,
    model: ModelOption = None,
    cv: Annotated[
        int | None,
        typer.Option("--cv", help="Stratified K-fold cross-validation on the file(s), training as 'train' does."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the CV split and the models.")] = 20_240_601,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Accuracy, precision, recall, F1 (fake class), ROC-AUC, Brier score and a reliability table."""
    from microscout.authenticity.accounts import (
        THRESHOLD,
        binary_metrics,
        cross_validate,
        cv_metrics,
        expected_calibration_error,
        load_model,
        reliability_table,
    )
    from microscout.authenticity.features import read_labeled

    table = read_labeled(list(labeled))
    assert table.labels is not None
    y = table.labels
    if cv is not None:
        if model is not None:
            raise InvalidInputError("--cv trains fresh models on the file; leave out --model")
        with progress_bar() as update:
            p, fold = cross_validate(table.accounts, y, folds=cv, groups=table.groups, seed=seed, progress=update)
        summary = cv_metrics(y, p, fold, THRESHOLD)
        name, threshold = f"{cv}-fold cross-validation", THRESHOLD
        metric_rows = [{"metric": m, **{k: _num(v) for k, v in s.items()}} for m, s in summary.items()]
        columns = ["metric", "mean", "sd", "pooled"]
    else:
        scorer = load_model(model)
        p = scorer.predict_proba(table.accounts)
        name, threshold = f"{scorer.name} model", scorer.threshold
        metric_rows = [{"metric": m, "value": _num(v)} for m, v in binary_metrics(y, p, threshold).items()]
        columns = ["metric", "value"]
    reliability = [
        {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in reliability_table(y, p)
    ]
    ece = expected_calibration_error(y, p)
    info = {
        "evaluation": name,
        "files": [str(s) for s in table.sources],
        "rows": len(y),
        "fake": int(y.sum()),
        "threshold": threshold,
        "expected_calibration_error": _num(ece),
    }
    if output is OutputFormat.json:
        emit([{**info, "metrics": metric_rows, "reliability": reliability}], output)
        return
    if output is OutputFormat.csv:
        flat = [{"section": "metric", **r} for r in metric_rows]
        flat += [{"section": "reliability", **r} for r in reliability]
        extra = ["bin", "n", "mean_p_fake", "observed_fake_rate"]
        emit(flat, output, columns=["section", "metric", *columns[1:], *extra])
        return
    console.print(
        f"{name} on {len(y):,} accounts ({int(y.sum()):,} fake) from {', '.join(map(str, table.sources))}; "
        f"threshold {threshold:g}"
    )
    emit(metric_rows, output, title="Fake class (1 = fake)", columns=columns)
    emit(reliability, output, title=f"Reliability (expected calibration error {ece:.4f})")


def _num(value: float) -> float | None:
    """Rounded for display; None (empty, JSON null) when undefined, e.g. ROC-AUC on one class."""
    return round(value, 4) if math.isfinite(value) else None
