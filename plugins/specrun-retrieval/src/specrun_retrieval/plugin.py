"""The registration module named by the entry point: kinds, CLI commands, model loading.

Light imports only (pydantic, specrun, click): torch, faiss and fastapi load when a run,
`specrun serve` or `specrun chat` starts.
"""

from __future__ import annotations

from typing import Any

from specrun import Component, hookimpl

from specrun_torchkit import HF_WORKER_ENV, HF_WORKER_ENV_PREFIXES

from .kinds import MODEL_KINDS
from .params import (
    BiEncoderParams,
    CrossEncoderParams,
    GeneratedDialogueParams,
    MrrParams,
    PolyEncoderParams,
    RetrievalMetricParams,
    RetrievalTrainerParams,
    RetrieveAndRerankParams,
)

# The models and the trainer draw random numbers from torch: core seeds it before each builds.
TORCH = ("torch",)
# The torch plugins' one worker environment (offline hub, quiet, passive OpenMP threads).
HF = {"worker_env": HF_WORKER_ENV, "worker_env_prefixes": HF_WORKER_ENV_PREFIXES}


@hookimpl
def register_components(register: Any) -> None:
    pkg = "specrun_retrieval"
    register(
        Component(
            "data", "generated_dialogue", GeneratedDialogueParams, f"{pkg}.data:GeneratedDialogue"
        )
    )
    for kind, params, factory in (
        ("bi_encoder", BiEncoderParams, "BiEncoderKind"),
        ("poly_encoder", PolyEncoderParams, "PolyEncoderKind"),
    ):
        register(
            Component(
                "model",
                kind,
                params,
                f"{pkg}.models:{factory}",
                seeds=TORCH,
                **HF,
                needs_trainer=True,
            )
        )
    register(
        Component(
            "model",
            "cross_encoder",
            CrossEncoderParams,
            f"{pkg}.models:CrossEncoderKind",
            seeds=TORCH,
            **HF,
            needs_trainer=True,
        )
    )
    register(
        Component(
            "model",
            "retrieve_and_rerank",
            RetrieveAndRerankParams,
            f"{pkg}.models:RetrieveAndRerankKind",
            seeds=TORCH,
            **HF,
            needs_trainer=True,
        )
    )
    register(
        Component(
            "trainer",
            "retrieval_trainer",
            RetrievalTrainerParams,
            f"{pkg}.trainer:RetrievalTrainer",
            seeds=TORCH,
            **HF,
            trains=MODEL_KINDS,
            distributed=True,
        )
    )
    register(
        Component("metrics", "retrieval", RetrievalMetricParams, f"{pkg}.metrics:RetrievalMetric")
    )
    register(Component("metrics", "mrr", MrrParams, f"{pkg}.metrics:Mrr"))


@hookimpl
def register_commands(cli: Any) -> None:
    from .serving.commands import chat, serve

    cli.add_command(serve)
    cli.add_command(chat)


@hookimpl
def load_model(run: Any, artifact_dir: Any, kind: str | None) -> Any:
    """A run of one of our model kinds loads as a ``RetrievalBot``; others are not ours."""
    if kind not in MODEL_KINDS:
        return None
    from .artifacts import load_bot

    return load_bot(artifact_dir, run_id=run["run_id"])
