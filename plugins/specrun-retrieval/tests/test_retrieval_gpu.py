"""On a machine with a GPU: training and scoring run there, and the GPU memory is given
back when they end (the weights live on the CPU between uses). Skipped without CUDA."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _frame(contexts, responses):
    try:
        import polars as pl
    except ImportError:  # the GPU machine's image has pandas, not polars
        import pandas as pl
    return pl.DataFrame({"context": contexts, "response": responses})


def test_poly_encoder_trains_on_the_gpu_and_gives_the_memory_back():
    from specrun import Dataset

    from specrun_retrieval.data import generate_pairs
    from specrun_retrieval.models import build_two_tower, release_gpu_memory
    from specrun_retrieval.params import PolyEncoderParams

    contexts, responses, _ = generate_pairs("ko", 2000, 2, seed=1)
    config = {
        "model_type": "bert",
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 128,
    }
    params = PolyEncoderParams(config=config, vocab_size=1000, codes=16)
    model = build_two_tower("poly_encoder", params, Dataset({"train": _frame(contexts, responses)}))
    baseline = torch.cuda.memory_allocated()
    optimizer = torch.optim.AdamW(model.net.parameters(), lr=1e-3)
    losses = []
    with model.on("cuda"):
        assert all(p.is_cuda for p in model.net.parameters())
        for step in range(60):
            batch = slice(32 * step % 1900, 32 * step % 1900 + 32)
            loss = model.loss(contexts[batch], responses[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        vectors = model.encode_candidates(responses[:500])
        reps = model.encode_contexts(contexts[:8])
        scores = model.score(reps, vectors)
        assert torch.cuda.memory_allocated() > baseline
    assert sum(losses[-10:]) < sum(losses[:10])
    assert scores.shape == (8, 500) and vectors.shape == (500, 64)
    assert not any(p.is_cuda for p in model.net.parameters())
    del optimizer, loss  # AdamW's moments were made on the GPU beside the weights
    release_gpu_memory()
    assert torch.cuda.memory_allocated() == baseline
