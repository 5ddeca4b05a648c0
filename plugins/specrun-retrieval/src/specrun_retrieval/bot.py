"""A retrieval chatbot: a trained model, its candidate index and the candidates' texts.

Answering is retrieval (faiss over the whole pool with the bi-encoder vector or the
poly-encoder's first-stage query), then exact poly-encoder scoring of a shortlist, then
cross-encoder re-ranking when the model has one. Used by evaluation, `serve` and `chat`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .index import CandidateIndex, choose_kind
from .models import RerankModel, TwoTowerModel


@dataclass
class Answer:
    id: int
    text: str
    score: float


class RetrievalBot:
    def __init__(
        self,
        model: TwoTowerModel | RerankModel,
        index: CandidateIndex,
        texts: dict[int, str],
        run_id: str | None = None,
    ):
        self.model, self.index, self.texts, self.run_id = model, index, dict(texts), run_id
        self.retriever: TwoTowerModel = model.retriever if isinstance(model, RerankModel) else model
        self.reranker = model.reranker if isinstance(model, RerankModel) else None
        # faiss indexes are not safe to search while another thread adds to them
        self.lock = threading.RLock()

    @classmethod
    def from_texts(
        cls,
        model: TwoTowerModel | RerankModel,
        texts: Sequence[str],
        batch_size: int = 256,
        kind: str | None = None,
        progress: Any = None,
        run_id: str | None = None,
    ) -> RetrievalBot:
        """Embed every text once and index the vectors (ids are positions in ``texts``)."""
        retriever = model.retriever if isinstance(model, RerankModel) else model
        vectors = retriever.encode_candidates(list(texts), batch_size, progress)
        opts = retriever.params.index
        kind = kind or choose_kind(opts.type, len(texts), opts.large_pool)
        index = CandidateIndex.build(
            vectors,
            np.arange(len(texts)),
            kind,
            nlist=opts.nlist,
            nprobe=opts.nprobe,
            hnsw_m=opts.hnsw_m,
            ef_search=opts.ef_search,
            ef_construction=opts.ef_construction,
            use_gpu=opts.gpu,
        )
        return cls(model, index, dict(enumerate(texts)), run_id)

    @property
    def kind(self) -> str:
        return self.model.kind

    def __len__(self) -> int:
        return len(self.index)

    # -- answering -----------------------------------------------------------------------
    def rank(
        self, contexts: Sequence[str], k: int = 1, batch_size: int = 256
    ) -> list[list[Answer]]:
        """The top-``k`` candidates for each context, best first."""
        contexts = list(contexts)
        if not contexts:
            return []
        reps = self.retriever.encode_contexts(contexts, batch_size)
        fetch = k
        if self.retriever.kind == "poly_encoder":
            fetch = max(fetch, self.retriever.params.shortlist)
        if self.reranker is not None:
            fetch = max(fetch, self.model.params.rerank_top_k)
        with self.lock:
            scores, ids = self.index.search(self.retriever.first_stage_query(reps), fetch)
            shortlists = [[int(i) for i in row if i >= 0] for row in ids]
            vectors = (
                [
                    np.stack([self.index.vector(i) for i in row]) if row else None
                    for row in shortlists
                ]
                if self.retriever.kind == "poly_encoder"
                else None
            )
            texts = [[self.texts[i] for i in row] for row in shortlists]
        out = []
        for n, row in enumerate(shortlists):
            row_scores = scores[n, : len(row)]
            if vectors is not None and row:
                row_scores = self.retriever.score(reps[n : n + 1], vectors[n])[
                    0
                ]  # exact poly-encoder scores
            order = np.argsort(-row_scores, kind="stable")
            ranked = [Answer(row[j], texts[n][j], float(row_scores[j])) for j in order]
            out.append(self._rerank(contexts[n], ranked)[:k])
        return out

    def _rerank(self, context: str, ranked: list[Answer]) -> list[Answer]:
        if self.reranker is None or not ranked:
            return ranked
        top = ranked[: self.model.params.rerank_top_k]
        cross = self.reranker.score_pairs([context] * len(top), [a.text for a in top])
        order = np.argsort(-cross, kind="stable")
        return [Answer(top[j].id, top[j].text, float(cross[j])) for j in order] + ranked[len(top) :]

    def respond(self, context: str, k: int = 1) -> list[Answer]:
        return self.rank([context], k)[0]

    # -- changing the pool while serving ------------------------------------------------------
    def add(self, candidate_id: int, text: str, vector: np.ndarray | None = None) -> None:
        """Embed ``text`` (unless its vector is given) and make it answerable at once."""
        if vector is None:
            vector = self.embed([text])[0]
        with self.lock:
            self.index.add(np.array([candidate_id]), vector[None, :])
            self.texts[int(candidate_id)] = text

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with torch.inference_mode():
            return self.retriever.encode_candidates(list(texts))

    def remove(self, candidate_id: int) -> bool:
        with self.lock:
            self.texts.pop(int(candidate_id), None)
            return self.index.remove([candidate_id]) > 0
