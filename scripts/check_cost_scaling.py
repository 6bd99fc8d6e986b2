"""Check (not a test): how well ``--list`` prices a block from another dataset.

Each finished block of the profile that trains its backbone is priced as if its own folds were
not there (``medlib.experiments.remaining.scaled_per_epoch``: the same network and precision on
another dataset, scaled by the pixels an epoch passes) and set beside its measured seconds per
epoch on this CPU's kind. Reads committed fold files only; trains nothing.

    .venv/bin/python scripts/check_cost_scaling.py [--profile extended]
"""
from __future__ import annotations

import argparse


def main() -> None:
    from medlib.experiments.remaining import scaling_check
    from medlib.experiments.transfer import plan

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="extended")
    t = scaling_check(plan(ap.parse_args().profile))
    print(t.to_string(index=False) if len(t) else "no block has a measured reference on another dataset")
    if len(t):
        print(f"estimated / measured: {t['ratio'].min():.2f} to {t['ratio'].max():.2f} "
              f"(median {t['ratio'].median():.2f}) over {len(t)} blocks")


if __name__ == "__main__":
    main()
