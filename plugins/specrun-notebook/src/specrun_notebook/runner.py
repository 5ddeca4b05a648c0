"""Executing the notebook on the worker: the run's data as Parquet files, a kernelspec for this
Python in the run's temp dir, Papermill with an engine that reads specrun's messages as they
arrive, and the executed notebook (plus its HTML) stored as artifacts, also when a cell fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specrun import Dataset, Predictions, RunContext, UserError

from . import CONTEXT_ENV
from .plugin import NotebookParams

KERNEL_NAME = "specrun-python"
SETUP_TAG = "specrun-setup"


class NotebookCellError(UserError):
    """A cell of the run's notebook raised: the run failed with that cell's error."""


class NotebookModel:
    """A model kind that trains itself: ``fit`` executes the notebook, which logs through
    :mod:`specrun_notebook`; there is nothing to predict afterwards."""

    def __init__(self, params: NotebookParams):
        self.params = params

    def build(self, ctx: RunContext, dataset: Dataset) -> None:
        return None

    def fit(self, ctx: RunContext, model: Any, dataset: Dataset) -> None:
        p = self.params
        root = ctx.work_dir / "notebook"
        root.mkdir(parents=True, exist_ok=True)
        context = {
            "run_id": ctx.run_id,
            "seed": ctx.seed,
            "deterministic": ctx.deterministic,
            "data": _write_splits(dataset, root / "data"),
            "notebook": p.path.name,
        }
        (root / "context.json").write_text(json.dumps(context), encoding="utf-8")
        env = {
            CONTEXT_ENV: str(root / "context.json"),
            # the kernel is another process: give it the fixed str hash seed runs have
            "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED") or "0",
            # Jupyter's runtime files (connection files) in the run's temp dir, not ~/.local
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        }
        kernel = p.kernel
        if kernel is None:
            env["JUPYTER_PATH"] = _kernelspec_here(root / "jupyter")
            kernel = KERNEL_NAME
        source = _with_setup_cell(p.path, ctx.seed, root / "input.ipynb")
        output = root / "output.ipynb"
        events = EventHandler(ctx)
        ctx.log(f"notebook {p.path.name}: kernel {kernel}, parameters {p.parameters or '{}'}")
        started = time.monotonic()
        failure: Exception | None = None
        import papermill as pm

        from .engine import ENGINE_NAME, register_engine

        register_engine()
        with _environ(env):
            try:
                pm.execute_notebook(
                    str(source),
                    str(output),
                    parameters=dict(p.parameters),
                    engine_name=ENGINE_NAME,
                    kernel_name=kernel,
                    # a notebook saved without kernel metadata (made by a script) is Python
                    language=None if p.kernel else "python",
                    cwd=str(p.path.parent),
                    progress_bar=False,
                    start_timeout=p.start_timeout,
                    execution_timeout=p.cell_timeout,
                    record_timing=False,
                    specrun_events=events,
                )
            except pm.PapermillExecutionError as exc:
                failure = exc
            except Exception as exc:  # noqa: BLE001 - a kernel that cannot start, a timeout
                failure = exc
        ctx.log(f"notebook {p.path.name}: executed in {time.monotonic() - started:.1f}s")
        if output.exists():
            self._save(ctx, output, p.path)
        if failure is not None:
            raise _run_error(failure, p.path, output) from None
        if events.error is not None:
            raise events.error

    def predict(self, ctx: RunContext, model: Any, dataset: Dataset, split: str) -> None:
        return None  # the notebook evaluated what it wanted (sr.evaluate)

    def _save(self, ctx: RunContext, output: Path, source: Path) -> None:
        clean = output.with_name(source.name)
        clean.write_text(_reproducible_notebook(output, source), encoding="utf-8")
        ctx.save_artifact(clean, name=f"notebook/{source.name}", kind="notebook")
        if self.params.html:
            html = clean.with_suffix(".html")
            html.write_text(_to_html(clean), encoding="utf-8")
            ctx.save_artifact(html, name=f"notebook/{html.name}", kind="html")


class EventHandler:
    """Turns the notebook's specrun messages into calls on the run's context, in order."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.error: Exception | None = None  # the first bad message: the run fails with it

    def __call__(self, event: dict[str, Any]) -> None:
        if self.error is not None:
            return
        try:
            self._handle(event)
        except Exception as exc:  # noqa: BLE001 - raised after the notebook, not in nbclient
            self.error = exc

    def _handle(self, event: dict[str, Any]) -> None:
        ctx, kind = self.ctx, event.get("type")
        step = event.get("step")
        if step is not None:
            ctx.step = max(ctx.step, int(step))
        if kind == "metrics":
            ctx.log_metrics(event["values"], step=step, split=event.get("split", "train"))
        elif kind == "samples":
            ctx.log_samples(event["rows"], split=event.get("split", "eval"), step=step)
        elif kind == "evaluate":
            preds = Predictions(
                event["split"],
                outputs=event.get("outputs"),
                references=event.get("references"),
                inputs=event.get("inputs"),
                labels=event.get("labels"),
            )
            ctx.evaluate(preds, step=step)
        elif kind == "artifact":
            ctx.save_artifact(event["path"], name=event.get("name"), kind=event.get("kind"))
        elif kind == "log":
            ctx.log(event["message"])
        else:
            raise UserError(f"the notebook sent an unknown specrun message {kind!r}")


def _run_error(exc: Exception, notebook: Path, output: Path) -> Exception:
    import papermill as pm

    name = notebook.name
    if isinstance(exc, pm.PapermillExecutionError):
        evalue = (str(exc.evalue).strip().splitlines() or [""])[0]
        line = next((s for s in str(exc.source).splitlines() if s.strip()), "").strip()
        return NotebookCellError(
            f"notebook {name}: cell {_cell_number(output, exc.cell_index)} ({line[:60]!r}) raised "
            f"{exc.ename}: {evalue}; the executed notebook with its traceback is the artifact "
            f"notebook/{name}"
        )
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "Kernel didn't respond" in first:  # nbclient's RuntimeError for a slow start
        return UserError(
            f"notebook {name}: the kernel did not start in time ({first}); a busy machine may "
            "need a larger model.start_timeout"
        )
    if type(exc).__name__ == "NoSuchKernel":
        from jupyter_client.kernelspec import KernelSpecManager

        known = sorted(KernelSpecManager().find_kernel_specs())
        return UserError(
            f"notebook {name}: model.kernel: no Jupyter kernel named {exc.args[0]!r}; "
            f"installed: {', '.join(known) or 'none'} (leave kernel unset to use this Python)"
        )
    if type(exc).__name__ in ("DeadKernelError", "CellTimeoutError"):
        return UserError(f"notebook {name}: {type(exc).__name__}: {first}")
    return exc


def _cell_number(output: Path, executed_index: int) -> int:
    """The failing cell's number in the user's notebook (from 1, as a person counts): the
    executed copy also has specrun's setup cell and Papermill's injected parameters."""
    try:
        cells = json.loads(output.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return executed_index
    added = {SETUP_TAG, "injected-parameters"}
    extra = sum(
        1
        for c in cells[:executed_index]
        if added & set((c.get("metadata") or {}).get("tags") or [])
    )
    return executed_index - extra + 1


def _write_splits(dataset: Dataset, where: Path) -> dict[str, str]:
    import polars as pl

    where.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, split in dataset.splits.items():
        frame = split if isinstance(split, pl.DataFrame) else pl.DataFrame(split)
        path = where / f"{name}.parquet"
        frame.write_parquet(path)
        out[name] = str(path)
    return out


def _kernelspec_here(jupyter_dir: Path) -> str:
    """A kernelspec for the Python running this worker, in a directory that JUPYTER_PATH
    points at for this execution only: nothing under ~/.local or /usr/share/jupyter changes."""
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (specrun run)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    return os.pathsep.join([str(jupyter_dir), *([before] if before else [])])


def _with_setup_cell(path: Path, seed: int, out: Path) -> Path:
    """The notebook with a first cell that seeds python and numpy with the run's seed."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    cell = nbformat.v4.new_code_cell(
        f"# added by specrun: python's and numpy's generators start from the run's seed ({seed})\n"
        "import specrun_notebook\n"
        "specrun_notebook.start()"
    )
    cell.metadata["tags"] = [SETUP_TAG]
    cell["id"] = SETUP_TAG
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(out))
    return out


def _reproducible_notebook(output: Path, source: Path) -> str:
    """The executed notebook without what changes from one execution to the next (Papermill's
    start and end times, the temp paths), so that a rerun stores the same bytes."""
    nb = json.loads(output.read_text(encoding="utf-8"))
    meta = nb.get("metadata", {}).get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        meta.pop(key, None)
    meta["input_path"] = source.name
    meta["output_path"] = source.name
    meta.pop("environment_variables", None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i}"
        pm = cell.get("metadata", {}).get("papermill", {})
        for key in ("start_time", "end_time", "duration"):
            pm.pop(key, None)
        cell.get("metadata", {}).pop("execution", None)
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _to_html(notebook: Path) -> str:
    import nbconvert
    import nbformat

    exporter = nbconvert.HTMLExporter()
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    return body


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set variables for the kernel (it inherits them) and restore them after: in --local
    mode this is the driver's own process."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
