"""A licence-clean rule-based fake-account scorer built from published vendor heuristics.

No training data goes into it: each rule is a red flag that influencer-marketing vendors describe
in their public help pages, with a cut-off chosen once from that description (not tuned on the
labelled sets). A rule is evaluated only when its input column has a value; the score is the share
of evaluated rules that fire, and an account is called fake when half or more fire
(:data:`THRESHOLD`). The score is a count, not a calibrated probability: use it as the fallback
when no trained model may be used (``microscout audience classify --model rules``).

Rules and where they come from:

* ``no_profile_pic`` — ``has_profile_pic`` is 0. Modash lists a missing profile image among its
  fake-follower criteria (help.modash.io, "Audience & likers credibility"); infludata's
  suspicious accounts "have no bios, no profile pictures".
* ``few_posts`` — fewer than 3 posts. HypeAuditor and Modash use the number of posts; guides to
  spotting bought followers name "few or no posts".
* ``mass_follower`` — following more than 1,500 accounts: HypeAuditor's definition of a mass
  follower (help.hypeauditor.com, "How to read Audience Type"; ``REFERENCE.md``).
* ``follow_ratio`` — following more than twice as many accounts as follow it. Modash and
  HypeAuditor both score the following : followers ratio; an ordinary personal account sits near
  1 : 1.
* ``empty_bio`` — ``bio_length`` is 0 (Modash: missing bio; infludata: no bios).
* ``digit_username`` — 3 or more digits in the user name ("random numbers in the account name").
* ``no_geotags`` — no post carries a location (``location_share`` is 0); HypeAuditor names
  geotag usage among its suspicious-account features. Evaluated only when per-post data exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from microscout.authenticity.features import canonical_frame

MASS_FOLLOWER_FOLLOWING = 1_500  # HypeAuditor: a mass follower follows more than 1,500 accounts
THRESHOLD = 0.5


_RULES: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], pd.Series]]] = {
    "no_profile_pic": (("has_profile_pic",), lambda X: X["has_profile_pic"] == 0),
    "few_posts": (("posts",), lambda X: X["posts"] < 3),
    "mass_follower": (("following",), lambda X: X["following"] > MASS_FOLLOWER_FOLLOWING),
    "follow_ratio": (("following", "followers"), lambda X: X["following"] > 2 * X["followers"]),
    "empty_bio": (("bio_length",), lambda X: X["bio_length"] == 0),
    "digit_username": (("username_digits",), lambda X: X["username_digits"] >= 3),
    "no_geotags": (("location_share",), lambda X: X["location_share"] == 0),
}
RULES: tuple[str, ...] = tuple(_RULES)


def mass_follower(accounts: pd.DataFrame) -> pd.Series:
    """1 when the account follows more than 1,500 accounts, 0 when not, missing when unknown."""
    following = canonical_frame(accounts)["following"]
    flag = pd.array((following > MASS_FOLLOWER_FOLLOWING).astype(int).to_numpy(), dtype="Int64")
    flag[following.isna().to_numpy()] = pd.NA
    return pd.Series(flag, index=following.index, name="mass_follower")


def rule_flags(accounts: pd.DataFrame) -> pd.DataFrame:
    """One column per rule: 1.0 fired, 0.0 evaluated and not fired, NaN when an input is missing."""
    X = canonical_frame(accounts)
    out = pd.DataFrame(index=X.index)
    for name, (inputs, test) in _RULES.items():
        known = X[list(inputs)].notna().all(axis=1)
        out[name] = test(X).astype(float).where(known)
    return out


@dataclass(frozen=True)
class RuleScorer:
    """The rule-based scorer with the same interface as a trained model."""

    name: str = "rules"
    threshold: float = THRESHOLD

    def predict_proba(self, accounts: pd.DataFrame) -> np.ndarray:
        """Share of evaluated rules that fire per account (NaN when no rule can be evaluated)."""
        flags = rule_flags(accounts)
        evaluated = flags.notna().sum(axis=1)
        fired = flags.sum(axis=1, skipna=True)
        return np.asarray((fired / evaluated.where(evaluated > 0)).to_numpy(dtype=float))

    def reasons(self, accounts: pd.DataFrame) -> list[str]:
        """The rules that fire for each account, joined with ``;``."""
        flags = rule_flags(accounts)
        return [";".join(name for name in RULES if row[name] == 1.0) for _, row in flags.iterrows()]
