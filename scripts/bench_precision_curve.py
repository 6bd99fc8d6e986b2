"""Benchmark (not a test): one fold's learning curve under float32 and mixed_bfloat16 (issue 21).

Trains ``--network`` from scratch on fold ``--fold`` of ``--dataset`` with the settings of the
profile's block, once per precision policy (the profile's own fold file is used for the policy
it runs, when present and current), and prints the two curves side by side with each one's test
accuracy, epochs run and seconds per epoch; writes them to ``results/bench/`` (under
``MEDLIB_RESULTS_DIR`` if set). bfloat16 is
adopted for a network only where it is faster (scripts/bench_precision.py) and these curves agree.

    .venv/bin/python scripts/bench_precision_curve.py --dataset cells2 --network ff_vgg19 --fold 0
"""
from __future__ import annotations

import json
import time
from dataclasses import replace


def main():
    import numpy as np
    import pandas as pd

    from medlib.experiments.fold_scripts import fold_parser, out_dir, scratch_job
    from medlib.experiments.transfer import Context, fit_predict, fold_data
    from medlib.profiles import get_profile

    args = fold_parser(__doc__).parse_args()
    profile = get_profile(args.profile)
    job = scratch_job(args)
    block = job.block()
    data = fold_data(job)
    ds, train, val, test = data.ds, data.train, data.val, data.test
    curves, summary = [], []
    for policy in ("float32", "mixed_bfloat16"):
        if block.precision_for(args.network) == policy and job.is_done():
            row = json.loads(job.result_path().read_text())
            history, acc, secs = row["history"], row["accuracy"], row["seconds"]
        else:
            start = time.time()
            b = replace(block, precisions={args.network: policy})
            (proba,), info = fit_predict(Context(), args.network, "scratch", "dense", b, ds, train, val,
                                         [(ds, test)], job.seed + args.fold, build_seed=job.seed)
            history, secs = info["history"], time.time() - start
            acc = 100 * float((proba.argmax(1) == ds.targets[test]).mean())
        curves += [{"precision": policy, **h} for h in history]
        summary.append({"dataset": args.dataset, "network": args.network, "fold": args.fold,
                        "precision": policy, "test_accuracy": round(acc, 2), "epochs_run": len(history),
                        "seconds": round(secs, 1), "seconds_per_epoch": round(secs / max(len(history), 1), 1),
                        "final_loss": round(history[-1]["loss"], 4),
                        "best_val_loss": round(min(h["val_loss"] for h in history), 4)})

    out = out_dir(args)
    stem = f"precision_curve_{args.dataset}_{args.network}_fold{args.fold}"
    pd.DataFrame(curves).to_csv(out / f"{stem}.csv", index=False)
    s = pd.DataFrame(summary)
    s.to_csv(out / f"{stem}_summary.csv", index=False)
    wide = pd.DataFrame(curves).pivot_table(index="epoch", columns="precision", values=["loss", "val_loss"])
    print(wide.round(3).to_string())
    print(s.to_string(index=False))
    print(f"one test image = {100 / len(test):.1f} points; wrote {out / stem}*.csv")
    return 0 if np.isfinite(s.test_accuracy).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
