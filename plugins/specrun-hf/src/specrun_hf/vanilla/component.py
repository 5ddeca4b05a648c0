"""The ``vanilla_transformer`` model kind: tokenizer trained on the run's data, the
from-scratch Transformer sized by the spec, optional LoRA."""

from __future__ import annotations

from typing import Any

from .. import runtime  # noqa: F401  (process settings before the frameworks load)
from ..model_params import VanillaTransformerParams


class VanillaTransformerModel:
    kind = "vanilla_transformer"

    def __init__(self, params: VanillaTransformerParams):
        self.params = params

    def build(self, ctx: Any, dataset: Any) -> Any:
        from ..bundle import Seq2SeqBundle
        from ..hf_models import describe, source_target_columns
        from ..peft_setup import apply_lora
        from ..tokenizer_training import BOS, train_tokenizer, training_texts
        from .model import VanillaConfig, VanillaTransformer

        runtime.quiet_frameworks()
        p = self.params
        src, tgt = source_target_columns(dataset)
        assert p.tokenizer.train is not None  # the params validator guarantees it
        tokenizer = train_tokenizer(training_texts(dataset["train"], src, tgt), p.tokenizer.train)
        ctx.seed_everything()  # weights do not depend on how much randomness came before
        config = VanillaConfig(
            vocab_size=len(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            # <s> rather than <pad> starts decoding, so no real position is a pad token.
            decoder_start_token_id=tokenizer.convert_tokens_to_ids(BOS),
            d_model=p.d_model,
            heads=p.heads,
            encoder_layers=p.encoder_layers,
            decoder_layers=p.decoder_layers,
            ff_dim=p.ff_dim,
            dropout=p.dropout,
            norm_first=p.norm_first,
            max_positions=p.max_positions,
        )
        module: Any = VanillaTransformer(config)
        if p.peft is not None:
            module = apply_lora(module, p.peft, task_type=None)
        describe(ctx, self.kind, module, tokenizer)
        return Seq2SeqBundle(module, tokenizer, self.kind, p.max_source_length, p.max_target_length)
