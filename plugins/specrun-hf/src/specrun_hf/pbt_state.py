"""Stop and continue for population based training (``ctx.checkpointable``).

The state a PBT sweep keeps is the Trainer's own checkpoint for the current step (weights,
optimizer, LR scheduler, grad scaler, RNG states, ``trainer_state.json``, tokenizer) as
``{relative path: bytes}``; a run that continues from it writes the files back and lets the
Trainer resume from them like from any checkpoint.

The checkpoint may come from another trial, trained with other hyperparameters. Resuming
loads the saved optimizer param groups (lr, weight decay, betas ...) and the scheduler's
base learning rates, so the donor's values would silently win: ``keep_spec_settings`` puts
this spec's values back after loading (what Ray Tune's PBT examples do with
``param_group["lr"] = config["lr"]``), keeping the schedule where it was.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from specrun import UserError

FORMAT = "specrun-hf/trainer-checkpoint-1"
TRAINER_STATE = "trainer_state.json"


def capture(trainer: Any, scratch: Path) -> dict[str, Any]:
    """The Trainer's checkpoint for its current step, as picklable bytes.

    The same pieces as ``Trainer._save_checkpoint``, written to a scratch folder rather
    than the run's checkpoint directory, so that checkpoint rotation and the best model
    of ``keep_best`` are not disturbed."""
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pbt-", dir=scratch))
    try:
        trainer.save_model(str(folder))  # weights and tokenizer
        trainer._save_optimizer_and_scheduler(str(folder))
        trainer._save_scaler(str(folder))
        trainer._save_rng_state(str(folder))
        trainer.state.save_to_json(str(folder / TRAINER_STATE))
        files = {
            f.relative_to(folder).as_posix(): f.read_bytes()
            for f in sorted(folder.rglob("*"))
            if f.is_file()
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"format": FORMAT, "step": int(trainer.state.global_step), "files": files}


def restore(saved: dict[str, Any], directory: Path) -> tuple[str, int]:
    """Write a captured checkpoint under ``directory``; its folder and its global step."""
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise UserError(
            "sweep.scheduler: pbt: the checkpoint to continue from was not saved by "
            "hf_seq2seq_trainer (every trial of a sweep must use the same trainer)"
        )
    step = int(saved["step"])
    folder = directory / f"checkpoint-{step}"
    shutil.rmtree(folder, ignore_errors=True)
    for name, data in saved["files"].items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise UserError(f"sweep.scheduler: pbt: the checkpoint holds an unsafe path {name!r}")
        path = folder.joinpath(*rel.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    state = json.loads((folder / TRAINER_STATE).read_text())
    return str(folder), int(state["global_step"])


def optimizer_settings(optimizer: Any) -> list[dict[str, Any]]:
    """Each param group's hyperparameters (everything but the parameters)."""
    return [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]


def keep_spec_settings(optimizer: Any, scheduler: Any, spec: list[dict[str, Any]]) -> None:
    """After loading a checkpoint: this spec's optimizer settings and base learning rates,
    at the loaded scheduler's position (``spec`` is ``optimizer_settings`` taken before
    loading, once the scheduler had set each group's ``initial_lr``)."""
    groups = optimizer.param_groups
    lambdas = getattr(scheduler, "lr_lambdas", None)  # LambdaLR: every HF schedule
    for i, (group, fresh) in enumerate(zip(groups, spec, strict=True)):
        base = float(fresh.get("initial_lr", fresh["lr"]))
        if lambdas is not None:
            lr = base * lambdas[i](scheduler.last_epoch)
        else:  # a chained scheduler: keep the loaded lr's share of its base
            saved_base = float(group.get("initial_lr", group["lr"]))
            lr = float(group["lr"]) * base / saved_base if saved_base else base
        group.update(fresh)
        group["initial_lr"], group["lr"] = base, lr
    if scheduler is not None:
        scheduler.base_lrs = [group["initial_lr"] for group in groups]
        scheduler._last_lr = [group["lr"] for group in groups]  # what get_last_lr() logs
