"""What every augment kind of this plugin shares: column checks, the cache, and the
metrics each step logs (rows in/out, cache hit, cache bytes, seconds, its own stats).

A subclass says which splits it transforms and implements ``transform``; it never touches
the cache itself, so a cache hit skips exactly the work ``transform`` does.
"""

from __future__ import annotations

import time
from typing import Any

from specrun import DataError, Dataset

from .augment_cache import AugmentCache, cache_key


class CachedAugment:
    kind = "augment"
    uses_seed = True  # False for deterministic steps: their entries serve every seed

    def __init__(self, params: Any):
        self.p = params

    # -- for subclasses -----------------------------------------------------------
    def target_splits(self, dataset: Dataset) -> list[str]:
        return ["train"]

    def required_columns(self) -> list[str]:
        cols = [self.p.text]
        label = getattr(self.p, "label", None)
        return cols + ([label] if label else [])

    def fingerprints(self, ctx: Any) -> list[str]:
        """Fingerprints of what the step reads besides the rows (files, models, runs)."""
        return []

    def transform(
        self, ctx: Any, frames: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        raise NotImplementedError

    # -- the protocol ---------------------------------------------------------------
    def apply(self, ctx: Any, dataset: Dataset) -> Dataset:
        splits = [s for s in self.target_splits(dataset) if s in dataset.splits]
        frames = {s: dataset[s] for s in splits}
        for split, frame in frames.items():
            self.check_columns(frame, split)
        prefix = self._metric_prefix(ctx)
        started = time.perf_counter()
        # Where the store lives says nothing about the rows made: runs are fingerprinted by id.
        params = self.p.model_dump(mode="json", exclude={"cache", "store"})
        key = cache_key(
            self.kind, params, frames, ctx.seed if self.uses_seed else None, self.fingerprints(ctx)
        )
        cache = AugmentCache()
        hit = cache.get(key) if self.p.cache else None
        if hit is not None:
            out, stats, size = hit
            ctx.log(f"{self.kind}: reused cached result {key[:12]} ({size} bytes)")
        else:
            out, stats = self.transform(ctx, frames)
            size = 0
            if self.p.cache:
                size = cache.put(key, out, stats)
                # Continue with what a later hit will return, so that the steps after this
                # one see the same rows (and find their own entries) on every run.
                out = (cache.get(key) or (out, stats, size))[0]
        values = {
            "rows_in": sum(len(f) for f in frames.values()),
            "rows_out": sum(len(f) for f in out.values()),
            "cache_hit": float(hit is not None),
            "cache_bytes": float(size),
            "seconds": time.perf_counter() - started,
            **stats,
        }
        ctx.log_metrics({f"{prefix}_{k}": v for k, v in values.items()}, step=0, split="augment")
        # A running total, one point per step, so the last point is the whole pipeline's.
        keys = ctx.state.setdefault("augment_cache_keys", [])
        keys.append(key)
        total = ctx.state.get("augment_cache_bytes", 0.0) + size
        ctx.state["augment_cache_bytes"] = total
        ctx.log_metrics({"augment_cache_bytes": total}, step=len(keys), split="augment")
        return dataset.replace(**out)

    def check_columns(self, frame: Any, split: str) -> None:
        for col in self.required_columns():
            if col not in frame.columns:
                raise DataError(
                    f"augment {self.kind}: column {col!r} is not in the {split} split "
                    f"(columns: {', '.join(frame.columns)})"
                )

    def _metric_prefix(self, ctx: Any) -> str:
        """The kind, numbered when one spec uses the same kind twice."""
        seen = ctx.state.setdefault("augment_prefixes", {})
        seen[self.kind] = seen.get(self.kind, 0) + 1
        n = seen[self.kind]
        return self.kind if n == 1 else f"{self.kind}_{n}"
