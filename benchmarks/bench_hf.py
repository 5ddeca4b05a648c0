"""specrun vs a plain Hugging Face script, on the nmt_marian spec.

Both sides train the same small Marian on the same generated Korean->English pairs with
the same tokenizer settings, steps, batch, learning-rate schedule and evals (greedy
decoding + BLEU at every eval), each in its own process pinned to the same thread count:

  specrun  `specrun.run(spec)` in-process (--local) or in a Ray actor (--ray)
  plain    this file's `plain_worker`: tokenizers + MarianMTModel + Seq2SeqTrainer with
           predict_with_generate, written the way one would without specrun

Reported side by side: process wall time (imports included), the trainer's own train
runtime, training throughput (source + target tokens without padding per second of
train runtime, evals included on both sides), peak resident memory of the process, and
the final eval BLEU.

  python benchmarks/bench_hf.py                  # the full spec (minutes; an idle machine)
  python benchmarks/bench_hf.py --smoke          # a 32-wide Marian, 200 pairs, 4 steps (CI)
  python benchmarks/bench_hf.py --device cuda --precision bf16   # on a GPU (bench_gpu.py)
  python benchmarks/bench_hf.py --plain-only -o model.config.d_model=256   # tuning

Records (benchmarks/results/hf.json): "training throughput" (tokens/s, higher is better,
specrun against plain HF: the README's 0.98x), "wall time", "train runtime",
"peak memory", "final eval BLEU".

The plain worker needs only torch, transformers, tokenizers and sacrebleu (plus the
plugin's pure-Python sentence generator), so it also runs where specrun is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, Results, parser  # noqa: E402

# --smoke: every step of both sides (tokenizer training, train, generate + BLEU evals) on a
# model and data small enough for seconds
SMOKE = [
    "data.train_rows=200",
    "data.eval_rows=20",
    "trainer.max_steps=4",
    "trainer.eval_steps=2",
    "trainer.logging_steps=2",
    "trainer.warmup_steps=1",
    "trainer.samples=2",
    "trainer.batch_size=16",
    "trainer.decoding.max_new_tokens=8",
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


def peak_rss_mb() -> float:
    """Peak resident set of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def set_dotted(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        data = data.setdefault(k, {})
    data[keys[-1]] = value


# ----------------------------------------------------------------------------- plain


def plain_worker(spec: dict[str, Any], threads: int, device: str = "cpu") -> dict[str, Any]:
    """The same training written directly against transformers: no specrun anywhere."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the plugin does; see runtime.py
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    import torch
    from sacrebleu.metrics import BLEU
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import (
        DataCollatorForSeq2Seq,
        MarianConfig,
        MarianMTModel,
        PreTrainedTokenizerFast,
        Seq2SeqTrainer,
        Seq2SeqTrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    sys.path.insert(0, str(ROOT / "plugins" / "specrun-hf" / "src"))
    from specrun_hf.grammar_ko_en import generate_pairs  # pure Python: the data, not the training

    hf_logging.set_verbosity_error()
    torch.set_num_threads(threads)
    d, m, t = spec["data"], spec["model"], spec["trainer"]
    seed = spec.get("seed", 0) if d.get("seed") is None else d["seed"]
    pairs = generate_pairs(d["train_rows"], d["eval_rows"], 0, d["held_out"], seed)
    train, evals = pairs["train"], pairs["eval"]

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer, tok.decoder = pre_tokenizers.Metaspace(), decoders.Metaspace()
    train_cfg = m["tokenizer"]["train"]
    tok.train_from_iterator(
        [r[0] for r in train] + [r[1] for r in train],
        trainers.BpeTrainer(
            vocab_size=train_cfg["vocab_size"],
            min_frequency=train_cfg.get("min_frequency", 2),
            special_tokens=["<pad>", "</s>", "<unk>", "<s>"],
            show_progress=False,
        ),
    )
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        bos_token="<s>",
    )

    torch.manual_seed(spec.get("seed", 0))
    ids = {
        "vocab_size": len(tokenizer),
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "forced_eos_token_id": 1,
    }
    config = MarianConfig(
        **{
            "d_model": 256,
            "encoder_layers": 3,
            "decoder_layers": 3,
            "max_position_embeddings": 256,
            "scale_embedding": True,
            **m["config"],
            **ids,
        }
    )
    model = MarianMTModel(config)
    for k, v in ids.items():
        if k != "vocab_size":
            setattr(model.generation_config, k, v)

    def encode(rows: list[tuple[str, ...]]) -> list[dict[str, list[int]]]:
        enc = tokenizer(
            [r[0] for r in rows],
            text_target=[r[1] for r in rows],
            truncation=True,
            max_length=m["max_source_length"],
        )
        return [
            {"input_ids": a, "labels": b}
            for a, b in zip(enc["input_ids"], enc["labels"], strict=True)
        ]

    train_data, eval_data = encode(train), encode(evals)
    bleu = BLEU()

    history: list[dict[str, float]] = []

    def compute_metrics(pred: Any) -> dict[str, float]:
        # References come from label_ids, not from `evals`: with group_by_length the HF
        # Trainer also length-groups the eval sampler, so predictions are not in data order.
        hyp_ids = [[i for i in row if i >= 0] for row in pred.predictions]
        ref_ids = [[i for i in row if i >= 0] for row in pred.label_ids]
        hyps = [h.strip() for h in tokenizer.batch_decode(hyp_ids, skip_special_tokens=True)]
        refs = [r.strip() for r in tokenizer.batch_decode(ref_ids, skip_special_tokens=True)]
        score = bleu.corpus_score(hyps, [refs]).score
        # Progress on stderr, so a run cut short still tells how far it got.
        history.append(
            {
                "step": trainer.state.global_step,
                "bleu": score,
                "elapsed_s": time.perf_counter() - started,
            }
        )
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
        return {"bleu": score}

    dec = t["decoding"]
    with tempfile.TemporaryDirectory() as out:
        args = Seq2SeqTrainingArguments(
            output_dir=out,
            per_device_train_batch_size=t["batch_size"],
            per_device_eval_batch_size=t["eval_batch_size"],
            max_steps=t["max_steps"],
            learning_rate=t["lr"],
            lr_scheduler_type=t["lr_scheduler"],
            warmup_steps=t["warmup_steps"],
            weight_decay=t["weight_decay"],
            label_smoothing_factor=t["label_smoothing"],
            logging_steps=t["logging_steps"],
            eval_strategy="steps",
            eval_steps=t["eval_steps"],
            eval_on_start=t["eval_on_start"],
            save_strategy="no",
            predict_with_generate=True,
            generation_max_length=dec["max_new_tokens"] + 1,
            generation_num_beams=1,
            report_to="none",
            disable_tqdm=True,
            use_cpu=device != "cuda",
            bf16=t.get("precision") == "bf16",
            fp16=t.get("precision") == "fp16",
            seed=spec.get("seed", 0),
            train_sampling_strategy="group_by_length",
            dataloader_num_workers=0,
        )
        trainer = Seq2SeqTrainer(
            model=model,
            args=args,
            train_dataset=train_data,
            eval_dataset=eval_data,
            data_collator=DataCollatorForSeq2Seq(tokenizer, model),
            processing_class=tokenizer,
            compute_metrics=compute_metrics,
        )
        out_train = trainer.train()
        final = trainer.evaluate()
    runtime = out_train.metrics["train_runtime"]
    tokens = sum(len(f["input_ids"]) + len(f["labels"]) for f in train_data) / len(train_data)
    examples = t["max_steps"] * t["batch_size"] * t.get("grad_accum", 1)
    return {
        "wall_s": time.perf_counter() - started,
        "train_runtime_s": runtime,
        "tokens_per_s": examples * tokens / runtime,
        "peak_rss_mb": peak_rss_mb(),
        "bleu": final["eval_bleu"],
        "loss": final["eval_loss"],
        "history": history,
    }


# ----------------------------------------------------------------------------- specrun


def specrun_worker(spec_path: str, overrides: list[str], ray: bool) -> dict[str, Any]:
    started = time.perf_counter()
    import specrun

    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "bench.duckdb")
        result = specrun.run(spec_path, overrides=overrides, store=store, local=not ray)
        if result.status != "finished":
            raise SystemExit(f"specrun run failed: {result.error}")
        final = specrun.open_store(store).final_metrics(result.run_id)
    values = {(r["split"], r["name"]): r["value"] for r in final.iter_rows(named=True)}
    out = {
        "wall_s": time.perf_counter() - started,
        "train_runtime_s": values[("train", "runtime_s")],
        "tokens_per_s": values[("train", "tokens_per_s")],
        "peak_rss_mb": peak_rss_mb(),
        "bleu": values[("eval", "bleu")],
        "loss": values[("eval", "loss")],
    }
    if ray:
        out["note"] = "peak memory is the driver's; the Ray actor is another process"
    return out


# ----------------------------------------------------------------------------- driver


def run_child(args: list[str], threads: int) -> dict[str, Any]:
    """A worker in its own process (imports and peak memory counted on each side alone)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), SPECRUN_QUIET="1")
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


FIELDS = [
    ("wall time (s)", "wall_s", "{:.1f}", "wall time", "s", "lower"),
    ("train runtime (s)", "train_runtime_s", "{:.1f}", "train runtime", "s", "lower"),
    (
        "throughput (tokens/s)",
        "tokens_per_s",
        "{:,.0f}",
        "training throughput",
        "tokens/s",
        "higher",
    ),
    ("peak memory (MB)", "peak_rss_mb", "{:,.0f}", "peak memory", "MB", "lower"),
    ("final eval BLEU", "bleu", "{:.1f}", "final eval BLEU", "BLEU", "higher"),
    ("final eval loss", "loss", "{:.3f}", None, "", ""),
]


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    names = list(rows)
    print(f"{'':24}" + "".join(f"{n:>16}" for n in names))
    for label, key, fmt, *_ in FIELDS:
        print(f"{label:24}" + "".join(f"{fmt.format(rows[n][key]):>16}" for n in names))
    if len(names) == 2 and all("tokens_per_s" in rows[n] for n in names):
        a, b = (rows[n]["tokens_per_s"] for n in names)
        print(f"\n{names[0]} throughput = {a / b:.2f} x {names[1]}")
    if "plain HF" in rows:
        print(
            "(eval loss: specrun reports plain cross-entropy; the HF Trainer's includes label smoothing)"
        )
    for n in names:
        if rows[n].get("note"):
            print(f"note ({n}): {rows[n]['note']}")


def record(res: Results, rows: dict[str, dict[str, Any]], sizes: dict[str, Any]) -> None:
    ours, plain = rows.get("specrun"), rows.get("plain HF")
    for _, key, _, name, unit, better in FIELDS:
        if name is None:
            continue
        res.add(
            name,
            ours[key] if ours else None,
            unit=unit,
            better=better,
            peer=plain[key] if plain else None,
            peer_name="plain HF" if plain else None,
            sizes=sizes,
        )


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--spec", default=str(ROOT / "specs" / "nmt_marian.yaml"))
    ap.add_argument(
        "-o", "--override", action="append", default=[], help="spec override (both sides)"
    )
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for both sides")
    ap.add_argument(
        "--ray", action="store_true", help="run specrun in a Ray actor (default: in-process)"
    )
    ap.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="cuda: both sides on the GPU (specrun: resources.gpus=1)",
    )
    ap.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16"],
        default=None,
        help="trainer.precision on both sides (default: the spec's)",
    )
    ap.add_argument("--bench-name", default="hf", help=argparse.SUPPRESS)  # bench_gpu: hf_gpu
    ap.add_argument("--plain-only", action="store_true")
    ap.add_argument("--specrun-only", action="store_true")
    ap.add_argument("--worker", choices=["plain", "specrun"], help=argparse.SUPPRESS)
    ap.add_argument("--resolved", help=argparse.SUPPRESS)
    args = ap.parse_args()
    overrides = (
        (SMOKE if args.smoke else [])
        + args.override
        + [f"trainer.num_threads={args.threads}"]
        + ([f"trainer.precision={args.precision}"] if args.precision else [])
        + (["resources.gpus=1"] if args.device == "cuda" else [])
    )

    if args.worker == "plain":
        spec = json.loads(Path(args.resolved).read_text())
        print(json.dumps(plain_worker(spec, args.threads, args.device)))
        return
    if args.worker == "specrun":
        print(json.dumps(specrun_worker(args.spec, overrides, args.ray)))
        return

    res = Results(args.bench_name, args)
    res.uses("transformers", "torch", "tokenizers", "sacrebleu")
    rows: dict[str, dict[str, Any]] = {}
    if not args.plain_only:
        same = [
            "--spec",
            args.spec,
            "--threads",
            str(args.threads),
            "--device",
            args.device,
            *(["--precision", args.precision] if args.precision else []),
            *(["--smoke"] if args.smoke else []),
            *(["--ray"] if args.ray else []),
            *sum((["-o", o] for o in args.override), []),
        ]
        rows["specrun"] = run_child(["--worker", "specrun", *same], args.threads)
    spec = resolved_spec(args.spec, overrides)
    if not args.specrun_only:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(spec, fh)
        try:
            rows["plain HF"] = run_child(
                [
                    "--worker",
                    "plain",
                    "--resolved",
                    fh.name,
                    "--threads",
                    str(args.threads),
                    "--device",
                    args.device,
                ],
                args.threads,
            )
        finally:
            os.unlink(fh.name)
    print_table(rows)
    t = spec.get("trainer", {})
    record(
        res,
        rows,
        {
            "spec": Path(args.spec).name,
            "overrides": overrides,
            "train_rows": spec.get("data", {}).get("train_rows"),
            "max_steps": t.get("max_steps"),
            "batch_size": t.get("batch_size"),
            "threads": args.threads,
            "device": args.device,
            "precision": t.get("precision", "fp32"),
            "ray": args.ray,
        },
    )
    res.finish(table=False)


def resolved_spec(spec_path: str, overrides: list[str]) -> dict[str, Any]:
    """The spec after extends and overrides, through specrun when it is installed (light:
    no torch), else the raw YAML with overrides applied (for tuning on a bare machine)."""
    try:
        import specrun

        return specrun.load_spec(spec_path, overrides).data
    except ImportError:
        import yaml

        base = yaml.safe_load((Path(spec_path).parent / "base" / "seq2seq.yaml").read_text())
        top = yaml.safe_load(Path(spec_path).read_text())
        merged = {**base, **top, "trainer": {**base["trainer"], **top.get("trainer", {})}}
        for o in overrides:
            key, _, value = o.partition("=")
            set_dotted(merged, key, yaml.safe_load(value))
        return merged


if __name__ == "__main__":
    main()
