"""Audience authenticity: is an account fake, and how real is a creator's audience?

This package holds the account classifier (:mod:`.accounts`, :mod:`.features`, :mod:`.rules`):
a calibrated probability that an audience account is fake, trained by the project's own code on
labelled public data, a mass-follower flag, and a rule-based fallback built from published vendor
heuristics. See ``docs/model-card-accounts.md`` for the bundled model.

Imports stay light: the learner (LightGBM, scikit-learn) loads only when a model trains or scores.
"""

from __future__ import annotations

from microscout.authenticity.accounts import (
    BUNDLED,
    THRESHOLD,
    AccountModel,
    Scorer,
    binary_metrics,
    classify,
    cross_validate,
    cv_metrics,
    load_model,
    reliability_table,
    train_files,
    train_model,
)
from microscout.authenticity.features import (
    ACCOUNT_COLUMNS,
    CORE_COLUMNS,
    OPTIONAL_COLUMNS,
    PURBA_CLASSES,
    PURBA_COLUMNS,
    AccountTable,
    feature_matrix,
    read_accounts,
    read_labeled,
)
from microscout.authenticity.rules import MASS_FOLLOWER_FOLLOWING, RuleScorer, mass_follower

__all__ = [
    "ACCOUNT_COLUMNS",
    "BUNDLED",
    "CORE_COLUMNS",
    "MASS_FOLLOWER_FOLLOWING",
    "OPTIONAL_COLUMNS",
    "PURBA_CLASSES",
    "PURBA_COLUMNS",
    "THRESHOLD",
    "AccountModel",
    "AccountTable",
    "RuleScorer",
    "Scorer",
    "binary_metrics",
    "classify",
    "cross_validate",
    "cv_metrics",
    "feature_matrix",
    "load_model",
    "mass_follower",
    "read_accounts",
    "read_labeled",
    "reliability_table",
    "train_files",
    "train_model",
]
