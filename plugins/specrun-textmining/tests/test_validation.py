"""Bad input caught when the spec is loaded: no JVM, no konlpy, and the error names the
file, the line and what is wrong."""

from __future__ import annotations

import subprocess
import sys

import pytest
import specrun
from specrun import SpecError
from textmining_helpers import SPECS, tokenize_spec


def _load_error(path) -> str:
    with pytest.raises(SpecError) as info:
        specrun.load_spec(str(path))
    return str(info.value)


def test_example_specs_validate_and_fill_defaults():
    topics = specrun.load_spec(str(SPECS / "topics_lda.yaml"))
    tok = topics.data["augment"][0]
    assert tok["tagger"] == "komoran" and tok["keep_pos"] == ["NNG", "NNP"]
    assert tok["user_dict"].endswith("kobill_userdict.txt")  # resolved to an absolute path
    assert topics.data["model"]["num_topics"] == 8
    # num_topics and passes are plain params, so the sweep space can name them.
    assert set(topics.data["sweep"]["space"]) == {"model.num_topics", "model.passes"}
    sentiment = specrun.load_spec(str(SPECS / "sentiment_logreg.yaml"))
    assert sentiment.data["model"]["group_by"] == "period"


def test_sweep_paths_and_overrides_reach_the_params():
    spec = specrun.load_spec(
        str(SPECS / "topics_lda.yaml"), ["model.num_topics=12", "model.passes=3"]
    )
    params = spec.components["model"][1]
    assert (params.num_topics, params.passes) == (12, 3)
    error = _load_error_overrides(["model.num_topics=1"])
    assert "model.num_topics" in error


def _load_error_overrides(overrides: list[str]) -> str:
    with pytest.raises(SpecError) as info:
        specrun.load_spec(str(SPECS / "topics_lda.yaml"), overrides)
    return str(info.value)


def test_default_keep_pos_follows_the_tagger(tmp_path):
    spec = specrun.load_spec(str(tokenize_spec(tmp_path, "    tagger: okt\n")))
    assert spec.data["augment"][0]["keep_pos"] == ["Noun"]


def test_missing_user_dictionary_names_file_line_and_path(tmp_path):
    path = tokenize_spec(tmp_path, "    user_dict: no_such_dict.txt\n")
    error = _load_error(path)
    assert "augment[0].user_dict" in error and "no_such_dict.txt" in error
    assert f"{path}:7:5" in error  # line and column of user_dict in the spec


def test_missing_stopword_file(tmp_path):
    error = _load_error(tokenize_spec(tmp_path, "    stopwords: missing_stopwords.txt\n"))
    assert "augment[0].stopwords" in error and "does not exist" in error


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("지방공무원법\tNNP\textra\n", "line 1: expected 'term<TAB>TAG' or 'term', got 3"),
        ("# header\n\tNNP\n", "line 2: the term before the tab is empty"),
        ("국회\tNNP\n국회\tNNG\n", "line 2: '국회' is already defined on line 1"),
        ("# only a comment\n\n", "has no entries"),
        ("국회\tNNP\n헌법\t명사\n", "line 2: '명사' is not a part-of-speech tag"),
    ],
)
def test_malformed_user_dictionary(tmp_path, content, expected):
    (tmp_path / "dict.txt").write_text(content, encoding="utf-8")
    error = _load_error(tokenize_spec(tmp_path, "    user_dict: dict.txt\n"))
    assert expected in error and "augment[0].user_dict" in error


def test_user_dictionary_tag_unknown_to_the_tagger(tmp_path):
    # NNP is a Komoran tag, not an Okt one: the line is named, and Okt's tags listed.
    (tmp_path / "dict.txt").write_text("국회\tNoun\n헌법재판소\tNNP\n", encoding="utf-8")
    error = _load_error(tokenize_spec(tmp_path, "    tagger: okt\n    user_dict: dict.txt\n"))
    assert "line 2" in error and "no tag 'NNP'" in error and "Noun" in error


def test_user_dictionary_not_utf8(tmp_path):
    (tmp_path / "dict.txt").write_bytes("국회\tNNP\n".encode("euc-kr"))
    error = _load_error(tokenize_spec(tmp_path, "    user_dict: dict.txt\n"))
    assert "is not UTF-8 text" in error


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("경우\n사항\tNNG\n", "line 2: has a tab"),
        ("# nothing\n", "has no words"),
    ],
)
def test_malformed_stopword_list(tmp_path, content, expected):
    (tmp_path / "stop.txt").write_text(content, encoding="utf-8")
    error = _load_error(tokenize_spec(tmp_path, "    stopwords: stop.txt\n"))
    assert expected in error and "augment[0].stopwords" in error


def test_unknown_part_of_speech_tag_lists_the_known_ones(tmp_path):
    error = _load_error(tokenize_spec(tmp_path, "    keep_pos: [NNG, NOUN, Q*]\n"))
    assert "komoran tagger has no part-of-speech tag 'NOUN', 'Q*'" in error
    assert "NNG" in error and "NNP" in error and "augment[0]" in error


def test_okt_tag_for_komoran_and_mixed_hannanum_sets(tmp_path):
    assert "no part-of-speech tag 'Noun'" in _load_error(
        tokenize_spec(tmp_path, "    keep_pos: [Noun]\n")
    )
    error = _load_error(tokenize_spec(tmp_path, "    tagger: hannanum\n    keep_pos: [N, PV]\n"))
    assert "9-tag set" in error and "22-tag set" in error


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("{pattern: '([가-힣]+'}", "does not compile"),
        ("{pattern: '(\\d+)', replace: '\\2'}", "refers to group '2'"),
    ],
)
def test_bad_regex_rules(tmp_path, rule, expected):
    error = _load_error(tokenize_spec(tmp_path, f"    regex:\n      - {rule}\n"))
    assert expected in error and "augment[0].regex[0]" in error


def test_registration_module_imports_no_framework():
    code = (
        "import sys, specrun_textmining.plugin, specrun_textmining.params\n"
        "heavy = ('konlpy', 'jpype', 'gensim', 'sklearn', 'wordcloud', 'pyLDAvis', 'mecab')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
