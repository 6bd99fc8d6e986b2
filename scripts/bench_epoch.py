"""Benchmark (not a test): where a training epoch's seconds go, per network, on a real fold
(issue 21: make CPU hours cheaper before spending them).

A fold of the ``extended`` scratch recipe spends each epoch on three things: the training
pass (augmented batches through ``model.fit``), the batch-norm re-estimate on clean training
images (:func:`medlib.experiments.training.recompute_batchnorm`) and the validation predict.
This times each on the block's real data, fold 0, at the block's precision, after one warm-up
epoch (graph tracing left out), and prints their shares. Fold files record a fold's seconds,
but not this split; the throughput benchmark (``bench_precision.py``) times training steps only.
It also times the batch-norm re-estimate through one traced function instead of eager calls,
with the largest relative difference in the statistics it sets (the README says why that
was not adopted). Each network's row is added to ``--out`` as soon as it is measured, and
``--list`` (``medlib.experiments.remaining``) estimates blocks not yet timed from it.

    .venv/bin/python scripts/bench_epoch.py [--dataset cov_ct] [--networks xception resnet50]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def timed(fn, repeats: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


class Traced:
    """``model`` called through one traced function (TensorFlow backend): what
    ``recompute_batchnorm`` would see if its training-mode calls were traced rather than eager."""

    def __init__(self, model):
        import tensorflow as tf

        self.layers = model.layers
        self.fn = tf.function(lambda x: model(x, training=True), reduce_retracing=True)

    def __call__(self, x, training=True):
        return self.fn(x)


def bn_state(model):
    import numpy as np

    from medlib.experiments import training

    return [np.asarray(v) for l in training.batchnorm_layers(model) for v in (l.moving_mean, l.moving_variance)]


def measure(network: str, ds, block, train, val, seed: int) -> dict:
    import keras
    import numpy as np

    from medlib.data import make_augmenter
    from medlib.experiments import training
    from medlib.experiments.engine import _compiled
    from medlib.models import build_model

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    precision = block.precision_for(network)
    with training.dtype_policy(precision):
        model = _compiled(build_model(network, tuple(ds.images.shape[1:]), ds.spec.n_classes, "scratch"),
                          block.lr_for(network))
    aug = ds.spec.augmentation
    augment = None if aug.is_identity else make_augmenter(aug, seed)
    batches = training.Batches(ds.images[train], ds.targets[train], block.batch_size, augment, seed)
    x_train, x_val = ds.images[train], ds.images[val]
    start = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0)  # warm-up: traces the train step
    training.recompute_batchnorm(model, x_train)
    training.predict(model, x_val)
    warm = time.perf_counter() - start
    fit = timed(lambda: model.fit(batches, epochs=1, verbose=0))
    augment_only = timed(lambda: [batches[i] for i in range(len(batches))])
    bn = timed(lambda: training.recompute_batchnorm(model, x_train), 2)
    pred = timed(lambda: training.predict(model, x_val), 2)
    bn_traced, diff = float("nan"), float("nan")
    eager_state = bn_state(model)
    if eager_state:  # FF-VGG19 and VGG19 have no batch norm
        traced = Traced(model)
        training.recompute_batchnorm(traced, x_train)  # traces
        bn_traced = timed(lambda: training.recompute_batchnorm(traced, x_train), 2)
        diff = max(float(np.max(np.abs(a - b) / (np.abs(a) + 1e-3))) for a, b in zip(eager_state, bn_state(model)))
    total = fit + bn + pred
    return {"network": network, "precision": precision, "size": int(ds.images.shape[1]),
            "batch": block.batch_size, "n_train": len(train), "n_val": len(val),
            "warmup_s": round(warm, 1), "fit_s": round(fit, 2), "batches_s": round(augment_only, 2),
            "batchnorm_s": round(bn, 2), "batchnorm_traced_s": round(bn_traced, 2),
            "traced_max_rel_diff": float(f"{diff:.2g}"), "predict_val_s": round(pred, 2), "epoch_s": round(total, 2),
            "batchnorm_share": round(bn / total, 3), "predict_share": round(pred / total, 3),
            "train_img_s": round(len(train) / fit, 1), "bn_layers": len(training.batchnorm_layers(model))}


def main():
    from medlib import config
    from medlib.experiments import provenance
    from medlib.experiments.transfer import FoldJob, fold_data
    from medlib.profiles import PROFILES

    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="extended")
    ap.add_argument("--dataset", default="cov_ct")
    ap.add_argument("--networks", nargs="*", default=["xception", "resnet50", "densenet121"])
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--seed", type=int, default=20221)
    ap.add_argument("--out", default=None,
                    help="CSV (default results/bench/epoch_<dataset>.csv, under MEDLIB_RESULTS_DIR if set)")
    args = ap.parse_args()
    profile = PROFILES[args.profile]
    out = Path(args.out) if args.out else config.results_dir("bench") / f"epoch_{args.dataset}.csv"
    for net in args.networks:
        job = FoldJob(args.dataset, net, "scratch", args.fold, args.profile, args.seed)
        data = fold_data(job)
        row = {"profile": args.profile, **measure(net, data.ds, job.block(), data.train, data.val,
                                                   args.seed + args.fold),
               "cpu_kind": provenance.cpu_kind()}  # a machine without AVX-512 is ~5x slower
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        save(row, out)  # after each network: a later crash keeps what was measured
    print(f"wrote {out}")


def save(row: dict, out: Path) -> None:
    """Add ``row`` to the table at ``out``, replacing an earlier row of the same network."""
    import pandas as pd

    old = pd.read_csv(out) if out.exists() else pd.DataFrame()
    if len(old):
        old = old[old["network"] != row["network"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([old, pd.DataFrame([row])], ignore_index=True).to_csv(out, index=False)


if __name__ == "__main__":
    main()
