"""Price estimates: the rate-card formula, the learned model's interval, Decimal package prices."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from microscout.cost import MIN_DEALS, CostModel, FxRates, card_deliverable, fit_cost_model, price_packages
from microscout.cost.model import fit_deals
from microscout.errors import NotFoundError


def _frame(**columns):
    base = {
        "platform": ["instagram"],
        "tier": ["nano"],
        "market": ["US"],
        "followers": [1000],
        "er_posterior_percentile": [0.5],
        "er_residual": [0.0],
    }
    base.update(columns)
    n = max(len(v) for v in base.values())
    return pd.DataFrame({k: (v * n if len(v) == 1 else v) for k, v in base.items()})


def test_card_deliverable_maps_formats():
    assert card_deliverable("instagram", "reel", {"post", "reel", "story"}) == "reel"
    assert card_deliverable("tiktok", "reel", {"video"}) == "video"
    assert card_deliverable("youtube", "story", {"video", "short"}) == "short"
    assert card_deliverable("x", "carousel", {"tweet"}) == "tweet"
    assert card_deliverable("x", "post", set()) is None


def test_rate_card_interpolates_in_the_tier_and_applies_market_and_engagement():
    model = CostModel("rate_card")
    frame = _frame(
        followers=[1000, 3162.2776601683795, 10000, 1000, 1000, 1000],
        tier=["nano", "nano", "micro", "nano", "nano", "nano"],
        market=["US", "US", "US", "BR", "US", "US"],
        er_posterior_percentile=[0.5, 0.5, 0.5, 0.5, 1.0, None],
    )
    usd = model.price_usd(frame, [("post", 1)])
    assert usd["mid"].tolist() == pytest.approx([10.0, math.sqrt(10 * 100), 100.0, 4.5, 12.0, 10.0])
    # the interval is point ×/÷ exp(1.2816 · 0.45)
    assert (usd["high"] / usd["mid"]).tolist() == pytest.approx([math.exp(1.2815515655446004 * 0.45)] * 6)
    # two stories and a reel: the package adds the deliverables
    package = model.price_usd(frame.iloc[:1], [("reel", 1), ("story", 2)])
    assert package["mid"].iloc[0] == pytest.approx(14 + 2 * 5)


def test_higher_engagement_never_lowers_the_rate_card_price():
    model = CostModel("rate_card")
    pct = np.linspace(0, 1, 11)
    usd = model.price_usd(_frame(er_posterior_percentile=list(pct)), [("post", 1)])
    assert np.all(np.diff(usd["mid"].to_numpy()) > 0)


def _deals(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    platforms = rng.choice(["instagram", "tiktok", "youtube"], n)
    kinds = np.array([{"instagram": "post", "tiktok": "video", "youtube": "video"}[p] for p in platforms])
    markets = rng.choice(["US", "DE", "BR"], n)
    followers = np.exp(rng.uniform(np.log(1000), np.log(100_000), n))
    pct = rng.random(n)
    true = (
        0.12
        * followers**0.8
        * np.array([{"instagram": 1.0, "tiktok": 0.7, "youtube": 1.8}[p] for p in platforms])
        * np.array([{"US": 1.0, "DE": 0.9, "BR": 0.45}[m] for m in markets])
        * (1 + 0.3 * (pct - 0.5))
    )
    return pd.DataFrame(
        {
            "platform": platforms,
            "creator_id": [f"c{seed}-{i}" for i in range(n)],
            "tier": np.where(followers < 10_000, "nano", "micro"),
            "market": markets,
            "followers": followers,
            "er_posterior_percentile": pct,
            "er_residual": 0.0,
            "deliverable": kinds,
            "fee_usd": true * np.exp(rng.normal(0, 0.25, n)),
        }
    )


def test_learned_model_beats_the_rate_card_and_its_interval_is_honest():
    train, test = _deals(600, 1), _deals(400, 2)
    model = fit_deals(train)
    kinds = test.deliverable.to_numpy(dtype=object)
    actual = test.fee_usd.to_numpy()
    point = model.predict_items(model.features(test, kinds))
    inside = (actual >= point * math.exp(model.q_low)) & (actual <= point * math.exp(model.q_high))
    assert 0.72 <= inside.mean() <= 0.88
    mdape = np.median(np.abs(point - actual) / actual)
    card = CostModel("rate_card")
    card_mdape = np.median(np.abs(card.predict_items(card.features(test, kinds)) - actual) / actual)
    assert mdape < 0.3 < card_mdape
    assert model.q_low < 0 < model.q_high


def test_too_few_deals_fall_back_to_rate_cards(store):
    model = fit_cost_model(store, "default", FxRates({}))
    assert model.method == "rate_card"
    assert any("no past deals" in note for note in model.notes)
    assert MIN_DEALS == 30


def test_package_prices_are_decimal_cents_in_the_brief_currency():
    fx = FxRates({("USD", "EUR"): [(dt.date(2026, 1, 1), Decimal("0.92"))]})
    frame = _frame(followers=[1000, 3000])
    prices = price_packages(
        CostModel("rate_card"), frame, [("post", 2)], currency="EUR", day=dt.date(2026, 6, 1), fx=fx
    )
    assert prices.price_mid.iloc[0] == Decimal("18.40")  # 2 × $10 × 0.92
    for value in prices.price_low.tolist() + prices.price_mid.tolist() + prices.price_high.tolist():
        assert isinstance(value, Decimal) and value == value.quantize(Decimal("0.01"))
    assert prices.price_low.iloc[1] < prices.price_mid.iloc[1] < prices.price_high.iloc[1]
    with pytest.raises(NotFoundError, match="USD→GBP"):
        price_packages(CostModel("rate_card"), frame, [("post", 1)], currency="GBP", day=dt.date(2026, 6, 1), fx=fx)
