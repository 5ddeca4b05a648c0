"""The shared loop under data parallelism: 2 gloo ranks spawned here (no Ray)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from distributed_helpers import EPOCHS, GLOBAL_BATCH, TOL, N, train_once  # noqa: E402

from specrun_torchkit import distributed  # noqa: E402
from specrun_torchkit.testing import run_ranks  # noqa: E402


@pytest.fixture(scope="module")
def one_process() -> dict[str, Any]:
    return train_once()


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return run_ranks(train_once, tmp_path_factory.mktemp("ranks"))


def test_two_ranks_match_one_process_at_the_same_global_batch(
    two_ranks: list[dict[str, Any]], one_process: dict[str, Any]
) -> None:
    ranks = two_ranks
    assert [r["world"] for r in ranks] == [(0, 2), (1, 2)]
    assert ranks[0]["local"] == GLOBAL_BATCH // 2 and one_process["local"] == GLOBAL_BATCH
    single = one_process["losses"]
    assert len(single) == EPOCHS * N // GLOBAL_BATCH
    assert single[-1] < 0.5 * single[0]  # it learned
    for r in ranks:  # every rank logs the same (all-reduced) loss
        assert r["losses"] == pytest.approx(single, abs=TOL, rel=TOL)
        for a, b in zip(r["weights"], one_process["weights"], strict=True):
            assert torch.allclose(a, b, atol=TOL)


def test_two_rank_runs_are_bit_identical(tmp_path: Path, two_ranks: list[dict[str, Any]]) -> None:
    first, second = two_ranks, run_ranks(train_once, tmp_path)
    for r1, r2 in zip(first, second, strict=True):
        assert r1["losses"] == r2["losses"]
        assert all(torch.equal(a, b) for a, b in zip(r1["weights"], r2["weights"], strict=True))


def test_shards_cover_the_train_order_once() -> None:
    """Outside a process group the shard is the whole permutation, seeded by seed+epoch."""
    a, b = distributed.shard_order(10, 3, 0), distributed.shard_order(10, 3, 1)
    assert sorted(a) == list(range(10)) and a != b
    assert a == distributed.shard_order(10, 3, 0)
