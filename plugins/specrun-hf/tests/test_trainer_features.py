"""Trainer mechanics: resume after an interruption, keeping the best checkpoint, early
stopping, and the checks around them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import specrun


def train_steps(store: str, run_id: str) -> list[int]:
    m = specrun.open_store(store).metrics(run_id, "loss")
    return m.filter(m["split"] == "train")["step"].to_list()


def test_resume_after_an_interrupted_run(hf, store, tmp_path):
    ckpt = tmp_path / "ckpt"
    overrides = hf.TINY_NMT + [
        f"trainer.checkpoint_dir={ckpt}",
        "trainer.save_steps=50",
        "trainer.eval_steps=50",
        "trainer.logging_steps=10",
    ]
    args = [
        sys.executable,
        "-m",
        "specrun.cli",
        "run",
        str(hf.SPECS / "nmt_marian.yaml"),
        "--local",
        "--store",
        store,
        *sum((["-o", o] for o in overrides + ["trainer.max_steps=5000"]), []),
    ]
    env = dict(os.environ, SPECRUN_PLUGINS="hf,textmetrics", SPECRUN_QUIET="1")
    proc = subprocess.Popen(
        args, env=env, cwd=hf.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not (ckpt / "checkpoint-50" / "trainer_state.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][
                -2000:
            ]
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # what a scheduler or Ctrl-C does to a long run
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    runs = specrun.open_store(store).runs()
    assert runs["status"].to_list() == ["interrupted"]

    resumed = hf.run(
        "nmt_marian.yaml", overrides + ["trainer.max_steps=70", "trainer.resume=true"], store
    )
    assert resumed.status == "finished", resumed.error
    steps = train_steps(store, resumed.run_id)
    assert steps and min(steps) > 50 and max(steps) == 70, steps


def test_resume_checks(hf, store, tmp_path):
    nothing = hf.run(
        "nmt_marian.yaml",
        hf.TINY_NMT
        + hf.SHORT
        + [f"trainer.checkpoint_dir={tmp_path / 'none'}", "trainer.resume=true"],
        store,
    )
    assert nothing.user_error and "no checkpoint in" in nothing.error
    ckpt = tmp_path / "ckpt"
    first = hf.run(
        "nmt_marian.yaml", hf.TINY_NMT + hf.SHORT + [f"trainer.checkpoint_dir={ckpt}"], store
    )
    assert first.status == "finished", first.error
    other_vocab = hf.run(
        "nmt_marian.yaml",
        hf.TINY_NMT
        + hf.SHORT
        + [
            f"trainer.checkpoint_dir={ckpt}",
            "trainer.resume=true",
            "trainer.max_steps=30",
            "model.tokenizer.train.vocab_size=350",
        ],
        store,
    )
    assert other_vocab.user_error and "different vocabulary" in other_vocab.error
    with pytest.raises(specrun.SpecError, match="resume needs checkpoint_dir"):
        specrun.load_spec(str(hf.SPECS / "nmt_marian.yaml"), ["trainer.resume=true"])


def test_keep_best_reloads_the_chosen_checkpoint(hf, store):
    # "Best" = highest eval loss: deliberately perverse, so the best is not the last model.
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_NMT
        + [
            "trainer.max_steps=30",
            "trainer.eval_steps=10",
            "trainer.keep_best={metric: loss, mode: max}",
        ],
        store,
    )
    assert result.status == "finished", result.error
    loss = hf.eval_series(store, result.run_id, "loss")
    assert loss[10] > loss[30]
    # The restored model is scored once more, one step after the last trained step.
    assert sorted(loss) == [0, 10, 20, 30, 31]
    assert loss[31] == pytest.approx(loss[10], rel=1e-4)
    assert result.metrics["eval/loss"] == pytest.approx(loss[10], rel=1e-4)


def test_early_stopping_on_a_metric(hf, store):
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_NMT
        + [
            "trainer.max_steps=40",
            "trainer.eval_steps=5",
            "trainer.logging_steps=5",
            "trainer.early_stopping={metric: chrf, patience: 1, min_delta: 1000}",
        ],
        store,
    )
    assert result.status == "finished", result.error
    assert sorted(hf.eval_series(store, result.run_id, "chrf")) == [0, 5]
    assert max(train_steps(store, result.run_id)) == 5


def test_early_stopping_metric_must_exist(hf, store):
    result = hf.run(
        "nmt_marian.yaml", hf.TINY_NMT + hf.SHORT + ["trainer.early_stopping={metric: blue}"], store
    )
    assert result.user_error, result.error
    assert (
        "'blue' is not an eval metric of this run (they are: bleu, chrf, loss, perplexity)"
        in result.error
    )


def test_eval_limit_scores_the_full_split_at_the_end(hf, store):
    result = hf.run("nmt_marian.yaml", hf.TINY_NMT + hf.SHORT + ["trainer.eval_limit=10"], store)
    assert result.status == "finished", result.error
    # Evals during training read 10 of the 40 eval rows; the final eval (step 21) reads all.
    assert sorted(hf.eval_series(store, result.run_id, "loss")) == [0, 10, 20, 21]
