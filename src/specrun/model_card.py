"""The model card: a small JSON file that core writes beside every saved model.

When a component saves an artifact with ``kind="model"``, core adds ``specrun_model.json``
to the folder the model is saved in, naming the plugin that registered the run's model kind,
the kind and the plugin's version. ``specrun.load_model`` reads it and calls that plugin's
``load_model`` hook alone, with the kind, instead of asking every plugin to guess from the
stored spec. A plugin has nothing to do for this; its own format details (a tokenizer's
settings, a decoding config) stay in files of its own.

The card holds no clock and no path, so a model's files stay byte-identical across reruns.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

CARD_NAME = "specrun_model.json"
CARD_VERSION = 1


def card_name_for(artifact_name: str, is_dir: bool) -> str:
    """Where the card goes for a model saved as ``artifact_name``: inside a saved folder,
    or beside a saved file ("model/best.pt" -> "model/specrun_model.json")."""
    name = PurePosixPath(artifact_name)
    folder = name if is_dir else name.parent
    return (folder / CARD_NAME).as_posix() if str(folder) != "." else CARD_NAME


def card_bytes(*, plugin: str, kind: str, package: str = "", version: str = "") -> bytes:
    card = {
        "card_version": CARD_VERSION,
        "section": "model",
        "kind": kind,
        "plugin": plugin,
        "package": package,
        "version": version,
    }
    return (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()


def read_card(run_dir: Path) -> dict[str, Any] | None:
    """The card of a run's saved model (in ``model/`` or at the top of its artifacts)."""
    for candidate in (run_dir / "model" / CARD_NAME, run_dir / CARD_NAME):
        if candidate.is_file():
            try:
                card = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return card if isinstance(card, dict) and card.get("kind") else None
    return None


def model_kind_of(run: dict[str, Any]) -> str | None:
    """A stored run's model kind from its resolved spec (runs saved before cards existed)."""
    spec = run.get("spec_resolved")
    try:
        data = json.loads(spec) if isinstance(spec, str) else (spec or {})
    except ValueError:
        return None
    model = data.get("model") if isinstance(data, dict) else None
    kind = model.get("kind") if isinstance(model, dict) else None
    return kind if isinstance(kind, str) else None
