"""Fast checks of the parts with exact answers: Korean particles, the generator, ranking
arithmetic, the poly-encoder score, the indexes and spec validation."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_testkit import SPECS

from specrun_retrieval.data import attach_particle, generate_pairs
from specrun_retrieval.ranking import ranking_metrics, true_ranks


@pytest.mark.parametrize(
    "word,particle,expected",
    [
        ("서울", "은", "서울은"),
        ("제주", "은", "제주는"),
        ("부산", "이", "부산이"),
        ("강아지", "이", "강아지가"),
        ("택시", "을", "택시를"),
        ("지하철", "으로", "지하철로"),
        ("버스", "으로", "버스로"),
        ("공항", "으로", "공항으로"),
        ("치킨", "이라면", "치킨이라면"),
        ("SF", "은", "SF는"),
    ],
)
def test_korean_particles_follow_the_last_syllable(word, particle, expected):
    assert attach_particle(word, particle) == expected


def test_generated_dialogues_are_seeded_and_varied():
    a = generate_pairs("ko", 500, 2, seed=3)
    assert a == generate_pairs("ko", 500, 2, seed=3)
    assert a != generate_pairs("ko", 500, 2, seed=4)
    contexts, responses, intents = a
    assert len(contexts) == len(responses) == 500
    assert len(set(responses)) > 150 and len(set(intents)) > 10
    assert not any("{" in t or "}" in t for t in contexts + responses)
    assert any("\n" in c for c in contexts)  # multi-turn contexts
    en = generate_pairs("en", 50, 1, seed=3)[1]
    assert all(r[0].isupper() for r in en)


def test_ranks_count_ties_against_the_model():
    scores = np.array([[0.9, 0.1, 0.2], [0.5, 0.5, 0.1], [0.1, 0.2, 0.3], [1.0, 1.0, 1.0]])
    assert true_ranks(scores).tolist() == [1, 2, 3, 3]
    m = ranking_metrics(scores, (1, 2))
    assert m == pytest.approx({"r3@1": 0.25, "r3@2": 0.5, "mrr3": (1 + 1 / 2 + 1 / 3 + 1 / 3) / 4})
    with pytest.raises(ValueError, match="N >= 2"):
        true_ranks(np.zeros((3, 1)))


def test_metric_kinds_read_rankings_and_explain_what_is_missing():
    from specrun import Predictions, UserError

    from specrun_retrieval.metrics import Mrr, RetrievalMetric
    from specrun_retrieval.params import MrrParams, RetrievalMetricParams

    rankings = {
        10: np.tile(np.arange(10, 0, -1), (4, 1)).astype(float),
        2: np.array([[0.0, 1.0]] * 4),
    }
    preds = Predictions("eval", extra={"ranking": rankings})
    out = RetrievalMetric(RetrievalMetricParams(ks=[1, 5])).compute(preds)
    assert out == {"r10@1": 1.0, "r10@5": 1.0, "mrr10": 1.0, "r2@1": 0.0, "mrr2": 0.5}
    assert Mrr(MrrParams()).compute(preds) == {"mrr2": 0.5, "mrr10": 1.0}
    with pytest.raises(UserError, match="retrieval_trainer"):
        RetrievalMetric(RetrievalMetricParams()).compute(Predictions("eval", outputs=["a"]))


def test_poly_encoder_score_is_attention_then_dot_product():
    import torch

    from specrun_retrieval.encoders import PolyEncoderNet

    torch.manual_seed(0)
    ctx, cand = torch.randn(3, 4, 8), torch.randn(5, 8)  # 3 contexts with m=4 codes, 5 candidates
    expected = torch.zeros(3, 5)
    for b in range(3):
        for n in range(5):
            weights = torch.softmax(
                ctx[b] @ cand[n], dim=0
            )  # the candidate attends over the m vectors
            expected[b, n] = (weights @ ctx[b]) @ cand[n]
    assert torch.allclose(PolyEncoderNet.score(ctx, cand, chunk=2), expected, atol=1e-5)


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw", "numpy"])
def test_indexes_find_nearest_and_follow_adds_and_removes(kind, tmp_path):
    from specrun_retrieval.index import CandidateIndex

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 16)).astype(np.float32)
    ids = np.arange(1000, 3000)
    index = CandidateIndex.build(vectors, ids, kind)
    queries = (
        vectors[:20] * 3
    )  # a vector's best inner-product match among random ones is usually itself
    brute = ids[np.argmax(queries @ vectors.T, axis=1)]
    assert (index.search(queries, 1)[1][:, 0] == brute).mean() >= 0.9
    assert index.remove([int(brute[0])]) == 1 and int(brute[0]) not in index
    assert brute[0] not in index.search(queries[:1], 5)[1][0]
    index.add(np.array([99]), vectors[:1])
    assert index.search(queries[:1], 1)[1][0, 0] == 99
    index.save(tmp_path)
    again = CandidateIndex.load(tmp_path)
    assert len(again) == len(index) == 2000 and again.search(queries[:1], 1)[1][0, 0] == 99


def test_spec_errors_name_the_problem():
    from specrun import SpecError, load_spec

    spec = str(SPECS / "chatbot_polyencoder.yaml")
    with pytest.raises(SpecError, match="exactly one of `checkpoint:`"):
        load_spec(spec, ["model.checkpoint=some/dir"])
    with pytest.raises(SpecError, match="at least 2 candidates"):
        load_spec(spec, ["trainer.eval_candidates=[1, 10]"])
    with pytest.raises(SpecError, match="not installed"):
        load_spec(
            str(SPECS / "retrieval_minilm.yaml"), ["model.checkpoint=package:no_such_package/model"]
        )
    with pytest.raises(SpecError, match="codes"):
        load_spec(spec, ["model.codes=0"])
    assert (
        load_spec(spec, ["model.codes=64"]).data["model"]["codes"] == 64
    )  # m is a plain, sweepable value


def test_two_workers_score_against_both_workers_negatives(tmp_path):
    """Gathered in-batch negatives: with 2 gloo ranks (spawned here, no Ray) each context is
    scored against 2 x batch responses, the logits are the one-process big batch's rows, and
    the gradient flows back to the other rank's responses."""
    import torch
    from retrieval_dist_helpers import B, in_batch, rank_in_batch

    from specrun_torchkit.testing import run_ranks

    whole = in_batch()
    ranks = run_ranks(rank_in_batch, tmp_path)
    for r, out in enumerate(ranks):
        assert out["logits"].shape == (B, 2 * B)  # 2x the negatives of one worker's batch
        assert torch.allclose(out["logits"], whole["logits"][r * B : (r + 1) * B])
        assert out["target"].tolist() == list(range(r * B, (r + 1) * B))
        # the gathered backward sums every rank's loss: twice the mean loss's gradient
        assert torch.allclose(out["grad"], 2 * whole["grad"][r * B : (r + 1) * B], atol=1e-6)
    assert torch.isinf(ranks[1]["logits"][1, 1]) and ranks[1]["logits"][1, 1] < 0  # false negative
    assert sum(o["loss"] for o in ranks) / 2 == pytest.approx(whole["loss"], rel=1e-6)
