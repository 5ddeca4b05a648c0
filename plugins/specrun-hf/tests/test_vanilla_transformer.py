"""The from-scratch Transformer: masks, decoding, persistence (unit level, tiny and fast)."""

from __future__ import annotations

import pytest
import torch

from specrun_hf.vanilla.decoding import (
    apply_repetition_penalty,
    ban_repeated_ngrams,
    filter_top_k_top_p,
)
from specrun_hf.vanilla.model import (
    MultiHeadAttention,
    VanillaConfig,
    VanillaTransformer,
    causal_mask,
)

PAD, EOS, START = 0, 1, 3


def tiny(norm_first: bool = True, dropout: float = 0.0) -> VanillaTransformer:
    torch.manual_seed(0)
    cfg = VanillaConfig(
        vocab_size=20,
        pad_token_id=PAD,
        eos_token_id=EOS,
        decoder_start_token_id=START,
        d_model=16,
        heads=2,
        encoder_layers=2,
        decoder_layers=2,
        ff_dim=32,
        dropout=dropout,
        norm_first=norm_first,
        max_positions=32,
    )
    return VanillaTransformer(cfg).eval()


@pytest.mark.parametrize("norm_first", [True, False])
def test_source_padding_does_not_change_the_output(norm_first):
    model = tiny(norm_first)
    src = torch.tensor([[5, 6, 7, EOS]])
    padded = torch.tensor([[5, 6, 7, EOS, PAD, PAD, PAD]])
    dec = torch.tensor([[START, 8, 9]])
    a = model(src, src.ne(PAD), dec)["logits"]
    b = model(padded, padded.ne(PAD), dec)["logits"]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_decoder_is_causal_future_tokens_change_nothing_before_them():
    model = tiny()
    src = torch.tensor([[5, 6, 7, EOS]])
    a = model(src, None, torch.tensor([[START, 8, 9, 10]]))["logits"]
    b = model(src, None, torch.tensor([[START, 8, 12, 13]]))["logits"]
    torch.testing.assert_close(a[:, :2], b[:, :2])
    assert not torch.allclose(a[:, 2:], b[:, 2:])


def test_attention_is_a_softmax_over_allowed_keys_only():
    attn = MultiHeadAttention(8, 2, dropout=0.0)
    x = torch.randn(1, 3, 8)
    mask = causal_mask(3, x.device)
    out_full = attn(x, x, mask)
    out_first = attn(x[:, :1], x[:, :1], causal_mask(1, x.device))
    torch.testing.assert_close(out_full[:, :1], out_first)


def test_loss_ignores_padding_labels_and_shift_right_starts_with_the_start_token():
    model = tiny()
    labels = torch.tensor([[8, 9, EOS, -100]])
    shifted = model.shift_right(labels)
    assert shifted.tolist() == [[START, 8, 9, EOS]]
    out = model(torch.tensor([[5, 6, EOS]]), labels=labels)
    assert out["loss"].ndim == 0 and torch.isfinite(out["loss"])


def test_greedy_equals_one_beam_and_outputs_start_with_the_start_token():
    model = tiny()
    src = torch.tensor([[5, 6, 7, EOS], [9, 8, EOS, PAD]])
    greedy = model.generate(src, src.ne(PAD), max_new_tokens=6)
    beam1 = model.generate(src, src.ne(PAD), max_new_tokens=6, num_beams=1)
    assert torch.equal(greedy, beam1)
    assert greedy[:, 0].tolist() == [START, START]
    beams = model.generate(src, src.ne(PAD), max_new_tokens=6, num_beams=3, length_penalty=1.0)
    assert beams.shape[0] == 2 and beams[:, 0].tolist() == [START, START]


def test_sampling_is_reproducible_under_a_seed():
    model = tiny()
    src = torch.tensor([[5, 6, 7, EOS]])
    torch.manual_seed(1)
    a = model.generate(src, max_new_tokens=8, do_sample=True, top_k=5, top_p=0.9, temperature=1.5)
    torch.manual_seed(1)
    b = model.generate(src, max_new_tokens=8, do_sample=True, top_k=5, top_p=0.9, temperature=1.5)
    assert torch.equal(a, b)


def test_logit_processors():
    logits = torch.tensor([[2.0, -1.0, 0.5, 3.0]])
    penalised = apply_repetition_penalty(logits.clone(), torch.tensor([[0, 1]]), 2.0)
    assert penalised.tolist() == [[1.0, -2.0, 0.5, 3.0]]
    banned = ban_repeated_ngrams(torch.zeros(1, 5), torch.tensor([[1, 2, 3, 1]]), 2)
    assert banned[0, 2] == float("-inf") and torch.isfinite(banned[0, [0, 1, 3, 4]]).all()
    kept = filter_top_k_top_p(torch.tensor([[1.0, 2.0, 3.0, 4.0]]), top_k=2, top_p=1.0)
    assert torch.isinf(kept[0, :2]).all() and torch.isfinite(kept[0, 2:]).all()
    nucleus = filter_top_k_top_p(torch.tensor([[0.0, 0.0, 10.0]]), top_k=0, top_p=0.5)
    assert torch.isinf(nucleus[0, :2]).all() and nucleus[0, 2] == 10.0


def test_save_and_load_roundtrip_gives_the_same_logits(tmp_path):
    model = tiny()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    again = VanillaTransformer.from_pretrained(tmp_path)
    src, dec = torch.tensor([[5, 6, EOS]]), torch.tensor([[START, 8]])
    torch.testing.assert_close(model(src, None, dec)["logits"], again(src, None, dec)["logits"])
