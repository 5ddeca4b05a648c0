"""Training throughput of the specrun-keras networks on this machine's CPU (or GPU).

    python benchmarks/bench_keras.py            # full: resnet_small 64px, ResNet50 64px, LSTM
    python benchmarks/bench_keras.py --smoke    # every case, tiny shapes, one step (CI)
    python benchmarks/bench_keras.py --threads 2 --json out.json

Records (benchmarks/results/keras.json): one per case, named by the case ("resnet_small
64px b32", "lstm-luong u128 b64 len20/20", ...): images/s or target tokens/s.

It measures the very networks the plugin builds (``specrun_keras.resnet_net`` and
``seq2seq_net``), on random inputs of fixed shapes, with Keras's compiled train step:
images/s for the ResNets, target tokens/s (padding excluded) for the LSTM translator.
Each case runs warm-up steps first (tracing and graph building are not throughput), then
timed steps; the median of the repeats is reported.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

from benchlib import Results, parser


def _timed_steps(train_step: Any, batches: int, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batches):
            train_step()
        times.append(time.perf_counter() - start)
    return times


def bench_resnet(
    keras: Any, arch: str, image_size: int, batch: int, steps: int, repeats: int
) -> dict:
    import numpy as np

    from specrun_keras.image_params import KerasResNetParams
    from specrun_keras.resnet_net import build_classifier

    p = KerasResNetParams(arch=arch, image_size=image_size, batch_size=batch)
    ops = [{"op": "flip", "mode": "horizontal"}]  # one random layer, as a real spec would have
    net = build_classifier(p, 10, ops, [127.0] * 3, [4096.0] * 3, seed=0)
    net.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch, image_size, image_size, 3)).astype("float32")
    y = rng.integers(0, 10, batch)
    step = lambda: net.train_on_batch(x, y)  # noqa: E731
    _timed_steps(step, 2, 1)  # warm-up: tracing
    times = _timed_steps(step, steps, repeats)
    per_step = statistics.median(times) / steps
    return {
        "case": f"{arch} {image_size}px b{batch}",
        "params": net.count_params(),
        "images_per_s": batch / per_step,
        "ms_per_step": per_step * 1000,
    }


def bench_lstm(
    keras: Any,
    attention: str,
    src_len: int,
    tgt_len: int,
    batch: int,
    units: int,
    vocab: int,
    steps: int,
    repeats: int,
) -> dict:
    import numpy as np

    from specrun_keras.seq2seq_net import build_networks, masked_loss
    from specrun_keras.seq2seq_params import KerasSeq2SeqParams

    p = KerasSeq2SeqParams(attention=attention, units=units, embed_dim=units // 2)
    nets = build_networks(p, vocab, vocab, seed=0)
    nets.train.compile(optimizer=keras.optimizers.Adam(1e-3), loss=masked_loss)
    rng = np.random.default_rng(0)
    # Real sentences vary in length: draw lengths, pad the rest, count real tokens only.
    src = np.zeros((batch, src_len), dtype="int32")
    dec_in = np.zeros((batch, tgt_len + 1), dtype="int32")
    dec_out = np.zeros((batch, tgt_len + 1), dtype="int32")
    for i in range(batch):
        n_s, n_t = (
            int(rng.integers(src_len // 2, src_len + 1)),
            int(rng.integers(tgt_len // 2, tgt_len + 1)),
        )
        src[i, :n_s] = rng.integers(4, vocab, n_s)
        words = rng.integers(4, vocab, n_t)
        dec_in[i, : n_t + 1] = [2, *words]
        dec_out[i, : n_t + 1] = [*words, 3]
    target_tokens = int((dec_out != 0).sum())
    step = lambda: nets.train.train_on_batch([src, dec_in], dec_out)  # noqa: E731
    _timed_steps(step, 2, 1)
    times = _timed_steps(step, steps, repeats)
    per_step = statistics.median(times) / steps
    return {
        "case": f"lstm-{attention} u{units} b{batch} len{src_len}/{tgt_len}",
        "params": nets.train.count_params(),
        "target_tokens_per_s": target_tokens / per_step,
        "sentences_per_s": batch / per_step,
        "ms_per_step": per_step * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=0, help="TF intra-op threads (0: TF's default)")
    ap.add_argument("--repeats", type=int, default=None, help="(default 3; --smoke 1)")
    ap.add_argument("--skip-resnet50", action="store_true")
    args = ap.parse_args(argv)
    res = Results("keras", args)
    res.uses("tensorflow", "keras")
    repeats = args.repeats or (1 if args.smoke else 3)

    sys.path.insert(
        0, os.path.join(os.path.dirname(__file__), "..", "plugins", "specrun-keras", "src")
    )
    from specrun_keras.runtime import configure_threads, keras_module, seed_keras

    keras = keras_module()
    if args.threads:
        configure_threads(args.threads)
    seed_keras(keras, 0)
    q = args.smoke
    steps = 1 if q else 10
    results = [bench_resnet(keras, "resnet_small", 32 if q else 64, 8 if q else 32, steps, repeats)]
    # --smoke: one network per builder (building and tracing a network costs CPU seconds each);
    # ResNet50 and the other attentions are the same builders with another argument
    if q:
        res.skip("resnet50 64px b16", "--smoke: the same builder as resnet_small")
        res.skip("lstm-luong / lstm-none", "--smoke: the same builder as lstm-bahdanau")
    elif not args.skip_resnet50:
        results.append(bench_resnet(keras, "resnet50", 64, 16, 5, repeats))
    for attention in ("bahdanau",) if q else ("luong", "bahdanau", "none"):
        results.append(
            bench_lstm(
                keras,
                attention,
                6 if q else 20,
                6 if q else 20,
                8 if q else 64,
                16 if q else 128,
                100 if q else 2000,
                steps,
                repeats,
            )
        )

    import tensorflow as tf

    gpu = bool(tf.config.list_physical_devices("GPU"))
    print(
        f"specrun-keras training throughput ({'smoke' if q else 'full'}); threads "
        f"{args.threads or 'default'}, gpu {gpu}"
    )
    for r in results:
        rate = (
            f"{r['images_per_s']:9.1f} images/s"
            if "images_per_s" in r
            else f"{r['target_tokens_per_s']:9.0f} target tokens/s ({r['sentences_per_s']:.0f} sentences/s)"
        )
        print(
            f"  {r['case']:<34} {r['params']:>11,} params  {rate}  {r['ms_per_step']:8.1f} ms/step"
        )
        unit = "images/s" if "images_per_s" in r else "target tokens/s"
        value = r.get("images_per_s", r.get("target_tokens_per_s"))
        res.add(
            r["case"],
            value,
            unit=unit,
            better="higher",
            sizes={"steps": steps, "repeats": repeats, "threads": args.threads or "default"},
            params=r["params"],
            ms_per_step=r["ms_per_step"],
            gpu=gpu,
        )
    res.finish(table=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
