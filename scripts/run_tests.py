"""Run core's tests and each plugin's tests, each suite in its own pytest process.

Every plugin keeps its own tests/ with its own conftest and pytest settings (as its author
runs them: `cd plugins/X && pytest`); one process per suite keeps their helper modules
apart. Two suites run at a time (``SPECRUN_TEST_JOBS``), each one's output printed whole
when it ends. At the end: a table per suite and one line with the totals.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


# Core's suite, in two pytest processes that can run side by side: the reproducibility
# table (every shipped spec, twice) is as long as the rest of core.
CORE_PARTS = {
    "core": ["tests", "--ignore=tests/test_reproducible.py"],
    "core-repro": ["tests/test_reproducible.py"],
}


def suites() -> list[tuple[str, Path]]:
    found = [(name, ROOT) for name in CORE_PARTS]
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if (plugin / "tests").is_dir():
            found.append((plugin.name, plugin))
    only = os.environ.get("SPECRUN_TEST_SUITES")
    if only:
        wanted = set(only.split(","))
        found = [s for s in found if s[0] in wanted]
    return found


def counts(junit: Path) -> dict[str, int]:
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not junit.exists():
        return total
    root = ET.parse(junit).getroot()
    for suite in root.iter("testsuite"):
        for key in total:
            total[key] += int(suite.get(key, 0))
    return total


def jobs() -> int:
    """Suites run side by side: most of a suite's time is spent waiting (process and Ray
    start-up, servers, sleeps of the fault tests), so two suites share two cores well."""
    return max(1, int(os.environ.get("SPECRUN_TEST_JOBS", "2")))


def main(args: list[str]) -> int:
    filtered = any(a.startswith("-k") or a.startswith("-m") for a in args)
    rows = []
    failed_suites = []
    with tempfile.TemporaryDirectory() as tmp:
        waiting = suites()  # core's two parts first: the longest, so they start at once
        running: list[tuple[str, Path, subprocess.Popen[bytes], float, Any]] = []
        while waiting or running:
            while waiting and len(running) < jobs():
                name, cwd = waiting.pop(0)
                junit = Path(tmp) / f"{name}.xml"
                target = CORE_PARTS.get(name, [])
                cmd = [
                    sys.executable,
                    "-m",
                    "pytest",
                    *target,
                    f"--junitxml={junit}",
                    "-p",
                    "no:cacheprovider",
                    *args,
                ]
                log = open(Path(tmp) / f"{name}.log", "w+b")  # noqa: SIM115 - closed below
                header = (
                    f"\n===== {name}: {' '.join(cmd[3:])}  (in {cwd.relative_to(ROOT) or '.'})\n"
                )
                log.write(header.encode())
                log.flush()
                proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
                running.append((name, junit, proc, time.monotonic(), log))
            time.sleep(0.5)
            for item in [r for r in running if r[2].poll() is not None]:
                running.remove(item)
                name, junit, proc, began, log = item
                took = time.monotonic() - began
                log.seek(0)
                sys.stdout.write(
                    log.read().decode("utf-8", "replace")
                )  # each suite's output in one piece
                sys.stdout.flush()
                log.close()
                rc = proc.returncode
                c = counts(junit)
                if rc not in (0, 5) or (rc == 5 and not filtered):
                    failed_suites.append(name)
                rows.append((name, c, took, rc))
    print("\n===== summary")
    passed = failed = skipped = 0
    for name, c, took, rc in rows:
        p = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
        f = c["failures"] + c["errors"]
        passed, failed, skipped = passed + p, failed + f, skipped + c["skipped"]
        print(
            f"{name:22s} {p:4d} passed {f:3d} failed {c['skipped']:3d} skipped  {took:7.1f}s  exit {rc}"
        )
    if failed_suites:
        print(f"failing suites: {', '.join(failed_suites)}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed_suites or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
