"""A plugin as a third party would write it: one short module, no change to core.

Kinds: ``counting`` (a model that trains itself toward a target, logging each step),
``slow_counting`` (the same, slowly, writing its pid so tests can kill it), ``exploding``
(its factory raises: a bug in a plugin), ``constant`` (a model that needs a trainer) and
``nudging`` (the trainer that trains it), ``mean_abs_error`` (a metric); ``load_model`` gives a
counting run's learnt number.
"""

from __future__ import annotations

import os
import time

from pydantic import Field
from specrun import Component, Params, Predictions, hookimpl


class CountingParams(Params):
    """Learns a number by gradient steps; its error falls every step."""

    target: float = 10.0
    steps: int = Field(20, gt=0)
    lr: float = Field(0.3, gt=0, le=1)
    delay_s: float = Field(0.0, ge=0)
    pid_file: str | None = None
    samples_per_step: int = Field(0, ge=0)  # rows of ctx.log_samples at every step
    step_file: str | None = None  # the last step sent, rewritten at every step
    artifact_bytes: int = Field(0, ge=0)  # a second artifact of this size (fills a small disk)


class CountingModel:
    def __init__(self, params: CountingParams):
        self.p = params

    def build(self, ctx, dataset):
        return {"value": 0.0}

    def fit(self, ctx, model, dataset):
        if self.p.pid_file:
            with open(self.p.pid_file, "w") as fh:
                fh.write(str(os.getpid()))
        with ctx.progress(self.p.steps, "counting") as bar:
            for step in range(1, self.p.steps + 1):
                model["value"] += self.p.lr * (self.p.target - model["value"])
                ctx.step = step
                ctx.log_metrics({"error": abs(self.p.target - model["value"])})
                if self.p.samples_per_step:
                    ctx.log_samples(
                        [
                            {
                                "input": f"step {step} row {i}",
                                "reference": str(self.p.target),
                                "output": repr(model["value"]),
                            }
                            for i in range(self.p.samples_per_step)
                        ]
                    )
                if self.p.step_file:  # renamed into place: a reader never sees it empty
                    with open(self.p.step_file + ".tmp", "w") as fh:
                        fh.write(str(step))
                    os.replace(self.p.step_file + ".tmp", self.p.step_file)
                bar.update()
                if self.p.delay_s:
                    time.sleep(self.p.delay_s)
        path = ctx.work_dir / "value.txt"
        path.write_text(repr(model["value"]))
        ctx.save_artifact(path, "model/value.txt", kind="model")
        if self.p.artifact_bytes:
            big = ctx.work_dir / "big.bin"
            big.write_bytes(os.urandom(self.p.artifact_bytes))
            ctx.save_artifact(big, "model/big.bin", kind="model")
        return model

    def predict(self, ctx, model, dataset, split):
        n = len(dataset[split])
        return Predictions(split, outputs=[model["value"]] * n, references=[self.p.target] * n)


class ConstantParams(Params):
    """A model that does not train itself: one number, set by the ``nudging`` trainer."""


class ConstantModel:
    def __init__(self, params):
        pass

    def build(self, ctx, dataset):
        return {"value": 0.0}


class NudgingParams(Params):
    """Trains a ``constant`` model: moves its number halfway to the target each step."""

    target: float = 2.0
    steps: int = Field(8, gt=0)


class NudgingTrainer:
    def __init__(self, params):
        self.p = params

    def fit(self, ctx, model, dataset):
        for step in range(1, self.p.steps + 1):
            model["value"] += 0.5 * (self.p.target - model["value"])
            ctx.step = step
            ctx.log_metrics({"error": abs(self.p.target - model["value"])})
        return model

    def predict(self, ctx, model, dataset, split):
        n = len(dataset[split])
        return Predictions(split, outputs=[model["value"]] * n, references=[self.p.target] * n)


class ExplodingParams(Params):
    """Its factory raises, like a plugin with a bug."""


def exploding(params):
    raise RuntimeError("boom: the plugin's factory failed")


class MaeParams(Params):
    """Mean absolute error between numeric outputs and references."""


class MeanAbsError:
    def __init__(self, params):
        pass

    def compute(self, preds):
        preds.need("outputs", "references", metric="mean_abs_error")
        pairs = list(zip(preds.outputs, preds.references, strict=True))
        return {"mae": sum(abs(float(o) - float(r)) for o, r in pairs) / max(len(pairs), 1)}


@hookimpl
def load_model(artifact_dir):
    """The learnt number. Written the short way a third party may write it: it does not check
    the run is its own, because core calls it only for the kinds this plugin registers."""
    return float((artifact_dir / "model" / "value.txt").read_text())


@hookimpl
def register_components(register):
    register(Component("model", "counting", CountingParams, CountingModel))
    register(Component("model", "exploding", ExplodingParams, exploding))
    register(Component("model", "constant", ConstantParams, ConstantModel, needs_trainer=True))
    register(Component("trainer", "nudging", NudgingParams, NudgingTrainer, trains=("constant",)))
    register(Component("metrics", "mean_abs_error", MaeParams, MeanAbsError))


# -- an observer that owns a spec section: every observer hook, one JSON line each ---------
class JournalSection(Params):
    """Append every observed event of the run to a JSON-lines file."""

    path: str
    every_metric: bool = True


def _journal(spec, event, **fields):
    import json

    section = (spec or {}).get("journal")
    if section:
        with open(section["path"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": event, **fields}, default=str) + "\n")


def _who(run):
    return {
        "run_id": run.run_id,
        "parent_id": run.parent_id,
        "sweep_id": run.sweep_id,
        "role": run.role,
        "index": run.index,
    }


@hookimpl
def register_spec_sections(register):
    from specrun.components import SpecSection

    register(SpecSection("journal", JournalSection))


@hookimpl
def run_started(run):
    _journal(run.spec, "run_started", **_who(run))


@hookimpl
def metrics_logged(run, metrics):
    _journal(
        run.spec,
        "metrics",
        **_who(run),
        points=[[m.split, m.name, m.step, m.value] for m in metrics],
    )


@hookimpl
def samples_logged(run, split, step, samples):
    _journal(run.spec, "samples", **_who(run), split=split, step=step, n=len(samples))


@hookimpl
def run_finished(run, status, error):
    _journal(run.spec, "run_finished", **_who(run), status=status, error=error)


@hookimpl
def sweep_started(sweep):
    _journal(sweep.spec, "sweep_started", sweep_id=sweep.sweep_id, metric=sweep.metric)


@hookimpl
def sweep_finished(sweep, status, error, best):
    _journal(sweep.spec, "sweep_finished", sweep_id=sweep.sweep_id, status=status, best=best)
