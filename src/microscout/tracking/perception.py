"""Brand perception per market and language: sentiment, share of voice and themes.

* **Sentiment** — every comment on a deliverable or a UGC post, and every UGC caption, is scored
  once (``campaign_texts``: language, label, ``p(positive) − p(negative)``) with the bundled
  multilingual model (:mod:`microscout.text.sentiment`). Aggregates are shares of positive,
  neutral and negative texts and the **net sentiment** = share positive − share negative, per
  market × language and per market × day.
* **Share of voice** — per market, posts naming the brand (deliverables and UGC) against posts
  naming each competitor (any tracked post whose caption, hashtags or mentions name it), as a
  share of all of them.
* **Themes** — key phrases per market: words and two-word phrases of the market's campaign texts
  ranked by the weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi &
  Quinn 2008) against a background sample of the store's comments in the market's languages, keeping phrases seen in at
  least two texts with z > 1.96, each with example posts. CJK text (no spaces) is cut into
  character pairs. The campaign's own tracking terms are left out (they are trivially "key").
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from typing import Any

from microscout.config import Settings
from microscout.store import Store

__all__ = ["score_campaign_texts", "sentiment_rows", "share_of_voice", "themes", "tokens"]

BATCH = 2000
BACKGROUND = 5000
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_STOP_MIN_DF = 0.08  # a word in 8 % of same-language background texts is a function word


def score_campaign_texts(store: Store, workspace: str, campaign_id: str, *, settings: Settings | None = None) -> int:
    """Score comments on the campaign's posts and UGC captions not scored yet; how many were new."""
    from microscout.text.language import settings_identifier
    from microscout.text.sentiment import load_default

    cur = store.raw.execute(
        "SELECT cp.platform, 'comment' AS text_kind, c.comment_id AS text_id, cp.post_id, cp.role, cp.market, "
        "c.text, c.published_at FROM campaign_posts cp JOIN comments c ON c.platform = cp.platform "
        "AND c.post_id = cp.post_id WHERE cp.workspace_id = ? AND cp.campaign_id = ? "
        "AND cp.role IN ('deliverable', 'ugc') "
        "AND NOT coalesce(c.is_creator_reply, false) AND c.text IS NOT NULL "
        "UNION ALL SELECT cp.platform, 'ugc_caption', cp.post_id, cp.post_id, cp.role, cp.market, p.caption, "
        "p.published_at FROM campaign_posts cp JOIN posts p ON p.platform = cp.platform AND p.post_id = cp.post_id "
        "WHERE cp.workspace_id = ? AND cp.campaign_id = ? AND cp.role = 'ugc' AND p.caption IS NOT NULL",
        [workspace, campaign_id, workspace, campaign_id],
    )
    rows = cur.fetchall()
    done = {
        (p, k, t)
        for p, k, t in store.raw.execute(
            "SELECT platform, text_kind, text_id FROM campaign_texts WHERE workspace_id = ? AND campaign_id = ?",
            [workspace, campaign_id],
        ).fetchall()
    }
    todo = [r for r in rows if (r[0], r[1], r[2]) not in done]
    if not todo:
        return 0
    ident = settings_identifier(settings) if settings else settings_identifier(object())
    model = load_default()
    out = []
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        texts = [str(r[6]) for r in chunk]
        langs = ident.identify(texts)
        proba = model.predict_proba(texts)
        for r, (lang, _conf), pr in zip(chunk, langs, proba, strict=True):
            label = ("negative", "neutral", "positive")[int(pr.argmax())]
            out.append(
                {
                    "campaign_id": campaign_id, "platform": r[0], "text_kind": r[1], "text_id": r[2],
                    "post_id": r[3], "role": r[4], "market": r[5], "language": lang, "sentiment": label,
                    "sentiment_score": float(pr[2] - pr[0]), "published_at": r[7],
                }
            )  # fmt: skip
    store.insert_rows("campaign_texts", out, workspace=workspace)
    return len(out)


def _shares(counts: Counter[str]) -> dict[str, float]:
    n = sum(counts.values()) or 1
    pos, neu, neg = (counts.get(k, 0) / n for k in ("positive", "neutral", "negative"))
    return {"positive": round(pos, 4), "neutral": round(neu, 4), "negative": round(neg, 4), "net": round(pos - neg, 4)}


def sentiment_rows(store: Store, workspace: str, campaign_id: str) -> dict[str, list[dict[str, Any]]]:
    """Sentiment shares by market × language, by market × day, and per market."""
    rows = store.raw.execute(
        "SELECT coalesce(market, '?'), coalesce(language, 'und'), CAST(published_at AS DATE), sentiment "
        "FROM campaign_texts WHERE workspace_id = ? AND campaign_id = ?",
        [workspace, campaign_id],
    ).fetchall()
    by_lang: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_day: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_market: dict[str, Counter[str]] = defaultdict(Counter)
    for market, lang, day, label in rows:
        by_lang[(market, lang)][label] += 1
        by_day[(str(day), market)][label] += 1
        by_market[market][label] += 1
    return {
        "by_language": [
            {"market": m, "language": lg, "texts": sum(c.values()), **_shares(c)}
            for (m, lg), c in sorted(by_lang.items())
        ],
        "timeline": [{"date": d, "market": m, **_shares(c)} for (d, m), c in sorted(by_day.items())],
        "by_market": [{"market": m, "texts": sum(c.values()), **_shares(c)} for m, c in sorted(by_market.items())],
    }


def share_of_voice(store: Store, workspace: str, campaign_id: str, brand: str) -> list[dict[str, Any]]:
    """Per market: the brand's and each competitor's mentions and share."""
    rows = store.raw.execute(
        "SELECT coalesce(market, '?'), role, competitors FROM campaign_posts "
        "WHERE workspace_id = ? AND campaign_id = ? "
        "AND NOT coalesce(self_reported, false)",
        [workspace, campaign_id],
    ).fetchall()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for market, role, competitors in rows:
        if role in ("deliverable", "ugc"):
            counts[market][brand] += 1
        for name in competitors or []:
            counts[market][name] += 1
    out = []
    for market, c in sorted(counts.items()):
        total = sum(c.values())
        for name, n in c.most_common():
            out.append({"market": market, "brand": name, "mentions": n, "share": round(n / total, 4)})
    return out


def tokens(text: str) -> list[str]:
    """Words (2+ letters) and two-word phrases; CJK runs become character pairs."""
    words: list[str] = []
    for w in _WORD.findall(text.lower()):
        if _CJK.search(w):
            words += [w[i : i + 2] for i in range(max(len(w) - 1, 1))]
        else:
            words.append(w)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _background(store: Store, languages: list[str]) -> tuple[Counter[str], set[str]]:
    """Word counts of a sample of the store's comments in ``languages`` (all comments if none are
    labelled yet), and the words so common there that they are function words."""
    where = "s.language IN (SELECT unnest(?::VARCHAR[]))" if languages else "true"
    sql = (
        "SELECT text FROM (SELECT c.text FROM comments c JOIN comment_signals s USING (platform, comment_id) "
        f"WHERE c.text IS NOT NULL AND {where}) USING SAMPLE {BACKGROUND} ROWS"
    )
    texts = [r[0] for r in store.raw.execute(sql, [languages] if languages else []).fetchall()]
    if len(texts) < 200:
        texts = [
            r[0]
            for r in store.raw.execute(
                f"SELECT text FROM (SELECT text FROM comments WHERE text IS NOT NULL) USING SAMPLE {BACKGROUND} ROWS"
            ).fetchall()
        ]
    counts: Counter[str] = Counter()
    df: Counter[str] = Counter()
    for t in texts:
        toks = tokens(str(t))
        counts.update(toks)
        df.update(set(toks))
    stop = {w for w, n in df.items() if texts and n / len(texts) >= _STOP_MIN_DF}
    return counts, stop


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def themes(
    store: Store, workspace: str, campaign_id: str, *, exclude: set[str], per_market: int = 6
) -> list[dict[str, Any]]:
    """Key phrases per market with example posts (see the module doc)."""
    rows = store.raw.execute(
        "SELECT coalesce(t.market, '?'), t.post_id, coalesce(c.text, p.caption) FROM campaign_texts t "
        "LEFT JOIN comments c ON t.text_kind = 'comment' AND c.platform = t.platform AND c.comment_id = t.text_id "
        "LEFT JOIN posts p ON t.text_kind = 'ugc_caption' AND p.platform = t.platform AND p.post_id = t.text_id "
        "WHERE t.workspace_id = ? AND t.campaign_id = ?",
        [workspace, campaign_id],
    ).fetchall()
    if not rows:
        return []
    from microscout.markets import market_languages

    langs_of = market_languages()
    backgrounds: dict[tuple[str, ...], tuple[Counter[str], set[str]]] = {}
    exclude = {e.lower() for e in exclude}
    by_market: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for market, post_id, text in rows:
        if text:
            by_market[market].append((post_id, str(text)))
    out: list[dict[str, Any]] = []
    alpha0 = 500.0
    for market, docs in sorted(by_market.items()):
        key = tuple(langs_of.get(market, []))
        if key not in backgrounds:
            backgrounds[key] = _background(store, list(key))
        background, stop = backgrounds[key]
        bg_total = sum(background.values()) or 1
        doc_tokens = [set(tokens(text)) for _pid, text in docs]
        counts: Counter[str] = Counter()
        df: Counter[str] = Counter()
        for (_pid, text), toks in zip(docs, doc_tokens, strict=True):
            counts.update(tokens(text))
            df.update(toks)
        total = sum(counts.values()) or 1
        scored = []
        for w, n in counts.items():
            if df[w] < 2 or w in stop or any(part in exclude for part in w.split()):
                continue
            b = background.get(w, 0)
            prior = alpha0 * (b + 1) / (bg_total + len(background))
            delta = math.log((n + prior) / (total + alpha0 - n - prior)) - math.log(
                (b + prior) / (bg_total + alpha0 - b - prior)
            )
            z = delta / math.sqrt(1 / (n + prior) + 1 / (b + prior))
            if z > 1.96:
                scored.append((z, w))
        holders = {w: {i for i, toks in enumerate(doc_tokens) if w in toks} for _z, w in scored}
        chosen: list[str] = []
        for _z, w in sorted(scored, reverse=True):
            # a phrase found in (nearly) the same texts as a chosen one is the same theme
            if any(_jaccard(holders[w], holders[c]) >= 0.6 for c in chosen):
                continue
            chosen.append(w)
            if len(chosen) == per_market:
                break
        for w in chosen:
            examples: list[dict[str, str]] = []
            for i in sorted(holders[w]):
                pid, text = docs[i]
                if all(e["text"] != text[:280] for e in examples):
                    examples.append({"post_id": pid, "text": text[:280]})
                if len(examples) == 2:
                    break
            out.append({"market": market, "phrase": w, "count": df[w], "examples": examples})
    return out
