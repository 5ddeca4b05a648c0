"""LoRA adapters (peft) on any model of the plugin, with the target modules checked first
so that a typo names the layers the model really has."""

from __future__ import annotations

from typing import Any

from specrun import UserError

from .model_params import LoraParams

# Output projections stay frozen under "all-linear" (as in peft): adapting them adds
# vocabulary-sized adapters for little gain.
OUTPUT_LAYERS = {"lm_head", "output_projection"}


def linear_layer_names(module: Any) -> list[str]:
    from torch import nn

    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, m in module.named_modules()
            if isinstance(m, nn.Linear) and name
        }
    )


def apply_lora(module: Any, params: LoraParams, task_type: str | None) -> Any:
    from peft import LoraConfig, get_peft_model

    names = linear_layer_names(module)
    if params.target_modules == "all-linear":
        targets = [n for n in names if n not in OUTPUT_LAYERS]
    else:
        targets = list(params.target_modules)
        missing = [t for t in targets if t not in names]
        if missing:
            raise UserError(
                f"model.peft.target_modules: {', '.join(repr(m) for m in missing)} "
                f"{'is not a linear layer' if len(missing) == 1 else 'are not linear layers'} "
                "of this "
                f"model; its linear layers are: {', '.join(names)}"
            )
    if not targets:
        raise UserError("model.peft: the model has no linear layers to adapt")
    config = LoraConfig(
        r=params.r,
        lora_alpha=params.alpha,
        lora_dropout=params.dropout,
        target_modules=targets,
        task_type=task_type,
    )
    try:
        return get_peft_model(module, config)
    except ValueError as exc:
        raise UserError(f"model.peft: {str(exc).splitlines()[0]}") from None
