"""Posts: timing, kinds, engagement, captions, hashtags, mentions, locations, urls and replies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.sample import banks as B
from microscout.sample._common import (
    DAY_US,
    KIND_NAMES,
    KINDS,
    NOW_US,
    PLATFORMS,
    SNAPSHOT_WEEKS,
    VIEW_KINDS,
    id_array,
    list_array,
    ts_array,
)
from microscout.sample.context import N_CAP, N_SP, N_UNSAFE, SUFFIXES

if TYPE_CHECKING:
    from microscout.sample.chunk import Chunk


def make_posts(ch: Chunk) -> None:
    """Write ``posts``, ``truth_sponsored`` and ``creator_snapshots`` (posts_count per week)."""
    s, rng, n, P, d = ch.s, ch.rng, ch.n, ch.P, ch.d
    N = n * P
    cidx = np.repeat(np.arange(n), P)
    k = np.tile(np.arange(P), n)
    ch.post_creator = cidx
    # timing: gamma gaps with the creator's cadence, newest first
    gaps = rng.gamma(2.0, 1.0, (n, P)) * (3.5 / ch.ppw)[:, None]  # days
    gaps[:, 0] = rng.random(n) * 2.0
    age_days = np.cumsum(gaps, axis=1).ravel()
    day = (NOW_US - (age_days * DAY_US).astype(np.int64)) // DAY_US * DAY_US
    local_hour = np.clip(rng.normal(17.0, 3.5, N), 6, 23.9)
    utc_hour = (local_hour - s.market_offset[ch.mkt][cidx]) % 24
    pub = day + (utc_hour * 3600).astype(np.int64) * 1_000_000  # whole seconds
    pub = np.where(pub > NOW_US - 60_000_000, pub - DAY_US, pub)
    ch.pub = pub
    # kinds
    plat = ch.plat[cidx]
    kind = np.zeros(N, dtype=np.int64)
    u = rng.random(N)
    for pi, p in enumerate(PLATFORMS):
        names = [KIND_NAMES.index(x) for x, _ in KINDS[p]]
        cum = np.cumsum([w for _, w in KINDS[p]])
        sel = plat == pi
        kind[sel] = np.array(names)[np.searchsorted(cum, u[sel], side="right").clip(0, len(names) - 1)]
    ch.kind = kind
    knames = np.array(KIND_NAMES)
    is_view = np.isin(kind, [KIND_NAMES.index(x) for x in VIEW_KINDS])
    story = kind == KIND_NAMES.index("story")
    # sponsorship, unsafe, viral
    sp_rate = np.where(ch.business, 0.10, 0.055)[cidx]
    sponsored = rng.random(N) < sp_rate
    disclosed = sponsored & (rng.random(N) < d["p_disclosed"])
    unsafe_post = ch.unsafe[cidx] & ~sponsored & (rng.random(N) < ch.unsafe_share[cidx])
    viral = np.zeros(N, dtype=bool)
    vc = np.flatnonzero(ch.odd == 1)
    if len(vc):
        t_spike = ch.snap_us[ch.spike_week[vc]]
        diff = np.abs(pub.reshape(n, P)[vc] - t_spike[:, None])
        viral[vc * P + diff.argmin(axis=1)] = True
    # engagement
    sigma = ch.s.cal["post_sigma_ln"] * d["spread"]
    z = rng.normal(0, sigma, N)
    kind_mult = np.select([kind == 1, kind == 2, kind == 5], [1.25, 1.1, 1.2], 1.0)
    mult = np.exp(z) * kind_mult * np.where(sponsored, 0.85, 1.0) * np.where(viral, 15.0, 1.0)
    f_org = ch.f_org[cidx]
    video = ch.video[cidx]
    views_mu = np.where(video, f_org * ch.vf[cidx], 0.0)
    views_mu = np.where(plat == 0, f_org * 0.6 * (f_org / 1000) ** -0.2 * ch.vmult[cidx], views_mu)
    views_mu = np.where(story, ch.followers[cidx] * 0.06, views_mu)
    views_mu = views_mu * np.exp(rng.normal(0, 0.5, N)) * np.where(viral, 15.0, 1.0)
    views = rng.poisson(views_mu)
    eng_mu = np.where(
        video,
        views * ch.erv[cidx] / 100 * ch.cm[cidx] * np.exp(rng.normal(0, 0.3, N)),
        f_org * ch.er_org[cidx] * mult,
    )
    eng = rng.poisson(np.maximum(eng_mu, 0))
    pc_ = ch.cratio[cidx] / (1 + ch.cratio[cidx])
    comments = rng.binomial(eng, pc_)
    likes = eng - comments
    # engagement pods: extra generic comments and likes from the ring
    in_pod = ch.pod[cidx] >= 0
    pod_mild = np.array([*ch.pod_mild, False], dtype=bool)[ch.pod[cidx]]
    lo = np.where(pod_mild, d["pod_mild_comments"][0], d["pod_comments"][0])
    hi = np.where(pod_mild, d["pod_mild_comments"][1], d["pod_comments"][1])
    pod_c = np.where(in_pod, rng.integers(0, 1 << 30, N) % (hi - lo + 1) + lo, 0)
    comments = comments + pod_c
    likes = likes + np.where(in_pod, pod_c * 2 + rng.poisson(3, N), 0)
    ch.post_comments = comments
    # shares/saves per platform (null where the platform does not expose them)
    shares = np.round(
        eng * np.select([plat == 1, plat == 3, plat == 4], [0.08, 0.15, 0.12], 0) * np.exp(rng.normal(0, 0.4, N))
    ).astype(np.int64)
    saves = np.round(eng * np.select([plat == 1, plat == 3], [0.10, 0.05], 0) * np.exp(rng.normal(0, 0.4, N))).astype(
        np.int64
    )
    null_counts = story
    likes_a = pa.array(likes, pa.int64(), mask=null_counts)
    comments_a = pa.array(comments, pa.int64(), mask=null_counts)
    shares_a = pa.array(shares, pa.int64(), mask=~np.isin(plat, [1, 3, 4]) | null_counts)
    saves_a = pa.array(saves, pa.int64(), mask=~np.isin(plat, [1, 3]) | null_counts)
    views_a = pa.array(views, pa.int64(), mask=~is_view)
    # captions
    lang = ch.lang[cidx]
    use2 = ch.has2[cidx] & (rng.random(N) < 0.4)
    niche = np.where(use2, ch.n2[cidx], ch.n1[cidx])
    travel = B.NICHES.index("travel")
    cap_idx = s.cap_off[lang, niche] + rng.integers(0, N_CAP, N)
    cap_idx = np.where(sponsored, s.sp_off[lang, niche] + rng.integers(0, N_SP, N), cap_idx)
    cap_idx = np.where(unsafe_post, s.un_off[lang, niche] + rng.integers(0, N_UNSAFE, N), cap_idx)
    ch.unsafe_term_idx = np.where(unsafe_post, s.un_term[cap_idx], -1)
    mode = rng.random(N)  # disclosure: caption only / hashtags only / both
    tag_in_caption = disclosed & (mode < 0.7)
    tag_in_tags = disclosed & (mode >= 0.5)
    mk = ch.mkt[cidx]
    disc_idx = np.where(tag_in_caption, 1 + 2 * mk + (rng.random(N) < 0.3), 0)
    suffix_idx = rng.integers(0, len(SUFFIXES), N)
    caption = pc.binary_join_element_wise(
        s.cap_bank.take(pa.array(cap_idx)),
        s.suffix_bank.take(pa.array(suffix_idx)),
        s.disc_caption.take(pa.array(disc_idx)),
        "",
    )
    # hashtags
    habit = np.clip(10 ** rng.normal(0.4, 0.35, n), 0, 8)[cidx]
    h = np.minimum(rng.poisson(habit), s.n_tag)
    start = rng.integers(0, s.n_tag, N)
    total = h + tag_in_tags
    owner = np.repeat(np.arange(N), total)
    pos = np.arange(total.sum()) - np.repeat(np.cumsum(total) - total, total)
    is_disc = pos >= h[owner]
    tag_vals = np.where(
        is_disc, s.disc_tag_off + mk[owner], s.tag_off[lang[owner], niche[owner]] + (start[owner] + pos) % s.n_tag
    )
    hashtags = list_array(total, s.tag_bank.take(pa.array(tag_vals)))
    # mentions: brand for sponsored posts; a few shout-outs to other creators in the chunk
    brand = np.where(sponsored, s.sp_brand[cap_idx], -1)
    shout = ~sponsored & (rng.random(N) < 0.04)
    m_count = ((brand >= 0) | shout).astype(np.int64)
    m_vals = np.where(brand >= 0, brand, len(B.BRANDS) + rng.integers(0, n, N))[m_count > 0]
    mention_bank = pa.array(list(B.BRANDS) + [x.split(".bsky.social")[0] for x in ch.handles])
    mentions = list_array(m_count, mention_bank.take(pa.array(m_vals)))
    # location: tagged on ~35 % of posts; home market, abroad for travel posts
    tagged = rng.random(N) < 0.35
    abroad_p = np.where(ch.odd[cidx] == 2, np.where(niche == travel, 0.85, 0.3), np.where(niche == travel, 0.35, 0.03))
    abroad = rng.random(N) < abroad_p
    tagged = tagged | (abroad & (ch.odd[cidx] == 2))
    other = (mk + rng.integers(1, len(s.markets), N)) % len(s.markets)
    loc = np.where(abroad, other, mk)
    loc_a = pa.array(np.array(s.markets, dtype=object)[loc], pa.string(), mask=~tagged)
    # ids and urls
    width = max(3, len(str(P - 1)))
    ch.post_id = pc.binary_join_element_wise(ch.creator_id.take(pa.array(cidx)), id_array("p", k, width), "")
    handle_a = pa.array(ch.handles, pa.string()).take(pa.array(cidx))
    prefixes = pa.array(
        [
            "https://www.instagram.com/p/",
            "https://www.tiktok.com/@",
            "https://www.youtube.com/watch?v=",
            "https://x.com/",
            "https://bsky.app/profile/",
        ]
    ).take(pa.array(plat))
    mids = pc.if_else(
        pa.array(np.isin(plat, [1, 3, 4])),
        pc.binary_join_element_wise(
            handle_a, pa.array(["", "/video/", "", "/status/", "/post/"]).take(pa.array(plat)), ""
        ),
        pa.scalar(""),
    )
    url = pc.binary_join_element_wise(prefixes, mids, ch.post_id, "")
    # replies / quotes on x and bluesky
    xb = np.flatnonzero(np.isin(plat, [3, 4]))
    r = rng.random(N)
    reply = np.zeros(N, dtype=bool)
    quote = np.zeros(N, dtype=bool)
    target = np.zeros(N, dtype=np.int64)
    if len(xb):
        reply[xb] = r[xb] < 0.08
        quote[xb] = (r[xb] >= 0.08) & (r[xb] < 0.11)
        target[xb] = xb[rng.integers(0, len(xb), len(xb))]
    tgt = ch.post_id.take(pa.array(target))
    null_str = pa.nulls(N, pa.string())
    reply_a = pc.if_else(pa.array(reply), tgt, null_str)
    quote_a = pc.if_else(pa.array(quote), tgt, null_str)
    ch.sponsored, ch.disclosed = sponsored, disclosed
    ch.plat_post = plat
    ch.sinks["posts"].write(
        {
            "platform": ch.pname.take(pa.array(cidx)),
            "post_id": ch.post_id,
            "creator_id": ch.creator_id.take(pa.array(cidx)),
            "published_at": ts_array(pub),
            "kind": pa.array(knames[kind], pa.string()),
            "caption": caption,
            "hashtags": hashtags,
            "mentions": mentions,
            "likes": likes_a,
            "comments": comments_a,
            "shares": shares_a,
            "saves": saves_a,
            "views": views_a,
            "is_sponsored": sponsored,
            "location_country": loc_a,
            "url": url,
            "reply_to": reply_a,
            "quote_of": quote_a,
            "repost_of": null_str,
        }
    )
    sp = np.flatnonzero(sponsored)
    ch.sinks["truth_sponsored"].write(
        {
            "platform": ch.pname.take(pa.array(cidx[sp])),
            "post_id": ch.post_id.take(pa.array(sp)),
            "creator_id": ch.creator_id.take(pa.array(cidx[sp])),
            "disclosed": disclosed[sp],
        }
    )
    # creator snapshots (posts_count at each observation)
    pub2 = pub.reshape(n, P)
    after = (pub2[:, None, :] > ch.snap_us[None, :, None]).sum(axis=2)
    W = SNAPSHOT_WEEKS
    ccount = ch.P + ch.extra_posts
    # following drifts week to week; the last observation is the creator record itself
    drift = np.round(rng.normal(0, 3, (n, W))).astype(np.int64)
    drift[:, -1] = 0
    ch.sinks["creator_snapshots"].write(
        {
            "platform": ch.pname.take(pa.array(np.repeat(np.arange(n), W))),
            "creator_id": ch.creator_id.take(pa.array(np.repeat(np.arange(n), W))),
            "observed_at": ts_array(np.tile(ch.snap_us, n)),
            "followers": ch.snap_followers.ravel(),
            "following": (ch.following[:, None] + drift).clip(0).ravel(),
            "posts_count": np.maximum(ccount[:, None] - after, 0).ravel(),
        }
    )
