"""`specrun ui` benchmarks: how fast the server answers on a large store.

  1. the runs page with a filter and a sort (`where=model.optimizer=adam`,
     `sort=eval/m0`, 50 rows and the total), on a store of R runs with 10 metrics each over
     100 steps (the bench generates it in bulk with SQL); target under 300 ms of server time;
  2. the same page in a real browser (Debian's chromium via Playwright, if installed): from
     navigation to the rows on screen; target under 1 s;
  3. one chart of 50 runs x 10,000 steps, downsampled by the server to 400 points a curve;
     target under 1 s.

  4. side by side, MLflow's own search API on the same runs: `mlflow server` (127.0.0.1, a
     free port, one worker) over a sqlite store that holds the same run ids, params and
     metric values (MLflow makes its schema, the rows go in with SQL in bulk), timed on
     `POST /api/2.0/mlflow/runs/search` with the same param filter and the same order by
     a metric, 50 runs a page; the ratio is MLflow's time over the runs page's.

Every answer goes through `specrun ui` running as a subprocess over HTTP on 127.0.0.1.

  python benchmarks/bench_ui.py            # 30,000 runs
  python benchmarks/bench_ui.py --smoke    # 500 runs, 5 chart runs x 1,000 steps
  python benchmarks/bench_ui.py --no-mlflow  # specrun's side only
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchlib import Results, parser
from specrun.store.connection import connect, release_writes

METRICS = 10
STEPS = 100
OPTIMIZERS = ("adam", "sgd", "adamw")


def bulk_runs(
    path: Path, runs: int, prefix: str = "r", steps: int = STEPS, metrics: int = METRICS
) -> None:
    """Finished runs with two params and ``metrics`` eval metrics over ``steps`` steps, and
    their metrics_final rows, made with SQL in bulk (the reads are what is timed)."""
    with connect(path, write=True) as db:
        db.execute(
            """INSERT INTO runs (run_id, name, status, created_at, duration_s, seed, tags)
               SELECT printf('%s%011d', ?, i), 'bulk', 'finished',
                      TIMESTAMP '2026-01-01' + to_seconds(i), 1.0, i, ['bench']
               FROM range(?) t(i)""",
            [prefix, runs],
        )
        db.execute(
            """INSERT INTO params (run_id, path, type, value_num, value_str, value_json)
               SELECT printf('%s%011d', ?, i), 'model.lr', 'float', lr, NULL, to_json(lr)
               FROM (SELECT i, [1e-4, 3e-4, 1e-3, 3e-3][i % 4 + 1] AS lr FROM range(?) t(i))
               UNION ALL
               SELECT printf('%s%011d', ?, i), 'model.optimizer', 'str', NULL, opt, to_json(opt)
               FROM (SELECT i, ['adam', 'sgd', 'adamw'][(i // 4) % 3 + 1] AS opt FROM range(?) t(i))""",
            [prefix, runs, prefix, runs],
        )
        db.execute(
            """INSERT INTO metrics
               SELECT printf('%s%011d', ?, i), 'eval', 'm' || m, s,
                      (i * 7919 + s * 104729 + m * 1299709) % 1000 / 1000.0, TIMESTAMP '2026-01-01' + to_seconds(i + s)
               FROM range(?) t(i), range(?) u(s), range(?) v(m)""",
            [prefix, runs, steps, metrics],
        )
        db.execute(
            """INSERT INTO metrics_final
               SELECT run_id, split, name, max(step), arg_max(value, step), max(ts)
               FROM metrics WHERE starts_with(run_id, ?) GROUP BY ALL""",
            [prefix],
        )
    release_writes()


def start_ui(store: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "specrun.cli", "ui", "--store", str(store), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line[line.index("http://") :].strip()


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
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
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


# ----------------------------------------------------------------------------- MLflow

# MLflow 3 sends usage data unless one of these is set (mlflow/telemetry/utils.py); the server
# and the client that fills its schema both get them.
QUIET_MLFLOW = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
MLFLOW_EXPERIMENT = "1"


def mlflow_fill(folder: Path, runs: int, steps: int = STEPS, metrics: int = METRICS) -> Path:
    """An MLflow sqlite store holding the runs of :func:`bulk_runs` (same ids, params and
    metric values): MLflow makes its own schema (its migrations, through SqlAlchemyStore),
    then the rows go in with SQL in bulk, as bulk_runs fills the DuckDB store."""
    db = folder / "mlflow.db"
    art = folder / "mlflow-artifacts"
    code = (
        "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore\n"
        f"SqlAlchemyStore({f'sqlite:///{db}'!r}, {str(art)!r}).create_experiment('bench')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**os.environ, **QUIET_MLFLOW},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = 1_767_225_600_000  # 2026-01-01 in ms, bulk_runs' created_at
    con = sqlite3.connect(db)
    con.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;"
        "DROP INDEX index_metrics_run_uuid; DROP INDEX index_metrics_run_uuid_key_step;"
        "CREATE TEMP TABLE n(i INTEGER PRIMARY KEY); CREATE TEMP TABLE s(s INTEGER PRIMARY KEY);"
        "CREATE TEMP TABLE m(m INTEGER PRIMARY KEY);"
    )
    con.executemany("INSERT INTO n VALUES (?)", ((i,) for i in range(runs)))
    con.executemany("INSERT INTO s VALUES (?)", ((i,) for i in range(steps)))
    con.executemany("INSERT INTO m VALUES (?)", ((i,) for i in range(metrics)))
    rid = "printf('r%011d', i)"
    con.execute(
        f"""INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,
                status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,
                experiment_id)
            SELECT {rid}, 'bulk', 'LOCAL', '', '', 'bench', 'FINISHED', {t0} + i * 1000,
                   {t0} + i * 1000 + 1000, '', 'active', '{art}/1/' || {rid} || '/artifacts',
                   {MLFLOW_EXPERIMENT} FROM n"""
    )
    con.execute(f"INSERT INTO tags SELECT 'mlflow.runName', 'bulk', {rid} FROM n")
    # the values bulk_runs stores, as MLflow's client would log them (str(float))
    con.execute(
        f"""INSERT INTO params SELECT 'model.lr', CASE i % 4 WHEN 0 THEN '0.0001' WHEN 1 THEN '0.0003'
                WHEN 2 THEN '0.001' ELSE '0.003' END, {rid} FROM n
            UNION ALL SELECT 'model.optimizer', CASE (i / 4) % 3 WHEN 0 THEN 'adam' WHEN 1 THEN 'sgd'
                ELSE 'adamw' END, {rid} FROM n"""
    )
    value = "((i * 7919 + s * 104729 + m * 1299709) % 1000) / 1000.0"
    con.execute(
        f"""INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
            SELECT 'eval/m' || m, {value}, {t0} + (i + s) * 1000, {rid}, s, 0 FROM m, n, s"""
    )
    con.execute(
        f"""INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
            SELECT 'eval/m' || m, {value}, {t0} + (i + s) * 1000, s, 0, {rid}
            FROM m, n, (SELECT max(s) AS s FROM s)"""
    )
    con.executescript(
        "CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);"
        "CREATE INDEX index_metrics_run_uuid_key_step ON metrics (run_uuid, key, step);"
        "ANALYZE;"
    )
    con.commit()
    con.close()
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mlflow(folder: Path, db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``mlflow server`` on 127.0.0.1 over the sqlite store, one worker; waits for /health."""
    port = free_port()
    log = open(folder / "mlflow-server.log", "wb")  # noqa: SIM115 - the server's lifetime
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--default-artifact-root",
            str(folder / "mlflow-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **QUIET_MLFLOW},
        start_new_session=True,
    )  # its own group: stopping it stops the worker it spawns
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"mlflow server exited {proc.returncode}: see {folder / 'mlflow-server.log'}"
            )
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError("mlflow server did not answer /health in 120 s")


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process group the server leads (it and its uvicorn worker), by its pid."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def post_ms(url: str, payload: dict[str, Any], repeat: int = 5) -> tuple[float, dict[str, Any]]:
    data = json.dumps(payload).encode()
    times, body = [], {}
    for _ in range(repeat):
        request = urllib.request.Request(
            url, data=data, headers={"Content-Type": "application/json"}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as reply:
            body = json.loads(reply.read())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), body


def mlflow_side(res: Results, folder: Path, runs: int, page_ms: float, ours: list[str]) -> None:
    """MLflow's search on the same runs, the same question as the runs page's: optimizer adam,
    best eval/m0 first, 50 runs. The answer must be the same runs in the same order."""
    res.uses("mlflow", "sqlalchemy")
    start = time.perf_counter()
    db = mlflow_fill(folder, runs)
    print(f"mlflow store of {runs} runs made in {time.perf_counter() - start:.1f}s", flush=True)
    start = time.perf_counter()
    proc, url = start_mlflow(folder, db)
    print(f"mlflow server answered /health after {time.perf_counter() - start:.1f}s", flush=True)
    try:
        query = {
            "experiment_ids": [MLFLOW_EXPERIMENT],
            "max_results": 50,
            "filter": "params.`model.optimizer` = 'adam'",
            "order_by": ["metrics.`eval/m0` DESC", "attributes.start_time DESC"],
        }
        ms, body = post_ms(url + "/api/2.0/mlflow/runs/search", query)
    finally:
        stop(proc)
    theirs = [r["info"]["run_id"] for r in body.get("runs", [])]
    if theirs != ours:  # both say best m0 first, newest first on ties
        raise AssertionError(
            f"mlflow and specrun disagree:\n  specrun {ours[:5]}\n  mlflow  {theirs[:5]}"
        )
    res.add(
        "runs/search vs the runs page: filter + sort, 50 rows",
        page_ms,
        unit="ms",
        peer=ms,
        peer_name="mlflow",
        sizes={"runs": runs, "metrics": METRICS, "steps": STEPS},
    )


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument("--runs", type=int, default=None, help="runs in the store (default 30,000)")
    ap.add_argument("--no-mlflow", action="store_true", help="skip MLflow's side")
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
        start = time.perf_counter()
        proc, url = start_ui(store)
        print(f"specrun ui printed its url after {time.perf_counter() - start:.1f}s", flush=True)
        try:
            page = f"{url}api/runs?where=model.optimizer%3Dadam&sort=eval/m0&limit=50"
            page_ms, body = get_ms(page)
            assert len(body["rows"]) == 50 and body["total"] > 0, body
            ours = [r["run_id"] for r in body["rows"]]
            res.add(
                "runs page: filter + sort, 50 rows and total",
                page_ms,
                unit="ms",
                sizes={"runs": runs, "metrics": METRICS, "steps": STEPS},
                target=300,
            )
            shown = browser_ms(url)
            res.add(
                "runs page in chromium until rows show",
                shown,
                unit="ms",
                sizes={"runs": runs},
                target=1000,
            )
            ids = ",".join(f"c{i:011d}" for i in range(chart_runs))
            ms, body = get_ms(f"{url}api/series?runs={ids}&metric=eval/m0&max_points=400")
            assert len(body["curves"]) == chart_runs and all(
                len(c["step"]) <= 400 for c in body["curves"]
            )
            res.add(
                f"chart: {chart_runs} runs x {chart_steps} steps -> 400 points each",
                ms,
                unit="ms",
                sizes={"runs": chart_runs, "steps": chart_steps},
                target=1000,
            )
        finally:
            proc.terminate()
            proc.wait(10)
        if args.no_mlflow:
            res.skip("mlflow runs/search, same filter and order", "--no-mlflow")
        else:
            mlflow_side(res, Path(tmp), runs, page_ms, ours)
    res.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
