"""Trained Keras models back from a run's artifacts, for ``specrun.load_model(run_id)``.

Each model kind saves a ``specrun_keras.json`` card next to its files; the load hook in
``plugin`` answers only for directories holding one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .runtime import keras_module

keras = keras_module()


class LoadedImageClassifier:
    """``predict(paths)`` -> [(label, confidence)], with the run's own preprocessing."""

    def __init__(self, net: Any, classes: list[str], image_size: int, ops: list[dict[str, Any]]):
        self.net, self.classes, self.image_size, self.ops = net, classes, image_size, ops

    def predict(self, paths: list[str]) -> list[tuple[str, float]]:
        from .image_ops import load_images

        x, _ = load_images([str(p) for p in paths], self.ops, self.image_size)
        probs = self.net.predict(x.astype("float32"), verbose=0)
        return [
            (self.classes[i], float(probs[row, i])) for row, i in enumerate(probs.argmax(axis=1))
        ]


class LoadedTranslator:
    """``translate(sentences)`` -> hypotheses, greedy, as during the run's evaluation."""

    def __init__(self, component: Any, model: Any):
        self.component, self.model = component, model

    def translate(self, sentences: list[str]) -> list[str]:
        return self.component.translate(self.model, [str(s) for s in sentences])


def load_saved(model_dir: Path, card: dict[str, Any]) -> Any:
    if card["kind"] == "keras_resnet":
        meta = json.loads((model_dir / "preprocessing.json").read_text())
        net = keras.models.load_model(model_dir / "model.keras", compile=False)
        return LoadedImageClassifier(net, meta["classes"], meta["image_size"], meta["ops"])
    if card["kind"] == "keras_seq2seq":
        from .seq2seq import KerasSeq2Seq, Translator
        from .seq2seq_net import build_networks
        from .seq2seq_params import KerasSeq2SeqParams
        from .vocab import Vocab

        saved = json.loads((model_dir / "vocab.json").read_text())
        params = KerasSeq2SeqParams(**saved["params"])
        src, tgt = Vocab(saved["source"]["itos"]), Vocab(saved["target"]["itos"])
        nets = build_networks(params, len(src), len(tgt), seed=0)
        nets.train.load_weights(model_dir / "model.weights.h5")
        return LoadedTranslator(
            KerasSeq2Seq(params), Translator(nets, src, tgt, {}, saved["longest_target"])
        )
    raise ValueError(f"unknown specrun-keras model kind {card['kind']!r} in {model_dir}")
