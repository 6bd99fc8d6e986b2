"""Benchmark (not a test): training and feature-extraction throughput per network.

Prints images/s for (a) a training step of each network from scratch and
(b) off-the-shelf feature extraction, uncached (the frozen backbone run every
epoch) vs cached (embeddings computed once, then only the head trains), as
the measured ratio per epoch. Real Cells2 images; the first call of each
model (graph tracing) is timed separately and excluded from throughput.

    .venv/bin/python scripts/bench_transfer.py [--size 80] [--networks xception vgg19] [--n 64]
"""
from __future__ import annotations

import argparse
import time


def timed(fn, repeats):
    fn()  # warm-up / tracing
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main():
    import keras

    from medlib.data import load_dataset
    from medlib.models import PAPER_NETWORKS, WeightsUnavailable, build_model, embedding_model, head_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=80)
    ap.add_argument("--networks", nargs="*", default=list(PAPER_NETWORKS))
    ap.add_argument("--n", type=int, default=64, help="images per measurement")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    ds = load_dataset("cells2", size=(args.size, args.size), progress=False)
    x = ds.images[: args.n].astype("float32") / 255.0
    y = ds.targets[: args.n]
    print(f"{len(x)} Cells2 images at {args.size}x{args.size}, batch {args.batch}, "
          f"{keras.__version__=}")
    print(f"{'network':14s} {'trace s':>8s} {'train img/s':>12s} {'OTS uncached img/s':>19s} "
          f"{'OTS cached img/s':>17s} {'cached/uncached':>16s}")
    for net in args.networks:
        model = build_model(net, x.shape[1:], 3)
        model.compile("adam", "sparse_categorical_crossentropy")
        t0 = time.perf_counter()
        model.fit(x[: args.batch], y[: args.batch], epochs=1, verbose=0)
        trace = time.perf_counter() - t0
        train = timed(lambda: model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0), args.repeats)
        row = f"{net:14s} {trace:8.1f} {len(x) / train:12.1f}"
        try:
            ots = build_model(net, x.shape[1:], 3, "off_the_shelf")
        except WeightsUnavailable:
            print(row + f" {'(no ImageNet weights offline)':>54s}")
            continue
        ots.compile("adam", "sparse_categorical_crossentropy")
        head = head_model(ots)
        head.compile("adam", "sparse_categorical_crossentropy")
        uncached = timed(lambda: ots.fit(x, y, batch_size=args.batch, epochs=1, verbose=0), args.repeats)
        emb_model = embedding_model(ots)
        t0 = time.perf_counter()
        emb = emb_model.predict(x, batch_size=args.batch, verbose=0)
        once = time.perf_counter() - t0
        cached = timed(lambda: head.fit(emb, y, batch_size=args.batch, epochs=1, verbose=0), args.repeats)
        print(row + f" {len(x) / uncached:19.1f} {len(x) / cached:17.1f} {uncached / cached:15.1f}x"
              f"   (one-off embedding pass {once:.1f} s)")


if __name__ == "__main__":
    main()
