"""Multilingual 3-class sentiment (negative / neutral / positive) for comments and UGC, offline.

The bundled model (``models/sentiment.npz``) is a stacked ensemble trained on the UMSAB tweets
(8 languages, see ``docs/model-card-sentiment.md``):

1. every text is normalised (:func:`normalise`: ``@mentions`` → ``@user``, URLs → ``http``, HTML
   entities and literal ``\\u00e9``-style escapes decoded, letters repeated 4+ times cut to 3) and its
   emoji are turned into word tokens (``emo_red_heart``);
2. three base models score it: a linear SVM on character n-grams (``char_wb`` 2–5, TF-IDF), a
   linear SVM on word 1–2-grams (TF-IDF) and a logistic regression on the multilingual USE
   embedding (:mod:`microscout.text.embed`);
3. a logistic regression over the base models' scores plus emoji-polarity features
   (:mod:`microscout.text.emoji_polarity`) gives calibrated probabilities. It is trained on the base
   models' out-of-fold scores, so it learns how far to trust each one.

Hyperparameters are chosen by stratified K-fold cross-validation on train only (:func:`train`).
The model needs no language code: languages without labelled data are scored through the
multilingual features and are "transferred, unmeasured" (:data:`LANGUAGE_SUPPORT`).

A text made only of emoji gets the model's probabilities averaged with the emoji polarity table's
(the training tweets hold almost none). An empty (or whitespace-only) text is ``neutral`` with
probabilities exactly (0, 1, 0).
Texts longer than :data:`MAX_CHARS` characters are cut to their first :data:`MAX_CHARS`.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from microscout.errors import InvalidInputError, MissingDependencyError, NotFoundError
from microscout.text.embed import USE_LANGUAGES, get_embedder
from microscout.text.emoji_polarity import FEATURE_NAMES, demojize, emoji_features

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
MAX_CHARS = 1000
FORMAT_VERSION = 1
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment.npz"
TARGET_MACRO_F1 = 0.60
#: Weight of the emoji polarity table for texts that are nothing but emoji (see :func:`_emoji_prior`).
EMOJI_ONLY_WEIGHT = 0.5

#: UMSAB folder name → ISO 639-1 code.
UMSAB_LANGUAGES: dict[str, str] = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
MEASURED_LANGUAGES: tuple[str, ...] = tuple(sorted(UMSAB_LANGUAGES.values()))
#: Per language code: ``measured`` (labelled UMSAB data, figures in the model card) or
#: ``transferred, unmeasured`` (no labelled data: scored through the multilingual embedding and
#: shared character n-grams / emoji; accuracy unknown). Languages not listed are also scored,
#: through character n-grams and emoji only, with no claim at all.
LANGUAGE_SUPPORT: dict[str, str] = {
    **dict.fromkeys(sorted(USE_LANGUAGES - set(MEASURED_LANGUAGES)), "transferred, unmeasured"),
    "id": "transferred, unmeasured",
    **dict.fromkeys(MEASURED_LANGUAGES, "measured"),
}
TRANSFERRED_LANGUAGES: tuple[str, ...] = tuple(
    sorted(c for c, s in LANGUAGE_SUPPORT.items() if s == "transferred, unmeasured")
)

#: Hyperparameter grid searched by cross-validation on train (kept small on purpose).
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "char_C": (0.1, 0.3, 1.0),
    "word_C": (0.1, 0.3, 1.0),
    "use_C": (0.3, 1.0),
    "meta_C": (0.3, 1.0, 3.0),
}

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_URL = re.compile(r"(?:https?://|www\.)\S*|\bhttps?\b(?:/URL)?", re.IGNORECASE)
_MENTION = re.compile(r"@\w*")
_RETWEET = re.compile(r"^\s*RT\s+(?=@)")
_REPEAT = re.compile(r"(.)\1{3,}")
_SPACE = re.compile(r"\s+")
_WORD_TOKENS = r"(?u)[\w@#]+|[^\w\s]"


def normalise(text: str) -> str:
    """Tweet/comment normalisation shared by training and prediction."""
    text = (text or "")[:MAX_CHARS]
    if "\\u" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "&" in text:
        text = html.unescape(text)
    text = _RETWEET.sub("", text)
    text = _URL.sub(" http ", text)
    text = _MENTION.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACE.sub(" ", text).strip()


def _for_embedding(normalised: str) -> str:
    text = normalised.replace("@user", " ").replace("http", " ").replace("#", " ")
    return _SPACE.sub(" ", text).strip()


def macro_f1(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> float:
    """Macro-averaged F1 over the three classes."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=[0, 1, 2], average="macro", zero_division=0))


# ------------------------------------------------------------------------------------ the model
_VECTORISER_PARAMS: dict[str, dict[str, Any]] = {
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
    "word": {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True, "token_pattern": _WORD_TOKENS},
}
_WEIGHTS = ("char_W", "char_b", "word_W", "word_b", "use_W", "use_b", "meta_W", "meta_b")


def _vectoriser(kind: str, **extra: Any) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**_VECTORISER_PARAMS[kind], dtype=np.float32, **extra)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _emoji_prior(proba: np.ndarray, emoji_feats: np.ndarray) -> np.ndarray:
    """Average the model's probabilities with the polarity table's for texts that are only emoji.

    The training tweets hold almost no emoji-only texts (4 of 14,712 in UMSAB train), so the model
    alone has little to go on there; the table's distribution is (max(-m, 0), 1 - |m|, max(m, 0))
    for the mean polarity m of the text's emoji.
    """
    only = emoji_feats[:, FEATURE_NAMES.index("emoji_only")] > 0
    if not only.any():
        return proba
    mean = np.clip(emoji_feats[only, FEATURE_NAMES.index("emoji_mean")].astype(np.float64), -1.0, 1.0)
    table = np.stack([np.clip(-mean, 0, 1), 1.0 - np.abs(mean), np.clip(mean, 0, 1)], axis=1)
    proba = proba.copy()
    proba[only] = (1.0 - EMOJI_ONLY_WEIGHT) * proba[only] + EMOJI_ONLY_WEIGHT * table
    return proba


class SentimentModel:
    """The stacked model: ``predict``, ``predict_proba`` (columns :data:`LABELS`) and ``score``.

    Holds the two fitted TF-IDF vectorisers and, per linear model, a weight matrix ``W`` (3 × d)
    and intercept ``b`` (3,): the SVMs give ``x @ W.T + b``, the logistic regressions the softmax
    of it (multinomial).
    """

    labels = LABELS

    def __init__(self, vectorisers: dict[str, Any], weights: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        missing = [k for k in _WEIGHTS if k not in weights]
        if missing or set(vectorisers) != {"char", "word"}:
            raise InvalidInputError(f"incomplete sentiment model (missing {', '.join(missing) or 'vectorisers'})")
        self.vectorisers = vectorisers
        self.weights = {k: np.asarray(weights[k], dtype=np.float64) for k in _WEIGHTS}
        self.meta = meta
        self.embedder_name = str(meta.get("embedder", "use"))

    def _linear(self, name: str, x: Any) -> np.ndarray:
        return np.asarray(x @ self.weights[f"{name}_W"].T) + self.weights[f"{name}_b"]

    def _meta_features(self, normalised: list[str], embeddings: np.ndarray) -> np.ndarray:
        demojized = [demojize(t) for t in normalised]
        char = self._linear("char", self.vectorisers["char"].transform(demojized))
        word = self._linear("word", self.vectorisers["word"].transform(demojized))
        use = _softmax(self._linear("use", embeddings))
        return np.hstack([char, word, use, emoji_features(normalised)])

    def _embed(self, normalised: list[str]) -> np.ndarray:
        return get_embedder(self.embedder_name).embed([_for_embedding(t) for t in normalised])

    def predict_proba(self, texts: Sequence[str], batch_size: int = 2048) -> np.ndarray:
        """``(n, 3)`` probabilities, columns negative, neutral, positive; rows sum to 1."""
        if isinstance(texts, str):
            raise InvalidInputError("predict_proba() takes a sequence of texts, not one string")
        out = np.zeros((len(texts), 3), dtype=np.float64)
        out[:, 1] = 1.0
        normalised = [normalise(str(t)) if t is not None else "" for t in texts]
        keep = [i for i, t in enumerate(normalised) if t]
        for start in range(0, len(keep), batch_size):
            idx = keep[start : start + batch_size]
            chunk = [normalised[i] for i in idx]
            feats = self._meta_features(chunk, self._embed(chunk))
            out[idx] = _emoji_prior(_softmax(self._linear("meta", feats)), feats[:, -len(FEATURE_NAMES) :])
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        """One label of :data:`LABELS` per text."""
        return [LABELS[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Per text ``p(positive) - p(negative)``, in [-1, 1]."""
        proba = self.predict_proba(texts)
        return np.asarray(np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0))

    # -- persistence
    def save(self, path: str | Path) -> Path:
        """Write the model as a compressed ``.npz`` (no pickle; see :func:`load`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "meta_json": np.asarray(json.dumps({"format_version": FORMAT_VERSION, **self.meta}, sort_keys=True)),
        }
        for kind, vec in self.vectorisers.items():
            vocab = sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])
            arrays[f"{kind}_vocab"] = np.asarray([term for term, _ in vocab], dtype=str)
            arrays[f"{kind}_idf"] = np.asarray(vec.idf_, dtype=np.float32)
        for key in _WEIGHTS:
            arrays[key] = self.weights[key].astype(np.float32)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
        return path

    def __repr__(self) -> str:
        return f"<SentimentModel trained_on={self.meta.get('trained_on')!r}>"


def load(path: str | Path) -> SentimentModel:
    """Load a model written by :meth:`SentimentModel.save`.

    The file is a NumPy ``.npz`` read with ``allow_pickle=False``: ``meta_json`` (labels,
    hyperparameters, scores), per vectoriser ``<kind>_vocab`` (terms in column order) and
    ``<kind>_idf``, and per linear model ``<name>_W`` / ``<name>_b``.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"sentiment model not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta_json"]))
            if meta.pop("format_version", None) != FORMAT_VERSION:
                raise InvalidInputError(f"{path} is not a microscout sentiment model (format {FORMAT_VERSION})")
            vectorisers = {}
            for kind in ("char", "word"):
                vocab = [str(t) for t in z[f"{kind}_vocab"]]
                vec = _vectoriser(kind, vocabulary={t: i for i, t in enumerate(vocab)})
                vec.idf_ = np.asarray(z[f"{kind}_idf"], dtype=np.float32)
                vectorisers[kind] = vec
            weights = {k: z[k] for k in _WEIGHTS}
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"cannot read sentiment model {path}: {exc}") from exc
    return SentimentModel(vectorisers, weights, meta)


@lru_cache(maxsize=1)
def load_default() -> SentimentModel:
    """The bundled model, loaded once per process."""
    return load(DEFAULT_MODEL_PATH)


def load_model(path: str | Path | None = None) -> SentimentModel | TransformersSentiment:
    """The bundled model (``None``), a skops model file, or a local transformers model folder."""
    if path is None:
        return load_default()
    p = Path(path).expanduser()
    if p.is_dir():
        return TransformersSentiment(p)
    return load(p)


# ------------------------------------------------------------------------- optional transformers
class TransformersSentiment:
    """A local Hugging Face sequence-classification model folder with the same API.

    Loaded with ``local_files_only=True`` (never downloads). The model's labels are mapped onto
    :data:`LABELS` by name (``negative``/``neg``/…); unnamed 3-label models (``LABEL_0``…) are read
    in the UMSAB order negative, neutral, positive.
    """

    labels = LABELS

    def __init__(self, model_dir: str | Path, max_length: int = 256, batch_size: int = 32) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise MissingDependencyError(
                "the transformers sentiment backend needs the transformers extra: "
                "pip install 'microscout[transformers]'"
            ) from exc
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise NotFoundError(f"transformers model folder not found: {path} (it is never downloaded)")
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        self.model.eval()
        self.max_length = max_length
        self.batch_size = batch_size
        self._columns = _label_columns(dict(self.model.config.id2label))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise InvalidInputError("predict_proba() takes a sequence of texts, not one string")
        out = np.zeros((len(texts), 3), dtype=np.float64)
        out[:, 1] = 1.0
        normalised = [normalise(str(t)) if t is not None else "" for t in texts]
        keep = [i for i, t in enumerate(normalised) if t]
        torch = self._torch
        for start in range(0, len(keep), self.batch_size):
            idx = keep[start : start + self.batch_size]
            batch = self.tokenizer(
                [normalised[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.no_grad():
                probs = torch.softmax(self.model(**batch).logits, dim=-1).cpu().numpy()
            out[idx] = probs[:, self._columns]
            out[idx] /= out[idx].sum(axis=1, keepdims=True)
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.predict_proba(texts)
        return np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0)


def _label_columns(id2label: dict[Any, str]) -> list[int]:
    """Indices of the model's logits for negative, neutral, positive."""
    names = {int(k): str(v).strip().lower() for k, v in id2label.items()}
    columns: list[int] = []
    for wanted in LABELS:
        hits = [i for i, n in names.items() if n == wanted or n == wanted[:3] or n.startswith(wanted)]
        if len(hits) != 1:
            break
        columns.append(hits[0])
    if len(columns) == 3:
        return columns
    if len(names) == 3:
        return [0, 1, 2]
    raise InvalidInputError(f"cannot map the model's labels {sorted(names.values())} onto {', '.join(LABELS)}")


# ------------------------------------------------------------------------------------- training
@dataclass
class Split:
    """Texts, labels (0, 1, 2) and language of each row."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass
class TrainReport:
    """What :func:`train` measured."""

    params: dict[str, float]
    cv_folds: int
    cv_macro_f1: dict[str, float]
    val_macro_f1: dict[str, float]
    search: list[dict[str, Any]]
    n_train: int
    n_val: int
    seconds: float

    @staticmethod
    def average(scores: dict[str, float]) -> float | None:
        return float(np.mean(list(scores.values()))) if scores else None


def read_umsab(data_dir: str | Path, split: str) -> Split:
    """Read ``<language>/{split}_text.txt`` + ``{split}_labels.txt`` under ``data_dir``."""
    root = Path(data_dir)
    if not root.is_dir():
        raise NotFoundError(f"sentiment data folder not found: {root}")
    out = Split()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        text_file, label_file = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
        if not (text_file.is_file() and label_file.is_file()):
            continue
        texts = text_file.read_text(encoding="utf-8").split("\n")
        labels = label_file.read_text(encoding="utf-8").split()
        if texts and texts[-1] == "" and len(texts) == len(labels) + 1:
            texts = texts[:-1]
        if len(texts) != len(labels):
            raise InvalidInputError(f"{text_file}: {len(texts)} texts but {len(labels)} labels")
        bad = sorted({v for v in labels if v not in ("0", "1", "2")})
        if bad:
            raise InvalidInputError(f"{label_file}: labels must be 0, 1 or 2, found {', '.join(bad[:5])}")
        out.texts += texts
        out.labels += [int(v) for v in labels]
        out.languages += [UMSAB_LANGUAGES.get(folder.name, folder.name)] * len(texts)
    return out


def _per_language(y: np.ndarray, pred: np.ndarray, languages: np.ndarray) -> dict[str, float]:
    return {str(lang): macro_f1(y[languages == lang], pred[languages == lang]) for lang in sorted(set(languages))}


def train(
    data_dir: str | Path,
    *,
    cv: int = 5,
    seed: int = 0,
    grid: dict[str, tuple[float, ...]] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[SentimentModel, TrainReport]:
    """Train the stacked model on ``data_dir/*/train_*``; choose hyperparameters by ``cv``-fold CV.

    Deterministic for a given ``seed``. Reports per-language macro-F1 of the stacked model from
    cross-validation on train (the meta-model scored on out-of-fold base scores) and, where
    ``val_*`` files exist, on val.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    report_progress = progress or (lambda _label, _done, _total: None)
    grid = {**DEFAULT_GRID, **(grid or {})}
    data = read_umsab(data_dir, "train")
    if not data.texts:
        raise NotFoundError(f"no <language>/train_text.txt + train_labels.txt under {data_dir}")
    if cv < 2:
        raise InvalidInputError("--cv must be at least 2")
    y = np.asarray(data.labels)
    langs = np.asarray(data.languages)
    strata = np.asarray([f"{lang}:{label}" for lang, label in zip(langs, y, strict=True)])
    _, counts = np.unique(strata, return_counts=True)
    if len(set(y.tolist())) < 3 or counts.min() < cv:
        raise InvalidInputError(f"every language needs at least {cv} training texts of each of the 3 labels")
    folds = list(StratifiedKFold(cv, shuffle=True, random_state=seed).split(np.zeros(len(y)), strata))

    normalised = [normalise(t) for t in data.texts]
    demojized = [demojize(t) for t in normalised]
    report_progress("embedding train", 0, 1)
    embeddings = get_embedder("use").embed([_for_embedding(t) for t in normalised])
    report_progress("embedding train", 1, 1)
    emoji = emoji_features(normalised)
    min_df = 2 if len(y) >= 500 else 1
    char_vec = _vectoriser("char", min_df=min_df, max_features=200_000)
    word_vec = _vectoriser("word", min_df=min_df, max_features=100_000)
    x_char = char_vec.fit_transform(demojized)
    x_word = word_vec.fit_transform(demojized)

    def make(kind: str, c: float) -> Any:
        if kind == "use":
            return LogisticRegression(C=c, max_iter=3000)
        return LinearSVC(C=c, random_state=seed, max_iter=5000)

    def scores(model: Any, x: Any) -> np.ndarray:
        return np.asarray(model.predict_proba(x) if hasattr(model, "predict_proba") else model.decision_function(x))

    blocks = {"char": x_char, "word": x_word, "use": embeddings}
    steps = sum(len(grid[f"{k}_C"]) for k in blocks) * cv + len(grid["meta_C"]) * cv
    done = 0
    search: list[dict[str, Any]] = []
    params: dict[str, float] = {}
    oof_best: dict[str, np.ndarray] = {}
    for kind, x in blocks.items():
        best: tuple[float, float, np.ndarray] | None = None
        for c in grid[f"{kind}_C"]:
            oof = np.zeros((len(y), 3))
            for tr, te in folds:
                oof[te] = scores(make(kind, c).fit(x[tr], y[tr]), x[te])
                done += 1
                report_progress("cross-validation", done, steps)
            f1 = float(np.mean(list(_per_language(y, oof.argmax(axis=1), langs).values())))
            search.append({"model": kind, "C": c, "cv_macro_f1": round(f1, 4)})
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, c, oof)
        assert best is not None
        params[f"{kind}_C"] = best[1]
        oof_best[kind] = best[2]

    meta_x = np.hstack([oof_best["char"], oof_best["word"], oof_best["use"], emoji])
    best_meta: tuple[float, float, dict[str, float]] | None = None
    for c in grid["meta_C"]:
        pred = np.zeros(len(y), dtype=int)
        for tr, te in folds:
            pred[te] = LogisticRegression(C=c, max_iter=2000).fit(meta_x[tr], y[tr]).predict(meta_x[te])
            done += 1
            report_progress("cross-validation", done, steps)
        per_lang = _per_language(y, pred, langs)
        f1 = float(np.mean(list(per_lang.values())))
        search.append({"model": "meta", "C": c, "cv_macro_f1": round(f1, 4)})
        if best_meta is None or f1 > best_meta[0] + 1e-9:
            best_meta = (f1, c, per_lang)
    assert best_meta is not None
    params["meta_C"] = best_meta[1]

    report_progress("final fit", 0, 1)
    fitted = {
        "char": make("char", params["char_C"]).fit(x_char, y),
        "word": make("word", params["word_C"]).fit(x_word, y),
        "use": make("use", params["use_C"]).fit(embeddings, y),
        "meta": LogisticRegression(C=params["meta_C"], max_iter=2000).fit(meta_x, y),
    }
    weights = {}
    for name, est in fitted.items():
        weights[f"{name}_W"] = np.asarray(est.coef_, dtype=np.float32)
        weights[f"{name}_b"] = np.asarray(est.intercept_, dtype=np.float32)
    report_progress("final fit", 1, 1)
    meta: dict[str, Any] = {
        "labels": list(LABELS),
        "embedder": "use",
        "params": params,
        "cv_folds": cv,
        "seed": seed,
        "trained_on": sorted(set(data.languages)),
        "n_train": len(y),
        "cv_macro_f1": {k: round(v, 4) for k, v in best_meta[2].items()},
    }
    model = SentimentModel({"char": char_vec, "word": word_vec}, weights, meta)

    val = read_umsab(data_dir, "val")
    val_scores: dict[str, float] = {}
    if val.texts:
        report_progress("validation", 0, 1)
        pred_labels = model.predict_proba(val.texts).argmax(axis=1)
        val_scores = _per_language(np.asarray(val.labels), pred_labels, np.asarray(val.languages))
        meta["val_macro_f1"] = {k: round(v, 4) for k, v in val_scores.items()}
        report_progress("validation", 1, 1)
    report = TrainReport(
        params=params,
        cv_folds=cv,
        cv_macro_f1=best_meta[2],
        val_macro_f1=val_scores,
        search=search,
        n_train=len(y),
        n_val=len(val.texts),
        seconds=time.perf_counter() - started,
    )
    return model, report


__all__ = [
    "DEFAULT_GRID",
    "DEFAULT_MODEL_PATH",
    "LABELS",
    "LANGUAGE_SUPPORT",
    "MAX_CHARS",
    "MEASURED_LANGUAGES",
    "TARGET_MACRO_F1",
    "TRANSFERRED_LANGUAGES",
    "UMSAB_LANGUAGES",
    "SentimentModel",
    "TrainReport",
    "TransformersSentiment",
    "load",
    "load_default",
    "load_model",
    "macro_f1",
    "normalise",
    "read_umsab",
    "train",
]
