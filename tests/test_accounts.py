"""The audience-account classifier: CSV reading, training, scoring, the CLI, calibration, rules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from microscout.authenticity import (
    CORE_COLUMNS,
    AccountModel,
    RuleScorer,
    classify,
    load_model,
    mass_follower,
    read_accounts,
    read_labeled,
    reliability_table,
    train_model,
)
from microscout.authenticity.accounts import BUNDLED, binary_metrics, expected_calibration_error, train_files
from microscout.authenticity.features import feature_matrix, features_for
from microscout.authenticity.rules import rule_flags
from microscout.cli import app
from microscout.config import Settings
from microscout.errors import InvalidInputError

EVAL_DATA = Settings().eval_data
INSTAFAKE = EVAL_DATA / "instafake" / "accounts_dev.csv"
needs_instafake = pytest.mark.skipif(not INSTAFAKE.exists(), reason=f"real labelled data absent: {INSTAFAKE}")


def synthetic_accounts(n: int, seed: int) -> pd.DataFrame:
    """Accounts whose fake probability is a known logistic function of their columns."""
    rng = np.random.default_rng(seed)
    followers = np.round(np.exp(rng.normal(5.0, 1.3, n)))
    following = np.minimum(np.round(np.exp(rng.normal(6.2, 1.0, n))), 7500)
    posts = rng.poisson(np.exp(rng.normal(2.5, 1.5, n)))
    bio = np.where(rng.random(n) < 0.4, 0, rng.integers(1, 150, n))
    pic = (rng.random(n) < 0.85).astype(int)
    private = (rng.random(n) < 0.5).astype(int)
    length = rng.integers(5, 20, n)
    digits = np.minimum(rng.poisson(0.7, n), length)
    z = (
        -1.0
        + 1.2 * (np.log1p(following) - np.log1p(followers))
        - 0.8 * np.log1p(posts)
        - 1.5 * pic
        - 0.01 * bio
        + 0.4 * digits
    )
    fake = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame(
        {
            "followers": followers.astype(int),
            "following": following.astype(int),
            "posts": posts,
            "bio_length": bio,
            "has_profile_pic": pic,
            "is_private": private,
            "username_length": length,
            "username_digits": digits,
            "is_fake": fake,
        }
    )


@pytest.fixture(scope="module")
def labeled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "labeled.csv"
    synthetic_accounts(240, seed=1).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(labeled_csv: Path) -> AccountModel:
    """Trained once per module with the default seed, as ``audience train`` does."""
    return train_files([labeled_csv])


# ------------------------------------------------------------------------------- reading files
def test_missing_label_column_names_file_and_column(tmp_path: Path, runner) -> None:
    path = tmp_path / "nolabel.csv"
    synthetic_accounts(30, seed=2).drop(columns=["is_fake"]).to_csv(path, index=False)
    result = runner.invoke(app, ["audience", "train", "--labeled", str(path), "--out", str(tmp_path / "m.skops")])
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert "nolabel.csv" in message and "'is_fake'" in message and "missing" in message


def test_non_numeric_value_names_column_and_row(tmp_path: Path, runner) -> None:
    frame = synthetic_accounts(30, seed=2).astype(object)
    frame.loc[4, "following"] = "lots"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["audience", "evaluate", "--labeled", str(path), "--model", "rules"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert "bad.csv" in message and "'following'" in message and "row 5" in message and "'lots'" in message


def test_bad_label_value_names_row(tmp_path: Path) -> None:
    frame = synthetic_accounts(10, seed=2).astype(object)
    frame.loc[2, "is_fake"] = "maybe"
    path = tmp_path / "bad_label.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match=r"'is_fake', row 3 .*'maybe' is not 0 or 1"):
        read_accounts(path, labeled=True)


def test_empty_and_text_cells_read_as_missing_or_boolean(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("followers,following,has_profile_pic,is_private\n10,,true,NA\n,5,false,no\n")
    table = read_accounts(path)
    acc = table.accounts
    assert (
        np.isnan(acc.loc[0, "following"]) and np.isnan(acc.loc[1, "followers"]) and np.isnan(acc.loc[0, "is_private"])
    )
    assert acc["has_profile_pic"].tolist() == [1.0, 0.0] and acc.loc[1, "is_private"] == 0.0


def test_purba_format_is_detected_and_mapped(tmp_path: Path) -> None:
    path = tmp_path / "purba.csv"
    path.write_text(
        "pos,flw,flg,bl,pic,lin,cl,cz,ni,erl,erc,lt,hc,pr,fo,cs,pi,class\n"
        "69,541,440,293,1,0,223,0,0.111,10.12,0.5,0.944,0.556,0,0,0.107,334.5,r\n"
        "0,87,3800,0,1,0,0,0,0,0,0,0,0,0,0,1,0,i\n"
        "60,434,1900,25,1,0,44,0.16,0.11,5.33,0.23,0.05,0.05,0,0,0.09,225.6,a\n"
        "51,356,1800,35,1,1,94,0.16,0.05,5.19,0.19,0,0.16,0,0,0.31,107.9,s\n"
    )
    table = read_labeled([path])
    assert table.purba
    assert table.labels is not None and table.labels.tolist() == [0, 1, 1, 1]
    assert table.accounts.loc[0, "posts"] == 69 and table.accounts.loc[0, "followers"] == 541
    assert table.accounts.loc[0, "has_external_url"] == 0 and table.accounts.loc[3, "like_rate_pct"] == 5.19
    assert table.accounts.loc[1, "post_similarity"] == 1 and table.accounts.loc[0, "post_interval_h"] == 334.5


def test_derived_features_are_nan_safe() -> None:
    frame = pd.DataFrame({"followers": [0, np.nan], "following": [10, 5], "username_length": [0, 8]})
    X = feature_matrix(frame)
    assert np.isfinite(X.loc[0, "ff_log_ratio"]) and np.isnan(X.loc[1, "ff_log_ratio"])
    assert np.isnan(X.loc[0, "digit_share"]) and np.isnan(X.loc[1, "digit_share"])
    assert X.loc[0, "post_aggregates_present"] == 0
    assert "comment_like_ratio" not in features_for(list(CORE_COLUMNS))


# ------------------------------------------------------------------------------------ the CLI
def test_train_classify_evaluate_through_the_cli(
    tmp_path: Path, labeled_csv: Path, trained: AccountModel, runner
) -> None:
    model_path = tmp_path / "model.skops"
    result = runner.invoke(app, ["audience", "train", "--labeled", str(labeled_csv), "--out", str(model_path)])
    assert result.exit_code == 0, result.output
    # deterministic: the same file and seed give the same bytes as the library call
    assert model_path.read_bytes() == trained.save(tmp_path / "library.skops").read_bytes()

    unlabeled = tmp_path / "accounts.csv"
    frame = synthetic_accounts(40, seed=9).drop(columns=["is_fake"]).astype(object)
    frame.insert(0, "handle", ["=cmd|' /C calc'!A0"] + [f"user{i}" for i in range(39)])
    frame.loc[3, ["followers", "posts"]] = ""
    frame.loc[5, :] = ""
    frame.to_csv(unlabeled, index=False)
    out = tmp_path / "scored.csv"
    result = runner.invoke(
        app, ["audience", "classify", "--input", str(unlabeled), "--output", str(out), "--model", str(model_path)]
    )
    assert result.exit_code == 0, result.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40
    assert rows[0]["handle"].startswith("'=")  # formula neutralised
    scored = [r for i, r in enumerate(rows) if i != 5]
    assert all(0.0 <= float(r["p_fake"]) <= 1.0 for r in scored)
    assert all(r["is_fake_pred"] in {"0", "1"} for r in scored)
    assert rows[5]["p_fake"] == "" and rows[5]["is_fake_pred"] == "" and rows[5]["mass_follower"] == ""
    assert rows[3]["p_fake"] != ""

    result = runner.invoke(
        app, ["audience", "evaluate", "--labeled", str(labeled_csv), "--model", str(model_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)[0]
    metrics = {m["metric"]: m["value"] for m in report["metrics"]}
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc", "brier"}
    assert metrics["roc_auc"] > 0.8 and report["reliability"]

    small = tmp_path / "small.csv"
    synthetic_accounts(90, seed=4).to_csv(small, index=False)
    result = runner.invoke(app, ["audience", "evaluate", "--labeled", str(small), "--cv", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    cv = json.loads(result.output)[0]
    assert cv["evaluation"] == "2-fold cross-validation" and cv["rows"] == 90
    assert {m["metric"]: m["mean"] for m in cv["metrics"]}["roc_auc"] > 0.7

    result = runner.invoke(app, ["audience", "evaluate", "--labeled", str(labeled_csv), "--model", "rules"])
    assert result.exit_code == 0 and "Reliability" in result.output and "f1" in result.output


def test_cv_with_a_model_is_refused(labeled_csv: Path, runner) -> None:
    result = runner.invoke(
        app, ["audience", "evaluate", "--labeled", str(labeled_csv), "--cv", "3", "--model", "rules"]
    )
    assert result.exit_code == 1 and "--cv" in result.output


def test_too_few_labels_is_an_input_error(tmp_path: Path) -> None:
    frame = synthetic_accounts(40, seed=2)
    frame["is_fake"] = 0
    with pytest.raises(InvalidInputError, match="at least 6 fake"):
        train_model(frame.drop(columns=["is_fake"]), frame["is_fake"].to_numpy())


# ------------------------------------------------------------------------------ model behaviour
def test_nan_cells_never_crash(trained: AccountModel) -> None:
    frame = synthetic_accounts(12, seed=5).drop(columns=["is_fake"]).astype(float)
    frame.iloc[::2, ::3] = np.nan
    frame.iloc[1, :] = np.nan
    for scorer in (trained, RuleScorer()):
        p = scorer.predict_proba(frame)
        assert np.isnan(p[1])
        others = np.delete(p, 1)
        assert np.all((others >= 0) & (others <= 1))
    assert np.isnan(trained.predict_proba(pd.DataFrame({"followers": [np.nan]}))).all()


def test_model_file_roundtrip(tmp_path: Path, labeled_csv: Path, trained: AccountModel) -> None:
    table = read_accounts(labeled_csv, labeled=True)
    loaded = load_model(trained.save(tmp_path / "a.skops"))
    assert np.allclose(loaded.predict_proba(table.accounts), trained.predict_proba(table.accounts))


def test_forest_member_scores_complete_accounts_with_its_complete_learner(trained: AccountModel) -> None:
    member = trained.members[0]
    assert member.learner == "forest" and member.complete is not None and member.complete.complete is None
    accounts = synthetic_accounts(40, seed=8).drop(columns=["is_fake"]).astype(float)
    accounts.loc[::2, "bio_length"] = np.nan  # even rows have a gap: the augmented learner scores them
    X = feature_matrix(accounts)
    p = member.predict_proba(X)
    gap = 1 / (1 + np.exp(-(member.slope * member.raw_score(X) + member.intercept)))
    assert np.allclose(p[::2], gap[::2])
    assert np.allclose(p[1::2], member.complete.predict_proba(X)[1::2])
    assert not np.allclose(p[1::2], gap[1::2])


def test_load_model_rejects_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.skops"
    junk.write_text("not a model")
    with pytest.raises(InvalidInputError, match="not a microscout account model"):
        load_model(junk)
    with pytest.raises(InvalidInputError, match="not found"):
        load_model(tmp_path / "absent.skops")


def test_calibration_on_held_out_accounts() -> None:
    # three independent train/test draws, pooled: one draw's bins swing by more than the model's own error
    ys, ps = [], []
    for train_seed, test_seed, seed in ((11, 12, 4), (13, 14, 5), (15, 16, 6)):
        train = synthetic_accounts(1200, seed=train_seed)
        test = synthetic_accounts(3000, seed=test_seed)
        model = train_model(train.drop(columns=["is_fake"]), train["is_fake"].to_numpy(), seed=seed)
        ys.append(test["is_fake"].to_numpy())
        ps.append(model.predict_proba(test.drop(columns=["is_fake"])))
    y, p = np.concatenate(ys), np.concatenate(ps)
    table = reliability_table(y, p)
    assert sum(r["n"] for r in table) == len(y)
    for row in table:
        if row["n"] >= 50:  # allowed gap: 0.05 of model error plus three standard errors of the observed rate
            p_bin = row["mean_p_fake"]
            tolerance = 0.05 + 3 * np.sqrt(p_bin * (1 - p_bin) / row["n"])
            assert abs(p_bin - row["observed_fake_rate"]) < tolerance, row
    assert expected_calibration_error(y, p) < 0.05
    assert abs(p.mean() - y.mean()) < 0.03


def test_routing_sends_each_account_to_the_member_with_its_columns(labeled_csv: Path, tmp_path: Path) -> None:
    rich = synthetic_accounts(100, seed=21)
    rich["like_rate_pct"] = np.where(rich["is_fake"] == 1, 1.0, 12.0) + np.random.default_rng(0).normal(0, 1, 100)
    rich = rich.drop(columns=["is_private", "username_length", "username_digits"])
    rich_path = tmp_path / "rich.csv"
    rich.to_csv(rich_path, index=False)
    model = train_files([labeled_csv, rich_path], seed=5)
    assert len(model.members) == 2
    eight = synthetic_accounts(5, seed=6).drop(columns=["is_fake"])
    assert (model.route(eight) == 0).all()
    assert (model.route(rich.drop(columns=["is_fake"])) == 1).all()


# ---------------------------------------------------------------------------------- bundled model
def test_bundled_model_is_small_and_scores_eight_column_input() -> None:
    assert BUNDLED.exists() and BUNDLED.stat().st_size < 3_000_000
    model = load_model()
    assert isinstance(model, AccountModel) and model.threshold == 0.5
    assert any(set(m.columns) == set(CORE_COLUMNS) for m in model.members)
    accounts = pd.DataFrame(
        {
            "followers": [25, 420, 3, 900],
            "following": [4100, 380, 2900, 510],
            "posts": [0, 85, 0, 240],
            "bio_length": [0, 60, 0, 35],
            "has_profile_pic": [0, 1, 0, 1],
            "is_private": [0, 1, 0, 0],
            "username_length": [14, 9, 16, 11],
            "username_digits": [5, 0, 6, 0],
        }
    )
    scores = classify(model, accounts)
    assert scores["is_fake_pred"].tolist() == [1, 0, 1, 0]
    assert scores["p_fake"].iloc[0] > 0.8 and scores["p_fake"].iloc[1] < 0.2
    assert scores["mass_follower"].tolist() == [1, 0, 1, 0]


@needs_instafake
def test_bundled_model_on_real_eight_column_accounts() -> None:
    table = read_accounts(INSTAFAKE, labeled=True)
    assert table.labels is not None
    sample = np.random.default_rng(0).choice(len(table.labels), 300, replace=False)
    p = load_model().predict_proba(table.accounts.iloc[sample])
    m = binary_metrics(table.labels[sample], p)
    assert m["f1"] > 0.85 and m["roc_auc"] > 0.97  # in-sample for the bundled model: a sanity floor


# ------------------------------------------------------------------------------------------ rules
def test_rule_flags_and_scores() -> None:
    frame = pd.DataFrame(
        {
            "followers": [10, 500, np.nan],
            "following": [1501, 400, 1500],
            "posts": [0, 40, np.nan],
            "bio_length": [0, 30, np.nan],
            "has_profile_pic": [0, 1, np.nan],
            "username_digits": [4, 0, np.nan],
        }
    )
    flags = rule_flags(frame)
    assert flags.loc[0].drop("no_geotags").tolist() == [1.0] * 6
    assert flags.loc[1].drop("no_geotags").sum() == 0
    assert np.isnan(flags.loc[2, "follow_ratio"]) and flags.loc[2, "mass_follower"] == 0.0
    assert np.isnan(flags["no_geotags"]).all()
    p = RuleScorer().predict_proba(frame)
    assert p[0] == 1.0 and p[1] == 0.0 and p[2] == 0.0
    assert RuleScorer().reasons(frame)[0].startswith("no_profile_pic;few_posts;mass_follower")
    assert mass_follower(frame).tolist() == [1, 0, 0]
    assert mass_follower(pd.DataFrame({"following": [np.nan]})).isna().all()


@needs_instafake
def test_rule_scorer_beats_the_majority_class_on_instafake() -> None:
    table = read_accounts(INSTAFAKE, labeled=True)
    assert table.labels is not None
    m = binary_metrics(table.labels, RuleScorer().predict_proba(table.accounts))
    assert m["accuracy"] > 0.9 and m["f1"] > 0.75
