"""Check (not a test): can a plain VGG train at Adam's default 1e-3, and under which input scale? (issue 37)

The plain VGGs train at 1e-4 (``medlib.profiles.PLAIN_VGG_LR``) because, with ``caffe`` inputs
(+-128, as VGG's ImageNet weights expect), 1e-3 blew them up on Cells2 when that rate was set. The
shared-learning-rate recipe (``medlib.profiles.SHARED_LR_RECIPE``, ``cov_ct_shared_lr``) trains
every network at 1e-3; its input scale was chosen with this script before any COV_CT fold, by the
rule in docs/methods.md. It trains ``--network`` from scratch on fold ``--fold`` of ``--dataset``
with the block's settings under four recipes (caffe inputs at 1e-4: today's; caffe at 1e-3;
[-1, 1] and [0, 1] inputs at 1e-3, [0, 1] being what Keras's ImageDataGenerator with
rescale=1/255 feeds), ``--seeds`` training seeds each, and prints, per run, the first epoch's
training loss, the best validation accuracy, the test accuracy and the share of dead channels
(zero on every test image) per probed layer.

    .venv/bin/python scripts/check_shared_lr.py --dataset cells2 --network ff_vgg19 --epochs 12 --seeds 2
"""
from __future__ import annotations

import time
from dataclasses import replace

RECIPES = (("caffe inputs (+-128), 1e-4 (Table 7's rate)", None, 1e-4), ("caffe inputs (+-128), 1e-3", None, 1e-3),
           ("[-1, 1] inputs, 1e-3", "tf", 1e-3), ("[0, 1] inputs, 1e-3", "unit", 1e-3))


def main():
    import numpy as np
    import pandas as pd

    from medlib.experiments.fold_scripts import fold_parser, out_dir, scratch_job
    from medlib.explain.activity import activation_layers, channel_activity
    from medlib.experiments.transfer import Context, fit_predict, fold_data

    ap = fold_parser(__doc__, epochs=12)
    ap.add_argument("--seeds", type=int, default=1, help="training seeds per recipe (the fold's first and more)")
    args = ap.parse_args()
    job = scratch_job(args)
    data = fold_data(job)
    ds, train, val, test = data.ds, data.train, data.val, data.test
    majority = 100 * float(np.bincount(ds.targets[test]).max() / len(test))
    rows, layers = [], []
    for label, scale, lr in RECIPES:
        block = replace(job.block(), epochs=args.epochs, patience=None,
                        learning_rates={args.network: lr},
                        input_scales={args.network: scale} if scale else {})
        for r in range(args.seeds):
            ctx, start = Context(), time.time()
            seed, build_seed = job.seed + args.fold + 1000 * r, job.seed + r
            (proba,), info = fit_predict(ctx, args.network, "scratch", "dense", block, ds, train, val,
                                         [(ds, test)], seed, build_seed=build_seed)
            (model, _), = ctx._models.values()  # the one model this context built, as trained
            layers = layers or activation_layers(model)
            dead = channel_activity(model, layers, ds.images[test]).set_index("layer")["dead_on_all_images_%"]
            hist = info["history"]
            rows.append({"recipe": label, "seed": r, "train_seed": seed, "build_seed": build_seed,
                         "learning_rate": lr, "input_scale": scale or "own", "epochs": args.epochs,
                         "n_test": len(test), "floor": round(majority, 1),
                         "first_epoch_loss": round(hist[0]["loss"], 3),
                         "last_epoch_loss": round(hist[-1]["loss"], 3),
                         "best_val_accuracy": round(max(h["val_accuracy"] for h in hist), 1),
                         "test_accuracy": round(100 * float((proba.argmax(1) == ds.targets[test]).mean()), 1),
                         **{f"dead_%_{k}": round(v, 1) for k, v in dead.items()},
                         "seconds": round(time.time() - start, 1)})
            ctx.release()
    out = out_dir(args)
    table = pd.DataFrame(rows)
    path = out / f"shared_lr_{args.dataset}_{args.network}_fold{args.fold}.csv"
    table.to_csv(path, index=False)
    print(table.T.to_string(header=False))
    print(f"test floor (majority) {majority:.1f} %; one test image = {100 / len(test):.1f} points; "
          f"{args.epochs} epochs each; wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
