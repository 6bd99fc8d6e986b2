"""Power before hours (issue 36): what the central-claim design can detect, and what it costs, printed
before any of its folds runs.

1. The variance components observed in the committed ``extended`` folds (fold, seed, dataset;
   ``medlib.evidence.observed_components``) and the smallest pooled effect each design
   (datasets x folds x seeds) detects at 80 % power, under the observed tau and under tau = 3
   and 5 points (two datasets estimate tau poorly).
2. The plan: every central-claim block of ``extended`` (``medlib.profiles.CLAIM_BLOCKS``), its
   images, and its CPU hours on this machine from measured training throughput (float32,
   batch 16; ``results/bench/throughput_<cpu kind>.csv``, measured once per CPU kind with
   ``--measure``) and the fold arithmetic: training images x 30 epochs / images per second,
   plus 20 % for validation and the batch-norm pass; off-the-shelf: one forward pass per image
   and view (3x the training rate), heads negligible.

    .venv/bin/python scripts/plan_central_claim.py [--measure]
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

OVERHEAD = 1.2
FORWARD_SPEEDUP = 3.0


def measure_rates(sizes, networks, out: Path) -> pd.DataFrame:
    from bench_precision import measure

    from medlib.data import load_dataset
    from medlib.experiments.provenance import cpu_kind, cpu_model

    rows = []
    for size in sizes:
        ds = load_dataset("cov_ct", size=(size, size), per_class=40, progress=False)
        x, y = ds.images.astype("float32") / 255.0, ds.targets
        for net in networks:
            trace, rate = measure(net, "float32", x, y, 6, 16)
            rows.append({"network": net, "size": size, "float32_img_s": round(rate, 2), "trace_s": round(trace, 1),
                         "cpu": cpu_model(), "cpu_kind": cpu_kind()})
            print(f"measured {net} at {size} px: {rate:.1f} images/s", flush=True)
    table = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    return table


def plan_hours(rates: pd.DataFrame) -> pd.DataFrame:
    from medlib import strategies
    from medlib.experiments.transfer import block_dataset
    from medlib.profiles import CLAIM_BLOCKS, get_profile

    profile = get_profile("extended")
    rows = []
    for b in CLAIM_BLOCKS:
        n = len(block_dataset(b.dataset, b, profile=profile).targets)
        n_fit = n * (1 - 1 / profile.cv_folds)
        n_train = n_fit * (1 - profile.val_fraction)
        for net in b.networks:
            rate = float(rates[(rates["network"] == net) & (rates["size"] == b.size[0])]["float32_img_s"].iloc[0])
            runs = len(b.fold_ids(profile.cv_folds)) * b.replicates
            if strategies.get(b.strategy).trains_backbone:
                seconds = runs * n_train * b.epochs / rate * OVERHEAD
            else:  # features once per view (the replicates' views differ), heads negligible
                seconds = b.replicates * n * (1 + b.views) / (FORWARD_SPEEDUP * rate)
            rows.append({"dataset": b.dataset, "strategy": b.strategy, "network": net, "size": b.size[0],
                         "images": n, "folds": len(b.fold_ids(profile.cv_folds)), "seeds": b.replicates,
                         "train_img_s": rate, "cpu_hours": round(seconds / 3600, 2)})
    return pd.DataFrame(rows)


def main():
    from medlib import evidence, meta, strategies
    from medlib.experiments.provenance import cpu_kind
    from medlib.profiles import WITH_WEIGHTS

    ap = argparse.ArgumentParser()
    ap.add_argument("--measure", action="store_true", help="measure training throughput on this CPU")
    args = ap.parse_args()
    from medlib import tables

    df = tables.load("transfer", "extended")
    result = evidence.pooled(df[df["network"].isin(WITH_WEIGHTS)], "strategy", "off_the_shelf", "scratch",
                             fixed={"head": "dense"})
    comp = evidence.observed_components(df, result)
    print(f"Observed ({', '.join(sorted(set(result.units['dataset'])))}; Xception and MobileNetV2): "
          f"fold SD {comp.fold ** 0.5:.1f} points, seed SD {comp.seed ** 0.5:.1f}, tau (between datasets) "
          f"{comp.dataset ** 0.5:.1f}, between a dataset's networks {comp.network ** 0.5:.1f}, test/train {comp.ratio:.3f}")
    pd.set_option("display.width", 160)
    for tau in sorted({round(comp.dataset ** 0.5, 1), 3.0, 5.0}):
        print(f"\nDesigns at tau = {tau:g} points (smallest pooled effect detected at 80 % power; datasets "
              "needed for +5 and +7):")
        print(meta.design_power(replace(comp, dataset=tau ** 2), datasets=(2, 6, 8, 11), folds=(3, 5, 10),
                                seeds=(1, 2)).to_string(index=False))
    out = Path(f"results/bench/throughput_{cpu_kind()}.csv")
    if args.measure or not out.exists():
        rates = measure_rates((71, 80), WITH_WEIGHTS, out)
    else:
        rates = pd.read_csv(out)
    plan = plan_hours(rates)
    print(f"\nThe plan (extended's central-claim blocks; CPU hours on this CPU, {cpu_kind()}, from {out}):")
    print(plan.to_string(index=False))
    trained = plan["strategy"].map(lambda k: strategies.get(k).trains_backbone)
    print(f"total: {plan['cpu_hours'].sum():.1f} CPU hours (trained networks {plan[trained].cpu_hours.sum():.1f})")


if __name__ == "__main__":
    main()
