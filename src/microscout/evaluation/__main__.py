"""``python -m microscout.evaluation``: run every evaluation and rewrite docs/accuracy.md."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from microscout.config import Settings
from microscout.evaluation import accounts as accounts_eval
from microscout.evaluation import authenticity, calibration, coverage, markets, niche, shortlist
from microscout.evaluation import language as language_eval
from microscout.evaluation import planning as planning_eval
from microscout.evaluation import sentiment as sentiment_eval
from microscout.evaluation import tracking as tracking_eval
from microscout.evaluation.worlds import EVAL_WORLDS, build_world, temporary_root
from microscout.store import Store

DOC = Path(__file__).resolve().parents[3] / "docs" / "accuracy.md"


SECTIONS: dict[str, Callable[[list[tuple[str, Store]], Path], str]] = {
    "calibration": lambda w, d: calibration.section(w, d),
    "coverage": lambda w, d: coverage.section(w, d),
    "niche": lambda w, d: niche.section(w, d),
    "accounts": lambda _w, d: accounts_eval.section(d),
    "authenticity": lambda w, _d: authenticity.section(w),
    "markets": lambda w, _d: markets.section(w),
    "language": lambda _w, d: language_eval.section(d),
    "shortlist": lambda w, _d: shortlist.section(w),
    "planning": lambda w, _d: planning_eval.section(w),
    "sentiment": lambda _w, d: sentiment_eval.section(d),
    "tracking": lambda w, _d: tracking_eval.section(w),  # last: it adds campaign posts to the worlds
}
NO_WORLDS = {"accounts", "language", "sentiment"}


def _splice(doc: str, new: str) -> str:
    """``doc`` with the section titled like ``new`` replaced by it (appended when absent)."""
    title = new.splitlines()[0]
    parts = doc.split("\n## ")
    for k, part in enumerate(parts[1:], start=1):
        if ("## " + part).splitlines()[0] == title:
            parts[k] = new.removeprefix("## ").rstrip("\n") + "\n"
            return "\n## ".join(parts)
    return doc.rstrip("\n") + "\n\n" + new


def main(argv: list[str] | None = None) -> int:
    """Every section (rewrites docs/accuracy.md), or ``--only a,b`` (replaces just those sections)."""
    args = sys.argv[1:] if argv is None else argv
    only = args[1].split(",") if len(args) == 2 and args[0] == "--only" else None
    unknown = [n for n in only or [] if n not in SECTIONS]
    if unknown or (args and only is None):
        sys.stderr.write(f"usage: python -m microscout.evaluation [--only {','.join(SECTIONS)}]\n")
        return 2
    names = only or list(SECTIONS)
    settings = Settings()
    started = time.perf_counter()
    sections = []
    with temporary_root() as tmp:
        need_worlds = any(n not in NO_WORLDS for n in names)
        worlds = [(spec.name, build_world(spec, Path(tmp))) for spec in EVAL_WORLDS] if need_worlds else []
        try:
            for name in names:
                sections.append(SECTIONS[name](worlds, settings.eval_data))
        finally:
            for _, store in worlds:
                store.close()
    if only:
        doc = DOC.read_text(encoding="utf-8")
        for new in sections:
            doc = _splice(doc, new)
        DOC.write_text(doc, encoding="utf-8")
        sys.stdout.write(f"updated {', '.join(names)} in {DOC}\n")
        return 0
    header = [
        "# Accuracy",
        "",
        "Rewritten by `make eval` (`python -m microscout.evaluation`); every figure below is measured "
        f"by the evaluation code in `src/microscout/evaluation/` (this run: {time.perf_counter() - started:.0f} s). "
        "`python -m microscout.evaluation --only NAME[,NAME]` re-measures single sections.",
        "",
    ]
    DOC.write_text("\n".join(header) + "\n" + "\n".join(sections))
    sys.stdout.write(f"wrote {DOC}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
