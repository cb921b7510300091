"""Cost: exact money, exchange rates, past deals and price estimates per deliverable.

* :mod:`microscout.cost.money` — Decimal amounts in cents (``ROUND_HALF_EVEN``) and conversion with
  the latest rate on or before a date;
* :mod:`microscout.cost.imports` — ``deals import`` and ``fx import`` (validation, quarantine,
  idempotent re-import);
* :mod:`microscout.cost.model` — the rate-card estimate, and the model learned from past deals with
  a prediction interval (docs/cost.md).
"""

from __future__ import annotations

from microscout.cost.imports import ImportResult, import_deals, import_fx
from microscout.cost.model import MIN_DEALS, CostModel, card_deliverable, fit_cost_model, price_packages
from microscout.cost.money import CENT, FxRates, format_money, load_rates, to_money

__all__ = [
    "CENT",
    "MIN_DEALS",
    "CostModel",
    "FxRates",
    "ImportResult",
    "card_deliverable",
    "fit_cost_model",
    "format_money",
    "import_deals",
    "import_fx",
    "load_rates",
    "price_packages",
    "to_money",
]
