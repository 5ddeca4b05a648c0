"""The data kinds: konlpy's bills re-joined and cut into documents, users' own text files,
and the shipped reviews split at the event date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from specrun import DataError

from specrun_textmining.corpora import (
    KonlpyCorpus,
    KoreanReviews,
    chunks,
    konlpy_corpus_dir,
    sentences,
    shipped_reviews,
    unwrap,
)
from specrun_textmining.params import KonlpyCorpusParams, KoreanReviewsParams


class Ctx:
    seed = 3
    logs: list[str] = []

    def log(self, message: str) -> None:
        self.logs.append(message)


def test_unwrap_rejoins_words_split_by_the_line_width():
    raw = (
        "현행법은 입법예고와 행정예고를 통하여 정책 결정 과정에 국민 참\n"
        "여의 절차를 규정하고 있기는 하나 실제 정책 결정·집행·평가의 단계\n"
        "에서 근본적인 국민 참여 규정은 거의 없음.\n"
        "주요내용\n"
    )
    text = unwrap(raw)
    assert "국민 참여의 절차" in text and "단계에서" in text
    assert text.endswith("없음.\n주요내용")  # a short line ends its paragraph


def test_sentences_and_chunks():
    parts = sentences("첫 문장이다. 둘째 문장이다!\n셋째")
    assert parts == ["첫 문장이다.", "둘째 문장이다!", "셋째"]
    assert chunks(parts, 10) == ["첫 문장이다. 둘째 문장이다!", "셋째"]


def test_konlpy_corpus_units():
    docs = KonlpyCorpus(
        KonlpyCorpusParams(corpus=["kobill"], unit="document", split={"eval": 0.0})
    ).load(Ctx())
    assert (
        docs["train"].height == 10
        and (konlpy_corpus_dir() / "kolaw" / "constitution.txt").is_file()
    )
    chunked = KonlpyCorpus(KonlpyCorpusParams(chunk_chars=500, min_chars=40)).load(Ctx())
    frame = pl.concat([chunked["train"], chunked["eval"]])
    assert 90 < frame.height < 140 and frame["text"].str.len_chars().min() >= 40
    assert set(frame["source"].str.split("/").list.first()) == {"kolaw", "kobill"}
    assert chunked["eval"].height == round(frame.height * 0.1)


def test_text_files_of_the_user(tmp_path):
    (tmp_path / "a.txt").write_text("첫 번째 기사입니다. 국회가 법안을 의결했다.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("두 번째 기사입니다.", encoding="utf-8")
    data = KonlpyCorpus(
        KonlpyCorpusParams(
            corpus=[], path=tmp_path, unit="sentence", min_chars=1, split={"eval": 0.0}
        )
    ).load(Ctx())
    assert sorted(data["train"]["text"].to_list()) == [
        "국회가 법안을 의결했다.",
        "두 번째 기사입니다.",
        "첫 번째 기사입니다.",
    ]
    (tmp_path / "bad.txt").write_bytes("깨진 글".encode("euc-kr"))
    with pytest.raises(DataError, match="is not UTF-8 text"):
        KonlpyCorpus(KonlpyCorpusParams(corpus=[], path=tmp_path)).load(Ctx())


def test_reviews_split_at_the_event_date(tmp_path):
    data = KoreanReviews(KoreanReviewsParams(split={"eval": 0.0})).load(Ctx())
    frame = data["train"]
    assert frame.height == 640 and set(frame["label"]) == {"positive", "negative"}
    after = frame.filter(pl.col("period") == "after")
    assert after["date"].min() == dt.date(2023, 9, 1)
    moved = KoreanReviews(KoreanReviewsParams(event_date="2023-11-01", split={"eval": 0.0})).load(
        Ctx()
    )
    assert moved["train"].filter(pl.col("period") == "after").height < after.height
    assert shipped_reviews().stat().st_size < 200_000
    (tmp_path / "r.csv").write_text("date,text\n2023-01-01,좋아요\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        KoreanReviews(KoreanReviewsParams(path=tmp_path / "r.csv")).load(Ctx())
