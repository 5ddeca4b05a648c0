"""Spec loading and validation: every error names file, line, column and dotted path."""

from __future__ import annotations

import json

import pytest
from core_helpers import SPECS, run_cli, write_spec
from specrun.errors import SpecError
from specrun.spec import json_schema, load_spec

GOOD = """\
name: topics
seed: 3
data:
  kind: generated_topics
  rows: 200
model:
  kind: bow_softmax
  epochs: 2
  lr: 0.5
metrics:
  - kind: accuracy
"""


def issues_of(path, overrides=()):
    with pytest.raises(SpecError) as info:
        load_spec(path, overrides)
    return info.value.issues


def test_good_spec_resolves_with_defaults_and_hash(tmp_path):
    spec = load_spec(write_spec(tmp_path, GOOD))
    assert spec.data["model"]["features"] == 2048  # plugin default filled in
    assert spec.data["resources"] == {"cpus": 1.0, "gpus": 0.0, "memory": None, "custom": {}}
    assert len(spec.hash) == 64
    again = load_spec(write_spec(tmp_path, GOOD.replace("name: topics", "name: renamed"), "b.yaml"))
    assert again.hash == spec.hash, "renaming a run must not change what it does"
    changed = load_spec(write_spec(tmp_path, GOOD, "c.yaml"), ["model.lr=0.25"])
    assert changed.hash != spec.hash and changed.data["model"]["lr"] == 0.25


def test_malformed_yaml_points_at_line_and_column(tmp_path):
    (issue,) = issues_of(write_spec(tmp_path, "name: x\ndata: [unclosed\nmodel: {}\n"))
    assert issue.file.endswith("spec.yaml") and issue.line is not None and issue.line >= 2
    assert "malformed YAML" in issue.message


def test_unknown_section_suggests_the_right_one(tmp_path):
    issues = issues_of(write_spec(tmp_path, GOOD + "trainr:\n  kind: x\n"))
    (issue,) = [i for i in issues if i.path == "trainr"]
    assert issue.line == 12 and issue.column == 1
    assert 'did you mean "trainer"' in issue.message and "unknown section" in issue.message


def test_missing_required_section(tmp_path):
    text = GOOD.replace("model:\n  kind: bow_softmax\n  epochs: 2\n  lr: 0.5\n", "")
    issues = issues_of(write_spec(tmp_path, text))
    assert any(i.path == "model" and "missing" in i.message for i in issues)


def test_unknown_kind_lists_installed_kinds_and_suggests(tmp_path):
    issues = issues_of(write_spec(tmp_path, GOOD.replace("kind: bow_softmax", "kind: bow_softmx")))
    (issue,) = issues
    assert issue.path == "model.kind" and issue.line == 7 and issue.column == 3
    assert 'did you mean "bow_softmax"' in issue.message
    assert "installed:" in issue.message and "bow_softmax" in issue.message


def test_unknown_key_of_a_plugin_suggests(tmp_path):
    (issue,) = issues_of(write_spec(tmp_path, GOOD.replace("  lr: 0.5", "  lrr: 0.5")))
    assert issue.path == "model.lrr" and issue.line == 9
    assert 'did you mean "lr"' in issue.message and "expected one of" in issue.message


def test_wrong_type_and_nonpositive_values(tmp_path):
    issues = issues_of(
        write_spec(tmp_path, GOOD.replace("epochs: 2", "epochs: many").replace("lr: 0.5", "lr: -1"))
    )
    by_path = {i.path: i for i in issues}
    assert (
        "valid integer" in by_path["model.epochs"].message
        and "'many'" in by_path["model.epochs"].message
    )
    assert by_path["model.epochs"].line == 8
    assert "greater than 0" in by_path["model.lr"].message and by_path["model.lr"].line == 9


def test_errors_in_list_sections_are_indexed(tmp_path):
    (issue,) = issues_of(write_spec(tmp_path, GOOD + "  - kind: acuracy\n"))
    assert issue.path == "metrics[1].kind" and issue.line == 12
    assert 'did you mean "accuracy"' in issue.message


def test_extends_deep_merges_and_errors_point_at_the_base(tmp_path):
    base = write_spec(tmp_path, GOOD, "base.yaml")
    child = write_spec(
        tmp_path, f"extends: {base.name}\nname: child\nmodel:\n  epochs: 4\n", "child.yaml"
    )
    spec = load_spec(child)
    assert (
        spec.name == "child"
        and spec.data["model"]["epochs"] == 4
        and spec.data["model"]["lr"] == 0.5
    )
    assert spec.data["data"]["kind"] == "generated_topics"
    write_spec(tmp_path, GOOD.replace("rows: 200", "rows: -5"), "base.yaml")
    (issue,) = issues_of(child)
    assert issue.file.endswith("base.yaml") and issue.path == "data.rows" and issue.line == 5


def test_extends_cycle_and_missing_base(tmp_path):
    write_spec(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    write_spec(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    (issue,) = issues_of(tmp_path / "a.yaml")
    assert "cycle" in issue.message
    (issue,) = issues_of(write_spec(tmp_path, "extends: nope.yaml\n" + GOOD, "c.yaml"))
    assert issue.path == "extends" and "does not exist" in issue.message


def test_overrides_are_typed_as_yaml_and_checked(tmp_path):
    path = write_spec(tmp_path, GOOD)
    spec = load_spec(path, ["model.epochs=7", "tags=[a, b]", "metrics[0].kind=macro_f1"])
    assert spec.data["model"]["epochs"] == 7 and spec.data["tags"] == ["a", "b"]
    assert spec.data["metrics"][0]["kind"] == "macro_f1"
    (issue,) = issues_of(path, ["modle.lr=1"])
    assert issue.file == "<command line>" and 'did you mean "model"' in issue.message
    (issue,) = issues_of(path, ["model.lr=fast"])
    assert (
        issue.path == "model.lr"
        and issue.file == "<command line>"
        and "valid number" in issue.message
    )
    (issue,) = issues_of(path, ["model.lr"])
    assert "expected dotted.path=value" in issue.message
    (issue,) = issues_of(path, ["metrics[3].kind=accuracy"])
    assert "no list item" in issue.message


def test_missing_and_empty_data_files(tmp_path):
    spec = "name: t\ndata:\n  kind: table\n  path: {path}\nmodel:\n  kind: bow_softmax\n"
    (issue,) = issues_of(write_spec(tmp_path, spec.format(path="nowhere.csv")))
    assert issue.path == "data.path" and issue.line == 4 and "does not exist" in issue.message
    (tmp_path / "empty.csv").write_text("")
    (issue,) = issues_of(write_spec(tmp_path, spec.format(path="empty.csv")))
    assert "file is empty" in issue.message


def test_relative_data_paths_resolve_against_the_spec_dir(tmp_path, monkeypatch):
    (tmp_path / "rows.csv").write_text("text,label\na b,x\nc d,y\n")
    path = write_spec(
        tmp_path, "name: t\ndata:\n  kind: table\n  path: rows.csv\nmodel:\n  kind: bow_softmax\n"
    )
    monkeypatch.chdir("/")
    assert load_spec(path).data["data"]["path"] == str(tmp_path / "rows.csv")


def test_duplicate_keys_are_errors(tmp_path):
    (issue,) = issues_of(write_spec(tmp_path, GOOD + "seed: 4\n"))
    assert issue.path == "seed" and "duplicate key" in issue.message and issue.line == 12


def test_sweep_paths_are_checked_against_the_spec(tmp_path):
    text = GOOD + "sweep:\n  metric: accuracy\n  space:\n    model.lrr: {loguniform: [0.01, 1.0]}\n"
    (issue,) = issues_of(write_spec(tmp_path, text))
    assert "not in the spec" in issue.message and 'did you mean "lr"' in issue.message
    bad_dom = GOOD + "sweep:\n  metric: accuracy\n  space:\n    model.lr: {between: [1, 2]}\n"
    (issue,) = issues_of(write_spec(tmp_path, bad_dom, "b.yaml"))
    assert issue.path == "sweep.space" and "exactly one of" in issue.message


def test_schema_includes_plugin_params():
    schema = json_schema()
    variants = schema["properties"]["model"]["oneOf"]
    bow = next(v for v in variants if v["properties"]["kind"]["const"] == "bow_softmax")
    assert bow["properties"]["lr"]["type"] == "number" and bow["additionalProperties"] is False
    json.dumps(schema)


def test_validate_cli_exit_codes_and_messages(tmp_path):
    good = write_spec(tmp_path, GOOD)
    bad = write_spec(tmp_path, GOOD.replace("kind: accuracy", "kind: acc"), "bad.yaml")
    out = run_cli("validate", str(good))
    assert out.returncode == 0 and "ok" in out.stdout
    out = run_cli("validate", str(good), str(bad))
    assert out.returncode == 2
    assert f'{bad}:11:5: metrics[0].kind: unknown metrics kind "acc"' in out.stderr
    assert "Traceback" not in out.stderr


def test_shipped_specs_validate():
    """Every spec in specs/ validates with the plugins installed here."""
    specs = sorted(str(p) for p in SPECS.glob("*.yaml"))
    out = run_cli("validate", *specs)
    assert out.returncode == 0, out.stderr
