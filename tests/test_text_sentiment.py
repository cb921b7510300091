"""Multilingual sentiment: the bundled model, training, the emoji features and the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import emoji
import numpy as np
import pytest
from typer.testing import CliRunner

from microscout.cli import app
from microscout.errors import InvalidInputError, NotFoundError
from microscout.text import sentiment as sm
from microscout.text.emoji_polarity import _MAYBE_EMOJI, FEATURE_NAMES, demojize, emoji_features, polarity

CLEAR = [
    ("I love this, amazing work! 😍", "positive"),
    ("This is the worst product ever, total waste of money", "negative"),
    ("Me encanta, muy bonito 😍", "positive"),
    ("Horrible servicio, nunca más", "negative"),
    ("Adoro isso, lindo demais!", "positive"),
    ("Que porcaria, péssimo atendimento", "negative"),
    ("Das ist wirklich toll, danke!", "positive"),
    ("Einfach schrecklich und enttäuschend", "negative"),
    ("C'est magnifique, bravo !", "positive"),
    ("Bellissimo, complimenti!", "positive"),
    ("Che schifo, pessimo", "negative"),
    ("رائع جدا أحببته", "positive"),
    ("سيء جدا ومخيب للآمال", "negative"),
]


@pytest.fixture(scope="module")
def model() -> sm.SentimentModel:
    return sm.load_default()


def test_bundled_model_on_clear_examples(model: sm.SentimentModel) -> None:
    texts = [t for t, _ in CLEAR]
    assert model.predict(texts) == [label for _, label in CLEAR]


def test_probabilities_and_score(model: sm.SentimentModel) -> None:
    texts = ["great 👍", "", "meh", "terrible!!!!!!", "   ", "नमस्ते, आप कैसे हैं?", "今日は雨です"]
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.all((proba >= 0) & (proba <= 1))
    score = model.score(texts)
    assert np.allclose(score, proba[:, 2] - proba[:, 0])
    assert np.all((score >= -1) & (score <= 1))
    assert proba[1].tolist() == [0.0, 1.0, 0.0] and proba[4].tolist() == [0.0, 1.0, 0.0]
    assert model.predict([""]) == ["neutral"]


def test_emoji_only_input(model: sm.SentimentModel) -> None:
    assert model.predict(["😍😍😍", "😡😡👎", "🎉🔥💯"]) == ["positive", "negative", "positive"]


def test_very_long_line_is_cut_not_crashing(model: sm.SentimentModel) -> None:
    started = time.perf_counter()
    proba = model.predict_proba(["wonderful day " * 50_000, "x" * 200_000])
    assert time.perf_counter() - started < 20
    assert proba.shape == (2, 3)
    assert model.predict(["wonderful day " * 50_000]) == ["positive"]


def test_string_instead_of_list_is_refused(model: sm.SentimentModel) -> None:
    with pytest.raises(InvalidInputError):
        model.predict_proba("one string")


def test_normalise() -> None:
    raw = "RT @someone: Loooooove it!!! &amp; see https://t.co/abc www.x.com i\\u2019m happy"
    assert sm.normalise(raw) == "@user : Looove it!!! & see http http i\u2019m happy"
    assert sm.normalise("") == ""
    assert len(sm.normalise("a b " * 5000)) <= sm.MAX_CHARS


def test_emoji_features() -> None:
    feats = emoji_features(["I ❤️ it 👍🏽", "😡😡", "no emoji here", "", "مرحبا"])
    names = dict(zip(FEATURE_NAMES, range(len(FEATURE_NAMES)), strict=True))
    assert feats.shape == (5, len(FEATURE_NAMES))
    assert feats[0, names["emoji_pos"]] > 0 and feats[0, names["emoji_neg"]] == 0
    assert feats[1, names["emoji_mean"]] == -1.0 and feats[1, names["emoji_only"]] == 1.0
    assert not feats[2:].any()
    assert polarity("👍🏿") == polarity("👍") > 0
    assert "emo_red_heart" in demojize("I ❤️ it") and "emo_thumbs_up" in demojize("👍🏽")


def test_emoji_prefilter_covers_every_emoji() -> None:
    assert all(_MAYBE_EMOJI.search(e) for e in emoji.EMOJI_DATA)


def test_language_support_constants() -> None:
    assert set(sm.MEASURED_LANGUAGES) == {"ar", "de", "en", "es", "fr", "hi", "it", "pt"}
    assert {"id", "ja", "tr", "ko"} <= set(sm.TRANSFERRED_LANGUAGES)
    assert sm.LANGUAGE_SUPPORT["ja"] == "transferred, unmeasured" and sm.LANGUAGE_SUPPORT["en"] == "measured"


def test_bundled_model_metadata_and_size(model: sm.SentimentModel) -> None:
    assert sm.DEFAULT_MODEL_PATH.stat().st_size < 15_000_000
    assert model.meta["labels"] == list(sm.LABELS)
    assert sorted(model.meta["trained_on"]) == sorted(sm.MEASURED_LANGUAGES)
    assert np.mean(list(model.meta["val_macro_f1"].values())) >= sm.TARGET_MACRO_F1


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        sm.load(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(InvalidInputError):
        sm.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, meta_json=np.asarray(json.dumps({"format_version": 99})))
    with pytest.raises(InvalidInputError, match="not a microscout sentiment model"):
        sm.load(other)


def test_label_columns_mapping() -> None:
    assert sm._label_columns({0: "positive", 1: "negative", 2: "neutral"}) == [1, 2, 0]
    assert sm._label_columns({0: "NEG", 1: "NEU", 2: "POS"}) == [0, 1, 2]
    assert sm._label_columns({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == [0, 1, 2]
    with pytest.raises(InvalidInputError):
        sm._label_columns({0: "joy", 1: "anger"})


# ------------------------------------------------------------------------------------------ CLI
def test_cli_plain_keeps_alignment(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("I love it, best day ever 😍\n\nWorst service ever, I hate it\n😡😡\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "sentiment", str(src)])
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[:4] == ["positive", "", "negative", "negative"]


def test_cli_jsonl_and_stdin() -> None:
    result = CliRunner().invoke(
        app, ["text", "sentiment", "-", "--format", "jsonl"], input="Que maravilha, adorei!\n   \n"
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.strip().split("\n")]
    assert len(rows) == 2
    assert rows[0]["label"] == "positive"
    assert sum(rows[0][k] for k in sm.LABELS) == pytest.approx(1.0, abs=1e-3)
    assert rows[0]["score"] == pytest.approx(rows[0]["positive"] - rows[0]["negative"], abs=1e-3)
    assert rows[1] == {"label": None, "negative": None, "neutral": None, "positive": None, "score": None}


def test_cli_missing_model_is_a_clean_error(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("ok\n")
    result = CliRunner().invoke(app, ["text", "sentiment", str(src), "--model", str(tmp_path / "nope.npz")])
    assert result.exit_code == 1
    assert "sentiment model not found" in result.output


TINY = {
    "english": (
        ["I love it", "great and wonderful", "so happy today", "best thing ever", "amazing work", "lovely"],
        ["the meeting is at noon", "it is a phone", "the bus leaves at ten", "today is monday", "a table", "a car"],
        ["I hate it", "awful and terrible", "so sad today", "worst thing ever", "horrible work", "disgusting"],
    ),
    "spanish": (
        ["me encanta", "genial y maravilloso", "muy feliz hoy", "lo mejor", "trabajo increíble", "precioso"],
        [
            "la reunión es a mediodía",
            "es un teléfono",
            "el bus sale a las diez",
            "hoy es lunes",
            "una mesa",
            "un coche",
        ],
        ["lo odio", "horrible y terrible", "muy triste hoy", "lo peor", "trabajo horrible", "asqueroso"],
    ),
}


def _tiny_data(root: Path) -> Path:
    for lang, (pos, neu, neg) in TINY.items():
        folder = root / lang
        folder.mkdir(parents=True)
        for split, sl in (("train", slice(0, 6)), ("val", slice(0, 3))):
            texts = pos[sl] + neu[sl] + neg[sl]
            labels = ["2"] * len(pos[sl]) + ["1"] * len(neu[sl]) + ["0"] * len(neg[sl])
            (folder / f"{split}_text.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
            (folder / f"{split}_labels.txt").write_text("\n".join(labels) + "\n")
    return root


def test_train_sentiment_cli_on_tiny_data(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path / "data")
    out = tmp_path / "model.npz"
    runner = CliRunner()
    result = runner.invoke(app, ["text", "train-sentiment", "--data", str(data), "--out", str(out), "--cv", "2"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "en" in result.stdout and "es" in result.stdout and "average" in result.stdout
    src = tmp_path / "in.txt"
    src.write_text("great and wonderful\n\nawful and terrible\n", encoding="utf-8")
    result = runner.invoke(app, ["text", "sentiment", str(src), "--model", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert lines[1] == "" and lines[0] in sm.LABELS and lines[2] in sm.LABELS  # 36 texts: plumbing, not accuracy


def test_training_is_deterministic_and_validates(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path / "data")
    small: dict[str, tuple[float, ...]] = {"char_C": (0.3,), "word_C": (0.3,), "use_C": (1.0,), "meta_C": (1.0,)}
    m1, r1 = sm.train(data, cv=2, grid=small)
    m2, _ = sm.train(data, cv=2, grid=small)
    texts = ["lo mejor", "a car", "awful"]
    assert np.array_equal(m1.predict_proba(texts), m2.predict_proba(texts))
    assert set(r1.cv_macro_f1) == {"en", "es"} and set(r1.val_macro_f1) == {"en", "es"}
    path = m1.save(tmp_path / "m.npz")
    assert np.allclose(sm.load(path).predict_proba(texts), m1.predict_proba(texts), atol=1e-6)
    with pytest.raises(InvalidInputError, match="at least 7"):
        sm.train(data, cv=7, grid=small)
    with pytest.raises(NotFoundError):
        sm.train(tmp_path / "nowhere")


# ------------------------------------------------------------------------- transformers backend
def test_transformers_sentiment_on_a_tiny_local_model(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers", reason="the transformers extra is not installed")
    pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
    words = ["good", "bad", "movie", "great", "awful", "the", "is", "a"]
    path = tmp_path / "tiny"
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(words) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=3,
        id2label={0: "positive", 1: "negative", 2: "neutral"},
        label2id={"positive": 0, "negative": 1, "neutral": 2},
    )
    transformers.BertForSequenceClassification(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    clf = sm.load_model(path)
    proba = clf.predict_proba(["a good movie", "", "the movie is awful"])
    assert proba.shape == (3, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert proba[1].tolist() == [0.0, 1.0, 0.0]
    assert all(label in sm.LABELS for label in clf.predict(["great"]))
    result = CliRunner().invoke(app, ["text", "sentiment", "-", "--model", str(path)], input="good\n\nbad\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.split("\n")) >= 3
