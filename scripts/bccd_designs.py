"""Which whole-smear classifier sees the white cell? Designs measured before choosing (issue 22).

Each design is a frozen ImageNet backbone's feature map of the whole BCCD smear, pooled over
the cell grid (average, max, or both), read by a logistic-regression probe (C chosen on an inner
validation split, optionally class-weighted for 205/87/33/20), evaluated out of fold on the same
five grouped folds notebook 05 uses. Prints and writes the profile's ``bccd_designs`` table (:mod:`medlib.tables`)
(design, accuracy out of fold, majority, margin over the floor, seconds: the probe's cross-fitting
plus a sixth of the design's feature extraction, which its six probes share).

A measurement of designs, not fold jobs: no fold files or configuration hash (each probe fits in
a fraction of a second and the script reruns whole); every fold is leak-checked.

    python scripts/bccd_designs.py --profile quick
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from medlib import tables
from medlib.data import load_dataset
from medlib.diagnose import majority_rate
from medlib.experiments.splits import assert_no_leak, fold_indices, make_splits
from medlib.experiments.training import fit_probe
from medlib.features import Extractor, augmented_chunks

DESIGNS = [  # (network, layer or "feature_map", size)
    ("mobilenetv2", "feature_map", (240, 320)),
    ("mobilenetv2", "feature_map", (480, 640)),
    ("mobilenetv2", "block_13_expand_relu", (480, 640)),  # stride 16: a white cell spans ~4x4 cells
    ("xception", "feature_map", (480, 640)),
]


def pooled(network: str, output: str, images) -> dict:
    ext = Extractor(network, output)
    gap, gmp = [], []
    for x in augmented_chunks(images, chunk=16):
        m = ext(x, batch_size=4)
        gap.append(m.mean((1, 2)))
        gmp.append(m.max((1, 2)))
    gap, gmp = np.concatenate(gap), np.concatenate(gmp)
    return {"avg": gap, "max": gmp, "avg+max": np.hstack([gap, gmp])}


def out_of_fold(x, y, splits, seed, val_fraction, class_weight):
    pred = np.full(len(y), -1)
    for k in sorted(set(splits["fold"])):
        train, val, test = fold_indices(splits, k, seed, val_fraction)
        assert_no_leak(splits, train, val, test)
        clf, _ = fit_probe(x[train], y[train], x[val], y[val], class_weight=class_weight)
        pred[test] = clf.predict(x[test])
    return pred


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--seed", type=int, default=20221)
    args = ap.parse_args()
    rows = []
    for network, output, size in DESIGNS:
        t0 = time.time()
        ds = load_dataset("bccd_wbc", size=size, crop=False, seed=args.seed, progress=False)
        splits = make_splits(ds, 5, args.seed)
        y, floor = ds.targets, majority_rate(ds.targets)
        feats = pooled(network, output, ds.images)
        extract = time.time() - t0
        for pool, x in feats.items():
            for cw in (None, "balanced"):
                t1 = time.time()
                pred = out_of_fold(x, y, splits, args.seed, 0.15, cw)
                acc = 100 * float((pred == y).mean())
                rows.append({"network": network, "layer": output, "size": f"{size[0]}x{size[1]}", "pool": pool,
                             "class_weight": cw or "none", "accuracy": acc, "majority": floor,
                             "margin": acc - floor, "n": len(y),
                             "seconds": round(extract / 6 + time.time() - t1, 1)})
                print(rows[-1], flush=True)
    out = pd.DataFrame(rows)
    tables.save(out, "bccd_designs", args.profile)
    print(out.sort_values("accuracy", ascending=False).to_string(index=False))


if __name__ == "__main__":
    main()
