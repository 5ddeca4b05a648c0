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
    reqs = ["transformers>=5.0", "rouge-score>=0.1.2", "transformers[torch]>=4.40", "rouge-score>=0.1.2"]
    assert differing(reqs) == {"transformers": ["transformers>=5.0", "transformers[torch]>=4.40"]}
