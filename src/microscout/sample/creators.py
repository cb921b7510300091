"""Creators: platform, market, language, niches, follower tier, fraud, engagement level, names,
and their weekly follower snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.sample import banks as B
from microscout.sample._common import (
    NOW_US,
    PLATFORM_SHARE,
    PLATFORMS,
    PREFIX,
    SNAPSHOT_WEEKS,
    WEEK_US,
    ascii_fold,
    id_array,
    interp_log,
    pareto,
    split_bank,
    ts_array,
)

if TYPE_CHECKING:
    from microscout.sample.chunk import Chunk

SECOND_LANGUAGE_SHARE = {"IN": 0.5, "ID": 0.15}  # share of creators using the 2nd language

# Tier mix of creators (REFERENCE.md D7: nano ~ 58-81 % of IG creators, micro ~ 14-45 %).
TIERS = (
    (300, 1_000, 0.04),
    (1_000, 10_000, 0.67),
    (10_000, 100_000, 0.25),
    (100_000, 500_000, 0.03),
    (500_000, 1_000_000, 0.007),
    (1_000_000, 5_000_000, 0.003),
)

# TikTok ER by views (Modash Nov 2025 "average" band mid-points, D2) and YouTube ER by views
# (Modash, D3), as (log10 followers, ER %) knots; views per post / followers as power laws
# (assumption: TikTok 0.5 at 1k falling 0.35 per decade; YouTube 0.3 at 1k falling 0.3 per decade).
TIKTOK_ERV = ((3.35, 13.05), (3.85, 11.17), (4.35, 8.88), (4.85, 7.63), (5.35, 7.03), (5.85, 6.52), (6.5, 6.52))
YOUTUBE_ERV = ((3.35, 1.75), (3.85, 0.71), (4.35, 0.44), (4.85, 0.28), (5.35, 0.23), (5.85, 0.20), (6.5, 0.155))
VIEWS_PER_FOLLOWER = {"tiktok": (0.5, -0.35), "youtube": (0.3, -0.30), "instagram": (0.6, -0.2)}
# X and Bluesky: no published ER by tier (D4 says X brand ER is far below IG); assumed to be
# 25 % (X) and 35 % (Bluesky) of the Instagram curve.
ER_SCALE = {"x": 0.25, "bluesky": 0.35}


def make_creators(ch: Chunk) -> None:
    """Draw the chunk's creators and write the ``creators`` table."""
    s, rng, n, d = ch.s, ch.rng, ch.n, ch.d
    ch.gid = np.arange(ch.c0, ch.c1)
    ch.plat = rng.choice(len(PLATFORMS), n, p=PLATFORM_SHARE)
    ch.mkt = rng.choice(len(s.markets), n, p=s.market_p)
    lang = np.array([s.lang_index[s.market_lang[m][0]] for m in ch.mkt])
    second = np.array([s.lang_index[s.market_lang[m][-1]] for m in ch.mkt])
    p2 = np.array([SECOND_LANGUAGE_SHARE.get(s.markets[m], 0.0) for m in ch.mkt])
    ch.lang = np.where(rng.random(n) < p2, second, lang)
    nn = len(B.NICHES)
    niche_w = np.array([9, 9, 8, 6, 9, 7, 4, 5, 6, 5, 4, 4, 5, 4, 5, 5, 5, 3, 6, 3], float)
    ch.n1 = rng.choice(nn, n, p=niche_w / niche_w.sum())
    ch.has2 = rng.random(n) < 0.4
    ch.n2 = (ch.n1 + rng.integers(1, nn, n)) % nn
    tier = rng.choice(len(TIERS), n, p=[t[2] for t in TIERS])
    lo = np.array([t[0] for t in TIERS], float)[tier]
    hi = np.array([t[1] for t in TIERS], float)[tier]
    ch.followers = np.round(pareto(rng, lo, hi)).astype(np.int64)
    # fraud
    u = rng.random(n)
    pb, pp, pbo = d["p_bought"], d["p_pod"], d["p_both"]
    ch.fraud = np.select([u < pb, u < pb + pp, u < pb + pp + pbo], [1, 2, 3], 0)
    ch.mild = rng.random(n) < d["p_mild"]
    bought = (ch.fraud == 1) | (ch.fraud == 3)
    lo_s, hi_s = (
        np.where(ch.mild, d["mild_bought"][0], d["strong_bought"][0]),
        np.where(ch.mild, d["mild_bought"][1], d["strong_bought"][1]),
    )
    ch.bought = np.where(bought, lo_s + (hi_s - lo_s) * rng.random(n), 0.0)
    clean = ch.fraud == 0
    v = rng.random(n)
    ch.odd = np.where(
        clean & (v < d["p_viral"]),
        1,
        np.where(clean & (v >= d["p_viral"]) & (v < d["p_viral"] + d["p_travel"]), 2, 0),
    )
    travel = B.NICHES.index("travel")
    fix = (ch.odd == 2) & (ch.n1 != travel)
    ch.n2 = np.where(fix, travel, ch.n2)
    ch.has2 = ch.has2 | fix
    ch.off = rng.random(n) < d["p_off"]
    ch.off_share = d["off_share"][0] + (d["off_share"][1] - d["off_share"][0]) * rng.random(n)
    ch.unsafe = rng.random(n) < d["p_unsafe"]
    ch.unsafe_share = d["unsafe_share"][0] + (d["unsafe_share"][1] - d["unsafe_share"][0]) * rng.random(n)
    # engagement levels
    cal = s.cal
    ch.f_org = np.maximum(ch.followers * (1 - ch.bought), 50.0)
    lf = np.log10(ch.f_org)
    ig = interp_log(
        list(zip(cal["instagram_curve"]["log10_followers"], cal["instagram_curve"]["er_percent"], strict=False)), lf
    )
    spread = cal["er_fit"]["between_sd_log10"] * d["spread"]
    ch.cm = 10 ** rng.normal(0, spread, n)
    pname = np.array(PLATFORMS)[ch.plat]
    vf = np.ones(n)
    erv = np.zeros(n)
    er_f = ig.copy()
    for p, scale in ER_SCALE.items():
        er_f = np.where(pname == p, ig * scale, er_f)
    for p, knots in (("tiktok", TIKTOK_ERV), ("youtube", YOUTUBE_ERV)):
        a, slope = VIEWS_PER_FOLLOWER[p]
        m = pname == p
        vf = np.where(m, a * (ch.f_org / 1000) ** slope, vf)
        erv = np.where(m, interp_log(knots, lf), erv)
    ch.video = (pname == "tiktok") | (pname == "youtube")
    ch.vmult = 10 ** rng.normal(0, 0.2, n)
    ch.vf, ch.erv = vf * ch.vmult, erv
    # expected per-post ER (fraction of *displayed* followers, median post)
    base = np.where(ch.video, ch.vf * erv, er_f) / 100 * ch.cm
    ch.er_org = base  # per organic follower
    ch.true_er = base * ch.f_org / ch.followers
    expected = np.where(ch.video, vf * erv, er_f) / 100
    ch.er_resid = np.clip(np.log10(np.maximum(ch.true_er, 1e-9) / expected), -0.6, 0.6)
    cr = cal["comment_ratio"]
    plat_cr = np.array([1.0, 0.5, 1.5, 1.0, 1.0])[ch.plat]
    ch.cratio = cr["median"] * plat_cr * 10 ** rng.normal(0, cr["sd_log10"], n)
    cad = cal["cadence"]
    plat_cad = np.array([1.0, 1.5, 0.5, 4.0, 3.0])[ch.plat]
    # creators post ~3x as often as the personal accounts of the calibration data
    ch.ppw = np.clip(
        3 * cad["posts_per_week_median"] * plat_cad * 10 ** rng.normal(0, cad["sd_log10"] * 0.6, n), 0.3, 30
    )
    ch.following = np.clip(10 ** rng.normal(2.7, 0.4, n), 5, 7500).astype(np.int64)
    ch.verified = rng.random(n) < np.clip((np.log10(ch.followers) - 4.3) / 3, 0.003, 0.7)
    ch.business = rng.random(n) < np.where(ch.followers > 10_000, 0.55, 0.35)
    ch.extra_posts = rng.integers(0, 300, n)
    ch.pod = np.full(n, -1)
    _pods(ch)
    _names(ch)
    pname_list = pname.tolist()
    ch.creator_id = id_array("", ch.gid, 7)
    ch.creator_id = pc.binary_join_element_wise(pa.array([PREFIX[p] for p in ch.plat], pa.string()), ch.creator_id, "")
    ch.pname = pa.array(pname_list, pa.string())
    decl = np.array(s.markets, dtype=object)[ch.mkt]
    decl[rng.random(n) < 0.15] = None
    lang_code = np.array(B.LANGUAGES, dtype=object)[ch.lang]
    first_seen = NOW_US - (SNAPSHOT_WEEKS - 1) * WEEK_US
    emails = [
        f"{h.replace('.bsky.social', '').replace('_', '.')}@example.com" if b and e else None
        for h, b, e in zip(ch.handles, ch.business, rng.random(n) < 0.5, strict=False)
    ]
    urls = [_profile_url(p, h) for p, h in zip(pname_list, ch.handles, strict=False)]
    ch.sinks["creators"].write(
        {
            "platform": ch.pname,
            "creator_id": ch.creator_id,
            "handle": ch.handles,
            "display_name": ch.display,
            "bio": ch.bios,
            "followers": ch.followers,
            "following": ch.following,
            "posts_count": ch.P + ch.extra_posts,
            "verified": ch.verified,
            "is_business": ch.business,
            "declared_country": decl.tolist(),
            "declared_language": lang_code.tolist(),
            "contact_email": emails,
            "profile_url": urls,
            "first_seen": ts_array(np.full(n, first_seen)),
            "last_seen": ts_array(np.full(n, NOW_US)),
        }
    )


def _profile_url(platform: str, handle: str) -> str:
    return {
        "instagram": f"https://www.instagram.com/{handle}/",
        "tiktok": f"https://www.tiktok.com/@{handle}",
        "youtube": f"https://www.youtube.com/@{handle}",
        "x": f"https://x.com/{handle}",
        "bluesky": f"https://bsky.app/profile/{handle}",
    }[platform]


def _pods(ch: Chunk) -> None:
    """Group pod creators (same platform) into pods; each pod has a ring of accounts."""
    rng, d = ch.rng, ch.d
    members = np.flatnonzero((ch.fraud == 2) | (ch.fraud == 3))
    members = members[np.argsort(ch.plat[members], kind="stable")]
    ch.pod_mild = []
    ch.pod_ring = []
    ch.pod_mkt = []
    i, k = 0, 0
    while i < len(members):
        mild = bool(rng.random() < d["p_mild"])
        lo, hi = d["pod_mild"] if mild else d["pod_strong"]
        size = int(rng.integers(lo, hi + 1))
        group = members[i : i + size]
        group = group[ch.plat[group] == ch.plat[group[0]]]
        ch.pod[group] = k
        ch.mild[group] = mild
        ch.pod_mild.append(mild)
        ch.pod_ring.append(max(10, 2 * size))
        ch.pod_mkt.append(int(np.bincount(ch.mkt[group]).argmax()))
        i += len(group)
        k += 1
    ch.pod_ring_off = np.concatenate([[0], np.cumsum(ch.pod_ring)]).astype(np.int64)


def _names(ch: Chunk) -> None:
    s, rng, n = ch.s, ch.rng, ch.n
    r = rng.random((n, 8))
    handles, display, bios = [], [], []
    for i in range(n):
        lang = B.LANGUAGES[ch.lang[i]]
        names = [x.split("=") for x in split_bank(B.NAMES[lang])]
        nm = names[int(r[i, 0] * len(names))]
        latin, native = nm[0], nm[-1]
        n1 = B.NICHES[ch.n1[i]]
        words = split_bank(B.HANDLE_WORDS[n1]) + [
            w for w in (ascii_fold(k) for k in split_bank(B.KEYWORDS[lang][ch.n1[i]])) if w.isalpha() and len(w) <= 10
        ]
        word = words[int(r[i, 1] * len(words))]
        sep = ("", ".", "_")[int(r[i, 2] * 3)]
        style = int(r[i, 3] * 4)
        base = (
            f"{latin}{sep}{word}",
            f"{word}{sep}{latin}",
            f"{latin}{sep}{word}",
            f"{latin}{10 + int(r[i, 4] * 89)}",
        )[style]
        h = base
        seen = ch.handles_seen[ch.plat[i]]
        k = 1
        while h in seen:
            h = f"{base}{sep or '_'}{k + int(r[i, 5] * 9)}" if k < 4 else f"{base}{ch.gid[i]}"
            k += 1
        seen.add(h)
        if PLATFORMS[ch.plat[i]] == "bluesky":
            h = f"{h.replace('_', '-')}.bsky.social"
        handles.append(h)
        kws = split_bank(B.KEYWORDS[lang][ch.n1[i]])
        kw2 = split_bank(B.KEYWORDS[lang][ch.n2[i] if ch.has2[i] else ch.n1[i]])
        pretty = native if native != latin else latin.capitalize()
        display.append(pretty if r[i, 6] < 0.5 else f"{pretty} | {kws[0]}")
        cities = split_bank(B.CITIES.get(s.markets[ch.mkt[i]], "")) or [""]
        tmpl = B.BIOS[lang][int(r[i, 7] * len(B.BIOS[lang]))]
        emo = split_bank(B.EMOJI[n1])
        bios.append(
            tmpl.format(a=kws[0], b=kw2[-1], city=cities[int(r[i, 4] * len(cities))], e=emo[int(r[i, 5] * len(emo))])
        )
    ch.handles, ch.display, ch.bios = handles, display, bios


def snapshots(ch: Chunk) -> None:
    """Weekly follower counts: organic growth, bought-follower arrivals, honest viral spikes."""
    rng, n, W = ch.rng, ch.n, SNAPSHOT_WEEKS
    weeks_back = (W - 1 - np.arange(W))[None, :].astype(float)  # 25 .. 0
    g = np.clip(10 ** rng.normal(-2.3, 0.3, n), 0.0005, 0.03)[:, None]  # weekly growth
    noise = np.cumsum(rng.normal(0, 0.002, (n, W)), axis=1)
    noise -= noise[:, -1:]
    org = ch.f_org[:, None] * np.exp(-g * weeks_back + noise)
    ch.spike_week = rng.integers(4, W - 3, n)
    wk = np.arange(W)[None, :]
    # bought followers: arrive at spike_week (strong: at once; mild: over 2-3 weeks)
    ramp = np.where(ch.mild[:, None], 3.0, 1.0)
    frac = np.clip((wk - ch.spike_week[:, None] + 1) / ramp, 0, 1)
    bought_n = (ch.followers * ch.bought)[:, None] * frac
    # honest viral spike: organic followers jump by 25-60 % at spike_week
    jump = np.where(ch.odd == 1, 0.25 + 0.35 * rng.random(n), 0.0)[:, None]
    org = org / np.where(wk < ch.spike_week[:, None], 1 + jump, 1.0)
    fol = np.round(org + bought_n).astype(np.int64)
    fol[:, -1] = ch.followers
    ch.snap_us = NOW_US - (W - 1 - np.arange(W)).astype(np.int64) * WEEK_US
    ch.snap_followers = fol
    ch.growth = g[:, 0]
