"""Text understanding: language, embeddings, niche, brand safety and sentiment — offline.

Every part works on batches of texts and loads nothing from the network. Modules:
:mod:`~microscout.text.language` (language ID, ``und`` when unsure),
:mod:`~microscout.text.safety` (brand-safety lexicons and competitor terms), embeddings, niche and
sentiment. The names below are imported on first use, so ``import microscout.text`` stays cheap.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "identify": "microscout.text.language",
    "get_identifier": "microscout.text.language",
    "DEFAULT_LANGUAGES": "microscout.text.language",
    "UND": "microscout.text.language",
    "scan": "microscout.text.safety",
    "get_scanner": "microscout.text.safety",
    "CATEGORIES": "microscout.text.safety",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'microscout.text' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
