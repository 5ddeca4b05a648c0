"""Numbered, append-only schema migrations. Never edit one that has shipped: add another.

Each migration is recorded in ``schema_migrations`` when applied; a store whose newest
migration is unknown to this version of specrun was written by a newer one.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = []


def migration(
    fn: Callable[[duckdb.DuckDBPyConnection], None],
) -> Callable[[duckdb.DuckDBPyConnection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- running, finished, failed, interrupted, stopped
            created_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP,
            duration_s DOUBLE,
            description VARCHAR,
            tags VARCHAR[],
            spec_path VARCHAR,
            spec_text VARCHAR,                -- the spec as written
            spec_resolved JSON,               -- extends merged, overrides applied, defaults filled
            overrides VARCHAR[],
            spec_hash VARCHAR,
            data_fingerprint VARCHAR,
            seed BIGINT,
            plugin_versions JSON,
            parent_id VARCHAR,
            sweep_id VARCHAR,
            mode VARCHAR,                     -- ray, local, cluster
            host VARCHAR,
            pid INTEGER,
            error VARCHAR,
            traceback VARCHAR
        )
        """
    )
    db.execute(
        """
        CREATE TABLE params (
            run_id VARCHAR NOT NULL,
            path VARCHAR NOT NULL,            -- dotted path, e.g. trainer.lr
            type VARCHAR NOT NULL,            -- float, int, bool, str, null, list, dict
            value_num DOUBLE,                 -- floats and ints stay numbers: lr > 1e-4 works
            value_int BIGINT,
            value_bool BOOLEAN,
            value_str VARCHAR,
            value_json JSON,
            PRIMARY KEY (run_id, path)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE metrics (
            run_id VARCHAR NOT NULL,
            split VARCHAR NOT NULL,           -- train, eval, test
            name VARCHAR NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE,
            ts TIMESTAMP NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE artifacts (
            run_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            kind VARCHAR,
            path VARCHAR NOT NULL,            -- relative to the store's artifact root
            sha256 VARCHAR NOT NULL,
            bytes BIGINT NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (run_id, name)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE samples (
            run_id VARCHAR NOT NULL,
            split VARCHAR NOT NULL,
            step BIGINT,
            idx INTEGER NOT NULL,
            input VARCHAR,
            reference VARCHAR,
            output VARCHAR,
            extra JSON
        )
        """
    )
    db.execute(
        """
        CREATE TABLE environment (
            run_id VARCHAR PRIMARY KEY,
            python VARCHAR,
            platform VARCHAR,
            host VARCHAR,
            cpu_count INTEGER,
            gpus VARCHAR[],
            git_commit VARCHAR,
            git_dirty BOOLEAN,
            packages JSON
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sweeps (
            sweep_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP,
            spec_path VARCHAR,
            spec_resolved JSON,
            spec_hash VARCHAR,
            metric VARCHAR,
            mode VARCHAR,
            num_samples INTEGER,
            best_run_id VARCHAR,
            best_value DOUBLE,
            error VARCHAR
        )
        """
    )
    db.execute("CREATE INDEX metrics_run ON metrics (run_id, name)")


@migration
def m002_trials_folds_nodes(db: duckdb.DuckDBPyConnection) -> None:
    """Where a run executed (a cluster has many nodes, often one hostname on loopback) and
    which sweep trial or cross-validation fold it was."""
    for column, kind in (
        ("trial_index", "INTEGER"),
        ("cv_fold", "INTEGER"),
        ("node_id", "VARCHAR"),
        ("node_ip", "VARCHAR"),
        ("node_host", "VARCHAR"),
    ):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")


@migration
def m003_metrics_final(db: duckdb.DuckDBPyConnection) -> None:
    """The newest value of every metric of every run, kept by the writer at each flush:
    "the 10 best runs by eval/bleu" reads one row per run, not every step of every run."""
    db.execute(
        """
        CREATE TABLE metrics_final (
            run_id VARCHAR NOT NULL,
            split VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            step BIGINT NOT NULL,             -- the step of the value (the run's last for it)
            value DOUBLE,
            ts TIMESTAMP NOT NULL,
            PRIMARY KEY (run_id, split, name)
        )
        """
    )
    db.execute(
        """INSERT INTO metrics_final
           SELECT run_id, split, name, max(step), arg_max(value, (step, ts)), max(ts)
           FROM metrics GROUP BY run_id, split, name"""
    )


@migration
def m004_rerun_checks(db: duckdb.DuckDBPyConnection) -> None:
    """`specrun rerun --check` records on the rerun whether it reproduced its parent
    ('matched' or 'differed') and, if not, where the two runs first differ."""
    db.execute("ALTER TABLE runs ADD COLUMN repro_check VARCHAR")
    db.execute("ALTER TABLE runs ADD COLUMN repro_detail VARCHAR")


@migration
def m005_environment_provenance(db: duckdb.DuckDBPyConnection) -> None:
    """Where a run's inputs came from, as plugins report it (``collect_provenance``): the DVC
    hash and repository revision of each data file, for example."""
    db.execute("ALTER TABLE environment ADD COLUMN provenance JSON")


@migration
def m006_journal_merged(db: duckdb.DuckDBPyConnection) -> None:
    """Journal entries (``<store>.journal/``: writes that waited while another process held
    the file) that are in the store, so that an entry is never merged twice."""
    db.execute(
        "CREATE TABLE journal_merged (entry VARCHAR PRIMARY KEY, merged_at TIMESTAMP NOT NULL)"
    )


@migration
def m007_workers(db: duckdb.DuckDBPyConnection) -> None:
    """Multi-worker runs (``resources.workers``, Ray Train): how many workers, how many times
    the worker group was restarted from a checkpoint, and where each rank ran (a JSON list
    of {rank, node_id, node_ip, node_host, pid, gpu_ids})."""
    db.execute("ALTER TABLE runs ADD COLUMN workers INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN restarts INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN placement JSON")


def applied(db: duckdb.DuckDBPyConnection) -> list[str]:
    exists = db.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'schema_migrations' AND table_catalog = current_database()"
    ).fetchone()
    if not exists or not exists[0]:
        return []
    return [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY id").fetchall()]


def migrate(db: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet applied; return their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name VARCHAR UNIQUE, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = applied(db)
    new = []
    for i, (name, fn) in enumerate(MIGRATIONS, start=1):
        if name in done:
            continue
        db.execute("BEGIN TRANSACTION")
        try:
            fn(db)
            db.execute("INSERT INTO schema_migrations (id, name) VALUES (?, ?)", [i, name])
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        new.append(name)
    return new


def unknown_migrations(names: list[str]) -> list[str]:
    known = {n for n, _ in MIGRATIONS}
    return [n for n in names if n not in known]
