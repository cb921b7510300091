"""Language identification: scripts, the und guards, batching, the CLI and the evaluation harness."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pytest

from microscout.bench.text import bench_text, write_doc
from microscout.cli import app
from microscout.errors import InvalidInputError
from microscout.evaluation import language as language_eval
from microscout.reference import load_table
from microscout.sample import banks
from microscout.text.language import (
    DEFAULT_LANGUAGES,
    DEFAULT_THRESHOLD,
    LanguageIdentifier,
    clean,
    get_identifier,
    identify,
    parse_languages,
)

FIXTURES = {
    "en": "I really love this new pasta recipe, thanks for sharing it with all of us",
    "es": "Hoy toca entrenamiento en el gimnasio, ¿qué opinan de esta rutina nueva?",
    "pt": "Hoje é dia de treino na academia, o que vocês acham dessa rotina?",
    "fr": "Aujourd'hui c'est séance de sport à la salle, vous en pensez quoi ?",
    "de": "Heute gibt es ein neues Rezept aus Berlin, was meint ihr dazu?",
    "it": "Oggi si parla di trucco e di cura della pelle, voi che ne pensate?",
    "tr": "Bugün makyaj günü, yeni rutinim hakkında siz ne düşünüyorsunuz?",
    "id": "Hari ini waktunya skincare, menurut kalian rutinitas ini gimana?",
    "ar": "اليوم يوم مكياج ✨ ما رأيكم في الروتين الجديد؟",
    "hi": "आज मेकअप का दिन है 💄 आप क्या सोचते हैं?",
    "ja": "今日はスキンケアの日✨ みんなはどう思う？",
}


def codes(texts: list[str], **kwargs) -> list[str]:
    return [c for c, _ in identify(texts, **kwargs)]


def test_default_languages_are_the_sample_worlds():
    assert set(DEFAULT_LANGUAGES) == set(banks.LANGUAGES)
    market_langs = {lang for row in load_table("markets").rows for lang in str(row["languages"]).split("|")}
    assert set(DEFAULT_LANGUAGES) == market_langs


@pytest.mark.parametrize("lang", sorted(FIXTURES))
def test_each_language_in_its_script(lang: str):
    code, confidence = identify([FIXTURES[lang]])[0]
    assert code == lang
    assert DEFAULT_THRESHOLD <= confidence <= 1.0


def test_scripts_decide_where_unambiguous():
    batch = get_identifier().detect([FIXTURES["ar"], FIXTURES["hi"], FIXTURES["ja"], "جميل جداً"])
    assert batch.codes == ["ar", "hi", "ja", "ar"]
    assert set(batch.reasons) == {"script"}
    # Hangul and Thai answer only when their language is configured
    assert codes(["안녕하세요 오늘 날씨가 정말 좋네요", "สวัสดีครับ วันนี้อากาศดีมาก"]) == ["und", "und"]
    assert codes(["안녕하세요 오늘 날씨가 정말 좋네요"], languages="en,ko") == ["ko"]
    assert codes(["สวัสดีครับ วันนี้อากาศดีมาก"], languages="en,th") == ["th"]


def test_a_script_no_configured_language_uses_is_unsupported_not_a_guess():
    batch = get_identifier().detect(["Привет, как у тебя дела сегодня вечером?"])
    assert batch.codes == ["und"] and batch.reasons == ["unsupported"]
    assert codes(["Привет, как у тебя дела сегодня вечером?"], languages="en,ru,uk") == ["ru"]


def test_short_empty_and_emoji_only_texts_are_und():
    texts = ["", "   ", None, "😍😍😍", "🔥", "love", "wow!!", "@user http://t.co/x", "#casino #night", "Guten Morgen"]
    batch = get_identifier().detect(texts)
    assert batch.codes == ["und"] * len(texts)
    assert batch.reasons[:5] == ["empty"] * 5
    assert batch.reasons[5] == "short"
    # two words answer only when the model is nearly sure
    assert identify(["Guten Morgen"])[0][1] < 0.9


def test_the_threshold_turns_unsure_answers_into_und():
    text = "Top 3 inspirations: Einstein, Marley, Jobs"
    code, confidence = identify([text], threshold=0.0)[0]
    assert code != "und" and 0.0 < confidence < 1.0
    assert identify([text], threshold=min(1.0, confidence + 0.01))[0][0] == "und"
    assert get_identifier(threshold=1.0).detect([text]).reasons == ["low_confidence"]
    with pytest.raises(InvalidInputError):
        LanguageIdentifier(threshold=1.5)


def test_a_language_outside_the_configured_set_is_und_not_forced():
    german = FIXTURES["de"]
    batch = get_identifier("en,es").detect([german, "Ik ga douchen, tot straks lieve schatten van me"])
    assert batch.codes == ["und", "und"]
    assert batch.reasons[0] == "other"


def test_mixed_scripts_follow_the_text_that_carries_the_language():
    assert codes(["今日は Tokyo で skincare routine を紹介します"]) == ["ja"]
    assert codes(["Great day at the beach with my family and friends مرحبا"]) == ["en"]
    assert codes(["東京大阪福岡です"], languages="zh,ja") == ["ja"]
    assert codes(["我们今天去北京吃饭了"], languages="zh,ja") == ["zh"]


def test_romanized_hindi_is_hindi_only_when_hindi_is_configured():
    text = "Kya sahi hai bhai, mujhe bhi chahiye yaar"
    assert get_identifier().detect([text]).reasons == ["romanized"]
    assert codes([text]) == ["hi"]
    assert codes([text], languages="en,es,id") != ["hi"]


def test_very_long_lines_and_control_characters_do_not_break_the_batch():
    long_line = "Heute gibt es Rezepte aus Berlin, was meint ihr? " * 20_000
    texts = [long_line, "x" * 200_000, "😀" * 100_000, "a\x00b\x01 c d e f g h", FIXTURES["en"]]
    started = time.perf_counter()
    result = codes(texts)
    assert time.perf_counter() - started < 10
    assert result[0] == "de" and result[1] == "und" and result[2] == "und" and result[-1] == "en"
    assert len(result) == len(texts)


def test_a_batch_answers_as_each_text_alone_and_in_order():
    texts = [*FIXTURES.values(), "", "love this!", FIXTURES["de"], FIXTURES["de"], "ok ok ok"]
    batch = identify(texts)
    assert batch == [identify([t])[0] for t in texts]
    assert identify(pa.array(texts)) == batch
    assert identify([]) == []


def test_parse_languages():
    assert parse_languages(None) == DEFAULT_LANGUAGES
    assert parse_languages("") == DEFAULT_LANGUAGES
    assert parse_languages(" EN, es ,en") == ("en", "es")
    with pytest.raises(InvalidInputError, match="xx"):
        parse_languages("en,xx")


def test_clean_drops_links_mentions_and_emoji_but_keeps_hashtag_words():
    assert clean(["RT @user: Hello #World http://t.co/x ✨ l'amour 123 ok &amp;"]) == ["Hello World l'amour ok"]


# --------------------------------------------------------------------------------------- CLI
def test_cli_language_keeps_one_answer_per_line(runner, tmp_path: Path):
    lines = [FIXTURES["de"], "", "😍😍", FIXTURES["ja"], "Привет, как у тебя дела сегодня?", FIXTURES["ar"]]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["text", "language", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["de", "und", "und", "ja", "und", "ar"]
    result = runner.invoke(app, ["text", "language", "-", "--format", "jsonl"], input="\n".join(lines))
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["language"] for r in rows] == ["de", "und", "und", "ja", "und", "ar"]
    assert rows[1]["reason"] == "empty" and 0 <= rows[0]["confidence"] <= 1
    result = runner.invoke(app, ["text", "language", str(path), "--languages", "en,ru"])
    assert result.stdout.splitlines()[4] == "ru"


def test_cli_language_rejects_bad_input_in_one_line(runner, tmp_path: Path):
    path = tmp_path / "in.txt"
    path.write_text("hello\n", encoding="utf-8")
    for args in (["--languages", "en,klingon"], ["--threshold", "2"]):
        result = runner.invoke(app, ["text", "language", str(path), *args])
        assert result.exit_code == 1
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    result = runner.invoke(app, ["text", "language", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1 and "cannot read" in result.output


# --------------------------------------------------------------------------------- evaluation
def test_evaluation_harness_on_a_tiny_folder(tmp_path: Path):
    root = tmp_path / "umsab"
    tweets = {
        "english": [FIXTURES["en"], "@user lol", "Just be grateful you are not stuck in traffic today"],
        "german": [FIXTURES["de"], "Guten Morgen", "I am not even German and this is English"],
        "arabic": [FIXTURES["ar"]],
        "hindi": [FIXTURES["hi"], "Kya sahi hai bhai, mujhe bhi chahiye yaar"],
    }
    for folder, lines in tweets.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "val_text.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = language_eval.evaluate(language_eval.load(tmp_path))
    assert result["full"]["en"].accuracy == pytest.approx(2 / 3)  # "@user lol" is und: an error
    assert result["full"]["de"].wrong == pytest.approx(1 / 3) and result["full"]["de"].coverage == pytest.approx(2 / 3)
    assert result["full"]["ar"].accuracy == 1.0
    assert result["hindi"]["hi"] == 1.0
    text = language_eval.section(tmp_path)
    assert "| en | 3 |" in text and "| **all** | 7 |" in text and "Short texts" in text
    assert "Not measured" in language_eval.section(tmp_path / "nothing")


# ------------------------------------------------------------------------------------ bench
def test_bench_text_reports_the_figures(tmp_path: Path):
    result = bench_text(texts=400, sentiment_texts=0, embed_creators=0, workdir=tmp_path)
    for key in ("texts", "language_per_s", "safety_per_s", "sentiment_per_s", "creators_embedded_per_s"):
        assert key in result
    assert result["texts"] == 400 and result["language_per_s"] > 0 and result["safety_per_s"] > 0
    assert result["sentiment_per_s"] is None and result["creators_embedded_per_s"] is None
    doc = tmp_path / "benchmarks-text.md"
    write_doc(result, "test", doc)
    assert "| language ID, texts |" in doc.read_text() and "not available" in doc.read_text()
