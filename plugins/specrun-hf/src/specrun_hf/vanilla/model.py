"""An encoder-decoder Transformer (Vaswani et al., 2017) written from scratch in PyTorch.

Embeddings shared by encoder, decoder and output layer; sinusoidal positional encoding;
multi-head scaled dot-product attention computed by hand (no nn.Transformer, no SDPA);
padding masks for the source and a causal mask for the decoder. The forward pass speaks
the HF convention (``input_ids``, ``attention_mask``, ``decoder_input_ids``, ``labels`` ->
``{"loss", "logits"}``), so the HF Trainer trains it like any HF model.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class VanillaConfig:
    vocab_size: int
    pad_token_id: int
    eos_token_id: int
    decoder_start_token_id: int
    d_model: int = 128
    heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    ff_dim: int = 512
    dropout: float = 0.1
    norm_first: bool = True
    max_positions: int = 256
    model_type: str = "specrun_vanilla_transformer"
    is_encoder_decoder: bool = True
    use_cache: bool = False  # the HF Trainer sets it; the model has no cache

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def get(self, key: str, default: Any = None) -> Any:  # peft reads configs like dicts
        return getattr(self, key, default)

    def get_text_config(self, *args: Any, **kwargs: Any) -> VanillaConfig:  # the HF Trainer asks
        return self


def sinusoidal_positions(length: int, d_model: int) -> torch.Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)[:, : d_model // 2]
    return pe


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # (b, heads, t, head_dim)

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """``mask`` is boolean, broadcastable to (batch, heads, q_len, k_len): True = may attend."""
        q, k, v = (
            self._split(self.q_proj(query)),
            self._split(self.k_proj(memory)),
            self._split(self.v_proj(memory)),
        )
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        # The dtype's minimum, not -inf: a fully masked row then gives a uniform softmax
        # instead of NaN, and half precision does not overflow.
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        out = (weights @ v).transpose(1, 2).reshape(query.shape[0], query.shape[1], -1)
        return self.out_proj(out)


class FeedForward(nn.Module):
    def __init__(self, d_model: int, ff_dim: int, dropout: float):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d_model, ff_dim), nn.Linear(ff_dim, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


class Sublayer(nn.Module):
    """Residual around ``fn`` with LayerNorm before (pre-LN) or after (post-LN, the paper's)."""

    def __init__(self, d_model: int, dropout: float, norm_first: bool):
        super().__init__()
        self.norm, self.dropout, self.norm_first = (
            nn.LayerNorm(d_model),
            nn.Dropout(dropout),
            norm_first,
        )

    def forward(self, x: torch.Tensor, fn: Any) -> torch.Tensor:
        if self.norm_first:
            return x + self.dropout(fn(self.norm(x)))
        return self.norm(x + self.dropout(fn(x)))


class EncoderLayer(nn.Module):
    def __init__(self, c: VanillaConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ff = FeedForward(c.d_model, c.ff_dim, c.dropout)
        self.sub_attn = Sublayer(c.d_model, c.dropout, c.norm_first)
        self.sub_ff = Sublayer(c.d_model, c.dropout, c.norm_first)

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        x = self.sub_attn(x, lambda h: self.self_attn(h, h, src_mask))
        return self.sub_ff(x, self.ff)


class DecoderLayer(nn.Module):
    def __init__(self, c: VanillaConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.cross_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ff = FeedForward(c.d_model, c.ff_dim, c.dropout)
        self.sub_self = Sublayer(c.d_model, c.dropout, c.norm_first)
        self.sub_cross = Sublayer(c.d_model, c.dropout, c.norm_first)
        self.sub_ff = Sublayer(c.d_model, c.dropout, c.norm_first)

    def forward(
        self, y: torch.Tensor, memory: torch.Tensor, causal: torch.Tensor, src_mask: torch.Tensor
    ) -> torch.Tensor:
        y = self.sub_self(y, lambda h: self.self_attn(h, h, causal))
        y = self.sub_cross(y, lambda h: self.cross_attn(h, memory, src_mask))
        return self.sub_ff(y, self.ff)


def causal_mask(length: int, device: torch.device) -> torch.Tensor:
    """(1, 1, t, t): position i sees positions <= i. Decoder padding needs no mask: pads
    only come after the real tokens, so no real position ever sees one."""
    return torch.tril(torch.ones(length, length, dtype=torch.bool, device=device))[None, None]


class VanillaTransformer(nn.Module):
    main_input_name = "input_ids"

    def __init__(self, config: VanillaConfig):
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab_size, c.d_model, padding_idx=c.pad_token_id)
        self.register_buffer(
            "positions", sinusoidal_positions(c.max_positions, c.d_model), persistent=False
        )
        self.dropout = nn.Dropout(c.dropout)
        self.encoder = nn.ModuleList(EncoderLayer(c) for _ in range(c.encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(c) for _ in range(c.decoder_layers))
        # Pre-LN stacks end un-normalised; post-LN layers already normalise their output.
        self.encoder_norm = nn.LayerNorm(c.d_model) if c.norm_first else nn.Identity()
        self.decoder_norm = nn.LayerNorm(c.d_model) if c.norm_first else nn.Identity()
        nn.init.normal_(self.embed.weight, std=c.d_model**-0.5)
        with torch.no_grad():
            self.embed.weight[c.pad_token_id].zero_()

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[1] > self.config.max_positions:
            raise ValueError(
                f"sequence of {ids.shape[1]} tokens exceeds "
                f"max_positions={self.config.max_positions}"
            )
        x = self.embed(ids) * math.sqrt(self.config.d_model) + self.positions[: ids.shape[1]]
        return self.dropout(x)

    def encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if attention_mask is None:
            attention_mask = input_ids.ne(self.config.pad_token_id)
        src_mask = attention_mask.bool()[:, None, None, :]  # (b, 1, 1, src_len)
        x = self._embed(input_ids)
        for layer in self.encoder:
            x = layer(x, src_mask)
        return self.encoder_norm(x), src_mask

    def decode(
        self, decoder_input_ids: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor
    ) -> torch.Tensor:
        """Logits over the vocabulary for every decoder position."""
        y = self._embed(decoder_input_ids)
        causal = causal_mask(decoder_input_ids.shape[1], decoder_input_ids.device)
        for layer in self.decoder:
            y = layer(y, memory, causal, src_mask)
        return F.linear(self.decoder_norm(y), self.embed.weight)  # tied output projection

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        if decoder_input_ids is None:
            if labels is None:
                raise ValueError("forward needs decoder_input_ids or labels")
            decoder_input_ids = self.shift_right(labels)
        memory, src_mask = self.encode(input_ids, attention_mask)
        logits = self.decode(decoder_input_ids, memory, src_mask)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = F.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
            )
        return out

    def shift_right(self, labels: torch.Tensor) -> torch.Tensor:
        start = torch.full_like(labels[:, :1], self.config.decoder_start_token_id)
        shifted = torch.cat([start, labels[:, :-1]], dim=1)
        return shifted.masked_fill(shifted == -100, self.config.pad_token_id)

    def generate(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs: Any
    ) -> torch.Tensor:
        from .decoding import generate

        return generate(self, input_ids, attention_mask, **kwargs)

    # -- persistence: safetensors weights + a JSON config, like save_pretrained ---------
    def save_pretrained(self, directory: str | Path) -> None:
        from safetensors.torch import save_file

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2))
        save_file(
            {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()},
            str(d / WEIGHTS_FILE),
        )

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> VanillaTransformer:
        from safetensors.torch import load_file

        d = Path(directory)
        raw = json.loads((d / CONFIG_FILE).read_text())
        known = {f.name for f in fields(VanillaConfig)}
        model = cls(VanillaConfig(**{k: v for k, v in raw.items() if k in known}))
        model.load_state_dict(load_file(str(d / WEIGHTS_FILE)))
        return model.eval()
