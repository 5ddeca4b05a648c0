"""What DVC knows about the files a run reads: the `.dvc` file that tracks each one, the hash
it records, whether the working copy still has that content (DVC's own `data_status`, no
remote asked), and the Git revision of the repository, so a run names the exact data version.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml


def tracking_file(path: str, root: str) -> tuple[Path, dict[str, Any]] | None:
    """The `.dvc` file that tracks ``path`` (its own, or a tracked directory's above it, up
    to ``root``) and its `outs` entry, or None when no `.dvc` file tracks it."""
    p, top = Path(path).resolve(), Path(root).resolve()
    for candidate in (p, *p.parents):
        dvc_file = candidate.with_name(candidate.name + ".dvc")
        if dvc_file.is_file():
            try:
                data = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                return None
            for out in data.get("outs") or []:
                if (dvc_file.parent / str(out.get("path", ""))).resolve() == candidate:
                    return dvc_file, out
        if candidate == top:
            return None
    return None


def _git(root: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _workspace_changes(root: str) -> set[str]:
    """Paths (relative to ``root``) whose working copy differs from what their `.dvc` file
    records, or that are missing: DVC's `data_status`, workspace against `.dvc` files only."""
    from dvc.repo import Repo

    with Repo(root) as repo:
        status = repo.data_status(granular=True, untracked_files="no", not_in_remote=False)
    uncommitted = status.get("uncommitted") or {}
    changed: set[str] = set()
    for key in ("modified", "deleted"):
        changed.update(p.rstrip("/") for p in uncommitted.get(key) or [])
    return changed


def dvc_provenance(tracked: list[tuple[str, str]]) -> dict[str, Any]:
    """``{"files": [...], "warnings": [...]}`` for (file, DVC repository root) pairs."""
    import dvc

    files: list[dict[str, Any]] = []
    warnings: list[str] = []
    changes: dict[str, set[str]] = {}
    for path, root in tracked:
        found = tracking_file(path, root)
        if found is None:
            continue  # in a DVC repository but not tracked by it (code, configs, Git files)
        dvc_file, out = found
        if root not in changes:
            changes[root] = _workspace_changes(root)
        rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        out_rel = (dvc_file.parent / str(out["path"])).resolve().relative_to(Path(root).resolve())
        out_key = out_rel.as_posix()
        differs = any(c == rel or c == out_key or rel.startswith(c + "/") for c in changes[root])
        dvc_rel = dvc_file.resolve().relative_to(Path(root).resolve()).as_posix()
        rev = _git(root, "rev-parse", "HEAD")
        git_state = _git(root, "status", "--porcelain", "--", dvc_rel)
        entry = {
            "path": rel,
            "dvc_file": dvc_rel,
            "md5": out.get("md5"),
            "size": out.get("size"),
            "files": out.get("nfiles"),
            "workspace": "differs" if differs else "matches",
            "rev": rev,
            "dvc_file_committed": None if git_state is None else git_state == "",
            "repo": root,
        }
        files.append({k: v for k, v in entry.items() if v is not None})
        if differs:
            warnings.append(
                f"{rel} differs from the hash in {dvc_rel} (md5 {out.get('md5')}): the run reads "
                f"a working copy that no DVC version records; `dvc add {rel}` to record it, or "
                f"`dvc checkout {dvc_rel}` to restore the tracked version"
            )
        elif git_state:
            warnings.append(
                f"{dvc_rel} has changes not committed to Git: revision {str(rev)[:12]} does "
                f"not name this version of {rel}"
            )
    return {"files": files, "warnings": warnings, "dvc_version": dvc.__version__}
