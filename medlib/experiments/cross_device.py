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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, strategies
from ..data import DATASETS, Dataset, get_spec
from ..diagnose import diagnose_groups
from ..models import WeightsUnavailable
from ..profiles import Profile, cross_device_key, get_profile
from ..progress import progress_bar
from . import provenance
from .splits import content_hashes, merged_groups
from .tasks import TASKS, ClassMappingError, Task, map_to_task, task_dataset, task_of  # noqa: F401 (re-exported)
from . import engine
from .engine import Context, fit_predict
from .transfer import FoldJob, _planned, _spec, block_splits, run_fold


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


def user_pair(source, target, profile: str | Profile) -> tuple[Pair, Profile]:
    """A cross-device pair of two datasets with the same class names (e.g. two of a user's
    folders, the specs :func:`medlib.data.folder_dataset` returns), as values: the pair, and a
    new profile carrying both specs, a task mapping every class to itself and the cross block
    for it (off-the-shelf, as for new data). The registries are left as they are: pass the
    profile to :func:`run_pairs`."""
    from ..profiles import blocks_for_new_data

    a, b = get_spec(source), get_spec(target)
    if a.key == b.key:
        raise ValueError(f"source and target are both named {a.key!r} (folders {a.root} and {b.root}): give "
                         "one another name (folder_dataset(..., name=...))")
    if set(a.classes) != set(b.classes):
        raise ClassMappingError(f"{a.key} has classes {a.classes}, {b.key} has {b.classes}: a pair "
                                f"needs the same classes (map them with a Task)")
    name = f"{a.key}__{b.key}"
    task = Task(name, a.classes, a.classes[a.positive_index or 0] if a.n_classes == 2 else a.classes[-1],
                {a.key: {c: c for c in a.classes}, b.key: {c: c for c in b.classes}})
    profile = get_profile(profile)
    for s in (a, b):
        if any(o.key == s.key and o != s for o in profile.own_data):
            raise ValueError(f"profile {profile.name!r} already carries another dataset named {s.key!r}")
    own = tuple(s for s in (a, b) if s.key not in DATASETS and s not in profile.own_data)
    cross = profile.cross
    if not any(blk.dataset == name for blk in cross):
        cross += (replace(blocks_for_new_data(profile, a.key)[0], dataset=name, folds=min(5, profile.cv_folds)),)
    tasks = tuple(t for t in profile.own_tasks if t.name != name) + (task,)
    return Pair((a.key,), b.key, name, False), replace(profile, cross=cross, own_data=profile.own_data + own,
                                                      own_tasks=tasks)


def describe_blocks(profile: str | Profile) -> list[str]:
    """One line per cross block of the profile: task, networks, heads, folds, input, epochs."""
    profile = get_profile(profile)
    return [f"task {b.dataset}: {b.strategy} {', '.join(b.networks)}, heads "
            f"{', '.join(strategies.heads(b))}, "
            f"{b.folds or profile.cv_folds}-fold in-domain CV, input {b.size or 'the registry size'}, "
            f"up to {b.epochs} epochs (patience {b.patience})" for b in profile.cross]


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
class CrossJob(engine.Job):
    sources: tuple[str, ...]
    target: str
    task: str
    network: str
    strategy: str
    profile: str
    seed: int = config.DEFAULT_SEED
    head: str = "dense"
    planned_by: Profile | None = field(default=None, compare=False, repr=False)  # as FoldJob's

    def result_path(self) -> Path:
        pair = f"{'+'.join(self.sources)}__to__{self.target}"
        return (config.results_dir(self.profile) / "cross" / pair / self.network
                / self.strategy / f"{self.head}.json")

    def predictions_path(self) -> Path:
        return self.result_path().with_suffix(".pred.json")


def run_cross(job: CrossJob, ctx: Context | None = None) -> dict:
    """Train on the sources, test on the whole target; write and return the result row."""
    out = job.result_path()
    profile = job.profile_plan()
    task = task_of(profile, job.task)
    block = profile.block(cross_device_key(job.sources[0], job.task), job.strategy, job.network)
    stamp = provenance.stamp(provenance.fold_config(block, profile, job.network, job.strategy,
                                                    job.head, job.seed))
    done = engine.finished(out, stamp["config_hash"])
    if done is not None:
        return done
    src = union([task_dataset(_spec(k, profile), task, block, job.seed) for k in job.sources], task)
    train, val = source_split(src, profile.val_fraction, job.seed)
    ctx = ctx or Context()
    start = time.time()
    row = {**job.identity(), "sources": "+".join(job.sources), "n_train": len(train), "n_val": len(val),
           "input_size": "x".join(map(str, src.images.shape[1:3])), **stamp, **engine.versions()}
    # training and model selection use src[train] and src[val] only; the target's
    # images are passed solely as the test set predicted after fitting ends
    tgt = task_dataset(_spec(job.target, profile), task, block, job.seed)
    assert_target_unseen(src, train, val, tgt)
    row["n_test"] = len(tgt)
    try:
        (proba,), info = fit_predict(ctx, job.network, job.strategy, job.head, block, src, train, val,
                                     [(tgt, np.arange(len(tgt)))], job.seed, build_seed=job.seed)
    except WeightsUnavailable as exc:
        return engine.not_run(out, row, exc)
    info.pop("history")
    row = engine.scored(row, tgt.targets, proba, tgt.spec, start, info)
    return engine.write_result(out, row, {"y_true": tgt.targets.tolist(), "proba": np.round(proba, 6).tolist()})


def assert_target_unseen(src: Dataset, train, val, tgt: Dataset) -> None:
    """No target image (by content hash) is among the source training or validation images."""
    seen = set(content_hashes(src.images[np.r_[train, val]]))
    shared = seen & set(content_hashes(tgt.images))
    if shared:
        raise AssertionError(f"{len(shared)} target image(s) of {tgt.spec.key} are in the source "
                             f"training/validation data")


def in_domain(key: str, task: Task, network: str, strategy: str, head: str, profile: str | Profile,
              seed: int = config.DEFAULT_SEED, ctx: Context | None = None) -> pd.DataFrame:
    """The dataset's own k-fold CV under the task's mapping and preprocessing (tidy fold rows)."""
    profile = get_profile(profile)
    block = profile.block(cross_device_key(key, task.name), strategy, network)
    ds = task_dataset(profile.spec(key), task, block, seed)
    splits = block_splits(profile, ds, block, seed)
    ctx = ctx or Context()
    rows = [run_fold(FoldJob(ds.spec.key, network, strategy, k, profile.name, seed, head, 0, _planned(profile)),
                     ds, ctx, splits)
            for k in block.fold_ids(profile.cv_folds)]
    return pd.DataFrame([{k: v for k, v in r.items() if k != "history"} for r in rows])


def available(pair: Pair, profile: Profile | None = None) -> tuple[bool, str]:
    """Whether every dataset of ``pair`` is on this machine, else which are missing and why."""
    from ..data import is_available

    specs = [_spec(k, profile) for k in (*pair.sources, pair.target)]
    missing = [s for s in specs if not is_available(s)]
    if not missing:
        return True, ""
    why = "; ".join(f"{s.key} ({s.paper_name or s.key}: {s.access})" for s in missing)
    return False, f"not run: dataset(s) absent on this machine: {why}"


def run_pairs(profile: str | Profile, seed: int = config.DEFAULT_SEED, pairs=PAIRS, progress: bool = True):
    """Every pair whose data is present, for every cross block of the profile: cross-domain rows,
    in-domain fold rows (each dataset's CV, shared by both directions of a pair), absent pairs.
    ``profile``: a registry name, or the value :func:`user_pair` returns."""
    profile = get_profile(profile)
    cross, folds, absent, todo = [], [], [], []
    for pair in pairs:
        ok, why = available(pair, profile)
        blocks = [b for b in profile.cross if b.dataset == pair.task]
        if not ok:
            absent.append({"pair": pair.name, "in_paper": pair.in_paper, "reason": why})
            continue
        for b in blocks:
            heads = strategies.heads(b)
            todo += [(pair, b, n, h) for n in b.networks for h in heads]
    ctx, done, current = Context(), set(), None
    for pair, block, network, head in progress_bar(todo, desc=f"cross-device [{profile.name}]",
                                                   disable=not progress):
        if current not in (None, network):
            ctx.release()
        current = network
        task = task_of(profile, pair.task)
        cross.append(run_cross(CrossJob(pair.sources, pair.target, pair.task, network, block.strategy,
                                        profile.name, seed, head, _planned(profile)), ctx))
        for key in (*pair.sources, pair.target):
            if (key, task.name, network, block.strategy, head) not in done:
                done.add((key, task.name, network, block.strategy, head))
                folds.append(in_domain(key, task, network, block.strategy, head, profile, seed, ctx)
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


def roc_inputs(profile: str | Profile, seed: int = config.DEFAULT_SEED) -> list[dict]:
    """ROC curve inputs per pair, network and head: the target's in-domain CV predictions
    (pooled over folds) and the cross-domain predictions, positive-class scores."""
    profile = get_profile(profile)
    root = config.results_dir(profile.name)
    curves = []
    for path in sorted((root / "cross").glob("*/*/*/*.json")):
        if path.name.endswith(".pred.json"):
            continue
        r = json.loads(path.read_text())
        pred = path.with_suffix(".pred.json")
        if r.get("status") != "ok" or not pred.exists():
            continue
        try:
            task = task_of(profile, r["task"])
        except KeyError:  # another run's user pair, whose task this profile does not carry
            continue
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
