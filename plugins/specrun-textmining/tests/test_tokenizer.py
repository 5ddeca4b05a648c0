"""KoNLPy tokenizing for real: the user dictionary and stopwords take effect, tags filter,
regex rules clean; Java problems and empty corpora fail with a clear message."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import specrun
from specrun import UserError
from textmining_helpers import SPECS, STOPWORDS, USER_DICT, write_spec

from specrun_textmining.jvm import libjvm_under
from specrun_textmining.params import TokenizeParams
from specrun_textmining.tokenizer import MECAB_HINT, KoreanTokenizer

BILL = (
    "지방공무원법 일부개정법률안을 정의화의원이 대표발의하였다. "
    "육아휴직이 가능한 자녀의 연령을 개정하는 경우이다."
)
HAS_MECAB = importlib.util.find_spec("mecab") is not None


def tokenizer(**params) -> KoreanTokenizer:
    return KoreanTokenizer(TokenizeParams(**params))


def test_komoran_user_dictionary_takes_effect():
    plain = tokenizer().tokens(BILL)
    assert "지방공무원법" not in plain and "공무원법" in plain  # Komoran cuts the law's name
    with_dict = tokenizer(user_dict=USER_DICT).tokens(BILL)
    assert "지방공무원법" in with_dict and "공무원법" not in with_dict
    assert "일부개정법률안" in with_dict  # an NNG entry, kept by the default nouns


def test_user_dictionary_for_a_tagger_without_one(tmp_path):
    # Okt has no user-dictionary API: the text is cut around the entries instead.
    text = "국제결혼중개업의 관리에 관한 법률을 공정거래위원회가 검토하였다."
    plain = tokenizer(tagger="okt").tokens(text)
    assert "국제결혼중개업" not in plain and "중개업" in plain and "위원회" in plain
    (tmp_path / "okt.txt").write_text("국제결혼중개업\n공정거래위원회\tNoun\n", encoding="utf-8")
    with_dict = tokenizer(tagger="okt", user_dict=tmp_path / "okt.txt").tokens(text)
    assert with_dict[0] == "국제결혼중개업" and "공정거래위원회" in with_dict
    assert "중개업" not in with_dict and "위원회" not in with_dict and "법률" in with_dict
    # The particles glued to the entries (의, 가) are particles, not nouns.
    assert "의" not in with_dict and "가" not in with_dict


def test_stopwords_removed_from_file_and_inline():
    plain = tokenizer(min_length=1).tokens(BILL)
    assert "경우" in plain and "자녀" in plain
    cleaned = tokenizer(min_length=1, stopwords=STOPWORDS, stopwords_inline=["자녀"]).tokens(BILL)
    assert "경우" not in cleaned and "자녀" not in cleaned and "연령" in cleaned


def test_pos_filter_prefix_and_join_pos():
    text = "배달이 너무 늦었지만 음식은 맛있었어요"
    nouns = tokenizer().tokens(text)
    assert nouns == ["배달", "음식"]
    assert tokenizer(keep_pos=["NN*"]).tokens(text) == ["배달", "음식"]
    tagged = tokenizer(keep_pos=["VA", "MAG"], join_pos=True).tokens(text)
    assert tagged == ["너무/MAG", "늦/VA", "맛있/VA"]


def test_regex_rules_clean_before_tagging():
    rules = [{"pattern": r"https?://\S+", "replace": " "}, {"pattern": r"<[^>]+>", "replace": " "}]
    tok = tokenizer(regex=rules)
    raw = "<p>국회 본회의</p> 자세한 내용은 http://example.com/bill?id=3 참고"
    assert tok.clean(raw) == "국회 본회의 자세한 내용은 참고"
    assert "http" not in " ".join(tok.tokens(raw)) and "국회" in tok.tokens(raw)


def test_hannanum_tag_sets():
    coarse = tokenizer(tagger="hannanum").tokens("국회는 법률을 의결한다")
    assert "국회" in coarse and "법률" in coarse
    # XS (a suffix) exists only in the 22-tag set: naming it switches Hannanum to that set.
    fine = tokenizer(tagger="hannanum", keep_pos=["NC", "XS"]).tokens("국회는 법률을 의결한다")
    assert fine == ["국회", "법률", "의결", "하"]


@pytest.mark.skipif(not HAS_MECAB, reason="python-mecab-ko is not installed")
def test_mecab_tokenizes_with_user_dictionary(tmp_path):
    assert "지방공무원법" not in tokenizer(tagger="mecab").tokens(BILL)
    (tmp_path / "m.txt").write_text("지방공무원법\tNNP\n", encoding="utf-8")
    assert "지방공무원법" in tokenizer(tagger="mecab", user_dict=tmp_path / "m.txt").tokens(BILL)


@pytest.mark.skipif(HAS_MECAB, reason="python-mecab-ko is installed here")
def test_mecab_missing_says_what_to_install():
    with pytest.raises(UserError, match="pip install python-mecab-ko"):
        tokenizer(tagger="mecab").tokens(BILL)
    assert "python-mecab-ko" in MECAB_HINT


def test_java_home_pointing_nowhere_fails_with_install_hint(tmp_path):
    # The JVM of this test process is already running, so a fresh process is needed.
    code = (
        "import json, specrun\n"
        f"r = specrun.run({str(SPECS / 'sentiment_logreg.yaml')!r}, "
        f"store={str(tmp_path / 's.duckdb')!r}, local=True)\n"
        "print(json.dumps({'status': r.status, 'user_error': r.user_error, 'error': r.error}))\n"
    )
    env = {
        **os.environ,
        "JAVA_HOME": str(tmp_path / "no-java-here"),
        "PATH": str(tmp_path / "bin"),
        "SPECRUN_PLUGINS": "textmining",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed" and result["user_error"], result
    assert "komoran tagger runs on Java" in result["error"]
    assert "JAVA_HOME" in result["error"] and "openjdk-17-jre-headless" in result["error"]
    store = specrun.open_store(str(tmp_path / "s.duckdb"))
    assert store.runs()["status"].to_list() == ["failed"]


def test_libjvm_is_found_below_a_java_home(tmp_path):
    assert libjvm_under(tmp_path / "missing") is None
    assert libjvm_under(tmp_path) is None
    lib = tmp_path / "lib" / "server" / "libjvm.so"
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"")
    assert libjvm_under(tmp_path) == lib


def test_corpus_that_tokenizes_to_nothing(tmp_path):
    # Crawled posts that are only links and laughter: once the regex rules clean them,
    # nothing is left to tag.
    (tmp_path / "posts.csv").write_text(
        "text,label\n"
        + "".join(f"https://t.co/x{i} ㅋㅋㅋ ㅠㅠ,{'a' if i % 2 else 'b'}\n" for i in range(20)),
        encoding="utf-8",
    )
    spec = write_spec(
        tmp_path,
        (
            "name: empty\ndata:\n  kind: table\n  path: posts.csv\n"
            "augment:\n  - kind: konlpy_tokenize\n"
            "    regex:\n      - {pattern: 'https?://\\S+'}\n      - {pattern: '[ㄱ-ㅎㅏ-ㅣ]+'}\n"
            "model:\n  kind: tfidf_logreg\n  positive: a\n"
        ),
    )
    result = specrun.run(str(spec), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "failed" and result.user_error
    assert "tokenizes to nothing" in result.error and "none of the 18 train texts" in result.error
