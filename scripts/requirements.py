"""Print the third-party requirements of core and every first-party plugin, one per line.

The venv cache key is a hash of the files this reads, so changing any dependency builds a
fresh environment while an unchanged one is reused.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pyprojects() -> list[Path]:
    return [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]


def local_names() -> set[str]:
    names = set()
    for p in pyprojects() + [ROOT / "tests/example_plugin/pyproject.toml"]:
        names.add(tomllib.loads(p.read_text())["project"]["name"].lower())
    return names


def requirements() -> list[str]:
    local = local_names()
    out: list[str] = []
    for p in pyprojects():
        project = tomllib.loads(p.read_text())["project"]
        reqs = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            reqs.extend(extra)
        for req in reqs:
            name = req.split(";")[0].split("[")[0]
            for sep in "<>=!~ ":
                name = name.split(sep)[0]
            if name.lower() not in local and req not in out:
                out.append(req)
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["--local"]:
        print("\n".join(str(p.parent) for p in pyprojects()))
    else:
        print("\n".join(requirements()))
