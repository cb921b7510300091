"""Brand safety: flag texts that use terms of the reference lexicons, with the terms as evidence.

The lexicons are the reference table ``safety_lexicons`` (``language, category, term``; categories
:data:`CATEGORIES`), user-editable: a ``safety_lexicons.csv`` in ``Settings.reference_dir``
replaces the shipped one. Competitor brands come from the caller (a campaign brief) and flag as
``competitor``.

Matching, in one pass per text over a batch normalised at once:

* whole words in space-separated scripts: ``class`` never hits ``ass``; a term of several words
  matches those words in a row (``street fight``; hyphens and apostrophes separate words, so
  ``Casino-Wetten`` has the word ``casino``); a trailing ``*`` in the lexicon matches words that
  start with the term (``kavga*`` → ``kavgası``);
* case-insensitive; a word typed without accents matches a term of at least :data:`FOLD_MIN`
  letters written with them (``cocaina`` → ``cocaína``), while a word with accents only matches the
  same accents (Turkish ``gün`` is not English ``gun``) and shorter terms need their accents
  (Turkish ``piç`` is not English ``pic``); Arabic words also match without the clitics و ف ب ل ك
  and the article ال;
* hashtags and mentions are words (``#casino``), and a term of at least :data:`COMPOUND_MIN`
  letters also hits at the start or end of a longer hashtag (``#casinonight``, ``#onlinecasino``)
  when at least :data:`COMPOUND_REST` letters are left (not ``#heroine``);
* substrings of the normalised text for the scripts written without spaces (ja, zh, th).

Texts may come with their language (e.g. from :mod:`microscout.text.language`): then only that
language's terms, English ones (common in posts everywhere) and ``*`` terms apply; without a
language (or ``und``) every lexicon applies. A text whose language has no lexicon (or is
:data:`UNSUPPORTED`, e.g. a script no configured language uses) gets ``supported = False``: its
flags come from English, ``*`` and competitor terms only, and a caller must not read "no flags" as
"safe".

>>> from microscout.text.safety import scan
>>> scan(["Casino night with friends 🎰", "A classy dinner"])[0].flags      # doctest: +SKIP
('gambling',)
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from microscout.errors import ReferenceDataError

CATEGORIES = ("profanity", "adult", "violence", "hate", "drugs", "alcohol", "gambling", "politics")
COMPETITOR = "competitor"
ANY_LANGUAGE = "*"
# Language code meaning "identified as none of ours" (language ID's reasons unsupported / other).
UNSUPPORTED = "unsupported"
# Languages whose lexicon applies to every text that comes with a language.
ALWAYS = ("en", ANY_LANGUAGE)
# Languages written without spaces: their terms match as substrings.
UNSPACED_LANGUAGES = frozenset({"ja", "zh", "th", "lo", "km", "my"})
# Shortest term (letters, spaces removed) that also hits at the start or end of a longer hashtag,
# and the fewest letters the rest of the hashtag must have (#casinonight yes, #heroine no).
COMPOUND_MIN = 6
COMPOUND_REST = 3
COMPETITOR_COMPOUND_MIN = 4
# Shortest term (letters) whose accent-free form also matches words typed without accents.
FOLD_MIN = 6
# Shortest stem before a trailing '*'.
STEM_MIN = 3
# Characters of a hashtag searched for terms inside it.
MAX_HASHTAG = 64
_CHUNK = 50_000


@dataclass(frozen=True)
class SafetyMatch:
    """One lexicon term found in a text."""

    category: str
    term: str
    language: str


@dataclass(frozen=True)
class SafetyResult:
    """Flags (categories, in :data:`CATEGORIES` order, then ``competitor``) and their evidence."""

    flags: tuple[str, ...] = ()
    matches: tuple[SafetyMatch, ...] = ()
    supported: bool = True  # False: the text's language has no lexicon

    @property
    def safe(self) -> bool:
        """No flag in a language the lexicons cover."""
        return not self.flags and self.supported

    def evidence(self) -> list[dict[str, str]]:
        return [{"category": m.category, "term": m.term, "language": m.language} for m in self.matches]


_EMPTY = SafetyResult()
_UNSUPPORTED = SafetyResult(supported=False)

# ------------------------------------------------------------------------------------ normalising
_SEP = "\x00"
_ARABIC_MAP = {ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا", ord("ٱ"): "ا", ord("ى"): "ي", ord("ة"): "ه"}
_ARABIC_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_CLITIC_INITIALS = frozenset(p[0] for p in _ARABIC_CLITICS)


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """``map[code point]`` → what it becomes after case folding: separators, punctuation, symbols
    and emoji → space; Arabic diacritics, tatweel, joiners and variation selectors → removed
    (``0xFFFFFFFF``); everything else stays (letters, marks, digits). ``nfkc[code point]``: the
    character changes under NFKC (full-width letters, ligatures, combining accents): texts with one
    are normalised first."""
    table = np.arange(0x110000, dtype=np.uint32)
    nfkc = np.zeros(0x110000, dtype=bool)
    remove = np.uint32(0xFFFFFFFF)
    for cp in range(0x32400):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat[0] in "PSZC" or cat == "Me" or cat in ("Nl", "No"):
            table[cp] = 0x20
        elif unicodedata.normalize("NFKC", ch) != ch:
            nfkc[cp] = True
    table[0x323FF + 1 :] = 0x20
    nfkc[0x0300:0x0370] = nfkc[[0x3099, 0x309A]] = True
    table[0x0300:0x0370] = remove  # stray combining accents (folding happens on whole words)
    table[0x064B:0x0660] = remove  # Arabic harakat
    table[[0x0670, 0x0640, 0x200C, 0x200D]] = remove  # superscript alef, tatweel, ZWNJ, ZWJ
    table[0xFE00:0xFE10] = remove
    for src, dst in _ARABIC_MAP.items():
        table[src] = ord(dst)
    table[0] = 0  # the separator of a batch survives
    table[ord("#")] = ord("#")  # hashtags stay marked (NFKC makes "＃" a "#")
    return table, nfkc


def normalise_batch(texts: Sequence[str]) -> list[str]:
    """NFKC, case folding, Arabic letter variants unified; non-letters become spaces."""
    n = len(texts)
    joined = _SEP.join(texts)
    if joined.count(_SEP) != n - 1:
        joined = _SEP.join(t.replace(_SEP, " ") for t in texts)
    table, nfkc = _tables()
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    changing = np.flatnonzero(nfkc[cps])
    if len(changing):  # normalise only the texts that need it
        parts = joined.split(_SEP)
        for doc in np.unique(np.searchsorted(np.flatnonzero(cps == 0), changing)):
            parts[doc] = unicodedata.normalize("NFKC", parts[doc])
        joined = _SEP.join(parts)
    cps = np.frombuffer(joined.casefold().encode("utf-32-le"), dtype=np.uint32)
    out = table[cps]
    out = out[out != 0xFFFFFFFF]
    return out.tobytes().decode("utf-32-le").split(_SEP)


def normalise(text: str) -> str:
    """One text as matching sees it, spaces collapsed."""
    return " ".join(normalise_batch([text])[0].split())


def fold(text: str) -> str:
    """:func:`normalise` and then accents removed from Latin letters (``cocaína`` → ``cocaina``)."""
    decomposed = unicodedata.normalize("NFD", normalise(text))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not 0x300 <= ord(c) < 0x370))


# ------------------------------------------------------------------------------------ lexicon
@dataclass
class _Index:
    words: dict[str, list[SafetyMatch]] = field(default_factory=dict)  # single words
    stems: dict[str, list[SafetyMatch]] = field(default_factory=dict)  # 'term*'
    phrases: dict[str, list[tuple[str, SafetyMatch]]] = field(default_factory=dict)  # first word -> phrases
    # spaceless forms found at the start or end of a hashtag, with the fewest letters left over
    compounds: dict[str, list[tuple[SafetyMatch, int]]] = field(default_factory=dict)
    substrings: dict[str, list[tuple[str, SafetyMatch]]] = field(default_factory=dict)  # first char -> terms

    def add(
        self,
        term: str,
        category: str,
        language: str,
        *,
        compound_min: int = COMPOUND_MIN,
        rest: int = COMPOUND_REST,
        term_as: str = "",
    ) -> None:
        raw = term.strip()
        stem = raw.endswith("*")
        core = raw.rstrip("*").strip()
        if not core:
            raise ReferenceDataError(f"safety lexicon: empty term in {language}/{category}")
        match = SafetyMatch(category, term_as or core, language)
        if language in UNSPACED_LANGUAGES and not _has_spaced_letters(core):
            key = normalise(core).replace(" ", "")
            if key:
                self.substrings.setdefault(key[0], []).append((key, match))
            return
        exact = normalise(core)
        folded = fold(core)
        # the accent-free form only for terms long enough not to be a common word elsewhere
        # (Turkish "piç" folded is English "pic", "göt" is "got")
        forms = [exact] if folded == exact or len(folded.replace(" ", "")) < FOLD_MIN else [exact, folded]
        for form in forms:
            words = form.split()
            if not words:
                continue
            if stem:
                if len(words) != 1 or len(words[0]) < STEM_MIN:
                    raise ReferenceDataError(
                        f"safety lexicon: {raw!r} ({language}/{category}): a stem is one word of at least "
                        f"{STEM_MIN} letters before its '*'"
                    )
                self.stems.setdefault(words[0], []).append(match)
                self.words.setdefault(words[0], []).append(match)
            elif len(words) == 1:
                self.words.setdefault(words[0], []).append(match)
            else:
                self.phrases.setdefault(words[0], []).append((" " + " ".join(words) + " ", match))
            compact = "".join(words)
            if len(compact) >= compound_min and not stem and form == exact:
                self.compounds.setdefault(compact, []).append((match, rest))
            if len(words) > 1:  # "glow lab" is also the word "glowlab" (#glowlab, @glowlab)
                self.words.setdefault(compact, []).append(match)


def _has_spaced_letters(term: str) -> bool:
    """Whether a ja/zh/th term is written in a space-separated script (e.g. Latin ``AV``)."""
    return term.isascii()


@dataclass(frozen=True)
class Lexicon:
    """Terms by language and category, as loaded from the reference table."""

    rows: tuple[tuple[str, str, str], ...]  # (language, category, term)
    source: str = ""

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r[0] for r in self.rows))

    def size(self, language: str) -> int:
        return sum(1 for r in self.rows if r[0] == language)

    def sizes(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for lang, cat, _ in self.rows:
            out.setdefault(lang, {}).setdefault(cat, 0)
            out[lang][cat] += 1
        return out


def load_lexicon(reference_dir: Path | None = None) -> Lexicon:
    """The ``safety_lexicons`` reference table (the user's copy when ``reference_dir`` has one)."""
    from microscout.reference import load_table

    table = load_table("safety_lexicons", reference_dir=reference_dir)
    rows = []
    for i, row in enumerate(table.rows, start=2):
        lang, cat, term = (str(row.get(k) or "").strip() for k in ("language", "category", "term"))
        if not (lang and cat and term):
            raise ReferenceDataError(f"{table.path}: row {i} needs language, category and term")
        rows.append((lang.lower(), cat.lower(), term))
    return Lexicon(tuple(rows), str(table.path))


# ------------------------------------------------------------------------------------ scanner
class SafetyScanner:
    """Matches a lexicon (and competitor brands) against batches of texts; thread-safe."""

    def __init__(self, lexicon: Lexicon, competitors: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self.competitors = tuple(dict.fromkeys(c.strip() for c in competitors if c and c.strip()))
        index = _Index()
        for lang, cat, term in lexicon.rows:
            index.add(term, cat, lang)
        for brand in self.competitors:
            name = brand.lstrip("@#")
            index.add(name, COMPETITOR, ANY_LANGUAGE, compound_min=COMPETITOR_COMPOUND_MIN, rest=1)
            spaced = _CAMEL.sub(" ", name)  # "GlowLab" is also "glow lab"
            if spaced != name:
                index.add(spaced, COMPETITOR, ANY_LANGUAGE, compound_min=COMPETITOR_COMPOUND_MIN, rest=1, term_as=name)
        self._index = index
        self._word_keys = frozenset(index.words)
        self._stem_keys = frozenset(index.stems)
        self._stem_lengths = tuple(sorted({len(k) for k in index.stems}))
        self._stem_heads = frozenset(k[:STEM_MIN] for k in index.stems)
        self._phrase_heads = frozenset(index.phrases)
        self._compound_lengths = tuple(sorted({len(k) for k in index.compounds}))
        self._compound_keys = frozenset(index.compounds)
        self._substring_heads = frozenset(index.substrings)
        self._order = {c: i for i, c in enumerate((*CATEGORIES, COMPETITOR))}
        self._covered = frozenset(lexicon.languages) - {ANY_LANGUAGE}

    def scan(
        self, texts: Sequence[str | None] | Any, languages: Sequence[str | None] | None = None
    ) -> list[SafetyResult]:
        """One :class:`SafetyResult` per text; ``languages`` (one code per text, optional) narrows
        the lexicons to that language, English and ``*``."""
        if hasattr(texts, "to_pylist"):
            texts = texts.to_pylist()
        elif hasattr(texts, "tolist"):
            texts = texts.tolist()
        values = ["" if t is None or t != t else str(t) for t in texts]
        if languages is not None and len(languages) != len(values):
            raise ValueError(f"{len(languages)} languages for {len(values)} texts")
        out: list[SafetyResult] = []
        for lo in range(0, len(values), _CHUNK):
            chunk = values[lo : lo + _CHUNK]
            langs = languages[lo : lo + _CHUNK] if languages is not None else None
            out.extend(self._scan_chunk(chunk, langs))
        return out

    def _scan_chunk(self, texts: list[str], languages: Sequence[str | None] | None) -> list[SafetyResult]:
        normalised = normalise_batch(texts) if texts else []
        results: list[SafetyResult] = []
        idx = self._index
        word_keys, stem_keys, stem_heads = self._word_keys, self._stem_keys, self._stem_heads
        stem_lengths, phrase_heads = self._stem_lengths, self._phrase_heads
        for i, text in enumerate(normalised):
            tokens = text.split()
            if not tokens:
                results.append(_EMPTY)
                continue
            tags: list[str] = []
            if "#" in text:  # hashtags are words; their text is also searched for compound terms
                tags = [t.lstrip("#")[:MAX_HASHTAG] for t in tokens if t[0] == "#"]
                tokens = [w for w in (t.lstrip("#") for t in tokens) if w]
            found: list[SafetyMatch] = []
            ascii_text = text.isascii()
            if not ascii_text and _ARABIC_RE.search(text):
                tokens = tokens + _arabic_variants(tokens)
            tset = set(tokens)
            for key in tset & word_keys:
                found.extend(idx.words[key])
            if stem_keys:
                for tok in tset:
                    if tok[:STEM_MIN] in stem_heads:
                        size = len(tok)
                        for n in stem_lengths:
                            if n >= size:
                                break
                            if tok[:n] in stem_keys:
                                found.extend(idx.stems[tok[:n]])
            heads = tset & phrase_heads
            if heads:
                padded = " " + " ".join(tokens) + " "
                for head in heads:
                    found.extend(m for phrase, m in idx.phrases[head] if phrase in padded)
            if tags:
                found.extend(self._compound_hits(tags))
            if not ascii_text and self._substring_heads:
                compact = text.replace(" ", "")
                for head in self._substring_heads.intersection(compact):
                    found.extend(m for key, m in idx.substrings[head] if key in compact)
            supported = True
            if languages is not None:
                lang = languages[i]
                if lang and lang != "und":
                    supported = lang in self._covered
                    if found:
                        found = [m for m in found if m.language in (lang, *ALWAYS) or m.category == COMPETITOR]
            if found:
                results.append(self._result(found, supported))
            else:
                results.append(_EMPTY if supported else _UNSUPPORTED)
        return results

    def _compound_hits(self, tags: list[str]) -> list[SafetyMatch]:
        """Terms at the start or end of a longer hashtag (``#casinonight``, ``#onlinecasino``),
        matched exactly (no accent folding inside hashtags)."""
        hits: list[SafetyMatch] = []
        keys, compounds = self._compound_keys, self._index.compounds
        for tag in tags:
            size = len(tag)
            for n in self._compound_lengths:
                if n >= size:
                    break
                for piece in {tag[:n], tag[-n:]} & keys:
                    hits.extend(m for m, rest in compounds[piece] if size - n >= rest)
        return hits

    def _result(self, found: list[SafetyMatch], supported: bool = True) -> SafetyResult:
        # one piece of evidence per category and term ("casino" is a term of several languages)
        unique = {(m.category, _canonical(m.term)): m for m in reversed(found)}
        ordered = sorted(unique.values(), key=lambda m: (self._order.get(m.category, 99), m.category, m.term))
        flags = tuple(dict.fromkeys(m.category for m in ordered))
        return SafetyResult(flags, tuple(ordered), supported)


@lru_cache(maxsize=65_536)
def _canonical(term: str) -> str:
    return fold(term)


_ARABIC_RE = re.compile(r"[\u0600-\u06FF]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _arabic_variants(tokens: list[str]) -> list[str]:
    """Arabic words without their leading clitics and article (والمخدرات → مخدرات)."""
    out: list[str] = []
    for tok in tokens:
        if tok[:1] in _CLITIC_INITIALS and len(tok) > 3:
            out.extend(tok[len(p) :] for p in _ARABIC_CLITICS if tok.startswith(p) and len(tok) - len(p) >= 3)
    return out


_SCANNERS: dict[tuple[str | None, tuple[str, ...]], SafetyScanner] = {}
_LOCK = threading.Lock()


def get_scanner(reference_dir: Path | None = None, competitors: Iterable[str] = ()) -> SafetyScanner:
    """A cached scanner over the reference lexicons plus these competitor brands."""
    comp = tuple(dict.fromkeys(c.strip() for c in competitors if c and c.strip()))
    key = (str(reference_dir) if reference_dir else None, comp)
    lexicon = load_lexicon(reference_dir)  # cached by the reference loader, re-read when the file changes
    with _LOCK:
        scanner = _SCANNERS.get(key)
        if scanner is None or scanner.lexicon != lexicon:
            scanner = _SCANNERS[key] = SafetyScanner(lexicon, comp)
    return scanner


def scan(
    texts: Sequence[str | None],
    *,
    competitors: Iterable[str] = (),
    languages: Sequence[str | None] | None = None,
    reference_dir: Path | None = None,
) -> list[SafetyResult]:
    """Flags and evidence per text (see the module documentation)."""
    return get_scanner(reference_dir, competitors).scan(texts, languages)


__all__ = [
    "CATEGORIES",
    "COMPETITOR",
    "UNSUPPORTED",
    "Lexicon",
    "SafetyMatch",
    "SafetyResult",
    "SafetyScanner",
    "fold",
    "get_scanner",
    "load_lexicon",
    "normalise",
    "scan",
]
