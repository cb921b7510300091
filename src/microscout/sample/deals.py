"""The known price function, deals priced by it, and monthly USD exchange rates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.sample._common import KINDS, NOW, PLATFORMS, id_array
from microscout.sample.context import Setup

if TYPE_CHECKING:
    from microscout.sample.chunk import Chunk


class PriceFunction(TypedDict):
    """Parameters of the price function (see ``truth_price.json``)."""

    a: float
    b: float
    c: float
    noise_sigma: float
    platform: dict[str, float]
    market: dict[str, float]
    deliverable: dict[str, float]


# The known price function (documented in truth_price.json and docs/sample-world.md).
PRICE: PriceFunction = {
    "a": 0.12,
    "b": 0.80,
    "c": 0.5,
    "noise_sigma": 0.25,
    "platform": {"instagram": 1.0, "tiktok": 0.7, "youtube": 1.8, "x": 0.4, "bluesky": 0.3},
    "market": {
        "US": 1.0,
        "GB": 0.95,
        "DE": 0.9,
        "FR": 0.85,
        "IT": 0.75,
        "ES": 0.75,
        "JP": 0.9,
        "SA": 0.8,
        "MX": 0.45,
        "BR": 0.45,
        "TR": 0.35,
        "IN": 0.3,
        "ID": 0.3,
    },
    "deliverable": {"post": 1.0, "reel": 1.3, "carousel": 1.1, "story": 0.5, "video": 1.0, "short": 0.5, "tweet": 1.0},
}
FX_BASE: dict[str, float] = {
    "USD": 1.0,
    "GBP": 0.78,
    "EUR": 0.92,
    "MXN": 18.5,
    "BRL": 5.4,
    "JPY": 150.0,
    "IDR": 16000.0,
    "INR": 85.0,
    "TRY": 38.0,
    "SAR": 3.75,
}


def price_doc(setup: Setup) -> dict[str, Any]:
    return {
        "formula": "fee_usd = a * followers^b * (1 + c * er_residual) * platform[p] * market[m]"
        " * deliverable[d] * exp(N(0, noise_sigma)); fee = fee_usd * fx(USD->currency,"
        " first day of the deal month)",
        "er_residual": "log10(true_er / expected ER for the platform at that follower count), clipped to [-0.6, 0.6]",
        "price_factor": "truth_creators.price_factor = (1 + c * er_residual) * platform * market",
        "followers": "the creator's current follower count (creators.followers)",
        **PRICE,
        "currencies": dict(zip(setup.markets, setup.market_currency, strict=False)),
    }


def fx_rate(seed: int, currency: str, month: int) -> float:
    """USD -> currency on the first day of month ``month`` months before NOW's month (0..12)."""
    base = FX_BASE[currency]
    if currency == "USD":
        return 1.0
    k = sorted(FX_BASE).index(currency)
    phase = (seed % 997) * 0.013 + k
    return base * (1 + 0.03 * np.sin(phase + month * 0.7) - 0.002 * month * ((k % 3) - 1))


def month_start(months_back: int) -> date:
    y, m = NOW.year, NOW.month - months_back
    while m < 1:
        m += 12
        y -= 1
    return date(y, m, 1)


def fx_rows(seed: int) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {"base": [], "quote": [], "rate_date": [], "rate": []}
    for cur in sorted(FX_BASE):
        if cur == "USD":
            continue
        for mb in range(13, -1, -1):
            rows["base"].append("USD")
            rows["quote"].append(cur)
            rows["rate_date"].append(month_start(mb))
            rows["rate"].append(Decimal(f"{fx_rate(seed, cur, mb):.8f}"))
    return rows


def make_deals(ch: Chunk) -> None:
    """Write 1-3 deals for ~20 % of creators, priced by the known price function."""
    s, rng, n = ch.s, ch.rng, ch.n
    has = rng.random(n) < 0.2
    k = np.where(has, rng.integers(1, 4, n), 0)
    who = np.repeat(np.arange(n), k)
    j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    D = len(who)
    pf_platform = np.array([PRICE["platform"][p] for p in PLATFORMS])[ch.plat]
    pf_market = np.array([PRICE["market"].get(m, 1.0) for m in s.markets])[ch.mkt]
    ch.price_factor = (1 + PRICE["c"] * ch.er_resid) * pf_platform * pf_market
    kinds = []
    u = rng.random(D)
    for i in range(D):
        opts = KINDS[PLATFORMS[ch.plat[who[i]]]]
        cum = np.cumsum([w for _, w in opts])
        kinds.append(opts[min(int(np.searchsorted(cum, u[i], side="right")), len(opts) - 1)][0])
    dfac = np.array([PRICE["deliverable"][x] for x in kinds]) if D else np.zeros(0)
    noise = np.exp(rng.normal(0, PRICE["noise_sigma"], D))
    fee_usd = PRICE["a"] * ch.followers[who] ** PRICE["b"] * ch.price_factor[who] * dfac * noise
    months_back = rng.integers(0, 12, D)
    days_in = rng.integers(0, 28, D)
    fees, dates, curs = [], [], []
    for i in range(D):
        cur = s.market_currency[ch.mkt[who[i]]]
        start = month_start(int(months_back[i]))
        dd = start + timedelta(days=int(days_in[i]))
        if dd >= NOW.date():
            dd = NOW.date() - timedelta(days=1)
            start = date(dd.year, dd.month, 1)
        mb = (NOW.year - start.year) * 12 + NOW.month - start.month
        local = fee_usd[i] * fx_rate(ch.s.seed, cur, mb)
        fees.append(Decimal(f"{local:.2f}") if cur not in ("JPY", "IDR") else Decimal(f"{round(local):d}.00"))
        dates.append(dd)
        curs.append(cur)
    deal_ids = pc.binary_join_element_wise(id_array("sd", ch.gid[who], 7), id_array("-", j, 1), "")
    ch.sinks["deals"].write(
        {
            "deal_id": deal_ids,
            "platform": ch.pname.take(pa.array(who)),
            "creator_id": ch.creator_id.take(pa.array(who)),
            "deliverable": kinds,
            "fee": pa.array(fees, pa.decimal128(18, 2)),
            "currency": curs,
            "deal_date": pa.array(dates, pa.date32()),
            "source": ["sample"] * D,
        }
    )
