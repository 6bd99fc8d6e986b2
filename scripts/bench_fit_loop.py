"""Benchmark (not a test): is ``model.fit`` over the augmented ``Batches`` slower than the same
training steps called one by one? (issue 21: make CPU hours cheaper before spending them)

``bench_epoch.py`` measured Xception's training pass on COV_CT at 26.5 images/s, where
``bench_precision.py``'s bare training steps gave 38.6. This times, in one process and
interleaved (so a slower hour of the machine hits every variant alike), one epoch of:

* ``fit``: ``model.fit(Batches(...), epochs=1)``, as the folds train;
* ``steps``: ``model.train_on_batch`` on the same ``Batches`` items, one by one;
* ``batches``: building the epoch's augmented batches alone.

    .venv/bin/python scripts/bench_fit_loop.py [--dataset cov_ct] [--networks xception] [--rounds 2]
"""
from __future__ import annotations

import argparse
import time


def main():
    import keras
    import numpy as np

    from medlib.data import make_augmenter
    from medlib.experiments import training
    from medlib.experiments.engine import _compiled
    from medlib.experiments.transfer import FoldJob, fold_data
    from medlib.models import build_model
    from medlib.profiles import PROFILES

    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="extended")
    ap.add_argument("--dataset", default="cov_ct")
    ap.add_argument("--networks", nargs="*", default=["xception"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20221)
    args = ap.parse_args()
    profile = PROFILES[args.profile]
    for net in args.networks:
        job = FoldJob(args.dataset, net, "scratch", 0, args.profile, args.seed)
        block, data = job.block(), fold_data(job)
        ds, train = data.ds, data.train
        keras.backend.clear_session()
        keras.utils.set_random_seed(args.seed)
        with training.dtype_policy(block.precision_for(net)):
            model = _compiled(build_model(net, tuple(ds.images.shape[1:]), ds.spec.n_classes, "scratch"),
                              block.lr_for(net))
        aug = ds.spec.augmentation
        batches = training.Batches(ds.images[train], ds.targets[train], block.batch_size,
                                   None if aug.is_identity else make_augmenter(aug, args.seed), args.seed)
        model.fit(batches, epochs=1, verbose=0)  # traces fit's step
        for i in range(len(batches)):  # traces train_on_batch's (full and last partial batch)
            model.train_on_batch(*batches[i])
        times = {"fit": [], "steps": [], "batches": []}
        for _ in range(args.rounds):
            start = time.perf_counter()
            model.fit(batches, epochs=1, verbose=0)
            times["fit"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for i in range(len(batches)):
                model.train_on_batch(*batches[i])
            times["steps"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for i in range(len(batches)):
                batches[i]
            times["batches"].append(time.perf_counter() - start)
        fit, steps, make = (float(np.median(times[k])) for k in ("fit", "steps", "batches"))
        print(f"{net} ({block.precision_for(net)}, {len(train)} images): fit {fit:.1f} s "
              f"({len(train) / fit:.1f} img/s), train_on_batch {steps:.1f} s ({len(train) / steps:.1f} img/s), "
              f"batches alone {make:.2f} s; fit / steps = {fit / steps:.2f} "
              f"(rounds: fit {[round(t, 1) for t in times['fit']]}, steps {[round(t, 1) for t in times['steps']]})",
              flush=True)


if __name__ == "__main__":
    main()
