"""Where a run executed: the Ray node (id, ip, hostname) seen from the worker, written on
the driver. On a loopback test cluster every node has the same hostname, so the node id is
what tells them apart."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any


def node_info() -> dict[str, Any]:
    """Called on the worker: the Ray node this process runs on (hostname only outside Ray)."""
    info: dict[str, Any] = {"node_host": socket.gethostname(), "node_id": None, "node_ip": None}
    try:
        import ray

        if ray.is_initialized():
            info["node_id"] = ray.get_runtime_context().get_node_id()
            # The address the node registered with (a loopback node says 127.0.0.1), not the
            # machine's routed IP that ray.util.get_node_ip_address() guesses.
            info["node_ip"] = next(
                (
                    n.get("NodeManagerAddress")
                    for n in ray.nodes()
                    if n.get("NodeID") == info["node_id"]
                ),
                None,
            )
    except Exception:  # noqa: BLE001 - placement is informative, never fatal
        pass
    return info


def record_node(store: Path, run_id: str, info: dict[str, Any]) -> None:
    """Driver side: store the node on the run's row (with the run's other pending writes)."""
    from ..store.writer import batch_for

    batch_for(Path(store)).update(
        run_id,
        {
            "node_id": info.get("node_id"),
            "node_ip": info.get("node_ip"),
            "node_host": info.get("node_host"),
        },
    )


def record_run_position(
    store: Path, run_id: str, trial_index: int | None = None, cv_fold: int | None = None
) -> None:
    """Driver side: which sweep trial or cross-validation fold a run is."""
    from ..store.writer import batch_for

    batch_for(Path(store)).update(run_id, {"trial_index": trial_index, "cv_fold": cv_fold})
