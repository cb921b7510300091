"""Niche classification: keyword/hashtag/emoji evidence, embeddings, creators, CLI, evaluation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from microscout.errors import InvalidInputError
from microscout.evaluation import niche as evaluation
from microscout.reference import load_table
from microscout.text import niche
from microscout.text.niche_lexicon import explain, fold

KW = niche.KEYWORDS_ONLY


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Embedding prototypes are cached on disk: keep the tests' cache out of the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MICROSCOUT_CACHE_DIR", str(tmp_path_factory.mktemp("niche-cache")))
    yield
    mp.undo()


def best(text: str, embedder: str | None = KW) -> str:
    return niche.top_niche(niche.classify_texts([text], embedder)[0])


# --- folding and keyword evidence ----------------------------------------------------------------


def test_fold_drops_case_accents_and_arabic_variants_but_keeps_other_scripts() -> None:
    assert fold("Película RÉSUMÉ") == "pelicula resume"
    assert fold("أظافر") == "اظافر"
    assert fold("ﾌｨｯﾄﾈｽ") == "フィットネス"  # half-width katakana widened, voiced marks kept
    assert fold("व्यायाम") == "व्यायाम"  # Devanagari vowel signs are not accents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("receta de pasta casera para la cena", "food"),  # Latin (es)
        ("Rezepte für den Winter", "food"),  # inflected German
        ("وصفة كبسة لذيذة للعشاء", "food"),  # Arabic
        ("بالتوفيق في دوري روشن 🔥", "sports"),  # Arabic with a clitic
        ("今日は筋トレとジムへ", "fitness"),  # Japanese, no spaces
        ("आज जिम में वर्कआउट किया", "fitness"),  # Devanagari
        ("Yeni kulaklık incelemesi: gürültü engelleme 🎧", "music"),  # emoji only hints; Turkish
        ("Mi perro y mi gato", "pets"),
    ],
)
def test_keywords_in_several_scripts(text: str, expected: str) -> None:
    assert best(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#fitnessmotivation #legday", "fitness"),  # a term the hashtag starts with
        ("#instafood", "food"),  # … or ends with
        ("#zero_waste", "sustainability"),
        ("#عناية_بالبشرة", "beauty"),
        ("#ootd", "fashion"),
        ("#旅行好き", "travel"),
    ],
)
def test_hashtag_only_posts(text: str, expected: str) -> None:
    assert best(text) == expected


def test_common_words_of_other_languages_are_not_evidence() -> None:
    # "para" is money in Turkish but "for" in Spanish: only a whole hashtag counts
    assert "finance" not in explain("un regalo para mi hermana")
    assert "finance" in explain("#para")
    # accents must agree: French "même" is not the entertainment "mème", "meme" is
    assert explain("c'est quand même bien") == {}
    assert explain("best meme of the year") == {"entertainment": ["meme"]}
    # each term counts once however often it is repeated
    once = niche.classify_texts(["recipe"], KW)[0]["food"]
    assert niche.classify_texts(["recipe recipe recipe #recipe"], KW)[0]["food"] == once


def test_shared_terms_split_their_weight() -> None:
    found = explain("road trip")
    assert found == {"travel": ["roadtrip"], "automotive": ["roadtrip"]}
    scores = niche.classify_texts(["road trip"], KW)[0]
    assert scores["travel"] == scores["automotive"] < niche.classify_texts(["passport"], KW)[0]["travel"]


# --- threshold and per-text API ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["good morning ☀️", "", "   ", "😂😂😂", "thank you all for 10k!!", "ok"])
def test_generic_texts_have_no_niche(text: str) -> None:
    assert best(text) == niche.NONE


def test_threshold_decides_none() -> None:
    scores = niche.classify_texts(["mi perro"], KW)[0]
    assert set(scores) == {r["id"] for r in load_table("niches").rows}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert niche.top_niche(scores) == "pets"
    assert niche.top_niche(scores, threshold=0.99) == niche.NONE
    assert niche.top_niche({}) == niche.NONE
    assert niche.top_niches(scores, threshold=0.99) == []
    assert niche.top_niches({"a": 0.8, "b": 0.75, "c": 0.2}, threshold=0.3, ratio=0.9) == ["a", "b"]


def test_texts_with_embeddings() -> None:
    texts = [
        "courtside tonight, what a dunk",  # no keyword: the embedding decides
        "Sunset over the Santorini caldera, ferry to Naxos tomorrow",
        "receta de pasta casera",
        "आज जिम में वर्कआउट किया",  # Hindi: USE knows no Indic script, keywords decide
        "good morning ☀️",
        "",
        "x" * 20_000,  # very long lines are cut, not a crash
    ]
    with_use = niche.classify_texts(texts)
    assert [niche.top_niche(s) for s in with_use[:5]] == ["sports", "travel", "food", "fitness", "none"]
    assert with_use[3] == niche.classify_texts([texts[3]], KW)[0]
    assert set(with_use[5].values()) == {0.0}
    assert niche.top_niche(with_use[6]) == niche.NONE


def test_a_reference_override_changes_the_taxonomy(tmp_path: Path) -> None:
    doc = [
        {
            "id": "coffee",
            "name": "Coffee",
            "description": {"en": "Espresso, latte art and coffee beans."},
            "hashtags": {"en": ["coffee", "latteart"]},
            "keywords": {"en": ["espresso", "barista", "beans"]},
        },
        {
            "id": "tea",
            "name": "Tea",
            "description": {"en": "Matcha, oolong and tea ceremonies."},
            "hashtags": {"en": ["tea", "matcha"]},
            "keywords": {"en": ["oolong", "teapot", "brew"]},
        },
    ]
    (tmp_path / "niches.json").write_text(json.dumps(doc), encoding="utf-8")
    scores = niche.classify_texts(["a new teapot and some oolong"], KW, reference_dir=tmp_path)[0]
    assert set(scores) == {"coffee", "tea"}
    assert niche.top_niche(scores) == "tea"


# --- creators ------------------------------------------------------------------------------------


def _posts() -> pa.Table:
    t0 = dt.datetime(2026, 10, 1)
    rows = []
    # a cook who also posts workouts (6 of 10), recent posts first in time order below
    for k in range(10):
        if k % 5 < 3:
            caption, tags = f"receta nueva número {k} 🍝", ["recetas", "comidacasera"]
        else:
            caption, tags = f"leg day {k} 💪", ["gym"]
        rows.append(("instagram", "c1", caption, tags, t0 + dt.timedelta(days=k)))
    # hashtag-only gamer on another platform with the same id; old posts about travel
    for k in range(40):
        recent = k >= 20
        tags = ["gamer", "ps5", "twitchstreamer"] if recent else ["travel", "wanderlust"]
        rows.append(("tiktok", "c1", None, tags, t0 + dt.timedelta(hours=k)))
    # generic posts only
    for k in range(5):
        rows.append(("x", "c2", "good morning ☀️", [], t0 + dt.timedelta(days=k)))
    platform, creator, caption, hashtags, published = zip(*rows, strict=True)
    return pa.table(
        {
            "platform": list(platform),
            "creator_id": list(creator),
            "caption": list(caption),
            "hashtags": pa.array(hashtags, pa.list_(pa.string())),
            "published_at": pa.array(published, pa.timestamp("us")),
        }
    )


def test_creator_batch_api() -> None:
    out = niche.creator_niches(_posts(), KW, max_posts=20)
    assert out.schema == niche.CREATOR_SCHEMA
    rows = {(r["platform"], r["creator_id"]): r for r in out.to_pylist()}
    assert set(rows) == {("instagram", "c1"), ("tiktok", "c1"), ("x", "c2")}
    cook = rows[("instagram", "c1")]
    assert cook["niches"] == ["food", "fitness"] and cook["top_niche"] == "food" and cook["posts_used"] == 10
    shares = json.loads(cook["niche_scores"])
    assert shares["food"] == pytest.approx(0.6) and shares["fitness"] == pytest.approx(0.4)
    gamer = rows[("tiktok", "c1")]  # only the 20 most recent posts count: no travel
    assert gamer["posts_used"] == 20 and gamer["niches"] == ["gaming"]
    assert rows[("x", "c2")]["top_niche"] == niche.NONE and rows[("x", "c2")]["niches"] == []
    # all 40 posts: travel comes back (half of the posts each)
    both = niche.creator_niches(_posts(), KW, max_posts=40).to_pylist()
    assert sorted(next(r for r in both if r["platform"] == "tiktok")["niches"]) == ["gaming", "travel"]


def test_creator_batch_accepts_pandas_and_embeds_a_bounded_sample() -> None:
    frame = _posts().to_pandas()
    out = niche.creator_niches(frame, "use", max_posts=20, embed_posts=3)
    assert {r["creator_id"]: r["top_niche"] for r in out.to_pylist() if r["platform"] != "tiktok"} == {
        "c1": "food",
        "c2": "none",
    }
    assert niche.creator_niches(frame.iloc[0:0], KW).num_rows == 0
    with pytest.raises(InvalidInputError, match="caption"):
        niche.creator_niches(pd.DataFrame({"platform": ["x"], "creator_id": ["1"]}), KW)


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_plain_jsonl_stdin_and_threshold(tmp_path: Path) -> None:
    from microscout.cli import app

    runner = CliRunner()
    src = tmp_path / "texts.txt"
    src.write_text("receta de pasta casera\n\n#gymlife 💪\r\nأفضل وجهات السفر ✈️\nbuenos días\n", encoding="utf-8")
    plain = runner.invoke(app, ["text", "niche", str(src), "--embedder", "keywords"])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.splitlines() == ["food", "none", "fitness", "travel", "none"]
    jsonl = runner.invoke(app, ["text", "niche", "-", "--format", "jsonl", "--embedder", "keywords"], input="mi gato\n")
    assert jsonl.exit_code == 0, jsonl.output
    record = json.loads(jsonl.stdout)
    assert record["niche"] == "pets" and record["niches"] == ["pets"]
    assert len(record["scores"]) == len(load_table("niches").rows)
    strict = runner.invoke(app, ["text", "niche", str(src), "--threshold", "1", "--embedder", "keywords"])
    assert strict.stdout.splitlines() == ["none"] * 5
    default = runner.invoke(app, ["text", "niche", "-"], input="courtside tonight, what a dunk\n")
    assert default.exit_code == 0 and default.stdout.strip() == "sports"
    missing = runner.invoke(app, ["text", "niche", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    bad = runner.invoke(app, ["text", "niche", str(src), "--embedder", "bogus"])
    assert bad.exit_code == 1 and "unknown embedder" in bad.output


# --- evaluation harness --------------------------------------------------------------------------


def test_evaluation_on_a_tiny_constructed_set(tmp_path: Path) -> None:
    path = tmp_path / "captions.jsonl"
    rows = [
        {"text": "mi perro", "language": "es", "niches": ["pets"]},
        {"text": "receta de pasta casera", "language": "es", "niches": ["food"]},
        {"text": "#gymlife", "language": "en", "niches": ["fitness"]},
        {"text": "good morning", "language": "en", "niches": []},
        {"text": "mi gato", "language": "es", "niches": ["food"]},  # wrong on purpose: a miss and a false pet
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = evaluation.text_report(evaluation.load_captions(path), KW)
    # pets: 1 TP, 1 FP -> F1 2/3; food: 1 TP, 1 FN -> 2/3; fitness: 1
    assert report["all"]["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert report["all"]["exact"] == pytest.approx(4 / 5)
    assert report["all"]["none_correct"] == 1.0
    assert set(report["languages"]) == {"en", "es"}
    md = evaluation.section([], None, captions=path, embedder=KW)
    assert "## Niche classification" in md and "| es | 3 |" in md
    creators = evaluation.creator_report(
        [
            {"platform": "x", "creator_id": "1", "niches": ["food", "travel"], "top_niche": "food"},
            {"platform": "x", "creator_id": "2", "niches": [], "top_niche": "none"},
        ],
        [
            {"platform": "x", "creator_id": "1", "true_niches": ["food"]},
            {"platform": "x", "creator_id": "2", "true_niches": ["pets"]},
        ],
        ["food", "travel", "pets"],
    )
    assert creators["top1"] == 0.5 and creators["exact"] == 0.0 and creators["two_niches"] == 0
    assert creators["macro_f1"] == pytest.approx((1 + 0 + 0) / 3)
    path.write_text(json.dumps({"text": "x", "niches": ["astrology"]}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="astrology"):
        evaluation.load_captions(path)


def test_the_shipped_caption_set_is_large_multilingual_and_covers_every_niche() -> None:
    rows = evaluation.load_captions()
    assert len(rows) >= 400
    assert len({r["language"] for r in rows}) >= 8
    counts: dict[str, int] = {}
    for r in rows:
        for n in r["niches"]:
            counts[n] = counts.get(n, 0) + 1
    assert set(counts) == {r["id"] for r in load_table("niches").rows}
    assert min(counts.values()) >= 15
    assert 0.05 <= sum(not r["niches"] for r in rows) / len(rows) <= 0.15
