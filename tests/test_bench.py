"""The four implementations of the core aggregates that `bench metrics` races must agree."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from microscout.bench import CORE_SQL, NOW, WINDOW_SQL
from microscout.bench.pandas_core import core_pandas
from microscout.ingest import ingest_files
from microscout.metrics import core_expr
from microscout.sample import generate_world

KEY = ["platform", "creator_id"]
COLUMNS = [
    "followers",
    "posts_in_window",
    "er_followers",
    "er_followers_mean",
    "er_views_mean",
    "posts_per_week",
    "days_since_last_post",
    "tier",
    "er_percentile",
]


def test_core_aggregates_agree_across_ibis_hand_sql_window_sql_and_pandas(store, tmp_path):
    generate_world(tmp_path / "w", creators=250, posts_per_creator=40, seed=5)
    ingest_files(store, [tmp_path / "w"], workspace="default")
    ibis_df = core_expr(store, now=NOW).to_pandas().sort_values(KEY).reset_index(drop=True)
    now_s = str(int(NOW.replace(tzinfo=dt.UTC).timestamp()))
    sql_df = store.sql(CORE_SQL.read_text().replace("$now_s", now_s)).sort_values(KEY).reset_index(drop=True)
    window_df = store.sql(WINDOW_SQL.read_text().replace("$now_s", now_s)).sort_values(KEY).reset_index(drop=True)
    posts = store.sql("SELECT platform, creator_id, post_id, published_at, kind, likes, comments, views FROM posts")
    people = store.sql("SELECT platform, creator_id, followers FROM creators")
    pandas_df = core_pandas(posts, people, now=NOW).sort_values(KEY).reset_index(drop=True)
    assert len(ibis_df) == len(sql_df) == len(window_df) == len(pandas_df) > 200
    for other in (sql_df, window_df, pandas_df):
        assert (ibis_df[KEY].values == other[KEY].values).all()
        for col in COLUMNS:
            a, b = ibis_df[col], other[col]
            if col == "tier":
                assert (a.fillna("") == b.fillna("")).all(), col
            else:
                np.testing.assert_allclose(
                    pd.to_numeric(a).astype(float),
                    pd.to_numeric(b).astype(float),
                    rtol=1e-9,
                    atol=1e-12,
                    equal_nan=True,
                    err_msg=col,
                )
