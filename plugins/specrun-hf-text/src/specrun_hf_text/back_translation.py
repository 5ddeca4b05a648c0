"""``back_translation``: text -> pivot language -> text through two seq2seq models (any
Auto seq2seq: Marian, M2M-100, mBART, T5), each a save_pretrained directory or an earlier
specrun run loaded with ``specrun.load_model``. Noisy outputs are filtered (length ratio,
identical to the input, duplicates) and each filter's drop count is logged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from specrun import UserError

from .augment_base import CachedAugment
from .augment_cache import path_fingerprint
from .hf_env import device_of, import_torch, load_pretrained, resolve_store


@dataclass
class Seq2Seq:
    model: Any
    tokenizer: Any
    src_lang: str | None
    tgt_lang: str | None
    where: str  # for messages: "back_translation.forward"


def _unpack(obj: Any) -> tuple[Any, Any]:
    """(model, tokenizer) from what a plugin's load_model returned: an object with
    .model/.tokenizer, a dict with those keys, or a (model, tokenizer) pair."""
    if isinstance(obj, dict):
        return obj.get("model"), obj.get("tokenizer")
    if isinstance(obj, tuple | list) and len(obj) == 2:
        return obj[0], obj[1]
    return getattr(obj, "model", None), getattr(obj, "tokenizer", None)


def _is_seq2seq(model: Any) -> bool:
    config = getattr(model, "config", None)
    return bool(getattr(config, "is_encoder_decoder", False)) and hasattr(model, "generate")


def load_seq2seq(ref: Any, where: str, store: str | None) -> Seq2Seq:
    from .hf_env import quiet_transformers

    quiet_transformers()
    if ref.checkpoint is not None:
        from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

        config = load_pretrained(AutoConfig, str(ref.checkpoint), f"{where} config")
        if not getattr(config, "is_encoder_decoder", False):
            raise UserError(
                f"{where}.checkpoint {ref.checkpoint} is a {config.model_type!r} model, not a "
                "seq2seq (encoder-decoder) model"
            )
        tokenizer = load_pretrained(AutoTokenizer, str(ref.checkpoint), f"{where} tokenizer")
        model = load_pretrained(AutoModelForSeq2SeqLM, str(ref.checkpoint), f"{where} model")
        return Seq2Seq(model, tokenizer, ref.src_lang, ref.tgt_lang, where)
    import specrun

    run = specrun.open_store(store).run(ref.run)
    kind = (_spec_of(run).get("model") or {}).get("kind", "?")
    if run.get("status") != "finished":
        raise UserError(
            f"{where}.run {ref.run} ended {run.get('status')!r}: it has no model to use"
        )
    try:
        loaded = specrun.load_model(run["run_id"], store=store)
    except UserError as exc:
        raise UserError(
            f"{where}.run {ref.run} (model kind {kind!r}) is not a seq2seq model "
            f"this environment can load: {exc}"
        ) from None
    model, tokenizer = _unpack(loaded)
    if model is None or tokenizer is None or not _is_seq2seq(model):
        raise UserError(
            f"{where}.run {ref.run} is not a seq2seq model: its model kind is {kind!r} "
            "(back-translation needs an encoder-decoder such as Marian or M2M-100)"
        )
    return Seq2Seq(model, tokenizer, ref.src_lang, ref.tgt_lang, where)


def _spec_of(run: dict[str, Any]) -> dict[str, Any]:
    spec = run.get("spec_resolved")
    return json.loads(spec) if isinstance(spec, str) else (spec or {})


def _forced_bos(tokenizer: Any, lang: str | None) -> int | None:
    """The target-language token multilingual models must start with (M2M-100, NLLB, mBART)."""
    if not lang:
        return None
    if hasattr(tokenizer, "get_lang_id"):
        return int(tokenizer.get_lang_id(lang))
    for token in (lang, f"__{lang}__"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if tid is not None and tid != tokenizer.unk_token_id:
            return int(tid)
    raise UserError(f"the tokenizer has no language token for tgt_lang {lang!r}")


def translate(
    torch: Any, s2s: Seq2Seq, texts: list[str], p: Any, device: str, progress: Any = None
) -> list[str]:
    model, tok = s2s.model.to(device).eval(), s2s.tokenizer
    if s2s.src_lang and hasattr(tok, "src_lang"):
        tok.src_lang = s2s.src_lang
    kwargs: dict[str, Any] = {"max_new_tokens": p.max_new_tokens, "num_beams": p.num_beams}
    if p.sample:
        kwargs.update(do_sample=True, top_p=p.top_p, top_k=0)
    bos = _forced_bos(tok, s2s.tgt_lang)
    if bos is not None:
        kwargs["forced_bos_token_id"] = bos
    out: list[str] = []
    for start in range(0, len(texts), p.batch_size):
        batch = texts[start : start + p.batch_size]
        enc = tok(batch, return_tensors="pt", padding=True, truncation=True, max_length=256).to(
            device
        )
        with torch.no_grad():
            ids = model.generate(**enc, **kwargs)
        out.extend(t.strip() for t in tok.batch_decode(ids, skip_special_tokens=True))
        if progress is not None:
            progress.update(len(batch))
    return out


def filter_outputs(
    originals: list[str], outputs: list[str], p: Any
) -> tuple[list[int], dict[str, float]]:
    """Indices of the outputs kept, and the drop count of each filter (first one that fires)."""
    seen = {" ".join(t.split()) for t in originals}
    kept: list[int] = []
    dropped = {"dropped_identical": 0, "dropped_length": 0, "dropped_duplicate": 0}
    for i, (src, out) in enumerate(zip(originals, outputs, strict=True)):
        norm_src, norm_out = " ".join(src.split()), " ".join(out.split())
        ratio = len(norm_out) / max(1, len(norm_src))
        if p.drop_identical and norm_out == norm_src:
            dropped["dropped_identical"] += 1
        elif not norm_out or not (p.min_length_ratio <= ratio <= p.max_length_ratio):
            dropped["dropped_length"] += 1
        elif p.drop_duplicates and norm_out in seen:
            dropped["dropped_duplicate"] += 1
        else:
            kept.append(i)
            seen.add(norm_out)
    return kept, {k: float(v) for k, v in dropped.items()}


class BackTranslation(CachedAugment):
    kind = "back_translation"

    def fingerprints(self, ctx: Any) -> list[str]:
        import specrun

        store = resolve_store(self.p.store)
        prints = []
        for ref in (self.p.forward, self.p.backward):
            if ref.checkpoint is not None:
                prints.append(path_fingerprint(ref.checkpoint))
            else:  # a finished run's model never changes: its id is its fingerprint
                prints.append("run:" + specrun.open_store(store).resolve_run_id(ref.run))
        return prints

    def transform(
        self, ctx: Any, frames: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        import numpy as np
        import polars as pl

        torch = import_torch(ctx)
        device = device_of(ctx)
        store = resolve_store(self.p.store)
        forward = load_seq2seq(self.p.forward, "back_translation.forward", store)
        backward = load_seq2seq(self.p.backward, "back_translation.backward", store)
        train = frames["train"]
        n = train.height
        rng = np.random.default_rng(ctx.seed)
        take = np.sort(rng.choice(n, size=max(1, int(round(n * self.p.fraction))), replace=False))
        source = train[take]
        texts = [str(t) if t is not None else "" for t in source[self.p.text].to_list()]
        with ctx.progress(2 * len(texts), "back-translating") as bar:
            pivot = translate(torch, forward, texts, self.p, device, bar)
            back = translate(torch, backward, pivot, self.p, device, bar)
        kept, stats = filter_outputs(texts, back, self.p)
        ctx.log_samples(
            (
                {"input": texts[i], "reference": pivot[i], "output": back[i]}
                for i in range(min(8, len(texts)))
            ),
            split="augment",
        )
        new = source[kept].with_columns(
            pl.Series(self.p.text, [back[i] for i in kept], dtype=pl.Utf8)
        )
        if "id" in new.columns and new.schema["id"] == pl.Utf8:
            new = new.with_columns(pl.col("id") + "#bt")
        stats.update(candidates=float(len(texts)), kept=float(len(kept)))
        return {"train": pl.concat([train, new])}, stats
