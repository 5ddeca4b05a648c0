"""Framework-free data kinds: tables from files, a DuckDB SQL query over files, and a
small generated topic-classification set for demos and tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from ..components import Params
from ..context import Dataset
from ..errors import DataError, names
from ..types import ExistingFile
from .splits import SplitSpec, split_frame

FORMATS = ("csv", "tsv", "jsonl", "parquet")


def _not_empty(path: Path) -> Path:
    if path.stat().st_size == 0:
        raise ValueError(f"file is empty: {path}")
    return path


class TableParams(Params):
    """A table from a csv, tsv, jsonl or parquet file, split into train/eval/test."""

    path: ExistingFile
    format: Literal["auto", "csv", "tsv", "jsonl", "parquet"] = "auto"
    columns: dict[str, str] = Field(
        default_factory=dict, description="rename: {file column: name used by the run}"
    )
    require: list[str] = Field(
        default_factory=list, description="columns that must exist (after renaming)"
    )
    limit: int | None = Field(None, gt=0, description="keep only the first N rows")
    split: SplitSpec = Field(default_factory=SplitSpec)

    @field_validator("path")
    @classmethod
    def _check_empty(cls, v: Path) -> Path:
        return _not_empty(v)

    def known_columns(self) -> list[str] | None:
        """The columns the run will see (after ``columns:`` renames), read from the header."""
        cols = header_columns(self.path, self.format)
        if cols is None:
            return None
        return [self.columns.get(c, c) for c in cols]


HEADER_BYTES = 1 << 20  # a header line longer than this is not read at validate time


def table_format(path: Path, fmt: str = "auto") -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet", "txt": "tsv"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise DataError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; set format: to one of {', '.join(FORMATS)}"
        )
    return fmt


def first_bad_utf8(path: Path, chunk: int = 1 << 20) -> tuple[int, int] | None:
    """(line, byte offset) of the first invalid UTF-8 in a file, reading a chunk at a time."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with open(path, "rb") as fh:
        while True:
            data = fh.read(chunk)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder still held plus this chunk
                held = len(exc.object) - len(data)
                at = max(exc.start - held, 0)
                return line + data.count(b"\n", 0, at), offset + at
            if not data:
                return None
            line += data.count(b"\n")
            offset += len(data)


def header_columns(path: Path, fmt: str = "auto") -> list[str] | None:
    """The columns of a table file from its first line (or a parquet schema), without
    reading the rest: what `specrun validate` checks names against. None: cannot tell cheaply."""
    import csv
    import json

    fmt = table_format(path, fmt)
    if fmt == "parquet":
        import polars as pl

        try:
            return list(pl.read_parquet_schema(path))
        except Exception:  # noqa: BLE001 - the run reports an unreadable file with its reason
            return None
    with open(path, "rb") as fh:
        first = fh.readline(HEADER_BYTES + 1)
    if len(first) > HEADER_BYTES:
        return None
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}:1: not UTF-8 text (byte {exc.start} of the first line)") from None
    if fmt == "jsonl":
        try:
            row = json.loads(text)
        except ValueError:
            return None
        return list(row) if isinstance(row, dict) else None
    if fmt == "tsv":
        return text.split("\t")
    return next(csv.reader([text]), [])


def read_table(path: Path, fmt: str = "auto") -> Any:
    import polars as pl

    fmt = table_format(path, fmt)
    try:
        if fmt == "csv":
            return pl.read_csv(path, infer_schema_length=10_000)
        if fmt == "tsv":
            return pl.read_csv(path, separator="\t", quote_char=None, infer_schema_length=10_000)
        if fmt == "jsonl":
            return pl.read_ndjson(path)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        bad = first_bad_utf8(path) if fmt != "parquet" and "utf" in first.lower() else None
        if bad is not None:
            raise DataError(
                f"{path}:{bad[0]}: not UTF-8 text (byte {bad[1]:,} of the file)"
            ) from None
        raise DataError(f"{path}: cannot read as {fmt}: {first}") from None


def finish_table(df: Any, params: Any, seed: int, where: str) -> Dataset:
    """Rename, check required columns, limit and split: shared by the table kinds."""
    missing = [c for c in params.columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{where}: columns {missing} named in `columns:` are not in the data (it has: {names(df.columns)})"
        )
    if params.columns:
        df = df.rename(params.columns)
    absent = [c for c in params.require if c not in df.columns]
    if absent:
        raise DataError(
            f"{where}: required column(s) {', '.join(absent)} missing (it has: {names(df.columns)})"
        )
    if params.limit:
        df = df.head(params.limit)
    if df.height == 0:
        raise DataError(f"{where}: the data has no rows")
    return Dataset(split_frame(df, params.split, seed), meta={"columns": df.columns})


class TableSource:
    def __init__(self, params: TableParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        df = read_table(self.params.path, self.params.format)
        return finish_table(df, self.params, ctx.seed, str(self.params.path))


class SqlParams(Params):
    """Rows from a DuckDB SQL query, usually over files: SELECT * FROM 'data/*.parquet'."""

    query: str = Field(min_length=1)
    columns: dict[str, str] = Field(default_factory=dict)
    require: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, gt=0)
    split: SplitSpec = Field(default_factory=SplitSpec)

    @field_validator("query")
    @classmethod
    def _parses(cls, q: str) -> str:
        import duckdb

        try:
            statements = duckdb.extract_statements(q)
        except duckdb.Error as exc:
            raise ValueError(f"SQL does not parse: {str(exc).splitlines()[0]}") from None
        if len(statements) != 1 or "SELECT" not in str(statements[0].type).upper():
            raise ValueError("expected one SELECT statement")
        return q


class SqlSource:
    def __init__(self, params: SqlParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        import duckdb

        try:
            from ..store.query import run_sql

            with duckdb.connect(":memory:") as db:
                df = run_sql(db, self.params.query)
        except duckdb.Error as exc:
            raise DataError(f"data.query failed: {str(exc).splitlines()[0]}") from None
        return finish_table(df, self.params, ctx.seed, "data.query")


# A tiny generated Korean topic set: words of four topics plus shared filler, with noise.
TOPIC_WORDS = {
    "sports": "축구 야구 선수 경기 득점 감독 리그 우승 골 시즌 농구 올림픽".split(),
    "economy": "경제 주가 금리 시장 투자 수출 기업 물가 은행 성장 환율 증시".split(),
    "politics": "국회 의원 선거 정부 대통령 법안 정당 장관 외교 투표 여당 야당".split(),
    "science": "연구 과학 우주 로봇 실험 기술 인공지능 유전자 논문 위성 반도체 백신".split(),
}
FILLER = "오늘 이번 관련 발표 최근 올해 새로운 주요 전망 가능성 대해 위해".split()


class GeneratedTopicsParams(Params):
    """Generated Korean topic-classification headlines (text, label): offline demo data."""

    rows: int = Field(400, gt=0, le=1_000_000)
    words: int = Field(6, ge=2, le=64, description="words per headline")
    noise: float = Field(0.3, ge=0, le=1, description="share of words drawn from other topics")
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.2, stratify="label"))


class GeneratedTopics:
    def __init__(self, params: GeneratedTopicsParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        import numpy as np
        import polars as pl

        p = self.params
        rng = np.random.default_rng(ctx.seed)
        topics = sorted(TOPIC_WORDS)
        texts, labels = [], []
        for _ in range(p.rows):
            topic = topics[rng.integers(len(topics))]
            words = []
            for _ in range(p.words):
                r = rng.random()
                if r < p.noise:
                    pool = TOPIC_WORDS[topics[rng.integers(len(topics))]]
                elif r < p.noise + 0.25:
                    pool = FILLER
                else:
                    pool = TOPIC_WORDS[topic]
                words.append(pool[rng.integers(len(pool))])
            texts.append(" ".join(words))
            labels.append(topic)
        df = pl.DataFrame({"text": texts, "label": labels})
        return Dataset(
            split_frame(df, p.split, ctx.seed),
            meta={"labels": topics, "text": "text", "label": "label"},
        )
