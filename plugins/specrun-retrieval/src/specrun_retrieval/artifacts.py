"""A run's artifacts and loading them back.

    model/retrieval.json             kind, params, format
    model/<stage>/tokenizer/         save_pretrained of the stage's tokenizer
    model/<stage>/<tower>/config.json  the encoder architecture (context, candidate, backbone)
    model/<stage>/weights.safetensors  every weight of the stage (codes and heads included)
    index/embeddings.npy, ids.npy    candidate embeddings, computed once at the end of training
    index/faiss.index, index.json    the faiss index over them
    index/candidates.jsonl           {"id", "text"} of every candidate

Stages are ``retriever`` (bi- or poly-encoder) and ``reranker`` (cross-encoder). Loading
needs no checkpoint or hub: architectures come from the saved configs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specrun import UserError

from . import encoders
from .bot import RetrievalBot
from .index import CandidateIndex
from .models import CrossModel, RerankModel, TwoTowerModel
from .params import BiEncoderParams, CrossEncoderParams, PolyEncoderParams, RetrieveAndRerankParams

FORMAT = 1


def _save_stage(stage: TwoTowerModel | CrossModel, directory: Path) -> None:
    from safetensors.torch import save_model as save_weights

    directory.mkdir(parents=True, exist_ok=True)
    stage.tokenizer.save_pretrained(str(directory / "tokenizer"))
    if isinstance(stage, TwoTowerModel):
        stage.net.context.config.save_pretrained(str(directory / "context"))
        if not stage.net.shared:
            stage.net.candidate.config.save_pretrained(str(directory / "candidate"))
    else:
        stage.net.backbone.config.save_pretrained(str(directory / "backbone"))
    # save_model, not save_file: a shared encoder's tensors appear twice in the state dict
    save_weights(stage.net.cpu(), str(directory / "weights.safetensors"))
    _sort_metadata(directory / "weights.safetensors")


def _sort_metadata(path: Path) -> None:
    """Sort the header's ``__metadata__`` (save_model's map of shared tensor names), which
    safetensors writes in the order of a per-process-seeded Rust hash map: without this, a
    rerun with identical weights stores a file with other bytes."""
    import json
    import struct

    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.get("__metadata__")
    if not meta:
        return
    header["__metadata__"] = dict(sorted(meta.items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format keeps the data 8-byte aligned
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + n :])


def save_model(ctx: Any, model: Any, bot: RetrievalBot | None) -> None:
    root = ctx.work_dir / "retrieval-artifacts"
    model_dir = root / "model"
    stages = (
        {"retriever": model.retriever, "reranker": model.reranker}
        if isinstance(model, RerankModel)
        else {"retriever" if isinstance(model, TwoTowerModel) else "reranker": model}
    )
    for name, stage in stages.items():
        _save_stage(stage, model_dir / name)
    meta = {
        "format": FORMAT,
        "kind": model.kind,
        "params": model.params.model_dump(mode="json"),
        "stages": sorted(stages),
    }
    (model_dir / "retrieval.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    ctx.save_artifact(model_dir, "model", kind="model")
    if bot is not None:
        index_dir = root / "index"
        bot.index.save(index_dir)
        with open(index_dir / "candidates.jsonl", "w", encoding="utf-8") as fh:
            for i in bot.index.ids.tolist():
                fh.write(json.dumps({"id": i, "text": bot.texts[i]}, ensure_ascii=False) + "\n")
        ctx.save_artifact(index_dir, "index", kind="index")


def _load_two_tower(kind: str, params: Any, directory: Path) -> TwoTowerModel:
    from safetensors.torch import load_model as load_weights
    from transformers import AutoTokenizer

    context = encoders.backbone_from_config_dir(directory / "context")
    candidate = (
        encoders.backbone_from_config_dir(directory / "candidate")
        if (directory / "candidate").exists()
        else None
    )
    if kind == "poly_encoder":
        net: encoders.TwoTower = encoders.PolyEncoderNet(
            context, candidate, params.pooling, params.normalize, params.codes
        )
    else:
        net = encoders.BiEncoderNet(context, candidate, params.pooling, params.normalize)
    load_weights(net, str(directory / "weights.safetensors"))
    return TwoTowerModel(
        kind, params, net.eval(), AutoTokenizer.from_pretrained(str(directory / "tokenizer"))
    )


def _load_cross(params: CrossEncoderParams, directory: Path) -> CrossModel:
    from safetensors.torch import load_model as load_weights
    from transformers import AutoTokenizer

    net = encoders.CrossEncoderNet(
        encoders.backbone_from_config_dir(directory / "backbone"), params.pooling
    )
    load_weights(net, str(directory / "weights.safetensors"))
    return CrossModel(
        params, net.eval(), AutoTokenizer.from_pretrained(str(directory / "tokenizer"))
    )


def load_model_dir(model_dir: Path) -> TwoTowerModel | CrossModel | RerankModel:
    meta_path = model_dir / "retrieval.json"
    if not meta_path.exists():
        raise UserError(
            f"{model_dir} holds no retrieval model (no retrieval.json): did the run finish?"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise UserError(
            f"{meta_path}: artifact format {meta.get('format')} is not the supported {FORMAT}"
        )
    kind, raw = meta["kind"], meta["params"]
    if kind == "bi_encoder":
        return _load_two_tower(kind, BiEncoderParams.model_validate(raw), model_dir / "retriever")
    if kind == "poly_encoder":
        return _load_two_tower(kind, PolyEncoderParams.model_validate(raw), model_dir / "retriever")
    if kind == "cross_encoder":
        return _load_cross(CrossEncoderParams.model_validate(raw), model_dir / "reranker")
    params = RetrieveAndRerankParams.model_validate(raw)
    retriever = _load_two_tower(params.retriever.kind, params.retriever, model_dir / "retriever")
    return RerankModel(params, retriever, _load_cross(params.reranker, model_dir / "reranker"))


def load_bot(artifact_dir: Path | str, run_id: str | None = None) -> RetrievalBot | CrossModel:
    """The run's chatbot (model + saved index + candidate texts); a cross-encoder run, which
    has no index, loads as its ``CrossModel``."""
    artifact_dir = Path(artifact_dir)
    model = load_model_dir(artifact_dir / "model")
    if isinstance(model, CrossModel):
        return model
    index_dir = artifact_dir / "index"
    if not (index_dir / "candidates.jsonl").exists():
        raise UserError(
            f"run {run_id or artifact_dir.name} saved no candidate index under {index_dir}"
        )
    texts = {}
    with open(index_dir / "candidates.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts[int(row["id"])] = row["text"]
    return RetrievalBot(model, CandidateIndex.load(index_dir), texts, run_id)
