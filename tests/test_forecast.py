"""Forecasts: reproducible for a seed, consistent with their formulas, honest about missing signals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from microscout.forecast import creator_intervals, expected, forecast_inputs, interval, simulate


def _frame(n: int = 3, **columns) -> pd.DataFrame:
    base = {
        "platform": ["instagram"] * n,
        "tier": ["nano"] * n,
        "followers": [5000.0] * n,
        "er_posterior": [0.03] * n,
        "er_low": [0.015] * n,
        "er_high": [0.06] * n,
        "er_log_sd": [0.6] * n,
        "er_log_n": [30] * n,
        "price_low_f": [40.0] * n,
        "price_mid_f": [60.0] * n,
        "price_high_f": [90.0] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_simulation_is_reproducible_for_a_seed():
    inputs, _ = forecast_inputs(_frame(), [("reel", 1), ("story", 2)])
    a = simulate(inputs, draws=500, seed=7)
    b = simulate(inputs, draws=500, seed=7)
    c = simulate(inputs, draws=500, seed=8)
    for key in a.values:
        np.testing.assert_array_equal(a.values[key], b.values[key])
    assert not np.array_equal(a.values["engagements"], c.values["engagements"])
    assert creator_intervals(a).equals(creator_intervals(b))


def test_expected_engagements_match_the_formula_and_the_simulation_mean():
    frame = _frame(1)
    inputs, _ = forecast_inputs(frame, [("post", 2)])
    f = 5000.0
    off = 0.5 / f
    s_int = (math.log(0.06 + off) - math.log(0.015 + off)) / (2 * 1.6448536269514722)
    level_var = s_int**2 - (math.pi / 2) * 0.6**2 / 30
    mean_er = math.exp(math.log(0.03 + off) + (level_var + 0.36) / 2) - off
    means = expected(inputs)
    assert means.engagements.iloc[0] == pytest.approx(f * mean_er * 2)
    sim = simulate(inputs, draws=40_000, seed=1)
    assert np.nanmean(sim.values["engagements"]) == pytest.approx(means.engagements.iloc[0], rel=0.03)
    low, high = interval(sim.values["engagements"][0])
    assert low < means.engagements.iloc[0] < high


def test_stories_count_for_reach_not_engagements():
    inputs, _ = forecast_inputs(_frame(1), [("story", 3)])
    means = expected(inputs)
    assert means.engagements.iloc[0] == 0
    # Minter.io story reach rate, 0-20k followers: 8.16 %; three stories → unique reach 1 − (1 − r)^3
    assert means.reach.iloc[0] == pytest.approx(5000 * (1 - (1 - 0.0816) ** 3))
    assert means.impressions.iloc[0] == pytest.approx(5000 * 3 * 0.0816)


def test_authentic_share_from_suspicious_share_then_aqs_then_not_computed():
    frame = _frame(3, suspicious_share=[0.2, None, None], aqs=[50.0, 80.0, None])
    inputs, notes = forecast_inputs(frame, [("post", 1)])
    assert inputs.share.tolist() == pytest.approx([0.8, 0.8, 1.0])
    assert inputs.share_basis.tolist() == [
        "1 − suspicious-follower share",
        "AQS-implied share (suspicious share not computed)",
        "not computed",
    ]
    assert any("authentic share not computed for 1 creator(s)" in n for n in notes)
    means = expected(inputs)
    assert means.authentic.tolist() == pytest.approx((means.engagements * [0.8, 0.8, 1.0]).tolist())


def test_missing_posterior_is_not_guessed():
    inputs, notes = forecast_inputs(_frame(2, er_posterior=[0.03, None]), [("post", 1)])
    means = expected(inputs)
    assert np.isfinite(means.engagements.iloc[0]) and np.isnan(means.engagements.iloc[1])
    sim = simulate(inputs, draws=200, seed=0)
    assert np.isnan(sim.values["engagements"][1]).all()
    assert any("without a posterior ER" in n for n in notes)


def test_plan_totals_and_cost_metrics():
    inputs, _ = forecast_inputs(_frame(4), [("post", 1)])
    sim = simulate(inputs, draws=2000, seed=3)
    totals = sim.totals()
    np.testing.assert_allclose(totals["engagements"], sim.values["engagements"].sum(axis=0))
    np.testing.assert_allclose(totals["cpe"], totals["cost"] / totals["authentic"])
    cost_low, cost_high = interval(sim.values["cost"][0])
    # price draws: 10th / 90th percentiles at the price interval's ends
    assert cost_low == pytest.approx(40, rel=0.08) and cost_high == pytest.approx(90, rel=0.08)
