"""End to end: the nmt_marian and vanilla_transformer specs, shrunk, trained for real.

One tiny run of each is shared by the tests of this module (they only read its store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import specrun


@pytest.fixture(scope="module")
def marian_run(tmp_path_factory, hf):
    return hf.shared_run(tmp_path_factory, "nmt_marian.yaml", hf.TINY_NMT)


@pytest.fixture(scope="module")
def vanilla_run(tmp_path_factory, hf):
    # Also exercises gradient accumulation, the cosine schedule with warmup and beam search.
    overrides = (
        hf.TINY_DATA
        + hf.TINY_TRAINER
        + hf.TINY_VANILLA
        + [
            "trainer.grad_accum=2",
            "trainer.batch_size=16",
            "trainer.lr_scheduler=cosine",
            "trainer.warmup_steps=0",
            "trainer.warmup_ratio=0.1",
            "trainer.decoding.strategy=beam",
            "trainer.decoding.num_beams=2",
        ]
    )
    return hf.shared_run(tmp_path_factory, "vanilla_transformer.yaml", overrides)


@pytest.mark.parametrize("which", ["marian_run", "vanilla_run"])
def test_training_learns(which, request, hf):
    result, store = request.getfixturevalue(which)
    chrf, loss = (
        hf.eval_series(store, result.run_id, "chrf"),
        hf.eval_series(store, result.run_id, "loss"),
    )
    bleu = hf.eval_series(store, result.run_id, "bleu")
    assert sorted(chrf) == [0, 100, 200], chrf  # eval at start (the 'before') and every 100 steps
    assert chrf[200] > chrf[0] + 15, chrf
    assert bleu[200] > bleu[0] + 3, bleu
    assert loss[200] < loss[0] - 3, loss
    assert result.metrics["eval/bleu"] == pytest.approx(bleu[200])


def test_store_holds_train_curve_samples_signatures_and_artifacts(marian_run):
    result, store = marian_run
    st = specrun.open_store(store)
    metrics = st.metrics(result.run_id)
    train_loss = metrics.filter((metrics["split"] == "train") & (metrics["name"] == "loss"))
    assert train_loss["step"].to_list() == [50, 100, 150, 200]
    summary = {r["name"] for r in metrics.filter(metrics["split"] == "train").iter_rows(named=True)}
    assert {"lr", "runtime_s", "tokens_per_s", "mean_loss"} <= summary
    samples = st.samples(result.run_id)
    assert samples["step"].unique().sort().to_list() == [0, 100, 200]  # 4 per eval, none twice
    assert samples.height == 12
    first = samples.row(0, named=True)
    assert first["input"] and first["reference"].startswith("The ")
    assert json.loads(samples.row(samples.height - 1, named=True)["extra"])["metric_signatures"][
        "bleu"
    ].startswith("nrefs:1")
    names = set(st.artifacts(result.run_id)["name"].to_list())
    assert {"model/model.safetensors", "model/tokenizer.json", "model/specrun_hf.json"} <= names


@pytest.mark.parametrize("which", ["marian_run", "vanilla_run"])
def test_load_model_reproduces_the_final_outputs(which, request):
    result, store = request.getfixturevalue(which)
    loaded = specrun.load_model(result.run_id, store=store)
    samples = specrun.open_store(store).samples(result.run_id)
    last = samples.filter(samples["step"] == samples["step"].max())
    assert loaded.generate(last["input"].to_list()) == last["output"].to_list()
    # Decoding can be changed per call; every strategy gives text.
    sampled = loaded.generate(
        last["input"].to_list()[:2],
        num_beams=1,
        do_sample=True,
        top_k=5,
        repetition_penalty=1.3,
        no_repeat_ngram_size=2,
    )
    assert len(sampled) == 2 and all(isinstance(s, str) for s in sampled)


def test_bad_input_fails_with_exit_code_2_and_one_sentence(tmp_path, hf):
    (tmp_path / "pairs.csv").write_text("ko,en\n학생은 사과를 먹었다.,The student ate the apple.\n")
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "name: bad-columns\n"
        "data: {kind: parallel_text, path: pairs.csv, source: korean, target: en}\n"
        "model: {kind: marian, config: {d_model: 32}, tokenizer: {train: {vocab_size: 100}}}\n"
        "trainer: {kind: hf_seq2seq_trainer, max_steps: 1}\n"
    )
    env = dict(os.environ, SPECRUN_PLUGINS="hf,textmetrics", SPECRUN_QUIET="1")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "run",
            str(spec),
            "--local",
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=hf.ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "column 'korean' is not in the data (it has: ko, en)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_spec_validation_imports_no_framework(hf):
    code = (
        "import sys, specrun; "
        "[specrun.load_spec(f'specs/{s}.yaml') "
        " for s in ('nmt_marian', 'vanilla_transformer', 'summarize_bart')]; "
        "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'peft') "
        "             if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=hf.ROOT, check=True
    )
    assert out.stdout.strip() == "[]"
