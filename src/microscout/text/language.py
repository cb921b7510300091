"""Language identification of captions and comments, batched and offline.

The detector is py3langid's naive Bayes model (byte n-grams, shipped inside the package, nothing
downloaded) restricted to the configured languages, with three guards so that it answers ``und``
rather than a wrong code:

* texts are cleaned first: URLs, ``@mentions``, digits, punctuation and emoji go, and hashtags
  lose their ``#`` (their words still count as evidence, not as words of the text);
* a text of one word after cleaning (hashtags not counted), or of fewer than :data:`MIN_LETTERS`
  letters in a script without spaces, is ``und``: no detector is reliable there; a text of two words
  is answered only when the model is nearly sure (:data:`SHORT_THRESHOLD`), else ``und``;
* a longer text whose tempered probability (py3langid's ``norm_probs``) is below the threshold
  (:data:`DEFAULT_THRESHOLD`, ``Settings.language_threshold``) is ``und``.

Hindi written in Latin script, which no statistical detector recognises, is ``hi`` when at least
two distinct common Romanized Hindi words (:data:`HINGLISH_WORDS`) make up at least 15 % of its
words (``reason = "romanized"``; no false hit on 11,000 UMSAB tweets in other languages).

Scripts decide where they are unambiguous among the configured languages: kana → ja, Hangul → ko,
Thai → th, Devanagari → hi, Arabic script → ar (when that language is the only configured one
written in the script), and a text written in a script that no configured language uses is ``und``
(``reason = "unsupported"``), never a guess.

Everything runs on a batch at once: duplicates are detected once, the cleaning is one regular
expression pass over the joined batch, scripts are counted with numpy over code points, and the
model's byte automaton advances every text of the batch in the same numpy step.

>>> from microscout.text.language import identify
>>> identify(["Heute gibt es Rezepte aus Berlin, was meint ihr?", "ok"])     # doctest: +SKIP
[('de', 0.99), ('und', 0.0)]
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from microscout.errors import InvalidInputError

UND = "und"
# The sample world's languages (src/microscout/sample/banks.py LANGUAGES, reference markets.csv).
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr", "de", "it", "id", "ja", "hi", "tr", "ar")
# Tempered probability below which the answer is ``und`` (chosen on UMSAB *train*; docs/accuracy.md).
DEFAULT_THRESHOLD = 0.3
# Fewest words (space-separated scripts, hashtags not counted) a text needs for the model to answer.
MIN_WORDS = 2
# Texts of exactly SHORT_WORDS words need this probability (chosen on UMSAB train: < 0.3 % wrong).
SHORT_WORDS = 2
SHORT_THRESHOLD = 0.9
# Fewest letters a text needs in a script without spaces (ja, zh, th, …) or for a script shortcut.
MIN_LETTERS = 3
# Common Romanized Hindi words (function words, pronouns, auxiliaries) that are not words of the
# other Latin-script languages of the sample world (no "mai", "se", "na", "ke": Italian, Spanish,
# Portuguese, Indonesian use them).
_HINGLISH = """hai hain nahi nahin nhi kya kyu kyun kyon kyaa mein bhi aur yeh woh tha thi hota hoti raha rahi rahe
    karo karna kiya tum hum mera meri mere tera teri apna apne apki apka aapka kuch kuchh bahut bohot bahot
    accha acha achha yaar bhai kyunki lekin abhi phir sirf aaj gaya gayi diya liya wala wali wale waala hoga
    hogi chahiye matlab kaise kaisa kitna bilkul hoon hu jaata jata karke sakta sakte wahi yahi kahan kahaan
    waha yaha unka uska iska inka humara hamara tumhara koi jyada zyada dekh dekho dekhne dekha saath sath
    liye mujhe mujhko tujhe usko isko unko sabse pyaar pyar baat baad pehle agar magar warna jaisa itna
    hamesha zaroor jaroor shayad aisa aise waise kaun kab iss"""
HINGLISH_WORDS = frozenset(_HINGLISH.split())
HINGLISH_SHARE = 0.15
# Widespread Latin-script languages outside the configured set the model also scores: a text they
# win with at least DECOY_THRESHOLD is ``und`` (reason "other"), not forced into a configured one.
DECOY_LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl", "pl", "ro", "sv", "da", "no", "fi", "cs", "hu", "tl")
DECOY_THRESHOLD = 0.9
# Characters of cleaned text the model reads: language shows in the first few hundred.
MAX_CHARS = 600
_CHUNK = 65_536

# why a text got its answer
REASONS = ("model", "script", "romanized", "empty", "short", "unsupported", "other", "low_confidence")

# ------------------------------------------------------------------------------------ scripts
# Script ids. LATIN is the default for letters of space-separated Latin-script languages.
_NONE, LATIN, CYRILLIC, GREEK, ARMENIAN, HEBREW, ARABIC, DEVANAGARI, BENGALI, GURMUKHI = range(10)
GUJARATI, ORIYA, TAMIL, TELUGU, KANNADA, MALAYALAM, SINHALA, THAI, LAO, TIBETAN = range(10, 20)
MYANMAR, GEORGIAN, HANGUL, ETHIOPIC, KHMER, KANA, HAN, OTHER = range(20, 28)
_N_SCRIPTS = 28
# Scripts written without spaces between words: letters, not words, measure their length.
_UNSPACED = frozenset({THAI, LAO, TIBETAN, MYANMAR, KHMER, KANA, HAN})
# A kanji, kana or Hangul syllable carries about as much as a few Latin letters: weights for which
# script dominates a mixed text ("今日は Tokyo で skincare routine を紹介" is Japanese).
_WEIGHT = np.ones(_N_SCRIPTS)
_WEIGHT[[KANA, HAN]] = 3.0
_WEIGHT[HANGUL] = 2.0

_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0041, 0x005A, LATIN),
    (0x0061, 0x007A, LATIN),
    (0x00AA, 0x00AA, LATIN),
    (0x00BA, 0x00BA, LATIN),
    (0x00C0, 0x02AF, LATIN),
    (0x0370, 0x03FF, GREEK),
    (0x0400, 0x052F, CYRILLIC),
    (0x0531, 0x058F, ARMENIAN),
    (0x0591, 0x05FF, HEBREW),
    (0x0600, 0x06FF, ARABIC),
    (0x0750, 0x077F, ARABIC),
    (0x08A0, 0x08FF, ARABIC),
    (0x0900, 0x097F, DEVANAGARI),
    (0x0980, 0x09FF, BENGALI),
    (0x0A00, 0x0A7F, GURMUKHI),
    (0x0A80, 0x0AFF, GUJARATI),
    (0x0B00, 0x0B7F, ORIYA),
    (0x0B80, 0x0BFF, TAMIL),
    (0x0C00, 0x0C7F, TELUGU),
    (0x0C80, 0x0CFF, KANNADA),
    (0x0D00, 0x0D7F, MALAYALAM),
    (0x0D80, 0x0DFF, SINHALA),
    (0x0E00, 0x0E7F, THAI),
    (0x0E80, 0x0EFF, LAO),
    (0x0F00, 0x0FFF, TIBETAN),
    (0x1000, 0x109F, MYANMAR),
    (0x10A0, 0x10FF, GEORGIAN),
    (0x1100, 0x11FF, HANGUL),
    (0x1200, 0x139F, ETHIOPIC),
    (0x1780, 0x17FF, KHMER),
    (0x1C80, 0x1C8F, CYRILLIC),
    (0x1E00, 0x1EFF, LATIN),
    (0x1F00, 0x1FFF, GREEK),
    (0x2C60, 0x2C7F, LATIN),
    (0x2DE0, 0x2DFF, CYRILLIC),
    (0x2E80, 0x2FDF, HAN),
    (0x3005, 0x3007, HAN),
    (0x3021, 0x3029, HAN),
    (0x3040, 0x30FF, KANA),
    (0x3130, 0x318F, HANGUL),
    (0x31F0, 0x31FF, KANA),
    (0x3400, 0x4DBF, HAN),
    (0x4E00, 0x9FFF, HAN),
    (0xA640, 0xA69F, CYRILLIC),
    (0xA720, 0xA7FF, LATIN),
    (0xA960, 0xA97F, HANGUL),
    (0xAB30, 0xAB6F, LATIN),
    (0xAC00, 0xD7FF, HANGUL),
    (0xF900, 0xFAFF, HAN),
    (0xFB00, 0xFB06, LATIN),
    (0xFB1D, 0xFB4F, HEBREW),
    (0xFB50, 0xFDFF, ARABIC),
    (0xFE70, 0xFEFF, ARABIC),
    (0xFF21, 0xFF3A, LATIN),
    (0xFF41, 0xFF5A, LATIN),
    (0xFF66, 0xFF9F, KANA),
    (0xFFA0, 0xFFDC, HANGUL),
    (0x1B000, 0x1B16F, KANA),
    (0x20000, 0x3FFFF, HAN),
)

# Languages of py3langid's model by script (every other label of the model is Latin-script).
_SCRIPT_LANGUAGES: dict[int, frozenset[str]] = {
    CYRILLIC: frozenset({"ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tg", "tt", "ba", "uz"}),
    GREEK: frozenset({"el", "grc"}),
    ARMENIAN: frozenset({"hy"}),
    HEBREW: frozenset({"he", "hbo"}),
    ARABIC: frozenset({"ar", "ary", "arz", "fa", "ps", "ur", "ug", "sdh", "ku"}),
    DEVANAGARI: frozenset({"hi", "mr", "ne", "sa", "gom"}),
    BENGALI: frozenset({"bn", "as"}),
    GURMUKHI: frozenset({"pa"}),
    GUJARATI: frozenset({"gu"}),
    ORIYA: frozenset({"or"}),
    TAMIL: frozenset({"ta"}),
    TELUGU: frozenset({"te"}),
    KANNADA: frozenset({"kn"}),
    MALAYALAM: frozenset({"ml"}),
    SINHALA: frozenset({"si"}),
    THAI: frozenset({"th"}),
    LAO: frozenset({"lo"}),
    TIBETAN: frozenset({"dz"}),
    MYANMAR: frozenset({"my"}),
    GEORGIAN: frozenset({"ka"}),
    HANGUL: frozenset({"ko"}),
    ETHIOPIC: frozenset({"am"}),
    KHMER: frozenset({"km"}),
    KANA: frozenset({"ja"}),
    HAN: frozenset({"zh", "ja", "wuu", "yue"}),
}
_NON_LATIN_ONLY = frozenset().union(*_SCRIPT_LANGUAGES.values()) - {"sr", "uz", "ku"}


# ------------------------------------------------------------------------------------ cleaning
# URLs, bare "http" (UMSAB's anonymised links), @mentions, "RT" and HTML entities; each alternative
# starts with one of a few characters so the scan skips quickly.
_NOISE = re.compile(
    r"[hw@＠R&](?:(?<=h)(?<!\wh)ttps?(?:://[^\s\x00]*|\b)|(?<=w)(?<!\ww)ww\.[^\s\x00]+|(?<=[@＠])[\w.]+"
    r"|(?<=R)(?<!\wR)T\b|(?<=&)(?:amp|lt|gt|quot);)"
)
_SEP = "\x00"  # separates the texts of a batch
# Character classes: 0 kept non-letter (apostrophe, combining accent), 1..27 a script's letters,
# then space (also every dropped character), separator and hashtag marker.
_SPACE_C, _SEP_C, _TAG_C = 29, 30, 31
_N_CLASSES = 32


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """``table[code point]`` → character class. Punctuation, symbols, emoji, digits, controls,
    enclosing marks and variation selectors are dropped (read as a space); letters and marks count
    for the script of their block."""
    table = np.full(0x110000, _SPACE_C, dtype=np.uint8)
    script = np.full(0x32400, OTHER, dtype=np.uint8)
    for lo, hi, sid in _RANGES:
        script[lo : min(hi, 0x323FF) + 1] = sid
    for cp in range(0x32400):
        cat = unicodedata.category(chr(cp))
        if not (cat[0] in "PSNCZ" or cat == "Me"):
            table[cp] = script[cp]
    table[0x0300:0x0370] = np.where(table[0x0300:0x0370] == _SPACE_C, _SPACE_C, _NONE)
    table[[0x27, 0x2019]] = _NONE
    table[0xFE00:0xFE10] = _SPACE_C
    table[0] = _SEP_C
    return table


@dataclass(frozen=True)
class _Cleaned:
    texts: list[str]  # cleaned, hashtag words kept without their '#'
    words: np.ndarray  # words per text, hashtags not counted
    scripts: np.ndarray  # letters per script (n x scripts)


def _clean_batch(texts: Sequence[str]) -> _Cleaned:
    """Clean a batch in one pass: one regular expression over the joined texts, then numpy over
    code points (drop, mark hashtags, count words and letters per script, collapse spaces)."""
    n = len(texts)
    joined = _SEP.join(texts)
    if joined.count(_SEP) != n - 1:
        joined = _SEP.join(t.replace(_SEP, " ") for t in texts)
    joined = _NOISE.sub(" ", joined)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    # decomposed accents (e.g. macOS text), kana voicing marks, Hangul jamo: compose (NFC) first
    if (
        ((cps >= 0x300) & (cps < 0x370)).any()
        or ((cps >= 0x1100) & (cps < 0x1200)).any()
        or ((cps == 0x3099) | (cps == 0x309A)).any()
    ):
        cps = np.frombuffer(unicodedata.normalize("NFC", joined).encode("utf-32-le"), dtype=np.uint32)
    if not len(cps):
        return _Cleaned([""] * n, np.zeros(n, dtype=np.int64), np.zeros((n, _N_SCRIPTS), dtype=np.int64))
    cls = _class_table()[cps]
    # '#' directly before a letter marks a hashtag: its word is evidence, not a word of the text
    hashtag = np.flatnonzero(((cps[:-1] == 0x23) | (cps[:-1] == 0xFF03)) & (cls[1:] < _SPACE_C))
    cls[hashtag] = _TAG_C
    blank = (cls == _SPACE_C) | (cls == _SEP_C)
    start = np.flatnonzero(~blank & np.concatenate([[True], blank[:-1]]))
    seps = np.flatnonzero(cls == _SEP_C)
    doc_of_start = np.searchsorted(seps, start)
    words = np.bincount(doc_of_start, minlength=n) - np.bincount(doc_of_start[cls[start] == _TAG_C], minlength=n)
    seglen = np.diff(np.concatenate([[0], seps + 1, [len(cps)]]))
    doc = np.repeat(np.arange(n, dtype=np.int32), seglen)
    counts = np.bincount(doc * _N_CLASSES + cls, minlength=n * _N_CLASSES).reshape(n, _N_CLASSES)
    scripts = counts[:, :_N_SCRIPTS].copy()
    scripts[:, _NONE] = 0
    # spaces: dropped characters and hashtag marks become spaces, runs collapse, leading ones go
    space = blank | (cls == _TAG_C)
    space[seps] = False
    out = np.where(space, np.uint32(0x20), cps)
    keep = ~(space & np.concatenate([[True], space[:-1] | (cls[:-1] == _SEP_C)]))
    parts = out[keep].tobytes().decode("utf-32-le").split(_SEP)
    return _Cleaned([t[:MAX_CHARS].rstrip(" ") for t in parts], words, scripts)


def clean(texts: Sequence[str]) -> list[str]:
    """Texts as language ID reads them: no URLs, mentions, digits, punctuation or emoji, hashtags
    without their ``#``, spaces collapsed, at most :data:`MAX_CHARS` characters."""
    return _clean_batch(list(texts)).texts if len(texts) else []


# ------------------------------------------------------------------------------------ model
@dataclass(frozen=True)
class _Model:
    nextmove: np.ndarray  # row * 256 + byte -> next state (rows shared between states)
    rowbase: np.ndarray  # state -> row * 256
    output: np.ndarray  # state -> feature index or -1
    ptc: np.ndarray  # features x classes, float16 log-probabilities
    pc: np.ndarray  # class priors
    classes: tuple[str, ...]


_MODEL_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> _Model:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    with _MODEL_LOCK:
        ident: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    nm = np.frombuffer(ident.tk_nextmove, dtype=np.uint16 if ident.tk_nextmove.itemsize == 2 else np.uint32)
    return _Model(
        nextmove=nm.astype(np.int32),
        rowbase=np.asarray(ident.tk_row, dtype=np.int32) << 8,
        output=np.asarray(ident.tk_output, dtype=np.int32),
        ptc=np.asarray(ident.nb_ptc),
        pc=np.asarray(ident.nb_pc, dtype=np.float32),
        classes=tuple(ident.nb_classes),
    )


@lru_cache(maxsize=1)
def supported_languages() -> frozenset[str]:
    """Every language code the bundled model knows (py3langid's labels, mostly ISO 639-1)."""
    return frozenset(_model().classes) - {"zxx"}


def parse_languages(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"en,es"`` or ``["en", "es"]`` → ``("en", "es")``; empty → :data:`DEFAULT_LANGUAGES`.

    Raises :class:`InvalidInputError` naming any code the model does not know.
    """
    if value is None:
        return DEFAULT_LANGUAGES
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = tuple(dict.fromkeys(c.strip().lower() for c in items if c and c.strip()))
    if not codes:
        return DEFAULT_LANGUAGES
    unknown = [c for c in codes if c not in supported_languages()]
    if unknown:
        raise InvalidInputError(
            f"unknown language code(s) {', '.join(unknown)}; use ISO 639-1 codes such as en,es,pt "
            f"({len(supported_languages())} supported; see docs/languages.md)"
        )
    return codes


@dataclass(frozen=True)
class LanguageBatch:
    """Per-text answers: ISO 639-1 code (or ``und``), confidence in [0, 1] and why."""

    codes: list[str]
    confidence: np.ndarray
    reasons: list[str]

    def pairs(self) -> list[tuple[str, float]]:
        return list(zip(self.codes, self.confidence.tolist(), strict=True))


class LanguageIdentifier:
    """Language ID restricted to ``languages`` with ``und`` below ``threshold``; thread-safe."""

    def __init__(self, languages: str | Iterable[str] | None = None, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise InvalidInputError(f"language threshold must be within 0..1, not {threshold}")
        self.languages = parse_languages(languages)
        self.threshold = float(threshold)
        model = _model()
        allowed = set(self.languages)
        decoys = [c for c in DECOY_LANGUAGES if c not in allowed]
        cols = [model.classes.index(c) for c in [*self.languages, *decoys]]
        self._ptc = np.ascontiguousarray(model.ptc[:, cols], dtype=np.float32)
        self._pc = model.pc[cols]
        self._decoys = len(decoys)
        # script -> which columns may answer (a Latin text cannot come out as ja)
        mask = np.zeros((_N_SCRIPTS, len(self.languages)), dtype=bool)
        shortcut = np.full(_N_SCRIPTS, -1, dtype=np.int64)
        for script in range(_N_SCRIPTS):
            if script in _SCRIPT_LANGUAGES:
                langs = _SCRIPT_LANGUAGES[script]
            elif script == LATIN:
                langs = frozenset(allowed - _NON_LATIN_ONLY)
            else:
                langs = frozenset()
            ok = [i for i, c in enumerate(self.languages) if c in langs]
            mask[script, ok] = True
            if len(ok) == 1 and script not in (LATIN, HAN, CYRILLIC):
                shortcut[script] = ok[0]
        self._mask = mask
        self._shortcut = shortcut
        self._codes = np.array(self.languages, dtype=object)

    # -------------------------------------------------------------------------------- public
    def identify(self, texts: Sequence[str | None]) -> list[tuple[str, float]]:
        """One ``(code, confidence)`` per text, in order."""
        return self.detect(texts).pairs()

    def detect(self, texts: Sequence[str | None] | Any) -> LanguageBatch:
        """Codes, confidences and reasons for a batch (list, tuple or Arrow/pandas string column)."""
        if hasattr(texts, "to_pylist"):
            texts = texts.to_pylist()
        elif hasattr(texts, "tolist"):
            texts = texts.tolist()
        values = ["" if t is None or t != t else str(t) for t in texts]  # None and NaN are empty
        unique = list(dict.fromkeys(values))  # each distinct text is detected once
        position = dict(zip(unique, range(len(unique)), strict=True))
        inverse = np.fromiter(map(position.__getitem__, values), dtype=np.int64, count=len(values))
        codes = np.empty(len(unique), dtype=object)
        conf = np.zeros(len(unique), dtype=np.float32)
        reasons = np.empty(len(unique), dtype=object)
        for lo in range(0, len(unique), _CHUNK):
            c, p, r = self._detect_unique(unique[lo : lo + _CHUNK])
            codes[lo : lo + _CHUNK], conf[lo : lo + _CHUNK], reasons[lo : lo + _CHUNK] = c, p, r
        return LanguageBatch(codes[inverse].tolist(), conf[inverse], reasons[inverse].tolist())

    # -------------------------------------------------------------------------------- batch
    def _detect_unique(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(texts)
        batch = _clean_batch(texts)
        cleaned, words, counts = batch.texts, batch.words, batch.scripts
        letters = counts.sum(axis=1)
        # with kana present, Han characters are Japanese kanji: count them with the kana
        japanese = counts[:, KANA] > 0
        counts = counts.copy()
        counts[japanese, KANA] += counts[japanese, HAN]
        counts[japanese, HAN] = 0
        weighted = counts * _WEIGHT
        dominant = weighted.argmax(axis=1)
        dom_letters = counts[np.arange(n), dominant]
        share = weighted[np.arange(n), dominant] / np.maximum(weighted.sum(axis=1), 1)
        unspaced = np.isin(dominant, list(_UNSPACED))

        codes = np.full(n, UND, dtype=object)
        conf = np.zeros(n, dtype=np.float32)
        reasons = np.full(n, "empty", dtype=object)
        has = letters > 0
        allowed_any = self._mask[dominant].any(axis=1)
        reasons[has & ~allowed_any] = "unsupported"
        short = np.where(unspaced, letters < MIN_LETTERS, words < MIN_WORDS)
        cut = self._shortcut[dominant]
        by_script = has & allowed_any & (cut >= 0) & (dom_letters >= MIN_LETTERS) & (share >= 0.5)
        if by_script.any():
            codes[by_script] = self._codes[cut[by_script]]
            conf[by_script] = share[by_script]
            reasons[by_script] = "script"
        candidates = has & allowed_any & ~by_script
        if "hi" in self.languages:
            latin = np.flatnonzero(candidates & (dominant == LATIN) & (words >= MIN_WORDS))
            latin = latin[[cleaned[i].isascii() for i in latin]] if len(latin) else latin
            share_hi = _hinglish_share([cleaned[i] for i in latin])
            hit = share_hi >= HINGLISH_SHARE
            if hit.any():
                rows = latin[hit]
                codes[rows], conf[rows], reasons[rows] = "hi", np.minimum(1.0, 0.5 + share_hi[hit]), "romanized"
                candidates[rows] = False
        reasons[candidates & short] = "short"
        run = np.flatnonzero(candidates & ~short)
        if len(run):
            selected = [cleaned[i] for i in run]
            probs, other = self._probabilities([t.lower() if t.isupper() else t for t in selected], dominant[run])
            best = probs.argmax(axis=1)
            p = probs[np.arange(len(run)), best]
            conf[run] = p
            ok = p >= np.where(words[run] <= SHORT_WORDS, max(self.threshold, SHORT_THRESHOLD), self.threshold)
            ok &= other < DECOY_THRESHOLD
            codes[run[ok]] = self._codes[best[ok]]
            reasons[run[ok]] = "model"
            reasons[run[~ok]] = np.where(other[~ok] >= DECOY_THRESHOLD, "other", "low_confidence")
        return codes, conf, reasons

    def _probabilities(self, texts: list[str], scripts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tempered naive-Bayes probabilities (py3langid ``norm_probs``) over the configured languages
        allowed for each text's script, and the probability that a decoy language wins instead.

        The byte automaton advances every text of the batch in the same numpy step."""
        model = _model()
        flat = np.frombuffer(_SEP.join(texts).encode("utf-8"), dtype=np.uint8)
        ends = np.concatenate([np.flatnonzero(flat == 0), [len(flat)]])
        starts = np.concatenate([[0], ends[:-1] + 1])
        lengths = ends - starts
        order = np.argsort(-lengths, kind="stable")
        sorted_len, sorted_start = lengths[order], starts[order]
        byte = flat.astype(np.int32)
        state = np.zeros(len(texts), dtype=np.int32)
        rows_out: list[np.ndarray] = []
        feats_out: list[np.ndarray] = []
        nm, rowbase, out = model.nextmove, model.rowbase, model.output
        active = len(texts)
        for t in range(int(sorted_len[0])):
            while sorted_len[active - 1] <= t:
                active -= 1
            nxt = nm[rowbase[state[:active]] + byte[sorted_start[:active] + t]]
            state[:active] = nxt
            f = out[nxt]
            hit = np.flatnonzero(f >= 0)
            if len(hit):
                rows_out.append(hit)
                feats_out.append(f[hit])
        scores = np.tile(self._pc, (len(texts), 1))
        if rows_out:
            from scipy import sparse

            rows = order[np.concatenate(rows_out)]
            feats = np.concatenate(feats_out)
            matrix = sparse.csr_matrix(
                (np.ones(len(rows), dtype=np.float32), (rows, feats)), shape=(len(texts), len(self._ptc))
            )
            matrix.sum_duplicates()
            np.log1p(matrix.data, out=matrix.data)
            scores += np.asarray(matrix @ self._ptc)
        scores *= (1.0 / np.sqrt(np.maximum(lengths, 1)))[:, None]
        k = len(self.languages)
        latin = (scripts == LATIN)[:, None]
        mask = np.concatenate([self._mask[scripts], np.broadcast_to(latin, (len(texts), self._decoys))], axis=1)
        scores = np.where(mask, scores, -np.inf)
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        total = scores.sum(axis=1)
        other = scores[:, k:].max(axis=1, initial=0.0) / total
        probs = scores[:, :k]
        probs /= probs.sum(axis=1, keepdims=True)
        return probs, other


def _hinglish_share(texts: list[str]) -> np.ndarray:
    """Share of Romanized Hindi words per text (0 unless at least two distinct ones occur)."""
    out = np.zeros(len(texts))
    words_set = HINGLISH_WORDS
    for i, t in enumerate(texts):
        words = t.lower().split()
        if words_set.isdisjoint(words):
            continue
        hits = [w for w in words if w in words_set]
        if len(set(hits)) >= 2:
            out[i] = len(hits) / len(words)
    return out


_IDENTIFIERS: dict[tuple[tuple[str, ...], float], LanguageIdentifier] = {}
_IDENT_LOCK = threading.Lock()


def get_identifier(languages: str | Iterable[str] | None = None, threshold: float | None = None) -> LanguageIdentifier:
    """A cached :class:`LanguageIdentifier` for these languages and threshold."""
    key = (parse_languages(languages), DEFAULT_THRESHOLD if threshold is None else float(threshold))
    with _IDENT_LOCK:
        ident = _IDENTIFIERS.get(key)
        if ident is None:
            ident = _IDENTIFIERS[key] = LanguageIdentifier(key[0], key[1])
    return ident


def identify(
    texts: Sequence[str | None], languages: str | Iterable[str] | None = None, threshold: float | None = None
) -> list[tuple[str, float]]:
    """``(code, confidence)`` per text; ``und`` when empty, too short, unsupported or unsure."""
    return get_identifier(languages, threshold).identify(texts)


def settings_identifier(settings: Any) -> LanguageIdentifier:
    """The identifier configured by ``Settings.languages`` and ``Settings.language_threshold``."""
    return get_identifier(
        getattr(settings, "languages", None) or None, getattr(settings, "language_threshold", DEFAULT_THRESHOLD)
    )


__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_THRESHOLD",
    "MIN_WORDS",
    "UND",
    "LanguageBatch",
    "LanguageIdentifier",
    "clean",
    "get_identifier",
    "identify",
    "parse_languages",
    "supported_languages",
]
