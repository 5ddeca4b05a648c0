"""The torch modules: bi-encoder, poly-encoder and cross-encoder over any HF encoder.

Scores are raw dot products; the trainer turns them into in-batch softmax losses.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn


def make_backbone(
    checkpoint: str | None, config: dict[str, Any] | None, tokenizer: Any
) -> nn.Module:
    """An ``AutoModel`` from a checkpoint, or from a config sized to the tokenizer."""
    from transformers import AutoConfig, AutoModel

    if checkpoint is not None:
        from specrun import UserError

        from .params import checkpoint_path

        try:
            return AutoModel.from_pretrained(checkpoint_path(checkpoint), local_files_only=True)
        except (OSError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise UserError(
                f"model.checkpoint {checkpoint!r}: cannot load the encoder offline: {first}"
            ) from None
    cfg = dict(config or {})
    model_type = cfg.pop("model_type")
    cfg.setdefault("vocab_size", len(tokenizer))
    cfg.setdefault("pad_token_id", tokenizer.pad_token_id)
    return AutoModel.from_config(AutoConfig.for_model(model_type, **cfg))


def backbone_from_config_dir(path: Any) -> nn.Module:
    """The same architecture as a saved backbone (weights are loaded afterwards)."""
    from transformers import AutoConfig, AutoModel

    return AutoModel.from_config(AutoConfig.from_pretrained(str(path)))


def hidden_size(backbone: nn.Module) -> int:
    cfg = backbone.config
    return int(getattr(cfg, "hidden_size", None) or getattr(cfg, "d_model", None) or cfg.dim)


def token_states(backbone: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Last hidden states (B, T, d); passes only the inputs this backbone takes
    (DistilBERT has no token_type_ids)."""
    accepted = _accepted_inputs(backbone)
    out = backbone(**{k: v for k, v in batch.items() if k in accepted})
    return out.last_hidden_state


_ACCEPTED: dict[type, set[str]] = {}


def _accepted_inputs(backbone: nn.Module) -> set[str]:
    kind = type(backbone)
    if kind not in _ACCEPTED:
        _ACCEPTED[kind] = set(inspect.signature(backbone.forward).parameters)
    return _ACCEPTED[kind]


def pool(states: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    if how == "cls":
        return states[:, 0]
    weights = mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1e-6)


class TwoTower(nn.Module):
    """Context and candidate towers (shared or separate); candidates are pooled vectors."""

    def __init__(
        self, context: nn.Module, candidate: nn.Module | None, pooling: str, normalize: bool
    ):
        super().__init__()
        self.context = context
        self.candidate = candidate if candidate is not None else context
        self.shared = candidate is None
        self.pooling, self.normalize = pooling, normalize

    def _finish(self, v: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(v, dim=-1) if self.normalize else v

    def encode_candidates(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        states = token_states(self.candidate, batch)
        return self._finish(pool(states, batch["attention_mask"], self.pooling))


class BiEncoderNet(TwoTower):
    def encode_contexts(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        states = token_states(self.context, batch)
        return self._finish(pool(states, batch["attention_mask"], self.pooling))

    @staticmethod
    def score(contexts: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """(B, d) x (N, d) -> (B, N)."""
        return contexts @ candidates.T

    @staticmethod
    def first_stage_query(contexts: torch.Tensor) -> torch.Tensor:
        return contexts


class PolyEncoderNet(TwoTower):
    """Humeau et al. 2020: m learned codes attend over the context's token states giving m
    context vectors; a candidate attends over those, and the score is the dot product of
    the attended context vector with the candidate."""

    def __init__(
        self,
        context: nn.Module,
        candidate: nn.Module | None,
        pooling: str,
        normalize: bool,
        codes: int,
    ):
        super().__init__(context, candidate, pooling, normalize)
        d = hidden_size(context)
        self.codes = nn.Parameter(torch.randn(codes, d) * d**-0.5)

    def encode_contexts(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, m, d) context vectors."""
        states = token_states(self.context, batch)
        logits = torch.einsum("md,btd->bmt", self.codes, states)
        pad = batch["attention_mask"].unsqueeze(1) == 0
        attn = logits.masked_fill(pad, torch.finfo(logits.dtype).min).softmax(-1)
        return self._finish(torch.einsum("bmt,btd->bmd", attn, states))

    @staticmethod
    def score(contexts: torch.Tensor, candidates: torch.Tensor, chunk: int = 8192) -> torch.Tensor:
        """(B, m, d) x (N, d) -> (B, N). The candidate's attention logits over the m vectors
        are the dot products a = Y c, and the score (softmax(a) Y) . c equals sum(softmax(a) * a):
        no (B, N, d) tensor is ever made, only (B, chunk, m)."""
        out = []
        for start in range(0, candidates.shape[0], chunk):
            a = torch.einsum("bmd,nd->bnm", contexts, candidates[start : start + chunk])
            out.append((a.softmax(-1) * a).sum(-1))
        return torch.cat(out, dim=1) if out else contexts.new_zeros((contexts.shape[0], 0))

    @staticmethod
    def first_stage_query(contexts: torch.Tensor) -> torch.Tensor:
        """The mean of the m vectors: an inner-product query that faiss can search with; the
        trainer adds a loss on it so that its shortlist holds the poly-encoder's best."""
        return contexts.mean(1)


class CrossEncoderNet(nn.Module):
    """[CLS] context [SEP] response [SEP] -> one score from the first token's state (or the
    mean of all token states)."""

    def __init__(self, backbone: nn.Module, pooling: str = "cls"):
        super().__init__()
        self.backbone, self.pooling = backbone, pooling
        self.head = nn.Linear(hidden_size(backbone), 1)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        states = token_states(self.backbone, batch)
        return self.head(pool(states, batch["attention_mask"], self.pooling)).squeeze(-1)
