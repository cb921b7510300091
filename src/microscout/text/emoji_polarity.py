"""Emoji polarity: a small hand-written table and dense features for the sentiment model.

Emoji are found with the ``emoji`` package (so multi-codepoint sequences, skin tones and flags
count as one emoji); skin-tone modifiers and variation selectors are removed before the lookup.
Polarity is in [-1, 1]; emoji not in the table count as present but neutral.
The table was written for this project from the emoji's usual reading in social media comments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import emoji
import numpy as np

_POSITIVE_STRONG = "😍🥰😘❤💕💖💗💓💞💘💝😻🤩🥳🎉🎊🙌👏🔥💯🏆🥇✨💪😁😄😃😀☺😊🤗💜💙💚💛🧡🤍🖤♥"
_POSITIVE = "🙂😉😋😎😇😆😅🤣😂👍👌✌🤞🙏🌹🌸🌺🌻💐🎁🎶🎵⭐🌟☀🌈🍀😺😸😹👑💎🤝🫶🥂🍾😌😏😜😝😛"
_NEGATIVE_STRONG = "😡😠🤬👎💔😭😢😞😔😩😫😤🤮🤢💩😱😨😰😥😓😖😣☹🙁😒🙄😑😬😷🤒🤕😵🖕"
_NEGATIVE = "😐😕😟😮😯😲😳🤔🤨😶😪🥺😿⚠❌🚫💀☠😈👿🤦🤷😴🥱"

_STRONG = 1.0
_WEAK = 0.5

#: Base emoji (no skin tone, no variation selector) → polarity in [-1, 1].
POLARITY: dict[str, float] = {}
for _chars, _value in (
    (_POSITIVE_STRONG, _STRONG),
    (_POSITIVE, _WEAK),
    (_NEGATIVE_STRONG, -_STRONG),
    (_NEGATIVE, -_WEAK),
):
    for _ch in _chars:
        POLARITY.setdefault(_ch, _value)
# A few that read differently in comments than their names suggest.
POLARITY["😂"] = 0.5  # mostly amused, sometimes mocking
POLARITY["🤣"] = 0.5
POLARITY["😏"] = 0.2
POLARITY["🤔"] = -0.2
POLARITY["😮"] = -0.1
POLARITY["💀"] = 0.0  # "I'm dead" (laughing) as often as negative

_STRIP = {ord(c): None for c in "\ufe0f\ufe0e\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff\u200d"}

#: Names of the columns :func:`emoji_features` returns.
FEATURE_NAMES: tuple[str, ...] = ("emoji_pos", "emoji_neg", "emoji_mean", "emoji_any", "emoji_only", "emoji_count")


def base_emoji(token: str) -> str:
    """The emoji without skin tones, variation selectors or joiners (first code point if a ZWJ sequence)."""
    stripped = token.translate(_STRIP)
    return stripped[:1] if stripped else token[:1]


def polarity(token: str) -> float:
    """Polarity of one emoji (0.0 when unknown)."""
    return POLARITY.get(base_emoji(token), 0.0)


def find_emoji(text: str) -> list[str]:
    """The emoji in ``text``, in order (multi-codepoint sequences as one)."""
    return [m["emoji"] for m in emoji.emoji_list(text)]


def emoji_features(texts: Sequence[str]) -> np.ndarray:
    """Dense features per text, columns :data:`FEATURE_NAMES`, float32.

    ``emoji_pos`` / ``emoji_neg``: summed positive / negative polarity squashed to [0, 1);
    ``emoji_mean``: mean polarity of the emoji present; ``emoji_any``: 1 when any emoji;
    ``emoji_only``: 1 when the text is nothing but emoji (and spaces / punctuation);
    ``emoji_count``: log1p of the number of emoji.
    """
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
    for i, text in enumerate(texts):
        if not text or not _has_emoji_fast(text):
            continue
        found = find_emoji(text)
        if not found:
            continue
        values = [polarity(e) for e in found]
        pos = sum(v for v in values if v > 0)
        neg = -sum(v for v in values if v < 0)
        rest = emoji.replace_emoji(text, replace="")
        only = not any(ch.isalnum() for ch in rest)
        out[i] = (
            pos / (1.0 + pos),
            neg / (1.0 + neg),
            sum(values) / len(values),
            1.0,
            1.0 if only else 0.0,
            np.log1p(len(found)),
        )
    return out


# Every emoji holds at least one code point of these ranges (checked against emoji.EMOJI_DATA in the
# tests): texts without one (plain Latin, Arabic, Devanagari, CJK…) skip the slower emoji scan.
_MAYBE_EMOJI = re.compile("[\u00a9\u00ae\u203c-\u3299\U0001f000-\U0001faff\U000e0020-\U000e007f]")


def _has_emoji_fast(text: str) -> bool:
    return _MAYBE_EMOJI.search(text) is not None and bool(emoji.emoji_count(text))


def demojize(text: str) -> str:
    """Each emoji replaced by a word token (``emo_face_with_tears_of_joy``), skin tones dropped."""
    if not _has_emoji_fast(text):
        return text
    return emoji.replace_emoji(text, replace=_token_for)


def _token_for(chars: str, data: dict[str, str]) -> str:
    name: object = data.get("en")
    base = base_emoji(chars)
    if base != chars:
        base_data = emoji.EMOJI_DATA.get(base)
        if base_data:
            name = base_data.get("en", name)
    label = str(name or "emoji").strip(":").lower()
    label = "".join(ch if ch.isalnum() else "_" for ch in label)
    return f" emo_{label} "


__all__ = ["FEATURE_NAMES", "POLARITY", "base_emoji", "demojize", "emoji_features", "find_emoji", "polarity"]
