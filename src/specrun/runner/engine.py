"""The pipeline of one run: data -> augment -> model -> trainer -> metrics.

Component protocols (duck-typed; docs/PLUGINS.md says more):

- data:    ``load(ctx) -> Dataset``
- augment: ``apply(ctx, dataset) -> Dataset``
- model:   ``build(ctx, dataset) -> model``; a model that trains itself also has ``fit``
           and ``predict`` and needs no trainer section
- trainer: ``fit(ctx, model, dataset) -> model | None``,
           ``predict(ctx, model, dataset, split) -> Predictions``, optional ``save(ctx, model)``
- metrics: ``compute(predictions) -> dict[str, float]``
"""

from __future__ import annotations

from typing import Any

from ..context import Dataset, RunContext
from ..errors import DataError, UserError
from ..spec import ResolvedSpec


def build_components(spec: ResolvedSpec) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for section, value in spec.components.items():
        if isinstance(value, list):
            built[section] = [comp.build(params) for comp, params in value]
        else:
            comp, params = value
            built[section] = comp.build(params)
    return built


def _check_dataset(dataset: Any, where: str) -> Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"{where} returned {type(dataset).__name__}, expected specrun.Dataset")
    if "train" not in dataset.splits:
        raise DataError(f"{where}: the data has no 'train' split")
    for name, split in dataset.splits.items():
        if len(split) == 0:
            raise DataError(f"{where}: the '{name}' split is empty")
    return dataset


def execute(spec: ResolvedSpec, ctx: RunContext) -> dict[str, float]:
    """Run the pipeline; return the final metrics (split/name -> value)."""
    ctx.frameworks = spec.frameworks()
    ctx.seed_everything()
    parts = build_components(spec)
    ctx.metrics = parts.get("metrics", [])
    data_kind = spec.data["data"]["kind"]

    dataset = _check_dataset(parts["data"].load(ctx), f"data kind {data_kind!r}")
    fingerprint = dataset.fingerprint or dataset.compute_fingerprint()
    ctx._emit(("fingerprint", fingerprint))
    ctx.log("data: " + ", ".join(f"{k}={v}" for k, v in dataset.sizes().items()))

    for i, aug in enumerate(parts.get("augment", [])):
        kind = spec.data["augment"][i]["kind"]
        dataset = _check_dataset(aug.apply(ctx, dataset), f"augment[{i}] ({kind})")
        ctx.log(f"augment {kind}: " + ", ".join(f"{k}={v}" for k, v in dataset.sizes().items()))

    model_part = parts["model"]
    ctx.seed_everything()
    model = model_part.build(ctx, dataset)
    trainer = parts.get("trainer")
    if trainer is None:
        if not (hasattr(model_part, "fit") and hasattr(model_part, "predict")):
            raise UserError(
                f"model kind {spec.data['model']['kind']!r} needs a trainer section (it does not train itself)"
            )
        trainer = model_part
    ctx.seed_everything()
    trained = trainer.fit(ctx, model, dataset)
    if trained is not None:
        model = trained

    final: dict[str, float] = {}
    if ctx.metrics or hasattr(trainer, "predict"):
        for split in ("eval", "test"):
            if (split, ctx.step) in ctx.evaluated:
                continue  # the trainer already evaluated this split at the last step
            if (
                split in dataset.splits
                and len(dataset.splits[split])
                and hasattr(trainer, "predict")
            ):
                preds = trainer.predict(ctx, model, dataset, split)
                if preds is not None:
                    for k, v in ctx.evaluate(preds).items():
                        final[f"{split}/{k}"] = v
    if hasattr(trainer, "save"):
        trainer.save(ctx, model)
    for (split, name), value in ctx.logged.items():
        final.setdefault(f"{split}/{name}", value)
    return final
