"""The sample-world generator: a deterministic, calibrated, chunked synthetic social world.

See ``docs/sample-world.md``. Everything is drawn from ``numpy.random.default_rng`` seeded by a
``SeedSequence(seed)`` per chunk, with a fixed reference "now" (2026-11-01T00:00:00Z), so the same
seed and parameters give byte-identical files. Per-post work is vectorised (numpy + Arrow
kernels); only per-creator strings (handles, names, bios) use small Python loops.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.errors import InvalidInputError
from microscout.reference import load_table
from microscout.sample import banks as B
from microscout.sample._io import TRUTH_SCHEMAS, Sink, arrow_schema, write_json

GENERATOR_VERSION = "1.0"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
NOW_US = int(NOW.timestamp()) * 1_000_000
DAY_US = 86_400 * 1_000_000
WEEK_US = 7 * DAY_US
SNAPSHOT_WEEKS = 26
DIFFICULTIES = ("easy", "realistic", "hard")
FORMATS = ("parquet", "jsonl", "csv")
TABLE_NAMES = (
    "creators",
    "creator_snapshots",
    "posts",
    "comments",
    "audience_accounts",
    "audience_edges",
    "deals",
    "fx_rates",
)

PLATFORMS = ("instagram", "tiktok", "youtube", "x", "bluesky")
PLATFORM_SHARE = np.array([0.45, 0.25, 0.12, 0.10, 0.08])
PREFIX = ("ig", "tt", "yt", "xx", "bs")
KINDS = {
    "instagram": (("post", 0.47), ("reel", 0.30), ("carousel", 0.18), ("story", 0.05)),
    "tiktok": (("video", 1.0),),
    "youtube": (("video", 0.6), ("short", 0.4)),
    "x": (("tweet", 1.0),),
    "bluesky": (("post", 1.0),),
}
KIND_NAMES = ("post", "reel", "carousel", "story", "video", "short", "tweet")
VIEW_KINDS = {"reel", "story", "video", "short"}
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
SECOND_LANGUAGE_SHARE = {"IN": 0.5, "ID": 0.15}  # share of creators using the 2nd language
BOT_FARM = ("IN", "ID", "BR", "TR", "MX")  # countries bought followers mostly come from

# Tier mix of creators (REFERENCE.md D7: nano ~ 58-81 % of IG creators, micro ~ 14-45 %).
TIERS = (
    (300, 1_000, 0.04),
    (1_000, 10_000, 0.67),
    (10_000, 100_000, 0.25),
    (100_000, 500_000, 0.03),
    (500_000, 1_000_000, 0.007),
    (1_000_000, 5_000_000, 0.003),
)

# TikTok ER by views (Modash Nov 2025 "average" band mid-points, D2) and YouTube ER by views
# (Modash, D3), as (log10 followers, ER %) knots; views per post / followers as power laws
# (assumption: TikTok 0.5 at 1k falling 0.35 per decade; YouTube 0.3 at 1k falling 0.3 per decade).
TIKTOK_ERV = ((3.35, 13.05), (3.85, 11.17), (4.35, 8.88), (4.85, 7.63), (5.35, 7.03), (5.85, 6.52), (6.5, 6.52))
YOUTUBE_ERV = ((3.35, 1.75), (3.85, 0.71), (4.35, 0.44), (4.85, 0.28), (5.35, 0.23), (5.85, 0.20), (6.5, 0.155))
VIEWS_PER_FOLLOWER = {"tiktok": (0.5, -0.35), "youtube": (0.3, -0.30), "instagram": (0.6, -0.2)}
# X and Bluesky: no published ER by tier (D4 says X brand ER is far below IG); assumed to be
# 25 % (X) and 35 % (Bluesky) of the Instagram curve.
ER_SCALE = {"x": 0.25, "bluesky": 0.35}

# Audience-account feature quantiles measured once on instafake/accounts_dev.csv (795 real and
# 160 fake accounts) at levels Q_LEVELS; sampled by piecewise-linear inverse CDF (Gaussian copula
# with one shared "activity" factor so followers/posts/bio co-vary as they do in the data).
Q_LEVELS = np.array([0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1])
REAL_Q = {
    "followers": [1, 70, 132, 219, 342, 512, 714, 970, 3257],
    "following": [4, 107, 161, 272, 420, 615, 872, 1114, 6640],
    "posts": [0, 1, 2, 8, 31, 79, 167, 292, 1058],
    "bio_length": [0, 0, 0, 0, 13, 37, 72, 109, 150],
    "username_length": [5, 7, 7, 9, 11, 13, 15, 16, 22],
    "username_digits": [0, 0, 0, 0, 0, 0, 1, 2, 7],
}
FAKE_Q = {
    "followers": [0, 0, 1, 9.5, 29, 102, 309, 496, 3208],
    "following": [0, 16, 103, 266, 1384, 2484, 4300, 6044, 7497],
    "posts": [0, 0, 0, 0, 0, 1, 3, 6, 396],
    "bio_length": [0, 0, 0, 0, 0, 8, 52, 75, 130],
    "username_length": [5, 7, 8, 9, 11, 13, 16, 19, 30],
    "username_digits": [0, 0, 0, 0, 1, 3, 4, 5, 10],
}
REAL_PIC, FAKE_PIC = 0.987, 0.575
REAL_PRIVATE, FAKE_PRIVATE = 0.730, 0.325
FEATURE_LOADING = {
    "followers": 0.7,
    "following": 0.4,
    "posts": 0.7,
    "bio_length": 0.4,
    "username_length": 0.0,
    "username_digits": -0.3,
}

# The known price function (documented in truth_price.json and docs/sample-world.md).
PRICE = {
    "a": 0.12,
    "b": 0.80,
    "c": 0.5,
    "noise_sigma": 0.25,
    "platform": {"instagram": 1.0, "tiktok": 0.7, "youtube": 1.8, "x": 0.4, "bluesky": 0.3},
    "market": {
        "US": 1.0,
        "GB": 0.95,
        "DE": 0.9,
        "FR": 0.85,
        "IT": 0.75,
        "ES": 0.75,
        "JP": 0.9,
        "SA": 0.8,
        "MX": 0.45,
        "BR": 0.45,
        "TR": 0.35,
        "IN": 0.3,
        "ID": 0.3,
    },
    "deliverable": {"post": 1.0, "reel": 1.3, "carousel": 1.1, "story": 0.5, "video": 1.0, "short": 0.5, "tweet": 1.0},
}
FX_BASE = {
    "USD": 1.0,
    "GBP": 0.78,
    "EUR": 0.92,
    "MXN": 18.5,
    "BRL": 5.4,
    "JPY": 150.0,
    "IDR": 16000.0,
    "INR": 85.0,
    "TRY": 38.0,
    "SAR": 3.75,
}

DIFFICULTY = {
    #            bought pod  both  mild  strong-bought  mild-bought  pod-strong pod-mild
    "easy": {
        "p_bought": 0.10,
        "p_pod": 0.07,
        "p_both": 0.03,
        "p_mild": 0.0,
        "strong_bought": (0.40, 0.60),
        "mild_bought": (0.10, 0.20),
        "pod_strong": (8, 15),
        "pod_mild": (3, 5),
        "pod_comments": (12, 25),
        "pod_mild_comments": (3, 6),
        "pod_ring_share": (0.9, 0.6),
        "p_viral": 0.01,
        "p_travel": 0.01,
        "p_off": 0.05,
        "off_share": (0.80, 0.95),
        "p_unsafe": 0.03,
        "unsafe_share": (0.30, 0.50),
        "p_disclosed": 0.75,
        "spread": 1.0,
        "fake_like_real": 0.0,
    },
    "realistic": {
        "p_bought": 0.10,
        "p_pod": 0.06,
        "p_both": 0.03,
        "p_mild": 1 / 3,
        "strong_bought": (0.30, 0.55),
        "mild_bought": (0.10, 0.20),
        "pod_strong": (5, 15),
        "pod_mild": (3, 5),
        "pod_comments": (8, 20),
        "pod_mild_comments": (2, 5),
        "pod_ring_share": (0.8, 0.5),
        "p_viral": 0.04,
        "p_travel": 0.04,
        "p_off": 0.05,
        "off_share": (0.60, 0.85),
        "p_unsafe": 0.03,
        "unsafe_share": (0.10, 0.30),
        "p_disclosed": 0.85,
        "spread": 1.0,
        "fake_like_real": 0.1,
    },
    "hard": {
        "p_bought": 0.11,
        "p_pod": 0.07,
        "p_both": 0.04,
        "p_mild": 0.7,
        "strong_bought": (0.25, 0.40),
        "mild_bought": (0.08, 0.18),
        "pod_strong": (5, 10),
        "pod_mild": (3, 5),
        "pod_comments": (5, 12),
        "pod_mild_comments": (1, 4),
        "pod_ring_share": (0.6, 0.35),
        "p_viral": 0.07,
        "p_travel": 0.07,
        "p_off": 0.05,
        "off_share": (0.50, 0.70),
        "p_unsafe": 0.03,
        "unsafe_share": (0.05, 0.15),
        "p_disclosed": 0.9,
        "spread": 1.2,
        "fake_like_real": 0.3,
    },
}
FRAUD_NAMES = ("none", "bought_followers", "engagement_pod", "both")
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
ProgressFn = Callable[[str, int, int], None]


def _split(s: str) -> list[str]:
    return s.split("|")


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


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


def _build_setup(seed: int) -> Setup:
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
            cities_by_lang.setdefault(lang, []).extend(_split(B.CITIES.get(m, "")))
    nl, nn = len(B.LANGUAGES), len(B.NICHES)
    caps: list[str] = []
    cap_off = np.zeros((nl, nn), dtype=np.int64)
    sp_off = np.zeros((nl, nn), dtype=np.int64)
    un_off = np.zeros((nl, nn), dtype=np.int64)
    un_term: list[int] = []
    sp_brand: list[int] = []
    un_terms = [_split(B.UNSAFE_TERMS[lang]) for lang in B.LANGUAGES]

    def pick(seq: list[str]) -> str:
        return seq[int(rng.integers(len(seq)))]

    for li, lang in enumerate(B.LANGUAGES):
        cities = cities_by_lang.get(lang) or ["home"]
        for ni, niche in enumerate(B.NICHES):
            kws, emo = _split(B.KEYWORDS[lang][ni]), _split(B.EMOJI[niche])
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
            own = [k.replace(" ", "").replace("-", "").replace("'", "").lower() for k in _split(B.KEYWORDS[lang][ni])]
            en = [k.replace(" ", "").lower() for k in _split(B.KEYWORDS["en"][ni])]
            cand = [*own, niche.replace("_", ""), *_split(B.HANDLE_WORDS[niche]), *en, *_split(B.GENERIC_TAGS[lang])]
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


def _interp_log(knots: Any, log_f: np.ndarray) -> np.ndarray:
    xs = np.array([k[0] for k in knots])
    ys = np.log10(np.array([k[1] for k in knots]))
    return np.asarray(10 ** np.interp(log_f, xs, ys))


def _pareto(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Truncated Pareto (alpha = 1) between lo and hi: density falls with followers."""
    u = rng.random(len(lo))
    return np.asarray(lo / (1 - u * (1 - lo / hi)))


def _ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pa.array(nums, pa.int64()).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, s, "")


def _list_array(counts: np.ndarray, values: pa.Array) -> pa.Array:
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _sample_quantiles(q: list[float], u: np.ndarray) -> np.ndarray:
    return np.asarray(np.interp(u, Q_LEVELS, np.asarray(q, dtype=float)))


def _phi(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-1.702 * x)))


def _ts(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype(np.int64), pa.timestamp("us", tz="UTC"))


def _check(creators: int, posts_per_creator: int, seed: int, difficulty: str, fmt: str, chunk_creators: int) -> None:
    if difficulty not in DIFFICULTIES:
        raise InvalidInputError(f"--difficulty must be one of {', '.join(DIFFICULTIES)} (got {difficulty!r})")
    if fmt not in FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    for name, value in (
        ("--creators", creators),
        ("--posts-per-creator", posts_per_creator),
        ("--chunk-creators", chunk_creators),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"{name} must be an integer >= 1 (got {value!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInputError(f"--seed must be an integer >= 0 (got {seed!r})")


def generate_world(
    out_dir: Path,
    *,
    creators: int,
    posts_per_creator: int,
    seed: int,
    difficulty: str = "realistic",
    fmt: str = "parquet",
    chunk_creators: int = 5000,
    progress: ProgressFn | None = None,
) -> dict:
    """Generate a sample world into ``out_dir`` in the canonical file format.

    Writes ``creators``, ``creator_snapshots``, ``posts``, ``comments``, ``audience_accounts``,
    ``audience_edges``, ``deals``, ``fx_rates`` (``<table>.<fmt>``), the planted truths
    ``truth_creators.<fmt>``, ``truth_sponsored.<fmt>`` and ``truth_price.json``, and
    ``world.json``. Same arguments -> byte-identical files. Returns a summary dict.
    """
    _check(creators, posts_per_creator, seed, difficulty, fmt, chunk_creators)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    setup = _build_setup(seed)
    sinks = {name: Sink(out, name, arrow_schema(name), fmt) for name in TABLE_NAMES}
    for name, schema in TRUTH_SCHEMAS.items():
        sinks[name] = Sink(out, name, schema, fmt)
    handles_seen: list[set[str]] = [set() for _ in PLATFORMS]
    n_chunks = (creators + chunk_creators - 1) // chunk_creators
    try:
        for ci in range(n_chunks):
            c0 = ci * chunk_creators
            c1 = min(creators, c0 + chunk_creators)
            rng = np.random.default_rng(np.random.SeedSequence([seed, ci]))
            _Chunk(setup, rng, ci, c0, c1, posts_per_creator, DIFFICULTY[difficulty], handles_seen, sinks).run()
            if progress is not None:
                progress("creators", c1, creators)
        sinks["fx_rates"].write(_fx_rows(seed))
    finally:
        for s in sinks.values():
            s.close()
    counts = {name: sinks[name].rows for name in TABLE_NAMES}
    truth_counts = {name: sinks[name].rows for name in TRUTH_SCHEMAS}
    write_json(out / "truth_price.json", _price_doc(setup))
    files = sorted([s.path.name for s in sinks.values()] + ["truth_price.json", "world.json"])
    world = {
        "generator": "microscout.sample",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "difficulty": difficulty,
        "format": fmt,
        "creators": creators,
        "posts_per_creator": posts_per_creator,
        "chunk_creators": chunk_creators,
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counts": counts,
        "truth_counts": truth_counts,
        "files": files,
        "calibration": setup.cal["er_fit"],
    }
    write_json(out / "world.json", world)
    return {**world, "out_dir": str(out), "seconds": round(time.perf_counter() - started, 3)}


def _price_doc(setup: Setup) -> dict[str, Any]:
    return {
        "formula": "fee_usd = a * followers^b * (1 + c * er_residual) * platform[p] * market[m]"
        " * deliverable[d] * exp(N(0, noise_sigma)); fee = fee_usd * fx(USD->currency,"
        " first day of the deal month)",
        "er_residual": "log10(true_er / expected ER for the platform at that follower count), clipped to [-0.6, 0.6]",
        "price_factor": "truth_creators.price_factor = (1 + c * er_residual) * platform * market",
        "followers": "the creator's current follower count (creators.followers)",
        **PRICE,
        "currencies": dict(zip(setup.markets, setup.market_currency, strict=False)),
    }


def _fx_rate(seed: int, currency: str, month: int) -> float:
    """USD -> currency on the first day of month ``month`` months before NOW's month (0..12)."""
    base = FX_BASE[currency]
    if currency == "USD":
        return 1.0
    k = sorted(FX_BASE).index(currency)
    phase = (seed % 997) * 0.013 + k
    return base * (1 + 0.03 * np.sin(phase + month * 0.7) - 0.002 * month * ((k % 3) - 1))


def _month_start(months_back: int) -> date:
    y, m = NOW.year, NOW.month - months_back
    while m < 1:
        m += 12
        y -= 1
    return date(y, m, 1)


def _fx_rows(seed: int) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {"base": [], "quote": [], "rate_date": [], "rate": []}
    for cur in sorted(FX_BASE):
        if cur == "USD":
            continue
        for mb in range(13, -1, -1):
            rows["base"].append("USD")
            rows["quote"].append(cur)
            rows["rate_date"].append(_month_start(mb))
            rows["rate"].append(Decimal(f"{_fx_rate(seed, cur, mb):.8f}"))
    return rows


class _Chunk:
    """Generate and write one chunk of creators with everything that hangs off them."""

    def __init__(
        self,
        setup: Setup,
        rng: np.random.Generator,
        index: int,
        c0: int,
        c1: int,
        n_posts: int,
        diff: dict[str, Any],
        handles_seen: list[set[str]],
        sinks: dict[str, Sink],
    ) -> None:
        self.s, self.rng, self.index, self.c0, self.c1 = setup, rng, index, c0, c1
        self.P, self.d, self.handles_seen, self.sinks = n_posts, diff, handles_seen, sinks
        self.n = c1 - c0

    # ------------------------------------------------------------------ creators
    def run(self) -> None:
        self._creators()
        self._snapshots()
        self._posts()
        self._audience_and_comments()
        self._deals()
        self._truth()

    def _creators(self) -> None:
        s, rng, n, d = self.s, self.rng, self.n, self.d
        self.gid = np.arange(self.c0, self.c1)
        self.plat = rng.choice(len(PLATFORMS), n, p=PLATFORM_SHARE)
        self.mkt = rng.choice(len(s.markets), n, p=s.market_p)
        lang = np.array([s.lang_index[s.market_lang[m][0]] for m in self.mkt])
        second = np.array([s.lang_index[s.market_lang[m][-1]] for m in self.mkt])
        p2 = np.array([SECOND_LANGUAGE_SHARE.get(s.markets[m], 0.0) for m in self.mkt])
        self.lang = np.where(rng.random(n) < p2, second, lang)
        nn = len(B.NICHES)
        niche_w = np.array([9, 9, 8, 6, 9, 7, 4, 5, 6, 5, 4, 4, 5, 4, 5, 5, 5, 3, 6, 3], float)
        self.n1 = rng.choice(nn, n, p=niche_w / niche_w.sum())
        self.has2 = rng.random(n) < 0.4
        self.n2 = (self.n1 + rng.integers(1, nn, n)) % nn
        tier = rng.choice(len(TIERS), n, p=[t[2] for t in TIERS])
        lo = np.array([t[0] for t in TIERS], float)[tier]
        hi = np.array([t[1] for t in TIERS], float)[tier]
        self.followers = np.round(_pareto(rng, lo, hi)).astype(np.int64)
        # fraud
        u = rng.random(n)
        pb, pp, pbo = d["p_bought"], d["p_pod"], d["p_both"]
        self.fraud = np.select([u < pb, u < pb + pp, u < pb + pp + pbo], [1, 2, 3], 0)
        self.mild = rng.random(n) < d["p_mild"]
        bought = (self.fraud == 1) | (self.fraud == 3)
        lo_s, hi_s = (
            np.where(self.mild, d["mild_bought"][0], d["strong_bought"][0]),
            np.where(self.mild, d["mild_bought"][1], d["strong_bought"][1]),
        )
        self.bought = np.where(bought, lo_s + (hi_s - lo_s) * rng.random(n), 0.0)
        clean = self.fraud == 0
        v = rng.random(n)
        self.odd = np.where(
            clean & (v < d["p_viral"]),
            1,
            np.where(clean & (v >= d["p_viral"]) & (v < d["p_viral"] + d["p_travel"]), 2, 0),
        )
        travel = B.NICHES.index("travel")
        fix = (self.odd == 2) & (self.n1 != travel)
        self.n2 = np.where(fix, travel, self.n2)
        self.has2 = self.has2 | fix
        self.off = rng.random(n) < d["p_off"]
        self.off_share = d["off_share"][0] + (d["off_share"][1] - d["off_share"][0]) * rng.random(n)
        self.unsafe = rng.random(n) < d["p_unsafe"]
        self.unsafe_share = d["unsafe_share"][0] + (d["unsafe_share"][1] - d["unsafe_share"][0]) * rng.random(n)
        # engagement levels
        cal = s.cal
        self.f_org = np.maximum(self.followers * (1 - self.bought), 50.0)
        lf = np.log10(self.f_org)
        ig = _interp_log(
            list(zip(cal["instagram_curve"]["log10_followers"], cal["instagram_curve"]["er_percent"], strict=False)), lf
        )
        spread = cal["er_fit"]["between_sd_log10"] * d["spread"]
        self.cm = 10 ** rng.normal(0, spread, n)
        pname = np.array(PLATFORMS)[self.plat]
        vf = np.ones(n)
        erv = np.zeros(n)
        er_f = ig.copy()
        for p, scale in ER_SCALE.items():
            er_f = np.where(pname == p, ig * scale, er_f)
        for p, knots in (("tiktok", TIKTOK_ERV), ("youtube", YOUTUBE_ERV)):
            a, slope = VIEWS_PER_FOLLOWER[p]
            m = pname == p
            vf = np.where(m, a * (self.f_org / 1000) ** slope, vf)
            erv = np.where(m, _interp_log(knots, lf), erv)
        self.video = (pname == "tiktok") | (pname == "youtube")
        self.vmult = 10 ** rng.normal(0, 0.2, n)
        self.vf, self.erv = vf * self.vmult, erv
        # expected per-post ER (fraction of *displayed* followers, median post)
        base = np.where(self.video, self.vf * erv, er_f) / 100 * self.cm
        self.er_org = base  # per organic follower
        self.true_er = base * self.f_org / self.followers
        expected = np.where(self.video, vf * erv, er_f) / 100
        self.er_resid = np.clip(np.log10(np.maximum(self.true_er, 1e-9) / expected), -0.6, 0.6)
        cr = cal["comment_ratio"]
        plat_cr = np.array([1.0, 0.5, 1.5, 1.0, 1.0])[self.plat]
        self.cratio = cr["median"] * plat_cr * 10 ** rng.normal(0, cr["sd_log10"], n)
        cad = cal["cadence"]
        plat_cad = np.array([1.0, 1.5, 0.5, 4.0, 3.0])[self.plat]
        # creators post ~3x as often as the personal accounts of the calibration data
        self.ppw = np.clip(
            3 * cad["posts_per_week_median"] * plat_cad * 10 ** rng.normal(0, cad["sd_log10"] * 0.6, n), 0.3, 30
        )
        self.following = np.clip(10 ** rng.normal(2.7, 0.4, n), 5, 7500).astype(np.int64)
        self.verified = rng.random(n) < np.clip((np.log10(self.followers) - 4.3) / 3, 0.003, 0.7)
        self.business = rng.random(n) < np.where(self.followers > 10_000, 0.55, 0.35)
        self.extra_posts = rng.integers(0, 300, n)
        self.pod = np.full(n, -1)
        self._pods()
        self._names()
        pname_list = pname.tolist()
        self.creator_id = _ids("", self.gid, 7)
        self.creator_id = pc.binary_join_element_wise(
            pa.array([PREFIX[p] for p in self.plat], pa.string()), self.creator_id, ""
        )
        self.pname = pa.array(pname_list, pa.string())
        decl = np.where(rng.random(n) < 0.15, None, np.array(s.markets, dtype=object)[self.mkt])
        lang_code = np.array(B.LANGUAGES, dtype=object)[self.lang]
        first_seen = NOW_US - (SNAPSHOT_WEEKS - 1) * WEEK_US
        emails = [
            f"{h.replace('.bsky.social', '').replace('_', '.')}@example.com" if b and e else None
            for h, b, e in zip(self.handles, self.business, rng.random(n) < 0.5, strict=False)
        ]
        urls = [self._profile_url(p, h) for p, h in zip(pname_list, self.handles, strict=False)]
        self.sinks["creators"].write(
            {
                "platform": self.pname,
                "creator_id": self.creator_id,
                "handle": self.handles,
                "display_name": self.display,
                "bio": self.bios,
                "followers": self.followers,
                "following": self.following,
                "posts_count": self.P + self.extra_posts,
                "verified": self.verified,
                "is_business": self.business,
                "declared_country": decl.tolist(),
                "declared_language": lang_code.tolist(),
                "contact_email": emails,
                "profile_url": urls,
                "first_seen": _ts(np.full(n, first_seen)),
                "last_seen": _ts(np.full(n, NOW_US)),
            }
        )

    @staticmethod
    def _profile_url(platform: str, handle: str) -> str:
        return {
            "instagram": f"https://www.instagram.com/{handle}/",
            "tiktok": f"https://www.tiktok.com/@{handle}",
            "youtube": f"https://www.youtube.com/@{handle}",
            "x": f"https://x.com/{handle}",
            "bluesky": f"https://bsky.app/profile/{handle}",
        }[platform]

    def _pods(self) -> None:
        """Group pod creators (same platform) into pods; each pod has a ring of accounts."""
        rng, d = self.rng, self.d
        members = np.flatnonzero((self.fraud == 2) | (self.fraud == 3))
        members = members[np.argsort(self.plat[members], kind="stable")]
        self.pod_mild: list[bool] = []
        self.pod_ring: list[int] = []
        self.pod_mkt: list[int] = []
        i, k = 0, 0
        while i < len(members):
            mild = bool(rng.random() < d["p_mild"])
            lo, hi = d["pod_mild"] if mild else d["pod_strong"]
            size = int(rng.integers(lo, hi + 1))
            group = members[i : i + size]
            group = group[self.plat[group] == self.plat[group[0]]]
            self.pod[group] = k
            self.mild[group] = mild
            self.pod_mild.append(mild)
            self.pod_ring.append(max(10, 2 * size))
            self.pod_mkt.append(int(np.bincount(self.mkt[group]).argmax()))
            i += len(group)
            k += 1
        self.pod_ring_off = np.concatenate([[0], np.cumsum(self.pod_ring)]).astype(np.int64)

    def _names(self) -> None:
        s, rng, n = self.s, self.rng, self.n
        r = rng.random((n, 8))
        handles, display, bios = [], [], []
        for i in range(n):
            lang = B.LANGUAGES[self.lang[i]]
            names = [x.split("=") for x in _split(B.NAMES[lang])]
            nm = names[int(r[i, 0] * len(names))]
            latin, native = nm[0], nm[-1]
            n1 = B.NICHES[self.n1[i]]
            words = _split(B.HANDLE_WORDS[n1]) + [
                w for w in (_ascii(k) for k in _split(B.KEYWORDS[lang][self.n1[i]])) if w.isalpha() and len(w) <= 10
            ]
            word = words[int(r[i, 1] * len(words))]
            sep = ("", ".", "_")[int(r[i, 2] * 3)]
            style = int(r[i, 3] * 4)
            base = (
                f"{latin}{sep}{word}",
                f"{word}{sep}{latin}",
                f"{latin}{sep}{word}",
                f"{latin}{10 + int(r[i, 4] * 89)}",
            )[style]
            h = base
            seen = self.handles_seen[self.plat[i]]
            k = 1
            while h in seen:
                h = f"{base}{sep or '_'}{k + int(r[i, 5] * 9)}" if k < 4 else f"{base}{self.gid[i]}"
                k += 1
            seen.add(h)
            if PLATFORMS[self.plat[i]] == "bluesky":
                h = f"{h.replace('_', '-')}.bsky.social"
            handles.append(h)
            kws = _split(B.KEYWORDS[lang][self.n1[i]])
            kw2 = _split(B.KEYWORDS[lang][self.n2[i] if self.has2[i] else self.n1[i]])
            pretty = native if native != latin else latin.capitalize()
            display.append(pretty if r[i, 6] < 0.5 else f"{pretty} | {kws[0]}")
            cities = _split(B.CITIES.get(s.markets[self.mkt[i]], "")) or [""]
            tmpl = B.BIOS[lang][int(r[i, 7] * len(B.BIOS[lang]))]
            emo = _split(B.EMOJI[n1])
            bios.append(
                tmpl.format(
                    a=kws[0], b=kw2[-1], city=cities[int(r[i, 4] * len(cities))], e=emo[int(r[i, 5] * len(emo))]
                )
            )
        self.handles, self.display, self.bios = handles, display, bios

    # ------------------------------------------------------------------ snapshots
    def _snapshots(self) -> None:
        rng, n, W = self.rng, self.n, SNAPSHOT_WEEKS
        weeks_back = (W - 1 - np.arange(W))[None, :].astype(float)  # 25 .. 0
        g = np.clip(10 ** rng.normal(-2.3, 0.3, n), 0.0005, 0.03)[:, None]  # weekly growth
        noise = np.cumsum(rng.normal(0, 0.002, (n, W)), axis=1)
        noise -= noise[:, -1:]
        org = self.f_org[:, None] * np.exp(-g * weeks_back + noise)
        self.spike_week = rng.integers(4, W - 3, n)
        wk = np.arange(W)[None, :]
        # bought followers: arrive at spike_week (strong: at once; mild: over 2-3 weeks)
        ramp = np.where(self.mild[:, None], 3.0, 1.0)
        frac = np.clip((wk - self.spike_week[:, None] + 1) / ramp, 0, 1)
        bought_n = (self.followers * self.bought)[:, None] * frac
        # honest viral spike: organic followers jump by 25-60 % at spike_week
        jump = np.where(self.odd == 1, 0.25 + 0.35 * rng.random(n), 0.0)[:, None]
        org = org / np.where(wk < self.spike_week[:, None], 1 + jump, 1.0)
        fol = np.round(org + bought_n).astype(np.int64)
        fol[:, -1] = self.followers
        self.snap_us = NOW_US - (W - 1 - np.arange(W)).astype(np.int64) * WEEK_US
        self.snap_followers = fol
        self.growth = g[:, 0]

    # ------------------------------------------------------------------ posts
    def _posts(self) -> None:
        s, rng, n, P, d = self.s, self.rng, self.n, self.P, self.d
        N = n * P
        cidx = np.repeat(np.arange(n), P)
        k = np.tile(np.arange(P), n)
        self.post_creator = cidx
        # timing: gamma gaps with the creator's cadence, newest first
        gaps = rng.gamma(2.0, 1.0, (n, P)) * (3.5 / self.ppw)[:, None]  # days
        gaps[:, 0] = rng.random(n) * 2.0
        age_days = np.cumsum(gaps, axis=1).ravel()
        day = (NOW_US - (age_days * DAY_US).astype(np.int64)) // DAY_US * DAY_US
        local_hour = np.clip(rng.normal(17.0, 3.5, N), 6, 23.9)
        utc_hour = (local_hour - s.market_offset[self.mkt][cidx]) % 24
        pub = day + (utc_hour * 3600).astype(np.int64) * 1_000_000  # whole seconds
        pub = np.where(pub > NOW_US - 60_000_000, pub - DAY_US, pub)
        self.pub = pub
        # kinds
        plat = self.plat[cidx]
        kind = np.zeros(N, dtype=np.int64)
        u = rng.random(N)
        for pi, p in enumerate(PLATFORMS):
            names = [KIND_NAMES.index(x) for x, _ in KINDS[p]]
            cum = np.cumsum([w for _, w in KINDS[p]])
            sel = plat == pi
            kind[sel] = np.array(names)[np.searchsorted(cum, u[sel], side="right").clip(0, len(names) - 1)]
        self.kind = kind
        knames = np.array(KIND_NAMES)
        is_view = np.isin(kind, [KIND_NAMES.index(x) for x in VIEW_KINDS])
        story = kind == KIND_NAMES.index("story")
        # sponsorship, unsafe, viral
        sp_rate = np.where(self.business, 0.10, 0.055)[cidx]
        sponsored = rng.random(N) < sp_rate
        disclosed = sponsored & (rng.random(N) < d["p_disclosed"])
        unsafe_post = self.unsafe[cidx] & ~sponsored & (rng.random(N) < self.unsafe_share[cidx])
        viral = np.zeros(N, dtype=bool)
        vc = np.flatnonzero(self.odd == 1)
        if len(vc):
            t_spike = self.snap_us[self.spike_week[vc]]
            diff = np.abs(pub.reshape(n, P)[vc] - t_spike[:, None])
            viral[vc * P + diff.argmin(axis=1)] = True
        # engagement
        sigma = self.s.cal["post_sigma_ln"] * d["spread"]
        z = rng.normal(0, sigma, N)
        kind_mult = np.select([kind == 1, kind == 2, kind == 5], [1.25, 1.1, 1.2], 1.0)
        mult = np.exp(z) * kind_mult * np.where(sponsored, 0.85, 1.0) * np.where(viral, 15.0, 1.0)
        f_org = self.f_org[cidx]
        video = self.video[cidx]
        views_mu = np.where(video, f_org * self.vf[cidx], 0.0)
        views_mu = np.where(plat == 0, f_org * 0.6 * (f_org / 1000) ** -0.2 * self.vmult[cidx], views_mu)
        views_mu = np.where(story, self.followers[cidx] * 0.06, views_mu)
        views_mu = views_mu * np.exp(rng.normal(0, 0.5, N)) * np.where(viral, 15.0, 1.0)
        views = rng.poisson(views_mu)
        eng_mu = np.where(
            video,
            views * self.erv[cidx] / 100 * self.cm[cidx] * np.exp(rng.normal(0, 0.3, N)),
            f_org * self.er_org[cidx] * mult,
        )
        eng = rng.poisson(np.maximum(eng_mu, 0))
        pc_ = self.cratio[cidx] / (1 + self.cratio[cidx])
        comments = rng.binomial(eng, pc_)
        likes = eng - comments
        # engagement pods: extra generic comments and likes from the ring
        in_pod = self.pod[cidx] >= 0
        pod_mild = np.array([*self.pod_mild, False], dtype=bool)[self.pod[cidx]]
        lo = np.where(pod_mild, d["pod_mild_comments"][0], d["pod_comments"][0])
        hi = np.where(pod_mild, d["pod_mild_comments"][1], d["pod_comments"][1])
        pod_c = np.where(in_pod, rng.integers(0, 1 << 30, N) % (hi - lo + 1) + lo, 0)
        comments = comments + pod_c
        likes = likes + np.where(in_pod, pod_c * 2 + rng.poisson(3, N), 0)
        self.post_comments = comments
        # shares/saves per platform (null where the platform does not expose them)
        shares = np.round(
            eng * np.select([plat == 1, plat == 3, plat == 4], [0.08, 0.15, 0.12], 0) * np.exp(rng.normal(0, 0.4, N))
        ).astype(np.int64)
        saves = np.round(
            eng * np.select([plat == 1, plat == 3], [0.10, 0.05], 0) * np.exp(rng.normal(0, 0.4, N))
        ).astype(np.int64)
        null_counts = story
        likes_a = pa.array(likes, pa.int64(), mask=null_counts)
        comments_a = pa.array(comments, pa.int64(), mask=null_counts)
        shares_a = pa.array(shares, pa.int64(), mask=~np.isin(plat, [1, 3, 4]) | null_counts)
        saves_a = pa.array(saves, pa.int64(), mask=~np.isin(plat, [1, 3]) | null_counts)
        views_a = pa.array(views, pa.int64(), mask=~is_view)
        # captions
        lang = self.lang[cidx]
        use2 = self.has2[cidx] & (rng.random(N) < 0.4)
        niche = np.where(use2, self.n2[cidx], self.n1[cidx])
        travel = B.NICHES.index("travel")
        cap_idx = s.cap_off[lang, niche] + rng.integers(0, N_CAP, N)
        cap_idx = np.where(sponsored, s.sp_off[lang, niche] + rng.integers(0, N_SP, N), cap_idx)
        cap_idx = np.where(unsafe_post, s.un_off[lang, niche] + rng.integers(0, N_UNSAFE, N), cap_idx)
        self.unsafe_term_idx = np.where(unsafe_post, s.un_term[cap_idx], -1)
        mode = rng.random(N)  # disclosure: caption only / hashtags only / both
        tag_in_caption = disclosed & (mode < 0.7)
        tag_in_tags = disclosed & (mode >= 0.5)
        mk = self.mkt[cidx]
        disc_idx = np.where(tag_in_caption, 1 + 2 * mk + (rng.random(N) < 0.3), 0)
        suffix_idx = rng.integers(0, len(SUFFIXES), N)
        caption = pc.binary_join_element_wise(
            s.cap_bank.take(pa.array(cap_idx)),
            s.suffix_bank.take(pa.array(suffix_idx)),
            s.disc_caption.take(pa.array(disc_idx)),
            "",
        )
        # hashtags
        habit = np.clip(10 ** rng.normal(0.4, 0.35, n), 0, 8)[cidx]
        h = np.minimum(rng.poisson(habit), s.n_tag)
        start = rng.integers(0, s.n_tag, N)
        total = h + tag_in_tags
        owner = np.repeat(np.arange(N), total)
        pos = np.arange(total.sum()) - np.repeat(np.cumsum(total) - total, total)
        is_disc = pos >= h[owner]
        tag_vals = np.where(
            is_disc, s.disc_tag_off + mk[owner], s.tag_off[lang[owner], niche[owner]] + (start[owner] + pos) % s.n_tag
        )
        hashtags = _list_array(total, s.tag_bank.take(pa.array(tag_vals)))
        # mentions: brand for sponsored posts; a few shout-outs to other creators in the chunk
        brand = np.where(sponsored, s.sp_brand[cap_idx], -1)
        shout = ~sponsored & (rng.random(N) < 0.04)
        m_count = ((brand >= 0) | shout).astype(np.int64)
        m_vals = np.where(brand >= 0, brand, len(B.BRANDS) + rng.integers(0, n, N))[m_count > 0]
        mention_bank = pa.array(list(B.BRANDS) + [x.split(".bsky.social")[0] for x in self.handles])
        mentions = _list_array(m_count, mention_bank.take(pa.array(m_vals)))
        # location: tagged on ~35 % of posts; home market, abroad for travel posts
        tagged = rng.random(N) < 0.35
        abroad_p = np.where(
            self.odd[cidx] == 2, np.where(niche == travel, 0.85, 0.3), np.where(niche == travel, 0.35, 0.03)
        )
        abroad = rng.random(N) < abroad_p
        tagged = tagged | (abroad & (self.odd[cidx] == 2))
        other = (mk + rng.integers(1, len(s.markets), N)) % len(s.markets)
        loc = np.where(abroad, other, mk)
        loc_a = pa.array(np.array(s.markets, dtype=object)[loc], pa.string(), mask=~tagged)
        # ids and urls
        width = max(3, len(str(P - 1)))
        self.post_id = pc.binary_join_element_wise(self.creator_id.take(pa.array(cidx)), _ids("p", k, width), "")
        handle_a = pa.array(self.handles, pa.string()).take(pa.array(cidx))
        prefixes = pa.array(
            [
                "https://www.instagram.com/p/",
                "https://www.tiktok.com/@",
                "https://www.youtube.com/watch?v=",
                "https://x.com/",
                "https://bsky.app/profile/",
            ]
        ).take(pa.array(plat))
        mids = pc.if_else(
            pa.array(np.isin(plat, [1, 3, 4])),
            pc.binary_join_element_wise(
                handle_a, pa.array(["", "/video/", "", "/status/", "/post/"]).take(pa.array(plat)), ""
            ),
            pa.scalar(""),
        )
        url = pc.binary_join_element_wise(prefixes, mids, self.post_id, "")
        # replies / quotes on x and bluesky
        xb = np.flatnonzero(np.isin(plat, [3, 4]))
        r = rng.random(N)
        reply = np.zeros(N, dtype=bool)
        quote = np.zeros(N, dtype=bool)
        target = np.zeros(N, dtype=np.int64)
        if len(xb):
            reply[xb] = r[xb] < 0.08
            quote[xb] = (r[xb] >= 0.08) & (r[xb] < 0.11)
            target[xb] = xb[rng.integers(0, len(xb), len(xb))]
        tgt = self.post_id.take(pa.array(target))
        null_str = pa.nulls(N, pa.string())
        reply_a = pc.if_else(pa.array(reply), tgt, null_str)
        quote_a = pc.if_else(pa.array(quote), tgt, null_str)
        self.sponsored, self.disclosed = sponsored, disclosed
        self.plat_post = plat
        self.sinks["posts"].write(
            {
                "platform": self.pname.take(pa.array(cidx)),
                "post_id": self.post_id,
                "creator_id": self.creator_id.take(pa.array(cidx)),
                "published_at": _ts(pub),
                "kind": pa.array(knames[kind], pa.string()),
                "caption": caption,
                "hashtags": hashtags,
                "mentions": mentions,
                "likes": likes_a,
                "comments": comments_a,
                "shares": shares_a,
                "saves": saves_a,
                "views": views_a,
                "is_sponsored": sponsored,
                "location_country": loc_a,
                "url": url,
                "reply_to": reply_a,
                "quote_of": quote_a,
                "repost_of": null_str,
            }
        )
        sp = np.flatnonzero(sponsored)
        self.sinks["truth_sponsored"].write(
            {
                "platform": self.pname.take(pa.array(cidx[sp])),
                "post_id": self.post_id.take(pa.array(sp)),
                "creator_id": self.creator_id.take(pa.array(cidx[sp])),
                "disclosed": disclosed[sp],
            }
        )
        # creator snapshots (posts_count at each observation)
        pub2 = pub.reshape(n, P)
        after = (pub2[:, None, :] > self.snap_us[None, :, None]).sum(axis=2)
        W = SNAPSHOT_WEEKS
        ccount = self.P + self.extra_posts
        self.sinks["creator_snapshots"].write(
            {
                "platform": self.pname.take(pa.array(np.repeat(np.arange(n), W))),
                "creator_id": self.creator_id.take(pa.array(np.repeat(np.arange(n), W))),
                "observed_at": _ts(np.tile(self.snap_us, n)),
                "followers": self.snap_followers.ravel(),
                "following": (self.following[:, None] + np.round(rng.normal(0, 3, (n, W))).astype(np.int64))
                .clip(0)
                .ravel(),
                "posts_count": np.maximum(ccount[:, None] - after, 0).ravel(),
            }
        )

    # ------------------------------------------------------------------ audience + comments
    def _features(self, fake: np.ndarray) -> dict[str, np.ndarray]:
        rng, M = self.rng, len(fake)
        z = rng.normal(0, 1, M)
        like_real = rng.random(M) < self.d["fake_like_real"]
        use_fake = fake & ~like_real
        out: dict[str, np.ndarray] = {}
        for col, load in FEATURE_LOADING.items():
            u = _phi(load * z + np.sqrt(1 - load * load) * rng.normal(0, 1, M))
            val = np.where(use_fake, _sample_quantiles(FAKE_Q[col], u), _sample_quantiles(REAL_Q[col], u))
            out[col] = np.round(val).astype(np.int64)
        out["has_profile_pic"] = rng.random(M) < np.where(use_fake, FAKE_PIC, REAL_PIC)
        out["is_private"] = rng.random(M) < np.where(use_fake, FAKE_PRIVATE, REAL_PRIVATE)
        out["has_external_url"] = rng.random(M) < np.where(use_fake, 0.02, 0.10)
        return out

    def _audience_and_comments(self) -> None:
        s, rng, n, d = self.s, self.rng, self.n, self.d
        nm = len(s.markets)
        NP = 8  # commenter pool per creator: 3 of the followers + 5 non-follower commenters
        nf = rng.integers(30, 61, n)
        per = nf + 5
        owner = np.repeat(np.arange(n), per)
        j = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
        is_follower = j < nf[owner]
        base_fake = 0.03 + 0.09 * rng.random(n)
        p_fake = base_fake + (1 - base_fake) * self.bought
        fake = is_follower & (rng.random(len(owner)) < p_fake[owner])
        fake |= ~is_follower & (rng.random(len(owner)) < 0.03)
        # country / language
        home_share = np.where(self.off, 1 - self.off_share, 0.82)
        home = rng.random(len(owner)) < home_share[owner]
        mk = self.mkt[owner]
        foreign = (mk + rng.integers(1, nm, len(owner))) % nm
        if self.off.any():
            # off-market audiences concentrate in one or two foreign markets
            focus = (self.mkt + rng.integers(1, nm, n)) % nm
            alt = np.where(rng.random(len(owner)) < 0.7, focus[owner], foreign)
            foreign = np.where(self.off[owner], alt, foreign)
        country = np.where(home, mk, foreign)
        bot_idx = np.array([s.markets.index(x) for x in BOT_FARM if x in s.markets])
        country = np.where(fake, bot_idx[rng.integers(0, len(bot_idx), len(owner))], country)
        lang_of_market = np.array([s.lang_index[s.market_lang[m][0]] for m in range(nm)])
        alang = np.where(home & ~fake, self.lang[owner], lang_of_market[country])
        unknown = rng.random(len(owner)) < np.where(fake, 0.4, 0.1)
        feats = self._features(fake)
        acc_id = pc.binary_join_element_wise(_ids("a", self.gid[owner], 7), _ids("_", j, 2), "")
        # pod ring accounts (real-looking engagement accounts)
        R = int(self.pod_ring_off[-1])
        ring_pod = np.repeat(np.arange(len(self.pod_ring)), self.pod_ring) if R else np.zeros(0, int)
        ring_j = np.arange(R) - self.pod_ring_off[:-1][ring_pod] if R else np.zeros(0, int)
        ring_id = pc.binary_join_element_wise(_ids(f"r{self.index:05d}_", ring_pod, 3), _ids("_", ring_j, 2), "")
        ring_feats = self._features(np.zeros(R, dtype=bool))
        ring_country = np.array(self.pod_mkt, dtype=np.int64)[ring_pod] if R else np.zeros(0, int)
        markets_obj = np.array(s.markets, dtype=object)
        langs_obj = np.array(B.LANGUAGES, dtype=object)
        all_country = np.concatenate([country, ring_country])
        all_unknown = np.concatenate([unknown, np.zeros(R, dtype=bool)])
        all_lang = np.concatenate([alang, lang_of_market[ring_country]])
        acc_plat = np.concatenate(
            [
                self.plat[owner],
                self.plat[np.array([np.flatnonzero(self.pod == p)[0] for p in ring_pod], dtype=np.int64)]
                if R
                else np.zeros(0, int),
            ]
        )
        plat_names = pa.array(list(PLATFORMS))
        self.sinks["audience_accounts"].write(
            {
                "platform": plat_names.take(pa.array(acc_plat)),
                "account_id": pa.concat_arrays([acc_id, ring_id]) if R else acc_id,
                **{
                    c: np.concatenate([feats[c], ring_feats[c]])
                    for c in (
                        "followers",
                        "following",
                        "posts",
                        "bio_length",
                        "has_profile_pic",
                        "is_private",
                        "username_length",
                        "username_digits",
                        "has_external_url",
                    )
                },
                "country": pa.array(markets_obj[all_country], pa.string(), mask=all_unknown),
                "language": pa.array(langs_obj[all_lang], pa.string(), mask=all_unknown),
            }
        )
        # comments: a bounded sample on ~20 % of posts (60 % for pod members), up to 5 each
        _P, N = self.P, n * self.P
        cidx = self.post_creator
        in_pod = self.pod[cidx] >= 0
        has = (self.post_comments > 0) & (self.kind != KIND_NAMES.index("story"))
        sel = np.flatnonzero(has & (rng.random(N) < np.where(in_pod, 0.6, 0.2)))
        cnt = np.minimum(self.post_comments[sel], rng.integers(1, 6, len(sel)))
        cpost = np.repeat(sel, cnt)
        cj = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        ccre = cidx[cpost]
        M = len(cpost)
        acc_start = np.concatenate([[0], np.cumsum(per)[:-1]])
        # author from the creator's pool: followers 0..2 or the 5 non-follower commenters
        pool_k = rng.integers(0, NP, M)
        pool_acc = acc_start[ccre] + np.where(pool_k < 3, pool_k, nf[ccre] + pool_k - 3)
        pod_of = self.pod[ccre]
        pod_mild = np.array([*self.pod_mild, False], dtype=bool)[pod_of]
        ring_share = np.where(pod_mild, d["pod_ring_share"][1], d["pod_ring_share"][0])
        from_ring = (pod_of >= 0) & (rng.random(M) < ring_share)
        ring_sizes = np.array([*self.pod_ring, 1], dtype=np.int64)
        ring_acc = self.pod_ring_off[np.maximum(pod_of, 0)] + rng.integers(0, 1 << 30, M) % ring_sizes[pod_of]
        creator_reply = ~from_ring & (rng.random(M) < 0.08)
        n_acc = len(owner)
        author = np.where(from_ring, n_acc + ring_acc, pool_acc)
        all_ids = pa.concat_arrays([acc_id, ring_id]) if R else acc_id
        author_a = all_ids.take(pa.array(author))
        author_a = pc.if_else(pa.array(creator_reply), self.creator_id.take(pa.array(ccre)), author_a)
        handle_a = pc.if_else(
            pa.array(creator_reply), pa.array(self.handles, pa.string()).take(pa.array(ccre)), pa.nulls(M, pa.string())
        )
        generic = from_ring | (rng.random(M) < 0.15)
        a_lang = all_lang[author]
        text_idx = np.where(
            generic,
            s.generic_off + rng.integers(0, len(B.GENERIC_COMMENTS), M),
            s.comment_off[a_lang] + rng.integers(0, 8, M),
        )
        text_idx = np.where(creator_reply, s.thanks_off + self.lang[ccre], text_idx)
        c_pub = np.minimum(
            self.pub[cpost] + (rng.exponential(6, M) * 3600).astype(np.int64) * 1_000_000 + 60_000_000, NOW_US
        )
        self.sinks["comments"].write(
            {
                "platform": self.pname.take(pa.array(ccre)),
                "comment_id": pc.binary_join_element_wise(self.post_id.take(pa.array(cpost)), _ids("c", cj, 1), ""),
                "post_id": self.post_id.take(pa.array(cpost)),
                "author_id": author_a,
                "author_handle": handle_a,
                "text": s.comment_bank.take(pa.array(text_idx)),
                "published_at": _ts(c_pub),
                "likes": rng.poisson(0.8, M),
                "is_creator_reply": creator_reply,
            }
        )
        # edges: every sampled follower, and each distinct commenter (pool or ring) per creator
        key = np.unique(ccre[~creator_reply].astype(np.int64) * (n_acc + R + 1) + author[~creator_reply])
        e_cre, e_acc = key // (n_acc + R + 1), key % (n_acc + R + 1)
        fol = np.flatnonzero(is_follower)
        e_creator = np.concatenate([owner[fol], e_cre])
        e_account = np.concatenate([fol, e_acc])
        rel = np.concatenate([np.zeros(len(fol), np.int64), np.ones(len(e_cre), np.int64)])
        self.sinks["audience_edges"].write(
            {
                "platform": self.pname.take(pa.array(e_creator)),
                "creator_id": self.creator_id.take(pa.array(e_creator)),
                "account_id": all_ids.take(pa.array(e_account)),
                "relation": pa.array(["follower", "commenter"]).take(pa.array(rel)),
                "observed_at": _ts(np.full(len(e_creator), NOW_US)),
            }
        )

    # ------------------------------------------------------------------ deals + truth
    def _deals(self) -> None:
        s, rng, n = self.s, self.rng, self.n
        has = rng.random(n) < 0.2
        k = np.where(has, rng.integers(1, 4, n), 0)
        who = np.repeat(np.arange(n), k)
        j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
        D = len(who)
        pf_platform = np.array([PRICE["platform"][p] for p in PLATFORMS])[self.plat]
        pf_market = np.array([PRICE["market"].get(m, 1.0) for m in s.markets])[self.mkt]
        self.price_factor = (1 + PRICE["c"] * self.er_resid) * pf_platform * pf_market
        kinds = []
        u = rng.random(D)
        for i in range(D):
            opts = KINDS[PLATFORMS[self.plat[who[i]]]]
            cum = np.cumsum([w for _, w in opts])
            kinds.append(opts[min(int(np.searchsorted(cum, u[i], side="right")), len(opts) - 1)][0])
        dfac = np.array([PRICE["deliverable"][x] for x in kinds]) if D else np.zeros(0)
        noise = np.exp(rng.normal(0, PRICE["noise_sigma"], D))
        fee_usd = PRICE["a"] * self.followers[who] ** PRICE["b"] * self.price_factor[who] * dfac * noise
        months_back = rng.integers(0, 12, D)
        days_in = rng.integers(0, 28, D)
        fees, dates, curs = [], [], []
        for i in range(D):
            cur = s.market_currency[self.mkt[who[i]]]
            start = _month_start(int(months_back[i]))
            dd = start + timedelta(days=int(days_in[i]))
            if dd >= NOW.date():
                dd = NOW.date() - timedelta(days=1)
                start = date(dd.year, dd.month, 1)
            mb = (NOW.year - start.year) * 12 + NOW.month - start.month
            local = fee_usd[i] * _fx_rate(self.s.seed, cur, mb)
            fees.append(Decimal(f"{local:.2f}") if cur not in ("JPY", "IDR") else Decimal(f"{round(local):d}.00"))
            dates.append(dd)
            curs.append(cur)
        deal_ids = pc.binary_join_element_wise(_ids("sd", self.gid[who], 7), _ids("-", j, 1), "")
        self.sinks["deals"].write(
            {
                "deal_id": deal_ids,
                "platform": self.pname.take(pa.array(who)),
                "creator_id": self.creator_id.take(pa.array(who)),
                "deliverable": kinds,
                "fee": pa.array(fees, pa.decimal128(18, 2)),
                "currency": curs,
                "deal_date": pa.array(dates, pa.date32()),
                "source": ["sample"] * D,
            }
        )

    def _truth(self) -> None:
        s, n = self.s, self.n
        niches = [
            [B.NICHES[a]] + ([B.NICHES[b]] if h else []) for a, b, h in zip(self.n1, self.n2, self.has2, strict=False)
        ]
        terms: list[list[str]] = [[] for _ in range(n)]
        up = np.flatnonzero(self.unsafe_term_idx >= 0)
        if len(up):
            pairs = np.unique(self.post_creator[up] * 16 + self.unsafe_term_idx[up])
            for key in pairs.tolist():
                c, t = divmod(key, 16)
                terms[c].append(s.un_terms[self.lang[c]][t])
        pod_ids = [f"pod{self.index:05d}-{p:03d}" if p >= 0 else None for p in self.pod.tolist()]
        self.sinks["truth_creators"].write(
            {
                "platform": self.pname,
                "creator_id": self.creator_id,
                "true_market": [s.markets[m] for m in self.mkt],
                "true_language": [B.LANGUAGES[x] for x in self.lang],
                "true_niches": niches,
                "fraud": [FRAUD_NAMES[f] for f in self.fraud],
                "bought_share": np.round(self.bought, 4),
                "pod_id": pod_ids,
                "off_market": self.off,
                "unsafe": self.unsafe & np.array([bool(t) for t in terms]),
                "unsafe_terms": terms,
                "odd_but_honest": [("none", "viral_spike", "travel_abroad")[o] for o in self.odd],
                "true_er": np.round(self.true_er, 6),
                "price_factor": np.round(self.price_factor, 6),
            }
        )
