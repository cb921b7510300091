"""Audience accounts (sampled followers, commenters, pod rings), their comments and edges.

Account features follow quantiles measured once on ``instafake/accounts_dev.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.sample import banks as B
from microscout.sample._common import KIND_NAMES, NOW_US, PLATFORMS, id_array, phi, ts_array

if TYPE_CHECKING:
    from microscout.sample.chunk import Chunk

BOT_FARM = ("IN", "ID", "BR", "TR", "MX")  # countries bought followers mostly come from

# Audience-account feature quantiles measured once on instafake/accounts_dev.csv (795 real and
# 160 fake accounts) at levels Q_LEVELS; sampled by piecewise-linear inverse CDF (Gaussian copula
# with one shared "activity" factor so followers/posts/bio co-vary as they do in the data).
Q_LEVELS = np.array([0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1])
REAL_Q: dict[str, list[float]] = {
    "followers": [1, 70, 132, 219, 342, 512, 714, 970, 3257],
    "following": [4, 107, 161, 272, 420, 615, 872, 1114, 6640],
    "posts": [0, 1, 2, 8, 31, 79, 167, 292, 1058],
    "bio_length": [0, 0, 0, 0, 13, 37, 72, 109, 150],
    "username_length": [5, 7, 7, 9, 11, 13, 15, 16, 22],
    "username_digits": [0, 0, 0, 0, 0, 0, 1, 2, 7],
}
FAKE_Q: dict[str, list[float]] = {
    "followers": [0, 0, 1, 9.5, 29, 102, 309, 496, 3208],
    "following": [0, 16, 103, 266, 1384, 2484, 4300, 6044, 7497],
    "posts": [0, 0, 0, 0, 0, 1, 3, 6, 396],
    "bio_length": [0, 0, 0, 0, 0, 8, 52, 75, 130],
    "username_length": [5, 7, 8, 9, 11, 13, 16, 19, 30],
    "username_digits": [0, 0, 0, 0, 1, 3, 4, 5, 10],
}
REAL_PIC, FAKE_PIC = 0.987, 0.575
REAL_PRIVATE, FAKE_PRIVATE = 0.730, 0.325
FEATURE_LOADING = {
    "followers": 0.7,
    "following": 0.4,
    "posts": 0.7,
    "bio_length": 0.4,
    "username_length": 0.0,
    "username_digits": -0.3,
}


def _sample_quantiles(q: Sequence[float], u: np.ndarray) -> np.ndarray:
    return np.asarray(np.interp(u, Q_LEVELS, np.asarray(q, dtype=float)))


def _features(ch: Chunk, fake: np.ndarray) -> dict[str, np.ndarray]:
    rng, M = ch.rng, len(fake)
    z = rng.normal(0, 1, M)
    like_real = rng.random(M) < ch.d["fake_like_real"]
    use_fake = fake & ~like_real
    out: dict[str, np.ndarray] = {}
    for col, load in FEATURE_LOADING.items():
        u = phi(load * z + np.sqrt(1 - load * load) * rng.normal(0, 1, M))
        val = np.where(use_fake, _sample_quantiles(FAKE_Q[col], u), _sample_quantiles(REAL_Q[col], u))
        out[col] = np.round(val).astype(np.int64)
    out["has_profile_pic"] = rng.random(M) < np.where(use_fake, FAKE_PIC, REAL_PIC)
    out["is_private"] = rng.random(M) < np.where(use_fake, FAKE_PRIVATE, REAL_PRIVATE)
    out["has_external_url"] = rng.random(M) < np.where(use_fake, 0.02, 0.10)
    return out


def audience_and_comments(ch: Chunk) -> None:
    """Write the sampled audience accounts, a bounded sample of comments, and the edges."""
    s, rng, n, d = ch.s, ch.rng, ch.n, ch.d
    nm = len(s.markets)
    NP = 8  # commenter pool per creator: 3 of the followers + 5 non-follower commenters
    nf = rng.integers(30, 61, n)
    per = nf + 5
    owner = np.repeat(np.arange(n), per)
    j = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    is_follower = j < nf[owner]
    base_fake = 0.03 + 0.09 * rng.random(n)
    p_fake = base_fake + (1 - base_fake) * ch.bought
    fake = is_follower & (rng.random(len(owner)) < p_fake[owner])
    fake |= ~is_follower & (rng.random(len(owner)) < 0.03)
    # country / language
    home_share = np.where(ch.off, 1 - ch.off_share, 0.82)
    home = rng.random(len(owner)) < home_share[owner]
    mk = ch.mkt[owner]
    foreign = (mk + rng.integers(1, nm, len(owner))) % nm
    if ch.off.any():
        # off-market audiences concentrate in one or two foreign markets
        focus = (ch.mkt + rng.integers(1, nm, n)) % nm
        alt = np.where(rng.random(len(owner)) < 0.7, focus[owner], foreign)
        foreign = np.where(ch.off[owner], alt, foreign)
    country = np.where(home, mk, foreign)
    bot_idx = np.array([s.markets.index(x) for x in BOT_FARM if x in s.markets])
    country = np.where(fake, bot_idx[rng.integers(0, len(bot_idx), len(owner))], country)
    lang_of_market = np.array([s.lang_index[s.market_lang[m][0]] for m in range(nm)])
    alang = np.where(home & ~fake, ch.lang[owner], lang_of_market[country])
    unknown = rng.random(len(owner)) < np.where(fake, 0.4, 0.1)
    feats = _features(ch, fake)
    acc_id = pc.binary_join_element_wise(id_array("a", ch.gid[owner], 7), id_array("_", j, 2), "")
    # pod ring accounts (real-looking engagement accounts)
    R = int(ch.pod_ring_off[-1])
    ring_pod = np.repeat(np.arange(len(ch.pod_ring)), ch.pod_ring) if R else np.zeros(0, int)
    ring_j = np.arange(R) - ch.pod_ring_off[:-1][ring_pod] if R else np.zeros(0, int)
    ring_id = pc.binary_join_element_wise(id_array(f"r{ch.index:05d}_", ring_pod, 3), id_array("_", ring_j, 2), "")
    ring_feats = _features(ch, np.zeros(R, dtype=bool))
    ring_country = np.array(ch.pod_mkt, dtype=np.int64)[ring_pod] if R else np.zeros(0, int)
    markets_obj = np.array(s.markets, dtype=object)
    langs_obj = np.array(B.LANGUAGES, dtype=object)
    all_country = np.concatenate([country, ring_country])
    all_unknown = np.concatenate([unknown, np.zeros(R, dtype=bool)])
    all_lang = np.concatenate([alang, lang_of_market[ring_country]])
    acc_plat = np.concatenate(
        [
            ch.plat[owner],
            ch.plat[np.array([np.flatnonzero(ch.pod == p)[0] for p in ring_pod], dtype=np.int64)]
            if R
            else np.zeros(0, int),
        ]
    )
    plat_names = pa.array(list(PLATFORMS))
    ch.sinks["audience_accounts"].write(
        {
            "platform": plat_names.take(pa.array(acc_plat)),
            "account_id": pa.concat_arrays([acc_id, ring_id]) if R else acc_id,
            **{
                c: np.concatenate([feats[c], ring_feats[c]])
                for c in (
                    "followers",
                    "following",
                    "posts",
                    "bio_length",
                    "has_profile_pic",
                    "is_private",
                    "username_length",
                    "username_digits",
                    "has_external_url",
                )
            },
            "country": pa.array(markets_obj[all_country], pa.string(), mask=all_unknown),
            "language": pa.array(langs_obj[all_lang], pa.string(), mask=all_unknown),
        }
    )
    # comments: a bounded sample on ~20 % of posts (60 % for pod members), up to 5 each
    _P, N = ch.P, n * ch.P
    cidx = ch.post_creator
    in_pod = ch.pod[cidx] >= 0
    has = (ch.post_comments > 0) & (ch.kind != KIND_NAMES.index("story"))
    sel = np.flatnonzero(has & (rng.random(N) < np.where(in_pod, 0.6, 0.2)))
    cnt = np.minimum(ch.post_comments[sel], rng.integers(1, 6, len(sel)))
    cpost = np.repeat(sel, cnt)
    cj = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    ccre = cidx[cpost]
    M = len(cpost)
    acc_start = np.concatenate([[0], np.cumsum(per)[:-1]])
    # author from the creator's pool: followers 0..2 or the 5 non-follower commenters
    pool_k = rng.integers(0, NP, M)
    pool_acc = acc_start[ccre] + np.where(pool_k < 3, pool_k, nf[ccre] + pool_k - 3)
    pod_of = ch.pod[ccre]
    pod_mild = np.array([*ch.pod_mild, False], dtype=bool)[pod_of]
    ring_share = np.where(pod_mild, d["pod_ring_share"][1], d["pod_ring_share"][0])
    from_ring = (pod_of >= 0) & (rng.random(M) < ring_share)
    ring_sizes = np.array([*ch.pod_ring, 1], dtype=np.int64)
    ring_acc = ch.pod_ring_off[np.maximum(pod_of, 0)] + rng.integers(0, 1 << 30, M) % ring_sizes[pod_of]
    creator_reply = ~from_ring & (rng.random(M) < 0.08)
    n_acc = len(owner)
    author = np.where(from_ring, n_acc + ring_acc, pool_acc)
    all_ids = pa.concat_arrays([acc_id, ring_id]) if R else acc_id
    author_a = all_ids.take(pa.array(author))
    author_a = pc.if_else(pa.array(creator_reply), ch.creator_id.take(pa.array(ccre)), author_a)
    handle_a = pc.if_else(
        pa.array(creator_reply), pa.array(ch.handles, pa.string()).take(pa.array(ccre)), pa.nulls(M, pa.string())
    )
    generic = from_ring | (rng.random(M) < 0.15)
    a_lang = all_lang[author]
    text_idx = np.where(
        generic,
        s.generic_off + rng.integers(0, len(B.GENERIC_COMMENTS), M),
        s.comment_off[a_lang] + rng.integers(0, 8, M),
    )
    text_idx = np.where(creator_reply, s.thanks_off + ch.lang[ccre], text_idx)
    c_pub = np.minimum(ch.pub[cpost] + (rng.exponential(6, M) * 3600).astype(np.int64) * 1_000_000 + 60_000_000, NOW_US)
    ch.sinks["comments"].write(
        {
            "platform": ch.pname.take(pa.array(ccre)),
            "comment_id": pc.binary_join_element_wise(ch.post_id.take(pa.array(cpost)), id_array("c", cj, 1), ""),
            "post_id": ch.post_id.take(pa.array(cpost)),
            "author_id": author_a,
            "author_handle": handle_a,
            "text": s.comment_bank.take(pa.array(text_idx)),
            "published_at": ts_array(c_pub),
            "likes": rng.poisson(0.8, M),
            "is_creator_reply": creator_reply,
        }
    )
    # edges: every sampled follower, and each distinct commenter (pool or ring) per creator
    key = np.unique(ccre[~creator_reply].astype(np.int64) * (n_acc + R + 1) + author[~creator_reply])
    e_cre, e_acc = key // (n_acc + R + 1), key % (n_acc + R + 1)
    fol = np.flatnonzero(is_follower)
    e_creator = np.concatenate([owner[fol], e_cre])
    e_account = np.concatenate([fol, e_acc])
    rel = np.concatenate([np.zeros(len(fol), np.int64), np.ones(len(e_cre), np.int64)])
    ch.sinks["audience_edges"].write(
        {
            "platform": ch.pname.take(pa.array(e_creator)),
            "creator_id": ch.creator_id.take(pa.array(e_creator)),
            "account_id": all_ids.take(pa.array(e_account)),
            "relation": pa.array(["follower", "commenter"]).take(pa.array(rel)),
            "observed_at": ts_array(np.full(len(e_creator), NOW_US)),
        }
    )
