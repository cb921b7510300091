"""Brand safety: lexicon matching edge cases, languages, competitors, overrides, CLI, sample world."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from microscout.cli import app
from microscout.errors import ReferenceDataError
from microscout.sample import banks, generate_world
from microscout.text.safety import CATEGORIES, SafetyScanner, fold, get_scanner, load_lexicon, normalise, scan


def flags(text: str, **kwargs) -> tuple[str, ...]:
    return scan([text], **kwargs)[0].flags


def terms(text: str, **kwargs) -> set[str]:
    return {m.term for m in scan([text], **kwargs)[0].matches}


def test_whole_words_only_class_is_not_ass():
    assert flags("A classy dinner with my class, we passed the assessment") == ()
    assert flags("Kiss my ass") == ("profanity",)
    assert flags("ASS!!!") == ("profanity",)


def test_case_accents_and_typed_without_accents():
    assert terms("COCAINA y fiesta") == {"cocaína"}
    assert terms("cocaína") == {"cocaína"}
    assert "casinò" in terms("scommesse al casinò")
    # a word written with accents only matches the same accents: Turkish "gün" (day) is not "gun"
    assert flags("Bugün hava çok güzel, her gün spor") == ()
    assert fold("Schlägerei") == "schlagerei" and normalise("ＣＡＳＩＮＯ！") == "casino"


def test_hashtags_mentions_and_compound_hashtags():
    assert flags("#casino #fun") == ("gambling",)
    assert flags("Big night #CasinoNight with the crew") == ("gambling",)
    assert flags("#classact #blessed #grateful") == ()
    assert flags("#ad @glowlab", competitors=["glowlab"]) == ("competitor",)


def test_multi_word_terms_match_words_in_a_row():
    for text in ("street fight tonight", "STREET-FIGHT tonight", "watch this street   fight"):
        assert terms(text) == {"street fight"}, text
    assert flags("street food and a fight for the last dumpling") == ()
    assert flags("Casino-Wetten und keine Reue") == ("gambling",)


def test_stems_and_their_limits():
    assert terms("sokak kavgası ve pişmanlık yok") >= {"kavga", "sokak kavgası"}
    assert terms("uyusturucuyu birak") == {"uyuşturucu"}  # typed without Turkish letters
    assert terms("Waffen und Gewalt") == {"waffen", "gewalt"}
    for innocent in ("Waffeln zum Frühstück", "biraz su iç", "Nggak berhenti mikirin sarapan ini"):
        assert flags(innocent) == (), innocent


def test_scripts_without_spaces_match_substrings():
    assert terms("そのカジノ賭博で後悔なし") == {"カジノ", "賭博"}
    assert flags("拳銃を持った男") == ("violence",)
    assert flags("新しいカスタムキーボードを買いました") == ()


def test_arabic_clitics_and_devanagari():
    assert terms("ليلة سفر، والمخدرات وبدون ندم") == {"مخدرات"}
    assert flags("بالتعاون مع علامة تجارية جديدة") == ()
    assert terms("बंदूकें और ड्रग्स") == {"बंदूक", "ड्रग्स"}


def test_language_narrows_the_lexicons():
    # Portuguese "arma" (weapon) is Spanish "arma" (build): with the language known, no flag
    text = "Arma tu outfit de verano con estas prendas básicas"
    assert flags(text) == ("violence",)
    assert scan([text], languages=["es"])[0].flags == ()
    assert scan([text], languages=["und"])[0].flags == ("violence",)
    # English terms apply to every language; competitors always
    assert scan(["qué fiesta, puro casino y drugs"], languages=["es"])[0].flags == ("drugs", "gambling")
    assert scan(["nuevo de @glowlab"], languages=["es"], competitors=["GlowLab"])[0].flags == ("competitor",)


def test_a_language_without_a_lexicon_is_unsupported_not_safe(runner):
    only_english = scan(["오늘 casino 가요"], languages=["ko"])[0]
    assert only_english.flags == ("gambling",) and not only_english.supported
    nothing = scan(["좋은 하루 보내세요"], languages=["ko"])[0]
    assert nothing.flags == () and not nothing.supported and not nothing.safe
    assert scan(["좋은 하루 보내세요"])[0].safe  # language not given: every lexicon applied, nothing found
    result = runner.invoke(app, ["text", "safety", "-"], input="Привет, как у тебя дела сегодня вечером?\n\n")
    assert result.stdout.split("\n")[:2] == ["unsupported", ""]


def test_competitor_terms():
    result = scan(
        ["Loving #GlowLabSkincare", "glow lab drop", "Urban Threads haul", "@urbanthreads", "glow up"],
        competitors=["GlowLab", "Urban Threads"],
    )
    assert [r.flags for r in result] == [("competitor",)] * 4 + [()]
    assert result[2].evidence() == [{"category": "competitor", "term": "Urban Threads", "language": "*"}]


def test_evidence_lists_each_term_once_in_category_order():
    result = scan(["Casino night, vodka shots and a street fight, casino again"])[0]
    assert result.flags == ("violence", "alcohol", "gambling")
    assert [m.term for m in result.matches].count("casino") == 1
    assert not result.safe


def test_empty_emoji_long_and_odd_lines():
    texts = ["", None, "😍😍😍", "casino " * 100_000, "#" + "a" * 500_000, "a\x00b casino", "🎰🎰 " * 1000]
    result = scan(texts)
    assert [r.flags for r in result] == [(), (), (), ("gambling",), (), ("gambling",), ()]
    assert scan([]) == []


def test_lexicon_covers_every_category_in_every_sample_world_language():
    sizes = load_lexicon().sizes()
    for lang in banks.LANGUAGES:
        for cat in CATEGORIES:
            minimum = 20 if lang in ("en", "es", "pt", "fr", "de", "it") else 5
            assert sizes.get(lang, {}).get(cat, 0) >= minimum, (lang, cat)
    assert get_scanner() is get_scanner()


def test_lexicon_catches_the_sample_worlds_unsafe_posts_and_nothing_else(tmp_path: Path):
    generate_world(tmp_path / "w", creators=400, posts_per_creator=20, seed=11)
    posts = pq.read_table(tmp_path / "w" / "posts.parquet", columns=["creator_id", "caption"]).to_pylist()
    truth = pq.read_table(tmp_path / "w" / "truth_creators.parquet").to_pylist()
    unsafe = {t["creator_id"] for t in truth if t["unsafe_terms"]}
    results = scan([p["caption"] for p in posts])
    flagged = {p["creator_id"] for p, r in zip(posts, results, strict=True) if r.flags}
    assert unsafe and flagged == unsafe
    # every planted term, in every language, is caught on its own
    for lang, bank in banks.UNSAFE_TERMS.items():
        for term in bank.split("|"):
            assert scan([term], languages=[lang])[0].flags, (lang, term)


def test_user_lexicon_replaces_the_shipped_one(tmp_path: Path):
    (tmp_path / "safety_lexicons.csv").write_text(
        "language,category,term\nen,gambling,dice game\nen,alcohol,spritz*\n", encoding="utf-8"
    )
    assert terms("dice game and spritzers", reference_dir=tmp_path) == {"dice game", "spritz"}
    assert flags("casino", reference_dir=tmp_path) == ()
    with pytest.raises(ReferenceDataError, match="stem"):
        SafetyScanner(load_lexicon(tmp_path).__class__((("en", "drugs", "ab*"),)))


# --------------------------------------------------------------------------------------- CLI
def test_cli_safety_keeps_one_answer_per_line(runner, tmp_path: Path):
    lines = ["Casino night, no regrets 🎰", "", "😍", "a classy look", "new @glowlab drop", "Arma tu outfit de verano"]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["text", "safety", str(path), "--competitors", "glowlab"])
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[:-1] == ["gambling", "", "", "", "competitor", ""]
    result = runner.invoke(app, ["text", "safety", "-", "-f", "jsonl", "--all-lexicons"], input="\n".join(lines))
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert rows[0]["matches"][0] == {"category": "gambling", "term": "casino", "language": "en"}
    assert rows[0]["supported"] is True
    assert rows[5]["flags"] == ["violence"]
