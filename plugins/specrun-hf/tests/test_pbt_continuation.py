"""Stop and continue for pbt sweeps: the trainer's state goes out with every eval report and a
later run (maybe with another learning rate) goes on from it, as a pbt trial does."""

from __future__ import annotations

import pickle

import pytest
import specrun

# 30 steps with an eval every 10: the pbt checkpoint is taken at step 10.
STEPS = [
    "trainer.max_steps=30",
    "trainer.eval_steps=10",
    "trainer.logging_steps=5",
    "trainer.warmup_steps=5",
]
LR = 3e-3


class PbtSink:
    """What a pbt trial's sink says: every report wants the trainer's state."""

    wants_checkpoint = True

    def __init__(self):
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def series(self, split: str, name: str) -> dict[int, float]:
        return {
            e[3]: e[2][name]
            for e in self.events
            if e[0] == "metrics" and e[1] == split and name in e[2]
        }

    def reports(self) -> dict[int, tuple[dict[str, float], dict]]:
        return {e[2]: (e[1], e[3]) for e in self.events if e[0] == "report"}


def pipeline(hf, overrides: list[str], run_id: str, restored=None) -> PbtSink:
    from specrun.runner.worker import run_pipeline

    spec = specrun.load_spec(str(hf.SPECS / "nmt_marian.yaml"), hf.TINY_NMT + STEPS + overrides)
    sink = PbtSink()
    outcome = run_pipeline(spec.data, run_id, sink, "cpu", True, spec.path, restored=restored)
    assert outcome["status"] == "finished", outcome.get("error")
    return sink


def test_a_run_continues_from_a_pbt_checkpoint_with_its_own_learning_rate(hf):
    first = pipeline(hf, [f"trainer.lr={LR}"], "donor")
    reports = first.reports()
    assert sorted(reports) == [0, 10, 20, 30]  # every eval carries a state
    metrics, state = reports[10]
    state = pickle.loads(pickle.dumps(state))  # as Tune stores it
    loss = first.series("eval", "loss")
    assert metrics["eval/loss"] == loss[10] < loss[0]
    lr = first.series("train", "lr")

    # Same hyperparameters: the continuation retraces the donor's steps 11..30 exactly
    # (weights, optimizer moments, schedule, data order and RNG all came back).
    same = pipeline(hf, [f"trainer.lr={LR}"], "same", restored={"step": 10, "state": state})
    same_loss = same.series("eval", "loss")
    assert sorted(same_loss) == [20, 30]  # no eval at start: step 10 is the donor's
    assert min(same.series("train", "loss")) > 10
    assert same_loss[20] == pytest.approx(loss[20], rel=1e-3)
    assert same_loss[30] == pytest.approx(loss[30], rel=1e-3)
    assert same.series("train", "lr") == pytest.approx({s: v for s, v in lr.items() if s > 10})

    # A perturbed learning rate (as pbt does): the schedule goes on where it was, scaled to
    # this spec's lr, and the optimizer really uses it (the model moves less than the donor's).
    slower = pipeline(hf, [f"trainer.lr={LR / 3}"], "slower", restored={"step": 10, "state": state})
    slow_lr = slower.series("train", "lr")
    assert sorted(slow_lr) == [15, 20, 25, 30]
    assert slow_lr == pytest.approx({s: lr[s] / 3 for s in slow_lr})
    slow_loss = slower.series("eval", "loss")
    assert sorted(slow_loss) == [20, 30]
    # Continued from the donor's trained model (measured: fresh 5.98, step 10 4.90), and
    # improved less than the donor did with three times the lr (4.68 against 4.38).
    assert loss[20] < slow_loss[20] < loss[10]
    assert sorted(slower.reports()) == [20, 30]


def test_spec_settings_replace_the_loaded_optimizer_settings_at_the_schedule_position(tmp_path):
    import torch
    from transformers import get_linear_schedule_with_warmup

    from specrun_hf import pbt_state

    def build(lr: float, decay: float):
        model = torch.nn.Linear(4, 2)
        torch.nn.init.constant_(model.weight, 0.1)
        groups = [
            {"params": [model.weight], "weight_decay": decay},
            {"params": [model.bias], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=lr)
        return model, opt, get_linear_schedule_with_warmup(opt, 2, 10)

    model, opt, sched = build(1e-2, 0.1)
    for _ in range(4):
        model(torch.ones(3, 4)).sum().backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()

    _, opt2, sched2 = build(5e-3, 0.0)
    spec = pbt_state.optimizer_settings(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert opt2.param_groups[0]["weight_decay"] == 0.1  # what loading alone leaves
    pbt_state.keep_spec_settings(opt2, sched2, spec)
    share = (10 - 4) / (10 - 2)  # the linear schedule after 4 of 10 steps, 2 of warmup
    assert [g["lr"] for g in opt2.param_groups] == pytest.approx([5e-3 * share] * 2)
    assert sched2.get_last_lr() == pytest.approx([5e-3 * share] * 2)
    assert opt2.param_groups[0]["weight_decay"] == 0.0
    assert opt2.state_dict()["state"][0]["step"] == 4  # the moments are the checkpoint's
    opt2.step()
    sched2.step()
    assert sched2.get_last_lr() == pytest.approx([5e-3 * (10 - 5) / 8] * 2)

    with pytest.raises(specrun.UserError, match="not saved by hf_seq2seq_trainer"):
        pbt_state.restore({"W": 1}, tmp_path)
