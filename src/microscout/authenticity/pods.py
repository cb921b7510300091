"""Engagement pods: groups of creators whose commenters overlap heavily (MinHash LSH).

Pod members comment on each other's posts from the same ring of accounts, so their commenter sets
overlap far more than two unrelated creators' ever do. For every creator the set of distinct
commenters in the comment sample (creator replies excluded, at most MAX_COMMENTERS) becomes a MinHash
signature; locality-sensitive hashing (datasketch) proposes candidate pairs, whose Jaccard
similarity is then estimated from the signatures; pairs at or above MIN_JACCARD are linked and the
connected groups are the pods. Commenter sets stream from the engine in batches ordered by creator,
so memory holds one signature per creator (NUM_PERM × 8 bytes), never the comments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

NUM_PERM = 64
MIN_JACCARD = 0.12
LSH_THRESHOLD = 0.1
MIN_COMMENTERS = 5
MAX_COMMENTERS = 500
SEED = 1


@dataclass(frozen=True)
class Pod:
    members: tuple[tuple[str, str], ...]
    overlap: dict[tuple[str, str], float]  # each member's mean Jaccard with its linked members


def commenter_sets(src: Any) -> ir.Table:
    c = src.table("comments")
    c = c.filter(~c.is_creator_reply.fill_null(False) & c.author_id.notnull())
    posts = src.table("posts").select("platform", "post_id", "creator_id")
    c = c.join(posts, ["platform", "post_id"])
    c = c.filter(c.author_id != c.creator_id)
    return c.select("platform", "creator_id", "author_id").distinct().order_by(["platform", "creator_id"])


def _grouped(batches: Iterator[pa.RecordBatch]) -> Iterator[tuple[tuple[str, str], list[str]]]:
    key: tuple[str, str] | None = None
    members: list[str] = []
    for batch in batches:
        cols = batch.to_pydict()
        for p, c, a in zip(cols["platform"], cols["creator_id"], cols["author_id"], strict=True):
            k = (p, c)
            if k != key:
                if key is not None:
                    yield key, members
                key, members = k, []
            if len(members) < MAX_COMMENTERS:
                members.append(a)
    if key is not None:
        yield key, members


def find_pods(src: Any, progress: Callable[[str, int, int], None] | None = None) -> list[Pod]:
    """Pods among the store's creators (groups of two or more)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    sigs: dict[str, MinHash] = {}
    names: dict[str, tuple[str, str]] = {}
    batches = src.batches(commenter_sets(src), 100_000)
    for i, (key, members) in enumerate(_grouped(iter(batches))):
        if len(members) < MIN_COMMENTERS:
            continue
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch([a.encode() for a in members])
        name = f"{key[0]}\x1f{key[1]}"
        lsh.insert(name, m)
        sigs[name] = m
        names[name] = key
        if progress and i % 1000 == 0:
            progress("pods", i, 0)
    links: dict[str, dict[str, float]] = {}
    for name, m in sigs.items():
        for other in lsh.query(m):
            if other <= name:
                continue
            j = float(m.jaccard(sigs[other]))
            if j >= MIN_JACCARD:
                links.setdefault(name, {})[other] = j
                links.setdefault(other, {})[name] = j
    return _components(links, names)


def _components(links: dict[str, dict[str, float]], names: dict[str, tuple[str, str]]) -> list[Pod]:
    seen: set[str] = set()
    pods: list[Pod] = []
    for start in sorted(links):
        if start in seen:
            continue
        stack, group = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            group.append(node)
            for nb in links[node]:
                if nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        group.sort()
        overlap = {names[g]: float(np.mean(list(links[g].values()))) for g in group}
        pods.append(Pod(tuple(names[g] for g in group), overlap))
    return pods


def pod_table(pods: list[Pod]) -> pa.Table:
    """One row per pod member: platform, creator_id, pod_id, pod_size, pod_overlap."""
    rows: dict[str, list[Any]] = {k: [] for k in ("platform", "creator_id", "pod_id", "pod_size", "pod_overlap")}
    for pod in pods:
        first = pod.members[0]
        pod_id = "pod-" + hashlib.sha1(f"{first[0]}:{first[1]}".encode()).hexdigest()[:10]
        for member in pod.members:
            rows["platform"].append(member[0])
            rows["creator_id"].append(member[1])
            rows["pod_id"].append(pod_id)
            rows["pod_size"].append(len(pod.members))
            rows["pod_overlap"].append(round(pod.overlap[member], 4))
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("platform", pa.string()),
                ("creator_id", pa.string()),
                ("pod_id", pa.string()),
                ("pod_size", pa.int64()),
                ("pod_overlap", pa.float64()),
            ]
        ),
    )


def empty_pods() -> ir.Table:
    return ibis.memtable(pod_table([]))
