"""What a model kind builds and the trainer trains: a module with its tokenizer.

HF models, the vanilla transformer and their PEFT-wrapped forms all look the same from
here: ``module(**batch)`` returns a loss and logits, ``module.generate(...)`` decodes,
and the unwrapped base model has a ``config`` with the special token ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .card import MODEL_CARD
from .seq2seq_data import Seq2SeqCollator, TokenizedPairs, encode_pairs

CARD_VERSION = 1


@dataclass
class Seq2SeqBundle:
    module: Any
    tokenizer: Any
    kind: str  # the model kind that built it: marian, bart, seq2seq, vanilla_transformer
    max_source_length: int
    max_target_length: int
    source_prefix: str = ""

    @property
    def is_peft(self) -> bool:
        return hasattr(self.module, "get_base_model")

    @property
    def base_model(self) -> Any:
        return self.module.get_base_model() if self.is_peft else self.module

    @property
    def pad_token_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    @property
    def decoder_start_token_id(self) -> int:
        start = getattr(self.base_model.config, "decoder_start_token_id", None)
        return int(self.pad_token_id if start is None else start)

    def encode(self, sources: list[str], targets: list[str] | None = None) -> TokenizedPairs:
        return encode_pairs(
            self.tokenizer,
            sources,
            targets,
            self.max_source_length,
            self.max_target_length,
            self.source_prefix,
        )

    def collator(self) -> Seq2SeqCollator:
        return Seq2SeqCollator(self.pad_token_id, self.decoder_start_token_id)

    def save(self, directory: Path, decoding: dict[str, Any]) -> Path:
        """Model (LoRA merged in) and tokenizer in safetensors / tokenizer.json, plus the
        card that tells ``load_model`` how to rebuild and decode."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.is_peft:
            # The merged model is a plain model: loading it needs neither peft nor the base.
            self.module = self.module.merge_and_unload()
        self.module.save_pretrained(str(directory))
        self.tokenizer.save_pretrained(str(directory))
        card = {
            "card_version": CARD_VERSION,
            "kind": self.kind,
            "format": "vanilla" if self.kind == "vanilla_transformer" else "transformers",
            "max_source_length": self.max_source_length,
            "max_target_length": self.max_target_length,
            "source_prefix": self.source_prefix,
            "decoding": decoding,
        }
        (directory / MODEL_CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False))
        return directory
