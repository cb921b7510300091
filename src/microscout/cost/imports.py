"""``microscout deals import`` and ``microscout fx import``: past deals and exchange rates from files.

Both read CSV or JSONL (one object per line), validate every row and write the good ones to the
workspace's ``deals`` / ``fx_rates`` in one transaction; a bad row goes to ``quarantine`` with a
one-line reason naming the file, the row and the field (``deals.csv: row 4: fee: '12,5' is not a
number``). Re-importing the same file changes nothing: a deal without a ``deal_id`` gets one derived
from its content, and the run id is derived from the file's bytes, so quarantine rows are replaced,
not repeated.

Deal columns: ``creator`` (``platform:handle``) or ``platform`` + ``creator_id``; ``platform``;
``deliverable`` (post, reel, story, video, short, tweet, live, carousel); ``fee``; ``currency``
(ISO 4217); ``date`` (or ``deal_date``; ISO ``YYYY-MM-DD``); optional ``deal_id`` and ``source``.
Rate columns: ``base``, ``quote``, ``date`` (or ``rate_date``), ``rate`` (how many ``quote`` one
``base`` buys).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from microscout.brief import DELIVERABLE_KINDS, ISO_CURRENCIES, PLATFORMS
from microscout.errors import InvalidInputError
from microscout.store import Store, utcnow

__all__ = ["ImportResult", "import_deals", "import_fx"]

MAX_FEE = Decimal("1e15")  # MONEY is Decimal(18, 2)


@dataclass
class ImportResult:
    """What an import did."""

    file: str
    table: str
    run_id: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "table": self.table,
            "run_id": self.run_id,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "quarantined": len(self.rejected),
            "errors": self.rejected,
        }


class _RowError(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column}: {problem}")


def _read(path: Path) -> list[tuple[int, dict[str, Any] | None, str]]:
    """(row number, record or None when unreadable, raw text) for every data row of the file."""
    if not path.exists():
        raise InvalidInputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InvalidInputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .csv or .jsonl")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path}: not valid UTF-8 text ({exc.reason})") from exc
    rows: list[tuple[int, dict[str, Any] | None, str]] = []
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise InvalidInputError(f"{path}: the file is empty (a header row is expected)")
        for number, record in enumerate(reader, start=2):
            raw = json.dumps(record, ensure_ascii=False, default=str)
            if None in record:
                rows.append((number, None, raw))
            else:
                rows.append(
                    (number, {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in record.items()}, raw)
                )
        return rows
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            rows.append((number, None, line))
            continue
        rows.append((number, record if isinstance(record, dict) else None, line))
    return rows


def _text(record: dict[str, Any], *names: str, required: bool = True) -> str | None:
    for name in names:
        value = record.get(name)
        if value is not None and str(value).strip() != "":
            if isinstance(value, bool | dict | list):
                raise _RowError(name, f"expected text, got {json.dumps(value)}")
            return str(value).strip()
    if required:
        raise _RowError(names[0], "required field is missing")
    return None


def _decimal(record: dict[str, Any], name: str, places: int, limit: Decimal) -> Decimal:
    value = record.get(name)
    if value is None or str(value).strip() == "":
        raise _RowError(name, "required field is missing")
    if isinstance(value, (bool, dict | list)):
        raise _RowError(name, f"{json.dumps(value)} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _RowError(name, f"{str(value)!r} is not a number (use . for decimals, no thousands separators)") from exc
    if not amount.is_finite():
        raise _RowError(name, f"{str(value)!r} is not a finite number")
    if amount <= 0:
        raise _RowError(name, f"must be greater than 0, got {value}")
    if amount >= limit:
        raise _RowError(name, f"{value} is too large")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _RowError(name, f"{value} has more than {places} decimal places")
    return amount


def _date(record: dict[str, Any], names: tuple[str, ...], today: dt.date) -> dt.date:
    text = _text(record, *names)
    assert text is not None
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text).date()
    except ValueError as exc:
        raise _RowError(names[0], f"{text!r} is not an ISO date (YYYY-MM-DD)") from exc
    if day > today:
        raise _RowError(names[0], f"{day.isoformat()} is in the future")
    return day


def _currency(record: dict[str, Any], name: str) -> str:
    code = _text(record, name)
    assert code is not None
    if code not in ISO_CURRENCIES:
        hint = f" (use upper case: {code.upper()!r})" if code.upper() in ISO_CURRENCIES else ""
        raise _RowError(name, f"{code!r} is not an ISO 4217 currency code{hint}")
    return code


def _run_id(kind: str, path: Path) -> str:
    return f"{kind}-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _handles(store: Store) -> dict[tuple[str, str], list[str]]:
    frame = store.table("creators").select("platform", "handle", "creator_id").to_pandas()
    out: dict[tuple[str, str], list[str]] = {}
    for row in frame.itertuples(index=False):
        if isinstance(row.handle, str):
            out.setdefault((row.platform, row.handle.lower()), []).append(row.creator_id)
    return out


def _deal(record: dict[str, Any], handles: dict[tuple[str, str], list[str]], today: dt.date) -> dict[str, Any]:
    platform = _text(record, "platform", required=False)
    ref = _text(record, "creator", required=False)
    creator_id = _text(record, "creator_id", required=False)
    if ref:
        ref_platform, sep, handle = ref.partition(":")
        if not sep or not handle.strip():
            raise _RowError("creator", f"{ref!r} is not of the form platform:handle (e.g. instagram:ana.fit)")
        if platform and platform != ref_platform:
            raise _RowError("platform", f"{platform!r} does not match the creator's platform {ref_platform!r}")
        platform = ref_platform
    if platform is None:
        raise _RowError("platform", "required field is missing (or give creator as platform:handle)")
    if platform not in PLATFORMS:
        raise _RowError("platform", f"{platform!r} is not allowed; allowed: {', '.join(PLATFORMS)}")
    if ref and not creator_id:
        ids = handles.get((platform, ref.partition(":")[2].lstrip("@").lower()), [])
        if not ids:
            raise _RowError("creator", f"{ref!r} is not in the store (ingest the creator first or give creator_id)")
        creator_id = ids[0]
    if not creator_id:
        raise _RowError("creator", "required field is missing (creator as platform:handle, or creator_id)")
    deliverable = _text(record, "deliverable")
    if deliverable not in DELIVERABLE_KINDS:
        raise _RowError("deliverable", f"{deliverable!r} is not allowed; allowed: {', '.join(DELIVERABLE_KINDS)}")
    fee = _decimal(record, "fee", 2, MAX_FEE)
    currency = _currency(record, "currency")
    day = _date(record, ("date", "deal_date"), today)
    return {
        "deal_id": _text(record, "deal_id", required=False),
        "platform": platform,
        "creator_id": creator_id,
        "deliverable": deliverable,
        "fee": fee.quantize(Decimal("0.01")),
        "currency": currency,
        "deal_date": day,
        "source": _text(record, "source", required=False),
    }


def import_deals(store: Store, path: str | Path, *, workspace: str, today: dt.date | None = None) -> ImportResult:
    """Validate and upsert the deals of a CSV/JSONL file into ``workspace`` (see the module doc)."""
    path = Path(path)
    rows = _read(path)
    today = today or utcnow().date()
    handles = _handles(store)
    result = ImportResult(str(path), "deals", _run_id("deals", path), rows=len(rows))
    good: list[dict[str, Any]] = []
    bad: list[tuple[int, str, str]] = []
    seen: Counter[str] = Counter()
    for number, record, raw in rows:
        if record is None:
            bad.append((number, f"{path.name}: row {number}: not a readable record", raw))
            continue
        try:
            deal = _deal(record, handles, today)
        except _RowError as exc:
            bad.append((number, f"{path.name}: row {number}: {exc}", raw))
            continue
        if deal["deal_id"] is None:
            content = "|".join(
                str(deal[k]) for k in ("platform", "creator_id", "deliverable", "fee", "currency", "deal_date")
            )
            seen[content] += 1  # the same deal twice in a file stays two deals
            deal["deal_id"] = uuid.uuid5(uuid.NAMESPACE_URL, f"{content}|{seen[content]}").hex[:16]
        deal["source"] = deal["source"] or path.name
        good.append(deal)
    _write(store, result, "deals", good, bad, path, workspace)
    return result


def import_fx(store: Store, path: str | Path, *, workspace: str, today: dt.date | None = None) -> ImportResult:
    """Validate and upsert exchange rates (base, quote, date, rate) into ``workspace``."""
    path = Path(path)
    rows = _read(path)
    today = today or utcnow().date()
    result = ImportResult(str(path), "fx_rates", _run_id("fx", path), rows=len(rows))
    good: list[dict[str, Any]] = []
    bad: list[tuple[int, str, str]] = []
    for number, record, raw in rows:
        if record is None:
            bad.append((number, f"{path.name}: row {number}: not a readable record", raw))
            continue
        try:
            base = _currency(record, "base")
            quote = _currency(record, "quote")
            if base == quote:
                raise _RowError("quote", f"must differ from base ({base})")
            day = _date(record, ("date", "rate_date"), today)
            rate = _decimal(record, "rate", 8, Decimal("1e10"))
        except _RowError as exc:
            bad.append((number, f"{path.name}: row {number}: {exc}", raw))
            continue
        good.append({"base": base, "quote": quote, "rate_date": day, "rate": rate})
    _write(store, result, "fx_rates", good, bad, path, workspace)
    return result


def _write(
    store: Store,
    result: ImportResult,
    table: str,
    good: list[dict[str, Any]],
    bad: list[tuple[int, str, str]],
    path: Path,
    workspace: str,
) -> None:
    now = utcnow()
    with store.transaction():
        counts = store.insert_rows(table, good, workspace=workspace)
        if bad:
            store.insert_rows(
                "quarantine",
                [
                    {
                        "run_id": result.run_id,
                        "source": str(path),
                        "table_name": table,
                        "position": f"row {number}",
                        "reason": reason,
                        "raw": raw,
                        "quarantined_at": now,
                    }
                    for number, reason, raw in bad
                ],
            )
        store.insert_rows(
            "ingest_runs",
            [
                {
                    "run_id": result.run_id,
                    "source": f"{table} import",
                    "workspace_id": workspace,
                    "args": json.dumps({"file": str(path)}),
                    "started_at": now,
                    "finished_at": now,
                    "status": "completed",
                    "counts": json.dumps(
                        {"inserted": counts.inserted, "updated": counts.updated, "quarantined": len(bad)}
                    ),
                    "checkpoint": "{}",
                }
            ],
        )
    result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
    result.rejected = [reason for _, reason, _ in bad]
