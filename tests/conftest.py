from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microscout.config import Settings
from microscout.store import Store, connect

NOW = dt.datetime(2026, 11, 1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "test.duckdb"))


@pytest.fixture
def store(settings: Settings) -> Store:
    s = connect(settings.db, settings=settings)
    yield s
    s.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def data_snapshot(store: Store, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of ``tables``, sorted, for comparing store states."""
    out = {}
    for t in tables:
        rows = store.raw.execute(f'SELECT * FROM "{t}"').fetchall()
        out[t] = sorted(rows, key=repr)
    return out
