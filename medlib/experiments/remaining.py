"""What remains of a long run: fold jobs left, and their estimated hours with the basis of
each estimate (``python -m medlib run --profile P --list``).

A remaining fold is estimated from the best evidence there is, in this order:

1. its own block's finished folds (same dataset, network and strategy, today's
   configuration), by the machine kind each fold file records (``cpu_kind``, written by runs
   from commit 5084389 on; two "AMD EPYC" machines of this project, one without AVX-512,
   differ 5.8 times on a COV_CT ResNet50 fold; with ``+tcmalloc`` or ``+jemalloc`` where the
   fold trained under that allocator, 2-2.4 times glibc's speed on one CPU:
   :func:`medlib.experiments.provenance.trained_on`): ``measured here``, the mean of the folds
   trained on this machine's kind; else ``measured elsewhere, scaled``, each other kind's mean
   times the median speed ratio (seconds per epoch, this kind / that one, so early stopping
   is not read as speed) of the blocks of the same precision that ran on both; or
   ``measured elsewhere`` unscaled where no block ran on both, from the folds of the same
   hardware (a CPU's from other CPUs' folds, a GPU's from other GPUs': unscaled, a GPU fold
   ten times faster would halve a CPU estimate); else ``measured, CPU unrecorded`` (older
   files, whichever machine wrote them);
2. ``epoch benchmark``: the network's seconds per epoch on that dataset, measured by
   ``scripts/bench_epoch.py`` (``results/bench/epoch_<dataset>.csv``), times the epochs a
   fold runs: the block's budget, or under early stopping the mean epochs run by the
   dataset's finished folds of the same strategy (the cap where there are none); scaled by
   the median ratio of measured fold seconds to this product over the dataset's blocks that
   have both (the benchmark is minutes on a quiet machine, a long run meets slower hours
   and other work: on COV_CT Xception's folds took 2.2 times the benchmark's 30 epochs);
   ``epoch benchmark (unscaled)`` where no block has both. A benchmark row counts only for
   the block's precision, input size, batch size and batch-norm pass;
3. ``same network elsewhere, scaled``: the same network, strategy and precision trained on
   another dataset (this CPU's kind first, then the dataset nearest in workload; the
   ``reference`` column names it and the basis of its own seconds), its seconds per epoch times
   the workload ratio, times the epochs a fold runs (as in 2; a second reading without folds
   takes its base's). A dataset's workload is the pixels an epoch passes,
   ``(n_train + n_val) x height x width``, read from its finished folds of any network, or from
   those of the dataset it is a second reading of (whole Cells2 smears share the crops' images
   and folds, COV_CT's 0-255 noise reading COV_CT's). A network's cost per pixel is not
   constant: priced this way from another dataset, the blocks that ran come out at 0.5-1.2
   times their measured seconds per epoch (:func:`scaling_check`,
   ``scripts/check_cost_scaling.py``: MobileNetV2, ResNet50 and NASNetMobile; no Xception block
   has a float32 reference to check against yet); the smallest dataset, Cells2's 105 training
   crops, at half, since an epoch's fixed costs do not shrink with its pixels. So read this as
   a rough figure, low for small datasets. ``scratch folds, scaled (upper bound)`` for a
   strategy that has no folds yet but trains less per step (fine-tuning: head warm-up on the
   frozen backbone, then the top layers, no batch-norm re-estimate): scratch epochs of the same
   network (on this dataset or another), scaled the same way, times the warm-up and budget epochs;
4. nothing: counted apart and named, never guessed.

On a CPU without AVX512-BF16, the bfloat16 blocks are counted apart, with their hours on a
machine that has it: ``long_run.sh`` leaves them to one (emulated, they run at 0.1-0.2x).

Why not scale one network's fold seconds by the throughput benchmark
(``results/bench/precision.csv``): that times training steps alone, and a fold's epoch also
re-estimates batch-norm statistics and predicts the validation set; on COV_CT Xception's
folds took 4.0 times the seconds the step throughput predicts, FF-VGG19's 1.5 times.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, strategies
from ..data.registry import get_spec
from ..profiles import split_key
from . import provenance

BASES = ("measured here", "measured elsewhere, scaled", "measured elsewhere", "measured, CPU unrecorded",
         "epoch benchmark", "epoch benchmark (unscaled)", "same network elsewhere, scaled",
         "scratch folds, scaled (upper bound)")
COLUMNS = ["dataset", "network", "strategy", "precision", "remaining", "seconds_per_fold", "basis", "reference"]
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
    row = job.finished_row()
    return row if row is not None and row.get("status") == "ok" and row.get("seconds") else None


def _measured(jobs) -> tuple[dict, dict, dict, dict]:
    """Of the finished jobs: ``(seconds, cpu kind, epochs run)`` of each fold per block, epochs
    run per (dataset, strategy), a job of each block (its block settings), and each dataset's
    workload (:func:`workload`) where its fold files record it."""
    folds, epochs_run, example, pixels = {}, {}, {}, {}
    for j in jobs:
        if (row := _finished_row(j)) is None:
            continue
        key = (j.dataset, j.network, j.strategy)
        example.setdefault(key, j)
        folds.setdefault(key, []).append((float(row["seconds"]), provenance.trained_on(row), row.get("epochs_run")))
        if row.get("epochs_run"):
            epochs_run.setdefault((j.dataset, j.strategy), []).append(float(row["epochs_run"]))
        if (w := workload(row)) is not None:
            pixels.setdefault(j.dataset, []).append(w)
    return folds, epochs_run, example, {d: float(np.mean(w)) for d, w in pixels.items()}


def workload(row: dict) -> float | None:
    """Pixels one epoch of a fold passes: ``(n_train + n_val) x height x width`` from its fold
    file (None where the file does not record them, or they make no positive number)."""
    try:
        h, w = (int(v) for v in str(row["input_size"]).split("x"))
        pixels = float(row["n_train"] + row["n_val"]) * h * w
    except (KeyError, TypeError, ValueError):
        return None
    return pixels if np.isfinite(pixels) and pixels > 0 else None


def _mean(values) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _per_epoch(folds: list, kind) -> float | None:
    """Mean seconds per epoch of the folds of ``kind`` (per fold where epochs are not recorded):
    under early stopping a fold's epochs vary, and a speed ratio must not read them as speed."""
    return _mean([s / e if e else s for s, k, e in folds if k == kind])


def _speed_ratios(folds: dict, precision: dict, kind: str) -> dict:
    """``{(other kind, precision): [this kind's seconds per epoch / the other's]}`` over the
    blocks that ran folds on both (a precision apart: bfloat16 is emulated without AVX512-BF16)."""
    ratios = {}
    for key, block in folds.items():
        if (here := _per_epoch(block, kind)) is None:
            continue
        for other in {k for _, k, _ in block if k and k != kind}:
            ratios.setdefault((other, precision[key]), []).append(here / _per_epoch(block, other))
    return ratios


def _measured_estimate(block: list, kind: str, precision: str, ratios: dict) -> tuple[float, str] | None:
    """A block's seconds per fold from its own folds, and the basis: this kind's folds; else
    each other recorded kind's scaled by its speed ratio (unscaled where none is known, from
    hardware of the same family only); else folds of no recorded kind. None where only an
    unrelated kind (a GPU for a CPU, or the reverse) ran the block and nothing scales it."""
    if (here := _mean([s for s, k, _ in block if k == kind])) is not None:
        return here, BASES[0]
    others = {k for _, k, _ in block if k}
    scaled = [_mean([s for s, k, _ in block if k == other]) * float(np.median(ratios[(other, precision)]))
              for other in others if (other, precision) in ratios]
    if scaled:
        return float(np.mean(scaled)), BASES[1]
    is_cpu = provenance.base_kind(kind) in provenance.CPU_KINDS
    alike = {k for k in others if (provenance.base_kind(k) in provenance.CPU_KINDS) == is_cpu}
    if alike:
        return _mean([s for s, k, _ in block if k in alike]), BASES[2]
    if others:
        return None  # only unrelated hardware, no ratio: the benchmark, or nothing, decides
    return _mean([s for s, _, _ in block]), BASES[3]



def _base(dataset: str) -> str | None:
    """The dataset whose images and folds ``dataset`` reads a second time, if any."""
    try:
        return get_spec(dataset).reading_of
    except KeyError:  # not a registry dataset (a cross-device task)
        return None


def _pixels_of(dataset: str, pixels: dict) -> float | None:
    """A dataset's workload, or that of the dataset it is a second reading of."""
    if dataset in pixels:
        return pixels[dataset]
    base = _base(dataset)
    return pixels.get(base) if base else None


def scaled_per_epoch(key: tuple, folds: dict, pixels: dict, precision: dict, kind: str,
                     speed: dict, exclude=()) -> tuple[float, tuple, bool, str] | None:
    """Block ``key`` = (dataset, network, strategy)'s seconds per epoch on ``kind`` from the same
    network and precision elsewhere: ``(seconds, the reference block, upper, the basis of the
    reference's own seconds)``, or None. The reference is a block of the same strategy on another
    dataset, else (``upper``: a bound) a ``scratch`` block of the network (this dataset's too);
    only blocks whose folds record their epochs, of the same precision, on a dataset of known
    workload and not in ``exclude``; among those, one with folds of ``kind`` first, then the
    nearest in workload."""
    dataset, network, strategy = key
    here = _pixels_of(dataset, pixels)
    if here is None or not strategies.get(strategy).trains_backbone:
        return None

    def usable(k):
        return (k[0] in pixels and k[0] not in exclude and precision.get(k) == precision[key]
                and any(e for _, _, e in folds[k]))

    same = [k for k in folds if k[1:] == key[1:] and k[0] != dataset and usable(k)]
    upper = not same
    refs = same or [k for k in folds if k[1:] == (network, "scratch") and usable(k)]
    if not refs:
        return None
    ref = min(refs, key=lambda k: (not any(kd == kind for _, kd, _ in folds[k]), abs(np.log(pixels[k[0]] / here))))
    per_epoch = _measured_estimate([(s / e, kd, 1) for s, kd, e in folds[ref] if e], kind, precision[key], speed)
    if per_epoch is None:
        return None
    return per_epoch[0] * here / pixels[ref[0]], ref, upper, per_epoch[1]


def scaling_check(jobs, cpu_kind: str | None = None) -> pd.DataFrame:
    """How well :func:`scaled_per_epoch` would have priced the blocks that ran: each finished
    block of a strategy that trains its backbone, priced as if its own folds were not there
    (from another dataset only), beside its measured seconds per epoch on ``cpu_kind``.
    Columns ``dataset, network, strategy, reference, estimated_s_per_epoch,
    measured_s_per_epoch, ratio`` (estimated / measured)."""
    kind = cpu_kind or provenance.machine_kind()
    folds, _, example, pixels = _measured(jobs)
    precision = {key: job.config()["precision"] for key, job in example.items()}
    speed = _speed_ratios(folds, precision, kind)
    rows = []
    for key, block in folds.items():
        measured = _per_epoch(block, kind)
        if measured is None or not strategies.get(key[2]).trains_backbone:
            continue
        # a second reading and its base share their images: neither prices the other here
        twins = {d for d, _, _ in folds if d == key[0] or _base(d) == key[0] or _base(key[0]) == d}
        found = scaled_per_epoch(key, {k: v for k, v in folds.items() if k != key}, pixels, precision, kind, speed,
                                 exclude=twins)
        if found is None or found[2]:
            continue
        rows.append(dict(dataset=key[0], network=key[1], strategy=key[2], reference=found[1][0],
                         estimated_s_per_epoch=round(found[0], 1), measured_s_per_epoch=round(measured, 1),
                         ratio=round(found[0] / measured, 2)))
    return pd.DataFrame(rows, columns=["dataset", "network", "strategy", "reference", "estimated_s_per_epoch",
                                       "measured_s_per_epoch", "ratio"])


def estimate(jobs, bench_dir: Path | None = None, reference=None, cpu_kind: str | None = None) -> pd.DataFrame:
    """One row per block with remaining folds among ``jobs``: ``dataset, network, strategy,
    precision, remaining, seconds_per_fold`` (NaN where nothing supports an estimate) and
    ``basis``. ``reference``: the jobs whose finished folds calibrate the estimate (default
    ``jobs``; the CLI passes the whole profile, so a filtered ``--list`` gives the same hours).
    ``cpu_kind``: the machine the remaining folds will train on (default: this one)."""
    kind = cpu_kind or provenance.machine_kind()
    todo = {}
    for j in jobs:
        if not j.is_done():
            todo.setdefault((j.dataset, j.network, j.strategy), []).append(j)
    folds, epochs_run, example, pixels = _measured(jobs if reference is None else reference)
    blocks = {**example, **{key: left[0] for key, left in todo.items()}}
    precision = {key: job.config()["precision"] for key, job in blocks.items()}
    benches = {}

    def from_benchmark(job) -> float | None:
        if not strategies.get(job.strategy).trains_backbone:  # the benchmark times trained epochs
            return None
        block = job.block()
        size = (block.size or job.profile_plan().spec(split_key(job.dataset)[0]).image_size)[0]
        if job.dataset not in benches:
            benches[job.dataset] = epoch_benchmark(job.dataset, bench_dir)
        per_epoch = benches[job.dataset].get((job.network, block.precision_for(job.network), size,
                                              block.batch_size, block.bn_pass_for(job.network)))
        if per_epoch is None:
            return None
        return per_epoch * fold_epochs(job)

    def fold_epochs(job) -> float:
        """The block's budget, or under early stopping the mean epochs its dataset's folds of the
        strategy ran (a second reading without folds: its base's), the cap where none ran."""
        block = job.block()
        ran = epochs_run.get((job.dataset, job.strategy)) or epochs_run.get((_base(job.dataset), job.strategy))
        return block.epochs if block.patience is None or not ran else float(np.mean(ran))

    def from_other_dataset(key, job) -> tuple[float, str, str] | None:
        if (found := scaled_per_epoch(key, folds, pixels, precision, kind, speed)) is None:
            return None
        per_epoch, ref, upper, ref_basis = found
        epochs = fold_epochs(job) + (strategies.get(key[2]).warmup_epochs if upper else 0)
        return per_epoch * epochs, BASES[7 if upper else 6], f"{' '.join(ref)} ({ref_basis})"

    bench_ratios = {}  # dataset -> measured / benchmark seconds of the blocks that have both
    for key, block in folds.items():
        if (bench := from_benchmark(example[key])):
            bench_ratios.setdefault(key[0], []).append(_mean([s for s, _, _ in block]) / bench)
    speed = _speed_ratios(folds, precision, kind)
    rows = []
    for key, left in todo.items():
        per_fold, basis, ref = float("nan"), "", ""
        measured = _measured_estimate(folds[key], kind, precision[key], speed) if key in folds else None
        if measured is not None:
            per_fold, basis = measured
        elif (bench := from_benchmark(left[0])) is not None:
            scale = bench_ratios.get(key[0])
            per_fold = bench * (float(np.median(scale)) if scale else 1.0)
            basis = BASES[4] if scale else BASES[5]
        elif (scaled := from_other_dataset(key, left[0])) is not None:
            per_fold, basis, ref = scaled
        rows.append(dict(zip(COLUMNS, (*key, precision[key], len(left), per_fold, basis, ref))))
    return pd.DataFrame(rows, columns=COLUMNS)


def _hours_text(t: pd.DataFrame) -> list[str]:
    parts = []
    for basis in BASES:
        part = t[t["basis"] == basis]
        if len(part):
            hours = float((part["remaining"] * part["seconds_per_fold"]).sum()) / 3600
            parts.append(f"{int(part['remaining'].sum())} folds about {hours:.1f} h ({basis})")
    unknown = t[t["basis"] == ""]
    if len(unknown):
        parts.append(f"{int(unknown['remaining'].sum())} in blocks not yet timed: "
                     + ", ".join(f"{r.dataset} {r.network} {r.strategy} ({r.remaining})"
                                 for r in unknown.sort_values(["dataset", "network"]).itertuples()))
    return parts


def remaining_text(jobs, bench_dir: Path | None = None, reference=None, cpu_kind: str | None = None) -> str:
    """One paragraph: folds left, hours by basis for this CPU's kind, and the blocks nothing
    estimates. Without AVX512-BF16 the bfloat16 blocks are told apart (``long_run.sh`` leaves
    them to a machine that has it), with their hours on such a machine."""
    kind = cpu_kind or provenance.machine_kind()
    t = estimate(jobs, bench_dir, reference, kind)
    if not len(t):
        return "0 fold jobs remain"
    text = f"{int(t['remaining'].sum())} fold jobs remain (this CPU: {kind})"
    waiting = t["precision"].eq("mixed_bfloat16") if provenance.base_kind(kind) != "avx512_bf16" else t["precision"].isna()
    if (~waiting).any():
        text += ": " + "; ".join(_hours_text(t[~waiting]))
    if waiting.any():
        there = estimate(jobs, bench_dir, reference, "avx512_bf16" + kind[len(provenance.base_kind(kind)):])
        there = there[there["precision"].eq("mixed_bfloat16")]
        text += (f"{'; ' if (~waiting).any() else ': '}{int(there['remaining'].sum())} in bfloat16 blocks wait "
                 "for an AVX512-BF16 CPU (there: " + "; ".join(_hours_text(there)) + ")")
    return text


__all__ = ["estimate", "remaining_text", "epoch_benchmark", "scaled_per_epoch", "scaling_check", "workload"]
