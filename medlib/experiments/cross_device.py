"""Experiment 2 (s2.4.2, s3.3): train on one dataset, test on another of the same task.

Tasks (shared class sets, harmonisation) live in :mod:`medlib.experiments.tasks`.

A :class:`CrossJob` trains on the union of its source datasets, selects the model
(early stopping) on a grouped validation split drawn from the sources only, and
predicts every image of the target; the target's labels and images never enter
training or model selection, and :func:`run_cross` asserts that no target image
(by content hash) is in the training or validation data. The in-domain comparison
is the target's own cross-validated score under the same preprocessing, network,
strategy and head (:func:`in_domain`, fold jobs of :mod:`medlib.experiments.transfer`).
Settings come from the profile's cross blocks (``Profile.cross``, one per task and
strategy). The drop is reported in accuracy, balanced accuracy and AUC: a decision
threshold learned on one site rarely fits another, AUC does not depend on it.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..data import Dataset, get_spec
from ..diagnose import diagnose_groups, fold_diagnosis, majority_rate
from ..metrics import classification_metrics
from ..models import WeightsUnavailable
from ..profiles import cross_device_key, get_profile
from ..progress import progress_bar
from . import provenance
from .splits import content_hashes, merged_groups
from .tasks import TASKS, ClassMappingError, Task, map_to_task, task_dataset  # noqa: F401 (re-exported)
from .transfer import Context, FoldJob, _write, block_splits, fit_predict, run_fold, versions


@dataclass(frozen=True)
class Pair:
    sources: tuple[str, ...]
    target: str
    task: str
    in_paper: bool

    @property
    def name(self) -> str:
        return f"{'+'.join(self.sources)}__to__{self.target}"


PAIRS = (
    Pair(("lidc_idri",), "pet_ct", "spn_malignancy", True),
    Pair(("ham10000",), "nv_les", "skin_malignancy", True),
    Pair(("nv_les",), "isic2018", "skin_malignancy", True),
    Pair(("isic2018",), "ham10000", "skin_malignancy", True),
    Pair(("isic2018", "nv_les"), "ham10000", "skin_malignancy", True),
    Pair(("cells2",), "cells", "lymphocyte_monocyte", True),
    Pair(("cov_ct",), "mosmed_ct", "covid_ct", False),
    Pair(("mosmed_ct",), "cov_ct", "covid_ct", False),
)


def user_pair(source: str, target: str, profile_name: str) -> Pair:
    """A cross-device pair of two datasets with the same class names (e.g. two of a user's
    folders, :func:`medlib.data.folder_dataset`): a task mapping every class to itself, both
    directions' pair, and the profile's cross block for it (off-the-shelf, as for new data)."""
    from ..profiles import PROFILES, blocks_for_new_data

    a, b = get_spec(source), get_spec(target)
    if set(a.classes) != set(b.classes):
        raise ClassMappingError(f"{source} has classes {a.classes}, {target} has {b.classes}: a pair "
                                f"needs the same classes (map them with a Task)")
    name = f"{source}__{target}"
    TASKS[name] = Task(name, a.classes, a.classes[a.positive_index or 0] if a.n_classes == 2 else a.classes[-1],
                       {source: {c: c for c in a.classes}, target: {c: c for c in b.classes}})
    profile = get_profile(profile_name)
    if not any(blk.dataset == name for blk in profile.cross):
        ots = replace(blocks_for_new_data(profile, source)[0], dataset=name, folds=min(5, profile.cv_folds))
        PROFILES[profile_name] = replace(profile, cross=profile.cross + (ots,))
    return Pair((source,), target, name, False)


def union(datasets: list[Dataset], task: Task) -> Dataset:
    """Concatenate task-mapped datasets; groups are prefixed by dataset so they never merge."""
    index = pd.concat([d.index.assign(group=d.spec.key + ":" + d.index["group"].astype(str),
                                      dataset=d.spec.key) for d in datasets], ignore_index=True)
    spec = replace(datasets[0].spec, key="+".join(d.spec.key for d in datasets))
    return Dataset(spec, np.concatenate([d.images for d in datasets]), index,
                   sum((d.skipped for d in datasets), []))


def source_split(ds: Dataset, val_fraction: float, seed: int):
    """(train, val) indices of the source union, grouped and stratified."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = merged_groups(ds.groups, content_hashes(ds.images))
    n = max(2, min(int(round(1 / val_fraction)), np.bincount(ds.targets).min()))
    sgkf = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
    train, val = next(sgkf.split(np.zeros(len(ds)), ds.targets, groups))
    return train, val


@dataclass(frozen=True)
class CrossJob:
    sources: tuple[str, ...]
    target: str
    task: str
    network: str
    strategy: str
    profile: str
    seed: int = config.DEFAULT_SEED
    head: str = "dense"

    def result_path(self) -> Path:
        pair = f"{'+'.join(self.sources)}__to__{self.target}"
        return (config.results_dir(self.profile) / "cross" / pair / self.network
                / self.strategy / f"{self.head}.json")

    def predictions_path(self) -> Path:
        return self.result_path().with_suffix(".pred.json")


def run_cross(job: CrossJob, ctx: Context | None = None) -> dict:
    """Train on the sources, test on the whole target; write and return the result row."""
    out = job.result_path()
    profile, task = get_profile(job.profile), TASKS[job.task]
    block = profile.block(cross_device_key(job.sources[0], job.task), job.strategy, job.network)
    stamp = provenance.stamp(provenance.fold_config(block, profile, job.network, job.strategy,
                                                    job.head, job.seed))
    if provenance.is_current(out, stamp["config_hash"]):
        return json.loads(out.read_text())
    src = union([task_dataset(k, task, block, job.seed) for k in job.sources], task)
    train, val = source_split(src, profile.val_fraction, job.seed)
    ctx = ctx or Context()
    start = time.time()
    row = {**asdict(job), "sources": "+".join(job.sources), "n_train": len(train), "n_val": len(val),
           "input_size": "x".join(map(str, src.images.shape[1:3])), **stamp, **versions()}
    # training and model selection use src[train] and src[val] only; the target's
    # images are passed solely as the test set predicted after fitting ends
    tgt = task_dataset(job.target, task, block, job.seed)
    assert_target_unseen(src, train, val, tgt)
    try:
        (proba,), info = fit_predict(ctx, job.network, job.strategy, job.head, block, src, train, val,
                                     [(tgt, np.arange(len(tgt)))], job.seed, build_seed=job.seed)
    except WeightsUnavailable as exc:
        return _write(out, {**row, "status": "not run", "reason": str(exc), "n_test": len(tgt)})
    info.pop("history")
    metrics = classification_metrics(tgt.targets, proba, tgt.spec.positive_index)
    row.update(n_test=len(tgt), seconds=round(time.time() - start, 2), status="ok", reason="",
               majority=majority_rate(tgt.targets), **info, **metrics)
    row["diagnosis"] = fold_diagnosis(metrics["accuracy"], row["majority"], proba, tgt.spec.classes)
    _write(job.predictions_path(), {"y_true": tgt.targets.tolist(), "proba": np.round(proba, 6).tolist()})
    return _write(out, row)


def assert_target_unseen(src: Dataset, train, val, tgt: Dataset) -> None:
    """No target image (by content hash) is among the source training or validation images."""
    seen = set(content_hashes(src.images[np.r_[train, val]]))
    shared = seen & set(content_hashes(tgt.images))
    if shared:
        raise AssertionError(f"{len(shared)} target image(s) of {tgt.spec.key} are in the source "
                             f"training/validation data")


def in_domain(key: str, task: Task, network: str, strategy: str, head: str, profile_name: str,
              seed: int = config.DEFAULT_SEED, ctx: Context | None = None) -> pd.DataFrame:
    """The dataset's own k-fold CV under the task's mapping and preprocessing (tidy fold rows)."""
    profile = get_profile(profile_name)
    block = profile.block(cross_device_key(key, task.name), strategy, network)
    ds = task_dataset(key, task, block, seed)
    splits = block_splits(profile, ds, block, seed)
    ctx = ctx or Context()
    rows = [run_fold(FoldJob(ds.spec.key, network, strategy, k, profile_name, seed, head), ds, ctx, splits)
            for k in block.fold_ids(profile.cv_folds)]
    return pd.DataFrame([{k: v for k, v in r.items() if k != "history"} for r in rows])


def available(pair: Pair) -> tuple[bool, str]:
    """Whether every dataset of ``pair`` is on this machine, else which are missing and why."""
    from ..data import is_available

    missing = [k for k in (*pair.sources, pair.target) if not is_available(k)]
    if not missing:
        return True, ""
    why = "; ".join(f"{k} ({get_spec(k).paper_name or k}: {get_spec(k).access})" for k in missing)
    return False, f"not run: dataset(s) absent on this machine: {why}"


def run_pairs(profile_name: str, seed: int = config.DEFAULT_SEED, pairs=PAIRS, progress: bool = True):
    """Every pair whose data is present, for every cross block of the profile: cross-domain rows,
    in-domain fold rows (each dataset's CV, shared by both directions of a pair), absent pairs."""
    profile = get_profile(profile_name)
    cross, folds, absent, todo = [], [], [], []
    for pair in pairs:
        ok, why = available(pair)
        blocks = [b for b in profile.cross if b.dataset == pair.task]
        if not ok:
            absent.append({"pair": pair.name, "in_paper": pair.in_paper, "reason": why})
            continue
        for b in blocks:
            heads = b.heads if b.strategy == "off_the_shelf" else ("dense",)
            todo += [(pair, b, n, h) for n in b.networks for h in heads]
    ctx, done, current = Context(), set(), None
    for pair, block, network, head in progress_bar(todo, desc=f"cross-device [{profile_name}]",
                                                   disable=not progress):
        if current not in (None, network):
            ctx.release()
        current = network
        task = TASKS[pair.task]
        cross.append(run_cross(CrossJob(pair.sources, pair.target, pair.task, network, block.strategy,
                                        profile_name, seed, head), ctx))
        for key in (*pair.sources, pair.target):
            if (key, task.name, network, block.strategy, head) not in done:
                done.add((key, task.name, network, block.strategy, head))
                folds.append(in_domain(key, task, network, block.strategy, head, profile_name, seed, ctx)
                             .assign(task=task.name))
    ctx.release()
    strip = ("y_true", "proba", "test_index", "history")
    cross_df = pd.DataFrame([{k: v for k, v in r.items() if k not in strip} for r in cross])
    fold_df = (diagnose_groups(pd.concat(folds, ignore_index=True).drop(columns=list(strip), errors="ignore"))
               if folds else pd.DataFrame())
    return cross_df, fold_df, pd.DataFrame(absent, columns=["pair", "in_paper", "reason"])


def drop_table(cross: pd.DataFrame, folds: pd.DataFrame) -> pd.DataFrame:
    """Tables 9-11 layout: cross-domain metrics, the target's in-domain CV score (same network,
    strategy and head), and the drops in accuracy, balanced accuracy and AUC."""
    if not len(cross):
        return pd.DataFrame()
    ok = folds[folds["status"] == "ok"]
    metrics = ["accuracy", "balanced_accuracy", "auc", "sensitivity", "specificity", "f1"]
    rows = []
    for r in cross[cross["status"] == "ok"].itertuples():
        same = (ok["network"] == r.network) & (ok["strategy"] == r.strategy) & (ok["head"] == r.head)
        own = ok[same & (ok["dataset"] == cross_device_key(r.target, r.task))]
        src = ok[same & ok["dataset"].isin([cross_device_key(s, r.task) for s in r.sources.split("+")])]
        row = {"source": r.sources, "target": r.target, "network": r.network, "strategy": r.strategy,
               "head": r.head, **{f"cross_{m}": getattr(r, m) for m in metrics},
               **{f"in_domain_{m}": own[m].mean() for m in metrics},
               "in_domain_majority": own["majority"].mean(), "target_majority": r.majority,
               "source_in_domain_accuracy": src["accuracy"].mean(),
               "source_in_domain_majority": src["majority"].mean(),
               "source_in_domain_auc": src["auc"].mean(), "n_test": r.n_test,
               "in_domain_n_test": own["n_test"].sum() if "n_test" in own else np.nan}
        for m in ("accuracy", "balanced_accuracy", "auc"):
            row[f"drop_{m}"] = row[f"cross_{m}"] - row[f"in_domain_{m}"]
        rows.append(row)
    return pd.DataFrame(rows)


def roc_inputs(profile_name: str, seed: int = config.DEFAULT_SEED) -> list[dict]:
    """ROC curve inputs per pair, network and head: the target's in-domain CV predictions
    (pooled over folds) and the cross-domain predictions, positive-class scores."""
    root = config.results_dir(profile_name)
    curves = []
    for path in sorted((root / "cross").glob("*/*/*/*.json")):
        if path.name.endswith(".pred.json"):
            continue
        r = json.loads(path.read_text())
        pred = path.with_suffix(".pred.json")
        if r.get("status") != "ok" or not pred.exists():
            continue
        task = TASKS[r["task"]]
        pos = task.classes.index(task.positive)
        panel = f"{r['sources']} -> {r['target']}\n{r['network']} {r['strategy']} ({r['head']})"
        p = json.loads(pred.read_text())
        curves.append({"panel": panel, "label": "cross-domain", "y": np.asarray(p["y_true"]) == pos,
                       "score": np.asarray(p["proba"])[:, pos], "style": "-"})
        ys, ps = [], []
        key = cross_device_key(r["target"], r["task"])
        folder = root / "runs" / key / r["network"] / r["strategy"] / r["head"]
        for fold in sorted(folder.glob("fold*.pred.json")):
            f = json.loads(fold.read_text())
            ys.append(np.asarray(f["y_true"]) == pos)
            ps.append(np.asarray(f["proba"])[:, pos])
        if ys:
            curves.append({"panel": panel, "label": "in-domain (target CV)", "y": np.concatenate(ys),
                           "score": np.concatenate(ps), "style": "--"})
    return curves
