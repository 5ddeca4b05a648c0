"""The ``parallel_text`` / ``text_pairs`` data kinds: source/target pairs from a file or a
Hugging Face dataset, mapped to the columns ``source`` and ``target``, length-filtered,
optionally de-duplicated, and split.

Every pair kind of this plugin yields frames with exactly the columns ``source`` and
``target`` (plus whatever else the source had); models and the trainer read those.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun import DataError, Dataset
from specrun.builtins.splits import split_frame

from .data_params import LengthFilter, PairTextParams

SOURCE, TARGET = "source", "target"


def select_text_column(df: Any, name: str, role: str) -> Any:
    """The column ``name`` as text; ``a.b`` reads field ``b`` of the struct column ``a``
    (the layout of HF translation datasets: {"translation": {"ko": ..., "en": ...}})."""
    import polars as pl

    if name in df.columns:
        return df[name].cast(pl.Utf8, strict=False)
    head, _, field = name.partition(".")
    if field and head in df.columns and isinstance(df.schema[head], pl.Struct):
        fields = [f.name for f in df.schema[head].fields]
        if field in fields:
            return df[head].struct.field(field).cast(pl.Utf8, strict=False)
        raise DataError(
            f"data.{role}: the struct column {head!r} has no field {field!r} "
            f"(fields: {', '.join(fields)})"
        )
    raise DataError(
        f"data.{role}: column {name!r} is not in the data (it has: {', '.join(df.columns)})"
    )


def to_pairs(df: Any, params: PairTextParams) -> Any:
    """A frame with ``source`` and ``target`` first, the other columns kept after them."""
    import polars as pl

    src = select_text_column(df, params.source, "source")
    tgt = select_text_column(df, params.target, "target")
    rest = [c for c in df.columns if c not in (SOURCE, TARGET, params.source, params.target)]
    return pl.concat([pl.DataFrame({SOURCE: src, TARGET: tgt}), df.select(rest)], how="horizontal")


def filter_lengths(df: Any, f: LengthFilter) -> Any:
    import polars as pl

    s = pl.col(SOURCE).str.strip_chars()
    t = pl.col(TARGET).str.strip_chars()
    keep = pl.col(SOURCE).is_not_null() & pl.col(TARGET).is_not_null()
    keep &= (s.str.len_chars() >= f.min_chars) & (t.str.len_chars() >= f.min_chars)
    if f.max_chars:
        keep &= (s.str.len_chars() <= f.max_chars) & (t.str.len_chars() <= f.max_chars)
    if f.max_words:
        words = lambda e: e.str.split(" ").list.len()  # noqa: E731
        keep &= (words(s) <= f.max_words) & (words(t) <= f.max_words)
    if f.max_ratio:
        ls, lt = s.str.len_chars().cast(pl.Float64), t.str.len_chars().cast(pl.Float64)
        longer = pl.max_horizontal(ls, lt)
        shorter = pl.max_horizontal(pl.min_horizontal(ls, lt), pl.lit(1.0))
        keep &= longer / shorter <= f.max_ratio
    return df.filter(keep)


def _read_hf_dataset(params: PairTextParams) -> dict[str, Any]:
    """{split name: polars frame} from datasets.load_dataset (hub id or local path) or a
    directory written by Dataset(Dict).save_to_disk."""
    from . import runtime  # noqa: F401  (process settings before the frameworks load)
    from .checkpoints import load_from, resolve

    where = "data.hf_dataset"
    ref = resolve(params.hf_dataset or "", where, marker=None)
    import datasets

    if ref.cache_only:
        datasets.config.HF_HUB_OFFLINE = True  # read at import; the env var came too late
    saved = ref.is_local_dir and any(
        (Path(ref.location) / f).is_file() for f in ("dataset_dict.json", "state.json")
    )
    if saved:
        ds = datasets.load_from_disk(ref.location)
    else:

        def loader(location: str, local_files_only: bool) -> Any:
            return datasets.load_dataset(location, params.hf_config)

        ds = load_from(ref, loader, where, "dataset")
    if isinstance(ds, datasets.Dataset):
        ds = datasets.DatasetDict({"train": ds})
    return {name: split.to_polars() for name, split in ds.items()}


class PairTextSource:
    def __init__(self, params: PairTextParams):
        self.params = params

    def _frames(self) -> dict[str, Any]:
        p = self.params
        if p.path is not None:
            from specrun.builtins.data import read_table

            return {"all": read_table(p.path, p.format)}
        return _read_hf_dataset(p)

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        p = self.params
        frames = self._frames()
        if p.hf_splits:
            missing = [s for s in p.hf_splits.values() if s not in frames]
            if missing:
                raise DataError(
                    f"data.hf_splits: the dataset has no split {missing[0]!r} "
                    f"(it has: {', '.join(frames)})"
                )
            named = {
                ours: self._prepare(ctx, frames[theirs], ours)
                for ours, theirs in p.hf_splits.items()
            }
        else:
            pooled = pl.concat(list(frames.values()), how="diagonal_relaxed")
            if pooled.height == 0:
                raise DataError(f"data: {self._where()} has no rows")
            named = split_frame(self._prepare(ctx, pooled, "data"), p.split, ctx.seed)
        empty = [name for name, frame in named.items() if frame.height == 0]
        if empty:
            raise DataError(
                f"data: the {empty[0]} split is empty after filtering ({self._where()})"
            )
        meta = {
            "source": SOURCE,
            "target": TARGET,
            "source_lang": p.source_lang,
            "target_lang": p.target_lang,
        }
        return Dataset(named, meta=meta)

    def _where(self) -> str:
        return str(self.params.path) if self.params.path else f"dataset {self.params.hf_dataset!r}"

    def _prepare(self, ctx: Any, df: Any, label: str) -> Any:
        p = self.params
        if df.height == 0:
            raise DataError(f"data: the {label} split of {self._where()} is empty")
        pairs = to_pairs(df, p)
        before = pairs.height
        pairs = filter_lengths(pairs, p.filter)
        if p.dedupe:
            pairs = pairs.unique(subset=[SOURCE, TARGET], keep="first", maintain_order=True)
        if p.limit:
            pairs = pairs.head(p.limit)
        if before != pairs.height:
            ctx.log(
                f"data {label}: kept {pairs.height} of {before} pairs "
                "(length filter, dedupe, limit)"
            )
        if pairs.height == 0:
            raise DataError(
                f"data: no pairs of the {label} split of {self._where()} pass the length "
                f"filter ({p.filter.model_dump(exclude_none=True)})"
            )
        return pairs
