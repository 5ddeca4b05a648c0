"""Retrieval chatbot benchmarks (loopback only, bounded in requests and seconds).

  1. `specrun serve` under concurrent load with a large candidate pool (100,000 by default):
     /respond latency p50/p99 and throughput with faiss HNSW, faiss flat (exact) and a
     brute-force numpy baseline, each a real server process on 127.0.0.1 over the same
     database; plus each index's bare search time and HNSW's agreement with exact search.
  2. poly-encoder scoring throughput (candidates scored per second) for m in {1, 4, 16, 64}.

A tiny poly-encoder (or bi-encoder) run is trained first so that the server is the real
one; the pool is generated responses made unique, embedded once at the first server start
and cached in the database for the others. With a poly-encoder every index returns a
shortlist of 100 that is re-scored exactly, as `specrun serve` does.

  python benchmarks/bench_retrieval.py                            # 100k candidates, 8 clients
  python benchmarks/bench_retrieval.py --smoke                    # 300 candidates, one server (CI)
  python benchmarks/bench_retrieval.py --candidates 10000 --requests 200 --clients 4   # smaller
  python benchmarks/bench_retrieval.py --skip-serve --device cuda # poly-encoder scoring only

Records (benchmarks/results/retrieval.json): "respond <index>" (p50 ms under load, with p99
and req/s), "bare search <index>" (ms per query, with top1_is_exact), "poly scoring m=<m>"
(candidates scored per second).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, Results, parser  # noqa: F401  (ROOT: for tuning by hand)

TINY_BERT = {
    "model_type": "bert",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 128,
    "max_position_embeddings": 128,
}
QUERIES = [
    "내일 부산 날씨 어때요?",
    "배고파요. 떡볶이 먹을까요?",
    "요즘 머리가 지끈거려요.",
    "다음 달에 여수 여행 가려고 해요.",
    "수학 공부가 너무 어려워요.",
    "우리 고양이가 밥을 잘 안 먹어요.",
    "공항까지 어떻게 가요?",
    "요즘 재즈 음악에 빠졌어요.",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- setup ------------------------------------------------------------------------------------------


def train_tiny_run(store: str, model: str, pairs: int = 1500) -> str:
    """A bi- or poly-encoder trained for one short epoch: the served model is the real thing."""
    import specrun
    import yaml

    extra = {"codes": 16, "shortlist": 100} if model == "poly_encoder" else {}
    spec = {
        "name": f"bench-{model}",
        "seed": 1,
        "data": {"kind": "generated_dialogue", "pairs": pairs, "split": {"eval": 0.1, "test": 0.0}},
        "model": {
            "kind": model,
            "config": TINY_BERT,
            "vocab_size": 1000,
            "pooling": "mean",
            **extra,
        },
        "trainer": {
            "kind": "retrieval_trainer",
            "epochs": 1,
            "eval_candidates": [10],
            "eval_contexts": min(50, pairs // 20),
            "threads": 1,
        },
    }
    path = Path(store).with_name("bench.yaml")
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    result = specrun.run(str(path), store=store, local=True)
    if result.status != "finished":
        raise SystemExit(f"training the benchmark model failed: {result.error}")
    return result.run_id


def make_pool(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct candidate texts: generated responses, and pairs of them where the
    single ones run out. (Numbering repeats, "text (17)", would not do: the digits are
    unknown to the trained vocabulary, the copies embed identically, and a few hundred
    identical vectors fill HNSW's neighbour lists and cut its graph apart.)"""
    import numpy as np

    from specrun_retrieval.data import generate_pairs

    _, responses, _ = generate_pairs("ko", min(50_000, max(1000, 5 * n)), 1, seed)
    distinct = list(dict.fromkeys(responses))
    pool = dict.fromkeys(distinct[:n])
    rng = np.random.default_rng(seed)
    while len(pool) < n:
        a, b = rng.integers(len(distinct), size=2)
        if a != b:
            pool[f"{distinct[a]} {distinct[b]}"] = None
    return list(pool)


def seed_database(url: str, texts: list[str]) -> None:
    from sqlalchemy import insert

    from specrun_retrieval.serving.db import ChatDatabase, Response, utcnow

    db = ChatDatabase(url)
    now = utcnow()
    with db.session() as s:
        for start in range(0, len(texts), 10_000):
            s.execute(
                insert(Response),
                [
                    {"text": t, "created_at": now, "updated_at": now}
                    for t in texts[start : start + 10_000]
                ],
            )
    db.close()


# -- the server under load ------------------------------------------------------------------------------


class Server:
    def __init__(self, run_id: str, store: str, db: str, index: str, threads: int):
        self.port = free_port()
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1", SPECRUN_QUIET="1")
        self.started = time.monotonic()
        # the server's output goes to a file: an unread pipe would block it once full
        self.log = Path(store).with_name(f"serve-{index}.log")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "specrun.cli",
                "serve",
                run_id,
                "--store",
                store,
                "--db",
                db,
                "--index",
                index,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float) -> float:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"the server did not start within {timeout:.0f}s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def load_test(base: str, clients: int, requests: int, max_seconds: float, k: int) -> dict[str, Any]:
    """``clients`` threads send /respond until ``requests`` are done or time is up."""
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + max_seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in counter:
                if time.monotonic() > stop_at:
                    return
                t0 = time.perf_counter()
                r = http.post("/respond", json={"context": QUERIES[i % len(QUERIES)], "k": k})
                dt = time.perf_counter() - t0
                with lock:
                    if r.status_code == 200:
                        latencies.append(dt)
                    else:
                        errors[0] += 1

    with httpx.Client(base_url=base, timeout=30) as http:  # warm-up
        for q in QUERIES:
            http.post("/respond", json={"context": q, "k": k})
    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": wall,
        "p50_ms": 1000 * percentile(latencies, 50) if latencies else None,
        "p99_ms": 1000 * percentile(latencies, 99) if latencies else None,
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None,
        "rps": len(latencies) / wall if wall else 0.0,
    }


def bare_search(run_id: str, store: str, db: str, queries: int) -> dict[str, Any]:
    """Index search alone, in-process, on the served vectors: what each index adds per query."""
    import numpy as np
    import specrun

    from specrun_retrieval.index import CandidateIndex
    from specrun_retrieval.serving.db import ChatDatabase

    bot = specrun.load_model(run_id, store)
    chat_db = ChatDatabase(db)
    cached = chat_db.embeddings(run_id)
    chat_db.close()
    ids = np.array(sorted(cached))
    vectors = np.stack([cached[i] for i in ids])
    # varied queries: the benchmark's contexts plus generated ones
    from specrun_retrieval.data import generate_pairs

    contexts = QUERIES + generate_pairs("ko", queries, 2, seed=99)[0]
    q = bot.retriever.first_stage_query(bot.retriever.encode_contexts(contexts[:queries]))
    out: dict[str, Any] = {}
    # exact best inner product per query; an index is judged by the score of what it
    # returns, not by which of two equally good ids it picked
    best = (q @ vectors.T).max(axis=1)
    for kind in ("flat", "hnsw", "numpy"):
        t0 = time.perf_counter()
        index = CandidateIndex.build(vectors, ids, kind)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        for row in q:
            index.search(row[None, :], 5)
        per_query = (time.perf_counter() - t0) / len(q)
        got = index.search(q, 1)[0][:, 0]
        out[kind] = {
            "build_s": built,
            "search_ms": 1000 * per_query,
            "top1_is_exact": float((got >= best - 1e-4 * np.abs(best) - 1e-5).mean()),
        }
    return out


# -- poly-encoder scoring ----------------------------------------------------------------------------------


def poly_scoring(
    codes: list[int], candidates: int, batch: int, repeats: int, device: str
) -> dict[int, dict[str, float]]:
    import torch

    from specrun_retrieval.encoders import PolyEncoderNet

    torch.manual_seed(0)
    d = 64
    cand = torch.nn.functional.normalize(torch.randn(candidates, d), dim=-1).to(device)
    out = {}
    for m in codes:
        ctx = torch.randn(batch, m, d, device=device)
        with torch.inference_mode():
            PolyEncoderNet.score(ctx, cand)  # warm-up: kernels chosen, memory allocated
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.inference_mode():
            for _ in range(repeats):
                PolyEncoderNet.score(ctx, cand)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t0) / repeats
        out[m] = {"ms_per_batch": 1000 * dt, "scores_per_s": batch * candidates / dt}
    return out


# -- main -------------------------------------------------------------------------------------------------


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--candidates", type=int, default=None, help="(default 100,000; --smoke 300)")
    ap.add_argument("--model", choices=["poly_encoder", "bi_encoder"], default="poly_encoder")
    ap.add_argument("--clients", type=int, default=None, help="concurrent HTTP clients (default 8)")
    ap.add_argument(
        "--requests", type=int, default=None, help="requests per index kind (default 1000)"
    )
    ap.add_argument(
        "--max-seconds", type=float, default=None, help="time cap per index kind (default 60)"
    )
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument(
        "--indexes",
        default=None,
        help="served index kinds (default hnsw,flat,numpy; "
        "--smoke hnsw: bare search times all three in-process)",
    )
    ap.add_argument(
        "--server-threads", type=int, default=1, help="torch threads of the server process"
    )
    ap.add_argument("--codes", default="1,4,16,64")
    ap.add_argument("--poly-candidates", type=int, default=None, help="(default 100,000)")
    ap.add_argument("--poly-batch", type=int, default=16)
    ap.add_argument("--device", default="auto", help="poly-encoder scoring device: auto, cpu, cuda")
    ap.add_argument("--skip-serve", action="store_true")
    ap.add_argument("--bench-name", default="retrieval", help=argparse.SUPPRESS)  # bench_gpu
    args = ap.parse_args()
    sizes = (
        dict(
            candidates=300,
            clients=2,
            requests=20,
            max_seconds=10.0,
            indexes="hnsw",
            poly_candidates=1000,
        )
        if args.smoke
        else dict(
            candidates=100_000,
            clients=8,
            requests=1000,
            max_seconds=60.0,
            indexes="hnsw,flat,numpy",
            poly_candidates=100_000,
        )
    )
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("SPECRUN_QUIET", "1")
    res = Results(args.bench_name, args)
    res.uses("torch", "faiss-cpu", "faiss-gpu", "fastapi", "uvicorn")
    results: dict[str, Any] = {"args": vars(args)}

    if not args.skip_serve:
        work = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
        store, db = str(work / "s.duckdb"), f"sqlite:///{work / 'chatbot.sqlite'}"
        t0 = time.perf_counter()
        run_id = train_tiny_run(store, args.model, 200 if args.smoke else 1500)
        print(f"trained run {run_id} in {time.perf_counter() - t0:.1f}s", flush=True)
        seed_database(db, make_pool(args.candidates))
        serving: dict[str, Any] = {}
        for kind in args.indexes.split(","):
            server = Server(run_id, store, db, kind, args.server_threads)
            try:
                ready = server.wait(timeout=1800)
                print(
                    f"[{kind}] server ready in {ready:.1f}s (the first start embeds the pool)",
                    flush=True,
                )
                serving[kind] = {
                    "startup_s": ready,
                    **load_test(server.base, args.clients, args.requests, args.max_seconds, args.k),
                }
                print(f"[{kind}] {json.dumps(serving[kind])}", flush=True)
            finally:
                server.stop()
        results["serving"] = serving
        results["bare_search"] = bare_search(run_id, store, db, 20 if args.smoke else 200)
        print(f"bare search: {json.dumps(results['bare_search'])}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
        load = {
            "candidates": args.candidates,
            "clients": args.clients,
            "k": args.k,
            "model": args.model,
        }
        for kind, r in serving.items():
            if r["errors"] or not r["requests"]:
                raise SystemExit(f"[{kind}] {r['errors']} of the /respond requests failed")
            res.add(
                f"respond {kind}",
                r["p50_ms"] / 1000,
                sizes={**load, "requests": r["requests"]},
                p50_ms=r["p50_ms"],
                p99_ms=r["p99_ms"],
                rps=r["rps"],
                startup_s=r["startup_s"],
            )
        for kind, r in results["bare_search"].items():
            res.add(
                f"bare search {kind}",
                r["search_ms"] / 1000,
                sizes={"candidates": args.candidates},
                search_ms=r["search_ms"],
                build_s=r["build_s"],
                top1_is_exact=r["top1_is_exact"],
            )

    import torch

    device = (
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    codes = [int(c) for c in args.codes.split(",")]
    results["poly_scoring"] = {
        "device": device,
        "candidates": args.poly_candidates,
        "batch": args.poly_batch,
        "by_m": poly_scoring(
            codes, args.poly_candidates, args.poly_batch, 2 if args.smoke else 5, device
        ),
    }
    for m, r in results["poly_scoring"]["by_m"].items():
        res.add(
            f"poly scoring m={m}",
            r["scores_per_s"],
            unit="scores/s",
            better="higher",
            sizes={"candidates": args.poly_candidates, "batch": args.poly_batch, "codes": m},
            device=device,
            ms_per_batch=r["ms_per_batch"],
        )

    print(f"\n== /respond with {args.candidates} candidates, {args.clients} clients, k={args.k} ==")
    print(
        f"{'index':8} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8} {'search ms':>10} {'top1=exact':>10}"
    )
    for kind, r in results.get("serving", {}).items():
        bare = results["bare_search"].get(kind, {})
        print(
            f"{kind:8} {r['requests']:>8} {r['p50_ms']:>9.1f} {r['p99_ms']:>9.1f} {r['rps']:>8.1f} "
            f"{bare.get('search_ms', float('nan')):>10.3f} {bare.get('top1_is_exact', float('nan')):>10.2f}"
        )
    p = results["poly_scoring"]
    print(
        f"\n== poly-encoder scoring, {p['candidates']} candidates x {p['batch']} contexts on {p['device']} =="
    )
    print(f"{'m':>4} {'ms/batch':>10} {'scores/s':>14}")
    for m, r in p["by_m"].items():
        print(f"{m:>4} {r['ms_per_batch']:>10.1f} {r['scores_per_s']:>14,.0f}")
    res.finish(table=False)


if __name__ == "__main__":
    main()
