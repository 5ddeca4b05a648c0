"""The hooks every observer plugin can use (issue 19): a plugin-owned spec section, and
what observers see of runs, cv folds and samples. The example plugin's ``journal:``
section writes every event it observes to a JSON-lines file."""

from __future__ import annotations

import json

import pytest
import specrun
from core_helpers import SPECS, run_cli, write_spec
from specrun.errors import SpecError
from specrun.spec import load_spec

SMALL = ["data.rows=200", "model.epochs=2"]


def _events(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_plugin_section_validates_overrides_and_stays_out_of_the_hash(
    tmp_path, with_example_plugin
):
    journal = tmp_path / "j.jsonl"
    plain = load_spec(SPECS / "quickstart_topics.yaml")
    spec = load_spec(SPECS / "quickstart_topics.yaml", [f"journal.path={journal}"])
    assert spec.data["journal"] == {"path": str(journal), "every_metric": True}
    assert spec.hash == plain.hash  # how a run is observed is not what it does

    bad = write_spec(
        tmp_path,
        (SPECS / "quickstart_topics.yaml").read_text() + "journal:\n  every_metric: maybe\n",
    )
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    text = str(err.value)
    assert "journal.every_metric" in text and f"{bad}:" in text and "journal.path" in text

    typo = write_spec(
        tmp_path,
        (SPECS / "quickstart_topics.yaml").read_text() + "jornal: {path: x}\n",
        name="typo.yaml",
    )
    out = run_cli("validate", str(typo))
    assert (
        out.returncode == 2
        and 'did you mean "journal"' in out.stderr
        and "Traceback" not in out.stderr
    )


def test_without_the_plugin_the_section_is_unknown(tmp_path):
    spec = write_spec(
        tmp_path, (SPECS / "quickstart_topics.yaml").read_text() + "journal: {path: x}\n"
    )
    with pytest.raises(SpecError, match="unknown section 'journal'"):
        load_spec(spec)


def test_observers_see_cv_folds_under_their_parent_and_the_parent_means(
    tmp_path, with_example_plugin
):
    journal = tmp_path / "j.jsonl"
    result = specrun.run(
        str(SPECS / "cv_topics.yaml"),
        overrides=[*SMALL, "cv.folds=2", "model.samples=3", f"journal.path={journal}"],
        store=str(tmp_path / "s.duckdb"),
        local=True,
    )
    assert result.status == "finished", result.error
    events = _events(journal)
    started = [e for e in events if e["event"] == "run_started"]
    assert [(e["role"], e["index"], e["parent_id"]) for e in started] == [
        ("cv", None, None),
        ("fold", 0, result.run_id),
        ("fold", 1, result.run_id),
    ]
    parent_points = [
        p
        for e in events
        if e["event"] == "metrics" and e["run_id"] == result.run_id
        for p in e["points"]
    ]
    assert {f"{s}/{n}": v for s, n, _step, v in parent_points} == result.metrics
    samples = [e for e in events if e["event"] == "samples"]
    assert {e["run_id"] for e in samples} == {f["run_id"] for f in result.folds}
    assert all(e["n"] > 0 for e in samples)
    finished = [(e["role"], e["status"]) for e in events if e["event"] == "run_finished"]
    assert finished == [("fold", "finished"), ("fold", "finished"), ("cv", "finished")]
