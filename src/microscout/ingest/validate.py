"""Validation of canonical records, a batch at a time (vectorised with pandas).

Each check returns the rows it rejects and a one-line reason naming the field and the value.
A row is rejected for the first problem found; good rows of the same batch are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import ibis.expr.datatypes as idt
import numpy as np
import pandas as pd

from microscout.store.schema import TableDef

PLATFORMS = ("instagram", "tiktok", "youtube", "x", "bluesky", "mastodon")
POST_KINDS = ("post", "reel", "story", "carousel", "video", "short", "live", "tweet")
ENUMS: dict[str, tuple[str, ...]] = {
    "platform": PLATFORMS,
    "kind": POST_KINDS,
    "relation": ("follower", "commenter"),
    "dimension": ("country", "city", "age", "gender", "locale"),
}
COUNTRY_COLUMNS = ("declared_country", "location_country", "country")
CURRENCY_COLUMNS = ("currency", "base", "quote")
FRACTION_COLUMNS = ("share", "language_confidence")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


class BatchResult:
    """Rows that passed (typed, canonical) and rejected positions with reasons."""

    def __init__(self, clean: pd.DataFrame, rejected: dict[int, str]) -> None:
        self.clean = clean
        self.rejected = rejected


def _short(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return value is pd.NaT


def validate_batch(
    tdef: TableDef,
    frame: pd.DataFrame,
    *,
    now: dt.datetime,
    list_sep: str | None = None,
    typed_lists: bool = False,
) -> BatchResult:
    """Validate and type one batch of records of table ``tdef``.

    ``frame`` holds the records as read (strings from CSV, JSON values from JSONL, typed values
    from Parquet); columns not in the table are folded into ``extras``. ``now`` (naive UTC) is
    the clock: timestamps after it are rejected.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    reasons: dict[int, str] = {}

    def reject(mask: pd.Series | np.ndarray, message: Any) -> None:
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in idx:
            if int(i) not in reasons:
                reasons[int(i)] = message(int(i)) if callable(message) else message

    out: dict[str, pd.Series] = {}
    extra_cols = [c for c in frame.columns if c not in tdef.columns and c != "workspace_id"]

    for key in tdef.key:
        if key == "workspace_id":
            continue
        if key not in frame.columns:
            for i in range(n):
                reasons.setdefault(i, f"missing required field '{key}'")
            continue
        col = frame[key]
        empty = col.isna()
        if col.dtype == object:
            empty |= col.astype(str).str.strip().eq("") & ~empty
        reject(empty, f"missing required field '{key}'")

    for name, dtype in tdef.columns.items():
        if name not in frame.columns or name == "workspace_id":
            continue
        col = frame[name]
        present = col.notna()
        if name == "extras":
            out[name] = col.map(_to_json_object)
            reject(present & out[name].isna(), "field 'extras': must be a JSON object")
            continue
        if dtype.is_array() and typed_lists:
            typed, bad = col, _no(col)
        else:
            typed, bad = _coerce(col, dtype, present, list_sep)
        reject(
            bad,
            lambda i, name=name, col=col, dtype=dtype: (
                f"field '{name}': {_short(col.iloc[i])} is not {_describe(dtype)}"
            ),
        )
        out[name] = typed
        ok = present & ~bad
        if dtype.is_integer():
            reject(
                ok & (typed < 0),
                lambda i, name=name, typed=typed: f"field '{name}': {_short(typed.iloc[i])} is negative",
            )
        if dtype.is_floating() and name in FRACTION_COLUMNS:
            reject(
                ok & ((typed < 0) | (typed > 1)),
                lambda i, name=name, col=col: f"field '{name}': {_short(col.iloc[i])} is outside 0..1",
            )
        if dtype.is_decimal():
            negative = typed.map(lambda d: d is not None and d < 0)
            reject(ok & negative, lambda i, name=name, col=col: f"field '{name}': {_short(col.iloc[i])} is negative")
        if dtype.is_timestamp():
            reject(
                ok & (typed > pd.Timestamp(now)),
                lambda i, name=name, col=col: f"field '{name}': {_short(col.iloc[i])} is in the future",
            )
        if name in ENUMS:
            allowed = ENUMS[name]
            reject(
                ok & ~typed.isin(allowed),
                lambda i, name=name, col=col, allowed=allowed: (
                    f"field '{name}': {_short(col.iloc[i])} is not one of {', '.join(allowed)}"
                ),
            )
        if name in COUNTRY_COLUMNS:
            reject(
                ok & ~typed.astype("string").str.fullmatch(_COUNTRY.pattern).fillna(False).astype(bool),
                lambda i, name=name, col=col: (
                    f"field '{name}': {_short(col.iloc[i])} is not an ISO 3166 country code (e.g. BR)"
                ),
            )
        if name in CURRENCY_COLUMNS:
            reject(
                ok & ~typed.astype("string").str.fullmatch(_CURRENCY.pattern).fillna(False).astype(bool),
                lambda i, name=name, col=col: (
                    f"field '{name}': {_short(col.iloc[i])} is not an ISO 4217 currency code (e.g. EUR)"
                ),
            )
        if name in ("declared_language", "language"):
            reject(
                ok & ~typed.astype("string").str.fullmatch(_LANG.pattern).fillna(False).astype(bool),
                lambda i, name=name, col=col: (
                    f"field '{name}': {_short(col.iloc[i])} is not an ISO 639-1 language code (e.g. pt)"
                ),
            )

    if extra_cols:
        merged = _fold_extras(frame, extra_cols, out.get("extras"))
        out["extras"] = merged

    clean = pd.DataFrame(out)
    keep = np.ones(n, dtype=bool)
    if reasons:
        keep[list(reasons)] = False
    return BatchResult(clean[keep].reset_index(drop=True), reasons)


def _describe(dtype: idt.DataType) -> str:
    if dtype.is_integer():
        return "a whole number"
    if dtype.is_floating() or dtype.is_decimal():
        return "a number"
    if dtype.is_boolean():
        return "true or false"
    if dtype.is_timestamp():
        return "an ISO 8601 timestamp (e.g. 2026-05-01T12:00:00Z)"
    if dtype.is_date():
        return "a date (YYYY-MM-DD)"
    if dtype.is_array():
        return "a list of strings"
    return "a string"


_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _kind(col: pd.Series) -> str:
    """pandas' inferred kind of the present values (C speed): 'string', 'integer', 'mixed', …"""
    return str(pd.api.types.infer_dtype(col, skipna=True))


def _no(col: pd.Series) -> pd.Series:
    return pd.Series(False, index=col.index)


def _coerce(
    col: pd.Series, dtype: idt.DataType, present: pd.Series, list_sep: str | None
) -> tuple[pd.Series, pd.Series]:
    """Return (typed values, mask of present values that could not be typed).

    Typed input (Parquet, or JSON whose values already have the right type) takes vectorised
    fast paths; only mixed columns are checked value by value.
    """
    kind = _kind(col)
    if dtype.is_integer():
        if pd.api.types.is_integer_dtype(col.dtype):
            return col.astype("Int64"), _no(col)
        if kind == "boolean" or kind == "mixed":
            is_bool = col.map(lambda v: isinstance(v, bool | np.bool_))
        else:
            is_bool = _no(col)
        num = pd.to_numeric(col.where(~is_bool), errors="coerce")
        bad = present & (is_bool | num.isna() | (num % 1 != 0) | ~np.isfinite(num.fillna(0)))
        return num.where(~bad).round().astype("Int64"), bad
    if dtype.is_floating():
        if pd.api.types.is_float_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype):
            return col.astype("float64"), _no(col)
        is_bool = col.map(lambda v: isinstance(v, bool | np.bool_)) if kind in ("boolean", "mixed") else _no(col)
        num = pd.to_numeric(col.where(~is_bool), errors="coerce")
        bad = present & (is_bool | num.isna())
        return num.where(~bad), bad
    if dtype.is_decimal():

        def dec(v: Any) -> Decimal | None:
            if _is_null(v) or isinstance(v, bool):
                return None
            try:
                d = Decimal(str(v))
            except InvalidOperation:
                return None
            return d if d.is_finite() else None

        typed = col.map(dec)
        return typed, present & typed.isna()
    if dtype.is_boolean():
        if pd.api.types.is_bool_dtype(col.dtype):
            return col.astype("boolean"), _no(col)
        if kind == "boolean":
            return col.astype("boolean"), _no(col)
        if kind == "string":
            typed = col.str.strip().str.lower().map(_BOOLS)
        else:
            typed = col.map(
                lambda v: (
                    bool(v)
                    if isinstance(v, bool | np.bool_) or (isinstance(v, int | np.integer) and v in (0, 1))
                    else _BOOLS.get(v.strip().lower())
                    if isinstance(v, str)
                    else None
                )
            )
        return typed.astype("boolean"), present & typed.isna()
    if dtype.is_timestamp():
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            ts = pd.to_datetime(col, utc=True)
            return ts.dt.tz_convert(None), _no(col)
        strings = col if kind in ("string", "empty") else col.map(lambda v: v if isinstance(v, str) else None)
        ts = pd.to_datetime(strings, utc=True, errors="coerce", format="ISO8601")
        return ts.dt.tz_convert(None), present & ts.isna()
    if dtype.is_date():
        if kind == "date":
            return col, _no(col)
        strings = (
            col
            if kind in ("string", "empty")
            else col.map(lambda v: v if isinstance(v, str) else (v.isoformat() if isinstance(v, dt.date) else None))
        )
        d = pd.to_datetime(strings, errors="coerce", format="%Y-%m-%d")
        bad = present & d.isna()
        return d.dt.date.where(~d.isna(), None), bad
    if dtype.is_array():
        if kind == "string" and list_sep is not None:
            split = col.str.split(list_sep, regex=False)
            return split.map(lambda v: [p for p in (x.strip() for x in v) if p] if isinstance(v, list) else None), _no(
                col
            )

        def as_list(v: Any) -> list[str] | bool | None:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, str):
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    return False
            if isinstance(v, list | tuple | np.ndarray) and all(isinstance(x, str) for x in v):
                return list(v)
            return False

        typed = col.map(as_list)
        bad = typed.map(lambda v: v is False)
        return typed.where(~bad, None), present & bad
    # strings: accept integers for ids, reject containers
    if kind in ("string", "empty"):
        return col, _no(col)
    if kind == "integer":
        return col.map(lambda v: None if _is_null(v) else str(int(v))), _no(col)

    def as_str(v: Any) -> str | bool | None:
        if _is_null(v):
            return None
        if isinstance(v, str):
            return v
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            return str(v)
        return False

    typed = col.map(as_str)
    bad = typed.map(lambda v: v is False)
    return typed.where(~bad, None), present & bad


def _to_json_object(v: Any) -> str | None:
    if _is_null(v):
        return None
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError:
            return None
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
    return None


def _fold_extras(frame: pd.DataFrame, extra_cols: list[str], extras: pd.Series | None) -> pd.Series:
    """Keep unknown fields: merge them into the extras JSON object, never drop them."""
    sub = frame[extra_cols]
    values = []
    for i, record in enumerate(sub.to_dict("records")):
        doc: dict[str, Any] = {}
        if extras is not None and isinstance(extras.iloc[i], str):
            doc.update(json.loads(extras.iloc[i]))
        for k, v in record.items():
            if not _is_null(v) if not isinstance(v, list | np.ndarray) else True:
                doc[k] = v.tolist() if isinstance(v, np.ndarray) else v
        values.append(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str) if doc else None)
    return pd.Series(values, index=frame.index, dtype=object)
