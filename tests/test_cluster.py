"""A real two-node Ray cluster on loopback, started by this module with ``ray start``.

Each node gets 1 CPU and its own custom resource (``head``, ``worker``) and is started in
a new session, so its daemons share one process group that nobody else has: the module
stops exactly those groups and never runs ``ray stop`` (other Ray users share this machine).
The driver is the ``specrun sweep --address`` CLI, a separate process, as for a user.

Both nodes are on this machine: Ray on Linux advertises a node on the machine's own interface
address even when told 127.0.0.1 (its switch to keep loopback also refuses multi-node), so
traffic goes to an address of this machine and never leaves it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import specrun
from core_helpers import run_cli, write_spec

pytestmark = [pytest.mark.ray, pytest.mark.slow]

RAY = Path(sys.executable).with_name("ray")
# Token auth off: the test's nodes and driver must not depend on a token in ~/.ray.
ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "RAY_ADDRESS": ""}


_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port never handed out before in this session: the OS may give the
    same just-closed port twice, and two Ray components on one port fail to start."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class LoopbackCluster:
    def __init__(self, tmp: Path):
        self.tmp, self.groups, self.port = tmp, {}, free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, **ENV}

    def _start(self, name: str, *args: str) -> None:
        ports = [
            f"--{flag}={free_port()}"
            for flag in (
                "node-manager-port",
                "object-manager-port",
                "metrics-export-port",
                "runtime-env-agent-port",
                "dashboard-agent-listen-port",
                "dashboard-agent-grpc-port",
            )
        ]
        proc = subprocess.Popen(
            [
                str(RAY),
                "start",
                "--node-ip-address=127.0.0.1",
                "--num-cpus=1",
                "--num-gpus=0",
                "--disable-usage-stats",
                f"--temp-dir={self.tmp / name}",
                *ports,
                *args,
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        # The daemons ray start leaves behind keep its process group (= its pid: a session leader).
        self.groups[name] = proc.pid
        out, err = proc.communicate(timeout=180)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start ({name}) failed:\n{out}\n{err}")

    def start(self) -> None:
        self._start(
            "head",
            "--head",
            f"--port={self.port}",
            "--include-dashboard=false",
            f"--ray-client-server-port={free_port()}",
            f"--dashboard-port={free_port()}",
            '--resources={"head": 1}',
        )
        self.start_worker()

    def start_worker(self) -> None:
        """Start the worker node, again if a test killed it (a new node, a new node id)."""
        if "worker" not in self.groups:
            self._start("worker", f"--address={self.address}", '--resources={"worker": 1}')

    def node_id(self, resource: str) -> str:
        """The Ray node id of the node that offers ``resource`` (asked in a subprocess, so
        this test process never joins the cluster)."""
        probe = (
            "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
            "print(*[n['NodeID'] for n in ray.nodes() if n['Alive'] and sys.argv[2] in n['Resources']])"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe, self.address, resource],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        ids = out.stdout.split()
        assert len(ids) == 1, (out.stdout, out.stderr[-2000:])
        return ids[0]

    def kill(self, name: str, sig: int = signal.SIGTERM, wait_s: float = 5) -> None:
        """Signal the node's process group and every descendant of it: Ray may put worker
        processes in groups of their own, and they are still ours."""
        pgid = self.groups.pop(name, None)
        if pgid is None:
            return
        ours = _tree(pgid)  # before the signal: orphans lose their parent link
        for pid in ours:
            _signal(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and (ours := ours & set(_processes()) | _tree(pgid)):
            time.sleep(0.2)
        for pid in ours:
            _signal(pid, signal.SIGKILL)

    def stop(self) -> None:
        for name in list(self.groups)[::-1]:
            self.kill(name)


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process we can see."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(stat.parent.name)] = (int(fields[1]), int(fields[2]))
    return out


def _tree(pgid: int) -> set[int]:
    """The live members of process group ``pgid`` and all their descendants."""
    procs = _processes()
    found = {pid for pid, (_, group) in procs.items() if group == pgid}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in found} - found
        found |= more
        grew = bool(more)
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = LoopbackCluster(tmp_path_factory.mktemp("ray"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


SPEC = """
name: cluster-sweep
seed: 2
data: {{kind: generated_topics, rows: {rows}, split: {{eval: 0.25, stratify: label}}}}
model: {{kind: bow_softmax, epochs: {epochs}, features: 256, samples: 2}}
metrics: [{{kind: accuracy}}]
resources: {{cpus: 1}}
sweep:
  metric: accuracy
  search: grid
{sweep}
"""


def test_trials_are_placed_by_resources_on_both_nodes_and_artifacts_reach_the_driver(
    cluster, tmp_path
):
    store = tmp_path / "s.duckdb"
    spec = write_spec(
        tmp_path,
        SPEC.format(
            rows=240,
            epochs=2,
            sweep="""
  num_samples: 2
  space:
    resources.custom: {grid: [{worker: 1}, {head: 1}]}
""",
        ),
    )
    out = run_cli(
        "sweep",
        str(spec),
        "--address",
        cluster.address,
        "--store",
        str(store),
        env=ENV,
        timeout=400,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    st = specrun.open_store(str(store))
    runs = st.query(
        "SELECT run_id, status, mode, node_id, node_ip, spec_resolved FROM runs"
    ).to_dicts()
    assert (
        len(runs) == 4
        and {r["status"] for r in runs} == {"finished"}
        and {r["mode"] for r in runs} == {"cluster"}
    )
    nodes: dict[str, set[str]] = {}
    for r in runs:
        label = next(iter(json.loads(r["spec_resolved"])["resources"]["custom"]))
        nodes.setdefault(label, set()).add(r["node_id"])
    assert len({r["node_ip"] for r in runs}) == 1 and runs[0]["node_ip"]  # one machine, two nodes
    # each label pinned its trials to one node, and the two labels are two different nodes
    assert (
        len(nodes["worker"]) == 1 and len(nodes["head"]) == 1 and nodes["worker"] != nodes["head"]
    )
    arts = st.query("SELECT run_id, path, sha256, bytes FROM artifacts").to_dicts()
    assert len(arts) == 12  # model, params and model card of every trial, from both nodes
    for a in arts:
        data = (st.artifact_root / a["path"]).read_bytes()
        assert len(data) == a["bytes"] and hashlib.sha256(data).hexdigest() == a["sha256"]
    assert st.query("SELECT count(DISTINCT run_id) AS n FROM samples")["n"][0] == 4
    assert nodes["worker"] == {cluster.node_id("worker")}


def test_a_worker_node_that_dies_mid_trial_fails_it_and_the_retry_finishes(cluster, tmp_path):
    worker_node = cluster.node_id("worker")
    store = tmp_path / "s.duckdb"
    spec = write_spec(
        tmp_path,
        SPEC.format(
            rows=4000,  # long enough (seconds) for both trials to hold a node at once
            epochs=400,  # trials of several seconds: the kill must find one running
            sweep="""
  max_failures: 3
  space:
    model.lr: {grid: [0.5, 0.4]}
""",
        ),
    )
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "sweep",
            str(spec),
            "--address",
            cluster.address,
            "--store",
            str(store),
        ],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if _running_on(store, worker_node):
                break
            assert driver.poll() is None, (driver.communicate()[1][-3000:], _runs(store))
            time.sleep(0.5)
        else:
            pytest.fail("no trial ever ran on the worker node")
        cluster.kill("worker", signal.SIGKILL, wait_s=5)
        out, err = driver.communicate(timeout=400)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, err[-3000:]
    st = specrun.open_store(str(store))
    runs = st.query(
        "SELECT trial_index, status, node_id, error FROM runs ORDER BY created_at"
    ).to_dicts()
    failed = [r for r in runs if r["status"] == "failed"]
    # Until Ray notices the node is gone (heartbeats), a retry may land on it and fail too:
    # each such attempt is recorded as failed and retried, none is lost.
    assert failed and failed[0]["node_id"] == worker_node, (runs, err[-2000:])
    assert all("retrying" in f["error"] for f in failed), failed
    finished = {r["trial_index"] for r in runs if r["status"] == "finished"}
    assert finished == {0, 1}  # the failed trial ran again (on the head) and finished
    assert st.query("SELECT status FROM sweeps")["status"][0] == "finished"


def _running_on(store: Path, node_id: str) -> bool:
    try:
        df = specrun.open_store(str(store)).query(
            "SELECT count(*) AS n FROM runs WHERE status = 'running' AND node_id = ?", [node_id]
        )
    except specrun.StoreError:
        return False
    return df["n"][0] > 0


def _runs(store: Path) -> list:
    return (
        specrun.open_store(str(store))
        .query("SELECT trial_index, status, node_id, created_at, ended_at FROM runs")
        .rows()
    )


MARIAN_SMALL = [
    "data.train_rows=128",
    "data.eval_rows=8",
    "trainer.max_steps=4",
    "trainer.eval_steps=4",
    "trainer.eval_on_start=false",
    "trainer.batch_size=8",
    "trainer.samples=1",
    "trainer.decoding.max_new_tokens=4",
    "model.config.d_model=32",
    "model.config.encoder_ffn_dim=64",
    "model.config.decoder_ffn_dim=64",
]


def test_two_worker_run_puts_one_worker_on_each_node(cluster, tmp_path):
    """resources.workers: 2 of 1 CPU on two 1-CPU nodes: Ray Train must use both."""
    cluster.start_worker()  # the node-death test before this one kills it
    store = tmp_path / "s.duckdb"
    spec = Path(__file__).resolve().parents[1] / "specs" / "nmt_marian.yaml"
    overrides = [
        a for o in (*MARIAN_SMALL, "resources.cpus=1", "resources.workers=2") for a in ("-o", o)
    ]
    out = run_cli(
        "run",
        str(spec),
        *overrides,
        "--address",
        cluster.address,
        "--store",
        str(store),
        "-q",
        env=ENV,
        timeout=400,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    st = specrun.open_store(str(store))
    run = st.query("SELECT status, mode, workers, placement FROM runs").to_dicts()
    assert len(run) == 1 and run[0]["status"] == "finished" and run[0]["mode"] == "cluster"
    placement = json.loads(run[0]["placement"])
    assert run[0]["workers"] == 2 and [p["rank"] for p in placement] == [0, 1]
    assert {p["node_id"] for p in placement} == {cluster.node_id("head"), cluster.node_id("worker")}
    n = st.query("SELECT count(*) AS n FROM metrics WHERE split = 'eval' AND name = 'bleu'")["n"][0]
    assert n == 1  # logged once, by rank 0
