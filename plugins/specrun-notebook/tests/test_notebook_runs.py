"""Notebooks as runs: real notebooks executed by Papermill on a real ipykernel, the store read
back, failures and spec errors seen from the CLI in a subprocess."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
import specrun
from specrun import plugins
from specrun.testing import run_cli

SPEC = Path(__file__).resolve().parents[1] / "specs" / "notebook_topics.yaml"
TINY = ["data.rows=240", "model.parameters.epochs=3"]
TOPICS = {"sports", "economy", "politics", "science"}


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECRUN_PLUGINS", "notebook")
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    monkeypatch.setenv("SPECRUN_STORE", str(tmp_path / "default" / "s.duckdb"))
    plugins.reset()
    yield
    plugins.reset()


def cli_env(tmp_path: Path) -> dict[str, str]:
    """A HOME of its own, so that the test can show nothing was written to the user's Jupyter."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "SPECRUN_PLUGINS": "notebook",
        "HOME": str(home),
        "SPECRUN_CACHE": str(tmp_path / "cache"),
        "NO_COLOR": "1",
        "TERM": "dumb",
    }


def notebook(path: Path, *sources: str, parameters: str = "x = 1") -> Path:
    cells = [nbformat.v4.new_code_cell(parameters)]
    cells[0].metadata["tags"] = ["parameters"]
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    return path


def spec(path: Path, nb: Path, parameters: dict | None = None, kernel: str | None = None) -> Path:
    path.write_text(
        "name: nb-test\nseed: 3\n"
        "data: {kind: generated_topics, rows: 120, split: {eval: 0.25}}\n"
        f"model:\n  kind: notebook\n  path: {nb.name}\n"
        f"  parameters: {json.dumps(parameters or {})}\n"
        + (f"  kernel: {kernel}\n" if kernel else "")
        + "metrics: [{kind: accuracy}]\n",
        encoding="utf-8",
    )
    return path


def _artifact_path(store: str, row: dict) -> Path:
    root = Path(store).with_name(Path(store).stem + "_artifacts")
    path = Path(row["path"])
    return path if path.is_absolute() else root / path


def test_the_shipped_notebook_trains_and_logs_through_the_api(tmp_path):
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(
        str(SPEC), overrides=[*TINY, "model.parameters.lr=0.8"], store=store, local=True
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    metrics = st.metrics(result.run_id)
    loss = metrics.filter(name="loss").sort("step")["value"].to_list()
    assert len(loss) == 3 and loss[0] > loss[-1]  # one point an epoch, and it learns
    accuracy = metrics.filter(split="eval", name="accuracy").sort("step")
    assert accuracy["step"].to_list() == [1, 2, 3]  # the spec's metrics ran on sr.evaluate
    assert accuracy["value"][-1] > 0.5  # four topics: chance is 0.25
    assert metrics.filter(split="eval", name="macro_f1").height == 3
    samples = st.samples(result.run_id)
    assert samples.height == 5 and all(samples["input"]) and all(samples["reference"])
    assert set(samples["output"]) <= TOPICS and set(samples["reference"]) <= TOPICS

    names = set(st.artifacts(result.run_id)["name"])
    assert names == {"notebook/topics_numpy.ipynb", "notebook/topics_numpy.html"}
    row = st.artifacts(result.run_id).filter(name="notebook/topics_numpy.ipynb").row(0, named=True)
    executed = nbformat.reads(_artifact_path(store, row).read_text(), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert (
        len(injected) == 1
        and "lr = 0.8" in injected[0].source
        and "epochs = 3" in injected[0].source
    )
    assert executed.cells[0].metadata["tags"] == ["specrun-setup"]
    # it ran on specrun's kernelspec, but keeps its own for whoever opens it later
    assert executed.metadata["kernelspec"]["name"] == "python3"
    text = json.dumps(executed)
    assert "epoch 3: loss" in text  # the cells' own output is kept
    assert "vnd.specrun" not in text  # specrun's messages were consumed, not stored as outputs
    html_row = (
        st.artifacts(result.run_id).filter(name="notebook/topics_numpy.html").row(0, named=True)
    )
    html = _artifact_path(store, html_row).read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "epoch 3: loss" in html

    from specrun.history.report import build_report

    report = build_report(st, [result.run_id])
    frame = report[report.index("<iframe sandbox") :]
    assert 'title="notebook/topics_numpy.html"' in frame[:200]
    assert "epoch 3: loss" in frame[: frame.index("</iframe>")]  # the notebook, in the report


def test_a_cell_that_raises_fails_the_run_with_that_cells_error(tmp_path):
    nb = notebook(
        tmp_path / "broken.ipynb",
        "import sys, specrun_notebook as sr\nprint('python:', sys.executable)\n"
        "sr.log_metrics({'before': x}, step=1)",
        "ratio = x / 0",
        "sr.log_metrics({'after': 1.0}, step=2)",
        parameters="x = 1",
    )
    spec_path = spec(tmp_path / "broken.yaml", nb, {"x": 4})
    store = str(tmp_path / "s.duckdb")
    proc = run_cli("run", str(spec_path), "--local", "--store", store, env=cli_env(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "cell 3 ('ratio = x / 0') raised ZeroDivisionError: division by zero" in out
    assert "Traceback" not in out
    st = specrun.open_store(store)
    run = st.query("SELECT run_id, status, error FROM runs").row(0, named=True)
    assert run["status"] == "failed" and "ZeroDivisionError" in run["error"]
    metrics = st.metrics(run["run_id"])
    assert metrics.filter(name="before")["value"].to_list() == [4.0]  # kept from before
    assert metrics.filter(name="after").height == 0  # nothing ran after the failing cell
    row = st.artifacts(run["run_id"]).filter(name="notebook/broken.ipynb").row(0, named=True)
    executed = nbformat.reads(_artifact_path(store, row).read_text(), as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ZeroDivisionError"
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"python: {sys.executable}" in printed  # the kernel is this venv's Python
    home = tmp_path / "home"
    assert not (home / ".local" / "share" / "jupyter").exists()  # the user's Jupyter untouched
    assert not (home / ".jupyter").exists()


@pytest.mark.parametrize(
    "case,expected",
    [
        ("no-parameters-cell", "has no parameters cell: tag the code cell"),
        ("unknown-parameter", "has no 'lrr' (did you mean \"lr\"?); it sets: lr, epochs"),
        ("missing-file", "file does not exist: gone.ipynb"),
    ],
)
def test_bad_notebook_settings_are_one_clear_error(tmp_path, case, expected):
    if case == "no-parameters-cell":
        nb = tmp_path / "plain.ipynb"
        nbformat.write(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("lr = 1")]), str(nb)
        )
        spec_path, where = spec(tmp_path / "s.yaml", nb), "model.path"
    elif case == "unknown-parameter":
        nb = notebook(tmp_path / "nb.ipynb", parameters="lr = 0.1\nepochs: int = 2")
        spec_path, where = spec(tmp_path / "s.yaml", nb, {"lrr": 1}), "model.parameters"
    else:
        spec_path, where = spec(tmp_path / "s.yaml", tmp_path / "gone.ipynb"), "model.path"
    proc = run_cli("validate", str(spec_path), env=cli_env(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert expected in out and "s.yaml:" in out and where in out, out
    assert "Traceback" not in out
    line = next(ln for ln in out.splitlines() if "error:" in ln)
    assert line.split(":")[2].strip().isdigit()  # file:line:column


def test_a_kernel_that_is_not_installed_is_a_clear_error(tmp_path):
    nb = notebook(tmp_path / "nb.ipynb", "y = x + 1")
    spec_path = spec(tmp_path / "k.yaml", nb, kernel="no-such-kernel")
    proc = run_cli(
        "run",
        str(spec_path),
        "--local",
        "--store",
        str(tmp_path / "s.duckdb"),
        env=cli_env(tmp_path),
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "model.kernel: no Jupyter kernel named 'no-such-kernel'; installed:" in out
    assert "Traceback" not in out
