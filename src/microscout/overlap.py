"""Audience overlap between creators from their audience samples (MinHash, LSH for pairs at scale).

Each creator's sample is the set of sampled accounts in ``audience_edges`` (followers and/or
commenters). A MinHash sketch (datasketch, ``num_perm`` permutations) of each set gives, for any
pair, an estimate of the Jaccard similarity ``J = |A ∩ B| / |A ∪ B|`` whose standard error is
about ``√(J(1 − J) / num_perm)``; from it:

* ``shared_sampled = J / (1 + J) · (|A| + |B|)`` — accounts estimated to be in both samples;
* ``containment = shared_sampled / min(|A|, |B|)`` — the share of the smaller sample also in the
  other one;
* ``shared_audience = containment × min(followers_A, followers_B)`` — the estimated shared audience,
  **assuming the samples stand for the audiences** (the containment measured on the samples holds
  for the whole audiences). With random follower samples this underestimates the overlap (a shared
  follower is in both samples only with the product of the sampling rates); with commenter samples
  it measures the overlap of the engaged audience, which is what a campaign pays twice for.

For many creators (:func:`overlap_pairs`), a MinHash LSH index (datasketch ``MinHashLSH``) finds the
candidate pairs whose Jaccard may exceed a threshold without comparing every pair; only those are
estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from microscout.errors import InvalidInputError

__all__ = ["DEFAULT_NUM_PERM", "RELATIONS", "OverlapPair", "audience_samples", "overlap_matrix", "overlap_pairs"]

DEFAULT_NUM_PERM = 128
RELATIONS = ("follower", "commenter")
_SEED = 1


@dataclass
class OverlapPair:
    """Estimated overlap of two creators' audiences."""

    a: tuple[str, str]
    b: tuple[str, str]
    jaccard: float
    shared_sampled: float
    containment: float
    shared_audience: float | None
    sample_a: int
    sample_b: int

    def to_dict(self, names: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
        names = names or {}
        return {
            "a": names.get(self.a, f"{self.a[0]}:{self.a[1]}"),
            "b": names.get(self.b, f"{self.b[0]}:{self.b[1]}"),
            "jaccard": round(self.jaccard, 4),
            "shared_sampled": round(self.shared_sampled, 1),
            "containment": round(self.containment, 4),
            "shared_audience": None if self.shared_audience is None else round(self.shared_audience),
            "sample_a": self.sample_a,
            "sample_b": self.sample_b,
        }


def audience_samples(
    store: Any, keys: list[tuple[str, str]] | None = None, *, relations: tuple[str, ...] = RELATIONS
) -> dict[tuple[str, str], np.ndarray]:
    """The sampled account ids per creator (for ``keys``, or every creator with a sample)."""
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown or not relations:
        raise InvalidInputError(f"relation must be follower, commenter or both (got {', '.join(unknown) or 'none'})")
    edges = store.table("audience_edges")
    edges = edges.filter(edges.relation.isin(list(relations)))
    if keys is not None:
        import ibis

        wanted = ibis.memtable(pd.DataFrame(keys, columns=["platform", "creator_id"]).drop_duplicates())
        edges = edges.semi_join(wanted, ["platform", "creator_id"])
    frame = edges.select("platform", "creator_id", "account_id").distinct().to_pandas()
    out: dict[tuple[str, str], np.ndarray] = {}
    for (platform, creator_id), group in frame.groupby(["platform", "creator_id"], sort=True):
        # accounts are per platform: prefix the platform so ids never collide across platforms
        out[(str(platform), str(creator_id))] = (str(platform) + ":" + group.account_id.astype(str)).to_numpy()
    return out


def _sketches(samples: dict[tuple[str, str], np.ndarray], num_perm: int) -> dict[tuple[str, str], Any]:
    from datasketch import MinHash

    keys = list(samples)
    encoded = [[v.encode("utf-8") for v in samples[k].tolist()] for k in keys]
    sketches = MinHash.bulk(encoded, num_perm=num_perm, seed=_SEED)
    return dict(zip(keys, sketches, strict=True))


def _pair(
    a: tuple[str, str],
    b: tuple[str, str],
    jaccard: float,
    size: dict[tuple[str, str], int],
    followers: dict[tuple[str, str], float | None],
) -> OverlapPair:
    na, nb = size[a], size[b]
    shared = jaccard / (1 + jaccard) * (na + nb) if jaccard > 0 else 0.0
    shared = min(shared, float(min(na, nb)))
    containment = shared / min(na, nb) if min(na, nb) else 0.0
    fa, fb = followers.get(a), followers.get(b)
    audience = containment * min(fa, fb) if fa is not None and fb is not None else None
    return OverlapPair(a, b, jaccard, shared, containment, audience, na, nb)


def _followers(store: Any, keys: list[tuple[str, str]]) -> dict[tuple[str, str], float | None]:
    if not keys:
        return {}
    import ibis

    wanted = ibis.memtable(pd.DataFrame(keys, columns=["platform", "creator_id"]).drop_duplicates())
    creators = store.table("creators").semi_join(wanted, ["platform", "creator_id"])
    frame = creators.select("platform", "creator_id", "followers").to_pandas()
    return {
        (r.platform, r.creator_id): (None if pd.isna(r.followers) else float(r.followers))
        for r in frame.itertuples(index=False)
    }


def overlap_matrix(
    store: Any,
    keys: list[tuple[str, str]],
    *,
    relations: tuple[str, ...] = RELATIONS,
    num_perm: int = DEFAULT_NUM_PERM,
) -> tuple[list[OverlapPair], list[str]]:
    """Every pair of ``keys`` (a small list, e.g. from the command line) and notes."""
    samples = audience_samples(store, keys, relations=relations)
    notes = [f"{k[0]}:{k[1]}: no audience sample ({'/'.join(relations)})" for k in keys if k not in samples]
    sketches = _sketches(samples, num_perm)
    size = {k: len(v) for k, v in samples.items()}
    followers = _followers(store, keys)
    pairs = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if a in sketches and b in sketches and a != b:
                pairs.append(_pair(a, b, float(sketches[a].jaccard(sketches[b])), size, followers))
    return pairs, notes


def overlap_pairs(
    store: Any,
    keys: list[tuple[str, str]],
    *,
    min_jaccard: float = 0.02,
    relations: tuple[str, ...] = RELATIONS,
    num_perm: int = DEFAULT_NUM_PERM,
    samples: dict[tuple[str, str], np.ndarray] | None = None,
) -> list[OverlapPair]:
    """Pairs among ``keys`` whose estimated Jaccard is at least ``min_jaccard``, found by MinHash LSH."""
    from datasketch import MinHashLSH

    samples = samples if samples is not None else audience_samples(store, keys, relations=relations)
    samples = {k: v for k, v in samples.items() if len(v)}
    if len(samples) < 2:
        return []
    sketches = _sketches(samples, num_perm)
    size = {k: len(v) for k, v in samples.items()}
    lsh = MinHashLSH(threshold=max(min_jaccard, 0.01), num_perm=num_perm)
    names = {k: f"{k[0]}\x1f{k[1]}" for k in sketches}
    back = {v: k for k, v in names.items()}
    with lsh.insertion_session() as session:
        for key, sketch in sketches.items():
            session.insert(names[key], sketch)
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    found = []
    followers = _followers(store, list(sketches))
    for key, sketch in sketches.items():
        for other_name in lsh.query(sketch):
            other = back[other_name]
            if other == key:
                continue
            a, b = (key, other) if key < other else (other, key)
            if (a, b) in seen:
                continue
            seen.add((a, b))
            jaccard = float(sketches[a].jaccard(sketches[b]))
            if jaccard >= min_jaccard:
                found.append(_pair(a, b, jaccard, size, followers))
    found.sort(key=lambda p: (-p.jaccard, p.a, p.b))
    return found
