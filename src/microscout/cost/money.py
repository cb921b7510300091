"""Money: exact Decimal amounts in cents and currency conversion from the workspace's rates.

Every amount that is stored or shown is a :class:`~decimal.Decimal` quantised to cents with
banker's rounding (``ROUND_HALF_EVEN``), so sums and conversions are exact and reproducible;
floats appear only inside models and the solver, and are re-quantised on the way out.

Rates come from ``fx_rates`` (``microscout fx import``): ``rate`` is how many ``quote`` one
``base`` buys on ``rate_date``. A conversion on a day uses the latest rate on or before that day —
direct (base → quote), inverted (quote → base, 1 / rate) or across one common currency (e.g.
EUR → USD → BRL) — and says clearly when no such rate exists.

>>> to_money("10.005")
Decimal('10.00')
>>> to_money("10.015")
Decimal('10.02')
>>> rates = FxRates({("USD", "EUR"): [(dt.date(2026, 1, 1), Decimal("0.9"))]})
>>> rates.convert(Decimal("100"), "EUR", "USD", dt.date(2026, 2, 1))
Decimal('111.11')
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from microscout.errors import InvalidInputError, NotFoundError

__all__ = ["CENT", "FxRates", "format_money", "load_rates", "to_money"]

CENT = Decimal("0.01")
# enough digits for any realistic amount × rate (MONEY is 18 digits, RATE has 8 decimals)
_CONTEXT = Context(prec=38, rounding=ROUND_HALF_EVEN)
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "BRL": "R$", "INR": "₹", "TRY": "₺"}


def to_money(value: Decimal | int | str | float) -> Decimal:
    """An amount in cents (``ROUND_HALF_EVEN``). A float goes through its shortest repr."""
    if isinstance(value, bool):
        raise InvalidInputError(f"not an amount of money: {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInputError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidInputError(f"not a finite amount of money: {value!r}")
    with localcontext(_CONTEXT):
        return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def format_money(amount: Decimal | float, currency: str) -> str:
    """``€25,000.00``, ``$1,234.50`` or ``1,234.50 IDR`` (symbols for a few common currencies)."""
    value = to_money(amount)
    text = f"{value:,.2f}"
    symbol = _SYMBOLS.get(currency)
    if symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {currency}"


class FxRates:
    """Exchange rates by (base, quote), each a date-sorted list of (date, rate)."""

    def __init__(self, rates: dict[tuple[str, str], list[tuple[dt.date, Decimal]]]) -> None:
        self._rates = {pair: sorted(rows) for pair, rows in rates.items()}
        self._dates = {pair: [d for d, _ in rows] for pair, rows in self._rates.items()}

    def __bool__(self) -> bool:
        return bool(self._rates)

    def currencies(self) -> set[str]:
        return {c for pair in self._rates for c in pair}

    def _on(self, base: str, quote: str, day: dt.date) -> tuple[Decimal, dt.date] | None:
        """The latest base → quote rate on or before ``day`` (direct or inverted)."""
        found: list[tuple[dt.date, Decimal]] = []
        for pair, invert in (((base, quote), False), ((quote, base), True)):
            dates = self._dates.get(pair)
            if not dates:
                continue
            k = bisect.bisect_right(dates, day)
            if k:
                when, rate = self._rates[pair][k - 1]
                with localcontext(_CONTEXT):
                    found.append((when, Decimal(1) / rate if invert else rate))
        if not found:
            return None
        when, rate = max(found, key=lambda r: r[0])
        return rate, when

    def rate(self, base: str, quote: str, day: dt.date) -> tuple[Decimal, dt.date]:
        """How many ``quote`` one ``base`` buys on ``day`` and the (oldest) rate date used.

        Raises :class:`NotFoundError` with one line when no rate on or before ``day`` connects them.
        """
        if base == quote:
            return Decimal(1), day
        direct = self._on(base, quote, day)
        if direct:
            return direct
        best: tuple[Decimal, dt.date] | None = None
        for pivot in sorted(self.currencies() - {base, quote}):
            first, second = self._on(base, pivot, day), self._on(pivot, quote, day)
            if first and second:
                with localcontext(_CONTEXT):
                    candidate = (first[0] * second[0], min(first[1], second[1]))
                if best is None or candidate[1] > best[1]:
                    best = candidate
        if best:
            return best
        raise NotFoundError(self._missing(base, quote, day))

    def _missing(self, base: str, quote: str, day: dt.date) -> str:
        known = [d for pair, dates in self._dates.items() if set(pair) == {base, quote} for d in dates]
        hint = f" (rates for {base}/{quote} start {min(known).isoformat()})" if known else ""
        return (
            f"no exchange rate {base}→{quote} on or before {day.isoformat()}{hint}; "
            "import one with `microscout fx import FILE` (columns base, quote, date, rate)"
        )

    def convert(self, amount: Decimal, source: str, target: str, day: dt.date) -> Decimal:
        """``amount`` in ``source`` expressed in ``target`` on ``day``, in cents."""
        rate, _ = self.rate(source, target, day)
        with localcontext(_CONTEXT):
            return to_money(Decimal(amount) * rate)

    def factor(self, source: str, target: str, day: dt.date) -> float:
        """The conversion rate as a float, for models (never for stored amounts)."""
        return float(self.rate(source, target, day)[0])


def load_rates(store: Any, workspace: str) -> FxRates:
    """Every rate of ``workspace`` from the store."""
    frame = store.table("fx_rates", workspace=workspace).select("base", "quote", "rate_date", "rate").to_pandas()
    rates: dict[tuple[str, str], list[tuple[dt.date, Decimal]]] = {}
    for row in frame.itertuples(index=False):
        day = row.rate_date.date() if isinstance(row.rate_date, dt.datetime) else row.rate_date
        if hasattr(day, "to_pydatetime"):
            day = day.to_pydatetime().date()
        rates.setdefault((row.base, row.quote), []).append((day, Decimal(str(row.rate))))
    return FxRates(rates)
