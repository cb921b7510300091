"""Sales: import orders or conversions and attribute them to creators by promo code or link.

The file is CSV (UTF-8) with a header: ``order_id``, ``date`` (ISO date or datetime, UTC),
``revenue`` (a decimal number, ``.`` as separator), ``currency`` (ISO 4217), and ``promo_code``
and/or ``link``; ``market`` (ISO country) is optional. A row is attributed to a placement when
its code equals a placement's promo code or its link contains a placement's tracking link;
a campaign-wide code counts for the campaign (and the row's market). Invalid rows go to
``quarantine`` with the reason (file, line, field) and the raw row; valid rows are written in one
transaction, keyed on ``(campaign, order_id)``: importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from microscout.brief import ISO_COUNTRIES, ISO_CURRENCIES
from microscout.cost.money import load_rates
from microscout.errors import InvalidInputError, MicroscoutError
from microscout.store import Store, utcnow
from microscout.tracking.campaigns import resolve_campaign
from microscout.tracking.spec import _norm_link

__all__ = ["SalesImport", "import_sales", "sales_rows"]

REQUIRED = ("order_id", "date", "revenue", "currency")


@dataclass
class SalesImport:
    """What an import did."""

    campaign_id: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    unattributed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _parse_row(raw: dict[str, str], where: str) -> dict[str, Any]:
    def need(name: str) -> str:
        value = (raw.get(name) or "").strip()
        if not value:
            raise InvalidInputError(f"{where}: {name}: required value is empty")
        return value

    order_id = need("order_id")
    when = need("date")
    try:
        ordered = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"{where}: date: {when!r} is not an ISO date (YYYY-MM-DD[THH:MM:SS])") from None
    if ordered.tzinfo is not None:
        ordered = ordered.astimezone(dt.UTC).replace(tzinfo=None)
    try:
        revenue = Decimal(need("revenue"))
    except InvalidOperation:
        raise InvalidInputError(f"{where}: revenue: {raw.get('revenue')!r} is not a number") from None
    if not revenue.is_finite() or revenue < 0:
        raise InvalidInputError(f"{where}: revenue: must be a finite number >= 0, got {raw.get('revenue')!r}")
    currency = need("currency").upper()
    if currency not in ISO_CURRENCIES:
        raise InvalidInputError(f"{where}: currency: {raw.get('currency')!r} is not an ISO 4217 code")
    code = (raw.get("promo_code") or "").strip().upper() or None
    link_text = (raw.get("link") or "").strip()
    if not code and not link_text:
        raise InvalidInputError(
            f"{where}: promo_code/link: give a promo code or a tracking link to attribute the order"
        )
    link = None
    if link_text:
        try:
            link = _norm_link(link_text)
        except ValueError:
            raise InvalidInputError(f"{where}: link: {link_text!r} is not a link") from None
    market = (raw.get("market") or "").strip().upper() or None
    if market and market not in ISO_COUNTRIES:
        raise InvalidInputError(f"{where}: market: {raw.get('market')!r} is not an ISO 3166-1 country code")
    return {
        "order_id": order_id,
        "ordered_at": ordered,
        "revenue": revenue.quantize(Decimal("0.01")),
        "currency": currency,
        "promo_code": code,
        "link": link,
        "market": market,
    }


def _attribution(store: Store, workspace: str, cid: str) -> tuple[dict[str, Any], list[tuple[str, Any]], set[str]]:
    rows = store.raw.execute(
        "SELECT r.kind, r.value, r.placement_id, p.platform, p.creator_id, p.market FROM tracking_rules r "
        "LEFT JOIN placements p ON p.workspace_id = r.workspace_id AND p.placement_id = r.placement_id "
        "WHERE r.workspace_id = ? AND r.campaign_id = ? AND r.kind IN ('promo_code', 'link')",
        [workspace, cid],
    ).fetchall()
    codes: dict[str, Any] = {}
    links: list[tuple[str, Any]] = []
    campaign_codes: set[str] = set()
    for kind, value, pid, platform, creator_id, market in rows:
        target = {"placement_id": pid, "platform": platform, "creator_id": creator_id, "market": market}
        if kind == "promo_code":
            if pid:
                codes[str(value).upper()] = target
            else:
                campaign_codes.add(str(value).upper())
        elif pid:
            links.append((str(value), target))
    return codes, links, campaign_codes


def import_sales(
    store: Store, workspace: str, campaign_ref: str, path: str | Path, *, now: dt.datetime | None = None
) -> SalesImport:
    """Import a sales CSV for a campaign (see the module doc)."""
    now = now or utcnow()
    path = Path(path)
    campaign = resolve_campaign(store, workspace, campaign_ref)
    cid = campaign["campaign_id"]
    if not path.is_file():
        raise InvalidInputError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read the file as UTF-8 text ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInputError(f"{path}: missing column(s) {', '.join(missing)} (needs {', '.join(REQUIRED)})")
    if "promo_code" not in header and "link" not in header:
        raise InvalidInputError(f"{path}: needs a promo_code or a link column to attribute orders")
    codes, links, campaign_codes = _attribution(store, workspace, cid)
    result = SalesImport(cid)
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    run_id = uuid.uuid4().hex[:12]
    for line, raw in enumerate(reader, start=2):
        result.rows += 1
        raw = {(k or "").strip(): v for k, v in raw.items()}
        try:
            row = _parse_row(raw, f"{path}:{line}")
        except MicroscoutError as exc:
            bad.append(
                {
                    "run_id": run_id, "source": f"sales:{path.name}", "table_name": "campaign_sales",
                    "position": str(line), "reason": exc.message, "raw": json.dumps(raw, ensure_ascii=False),
                    "quarantined_at": now,
                }
            )  # fmt: skip
            result.errors.append(exc.message)
            continue
        target = codes.get(row["promo_code"] or "")
        if target is None and row["link"]:
            target = next((t for link, t in links if link in row["link"]), None)
        if target is None and row["promo_code"] not in campaign_codes:
            result.unattributed += 1
        target = target or {"placement_id": None, "platform": None, "creator_id": None, "market": None}
        good.append(
            {
                **row, "campaign_id": cid, "placement_id": target["placement_id"], "platform": target["platform"],
                "creator_id": target["creator_id"], "market": row["market"] or target["market"],
                "source": path.name, "imported_at": now,
            }
        )  # fmt: skip
    with store.transaction():
        if good:
            counts = store.insert_rows(
                "campaign_sales", _keep_import_time(store, workspace, cid, good), workspace=workspace
            )
            result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
        if bad:
            store.insert_rows("quarantine", bad)
    result.quarantined = len(bad)
    return result


def _keep_import_time(store: Store, workspace: str, cid: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-imports keep the first import time, so an identical file leaves the table unchanged."""
    first = dict(
        store.raw.execute(
            "SELECT order_id, imported_at FROM campaign_sales WHERE workspace_id = ? AND campaign_id = ?",
            [workspace, cid],
        ).fetchall()
    )
    for r in rows:
        r["imported_at"] = first.get(r["order_id"], r["imported_at"])
    return rows


def sales_rows(store: Store, workspace: str, cid: str, *, currency: str) -> dict[str, Any]:
    """Orders and revenue (in ``currency``) by code or link, by placement and by market."""
    rows = store.raw.execute(
        "SELECT s.order_id, s.ordered_at, s.promo_code, s.link, s.revenue, s.currency, s.market, s.placement_id, "
        "s.platform, c.handle FROM campaign_sales s LEFT JOIN creators c ON c.platform = s.platform "
        "AND c.creator_id = s.creator_id WHERE s.workspace_id = ? AND s.campaign_id = ? ORDER BY s.ordered_at",
        [workspace, cid],
    ).fetchall()
    rates = load_rates(store, workspace) if rows else None
    notes: list[str] = []
    by_key: dict[str, dict[str, Any]] = {}
    by_placement: dict[str, dict[str, Any]] = {}
    by_market: dict[str, dict[str, Any]] = {}
    unconverted = 0
    for _oid, ordered, code, link, revenue, cur, market, pid, platform, handle in rows:
        amount: Decimal | None = Decimal(revenue)
        if cur != currency and rates is not None:
            try:
                amount = rates.convert(Decimal(revenue), cur, currency, ordered.date())
            except MicroscoutError:
                amount, unconverted = None, unconverted + 1
        key = code or link or "?"
        creator = f"{platform}:{handle}" if platform and handle else None
        for table, k in ((by_key, key), (by_placement, pid), (by_market, market)):
            if k is None:
                continue
            cell = table.setdefault(k, {"revenue": Decimal(0), "orders": 0, "creator": creator, "market": market})
            cell["orders"] += 1
            if amount is not None:
                cell["revenue"] += amount
    if unconverted:
        notes.append(
            f"{unconverted} order(s) in another currency without an FX rate are counted as orders, not revenue."
        )

    def out(cells: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {k: {**v, "revenue": str(v["revenue"])} for k, v in cells.items()}

    return {
        "by_key": [
            {**v, "key": k, "revenue": str(v["revenue"]), "currency": currency}
            for k, v in sorted(by_key.items(), key=lambda kv: -kv[1]["revenue"])
        ],
        "by_placement": out(by_placement),
        "by_market": out(by_market),
        "notes": notes,
    }
