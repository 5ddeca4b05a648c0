"""What an alert says: a title a phone shows and a short body (plain text, Markdown-safe)."""

from __future__ import annotations

from typing import Any

KIND = {"finished": "success", "failed": "failure", "interrupted": "warning", "stopped": "warning"}


def _what(run: Any) -> str:
    if run.role == "trial":
        return f"trial {run.index} {run.run_id} of sweep {run.sweep_id}"
    if run.role == "fold":
        return f"fold {run.index} {run.run_id} of cv {run.parent_id}"
    if run.role == "cv":
        return f"cross-validation {run.run_id}"
    return f"run {run.run_id}"


def _metrics(values: dict[str, float]) -> list[str]:
    return [f"{k} = {v:.6g}" for k, v in sorted(values.items()) if k.startswith(("eval/", "test/"))]


def run_message(
    run: Any, status: str, error: str | None, last: dict[str, float], took_s: float
) -> tuple[str, str, str]:
    title = f"specrun: {run.name} {_what(run)} {status}"
    lines = [f"{_what(run)} of {run.name} {status} after {took_s:.1f}s"]
    if error:
        lines.append(f"error: {error.strip().splitlines()[0][:500]}")
    lines += _metrics(last)
    lines.append(f"store: {run.store}")
    return title, "\n".join(lines), KIND.get(status, "warning")


def threshold_message(run: Any, threshold: Any, value: float, step: int) -> tuple[str, str, str]:
    title = f"specrun: {run.name} {_what(run)}: {threshold.describe()}"
    body = (
        f"{threshold.metric} = {value:.6g} at step {step} crossed {threshold.describe()}\n"
        f"store: {run.store}"
    )
    return title, body, "info"


def sweep_message(
    sweep: Any, status: str, error: str | None, best: dict[str, Any] | None, took_s: float | None
) -> tuple[str, str, str]:
    title = f"specrun: {sweep.name} sweep {sweep.sweep_id} {status}"
    lines = [
        f"sweep {sweep.sweep_id} of {sweep.name} {status}"
        + (f" after {took_s:.1f}s" if took_s is not None else "")
    ]
    if error:
        lines.append(f"error: {error.strip().splitlines()[0][:500]}")
    if best:
        lines.append(
            f"best run {best.get('run_id')}: {sweep.metric} = {best.get('value'):.6g} ({sweep.mode})"
        )
    lines.append(f"store: {sweep.store}")
    return title, "\n".join(lines), KIND.get(status, "warning")
