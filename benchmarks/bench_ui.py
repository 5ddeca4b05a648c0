"""`specrun ui` benchmarks: how fast the server answers on a large store.

  1. the runs page with a filter and a sort (`where=model.optimizer=adam`,
     `sort=eval/m0`, 50 rows and the total), on a store of R runs with 10 metrics each over
     100 steps (the bench generates it in bulk with SQL); target under 300 ms of server time;
  2. the same page in a real browser (Debian's chromium via Playwright, if installed): from
     navigation to the rows on screen; target under 1 s;
  3. one chart of 50 runs x 10,000 steps, downsampled by the server to 400 points a curve;
     target under 1 s.

Every answer goes through `specrun ui` running as a subprocess over HTTP on 127.0.0.1.
MLflow's search API side by side is left to bench_store.py (its `search_runs` part).

  python benchmarks/bench_ui.py            # 30,000 runs
  python benchmarks/bench_ui.py --smoke    # 500 runs, 5 chart runs x 1,000 steps
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchlib import Results, parser
from specrun.store.connection import connect, release_writes

METRICS = 10
STEPS = 100
OPTIMIZERS = ("adam", "sgd", "adamw")


def bulk_runs(path: Path, runs: int, prefix: str = "r", steps: int = STEPS,
              metrics: int = METRICS) -> None:
    """Finished runs with two params and ``metrics`` eval metrics over ``steps`` steps, and
    their metrics_final rows, made with SQL in bulk (the reads are what is timed)."""
    with connect(path, write=True) as db:
        db.execute(
            """INSERT INTO runs (run_id, name, status, created_at, duration_s, seed, tags)
               SELECT printf('%s%011d', ?, i), 'bulk', 'finished',
                      TIMESTAMP '2026-01-01' + to_seconds(i), 1.0, i, ['bench']
               FROM range(?) t(i)""", [prefix, runs])
        db.execute(
            """INSERT INTO params (run_id, path, type, value_num, value_str, value_json)
               SELECT printf('%s%011d', ?, i), 'model.lr', 'float',
                      [1e-4, 3e-4, 1e-3, 3e-3][i % 4 + 1], NULL, '0.001' FROM range(?) t(i)
               UNION ALL
               SELECT printf('%s%011d', ?, i), 'model.optimizer', 'str', NULL,
                      ['adam', 'sgd', 'adamw'][(i // 4) % 3 + 1], '"adam"' FROM range(?) t(i)""",
            [prefix, runs, prefix, runs])
        db.execute(
            """INSERT INTO metrics
               SELECT printf('%s%011d', ?, i), 'eval', 'm' || m, s,
                      hash(i, s, m) % 1000 / 1000.0, TIMESTAMP '2026-01-01' + to_seconds(i + s)
               FROM range(?) t(i), range(?) u(s), range(?) v(m)""", [prefix, runs, steps, metrics])
        db.execute(
            """INSERT INTO metrics_final
               SELECT run_id, split, name, max(step), arg_max(value, step), max(ts)
               FROM metrics WHERE starts_with(run_id, ?) GROUP BY ALL""", [prefix])
    release_writes()


def start_ui(store: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "specrun.cli", "ui", "--store", str(store),
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line[line.index("http://"):].strip()


def get_ms(url: str, repeat: int = 5) -> tuple[float, dict]:
    times, body = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as reply:
            body = json.loads(reply.read())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), body


def browser_ms(url: str) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        page.goto(url + "#/sql")  # load the scripts once; what is timed is the page's data
        times = []
        for i in range(3):
            start = time.perf_counter()
            page.goto(url + f"#/runs?where=model.optimizer%3Dadam&sort=eval/m0&offset={i * 50}")
            page.wait_for_selector("#runs-table tbody tr")
            times.append((time.perf_counter() - start) * 1000)
        browser.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument("--runs", type=int, default=None, help="runs in the store (default 30,000)")
    args = ap.parse_args(argv)
    runs = args.runs or (500 if args.smoke else 30_000)
    chart_runs, chart_steps = (5, 1_000) if args.smoke else (50, 10_000)
    res = Results("ui", args)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "s.duckdb"
        start = time.perf_counter()
        bulk_runs(store, runs)
        bulk_runs(store, chart_runs, prefix="c", steps=chart_steps, metrics=1)
        print(f"store of {runs} runs made in {time.perf_counter() - start:.1f}s", flush=True)
        proc, url = start_ui(store)
        try:
            page = f"{url}api/runs?where=model.optimizer%3Dadam&sort=eval/m0&limit=50"
            ms, body = get_ms(page)
            assert len(body["rows"]) == 50 and body["total"] > 0, body
            res.add("runs page: filter + sort, 50 rows and total", ms, unit="ms",
                    sizes={"runs": runs, "metrics": METRICS, "steps": STEPS}, target=300)
            shown = browser_ms(url)
            res.add("runs page in chromium until rows show", shown, unit="ms",
                    sizes={"runs": runs}, target=1000)
            ids = ",".join(f"c{i:011d}" for i in range(chart_runs))
            ms, body = get_ms(f"{url}api/series?runs={ids}&metric=eval/m0&max_points=400")
            assert len(body["curves"]) == chart_runs and all(len(c["step"]) <= 400 for c in body["curves"])
            res.add(f"chart: {chart_runs} runs x {chart_steps} steps -> 400 points each", ms,
                    unit="ms", sizes={"runs": chart_runs, "steps": chart_steps}, target=1000)
        finally:
            proc.terminate()
            proc.wait(10)
    res.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
