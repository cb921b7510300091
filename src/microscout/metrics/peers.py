"""Peer statistics over every creator in one pass: the shrinkage prior and posterior ER, percentiles,
the expected ER for the follower count, and the published benchmark band.

The model (docs/metrics.md): a post's log engagement rate ``y = ln((eng + 0.5) / followers)``
varies around the creator's typical level ``mu`` with spread ``sigma`` (post-to-post
overdispersion); creators' levels vary around the platform × tier mean ``m`` with spread ``tau``.
Normal–normal conjugacy gives the posterior of ``mu`` from the creator's ``n`` posts:

    precision = 1 / tau² + n / sigma²
    mu_post   = (m / tau² + n · ybar / sigma²) / precision,   var_post = 1 / precision

The 90 % interval is predictive for the median ER of the creator's next 30-post window (the basis
of the published benchmarks). A creator's level drifts from one window to the next (on real
accounts the median log ER/F of a 30-post window is on average 0.36 above that of the 30 posts
before it, with a between-creator spread of 0.41), so:

    centre = mu_post + WINDOW_DRIFT,   var = var_post + (pi / 2) · sigma² / 30 + WINDOW_DRIFT_SD²
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir

from microscout.metrics.joins import attach
from microscout.metrics.posts import LOG_OFFSET

Z90 = 1.6448536269514722
PREDICT_WINDOW = 30
MIN_GROUP = 10  # creators needed for a platform × tier prior; smaller groups use the platform's
TAU2_FLOOR = 0.01
# Smallest post-to-post variance of log ER a group may have: groups whose posts all have the same
# ER (tiny or synthetic data) would otherwise divide by zero and give NaN posteriors.
SIGMA2_FLOOR = 0.0025
# Drift of a creator's log ER/F level from one 30-post window to the next (docs/metrics.md,
# "Drift"): mean change and between-creator spread, estimated on the real InstaFake Instagram
# accounts (188 with >= 90 posts) from the medians of two adjacent 30-post windows, posts 30-59 vs
# 60-89 counted from the most recent (never the 30 most recent posts the coverage check scores),
# sampling noise of the two medians removed (microscout.evaluation.coverage.estimate_drift).
WINDOW_DRIFT = 0.363
WINDOW_DRIFT_SD = 0.408
BASIS_OF = {
    "instagram": "er_followers",
    "x": "er_followers",
    "bluesky": "er_followers",
    "mastodon": "er_followers",
    "tiktok": "er_views",
    "youtube": "er_views",
}


def _moments(t: ir.Table, keys: list[str]) -> ir.Table:
    has = t.er_log_n > 0
    multi = t.er_log_n > 1
    return t.group_by(keys).aggregate(
        _k=t.count(where=has),
        _m=t.er_log_mean.mean(where=has),
        _vb=t.er_log_mean.var(where=has),
        _inv_n=(1.0 / t.er_log_n.cast("float64")).mean(where=has),
        _ss=((t.er_log_n - 1).cast("float64") * t.er_log_sd * t.er_log_sd).sum(where=multi),
        _df=(t.er_log_n - 1).sum(where=multi),
    )


def _prior(mom: ir.Table) -> dict[str, ir.Value]:
    sigma2 = (mom._df > 0).ifelse(ibis.greatest(mom._ss / mom._df.cast("float64"), SIGMA2_FLOOR), ibis.null(float))
    tau2 = ibis.greatest(mom._vb.fill_null(0) - sigma2.fill_null(0) * mom._inv_n.fill_null(0), TAU2_FLOOR)
    return {"m": mom._m, "sigma2": sigma2, "tau2": tau2, "k": mom._k}


def posterior(base: ir.Table) -> ir.Table:
    """Add er_prior, er_posterior, er_low, er_high and shrinkage (weight on the creator's own posts)."""
    g = _moments(base, ["platform", "tier"])
    gp = _prior(g)
    g = g.select("platform", "tier", g_m=gp["m"], g_s2=gp["sigma2"], g_t2=gp["tau2"], g_k=gp["k"])
    p = _moments(base, ["platform"])
    pp = _prior(p)
    p = p.select("platform", p_m=pp["m"], p_s2=pp["sigma2"], p_t2=pp["tau2"])
    j = attach(attach(base, g, ["platform", "tier"]), p, ["platform"])
    own = j.g_k >= MIN_GROUP
    m = own.ifelse(j.g_m, j.p_m)
    s2 = own.ifelse(j.g_s2, j.p_s2)
    t2 = own.ifelse(j.g_t2, j.p_t2)
    n = j.er_log_n.fill_null(0).cast("float64")
    data_prec = (n > 0).ifelse(n / s2, 0.0)
    prec = 1.0 / t2 + data_prec
    mu = (m / t2 + (n > 0).ifelse(n * j.er_log_mean / s2, 0.0)) / prec
    centre = mu + WINDOW_DRIFT
    spread = (1.0 / prec + (math.pi / 2) * s2 / PREDICT_WINDOW + WINDOW_DRIFT_SD**2).sqrt() * Z90
    offset = LOG_OFFSET / j.followers.cast("float64")
    usable = (j.followers > 0) & s2.notnull() & m.notnull()

    def er(x: ir.FloatingValue) -> ir.FloatingValue:
        return usable.ifelse(ibis.greatest(x.exp() - offset, 0.0), ibis.null(float))

    return j.mutate(
        er_prior=er(m),
        er_posterior=er(mu),
        er_low=er(centre - spread),
        er_high=er(centre + spread),
        shrinkage=usable.ifelse(data_prec / prec, ibis.null(float)),
    ).drop("g_m", "g_s2", "g_t2", "g_k", "p_m", "p_s2", "p_t2")


def percentiles(t: ir.Table) -> ir.Table:
    """Percentile (0..1) of the median ER and of the posterior ER within platform × tier."""
    rated = t.filter(t.er_followers.notnull())
    rated = rated.select(
        "platform",
        "creator_id",
        er_percentile=ibis.percent_rank().over(group_by=[rated.platform, rated.tier], order_by=rated.er_followers),
        peer_count=rated.count().over(group_by=[rated.platform, rated.tier]),
    )
    post = t.filter(t.er_posterior.notnull())
    post = post.select(
        "platform",
        "creator_id",
        er_posterior_percentile=ibis.percent_rank().over(
            group_by=[post.platform, post.tier], order_by=post.er_posterior
        ),
    )
    return attach(attach(t, rated, ["platform", "creator_id"]), post, ["platform", "creator_id"])


def expected_curve(t: ir.Table) -> ir.Table:
    """Expected ER/F for the follower count: log10 ER = a + b · log10 followers, fitted per platform."""
    ok = t.filter((t.er_followers > 0) & (t.followers > 0))
    x = ok.followers.cast("float64").log10()
    y = ok.er_followers.log10()
    fit = ok.group_by("platform").aggregate(
        _n=ok.count(), _sx=x.sum(), _sy=y.sum(), _sxy=(x * y).sum(), _sxx=(x * x).sum()
    )
    den = fit._n.cast("float64") * fit._sxx - fit._sx * fit._sx
    slope = (den > 0).ifelse((fit._n.cast("float64") * fit._sxy - fit._sx * fit._sy) / den, ibis.null(float))
    fit = fit.select(
        "platform", curve_slope=slope, curve_intercept=(fit._sy - slope * fit._sx) / fit._n.cast("float64")
    )
    j = attach(t, fit, ["platform"])
    log_expected = j.curve_intercept + j.curve_slope * j.followers.cast("float64").log10()
    valid = (j.followers > 0) & log_expected.notnull()
    return j.mutate(
        expected_er=valid.ifelse(ibis.literal(10.0).pow(log_expected), ibis.null(float)),
        er_residual=(valid & (j.er_followers > 0)).ifelse(j.er_followers.log10() - log_expected, ibis.null(float)),
    ).drop("curve_slope", "curve_intercept")


def benchmark_band(t: ir.Table, rows: list[dict[str, Any]]) -> ir.Table:
    """The primary published band for the creator's platform, follower range and ER basis."""
    lows, highs, sources = [], [], []
    for b in rows:
        if b.get("primary") != 1 or BASIS_OF.get(b["platform"]) != b["basis"]:
            continue
        cond = (t.platform == b["platform"]) & (t.followers >= int(b["followers_min"]))
        if b["followers_max"] is not None:
            cond &= t.followers < int(b["followers_max"])
        lows.append((cond, float(b["low"])))
        highs.append((cond, float(b["high"])))
        sources.append((cond, f"{b['source']} ({b['tier_label']}, {b['basis']})"))
    if not lows:
        return t.mutate(
            benchmark_low=ibis.null(float),
            benchmark_high=ibis.null(float),
            benchmark_position=ibis.null(str),
            benchmark_source=ibis.null(str),
        )
    low = ibis.cases(*lows, else_=ibis.null(float))
    high = ibis.cases(*highs, else_=ibis.null(float))
    value = ibis.cases((t.platform.isin(["tiktok", "youtube"]), t.er_views), else_=t.er_followers)
    position = ibis.cases(
        (low.isnull() | value.isnull(), ibis.null(str)),
        (value < low, "below"),
        (value > high, "above"),
        else_="within",
    )
    return t.mutate(
        benchmark_low=low,
        benchmark_high=high,
        benchmark_position=position,
        benchmark_source=ibis.cases(*sources, else_=ibis.null(str)),
    )
