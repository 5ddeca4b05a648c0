"""Parameters of every textmining component, validated when a spec is loaded.

Light on purpose (pydantic, specrun and the standard library): `specrun validate` checks
tags, regular expressions, user dictionaries and stopword lists without konlpy or a JVM.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from specrun import ExistingFile, ExistingPath, Params
from specrun.builtins.splits import SplitSpec

from .lexicon import read_stopwords, read_user_dict
from .tagsets import DEFAULT_KEEP, PROPER_NOUN, TAGSETS, check_tags

Tagger = Literal["komoran", "okt", "kkma", "hannanum", "mecab"]
_GROUP_REF = re.compile(r"\\(\d+)|\\g<(\w+)>")
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL}


class RegexRule(Params):
    """One cleaning step: every match of ``pattern`` becomes ``replace``."""

    pattern: str = Field(min_length=1, description="Python regular expression")
    replace: str = Field(" ", description="replacement (\\1 refers to a group)")
    flags: list[Literal["IGNORECASE", "MULTILINE", "DOTALL"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _compiles(self) -> RegexRule:
        try:
            compiled = re.compile(self.pattern, self.compiled_flags())
        except re.error as exc:
            raise ValueError(f"regex {self.pattern!r} does not compile: {exc}") from None
        # re checks group references only when something matches: check them now.
        for number, name in _GROUP_REF.findall(self.replace):
            ref = number or name
            ok = int(ref) <= compiled.groups if ref.isdigit() else ref in compiled.groupindex
            if not ok:
                raise ValueError(
                    f"regex {self.pattern!r}: replace {self.replace!r} refers to "
                    f"group {ref!r}, but the pattern has {compiled.groups} group(s)"
                )
        return self

    def compiled_flags(self) -> int:
        flags = 0
        for name in self.flags:
            flags |= _FLAGS[name]
        return flags


class PhrasesParams(Params):
    """Bigram and trigram phrases learned with gensim Phrases on the train split."""

    min_count: int = Field(5, ge=1, description="ignore words and pairs rarer than this")
    bigram_threshold: float = Field(10.0, description="score a pair needs to become a bigram")
    trigram_threshold: float | None = Field(
        10.0, description="a second pass for trigrams; null: none"
    )
    scoring: Literal["default", "npmi"] = "default"
    delimiter: str = Field("_", min_length=1)

    @model_validator(mode="after")
    def _npmi_range(self) -> PhrasesParams:
        if self.scoring == "npmi":
            for name in ("bigram_threshold", "trigram_threshold"):
                value = getattr(self, name)
                if value is not None and not -1 <= value <= 1:
                    raise ValueError(f"{name}: npmi scores lie in [-1, 1], got {value}")
        return self


class TokenizeParams(Params):
    """KoNLPy tokenizing: regex cleaning, tagger, user dictionary, POS filter, stopwords, phrases"""

    text: str = Field("text", description="column with the raw text")
    output: str = Field("tokens", description="column the token lists are written to")
    tagger: Tagger = "komoran"
    keep_pos: list[str] = Field(
        default_factory=list, description="tags to keep (NN* = prefix); default: nouns"
    )
    user_dict: ExistingFile | None = Field(
        None, description="'term<TAB>TAG' per line (proper nouns)"
    )
    stopwords: ExistingFile | None = Field(None, description="one stopword per line")
    stopwords_inline: list[str] = Field(default_factory=list, description="more stopwords")
    regex: list[RegexRule] = Field(
        default_factory=list, description="cleaning before tagging, in order"
    )
    min_length: int = Field(1, ge=1, description="drop shorter tokens (characters)")
    join_pos: bool = Field(False, description="tokens as morph/TAG")
    okt_stem: bool = Field(False, description="okt only: normalize and stem")
    phrases: PhrasesParams | None = Field(None, description="bigram/trigram phrases; null: none")
    samples: int = Field(5, ge=0, description="tokenized examples stored as samples")
    jvm_max_heap_mb: int = Field(1024, ge=128, description="Java heap for the Java taggers")

    @model_validator(mode="before")
    @classmethod
    def _default_keep(cls, data: object) -> object:
        # The nouns of the chosen tagger: each tagger names them differently.
        if isinstance(data, dict) and not data.get("keep_pos"):
            tagger = data.get("tagger", "komoran")
            if tagger in DEFAULT_KEEP:
                data = {**data, "keep_pos": list(DEFAULT_KEEP[tagger])}
        return data

    @field_validator("user_dict")
    @classmethod
    def _user_dict_parses(cls, v: Path | None) -> Path | None:
        if v is not None:
            read_user_dict(v)
        return v

    @field_validator("stopwords")
    @classmethod
    def _stopwords_parse(cls, v: Path | None) -> Path | None:
        if v is not None:
            read_stopwords(v)
        return v

    @model_validator(mode="after")
    def _tags_known(self) -> TokenizeParams:
        check_tags(self.tagger, self.keep_pos, "keep_pos")
        if self.user_dict is not None:
            known = TAGSETS[self.tagger]
            for entry in read_user_dict(self.user_dict):
                if entry.tag and entry.tag not in known:
                    raise ValueError(
                        f"user_dict {self.user_dict}, line {entry.line}: the {self.tagger} "
                        f"tagger has no tag {entry.tag!r} (untagged terms get "
                        f"{PROPER_NOUN[self.tagger]}); its tags are: {' '.join(sorted(known))}"
                    )
        return self


class KonlpyCorpusParams(Params):
    """Korean law texts inside konlpy (kolaw: constitution, kobill: 10 bills) and/or .txt files."""

    corpus: list[Literal["kolaw", "kobill"]] = Field(
        default_factory=lambda: list[Literal["kolaw", "kobill"]](["kolaw", "kobill"])
    )
    path: ExistingPath | None = Field(None, description="a .txt file or a directory of .txt files")
    unit: Literal["document", "sentence", "chunk"] = Field("chunk", description="what one row is")
    chunk_chars: int = Field(
        400, ge=20, description="unit=chunk: sentences joined up to this length"
    )
    min_chars: int = Field(10, ge=0, description="drop shorter units")
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.1))

    @model_validator(mode="after")
    def _some_source(self) -> KonlpyCorpusParams:
        if not self.corpus and self.path is None:
            raise ValueError("name a corpus (kolaw, kobill) or a path")
        return self


class KoreanReviewsParams(Params):
    """Labeled Korean delivery-app reviews with dates (shipped), grouped before/after an event."""

    path: ExistingFile | None = Field(
        None, description="a csv with date, text, label; default: the shipped set"
    )
    event_date: dt.date = Field(
        dt.date(2023, 9, 1), description="reviews from this day on are 'after'"
    )
    group_column: str = Field("period", description="column receiving before/after")
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.3, stratify="label"))


class LdaParams(Params):
    """gensim LDA topics, c_v/u_mass coherence, perplexity, TF-IDF terms, word cloud, pyLDAvis."""

    tokens: str = Field("tokens", description="column of token lists (from konlpy_tokenize)")
    num_topics: int = Field(8, ge=2, le=500)
    passes: int = Field(10, ge=1, le=1000)
    iterations: int = Field(100, ge=1)
    alpha: Literal["symmetric", "asymmetric", "auto"] | float = "symmetric"
    eta: Literal["symmetric", "auto"] | float | None = None
    chunksize: int = Field(2000, ge=1)
    no_below: int = Field(2, ge=1, description="drop words in fewer documents")
    no_above: float = Field(
        0.5, gt=0, le=1, description="drop words in a larger share of documents"
    )
    keep_n: int = Field(20000, ge=10)
    topn: int = Field(10, ge=2, description="words per topic (stored and used by coherence)")
    coherence: list[Literal["c_v", "u_mass", "c_npmi", "c_uci"]] = Field(
        default_factory=lambda: list[Literal["c_v", "u_mass", "c_npmi", "c_uci"]](["c_v", "u_mass"])
    )
    tfidf_top: int = Field(30, ge=1, description="top TF-IDF terms stored")
    wordcloud: bool = True
    wordcloud_words: int = Field(100, ge=1)
    font_path: ExistingFile | None = Field(
        None, description="a font with Hangul; default: found on the system"
    )
    ldavis: bool = Field(True, description="interactive pyLDAvis page as an artifact")
    save_model: bool = True


class TfidfLogregParams(Params):
    """TF-IDF features and scikit-learn logistic regression, with per-group scores and top terms."""

    tokens: str = Field("tokens", description="column of token lists (from konlpy_tokenize)")
    text: str = Field("text", description="raw text column, shown in samples")
    label: str = Field("label")
    positive: str = Field("positive", description="the positive class")
    ngram_max: int = Field(2, ge=1, le=4, description="token n-grams 1..ngram_max")
    min_df: int = Field(1, ge=1)
    max_df: float = Field(1.0, gt=0, le=1)
    max_features: int | None = Field(None, ge=1)
    sublinear_tf: bool = True
    C: float = Field(1.0, gt=0, description="inverse regularization strength")
    class_weight: Literal["balanced"] | None = None
    max_iter: int = Field(1000, ge=10)
    top_terms: int = Field(20, ge=1, description="most positive/negative terms stored")
    group_by: str | None = Field(None, description="column whose groups are scored separately")
    group_order: list[str] | None = Field(
        None, description="group order for the change first -> last"
    )
    samples: int = Field(10, ge=0)
