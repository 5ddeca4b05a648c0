"""Data kinds: KoNLPy's own corpora (or text files) cut into documents, and the shipped
labeled review set with its before/after-event column. Both work offline."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset, UserError
from specrun.builtins.splits import split_frame

from .params import KonlpyCorpusParams, KoreanReviewsParams

# The bills in kobill are hard-wrapped at a fixed width, often inside a word ("참\n여의"):
# their lines must be re-joined before tokenizing. The constitution has one clause a line.
HARD_WRAPPED = {"kobill": True, "kolaw": False}
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")


def konlpy_corpus_dir() -> Path:
    spec = importlib.util.find_spec("konlpy")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("data kind konlpy_corpus needs konlpy: pip install konlpy")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "corpus"


def unwrap(text: str) -> str:
    """Re-join hard-wrapped lines: a line as long as the text's usual width, not ending in
    a space, continues on the next line (without a space); shorter lines end a paragraph."""
    lines = [line.rstrip("\r") for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    lengths = sorted(len(line.rstrip()) for line in lines)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.endswith((" ", "\t")):
            continue  # the word boundary is already there
        out.append("" if len(line) >= 0.8 * width else "\n")
    return "".join(out).strip()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunks(parts: list[str], size: int) -> list[str]:
    """Consecutive sentences joined until a chunk reaches ``size`` characters."""
    out: list[str] = []
    current: list[str] = []
    length = 0
    for part in parts:
        current.append(part)
        length += len(part) + 1
        if length >= size:
            out.append(" ".join(current))
            current, length = [], 0
    if current:
        out.append(" ".join(current))
    return out


def _text_files(path: Path) -> list[Path]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.txt") if p.is_file())
    if not files:
        raise DataError(f"data.path: no .txt files under {path}")
    return files


class KonlpyCorpus:
    def __init__(self, params: KonlpyCorpusParams):
        self.p = params

    def _documents(self) -> list[tuple[str, str, bool]]:
        docs: list[tuple[str, str, bool]] = []
        if self.p.corpus:
            root = konlpy_corpus_dir()
            for name in self.p.corpus:
                for f in sorted((root / name).glob("*.txt")):
                    docs.append(
                        (f"{name}/{f.name}", f.read_text(encoding="utf-8"), HARD_WRAPPED[name])
                    )
        if self.p.path is not None:
            for f in _text_files(self.p.path):
                try:
                    text = f.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    raise DataError(f"data.path: {f} is not UTF-8 text") from None
                docs.append((str(f), text, False))
        return docs

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        rows: dict[str, list[Any]] = {"source": [], "unit": [], "text": []}
        for source, raw, wrapped in self._documents():
            text = unwrap(raw) if wrapped else raw.strip()
            if self.p.unit == "document":
                units = [text]
            elif self.p.unit == "sentence":
                units = sentences(text)
            else:
                units = chunks(sentences(text), self.p.chunk_chars)
            units = [u for u in units if len(u) >= self.p.min_chars]
            rows["source"] += [source] * len(units)
            rows["unit"] += list(range(len(units)))
            rows["text"] += units
        if not rows["text"]:
            raise DataError(
                f"data: no {self.p.unit} of at least {self.p.min_chars} characters in the corpus"
            )
        df = pl.DataFrame(rows)
        return Dataset(
            split_frame(df, self.p.split, ctx.seed), meta={"text": "text", "units": self.p.unit}
        )


def shipped_reviews() -> Path:
    return Path(__file__).parent / "data" / "reviews_ko.csv"


class KoreanReviews:
    REQUIRED = ("date", "text", "label")

    def __init__(self, params: KoreanReviewsParams):
        self.p = params

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        path = self.p.path or shipped_reviews()
        try:
            df = pl.read_csv(path, try_parse_dates=False)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise DataError(f"{path}: cannot read as csv: {str(exc).splitlines()[0]}") from None
        missing = [c for c in self.REQUIRED if c not in df.columns]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)} (it has: {', '.join(df.columns)})"
            )
        try:
            dates = df["date"].cast(pl.Utf8).str.to_date("%Y-%m-%d")
        except pl.exceptions.PolarsError:
            raise DataError(f"{path}: the date column must hold YYYY-MM-DD dates") from None
        df = df.with_columns(dates.alias("date")).with_columns(
            pl.when(pl.col("date") < self.p.event_date)
            .then(pl.lit("before"))
            .otherwise(pl.lit("after"))
            .alias(self.p.group_column)
        )
        if df.height == 0:
            raise DataError(f"{path}: no reviews")
        counts = dict(df.group_by(self.p.group_column).len().iter_rows())
        before, after = counts.get("before", 0), counts.get("after", 0)
        ctx.log(f"reviews: {before} before and {after} after {self.p.event_date}")
        return Dataset(
            split_frame(df, self.p.split, ctx.seed),
            meta={"text": "text", "label": "label", "group": self.p.group_column},
        )
