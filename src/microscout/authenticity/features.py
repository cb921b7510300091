"""Audience-account columns, the Purba mapping, CSV reading and the model's feature matrix.

Canonical columns (``audience_accounts`` in the data model; any of them may be absent or empty):

* core, the eight columns of InstaFake (Akyon & Kalfaoglu 2019): ``followers``, ``following``,
  ``posts``, ``bio_length``, ``has_profile_pic``, ``is_private``, ``username_length``,
  ``username_digits``;
* optional: ``has_external_url`` and per-post aggregates over the account's recent posts:
  ``caption_length_mean``, ``empty_caption_share``, ``non_image_share``, ``like_rate_pct``,
  ``comment_rate_pct`` (likes / comments per post as % of followers), ``location_share``,
  ``hashtags_per_post``, ``promo_share``, ``f4f_share``, ``post_similarity`` (mean cosine
  similarity between posts), ``post_interval_h`` (mean hours between posts).

Purba, Asirvatham & Murugesan (2020) files are recognised by their short column names and mapped
onto canonical names (:data:`PURBA_COLUMNS`): ``pos`` → posts, ``flw`` → followers, ``flg`` →
following, ``bl`` → bio_length, ``pic`` → has_profile_pic, ``lin`` → has_external_url, ``cl`` →
caption_length_mean, ``cz`` → empty_caption_share, ``ni`` → non_image_share, ``erl`` →
like_rate_pct, ``erc`` → comment_rate_pct, ``lt`` → location_share, ``hc`` → hashtags_per_post,
``pr`` → promo_share, ``fo`` → f4f_share, ``cs`` → post_similarity, ``pi`` → post_interval_h. Its
``class`` label maps ``r`` (authentic) → 0 and ``a`` (active fake), ``i`` (inactive fake), ``s``
(spammer) → 1.

Missing stays missing: an empty cell, ``NA`` or ``NaN`` becomes NaN and reaches the learner as
NaN (LightGBM routes missing values down a learned branch). Derived features are NaN whenever an
input is NaN. ``true``/``false`` and ``yes``/``no`` read as 1/0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from microscout.errors import InvalidInputError

CORE_COLUMNS: tuple[str, ...] = (
    "followers",
    "following",
    "posts",
    "bio_length",
    "has_profile_pic",
    "is_private",
    "username_length",
    "username_digits",
)
POST_AGGREGATE_COLUMNS: tuple[str, ...] = (
    "caption_length_mean",
    "empty_caption_share",
    "non_image_share",
    "like_rate_pct",
    "comment_rate_pct",
    "location_share",
    "hashtags_per_post",
    "promo_share",
    "f4f_share",
    "post_similarity",
    "post_interval_h",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("has_external_url", *POST_AGGREGATE_COLUMNS)
ACCOUNT_COLUMNS: tuple[str, ...] = CORE_COLUMNS + OPTIONAL_COLUMNS
DERIVED_COLUMNS: tuple[str, ...] = (
    "ff_log_ratio",  # log1p(following) - log1p(followers)
    "posts_per_follower_log",  # log1p(posts) - log1p(followers)
    "digit_share",  # username_digits / username_length
    "comment_like_ratio",  # comment_rate_pct / like_rate_pct
    "post_aggregates_present",  # how many per-post aggregate columns have a value (0 when none)
)
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "ff_log_ratio": ("following", "followers"),
    "posts_per_follower_log": ("posts", "followers"),
    "digit_share": ("username_digits", "username_length"),
    "comment_like_ratio": ("comment_rate_pct", "like_rate_pct"),
}
FEATURES: tuple[str, ...] = ACCOUNT_COLUMNS + DERIVED_COLUMNS
LABEL = "is_fake"

PURBA_COLUMNS: dict[str, str] = {
    "pos": "posts",
    "flw": "followers",
    "flg": "following",
    "bl": "bio_length",
    "pic": "has_profile_pic",
    "lin": "has_external_url",
    "cl": "caption_length_mean",
    "cz": "empty_caption_share",
    "ni": "non_image_share",
    "erl": "like_rate_pct",
    "erc": "comment_rate_pct",
    "lt": "location_share",
    "hc": "hashtags_per_post",
    "pr": "promo_share",
    "fo": "f4f_share",
    "cs": "post_similarity",
    "pi": "post_interval_h",
}
PURBA_LABEL = "class"
PURBA_CLASSES: dict[str, int] = {"r": 0, "a": 1, "i": 1, "s": 1}

_MISSING = {"", "na", "nan", "n/a", "null", "none"}
_BOOLEAN = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}


@dataclass
class AccountTable:
    """Accounts read from one or more files: the raw rows and their canonical numeric columns."""

    raw: pd.DataFrame  # the file's cells as read (strings), for writing them back unchanged
    accounts: pd.DataFrame  # canonical account columns present in the file, float with NaN
    labels: np.ndarray | None  # 0/1 per row when the file is labelled
    sources: list[str]
    purba: bool
    groups: np.ndarray  # index of the source file of each row


def is_purba(columns: list[str]) -> bool:
    """A file is in Purba's format when it has at least three of its short column names and no canonical one."""
    names = {c.strip().lower() for c in columns}
    return len(names & set(PURBA_COLUMNS)) >= 3 and not names & set(ACCOUNT_COLUMNS)


def _to_number(cell: str) -> float | None:
    """The cell as a float (NaN when empty); None when it is not a number."""
    text = cell.strip().lower()
    if text in _MISSING:
        return math.nan
    if text in _BOOLEAN:
        return _BOOLEAN[text]
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numeric_column(values: pd.Series, *, path: Path, column: str) -> np.ndarray:
    """Vectorised :func:`_to_number` over a column; the first bad cell raises, naming column and row."""
    text = values.astype(str).str.strip()
    lower = text.str.lower()
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    booleans = lower.map(_BOOLEAN).to_numpy(dtype=float)
    out = np.where(np.isnan(booleans), out, booleans)
    missing = lower.isin(_MISSING).to_numpy()
    out[missing] = np.nan
    bad = np.flatnonzero((np.isnan(out) & ~missing) | np.isinf(out))
    if len(bad):
        i = int(bad[0])
        cell = values.iloc[i]
        raise InvalidInputError(f"{path}: column {column!r}, row {i + 1} (line {i + 2}): {cell!r} is not a number")
    return np.asarray(out, dtype=float)


def _label_column(values: pd.Series, *, path: Path, column: str, purba: bool) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for i, cell in enumerate(values.tolist()):
        text = cell.strip().lower()
        label: int | None
        if purba:
            label = PURBA_CLASSES.get(text)
            expected = "one of r, a, i, s"
        else:
            number = _to_number(text) if text not in _MISSING else None
            label = int(number) if number in (0.0, 1.0) else None
            expected = "0 or 1"
        if label is None:
            raise InvalidInputError(
                f"{path}: column {column!r}, row {i + 1} (line {i + 2}): label {cell!r} is not {expected}"
            )
        out[i] = label
    return out


def read_accounts(path: Path, *, labeled: bool = False) -> AccountTable:
    """Read one CSV of audience accounts (canonical or Purba format).

    With ``labeled`` the label column must exist (``is_fake`` 0/1, or ``class`` in a Purba file)
    and every row must carry a label. Raises :class:`InvalidInputError` naming the file, the
    column and the row for a missing label column or a value that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError(f"{path}: the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from exc
    columns = [str(c) for c in raw.columns]
    purba = is_purba(columns)
    mapping = PURBA_COLUMNS if purba else {c: c for c in ACCOUNT_COLUMNS}
    lookup = {c.strip().lower(): c for c in columns}
    accounts = pd.DataFrame(index=raw.index)
    for source, canonical in mapping.items():
        if source in lookup:
            accounts[canonical] = _numeric_column(raw[lookup[source]], path=path, column=lookup[source])
    if not len(accounts.columns):
        expected = ", ".join(CORE_COLUMNS)
        raise InvalidInputError(f"{path}: no audience-account column found (expected some of: {expected})")
    labels = None
    if labeled:
        label_name = PURBA_LABEL if purba else LABEL
        if label_name not in lookup:
            raise InvalidInputError(
                f"{path}: column {label_name!r} (the label) is missing; found: {', '.join(columns)}"
            )
        labels = _label_column(raw[lookup[label_name]], path=path, column=lookup[label_name], purba=purba)
    groups = np.zeros(len(raw), dtype=np.int64)
    return AccountTable(raw=raw, accounts=accounts, labels=labels, sources=[str(path)], purba=purba, groups=groups)


def read_labeled(paths: list[Path]) -> AccountTable:
    """Read and stack several labelled files; columns a file lacks are missing (NaN) for its rows."""
    if not paths:
        raise InvalidInputError("no labelled file given (use --labeled FILE.csv)")
    tables = [read_accounts(p, labeled=True) for p in paths]
    accounts = pd.concat([t.accounts for t in tables], ignore_index=True)
    raw = pd.concat([t.raw for t in tables], ignore_index=True).fillna("")
    labels = np.concatenate([t.labels for t in tables if t.labels is not None])
    sources = [s for t in tables for s in t.sources]
    groups = np.concatenate([np.full(len(t.raw), i, dtype=np.int64) for i, t in enumerate(tables)])
    return AccountTable(
        raw=raw,
        accounts=accounts,
        labels=labels,
        sources=sources,
        purba=all(t.purba for t in tables),
        groups=groups,
    )


def canonical_frame(accounts: pd.DataFrame) -> pd.DataFrame:
    """Every canonical account column, float, NaN where absent."""
    out = pd.DataFrame(index=accounts.index)
    for c in ACCOUNT_COLUMNS:
        out[c] = pd.to_numeric(accounts[c], errors="coerce").astype(float) if c in accounts else np.nan
    return out


def feature_matrix(accounts: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns plus derived features, NaN-safe: a derived value is NaN when an input is."""
    X = canonical_frame(accounts)
    with np.errstate(divide="ignore", invalid="ignore"):
        X["ff_log_ratio"] = np.log1p(X["following"].clip(lower=0)) - np.log1p(X["followers"].clip(lower=0))
        X["posts_per_follower_log"] = np.log1p(X["posts"].clip(lower=0)) - np.log1p(X["followers"].clip(lower=0))
        X["digit_share"] = X["username_digits"] / X["username_length"].where(X["username_length"] > 0)
        X["comment_like_ratio"] = X["comment_rate_pct"] / X["like_rate_pct"].where(X["like_rate_pct"] > 0)
    X["post_aggregates_present"] = X[list(POST_AGGREGATE_COLUMNS)].notna().sum(axis=1).astype(float)
    return X[list(FEATURES)]


def features_for(columns: list[str] | tuple[str, ...]) -> list[str]:
    """The features a model trained on these canonical columns uses: the columns and the derived
    features whose inputs are all among them (``post_aggregates_present`` with any per-post column)."""
    have = set(columns)
    out = [c for c in ACCOUNT_COLUMNS if c in have]
    out += [d for d, inputs in DERIVED_INPUTS.items() if have.issuperset(inputs)]
    if have & set(POST_AGGREGATE_COLUMNS):
        out.append("post_aggregates_present")
    return out


def present_columns(accounts: pd.DataFrame) -> list[str]:
    """Canonical columns that have at least one value."""
    return [c for c in ACCOUNT_COLUMNS if c in accounts and bool(accounts[c].notna().any())]
