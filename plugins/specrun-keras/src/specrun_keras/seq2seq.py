"""Model kind ``keras_seq2seq``: an LSTM encoder-decoder translator that trains itself.

Per epoch the store gets train loss/token accuracy/lr, the teacher-forced eval loss and
token accuracy, and, every ``eval_every`` epochs, greedy translations of the eval split
scored by the spec's metrics (``bleu`` from the hf plugin: metrics are shared by kind) and
an exact-match rate computed here. Epoch 0 is the untrained network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from specrun import DataError, Dataset, Predictions

from .card import MODEL_CARD
from .runtime import configure_threads, fit_verbosity, keras_module, seed_keras
from .seq2seq_params import KerasSeq2SeqParams
from .vocab import Vocab, encode_sources, encode_targets, join_units, split_units

keras = keras_module()


@dataclass
class Translator:
    nets: Any  # seq2seq_net.Seq2SeqNets
    src_vocab: Vocab
    tgt_vocab: Vocab
    texts: dict[str, tuple[list[str], list[str]]]  # split -> (sources, references)
    longest_target: int  # units, in the train split


class KerasSeq2Seq:
    def __init__(self, params: KerasSeq2SeqParams):
        self.p = params

    # -- data ------------------------------------------------------------------------
    def _columns(self, data: Dataset) -> tuple[str, str]:
        source = self.p.source or data.meta.get("source") or "source"
        target = self.p.target or data.meta.get("target") or "target"
        return str(source), str(target)

    def _pairs(
        self, frame: Any, split: str, source: str, target: str
    ) -> tuple[list[str], list[str]]:
        for key, col in (("source", source), ("target", target)):
            if col not in frame.columns:
                raise DataError(
                    f"model.{key}: column {col!r} is not in the {split} split "
                    f"(columns: {', '.join(frame.columns)}); set model.{key}"
                )
        pairs = [
            (str(s), str(t))
            for s, t in zip(frame[source].to_list(), frame[target].to_list(), strict=True)
            if s is not None and t is not None and str(s).strip() and str(t).strip()
        ]
        return [s for s, _ in pairs], [t for _, t in pairs]

    def _units(self, texts: list[str]) -> list[list[str]]:
        return [split_units(t, self.p.tokens, self.p.lowercase) for t in texts]

    def _arrays(self, model: Translator, split: str) -> tuple[Any, Any, Any, int]:
        sources, references = model.texts[split]
        src, cut_s = encode_sources(
            self._units(sources), model.src_vocab, self.p.max_source_len, self.p.reverse_source
        )
        dec_in, dec_out, cut_t = encode_targets(
            self._units(references), model.tgt_vocab, self.p.max_target_len
        )
        return src, dec_in, dec_out, cut_s + cut_t

    # -- protocol --------------------------------------------------------------------
    def build(self, ctx: Any, data: Dataset) -> Translator:
        configure_threads(ctx.resources.get("cpus"))
        seed_keras(keras, ctx.seed)
        source, target = self._columns(data)
        texts = {}
        for split in ("train", "eval", "test"):
            if split in data.splits:
                texts[split] = self._pairs(data.splits[split], split, source, target)
        if not texts["train"][0]:
            raise DataError(f"model: the train split has no non-empty ({source}, {target}) pairs")
        p = self.p
        src_vocab = Vocab.build(self._units(texts["train"][0]), p.min_count, p.max_vocab)
        tgt_vocab = Vocab.build(self._units(texts["train"][1]), p.min_count, p.max_vocab)
        from .seq2seq_net import build_networks

        nets = build_networks(p, len(src_vocab), len(tgt_vocab), ctx.seed)
        ctx.log(
            f"{nets.train.name}: {nets.train.count_params():,} parameters, {p.tokens} vocab "
            f"{len(src_vocab)} -> {len(tgt_vocab)}"
            + (", source reversed" if p.reverse_source else "")
        )
        longest = max(len(u) for u in self._units(texts["train"][1]))
        return Translator(nets, src_vocab, tgt_vocab, texts, longest)

    def fit(self, ctx: Any, model: Translator, data: Dataset) -> Translator:
        from .seq2seq_net import masked_accuracy, masked_loss
        from .training import (
            RunReporter,
            make_callbacks,
            make_optimizer,
            settle_final_step,
            steps_per_epoch,
        )

        p = self.p
        src, dec_in, dec_out, cut = self._arrays(model, "train")
        if cut:
            ctx.log(f"{cut} train pair(s) longer than max_source_len/max_target_len were truncated")
        spe = steps_per_epoch(len(src), p.batch_size)
        model.nets.train.compile(
            optimizer=make_optimizer(p, spe),
            loss=masked_loss,
            metrics=[keras.metrics.MeanMetricWrapper(masked_accuracy, name="token_accuracy")],
        )
        has_eval = "eval" in model.texts and bool(model.texts["eval"][0])
        validation = None
        if has_eval:
            e_src, e_in, e_out, _ = self._arrays(model, "eval")
            validation = ([e_src, e_in], e_out)

        last: dict[str, Any] = {}
        n_eval = len(model.texts["eval"][0]) if has_eval else 0

        def evaluate_epoch(epoch: int) -> None:
            # The last epoch decodes the whole split: it is usually the final evaluation.
            limit = None if epoch == p.epochs else p.eval_limit
            if epoch == 0 or epoch == p.epochs or (p.eval_every and epoch % p.eval_every == 0):
                preds = self._predictions(model, "eval", limit=limit)
                ctx.evaluate(preds, step=epoch)
                if not limit or limit >= n_eval:
                    last.update(step=epoch, preds=preds)

        if has_eval:
            loss, acc = model.nets.train.evaluate(
                validation[0], validation[1], batch_size=p.batch_size, verbose=fit_verbosity()
            )
            ctx.log_metrics({"loss": loss, "token_accuracy": acc}, step=0, split="eval")
            evaluate_epoch(0)
        reporter = RunReporter(
            ctx,
            p.epochs * spe,
            f"training {model.nets.train.name}",
            evaluate_epoch if has_eval else None,
        )
        callbacks = make_callbacks(ctx, p, reporter, monitor_eval=has_eval)
        model.nets.train.fit(
            [src, dec_in],
            dec_out,
            batch_size=p.batch_size,
            epochs=p.epochs,
            shuffle=True,
            validation_data=validation,
            callbacks=callbacks,
            verbose=fit_verbosity(),
        )
        if settle_final_step(ctx, callbacks, last.get("step")):
            self._log_samples(ctx, last["preds"])
        return model

    def translate(self, model: Translator, sources: list[str]) -> list[str]:
        from .seq2seq_net import greedy_decode

        src, _ = encode_sources(
            self._units(sources), model.src_vocab, self.p.max_source_len, self.p.reverse_source
        )
        # An untrained model never says </s>: cap its babble a little beyond the longest
        # training target instead of at max_target_len.
        limit = min(self.p.max_target_len, model.longest_target + 5) + 1
        ids = greedy_decode(model.nets, src, limit, max(self.p.batch_size, 64))
        return [join_units(model.tgt_vocab.units(row), self.p.tokens) for row in ids]

    def _predictions(self, model: Translator, split: str, limit: int | None = None) -> Predictions:
        sources, references = model.texts[split]
        if limit:
            sources, references = sources[:limit], references[:limit]
        hyps = self.translate(model, sources)
        # The teacher-forced loss of the whole split (cheap next to decoding, and the same
        # number Keras's validation logs), for the shared `loss` kind (loss, perplexity).
        src, dec_in, dec_out, _ = self._arrays(model, split)
        loss, _ = model.nets.train.evaluate(
            [src, dec_in], dec_out, batch_size=max(self.p.batch_size, 64), verbose=fit_verbosity()
        )
        # Compared as the model sees text (lowercased, units re-joined): formatting is not
        # what this number is about; BLEU from the metrics section scores the raw strings.
        normal = [
            join_units(split_units(r, self.p.tokens, self.p.lowercase), self.p.tokens)
            for r in references
        ]
        exact = sum(h == r for h, r in zip(hyps, normal, strict=True)) / max(1, len(hyps))
        return Predictions(
            split,
            outputs=hyps,
            references=references,
            inputs=sources,
            extra={"metric:exact_match": exact, "loss": float(loss)},
        )

    def predict(self, ctx: Any, model: Translator, data: Dataset, split: str) -> Predictions | None:
        if split not in model.texts or not model.texts[split][0]:
            return None
        preds = self._predictions(model, split)
        self._log_samples(ctx, preds)
        return preds

    def _log_samples(self, ctx: Any, preds: Predictions) -> None:
        n = min(self.p.samples, len(preds.outputs or []))
        ctx.log_samples(
            (
                {
                    "input": preds.inputs[i],
                    "reference": preds.references[i],
                    "output": preds.outputs[i],
                }
                for i in range(n)
            ),
            split=preds.split,
        )

    def save(self, ctx: Any, model: Translator) -> None:
        out = ctx.work_dir / "keras_seq2seq"
        out.mkdir(exist_ok=True)
        model.nets.train.save_weights(out / "model.weights.h5")
        (out / "vocab.json").write_text(
            json.dumps(
                {
                    "source": model.src_vocab.to_json(),
                    "target": model.tgt_vocab.to_json(),
                    "longest_target": model.longest_target,
                    "params": self.p.model_dump(mode="json"),
                },
                ensure_ascii=False,
            )
        )
        (out / MODEL_CARD).write_text(json.dumps({"kind": "keras_seq2seq", "format": 1}))
        ctx.save_artifact(out, "model", kind="model")
