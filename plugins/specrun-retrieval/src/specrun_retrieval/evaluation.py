"""The standard evaluation protocol: each context against its true response and N-1
negatives drawn from the other responses of the same split.

Negative sets are drawn once per split with the run's seed and nested (the set for N=10 is
the first 9 negatives of the set for N=100), so every eval during training scores the same
candidates and a cross-encoder scores each pair only once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from specrun import DataError, Predictions

from .bot import RetrievalBot
from .models import CrossModel, RerankModel, TwoTowerModel
from .ranking import rank_positions, ranking_metrics

POOL_KS = (1, 5, 10)


@dataclass
class CandidateSets:
    contexts: list[str]
    references: list[str]
    texts: list[str]  # distinct responses of the split
    columns: np.ndarray  # (contexts, N max) indexes into texts; column 0 is the true response
    ns: list[int]


def candidate_sets(
    frame: Any,
    context_col: str,
    response_col: str,
    ns: Sequence[int],
    max_contexts: int,
    seed: int,
    split: str,
) -> CandidateSets:
    for col in (context_col, response_col):
        if col not in frame.columns:
            raise DataError(
                f"the {split} split has no column {col!r} (columns: {', '.join(frame.columns)})"
            )
    contexts = [str(t) for t in frame[context_col].to_list()]
    responses = [str(t) for t in frame[response_col].to_list()]
    texts = list(dict.fromkeys(responses))
    n_max = max(ns)
    if len(texts) < n_max:
        raise DataError(
            f"trainer.eval_candidates: N={n_max} needs at least {n_max} distinct responses in "
            f"the {split} split, it has {len(texts)} (lower N or use a larger {split} split)"
        )
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.permutation(len(contexts))[:max_contexts])
    position = {t: i for i, t in enumerate(texts)}
    columns = np.zeros((len(keep), n_max), dtype=np.int64)
    for row, i in enumerate(keep):
        true = position[responses[i]]
        draw = rng.choice(len(texts) - 1, size=n_max - 1, replace=False)
        columns[row, 0] = true
        columns[row, 1:] = draw + (draw >= true)  # skip the true response's own position
    return CandidateSets(
        [contexts[i] for i in keep], [responses[i] for i in keep], texts, columns, sorted(ns)
    )


def _two_tower_scores(model: TwoTowerModel, sets: CandidateSets, batch_size: int) -> np.ndarray:
    reps = model.encode_contexts(sets.contexts, batch_size)
    vectors = model.encode_candidates(sets.texts, batch_size)
    full = np.concatenate(
        [
            model.score(reps[i : i + batch_size], vectors)
            for i in range(0, len(sets.contexts), batch_size)
        ]
    )
    return np.take_along_axis(full, sets.columns, axis=1)


class PairCache:
    """Cross-encoder scores of (context row, candidate column) pairs, computed on demand."""

    def __init__(self, model: CrossModel, sets: CandidateSets, batch_size: int):
        self.model, self.sets, self.batch_size = model, sets, batch_size
        self.scores: dict[tuple[int, int], float] = {}

    def get(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        todo = [p for p in dict.fromkeys(pairs) if p not in self.scores]
        if todo:
            s = self.sets
            values = self.model.score_pairs(
                [s.contexts[r] for r, _ in todo],
                [s.texts[s.columns[r, c]] for r, c in todo],
                self.batch_size,
            )
            self.scores.update(zip(todo, values.tolist(), strict=True))
        return np.array([self.scores[p] for p in pairs], dtype=np.float32)


def rank_matrices(
    model: Any, sets: CandidateSets, batch_size: int
) -> tuple[dict[int, np.ndarray], dict[str, float]]:
    """{N: (contexts, N) scores} for the model, and the retriever-only metrics of a pipeline."""
    if isinstance(model, TwoTowerModel):
        full = _two_tower_scores(model, sets, batch_size)
        return {n: full[:, :n] for n in sets.ns}, {}
    if isinstance(model, CrossModel):
        cache = PairCache(model, sets, batch_size)
        n_max = max(sets.ns)
        flat = cache.get([(r, c) for r in range(len(sets.contexts)) for c in range(n_max)])
        full = flat.reshape(len(sets.contexts), n_max)
        return {n: full[:, :n] for n in sets.ns}, {}
    assert isinstance(model, RerankModel)
    retrieved = _two_tower_scores(model.retriever, sets, batch_size)
    cache = PairCache(model.reranker, sets, batch_size)
    top_k = model.params.rerank_top_k
    out, stage_metrics = {}, {}
    for n in sets.ns:
        stage_metrics.update(ranking_metrics(retrieved[:, :n], prefix="retriever_"))
        order = np.argsort(-retrieved[:, :n], axis=1, kind="stable")
        top = order[:, :top_k]
        cross = cache.get([(r, int(c)) for r in range(len(top)) for c in top[r]]).reshape(top.shape)
        final = np.zeros((len(order), n), np.float32)
        for r in range(len(order)):
            reranked = top[r][np.argsort(-cross[r], kind="stable")]
            final[r] = rank_positions(np.concatenate([reranked, order[r, top_k:]]), n)
        out[n] = final
    return out, stage_metrics


def pool_metrics(
    bot: RetrievalBot, contexts: list[str], references: list[str], batch_size: int
) -> dict[str, float]:
    """Recall@k when answering from the whole candidate pool, as the served bot does; for a
    pipeline also without its re-ranker (``retriever_pool_r@k``), to see what re-ranking adds."""
    out = {}
    bots = [("", bot)]
    if bot.reranker is not None:
        bots.append(("retriever_", RetrievalBot(bot.retriever, bot.index, bot.texts)))
    for prefix, b in bots:
        answers = b.rank(contexts, max(POOL_KS), batch_size)
        ranks = []
        for row, ref in zip(answers, references, strict=True):
            texts = [a.text for a in row]
            ranks.append(texts.index(ref) + 1 if ref in texts else 10**9)
        out.update({f"{prefix}pool_r@{k}": float((np.array(ranks) <= k).mean()) for k in POOL_KS})
    return out


def predictions(
    model: Any, sets: CandidateSets, split: str, batch_size: int, bot: RetrievalBot | None = None
) -> Predictions:
    rankings, stage_metrics = rank_matrices(model, sets, batch_size)
    n_max = max(sets.ns)
    best = rankings[n_max].argmax(axis=1)
    outputs = [sets.texts[sets.columns[r, c]] for r, c in enumerate(best)]
    extra: dict[str, Any] = {"ranking": rankings}
    extra.update({f"metric:{k}": v for k, v in stage_metrics.items()})
    if bot is not None:
        extra.update(
            {
                f"metric:{k}": v
                for k, v in pool_metrics(bot, sets.contexts, sets.references, batch_size).items()
            }
        )
    return Predictions(
        split,
        outputs=outputs,
        references=sets.references,
        inputs=sets.contexts,
        scores=rankings[n_max],
        extra=extra,
    )
