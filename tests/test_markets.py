"""Market inference on constructed stores: each kind of evidence, audience weighting, off-market."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from microscout.markets import market_expr
from microscout.store import Store

LAST = dt.datetime(2026, 10, 30)


def creator(store: Store, cid: str, *, declared: str | None = None, utc_hour: float = 12.0,
            location: str | None = None, posts: int = 20) -> None:  # fmt: skip
    store.insert_rows(
        "creators", [{"platform": "instagram", "creator_id": cid, "handle": cid, "declared_country": declared}]
    )
    store.insert_rows(
        "posts",
        [{"platform": "instagram", "post_id": f"{cid}-{j}", "creator_id": cid, "location_country": location,
          "published_at": LAST - dt.timedelta(days=j) + dt.timedelta(hours=utc_hour + (j % 3) - 1)}
         for j in range(posts)],
    )  # fmt: skip


def captions_in(store: Store, cid: str, language: str, n: int = 20) -> None:
    store.insert_rows(
        "post_signals",
        [{"platform": "instagram", "post_id": f"{cid}-{j}", "language": language} for j in range(n)],
    )


def audience(store: Store, cid: str, countries: list[str], p_fake: float = 0.02) -> None:
    ids = [f"{cid}-a{i}" for i in range(len(countries))]
    store.insert_rows(
        "audience_accounts",
        [{"platform": "instagram", "account_id": a, "country": c} for a, c in zip(ids, countries, strict=True)],
    )
    store.insert_rows(
        "audience_edges",
        [{"platform": "instagram", "creator_id": cid, "account_id": a, "relation": "follower"} for a in ids],
    )
    store.insert_rows("audience_scores", [{"platform": "instagram", "account_id": a, "p_fake": p_fake} for a in ids])


def run(store: Store) -> dict[str, dict[str, Any]]:
    return {r["creator_id"]: r for r in market_expr(store).to_pyarrow().to_pylist()}


def test_posting_hours_separate_continents(store: Store) -> None:
    # 19:00 local: Mexico City is UTC-6 (01:00 UTC), Madrid UTC+1 (18:00 UTC); both write Spanish
    creator(store, "mx", utc_hour=1.0)
    creator(store, "es", utc_hour=18.0)
    captions_in(store, "mx", "es")
    captions_in(store, "es", "es")
    got = run(store)
    assert got["mx"]["home_market"] == "MX"
    assert got["es"]["home_market"] == "ES"
    scores = json.loads(got["mx"]["market_scores"])
    assert scores["MX"] > scores.get("ES", 0.0)


def test_language_separates_markets_of_one_time_zone(store: Store) -> None:
    creator(store, "de", utc_hour=17.0)
    creator(store, "it", utc_hour=17.0)
    captions_in(store, "de", "de")
    captions_in(store, "it", "it")
    got = run(store)
    assert (got["de"]["home_market"], got["it"]["home_market"]) == ("DE", "IT")


def test_declared_country_and_location_tags_count(store: Store) -> None:
    creator(store, "declared", declared="BR", utc_hour=20.0)
    creator(store, "tagged", location="JP", utc_hour=8.0)
    got = run(store)
    assert got["declared"]["home_market"] == "BR"
    assert got["tagged"]["home_market"] == "JP"
    assert 0 < got["tagged"]["home_market_confidence"] <= 1


def test_off_market_audience_and_fake_accounts_do_not_vote(store: Store) -> None:
    creator(store, "home", declared="DE", utc_hour=17.0)
    creator(store, "off", declared="DE", utc_hour=17.0)
    creator(store, "botted", declared="DE", utc_hour=17.0)
    for cid in ("home", "off", "botted"):
        captions_in(store, cid, "de")
    audience(store, "home", ["DE"] * 25 + ["AT"] * 5)
    audience(store, "off", ["DE"] * 6 + ["TR"] * 24)
    audience(store, "botted", ["DE"] * 15)
    # 30 bot-farm accounts the classifier is sure are fake: they must not make the audience Indian
    ids = [f"bot{i}" for i in range(30)]
    store.insert_rows("audience_accounts", [{"platform": "instagram", "account_id": a, "country": "IN"} for a in ids])
    store.insert_rows(
        "audience_edges",
        [{"platform": "instagram", "creator_id": "botted", "account_id": a, "relation": "follower"} for a in ids],
    )
    store.insert_rows("audience_scores", [{"platform": "instagram", "account_id": a, "p_fake": 0.99} for a in ids])
    got = run(store)
    assert got["home"]["off_market"] is False and abs(got["home"]["home_audience_share"] - 25 / 30) < 1e-6
    assert got["off"]["off_market"] is True and got["off"]["home_audience_share"] < 0.43
    assert json.loads(got["off"]["audience_markets"])["TR"] > 0.7
    assert got["botted"]["off_market"] is False and got["botted"]["home_audience_share"] > 0.9


def test_small_audience_sample_does_not_decide(store: Store) -> None:
    creator(store, "tiny", declared="FR", utc_hour=17.0)
    audience(store, "tiny", ["US"] * 5)
    got = run(store)
    assert got["tiny"]["home_market"] == "FR"
    assert got["tiny"]["off_market"] is None and got["tiny"]["audience_sample"] == 5


def test_creator_authorised_insights_replace_the_sample(store: Store) -> None:
    creator(store, "auth", declared="US", utc_hour=23.0)
    audience(store, "auth", ["MX"] * 30)
    store.insert_rows(
        "audience_insights",
        [{"platform": "instagram", "creator_id": "auth", "dimension": "country", "value": c, "share": s,
          "observed_at": LAST} for c, s in (("US", 0.7), ("CA", 0.2), ("GB", 0.1))],
        workspace=store.settings.workspace,
    )  # fmt: skip
    got = run(store)
    assert got["auth"]["home_market"] == "US"
    assert got["auth"]["off_market"] is False
    assert abs(got["auth"]["home_audience_share"] - 0.7) < 1e-9
