"""What the ui tests share: real tiny runs in a store, `specrun ui` as a subprocess, and
Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    save_plot(store, ids[0])
    from specrun.store.connection import release_writes

    release_writes()  # the server subprocess reads the file from now on
    return ids


PLOT = "plots/eval_accuracy.png"


def save_plot(store: Path, run_id: str) -> None:
    """A plot of the run's accuracy (core's `specrun plot` renderer) saved as an artifact the
    way a plugin saves its confusion matrix or word cloud: the image the run page shows."""
    from specrun.history.plot import render_png, series_with_labels
    from specrun.store.query import Store
    from specrun.store.writer import StoreWriter

    png = render_png(
        series_with_labels(Store(store), [run_id], "eval/accuracy"), "eval/accuracy", dpi=60
    )
    StoreWriter(store).save_artifact(run_id, PLOT, png, kind="plot")


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


class ExamplePlugin:
    """core's example plugin (tests/example_plugin) pip-installed for real into ``target``,
    in the background: its ``counting`` model logs a step every ``delay_s``, so a run takes
    as long as a test asks. ``env()`` waits for the install."""

    def __init__(self, target: Path):
        self.target = target
        self.proc = subprocess.Popen(
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
        )

    def env(self) -> dict[str, str]:
        assert self.proc.wait(120) == 0, "pip could not install tests/example_plugin"
        path = os.pathsep.join([str(self.target), os.environ.get("PYTHONPATH", "")])
        return dict(os.environ, PYTHONPATH=path)


@contextmanager
def browsing(store: Path, base: Path) -> Iterator[dict]:
    """`specrun ui` over ``store`` and a chromium page; no script error may occur on it."""
    shots = Path(os.environ.get("SPECRUN_UI_SHOTS") or base / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    pw, browser = browser_or_skip()
    server = UiServer(store)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield {"store": store, "url": server.url, "page": page, "shots": shots, "base": base}
    finally:
        server.stop()
        browser.close()
        pw.stop()
    assert not errors, errors


def shot(site: dict, name: str) -> None:
    site["page"].screenshot(path=str(site["shots"] / f"{name}.png"), full_page=True)


def table_rows(page, table_id: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
