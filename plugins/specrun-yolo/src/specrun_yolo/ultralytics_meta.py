"""What the installed ultralytics accepts, read from its files without importing it.

Spec validation must stay light (no torch), yet an unknown train argument or architecture
should be a spec error with a line number, not a crash minutes into a run. Ultralytics
ships its argument defaults as ``cfg/default.yaml`` (each line commented with its type) and
its architectures as ``cfg/models/**/*.yaml``: both are plain files we can read.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

# "epochs: 100 # (int) number of epochs" -> key, default text, type text
_ARG_LINE = re.compile(r"^(?P<key>[a-z_][a-z0-9_]*):(?P<value>[^#]*)#\s*\((?P<types>[^)]*)\)")
_PY_TYPES: dict[str, Any] = {
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "list": list,
    "tuple": list,
    "dict": dict,
}

# Tasks other than detection ship their own yaml variants; their heads do not train here.
NOT_DETECTION = ("-cls", "-seg", "-pose", "-obb", "-sem", "-depth", "-world", "yoloe", "rtdetr")


@functools.cache
def package_dir() -> Path | None:
    """The installed ultralytics package directory (found without importing it)."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def train_arg_types() -> dict[str, tuple[tuple[Any, ...], bool]]:
    """Every ultralytics argument -> (accepted python types, None allowed).

    Types come from the ``# (type)`` comment of ``cfg/default.yaml``; an empty tuple means
    "any" (a comment we do not understand). Empty when ultralytics is not installed.
    """
    root = package_dir()
    if root is None or not (root / "cfg" / "default.yaml").is_file():
        return {}
    out: dict[str, tuple[tuple[Any, ...], bool]] = {}
    for line in (root / "cfg" / "default.yaml").read_text(encoding="utf-8").splitlines():
        m = _ARG_LINE.match(line)
        if not m:
            continue
        words = re.split(r"[|,\s]+", m["types"].replace("optional", " "))
        names = [w.split("[")[0] for w in words if w]
        types = tuple(_PY_TYPES[n] for n in names if n in _PY_TYPES)
        if len(types) != len(names):
            types = ()  # unknown type word: accept anything rather than reject valid input
        optional = "optional" in m["types"] or not m["value"].strip()
        out[m["key"]] = (types, optional)
    return out


def check_arg_value(key: str, value: Any) -> None:
    """Raise ValueError when ``value`` cannot be a valid ``key`` for ultralytics."""
    types, optional = train_arg_types().get(key, ((), True))
    if value is None:
        if not optional:
            raise ValueError(f"{key} cannot be null")
        return
    if not types:
        return
    if isinstance(value, bool) and bool not in types:
        raise ValueError(f"{key} expects {_describe(types)}, got a boolean")
    if float in types and isinstance(value, int):
        return  # ultralytics takes 2 for 2.0
    if not isinstance(value, types):
        raise ValueError(f"{key} expects {_describe(types)}, got {type(value).__name__} {value!r}")


def _describe(types: tuple[Any, ...]) -> str:
    return " or ".join(dict.fromkeys(t.__name__ for t in types))


@functools.cache
def builtin_archs() -> dict[str, Path]:
    """Architecture yaml stem -> file, for every model config ultralytics ships."""
    root = package_dir()
    if root is None:
        return {}
    return {p.stem: p for p in sorted((root / "cfg" / "models").rglob("*.yaml"))}


def arch_candidates(name: str) -> list[str]:
    """The yaml stems ultralytics would try for ``name``: yolov8n -> yolov8, yolov5nu -> yolov5."""
    stem = name[:-5] if name.endswith(".yaml") else name
    out = [stem]
    if ("yolov3" in stem or "yolov5" in stem) and stem.endswith("u"):
        out.append(stem[:-1])  # ultralytics maps yolov5nu.yaml to yolov5n.yaml
    for s in list(out):
        out.append(re.sub(r"(\d+)([nslmx])(.+)?$", r"\1\3", s))  # the scale letter picks widths
    return list(dict.fromkeys(out))


def find_builtin_arch(name: str) -> Path | None:
    archs = builtin_archs()
    for cand in arch_candidates(name):
        if cand in archs:
            return archs[cand]
    return None


def detection_archs() -> list[str]:
    return [s for s in builtin_archs() if not any(t in s for t in NOT_DETECTION)]


def non_detection_reason(name: str) -> str | None:
    stem = Path(name).stem
    for tag in NOT_DETECTION:
        if tag in stem:
            return f"{name!r} is a {tag.strip('-')} architecture; the yolo model trains detectors"
    return None
