"""``python -m microscout.evaluation``: run every evaluation and rewrite docs/accuracy.md."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from microscout.config import Settings
from microscout.evaluation import accounts as accounts_eval
from microscout.evaluation import authenticity, calibration, coverage, markets, niche, shortlist
from microscout.evaluation import language as language_eval
from microscout.evaluation import planning as planning_eval
from microscout.evaluation import sentiment as sentiment_eval
from microscout.evaluation import tracking as tracking_eval
from microscout.evaluation.worlds import EVAL_WORLDS, build_world, temporary_root

DOC = Path(__file__).resolve().parents[3] / "docs" / "accuracy.md"


def main() -> int:
    settings = Settings()
    started = time.perf_counter()
    sections = []
    with temporary_root() as tmp:
        worlds = [(spec.name, build_world(spec, Path(tmp))) for spec in EVAL_WORLDS]
        try:
            sections.append(calibration.section(worlds, settings.eval_data))
            sections.append(coverage.section(worlds, settings.eval_data))
            sections.append(niche.section(worlds, settings.eval_data))
            sections.append(accounts_eval.section(settings.eval_data))
            sections.append(authenticity.section(worlds))
            sections.append(markets.section(worlds))
            sections.append(language_eval.section(settings.eval_data))
            sections.append(shortlist.section(worlds))
            sections.append(planning_eval.section(worlds))
            sections.append(sentiment_eval.section(settings.eval_data))
            sections.append(tracking_eval.section(worlds))  # last: it adds campaign posts to the worlds
        finally:
            for _, store in worlds:
                store.close()
    header = [
        "# Accuracy",
        "",
        "Rewritten by `make eval` (`python -m microscout.evaluation`); every figure below is measured "
        f"by the evaluation code in `src/microscout/evaluation/` (this run: {time.perf_counter() - started:.0f} s).",
        "",
    ]
    DOC.write_text("\n".join(header) + "\n" + "\n".join(sections))
    sys.stdout.write(f"wrote {DOC}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
