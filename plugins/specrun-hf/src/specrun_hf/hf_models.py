"""The Hugging Face model kinds: ``marian``, ``bart`` and ``seq2seq`` (AutoModelForSeq2SeqLM).

From ``checkpoint:`` (hub id or local directory) the model and its tokenizer are loaded;
from ``config:`` a small untrained model is built around a tokenizer trained on the run's
train split. Either may then be wrapped with LoRA.
"""

from __future__ import annotations

from typing import Any

from specrun import DataError, UserError
from specrun.errors import did_you_mean

from . import runtime
from .model_params import Seq2SeqModelParams

# Keys the trained tokenizer decides; a spec that sets them would break the model.
TOKENIZER_KEYS = (
    "vocab_size",
    "decoder_vocab_size",
    "pad_token_id",
    "eos_token_id",
    "bos_token_id",
    "decoder_start_token_id",
    "forced_eos_token_id",
    "forced_bos_token_id",
)


def source_target_columns(dataset: Any) -> tuple[str, str]:
    """The pair columns (``source``/``target`` unless the data kind says otherwise)."""
    src = dataset.meta.get("source", "source")
    tgt = dataset.meta.get("target", "target")
    frame = dataset["train"]
    columns = list(getattr(frame, "columns", []))
    for role, col in (("source", src), ("target", tgt)):
        if col not in columns:
            raise DataError(
                f"the model needs a {role} text column {col!r}, but the train split has "
                f"only: {', '.join(columns)} (map columns with the data kind's `columns:`, "
                "or use the parallel_text kind)"
            )
    return src, tgt


def describe(ctx: Any, kind: str, module: Any, tokenizer: Any) -> None:
    """Log the model's size; the counts also go to the store (train split, step 0)."""
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    share = f", {trainable:,} trainable" if trainable != total else ""
    ctx.log(f"model {kind}: {total:,} parameters{share}, vocabulary {len(tokenizer):,}")
    ctx.log_metrics(
        {"parameters": total, "trainable_parameters": trainable, "vocabulary": len(tokenizer)},
        step=0,
        split="train",
    )


class HFSeq2SeqModel:
    kind = "seq2seq"
    model_type: str | None = None  # checkpoints must be of this type (None: any seq2seq)

    def __init__(self, params: Seq2SeqModelParams):
        self.params = params

    def build(self, ctx: Any, dataset: Any) -> Any:
        from .bundle import Seq2SeqBundle
        from .peft_setup import apply_lora

        runtime.quiet_frameworks()
        p = self.params
        if p.checkpoint:
            tokenizer, module = self._from_checkpoint(p.checkpoint)
        else:
            if not ctx.local:
                from .checkpoints import go_offline

                # Nothing of this run needs the hub: any lookup in this worker process
                # fails fast. In-process (--local) runs leave the caller's environment alone.
                go_offline()
            tokenizer = self._train_tokenizer(dataset)
            ctx.seed_everything()  # weights do not depend on how much randomness came before
            module = self._from_config(tokenizer)
        if p.peft is not None:
            module = apply_lora(module, p.peft, task_type="SEQ_2_SEQ_LM")
        describe(ctx, self.kind, module, tokenizer)
        return Seq2SeqBundle(
            module, tokenizer, self.kind, p.max_source_length, p.max_target_length, p.source_prefix
        )

    # -- pretrained --------------------------------------------------------------------
    def _from_checkpoint(self, checkpoint: str) -> tuple[Any, Any]:
        from transformers import AutoConfig, AutoTokenizer

        from .checkpoints import load_from, resolve

        where = "model.checkpoint"
        ref = resolve(checkpoint, where)
        config = load_from(ref, AutoConfig.from_pretrained, where, "model config")
        if self.model_type and config.model_type != self.model_type:
            raise UserError(
                f"{where}: {checkpoint} is a {config.model_type!r} model, not "
                f"{self.model_type!r}; `kind: seq2seq` takes any encoder-decoder"
            )
        tokenizer = load_from(ref, AutoTokenizer.from_pretrained, where, "tokenizer")
        module = load_from(ref, self._model_class().from_pretrained, where, "model")
        return tokenizer, module

    # -- from scratch ------------------------------------------------------------------
    def _train_tokenizer(self, dataset: Any) -> Any:
        from .tokenizer_training import train_tokenizer, training_texts

        src, tgt = source_target_columns(dataset)
        assert self.params.tokenizer.train is not None  # the params validator guarantees it
        return train_tokenizer(
            training_texts(dataset["train"], src, tgt), self.params.tokenizer.train
        )

    def _config_class(self) -> Any:
        from transformers import AutoConfig

        user = dict(self.params.config or {})
        model_type = user.pop("model_type")
        return lambda **kw: AutoConfig.for_model(model_type, **kw)

    def default_config(self) -> dict[str, Any]:
        return {}

    def token_ids(self, tokenizer: Any) -> dict[str, Any]:
        eos = tokenizer.eos_token_id
        return {
            "vocab_size": len(tokenizer),
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": eos,
            "bos_token_id": tokenizer.bos_token_id,
            "decoder_start_token_id": tokenizer.pad_token_id,
            "forced_eos_token_id": eos,
        }

    def _from_config(self, tokenizer: Any) -> Any:
        user = {k: v for k, v in (self.params.config or {}).items() if k != "model_type"}
        fixed = [k for k in user if k in TOKENIZER_KEYS]
        if fixed:
            raise UserError(f"model.config.{fixed[0]}: set from the trained tokenizer; remove it")
        make_config = self._config_class()
        known = set(make_config().to_dict())
        unknown = [k for k in user if k not in known]
        if unknown:
            raise UserError(
                f"model.config.{unknown[0]}: not a setting of this model"
                f"{did_you_mean(unknown[0], known)}"
            )
        ids = self.token_ids(tokenizer)
        try:
            config = make_config(**{**self.default_config(), **user, **ids})
        except (TypeError, ValueError) as exc:
            raise UserError(f"model.config: {str(exc).splitlines()[0]}") from None
        module = self._instantiate(config)
        # Generation reads its own config: point it at the trained tokenizer's ids too.
        gen = module.generation_config
        for key in (
            "pad_token_id",
            "eos_token_id",
            "bos_token_id",
            "decoder_start_token_id",
            "forced_eos_token_id",
        ):
            setattr(gen, key, ids[key])
        gen.forced_bos_token_id = None
        return module

    def _model_class(self) -> Any:
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM

    def _instantiate(self, config: Any) -> Any:
        cls = self._model_class()
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(config)


class MarianModel(HFSeq2SeqModel):
    kind = "marian"
    model_type = "marian"

    def _config_class(self) -> Any:
        from transformers import MarianConfig

        return MarianConfig

    def _model_class(self) -> Any:
        from transformers import MarianMTModel

        return MarianMTModel

    def default_config(self) -> dict[str, Any]:
        # A small Marian: trains in minutes on a CPU. The spec's config: overrides any key.
        return {
            "d_model": 256,
            "encoder_layers": 3,
            "decoder_layers": 3,
            "encoder_attention_heads": 4,
            "decoder_attention_heads": 4,
            "encoder_ffn_dim": 1024,
            "decoder_ffn_dim": 1024,
            "max_position_embeddings": 256,
            "dropout": 0.1,
            "scale_embedding": True,
        }


class BartModel(HFSeq2SeqModel):
    kind = "bart"
    model_type = "bart"

    def _config_class(self) -> Any:
        from transformers import BartConfig

        return BartConfig

    def _model_class(self) -> Any:
        from transformers import BartForConditionalGeneration

        return BartForConditionalGeneration

    def default_config(self) -> dict[str, Any]:
        return {
            "d_model": 256,
            "encoder_layers": 2,
            "decoder_layers": 2,
            "encoder_attention_heads": 4,
            "decoder_attention_heads": 4,
            "encoder_ffn_dim": 1024,
            "decoder_ffn_dim": 1024,
            "max_position_embeddings": 512,
            "dropout": 0.1,
        }

    def token_ids(self, tokenizer: Any) -> dict[str, Any]:
        ids = super().token_ids(tokenizer)
        ids["decoder_start_token_id"] = tokenizer.eos_token_id  # BART starts decoding with </s>
        return ids


class AutoSeq2SeqModel(HFSeq2SeqModel):
    kind = "seq2seq"
