"""checkpoint: loading (a real tiny checkpoint written with save_pretrained), LoRA, and the
bad inputs a user can make: each is a failed run with one clear sentence."""

from __future__ import annotations

import time

import pytest
import specrun

from specrun_hf import checkpoints

FROM_CHECKPOINT = ["model.config=null", "model.tokenizer.train=null"]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A small Marian, briefly pre-trained here (a plain torch loop, 60 steps), and its
    tokenizer, saved with save_pretrained as any HF checkpoint is."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    from specrun_hf.grammar_ko_en import generate_pairs
    from specrun_hf.model_params import TrainTokenizer
    from specrun_hf.tokenizer_training import train_tokenizer

    rows = generate_pairs(400, 0, 0, 0.15, seed=13)["train"]
    tokenizer = train_tokenizer(
        [r[0] for r in rows] + [r[1] for r in rows], TrainTokenizer(vocab_size=400)
    )
    config = MarianConfig(
        vocab_size=len(tokenizer),
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        forced_eos_token_id=1,
        scale_embedding=True,
    )
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = MarianMTModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(60):
        batch = rows[(step * 32) % 384 : (step * 32) % 384 + 32]
        enc = tokenizer(
            [r[0] for r in batch],
            text_target=[r[1] for r in batch],
            padding=True,
            return_tensors="pt",
        )
        enc["labels"] = enc["labels"].masked_fill(enc["labels"] == tokenizer.pad_token_id, -100)
        model(**enc).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    path = tmp_path_factory.mktemp("ckpt") / "tiny-marian"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def failed(result, *fragments: str) -> None:
    assert result.status == "failed" and result.user_error, (result.status, result.error)
    for fragment in fragments:
        assert fragment in result.error, result.error


def test_checkpoint_directory_is_loaded_and_fine_tuned(hf, store, tiny_checkpoint):
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_DATA
        + hf.TINY_TRAINER
        + FROM_CHECKPOINT
        + [f"model.checkpoint={tiny_checkpoint}", "model.max_source_length=24"],
        store,
    )
    assert result.status == "finished", result.error
    loss, chrf = (
        hf.eval_series(store, result.run_id, "loss"),
        hf.eval_series(store, result.run_id, "chrf"),
    )
    assert loss[200] < loss[0] - 1 and chrf[200] > chrf[0] + 20, (loss, chrf)
    stored = specrun.open_store(store).params(result.run_id)
    assert (
        str(tiny_checkpoint)
        in stored.filter(stored["path"] == "model.checkpoint").row(0, named=True)["value_str"]
    )


def test_lora_trains_adapters_only_and_saves_a_merged_model(hf, store, tiny_checkpoint):
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_DATA
        + hf.TINY_TRAINER
        + FROM_CHECKPOINT
        + [
            f"model.checkpoint={tiny_checkpoint}",
            "model.peft={method: lora, r: 16, alpha: 32}",
            "trainer.lr=5e-3",
        ],
        store,
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    sizes = {
        r["name"]: r["value"]
        for r in st.metrics(result.run_id).iter_rows(named=True)
        if r["name"] in ("parameters", "trainable_parameters")
    }
    assert 0 < sizes["trainable_parameters"] < 0.5 * sizes["parameters"], sizes
    loss, chrf = (
        hf.eval_series(store, result.run_id, "loss"),
        hf.eval_series(store, result.run_id, "chrf"),
    )
    assert loss[200] < loss[0] - 0.2 and chrf[200] > chrf[0] + 5, (loss, chrf)
    from safetensors import safe_open

    with safe_open(str(st.artifact_path(result.run_id, "model/model.safetensors")), "pt") as fh:
        assert not [k for k in fh.keys() if "lora" in k]
    loaded = specrun.load_model(result.run_id, store=store)
    samples = st.samples(result.run_id)
    last = samples.filter(samples["step"] == samples["step"].max())
    assert loaded.generate(last["input"].to_list()) == last["output"].to_list()


def test_missing_and_empty_checkpoint_directories(hf, store, tmp_path):
    missing = hf.run(
        "nmt_marian.yaml",
        hf.TINY_DATA + FROM_CHECKPOINT + [f"model.checkpoint={tmp_path / 'no-such-dir'}"],
        store,
    )
    failed(missing, "does not exist")
    (tmp_path / "empty").mkdir()
    empty = hf.run(
        "nmt_marian.yaml",
        hf.TINY_DATA + FROM_CHECKPOINT + [f"model.checkpoint={tmp_path / 'empty'}"],
        store,
    )
    failed(empty, "holds no model (no config.json)")


def test_hub_id_without_network_fails_fast_and_clearly(hf, store, monkeypatch):
    for var in checkpoints.OFFLINE_VARS:
        monkeypatch.setenv(var, "")  # as on a machine where nobody set offline mode
    monkeypatch.setattr(checkpoints, "_probe_result", None)
    started = time.monotonic()
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_DATA + FROM_CHECKPOINT + ["model.checkpoint=specrun-tests/no-such-model"],
        store,
    )
    assert time.monotonic() - started < 30
    failed(result, "'specrun-tests/no-such-model'")
    assert "hub" in result.error


def test_wrong_model_type_for_the_kind(hf, store, tiny_checkpoint):
    result = hf.run(
        "summarize_bart.yaml",
        ["data.train_rows=50", "data.eval_rows=10"]
        + FROM_CHECKPOINT
        + [f"model.checkpoint={tiny_checkpoint}"],
        store,
    )
    failed(result, "is a 'marian' model, not 'bart'", "kind: seq2seq")


def test_peft_target_module_the_model_does_not_have(hf, store):
    result = hf.run(
        "nmt_marian.yaml",
        hf.TINY_NMT + ["model.peft={method: lora, target_modules: [query]}"],
        store,
    )
    failed(result, "model.peft.target_modules: 'query' is not a linear layer", "q_proj")


def test_unknown_model_config_key(hf, store):
    result = hf.run("nmt_marian.yaml", hf.TINY_NMT + ["model.config.d_modle=64"], store)
    failed(result, "model.config.d_modle: not a setting of this model", 'did you mean "d_model"')


def test_fp16_on_cpu_is_a_clear_error(hf, store):
    result = hf.run("nmt_marian.yaml", hf.TINY_NMT + hf.SHORT + ["trainer.precision=fp16"], store)
    failed(result, "fp16 needs a CUDA GPU")


def test_bf16_on_cpu_runs_with_autocast(hf, store):
    # Documented choice: torch autocasts to bfloat16 on CPUs (natively with AVX512-BF16/AMX).
    result = hf.run(
        "vanilla_transformer.yaml",
        hf.TINY_DATA + hf.TINY_VANILLA + hf.TINY_TRAINER + hf.SHORT + ["trainer.precision=bf16"],
        store,
    )
    assert result.status == "finished", result.error
