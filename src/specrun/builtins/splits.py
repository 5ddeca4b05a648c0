"""Seeded train/eval/test splitting, random or stratified, shared by every data kind."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import DataError, names


class SplitSpec(BaseModel):
    """How a table becomes train/eval/test."""

    model_config = ConfigDict(extra="forbid")
    eval: float = Field(0.1, ge=0, lt=1, description="fraction for the eval split")
    test: float = Field(0.0, ge=0, lt=1, description="fraction for the test split")
    stratify: str | None = Field(
        None, description="column whose class proportions each split keeps"
    )
    column: str | None = Field(
        None, description="use this column's values (train/eval/test) instead"
    )
    seed: int | None = Field(None, description="split seed (default: the spec's seed)")

    @model_validator(mode="after")
    def _fractions(self) -> SplitSpec:
        if self.eval + self.test >= 1:
            raise ValueError(f"eval + test must be below 1, got {self.eval + self.test:g}")
        return self


def split_frame(df: Any, spec: SplitSpec, seed: int) -> dict[str, Any]:  # noqa: C901
    """Split a Polars frame; returns {'train': ..., 'eval': ..., 'test': ...} (empty splits dropped)."""
    import numpy as np
    import polars as pl

    if df.height == 0:
        raise DataError("the data is empty: no rows to split")
    if spec.column:
        if spec.column not in df.columns:
            raise DataError(
                f"split.column {spec.column!r} is not a column (columns: {names(df.columns)})"
            )
        out = {}
        for name in ("train", "eval", "test"):
            part = df.filter(pl.col(spec.column) == name)
            if part.height:
                out[name] = part
        if "train" not in out:
            raise DataError(f"split.column {spec.column!r} has no 'train' rows")
        return out
    rng = np.random.default_rng(spec.seed if spec.seed is not None else seed)
    n = df.height
    assign = np.zeros(n, dtype=np.int8)  # 0 train, 1 eval, 2 test
    if spec.stratify:
        if spec.stratify not in df.columns:
            raise DataError(
                f"split.stratify {spec.stratify!r} is not a column (columns: {names(df.columns)})"
            )
        labels = df[spec.stratify].cast(pl.Utf8).fill_null("").to_numpy().astype(str)
        groups = [np.flatnonzero(labels == v) for v in np.unique(labels)]
    else:
        groups = [np.arange(n)]
    for idx in groups:
        idx = rng.permutation(idx)
        n_eval = int(round(len(idx) * spec.eval))
        n_test = int(round(len(idx) * spec.test))
        if spec.eval > 0 and n_eval == 0 and len(idx) > 2:
            n_eval = 1
        assign[idx[:n_eval]] = 1
        assign[idx[n_eval : n_eval + n_test]] = 2
    out = {}
    for code, name in ((0, "train"), (1, "eval"), (2, "test")):
        mask = assign == code
        if mask.any():
            out[name] = df.filter(pl.Series(mask))
    if "train" not in out:
        raise DataError(
            f"no rows left for training out of {n} (eval={spec.eval}, test={spec.test})"
        )
    return out
