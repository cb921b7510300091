"""Money is exact (Decimal, banker's rounding), conversions use the right rate, imports validate."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import data_snapshot
from microscout.cost import FxRates, format_money, import_deals, import_fx, load_rates, to_money
from microscout.errors import InvalidInputError, NotFoundError

TODAY = dt.date(2026, 11, 1)


def test_to_money_rounds_half_to_even_and_is_exact():
    assert to_money("2.675") == Decimal("2.68")
    assert to_money("2.665") == Decimal("2.66")
    assert to_money("0.125") == Decimal("0.12")
    assert to_money(0.1) + to_money(0.2) == Decimal("0.30")  # never 0.30000000000000004
    assert sum([to_money("0.10")] * 10, Decimal("0")) == Decimal("1.00")
    assert to_money(7) == Decimal("7.00")
    with pytest.raises(InvalidInputError):
        to_money("abc")
    with pytest.raises(InvalidInputError):
        to_money(float("nan"))
    with pytest.raises(InvalidInputError):
        to_money(True)


def test_format_money():
    assert format_money(Decimal("25000"), "EUR") == "€25,000.00"
    assert format_money(Decimal("-1234.5"), "USD") == "-$1,234.50"
    assert format_money(Decimal("10"), "IDR") == "10.00 IDR"


def _rates() -> FxRates:
    return FxRates(
        {
            ("USD", "EUR"): [(dt.date(2026, 1, 1), Decimal("0.90")), (dt.date(2026, 3, 1), Decimal("0.80"))],
            ("USD", "BRL"): [(dt.date(2026, 1, 1), Decimal("5.00"))],
        }
    )


def test_conversion_uses_the_latest_rate_on_or_before_the_date():
    fx = _rates()
    assert fx.convert(Decimal("100"), "USD", "EUR", dt.date(2026, 2, 28)) == Decimal("90.00")
    assert fx.convert(Decimal("100"), "USD", "EUR", dt.date(2026, 3, 1)) == Decimal("80.00")
    assert fx.convert(Decimal("100"), "USD", "EUR", dt.date(2027, 1, 1)) == Decimal("80.00")


def test_inverse_and_cross_rates_are_exact_decimals():
    fx = _rates()
    assert fx.convert(Decimal("90"), "EUR", "USD", dt.date(2026, 2, 1)) == Decimal("100.00")
    assert fx.convert(Decimal("100"), "EUR", "USD", dt.date(2026, 2, 1)) == Decimal("111.11")
    # EUR -> USD -> BRL: 100 / 0.9 * 5 = 555.555... -> 555.56
    assert fx.convert(Decimal("100"), "EUR", "BRL", dt.date(2026, 2, 1)) == Decimal("555.56")
    assert fx.convert(Decimal("12.34"), "EUR", "EUR", dt.date(2020, 1, 1)) == Decimal("12.34")


def test_a_missing_rate_is_a_clear_error():
    fx = _rates()
    with pytest.raises(
        NotFoundError, match=r"no exchange rate USD→EUR on or before 2025-12-31 \(rates for USD/EUR start"
    ):
        fx.convert(Decimal("1"), "USD", "EUR", dt.date(2025, 12, 31))
    with pytest.raises(NotFoundError, match="fx import"):
        fx.convert(Decimal("1"), "USD", "JPY", dt.date(2026, 5, 1))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_fx_import_validates_rows_and_converts_from_the_store(store, tmp_path):
    path = _write(
        tmp_path / "rates.csv",
        "base,quote,date,rate\n"
        "USD,EUR,2026-01-01,0.9\n"
        "USD,eur,2026-01-01,0.9\n"
        "USD,USD,2026-01-01,1\n"
        "USD,BRL,2026-13-01,5\n"
        "USD,BRL,2026-01-01,-5\n"
        "USD,BRL,2026-01-01,5.123456789\n"
        "USD,JPY,2027-01-01,150\n",
    )
    result = import_fx(store, path, workspace="default", today=TODAY)
    assert result.inserted == 1
    assert result.rejected == [
        "rates.csv: row 3: quote: 'eur' is not an ISO 4217 currency code (use upper case: 'EUR')",
        "rates.csv: row 4: quote: must differ from base (USD)",
        "rates.csv: row 5: date: '2026-13-01' is not an ISO date (YYYY-MM-DD)",
        "rates.csv: row 6: rate: must be greater than 0, got -5",
        "rates.csv: row 7: rate: 5.123456789 has more than 8 decimal places",
        "rates.csv: row 8: date: 2027-01-01 is in the future",
    ]
    q = store.sql("SELECT position, reason FROM quarantine ORDER BY position")
    assert list(q.position) == ["row 3", "row 4", "row 5", "row 6", "row 7", "row 8"]
    fx = load_rates(store, "default")
    assert fx.convert(Decimal("10"), "USD", "EUR", dt.date(2026, 6, 1)) == Decimal("9.00")
    stored = store.raw.execute("SELECT rate FROM fx_rates").fetchall()[0][0]
    assert stored == Decimal("0.90000000") and isinstance(stored, Decimal)


def _creators(store) -> None:
    store.insert_rows(
        "creators",
        [
            {"platform": "instagram", "creator_id": "1", "handle": "ana.fit", "followers": 12000},
            {"platform": "tiktok", "creator_id": "9", "handle": "bo", "followers": 3000},
        ],
    )


def test_deals_import_validates_with_file_row_and_field(store, tmp_path):
    _creators(store)
    path = _write(
        tmp_path / "deals.csv",
        "creator,platform,creator_id,deliverable,fee,currency,date\n"
        "instagram:ana.fit,,,reel,250.00,EUR,2026-03-01\n"
        ",tiktok,9,video,80,USD,2026-04-02\n"
        "instagram:nobody,,,post,100,EUR,2026-03-01\n"
        "instagram:ana.fit,,,podcast,100,EUR,2026-03-01\n"
        'instagram:ana.fit,,,post,"12,5",EUR,2026-03-01\n'
        "instagram:ana.fit,,,post,10.001,EUR,2026-03-01\n"
        "instagram:ana.fit,tiktok,,post,10,EUR,2026-03-01\n"
        "instagram:ana.fit,,,post,10,XYZ,2026-03-01\n"
        "instagram:ana.fit,,,post,10,EUR,\n",
    )
    result = import_deals(store, path, workspace="default", today=TODAY)
    assert result.inserted == 2
    assert result.rejected == [
        "deals.csv: row 4: creator: 'instagram:nobody' is not in the store "
        "(ingest the creator first or give creator_id)",
        "deals.csv: row 5: deliverable: 'podcast' is not allowed; allowed: post, reel, story, video, short, tweet, "
        "live, carousel",
        "deals.csv: row 6: fee: '12,5' is not a number (use . for decimals, no thousands separators)",
        "deals.csv: row 7: fee: 10.001 has more than 2 decimal places",
        "deals.csv: row 8: platform: 'tiktok' does not match the creator's platform 'instagram'",
        "deals.csv: row 9: currency: 'XYZ' is not an ISO 4217 currency code",
        "deals.csv: row 10: date: required field is missing",
    ]
    deals = store.table("deals", workspace="default").order_by("platform").to_pandas()
    assert list(deals.creator_id) == ["1", "9"]
    assert deals.fee.iloc[0] == Decimal("250.00") and isinstance(deals.fee.iloc[0], Decimal)
    assert str(deals.deal_date.iloc[1])[:10] == "2026-04-02"


def test_deals_reimport_changes_nothing(store, tmp_path):
    _creators(store)
    lines = [
        {"creator": "instagram:ana.fit", "deliverable": "post", "fee": 100, "currency": "EUR", "date": "2026-01-05"},
        # the same deal twice in one file stays two deals
        {"creator": "instagram:ana.fit", "deliverable": "post", "fee": 100, "currency": "EUR", "date": "2026-01-05"},
        {"platform": "tiktok", "creator_id": "9", "deliverable": "video", "fee": "80.5", "currency": "USD",
         "date": "2026-02-01T10:00:00Z"},
        {"creator": "instagram:ana.fit", "deliverable": "post", "fee": True, "currency": "EUR", "date": "2026-01-05"},
    ]  # fmt: skip
    path = _write(tmp_path / "deals.jsonl", "\n".join(json.dumps(r) for r in lines) + "\nnot json\n")
    first = import_deals(store, path, workspace="default", today=TODAY)
    assert (first.inserted, len(first.rejected)) == (3, 2)
    assert first.rejected[0] == "deals.jsonl: row 4: fee: true is not a number"
    assert first.rejected[1] == "deals.jsonl: row 5: not a readable record"
    before = data_snapshot(store, ("deals",))
    quarantined = store.count("quarantine")
    second = import_deals(store, path, workspace="default", today=TODAY)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    assert data_snapshot(store, ("deals",)) == before
    assert store.count("quarantine") == quarantined
    # another workspace does not see these deals
    assert store.count("deals", workspace="other") == 0


def test_import_rejects_unsupported_files(store, tmp_path):
    with pytest.raises(InvalidInputError, match=r"unsupported file type '\.xlsx'"):
        import_deals(store, _write(tmp_path / "deals.xlsx", "x"), workspace="default")
    with pytest.raises(InvalidInputError, match="file not found"):
        import_fx(store, tmp_path / "missing.csv", workspace="default")
