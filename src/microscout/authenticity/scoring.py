"""Score sampled audience accounts with the account classifier, into ``audience_scores``.

Accounts stream from the engine in batches and only the verdicts (ids and two numbers) are kept
until they are written; only accounts that are new, whose
features changed, or that were scored by another model are scored again (``input_fingerprint``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

FEATURES = (
    "followers",
    "following",
    "posts",
    "bio_length",
    "has_profile_pic",
    "is_private",
    "username_length",
    "username_digits",
    "has_external_url",
)
BATCH = 50_000


def _fingerprint(t: ir.Table, model_id: str) -> ir.StringValue:
    text = ibis.literal(model_id)
    for c in FEATURES:
        text = text.concat("|", t[c].cast("string").fill_null("-"))
    return text


def write_rows(src: Any, name: str, table: pa.Table) -> None:
    """Upsert Python-computed rows into the store or the lake."""
    if hasattr(src, "upsert"):
        src.upsert(name, table)
    else:
        src.upsert_expr(name, ibis.memtable(table))


def score_accounts(
    src: Any,
    *,
    now: dt.datetime,
    model: str = "default",
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Score every account not yet scored with the same features and model; return how many."""
    from pathlib import Path

    from microscout.authenticity.accounts import BUNDLED, classify, load_model

    clf = load_model(None if model == "default" else model)
    source = BUNDLED if model == "default" else Path(model)
    digest = hashlib.sha1(source.read_bytes()).hexdigest()[:10] if source.is_file() else "builtin"
    model_id = f"{clf.name}@{digest}"  # a retrained model scores every account again
    accounts = src.table("audience_accounts")
    accounts = accounts.mutate(input_fingerprint=_fingerprint(accounts, model_id))
    stored = src.table("audience_scores").select("platform", "account_id", "input_fingerprint")
    todo = accounts.anti_join(stored, ["platform", "account_id", "input_fingerprint"])
    total = int(todo.count().execute())
    if total == 0:
        return 0
    done = 0
    when = now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now
    pending: list[pa.Table] = []
    for batch in src.batches(todo.select("platform", "account_id", "input_fingerprint", *FEATURES), BATCH):
        frame: pd.DataFrame = batch.to_pandas()
        verdict = classify(clf, frame)
        p_fake = verdict["p_fake"].to_numpy(dtype=float, na_value=float("nan"))
        mass = verdict["mass_follower"].fillna(False).to_numpy(dtype=bool)
        pending.append(
            pa.table(
                {
                    "platform": frame["platform"].astype(str).tolist(),
                    "account_id": frame["account_id"].astype(str).tolist(),
                    "p_fake": pa.array(p_fake, pa.float64(), from_pandas=True),
                    "mass_follower": pa.array(mass, pa.bool_()),
                    "model": [model_id] * len(frame),
                    "input_fingerprint": frame["input_fingerprint"].astype(str).tolist(),
                    "scored_at": pa.array([when] * len(frame), pa.timestamp("us")),
                }
            )
        )
        done += len(frame)
        if progress:
            progress("scoring audience accounts", done, total)
    # written after the stream ends: DuckDB cannot write on a connection while it streams a result
    write_rows(src, "audience_scores", pa.concat_tables(pending))
    return done
