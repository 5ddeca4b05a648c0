"""``hf_causal_lm`` (model) and ``hf_causal_lm_trainer`` (trainer): GPT-2 or any Auto
causal LM from a checkpoint or a small config, with BOS/EOS/PAD special tokens added (and
embeddings resized) so that generations end; perplexity before and after fine-tuning;
generations from eval prompts with a sweepable decoding block, stored as samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specrun import DataError, Dataset, Predictions

from .generation import encode_for_lm, generate, perplexity
from .hf_env import device_of, import_torch, load_pretrained, quiet_transformers
from .tokenizer_training import default_kind, train_tokenizer, unk_rate


@dataclass
class CausalBundle:
    model: Any
    tokenizer: Any
    params: Any  # CausalLMParams
    max_positions: int


def texts_of(frame: Any, column: str, split: str) -> list[str]:
    if column not in frame.columns:
        raise DataError(
            f"model.text: column {column!r} is not in the {split} split "
            f"(columns: {', '.join(frame.columns)})"
        )
    return [str(t) for t in frame[column].to_list() if t is not None and str(t).strip()]


def _add_special_tokens(model: Any, tokenizer: Any, p: Any) -> int:
    """Give a checkpoint's tokenizer the BOS/EOS/PAD it lacks; resize embeddings to match."""
    missing = {
        name: tok
        for name, tok in (
            ("bos_token", p.bos_token),
            ("eos_token", p.eos_token),
            ("pad_token", p.pad_token),
        )
        if getattr(tokenizer, name) is None
    }
    # A pad equal to EOS would be masked out of the loss, and the model would never learn
    # to stop: PAD gets a token of its own.
    if "pad_token" not in missing and tokenizer.pad_token_id == tokenizer.eos_token_id:
        missing["pad_token"] = p.pad_token
    added = tokenizer.add_special_tokens(missing) if missing else 0
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
        setattr(model.config, name, getattr(tokenizer, name))
        if getattr(model, "generation_config", None) is not None:
            setattr(model.generation_config, name, getattr(tokenizer, name))
    return added


class HfCausalLM:
    def __init__(self, params: Any):
        self.p = params

    def build(self, ctx: Any, data: Dataset) -> CausalBundle:
        quiet_transformers()
        import_torch(ctx)
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        p = self.p
        texts = texts_of(data["train"], p.text, "train")
        if not texts:
            raise DataError(f"model: the train split has no non-empty {p.text!r} texts")
        if p.checkpoint:
            tokenizer = load_pretrained(AutoTokenizer, p.checkpoint, "tokenizer")
            model = load_pretrained(AutoModelForCausalLM, p.checkpoint, "causal LM")
            added = _add_special_tokens(model, tokenizer, p)
        else:
            from .params_common import TokenizerSpec

            config = dict(p.config)
            model_type = config.pop("model_type")
            spec = p.tokenizer or TokenizerSpec(kind=default_kind(model_type), vocab_size=2000)
            specials = {
                "bos_token": p.bos_token,
                "eos_token": p.eos_token,
                "pad_token": p.pad_token,
            }
            if spec.kind != "bpe":  # byte-level BPE can spell anything; the others need UNK
                specials["unk_token"] = "<unk>"
            ctx.seed_everything()
            tokenizer = train_tokenizer(texts, spec, specials, add_cls_sep=False)
            config.setdefault("max_position_embeddings", max(2 * p.max_length, p.max_length + 128))
            try:
                cfg = AutoConfig.for_model(
                    model_type,
                    vocab_size=len(tokenizer),
                    bos_token_id=tokenizer.bos_token_id,
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=tokenizer.pad_token_id,
                    **config,
                )
                model = AutoModelForCausalLM.from_config(cfg)
            except (ValueError, TypeError, KeyError) as exc:
                raise DataError(
                    f"model.config: cannot build a {model_type!r} causal LM: {exc}"
                ) from None
            added = len(specials)
        positions = getattr(model.config, "max_position_embeddings", None) or getattr(
            model.config, "n_positions", 1024
        )
        ctx.log_metrics(
            {
                "unk_rate": unk_rate(tokenizer, texts[:2000]),
                "special_tokens_added": added,
                "vocab_size": float(len(tokenizer)),
                "parameters": float(sum(x.numel() for x in model.parameters())),
            },
            step=0,
            split="train",
        )
        return CausalBundle(model, tokenizer, p, int(positions))


class CausalLMTrainer:
    def __init__(self, params: Any):
        self.p = params

    def _rows(self, bundle: CausalBundle, texts: list[str]) -> list[list[int]]:
        return encode_for_lm(
            bundle.tokenizer, texts, min(bundle.params.max_length, bundle.max_positions)
        )

    def _perplexity(
        self, ctx: Any, bundle: CausalBundle, data: Dataset, split: str
    ) -> float | None:
        if split not in data or not len(data[split]):
            return None
        torch = import_torch(ctx, self.p.threads)
        rows = self._rows(bundle, texts_of(data[split], bundle.params.text, split))
        return perplexity(
            torch,
            bundle.model,
            rows,
            bundle.tokenizer.pad_token_id,
            self.p.batch_size * 2,
            device_of(ctx),
        )

    def fit(self, ctx: Any, bundle: CausalBundle, data: Dataset) -> CausalBundle:
        from specrun_torchkit.loop import (
            LoopSettings,
            epoch_plan,
            padded_batches,
            total_steps,
            train,
        )

        torch = import_torch(ctx, self.p.threads)
        device = device_of(ctx)
        bundle.model.to(device)
        rows = self._rows(bundle, texts_of(data["train"], bundle.params.text, "train"))
        pad = bundle.tokenizer.pad_token_id
        local, steps_per_epoch, order = epoch_plan(len(rows), self.p.batch_size, ctx.seed)
        ctx.step = 0
        before = self._perplexity(ctx, bundle, data, "eval")
        if before is not None:
            ctx.log_metrics({"perplexity": before, "perplexity_before": before}, split="eval")

        def epoch_batches(epoch: int) -> Any:
            return padded_batches(torch, rows, order(epoch), local, pad)

        def loss_of(batch: dict[str, Any]) -> Any:
            model = bundle.model
            ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            labels = ids.masked_fill(mask == 0, -100)  # padding is not a token to predict
            return model(input_ids=ids, attention_mask=mask, labels=labels).loss

        def evaluate() -> None:
            ppl = self._perplexity(ctx, bundle, data, "eval")
            if ppl is not None:
                ctx.log_metrics({"perplexity": ppl}, split="eval")
                ctx.report({"eval/perplexity": ppl})

        steps = total_steps(self.p.epochs, steps_per_epoch, self.p.max_steps)
        train(
            ctx,
            torch,
            bundle.model,
            LoopSettings.of(self.p),
            device,
            steps,
            steps_per_epoch,
            epoch_batches,
            loss_of,
            evaluate,
            "training causal LM",
        )
        return bundle

    def predict(self, ctx: Any, bundle: CausalBundle, data: Dataset, split: str) -> Predictions:
        """Perplexity of the split, and generations from its first texts' opening words."""
        torch = import_torch(ctx, self.p.threads)
        texts = texts_of(data[split], bundle.params.text, split)
        ppl = self._perplexity(ctx, bundle, data, split)
        words = [t.split() for t in texts[: self.p.prompts]]
        prompts = [" ".join(w[: self.p.prompt_words]) for w in words]
        references = [" ".join(w[self.p.prompt_words :]) for w in words]
        results = generate(
            torch,
            bundle.model,
            bundle.tokenizer,
            prompts,
            self.p.decoding,
            device_of(ctx),
            ctx.seed,
            self.p.batch_size,
            bundle.max_positions,
        )
        outputs = [r[0] for r in results]
        method = self.p.decoding.method
        ctx.log_samples(
            (
                {
                    "input": pr,
                    "reference": ref,
                    "output": out,
                    "method": method,
                    "ended": ended,
                    "new_tokens": n,
                }
                for pr, ref, (out, ended, n) in zip(prompts, references, results, strict=True)
            ),
            split=split,
        )
        extra: dict[str, Any] = {"metric:perplexity": ppl}
        if split == "eval":
            extra["metric:perplexity_after"] = ppl
        if results:
            extra["metric:eos_rate"] = sum(r[1] for r in results) / len(results)
            extra["metric:generated_tokens"] = sum(r[2] for r in results) / len(results)
        return Predictions(
            split, outputs=outputs, references=references, inputs=prompts, extra=extra
        )

    def save(self, ctx: Any, bundle: CausalBundle) -> None:
        if not self.p.save_model:
            return
        out = ctx.work_dir / "model"
        bundle.model.save_pretrained(out)
        bundle.tokenizer.save_pretrained(out)
        ctx.save_artifact(out, "model", kind="model")
