"""The authenticity stage of ``microscout profile``: account scores, pods, signals and the AQS.

Runs after the metrics stage (it reads the expected-ER residual and the comment/like ratio from
``creator_profiles``) and writes the evidence columns and the AQS into the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis

from microscout.authenticity.aqs import evidence_columns, score_expr
from microscout.authenticity.pods import find_pods, pod_table
from microscout.authenticity.scoring import score_accounts
from microscout.authenticity.signals import KEYS


@dataclass(frozen=True)
class AuthenticityRun:
    accounts_scored: int
    pods: int
    pod_members: int
    creators: int


def run_authenticity(
    src: Any, *, now: dt.datetime | None = None, progress: Callable[[str, int, int], None] | None = None
) -> AuthenticityRun:
    from microscout.store import utcnow

    now = now or utcnow()
    when = (now.astimezone(dt.UTC) if now.tzinfo else now).replace(tzinfo=None, microsecond=0)
    scored = score_accounts(src, now=now, model=src.settings.audience_model, progress=progress)
    pods = find_pods(src, progress=progress)
    table = pod_table(pods)
    members = ibis.memtable(table).mutate(computed_at=ibis.literal(when))
    src.replace_table("creator_pods", members)
    profile = src.table("creator_profiles")
    scored_profile = score_expr(src, profile)
    columns = [*KEYS, *evidence_columns(), "aqs", "aqs_low", "aqs_high", "aqs_signals"]
    written = src.upsert_expr("creator_profiles", scored_profile.select(*columns))
    return AuthenticityRun(accounts_scored=scored, pods=len(pods), pod_members=table.num_rows, creators=written)
