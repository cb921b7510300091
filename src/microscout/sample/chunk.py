"""The state of one chunk of creators, filled in stage by stage by the generator modules.

``world.generate_world`` makes one ``Chunk`` per ``chunk_creators`` creators and runs, in this
order (the order of random draws is part of the output): ``creators.make_creators``,
``creators.snapshots``, ``content.make_posts``, ``audience.audience_and_comments``,
``deals.make_deals`` and ``truths.write_truth``. Arrays are indexed by creator within the chunk
(length ``n``) unless named ``post_*`` (length ``n * P``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from microscout.sample._io import Sink
from microscout.sample.context import Setup
from microscout.sample.truths import Difficulty


class Chunk:
    """One chunk of creators and everything the later stages need from the earlier ones."""

    # creators.make_creators: who the creators are
    gid: np.ndarray  # global creator number
    plat: np.ndarray  # index into PLATFORMS
    mkt: np.ndarray  # index into Setup.markets
    lang: np.ndarray  # index into banks.LANGUAGES
    n1: np.ndarray  # first niche
    n2: np.ndarray  # second niche (used where has2)
    has2: np.ndarray
    followers: np.ndarray  # displayed followers now
    fraud: np.ndarray  # index into truths.FRAUD_NAMES
    mild: np.ndarray
    bought: np.ndarray  # share of followers that are bought
    odd: np.ndarray  # 0 none, 1 viral spike, 2 travel abroad
    off: np.ndarray  # off-market audience
    off_share: np.ndarray
    unsafe: np.ndarray
    unsafe_share: np.ndarray
    # creators.make_creators: engagement levels
    f_org: np.ndarray  # organic followers
    cm: np.ndarray  # creator ER multiplier (spread between creators)
    video: np.ndarray  # tiktok or youtube: ER by views
    vmult: np.ndarray
    vf: np.ndarray  # views per follower
    erv: np.ndarray  # ER by views, %
    er_org: np.ndarray  # expected median post ER per organic follower
    true_er: np.ndarray  # expected median post ER per displayed follower
    er_resid: np.ndarray  # log10(true_er / expected), clipped
    cratio: np.ndarray  # comments / likes
    ppw: np.ndarray  # posts per week
    following: np.ndarray
    verified: np.ndarray
    business: np.ndarray
    extra_posts: np.ndarray
    # creators._pods
    pod: np.ndarray  # pod number within the chunk, or -1
    pod_mild: list[bool]
    pod_ring: list[int]  # ring size per pod
    pod_mkt: list[int]
    pod_ring_off: np.ndarray
    # creators._names and ids
    handles: list[str]
    display: list[str]
    bios: list[str]
    creator_id: pa.Array
    pname: pa.Array
    # creators.snapshots
    spike_week: np.ndarray
    snap_us: np.ndarray
    snap_followers: np.ndarray
    growth: np.ndarray
    # content.make_posts
    post_creator: np.ndarray
    pub: np.ndarray
    kind: np.ndarray
    post_comments: np.ndarray
    unsafe_term_idx: np.ndarray
    post_id: pa.Array
    sponsored: np.ndarray
    disclosed: np.ndarray
    plat_post: np.ndarray
    # deals.make_deals
    price_factor: np.ndarray

    def __init__(
        self,
        setup: Setup,
        rng: np.random.Generator,
        index: int,
        c0: int,
        c1: int,
        n_posts: int,
        diff: Difficulty,
        handles_seen: list[set[str]],
        sinks: dict[str, Sink],
    ) -> None:
        self.s, self.rng, self.index, self.c0, self.c1 = setup, rng, index, c0, c1
        self.P, self.d, self.handles_seen, self.sinks = n_posts, diff, handles_seen, sinks
        self.n = c1 - c0
