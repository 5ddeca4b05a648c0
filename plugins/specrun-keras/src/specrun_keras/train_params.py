"""Training-loop parameters shared by the Keras model kinds (pydantic only: no TensorFlow)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from specrun import Params


class LrSchedule(BaseModel):
    """How the learning rate changes during training."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    kind: Literal["constant", "cosine", "plateau"] = "constant"
    warmup_epochs: int = Field(
        0, ge=0, description="cosine: linear warm-up epochs before the decay"
    )
    min_lr: float = Field(0.0, ge=0, description="cosine: final rate; plateau: lower bound")
    factor: float = Field(0.5, gt=0, lt=1, description="plateau: multiply the rate by this")
    patience: int = Field(
        1, ge=0, description="plateau: epochs without improvement before reducing"
    )


class EarlyStopping(BaseModel):
    """Stop when the monitored loss stops improving (eval loss when there is an eval split)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    patience: int = Field(0, ge=0, description="epochs without improvement; 0 turns it off")
    min_delta: float = Field(0.0, ge=0)
    restore_best: bool = Field(True, description="end with the weights of the best epoch")


class TrainLoop(Params):
    """Epochs, batches and optimisation of a Keras model that trains itself. The model kinds
    subclass it, so these are flat keys of `model:` (model.lr, model.epochs ...)."""

    epochs: int = Field(10, gt=0)
    batch_size: int = Field(32, gt=0)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0, description="adamw only")
    momentum: float = Field(0.9, ge=0, lt=1, description="sgd only")
    clipnorm: float | None = Field(None, gt=0, description="clip each gradient to this norm")
    lr_schedule: LrSchedule = Field(default_factory=LrSchedule)
    early_stopping: EarlyStopping = Field(default_factory=EarlyStopping)

    @model_validator(mode="after")
    def _schedule_fits(self) -> TrainLoop:
        if self.lr_schedule.kind == "cosine" and self.lr_schedule.warmup_epochs >= self.epochs:
            raise ValueError(
                f"lr_schedule.warmup_epochs ({self.lr_schedule.warmup_epochs}) must be below "
                f"epochs ({self.epochs})"
            )
        if self.lr_schedule.min_lr >= self.lr:
            if self.lr_schedule.kind != "constant":
                raise ValueError(
                    f"lr_schedule.min_lr ({self.lr_schedule.min_lr:g}) must be below "
                    f"lr ({self.lr:g})"
                )
        if self.weight_decay and self.optimizer != "adamw":
            raise ValueError("weight_decay is used by optimizer: adamw only")
        return self
