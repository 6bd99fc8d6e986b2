"""Benchmark (not a test): training throughput from scratch under ``float32`` and
``mixed_bfloat16``, per network, in one process (issue 21).

Each network is built from scratch (Adam, batch 16) at the block's input size under
each policy; the first steps (graph tracing) are timed apart and left out; then
``--steps`` training steps on real COV_CT images give train images/s. Prints one
line per network and the bfloat16/float32 ratio, and writes the table to
``--out`` (CSV) so the choice in :mod:`medlib.profiles` can cite it.

    .venv/bin/python scripts/bench_precision.py [--size 112] [--steps 6] [--networks vgg19 xception]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def measure(network: str, policy: str, x, y, steps: int, batch: int) -> tuple[float, float]:
    """(tracing seconds, train images/s) of ``network`` under ``policy``."""
    import keras

    from medlib.models import build_model

    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = build_model(network, x.shape[1:], int(y.max()) + 1, "scratch")
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
        start = time.perf_counter()
        model.train_on_batch(x[:batch], y[:batch])
        model.train_on_batch(x[batch:2 * batch], y[batch:2 * batch])
        trace = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(steps):
            j = (i * batch) % (len(x) - batch)
            model.train_on_batch(x[j:j + batch], y[j:j + batch])
        return trace, steps * batch / (time.perf_counter() - start)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main():
    import pandas as pd

    from medlib.data import load_dataset
    from medlib.experiments.provenance import cpu_kind, cpu_model, native_bfloat16
    from medlib.models import PAPER_NETWORKS

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--networks", nargs="*", default=list(PAPER_NETWORKS))
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", default="results/bench/precision.csv")
    args = ap.parse_args()
    ds = load_dataset("cov_ct", size=(args.size, args.size), per_class=64, progress=False)
    x, y = ds.images.astype("float32") / 255.0, ds.targets
    rows = []
    print(f"{'network':14s} {'fp32 img/s':>10s} {'bf16 img/s':>10s} {'ratio':>6s}  (tracing s fp32/bf16)",
          flush=True)
    for net in args.networks:
        t32, r32 = measure(net, "float32", x, y, args.steps, args.batch)
        t16, r16 = measure(net, "mixed_bfloat16", x, y, args.steps, args.batch)
        rows.append({"network": net, "size": args.size, "batch": args.batch, "steps": args.steps,
                     "float32_img_s": round(r32, 2), "bfloat16_img_s": round(r16, 2),
                     "ratio": round(r16 / r32, 3), "trace_s_float32": round(t32, 1),
                     "trace_s_bfloat16": round(t16, 1), "cpu": cpu_model(),
                     "cpu_kind": cpu_kind(), "native_bfloat16": native_bfloat16()})
        print(f"{net:14s} {r32:10.1f} {r16:10.1f} {r16 / r32:6.2f}  ({t32:.0f}/{t16:.0f})", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
