"""Registration module named by the ``hf_text`` entry point.

Imports pydantic and specrun only: every factory is a "module:attr" string, so torch,
transformers and gensim load when a run starts, never at ``specrun validate``/``--help``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from specrun import Component, hookimpl

from specrun_torchkit import HF_WORKER_ENV, HF_WORKER_ENV_PREFIXES

from .params_augment import (
    BackTranslationParams,
    EdaParams,
    HanjaToHangulParams,
    OversampleParams,
    RegexCleanParams,
    UnicodeNormalizeParams,
)
from .params_data import GeneratedPoemsParams, KoreanHeadlinesParams
from .params_models import (
    CausalLMParams,
    CausalLMTrainerParams,
    ClassifierTrainerParams,
    EnsembleParams,
    HfClassifierParams,
)

PKG = "specrun_hf_text"
# Model kinds whose runs this plugin can load back with specrun.load_model(run_id).
LOADABLE_MODEL_KINDS = ("hf_classifier", "hf_causal_lm")

COMPONENTS: list[tuple[str, str, type[BaseModel], str]] = [
    ("data", "korean_headlines", KoreanHeadlinesParams, "data_headlines:KoreanHeadlines"),
    ("data", "generated_poems", GeneratedPoemsParams, "data_poems:GeneratedPoems"),
    ("augment", "unicode_normalize", UnicodeNormalizeParams, "preprocess:UnicodeNormalize"),
    ("augment", "regex_clean", RegexCleanParams, "preprocess:RegexClean"),
    ("augment", "hanja_to_hangul", HanjaToHangulParams, "preprocess:HanjaToHangul"),
    ("augment", "oversample", OversampleParams, "oversample:Oversample"),
    ("augment", "eda", EdaParams, "eda:Eda"),
    ("augment", "back_translation", BackTranslationParams, "back_translation:BackTranslation"),
    ("model", "hf_classifier", HfClassifierParams, "classifier:HfClassifier"),
    ("trainer", "hf_classifier_trainer", ClassifierTrainerParams, "classifier:ClassifierTrainer"),
    ("model", "ensemble", EnsembleParams, "ensemble:Ensemble"),
    ("model", "hf_causal_lm", CausalLMParams, "causal_lm:HfCausalLM"),
    ("trainer", "hf_causal_lm_trainer", CausalLMTrainerParams, "causal_lm:CausalLMTrainer"),
]


# Sections whose kinds draw random numbers from torch (models, trainers, and the augmenters
# that run a model: EDA's embedding synonyms, back-translation): core seeds it first.
TORCH_KINDS = {"eda", "back_translation"}
# trainer kind -> the model kind it trains (those models do not train themselves).
TRAINS = {"hf_classifier_trainer": "hf_classifier", "hf_causal_lm_trainer": "hf_causal_lm"}


@hookimpl
def register_components(register: Any) -> None:
    for section, kind, params, factory in COMPONENTS:
        uses_torch = section in ("model", "trainer") or kind in TORCH_KINDS
        seeds = ("torch",) if uses_torch else ()
        env = {"worker_env": HF_WORKER_ENV} if uses_torch else {}
        register(
            Component(
                section,
                kind,
                params,
                f"{PKG}.{factory}",
                seeds=seeds,
                needs_trainer=kind in TRAINS.values(),
                trains=(TRAINS[kind],) if kind in TRAINS else (),
                distributed=kind in TRAINS,
                worker_env_prefixes=HF_WORKER_ENV_PREFIXES,
                **env,
            )
        )


@hookimpl
def load_model(run: Any, artifact_dir: Any, kind: str | None) -> Any:
    """Load a classifier or causal LM trained by this plugin; None for anyone else's run."""
    if kind not in LOADABLE_MODEL_KINDS:
        return None
    from .saved_models import load_saved_model

    return load_saved_model(kind, artifact_dir, run.get("run_id", "?"))
