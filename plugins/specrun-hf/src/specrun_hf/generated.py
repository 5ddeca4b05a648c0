"""Generated offline data kinds: Korean->English pairs and Korean summaries.

Both yield the ``source``/``target`` columns every pair kind yields, with splits made by
the generator itself (the translation eval split holds unseen (subject, verb) pairs).
"""

from __future__ import annotations

from typing import Any

from specrun import Dataset

from .data_params import GeneratedKoEnParams, GeneratedSummariesParams
from .pairs import SOURCE, TARGET


class GeneratedKoEn:
    def __init__(self, params: GeneratedKoEnParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        from .grammar_ko_en import generate_pairs

        p = self.params
        seed = ctx.seed if p.seed is None else p.seed
        try:
            rows = generate_pairs(p.train_rows, p.eval_rows, p.test_rows, p.held_out, seed)
        except ValueError as exc:
            from specrun import UserError

            raise UserError(f"data: {exc}") from None
        splits = {
            name: pl.DataFrame(r, schema=[SOURCE, TARGET, "combination"], orient="row")
            for name, r in rows.items()
        }
        meta = {
            "source": SOURCE,
            "target": TARGET,
            "source_lang": "ko",
            "target_lang": "en",
            "held_out_combinations": "subject|verb pairs of eval/test never occur in train",
        }
        return Dataset(splits, meta=meta)


class GeneratedKoSummaries:
    def __init__(self, params: GeneratedSummariesParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        from .grammar_summaries import generate_summaries

        p = self.params
        seed = ctx.seed if p.seed is None else p.seed
        rows = generate_summaries(p.train_rows, p.eval_rows, p.test_rows, seed)
        splits = {
            name: pl.DataFrame(r, schema=[SOURCE, TARGET], orient="row") for name, r in rows.items()
        }
        return Dataset(
            splits,
            meta={"source": SOURCE, "target": TARGET, "source_lang": "ko", "target_lang": "ko"},
        )
