"""Third-party plugins: installed as a distribution, discovered through the entry point,
used with no change to core; a plugin that fails to import is named with its error."""

from __future__ import annotations

import sys
import textwrap

from core_helpers import run_cli, write_spec

import specrun
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
    result = specrun.run(str(write_spec(tmp_path, COUNT_SPEC)), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "finished", result.error
    err = specrun.open_store(str(tmp_path / "s.duckdb")).metrics(result.run_id, "error")["value"].to_list()
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
    (root / "specrun_broken.py").write_text(textwrap.dedent("""\
        import a_dependency_that_is_not_installed  # noqa: F401
    """))


def test_plugin_that_fails_to_import_is_named_with_its_import_error(tmp_path, monkeypatch):
    _broken_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    spec = write_spec(tmp_path, "name: b\ndata: {kind: generated_topics}\nmodel: {kind: broken_model}\n")
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
    spec = write_spec(tmp_path, COUNT_SPEC.replace("counting, steps: 15, target: 4.0", "bow_softmax"))
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
