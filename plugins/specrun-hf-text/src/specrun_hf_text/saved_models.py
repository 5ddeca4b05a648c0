"""Loading a model this plugin saved (``specrun.load_model(run_id)``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun import UserError

from .hf_env import load_pretrained, quiet_transformers


@dataclass
class LoadedModel:
    kind: str
    model: Any
    tokenizer: Any
    extra: dict[str, Any] = field(default_factory=dict)  # classes of a classifier


def load_saved_model(kind: str, artifact_dir: Any, run_id: str) -> LoadedModel:
    quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    path = Path(artifact_dir) / "model"
    if not (path / "config.json").is_file():
        raise UserError(f"run {run_id} ({kind}) saved no model (was trainer.save_model false?)")
    tokenizer = load_pretrained(AutoTokenizer, str(path), "tokenizer")
    if kind == "hf_classifier":
        model = load_pretrained(AutoModelForSequenceClassification, str(path), "classifier")
        classes_file = path / "specrun_classes.json"
        extra = (
            {"classes": json.loads(classes_file.read_text(encoding="utf-8"))}
            if classes_file.is_file()
            else {}
        )
        return LoadedModel(kind, model, tokenizer, extra)
    model = load_pretrained(AutoModelForCausalLM, str(path), "causal LM")
    return LoadedModel(kind, model, tokenizer)
