"""specrun-hf registration: kinds and hooks. Imports pydantic and specrun only; every
factory is a "module:attr" string, so torch and transformers load when a run starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun import Component, hookimpl

from .data_params import GeneratedKoEnParams, GeneratedSummariesParams, PairTextParams
from .model_params import AutoSeq2SeqParams, BartParams, MarianParams, VanillaTransformerParams
from .text_metrics import BleuParams, ChrfParams, LossParams, RougeParams
from .trainer_params import HFSeq2SeqTrainerParams

# Written next to every saved model; its presence tells load_model the run is ours.
MODEL_CARD = "specrun_hf.json"
# What the models and the trainer draw random numbers from: core seeds it before each builds.
TORCH = ("torch",)


@hookimpl
def register_components(register: Any) -> None:
    pairs = "specrun_hf.pairs:PairTextSource"
    register(
        Component(
            "data",
            "parallel_text",
            PairTextParams,
            pairs,
            description="Parallel sentences (translation) from a file or a HF dataset",
        )
    )
    register(
        Component(
            "data",
            "text_pairs",
            PairTextParams,
            pairs,
            description="Source/target text pairs (summarization, ...) from a file or HF dataset",
        )
    )
    register(
        Component(
            "data", "generated_ko_en", GeneratedKoEnParams, "specrun_hf.generated:GeneratedKoEn"
        )
    )
    register(
        Component(
            "data",
            "generated_ko_summaries",
            GeneratedSummariesParams,
            "specrun_hf.generated:GeneratedKoSummaries",
        )
    )

    models = "specrun_hf.hf_models"
    register(Component("model", "marian", MarianParams, f"{models}:MarianModel", seeds=TORCH))
    register(Component("model", "bart", BartParams, f"{models}:BartModel", seeds=TORCH))
    register(
        Component(
            "model",
            "seq2seq",
            AutoSeq2SeqParams,
            "specrun_hf.hf_models:AutoSeq2SeqModel",
            seeds=TORCH,
        )
    )
    register(
        Component(
            "model",
            "vanilla_transformer",
            VanillaTransformerParams,
            "specrun_hf.vanilla.component:VanillaTransformerModel",
            seeds=TORCH,
        )
    )

    register(
        Component(
            "trainer",
            "hf_seq2seq_trainer",
            HFSeq2SeqTrainerParams,
            "specrun_hf.trainer:HFSeq2SeqTrainer",
            seeds=TORCH,
        )
    )

    register(Component("metrics", "bleu", BleuParams, "specrun_hf.text_metrics:Bleu"))
    register(Component("metrics", "chrf", ChrfParams, "specrun_hf.text_metrics:Chrf"))
    register(Component("metrics", "rouge", RougeParams, "specrun_hf.text_metrics:Rouge"))
    register(Component("metrics", "loss", LossParams, "specrun_hf.text_metrics:Loss"))


@hookimpl
def load_model(run: Any, artifact_dir: Any) -> Any:
    """A seq2seq run's saved model and tokenizer as a ``LoadedSeq2Seq`` (None if not ours)."""
    model_dir = Path(artifact_dir) / "model"
    if not (model_dir / MODEL_CARD).is_file():
        return None
    from .loading import load_seq2seq

    return load_seq2seq(model_dir)
