"""A bag-of-words softmax regression in numpy: a real, tiny, framework-free model so that
core's own specs and tests train something and show learning in a second."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pydantic import Field

from ..components import Params
from ..context import Dataset, Predictions
from ..errors import DataError, names


class BowSoftmaxParams(Params):
    """Hashed bag-of-words softmax regression trained with minibatch SGD (numpy)."""

    text: str = Field("text", description="text column")
    label: str = Field("label", description="label column")
    features: int = Field(2048, gt=0, le=1 << 22, description="hashed feature dimensions")
    epochs: int = Field(5, gt=0)
    lr: float = Field(0.5, gt=0)
    batch_size: int = Field(32, gt=0)
    l2: float = Field(0.0, ge=0)
    samples: int = Field(8, ge=0, description="eval examples stored as samples")


def _featurize(texts: list[str], dim: int) -> Any:
    import numpy as np

    x = np.zeros((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        for tok in str(t).split():
            x[i, zlib.crc32(tok.encode()) % dim] += 1.0
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-6)


class BowSoftmax:
    def __init__(self, params: BowSoftmaxParams):
        self.p = params

    def _columns(self, df: Any, split: str) -> tuple[list[str], list[str]]:
        for col in (self.p.text, self.p.label):
            if col not in df.columns:
                raise DataError(
                    f"model.{'text' if col == self.p.text else 'label'}: column {col!r} is not in the {split} split (columns: {names(df.columns)})"
                )
        return [str(t) for t in df[self.p.text].to_list()], [
            str(y) for y in df[self.p.label].to_list()
        ]

    def build(self, ctx: Any, data: Dataset) -> dict[str, Any]:
        import numpy as np

        _, labels = self._columns(data["train"], "train")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise DataError(
                f"model: the label column {self.p.label!r} has one class only ({classes[0]!r})"
            )
        rng = np.random.default_rng(ctx.seed)
        return {
            "classes": classes,
            "W": rng.normal(0, 0.01, (self.p.features, len(classes))).astype(np.float32),
            "b": np.zeros(len(classes), dtype=np.float32),
        }

    def fit(self, ctx: Any, model: dict[str, Any], data: Dataset) -> dict[str, Any]:
        import numpy as np

        texts, labels = self._columns(data["train"], "train")
        index = {c: i for i, c in enumerate(model["classes"])}
        unknown = sorted({y for y in labels if y not in index})
        if unknown:
            raise DataError(f"labels {unknown} are not among the classes {model['classes']}")
        x = _featurize(texts, self.p.features)
        y = np.array([index[v] for v in labels])
        rng = np.random.default_rng(ctx.seed)
        # Stop-and-continue support (PBT): the weights and the shuffling RNG after ctx.step.
        saved = ctx.checkpointable(
            lambda: {
                "W": model["W"].copy(),
                "b": model["b"].copy(),
                "classes": list(model["classes"]),
                "rng": rng.bit_generator.state,
            }
        )
        first = 1
        if saved is not None:
            if list(saved["classes"]) != list(model["classes"]):
                raise DataError(
                    f"the checkpoint's classes {saved['classes']} are not this data's {model['classes']}"
                )
            if saved["W"].shape != model["W"].shape:
                raise DataError(
                    f"the checkpoint's weights are {saved['W'].shape}, this model's {model['W'].shape}: "
                    "model.features cannot change while training continues (do not perturb it with pbt)"
                )
            model["W"][...], model["b"][...] = saved["W"], saved["b"]
            rng.bit_generator.state = saved["rng"]
            first = ctx.step + 1
        elif "eval" in data:
            ctx.evaluate(self.predict(ctx, model, data, "eval"), step=0)
        n = len(y)
        steps_per_epoch = (n + self.p.batch_size - 1) // self.p.batch_size
        epochs = range(first, self.p.epochs + 1)
        with ctx.progress(len(epochs) * steps_per_epoch, "training bow_softmax") as bar:
            for epoch in epochs:
                order = rng.permutation(n)
                total = 0.0
                for start in range(0, n, self.p.batch_size):
                    idx = order[start : start + self.p.batch_size]
                    logits = x[idx] @ model["W"] + model["b"]
                    logits -= logits.max(axis=1, keepdims=True)
                    prob = np.exp(logits)
                    prob /= prob.sum(axis=1, keepdims=True)
                    total += float(-np.log(prob[np.arange(len(idx)), y[idx]] + 1e-9).sum())
                    prob[np.arange(len(idx)), y[idx]] -= 1.0
                    grad = prob / len(idx)
                    model["W"] -= self.p.lr * (x[idx].T @ grad + self.p.l2 * model["W"])
                    model["b"] -= self.p.lr * grad.sum(axis=0)
                    bar.update()
                ctx.step = epoch
                ctx.log_metrics({"loss": total / n}, split="train")
                if "eval" in data:
                    ctx.evaluate(self.predict(ctx, model, data, "eval"))
        return model

    def predict(self, ctx: Any, model: dict[str, Any], data: Dataset, split: str) -> Predictions:
        texts, labels = self._columns(data[split], split)
        logits = _featurize(texts, self.p.features) @ model["W"] + model["b"]
        out = [model["classes"][i] for i in logits.argmax(axis=1)]
        if split == "eval" and ctx.step > 0 and self.p.samples:
            k = min(self.p.samples, len(texts))
            ctx.log_samples(
                ({"input": texts[i], "reference": labels[i], "output": out[i]} for i in range(k)),
                split=split,
            )
        return Predictions(
            split,
            outputs=out,
            references=labels,
            inputs=texts,
            scores=logits,
            labels=model["classes"],
        )

    def save(self, ctx: Any, model: dict[str, Any]) -> None:
        import numpy as np

        path = ctx.work_dir / "bow_softmax.npz"
        np.savez(path, W=model["W"], b=model["b"], classes=np.array(model["classes"]))
        ctx.save_artifact(path, "model/bow_softmax.npz", kind="model")
        meta = ctx.work_dir / "params.json"
        meta.write_text(json.dumps(self.p.model_dump()))
        ctx.save_artifact(meta, "model/params.json", kind="model")
