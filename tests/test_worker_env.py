"""The worker's environment comes from what the spec's components declare."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from specrun import Component, Params
from specrun import worker_env as we


class _P(Params):
    pass


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    hub = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    components = {
        ("model", "torchy"): Component(
            "model", "torchy", _P, "x:y", worker_env=hub, worker_env_prefixes=("HF_",)
        ),
        ("model", "plain"): Component("model", "plain", _P, "x:y"),
        ("augment", "other"): Component(
            "augment", "other", _P, "x:y", worker_env_prefixes=("YOLO_",)
        ),
    }
    monkeypatch.setattr(
        "specrun.plugins.get_registry", lambda: SimpleNamespace(components=components)
    )


def test_declared_settings_reach_only_the_runs_that_use_the_component(registry: None) -> None:
    user = {"SPECRUN_STORE": "/s", "HF_HOME": "/h", "YOLO_X": "1", "PATH": "/bin"}
    env = we.worker_env({"model": {"kind": "torchy"}}, user)
    assert env == {
        "SPECRUN_STORE": "/s",
        "HF_HOME": "/h",
        "YOLO_X": "1",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    plain = we.worker_env({"model": {"kind": "plain"}, "augment": [{"kind": "other"}]}, user)
    assert "HF_HUB_OFFLINE" not in plain and plain["HF_HOME"] == "/h"  # prefixes pass on


def test_the_users_environment_wins_over_a_declaration(registry: None) -> None:
    env = we.worker_env({"model": {"kind": "torchy"}}, {"HF_HUB_OFFLINE": "0"})
    assert env["HF_HUB_OFFLINE"] == "0"


def test_run_context_threads_follow_resources_cpus() -> None:
    from specrun.context import RunContext

    ctx = RunContext("r", {"resources": {"cpus": 1.5}}, lambda e: None, work_dir=".")
    assert ctx.cpu_threads() == 1 and ctx.cpu_threads(1) == 1
    assert RunContext("r", {}, lambda e: None, work_dir=".").cpu_threads() == 1
