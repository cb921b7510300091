"""Forecasts per creator and per plan: engagements, authentic engagements, reach, UGC, CPE, CPM.

Formulas (docs/forecasts.md has the derivations and the sources):

* **Engagement rate of one deliverable** (log scale, per post):
  ``log(ER + 0.5/F) = c + s_level · Z + s_post · ε`` with ``c = log(er_posterior + 0.5/F)`` (the
  creator's posterior level, ``creator_profiles``), ``s_level`` read off the 90 % predictive interval
  ``[er_low, er_high]`` (``((log high − log low) / (2 · 1.645))²`` minus the sampling variance of a
  30-post median, ``(π/2) · s_post² / 30``: uncertainty about the creator's level next month),
  ``s_post = er_log_sd`` (post-to-post spread of that creator; 0.72, the calibrated
  sample-world value, when fewer than 5 posts) and ``Z``, ``ε`` standard normal — ``Z`` once per
  creator, ``ε`` once per deliverable.
* **Engagements** = ``F × Σ_d count_d · ER_d`` over deliverables with public engagement (stories
  have none: they count for reach only).
* **Authentic engagements** = engagements × authentic audience share: ``1 − suspicious_share`` (drawn
  uniformly inside ``[suspicious_low, suspicious_high]``), else the AQS-implied share ``aqs / 100``
  (inside ``[aqs_low, aqs_high]``); when neither is computed the share is 1 and the result says
  "authentic share not computed".
* **Reach** (unique accounts) = ``F × (1 − Π_d (1 − r_d)^count_d)`` and **impressions** = ``F × Σ_d
  count_d · r_d``, with ``r_d`` the reach rate of the platform × tier × deliverable
  (``reference/reach_rates.csv``, sources per row), drawn log-normally with the row's band as its
  10th–90th percentiles (one draw per creator).
* **UGC volume** = Poisson(authentic engagements × ``ugc_rate`` / 1000), ``ugc_rate`` from
  ``reference/ugc_rates.csv`` (project defaults, band as above).
* **Cost** is drawn from the price interval (log-normal, median = the point estimate, 10th / 90th
  percentiles = the interval ends); **CPE** = cost / authentic engagements, **CPM** = cost /
  impressions × 1000.

Intervals are the 10th and 90th percentiles of a seeded Monte Carlo (``numpy.random.default_rng``):
the same seed gives the same numbers. A plan's interval sums the creators' draws draw by draw.
Expected values (what the planner maximises) are closed-form means, so the plan does not depend on
the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from microscout.reference import load_table

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_POST_SD",
    "KPI_COLUMNS",
    "Simulation",
    "expected",
    "forecast_inputs",
    "interval",
    "simulate",
]

DEFAULT_DRAWS = 2000
DEFAULT_POST_SD = 0.72  # post-to-post lognormal σ of the calibrated sample world (docs/sample-world.md)
MIN_POSTS_FOR_SD = 5
WINDOW_POSTS = 30  # the metrics window the predictive interval refers to (docs/metrics.md)
MIN_LEVEL_SD = 0.1
FALLBACK_LEVEL_SD = 0.5  # level uncertainty when the profile has no interval
Z80 = 1.2815515655446004
Z90 = 1.6448536269514722
NO_ENGAGEMENT_KINDS = frozenset({"story"})  # engagement on stories is not public
KPI_COLUMNS = {"authentic_engagements": "authentic", "reach": "reach", "ugc_volume": "ugc"}
_TIER_FALLBACK = {"sub_nano": "nano"}


def _reach_table(reference_dir: Any) -> dict[tuple[str, str, str], tuple[float, float, float]]:
    rows = load_table("reach_rates", reference_dir=reference_dir).rows
    return {
        (r["platform"], r["tier"], r["deliverable"]): (float(r["rate"]), float(r["low"]), float(r["high"]))
        for r in rows
    }


def _ugc_table(reference_dir: Any) -> dict[str, tuple[float, float, float]]:
    rows = load_table("ugc_rates", reference_dir=reference_dir).rows
    return {r["platform"]: (float(r["rate"]), float(r["low"]), float(r["high"])) for r in rows}


def _reach_kind(platform: str, kind: str, table: dict[tuple[str, str, str], Any]) -> str | None:
    available = {d for (p, _, d) in table if p == platform}
    from microscout.cost.model import card_deliverable

    return card_deliverable(platform, kind, available)


def forecast_inputs(
    frame: pd.DataFrame, deliverables: list[tuple[str, int]], *, reference_dir: Any = None
) -> tuple[pd.DataFrame, list[str]]:
    """Per-creator parameters of the forecast, and notes on what was not computed.

    ``frame`` needs ``platform``, ``tier``, ``followers``, ``er_posterior``, ``er_low``, ``er_high``,
    ``er_log_sd``, ``er_log_n`` and may have ``suspicious_share|low|high``, ``aqs|aqs_low|aqs_high``,
    ``price_low_f``, ``price_mid_f``, ``price_high_f``.
    """
    reach = _reach_table(reference_dir)
    ugc = _ugc_table(reference_dir)
    n = len(frame)
    f = frame["followers"].astype(float).to_numpy()

    def col(name: str) -> np.ndarray:
        if name not in frame:
            return np.full(n, np.nan)
        return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=float)

    off = 0.5 / np.maximum(f, 1.0)
    er = col("er_posterior")
    low, high = col("er_low"), col("er_high")
    centre = np.log(np.maximum(er, 0) + off)
    post_sd = col("er_log_sd")
    post_n = col("er_log_n")
    s_post = np.where(np.isfinite(post_sd) & (post_n >= MIN_POSTS_FOR_SD), post_sd, DEFAULT_POST_SD)
    # the interval is for the median of a 30-post window: its variance holds the sampling variance of
    # that median, (π/2)·σ²/30, which a single post does not have (its own spread is s_post)
    s_interval = (np.log(np.maximum(high, 0) + off) - np.log(np.maximum(low, 0) + off)) / (2 * Z90)
    level_var = s_interval**2 - (math.pi / 2) * s_post**2 / WINDOW_POSTS
    s_level = np.where(np.isfinite(level_var), np.sqrt(np.maximum(level_var, MIN_LEVEL_SD**2)), FALLBACK_LEVEL_SD)
    eng_posts = sum(c for k, c in deliverables if k not in NO_ENGAGEMENT_KINDS)

    sus, sus_lo, sus_hi = col("suspicious_share"), col("suspicious_low"), col("suspicious_high")
    aqs, aqs_lo, aqs_hi = col("aqs"), col("aqs_low"), col("aqs_high")
    has_sus, has_aqs = np.isfinite(sus), np.isfinite(aqs)

    def fill(bound: np.ndarray, value: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(bound), bound, value)

    share = np.where(has_sus, 1 - sus, np.where(has_aqs, aqs / 100, 1.0))
    share_lo = np.where(has_sus, 1 - fill(sus_hi, sus), np.where(has_aqs, fill(aqs_lo, aqs) / 100, 1.0))
    share_hi = np.where(has_sus, 1 - fill(sus_lo, sus), np.where(has_aqs, fill(aqs_hi, aqs) / 100, 1.0))
    share_lo, share_hi = np.clip(np.minimum(share_lo, share), 0, 1), np.clip(np.maximum(share_hi, share), 0, 1)
    basis = np.where(
        has_sus,
        "1 − suspicious-follower share",
        np.where(has_aqs, "AQS-implied share (suspicious share not computed)", "not computed"),
    )

    tiers = [(_TIER_FALLBACK.get(t, t) if isinstance(t, str) else "nano") for t in frame["tier"].tolist()]
    platforms = frame["platform"].astype(str).tolist()
    reach_once = np.zeros(n)  # log(1 − reach) summed: unique reach = 1 − exp(.)
    impressions = np.zeros(n)
    reach_sd = np.zeros(n)
    missing_reach = 0
    for i, (p, t) in enumerate(zip(platforms, tiers, strict=True)):
        log_miss, imp, spread = 0.0, 0.0, 0.0
        for kind, count in deliverables:
            key = _reach_kind(p, kind, reach)
            row = reach.get((p, t, key)) if key else None
            if row is None:
                missing_reach += 1
                continue
            rate, lo, hi = row
            log_miss += count * math.log(max(1e-9, 1 - min(rate, 0.999)))
            imp += count * rate
            up = math.log(hi / rate) / Z80 if hi > rate else 0.0
            down = math.log(rate / lo) / Z80 if 0 < lo < rate else 0.0
            spread = max(spread, up, down)
        reach_once[i], impressions[i], reach_sd[i] = log_miss, imp, spread
    ugc_rate = np.array([ugc.get(p, (np.nan, np.nan, np.nan))[0] for p in platforms])
    ugc_sd = np.array(
        [math.log(ugc[p][2] / ugc[p][0]) / Z80 if p in ugc and ugc[p][2] > ugc[p][0] else 0.0 for p in platforms]
    )
    out = pd.DataFrame(
        {
            "followers": f,
            "centre": centre,
            "s_level": s_level,
            "s_post": s_post,
            "offset": off,
            "eng_posts": float(eng_posts),
            "share": share,
            "share_lo": share_lo,
            "share_hi": share_hi,
            "share_basis": basis,
            "log_miss": reach_once,
            "impression_rate": impressions,
            "reach_sd": reach_sd,
            "ugc_rate": ugc_rate,
            "ugc_sd": ugc_sd,
            "price_mid": col("price_mid_f"),
            "price_low": col("price_low_f"),
            "price_high": col("price_high_f"),
            "has_er": np.isfinite(er),
        },
        index=frame.index,
    )
    notes = []
    if (~out.has_er).any():
        notes.append(f"{int((~out.has_er).sum())} creator(s) without a posterior ER: engagements not computed")
    if (basis == "not computed").any():
        notes.append(
            f"authentic share not computed for {int((basis == 'not computed').sum())} creator(s) "
            "(no suspicious-follower share or AQS yet): their engagements are counted in full"
        )
    elif (basis != "1 − suspicious-follower share").any():
        notes.append(
            f"{int((basis != '1 − suspicious-follower share').sum())} creator(s): authentic share from the AQS"
        )
    if missing_reach:
        notes.append(
            f"{missing_reach} creator × deliverable pair(s) without a reference reach rate (left out of reach)"
        )
    return out, notes


def expected(inputs: pd.DataFrame) -> pd.DataFrame:
    """Closed-form expected engagements, authentic engagements, reach, impressions and UGC."""
    f = inputs.followers.to_numpy()
    var = inputs.s_level.to_numpy() ** 2 + inputs.s_post.to_numpy() ** 2
    er = np.maximum(np.exp(inputs.centre.to_numpy() + var / 2) - inputs.offset.to_numpy(), 0.0)
    engagements = np.where(inputs.has_er, f * er * inputs.eng_posts.to_numpy(), np.nan)
    authentic = engagements * inputs.share.to_numpy()
    reach = f * (1 - np.exp(inputs.log_miss.to_numpy()))
    impressions = f * inputs.impression_rate.to_numpy()
    ugc = authentic * inputs.ugc_rate.to_numpy() / 1000
    return pd.DataFrame(
        {"engagements": engagements, "authentic": authentic, "reach": reach, "impressions": impressions, "ugc": ugc},
        index=inputs.index,
    )


@dataclass
class Simulation:
    """Monte Carlo draws (creators × draws) of every forecast quantity."""

    draws: int
    seed: int
    values: dict[str, np.ndarray] = field(default_factory=dict)

    def subset(self, rows: np.ndarray) -> Simulation:
        return Simulation(self.draws, self.seed, {k: v[rows] for k, v in self.values.items()})

    def totals(self) -> dict[str, np.ndarray]:
        """Plan-level draws: sums over creators, then CPE and CPM from the summed draws."""
        sums = {k: np.nansum(v, axis=0) for k, v in self.values.items() if k not in ("cpe", "cpm")}
        with np.errstate(divide="ignore", invalid="ignore"):
            sums["cpe"] = np.where(sums["authentic"] > 0, sums["cost"] / sums["authentic"], np.nan)
            sums["cpm"] = np.where(sums["impressions"] > 0, sums["cost"] / sums["impressions"] * 1000, np.nan)
        return sums


def _two_piece(mid: np.ndarray, low: np.ndarray, high: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Log-normal with median ``mid`` and 10th / 90th percentiles ``low`` / ``high`` (per side)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(high > mid, np.log(high / mid) / Z80, 0.0)
        down = np.where((low > 0) & (low < mid), np.log(mid / low) / Z80, 0.0)
    up, down = np.nan_to_num(up)[:, None], np.nan_to_num(down)[:, None]
    return mid[:, None] * np.exp(np.where(z > 0, up * z, down * z))


def simulate(inputs: pd.DataFrame, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> Simulation:
    """Seeded Monte Carlo of every quantity; draws are creators × ``draws`` arrays."""
    rng = np.random.default_rng(seed)
    n = len(inputs)
    f = inputs.followers.to_numpy()[:, None]
    off = inputs.offset.to_numpy()[:, None]
    level = inputs.centre.to_numpy()[:, None] + inputs.s_level.to_numpy()[:, None] * rng.standard_normal((n, draws))
    posts = round(float(inputs.eng_posts.iloc[0])) if n else 0
    er_sum = np.zeros((n, draws))
    s_post = inputs.s_post.to_numpy()[:, None]
    for _ in range(posts):
        er_sum += np.maximum(np.exp(level + s_post * rng.standard_normal((n, draws))) - off, 0.0)
    engagements = np.where(inputs.has_er.to_numpy()[:, None], f * er_sum, np.nan)
    lo, hi = inputs.share_lo.to_numpy()[:, None], inputs.share_hi.to_numpy()[:, None]
    share = lo + (hi - lo) * rng.random((n, draws))
    authentic = engagements * share
    z_reach = rng.standard_normal((n, draws))  # one reach-rate draw per creator and draw, shared by deliverables
    scale = np.exp(inputs.reach_sd.to_numpy()[:, None] * z_reach)
    log_miss = inputs.log_miss.to_numpy()[:, None]
    # scaling every rate by `scale` scales log(1 − r) by about `scale` for small rates; capped at 100 %
    reach = f * (1 - np.exp(np.minimum(log_miss * scale, 0.0)))
    reach = np.minimum(reach, f)
    impressions = f * inputs.impression_rate.to_numpy()[:, None] * scale
    ugc_z = rng.standard_normal((n, draws))
    ugc_rate = inputs.ugc_rate.to_numpy()[:, None] * np.exp(inputs.ugc_sd.to_numpy()[:, None] * ugc_z)
    lam = np.nan_to_num(authentic * ugc_rate / 1000, nan=0.0)
    ugc = np.where(np.isfinite(authentic), rng.poisson(lam).astype(float), np.nan)
    mid = inputs.price_mid.to_numpy()
    low_price, high_price = inputs.price_low.fillna(0).to_numpy(), inputs.price_high.fillna(0).to_numpy()
    cost = _two_piece(np.nan_to_num(mid), low_price, high_price, rng.standard_normal((n, draws)))
    cost = np.where(np.isfinite(mid)[:, None], cost, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        cpe = np.where(authentic > 0, cost / authentic, np.nan)
        cpm = np.where(impressions > 0, cost / impressions * 1000, np.nan)
    return Simulation(
        draws,
        seed,
        {
            "engagements": engagements,
            "authentic": authentic,
            "reach": reach,
            "impressions": impressions,
            "ugc": ugc,
            "cost": cost,
            "cpe": cpe,
            "cpm": cpm,
        },
    )


def interval(values: np.ndarray, level: float = 0.8) -> tuple[float | None, float | None]:
    """The central ``level`` interval of draws (NaN draws ignored; None when nothing is left)."""
    clean = values[np.isfinite(values)]
    if not len(clean):
        return None, None
    tail = (1 - level) / 2
    return float(np.quantile(clean, tail)), float(np.quantile(clean, 1 - tail))


def creator_intervals(sim: Simulation, level: float = 0.8) -> pd.DataFrame:
    """Per creator: the 10th / 90th percentiles of every quantity (columns ``<name>_low|high``)."""
    import warnings

    out: dict[str, np.ndarray] = {}
    tail = (1 - level) / 2
    for name, values in sim.values.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # a creator with no ER has all-NaN draws
            lo = np.nanquantile(values, tail, axis=1) if values.size else np.zeros(0)
            hi = np.nanquantile(values, 1 - tail, axis=1) if values.size else np.zeros(0)
        out[f"{name}_low"], out[f"{name}_high"] = lo, hi
    return pd.DataFrame(out)
