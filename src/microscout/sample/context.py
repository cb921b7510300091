"""Per-world context: markets, calibration, and the phrase banks expanded into Arrow arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from microscout.reference import load_table
from microscout.sample import banks as B
from microscout.sample._common import split_bank

MARKET_SHARE = {
    "US": 20,
    "GB": 7,
    "MX": 7,
    "ES": 5,
    "BR": 10,
    "FR": 6,
    "DE": 6,
    "IT": 5,
    "ID": 8,
    "JP": 6,
    "IN": 10,
    "TR": 5,
    "SA": 5,
}
N_CAP, N_SP, N_UNSAFE = 48, 12, 8
SUFFIXES = (
    "",
    "",
    "",
    "",
    " ✨",
    " 🙌",
    " ❤️",
    " !",
    " 📸",
    " 💫",
    " 😊",
    " (part 2)",
    " 🔥",
    " day 1",
    " #tbt",
    " ...",
)
THANKS = {
    "en": "thank you! 🙏",
    "es": "¡gracias! 🙏",
    "pt": "obrigada! 🙏",
    "fr": "merci ! 🙏",
    "de": "danke! 🙏",
    "it": "grazie! 🙏",
    "id": "makasih! 🙏",
    "ja": "ありがとう！🙏",
    "hi": "धन्यवाद! 🙏",
    "tr": "teşekkürler! 🙏",
    "ar": "شكراً! 🙏",
}
CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass
class Setup:
    """Per-world constants: markets, expanded banks (flattened Arrow arrays) and offsets."""

    markets: list[str]
    market_lang: list[list[str]]
    market_currency: list[str]
    market_offset: np.ndarray
    market_p: np.ndarray
    lang_index: dict[str, int]
    cap_bank: pa.Array
    cap_off: np.ndarray  # [lang, niche] -> offset of N_CAP normal captions
    sp_off: np.ndarray  # [lang, niche] -> offset of N_SP sponsored captions
    un_off: np.ndarray  # [lang, niche] -> offset of N_UNSAFE unsafe captions
    un_term: np.ndarray  # bank index -> unsafe term index (or -1)
    un_terms: list[list[str]]  # [lang] -> terms
    sp_brand: np.ndarray  # bank index -> brand index (or -1)
    suffix_bank: pa.Array
    disc_caption: pa.Array  # [market*3 + k] " #tag" strings, index 0 = ""
    tag_bank: pa.Array
    tag_off: np.ndarray  # [lang, niche] -> offset; N_TAG tags each
    n_tag: int
    disc_tag_off: int  # tag_bank index of market m's disclosure tag: disc_tag_off + m
    comment_bank: pa.Array
    comment_off: np.ndarray  # [lang] -> offset of per-language comments (8 each)
    generic_off: int
    thanks_off: int
    cal: dict[str, Any]
    seed: int = 0


def build_setup(seed: int) -> Setup:
    rows = load_table("markets").rows
    markets = [r["country"] for r in rows]
    market_lang = [str(r["languages"]).split("|") for r in rows]
    currency = [r["currency"] for r in rows]
    offset = np.array([float(r["utc_offset"]) for r in rows])
    p = np.array([MARKET_SHARE.get(m, 3) for m in markets], dtype=float)
    lang_index = {lang: i for i, lang in enumerate(B.LANGUAGES)}
    rng = np.random.default_rng(np.random.SeedSequence([seed, 999_999]))
    cities_by_lang: dict[str, list[str]] = {}
    for m, langs in zip(markets, market_lang, strict=False):
        for lang in langs:
            cities_by_lang.setdefault(lang, []).extend(split_bank(B.CITIES.get(m, "")))
    nl, nn = len(B.LANGUAGES), len(B.NICHES)
    caps: list[str] = []
    cap_off = np.zeros((nl, nn), dtype=np.int64)
    sp_off = np.zeros((nl, nn), dtype=np.int64)
    un_off = np.zeros((nl, nn), dtype=np.int64)
    un_term: list[int] = []
    sp_brand: list[int] = []
    un_terms = [split_bank(B.UNSAFE_TERMS[lang]) for lang in B.LANGUAGES]

    def pick(seq: list[str]) -> str:
        return seq[int(rng.integers(len(seq)))]

    for li, lang in enumerate(B.LANGUAGES):
        cities = cities_by_lang.get(lang) or ["home"]
        for ni, niche in enumerate(B.NICHES):
            kws, emo = split_bank(B.KEYWORDS[lang][ni]), split_bank(B.EMOJI[niche])
            cap_off[li, ni] = len(caps)
            for _ in range(N_CAP):
                a, b = rng.choice(len(kws), 2, replace=False)
                caps.append(pick(B.TEMPLATES[lang]).format(a=kws[a], b=kws[b], e=pick(emo), p=pick(cities)))
                un_term.append(-1)
                sp_brand.append(-1)
            sp_off[li, ni] = len(caps)
            for _ in range(N_SP):
                brand = int(rng.integers(len(B.BRANDS)))
                code = B.BRANDS[brand][:4].upper() + str(int(rng.integers(10, 30)))
                caps.append(pick(B.SPONSORED[lang]).format(a=pick(kws), e=pick(emo), brand=B.BRANDS[brand], code=code))
                un_term.append(-1)
                sp_brand.append(brand)
            un_off[li, ni] = len(caps)
            for _ in range(N_UNSAFE):
                t = int(rng.integers(len(un_terms[li])))
                caps.append(B.UNSAFE_TEMPLATES[lang].format(a=pick(kws), e=pick(emo), u=un_terms[li][t]))
                un_term.append(t)
                sp_brand.append(-1)
    disc = [""]
    for m in markets:
        tags = B.DISCLOSURE.get(m, ("ad",))
        disc.extend([" #" + tags[0], " #" + tags[-1]])
    # hashtag bank: per (lang, niche) N_TAG distinct tags
    tags_all: list[str] = []
    tag_off = np.zeros((nl, nn), dtype=np.int64)
    n_tag = 10
    for li, lang in enumerate(B.LANGUAGES):
        for ni, niche in enumerate(B.NICHES):
            own = [
                k.replace(" ", "").replace("-", "").replace("'", "").lower() for k in split_bank(B.KEYWORDS[lang][ni])
            ]
            en = [k.replace(" ", "").lower() for k in split_bank(B.KEYWORDS["en"][ni])]
            cand = [
                *own,
                niche.replace("_", ""),
                *split_bank(B.HANDLE_WORDS[niche]),
                *en,
                *split_bank(B.GENERIC_TAGS[lang]),
            ]
            short = niche.replace("_", "")
            cand += [f"{short}{x}" for x in ("life", "daily", "community", "tips", "lover")]
            uniq = list(dict.fromkeys(cand))[:n_tag]
            tag_off[li, ni] = len(tags_all)
            tags_all.extend(uniq)
    disc_tag_off = len(tags_all)
    tags_all.extend(B.DISCLOSURE.get(m, ("ad",))[0] for m in markets)
    comments: list[str] = []
    comment_off = np.zeros(nl, dtype=np.int64)
    for li, lang in enumerate(B.LANGUAGES):
        comment_off[li] = len(comments)
        comments.extend(B.COMMENTS[lang])
    generic_off = len(comments)
    comments.extend(B.GENERIC_COMMENTS)
    thanks_off = len(comments)
    comments.extend(THANKS[lang] for lang in B.LANGUAGES)
    cal = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return Setup(
        markets,
        market_lang,
        currency,
        offset,
        p / p.sum(),
        lang_index,
        pa.array(caps, pa.string()),
        cap_off,
        sp_off,
        un_off,
        np.array(un_term),
        un_terms,
        np.array(sp_brand),
        pa.array(SUFFIXES, pa.string()),
        pa.array(disc, pa.string()),
        pa.array(tags_all, pa.string()),
        tag_off,
        n_tag,
        disc_tag_off,
        pa.array(comments, pa.string()),
        comment_off,
        generic_off,
        thanks_off,
        cal,
        seed,
    )
