"""Third-party plugins: installed as a distribution, discovered through the entry point,
used with no change to core; a plugin that fails to import is named with its error."""

from __future__ import annotations

import sys
import textwrap

import specrun
from core_helpers import run_cli, write_spec
from specrun.errors import SpecError
from specrun.plugins import get_registry
from specrun.spec import load_spec

COUNT_SPEC = """\
name: third-party
data: {kind: generated_topics, rows: 40}
model: {kind: counting, steps: 15, target: 4.0}
metrics: [{kind: mean_abs_error}]
"""


def test_installed_plugin_kinds_run_with_no_change_to_core(tmp_path, with_example_plugin):
    registry = get_registry()
    comp = registry.components[("model", "counting")]
    assert (comp.plugin, comp.package, comp.version) == ("example", "specrun-example", "0.3.0")
    result = specrun.run(
        str(write_spec(tmp_path, COUNT_SPEC)), store=str(tmp_path / "s.duckdb"), local=True
    )
    assert result.status == "finished", result.error
    err = (
        specrun.open_store(str(tmp_path / "s.duckdb"))
        .metrics(result.run_id, "error")["value"]
        .to_list()
    )
    assert err[-1] < err[0] / 100
    assert result.metrics["eval/mae"] < 0.05


def test_plugins_command_lists_sections_kinds_packages(tmp_path, with_example_plugin):
    out = run_cli("plugins")
    assert out.returncode == 0, out.stderr
    assert "counting" in out.stdout and "specrun-example" in out.stdout and "0.3.0" in out.stdout
    assert "bow_softmax" in out.stdout


def _broken_distribution(root):
    """A real installed-distribution layout whose module needs a package that is missing."""
    dist = root / "specrun_broken-1.2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: specrun-broken\nVersion: 1.2.0\n")
    (dist / "entry_points.txt").write_text("[specrun]\nbroken = specrun_broken\n")
    (root / "specrun_broken.py").write_text(
        textwrap.dedent("""\
        import a_dependency_that_is_not_installed  # noqa: F401
    """)
    )


def test_plugin_that_fails_to_import_is_named_with_its_import_error(tmp_path, monkeypatch):
    _broken_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    spec = write_spec(
        tmp_path, "name: b\ndata: {kind: generated_topics}\nmodel: {kind: broken_model}\n"
    )
    try:
        load_spec(spec)
    except SpecError as exc:
        message = str(exc)
    else:
        raise AssertionError("expected a SpecError")
    assert "plugin 'broken' from package specrun-broken failed to load" in message
    assert "No module named 'a_dependency_that_is_not_installed'" in message
    out = run_cli("plugins")
    assert "broken plugin" in out.stderr and "specrun-broken" in out.stderr


def test_narrowing_plugins_by_environment(tmp_path, with_example_plugin, monkeypatch):
    monkeypatch.setenv("SPECRUN_PLUGINS", "builtins")
    from specrun import plugins

    plugins.reset()
    assert ("model", "counting") not in get_registry().components
    assert ("model", "bow_softmax") in get_registry().components


def test_core_commands_import_no_framework(tmp_path):
    """`specrun --help` and `specrun validate` must not import torch, tensorflow or ray."""
    spec = write_spec(
        tmp_path, COUNT_SPEC.replace("counting, steps: 15, target: 4.0", "bow_softmax")
    )
    code = textwrap.dedent(f"""\
        import sys
        from specrun.cli import cli
        for args in (["--help"], ["validate", {str(spec)!r}], ["plugins"], ["schema"]):
            try:
                cli.main(args=args, prog_name="specrun", standalone_mode=False)
            except SystemExit:
                pass
        heavy = sorted(m for m in ("torch", "tensorflow", "ray", "transformers", "ultralytics", "keras") if m in sys.modules)
        print("HEAVY:", ",".join(heavy))
    """)
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "HEAVY: \n" in out.stdout, out.stdout


def test_saved_model_carries_a_card_and_loads_through_its_own_plugin(tmp_path, with_example_plugin):
    """Core writes a card beside a saved model and load_model asks only the plugin that made
    it: the example's loader (which does not check the kind) is never handed another's run."""
    import json

    store = str(tmp_path / "s.duckdb")
    result = specrun.run(str(write_spec(tmp_path, COUNT_SPEC)), store=store, local=True)
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    names = set(st.query(f"SELECT name FROM artifacts WHERE run_id = '{result.run_id}'")["name"])
    assert {"model/value.txt", "model/specrun_model.json"} <= names
    card = json.loads(
        (st.artifact_root / result.run_id / "model" / "specrun_model.json").read_text()
    )
    assert card == {
        "card_version": 1,
        "section": "model",
        "kind": "counting",
        "plugin": "example",
        "package": "specrun-example",
        "version": "0.3.0",
    }
    loaded = specrun.load_model(result.run_id, store=store)
    assert abs(abs(loaded - 4.0) - result.metrics["eval/mae"]) < 1e-12  # the number the run learnt

    bow = write_spec(
        tmp_path,
        "name: bow\ndata: {kind: generated_topics, rows: 60}\n"
        "model: {kind: bow_softmax, epochs: 1}\nmetrics: [{kind: accuracy}]\n",
        "bow.yaml",
    )
    other = specrun.run(str(bow), store=store, local=True)
    assert other.status == "finished", other.error
    try:
        specrun.load_model(other.run_id, store=store)
    except specrun.UserError as exc:
        assert "model kind 'bow_softmax', plugin 'builtins'" in str(exc)
    else:
        raise AssertionError("expected a UserError: no plugin loads bow_softmax models")


PAIR_SPEC = """\
name: pairs
data: {kind: generated_topics, rows: 40}
model: {kind: constant}
trainer: {kind: nudging, steps: 6}
metrics: [{kind: mean_abs_error}]
"""


def test_validate_pairs_models_with_the_trainers_that_train_them(tmp_path, with_example_plugin):
    """A model that needs a trainer and has none, or a trainer that cannot train the model,
    is found by `specrun validate` (file:line, the kinds that would fit), not at run time."""
    good = write_spec(tmp_path, PAIR_SPEC, "good.yaml")
    result = specrun.run(str(good), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "finished" and result.metrics["eval/mae"] < 0.05, result.error

    none = write_spec(
        tmp_path, PAIR_SPEC.replace("trainer: {kind: nudging, steps: 6}\n", ""), "none.yaml"
    )
    out = run_cli("validate", str(none))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (
        f"{none}:3:9: model.kind: model kind 'constant' needs a trainer: section (it does not train "
        "itself); trainers that train it: nudging"
    ) in out.stderr

    wrong = write_spec(
        tmp_path, PAIR_SPEC.replace("{kind: constant}", "{kind: counting}"), "wrong.yaml"
    )
    out = run_cli("validate", str(wrong))
    assert out.returncode == 2
    assert (
        f"{wrong}:4:11: trainer.kind: trainer kind 'nudging' cannot train model kind 'counting': "
        "it trains constant"
    ) in out.stderr
