"""Experiment 1 (s2.4.1): every network x strategy under k-fold CV, as resumable fold jobs.

A :class:`FoldJob` (dataset, network, strategy, head, fold, profile, seed) trains
and tests one fold and writes one small JSON: metrics, the test set's floor
(``majority``), a ``diagnosis``, the learning curve, timing and library
versions, under ``results/<profile>/runs/<dataset>/<network>/<strategy>/<head>/``.
Predictions go to a sibling ``.pred.json``. A finished fold is skipped on
rerun, so an interrupted run resumes where it stopped, on any machine;
``--shard i/n`` (:func:`select_shard`) spreads the jobs over many.

* ``off_the_shelf``: the frozen ImageNet backbone's features of every image (and
  of fixed augmented views, where the paper augments) come from
  :mod:`medlib.features`, computed once; each fold trains a head on them: the
  paper's dense head (``head="dense"``) and a logistic-regression probe
  (``head="logreg"``, the reference line). Networks without ImageNet weights
  are written as ``not run``, with the reason.
* ``scratch``: the whole network, built and compiled once per process and shape
  (graph tracing costs 5-110 s on a CPU) and restored to its initial state per
  fold, trained as :mod:`medlib.experiments.training` says.

Settings come from the profile's :class:`~medlib.profiles.Block` for the dataset
and strategy. Models are released after each network's folds, so memory holds
one network at a time.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..strategies import get as get_strategy, heads as strategy_heads
from ..data import Dataset, get_spec, load_dataset
from ..diagnose import convergence_diagnosis, diagnose_groups, majority_rate
from ..models import WeightsUnavailable
from ..profiles import Block, Profile, get_profile, split_key
from ..progress import progress_bar
from . import engine, provenance, training
from .engine import Context, fit_predict
from .splits import assert_no_leak, fold_indices, load_or_make_splits, saved_splits
from .tasks import task_dataset, task_of


REPLICATE_STRIDE = 7919  # a prime: no replicate's seed is another fold's


@dataclass(frozen=True)
class FoldJob(engine.Job):
    dataset: str
    network: str
    strategy: str
    fold: int
    profile: str
    seed: int = config.DEFAULT_SEED
    head: str = "dense"
    # another training seed on the same fold (same split, same test images): replicate r trains
    # with seed + fold + REPLICATE_STRIDE * r; replicate 0 is the fold's first run
    replicate: int = 0
    # the profile value that planned the job, when it is not the registry's own (a user's data
    # added by medlib.profiles.add_datasets); not part of the job's identity or its row
    planned_by: Profile | None = field(default=None, compare=False, repr=False)

    def result_path(self) -> Path:
        name = f"fold{self.fold}" + (f".r{self.replicate}" if self.replicate else "")
        return (config.results_dir(self.profile) / "runs" / self.dataset / self.network
                / self.strategy / self.head / f"{name}.json")

    def training_seed(self) -> int:
        return self.seed + self.fold + REPLICATE_STRIDE * self.replicate

    def predictions_path(self) -> Path:
        return self.result_path().with_suffix(".pred.json")

    def model_path(self) -> Path:
        return (config.results_dir(self.profile) / "models"
                / f"{self.dataset}_{self.network}_{self.strategy}_fold{self.fold}.weights.h5")

    def block(self) -> Block:
        return self.profile_plan().block(self.dataset, self.strategy, self.network)

    def config(self) -> dict:
        """What this fold's row depends on besides its index (:mod:`.provenance`)."""
        name, task = split_key(self.dataset)
        profile = self.profile_plan()
        return provenance.fold_config(self.block(), profile, self.network, self.strategy, self.head, self.seed,
                                      None if task else profile.spec(name).image_size)

    def finished_row(self) -> dict | None:
        """Its fold file's row if written under today's configuration; None when absent or stale."""
        return provenance.current_row(self.result_path(), provenance.config_hash(self.config()))

    def is_done(self) -> bool:
        """Its fold file exists and was written under today's configuration (not stale)."""
        return self.finished_row() is not None


def _keys(datasets) -> list[str] | None:
    """Dataset keys of ``datasets`` (keys, or specs of a user's folders); None stays None."""
    return None if not datasets else [getattr(d, "key", d) for d in datasets]


def _spec(key: str, profile: Profile | None = None):
    """Dataset ``key``'s spec: from ``profile`` (which carries a user's folders), else the registry."""
    return profile.spec(key) if profile is not None else get_spec(key)


def block_dataset(key: str, block: Block, seed: int = config.DEFAULT_SEED,
                  profile: Profile | None = None) -> Dataset:
    """The images ``block`` trains on: a dataset at the block's size, or (``key@task``) a
    cross-device task's harmonised, relabelled version. ``profile``: where a user's dataset
    or task is found (:attr:`Profile.own_data`); else the registries'."""
    name, task = split_key(key)
    if task:
        return task_dataset(_spec(name, profile), task_of(profile, task), block, seed)
    spec = _spec(key, profile)
    size = tuple(block.size or spec.image_size)
    return load_dataset(spec, size=size, per_class=block.per_class, seed=seed, progress=False)


def splits_path(profile: Profile, dataset: str, block: Block, seed: int) -> Path:
    """Where a block's splits are saved. A subsample (``per_class``) gets its own file: it must
    never replace the saved splits of the whole dataset that finished folds were cut from."""
    tag = "official" if block.folds == "official" else f"k{profile.cv_folds}"
    sub = f"_{block.per_class}per_class" if block.per_class else ""
    return config.results_dir(profile.name) / "splits" / f"{dataset}_{tag}{sub}_seed{seed}.csv"


def block_splits(profile: Profile, ds: Dataset, block: Block, seed: int) -> pd.DataFrame:
    """The block's saved splits (made and saved the first time). A second reading of a dataset
    (``spec.reading_of``: the same files read another way) takes its base's splits, so each of
    its folds pairs with the base's fold of the same index; its images must be the base's."""
    folds = "official" if block.folds == "official" else profile.cv_folds
    base = ds.spec.reading_of
    if not base:
        return load_or_make_splits(ds, folds, seed, splits_path(profile, ds.spec.key, block, seed))
    path = splits_path(profile, base, block, seed)
    if not path.exists():
        load_or_make_splits(block_dataset(base, block, seed, profile), folds, seed, path)
    splits = saved_splits(ds, path)
    if splits is None:
        raise ValueError(f"{ds.spec.key} is a second reading of {base} but its images are not {base}'s "
                         f"(in {path}): it must read the same files, in the same order")
    return splits


@dataclass(frozen=True)
class FoldData:
    """A fold's images and its train / validation / test indices, checked for leaks."""

    ds: Dataset
    splits: pd.DataFrame
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def fold_data(job: FoldJob, ds: Dataset | None = None, splits: pd.DataFrame | None = None,
              block: Block | None = None) -> FoldData:
    """The data of ``job``'s fold: its block's dataset (``ds`` where already loaded), the saved
    splits, and the fold's indices, with :func:`~medlib.experiments.splits.assert_no_leak`
    run on them. The one way a fold's data is had: :func:`run_fold` and the bench scripts use
    it. ``block``: a variant of the job's block (a bench's other epoch budget or subsample)."""
    profile = job.profile_plan()
    block = block or profile.block(job.dataset, job.strategy, job.network)
    ds = ds if ds is not None else block_dataset(job.dataset, block, job.seed, profile)
    if splits is None:
        splits = block_splits(profile, ds, block, job.seed)
    train, val, test = fold_indices(splits, job.fold, job.seed, profile.val_fraction)
    assert_no_leak(splits, train, val, test)
    return FoldData(ds, splits, train, val, test)


def run_fold(job: FoldJob, ds: Dataset | None = None, ctx: Context | None = None,
             splits: pd.DataFrame | None = None) -> dict:
    """Train and test one fold; write and return its result row (skips if already done).
    The steps are :mod:`.engine`'s; what is a fold's own is its split and its row's fields."""
    out_path = job.result_path()
    profile = job.profile_plan()
    block = profile.block(job.dataset, job.strategy, job.network)
    stamp = provenance.stamp(job.config())
    strategy = get_strategy(job.strategy)
    done = engine.finished(out_path, stamp["config_hash"])
    if done is not None:
        return done
    data = fold_data(job, ds, splits, block)
    ds, train, val, test = data.ds, data.train, data.val, data.test
    ctx = ctx or Context()
    y = ds.targets
    row = {**job.identity(), "n_train": len(train), "n_val": len(val), "n_test": len(test),
           "input_size": "x".join(map(str, ds.images.shape[1:3])),
           "views": block.views if strategy.frozen_backbone else 0,
           "majority": majority_rate(y[test]), "train_majority": majority_rate(y[train]), **stamp,
           **engine.versions()}
    start = time.time()
    save = (job.model_path() if block.save_models and job.fold == 0 and job.replicate == 0
            and strategy.trains_backbone else None)
    try:
        (proba,), info = fit_predict(ctx, job.network, job.strategy, job.head, block, ds, train, val,
                                     [(ds, test)], job.training_seed(), save_to=save,
                                     build_seed=job.seed)
    except WeightsUnavailable as exc:
        return engine.not_run(out_path, row, exc)
    history = info.pop("history")
    row = engine.scored(row, y[test], proba, ds.spec, start, info, train_accuracy=info.get("train_accuracy"),
                        train_majority=majority_rate(y[train]),
                        # a fixed budget (selection "last") says nothing of a plateau
                        plateau=info.get("plateau") if strategy.trains_backbone
                        and info.get("selection") == "val_loss" else None,
                        epochs_run=info.get("epochs_run"))
    return engine.write_result(out_path, {**row, "history": history},
                               {"test_index": [int(i) for i in test], "y_true": [int(v) for v in y[test]],
                                "proba": np.round(proba, 6).tolist()})


def plan(profile: str | Profile, datasets=None, networks=None, strategies=None,
         seed: int = config.DEFAULT_SEED) -> list[FoldJob]:
    """Every fold job of the profile's blocks (optionally filtered), in a fixed order: block by
    block, each block's first runs and then its replicates (other training seeds, same folds).
    ``profile``: a registry name, or a profile value (a user's data added to it)."""
    profile, datasets = get_profile(profile), _keys(datasets)
    jobs = []
    for b in profile.blocks:
        if (datasets and b.dataset not in datasets) or (strategies and b.strategy not in strategies):
            continue
        heads = strategy_heads(b)
        for r in range(b.replicates):
            for n in b.networks:
                if networks and n not in networks:
                    continue
                jobs += [FoldJob(b.dataset, n, b.strategy, k, profile.name, seed, h, r, _planned(profile))
                         for k in b.fold_ids(profile.cv_folds) for h in heads]
    return jobs


def _planned(profile: Profile) -> Profile | None:
    """What a job carries: nothing for a registry profile (found by name), else the value."""
    from ..profiles import PROFILES

    return None if PROFILES.get(profile.name) is profile else profile


def plan_table(profile: str | Profile, datasets=None) -> pd.DataFrame:
    """The profile's blocks on ``datasets`` (default: all), one row each, as notebook 02 shows them;
    ``waits for``: the registered condition a block is held for (``python -m medlib gate NAME``)."""
    profile, datasets = get_profile(profile), _keys(datasets)
    return pd.DataFrame([{
        "dataset": b.dataset, "strategy": b.strategy, "networks": ", ".join(b.networks),
        "folds": b.folds or profile.cv_folds, "size": b.size or profile.spec(b.dataset).image_size,
        "epochs (cap)": b.epochs, "patience": b.patience, "lr": _rates(b), "batch": b.batch_size,
        "seeds": b.replicates, "precision": _per_network(b, b.precision_for, "float32"),
        "views": b.views, "heads": ", ".join(strategy_heads(b)),
        "waits for": b.when or "", "why": b.note} for b in profile.blocks if not datasets or b.dataset in datasets])


def _per_network(block: Block, value, default) -> str:
    """``value(network)`` of every network of ``block``: one value where they share it, else per network."""
    values = {n: value(n) for n in block.networks}
    if len(set(values.values())) == 1:
        return f"{next(iter(values.values())):g}" if isinstance(default, float) else str(next(iter(values.values())))
    return ", ".join(f"{n} {v:g}" if isinstance(v, float) else f"{n} {v}" for n, v in values.items())


def _rates(block: Block) -> str:
    """The learning rate each network of ``block`` trains at (the plain VGGs have their own)."""
    return _per_network(block, block.lr_for, 1e-3)


def select_shard(jobs: list, shard: str | None) -> list:
    """Jobs ``i, i + n, i + 2n, ...`` of the fixed plan for ``shard="i/n"`` (0-based): every job
    lands in exactly one shard, the same one on every machine (e.g. a SLURM array task id)."""
    if not shard:
        return jobs
    i, n = (int(v) for v in shard.split("/"))
    if not 0 <= i < n:
        raise ValueError(f"shard {shard!r}: need 0 <= i < n")
    return jobs[i::n]


def dataset_ready(key: str, block: Block, profile: Profile | None = None) -> bool:
    """The dataset's images can be had here: packed arrays (``MEDLIB_ARRAYS``), or the data."""
    from ..data import is_available
    from ..data.dataset import packed_path

    spec = _spec(split_key(key)[0], profile)
    packed = packed_path(spec.key, tuple(block.size or spec.image_size), block.per_class)
    return (packed is not None and packed.exists()) or is_available(spec)


def run_jobs(jobs: list[FoldJob], progress: bool = True, deadline: float | None = None,
             on_fold: Callable[[FoldJob], None] | None = None) -> None:
    """Run fold jobs (finished ones are skipped), one network in memory at a time. Jobs whose
    dataset is not on this machine are left out, named, and stay pending for a machine that
    has it (no file is written for them). ``deadline`` (a ``time.monotonic()`` value): no job
    starts after it, so a machine lent for minutes ends with whole fold files and the rest
    stay pending. ``on_fold(job)`` runs after each fold's file is written (a lent machine
    archives what it has so far, in case it is killed)."""
    todo = [j for j in jobs if not j.is_done()]
    stale = sum(j.result_path().exists() for j in todo)
    if stale:
        print(f"[run] {stale} fold file(s) written under another configuration are stale: rerun")
    absent = sorted({j.dataset for j in todo if not dataset_ready(j.dataset, j.block(), j.profile_plan())})
    if absent:
        print(f"[run] dataset(s) not on this machine, their jobs stay pending: {', '.join(absent)}")
        todo = [j for j in todo if j.dataset not in absent]
    todo, held = hold_conditional(todo)
    for what, why in held.items():
        print(f"[run] {what}: its jobs stay pending ({why})")
    ctx = Context()
    current = None
    for i, job in enumerate(progress_bar(todo, desc="fold jobs", disable=not progress)):
        if deadline is not None and time.monotonic() >= deadline:
            print(f"[run] time is up: {len(todo) - i} fold job(s) not started stay pending")
            break
        profile = job.profile_plan()
        block = profile.block(job.dataset, job.strategy, job.network)
        key = (job.dataset, block.size, block.per_class, block.folds == "official")
        if key not in ctx.loaded:  # one dataset (at one size) in memory at a time
            ds = block_dataset(job.dataset, block, job.seed, profile)
            ctx.loaded = {key: (ds, block_splits(profile, ds, block, job.seed))}
        if current is not None and current != job.network:
            ctx.release()
        current = job.network
        ds, splits = ctx.loaded[key]
        run_fold(job, ds, ctx, splits)
        if on_fold is not None:
            on_fold(job)
    ctx.release()
    ctx.loaded.clear()


def done_text(jobs: list[FoldJob]) -> str:
    """``"k of n fold jobs done"``, with the done jobs whose fold file records "not run" (a
    network without ImageNet weights: nothing was trained) counted apart from those trained, so
    a count of finished work is never inflated by placeholders."""
    done = [row for j in jobs if (row := j.finished_row()) is not None]
    not_run = sum(row.get("status") == "not run" for row in done)
    text = f"{len(done)} of {len(jobs)} fold jobs done"
    return text + (f" ({len(done) - not_run} trained, {not_run} recorded as not run)" if not_run else "")


def hold_conditional(jobs: list[FoldJob]) -> tuple[list[FoldJob], dict[str, str]]:
    """``(jobs to run, {held block: why})``: the jobs of blocks that wait for a registered condition
    (``Block.when``, :data:`medlib.readings.CONDITIONS`) that does not hold on their profile's fold
    files are held. :func:`run_jobs`, the queue every runner goes through (the CLI, notebooks,
    ``make reproduce``, a lent GPU), leaves them pending; :func:`run_fold` alone trains what it is
    given."""
    from ..readings import CONDITIONS

    tables, verdicts, held, keep = {}, {}, {}, []
    for job in jobs:
        block = job.block()
        if block.when:
            key = (job.profile, block.when)
            if key not in verdicts:  # one read of a profile's fold files, however many conditions
                if job.profile not in tables:
                    tables[job.profile] = collect(job.profile)
                verdicts[key] = CONDITIONS[block.when](tables[job.profile], job.profile)
            run, why = verdicts[key]
            if not run:
                held[f"{block.dataset} {', '.join(block.networks)}"] = why
                continue
        keep.append(job)
    return keep, held


def run_experiment(profile: str | Profile, datasets=None, networks=None, strategies=None,
                   seed: int = config.DEFAULT_SEED, progress: bool = True,
                   shard: str | None = None) -> pd.DataFrame:
    """All fold jobs of the profile (or one shard of them); returns the tidy table."""
    run_jobs(select_shard(plan(profile, datasets, networks, strategies, seed), shard), progress)
    return collect(profile, datasets)


def _fold_files(profile_name: str):
    """The transfer experiment's fold files. The in-domain folds of cross-device tasks
    (``key@task``, notebook 03) live in the same runs folder but belong to notebook 03's
    tables: read here, a rerun of notebook 02 after 03 would add them to Tables 5-8."""
    root = config.results_dir(profile_name) / "runs"
    return sorted(p for p in root.glob("*/*/*/*/fold*.json")
                  if not p.name.endswith(".pred.json") and not split_key(p.parts[-5])[1])


def _current_hash(row: dict, profile: Profile) -> str | None:
    """The configuration hash the profile plans today for ``row``'s fold (None: no such block)."""
    try:
        job = FoldJob(row["dataset"], row["network"], row["strategy"], int(row["fold"]), profile.name,
                      int(row.get("seed", config.DEFAULT_SEED)), row.get("head", "dense"),
                      int(row.get("replicate", 0) or 0), _planned(profile))
        return provenance.config_hash(job.config())
    except (KeyError, ValueError):
        return None


def _fold_rows(profile: str | Profile, datasets=None, include_stale: bool = False):
    """Fold files' rows with their ``config_hash`` and ``current`` (written under the
    configuration the profile plans today); stale rows only with ``include_stale``."""
    profile, datasets = get_profile(profile), _keys(datasets)
    for path in _fold_files(profile.name):
        row = json.loads(path.read_text())
        if datasets and row["dataset"] not in datasets:
            continue
        row["config_hash"] = row.get("config_hash") or ""
        row["current"] = bool(row["config_hash"]) and row["config_hash"] == _current_hash(row, profile)
        if row["current"] or include_stale:
            yield row


def collect(profile: str | Profile, datasets=None, include_stale: bool = False) -> pd.DataFrame:
    """The tidy results table (one row per fold), floors diagnosed per group, from the files.

    Only folds written under today's configuration (their ``config_hash`` column) are
    evidence; stale ones (another block setting, precision or recipe; or no hash at all)
    wait to be rerun and come back only with ``include_stale`` (see :func:`config_report`)."""
    rows = [_with_convergence({k: v for k, v in row.items() if k != "history"}, row.get("history"))
            for row in _fold_rows(profile, datasets, include_stale)]
    df = pd.DataFrame(rows)
    if not len(df):
        return df
    first = ["dataset", "network", "strategy", "head", "fold", "status", "accuracy", "auc", "majority",
             "diagnosis", "config_hash"]
    df = df[[c for c in first if c in df] + [c for c in df if c not in first]]
    if "replicate" not in df:
        df["replicate"] = 0
    df["replicate"] = df["replicate"].fillna(0).astype(int)
    return diagnose_groups(df).sort_values(["dataset", "network", "strategy", "head", "fold", "replicate"],
                                           ignore_index=True)


def _with_convergence(row: dict, history) -> dict:
    """The diagnosis of a row whose backbone trained (``Strategy.trains_backbone``: scratch,
    fine-tuning) with :func:`~medlib.diagnose.convergence_diagnosis` added (derived from the
    stored learning curve when the table is collected, so every fold file is judged by today's
    rule); a frozen backbone's head is not judged by its curve."""
    if row.get("status") != "ok" or not get_strategy(row.get("strategy")).trains_backbone:
        return row
    train_majority = row.get("train_majority")
    note = convergence_diagnosis(history, train_majority,
                                 row.get("plateau") if row.get("selection") == "val_loss" else None)
    if note:
        row["diagnosis"] = "; ".join(d for d in (row.get("diagnosis") or "", note) if d)
    return row


def config_report(profile: str | Profile) -> pd.DataFrame:
    """Per block (dataset, network, strategy, head): the configuration hashes its fold files
    carry, how many folds each, and whether they are current; what ``collect`` prints."""
    df = collect(profile, include_stale=True)
    if not len(df):
        return df
    keys = ["dataset", "network", "strategy", "head", "config_hash", "current"]
    out = df.groupby(keys, dropna=False).fold.agg(["count", lambda f: " ".join(map(str, sorted(f)))])
    out.columns = ["folds", "fold_ids"]
    return out.reset_index()


CURVE_DECIMALS = {"loss": 4, "val_loss": 4, "accuracy": 2, "val_accuracy": 2}  # what a plot can show


def learning_curves(profile: str | Profile, datasets=None) -> pd.DataFrame:
    """Per-epoch training and validation loss/accuracy of every fold that has a curve (losses to
    4 decimals, accuracies to 2: float noise beyond that only grows the committed table)."""
    rows = []
    for row in _fold_rows(profile, datasets):
        if not row.get("history"):
            continue
        for h in row["history"]:
            rows.append({k: row[k] for k in ("dataset", "network", "strategy", "head", "fold")}
                        | {"replicate": row.get("replicate", 0)}
                        | {k: h.get(k) for k in training.HISTORY_KEYS}
                        | {"best_epoch": row.get("best_epoch")})
    return pd.DataFrame(rows).round({k: v for k, v in CURVE_DECIMALS.items() if k in training.HISTORY_KEYS})


def load_predictions(job: FoldJob) -> dict:
    return json.loads(job.predictions_path().read_text())


__all__ = ["FoldJob", "Context", "run_fold", "run_jobs", "done_text", "run_experiment", "plan", "select_shard",
           "collect", "config_report", "learning_curves", "fit_predict", "block_dataset", "plan_table",
           "fold_data", "FoldData"]
