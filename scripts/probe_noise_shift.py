"""Probe (not a test): does a network trained on noisy images fail on clean ones? (issue 21)

COV_CT's training batches carry the paper's augmentation (shifts up to 10 % and Gaussian noise of
sigma 0.1 on [0, 1] images); validation and test images are clean. Networks with batch norm get
their statistics re-estimated on the clean training images after every epoch; plain VGG19 and
FF-VGG19 have nothing to re-estimate. This script trains ``--network`` from scratch on fold
``--fold`` with the profile block's settings for ``--epochs`` epochs, then scores the same weights
in inference mode on the training and validation images, clean and augmented (the test images
are never touched): accuracy and the share of images called the positive class. A network whose
accuracy on clean images sits at the floor, and on augmented ones near its training accuracy,
has learnt the augmented input distribution, not failed to learn.

    .venv/bin/python scripts/probe_noise_shift.py --network ff_vgg19 --epochs 12 [--precision float32]
"""
from __future__ import annotations

import time
from dataclasses import replace


def main():
    import numpy as np
    import pandas as pd

    from medlib.experiments.fold_scripts import fold_parser, out_dir, scratch_job
    from medlib.data.augment import make_augmenter
    from medlib.data.registry import Augmentation
    from medlib.experiments import training
    from medlib.experiments.engine import Context, fit_predict
    from medlib.experiments.transfer import fold_data
    from medlib.profiles import get_profile

    ap = fold_parser(__doc__, dataset="cov_ct", epochs=12)
    ap.add_argument("--precision", choices=["float32", "mixed_bfloat16"],
                    help="train under this policy instead of the block's (float32 on a CPU without "
                         "AVX512-BF16, where bfloat16 is emulated and 5-10x slower)")
    ap.add_argument("--per-class", type=int, help="at most this many images a class (a quick check)")
    ap.add_argument("--train-sample", type=int,
                    help="score this many training images (a random subset; default all): on a slow CPU "
                         "the four scorings of every training image cost minutes")
    args = ap.parse_args()
    profile = get_profile(args.profile)
    job = scratch_job(args)
    block = replace(job.block(), epochs=args.epochs)
    if args.precision:
        block = replace(block, precisions={**block.precisions, args.network: args.precision})
    if args.per_class:
        block = replace(block, per_class=args.per_class)
    data = fold_data(job, block=block)
    ds = data.ds
    aug = ds.spec.augmentation
    if aug.is_identity:
        raise SystemExit(f"{args.dataset} trains without augmentation: nothing to probe")
    train, val = data.train, data.val
    ctx = Context()
    start = time.time()
    _, info = fit_predict(ctx, args.network, "scratch", "dense", block, ds, train, val, [],
                          job.seed + args.fold, build_seed=job.seed)
    seconds = time.time() - start
    (model, _), = ctx._models.values()
    positive = ds.spec.n_classes - 1
    variants = {"clean": None, "training augmentation": aug,
                "noise only": Augmentation(noise_sigma=aug.noise_sigma),
                "shift only": Augmentation(shift=aug.shift)}
    rows = []
    scored_train = train
    if args.train_sample and args.train_sample < len(train):
        scored_train = np.sort(np.random.default_rng(job.seed).choice(train, args.train_sample, replace=False))
    for split, idx in (("train", scored_train), ("val", val)):
        clean = ds.images[idx].astype(np.float32) / 255.0
        for name, variant in variants.items():
            if variant is not None and variant.is_identity:
                continue
            x = clean if variant is None else make_augmenter(variant, seed=1)(clean)
            pred = training.predict(model, x).argmax(1)
            rows.append({"dataset": args.dataset, "network": args.network, "fold": args.fold,
                         "epochs": args.epochs, "precision": block.precision_for(args.network),
                         "images": split, "input": name, "n": len(idx),
                         "accuracy": round(100 * float((pred == ds.targets[idx]).mean()), 1),
                         "called_positive": round(100 * float((pred == positive).mean()), 1),
                         "majority": round(100 * float(np.bincount(ds.targets[idx]).max() / len(idx)), 1)})
    out = out_dir(args)
    table = pd.DataFrame(rows)
    stem = f"noise_shift_{args.dataset}_{args.network}_fold{args.fold}"
    table.to_csv(out / f"{stem}.csv", index=False)
    pd.DataFrame(info["history"]).to_csv(out / f"{stem}_curve.csv", index=False)
    last = info["history"][-1]
    print(f"{args.network} on {args.dataset} fold {args.fold}, {args.epochs} epochs in {seconds:.0f} s; "
          f"last epoch: running training accuracy {last['accuracy']:.1f}% (augmented, training mode), "
          f"validation {last['val_accuracy']:.1f}% (clean)")
    print(f"positive class: {ds.spec.classes[positive]}")
    print(table.to_string(index=False))
    print(f"wrote {out / stem}*.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
