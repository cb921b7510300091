"""Evaluation of pricing and forecasts on the sample worlds (a section of docs/accuracy.md).

**Cost model.** The sample world plants past deals priced by a known function of followers,
engagement, platform, market and deliverable times log-normal noise (``truth_price.json``). The
deals are split by creator (a quarter of the creators are held out, with all their deals); the
learned model is fitted on the rest and both it and the rate-card estimate price the held-out deals.
Reported: the median absolute percentage error (MdAPE) of each, the share of held-out fees inside
each 80 % interval (0.75–0.85 is honest), and the MdAPE of the true price function without its noise
— the floor no model can beat.

**Forecast calibration.** A simulated executed campaign: each creator's three most recent posts
(stories aside) are held back as "the campaign"; the store is rebuilt without them and profiled;
a brief is planned on that store (one feed post per creator); each planned creator's realised
engagements (likes + comments) on its first held-back post are compared with its 80 % forecast
interval for one post. The same check over every candidate of the brief and all three held-back posts gives a
steadier figure. Realised engagements include any bought engagement, so the check uses the
forecast of all engagements (the authentic share is a separate factor).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from microscout.brief import parse_brief
from microscout.config import Settings
from microscout.cost.model import CostModel, deal_frame, fit_deals
from microscout.cost.money import load_rates
from microscout.forecast import creator_intervals, forecast_inputs, simulate
from microscout.metrics import profile_creators
from microscout.plan import PlanOptions, candidates_for_plan, plan_brief
from microscout.sample.deals import PRICE
from microscout.store import Store, connect

HELD_OUT_POSTS = 3
TEST_SHARE = 0.25
SPLIT_SEED = 11
FORECAST_SEED = 5
CAMPAIGN_BRIEF = {
    "brand": "Evaluation campaign",
    "description": "sample-world campaign for forecast calibration",
    "markets": [
        {"country": "US", "languages": ["en"], "min_creators": 5},
        {"country": "BR", "languages": ["pt"], "min_creators": 5},
        {"country": "DE", "languages": ["de"], "min_creators": 3},
        {"country": "ID", "languages": ["id"]},
        {"country": "FR", "languages": ["fr"]},
    ],
    "platforms": ["instagram", "tiktok", "youtube"],
    "deliverables": [{"kind": "post", "count": 1}],
    "budget": {"amount": 20000, "currency": "USD"},
    "kpi": "authentic_engagements",
}


# ------------------------------------------------------------------------------------ cost


def _mdape(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.nanmedian(np.abs(predicted - actual) / actual))


def _coverage(low: np.ndarray, high: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean((actual >= low) & (actual <= high)))


def cost_accuracy(store: Store, workspace: str = "default") -> dict[str, Any]:
    """Rate card vs learned model on held-out creators' deals, and the noise floor."""
    fx = load_rates(store, workspace)
    deals, _ = deal_frame(store, workspace, fx)
    keys = (deals.platform + ":" + deals.creator_id).to_numpy()
    creators = np.unique(keys)
    rng = np.random.default_rng(SPLIT_SEED)
    test_creators = set(rng.choice(creators, size=max(1, int(len(creators) * TEST_SHARE)), replace=False).tolist())
    is_test = np.array([k in test_creators for k in keys])
    train, test = deals[~is_test].reset_index(drop=True), deals[is_test].reset_index(drop=True)
    actual = test.fee_usd.to_numpy(dtype=float)
    kinds = test.deliverable.to_numpy(dtype=object)
    learned = fit_deals(train, reference_dir=store.settings.reference_dir)
    out: dict[str, Any] = {"deals": len(deals), "train": len(train), "test": len(test)}
    for name, model in (("learned", learned), ("rate_card", CostModel("rate_card"))):
        point = model.predict_items(model.features(test, kinds))
        out[f"{name}_mdape"] = _mdape(point, actual)
        out[f"{name}_coverage"] = _coverage(point * np.exp(model.q_low), point * np.exp(model.q_high), actual)
    truth = store.raw.execute("SELECT platform, creator_id, price_factor FROM truth_creators").df()
    joined = test.merge(truth, on=["platform", "creator_id"], how="left")
    true_price = (
        PRICE["a"]
        * joined.followers.to_numpy(dtype=float) ** PRICE["b"]
        * joined.price_factor.to_numpy(dtype=float)
        * joined.deliverable.map(PRICE["deliverable"]).to_numpy(dtype=float)
    )
    out["floor_mdape"] = _mdape(true_price, actual)
    return out


# ------------------------------------------------------------------------------- forecasts


def _copy(src: Store, dst: Store, table: str, query: str) -> None:
    data = src.raw.sql(query).to_arrow_table()
    dst.raw.register("_eval_in", data)
    try:
        dst.raw.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _eval_in')
    finally:
        dst.raw.unregister("_eval_in")


def _held_out(store: Store) -> pd.DataFrame:
    """Each creator's most recent non-story posts, newest first (rank 1 = newest)."""
    return store.raw.execute(
        """
        SELECT platform, creator_id, post_id, published_at, likes, comments,
               row_number() OVER (PARTITION BY platform, creator_id ORDER BY published_at DESC, post_id DESC) AS rank
        FROM posts WHERE kind IS NULL OR kind <> 'story'
        QUALIFY rank <= ?
        """,
        [HELD_OUT_POSTS],
    ).df()


def _cut_store(src: Store, root: Path, held: pd.DataFrame) -> Store:
    """A copy of ``src`` without the held-out campaign posts (and anything after them), profiled."""
    settings = Settings(db=str(root / "campaign.duckdb"))
    dst = connect(settings.db, settings=settings)
    cut = held[held["rank"] == HELD_OUT_POSTS][["platform", "creator_id", "published_at"]]
    src.raw.register("_eval_cut", cut)
    try:
        _copy(src, dst, "creators", "SELECT * FROM creators")
        _copy(src, dst, "creator_snapshots", "SELECT * FROM creator_snapshots")
        _copy(
            src,
            dst,
            "posts",
            "SELECT p.* FROM posts p LEFT JOIN _eval_cut c USING (platform, creator_id) "
            "WHERE c.published_at IS NULL OR p.published_at < c.published_at",
        )
        _copy(src, dst, "audience_edges", "SELECT * FROM audience_edges")
        _copy(src, dst, "deals", "SELECT * FROM deals")
        _copy(src, dst, "fx_rates", "SELECT * FROM fx_rates")
    finally:
        src.raw.unregister("_eval_cut")
    last = src.raw.execute("SELECT max(published_at) FROM posts").fetchone()
    now = (last[0] if last and last[0] else dt.datetime(2026, 11, 1)) + dt.timedelta(days=1)
    profile_creators(dst, now=now)
    return dst


def forecast_calibration(store: Store) -> dict[str, Any]:
    """Coverage of the 80 % engagement intervals on held-back posts (planned creators and everyone)."""
    held = _held_out(store)
    held = held[held.likes.notna() & held.comments.notna()].copy()
    held["engagements"] = held.likes + held.comments
    with tempfile.TemporaryDirectory(prefix="microscout-campaign-") as tmp:
        cut = _cut_store(store, Path(tmp), held)
        try:
            brief = parse_brief(CAMPAIGN_BRIEF)
            day = dt.date(2026, 11, 1)
            cands = candidates_for_plan(cut, brief, workspace=cut.settings.workspace, day=day)
            plan = plan_brief(
                cut,
                brief,
                workspace=cut.settings.workspace,
                options=PlanOptions(max_creators=50, seed=FORECAST_SEED),
                save=False,
                candidates=cands,
            )
            inputs, _ = forecast_inputs(cands.frame, [("post", 1)], reference_dir=cut.settings.reference_dir)
            sim = simulate(inputs, seed=FORECAST_SEED)
            intervals = creator_intervals(sim)
        finally:
            cut.close()
    frame = cands.frame[["platform", "creator_id"]].copy()
    frame["low"] = intervals.engagements_low.to_numpy()
    frame["high"] = intervals.engagements_high.to_numpy()
    scored = held.merge(frame, on=["platform", "creator_id"])
    inside = (scored.engagements >= scored.low) & (scored.engagements <= scored.high)
    planned = {(r["platform"], r["creator_id"]) for r in plan.picked}
    first = scored[(scored["rank"] == HELD_OUT_POSTS)]  # the first post after the cut
    first = first[[(p, c) in planned for p, c in zip(first.platform, first.creator_id, strict=True)]]
    first_inside = (first.engagements >= first.low) & (first.engagements <= first.high)
    realised_total = float(first.engagements.sum())
    plan_low = plan.forecast.get("engagements", {}).get("low")
    plan_high = plan.forecast.get("engagements", {}).get("high")
    return {
        "status": plan.status,
        "planned": len(plan.picked),
        "scored_planned": len(first),
        "planned_inside": float(first_inside.mean()) if len(first) else None,
        "planned_below": float((first.engagements < first.low).mean()) if len(first) else None,
        "planned_above": float((first.engagements > first.high).mean()) if len(first) else None,
        "all_pairs": len(scored),
        "all_inside": float(inside.mean()) if len(scored) else None,
        "all_below": float((scored.engagements < scored.low).mean()) if len(scored) else None,
        "all_above": float((scored.engagements > scored.high).mean()) if len(scored) else None,
        "plan_total": realised_total,
        "plan_low": plan_low,
        "plan_high": plan_high,
    }


# --------------------------------------------------------------------------------- section


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def section(worlds: list[tuple[str, Store]]) -> str:
    """The Planning section of docs/accuracy.md for the evaluation worlds."""
    cost_rows, forecast_rows = [], []
    for name, store in worlds:
        c = cost_accuracy(store)
        cost_rows.append(
            f"| {name} | {c['train']:,} / {c['test']:,} | {_pct(c['rate_card_mdape'])} | {_pct(c['learned_mdape'])} "
            f"| {_pct(c['floor_mdape'])} | {_pct(c['rate_card_coverage'])} | {_pct(c['learned_coverage'])} |"
        )
        f = forecast_calibration(store)
        total_in = (
            "—"
            if f["plan_low"] is None
            else f"{f['plan_total']:,.0f} in {f['plan_low']:,.0f}–{f['plan_high']:,.0f}: "
            + ("inside" if f["plan_low"] <= f["plan_total"] <= f["plan_high"] else "outside")
        )
        forecast_rows.append(
            f"| {name} | {f['status']}, {f['planned']} creators | {_pct(f['planned_inside'])} "
            f"({_pct(f['planned_below'])} below, {_pct(f['planned_above'])} above; {f['scored_planned']} scored) "
            f"| {_pct(f['all_inside'])} ({_pct(f['all_below'])} below, {_pct(f['all_above'])} above; "
            f"{f['all_pairs']:,} candidate × post) | {total_in} |"
        )
    lines = [
        "## Planning: price estimates and forecasts",
        "",
        "Measured by `microscout/evaluation/planning.py` on the sample worlds (method in its docstring and in "
        "[cost.md](cost.md) / [forecasts.md](forecasts.md)).",
        "",
        "### Cost model on the planted deals (held-out creators)",
        "",
        "| world | deals train / test | rate card MdAPE | learned MdAPE | true price function MdAPE (noise floor) "
        "| rate card 80 % coverage | learned 80 % coverage |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *cost_rows,
        "",
        "MdAPE = median absolute percentage error of the fee (USD at the deal date). The rate cards are "
        "published US figures scaled by project-default market multipliers; the sample world's price function "
        "is not built from them, so their error is what a user without deals should expect from a rate card "
        "that does not match their market. An honest 80 % interval covers 75–85 % of held-out fees.",
        "",
        "### Forecast calibration on a simulated executed campaign",
        "",
        "| world | plan | planned creators' first campaign post inside its 80 % interval | every candidate × held-back "
        "post inside its 80 % interval | plan total engagements vs its 80 % interval |",
        "| --- | --- | ---: | ---: | --- |",
        *forecast_rows,
        "",
        f"Each creator's {HELD_OUT_POSTS} most recent posts (stories aside) are held back; the store is rebuilt "
        "and profiled without them; the brief (5 markets, one feed post per creator, $20,000, at most 50 "
        "creators) is planned on it, and realised likes + comments are compared with the forecast intervals "
        "(seeded Monte Carlo over the posterior ER). The planned creators are few, so their share moves by "
        "several points between runs; the every-candidate figure is the steadier one. Planned creators are "
        "chosen for their high forecasts, so their realised engagements lean below the forecast (the "
        "optimiser's curse), and the plan's interval treats creators as independent (no shared shock), so "
        "it is narrower than the per-creator ones suggest: read the plan total as one draw, not a rate.",
        "",
    ]
    return "\n".join(lines)
