"""Every shipped spec is reproducible: the same numbers in a fresh process, in either mode.

For each spec in specs/ and plugins/*/specs/, `specrun run` and then `specrun rerun --check
--local` (in-process) run as two fresh processes, and every metric at every step, every
sample and every artifact's sha256 must match. For one spec of each plugin (RAY_FIRST) the
first run is a Ray actor, so the same numbers come out of either mode; the others run both
in-process, which costs a Ray start less each. Sizes are shrunk with overrides so each pair
takes seconds; the code paths are the spec's own. A spec added without an entry here fails
`test_every_shipped_spec_is_covered`.

Exceptions, where a library cannot be made deterministic, are written next to the spec's
entry below, with the bound the test then checks (see docs/REPRODUCIBILITY.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import ROOT
from specrun.testing import assert_reproducible

pytestmark = [pytest.mark.ray, pytest.mark.slow]

TINY_SEQ2SEQ = [
    "data.train_rows=200",
    "data.eval_rows=20",
    "trainer.max_steps=6",
    "trainer.eval_steps=3",
    "trainer.logging_steps=3",
    "trainer.samples=2",
    "trainer.batch_size=16",
    "trainer.decoding.max_new_tokens=8",
    "trainer.num_threads=1",
    "resources.cpus=1",
]
TINY_MARIAN = [
    "model.config.d_model=32",
    "model.config.encoder_layers=1",
    "model.config.decoder_layers=1",
    "model.config.encoder_ffn_dim=64",
    "model.config.decoder_ffn_dim=64",
    "model.config.encoder_attention_heads=2",
    "model.config.decoder_attention_heads=2",
    "model.tokenizer.train.vocab_size=300",
    "model.max_source_length=24",
    "model.max_target_length=24",
]
TINY_CLASSIFIER = [
    "data.rows=240",
    "data.topics=4",
    "model.max_length=24",
    "trainer.epochs=1",
    "trainer.batch_size=32",
    "model.config.hidden_size=32",
    "model.config.intermediate_size=64",
    "model.config.num_hidden_layers=1",
    "model.tokenizer.vocab_size=600",
    "resources.cpus=1",
]
TINY_POLY = [
    "data.pairs=300",
    "trainer.epochs=1",
    "trainer.eval_contexts=40",
    "trainer.eval_candidates=[10]",
    "trainer.threads=1",
    "model.vocab_size=500",
]

# spec (relative to the repository) -> overrides that keep its pair of runs to seconds.
SPECS: dict[str, list[str]] = {
    "specs/quickstart_topics.yaml": ["data.rows=200", "model.epochs=2"],
    "specs/sweep_topics.yaml": ["sweep=null", "data.rows=200", "model.epochs=2"],
    "specs/sweep_pbt.yaml": ["sweep=null", "data.rows=200", "model.epochs=2", "model.lr=0.5"],
    "specs/cv_topics.yaml": ["cv=null", "data.rows=200", "model.epochs=2"],
    "specs/nmt_marian.yaml": TINY_SEQ2SEQ + TINY_MARIAN,
    "specs/vanilla_transformer.yaml": TINY_SEQ2SEQ
    + [
        "model.d_model=32",
        "model.heads=2",
        "model.encoder_layers=1",
        "model.decoder_layers=1",
        "model.ff_dim=64",
        "model.tokenizer.train.vocab_size=300",
        "model.max_source_length=24",
        "model.max_target_length=24",
        "model.max_positions=32",
    ],
    "specs/summarize_bart.yaml": TINY_SEQ2SEQ
    + [
        "model.config.d_model=32",
        "model.config.encoder_layers=1",
        "model.config.decoder_layers=1",
        "model.config.encoder_ffn_dim=64",
        "model.config.decoder_ffn_dim=64",
        "model.config.encoder_attention_heads=2",
        "model.config.decoder_attention_heads=2",
        "model.tokenizer.train.vocab_size=400",
        "model.max_source_length=64",
        "trainer.decoding.num_beams=2",
    ],
    "specs/classify_bert.yaml": TINY_CLASSIFIER,
    "plugins/specrun-hf-text/specs/classify_bert_kfold.yaml": TINY_CLASSIFIER + ["cv=null"],
    "specs/poetry_gpt2.yaml": [
        "sweep=null",
        "data.rows=120",
        "model.config.n_embd=32",
        "model.config.n_layer=1",
        "model.config.n_head=2",
        "model.tokenizer.vocab_size=300",
        "model.max_length=32",
        "trainer.epochs=1",
        "trainer.prompts=4",
        "trainer.decoding.max_new_tokens=8",
        "resources.cpus=1",
    ],
    "specs/chatbot_polyencoder.yaml": TINY_POLY + ["model.codes=4"],
    "specs/chatbot_polyencoder_codes.yaml": TINY_POLY + ["sweep=null", "model.codes=4"],
    "specs/retrieval_biencoder.yaml": [
        "data.pairs=300",
        "trainer.epochs=1",
        "trainer.eval_contexts=40",
        "trainer.eval_candidates=[10]",
        "trainer.threads=1",
        "model.retriever.vocab_size=500",
        "model.reranker.vocab_size=500",
        "model.reranker.negatives=2",
        "model.rerank_top_k=4",
        "trainer.reranker_epochs=1",
    ],
    "specs/retrieval_minilm.yaml": [
        "data.pairs=200",
        "trainer.max_steps=3",
        "trainer.eval_contexts=40",
        "trainer.eval_candidates=[10]",
        "trainer.batch_size=8",
    ],
    "specs/seq2seq_lstm_attention.yaml": [
        "sweep=null",
        "data.train_rows=200",
        "data.eval_rows=20",
        "model.epochs=2",
        "model.units=16",
        "model.embed_dim=8",
        "model.eval_every=0",
        "model.lr_schedule.warmup_epochs=0",
    ],
    "specs/image_resnet.yaml": [
        "data.per_class=8",
        "model.epochs=2",
        "model.widths=[8]",
        "model.image_size=24",
        "augment.0.size=24",
        "augment.1.size=24",
    ],
    "specs/detect_yolo.yaml": [
        "data.images=24",
        "data.size=64",
        "model.imgsz=64",
        "model.epochs=1",
        "model.samples=2",
        "model.batch=8",
    ],
    "specs/topics_lda.yaml": [
        "sweep=null",
        "data.corpus=[kolaw]",
        "model.passes=2",
        "model.iterations=20",
        "model.num_topics=4",
        "model.ldavis=false",
    ],
    "specs/sentiment_logreg.yaml": [],
    # a real kernel in a Ray actor, then in-process: the same metrics and notebook bytes
    "plugins/specrun-notebook/specs/notebook_topics.yaml": [
        "data.rows=200",
        "model.parameters.epochs=2",
    ],
}
# One spec per plugin whose first run is a Ray actor (the default mode): the environment a
# worker gets (hash seed, threads, offline settings) is the same for every spec of a plugin.
RAY_FIRST = {
    "specs/sweep_topics.yaml",
    "specs/nmt_marian.yaml",
    "specs/classify_bert.yaml",
    "specs/chatbot_polyencoder.yaml",
    "specs/image_resnet.yaml",
    "specs/detect_yolo.yaml",
    "specs/topics_lda.yaml",
}
# Specs that need other runs in the store first (an ensemble of stored models).
NEEDS = {
    "plugins/specrun-hf-text/specs/classify_ensemble.yaml": (
        "plugins/specrun-hf-text/specs/classify_bert_kfold.yaml",
        [*TINY_CLASSIFIER, "cv.folds=2"],
    ),
}


def shipped_specs() -> list[str]:
    found = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "specs").glob("*.yaml"))
    found += sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("plugins/*/specs/*.yaml"))
    return found


def test_every_shipped_spec_is_covered():
    missing = [s for s in shipped_specs() if s not in SPECS and s not in NEEDS]
    assert not missing, f"add these specs to SPECS in {Path(__file__).name}: {missing}"
    assert RAY_FIRST <= set(SPECS)


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_spec_reruns_identically_in_a_fresh_process(spec, tmp_path):
    result = assert_reproducible(
        ROOT / spec, SPECS[spec], store=tmp_path / "s.duckdb", first_local=spec not in RAY_FIRST
    )
    assert all(m["matched"] and m["steps"] >= 1 for m in result["metrics"])


@pytest.mark.parametrize("spec", sorted(NEEDS))
def test_spec_built_on_stored_runs_reruns_identically(spec, tmp_path):
    from specrun.testing import run_cli

    store = tmp_path / "s.duckdb"
    base, overrides = NEEDS[spec]
    args = [
        str(ROOT / base),
        *(a for o in overrides for a in ("-o", o)),
        "--store",
        str(store),
        "-q",
    ]
    first = run_cli("run", *args, "--local")
    assert first.returncode == 0, first.stderr[-2000:]
    assert_reproducible(ROOT / spec, ["data.rows=240", "data.topics=4"], store=store)


def test_fifo_sweep_gives_the_same_trials_in_a_fresh_process(tmp_path):
    """A random-search sweep plans its trials from the spec's seed: run twice, in two
    processes, it has the same trials with the same values and the same numbers."""
    from specrun.history.repro_check import compare_runs
    from specrun.store.query import Store
    from specrun.testing import run_cli

    store = tmp_path / "s.duckdb"
    args = [
        str(ROOT / "specs/sweep_topics.yaml"),
        "-o",
        "sweep.scheduler=fifo",
        "-o",
        "sweep.num_samples=2",
        "-o",
        "sweep.max_concurrent=1",
        "-o",
        "data.rows=200",
        "-o",
        "model.epochs=2",
        "--store",
        str(store),
        "-q",
    ]
    for _ in range(2):
        proc = run_cli("run", *args)
        assert proc.returncode == 0, proc.stderr[-2000:]
    st = Store(store)
    rows = st._q(
        "SELECT sweep_id, trial_index, run_id FROM runs WHERE sweep_id IS NOT NULL "
        "ORDER BY created_at"
    ).rows()
    sweeps = list(dict.fromkeys(r[0] for r in rows))
    assert len(sweeps) == 2
    trials = [{t: r for s, t, r in rows if s == sweep} for sweep in sweeps]
    assert sorted(trials[0]) == sorted(trials[1]) == [0, 1]
    for index in trials[0]:
        check = compare_runs(st, trials[0][index], trials[1][index])
        assert check.matched, f"trial {index}: {check.first_difference()}"
        params = st._q(
            "SELECT run_id, path, value_num FROM params WHERE run_id IN (?, ?) AND path = 'model.lr'",
            [trials[0][index], trials[1][index]],
        ).rows()
        assert len({p[2] for p in params}) == 1  # the same sampled learning rate
