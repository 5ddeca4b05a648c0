"""The tree's packaging habits: one minimum version per third-party package across core and
every plugin (a plugin that asks for an older transformers than its neighbour would let a
resolver pick a version the other plugin was never tested with)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import requirements  # noqa: E402  (scripts/requirements.py: what the bootstrap installs)


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0].lower()


def differing(reqs: list[str]) -> dict[str, list[str]]:
    seen: dict[str, set[str]] = {}
    for req in reqs:
        seen.setdefault(_name(req), set()).add(req.split(";")[0].strip())
    return {name: sorted(specs) for name, specs in seen.items() if len(specs) > 1}


def test_every_third_party_package_has_one_version_rule() -> None:
    found = differing(requirements.requirements())
    assert not found, f"packages required with different versions by different pyprojects: {found}"


def test_the_rule_sees_a_difference() -> None:
    reqs = [
        "transformers>=5.0",
        "rouge-score>=0.1.2",
        "transformers[torch]>=4.40",
        "rouge-score>=0.1.2",
    ]
    assert differing(reqs) == {"transformers": ["transformers>=5.0", "transformers[torch]>=4.40"]}


def _pyproject_versions() -> dict[str, str]:
    import tomllib

    found = {}
    for path in [ROOT / "pyproject.toml", *sorted((ROOT / "plugins").glob("*/pyproject.toml"))]:
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        found[project["name"]] = project["version"]
    return found


def test_core_and_every_plugin_carry_one_version() -> None:
    """One version for the house: each pyproject.toml is its distribution's only version
    source (``__version__`` reads the installed metadata), and they all agree with core's."""
    from importlib.metadata import version

    import specrun

    import specrun_hf_text

    versions = _pyproject_versions()
    assert len(versions) > 10
    differ = {name: v for name, v in versions.items() if v != versions["specrun"]}
    assert not differ, f"plugins whose version is not core's {versions['specrun']}: {differ}"
    assert specrun.__version__ == version("specrun") == versions["specrun"]
    assert specrun_hf_text.__version__ == version("specrun-hf-text")
