"""Event files read back with TensorBoard's own loader (``plugin_event_accumulator``, what
`tensorboard --logdir` uses to serve scalars, text and images): every metric at its step
with the store's exact float, the resolved spec as text, image artifacts byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import specrun
import yaml
from specrun.testing import run_cli

pytest.importorskip("tensorboard")

ROOT = Path(__file__).resolve().parents[3]
SPEC = """\
name: tb-plot
seed: 3
data: {kind: generated_topics, rows: 60}
model: {kind: plotting, steps: 6}
"""


def load(folder: Path):
    from specrun_tensorboard.events import without_tensorflow

    without_tensorflow()
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator

    files = list(folder.glob("events.out.tfevents.*"))
    assert len(files) == 1, files
    acc = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0})
    acc.Reload()
    return acc


def scalars(acc) -> dict[tuple[str, int], float]:
    from tensorboard.util import tensor_util

    return {
        (tag, e.step): tensor_util.make_ndarray(e.tensor_proto).item()
        for tag in acc.Tags()["tensors"]
        if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        for e in acc.Tensors(tag)
    }


def spec_text(acc) -> dict:
    from tensorboard.util import tensor_util

    (event,) = acc.Tensors("spec")
    assert acc.SummaryMetadata("spec").plugin_data.plugin_name == "text"
    text = tensor_util.make_ndarray(event.tensor_proto).item().decode()
    return yaml.safe_load("\n".join(line[4:] for line in text.splitlines()))


def check_run(acc, store, run_id: str) -> None:
    stored = store.metrics(run_id)
    expected = {
        (f"{s}/{n}", st): v
        for s, n, st, v in stored.select("split", "name", "step", "value").iter_rows()
    }
    assert scalars(acc) == expected  # every point, at its step, the very same float
    assert spec_text(acc) == json.loads(store.run(run_id)["spec_resolved"])
    from tensorboard.util import tensor_util

    (image,) = acc.Tensors("plots/curve.png")  # the loader keeps images as [width, height, png]
    assert acc.SummaryMetadata("plots/curve.png").plugin_data.plugin_name == "images"
    width, height, data = tensor_util.make_ndarray(image.tensor_proto).tolist()
    assert data == store.artifact_path(run_id, "plots/curve.png").read_bytes()
    assert (width, height, image.step) == (b"5", b"3", stored["step"].max())


def test_export_writes_every_metric_the_spec_and_images(tmp_path, plotting_plugin):
    import sys

    (tmp_path / "s.yaml").write_text(SPEC)
    store_path = tmp_path / "s.duckdb"
    result = specrun.run(str(tmp_path / "s.yaml"), store=str(store_path), local=True)
    assert result.status == "finished", result.error
    out = run_cli(
        "tensorboard", result.run_id, "--out", str(tmp_path / "tb"), "--store", str(store_path)
    )
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "tb" / "tb-plot" / result.run_id
    assert str(folder) in out.stdout
    store = specrun.open_store(str(store_path))
    check_run(load(folder), store, result.run_id)
    assert "tensorflow" not in sys.modules  # read and written without it

    again = run_cli(
        "tensorboard", result.run_id, "--out", str(tmp_path / "tb"), "--store", str(store_path)
    )
    assert again.returncode == 0, again.stderr
    check_run(load(folder), store, result.run_id)  # replaced, not doubled


def test_the_live_observer_writes_the_same_while_the_run_trains(tmp_path, plotting_plugin):
    (tmp_path / "s.yaml").write_text(SPEC + f"tensorboard: {{dir: {tmp_path / 'live'}}}\n")
    store_path = tmp_path / "s.duckdb"
    result = specrun.run(str(tmp_path / "s.yaml"), store=str(store_path), local=True)
    assert result.status == "finished", result.error
    store = specrun.open_store(str(store_path))
    folder = tmp_path / "live" / "tb-plot" / result.run_id
    check_run(load(folder), store, result.run_id)


def test_cv_folds_land_under_their_parent(tmp_path, plotting_plugin, monkeypatch):
    monkeypatch.setenv("SPECRUN_TENSORBOARD_DIR", str(tmp_path / "live"))
    (tmp_path / "s.yaml").write_text(SPEC + "cv: {folds: 2}\n")
    result = specrun.run(str(tmp_path / "s.yaml"), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "finished", result.error
    base = tmp_path / "live" / "tb-plot" / f"cv-{result.run_id}"
    assert sorted(p.name for p in base.iterdir()) == sorted(
        [result.run_id, *(f["run_id"] for f in result.folds)]
    )
    means = scalars(load(base / result.run_id))
    assert {tag: v for (tag, _step), v in means.items()} == result.metrics


def test_an_unknown_run_and_a_bad_section_are_one_line_errors(tmp_path, plotting_plugin):
    (tmp_path / "s.yaml").write_text(SPEC)
    specrun.run(str(tmp_path / "s.yaml"), store=str(tmp_path / "s.duckdb"), local=True)
    out = run_cli(
        "tensorboard",
        "nosuchrun",
        "--out",
        str(tmp_path / "tb"),
        "--store",
        str(tmp_path / "s.duckdb"),
    )
    assert (
        out.returncode == 2 and "no run 'nosuchrun'" in out.stderr and "Traceback" not in out.stderr
    )
    (tmp_path / "bad.yaml").write_text(SPEC + "tensorboard:\n  dir: ''\n")
    out = run_cli("validate", str(tmp_path / "bad.yaml"))
    assert (
        out.returncode == 2
        and f"{tmp_path / 'bad.yaml'}:6:" in out.stderr
        and "tensorboard.dir" in out.stderr
    )
