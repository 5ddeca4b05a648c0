"""Model kinds and the objects they build: a two-tower model (bi- or poly-encoder), a
cross-encoder, and the retrieve-and-rerank pair. Each knows its tokenizer, how to encode
and score texts and its own in-batch-negatives loss; the trainer only loops."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from specrun import DataError, Dataset

from specrun_torchkit import distributed

from . import encoders
from .params import BiEncoderParams, CrossEncoderParams, PolyEncoderParams, RetrieveAndRerankParams
from .tokenizer import load_pretrained, train_wordpiece


class _Texts:
    """Tokenizing and device placement shared by both model families."""

    tokenizer: Any
    net: torch.nn.Module
    device: str = "cpu"

    def batch(
        self, texts: Sequence[str], max_length: int, pairs: Sequence[str] | None = None
    ) -> dict[str, Any]:
        enc = self.tokenizer(
            list(texts),
            list(pairs) if pairs is not None else None,
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        return {k: v.to(self.device) for k, v in enc.items()}

    @contextmanager
    def on(self, device: str) -> Iterator[None]:
        """The weights sit on ``device`` only inside this block: GPU memory is held while
        training or scoring, and given back afterwards."""
        previous = self.device
        self.net.to(device)
        self.device = device
        try:
            yield
        finally:
            self.net.to(previous)
            self.device = previous
            if device.startswith("cuda") and not previous.startswith("cuda"):
                release_gpu_memory()


def release_gpu_memory() -> None:
    """Hand cached blocks back to the driver, cuBLAS's workspaces (tens of MiB per stream)
    included: a server that scored on the GPU should not keep holding it while idle."""
    clear_workspaces = getattr(torch._C, "_cuda_clearCublasWorkspaces", None)
    if clear_workspaces is not None:
        clear_workspaces()
    torch.cuda.empty_cache()


def _false_negatives(
    responses: Sequence[str], everyone: Sequence[str] | None = None, offset: int = 0
) -> torch.Tensor:
    """(B, B') True where a row's response text is another column's (B' = the gathered
    batch of every worker; row i is column offset + i): such a pair is not a negative, and
    counting it as one would teach the model noise."""
    everyone = responses if everyone is None else everyone
    ids = {t: i for i, t in enumerate(dict.fromkeys(everyone))}
    rows = torch.tensor([ids[t] for t in responses])
    cols = torch.tensor([ids[t] for t in everyone])
    same = rows[:, None] == cols[None, :]
    own = torch.zeros_like(same)
    own[torch.arange(len(responses)), offset + torch.arange(len(responses))] = True
    return same & ~own


def in_batch_logits(
    score: Any, ctx: torch.Tensor, cand: torch.Tensor, responses: Sequence[str], scale: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits of this worker's contexts against every worker's responses, the targets and
    the false-negative mask. With N workers the candidates are gathered (gradients flow
    back to each worker's own), so each context sees N x batch - 1 negatives; on one worker
    this is the plain in-batch loss."""
    rank, _ = distributed.world()
    everyone = distributed.gather_objects(list(responses))
    gathered = distributed.gather_with_grad(cand)
    offset = rank * len(responses)
    mask = _false_negatives(responses, everyone, offset).to(cand.device)
    target = torch.arange(len(responses), device=cand.device) + offset
    logits = (scale * score(ctx, gathered)).masked_fill(mask, float("-inf"))
    return logits, target, mask


class TwoTowerModel(_Texts):
    """A bi-encoder or poly-encoder with its tokenizer and parameters."""

    def __init__(
        self,
        kind: str,
        params: BiEncoderParams | PolyEncoderParams,
        net: encoders.TwoTower,
        tokenizer: Any,
    ):
        self.kind, self.params, self.net, self.tokenizer = kind, params, net, tokenizer

    @property
    def dim(self) -> int:
        return encoders.hidden_size(self.net.candidate)

    @torch.no_grad()
    def encode_contexts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """Context representations on the CPU: (n, d) for a bi-encoder, (n, m, d) for a
        poly-encoder."""
        self.net.eval()
        out = [
            self.net.encode_contexts(
                self.batch(texts[i : i + batch_size], self.params.max_context_length)
            )
            .float()
            .cpu()
            for i in range(0, len(texts), batch_size)
        ]
        return torch.cat(out) if out else torch.zeros(0, self.dim)

    @torch.no_grad()
    def encode_candidates(
        self, texts: Sequence[str], batch_size: int = 256, progress: Any = None
    ) -> np.ndarray:
        self.net.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            chunk = texts[i : i + batch_size]
            out.append(
                self.net.encode_candidates(self.batch(chunk, self.params.max_response_length))
                .float()
                .cpu()
            )
            if progress is not None:
                progress.update(len(chunk))
        return (
            torch.cat(out).numpy().astype(np.float32)
            if out
            else np.zeros((0, self.dim), np.float32)
        )

    @torch.no_grad()
    def score(self, contexts: torch.Tensor, candidates: np.ndarray | torch.Tensor) -> np.ndarray:
        cand = torch.as_tensor(candidates).to(self.device)
        return self.net.score(contexts.to(self.device), cand).float().cpu().numpy()

    def first_stage_query(self, contexts: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(
            self.net.first_stage_query(contexts).float().numpy(), dtype=np.float32
        )

    def loss(self, contexts: Sequence[str], responses: Sequence[str]) -> torch.Tensor:
        """In-batch negatives: row i's response is the answer, the other rows' are negatives."""
        self.net.train()
        ctx = self.net.encode_contexts(self.batch(contexts, self.params.max_context_length))
        cand = self.net.encode_candidates(self.batch(responses, self.params.max_response_length))
        scale = self.params.scale
        logits, target, mask = in_batch_logits(self.net.score, ctx, cand, responses, scale)
        loss = torch.nn.functional.cross_entropy(logits, target)
        weight = getattr(self.params, "first_stage_weight", 0.0)
        if weight:
            gathered = distributed.gather_with_grad(cand)
            first = (scale * (self.net.first_stage_query(ctx) @ gathered.T)).masked_fill(
                mask, float("-inf")
            )
            loss = loss + weight * torch.nn.functional.cross_entropy(first, target)
        return loss


class CrossModel(_Texts):
    kind = "cross_encoder"

    def __init__(self, params: CrossEncoderParams, net: encoders.CrossEncoderNet, tokenizer: Any):
        self.params, self.net, self.tokenizer = params, net, tokenizer

    @torch.no_grad()
    def score_pairs(
        self, contexts: Sequence[str], responses: Sequence[str], batch_size: int = 256
    ) -> np.ndarray:
        self.net.eval()
        out = [
            self.net(
                self.batch(
                    contexts[i : i + batch_size],
                    self.params.max_length,
                    responses[i : i + batch_size],
                )
            )
            .float()
            .cpu()
            for i in range(0, len(contexts), batch_size)
        ]
        return torch.cat(out).numpy() if out else np.zeros(0, np.float32)

    def loss(
        self,
        contexts: Sequence[str],
        responses: Sequence[str],
        hard: Sequence[Sequence[str]] | None = None,
    ) -> torch.Tensor:
        """Each context against its response and ``negatives`` others: first its ``hard``
        negatives (the retriever's near misses, what a re-ranker sees when serving) where
        given, then the next rows' responses of the batch (easy ones, mostly of another
        intent, which keep the re-ranker sane on the rest)."""
        self.net.train()
        b = len(contexts)
        k = min(self.params.negatives, b - 1)
        candidates = []
        for i in range(b):
            row = [responses[i], *(hard[i][:k] if hard is not None else [])]
            row += [responses[(i + j) % b] for j in range(1, k + 2 - len(row))]
            candidates.append(row)
        flat_ctx = [contexts[i] for i in range(b) for _ in range(k + 1)]
        flat_resp = [t for row in candidates for t in row]
        logits = self.net(self.batch(flat_ctx, self.params.max_length, flat_resp)).view(b, k + 1)
        same = torch.tensor([[t == row[0] for t in row] for row in candidates])
        same[:, 0] = False
        logits = logits.masked_fill(same.to(logits.device), float("-inf"))
        return torch.nn.functional.cross_entropy(
            logits, torch.zeros(b, dtype=torch.long, device=logits.device)
        )


class RerankModel:
    """Retrieval with a two-tower model, then a cross-encoder over the top candidates."""

    kind = "retrieve_and_rerank"

    def __init__(
        self, params: RetrieveAndRerankParams, retriever: TwoTowerModel, reranker: CrossModel
    ):
        self.params, self.retriever, self.reranker = params, retriever, reranker

    def warm_start_reranker(self) -> bool:
        """Start the cross-encoder from the trained retriever's context encoder when both
        have the same architecture and vocabulary: a small cross-encoder trained from
        scratch must otherwise learn words and intents before it can learn to compare."""
        source = self.retriever.net.context.state_dict()
        target = self.reranker.net.backbone.state_dict()
        same_shapes = source.keys() == target.keys() and all(
            source[k].shape == target[k].shape for k in source
        )
        same_vocab = self.retriever.tokenizer.get_vocab() == self.reranker.tokenizer.get_vocab()
        if not (same_shapes and same_vocab):
            return False
        self.reranker.net.backbone.load_state_dict(source)
        return True


# -- building from a spec ------------------------------------------------------------------


def _columns(dataset: Dataset, params: Any) -> tuple[list[str], list[str]]:
    df = dataset["train"]
    for field in ("context_column", "response_column"):
        col = getattr(params, field)
        if col not in df.columns:
            raise DataError(
                f"model.{field}: column {col!r} is not in the train split "
                f"(columns: {', '.join(df.columns)})"
            )
    return (
        [str(t) for t in df[params.context_column].to_list()],
        [str(t) for t in df[params.response_column].to_list()],
    )


def _tokenizer(params: Any, dataset: Dataset) -> Any:
    if params.checkpoint is not None:
        return load_pretrained(params.checkpoint)
    contexts, responses = _columns(dataset, params)
    return train_wordpiece(contexts + responses, params.vocab_size, params.lowercase)


def build_two_tower(
    kind: str, params: BiEncoderParams | PolyEncoderParams, dataset: Dataset
) -> TwoTowerModel:
    _columns(dataset, params)
    tokenizer = _tokenizer(params, dataset)
    context = encoders.make_backbone(params.checkpoint, params.config, tokenizer)
    # two towers start from the same weights, as in the poly-encoder paper
    candidate = None if params.shared_encoder else copy.deepcopy(context)
    if kind == "poly_encoder":
        net: encoders.TwoTower = encoders.PolyEncoderNet(
            context, candidate, params.pooling, params.normalize, params.codes
        )
    else:
        net = encoders.BiEncoderNet(context, candidate, params.pooling, params.normalize)
    return TwoTowerModel(kind, params, net, tokenizer)


def build_cross(params: CrossEncoderParams, dataset: Dataset, tokenizer: Any = None) -> CrossModel:
    _columns(dataset, params)
    tokenizer = tokenizer if tokenizer is not None else _tokenizer(params, dataset)
    backbone = encoders.make_backbone(params.checkpoint, params.config, tokenizer)
    return CrossModel(params, encoders.CrossEncoderNet(backbone, params.pooling), tokenizer)


class BiEncoderKind:
    def __init__(self, params: BiEncoderParams):
        self.params = params

    def build(self, ctx: Any, dataset: Dataset) -> TwoTowerModel:
        return build_two_tower("bi_encoder", self.params, dataset)


class PolyEncoderKind(BiEncoderKind):
    def build(self, ctx: Any, dataset: Dataset) -> TwoTowerModel:
        return build_two_tower("poly_encoder", self.params, dataset)


class CrossEncoderKind:
    def __init__(self, params: CrossEncoderParams):
        self.params = params

    def build(self, ctx: Any, dataset: Dataset) -> CrossModel:
        return build_cross(self.params, dataset)


class RetrieveAndRerankKind:
    def __init__(self, params: RetrieveAndRerankParams):
        self.params = params

    def build(self, ctx: Any, dataset: Dataset) -> RerankModel:
        r, c = self.params.retriever, self.params.reranker
        retriever = build_two_tower(r.kind, r, dataset)
        # WordPiece ids are not stable from one training to the next: a re-ranker that is to
        # start from the retriever's weights must read the retriever's own vocabulary
        same = (r.checkpoint, r.config, r.vocab_size, r.lowercase) == (
            c.checkpoint,
            c.config,
            c.vocab_size,
            c.lowercase,
        )
        shared = retriever.tokenizer if self.params.warm_start and same else None
        return RerankModel(self.params, retriever, build_cross(c, dataset, shared))
