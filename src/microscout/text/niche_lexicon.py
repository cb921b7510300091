"""Keyword, hashtag and emoji evidence for niche classification (see :mod:`microscout.text.niche`).

Texts and taxonomy terms are folded the same way (NFKC, case-folded, Latin diacritics and Arabic
vowel marks dropped, Arabic letter variants unified). Every language of the taxonomy is matched at
once, so a German caption with English hashtags still counts.

- Space-separated scripts match whole words and word n-grams (longest first), with a light
  suffix tolerance for inflections (``recetas`` → ``receta``: common endings after a stem of at
  least 5 letters) and Arabic clitics (``بالبشرة`` → ``بشرة``). A word typed with accents only
  matches a term written with the same accents (French "même" is not the "mème" of
  entertainment); a word typed without accents matches either.
- Scripts written without spaces (Japanese, Chinese, Thai) match substrings; one-character terms
  (犬, 山) weigh half.
- A hashtag matches a whole term (``#zero_waste``, ``#casa``) or else the longest term it starts
  with and the longest it ends with (``#fitnessmotivation`` → ``fitness``, ``#instafood`` → ``food``).
- :data:`STOPWORDS`: frequent words of the supported languages that are a term of another
  language ("para": money in Turkish, "for" in Spanish) count only as a whole hashtag.
- :data:`EMOJI`: emoji that point at a niche weigh :data:`EMOJI_WEIGHT`.

A term listed under several niches splits its weight between them; each term counts once per text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from microscout.errors import InvalidInputError
from microscout.reference import load_table

_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
_LATIN_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670]")
_ACCENTS = re.compile("[\u0300-\u036f]")
_EXTRA = "\u0900-\u0dff\u0e00-\u0e7f\u200c\u200d"
_TOKEN = re.compile(rf"(#?)([\w{_EXTRA}]+)")
_NOSPACE = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ب")
_ARABIC_SUFFIXES = ("ها", "نا", "كم", "ي", "ك")
# Inflection endings tolerated after a term (plurals, gender, verb forms), longest first.
_ENDINGS = ("ing", "ler", "lar", "es", "en", "er", "ed", "as", "os", "s", "e", "n", "a", "o", "i")

# Frequent words of the supported languages that are also a taxonomy term in another language
# ("para" is money in Turkish, "for" in Spanish; "time" is a team in Portuguese). They only
# count as a whole hashtag (#casa), never as a word of a caption.
_STOPWORD_TEXT = """
    the and but not for with you this that time live show set make far all new day get one out level best
    top free like love life fun real just more now see here into from have was are our your
    para por con que los las una mas pero sin todo hoy dia vez muy casa base como este esta
    com uma mais pra bem hoje sala sono isso aqui voce
    pas pour avec mais tout plus bien jour tres cette
    und mit der die das ist ein eine auch aber heute neu tor kita
    per che non una piu oggi anche questo sono
    dan yang di ke ini itu aku kamu buat tapi untuk ada baru hari sama udah kita tim
    ve bir bu da de ki ile icin cok ne ev yol kol kas fon
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Emoji that point at a niche (✏ 🌍 🌏 at two); variation selectors and skin tones are ignored.
EMOJI: dict[str, str] = {
    "beauty": "💄💅💋🧴🪞👄💇",
    "fashion": "👗👠👟🕶👜👛👕👖🧥👚🛍👒🥿👢🧣👔👙",
    "fitness": "💪🏋🏃🤸",
    "health_wellness": "🧘💆🩺💊",
    "food": "🍝🍕🍔🍣🍜🍰🥐🥑🍳🥗🌮🍩🍪🧁🍲🍛🍱🍤🥞🧀🍴🍽😋🥘🍞🥟🍦",
    "travel": "✈🧳🗺🏝🏖🗼🛫🛬🏨🌍🌏",
    "outdoors": "🏕⛺🥾⛰🏔🌲🧗🛶🏞🌄",
    "parenting": "👶🍼🤰🧸🚼👪🤱",
    "gaming": "🎮🕹👾",
    "tech": "💻📱⌨🖥🤖🔋🖱",
    "finance": "💰📈📉💸💵💶💳🏦🪙💹",
    "education": "📚✏🎓📖📝🎒",
    "music": "🎵🎶🎸🎤🎹🥁🎧🎙🎷🎺🎻",
    "art_design": "🎨🖌🖼🖍✏",
    "home_decor": "🏡🛋🪴🕯🛏🪑",
    "pets": "🐶🐱🐕🐈🐾🐩🐰🐹😺😹😾🐇",
    "sports": "⚽🏀🏈⚾🎾🏐🏆🏏🏸🥅🏟🏒🥊",
    "automotive": "🚗🏎🚙🏍🛞⛽🚘",
    "entertainment": "🎬🍿📺🎭🎞",
    "sustainability": "♻🌱🌍🌎🌏🫙",
}
EMOJI_WEIGHT = 0.5


def fold(text: str) -> str:
    """Case-, width- and accent-folded text: what keyword matching compares."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", t))
    return unicodedata.normalize("NFC", t).translate(_ARABIC)


def _tokens(folded: str) -> list[tuple[bool, list[str]]]:
    """``(is_hashtag, words)`` per token; ``_`` inside a token separates words."""
    out = []
    for mark, word in _TOKEN.findall(folded):
        words = [w for w in word.split("_") if w]
        if words:
            out.append((mark == "#", words))
    return out


# ------------------------------------------------------------------------------------ lexicon
@dataclass(frozen=True)
class Lexicon:
    """Folded taxonomy terms, each with a weight vector over :attr:`niches`."""

    niches: tuple[str, ...]
    phrases: dict[str, np.ndarray]  # space-joined folded words -> weights (caption words)
    compact: dict[str, np.ndarray]  # the same without spaces: what a hashtag starts or ends with
    tags: dict[str, np.ndarray]  # every term without spaces, stop words included: whole hashtags
    accented: frozenset[str]  # accented terms as written (case-folded): what an accented word must equal
    nospace: dict[str, np.ndarray]  # terms in scripts written without spaces (substrings)
    nospace_re: re.Pattern[str] | None
    emoji: dict[str, np.ndarray]
    emoji_re: re.Pattern[str] | None
    starts: dict[str, int]  # first word of a multi-word phrase -> its most words
    anchors: tuple[tuple[str, int], ...]  # (text, niche index) for the embedding prototypes


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())


def _has_accent(word: str) -> bool:
    return bool(_ACCENTS.search(unicodedata.normalize("NFD", word)))


def _split(text: str) -> list[tuple[bool, list[tuple[str, str | None]]]]:
    """Per token of ``text``: ``(is a hashtag, [(folded word, the word as written if accented), ...])``."""
    out = []
    for is_tag, parts in _tokens(_casefold(text)):
        words: list[tuple[str, str | None]] = []
        for p in parts:
            if p.isascii():
                words.append((p, None))
            else:
                words.append((fold(p), p if _has_accent(p) else None))
        out.append((is_tag, words))
    return out


def build_lexicon(rows: Sequence[Mapping[str, Any]]) -> Lexicon:
    """Build the matching lexicon and embedding anchors from taxonomy rows (``niches.json``)."""
    niches = tuple(str(r["id"]) for r in rows)
    if not niches:
        raise InvalidInputError("the niche taxonomy is empty")
    owners: dict[tuple[str, str], set[int]] = {}
    accented: set[str] = set()
    anchors: list[tuple[str, int]] = []
    for i, row in enumerate(rows):
        terms: list[str] = [str(row.get("name", "")), str(row["id"]).replace("_", " ")]
        for field in ("keywords", "hashtags"):
            for values in (row.get(field) or {}).values():
                terms.extend(str(v) for v in values)
                anchors.extend((str(v).replace("_", " "), i) for v in values)
        anchors.extend((str(text), i) for text in (row.get("description") or {}).values() if text)
        for term in terms:
            folded = fold(term).strip()
            if not folded:
                continue
            if _NOSPACE.search(folded):
                owners.setdefault(("nospace", folded.replace(" ", "")), set()).add(i)
                continue
            split = [w for _, parts in _split(term.replace("-", " ")) for w in parts]
            if not split:
                continue
            words = [w for w, _ in split]
            key = " ".join(words)
            owners.setdefault(("tag", key.replace(" ", "")), set()).add(i)
            if any(a for _, a in split):
                accented.add(" ".join(a or w for w, a in split))
            if len(words) > 1 or (len(key) > 2 and key not in STOPWORDS):
                owners.setdefault(("phrase", key), set()).add(i)
    for i, niche in enumerate(niches):
        for ch in EMOJI.get(niche, ""):
            owners.setdefault(("emoji", ch), set()).add(i)
    k = len(niches)
    tables: dict[str, dict[str, np.ndarray]] = {"phrase": {}, "tag": {}, "nospace": {}, "emoji": {}}
    for (kind, key), idx in owners.items():
        vec = np.zeros(k, dtype=np.float32)
        vec[sorted(idx)] = 1.0 / len(idx)
        if kind == "nospace" and len(key) == 1:
            vec *= 0.5  # one-character terms (犬, 山) are weaker evidence than words
        elif kind == "emoji":
            vec *= EMOJI_WEIGHT
        tables[kind][key] = vec
    phrases = tables["phrase"]
    compact: dict[str, np.ndarray] = {}
    for key, vec in phrases.items():
        compact.setdefault(key.replace(" ", ""), vec)
    nospace = tables["nospace"]
    pattern = None
    if nospace:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(nospace, key=len, reverse=True)))
    starts: dict[str, int] = {}
    for key in phrases:
        words = key.split(" ")
        if len(words) > 1:
            starts[words[0]] = max(starts.get(words[0], 0), len(words))
    emoji = tables["emoji"]
    emoji_re = re.compile("[" + "".join(sorted(emoji)) + "]") if emoji else None
    return Lexicon(
        niches,
        phrases,
        compact,
        tables["tag"],
        frozenset(accented),
        nospace,
        pattern,
        emoji,
        emoji_re,
        starts,
        tuple(anchors),
    )


_LEXICONS: dict[tuple[str, float], Lexicon] = {}
_LOCK = threading.Lock()


def load_lexicon(reference_dir: Path | None = None) -> Lexicon:
    """The lexicon of the shipped (or overridden) ``niches`` table, cached per file version."""
    table = load_table("niches", reference_dir=reference_dir)
    key = (str(table.path), table.path.stat().st_mtime)
    with _LOCK:
        lex = _LEXICONS.get(key)
        if lex is None:
            lex = build_lexicon(table.rows)
            _LEXICONS[key] = lex
        return lex


def _word_variants(word: str) -> Iterable[str]:
    if "\u0600" <= word[:1] <= "\u06ff":
        for p in _ARABIC_PREFIXES:
            if word.startswith(p) and len(word) - len(p) >= 2:
                stem = word[len(p) :]
                yield stem
                for s in _ARABIC_SUFFIXES:
                    if stem.endswith(s) and len(stem) - len(s) >= 2:
                        yield stem[: -len(s)]
        for s in _ARABIC_SUFFIXES:
            if word.endswith(s) and len(word) - len(s) >= 2:
                base = word[: -len(s)]
                yield base
                if base.endswith("ت"):
                    yield base[:-1] + "ه"
        return
    if word.isascii() or not _NOSPACE.search(word):
        # inflections: recetas -> receta, workouts -> workout, Rezepte -> Rezept
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 5:
                yield word[: -len(ending)]


def _affix(word: str, compact: Mapping[str, np.ndarray], min_len: int = 4) -> list[tuple[str, np.ndarray]]:
    """The longest term a word starts with and the longest it ends with (hashtags, compounds)."""
    found = []
    for size in range(len(word) - 2, min_len - 1, -1):
        vec = compact.get(word[:size])
        if vec is not None:
            found.append((word[:size], vec))
            break
    for size in range(len(word) - 2, min_len - 1, -1):
        vec = compact.get(word[-size:])
        if vec is not None:
            found.append((word[-size:], vec))
            break
    return found


def _accents_agree(words: Sequence[tuple[str, str | None]], accented: frozenset[str]) -> bool:
    """A phrase typed with accents must carry the term's own accents (même is not mème)."""
    if not any(a for _, a in words):
        return True
    return " ".join(a or w for w, a in words) in accented


def _matches(text: str, lexicon: Lexicon) -> dict[str, np.ndarray]:
    """Every taxonomy term (or emoji) found in ``text``, once each, with its weight vector."""
    seen: dict[str, np.ndarray] = {}
    if not text:
        return seen
    if lexicon.emoji_re is not None:
        for ch in lexicon.emoji_re.findall(text):
            seen.setdefault(ch, lexicon.emoji[ch])
    tokens = _split(text)
    if lexicon.nospace_re is not None and _NOSPACE.search(text):
        folded = fold(text)
        for m in lexicon.nospace_re.finditer(folded):
            seen.setdefault(m.group(0), lexicon.nospace[m.group(0)])
    words = [part for _, parts in tokens for part in parts]
    n_words = len(words)
    matched = [False] * n_words
    phrases, accented = lexicon.phrases, lexicon.accented
    for i, (word, _) in enumerate(words):  # multi-word phrases, longest first
        longest = lexicon.starts.get(word, 0)
        for n in range(min(longest, n_words - i), 1, -1):
            if any(matched[i : i + n]):
                continue
            key = " ".join(w for w, _ in words[i : i + n])
            vec = phrases.get(key)
            if vec is not None and _accents_agree(words[i : i + n], accented):
                seen.setdefault(key.replace(" ", ""), vec)
                matched[i : i + n] = [True] * n
                break
    for i, (word, accent) in enumerate(words):  # single words, then their inflections
        if matched[i]:
            continue
        vec = phrases.get(word)
        if vec is not None and (accent is None or accent in accented):
            seen.setdefault(word, vec)
            continue
        if _NOSPACE.search(word):
            continue
        for variant in _word_variants(word):
            vec = phrases.get(variant)
            if vec is not None:
                seen.setdefault(variant, vec)
                break
    # whole hashtags (#zero_waste counts as one) and what they start or end with
    tags = ["".join(w for w, _ in parts) for is_tag, parts in tokens if is_tag]
    for tag in tags:
        vec = lexicon.tags.get(tag)
        if vec is not None:
            seen.setdefault(tag, vec)
        elif len(tag) >= 6 and not _NOSPACE.search(tag):
            for term, v in _affix(tag, lexicon.compact):
                seen.setdefault(term, v)
    return seen


def keyword_evidence(texts: Sequence[str], lexicon: Lexicon) -> np.ndarray:
    """``(len(texts), n_niches)`` summed weights of the terms found in each text (each term once)."""
    out = np.zeros((len(texts), len(lexicon.niches)), dtype=np.float32)
    done: dict[str, int] = {}
    for row, text in enumerate(texts):
        if not text:
            continue
        first = done.get(text)
        if first is not None:  # repeated captions (templates, reposts) are matched once
            out[row] = out[first]
            continue
        done[text] = row
        found = _matches(text, lexicon)
        if found:
            out[row] = np.sum(list(found.values()), axis=0)
    return out


def explain(text: str, *, reference_dir: Path | None = None) -> dict[str, list[str]]:
    """The taxonomy terms (and emoji) found in ``text``, per niche: why it scores as it does."""
    lexicon = load_lexicon(reference_dir)
    out: dict[str, list[str]] = {}
    for term, vec in _matches(text, lexicon).items():
        for j in np.flatnonzero(vec):
            out.setdefault(lexicon.niches[j], []).append(term)
    return out


__all__ = [
    "EMOJI",
    "EMOJI_WEIGHT",
    "STOPWORDS",
    "Lexicon",
    "build_lexicon",
    "explain",
    "fold",
    "keyword_evidence",
    "load_lexicon",
]
