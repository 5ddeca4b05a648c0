"""The `retrieval_trainer` kind: in-batch-negatives training of each stage of a retrieval
model (a retrieve-and-rerank model trains its retriever, then its re-ranker), evaluation
in the 1-true + (N-1)-negatives protocol before, during and after training, and the
candidate pool embedded once and indexed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import numpy as np
import torch
from specrun import DataError, Dataset, Predictions

from specrun_torchkit import distributed, loop
from specrun_torchkit.loop import LoopSettings

from . import evaluation
from .artifacts import save_model
from .bot import RetrievalBot
from .models import CrossModel, RerankModel, TwoTowerModel
from .params import RetrievalTrainerParams


def _stages(model: Any) -> list[tuple[str, Any]]:
    if isinstance(model, RerankModel):
        return [("retriever", model.retriever), ("reranker", model.reranker)]
    return [("retriever" if isinstance(model, TwoTowerModel) else "reranker", model)]


def _columns(model: Any) -> tuple[str, str]:
    p = (model.retriever if isinstance(model, RerankModel) else model).params
    return p.context_column, p.response_column


class RetrievalTrainer:
    def __init__(self, params: RetrievalTrainerParams):
        self.params = params
        self.sets: dict[str, evaluation.CandidateSets] = {}
        self.bot: RetrievalBot | None = None
        self.finished = False  # the engine's final predictions come after fit

    # -- training -------------------------------------------------------------------------
    def fit(self, ctx: Any, model: Any, data: Dataset) -> Any:
        p = self.params
        torch.set_num_threads(ctx.cpu_threads(p.threads))
        for split in ("eval", "test"):  # fail on too-small splits before spending time training
            if split in data and len(data[split]):
                self._sets(ctx, model, data, split)
        train = data["train"]
        ctx_col, resp_col = _columns(model)
        contexts = [str(t) for t in train[ctx_col].to_list()]
        responses = [str(t) for t in train[resp_col].to_list()]
        if len(contexts) < 2:
            raise DataError("the train split needs at least 2 pairs for in-batch negatives")
        has_eval = "eval" in data and len(data["eval"]) > 0
        if has_eval:
            ctx.evaluate(self.predict(ctx, model, data, "eval"), step=0)
        stages = _stages(model)
        for n, (name, stage) in enumerate(stages):
            hard = None
            if isinstance(model, RerankModel) and name == "reranker":
                if model.params.warm_start:
                    started = model.warm_start_reranker()
                    ctx.log(
                        "re-ranker "
                        + (
                            "starts from the retriever's context encoder"
                            if started
                            else "starts fresh: its encoder differs from the retriever's"
                        )
                    )
                if p.hard_negative_share:
                    hard = self._mine_hard_negatives(ctx, model.retriever, contexts, responses)
            last = n == len(stages) - 1
            self._train_stage(
                ctx, name, stage, contexts, responses, model, data if has_eval else None, hard, last
            )
        self.bot = self._index_pool(ctx, model, data)
        self.finished = True
        if has_eval:  # the final eval, now with the pool metrics; the engine then skips eval
            ctx.evaluate(self.predict(ctx, model, data, "eval"))
        return model

    def _train_stage(
        self,
        ctx: Any,
        name: str,
        stage: Any,
        contexts: list[str],
        responses: list[str],
        model: Any,
        data: Dataset | None,
        hard: list[list[str]] | None = None,
        last: bool = False,
    ) -> None:
        p = self.params
        rank, world = distributed.world()
        batch = min(p.batch_size, len(contexts))  # global: each of W workers takes batch / W
        local = max(1, batch // world)
        per_epoch = len(contexts) // (local * world)  # drop the last partial batch
        reranker = name == "reranker"
        epochs = p.reranker_epochs if reranker and p.reranker_epochs is not None else p.epochs
        lr = p.reranker_lr if reranker and p.reranker_lr is not None else p.lr
        total = per_epoch * epochs if p.max_steps is None else min(p.max_steps, per_epoch * epochs)
        if total == 0:
            return
        rng = np.random.default_rng([ctx.seed + len(name), rank])

        def sample(near_misses: list[str]) -> list[str]:
            """A fresh draw of the re-ranker's negatives from a context's near misses."""
            k = min(round(p.hard_negative_share * stage.params.negatives), len(near_misses))
            return [near_misses[j] for j in rng.choice(len(near_misses), k, replace=False)]

        def epoch_batches(epoch: int) -> Iterator[list[int]]:
            order = distributed.shard_order(len(contexts), ctx.seed, epoch, salt=len(name))
            for start in range(0, per_epoch * local, local):
                yield order[start : start + local]

        def loss_of(idx: list[int]) -> Any:
            batch_ctx = [contexts[i] for i in idx]
            batch_resp = [responses[i] for i in idx]
            if hard is None:
                return stage.loss(batch_ctx, batch_resp)
            return stage.loss(batch_ctx, batch_resp, [sample(hard[i]) for i in idx])

        def evaluate() -> None:
            assert data is not None
            ctx.evaluate(self.predict(ctx, model, data, "eval"))

        settings = LoopSettings(
            lr=lr,
            weight_decay=p.weight_decay,
            warmup_ratio=p.warmup,
            grad_clip=p.grad_clip,
            eval_every=p.eval_every or per_epoch,
            log_every=10,
            loss_name=f"{name}_loss",
            lr_name=f"{name}_lr",
        )
        with stage.on(ctx.device):
            loop.train(
                ctx,
                torch,
                stage.net,
                settings,
                ctx.device,
                total,
                per_epoch,
                epoch_batches,
                loss_of,
                evaluate if data is not None else None,
                f"training {name} ({stage.kind})",
                # the last stage's last step is evaluated by fit, once the pool is indexed
                evaluate_last=not last,
            )

    def _mine_hard_negatives(
        self, ctx: Any, retriever: TwoTowerModel, contexts: list[str], responses: list[str]
    ) -> list[list[str]]:
        """For each training context, the trained retriever's best wrong responses: the
        candidates a re-ranker has to tell apart when serving. Random in-batch negatives are
        mostly of another intent: a re-ranker trained only on them learns the intents, which
        the retriever already knows, and little of the details that separate its near misses
        (measured here: pool recall@1 0.21 with in-batch negatives only, 0.29 with mined)."""
        k = self.params.hard_negatives_from
        texts = list(dict.fromkeys(responses))
        bs = self.params.encode_batch_size
        out: list[list[str]] = []
        with retriever.on(ctx.device), ctx.progress(len(contexts), "mining hard negatives") as bar:
            vectors = retriever.encode_candidates(texts, bs)
            for start in range(0, len(contexts), bs):
                scores = retriever.score(
                    retriever.encode_contexts(contexts[start : start + bs], bs), vectors
                )
                top = np.argsort(-scores, axis=1, kind="stable")[:, : k + 1]
                for row, truth in zip(top, responses[start : start + bs], strict=True):
                    out.append([texts[j] for j in row if texts[j] != truth][:k])
                bar.update(len(top))
        return out

    def _index_pool(self, ctx: Any, model: Any, data: Dataset) -> RetrievalBot | None:
        """Embed the bot's candidate pool once, with an index sized to it."""
        if isinstance(model, CrossModel):
            return None  # a cross-encoder alone cannot index candidates
        retriever = model.retriever if isinstance(model, RerankModel) else model
        _, resp_col = _columns(model)
        splits = (
            ["train"]
            if self.params.pool == "train"
            else [s for s in ("train", "eval", "test") if s in data]
        )
        texts = list(dict.fromkeys(str(t) for s in splits for t in data[s][resp_col].to_list()))
        with retriever.on(ctx.device), ctx.progress(len(texts), "embedding candidate pool") as bar:
            bot = RetrievalBot.from_texts(
                model, texts, self.params.encode_batch_size, progress=bar, run_id=ctx.run_id
            )
        ctx.log(f"candidate pool: {bot.index.describe()}")
        ctx.log_metrics({"pool_size": len(texts)}, split="train")
        return bot

    # -- evaluation ---------------------------------------------------------------------------
    def _sets(self, ctx: Any, model: Any, data: Dataset, split: str) -> evaluation.CandidateSets:
        if split not in self.sets:
            ctx_col, resp_col = _columns(model)
            self.sets[split] = evaluation.candidate_sets(
                data[split],
                ctx_col,
                resp_col,
                self.params.eval_candidates,
                self.params.eval_contexts,
                ctx.seed,
                split,
            )
        return self.sets[split]

    def predict(self, ctx: Any, model: Any, data: Dataset, split: str) -> Predictions:
        sets = self._sets(ctx, model, data, split)
        with ExitStack() as stack:
            for _, stage in _stages(model):
                stack.enter_context(stage.on(ctx.device))
            preds = evaluation.predictions(
                model, sets, split, self.params.encode_batch_size, self.bot
            )
        if self.params.samples and self.finished:
            k = min(self.params.samples, len(sets.contexts))
            scores = np.asarray(preds.scores)  # (contexts, N): the true response in column 0
            ctx.log_samples(
                (
                    {
                        "input": sets.contexts[i],
                        "reference": sets.references[i],
                        "output": preds.outputs[i],
                        # 1 = the true response ranked first among its N candidates
                        "rank_of_true": int(1 + (scores[i, 1:] > scores[i, 0]).sum()),
                        "candidates": int(scores.shape[1]),
                    }
                    for i in range(k)
                ),
                split=split,
            )
        return preds

    def save(self, ctx: Any, model: Any) -> None:
        save_model(ctx, model, self.bot)
