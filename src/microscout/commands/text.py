"""``microscout text …``: text understanding on files of one text per line.

Every command reads FILE (``-`` = stdin) one text per line and writes exactly one answer per input
line, in order, so the output lines up with the input (empty lines included). Other text commands
(sentiment, niche, train-sentiment) register on :data:`text_app` from their own modules and reuse
:class:`TextFormat`, :func:`read_batches` and :func:`write_lines`.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from microscout.cli import app, handle_errors, progress_bar
from microscout.config import Settings
from microscout.errors import InvalidInputError

text_app = typer.Typer(
    help="Text understanding, one text per line: language, brand safety, sentiment, niche.", no_args_is_help=True
)
app.add_typer(text_app, name="text")

BATCH_LINES = 50_000


class TextFormat(StrEnum):
    plain = "plain"
    jsonl = "jsonl"


FileArgument = Annotated[str, typer.Argument(help="Text file, one text per line (UTF-8); - reads stdin.")]
TextFormatOption = Annotated[
    TextFormat, typer.Option("--format", "-f", help="plain: one answer per line; jsonl: one JSON object per line.")
]


def read_batches(path: str, size: int = BATCH_LINES) -> Iterator[list[str]]:
    """Lines of ``path`` (``-`` = stdin) in batches, without their line endings; undecodable bytes
    become U+FFFD. Raises :class:`InvalidInputError` when the file cannot be opened."""
    if path == "-":
        stream: Any = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline=None)
        close = False
    else:
        try:
            stream = open(Path(path), encoding="utf-8", errors="replace", newline=None)  # noqa: SIM115
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        close = True
    try:
        batch: list[str] = []
        for line in stream:
            batch.append(line[:-1] if line.endswith("\n") else line)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        if close:
            stream.close()
        else:
            stream.detach()


def write_lines(lines: list[str]) -> None:
    """Write answers, one per line (an answer never contains a line break)."""
    if lines:
        sys.stdout.write("\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n")
        sys.stdout.flush()


def _jsonl(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@text_app.command("language")
@handle_errors
def language_cmd(
    file: FileArgument,
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages",
            "-l",
            help="Comma-separated ISO 639-1 codes the answer may be (default: MICROSCOUT_LANGUAGES or the "
            "sample world's en,es,pt,fr,de,it,id,ja,hi,tr,ar).",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", help="und below this confidence, 0..1 (default: MICROSCOUT_LANGUAGE_THRESHOLD, 0.3)."
        ),
    ] = None,
    output: TextFormatOption = TextFormat.plain,
) -> None:
    """Language of each line: an ISO 639-1 code, or und when empty, too short, unsure or unsupported."""
    from microscout.text.language import get_identifier

    settings = Settings()
    ident = get_identifier(
        languages if languages is not None else (settings.languages or None),
        settings.language_threshold if threshold is None else threshold,
    )
    done = 0
    with progress_bar() as update:
        for batch in read_batches(file):
            result = ident.detect(batch)
            if output is TextFormat.plain:
                write_lines(result.codes)
            else:
                write_lines(
                    [
                        _jsonl({"language": c, "confidence": round(float(p), 4), "reason": r})
                        for c, p, r in zip(result.codes, result.confidence.tolist(), result.reasons, strict=True)
                    ]
                )
            done += len(batch)
            update("language", done, 0)


@text_app.command("safety")
@handle_errors
def safety_cmd(
    file: FileArgument,
    competitors: Annotated[
        str | None, typer.Option("--competitors", "-c", help="Comma-separated competitor brands to flag.")
    ] = None,
    all_lexicons: Annotated[
        bool,
        typer.Option(
            "--all-lexicons",
            help="Apply every language's lexicon to every line (default: the line's detected language, English "
            "and brand terms; every lexicon when the language is und).",
        ),
    ] = False,
    output: TextFormatOption = TextFormat.plain,
) -> None:
    """Brand-safety flags of each line: comma-separated categories, empty when none, unsupported when the
    line's language has no lexicon; jsonl adds the matched terms."""
    from microscout.text.language import settings_identifier
    from microscout.text.safety import UNSUPPORTED, get_scanner

    settings = Settings()
    brands = [c for c in (competitors or "").split(",") if c.strip()]
    scanner = get_scanner(settings.reference_dir, brands)
    ident = None if all_lexicons else settings_identifier(settings)
    done = 0
    with progress_bar() as update:
        for batch in read_batches(file):
            langs = None
            if ident is not None:
                found = ident.detect(batch)
                langs = [
                    UNSUPPORTED if r in ("unsupported", "other") else c
                    for c, r in zip(found.codes, found.reasons, strict=True)
                ]
            results = scanner.scan(batch, langs)
            if output is TextFormat.plain:
                write_lines([",".join(r.flags) or ("" if r.supported else "unsupported") for r in results])
            else:
                write_lines(
                    [
                        _jsonl({"flags": list(r.flags), "matches": r.evidence(), "supported": r.supported})
                        for r in results
                    ]
                )
            done += len(batch)
            update("safety", done, 0)
