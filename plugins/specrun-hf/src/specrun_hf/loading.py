"""``specrun.load_model(run_id)`` for seq2seq runs: the saved model and tokenizer, decoding
as the run did (its ``decoding:`` block is in the model card)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import runtime
from .card import MODEL_CARD


@dataclass
class LoadedSeq2Seq:
    """A trained seq2seq model: ``generate(["원문 ..."])`` returns the output texts."""

    model: Any
    tokenizer: Any
    kind: str
    decoding: dict[str, Any] = field(default_factory=dict)
    max_source_length: int = 128
    max_target_length: int = 128
    source_prefix: str = ""

    def generate(
        self, texts: list[str], batch_size: int = 64, seed: int = 0, **decoding: Any
    ) -> list[str]:
        """Outputs for ``texts``; keyword arguments override the run's decoding settings."""
        from .bundle import Seq2SeqBundle
        from .evaluation import decode_split

        bundle = Seq2SeqBundle(
            self.model,
            self.tokenizer,
            self.kind,
            self.max_source_length,
            self.max_target_length,
            self.source_prefix,
        )
        return decode_split(
            bundle, list(texts), None, {**self.decoding, **decoding}, batch_size, seed
        ).hypotheses


def load_seq2seq(model_dir: Path) -> LoadedSeq2Seq:
    runtime.quiet_frameworks()
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    card = json.loads((model_dir / MODEL_CARD).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    if card.get("format") == "vanilla":
        from .vanilla.model import VanillaTransformer

        model = VanillaTransformer.from_pretrained(model_dir)
    else:
        model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir), local_files_only=True)
    return LoadedSeq2Seq(
        model.eval(),
        tokenizer,
        card["kind"],
        card.get("decoding", {}),
        card.get("max_source_length", 128),
        card.get("max_target_length", 128),
        card.get("source_prefix", ""),
    )
