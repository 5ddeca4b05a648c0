"""summarize_bart, shrunk: a small BART learns to summarize generated Korean news, scored
with Hangul-aware ROUGE (which would be 0 with rouge-score's default tokenizer)."""

from __future__ import annotations

import specrun

TINY_BART = [
    "data.train_rows=300",
    "data.eval_rows=20",
    "model.config.d_model=64",
    "model.config.encoder_ffn_dim=128",
    "model.config.decoder_ffn_dim=128",
    "model.config.encoder_attention_heads=2",
    "model.config.decoder_attention_heads=2",
    "model.tokenizer.train.vocab_size=500",
    "model.max_source_length=96",
    "trainer.decoding.num_beams=2",
    "trainer.decoding.max_new_tokens=32",
]


def test_bart_summaries_improve_rouge_on_korean(hf, store):
    trainer = [o for o in hf.TINY_TRAINER if not o.startswith("trainer.decoding")]
    result = hf.run("summarize_bart.yaml", TINY_BART + trainer, store)
    assert result.status == "finished", result.error
    rouge1 = hf.eval_series(store, result.run_id, "rouge1")
    rouge_l = hf.eval_series(store, result.run_id, "rougeL")
    assert rouge1[200] > rouge1[0] + 0.2, rouge1
    assert rouge_l[200] > rouge_l[0] + 0.2, rouge_l
    samples = specrun.open_store(store).samples(result.run_id)
    last = samples.filter(samples["step"] == 200).row(0, named=True)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in last["output"])  # Hangul survives decoding
