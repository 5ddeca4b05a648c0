"""From ``hf_seq2seq_trainer`` params to HF ``TrainingArguments``: precision checks,
schedules, checkpoints and what to resume from.

Precision: fp16 needs CUDA (torch has no CPU fp16 autocast worth using), so asking for it
on a CPU is a user error. bf16 is accepted on a CPU: torch autocasts to bfloat16 there,
and CPUs with AVX512-BF16/AMX run it natively (elsewhere it is correct but slow, which
we log). On a GPU without bfloat16 (before Ampere) bf16 is a user error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun import UserError

from .trainer_params import HFSeq2SeqTrainerParams, metric_mode


def precision_flags(precision: str, device: str, log: Any = None) -> dict[str, bool]:
    if precision == "fp32":
        return {}
    if device != "cuda":
        if precision == "fp16":
            raise UserError(
                "trainer.precision: fp16 needs a CUDA GPU, and this run is on the CPU; "
                "use bf16 (CPU autocast) or fp32"
            )
        if log is not None and not _cpu_has_bf16():
            log("precision bf16 on a CPU without native bfloat16: correct, but slower than fp32")
        return {"bf16": True}
    import torch

    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise UserError(
            f"trainer.precision: bf16 needs a GPU with bfloat16 support (Ampere or "
            f"newer); {torch.cuda.get_device_name()} has none: use fp16 or fp32"
        )
    return {precision: True}


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def checkpoint_dir(p: HFSeq2SeqTrainerParams, work_dir: Path) -> Path:
    return (
        Path(p.checkpoint_dir).expanduser().resolve()
        if p.checkpoint_dir
        else work_dir / "checkpoints"
    )


def find_resume_checkpoint(p: HFSeq2SeqTrainerParams, directory: Path) -> str | None:
    """The last checkpoint to continue from, None to start fresh (resume: auto, or off)."""
    if not p.resume:
        return None
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(directory)) if directory.is_dir() else None
    if last is None and p.resume is True:
        raise UserError(
            f"trainer.resume: there is no checkpoint in {directory} to resume from "
            "(resume: auto starts fresh when there is none)"
        )
    return last


def check_tokenizer_matches(checkpoint: str, tokenizer: Any, where: str | None = None) -> None:
    """A checkpoint trained with another vocabulary cannot continue with this one.

    ``where`` names the checkpoint in the error (default: ``trainer.resume: <dir>``)."""
    saved = Path(checkpoint) / "tokenizer.json"
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if not saved.is_file() or backend is None:
        return
    from tokenizers import Tokenizer

    if Tokenizer.from_file(str(saved)).get_vocab() != backend.get_vocab():
        raise UserError(
            f"{where or f'trainer.resume: {checkpoint}'} was trained with a different "
            "vocabulary than this run's tokenizer (different data or tokenizer settings?)"
        )


def _schedule(p: HFSeq2SeqTrainerParams) -> str:
    if p.lr_scheduler == "constant":
        return "constant_with_warmup" if (p.warmup_steps or p.warmup_ratio) else "constant"
    return p.lr_scheduler


def training_arguments(
    p: HFSeq2SeqTrainerParams,
    output_dir: Path,
    seed: int,
    device: str,
    has_eval: bool,
    log: Any = None,
    continued: bool = False,
    world_size: int = 1,
    save_for_restart: bool = False,
) -> Any:
    """``continued``: the run goes on from a pbt checkpoint, whose step the run it was
    copied from has evaluated already (no eval on start).

    ``world_size``: data-parallel workers; ``batch_size`` is global, each gets its share.
    ``save_for_restart``: save a checkpoint at each eval (a multi-worker run that can
    restart its workers continues from the last one)."""
    from transformers import TrainingArguments

    eval_strategy = ("steps" if p.eval_steps else "epoch") if has_eval else "no"
    if (p.keep_best or p.early_stopping) and not has_eval:
        raise UserError(
            "trainer.keep_best/early_stopping need an eval split, and the data has none"
        )
    if p.save_steps:
        save_strategy, save_steps = "steps", p.save_steps
    elif p.keep_best or p.checkpoint_dir or save_for_restart:
        # Save when we evaluate, so that the best evaluated model is on disk.
        save_strategy = eval_strategy if eval_strategy != "no" else "epoch"
        save_steps = p.eval_steps or 500
    else:
        save_strategy, save_steps = "no", 500
    if p.keep_best and save_strategy != eval_strategy:
        raise UserError(
            "trainer.keep_best: checkpoints must be saved on the eval schedule; set "
            "save_steps to a multiple of eval_steps (or leave it out)"
        )
    best = p.keep_best
    if p.batch_size % world_size:
        raise UserError(
            f"trainer.batch_size: {p.batch_size} is the global batch and must split evenly "
            f"over the run's {world_size} workers (resources.workers)"
        )
    return TrainingArguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=p.batch_size // world_size,
        per_device_eval_batch_size=p.eval_batch_size,
        gradient_accumulation_steps=p.grad_accum,
        num_train_epochs=p.epochs,
        max_steps=p.max_steps or -1,
        learning_rate=p.lr,
        lr_scheduler_type=_schedule(p),
        warmup_steps=p.warmup_steps or p.warmup_ratio,
        weight_decay=p.weight_decay,
        max_grad_norm=p.max_grad_norm,
        label_smoothing_factor=p.label_smoothing,
        logging_strategy="steps",
        logging_steps=p.logging_steps,
        eval_strategy=eval_strategy,
        eval_steps=p.eval_steps,
        eval_on_start=p.eval_on_start and has_eval and not continued,
        save_strategy=save_strategy,
        save_steps=save_steps,
        save_total_limit=p.save_total_limit,
        load_best_model_at_end=best is not None,
        metric_for_best_model=best.metric if best else None,
        greater_is_better=(metric_mode(best.metric, best.mode) == "max") if best else None,
        seed=seed,
        data_seed=seed,
        report_to="none",
        disable_tqdm=True,
        use_cpu=device != "cuda",
        dataloader_num_workers=0,
        remove_unused_columns=False,
        train_sampling_strategy="group_by_length" if p.group_by_length else "random",
        **precision_flags(p.precision, device, log),
    )
