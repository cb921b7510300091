"""The campaign brief: the example loads, every kind of error is one exact line, round-trips."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microscout.brief import (
    DEFAULT_WEIGHTS,
    DELIVERABLE_KINDS,
    ISO_COUNTRIES,
    ISO_CURRENCIES,
    ISO_LANGUAGES,
    KPIS,
    PLATFORMS,
    Brief,
    known_niches,
    load_brief,
    parse_brief,
)
from microscout.errors import BriefError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "brief.yaml"

BASE = """\
brand: Solara Skincare
description: Mineral sunscreen
markets:
  - {country: BR, languages: [pt]}
budget: {amount: 25000, currency: EUR}
"""


def write(tmp_path: Path, text: str, name: str = "brief.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> BriefError:
    with pytest.raises(BriefError) as info:
        load_brief(path)
    return info.value


def message_of(path: Path) -> str:
    """The error message with the file's directory removed (keeps ``brief.yaml: ...``)."""
    return str(error_of(path)).replace(f"{path.parent}/", "")


# ------------------------------------------------------------------------------- the example


def test_example_brief_loads_with_design_values() -> None:
    brief = load_brief(EXAMPLE)
    assert brief.brand == "Solara Skincare"
    assert brief.description.startswith("Mineral sunscreen for sensitive skin")
    assert [m.country for m in brief.markets] == ["BR", "DE", "ID"]
    assert [m.languages for m in brief.markets] == [["pt"], ["de"], ["id", "en"]]
    assert brief.markets[0].min_creators == 5
    assert brief.markets[0].budget_share == pytest.approx(0.3)
    assert brief.markets[1].min_creators == 3
    assert brief.markets[2].max_creators == 6
    assert brief.niches == ["beauty", "health_wellness", "outdoors"]
    assert brief.platforms == ["instagram", "tiktok", "youtube"]
    assert [(d.kind, d.count) for d in brief.deliverables] == [("reel", 1), ("story", 2)]
    assert (brief.followers.min, brief.followers.max) == (1000, 100_000)
    assert brief.min_quality == 70
    assert brief.budget.amount == Decimal("25000")
    assert isinstance(brief.budget.amount, Decimal)
    assert brief.budget.currency == "EUR"
    assert brief.kpi == "authentic_engagements"
    assert brief.exclude_creators == ["instagram:some.handle"]
    assert brief.competitors == ["Sunbrella", "UVmax"]
    assert brief.content_language_required is True
    assert brief.normalised_weights() == pytest.approx(DEFAULT_WEIGHTS)


def test_example_to_dict_is_json_safe_with_decimal_as_string() -> None:
    data = load_brief(EXAMPLE).to_dict()
    assert data["budget"] == {"amount": "25000", "currency": "EUR"}
    assert json.loads(json.dumps(data)) == data
    assert parse_brief(data) == load_brief(EXAMPLE)


def test_defaults(tmp_path: Path) -> None:
    brief = load_brief(write(tmp_path, BASE))
    assert (brief.followers.min, brief.followers.max) == (1000, 100_000)
    assert brief.kpi == "authentic_engagements"
    assert brief.min_quality is None
    assert brief.weights is None
    assert brief.content_language_required is False
    assert brief.platforms == list(PLATFORMS)
    assert brief.niches == []
    assert brief.exclude_creators == []
    assert brief.normalised_weights() == DEFAULT_WEIGHTS


def test_json_brief_loads(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(yaml.safe_load(BASE)), "brief.json")
    assert load_brief(path).budget.amount == Decimal("25000")


def test_market_languages_default_from_reference_table() -> None:
    data = yaml.safe_load(BASE)
    data["markets"] = [{"country": "ID"}]
    assert parse_brief(data).markets[0].languages == ["id", "en"]


def test_weights_are_normalised() -> None:
    data = yaml.safe_load(BASE)
    data["weights"] = {"topic": 2, "market": 1, "engagement": 1, "authenticity": 0, "cost": 0}
    weights = parse_brief(data).normalised_weights()
    assert weights == pytest.approx(
        {"topic": 0.5, "market": 0.25, "engagement": 0.25, "authenticity": 0.0, "cost": 0.0}
    )
    assert sum(weights.values()) == pytest.approx(1.0)


def test_reference_code_lists_are_complete() -> None:
    assert len(ISO_COUNTRIES) == 249
    assert len(ISO_LANGUAGES) == 183
    assert {"EUR", "USD", "BRL", "IDR", "JPY"} <= ISO_CURRENCIES
    assert len(known_niches()) >= 18


# ------------------------------------------------------------------------------ the errors

NICHES = ", ".join(known_niches())
FIELDS = (
    "brand, description, markets, niches, platforms, deliverables, followers, min_quality, "
    "budget, kpi, exclude_creators, competitors, content_language_required, weights"
)

ERROR_CASES = {
    "unknown_field": (
        BASE + "budjet: 100\n",
        f"brief.yaml: unknown field 'budjet' (allowed: {FIELDS})",
    ),
    "unknown_nested_field": (
        BASE.replace("languages: [pt]", "languages: [pt], share: 1"),
        "brief.yaml: markets[0]: unknown field 'share' "
        "(allowed: country, languages, min_creators, max_creators, budget_share)",
    ),
    "bad_country": (
        BASE.replace(
            "  - {country: BR, languages: [pt]}\n",
            "  - {country: BR, languages: [pt]}\n  - {country: XX, languages: [en]}\n",
        ),
        "brief.yaml: markets[1].country: 'XX' is not an ISO 3166-1 country code",
    ),
    "bad_language": (
        BASE.replace("[pt]", "[pt, xx]"),
        "brief.yaml: markets[0].languages[1]: 'xx' is not an ISO 639-1 language code",
    ),
    "lower_case_country": (
        BASE.replace("country: BR", "country: br"),
        "brief.yaml: markets[0].country: 'br' is not an ISO 3166-1 country code (use upper case: 'BR')",
    ),
    "bad_kpi": (
        BASE + "kpi: likes\n",
        "brief.yaml: kpi: 'likes' is not allowed; allowed: authentic_engagements, reach, ugc_volume",
    ),
    "bad_platform": (
        BASE + "platforms: [instagram, facebook]\n",
        "brief.yaml: platforms[1]: 'facebook' is not allowed; "
        "allowed: instagram, tiktok, youtube, x, bluesky, mastodon",
    ),
    "bad_deliverable_kind": (
        BASE + "deliverables: [{kind: podcast, count: 1}]\n",
        "brief.yaml: deliverables[0].kind: 'podcast' is not allowed; "
        "allowed: post, reel, story, video, short, tweet, live, carousel",
    ),
    "bad_niche": (
        BASE + "niches: [beauty, cooking]\n",
        f"brief.yaml: niches[1]: 'cooking' is not allowed; allowed: {NICHES}",
    ),
    "followers_min_above_max": (
        BASE + "followers: {min: 200000, max: 100000}\n",
        "brief.yaml: followers: min (200000) must be less than max (100000)",
    ),
    "min_creators_above_max": (
        BASE.replace("languages: [pt]", "languages: [pt], min_creators: 5, max_creators: 2"),
        "brief.yaml: markets[0]: min_creators (5) must not exceed max_creators (2)",
    ),
    "negative_budget": (
        BASE.replace("amount: 25000", "amount: -5"),
        "brief.yaml: budget.amount: must be greater than 0, got -5",
    ),
    "bad_currency": (
        BASE.replace("EUR", "EURO"),
        "brief.yaml: budget.currency: 'EURO' is not an ISO 4217 currency code",
    ),
    "string_for_int": (
        BASE.replace("languages: [pt]", 'languages: [pt], min_creators: "5"'),
        "brief.yaml: markets[0].min_creators: expected an integer, got string '5'",
    ),
    "bool_for_number": (
        BASE + "min_quality: false\n",
        "brief.yaml: min_quality: expected a number, got false",
    ),
    "min_quality_out_of_range": (
        BASE + "min_quality: 101\n",
        "brief.yaml: min_quality: must be at most 100, got 101",
    ),
    "exclude_creators_without_platform": (
        BASE + "exclude_creators: [some.handle]\n",
        "brief.yaml: exclude_creators[0]: 'some.handle' is not of the form platform:handle (e.g. instagram:ana.fit)",
    ),
    "exclude_creators_unknown_platform": (
        BASE + "exclude_creators: ['myspace:tom']\n",
        "brief.yaml: exclude_creators[0]: 'myspace:tom': platform 'myspace' is not allowed; "
        "allowed: instagram, tiktok, youtube, x, bluesky, mastodon",
    ),
    "exclude_creators_empty_handle": (
        BASE + "exclude_creators: ['instagram:']\n",
        "brief.yaml: exclude_creators[0]: 'instagram:': the handle after ':' must be non-empty, without spaces",
    ),
    "budget_shares_above_one": (
        BASE.replace(
            "  - {country: BR, languages: [pt]}\n",
            "  - {country: BR, languages: [pt], budget_share: 0.7}\n"
            "  - {country: DE, languages: [de], budget_share: 0.5}\n",
        ),
        "brief.yaml: markets: budget_share values add up to 1.2, more than 1",
    ),
    "duplicate_market": (
        BASE.replace(
            "  - {country: BR, languages: [pt]}\n",
            "  - {country: BR, languages: [pt]}\n  - {country: BR, languages: [en]}\n",
        ),
        "brief.yaml: markets: 'BR' is listed twice",
    ),
    "no_markets": (
        BASE.replace("  - {country: BR, languages: [pt]}\n", "").replace("markets:", "markets: []"),
        "brief.yaml: markets: must have at least 1 item",
    ),
    "missing_budget": (
        BASE.replace("budget: {amount: 25000, currency: EUR}\n", ""),
        "brief.yaml: budget: required field is missing",
    ),
    "missing_brand": (
        BASE.replace("brand: Solara Skincare\n", ""),
        "brief.yaml: brand: required field is missing",
    ),
    "empty_brand": (
        BASE.replace("brand: Solara Skincare", "brand: ''"),
        "brief.yaml: brand: must not be empty",
    ),
    "all_weights_zero": (
        BASE + "weights: {topic: 0, market: 0, engagement: 0, authenticity: 0, cost: 0}\n",
        "brief.yaml: weights: at least one weight must be greater than 0",
    ),
    "negative_weight": (
        BASE + "weights: {cost: -1}\n",
        "brief.yaml: weights.cost: must be at least 0, got -1",
    ),
    "norway_problem": (
        BASE.replace("country: BR, languages: [pt]", "country: NO, languages: [nb]"),
        "brief.yaml: markets[0].country: expected a string, got false "
        "(YAML reads yes/no/on/off/true/false as booleans: quote the value)",
    ),
    "invalid_yaml": (
        BASE + "niches: [beauty\n",
        "brief.yaml: invalid YAML at line 7, column 1: expected ',' or ']', but got '<stream end>'",
    ),
    "duplicate_yaml_key": (
        BASE + "kpi: reach\nkpi: reach\n",
        "brief.yaml: invalid YAML at line 7, column 1: duplicate key 'kpi'",
    ),
    "top_level_list": (
        "- brand: x\n",
        "brief.yaml: expected a mapping of fields at the top level, got a list",
    ),
    "empty_file": ("", "brief.yaml: the file is empty"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_brief_error_is_one_exact_line(tmp_path: Path, case: str) -> None:
    text, expected = ERROR_CASES[case]
    message = message_of(write(tmp_path, text))
    assert message == expected
    assert "\n" not in message


def test_brief_error_lists_every_problem_first_one_as_message(tmp_path: Path) -> None:
    text = BASE.replace("EUR", "EURO") + "kpi: likes\nbudjet: 1\n"
    error = error_of(write(tmp_path, text))
    assert str(error) == error.message == error.errors[0]
    assert len(error.errors) == 3
    joined = "\n".join(error.errors)
    assert "budget.currency: 'EURO'" in joined
    assert "kpi: 'likes' is not allowed" in joined
    assert "unknown field 'budjet'" in joined


def test_missing_file_is_a_brief_error(tmp_path: Path) -> None:
    assert message_of(tmp_path / "brief.yaml") == "brief.yaml: file not found"


def test_message_names_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    write(tmp_path / "examples", BASE.replace("country: BR", "country: XX"))
    with pytest.raises(BriefError) as info:
        load_brief("examples/brief.yaml")
    assert info.value.message.startswith(
        "examples/brief.yaml: markets[0].country: 'XX' is not an ISO 3166-1 country code"
    )


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "brand": "x",\n}\n', "brief.json")
    assert message_of(path) == (
        "brief.json: invalid JSON at line 3, column 1: Expecting property name enclosed in double quotes"
    )


def test_unsupported_suffix(tmp_path: Path) -> None:
    assert message_of(write(tmp_path, BASE, "brief.txt")) == (
        "brief.txt: unsupported file type '.txt'; use .yaml, .yml or .json"
    )


def test_parse_brief_uses_source_and_refuses_non_mapping() -> None:
    with pytest.raises(BriefError) as info:
        parse_brief(["x"], source="request body")
    assert info.value.message == ("request body: expected a mapping of fields at the top level, got a list")


# ------------------------------------------------------------------------ round-trip property

handles = st.from_regex(r"[a-z0-9_.]{1,15}", fullmatch=True)


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def markets(draw: st.DrawFn) -> list[dict[str, object]]:
    countries = draw(st.lists(st.sampled_from(sorted(ISO_COUNTRIES)), min_size=1, max_size=4, unique=True))
    shares = draw(st.lists(st.none() | finite(0.01, 0.25), min_size=4, max_size=4))
    result = []
    for country, share in zip(countries, shares, strict=False):
        low = draw(st.none() | st.integers(0, 20))
        high = draw(st.none() | st.integers(low or 0, 40))
        market: dict[str, object] = {
            "country": country,
            "languages": draw(st.lists(st.sampled_from(sorted(ISO_LANGUAGES)), min_size=1, max_size=3, unique=True)),
        }
        if low is not None:
            market["min_creators"] = low
        if high is not None:
            market["max_creators"] = high
        if share is not None:
            market["budget_share"] = share
        result.append(market)
    return result


@st.composite
def briefs(draw: st.DrawFn) -> dict[str, object]:
    low = draw(st.integers(0, 10**6))
    data: dict[str, object] = {
        "brand": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        "description": draw(st.text(max_size=40)),
        "markets": draw(markets()),
        "budget": {
            "amount": draw(
                st.integers(1, 10**9) | finite(0.01, 1e9) | st.decimals(Decimal("0.01"), Decimal("1e9"), places=2)
            ),
            "currency": draw(st.sampled_from(sorted(ISO_CURRENCIES))),
        },
    }
    optional = {
        "niches": st.lists(st.sampled_from(known_niches()), max_size=4, unique=True),
        "platforms": st.lists(st.sampled_from(PLATFORMS), min_size=1, unique=True),
        "deliverables": st.lists(
            st.fixed_dictionaries({"kind": st.sampled_from(DELIVERABLE_KINDS), "count": st.integers(1, 5)}),
            min_size=1,
            max_size=3,
        ),
        "followers": st.just({"min": low, "max": low + draw(st.integers(1, 10**6))}),
        "min_quality": st.none() | st.integers(0, 100) | finite(0, 100),
        "kpi": st.sampled_from(KPIS),
        "exclude_creators": st.lists(
            st.builds(lambda p, h: f"{p}:{h}", st.sampled_from(PLATFORMS), handles),
            max_size=3,
            unique=True,
        ),
        "competitors": st.lists(st.text(min_size=1, max_size=10).filter(str.strip), max_size=3),
        "content_language_required": st.booleans(),
        "weights": st.none() | st.fixed_dictionaries({name: finite(0.01, 10) for name in DEFAULT_WEIGHTS}),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(briefs())
def test_valid_brief_round_trips_through_to_dict(data: dict[str, object]) -> None:
    brief = parse_brief(data)
    stored = brief.to_dict()
    assert json.loads(json.dumps(stored)) == stored
    again = parse_brief(stored)
    assert again == brief
    assert again.to_dict() == stored
    assert isinstance(again, Brief)
    assert sum(again.normalised_weights().values()) == pytest.approx(1.0)
