"""Benchmarks of specrun-hf-text, printed as numbers (standalone: no pytest).

  python benchmarks/bench_hf_text.py                    # everything, the measured sizes
  python benchmarks/bench_hf_text.py --smoke            # tiny sizes, every code path (CI)
  python benchmarks/bench_hf_text.py --only augment --rows 2000
  python benchmarks/bench_hf_text.py --only kfold --folds 3

Records (benchmarks/results/hf_text.json): "eda word2vec", "eda file synonyms" (input
rows/s), "back_translation beams=1", "back_translation beams=4" (rows/s), "k-fold cv"
(parallel Ray actors, against sequential in-process: wall s).

- augment: throughput (rows/s, CPU) of eda (word2vec synonyms, file synonyms) and of
  back_translation through two randomly initialised Marian models saved locally (the speed
  of generation does not depend on what the weights learned). The cache is off.
- kfold: wall time of specs/classify_bert.yaml (made small) as a cv run with the folds in
  parallel (Ray actors) and one after another (in-process), through core's ``cv:``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, Results, parser

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("SPECRUN_QUIET", "1")


def headlines(rows: int, seed: int = 0) -> Any:
    from specrun_hf_text.data_headlines import KoreanHeadlines
    from specrun_hf_text.params_data import KoreanHeadlinesParams

    class Ctx:
        spec: dict = {}

    Ctx.seed = seed
    return KoreanHeadlines(KoreanHeadlinesParams(rows=rows, split={"eval": 0.0})).load(Ctx())


def context(work: Path) -> Any:
    from specrun import RunContext

    return RunContext("bench", {"seed": 0, "resources": {"cpus": 1}}, lambda event: None, work)


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def save_marian(path: Path, texts: list[str], d_model: int, layers: int, seed: int) -> Path:
    import torch
    from transformers import MarianConfig, MarianMTModel

    from specrun_hf_text.params_common import TokenizerSpec
    from specrun_hf_text.tokenizer_training import train_tokenizer

    torch.manual_seed(seed)
    tok = train_tokenizer(
        texts,
        TokenizerSpec(kind="wordpiece", vocab_size=4000, min_frequency=1),
        {"pad_token": "<pad>", "unk_token": "<unk>", "eos_token": "</s>"},
        add_cls_sep=False,
    )
    config = MarianConfig(
        vocab_size=len(tok),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=4 * d_model,
        decoder_ffn_dim=4 * d_model,
        max_position_embeddings=256,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
    )
    MarianMTModel(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def bench_augment(args: argparse.Namespace, res: Results) -> list[tuple[str, str]]:
    import torch

    from specrun_hf_text.back_translation import BackTranslation
    from specrun_hf_text.eda import Eda
    from specrun_hf_text.hf_env import quiet_transformers
    from specrun_hf_text.params_augment import BackTranslationParams, EdaParams

    quiet_transformers()
    torch.set_num_threads(args.threads)
    rows: list[tuple[str, str]] = []
    data = headlines(args.rows)
    n = data["train"].height
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        syn = work / "syn.tsv"
        syn.write_text("경제\t경기 살림\n주가\t증시\n축구\t풋볼\n정부\t당국\n", encoding="utf-8")
        for record, label, params in (
            (
                "eda word2vec",
                "eda word2vec (incl. training it), 4 copies",
                EdaParams(copies=4, cache=False),
            ),
            (
                "eda file synonyms",
                "eda file synonyms, 4 copies",
                EdaParams(copies=4, cache=False, synonyms={"source": "file", "path": syn}),
            ),
        ):
            out, secs = timed(lambda p=params: Eda(p).apply(context(work), data))
            res.add(
                record,
                n / secs,
                unit="rows/s",
                better="higher",
                sizes={"rows": n, "copies": 4},
                seconds=secs,
                rows_made=out["train"].height - n,
            )
            rows.append(
                (
                    label,
                    f"{n / secs:,.0f} input rows/s  ({out['train'].height - n} rows made "
                    f"from {n} in {secs:.2f}s)",
                )
            )
        texts = data["train"]["text"].to_list()
        fwd = save_marian(work / "fwd", texts, args.d_model, args.layers, 1)
        bwd = save_marian(work / "bwd", texts, args.d_model, args.layers, 2)
        bt_rows = min(n, args.bt_rows)
        small = data.replace(train=data["train"].head(bt_rows))
        for beams in (1, 4):
            params = BackTranslationParams(
                forward={"checkpoint": fwd},
                backward={"checkpoint": bwd},
                num_beams=beams,
                max_new_tokens=32,
                batch_size=32,
                cache=False,
            )
            _, secs = timed(lambda p=params: BackTranslation(p).apply(context(work), small))
            res.add(
                f"back_translation beams={beams}",
                bt_rows / secs,
                unit="rows/s",
                better="higher",
                sizes={"rows": bt_rows, "d_model": args.d_model, "layers": args.layers},
                seconds=secs,
            )
            rows.append(
                (
                    f"back_translation (Marian d={args.d_model} L={args.layers}, beams={beams})",
                    f"{bt_rows / secs:,.1f} rows/s  ({bt_rows} rows, two hops, {secs:.1f}s)",
                )
            )
    return rows


# --smoke: the classifier of tests/test_reproducible.py (one layer, 32 wide)
SMOKE_CLASSIFIER = [
    "data.topics=4",
    "model.max_length=24",
    "trainer.batch_size=32",
    "model.config.hidden_size=32",
    "model.config.intermediate_size=64",
    "model.config.num_hidden_layers=1",
    "model.tokenizer.vocab_size=600",
]


def bench_kfold(args: argparse.Namespace, res: Results) -> list[tuple[str, str]]:
    import specrun

    try:
        from specrun.cv.driver import run_cv
    except ImportError:
        res.skip("k-fold cv", "this specrun has no cv support (specrun.cv)")
        return [("k-fold", "skipped: this specrun has no cv support (specrun.cv)")]
    overrides = [
        f"data.rows={args.kfold_rows}",
        f"trainer.epochs={1 if args.smoke else 2}",
        "trainer.threads=1",
        "resources.cpus=1",
        f"cv={{folds: {args.folds}, stratify: label}}",
        *(SMOKE_CLASSIFIER if args.smoke else []),
    ]
    spec = specrun.load_spec(str(ROOT / "specs" / "classify_bert.yaml"), overrides)
    rows = []
    walls: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, label in (("local", "sequential (in-process)"), ("ray", "parallel (Ray actors)")):
            store = str(Path(tmp) / f"{mode}.duckdb")
            result, secs = timed(
                lambda m=mode, s=store: run_cv(
                    spec, store=s, mode=m, quiet=True, print_result=False
                )
            )
            acc = result.metrics.get("test/accuracy")
            walls[mode] = secs
            if result.status != "finished":
                raise SystemExit(f"the {mode} cv run ended {result.status}: {result.error}")
            rows.append(
                (
                    f"{args.folds}-fold cv, {label}",
                    f"{secs:.1f}s wall, status {result.status}"
                    + (f", mean test accuracy {acc:.3f}" if acc is not None else ""),
                )
            )
    res.add(
        "k-fold cv",
        walls["ray"],
        peer=walls["local"],
        peer_name="sequential in-process",
        sizes={"folds": args.folds, "rows": args.kfold_rows},
        parallel="Ray actors",
    )
    return rows


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--only", choices=["augment", "kfold"], default=None)
    ap.add_argument("--rows", type=int, default=None, help="headlines for eda (default 1000)")
    ap.add_argument(
        "--bt-rows", type=int, default=None, help="headlines back-translated (default 128)"
    )
    ap.add_argument("--d-model", type=int, default=None, help="(default 128)")
    ap.add_argument("--layers", type=int, default=None, help="(default 2)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--folds", type=int, default=None, help="(default 3)")
    ap.add_argument("--kfold-rows", type=int, default=None, help="(default 600)")
    args = ap.parse_args()
    sizes = (
        dict(rows=60, bt_rows=8, d_model=32, layers=1, folds=2, kfold_rows=120)
        if args.smoke
        else dict(rows=1000, bt_rows=128, d_model=128, layers=2, folds=3, kfold_rows=600)
    )
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    res = Results("hf_text", args)
    res.uses("transformers", "torch", "gensim")
    results: list[tuple[str, str]] = []
    if args.only in (None, "augment"):
        results += bench_augment(args, res)
    if args.only in (None, "kfold"):
        results += bench_kfold(args, res)
    width = max(len(k) for k, _ in results)
    print(f"\nspecrun-hf-text benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    for k, v in results:
        print(f"  {k:<{width}}  {v}")
    res.finish(table=False)


if __name__ == "__main__":
    main()
