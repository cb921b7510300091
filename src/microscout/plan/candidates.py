"""Candidates for a plan: the creators a brief's hard filters let through, with market, niches,
price range and forecast, as one DataFrame (one row per creator).

The filters are the brief's: platforms, the follower band, exclusions, the target markets (the
creator's inferred home market when the text stage has computed it, else the declared country,
else a declared language of a target market), the content language when the brief requires it,
the minimum Audience Quality Score and the niches. A filter whose signal is not computed yet
(no AQS, no niches, no home market) is not applied to that creator and the notes say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from microscout.brief import Brief
from microscout.cost.model import CostModel, fit_cost_model, price_packages
from microscout.cost.money import FxRates, load_rates
from microscout.forecast import KPI_COLUMNS, expected, forecast_inputs
from microscout.store import Store

__all__ = ["Candidates", "candidates_for_plan"]

PROFILE_COLUMNS = (
    "tier", "er_posterior", "er_low", "er_high", "er_log_sd", "er_log_n", "er_posterior_percentile",
    "er_residual", "suspicious_share", "suspicious_low", "suspicious_high", "aqs", "aqs_low", "aqs_high",
    "home_market", "content_language", "niches",
)  # fmt: skip


@dataclass
class Candidates:
    """The candidate table, what was left out and why, the cost model and the forecast inputs."""

    frame: pd.DataFrame
    inputs: pd.DataFrame
    cost_model: CostModel
    fx: FxRates
    day: dt.date
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)


def _profiles(store: Store) -> pd.DataFrame:
    creators = store.table("creators")
    profiles = store.table("creator_profiles")
    cols = [c for c in PROFILE_COLUMNS if c in profiles.columns]
    base = creators.select(
        "platform", "creator_id", "handle", "followers", "declared_country", "declared_language"
    ).join(profiles.select("platform", "creator_id", *cols), ["platform", "creator_id"])
    frame = base.to_pandas()
    for c in PROFILE_COLUMNS:
        if c not in frame:
            frame[c] = None
    return frame


def _market(row: Any, countries: set[str], languages: dict[str, list[str]]) -> tuple[str | None, str]:
    home = row.home_market if isinstance(row.home_market, str) else None
    if home:
        return (home, "home market (inferred)") if home in countries else (None, "home market elsewhere")
    if row.declared_country in countries:
        return row.declared_country, "declared country (home market not computed)"
    matches = [c for c, langs in languages.items() if row.declared_language in langs]
    if matches:
        return matches[0], "declared language (home market not computed)"
    return None, "no target market"


def candidates_for_plan(
    store: Store,
    brief: Brief,
    *,
    workspace: str,
    day: dt.date | None = None,
    keys: list[tuple[str, str]] | None = None,
    cost_model: CostModel | None = None,
) -> Candidates:
    """Creators passing ``brief``'s filters, priced in the brief's currency, with expected KPIs.

    ``keys`` restricts the candidates to a shortlist (e.g. the rows of :func:`microscout.matching.search`).
    """
    day = day or dt.datetime.now(dt.UTC).date()
    notes: list[str] = []
    dropped: dict[str, int] = {}
    frame = _profiles(store)

    def drop(mask: pd.Series | np.ndarray, reason: str) -> None:
        nonlocal frame
        count = int(np.sum(mask))
        if count:
            dropped[reason] = dropped.get(reason, 0) + count
        frame = frame[~np.asarray(mask, dtype=bool)].reset_index(drop=True)

    if keys is not None:
        wanted = set(keys)
        drop(
            ~np.array([(p, c) in wanted for p, c in zip(frame.platform, frame.creator_id, strict=True)]),
            "not in the shortlist",
        )
    drop(~frame.platform.isin(list(brief.platforms)), "platform not in the brief")
    followers = pd.to_numeric(frame.followers, errors="coerce")
    drop(~((followers >= brief.followers.min) & (followers <= brief.followers.max)), "outside the follower band")
    excluded = {tuple(ref.split(":", 1)) for ref in brief.exclude_creators}
    excluded = {(p, h.lstrip("@").lower()) for p, h in excluded}
    handles = [(p, str(h).lower()) for p, h in zip(frame.platform, frame.handle, strict=True)]
    drop(np.array([h in excluded for h in handles], dtype=bool), "excluded by the brief")

    countries = {m.country for m in brief.markets}
    languages = {m.country: list(m.languages) for m in brief.markets}
    placed = [_market(r, countries, languages) for r in frame.itertuples(index=False)]
    frame["market"] = [m for m, _ in placed]
    frame["market_basis"] = [b for _, b in placed]
    drop(frame.market.isna().to_numpy(), "not in a target market")
    by_declared = int(frame.market_basis.str.startswith("declared").sum())
    if by_declared:
        notes.append(f"market from declared country/language for {by_declared} candidate(s): home market not computed")

    if brief.content_language_required:
        lang = frame.content_language.where(frame.content_language.notna(), frame.declared_language)
        ok = np.array([lg in languages[m] for lg, m in zip(lang, frame.market, strict=True)], dtype=bool)
        drop(~ok, "content language not a market language")
    if brief.min_quality is not None:
        aqs = pd.to_numeric(frame.aqs, errors="coerce")
        drop((aqs < brief.min_quality).to_numpy(), f"AQS below min_quality {brief.min_quality:g}")
        unknown = int(pd.to_numeric(frame.aqs, errors="coerce").isna().sum())
        if unknown:
            notes.append(f"min_quality not applied to {unknown} candidate(s): Audience Quality Score not computed")
    frame["niche_list"] = [list(v) if isinstance(v, list | np.ndarray) else None for v in frame.niches]
    if brief.niches:
        wanted_niches = set(brief.niches)
        off = np.array([v is not None and not (set(v) & wanted_niches) for v in frame.niche_list], dtype=bool)
        drop(off, "no niche of the brief")
        unknown = sum(v is None for v in frame.niche_list)
        if unknown:
            notes.append(f"niche filter not applied to {unknown} candidate(s): niches not computed")
    drop(pd.to_numeric(frame.er_posterior, errors="coerce").isna().to_numpy(), "no posterior engagement rate")

    fx = load_rates(store, workspace)
    model = cost_model or fit_cost_model(store, workspace, fx)
    notes.extend(model.notes)
    deliverables: list[tuple[str, int]] = [(d.kind, d.count) for d in brief.deliverables]
    if len(frame):
        prices = price_packages(model, frame, deliverables, currency=brief.budget.currency, day=day, fx=fx)
        frame = pd.concat([frame, prices], axis=1)
        drop(frame.price_mid.isna().to_numpy(), "no price (no rate card for the platform and deliverables)")
    else:
        for c in ("price_low", "price_mid", "price_high", "price_low_f", "price_mid_f", "price_high_f"):
            frame[c] = pd.Series(dtype="float64")
    inputs, forecast_notes = forecast_inputs(frame, deliverables, reference_dir=store.settings.reference_dir)
    notes.extend(forecast_notes)
    means = expected(inputs)
    for column in means.columns:
        frame[f"expected_{column}"] = means[column].to_numpy()
    frame["value"] = means[KPI_COLUMNS[brief.kpi]].to_numpy()
    frame["creator"] = frame.platform + ":" + frame.handle.astype(str)
    frame["authentic_basis"] = inputs.share_basis.to_numpy()
    return Candidates(frame, inputs, model, fx, day, notes, dropped)
