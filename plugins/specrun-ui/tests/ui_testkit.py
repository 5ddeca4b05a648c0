"""What the ui tests share: real tiny runs in a store, `specrun ui` as a subprocess, and
Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "specs" / "quickstart_topics.yaml"
SWEEP = ROOT / "specs" / "sweep_topics.yaml"
TINY = ["data.rows=200", "model.epochs=2"]
CHROMIUM = os.environ.get("SPECRUN_UI_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def quickstart_runs(store: Path) -> list[str]:
    """Three finished runs that differ in lr and epochs, and one failed run."""
    import specrun

    ids = []
    for lr, epochs in ((0.5, 2), (0.1, 3), (0.02, 2)):
        result = specrun.run(
            str(QUICKSTART),
            [*TINY, f"model.lr={lr}", f"model.epochs={epochs}"],
            store=str(store),
            local=True,
        )
        assert result.status == "finished"
        ids.append(result.run_id)
    failed = specrun.run(str(QUICKSTART), [*TINY, "model.text=nope"], store=str(store), local=True)
    assert failed.status == "failed"
    ids.append(failed.run_id)
    from specrun.store.connection import release_writes

    release_writes()  # the server subprocess reads the file from now on
    return ids


def sweep_command(store: Path) -> list[str]:
    """A short ASHA sweep: 3 trials, at most 2 at once, the weakest stopped early."""
    return [
        sys.executable,
        "-m",
        "specrun.cli",
        "run",
        str(SWEEP),
        "--store",
        str(store),
        "-q",
        "-o",
        "sweep.num_samples=3",
        "-o",
        "sweep.max_concurrent=2",
        *[a for o in TINY for a in ("-o", o)],
        "-o",
        "model.epochs=4",
        "-o",
        "sweep.scheduler.asha.grace_period=1",
    ]


class UiServer:
    """`specrun ui --port 0` in a subprocess; ``url`` is what it printed."""

    def __init__(self, store: Path, *extra: str):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "specrun.cli",
                "ui",
                "--store",
                str(store),
                "--port",
                "0",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.stop()
            raise AssertionError(
                f"specrun ui printed {line!r}; stderr: {self.proc.stderr.read()[-2000:]}"
            )
        self.url = line[line.index("http://") :].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def browser_or_skip():
    """A Playwright chromium (Debian's; `playwright install` needs a network)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (scripts/system_packages.sh installs it)")
    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return pw, browser


def wait_until(check, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


COUNTING = """\
name: live-counting
data: {{kind: generated_topics, rows: 50}}
model: {{kind: counting, steps: {steps}, delay_s: {delay}}}
metrics: [{{kind: mean_abs_error}}]
"""


def example_plugin_env(target: Path) -> dict[str, str]:
    """core's example plugin (tests/example_plugin) installed for real into ``target``: its
    ``counting`` model logs a step every ``delay_s``, a run that takes as long as we ask."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(ROOT / "tests" / "example_plugin"),
        ],
        check=True,
    )
    return dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])
    )
