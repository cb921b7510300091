"""The audience-account classifier: training, calibration, the model file, scoring and metrics.

Training recipe (:func:`train_model`; ``microscout audience train`` calls it, ``evaluate --cv``
calls it on every fold, and ``make eval`` calls it for the bundled model):

1. **Members by column set.** Labelled rows are grouped by source file; files that carry the same
   canonical columns are pooled, and each column set gets its own member model. The bundled model
   has two: the eight InstaFake columns, and Purba's seventeen.
2. **Features**: the member's canonical columns plus the derived ratios whose inputs it has
   (:func:`.features.features_for`); missing stays NaN.
3. **Feature-dropout augmentation**: the member's learner is trained on its rows plus one copy of
   every row with each of the member's columns blanked independently with probability
   :data:`DROPOUT` (seeded), weight 0.5, so it has seen the missing patterns it meets in use.
   A forest member also gets a *complete* learner (:attr:`Member.complete`, :data:`COMPLETE_LEARNERS`)
   trained on the rows as they are, which scores the accounts that have a value in every one of the
   member's columns; the augmented (*gap*) learner scores the rest. The blanked copies cost the
   forest about 0.008 F1 on complete InstaFake accounts (the same sign on each of five CV seeds);
   for boosting they act as a regulariser (without them Purba's F1 fell from 0.975 to 0.973), so a
   boosting member keeps the one augmented learner.
4. **Learner**: a random forest (:data:`FOREST`, scikit-learn) for members with fewer than
   :data:`FOREST_MAX_ROWS` rows, where boosting overfits; LightGBM gradient boosting
   (:data:`BOOSTING`) above, where it is more accurate and a forest would grow to tens of MB.
   Both handle NaN natively; both are seeded and single-threaded, so training is deterministic.
5. **Calibration**: Platt scaling, a logistic regression of the label on the learner's raw score
   (log-odds), fitted on out-of-fold scores of a stratified :data:`CALIBRATION_FOLDS`-fold split
   (an augmented copy stays in its row's fold), separately for the gap and the complete learner.
   ``p_fake`` is then a probability; the ranking (ROC-AUC) is kept. (Out-of-bag scores would save
   the folds for a forest, but they average fewer trees, and the Platt slope fitted on them left
   the forest under-confident.)
6. **Decision**: ``is_fake_pred = p_fake >= 0.5`` (:data:`THRESHOLD`), the accuracy-optimal
   cut-off for a calibrated probability.

Scoring routes each account to the member whose columns overlap most with the columns the account
has values for (ties: the member trained on more rows). An account with only the eight InstaFake
columns is therefore scored by the eight-column member.

Model file: a skops archive (``skops.io``; no pickle) holding a dict — ``format``
``"microscout.account-model"``, ``format_version``, ``threshold``, ``training`` metadata and
``members`` (columns, features, learner, Platt ``slope``/``intercept``, either a scikit-learn
forest or LightGBM's text model, and ``complete``: the same fields for the complete learner, or
``None``; a file without it scores every account with the gap learner). Loading trusts only the
types in :data:`TRUSTED_TYPES`.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from microscout.authenticity.features import (
    ACCOUNT_COLUMNS,
    canonical_frame,
    feature_matrix,
    features_for,
    read_labeled,
)
from microscout.authenticity.rules import MASS_FOLLOWER_FOLLOWING, RuleScorer, mass_follower
from microscout.errors import InvalidInputError

FORMAT = "microscout.account-model"
FORMAT_VERSION = 1
SEED = 20_240_601
THRESHOLD = 0.5
DROPOUT = 0.15
CALIBRATION_FOLDS = 3
COMPLETE_LEARNERS = ("forest",)  # learners that get a second, unaugmented learner for complete accounts
MIN_PER_CLASS = 6
FOREST_MAX_ROWS = 5_000
FOREST: dict[str, Any] = {"n_estimators": 200, "min_samples_leaf": 2, "max_features": "sqrt", "n_jobs": 1}
BOOSTING: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
BOOSTING_ROUNDS = 400
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]  # beyond skops' defaults (scikit-learn estimators, numpy)
BUNDLED = Path(__file__).resolve().parent / "models" / "accounts.skops"
BUNDLED_SOURCES = (Path("instafake") / "accounts_dev.csv", Path("purba") / "accounts_4class_dev.csv")

Progress = Callable[[str, int, int], None]


def _quiet(_label: str, _done: int, _total: int) -> None:
    return None


class Scorer(Protocol):
    """Anything that scores accounts: a trained :class:`AccountModel` or the :class:`RuleScorer`."""

    @property
    def name(self) -> str: ...

    @property
    def threshold(self) -> float: ...

    def predict_proba(self, accounts: pd.DataFrame) -> np.ndarray: ...


@dataclass
class Member:
    """One learner of a model, trained on rows that share a set of canonical columns."""

    columns: list[str]
    learner: str  # "forest" or "boosting"
    slope: float
    intercept: float
    rows: int
    fake: int
    forest: Any = None  # sklearn RandomForestClassifier when learner == "forest"
    booster: str | None = None  # LightGBM text model when learner == "boosting"
    complete: Member | None = None  # scores accounts with every column present (trained without dropout)
    _loaded: Any = field(default=None, repr=False, compare=False)

    @property
    def features(self) -> list[str]:
        return features_for(self.columns)

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The learner's log-odds score on a feature matrix (:func:`.features.feature_matrix`)."""
        Z = X[self.features]
        if self.learner == "forest":
            return _logit(self.forest.predict_proba(Z.to_numpy(dtype=float))[:, 1])
        if self._loaded is None:
            import lightgbm as lgb

            self._loaded = lgb.Booster(model_str=self.booster)
        return np.asarray(self._loaded.predict(Z, raw_score=True), dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated ``p_fake``: the complete learner where every column has a value, else the gap learner."""
        full = X[self.columns].notna().all(axis=1).to_numpy() if self.complete is not None else np.zeros(len(X), bool)
        out = np.full(len(X), np.nan)
        if full.any():
            assert self.complete is not None
            out[full] = self.complete.predict_proba(X[full])
        if not full.all():
            out[~full] = _sigmoid(self.slope * self.raw_score(X[~full]) + self.intercept)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "features": self.features,
            "learner": self.learner,
            "slope": self.slope,
            "intercept": self.intercept,
            "rows": self.rows,
            "fake": self.fake,
            "forest": self.forest,
            "booster": self.booster,
            "complete": None if self.complete is None else self.complete.to_dict(),
        }

    @classmethod
    def from_dict(cls, m: dict[str, Any]) -> Member:
        complete = m.get("complete")
        return cls(
            columns=list(m["columns"]),
            learner=str(m["learner"]),
            slope=float(m["slope"]),
            intercept=float(m["intercept"]),
            rows=int(m["rows"]),
            fake=int(m["fake"]),
            forest=m.get("forest"),
            booster=m.get("booster"),
            complete=cls.from_dict(complete) if isinstance(complete, dict) else None,
        )


@dataclass
class AccountModel:
    """A trained, calibrated account classifier: one or more members and the routing between them."""

    members: list[Member]
    threshold: float = THRESHOLD
    training: dict[str, Any] = field(default_factory=dict)
    name: str = "model"

    def route(self, accounts: pd.DataFrame) -> np.ndarray:
        """Index of the member that scores each account (most overlapping columns, then most rows)."""
        present = canonical_frame(accounts).notna()
        scores = np.column_stack(
            [
                present[m.columns].sum(axis=1).to_numpy() * (10**9) + m.rows
                for m in self.members  # rows < 10**9 keeps overlap first
            ]
        )
        return np.asarray(scores.argmax(axis=1))

    def predict_proba(self, accounts: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each account is fake; NaN for an account with no value at all."""
        out = np.full(len(accounts), np.nan)
        if not len(accounts):
            return out
        X = feature_matrix(accounts)
        route = self.route(accounts)
        empty = canonical_frame(accounts).isna().all(axis=1).to_numpy()
        for i, member in enumerate(self.members):
            rows = (route == i) & ~empty
            if rows.any():
                out[rows] = member.predict_proba(X[rows])
        return out

    def save(self, path: Path) -> Path:
        """Write the model as a skops archive (fixed timestamps inside, so retraining gives the same bytes)."""
        import skops.io as sio

        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "threshold": self.threshold,
            "mass_follower_following": MASS_FOLLOWER_FOLLOWING,
            "training": self.training,
            "members": [m.to_dict() for m in self.members],
        }
        data = sio.dumps(doc)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_normalise_zip(data))
        return path


def _normalise_zip(data: bytes) -> bytes:
    """Make a skops archive reproducible: skops names arrays and objects by ``id()``, so renumber them
    in order of appearance, then write sorted entries with fixed timestamps and maximum compression."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = set(src.namelist())
        schema = json.loads(src.read("schema.json"))
        ids: dict[int, int] = {}
        files: dict[str, str] = {}

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "__id__" and isinstance(value, int):
                        node[key] = ids.setdefault(value, len(ids))
                    elif key == "file" and isinstance(value, str) and value in names:
                        node[key] = files.setdefault(value, f"{len(files)}.npy")
                    else:
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(schema)
        entries = {"schema.json": json.dumps(schema, indent=2).encode()}
        entries |= {files.get(n, n): src.read(n) for n in names if n != "schema.json"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name], compresslevel=9)
    return buf.getvalue()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -500, 500))))


def load_model(model: str | Path | None = None) -> Scorer:
    """The bundled model (``None``), the rule scorer (``"rules"``) or a model file from ``audience train``."""
    if model is not None and str(model) == "rules":
        return RuleScorer()
    import skops.io as sio

    path = BUNDLED if model is None else Path(model)
    if not path.is_file():
        raise InvalidInputError(f"{path}: model file not found")
    try:
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        if untrusted:
            raise InvalidInputError(f"{path}: refusing to load types that are not trusted: {', '.join(untrusted)}")
        doc = sio.load(path, trusted=TRUSTED_TYPES)
    except InvalidInputError:
        raise
    except Exception as exc:  # any unreadable file is the user's input error
        raise InvalidInputError(f"{path}: not a microscout account model ({type(exc).__name__}: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInputError(f"{path}: not a microscout account model")
    if doc.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(f"{path}: model format version {doc.get('format_version')} is not supported")
    members = [Member.from_dict(m) for m in doc["members"]]
    return AccountModel(
        members=members,
        threshold=float(doc["threshold"]),
        training=dict(doc.get("training", {})),
        name="bundled" if model is None else path.name,
    )


# ------------------------------------------------------------------------------------ training
def _augment(
    X: pd.DataFrame, y: np.ndarray, columns: list[str], seed: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows plus one copy with the member's columns blanked at random (weight 0.5), derived features recomputed."""
    rng = np.random.default_rng(seed)
    raw = X[columns].to_numpy(dtype=float, copy=True)
    raw[rng.random(raw.shape) < DROPOUT] = np.nan
    copy = feature_matrix(pd.DataFrame(raw, columns=columns))[list(X.columns)]
    both = pd.concat([X.reset_index(drop=True), copy], ignore_index=True)
    weights = np.concatenate([np.ones(len(X)), np.full(len(X), 0.5)])
    return both, np.concatenate([y, y]), weights


def _fit(
    learner: str, X: pd.DataFrame, y: np.ndarray, columns: list[str], seed: int, *, augment: bool = True
) -> Member:
    """Fit one learner, on augmented rows (the gap learner) or on the rows as they are (the complete
    learner); calibration is left to the caller (slope 1, intercept 0)."""
    features = features_for(columns)
    if augment:
        Xa, ya, wa = _augment(X[features], y, columns, seed)
    else:
        Xa, ya, wa = X[features].reset_index(drop=True), y, np.ones(len(y))
    member = Member(columns=columns, learner=learner, slope=1.0, intercept=0.0, rows=len(y), fake=int(y.sum()))
    if learner == "forest":
        from sklearn.ensemble import RandomForestClassifier

        member.forest = RandomForestClassifier(**FOREST, random_state=seed % (2**31)).fit(
            Xa.to_numpy(dtype=float), ya, sample_weight=wa
        )
    else:
        import lightgbm as lgb

        data = lgb.Dataset(Xa, label=ya, weight=wa, params={"feature_pre_filter": False})
        member.booster = lgb.train({**BOOSTING, "seed": seed}, data, num_boost_round=BOOSTING_ROUNDS).model_to_string()
    return member


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-3, 1 - 1e-3)
    return np.asarray(np.log(q / (1 - q)))


def _check_labels(y: np.ndarray, *, need: int, what: str) -> None:
    fake, real = int(y.sum()), int(len(y) - y.sum())
    if fake < need or real < need:
        raise InvalidInputError(
            f"training needs at least {need} fake and {need} real labelled accounts{what}; "
            f"got {fake} fake and {real} real"
        )


def _train_member(X: pd.DataFrame, y: np.ndarray, columns: list[str], seed: int, report: Progress) -> Member:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    _check_labels(y, need=max(MIN_PER_CLASS, CALIBRATION_FOLDS), what=f" with columns {', '.join(columns)}")
    learner = "forest" if len(y) < FOREST_MAX_ROWS else "boosting"
    label = f"training {learner} on {len(y):,} rows"
    steps = CALIBRATION_FOLDS + 1
    report(label, 0, steps)
    # out-of-fold raw scores of the gap learner (augment=True) and, for a forest, the complete learner
    scores = {a: np.zeros(len(y)) for a in (True, *([False] if learner in COMPLETE_LEARNERS else []))}
    splitter = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed % (2**31))
    for i, (tr, te) in enumerate(splitter.split(X, y)):
        for augment, oof in scores.items():
            fold = _fit(learner, X.iloc[tr], y[tr], columns, seed + i + 1, augment=augment)
            oof[te] = fold.raw_score(X.iloc[te])
        report(label, i + 1, steps)
    member = _fit(learner, X, y, columns, seed)
    parts: list[tuple[Member, np.ndarray, Any]] = [(member, scores[True], slice(None))]
    if False in scores:
        member.complete = _fit(learner, X, y, columns, seed, augment=False)
        # it only scores accounts with every column: calibrate it on such rows when there are enough
        full = X[columns].notna().all(axis=1).to_numpy()
        if min(int(y[full].sum()), int((1 - y[full]).sum())) < MIN_PER_CLASS:
            full[:] = True
        parts.append((member.complete, scores[False], full))
    for part, oof, rows in parts:
        platt = LogisticRegression(C=1.0).fit(oof[rows].reshape(-1, 1), y[rows])
        part.slope, part.intercept = float(platt.coef_[0][0]), float(platt.intercept_[0])
    report(label, steps, steps)
    return member


def train_model(
    accounts: pd.DataFrame,
    labels: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    seed: int = SEED,
    sources: list[str] | None = None,
    progress: Progress | None = None,
) -> AccountModel:
    """Train a calibrated classifier on labelled accounts (recipe in the module docstring).

    ``groups`` names the source file of each row; groups with the same columns are pooled into
    one member. Without it all rows form one group.
    """
    import lightgbm as lgb
    import sklearn

    from microscout import __version__

    accounts = accounts.reset_index(drop=True)
    y = np.asarray(labels, dtype=np.int64)
    if len(y) != len(accounts):
        raise InvalidInputError("labels and accounts differ in length")
    g = np.zeros(len(y), dtype=np.int64) if groups is None else np.asarray(groups)
    canon = canonical_frame(accounts)
    column_sets: dict[tuple[str, ...], list[Any]] = {}
    for group in dict.fromkeys(g.tolist()):
        rows = canon[g == group]
        columns = tuple(c for c in ACCOUNT_COLUMNS if rows[c].notna().any())
        if columns:
            column_sets.setdefault(columns, []).append(group)
    if not column_sets:
        raise InvalidInputError("the labelled files have no audience-account values to learn from")
    X = feature_matrix(accounts)
    report = progress or _quiet
    members = []
    for k, (columns, member_groups) in enumerate(column_sets.items()):
        mask = np.isin(g, member_groups)
        members.append(_train_member(X[mask], y[mask], list(columns), seed + 1000 * k, report))
    training = {
        "sources": sources or [],
        "rows": len(y),
        "fake": int(y.sum()),
        "seed": seed,
        "dropout": DROPOUT,
        "complete_learners": list(COMPLETE_LEARNERS),  # also trained without dropout, for complete accounts
        "calibration_folds": CALIBRATION_FOLDS,
        "forest_max_rows": FOREST_MAX_ROWS,
        "forest": {k: v for k, v in FOREST.items() if k != "n_jobs"},
        "boosting": {**BOOSTING, "rounds": BOOSTING_ROUNDS},
        "versions": {"microscout": __version__, "lightgbm": lgb.__version__, "scikit-learn": sklearn.__version__},
    }
    return AccountModel(members=members, training=training, name="trained")


def source_label(path: Path | str) -> str:
    """A file named by its folder and name only (no absolute paths in model files)."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def train_files(paths: list[Path], *, seed: int = SEED, progress: Progress | None = None) -> AccountModel:
    """Read labelled CSV files (canonical or Purba format) and train on them: ``audience train``."""
    table = read_labeled(list(paths))
    assert table.labels is not None
    return train_model(
        table.accounts,
        table.labels,
        groups=table.groups,
        seed=seed,
        sources=[source_label(p) for p in paths],
        progress=progress,
    )


def train_bundled(eval_data: Path, out: Path | None = BUNDLED, progress: Progress | None = None) -> AccountModel:
    """Retrain the bundled model from the dev data exactly as ``audience train`` does."""
    model = train_files([Path(eval_data) / p for p in BUNDLED_SOURCES], progress=progress)
    if out is not None:
        model.save(out)
    return model


def cross_validate(
    accounts: pd.DataFrame,
    labels: np.ndarray,
    *,
    folds: int = 5,
    groups: np.ndarray | None = None,
    seed: int = SEED,
    progress: Progress | None = None,
    on_fold: Callable[[int, AccountModel, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified ``folds``-fold CV, each fold trained by :func:`train_model`.

    Returns the out-of-fold calibrated probabilities and the fold of every row. ``on_fold`` gets
    each fold's number, model and test-row positions (evaluations reuse the fold models).
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=np.int64)
    if folds < 2:
        raise InvalidInputError(f"--cv must be at least 2 (got {folds})")
    _check_labels(y, need=max(MIN_PER_CLASS, folds), what="")
    accounts = accounts.reset_index(drop=True)
    g = None if groups is None else np.asarray(groups)
    p = np.zeros(len(y))
    fold = np.zeros(len(y), dtype=np.int64)
    report = progress or _quiet
    report("cross-validation", 0, folds)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed % (2**31))
    for i, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
        model = train_model(accounts.iloc[tr], y[tr], groups=None if g is None else g[tr], seed=seed + 7 * (i + 1))
        p[te] = model.predict_proba(accounts.iloc[te])
        fold[te] = i
        if on_fold is not None:
            on_fold(i, model, te)
        report("cross-validation", i + 1, folds)
    return p, fold


# ------------------------------------------------------------------------------------- metrics
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "brier")


def binary_metrics(labels: np.ndarray, p_fake: np.ndarray, threshold: float = THRESHOLD) -> dict[str, float]:
    """Accuracy, precision, recall, F1 of the fake class, ROC-AUC and Brier score.

    An account without a score (NaN: the rule scorer with no rule it can evaluate) counts as
    real with probability 0.
    """
    from sklearn.metrics import brier_score_loss, f1_score, precision_score, recall_score, roc_auc_score

    y = np.asarray(labels, dtype=np.int64)
    p = np.nan_to_num(np.asarray(p_fake, dtype=float), nan=0.0)
    if not len(y):
        return dict.fromkeys(METRICS, math.nan)
    pred = (p >= threshold).astype(np.int64)
    return {
        "accuracy": float((pred == y).mean()),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else math.nan,
        "brier": float(brier_score_loss(y, p, pos_label=1)),
    }


def cv_metrics(
    labels: np.ndarray, p_fake: np.ndarray, fold: np.ndarray, threshold: float = THRESHOLD
) -> dict[str, dict[str, float]]:
    """Per metric: the mean and standard deviation over folds, and the value on all folds pooled."""
    y = np.asarray(labels)
    per_fold = [binary_metrics(y[fold == f], p_fake[fold == f], threshold) for f in np.unique(fold)]
    pooled = binary_metrics(y, p_fake, threshold)
    return {
        m: {
            "mean": float(np.mean([r[m] for r in per_fold])),
            "sd": float(np.std([r[m] for r in per_fold], ddof=1)) if len(per_fold) > 1 else 0.0,
            "pooled": pooled[m],
        }
        for m in METRICS
    }


def reliability_table(labels: np.ndarray, p_fake: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted vs observed fake rate in equal-width probability bins (empty bins left out)."""
    y = np.asarray(labels, dtype=float)
    p = np.asarray(p_fake, dtype=float)
    keep = ~np.isnan(p)
    y, p = y[keep], p[keep]
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append(
                {
                    "bin": f"{edges[b]:.1f}–{edges[b + 1]:.1f}",
                    "n": int(mask.sum()),
                    "mean_p_fake": float(p[mask].mean()),
                    "observed_fake_rate": float(y[mask].mean()),
                }
            )
    return rows


def expected_calibration_error(labels: np.ndarray, p_fake: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted and observed fake rate over the reliability bins, weighted by bin size."""
    rows = reliability_table(labels, p_fake, bins)
    total = sum(r["n"] for r in rows)
    if not total:
        return math.nan
    return float(sum(r["n"] * abs(r["mean_p_fake"] - r["observed_fake_rate"]) for r in rows) / total)


# ------------------------------------------------------------------------------------ scoring
def classify(scorer: Scorer, accounts: pd.DataFrame) -> pd.DataFrame:
    """``p_fake``, ``is_fake_pred`` (0/1 at the scorer's threshold) and ``mass_follower`` per account.

    The rule scorer adds ``rule_flags``. An account that cannot be scored (no value in any
    canonical column, or none a rule can use) gets empty cells, never a guess.
    """
    p = scorer.predict_proba(accounts)
    known = ~np.isnan(p)
    pred = pd.array(np.where(known, p >= scorer.threshold, False).astype(int), dtype="Int64")
    pred[~known] = pd.NA
    out = pd.DataFrame(
        {"p_fake": np.round(p, 6), "is_fake_pred": pred, "mass_follower": mass_follower(accounts).array},
        index=accounts.index,
    )
    if isinstance(scorer, RuleScorer):
        out["rule_flags"] = scorer.reasons(accounts)
    return out
