"""What remains of a long run: fold jobs left, and their estimated hours with the basis of
each estimate (``python -m medlib run --profile P --list``).

A remaining fold is estimated from the best evidence there is, in this order:

1. its own block's finished folds (same dataset, network and strategy, today's
   configuration), by the CPU kind each fold file records (``cpu_kind``: AVX-512 with
   bfloat16, AVX-512, AVX2; two "AMD EPYC" machines of this project differ 5.8 times on a
   COV_CT ResNet50 fold): ``measured here``, the mean of the folds trained on this CPU's
   kind; else ``measured elsewhere, scaled``, the mean of those of another recorded kind
   times the median ratio (this kind / the other) of the blocks that have both, or
   ``measured elsewhere`` unscaled where no block has both; else ``measured, CPU
   unrecorded`` (files written before kinds were recorded, 2026-12-04);
2. ``epoch benchmark``: the network's seconds per epoch on that dataset, measured by
   ``scripts/bench_epoch.py`` (``results/bench/epoch_<dataset>.csv``), times the epochs a
   fold runs: the block's budget, or under early stopping the mean epochs run by the
   dataset's finished folds of the same strategy (the cap where there are none); scaled by
   the median ratio of measured fold seconds to this product over the dataset's blocks that
   have both (the benchmark is minutes on a quiet machine, a long run meets slower hours
   and other work: on COV_CT Xception's folds took 2.2 times the benchmark's 30 epochs);
   ``epoch benchmark (unscaled)`` where no block has both. A benchmark row counts only for
   the block's precision, input size, batch size and batch-norm pass;
3. nothing: counted apart and named, never guessed.

Why not scale one network's fold seconds by the throughput benchmark
(``results/bench/precision.csv``): that times training steps alone, and a fold's epoch also
re-estimates batch-norm statistics and predicts the validation set; on COV_CT Xception's
folds took 4.0 times the seconds the step throughput predicts, FF-VGG19's 1.5 times.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..profiles import split_key
from . import provenance

BASES = ("measured here", "measured elsewhere, scaled", "measured elsewhere", "measured, CPU unrecorded",
         "epoch benchmark", "epoch benchmark (unscaled)")
COLUMNS = ["dataset", "network", "strategy", "remaining", "seconds_per_fold", "basis"]
BENCH_COLUMNS = {"network", "precision", "size", "batch", "epoch_s"}


def epoch_benchmark(dataset: str, bench_dir: Path | None = None) -> dict[tuple, float]:
    """``{(network, precision, size, batch, bn_pass): seconds per epoch}`` from
    ``bench_epoch.py``'s table for ``dataset``, if any (``size``: the input side in pixels;
    ``bn_pass``: "eager", and "traced" where the table timed the traced batch-norm pass too).
    A table without the columns it needs is refused, naming the file."""
    path = (bench_dir or config.results_dir("bench")) / f"epoch_{dataset}.csv"
    if not path.exists():
        return {}
    t = pd.read_csv(path)
    if not BENCH_COLUMNS <= set(t.columns):
        raise ValueError(f"{path}: an epoch benchmark needs the columns {sorted(BENCH_COLUMNS)}; "
                         f"it has {list(t.columns)} (rerun scripts/bench_epoch.py)")
    out = {}
    for r in t.itertuples():
        key = (r.network, r.precision, int(r.size), int(r.batch))
        out[(*key, "eager")] = float(r.epoch_s)
        if pd.notna(getattr(r, "batchnorm_traced_s", np.nan)) and pd.notna(getattr(r, "batchnorm_s", np.nan)):
            out[(*key, "traced")] = float(r.epoch_s - r.batchnorm_s + r.batchnorm_traced_s)
    return out


def _finished_row(job) -> dict | None:
    """The fold file's row if it is current and trained (``status`` ok, seconds recorded)."""
    row = json.loads(job.result_path().read_text())
    return row if row.get("status") == "ok" and row.get("seconds") else None


def _measured(jobs) -> tuple[dict, dict, dict]:
    """Of the finished jobs: ``(seconds, cpu kind)`` of each fold per block, epochs run per
    (dataset, strategy), and a job of each block (its block settings)."""
    seconds, epochs_run, example = {}, {}, {}
    for j in jobs:
        if not j.is_done() or (row := _finished_row(j)) is None:
            continue
        key = (j.dataset, j.network, j.strategy)
        example.setdefault(key, j)
        seconds.setdefault(key, []).append((float(row["seconds"]), row.get("cpu_kind")))
        if row.get("epochs_run"):
            epochs_run.setdefault((j.dataset, j.strategy), []).append(float(row["epochs_run"]))
    return seconds, epochs_run, example


def _by_kind(folds: list, kind: str) -> tuple[float | None, float | None, float | None]:
    """Mean seconds of a block's folds trained on ``kind``, on another recorded kind, and on
    an unrecorded one (None where there are none)."""
    def mean(values):
        return float(np.mean(values)) if values else None
    return (mean([s for s, k in folds if k == kind]), mean([s for s, k in folds if k and k != kind]),
            mean([s for s, k in folds if not k]))


def _measured_estimate(folds: list, kind: str, speed: list) -> tuple[float, str]:
    """A block's seconds per fold from its own folds, and the basis (``speed``: this kind's
    seconds over another recorded kind's, in the blocks that have both)."""
    here, there, unrecorded = _by_kind(folds, kind)
    if here is not None:
        return here, BASES[0]
    if there is not None:
        return (there * float(np.median(speed)), BASES[1]) if speed else (there, BASES[2])
    return unrecorded, BASES[3]
def estimate(jobs, bench_dir: Path | None = None, reference=None, cpu_kind: str | None = None) -> pd.DataFrame:
    """One row per block with remaining folds among ``jobs``: ``dataset, network, strategy,
    remaining, seconds_per_fold`` (NaN where nothing supports an estimate) and ``basis``.
    ``reference``: the jobs whose finished folds calibrate the estimate (default ``jobs``;
    the CLI passes the whole profile, so a filtered ``--list`` gives the same hours).
    ``cpu_kind``: the machine the remaining folds will train on (default: this one)."""
    kind = cpu_kind or provenance.cpu_kind()
    todo = {}
    for j in jobs:
        if not j.is_done():
            todo.setdefault((j.dataset, j.network, j.strategy), []).append(j)
    seconds, epochs_run, example = _measured(jobs if reference is None else reference)
    benches = {}

    def from_benchmark(job) -> float | None:
        if job.strategy != "scratch":
            return None
        block = job.block()
        size = (block.size or job.profile_plan().spec(split_key(job.dataset)[0]).image_size)[0]
        if job.dataset not in benches:
            benches[job.dataset] = epoch_benchmark(job.dataset, bench_dir)
        per_epoch = benches[job.dataset].get((job.network, block.precision_for(job.network), size,
                                              block.batch_size, block.bn_pass_for(job.network)))
        if per_epoch is None:
            return None
        ran = epochs_run.get((job.dataset, job.strategy))
        return per_epoch * (block.epochs if block.patience is None or not ran else float(np.mean(ran)))

    ratios = {}  # dataset -> measured / benchmark seconds of the blocks that have both
    for key, folds in seconds.items():
        if (bench := from_benchmark(example[key])):
            ratios.setdefault(key[0], []).append(float(np.mean([s for s, _ in folds])) / bench)
    speed = [here / there for here, there, _ in (_by_kind(f, kind) for f in seconds.values())
             if here is not None and there is not None]
    rows = []
    for key, left in todo.items():
        per_fold, basis = float("nan"), ""
        if key in seconds:
            per_fold, basis = _measured_estimate(seconds[key], kind, speed)
        elif (bench := from_benchmark(left[0])) is not None:
            scale = ratios.get(key[0])
            per_fold = bench * (float(np.median(scale)) if scale else 1.0)
            basis = BASES[4] if scale else BASES[5]
        rows.append(dict(zip(COLUMNS, (*key, len(left), per_fold, basis))))
    return pd.DataFrame(rows, columns=COLUMNS)


def remaining_text(jobs, bench_dir: Path | None = None, reference=None, cpu_kind: str | None = None) -> str:
    """One paragraph: folds left, hours on this CPU's kind by basis, and the blocks nothing
    estimates."""
    kind = cpu_kind or provenance.cpu_kind()
    t = estimate(jobs, bench_dir, reference, kind)
    if not len(t):
        return "0 fold jobs remain"
    parts = []
    for basis in BASES:
        part = t[t["basis"] == basis]
        if len(part):
            hours = float((part["remaining"] * part["seconds_per_fold"]).sum()) / 3600
            parts.append(f"{int(part['remaining'].sum())} folds about {hours:.1f} h ({basis})")
    text = f"{int(t['remaining'].sum())} fold jobs remain; on this CPU ({kind}): " + "; ".join(parts)
    unknown = t[t["basis"] == ""]
    if len(unknown):
        text += (f"{'; ' if parts else ''}{int(unknown['remaining'].sum())} in blocks not yet timed: "
                 + ", ".join(f"{r.dataset} {r.network} {r.strategy} ({r.remaining})"
                             for r in unknown.sort_values(["dataset", "network"]).itertuples()))
    return text


__all__ = ["estimate", "remaining_text", "epoch_benchmark"]
