"""specrun-hf registration: kinds and hooks. Imports pydantic and specrun only; every
factory is a "module:attr" string, so torch and transformers load when a run starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun import Component, hookimpl

from .data_params import GeneratedKoEnParams, GeneratedSummariesParams, PairTextParams
from .model_params import AutoSeq2SeqParams, BartParams, MarianParams, VanillaTransformerParams
from .trainer_params import HFSeq2SeqTrainerParams

# What the models and the trainer draw random numbers from: core seeds it before each builds.
TORCH = ("torch",)
# The models the seq2seq trainer trains (none of them trains itself).
SEQ2SEQ_KINDS = ("marian", "bart", "seq2seq", "vanilla_transformer")


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
    register(
        Component(
            "model",
            "marian",
            MarianParams,
            f"{models}:MarianModel",
            seeds=TORCH,
            needs_trainer=True,
            worker_env_prefixes=("HF_", "TRANSFORMERS_"),
        )
    )
    register(
        Component(
            "model", "bart", BartParams, f"{models}:BartModel", seeds=TORCH, needs_trainer=True
        )
    )
    register(
        Component(
            "model",
            "seq2seq",
            AutoSeq2SeqParams,
            "specrun_hf.hf_models:AutoSeq2SeqModel",
            seeds=TORCH,
            needs_trainer=True,
        )
    )
    register(
        Component(
            "model",
            "vanilla_transformer",
            VanillaTransformerParams,
            "specrun_hf.vanilla.component:VanillaTransformerModel",
            seeds=TORCH,
            needs_trainer=True,
        )
    )

    register(
        Component(
            "trainer",
            "hf_seq2seq_trainer",
            HFSeq2SeqTrainerParams,
            "specrun_hf.trainer:HFSeq2SeqTrainer",
            seeds=TORCH,
            trains=SEQ2SEQ_KINDS,
            distributed=True,
        )
    )
    # bleu, chrf, rouge and loss come from specrun-textmetrics (no torch needed to score).


@hookimpl
def load_model(artifact_dir: Any) -> Any:
    """A seq2seq run's saved model and tokenizer as a ``LoadedSeq2Seq`` (None if it saved none)."""
    from .card import MODEL_CARD

    model_dir = Path(artifact_dir) / "model"
    if not (model_dir / MODEL_CARD).is_file():
        return None
    from .loading import load_seq2seq

    return load_seq2seq(model_dir)
