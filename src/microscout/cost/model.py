"""Price estimates per deliverable: the reference rate cards, or a model learned from past deals.

**Rate card** (no deals yet). For a creator on platform *p* in tier *t* with *F* followers, a
deliverable *d* is priced from the primary ``rate_cards`` row (USD, low–high) as

    point = low^(1−u) · high^u · market_multiplier · engagement_factor
    u = log(F / tier_min) / log(tier_max / tier_min), clipped to [0, 1]
    engagement_factor = 0.8 + 0.4 · er_posterior_percentile   (1.0 when not computed)

i.e. the card's range is read as spanning the tier from its smallest to its largest creators
(geometric interpolation), the market multiplier comes from ``market_multipliers``, and a creator
whose posterior engagement rate is at the top of its platform × tier peers is priced 20 % above the
middle (at the bottom, 20 % below): brands pay for engagement (REFERENCE.md D5, the ainfluencer
pricing guide prices posts by engagements). The 80 % interval is ``point ×/÷ exp(1.2816 · 0.45)``
(×/÷ 1.78): a project default for the spread of fees among creators of the same size, since the
cards publish ranges, not a distribution.

**Learned from deals** (at least ``MIN_DEALS`` usable deals in the workspace). A ridge regression of
log(fee in USD, converted at the deal date) on log followers, the posterior ER percentile and the
ER residual (log10 of ER over the expected ER for the follower count), log of the rate-card point,
and one-hot platform × deliverable, market and tier. The 80 % prediction interval comes from the
10th and 90th percentiles of 5-fold cross-validated residuals (split conformal on the log scale):
``[exp(pred + q10), exp(pred + q90)]``, so its width is what the model actually missed by on deals it
had not seen. A package of several deliverables adds their prices; its interval adds the bounds
(one creator's prices move together).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from microscout.cost.money import FxRates, to_money
from microscout.errors import NotFoundError, ReferenceDataError
from microscout.reference import load_table

__all__ = [
    "MIN_DEALS",
    "RATE_CARD_SIGMA",
    "CostModel",
    "card_deliverable",
    "fit_cost_model",
    "price_packages",
]

MIN_DEALS = 30
RATE_CARD_SIGMA = 0.45
Z80 = 1.2815515655446004  # standard normal 90th percentile: an 80 % two-sided interval
ENGAGEMENT_LOW, ENGAGEMENT_SPAN = 0.8, 0.4

# what a brief's deliverable kind is priced as on a platform whose card lacks that kind, by format
_VIDEO = ("reel", "video", "short", "live")
_STATIC = ("post", "carousel", "tweet")


def card_deliverable(platform: str, kind: str, available: set[str]) -> str | None:
    """The rate-card deliverable a brief's ``kind`` is priced as on ``platform``.

    The card's own kind when it has one; else the nearest format the platform's card lists
    (video-like → reel/video/short, static → post/tweet, story → story, else short-form video).
    """
    if kind in available:
        return kind
    if kind in _VIDEO:
        order = ["reel", "video", "short", "post", "tweet"]
    elif kind in _STATIC:
        order = ["post", "tweet", "video", "reel"]
    else:  # story
        order = ["story", "short", "video", "post", "tweet"]
    return next((k for k in order if k in available), None)


@dataclass
class _Reference:
    cards: dict[tuple[str, str, str], tuple[float, float]]
    kinds: dict[str, set[str]]
    tiers: dict[str, tuple[float, float]]
    multipliers: dict[str, float]


def _reference(reference_dir: Any) -> _Reference:
    cards: dict[tuple[str, str, str], tuple[float, float]] = {}
    kinds: dict[str, set[str]] = {}
    for r in load_table("rate_cards", reference_dir=reference_dir).rows:
        if r.get("primary", 1) in (1, None):
            cards[(r["platform"], r["tier"], r["deliverable"])] = (float(r["low"]), float(r["high"]))
            kinds.setdefault(r["platform"], set()).add(r["deliverable"])
    tiers: dict[str, tuple[float, float]] = {}
    for r in load_table("tiers", reference_dir=reference_dir).rows:
        low = float(r["min_followers"])
        high = float(r["max_followers"]) if r.get("max_followers") not in (None, "") else low * 10
        tiers[r["tier"]] = (low, high)
    multipliers = {
        r["country"]: float(r["multiplier"]) for r in load_table("market_multipliers", reference_dir=reference_dir).rows
    }
    return _Reference(cards, kinds, tiers, multipliers)


def _card_point(ref: _Reference, platform: str, tier: str | None, followers: float, kind: str) -> float | None:
    """Rate-card price (USD) of one ``kind`` for a creator, before market and engagement."""
    card_tier = tier if tier in ref.tiers else ("nano" if tier == "sub_nano" or tier is None else tier)
    if tier is None and followers and ref.tiers:
        card_tier = next((t for t, (lo, hi) in ref.tiers.items() if lo <= followers < hi), "nano")
    deliverable = card_deliverable(platform, kind, ref.kinds.get(platform, set()))
    if deliverable is None or card_tier is None:
        return None
    band = ref.cards.get((platform, card_tier, deliverable))
    if band is None:
        return None
    low, high = band
    t_low, t_high = ref.tiers.get(card_tier, (1000.0, 10000.0))
    u = 0.0
    if followers and followers > 0 and t_high > t_low:
        u = min(1.0, max(0.0, math.log(followers / t_low) / math.log(t_high / t_low)))
    return float(low ** (1 - u) * high**u) if low > 0 else float(low + u * (high - low))


@dataclass
class CostModel:
    """Prices creators' deliverables in USD (point and 80 % interval) by rate card or from deals."""

    method: str  # rate_card | deals
    reference_dir: Any = None
    ref: _Reference | None = None
    pipeline: Any = None
    q_low: float = -Z80 * RATE_CARD_SIGMA
    q_high: float = Z80 * RATE_CARD_SIGMA
    deals_used: int = 0
    notes: list[str] = field(default_factory=list)

    def _ref(self) -> _Reference:
        if self.ref is None:
            self.ref = _reference(self.reference_dir)
        return self.ref

    def describe(self) -> str:
        if self.method == "deals":
            return (
                f"learned from {self.deals_used} past deals (ridge regression on log fee; 80 % interval "
                f"×{math.exp(self.q_low):.2f}–×{math.exp(self.q_high):.2f} from cross-validated residuals)"
            )
        return "reference rate cards × market multiplier × engagement factor (80 % interval ×/÷ 1.78)"

    def features(self, frame: pd.DataFrame, kinds: list[str] | np.ndarray) -> pd.DataFrame:
        """The model's inputs: one row per (creator row, kind) for a list of kinds, or one row per
        creator row when ``kinds`` is an array of the same length (a deal's own deliverable)."""
        per_row = isinstance(kinds, np.ndarray)
        parts = []
        for kind in [kinds] if per_row else kinds:
            parts.append(
                pd.DataFrame(
                    {
                        "row": np.arange(len(frame)),
                        "kind": kind,
                        "platform": frame["platform"].to_numpy(),
                        "tier": frame["tier"].to_numpy(),
                        "market": frame["market"].fillna("unknown").to_numpy(),
                        "followers": frame["followers"].astype(float).to_numpy(),
                        "er_pct": pd.to_numeric(frame.get("er_posterior_percentile"), errors="coerce").to_numpy(),
                        "er_residual": pd.to_numeric(frame.get("er_residual"), errors="coerce").to_numpy(),
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if out.empty:
            return out
        ref = self._ref()
        out["card"] = [
            _card_point(ref, p, t if isinstance(t, str) else None, f, k)
            for p, t, f, k in zip(out.platform, out.tier, out.followers, out.kind, strict=True)
        ]
        out["multiplier"] = out.market.map(ref.multipliers).fillna(1.0)
        return out

    def _rate_card(self, feats: pd.DataFrame) -> np.ndarray:
        factor = np.where(np.isnan(feats.er_pct), 1.0, ENGAGEMENT_LOW + ENGAGEMENT_SPAN * feats.er_pct.fillna(0.5))
        card = feats.card.astype(float).to_numpy()
        return np.asarray(card * feats.multiplier.to_numpy() * factor, dtype=float)

    def predict_items(self, feats: pd.DataFrame) -> np.ndarray:
        """Point price (USD) per feature row; NaN where no card or model covers it."""
        if self.method == "deals" and self.pipeline is not None:
            return np.exp(self.pipeline.predict(_design(feats)))
        return self._rate_card(feats)

    def price_usd(self, frame: pd.DataFrame, deliverables: list[tuple[str, int]]) -> pd.DataFrame:
        """Package price per creator (USD floats): ``mid``, ``low``, ``high``; NaN when not priceable."""
        kinds = [k for k, _ in deliverables]
        counts = dict(deliverables)
        feats = self.features(frame, kinds)
        mid = np.zeros(len(frame))
        if not len(feats):
            return pd.DataFrame({"mid": mid, "low": mid, "high": mid})
        item = self.predict_items(feats) * feats.kind.map(counts).to_numpy()
        total = pd.Series(item).groupby(feats.row.to_numpy()).sum(min_count=len(kinds))
        mid = total.reindex(range(len(frame))).to_numpy(dtype=float)
        return pd.DataFrame({"mid": mid, "low": mid * math.exp(self.q_low), "high": mid * math.exp(self.q_high)})


def _design(feats: pd.DataFrame) -> pd.DataFrame:
    er_pct = feats.er_pct.astype(float)
    resid = feats.er_residual.astype(float).clip(-0.6, 0.6)
    card = feats.card.astype(float) * feats.multiplier.astype(float)
    return pd.DataFrame(
        {
            "log_followers": np.log(np.maximum(feats.followers.astype(float), 1.0)),
            "er_pct": er_pct.fillna(0.5),
            "er_missing": er_pct.isna().astype(float),
            "er_residual": resid.fillna(0.0),
            "log_card": np.log(card.fillna(card.median() if card.notna().any() else 100.0).clip(lower=0.01)),
            "platform_kind": feats.platform.astype(str) + ":" + feats.kind.astype(str),
            "market": feats.market.astype(str),
            "tier": feats.tier.fillna("unknown").astype(str),
        }
    )


def _pipeline() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["log_followers", "er_pct", "er_missing", "er_residual", "log_card"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["platform_kind", "market", "tier"]),
        ]
    )
    return Pipeline([("x", columns), ("ridge", Ridge(alpha=1.0))])


def deal_frame(store: Any, workspace: str, fx: FxRates) -> tuple[pd.DataFrame, list[str]]:
    """The workspace's deals with the creator's profile and the fee in USD at the deal date."""
    deals = store.table("deals", workspace=workspace).to_pandas()
    notes: list[str] = []
    if deals.empty:
        return deals, notes
    creators = store.table("creators").select("platform", "creator_id", "followers", "declared_country").to_pandas()
    profiles = store.table("creator_profiles")
    cols = [c for c in ("tier", "er_posterior_percentile", "er_residual", "home_market") if c in profiles.columns]
    prof = profiles.select("platform", "creator_id", *cols).to_pandas()
    frame = deals.merge(creators, on=["platform", "creator_id"], how="left").merge(
        prof, on=["platform", "creator_id"], how="left"
    )
    home = frame["home_market"] if "home_market" in frame else pd.Series([None] * len(frame))
    frame["market"] = home.where(home.notna(), frame["declared_country"])
    missing_creator = frame.followers.isna()
    if missing_creator.any():
        notes.append(f"{int(missing_creator.sum())} deal(s) skipped: creator not in the store or no follower count")
    frame = frame[~missing_creator].copy()
    usd: list[float | None] = []
    no_rate: set[str] = set()
    for fee, currency, day in zip(frame.fee, frame.currency, frame.deal_date, strict=True):
        when = day.date() if isinstance(day, dt.datetime | pd.Timestamp) else day
        try:
            usd.append(float(fx.convert(Decimal(str(fee)), currency, "USD", when)))
        except NotFoundError:
            usd.append(None)
            no_rate.add(currency)
    frame["fee_usd"] = pd.Series(usd, index=frame.index, dtype="float64")
    if no_rate:
        skipped = int(frame.fee_usd.isna().sum())
        notes.append(f"{skipped} deal(s) skipped: no USD rate for {', '.join(sorted(no_rate))} on their date")
    return frame[frame.fee_usd.notna() & (frame.fee_usd > 0)].reset_index(drop=True), notes


def fit_deals(frame: pd.DataFrame, *, reference_dir: Any = None, folds: int = 5) -> CostModel:
    """Fit the learned model on a deal frame (:func:`deal_frame`); raises when too few deals."""
    from sklearn.model_selection import GroupKFold, cross_val_predict

    model = CostModel("deals", reference_dir=reference_dir)
    if len(frame) < MIN_DEALS:
        raise ValueError(f"{len(frame)} deals < {MIN_DEALS}")
    feats = model.features(frame, frame["deliverable"].to_numpy(dtype=object))
    x = _design(feats)
    y = np.log(frame.fee_usd.to_numpy(dtype=float))
    groups = (frame.platform.astype(str) + ":" + frame.creator_id.astype(str)).to_numpy()
    n_groups = len(set(groups.tolist()))
    k = max(2, min(folds, n_groups))
    cv = GroupKFold(n_splits=k)  # a creator's deals stay together: residuals are for unseen creators
    predicted = cross_val_predict(_pipeline(), x, y, cv=cv, groups=groups)
    residuals = y - predicted
    model.q_low = float(np.quantile(residuals, 0.10))
    model.q_high = float(np.quantile(residuals, 0.90))
    model.pipeline = _pipeline().fit(x, y)
    model.deals_used = len(frame)
    return model


def fit_cost_model(store: Any, workspace: str, fx: FxRates | None = None) -> CostModel:
    """The learned model when the workspace has at least ``MIN_DEALS`` usable deals, else the rate cards."""
    from microscout.cost.money import load_rates

    reference_dir = store.settings.reference_dir
    fx = fx if fx is not None else load_rates(store, workspace)
    frame, notes = deal_frame(store, workspace, fx)
    if len(frame) >= MIN_DEALS:
        model = fit_deals(frame, reference_dir=reference_dir)
        model.notes = notes
        return model
    model = CostModel("rate_card", reference_dir=reference_dir)
    reason = f"{len(frame)} usable past deal(s) < {MIN_DEALS}" if len(frame) else "no past deals imported"
    model.notes = [*notes, f"prices from the reference rate cards ({reason})"]
    return model


def price_packages(
    model: CostModel,
    frame: pd.DataFrame,
    deliverables: list[tuple[str, int]],
    *,
    currency: str,
    day: dt.date,
    fx: FxRates,
) -> pd.DataFrame:
    """Package prices per creator in ``currency``: Decimal ``price_low|mid|high`` and float twins.

    The USD estimate is quantised to cents, converted with the latest rate on or before ``day``
    (exact Decimal arithmetic) and quantised again; rows that cannot be priced get NaN / None.
    """
    usd = model.price_usd(frame, deliverables)
    if currency != "USD" and usd["mid"].notna().any():
        rate, _ = fx.rate("USD", currency, day)  # raises a clear error when missing
    else:
        rate = Decimal(1)
    out: dict[str, list[Any]] = {"price_low": [], "price_mid": [], "price_high": []}
    for column, target in (("low", "price_low"), ("mid", "price_mid"), ("high", "price_high")):
        for value in usd[column].tolist():
            if value is None or not np.isfinite(value):
                out[target].append(None)
            else:
                out[target].append(to_money(to_money(value) * rate))
    result = pd.DataFrame(out, index=frame.index)
    for column in ("price_low", "price_mid", "price_high"):
        result[column + "_f"] = [float(v) if v is not None else np.nan for v in result[column]]
    return result


def check_reference(reference_dir: Any = None) -> None:
    """Load the reference tables the cost model needs (raises ReferenceDataError naming the file)."""
    try:
        _reference(reference_dir)
    except KeyError as exc:
        raise ReferenceDataError(f"rate card reference tables are missing column {exc}") from exc
