"""The ui's JSON API over a store of real tiny runs, in process (Starlette's test client):
the same filters, sorts and refusals as the CLI, curves downsampled in DuckDB, downloads."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import subprocess
import sys

import polars as pl
import pytest
import specrun
from specrun.store.query import Store
from starlette.testclient import TestClient
from ui_testkit import QUICKSTART, quickstart_runs

from specrun_ui.server import build_app
from specrun_ui.sweeps import best_so_far, importance

LONG_STEPS = 20_000


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("ui-api") / "s.duckdb"
    ids = quickstart_runs(path)
    long_id = _long_history(path)
    return path, ids, long_id


def _long_history(path) -> str:
    """A run of LONG_STEPS training steps written the way the engine writes (StoreWriter)."""
    from specrun.store.connection import release_writes
    from specrun.store.writer import StoreWriter

    spec = specrun.load_spec(str(QUICKSTART), ["data.rows=200"])
    writer = StoreWriter(path)
    run_id = "long0000run1"
    writer.create_run(run_id, spec, mode="local")
    for step in range(LONG_STEPS):
        value = 2.0 / (1 + step / 100) + (5.0 if step == 12_345 else 0.0)  # one spike
        writer.log_metrics(run_id, "train", {"loss": value}, step)
    writer.finish_run(run_id, "finished")
    writer.flush()
    release_writes()
    return run_id


@pytest.fixture(scope="module")
def client(store):
    return TestClient(build_app(str(store[0])))


def test_runs_are_paged_filtered_and_sorted_with_the_cli_grammar(store, client):
    path, ids, _ = store
    st = Store(path)
    got = client.get("/api/runs", params={"where": "model.lr<=0.1", "sort": "eval/accuracy"}).json()
    want = st.runs(where=["model.lr<=0.1"], sort="eval/accuracy", last=50)
    assert [r["run_id"] for r in got["rows"]] == want["run_id"].to_list()
    assert got["total"] == 2  # lr 0.1 and 0.02 (the failed and the long runs have lr 0.5)
    assert got["sort_column"] == "eval/accuracy"
    values = [r["eval/accuracy"] for r in got["rows"] if r["eval/accuracy"] is not None]
    assert values == sorted(values, reverse=True) and len(values) == 2
    assert "model.lr" in got["param_columns"] and "model.epochs" in got["param_columns"]
    page = client.get("/api/runs", params={"limit": 2, "offset": 2}).json()
    everything = st.runs(last=0)["run_id"].to_list()
    assert (
        page["total"] == len(everything) == 5
        and [r["run_id"] for r in page["rows"]] == everything[2:4]
    )
    extra = client.get(
        "/api/runs", params={"cols": "model.l2,train/loss", "status": "finished"}
    ).json()
    assert extra["metric_columns"][0] == "train/loss" and "model.l2" in extra["param_columns"]
    assert {r["status"] for r in extra["rows"]} == {"finished"}


def test_bad_input_is_a_4xx_with_the_clis_message(store, client, tmp_path):
    bad = client.get("/api/runs", params={"where": "model.lrr=0.1"})
    assert bad.status_code == 400 and 'did you mean "model.lr"' in bad.json()["error"]
    assert client.get("/api/runs", params={"where": "model.lr<adam"}).status_code == 400
    sort = client.get("/api/runs", params={"sort": "eval/acuracy"})
    assert sort.status_code == 400 and "eval/accuracy" in sort.json()["error"]
    missing = client.get("/api/runs/nosuchrun")
    assert missing.status_code == 404 and "no run 'nosuchrun'" in missing.json()["error"]
    write = client.get("/api/sql", params={"q": "DELETE FROM runs"})
    assert write.status_code == 400 and "read-only" in write.json()["error"]
    assert client.get("/api/sql", params={"q": "SELEC 1"}).status_code == 400
    assert client.get("/api/sweeps/nope").status_code == 404
    nowhere = TestClient(build_app(str(tmp_path / "none.duckdb"))).get("/api/runs")
    assert nowhere.status_code == 404 and "no run store" in nowhere.json()["error"]
    assert Store(store[0]).count_runs() == 5  # nothing was written


def test_a_long_curve_is_downsampled_by_the_server(store, client):
    _, _, long_id = store
    got = client.get("/api/series", params={"runs": long_id, "max_points": 300}).json()["curves"]
    (curve,) = got
    assert curve["n"] == LONG_STEPS and curve["downsampled"]
    assert len(curve["step"]) == 300 and curve["step"][-1] == LONG_STEPS - 1
    assert curve["step"] == sorted(curve["step"])
    assert max(curve["hi"]) == pytest.approx(2.0 / (1 + 12_345 / 100) + 5.0)  # the spike survives
    assert all(
        lo <= v <= hi for lo, v, hi in zip(curve["lo"], curve["value"], curve["hi"], strict=True)
    )
    short = client.get(
        "/api/series", params={"runs": store[1][0], "metric": "eval/accuracy"}
    ).json()
    (acc,) = short["curves"]
    final = Store(store[0]).final_metrics(store[1][0])
    assert acc["value"][-1] == final.filter(pl.col("name") == "accuracy")["value"][0]


def test_run_page_data_and_artifact_download(store, client):
    path, ids, _ = store
    data = client.get(f"/api/runs/{ids[0][:6]}").json()
    assert data["run"]["run_id"] == ids[0] and data["spec_yaml"].startswith("cv:")
    assert "quickstart-topics" in data["run"]["spec_text"]
    art = data["artifacts"][0]
    got = client.get(f"/api/runs/{ids[0]}/artifacts/{art['name']}", params={"download": 1})
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == art["sha256"]
    assert "attachment" in got.headers["content-disposition"]
    failed = client.get(f"/api/runs/{ids[3]}").json()["run"]
    assert failed["status"] == "failed" and "column 'nope'" in failed["error"]


def test_sql_results_and_downloads(store, client):
    q = "SELECT run_id, status FROM runs ORDER BY run_id"
    shown = client.get("/api/sql", params={"q": q}).json()
    assert shown["columns"] == ["run_id", "status"] and shown["total"] == 5
    csv = client.get("/api/sql/download", params={"q": q, "format": "csv"})
    assert pl.read_csv(io.BytesIO(csv.content))["run_id"].to_list() == [r[0] for r in shown["rows"]]
    parquet = client.get("/api/sql/download", params={"q": q, "format": "parquet"})
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 5


def test_samples_are_scored_per_example(store, client):
    path, ids, _ = store
    got = client.get("/api/samples", params={"runs": f"{ids[0]},{ids[1]}", "sort": "delta"}).json()
    assert got["primary"] == "correct" and got["total"] == len(got["rows"]) > 0
    for row in got["rows"]:
        for run_id, out in row["outputs"].items():
            assert row["scores"][run_id]["correct"] == float(out == row["reference"])
    deltas = [r["delta"] for r in got["rows"] if r["delta"] is not None]
    assert deltas == sorted(deltas)


def test_a_token_is_required_off_loopback(store):
    guarded = TestClient(build_app(str(store[0]), token="s3cret"))
    assert guarded.get("/api/runs").status_code == 401
    assert guarded.get("/api/runs", headers={"authorization": "Bearer wrong"}).status_code == 401
    first = guarded.get("/", params={"token": "s3cret"})
    assert first.status_code == 200 and "specrun_ui_token" in first.headers.get("set-cookie", "")
    assert guarded.get("/api/runs").status_code == 200  # the cookie from the first page


def test_importance_and_best_so_far():
    trials = [
        {"run_id": str(i), "value": v, "params": {"lr": lr, "l2": l2}}
        for i, (v, lr, l2) in enumerate(
            [(0.9, 0.5, 0), (0.2, 0.001, 0), (0.85, 0.4, 1e-3), (0.25, 0.002, 1e-3), (None, 0.3, 0)]
        )
    ]
    ranked = importance(trials, ["l2", "lr"])
    assert [r["param"] for r in ranked] == ["lr", "l2"] and ranked[0]["importance"] > 0.9
    assert [b["best"] for b in best_so_far(trials, "max")] == [0.9, 0.9, 0.9, 0.9]
    assert [b["best"] for b in best_so_far(trials, "min")] == [0.9, 0.2, 0.2, 0.2]


def test_help_imports_no_web_stack():
    code = (
        "import sys\nfrom specrun.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'starlette', 'uvicorn', 'torch', 'ray', 'polars', 'duckdb'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert any(
        line.split()[:1] == ["ui"] for line in out.stdout.splitlines()
    )  # the command is listed
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_sentence_outputs_get_bleu_chrf_and_rouge_per_example(tmp_path):
    """Translations (samples written as the engine writes them): sentence BLEU and chrF per
    example equal sacrebleu's own, ROUGE-L F1 the hand-worked value, and the example where
    run B got worse comes first."""
    sacrebleu = pytest.importorskip("sacrebleu")
    from specrun.store.connection import release_writes
    from specrun.store.writer import StoreWriter

    path = tmp_path / "s.duckdb"
    spec = specrun.load_spec(str(QUICKSTART), ["data.rows=200"])
    writer = StoreWriter(path)
    refs = ["the cat sat on the mat", "a dog runs in the park", "it is raining today"]
    outputs = {
        "nmta00000001": ["the cat sat on the mat", "a dog runs in a park", "it rains today"],
        "nmtb00000002": ["the cat sat on the mat", "dog park", "it is raining today"],
    }
    for run_id, outs in outputs.items():
        writer.create_run(run_id, spec, mode="local")
        rows = [
            {"input": f"source {i}", "reference": r, "output": o}
            for i, (r, o) in enumerate(zip(refs, outs, strict=True))
        ]
        writer.log_samples(run_id, "eval", 1, rows)
        writer.finish_run(run_id, "finished")
    writer.flush()
    release_writes()
    client = TestClient(build_app(str(path)))
    got = client.get("/api/samples", params={"runs": ",".join(outputs), "sort": "delta"}).json()
    rouge = importlib.util.find_spec("rouge_score") is not None
    assert got["scores"] == ["exact", "bleu", "chrf", *(["rougeL"] if rouge else [])]
    assert got["primary"] == "chrf"
    chrf = sacrebleu.metrics.CHRF()
    for row in got["rows"]:
        for run_id, out in row["outputs"].items():
            want = chrf.sentence_score(out, [row["reference"]]).score
            assert row["scores"][run_id]["chrf"] == pytest.approx(want, abs=1e-3)
    assert got["rows"][0]["input"] == "source 1" and got["rows"][0]["delta"] < 0  # "dog park"
    if rouge:  # ROUGE-L F1 from the longest common word subsequence, worked by hand
        worse = got["rows"][0]["scores"]
        assert worse["nmtb00000002"]["rougeL"] == 0.5  # "dog park": P 2/2, R 2/6
        assert worse["nmta00000001"]["rougeL"] == 0.833  # 5 of 6 words each way
    assert got["rows"][-1]["input"] == "source 2" and got["rows"][-1]["delta"] > 0


def test_retrieval_samples_score_the_rank_of_the_true_response(tmp_path):
    """A retrieval run's samples carry where the true response ranked (the trainer's
    ``rank_of_true``): the page scores it, and a larger rank in the last run is worse."""
    from specrun.store.connection import release_writes
    from specrun.store.writer import StoreWriter

    path = tmp_path / "s.duckdb"
    spec = specrun.load_spec(str(QUICKSTART), ["data.rows=200"])
    writer = StoreWriter(path)
    refs = ["좋은 아침이에요", "내일 봐요", "고마워요"]
    ranks = {"reta00000001": [1, 2, 1], "retb00000002": [1, 7, 1]}
    for run_id, rank in ranks.items():
        writer.create_run(run_id, spec, mode="local")
        rows = [
            {
                "input": f"context {i}",
                "reference": r,
                "output": r if k == 1 else "다른 답",
                "rank_of_true": k,
                "candidates": 10,
            }
            for i, (r, k) in enumerate(zip(refs, rank, strict=True))
        ]
        writer.log_samples(run_id, "eval", 1, rows)
        writer.finish_run(run_id, "finished")
    writer.flush()
    release_writes()
    client = TestClient(build_app(str(path)))
    got = client.get(
        "/api/samples", params={"runs": ",".join(ranks), "sort": "delta", "score": "rank"}
    ).json()
    assert "rank" in got["scores"] and got["primary"] == "rank"
    first = got["rows"][0]
    assert first["input"] == "context 1" and first["delta"] == -5  # rank 2 -> 7: worse
    assert first["scores"]["reta00000001"]["rank"] == 2
    assert first["scores"]["retb00000002"]["rank"] == 7
    assert got["mean"]["retb00000002"] == pytest.approx(3.0)
