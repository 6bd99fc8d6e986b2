"""What the scripts that study one fold outside the engine share: the arguments that name the
fold, the job they name, and the folder they write to.

Benchmarks, checks and probes (``scripts/bench_precision_curve.py``, ``check_shared_lr.py``,
``probe_noise_shift.py``) train one scratch fold of a profile's block under changed settings.
They build its data with :func:`medlib.experiments.transfer.fold_data` (the leak check included)
and write CSVs to ``results/bench/``, never a profile's fold file; this module keeps their
command lines alike, so ``--help`` reads the same in each.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def fold_parser(doc: str | None, dataset: str = "cells2", network: str = "ff_vgg19",
                epochs: int | None = None) -> argparse.ArgumentParser:
    """A parser with the fold's arguments (``--profile --dataset --network --fold --out``, and
    ``--epochs`` where the script caps training), its description the script's docstring; the
    script adds its own arguments."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="extended")
    ap.add_argument("--dataset", default=dataset)
    ap.add_argument("--network", default=network)
    ap.add_argument("--fold", type=int, default=0)
    if epochs is not None:
        ap.add_argument("--epochs", type=int, default=epochs, help="train at most this many epochs")
    ap.add_argument("--out", default=None, help="folder (default: results/bench, under MEDLIB_RESULTS_DIR if set)")
    return ap


def scratch_job(args: argparse.Namespace):
    """The scratch fold job the arguments name (its block, seed and data are the profile's)."""
    from .transfer import FoldJob

    return FoldJob(args.dataset, args.network, "scratch", args.fold, args.profile)


def out_dir(args: argparse.Namespace) -> Path:
    """``--out``, else ``results/bench`` (under ``MEDLIB_RESULTS_DIR`` if set); created."""
    from .. import config

    out = Path(args.out) if args.out else config.results_dir("bench")
    out.mkdir(parents=True, exist_ok=True)
    return out
