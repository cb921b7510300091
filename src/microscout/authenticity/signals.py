"""Creator-level authenticity signals, each a registered :class:`Check` (docs/authenticity.md).

Every check is an Ibis expression over the store's tables (so it runs on DuckDB and on Spark) that
returns one row per creator with its own columns and a ``<name>_severity`` in [0, 1]: 0 is "nothing
suspicious", 1 is "as bad as this signal gets". :mod:`microscout.authenticity.aqs` turns the
severities into the Audience Quality Score and the reasons.

The checks read:

* ``audience_scores`` — each sampled audience account's calibrated fake probability, written by
  :func:`microscout.authenticity.scoring.score_accounts` before the checks run;
* ``audience_edges`` — which sampled accounts follow (or comment on) which creator;
* ``creator_snapshots`` and ``posts`` — follower history and engagement around a jump;
* ``comments`` — generic and emoji-only comments;
* ``creator_pods`` — commenter-overlap groups found by MinHash LSH
  (:mod:`microscout.authenticity.pods`);
* the metrics stage's own columns (expected-ER residual, comment/like ratio).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from microscout.config import Settings
from microscout.metrics.joins import attach
from microscout.reference import load_table

Z90 = 1.6448536269514722
KEYS = ["platform", "creator_id"]

# The share of a clean audience that looks fake anyway (inactive and bot-like accounts follow
# everyone): Instagram audits put it around 5-15 %; below BASELINE_FAKE a sample says nothing.
BASELINE_FAKE = 0.12
FAKE_SPAN = 0.18  # severity 1 at BASELINE_FAKE + FAKE_SPAN (30 % of followers look fake)
# Calibration error of the account classifier (expected calibration error measured on held-out
# labelled accounts, docs/model-card-accounts.md), added to the sampling variance of the share.
CALIBRATION_SD = 0.03
MIN_SAMPLE = 10  # followers needed before the suspicious share is estimated

SPIKE_Z = 6.0  # robust z of a follower jump before it counts
SPIKE_MIN_JUMP = 0.08  # ... and add >= 8 % of followers beyond usual growth over SPIKE_STEPS snapshots
SPIKE_STEPS = 3
SPIKE_ENGAGEMENT_MATCH = 8.0  # a post near the jump with >= 8x the creator's median engagement
MAD_FLOOR = 0.0002  # relative growth per day (0.14 %/week): keeps very steady growth from huge z

ER_LOW_RESIDUAL = -0.45  # log10 ER residual: ER below 35 % of the expected ER for the followers
ER_HIGH_RESIDUAL = 0.45  # ER above 2.8x expected ...
GENERIC_HIGH = 0.6  # ... with this share of generic comments or more: bought engagement
GENERIC_BASELINE = 0.45  # generic-comment share up to which an audience is ordinary
CLR_BAND = (0.002, 0.25)  # comment/like ratio outside this band is odd
MASS_BASELINE = 0.15  # share of mass followers an ordinary audience has


class Source(Protocol):
    settings: Settings

    def table(self, name: str, workspace: str | None = None) -> ir.Table: ...


@dataclass(frozen=True)
class Check:
    """One creator-level signal: ``compute(src, profile)`` → one row per creator.

    ``columns`` are the evidence columns it adds to ``creator_profiles`` (besides the severity).
    """

    name: str
    title: str
    columns: tuple[str, ...]
    compute: Callable[[Source, ir.Table], ir.Table]


CHECKS: dict[str, Check] = {}


def register(name: str, title: str, columns: tuple[str, ...]) -> Callable[..., Any]:
    def deco(fn: Callable[[Source, ir.Table], ir.Table]) -> Callable[[Source, ir.Table], ir.Table]:
        CHECKS[name] = Check(name, title, columns, fn)
        return fn

    return deco


def _clip01(x: ir.FloatingValue) -> ir.FloatingValue:
    """x clipped to [0, 1], NULL stays NULL (greatest/least skip NULLs on DuckDB and Spark)."""
    return x.isnull().ifelse(ibis.null(float), ibis.greatest(ibis.least(x, 1.0), 0.0))


def _followers_sample(src: Source) -> ir.Table:
    edges = src.table("audience_edges")
    edges = edges.filter(edges.relation == "follower")
    scores = src.table("audience_scores")
    return edges.join(scores, ["platform", "account_id"]).select(
        "platform", "creator_id", "account_id", "p_fake", "mass_follower"
    )


@register(
    "suspicious_followers",
    "Suspicious followers",
    ("follower_sample", "suspicious_share", "suspicious_low", "suspicious_high"),
)
def suspicious_followers(src: Source, profile: ir.Table) -> ir.Table:
    """Expected share of fake accounts among the sampled followers, with a 90 % interval.

    The share is the mean calibrated probability; its variance is the sampling variance of a
    proportion over ``n`` followers plus the classifier's calibration error (CALIBRATION_SD²).
    Severity uses the lower end of the interval, so a small sample alone never condemns a creator.
    """
    f = _followers_sample(src)
    g = f.group_by(KEYS).aggregate(follower_sample=f.count(), suspicious_share=f.p_fake.mean())
    p = g.suspicious_share
    n = g.follower_sample.cast("float64")
    half = ((p * (1 - p)) / n + CALIBRATION_SD**2).sqrt() * Z90
    ok = g.follower_sample >= MIN_SAMPLE
    low = ok.ifelse(ibis.greatest(p - half, 0.0), ibis.null(float))
    return g.mutate(
        suspicious_share=ok.ifelse(p, ibis.null(float)),
        suspicious_low=low,
        suspicious_high=ok.ifelse(ibis.least(p + half, 1.0), ibis.null(float)),
        suspicious_followers_severity=_clip01((low - BASELINE_FAKE) / FAKE_SPAN),
    )


@register("mass_followers", "Mass-follower accounts", ("mass_follower_share",))
def mass_followers(src: Source, profile: ir.Table) -> ir.Table:
    """Share of sampled followers that follow very many accounts (follow-for-follow, bots)."""
    f = _followers_sample(src)
    g = f.group_by(KEYS).aggregate(
        _n=f.count(), mass_follower_share=f.mass_follower.fill_null(False).cast("float64").mean()
    )
    share = (g._n >= MIN_SAMPLE).ifelse(g.mass_follower_share, ibis.null(float))
    return g.select(
        *KEYS,
        mass_follower_share=share,
        mass_followers_severity=_clip01((share - MASS_BASELINE) / 0.35),
    )


@register(
    "growth_spike",
    "Follower spike",
    ("spike_z", "spike_at", "spike_followers", "spike_engagement_ratio"),
)
def growth_spike(src: Source, profile: ir.Table) -> ir.Table:
    """The largest follower jump between snapshots, as a robust z-score of relative daily growth.

    z = (rate - median rate) / (1.4826 · MAD) per creator over its snapshots; the jump's size is the
    growth over the SPIKE_STEPS snapshots ending at the most anomalous step beyond the creator's
    usual growth (bought followers often arrive over two or three weeks). A jump counts less when
    it is explained: a post near it with SPIKE_ENGAGEMENT_MATCH times the usual engagement (a viral
    hit), or a follower sample that looks clean (bought followers show up in the sample).
    """
    s = src.table("creator_snapshots")
    s = s.filter(s.followers.notnull())
    w = ibis.window(group_by=[s.platform, s.creator_id], order_by=s.observed_at)
    t = s.observed_at.epoch_seconds().cast("float64")
    s = s.mutate(
        _t=t,
        _prev_f=s.followers.lag().over(w),
        _prev_t=t.lag().over(w),
        _base_f=s.followers.lag(SPIKE_STEPS).over(w),
        _base_t=t.lag(SPIKE_STEPS).over(w),
        _end_f=s.followers.lead(SPIKE_STEPS - 1).over(w),
        _end_t=t.lead(SPIKE_STEPS - 1).over(w),
        _end_at=s.observed_at.lead(SPIKE_STEPS - 1).over(w),
    )
    d = s.filter(s._prev_f.notnull() & (s._prev_f > 0) & (s._t > s._prev_t))
    d = d.mutate(
        _rate=(d.followers - d._prev_f).cast("float64") / d._prev_f.cast("float64") / ((d._t - d._prev_t) / 86400.0)
    )
    med = d.group_by(KEYS).aggregate(_med=d._rate.median(), _k=d.count())
    d = d.join(med, KEYS)
    d = d.mutate(_dev=(d._rate - d._med).abs())
    mad = d.group_by(KEYS).aggregate(_mad=d._dev.median())
    d = d.join(mad, KEYS)
    d = d.mutate(_z=(d._rate - d._med) / (1.4826 * ibis.greatest(d._mad, MAD_FLOOR)))
    d = d.filter(d._k >= 4)
    top = d.mutate(_rn=ibis.row_number().over(group_by=[d.platform, d.creator_id], order_by=d._z.desc()))
    top = top.filter(top._rn == 0)
    # the burst: SPIKE_STEPS snapshots ending at the step, or starting with it, whichever grew more
    start_f = top._base_f.fill_null(top._prev_f)
    start_t = top._base_t.fill_null(top._prev_t)
    end_f = top._end_f.fill_null(top.followers)
    end_t = top._end_t.fill_null(top._t)
    before = (top.followers - start_f).cast("float64") / start_f.cast("float64") - top._med * (
        top._t - start_t
    ) / 86400.0
    after = (end_f - top._prev_f).cast("float64") / top._prev_f.cast("float64") - top._med * (
        end_t - top._prev_t
    ) / 86400.0
    use_after = after > before
    top = top.select(
        *KEYS,
        spike_z=top._z,
        spike_at=use_after.ifelse(top._end_at.fill_null(top.observed_at), top.observed_at),
        spike_followers=use_after.ifelse(end_f - top._prev_f, top.followers - start_f),
        _excess=ibis.greatest(before, after),
        _from=use_after.ifelse(top._prev_t, start_t) - 7 * 86400.0,
        _to=use_after.ifelse(end_t, top._t) + 7 * 86400.0,
    )
    posts = src.table("posts")
    eng = (posts.likes.fill_null(0) + posts.comments.fill_null(0)).cast("float64")
    pe = posts.select(*KEYS, _pt=posts.published_at.epoch_seconds().cast("float64"), _eng=eng)
    typical = pe.group_by(KEYS).aggregate(_typ=pe._eng.median())
    near = top.join(pe, [top.platform == pe.platform, top.creator_id == pe.creator_id])
    near = near.filter((near._pt >= near._from) & (near._pt <= near._to))
    near = near.group_by([near.platform, near.creator_id]).aggregate(_peak=near._eng.max())
    f = _followers_sample(src)
    sample = f.group_by(KEYS).aggregate(_n=f.count(), _share=f.p_fake.mean())
    top = attach(attach(attach(top, near, KEYS), typical, KEYS), sample, KEYS)
    ratio = (top._typ > 0).ifelse(top._peak / top._typ, ibis.null(float))
    big = (top.spike_z >= SPIKE_Z) & (top._excess >= SPIKE_MIN_JUMP)
    base = big.ifelse(_clip01((top._excess - SPIKE_MIN_JUMP) / 0.10 + 0.5), 0.0)
    viral = ratio.fill_null(0.0) >= SPIKE_ENGAGEMENT_MATCH
    clean = _clip01((top._share - (BASELINE_FAKE - 0.02)) / 0.10)
    corroboration = (top._n >= MIN_SAMPLE).ifelse(0.3 + 0.7 * clean, 1.0).fill_null(1.0)
    return top.select(
        *KEYS,
        "spike_z",
        "spike_at",
        "spike_followers",
        spike_engagement_ratio=ratio,
        growth_spike_severity=viral.ifelse(0.2, 1.0) * corroboration * base,
    )


@register("er_low", "Engagement far below expected", ())
def er_low(src: Source, profile: ir.Table) -> ir.Table:
    """ER far below what the follower count predicts: a sign of inflated followers."""
    r = profile.er_residual
    return profile.select(*KEYS, er_low_severity=_clip01((ER_LOW_RESIDUAL - r) / 0.5).fill_null(0.0))


def generic_pattern(rows: list[dict[str, Any]]) -> str:
    """A regex matching a whole normalised comment that is a generic phrase of any language."""
    phrases = sorted({_normalise_phrase(str(r["phrase"])) for r in rows} - {""}, key=len, reverse=True)
    return "^(" + "|".join(re.escape(p) for p in phrases) + ")$"


def _normalise_phrase(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def normalised_text(col: ir.StringValue) -> ir.StringValue:
    """Lower case, punctuation and emoji as spaces, spaces collapsed (same on DuckDB and Spark)."""
    return col.lower().re_replace(r"[^\w\s]", " ").re_replace(r"\s+", " ").strip()


@register("generic_comments", "Generic comments", ("generic_comment_share", "comment_sample"))
def generic_comments(src: Source, profile: ir.Table) -> ir.Table:
    """Share of sampled comments (creator's own replies excluded) that are emoji-only or generic."""
    c = src.table("comments")
    c = c.filter(~c.is_creator_reply.fill_null(False) & c.text.notnull())
    posts = src.table("posts").select("platform", "post_id", "creator_id")
    c = c.join(posts, ["platform", "post_id"])
    pattern = generic_pattern(load_table("generic_comments", reference_dir=src.settings.reference_dir).rows)
    norm = normalised_text(c.text)
    generic = (norm == "") | norm.re_search(pattern)
    c = c.mutate(_g=generic.cast("float64"))
    g = c.group_by(KEYS).aggregate(comment_sample=c.count(), generic_comment_share=c._g.mean())
    enough = g.comment_sample >= 10
    share = enough.ifelse(g.generic_comment_share, ibis.null(float))
    return g.select(
        *KEYS,
        "comment_sample",
        generic_comment_share=share,
        generic_comments_severity=_clip01((share - GENERIC_BASELINE) / 0.4).fill_null(0.0),
    )


@register("bought_engagement", "Engagement far above expected with generic comments", ())
def bought_engagement(src: Source, profile: ir.Table) -> ir.Table:
    """ER far above expected while the comments are mostly generic: bought likes and comments."""
    g = generic_comments(src, profile)
    j = profile.select(*KEYS, "er_residual").left_join(g, KEYS)
    high = _clip01((j.er_residual - ER_HIGH_RESIDUAL) / 0.5).fill_null(0.0)
    low_quality = _clip01((j.generic_comment_share - GENERIC_HIGH) / 0.3).fill_null(0.0)
    return j.select(*KEYS, bought_engagement_severity=high * low_quality)


@register("comment_like_ratio", "Comment/like ratio out of band", ())
def comment_like_ratio(src: Source, profile: ir.Table) -> ir.Table:
    """Comments per like outside the usual band (many likes and no talk, or only talk)."""
    r = profile.comment_like_ratio
    lo, hi = CLR_BAND
    below = (r < lo).ifelse(_clip01((r.log10() * -1 + math.log10(lo)) / 1.0), 0.0)
    above = (r > hi).ifelse(_clip01((r.log10() - math.log10(hi)) / 1.0), 0.0)
    sev = ((r > 0) & r.notnull()).ifelse(below + above, 0.0)
    return profile.select(*KEYS, comment_like_ratio_severity=sev)


@register("pod", "Engagement pod", ("pod_id", "pod_size", "pod_overlap"))
def pod(src: Source, profile: ir.Table) -> ir.Table:
    """Member of a group of creators whose commenters overlap heavily (creator_pods)."""
    pods = src.table("creator_pods").select(*KEYS, "pod_id", "pod_size", "pod_overlap")
    p = attach(profile.select(*KEYS), pods, KEYS)
    sev = _clip01((p.pod_overlap - 0.15) / 0.25) * _clip01((p.pod_size - 1).cast("float64") / 3.0)
    return p.select(*KEYS, "pod_id", "pod_size", "pod_overlap", pod_severity=sev.fill_null(0.0))
