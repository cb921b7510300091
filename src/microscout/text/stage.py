"""The text stage of ``microscout profile``: per-post and per-comment signals, then per creator.

1. **Posts** not yet in ``post_signals`` (or computed by an older ``SIGNALS_VERSION``): language
   of the caption and brand-safety flags with the matched terms.
2. **Comments** not yet in ``comment_signals``: language, and sentiment for each creator's
   SENTIMENT_PER_CREATOR most recent new comments.
3. **Creators** with new posts: niche scores over their MAX_NICHE_POSTS most recent captions and
   hashtags (keyword evidence and the multilingual embedder).
4. **Every creator** (Ibis, on the engine): content and audience language mix, unsafe-post share and
   categories, and market inference (:mod:`microscout.markets`), written into ``creator_profiles``.

Work is cut into buckets of creators (a hash of the creator id) so that each bucket's posts fit in
memory (about POSTS_PER_BUCKET posts); each bucket is read whole, processed in Python, and written
before the next is read — on DuckDB and on Spark alike — so memory stays bounded at any scale.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from microscout.authenticity.scoring import write_rows
from microscout.markets import KEYS, audience_languages, content_languages, market_expr, market_shares
from microscout.metrics.joins import attach

SIGNALS_VERSION = "text-1"
# Sentiment (a stacked model over multilingual embeddings, ~150 texts/s per core) is computed for
# each creator's most recent comments in a run; language for every comment.
SENTIMENT_PER_CREATOR = 10
POSTS_PER_BUCKET = 200_000
MAX_NICHE_POSTS = 12

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TextRun:
    posts: int
    comments: int
    creators_classified: int
    creators: int


def _bucket(col: ir.StringValue, k: int, n: int) -> ir.BooleanValue:
    return (col.hash().abs() % n) == k


def _when(now: dt.datetime) -> dt.datetime:
    return (now.astimezone(dt.UTC) if now.tzinfo else now).replace(tzinfo=None, microsecond=0)


def run_text(src: Any, *, now: dt.datetime | None = None, progress: Progress | None = None) -> TextRun:
    from microscout.store import utcnow

    when = _when(now or utcnow())
    posts = src.table("posts")
    done_posts = src.table("post_signals")
    done_posts = done_posts.filter(done_posts.signals_version == SIGNALS_VERSION).select("platform", "post_id")
    todo_posts = posts.anti_join(done_posts, ["platform", "post_id"])
    comments = src.table("comments").filter(lambda c: c.text.notnull())
    done_comments = src.table("comment_signals")
    done_comments = done_comments.filter(done_comments.signals_version == SIGNALS_VERSION).select(
        "platform", "comment_id"
    )
    todo_comments = comments.anti_join(done_comments, ["platform", "comment_id"])
    n_posts = int(todo_posts.count().execute())
    n_comments = int(todo_comments.count().execute())
    buckets = max(1, math.ceil((n_posts + n_comments) / POSTS_PER_BUCKET))
    changed = todo_posts.select(*KEYS).distinct()
    classified = 0
    for k in range(buckets):
        if progress:
            progress("text: posts and comments", k, buckets)
        # first the niches of the creators with new posts in this bucket (read before this bucket's
        # signals are written, which would empty the 'new posts' set), from their most recent posts
        mine = changed.filter(_bucket(changed.creator_id, k, buckets))
        recent = posts.semi_join(mine, KEYS)
        recent = recent.mutate(
            _rn=ibis.row_number().over(
                group_by=[recent.platform, recent.creator_id], order_by=recent.published_at.desc()
            )
        )
        recent = recent.filter(recent._rn < MAX_NICHE_POSTS)
        sample = recent.select(*KEYS, "caption", "hashtags", "published_at").to_pyarrow()
        if sample.num_rows:
            niches = creator_niches(sample, src.settings)
            classified += niches.num_rows
            write_rows(src, "creator_profiles", niches)
            write_rows(src, "creator_niche_scores", niche_rows(niches))
        chunk = todo_posts.filter(_bucket(todo_posts.creator_id, k, buckets))
        rows = chunk.select("platform", "post_id", "caption", "hashtags").to_pyarrow()
        if rows.num_rows:
            write_rows(src, "post_signals", post_signals(rows, src.settings, when))
        owners = src.table("posts").select("platform", "post_id", "creator_id")
        cj = todo_comments.join(owners, ["platform", "post_id"])
        cb = cj.filter(_bucket(cj.creator_id, k, buckets))
        cb = cb.mutate(
            _rn=ibis.row_number().over(group_by=[cb.platform, cb.creator_id], order_by=cb.published_at.desc())
        )
        crow = cb.select("platform", "comment_id", "text", with_sentiment=cb._rn < SENTIMENT_PER_CREATOR).to_pyarrow()
        if crow.num_rows:
            write_rows(src, "comment_signals", comment_signals(crow, src.settings, when))
    if progress:
        progress("text: posts and comments", buckets, buckets)
    src.replace_table("creator_markets", market_shares(src))
    summary = creator_text_expr(src).mutate(text_version=ibis.literal(SIGNALS_VERSION))
    existing = src.table("creator_profiles").select(*KEYS)
    written = src.upsert_expr("creator_profiles", summary.semi_join(existing, KEYS))
    return TextRun(posts=n_posts, comments=n_comments, creators_classified=classified, creators=written)


def post_signals(rows: pa.Table, settings: Any, when: dt.datetime) -> pa.Table:
    """Language and brand safety of each post's caption (hashtags count for safety)."""
    from microscout.text.language import settings_identifier
    from microscout.text.safety import scan

    captions = rows.column("caption").to_pylist()
    found = settings_identifier(settings).detect(captions)
    texts = [
        " ".join([c or "", *(f"#{h.lstrip('#')}" for h in (tags or []))])
        for c, tags in zip(captions, rows.column("hashtags").to_pylist(), strict=True)
    ]
    results = scan(texts, languages=found.codes, reference_dir=settings.reference_dir)
    flags = [list(r.flags) for r in results]
    terms = [[f"{m.category}:{m.term}" for m in r.matches] for r in results]
    n = rows.num_rows
    return pa.table(
        {
            "platform": rows.column("platform"),
            "post_id": rows.column("post_id"),
            "language": pa.array(found.codes, pa.string()),
            "language_confidence": pa.array(found.confidence.astype(float), pa.float64()),
            "safety_flags": pa.array(flags, pa.list_(pa.string())),
            "safety_terms": pa.array(terms, pa.list_(pa.string())),
            "signals_version": pa.array([SIGNALS_VERSION] * n, pa.string()),
            "computed_at": pa.array([when] * n, pa.timestamp("us")),
        }
    )


def comment_signals(rows: pa.Table, settings: Any, when: dt.datetime) -> pa.Table:
    """Language and sentiment of each comment."""
    from microscout.text.language import settings_identifier
    from microscout.text.sentiment import load_default

    texts = rows.column("text").to_pylist()
    found = settings_identifier(settings).detect(texts)
    n = rows.num_rows
    chosen = (
        [i for i, v in enumerate(rows.column("with_sentiment").to_pylist()) if v]
        if "with_sentiment" in rows.column_names
        else list(range(n))
    )
    sentiment: list[float | None] = [None] * n
    label: list[str | None] = [None] * n
    if chosen:
        proba = load_default().predict_proba([texts[i] for i in chosen])
        names = ["negative", "neutral", "positive"]
        for j, i in enumerate(chosen):
            sentiment[i] = float(proba[j, 2] - proba[j, 0])
            label[i] = names[int(proba[j].argmax())]
    return pa.table(
        {
            "platform": rows.column("platform"),
            "comment_id": rows.column("comment_id"),
            "language": pa.array(found.codes, pa.string()),
            "language_confidence": pa.array(found.confidence.astype(float), pa.float64()),
            "sentiment": pa.array(sentiment, pa.float64()),
            "sentiment_label": pa.array(label, pa.string()),
            "signals_version": pa.array([SIGNALS_VERSION] * n, pa.string()),
            "computed_at": pa.array([when] * n, pa.timestamp("us")),
        }
    )


def creator_niches(sample: pa.Table, settings: Any) -> pa.Table:
    """niches and niche_scores per creator (creator_profiles columns)."""
    from microscout.text.niche import creator_niches as classify

    out = classify(sample, "use", max_posts=MAX_NICHE_POSTS, reference_dir=settings.reference_dir)
    return out.select(["platform", "creator_id", "niches", "niche_scores"])


def niche_rows(niches: pa.Table) -> pa.Table:
    """The long ``creator_niche_scores`` rows of :func:`creator_niches`' output."""
    import json

    out: dict[str, list[Any]] = {"platform": [], "creator_id": [], "niche": [], "score": []}
    for p, c, raw in zip(
        niches.column("platform").to_pylist(),
        niches.column("creator_id").to_pylist(),
        niches.column("niche_scores").to_pylist(),
        strict=True,
    ):
        for niche, score in json.loads(raw).items():
            out["platform"].append(p)
            out["creator_id"].append(c)
            out["niche"].append(niche)
            out["score"].append(float(score))
    return pa.table(out, schema=pa.schema([("platform", pa.string()), ("creator_id", pa.string()),
                                           ("niche", pa.string()), ("score", pa.float64())]))  # fmt: skip


def _lang_json(t: ir.Table) -> ir.Table:
    ranked = t.mutate(
        _rn=ibis.row_number().over(group_by=[t.platform, t.creator_id], order_by=[t.share.desc(), t.language])
    )
    ranked = ranked.filter(ranked._rn < 5)
    item = ibis.literal('"').concat(ranked.language, '": ', ranked.share.round(3).cast("string"))
    g = ranked.group_by(KEYS).aggregate(
        _items=item.collect(order_by=ranked._rn), _top=ranked.language.first(order_by=ranked._rn)
    )
    return g.select(*KEYS, _json=ibis.literal("{").concat(g._items.join(", "), "}"), _top=g._top)


def creator_text_expr(src: Any) -> ir.Table:
    """Per creator: language mixes, unsafe posts and categories, and the market inference."""
    creators = src.table("creators").select(*KEYS)
    content = _lang_json(content_languages(src))
    audience = _lang_json(audience_languages(src))
    sig = src.table("post_signals").select("platform", "post_id", "safety_flags")
    posts = src.table("posts").select("platform", "post_id", "creator_id")
    ps = sig.join(posts, ["platform", "post_id"])
    unsafe = ps.safety_flags.length().fill_null(0) > 0
    ps = ps.mutate(_unsafe=unsafe.cast("int64"))
    safety = ps.group_by(KEYS).aggregate(
        unsafe_posts=ps._unsafe.sum(), unsafe_post_share=ps._unsafe.cast("float64").mean()
    )
    cats = ps.filter(unsafe).select(*KEYS, cat=ps.filter(unsafe).safety_flags.unnest())
    cats = cats.group_by(KEYS).aggregate(safety_categories=cats.cat.collect(distinct=True))
    cats = cats.mutate(safety_categories=cats.safety_categories.sort())  # a stable order: re-runs change nothing
    out = attach(creators, content.rename(content_languages="_json", content_language="_top"), KEYS)
    out = attach(out, audience.select(*KEYS, audience_languages="_json"), KEYS)
    out = attach(out, safety, KEYS)
    out = attach(out, cats, KEYS)
    markets = market_expr(src, src.table("creator_markets"))
    return attach(out, markets, KEYS)
