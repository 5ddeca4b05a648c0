"""``oversample``: random oversampling (with replacement) of the small classes of the
train split, up to the largest class, the mean, or a fixed count per class."""

from __future__ import annotations

from typing import Any

from specrun import DataError

from .augment_base import CachedAugment


class Oversample(CachedAugment):
    kind = "oversample"

    def required_columns(self) -> list[str]:
        return [self.p.label]

    def transform(
        self, ctx: Any, frames: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        import numpy as np
        import polars as pl

        train = frames["train"]
        counts = dict(train[self.p.label].cast(pl.Utf8).value_counts().iter_rows())
        if len(counts) < 2:
            raise DataError(
                f"oversample: the label column {self.p.label!r} has one class only "
                f"({next(iter(counts))!r}): nothing to balance"
            )
        target = self.p.target
        if target == "max":
            goal = max(counts.values())
        elif target == "mean":
            goal = int(round(np.mean(list(counts.values()))))
        else:
            goal = int(target)
        goal = max(1, int(round(goal * self.p.ratio)))
        rng = np.random.default_rng(ctx.seed)
        labels = train[self.p.label].cast(pl.Utf8).to_numpy()
        extra_idx = []
        for cls, n in sorted(counts.items()):
            if n < goal:
                rows = np.flatnonzero(labels == cls)
                extra_idx.append(rng.choice(rows, size=goal - n, replace=True))
        added = np.concatenate(extra_idx) if extra_idx else np.zeros(0, dtype=np.int64)
        out = pl.concat([train, train[added]]) if len(added) else train
        order = rng.permutation(out.height)  # a sorted tail of copies would bias minibatches
        out = out[order]
        new_counts = out[self.p.label].cast(pl.Utf8).value_counts()["count"]
        stats = {
            "rows_added": float(len(added)),
            "smallest_class_before": float(min(counts.values())),
            "smallest_class_after": float(new_counts.min()),
            "largest_class_after": float(new_counts.max()),
        }
        return {"train": out}, stats
