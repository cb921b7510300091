"""``microscout text sentiment`` and ``microscout text train-sentiment``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from microscout.cli import console, err_console, handle_errors, progress_bar
from microscout.commands.text import FileArgument, TextFormat, TextFormatOption, read_batches, text_app, write_lines
from microscout.config import Settings

BATCH_LINES = 2000  # lines scored per batch: answers stream out, memory stays bounded


@text_app.command("sentiment")
@handle_errors
def sentiment_cmd(
    file: FileArgument,
    output: TextFormatOption = TextFormat.plain,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="A model file written by train-sentiment, or a local transformers model folder "
            "(transformers extra); default: the bundled model.",
        ),
    ] = None,
) -> None:
    """Sentiment of each line: negative, neutral or positive.

    jsonl adds the three probabilities and score = p(positive) - p(negative) in -1..1.
    An empty line gives an empty answer (jsonl: nulls), so the output lines up with the input.
    """
    from microscout.text.sentiment import LABELS, load_model

    predictor = load_model(model)
    done = 0
    with progress_bar() as update:
        for batch in read_batches(file, BATCH_LINES):
            proba = predictor.predict_proba(batch)
            answers = []
            for text, row in zip(batch, proba.tolist(), strict=True):
                empty = not text.strip()
                if output is TextFormat.plain:
                    answers.append("" if empty else LABELS[max(range(3), key=row.__getitem__)])
                    continue
                if empty:
                    record: dict[str, object] = {"label": None, **dict.fromkeys(LABELS), "score": None}
                else:
                    record = {
                        "label": LABELS[max(range(3), key=row.__getitem__)],
                        **{label: round(p, 4) for label, p in zip(LABELS, row, strict=True)},
                        "score": round(row[2] - row[0], 4),
                    }
                answers.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            write_lines(answers)
            done += len(batch)
            update("text sentiment", done, 0)


@text_app.command("train-sentiment")
@handle_errors
def train_sentiment_cmd(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder of <language>/train_text.txt + train_labels.txt (and val_*) "
            "(default: MICROSCOUT_EVAL_DATA/umsab).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Model file to write (default: the bundled model, src/.../text/models)."),
    ] = None,
    cv: Annotated[int, typer.Option("--cv", min=2, max=20, help="Cross-validation folds on train.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds and the SVMs.")] = 0,
) -> None:
    """Train the sentiment model; hyperparameters chosen by cross-validation on train only.

    Prints the macro-F1 per language from cross-validation on train and, when val_* files exist, on val.
    """
    from microscout.text.sentiment import DEFAULT_MODEL_PATH, TARGET_MACRO_F1, train

    folder = data if data is not None else Settings().eval_data / "umsab"
    with progress_bar() as update:
        model, report = train(folder, cv=cv, seed=seed, progress=update)
    path = model.save(out if out is not None else DEFAULT_MODEL_PATH)

    table = Table(title=f"Sentiment macro-F1 ({report.cv_folds}-fold CV on train; val)")
    table.add_column("language")
    table.add_column("CV train", justify="right")
    table.add_column("val", justify="right")
    for lang in sorted(set(report.cv_macro_f1) | set(report.val_macro_f1)):
        cv_f1, val_f1 = report.cv_macro_f1.get(lang), report.val_macro_f1.get(lang)
        table.add_row(lang, "—" if cv_f1 is None else f"{cv_f1:.3f}", "—" if val_f1 is None else f"{val_f1:.3f}")
    cv_avg, val_avg = report.average(report.cv_macro_f1), report.average(report.val_macro_f1)
    table.add_row(
        "average",
        "—" if cv_avg is None else f"{cv_avg:.3f}",
        "—" if val_avg is None else f"{val_avg:.3f}",
        style="bold",
    )
    console.print(table)
    params = ", ".join(f"{k}={v:g}" for k, v in report.params.items())
    console.print(f"target {TARGET_MACRO_F1:.2f} · chosen by CV: {params} · {report.n_train:,} train texts")
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {report.seconds:.0f} s", highlight=False)
