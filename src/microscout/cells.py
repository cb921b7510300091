"""Spreadsheet-safe cells: untrusted text never runs as a formula in CSV or XLSX.

>>> safe_cell('=HYPERLINK("http://evil","x")'), safe_cell("ok"), safe_cell(["a", 1])
('\\'=HYPERLINK("http://evil","x")', 'ok', '["a", 1]')
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FORMULA_STARTS", "neutralise", "safe_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet could run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A CSV/XLSX cell: formulas neutralised, lists and mappings as JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return neutralise(value)
