"""``hf_classifier`` (model) and ``hf_classifier_trainer`` (trainer): sequence
classification with any Auto model (BERT, RoBERTa, XLM-R ...), built from a checkpoint or
from a small config with a tokenizer trained on the train split."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from specrun import DataError, Dataset, Predictions

from .classification_report import record_split
from .hf_env import device_of, import_torch, load_pretrained, quiet_transformers
from .tokenizer_training import (
    BERT_SPECIALS,
    ROBERTA_SPECIALS,
    default_kind,
    train_tokenizer,
    unk_rate,
)


@dataclass
class ClassifierBundle:
    model: Any
    tokenizer: Any
    classes: list[str]
    params: Any  # HfClassifierParams: columns, max_length


def split_columns(
    frame: Any, p: Any, split: str, with_label: bool = True
) -> tuple[list[str], list[str], list[str]]:
    """(ids, texts, labels) of a split; ids are row numbers when the id column is absent."""
    needed = [p.text] + ([p.label] if with_label else [])
    for col in needed:
        if col not in frame.columns:
            raise DataError(
                f"model: column {col!r} is not in the {split} split "
                f"(columns: {', '.join(frame.columns)})"
            )
    texts = [str(t) if t is not None else "" for t in frame[p.text].to_list()]
    labels = [str(y) for y in frame[p.label].to_list()] if with_label else []
    if p.id in frame.columns:
        ids = [str(i) for i in frame[p.id].to_list()]
    else:
        ids = [f"{split}:{i}" for i in range(len(texts))]
    return ids, texts, labels


def _build_from_config(p: Any, texts: list[str], classes: list[str]) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from .params_common import TokenizerSpec

    config = dict(p.config)
    model_type = config.pop("model_type")
    spec = p.tokenizer or TokenizerSpec(kind=default_kind(model_type))
    specials = BERT_SPECIALS if spec.kind == "wordpiece" else ROBERTA_SPECIALS
    tokenizer = train_tokenizer(texts, spec, specials, add_cls_sep=True)
    # RoBERTa-style models number positions from pad_id + 1: leave room for that.
    config.setdefault("max_position_embeddings", p.max_length + tokenizer.pad_token_id + 2)
    try:
        cfg = AutoConfig.for_model(
            model_type,
            vocab_size=len(tokenizer),
            num_labels=len(classes),
            id2label=dict(enumerate(classes)),
            label2id={c: i for i, c in enumerate(classes)},
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.cls_token_id,
            eos_token_id=tokenizer.sep_token_id,
            **config,
        )
        model = AutoModelForSequenceClassification.from_config(cfg)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(f"model.config: cannot build a {model_type!r} classifier: {exc}") from None
    return model, tokenizer


def _build_from_checkpoint(p: Any, classes: list[str]) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = load_pretrained(AutoTokenizer, p.checkpoint, "tokenizer")
    if tokenizer.pad_token is None:  # GPT-style checkpoints have none
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model = load_pretrained(
        AutoModelForSequenceClassification,
        p.checkpoint,
        "classifier",
        num_labels=len(classes),
        id2label=dict(enumerate(classes)),
        label2id={c: i for i, c in enumerate(classes)},
        ignore_mismatched_sizes=True,
    )
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


class HfClassifier:
    def __init__(self, params: Any):
        self.p = params

    def build(self, ctx: Any, data: Dataset) -> ClassifierBundle:
        quiet_transformers()
        import_torch(ctx)
        _, texts, labels = split_columns(data["train"], self.p, "train")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise DataError(
                f"model: the label column {self.p.label!r} has one class only "
                f"({classes[0]!r}): a classifier needs two or more"
            )
        if self.p.checkpoint:
            model, tokenizer = _build_from_checkpoint(self.p, classes)
        else:
            ctx.seed_everything()
            model, tokenizer = _build_from_config(self.p, texts, classes)
        rates = {
            "unk_rate": unk_rate(tokenizer, texts[:2000]),
            "parameters": float(sum(x.numel() for x in model.parameters())),
            "vocab_size": float(len(tokenizer)),
        }
        ctx.log_metrics(rates, step=0, split="train")
        if "eval" in data:
            _, eval_texts, _ = split_columns(data["eval"], self.p, "eval", with_label=False)
            ctx.log_metrics(
                {"unk_rate": unk_rate(tokenizer, eval_texts[:2000])}, step=0, split="eval"
            )
        return ClassifierBundle(model, tokenizer, classes, self.p)


class ClassifierTrainer:
    def __init__(self, params: Any):
        self.p = params

    def _encode(self, bundle: ClassifierBundle, texts: list[str]) -> list[list[int]]:
        enc = bundle.tokenizer(texts, truncation=True, max_length=bundle.params.max_length)
        return enc["input_ids"]

    def _logits(self, ctx: Any, bundle: ClassifierBundle, texts: list[str]) -> Any:
        import numpy as np

        from specrun_torchkit.loop import padded_batches

        torch = import_torch(ctx, self.p.threads)
        device = device_of(ctx)
        rows = self._encode(bundle, texts)
        out = np.zeros((len(rows), len(bundle.classes)), dtype=np.float32)
        bundle.model.to(device).eval()
        with torch.no_grad():
            for batch in padded_batches(
                torch,
                rows,
                list(range(len(rows))),
                self.p.batch_size * 2,
                bundle.tokenizer.pad_token_id,
            ):
                logits = bundle.model(
                    input_ids=batch["input_ids"].to(device),
                    attention_mask=batch["attention_mask"].to(device),
                ).logits
                out[batch["index"]] = logits.float().cpu().numpy()
        return out

    def _predictions(
        self, ctx: Any, bundle: ClassifierBundle, data: Dataset, split: str
    ) -> tuple[Predictions, list[str]]:
        ids, texts, labels = split_columns(data[split], bundle.params, split)
        logits = self._logits(ctx, bundle, texts)
        outputs = [bundle.classes[k] for k in logits.argmax(axis=1)]
        preds = Predictions(
            split,
            outputs=outputs,
            references=labels,
            inputs=texts,
            scores=logits,
            labels=bundle.classes,
            extra={"ids": ids},
        )
        return preds, ids

    def fit(self, ctx: Any, bundle: ClassifierBundle, data: Dataset) -> ClassifierBundle:
        import numpy as np

        from specrun_torchkit.loop import (
            LoopSettings,
            epoch_plan,
            padded_batches,
            total_steps,
            train,
        )

        torch = import_torch(ctx, self.p.threads)
        device = device_of(ctx)
        _, texts, labels = split_columns(data["train"], bundle.params, "train")
        index = {c: i for i, c in enumerate(bundle.classes)}
        y = [index[v] for v in labels]
        rows = self._encode(bundle, texts)
        weight = None
        if self.p.class_weights:
            counts = np.bincount(y, minlength=len(bundle.classes)).astype(np.float32)
            weight = torch.tensor(
                counts.sum() / (len(counts) * np.maximum(counts, 1)), device=device
            )
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
        local, steps_per_epoch, order = epoch_plan(len(rows), self.p.batch_size, ctx.seed)

        def epoch_batches(epoch: int) -> Any:
            return padded_batches(
                torch, rows, order(epoch), local, bundle.tokenizer.pad_token_id, {"labels": y}
            )

        def loss_of(batch: dict[str, Any]) -> Any:
            logits = bundle.model(
                input_ids=batch["input_ids"].to(device),
                attention_mask=batch["attention_mask"].to(device),
            ).logits
            return loss_fn(logits.float(), batch["labels"].to(device))

        def evaluate() -> None:
            if "eval" in data and len(data["eval"]):
                ctx.evaluate(self._predictions(ctx, bundle, data, "eval")[0])

        ctx.step = 0
        evaluate()  # the untrained model: the "before" of every eval metric
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
            "training classifier",
        )
        return bundle

    def predict(self, ctx: Any, bundle: ClassifierBundle, data: Dataset, split: str) -> Predictions:
        """The final predictions of a split, recorded with report, confusion matrix, logits."""
        preds, ids = self._predictions(ctx, bundle, data, split)
        record_split(
            ctx,
            split,
            ids,
            preds.references,
            preds.scores,
            bundle.classes,
            inputs=preds.inputs,
            samples=self.p.samples,
            save_logits=self.p.save_logits,
        )
        return preds

    def save(self, ctx: Any, bundle: ClassifierBundle) -> None:
        if not self.p.save_model:
            return
        out = ctx.work_dir / "model"
        bundle.model.save_pretrained(out)
        bundle.tokenizer.save_pretrained(out)
        (out / "specrun_classes.json").write_text(
            json.dumps(bundle.classes, ensure_ascii=False), encoding="utf-8"
        )
        ctx.save_artifact(out, "model", kind="model")
