"""Market inference: where a creator is based, where its audience is, and off-market audiences.

One Ibis expression (DuckDB or Spark) over the store; docs/markets.md has the method. For every
creator and every market of the reference table (``markets.csv``) five pieces of evidence are
scored in [0, 1]:

* ``declared`` — the creator's declared country is this market;
* ``language`` — share of its captions (text stage, ``post_signals``) in a language of the
  market, split evenly between the markets that share the language;
* ``location`` — share of its posts tagged with a location in the market;
* ``audience`` — share of its sampled audience (followers and commenters with a known country),
  each account weighted by 1 − p(fake) so bought followers from bot farms do not vote, or the
  creator-authorised audience insights of the profiling workspace when present;
* ``hours`` — how well its posting hours fit the market's UTC offset: posts cluster in the
  local afternoon and evening (a circular normal around 17:00, sd 4 h); the mean log-likelihood of
  the creator's UTC posting hours shifted by the offset, relative to the best market, exponentiated.

    score(c) = Σ_e W_e · evidence_e(c),   share(c) = score(c) / Σ_c' score(c')

The home market is the market with the highest share; its share is the confidence. The audience
markets are the audience evidence itself; ``off_market`` is set when at least MIN_AUDIENCE
accounts have a known country and less than OFF_MARKET_SHARE of them are in the home market.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from microscout.metrics.joins import attach
from microscout.reference import load_table

KEYS = ["platform", "creator_id"]
WEIGHTS = {"declared": 2.0, "language": 1.5, "location": 1.0, "audience": 1.5, "hours": 1.0}
PEAK_HOUR = 17.0
HOUR_SD = 4.0
HOUR_FLOOR = 0.02
MIN_AUDIENCE = 20
OFF_MARKET_SHARE = 0.43
TOP_MARKETS = 5


# each creator's most likely home market (one row per creator), for plain-SQL readers of the store
HOME_MARKET_SQL = (
    "SELECT platform, creator_id, arg_max(country, share) AS home FROM creator_markets WHERE kind = 'home' GROUP BY ALL"
)


def market_languages(reference_dir: Any = None) -> dict[str, list[str]]:
    """Each reference market's languages, main language first (``markets`` reference table)."""
    return {
        r["country"]: str(r["languages"]).split("|") for r in load_table("markets", reference_dir=reference_dir).rows
    }


def _markets(reference_dir: Any) -> tuple[pa.Table, pa.Table]:
    rows = load_table("markets", reference_dir=reference_dir).rows
    speakers: dict[str, int] = {}
    for r in rows:
        for lang in str(r["languages"]).split("|"):
            speakers[lang] = speakers.get(lang, 0) + 1
    markets = pa.table(
        {
            "country": [str(r["country"]) for r in rows],
            "utc_offset": [float(r["utc_offset"]) for r in rows],
        }
    )
    langs: dict[str, list[Any]] = {"country": [], "language": [], "split": []}
    for r in rows:
        for lang in str(r["languages"]).split("|"):
            langs["country"].append(str(r["country"]))
            langs["language"].append(lang)
            langs["split"].append(1.0 / speakers[lang])
    return markets, pa.table(langs)


def _hour_curve() -> pa.Table:
    """log p(local hour) of the posting-time curve, per whole hour."""
    dens = []
    for h in range(24):
        d = min(abs(h + 0.5 - PEAK_HOUR), 24 - abs(h + 0.5 - PEAK_HOUR))
        dens.append(math.exp(-(d**2) / (2 * HOUR_SD**2)) + HOUR_FLOOR)
    total = sum(dens)
    return pa.table({"local_hour": list(range(24)), "log_p": [math.log(x / total) for x in dens]})


def _share(t: ir.Table, by: str, weight: ir.NumericValue | None = None) -> ir.Table:
    """Per creator and ``by``: the share of rows (or of ``weight``) — columns KEYS, by, share."""
    w = t.mutate(_w=weight if weight is not None else ibis.literal(1.0))
    g = w.group_by([*KEYS, by]).aggregate(_n=w._w.sum())
    tot = g.group_by(KEYS).aggregate(_tot=g._n.sum())
    g = g.join(tot, KEYS)
    return g.select(*KEYS, by, share=(g._tot > 0).ifelse(g._n / g._tot, 0.0), _tot=g._tot)


def content_languages(src: Any) -> ir.Table:
    """KEYS, language, share: languages of the creator's captions (text stage), ``und`` left out."""
    sig = src.table("post_signals").select("platform", "post_id", "language")
    sig = sig.filter(sig.language.notnull() & (sig.language != "und"))
    posts = src.table("posts").select("platform", "post_id", "creator_id")
    return _share(sig.join(posts, ["platform", "post_id"]), "language").select(*KEYS, "language", "share")


def audience_languages(src: Any) -> ir.Table:
    """KEYS, language, share: languages of other people's comments on the creator's posts."""
    sig = src.table("comment_signals").select("platform", "comment_id", "language")
    sig = sig.filter(sig.language.notnull() & (sig.language != "und"))
    c = src.table("comments")
    c = c.filter(~c.is_creator_reply.fill_null(False)).select("platform", "comment_id", "post_id")
    posts = src.table("posts").select("platform", "post_id", "creator_id")
    j = sig.join(c, ["platform", "comment_id"]).join(posts, ["platform", "post_id"])
    return _share(j, "language").select(*KEYS, "language", "share")


def audience_countries(src: Any) -> ir.Table:
    """KEYS, country, share, accounts: the sampled audience's countries, fakes down-weighted."""
    edges = src.table("audience_edges").select(*KEYS, "account_id").distinct()
    acc = src.table("audience_accounts").select("platform", "account_id", "country")
    acc = acc.filter(acc.country.notnull())
    scores = src.table("audience_scores").select("platform", "account_id", "p_fake")
    a = attach(acc, scores, ["platform", "account_id"])
    j = edges.join(a, ["platform", "account_id"])
    weight = (1.0 - j.p_fake.fill_null(0.0)).cast("float64")
    s = _share(j, "country", weight)
    counts = j.group_by(KEYS).aggregate(accounts=j.count())
    return s.join(counts, KEYS).select(*KEYS, "country", "share", "accounts")


def insights_countries(src: Any) -> ir.Table:
    """Creator-authorised audience country shares of the profiling workspace (latest observation)."""
    t = src.table("audience_insights", workspace=src.settings.workspace)
    t = t.filter((t.dimension == "country") & t.share.notnull())
    latest = t.group_by(KEYS).aggregate(_at=t.observed_at.max())
    t = t.join(latest, KEYS)
    t = t.filter(t.observed_at == t._at)
    return _share(t, "value", t.share).select(*KEYS, country="value", share="share")


def market_shares(src: Any) -> ir.Table:
    """The long table of ``creator_markets``: KEYS, kind, country, share.

    kind ``home``: the market-inference share of every market with a score; kind ``audience``:
    where the audience is (weighted sample or insights); kind ``audience_n``: one row per creator
    whose ``share`` is the number of sampled accounts with a known country (country ``*``), or
    -1 when creator-authorised insights were used.
    """
    markets_pa, langs_pa = _markets(src.settings.reference_dir)
    markets = ibis.memtable(markets_pa)
    langs = ibis.memtable(langs_pa)
    creators = src.table("creators").select(*KEYS, "declared_country")
    cand = creators.cross_join(markets)

    # language of captions
    cl = content_languages(src)
    lj = cl.join(langs, "language")
    lang_ev = lj.group_by([*KEYS, "country"]).aggregate(e_language=(lj.share * lj.split).sum())

    # location tags
    posts = src.table("posts")
    located = posts.filter(posts.location_country.notnull())
    loc = _share(located, "location_country").select(*KEYS, country="location_country", e_location="share")

    # audience: insights when the workspace has them, else the weighted sample
    sample = audience_countries(src)
    ins = insights_countries(src)
    has_ins = ins.select(*KEYS).distinct()
    aud = sample.anti_join(has_ins, KEYS).select(*KEYS, "country", "share").union(ins.select(*KEYS, "country", "share"))
    aud_ev = aud.select(*KEYS, "country", e_audience="share")

    # posting hours
    hours = posts.filter(posts.published_at.notnull()).select(
        *KEYS, hour=posts.published_at.hour().cast("float64") + posts.published_at.minute().cast("float64") / 60
    )
    hj = hours.cross_join(markets)
    local = ((hj.hour + hj.utc_offset + 48.0) % 24.0).floor().cast("int64")
    hj = hj.mutate(local_hour=local)
    hj = hj.join(ibis.memtable(_hour_curve()), "local_hour")
    ll = hj.group_by([*KEYS, "country"]).aggregate(_ll=hj.log_p.mean(), _n=hj.count())
    best = ll.group_by(KEYS).aggregate(_best=ll._ll.max())
    ll = ll.join(best, KEYS)
    # tempered: a few posts say little (their log-likelihood gap is scaled down)
    temper = ibis.least(ll._n.cast("float64"), 30.0) / 30.0
    hour_ev = ll.select(*KEYS, "country", e_hours=((ll._ll - ll._best) * temper * 10.0).exp())

    ev = cand
    for part in (lang_ev, loc, aud_ev, hour_ev):
        ev = attach(ev, part, [*KEYS, "country"])
    ev = ev.mutate(e_declared=(ev.declared_country == ev.country).ifelse(1.0, 0.0).fill_null(0.0))
    score = sum(
        (ev[f"e_{k}"].fill_null(0.0) * w for k, w in WEIGHTS.items()),
        start=ibis.literal(0.0),
    )
    ev = ev.mutate(_score=score)
    tot = ev.group_by(KEYS).aggregate(_tot=ev._score.sum())
    ev = ev.join(tot, KEYS)
    ev = ev.filter((ev._tot > 0) & (ev._score > 0))
    home = ev.select(*KEYS, kind=ibis.literal("home"), country="country", share=ev._score / ev._tot)
    audience = aud.select(*KEYS, kind=ibis.literal("audience"), country="country", share="share")
    size = sample.select(*KEYS, "accounts").distinct()
    size = size.anti_join(has_ins, KEYS).select(*KEYS, share=size.accounts.cast("float64"))
    size = size.union(has_ins.mutate(share=ibis.literal(-1.0)))
    size = size.select(*KEYS, kind=ibis.literal("audience_n"), country=ibis.literal("*"), share="share")
    return home.union(audience).union(size)


def market_expr(src: Any, shares: ir.Table | None = None) -> ir.Table:
    """One row per creator: home market, confidence, market scores, audience markets, off-market flag.

    ``shares`` is :func:`market_shares` (or the stored ``creator_markets`` table); computed when absent.
    """
    shares = market_shares(src) if shares is None else shares
    creators = src.table("creators").select(*KEYS)
    home = shares.filter(shares.kind == "home")
    ranked = home.mutate(
        _rn=ibis.row_number().over(
            group_by=[home.platform, home.creator_id], order_by=[home.share.desc(), home.country]
        )
    )
    top = ranked.filter(ranked._rn == 0).select(*KEYS, home_market="country", home_market_confidence="share")
    market_scores = _json_top(ranked, "country", "share", "_rn")
    aud = shares.filter(shares.kind == "audience")
    aud_ranked = aud.mutate(
        _rn=ibis.row_number().over(group_by=[aud.platform, aud.creator_id], order_by=[aud.share.desc(), aud.country])
    )
    audience_json = _json_top(aud_ranked, "country", "share", "_rn")
    size = shares.filter(shares.kind == "audience_n").select(*KEYS, _size="share")
    out = attach(creators, top, KEYS)
    out = attach(out, market_scores.rename(market_scores="_json"), KEYS)
    out = attach(out, audience_json.rename(audience_markets="_json"), KEYS)
    out = attach(out, size, KEYS)
    home_share = aud.select(*KEYS, home_market_a="country", _hs="share")
    j = out.left_join(
        home_share, [out.platform == home_share.platform, out.creator_id == home_share.creator_id,
                     out.home_market == home_share.home_market_a]
    )  # fmt: skip
    out = j.select(*[j[c] for c in out.columns], home_audience_share=j._hs)
    insights = out._size == -1.0
    enough = (out._size >= MIN_AUDIENCE) | insights
    return out.mutate(
        audience_sample=insights.ifelse(ibis.null("int64"), out._size.cast("int64")),
        home_audience_share=enough.ifelse(out.home_audience_share.fill_null(0.0), ibis.null(float)),
        off_market=(enough.fill_null(False) & out.home_market.notnull()).ifelse(
            out.home_audience_share.fill_null(0.0) < OFF_MARKET_SHARE, ibis.null(bool)
        ),
    ).drop("_size")


def _json_top(t: ir.Table, key: str, value: str, rank: str) -> ir.Table:
    """KEYS, _json: a JSON object of the TOP_MARKETS highest ``value`` per creator, rounded to 3 places."""
    t = t.filter(t[rank] < TOP_MARKETS)
    item = ibis.literal('"').concat(t[key], '": ', t[value].round(3).cast("string"))
    g = t.group_by(KEYS).aggregate(_items=item.collect(order_by=t[rank]))
    return g.select(*KEYS, _json=ibis.literal("{").concat(g._items.join(", "), "}"))
