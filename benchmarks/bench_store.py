"""Run-store benchmarks: specrun's DuckDB store side by side with MLflow (sqlite backend).

  1. log N metric points across R runs (params too), through each tool's own writer:
     specrun's StoreWriter (create_run, log_metrics per step, finish_run) and MLflow's
     MlflowClient (create_run, log_batch of params and of 1000 metrics, set_terminated);
  2. find the 10 best runs by a metric's final value, among the runs with one param
     value (MLflow: search_runs with a filter string and order_by); both answers must be
     the same runs;
  3. an aggregate over many runs (mean and std of a final metric by two params), on
     stores of 30,000 and 10,000 runs made in bulk;
  4. core's own target: 1,000,000 metric points written through StoreWriter in one run.

Targets: specrun >= 20x faster than MLflow on 1 and 2; aggregate over 30,000 runs < 1 s.

  python benchmarks/bench_store.py                 # the full sizes (MLflow part: many minutes)
  python benchmarks/bench_store.py --smoke         # tiny sizes, every code path (CI; seconds)
  python benchmarks/bench_store.py --scale 0.05    # every size x 0.05, for a loaded machine
  python benchmarks/bench_store.py --no-mlflow     # specrun only

Records (benchmarks/results/store.json): "log points", "top10 held open",
"top10 held open, full history", "top10 held open, Store.runs", "top10 opening the store",
"top10 fresh process", "top10 specrun runs CLI", "aggregate", "core aggregate",
"core write", "one read-only query".
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import Results, parser
from specrun.history.session import HistoryStore
from specrun.spec import ResolvedSpec, spec_hash
from specrun.store.connection import connect, release_writes
from specrun.store.query import Store
from specrun.store.writer import StoreWriter

METRIC_NAMES = [f"m{i}" for i in range(10)]  # each step logs 10 metrics
OPTIMIZERS = ("adam", "sgd", "adamw", "lion")
LRS = (1e-4, 3e-4, 1e-3, 3e-3)

# metrics_final holds each run's newest value of each metric (the writer keeps it), as
# MLflow's latest_metrics does; the same answer from the full history is TOP10_HISTORY_SQL.
TOP10_SQL = """
SELECT run_id, value FROM metrics_final
WHERE split = 'eval' AND name = 'm0'
  AND run_id IN (SELECT run_id FROM params WHERE path = 'model.optimizer' AND value_str = 'adam')
ORDER BY value DESC LIMIT 10
"""

TOP10_HISTORY_SQL = """
WITH final AS (
    SELECT run_id, arg_max(value, step) AS value FROM metrics
    WHERE split = 'eval' AND name = 'm0' GROUP BY run_id
)
SELECT final.run_id, final.value FROM final
JOIN params p ON p.run_id = final.run_id AND p.path = 'model.optimizer' AND p.value_str = 'adam'
ORDER BY final.value DESC LIMIT 10
"""

AGGREGATE_SQL = """
WITH final AS (
    SELECT run_id, arg_max(value, step) AS accuracy FROM metrics
    WHERE split = 'eval' AND name = 'accuracy' GROUP BY run_id
)
SELECT lr.value_num AS lr, opt.value_str AS optimizer, count(*) AS runs,
       avg(final.accuracy) AS mean, stddev_samp(final.accuracy) AS std
FROM final
JOIN params lr ON lr.run_id = final.run_id AND lr.path = 'model.lr'
JOIN params opt ON opt.run_id = final.run_id AND opt.path = 'model.optimizer'
GROUP BY lr.value_num, opt.value_str ORDER BY 1, 2
"""


def run_plan(runs: int, points: int, seed: int = 0) -> list[dict[str, Any]]:
    """The same synthetic runs for both tools: params and metric values per step."""
    rng = random.Random(seed)
    steps = max(1, points // (runs * len(METRIC_NAMES)))
    plan = []
    for i in range(runs):
        plan.append(
            {
                "name": f"bench-{i:05d}",
                "seed": i,
                "lr": rng.choice(LRS),
                "optimizer": rng.choice(OPTIMIZERS),
                "batch_size": rng.choice((16, 32, 64)),
                "steps": steps,
                "quality": rng.random(),
            }
        )
    return plan


def metric_values(run: dict[str, Any], step: int) -> dict[str, float]:
    # A distinct final value per run (quality), so that "the 10 best" has one answer.
    return {
        m: run["quality"] * (step + 1) / run["steps"] + k * 1e-3 for k, m in enumerate(METRIC_NAMES)
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        elapsed, result = timed(fn)
        times.append(elapsed)
    return statistics.median(times), result


# ----------------------------------------------------------------------------- specrun


def bench_spec(run: dict[str, Any]) -> ResolvedSpec:
    data = {
        "name": run["name"],
        "seed": run["seed"],
        "data": {"kind": "bench"},
        "model": {
            "kind": "bench",
            "lr": run["lr"],
            "optimizer": run["optimizer"],
            "batch_size": run["batch_size"],
        },
    }
    return ResolvedSpec(path="<bench>", text="", data=data, hash=spec_hash(data))


class ConnectionCounter:
    """Counts the store files the writer opens for writing (instrumentation only: the
    writer's behaviour is unchanged). Each costs a DuckDB open and close, whatever it
    writes. Readers attach the file to one in-memory database instead and are not counted."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> ConnectionCounter:
        import specrun.store.connection as connection_module

        self._module, self._original = connection_module, connection_module._open_for_write

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self._original(*args, **kwargs)

        # what both connect(write=True) and the writer's lease call, looked up at call time
        connection_module._open_for_write = counting
        return self

    def __exit__(self, *exc: Any) -> None:
        self._module._open_for_write = self._original


def specrun_log(path: Path, plan: list[dict[str, Any]]) -> None:
    for i, run in enumerate(plan):
        writer = StoreWriter(path)  # one writer per run, as the driver does
        run_id = f"r{i:011d}"
        writer.create_run(run_id, bench_spec(run), "local")
        for step in range(run["steps"]):
            writer.log_metrics(run_id, "eval", metric_values(run, step), step)
        writer.finish_run(run_id, "finished")
    release_writes()  # timed until everything is in the file


def specrun_top10(store: Store, sql: str = TOP10_SQL) -> list[str]:
    return store._q(sql)["run_id"].to_list()


SEARCH = {"where": ["model.optimizer=adam"], "sort": "eval/m0", "last": 10}


def specrun_search(store: Store) -> list[str]:
    """The same 10 runs through ``Store.runs`` (``specrun runs -w ... --sort ...``), which
    returns whole run rows, as MLflow's search_runs returns whole runs."""
    return store.runs(**SEARCH)["run_id"].to_list()


def cli_search(store: Path) -> float:
    """``specrun runs -w model.optimizer=adam --sort eval/m0 --last 10`` as a user types it."""
    import subprocess

    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "specrun",
            "runs",
            "-w",
            "model.optimizer=adam",
            "--sort",
            "eval/m0",
            "--last",
            "10",
            "--store",
            str(store),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    return time.perf_counter() - start


def specrun_core_write(path: Path, points: int) -> None:
    plan = run_plan(1, points)
    writer = StoreWriter(path)
    writer.create_run("core0000000", bench_spec(plan[0]), "local")
    for step in range(plan[0]["steps"]):
        writer.log_metrics("core0000000", "train", metric_values(plan[0], step), step)
    writer.finish_run("core0000000", "finished")
    release_writes()


def bulk_store(path: Path, runs: int, steps: int = 10) -> None:
    """A store of many finished runs made in bulk with SQL (the aggregate is what is timed)."""
    with connect(path, write=True) as db:
        db.execute(
            """INSERT INTO runs (run_id, name, status, created_at, seed)
               SELECT printf('b%011d', i), 'bulk', 'finished', now(), i FROM range(?) t(i)""",
            [runs],
        )
        db.execute(
            """INSERT INTO params (run_id, path, type, value_num, value_str, value_json)
               SELECT printf('b%011d', i), 'model.lr', 'float', [1e-4, 3e-4, 1e-3, 3e-3][i % 4 + 1],
                      NULL, '0' FROM range(?) t(i)
               UNION ALL
               SELECT printf('b%011d', i), 'model.optimizer', 'str', NULL,
                      ['adam', 'sgd', 'adamw'][(i // 4) % 3 + 1], '""' FROM range(?) t(i)""",
            [runs, runs],
        )
        db.execute(
            """INSERT INTO metrics SELECT printf('b%011d', i), 'eval', name, s,
                      hash(i, s, name) % 1000 / 1000.0, now()
               FROM range(?) t(i), range(?) u(s), (VALUES ('accuracy'), ('loss')) v(name)""",
            [runs, steps],
        )


# ----------------------------------------------------------------------------- MLflow


def mlflow_client(folder: Path) -> tuple[Any, str]:
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.create_experiment("bench", artifact_location=(folder / "art").as_uri())
    return client, experiment


def mlflow_log(client: Any, experiment: str, plan: list[dict[str, Any]]) -> dict[str, str]:
    from mlflow.entities import Metric, Param

    ids = {}
    for run in plan:
        created = client.create_run(experiment, run_name=run["name"])
        run_id = created.info.run_id
        ids[run_id] = run["name"]
        params = [
            Param("model.lr", str(run["lr"])),
            Param("model.optimizer", run["optimizer"]),
            Param("model.batch_size", str(run["batch_size"])),
            Param("seed", str(run["seed"])),
        ]
        client.log_batch(run_id, params=params)
        stamp = int(time.time() * 1000)
        batch = []
        for step in range(run["steps"]):
            for name, value in metric_values(run, step).items():
                batch.append(Metric(f"eval/{name}", value, stamp, step))
                if len(batch) == 1000:  # MLflow's limit per log_batch
                    client.log_batch(run_id, metrics=batch)
                    batch = []
        if batch:
            client.log_batch(run_id, metrics=batch)
        client.set_terminated(run_id, "FINISHED")
    return ids


def mlflow_top10_opening(folder: Path, experiment: str) -> list[str]:
    """A one-off query: a new client whose store and engine are not cached in the process
    (MLflow keeps both per URI), as specrun's one-off query opens the file."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking import MlflowClient
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    for engine in SqlAlchemyStore._engine_map.values():
        engine.dispose()
    SqlAlchemyStore._engine_map.clear()
    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    return mlflow_top10(client, experiment)


SPECRUN_ONE_OFF = """
import sys
from specrun.store.query import Store
sys.path.insert(0, {bench!r})
from bench_store import TOP10_SQL
print(Store({store!r}).query(TOP10_SQL)["run_id"].to_list())
"""

MLFLOW_ONE_OFF = """
import logging, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
from mlflow.tracking import MlflowClient
client = MlflowClient(tracking_uri={uri!r})
found = client.search_runs([{experiment!r}], filter_string="params.`model.optimizer` = 'adam'",
                           order_by=["metrics.`eval/m0` DESC"], max_results=10)
print([r.info.run_name for r in found])
"""


def one_off(code: str) -> float:
    """A query from a fresh Python process, imports included (a script or a CLI call)."""
    import subprocess

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def mlflow_top10(client: Any, experiment: str) -> list[str]:
    found = client.search_runs(
        [experiment],
        filter_string="params.`model.optimizer` = 'adam'",
        order_by=["metrics.`eval/m0` DESC"],
        max_results=10,
    )
    return [r.info.run_name for r in found]


# ----------------------------------------------------------------------------- main


SIZES = {
    "runs": 1000,
    "points": 1_000_000,
    "agg_runs": 30_000,
    "core_points": 1_000_000,
    "core_agg_runs": 10_000,
}
SMOKE_SIZES = {
    "runs": 20,
    "points": 2_000,
    "agg_runs": 300,
    "core_points": 2_000,
    "core_agg_runs": 100,
}


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every size not given explicitly (default 1)",
    )
    helps = {
        "runs": "runs logged by both tools",
        "points": "metric points across those runs",
        "agg_runs": "runs for the aggregate",
        "core_points": "points through StoreWriter in one run",
        "core_agg_runs": "runs for core's aggregate",
    }
    for key, default in SIZES.items():
        ap.add_argument(
            f"--{key.replace('_', '-')}",
            type=int,
            default=None,
            help=f"{helps[key]} (default {default:,})",
        )
    ap.add_argument(
        "--repeat", type=int, default=None, help="repeats of each query (median; default 21)"
    )
    ap.add_argument("--no-mlflow", action="store_true", help="skip the MLflow side")
    args = ap.parse_args(argv)
    base = SMOKE_SIZES if args.smoke else SIZES
    repeat = args.repeat or (3 if args.smoke else 21)
    process_repeat = 1 if args.smoke else 3
    res = Results("store", args)
    res.uses("duckdb", "polars")

    def size(key: str) -> int:
        given = getattr(args, key)
        return given if given is not None else max(1, int(base[key] * args.scale))

    runs, points = size("runs"), size("points")
    rows: list[tuple[str, str, str, str, str]] = []

    with tempfile.TemporaryDirectory(prefix="specrun-bench-") as tmp:
        folder = Path(tmp)
        plan = run_plan(runs, points)
        n_points = sum(r["steps"] for r in plan) * len(METRIC_NAMES)
        sizes = {"runs": runs, "points": n_points}
        store = folder / "s.duckdb"
        with ConnectionCounter() as connections:
            log_s, _ = timed(lambda: specrun_log(store, plan))
        open_close_s, _ = median_time(lambda: Store(store).query("SELECT 1"), repeat * 4)
        # One-off: the query opens the store and closes it (what `specrun query` does).
        top_s, top = median_time(lambda: specrun_top10(Store(store)), repeat)
        # Held: one open connection across queries, as MLflow's client keeps its engine.
        held = HistoryStore(store)
        with held.held():
            held_s, held_top = median_time(lambda: specrun_top10(held), repeat)
            history_s, history_top = median_time(
                lambda: specrun_top10(held, TOP10_HISTORY_SQL), repeat
            )
            search_s, search_top = median_time(lambda: specrun_search(held), repeat)
        if not held_top == top == history_top == search_top:
            print("error: specrun's four top-10 queries disagree", file=sys.stderr)
            return 1
        expected = [f"r{i:011d}" for i in range(runs)]
        names = {rid: plan[expected.index(rid)]["name"] for rid in top}

        ml_log = ml_top = ml_cold = ml_process = None
        if not args.no_mlflow:
            res.uses("mlflow", "sqlalchemy")
            client, experiment = mlflow_client(folder)
            ml_log, _ = timed(lambda: mlflow_log(client, experiment, plan))
            ml_top, ml_names = median_time(lambda: mlflow_top10(client, experiment), repeat)
            ml_cold, cold_names = median_time(
                lambda: mlflow_top10_opening(folder, experiment), repeat
            )
            assert cold_names == ml_names
            ml_process, _ = median_time(
                lambda: one_off(
                    MLFLOW_ONE_OFF.format(
                        uri=f"sqlite:///{folder / 'mlflow.db'}", experiment=experiment
                    )
                ),
                process_repeat,
            )
            if ml_names != [names[r] for r in top]:
                print(
                    "error: the two tools disagree on the 10 best runs:\n"
                    f"  specrun {[names[r] for r in top]}\n  mlflow  {ml_names}",
                    file=sys.stderr,
                )
                return 1
        process_s, _ = median_time(
            lambda: one_off(
                SPECRUN_ONE_OFF.format(bench=str(Path(__file__).parent), store=str(store))
            ),
            process_repeat,
        )
        cli_s, _ = median_time(lambda: cli_search(store), process_repeat)

        def versus(ours: float, theirs: float | None) -> tuple[str, str]:
            if theirs is None:
                return "-", "-"
            return f"{theirs:.3f}", f"{theirs / ours:.1f}x"

        def measured(
            record: str,
            label: str,
            ours: float,
            theirs: float | None,
            target: str,
            fmt: str = "{:.4f}",
        ) -> None:
            res.add(
                record,
                ours,
                peer=theirs,
                peer_name="mlflow" if theirs is not None else None,
                sizes=sizes,
                target=target or None,
            )
            rows.append((label, fmt.format(ours), *versus(ours, theirs), target))

        measured(
            "log points",
            f"log {n_points:,} points across {runs:,} runs",
            log_s,
            ml_log,
            ">= 20x",
            "{:.3f}",
        )
        measured(
            "top10 held open",
            f"10 best runs, filter on a param ({runs:,} runs), store held open",
            held_s,
            ml_top,
            ">= 20x",
        )
        measured(
            "top10 held open, full history",
            "  same, from the full metric history (no metrics_final), held open",
            history_s,
            ml_top,
            "",
        )
        measured(
            "top10 held open, Store.runs",
            "  same, whole run rows through Store.runs(where=, sort=), held open",
            search_s,
            ml_top,
            "",
        )
        measured(
            "top10 opening the store",
            f"10 best runs, filter on a param ({runs:,} runs), opening the store",
            top_s,
            ml_cold,
            ">= 20x",
        )
        measured(
            "top10 fresh process",
            "  same, from a fresh Python process (imports, open, query)",
            process_s,
            ml_process,
            "",
            "{:.3f}",
        )
        measured(
            "top10 specrun runs CLI",
            "  same, `specrun runs -w ... --sort ... --last 10` (a fresh process, table printed)",
            cli_s,
            ml_process,
            "",
            "{:.3f}",
        )

        for record, label, n, target in (
            ("aggregate", "aggregate over", size("agg_runs"), "< 1 s"),
            ("core aggregate", "core: aggregate over", size("core_agg_runs"), ""),
        ):
            path = folder / f"agg{n}.duckdb"
            bulk_store(path, n)
            agg_s, frame = median_time(lambda p=path: Store(p).query(AGGREGATE_SQL), repeat)
            assert int(frame["runs"].sum()) == n
            res.add(record, agg_s, sizes={"runs": n}, target=target or None)
            rows.append(
                (f"{label} {n:,} runs (mean/std by 2 params)", f"{agg_s:.4f}", "-", "-", target)
            )

        core_points = size("core_points")
        core_s, _ = timed(lambda: specrun_core_write(folder / "core.duckdb", core_points))
        res.add(
            "core write",
            core_s,
            sizes={"points": core_points},
            points_per_s=round(core_points / core_s),
        )
        rows.append(
            (
                f"core: {core_points:,} points through StoreWriter (one run)",
                f"{core_s:.3f}",
                "-",
                f"{core_points / core_s:,.0f} pts/s",
                "",
            )
        )
        res.add("one read-only query", open_close_s, sizes={"runs": runs})
        rows.append(
            (
                "one read-only store query (open, SELECT 1, close)",
                f"{open_close_s:.4f}",
                "-",
                "-",
                "",
            )
        )

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark'.ljust(width)}  {'specrun_s':>10}  {'mlflow_s':>10}  {'ratio':>16}  target")
    for name, ours, theirs, ratio, target in rows:
        print(f"{name.ljust(width)}  {ours:>10}  {theirs:>10}  {ratio:>16}  {target}")
    print(
        f"specrun's writer opened {connections.count:,} store connections while logging "
        f"({connections.count / runs:.1f} per run)"
    )
    res.records[0]["write_connections"] = connections.count
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus, scale {args.scale:g})")
    res.finish(table=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
