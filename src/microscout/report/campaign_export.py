"""Campaign results as files: XLSX (one sheet per view), CSV, JSON, and the PDF print of the
HTML page (WeasyPrint, loading nothing but ``data:`` URLs).

Cells that hold text from social media could be read as formulas by a spreadsheet. Every text
cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
``'`` (:func:`neutralise`), and XLSX text is written with ``write_string`` on a workbook that
never turns strings into formulas, numbers or links.

>>> neutralise('=HYPERLINK("http://evil","x")')
'\\'=HYPERLINK("http://evil","x")'
>>> neutralise("ana.fit"), neutralise(12)
('ana.fit', 12)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlsxwriter

from microscout.cells import neutralise
from microscout.errors import InvalidInputError

__all__ = [
    "VIEWS",
    "campaign_views",
    "data_only_url_fetcher",
    "html_to_pdf",
    "neutralise",
    "refuse_non_data_url",
    "write_csv",
    "write_csv_folder",
    "write_json",
    "write_xlsx",
]

_MONEY_KEYS = {"fee", "spend", "revenue", "budget"}

# view name -> (sheet title, columns); rows come from the document key of the same name
VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "summary": ("Summary", ("section", "metric", "value")),
    "posts": (
        "Posts",
        (
            "platform", "post_id", "creator", "role", "placement_id", "deliverable_kind", "market", "language",
            "published_at", "caption", "url", "likes", "comments", "shares", "saves", "views", "engagements", "er",
            "reach", "reach_basis", "impressions", "emv", "disclosure", "disclosure_found", "on_time",
            "self_reported", "competitors",
        ),
    ),
    "creators": (
        "Creators",
        (
            "creator", "platform", "creator_id", "market", "fee", "currency", "deliverables_expected",
            "deliverables_delivered", "late", "missing", "engagements", "er", "reach", "impressions", "emv", "cpe",
            "cpm", "forecast_low", "forecast_high", "verdict", "revenue", "orders", "roas", "disclosure_issues",
            "self_reported",
        ),
    ),
    "markets": (
        "Markets",
        (
            "market", "creators", "deliverables", "engagements", "reach", "emv", "spend", "cpe", "cpm", "ugc_posts",
            "ugc_reach", "revenue", "orders", "roas", "positive", "neutral", "negative", "net_sentiment",
            "share_of_voice",
        ),
    ),
    "deliverables": (
        "Deliverables",
        (
            "placement_id", "creator", "market", "kind", "due_date", "status", "post_id", "published_at",
            "disclosure", "self_reported",
        ),
    ),
    "disclosure": ("Disclosure", ("creator", "market", "post_id", "status", "found", "accepted_options", "caption")),
    "ugc_timeline": ("UGC timeline", ("date", "market", "posts", "reach")),
    "word_of_mouth": ("Word of mouth", ("post_id", "creator", "replies", "quotes", "reposts")),
    "sentiment_timeline": ("Sentiment", ("date", "market", "positive", "neutral", "negative", "net")),
    "sentiment_by_language": (
        "Sentiment by language",
        ("market", "language", "texts", "positive", "neutral", "negative", "net"),
    ),
    "share_of_voice": ("Share of voice", ("market", "brand", "mentions", "share")),
    "themes": ("Themes", ("market", "phrase", "count", "examples")),
    "sales": ("Sales", ("key", "creator", "market", "orders", "revenue", "currency")),
    "definitions": ("Definitions", ("term", "definition")),
    "notes": ("Notes", ("note",)),
}  # fmt: skip


# ------------------------------------------------------------------------------------ cells


def _flat(value: Any) -> Any:
    """Lists become ``; ``-joined text; examples (dicts) become ``post_id: text``."""
    if isinstance(value, dict):
        return ": ".join(str(v) for v in value.values() if v is not None)
    if isinstance(value, list | tuple):
        return "; ".join(str(_flat(item)) for item in value)
    return value


def _money(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _cell(key: str, value: Any) -> Any:
    value = _flat(value)
    return _money(value) if key in _MONEY_KEYS else value


# ------------------------------------------------------------------------------------ views


def _summary_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, value in (doc.get("campaign") or {}).items():
        rows.append({"section": "campaign", "metric": key, "value": _cell(key, value)})
    rows.append({"section": "campaign", "metric": "generated_at", "value": doc.get("generated_at")})
    for key, value in (doc.get("summary") or {}).items():
        if key == "forecast":
            continue
        rows.append({"section": "summary", "metric": key, "value": _cell(key, value)})
    for metric, forecast in ((doc.get("summary") or {}).get("forecast") or {}).items():
        for key, value in (forecast or {}).items():
            rows.append({"section": "forecast", "metric": f"{metric} {key}", "value": value})
    return rows


def _view_rows(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if name == "summary":
        return _summary_rows(doc)
    if name == "word_of_mouth":
        return list((doc.get("word_of_mouth") or {}).get("by_post") or [])
    if name == "definitions":
        return [{"term": k, "definition": v} for k, v in (doc.get("definitions") or {}).items()]
    if name == "notes":
        return [{"note": note} for note in doc.get("notes") or []]
    return list(doc.get(name) or [])


def campaign_views(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each view of :data:`VIEWS` as rows holding exactly its columns (lists joined, money as
    :class:`~decimal.Decimal`, not yet neutralised)."""
    views = {}
    for name, (_, columns) in VIEWS.items():
        views[name] = [{c: _cell(c, row.get(c)) for c in columns} for row in _view_rows(doc, name)]
    return views


# ------------------------------------------------------------------------------------- XLSX


def _write_xlsx_cell(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | Decimal) and math.isfinite(float(value)):
        sheet.write_number(row, col, float(value))
    else:
        sheet.write_string(row, col, neutralise(str(value)))


def write_xlsx(doc: dict[str, Any], out: Path) -> Path:
    """One sheet per view, a bold frozen header row on each."""
    workbook = xlsxwriter.Workbook(
        str(out), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    bold = workbook.add_format({"bold": True})
    for name, rows in campaign_views(doc).items():
        title, columns = VIEWS[name]
        sheet = workbook.add_worksheet(title)
        for col, column in enumerate(columns):
            sheet.write_string(0, col, column, bold)
        for r, row in enumerate(rows, start=1):
            for col, column in enumerate(columns):
                _write_xlsx_cell(sheet, r, col, row[column])
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(columns) - 1, 16)
    workbook.close()
    return out


# -------------------------------------------------------------------------------------- CSV


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


def _write_csv_view(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])


def write_csv(doc: dict[str, Any], out: Path) -> Path:
    """The posts view as one CSV file (UTF-8 with a BOM, so spreadsheets detect the encoding)."""
    _write_csv_view(out, VIEWS["posts"][1], campaign_views(doc)["posts"])
    return out


def write_csv_folder(doc: dict[str, Any], folder: Path) -> Path:
    """One CSV per view (``posts.csv``, ``creators.csv``, ...) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in campaign_views(doc).items():
        _write_csv_view(folder / f"{name}.csv", VIEWS[name][1], rows)
    return folder


# -------------------------------------------------------------------------------------- PDF


def refuse_non_data_url(url: str) -> None:
    """Raise :class:`InvalidInputError` unless ``url`` is a ``data:`` URL."""
    if not url.strip().lower().startswith("data:"):
        raise InvalidInputError(f"refused to fetch {url!r}: campaign reports load nothing but data: URLs")


def data_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class DataOnlyURLFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            refuse_non_data_url(url)
            return super().fetch(url, headers)

    return DataOnlyURLFetcher(allowed_protocols=("data",))


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` to a PDF at ``out`` with WeasyPrint, loading nothing but ``data:`` URLs."""
    from weasyprint import HTML

    HTML(string=html, base_url=None, url_fetcher=data_only_url_fetcher()).write_pdf(str(out))
    return out


# ------------------------------------------------------------------------------------- JSON


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal | dt.date | dt.datetime | Path):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise InvalidInputError(f"cannot write a {type(value).__name__} to JSON")


def write_json(doc: dict[str, Any], out: Path) -> Path:
    """The document as-is: UTF-8, not ASCII-escaped; Decimals and dates as text."""
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return out
