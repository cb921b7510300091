"""``microscout profile``: the profile stages in order — metrics, authenticity, text.

* **metrics** (:mod:`microscout.metrics`): engagement, posterior ER, peers, behaviour — incremental;
* **authenticity** (:mod:`microscout.authenticity.stage`): audience-account scores, pods, the checks
  and the Audience Quality Score (reads the metrics columns);
* **text** (:mod:`microscout.text.stage`): language, brand safety, sentiment, niches, language mixes
  and market inference (reads the audience-account scores to weight audience countries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

STAGES = ("metrics", "authenticity", "text")


def run_profile(
    src: Any,
    *,
    stages: tuple[str, ...] = STAGES,
    full: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    report: Callable[[str, Any, float], None] | None = None,
) -> dict[str, Any]:
    """Run ``stages`` (in the canonical order) and return what each did."""
    import time

    from microscout.errors import InvalidInputError
    from microscout.store import utcnow

    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise InvalidInputError(f"unknown profile stage(s) {', '.join(unknown)}; use {', '.join(STAGES)}")
    now = now or utcnow()
    done: dict[str, Any] = {}
    for stage in STAGES:
        if stage not in stages:
            continue
        started = time.perf_counter()
        if stage == "metrics":
            from microscout.metrics import profile_creators

            done[stage] = profile_creators(src, now=now, full=full)
        elif stage == "authenticity":
            from microscout.authenticity.stage import run_authenticity

            done[stage] = run_authenticity(src, now=now, progress=progress)
        else:
            from microscout.text.stage import run_text

            done[stage] = run_text(src, now=now, progress=progress)
        if report:
            report(stage, done[stage], time.perf_counter() - started)
    return done
