"""Model kind ``keras_resnet``: an image classifier that trains itself (build/fit/predict/save).

Images are decoded and preprocessed once into memory (the sets this plugin targets are
small; a streaming tf.data pipeline would be the next step for large folders). Per epoch
the store gets train loss/accuracy/lr and eval loss plus the spec's metrics (``accuracy``
from core), with epoch 0 = the untrained network, so every curve shows what training did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from specrun import DataError, Dataset, Predictions

from .archive import make_reproducible
from .card import MODEL_CARD
from .image_ops import RANDOM_OPS, input_normalization, load_images
from .image_params import KerasResNetParams
from .runtime import configure_threads, fit_verbosity, keras_module, seed_keras

keras = keras_module()


@dataclass
class ImageClassifier:
    net: Any
    classes: list[str]
    ops: list[dict[str, Any]]
    arrays: dict[str, tuple[Any, list[str], list[str]]] = field(
        default_factory=dict
    )  # x, labels, names


class KerasResNet:
    def __init__(self, params: KerasResNetParams):
        self.p = params

    # -- data ------------------------------------------------------------------------
    def _columns(self, frame: Any, split: str) -> tuple[list[str], list[str], list[str]]:
        for key in ("image_column", "label_column"):
            col = getattr(self.p, key)
            if col not in frame.columns:
                raise DataError(
                    f"model.{key}: column {col!r} is not in the {split} split "
                    f"(columns: {', '.join(frame.columns)})"
                )
        paths = [str(v) for v in frame[self.p.image_column].to_list()]
        names = frame["name"].to_list() if "name" in frame.columns else paths
        return paths, [str(v) for v in frame[self.p.label_column].to_list()], names

    def _decode(self, ctx: Any, data: Dataset, ops: list[dict[str, Any]]) -> dict[str, Any]:
        frames = {s: data.splits[s] for s in ("train", "eval", "test") if s in data.splits}
        columns = {s: self._columns(f, s) for s, f in frames.items()}
        total = sum(len(c[0]) for c in columns.values())
        arrays, stretched = {}, 0
        with ctx.progress(total, "decoding images") as bar:
            for split, (paths, labels, names) in columns.items():
                x, n = load_images(paths, ops, self.p.image_size, on_image=bar.update)
                arrays[split] = (x.astype("float32"), labels, names)
                stretched += n
        if stretched:
            ctx.log(
                f"{stretched}/{total} images were not {self.p.image_size}px squares after "
                "preprocessing and were stretched; add image_resize + image_pad_square "
                f"(size {self.p.image_size}) to keep their aspect ratio"
            )
        return arrays

    # -- protocol --------------------------------------------------------------------
    def build(self, ctx: Any, data: Dataset) -> ImageClassifier:
        configure_threads(ctx.resources.get("cpus"))
        seed_keras(keras, ctx.seed)
        ops = list(data.meta.get("image_ops", []))
        _, train_labels, _ = self._columns(data["train"], "train")
        classes = sorted(set(train_labels))
        if len(classes) < 2:
            raise DataError(f"model: the train split has one class only ({classes[0]!r})")
        if self.p.weights is not None and any(o["op"] == "zero_center" for o in ops):
            ctx.log(
                "weights are pretrained: using ResNet50's own ImageNet preprocessing in place "
                "of image_zero_center"
            )
        arrays = self._decode(ctx, data, ops)
        mean, variance = input_normalization(ops, arrays["train"][0])
        from .resnet_net import build_classifier

        net = build_classifier(self.p, len(classes), ops, mean, variance, ctx.seed)
        random_ops = [o["op"] for o in ops if o["op"] in RANDOM_OPS]
        ctx.log(
            f"{net.name}: {net.count_params():,} parameters, {len(classes)} classes, input "
            f"{self.p.image_size}px"
            + (f", augmenting: {', '.join(random_ops)}" if random_ops else "")
        )
        return ImageClassifier(net, classes, ops, arrays)

    def _targets(self, model: ImageClassifier, labels: list[str]) -> Any:
        import numpy as np

        index = {c: i for i, c in enumerate(model.classes)}
        return np.array([index.get(v, -1) for v in labels])

    def fit(self, ctx: Any, model: ImageClassifier, data: Dataset) -> ImageClassifier:
        from .training import (
            RunReporter,
            make_callbacks,
            make_optimizer,
            settle_final_step,
            steps_per_epoch,
        )

        x, labels, _ = model.arrays["train"]
        y = self._targets(model, labels)
        p = self.p
        spe = steps_per_epoch(len(y), p.batch_size)
        model.net.compile(
            optimizer=make_optimizer(p, spe),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=p.label_smoothing),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        )
        has_eval = "eval" in model.arrays
        last: dict[str, Any] = {}

        def evaluate_epoch(epoch: int) -> float | None:
            preds = self._predictions(ctx, model, "eval")
            ctx.evaluate(preds, step=epoch)
            last.update(step=epoch, preds=preds)
            return preds.extra.get("metric:loss")

        if has_eval:
            evaluate_epoch(0)
        reporter = RunReporter(
            ctx, p.epochs * spe, f"training {model.net.name}", evaluate_epoch if has_eval else None
        )
        callbacks = make_callbacks(ctx, p, reporter, monitor_eval=has_eval)
        y_onehot = keras.utils.to_categorical(y, len(model.classes))
        model.net.fit(
            x,
            y_onehot,
            batch_size=p.batch_size,
            epochs=p.epochs,
            shuffle=True,
            callbacks=callbacks,
            verbose=fit_verbosity(),
        )
        if settle_final_step(ctx, callbacks, last.get("step")):
            self._log_samples(ctx, last["preds"])
        return model

    def _predictions(self, ctx: Any, model: ImageClassifier, split: str) -> Predictions:
        import numpy as np

        x, labels, names = model.arrays[split]
        probs = model.net.predict(x, batch_size=max(self.p.batch_size, 64), verbose=fit_verbosity())
        y = self._targets(model, labels)
        known = y >= 0  # a class absent from train cannot have a loss, only a wrong answer
        # "metric:loss" is always logged; "loss" feeds the shared `loss` metric kind.
        loss = (
            float(-np.log(np.clip(probs[known, y[known]], 1e-7, 1.0)).mean())
            if known.any()
            else None
        )
        outputs = [model.classes[i] for i in probs.argmax(axis=1)]
        return Predictions(
            split,
            outputs=outputs,
            references=labels,
            inputs=names,
            scores=probs,
            labels=model.classes,
            extra={"metric:loss": loss, "loss": loss} if loss is not None else {},
        )

    def predict(self, ctx: Any, model: ImageClassifier, data: Dataset, split: str) -> Predictions:
        preds = self._predictions(ctx, model, split)
        self._log_samples(ctx, preds)
        return preds

    def _log_samples(self, ctx: Any, preds: Predictions) -> None:
        if self.p.samples:
            import numpy as np

            # Evenly spaced rows: the split is ordered by class, the first rows are one class.
            picks = np.unique(
                np.linspace(0, len(preds.outputs) - 1, self.p.samples).round().astype(int)
            )
            conf = preds.scores.max(axis=1)
            ctx.log_samples(
                (
                    {
                        "input": preds.inputs[i],
                        "reference": preds.references[i],
                        "output": preds.outputs[i],
                        "confidence": round(float(conf[i]), 4),
                    }
                    for i in picks
                ),
                split=preds.split,
            )

    def save(self, ctx: Any, model: ImageClassifier) -> None:
        out = ctx.work_dir / "keras_resnet"
        out.mkdir(exist_ok=True)
        model.net.save(out / "model.keras")
        make_reproducible(out / "model.keras")
        (out / "preprocessing.json").write_text(
            json.dumps(
                {"classes": model.classes, "image_size": self.p.image_size, "ops": model.ops},
                indent=2,
            )
        )
        (out / MODEL_CARD).write_text(json.dumps({"kind": "keras_resnet", "format": 1}))
        ctx.save_artifact(out, "model", kind="model")
