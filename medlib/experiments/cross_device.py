"""Experiment 2 (s2.4.2, s3.3): train on one dataset, test on another of the same task.

A :class:`Task` maps each dataset's classes onto shared task classes, explicitly:
a class must be mapped (to a task class, or to ``None`` to drop its images), and
an unmapped class is an error naming the dataset and class, never a silent guess.

A :class:`CrossJob` trains on the union of its source datasets, selects the model
(early stopping) on a grouped validation split drawn from the sources only, and
predicts every image of the target. The target is never loaded before training
ends; :func:`run_cross` asserts that no target image (by content hash) is in the
training or validation data. The in-domain comparison is the target's own
cross-validated score under the same preprocessing, network and profile
(:func:`in_domain`, folds of :mod:`medlib.experiments.transfer`).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..data import Dataset, get_spec, load_dataset
from ..data.preprocess import harmonise_ct
from ..metrics import classification_metrics
from ..profiles import Profile, get_profile
from .splits import content_hashes, load_or_make_splits, merged_groups
from .transfer import FoldJob, ModelCache, _write, fit_predict, run_fold, versions


class ClassMappingError(ValueError):
    """A dataset's class has no entry in the task's mapping."""


@dataclass(frozen=True)
class Task:
    name: str
    classes: tuple[str, ...]
    positive: str
    mappings: dict  # dataset key -> {dataset class: task class or None (dropped)}
    harmonise: str | None = None  # preprocessing that makes datasets comparable
    note: str = ""

    def mapping(self, key: str) -> dict:
        if key not in self.mappings:
            raise ClassMappingError(f"task {self.name!r} has no class mapping for dataset {key!r}; "
                                    f"known: {', '.join(self.mappings)}")
        return self.mappings[key]


TASKS = {t.name: t for t in [
    Task("covid_ct", ("non-covid", "covid-19"), "covid-19", {
        "cov_ct": {"non-covid": "non-covid", "covid-19": "covid-19"},
        # the MosMed adapter already labels CT-0 non-covid and CT-1..CT-4 covid-19
        "mosmed_ct": {"non-covid": "non-covid", "covid-19": "covid-19"},
    }, harmonise="ct", note=(
        "COV_CT slices are figures cut from preprints (tight crops, high contrast, some with "
        "arrows or circles); MosMed slices are 512x512 exports with the round field of view and "
        "a flat, low-contrast window. Both are cropped to the body (pixels above 8% of the "
        "maximum) and contrast-stretched between the 1st and 99th percentile before resizing. "
        "MosMed CT-0 (no COVID-19 findings) is non-covid; CT-1..CT-4 are covid-19. COV_CT's "
        "non-covid class includes other diseases, MosMed's CT-0 does not.")),
    Task("spn_malignancy", ("benign", "malignant"), "malignant", {
        "lidc_idri": {"benign": "benign", "malignant": "malignant"},
        "pet_ct": {"benign": "benign", "malignant": "malignant"},
    }),
    Task("skin_malignancy", ("benign", "malignant"), "malignant", {
        "nv_les": {"benign": "benign", "cancerous": "malignant"},
        "isic2018": {"benign": "benign", "melanoma": "malignant"},
        "ham10000": {"nv": "benign", "bkl": "benign", "mel": "malignant", "bcc": "malignant",
                     "akiec": "malignant"},
    }, note="HAM10000's five classes are folded to benign (nv, bkl) vs malignant (mel, bcc, akiec)."),
    Task("lymphocyte_monocyte", ("lymphocyte", "monocyte"), "monocyte", {
        "cells": {"lymphocyte": "lymphocyte", "monocyte": "monocyte", "eosinophil": None,
                  "myeloblast": None, "neutrophil": None},
        "cells2": {"lymphocyte": "lymphocyte", "monocyte": "monocyte", "eosinophil": None},
    }, note="The paper's blood-cell pair: the two classes both cell datasets share."),
]}


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


def map_to_task(ds: Dataset, task: Task) -> Dataset:
    """``ds`` relabelled to ``task.classes``; images of classes mapped to None are dropped."""
    mapping = task.mapping(ds.spec.key)
    unmapped = sorted(set(ds.index["label"]) - set(mapping))
    if unmapped:
        raise ClassMappingError(f"{ds.spec.key}: class(es) {unmapped} not mapped in task {task.name!r}")
    bad = sorted({v for v in mapping.values() if v is not None} - set(task.classes))
    if bad:
        raise ClassMappingError(f"task {task.name!r}: {ds.spec.key} maps to unknown class(es) {bad}")
    task_label = ds.index["label"].map(mapping)
    keep = task_label.notna().to_numpy()
    index = ds.index[keep].copy()
    index["source_label"] = index["label"]
    index["label"] = task_label[keep].to_numpy()
    index["target"] = index["label"].map({c: i for i, c in enumerate(task.classes)}).astype(int)
    index = index.reset_index(drop=True)
    spec = replace(ds.spec, key=f"{ds.spec.key}@{task.name}", classes=task.classes,
                   positive_class=task.positive)
    return Dataset(spec, ds.images[keep], index, ds.skipped)


def task_dataset(key: str, task: Task, profile: Profile, seed: int) -> Dataset:
    """Load ``key`` at the profile's size, harmonised as the task says, mapped to its classes.

    Registered tasks and profiles are memoised (a pair's datasets serve its cross-domain
    run and both in-domain CVs, for every network), so each is harmonised once."""
    if TASKS.get(task.name) is task and get_profile(profile.name) is profile:
        return _task_dataset_cached(key, task.name, profile.name, seed)
    return _task_dataset(key, task, profile, seed)


@lru_cache(maxsize=4)
def _task_dataset_cached(key: str, task_name: str, profile_name: str, seed: int) -> Dataset:
    return _task_dataset(key, TASKS[task_name], get_profile(profile_name), seed)


def _task_dataset(key: str, task: Task, profile: Profile, seed: int) -> Dataset:
    spec = get_spec(key)
    size = profile.size_for(spec)
    per_class = profile.cross_per_class if profile.cross_per_class is not None else profile.per_class_for(key)
    if task.harmonise == "ct":
        big = tuple(2 * s for s in size)  # crop from twice the size, then resize down
        ds = load_dataset(key, size=big, per_class=per_class, seed=seed, progress=False)
        ds = Dataset(ds.spec, harmonise_ct(ds.images, size), ds.index, ds.skipped)
    else:
        ds = load_dataset(key, size=size, per_class=per_class, seed=seed, progress=False)
    return map_to_task(ds, task)


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

    def result_path(self) -> Path:
        pair = f"{'+'.join(self.sources)}__to__{self.target}"
        return (config.results_dir(self.profile) / "cross" / pair / self.network
                / f"{self.strategy}.json")


def run_cross(job: CrossJob, models: ModelCache | None = None) -> dict:
    """Train on the sources, test on the whole target; write and return the result row."""
    out = job.result_path()
    if out.exists():
        return json.loads(out.read_text())
    profile, task = get_profile(job.profile), TASKS[job.task]
    src = union([task_dataset(k, task, profile, job.seed) for k in job.sources], task)
    train, val = source_split(src, profile.val_fraction, job.seed)
    models = models or ModelCache()
    start = time.time()
    model, head = models.fresh(job.network, job.strategy, src.images.shape[1:], len(task.classes),
                               profile.learning_rate, job.seed, profile.head_learning_rate)
    # training and model selection use src[train] and src[val] only; the target's
    # images are passed solely as the test batch predicted after fitting ends
    tgt = task_dataset(job.target, task, profile, job.seed)
    assert_target_unseen(src, train, val, tgt)
    proba, epochs_run, _ = fit_predict(model, head, src, train, val, profile, job.seed, job.network,
                                       job.strategy, test_images=tgt.images)
    row = {**asdict(job), "sources": "+".join(job.sources), "n_train": len(train), "n_val": len(val),
           "n_test": len(tgt), "epochs_run": epochs_run, "seconds": round(time.time() - start, 2),
           "status": "ok", "reason": "", "input_size": "x".join(map(str, src.images.shape[1:3])),
           **classification_metrics(tgt.targets, proba, tgt.spec.positive_index), **versions(),
           "y_true": tgt.targets.tolist(), "proba": np.round(proba, 6).tolist()}
    return _write(out, row)


def assert_target_unseen(src: Dataset, train, val, tgt: Dataset) -> None:
    """No target image (by content hash) is among the source training or validation images."""
    seen = set(content_hashes(src.images[np.r_[train, val]]))
    shared = seen & set(content_hashes(tgt.images))
    if shared:
        raise AssertionError(f"{len(shared)} target image(s) of {tgt.spec.key} are in the source "
                             f"training/validation data")


def in_domain(key: str, task: Task, network: str, strategy: str, profile_name: str,
              seed: int = config.DEFAULT_SEED, models: ModelCache | None = None) -> pd.DataFrame:
    """The dataset's own k-fold CV under the task's mapping and preprocessing (tidy fold rows)."""
    profile = get_profile(profile_name)
    ds = task_dataset(key, task, profile, seed)
    splits_path = (config.results_dir(profile_name) / "splits"
                   / f"{ds.spec.key}_k{profile.folds}_seed{seed}.csv")
    splits = load_or_make_splits(ds, profile.folds, seed, splits_path)
    models = models or ModelCache()
    rows = [run_fold(FoldJob(ds.spec.key, network, strategy, k, profile_name, seed), ds, models, splits)
            for k in range(profile.folds)]
    return pd.DataFrame(rows)


def available(pair: Pair) -> tuple[bool, str]:
    """Whether every dataset of ``pair`` is on this machine, else which are missing and why."""
    from ..data import is_available

    missing = [k for k in (*pair.sources, pair.target) if not is_available(k)]
    if not missing:
        return True, ""
    why = "; ".join(f"{k} ({get_spec(k).paper_name or k}: {get_spec(k).access})" for k in missing)
    return False, f"not run: dataset(s) absent on this machine: {why}"


def run_pairs(profile_name: str, seed: int = config.DEFAULT_SEED, pairs=PAIRS, networks=None,
              strategy: str = "scratch", progress: bool = True):
    """Every pair whose data is present: cross-domain rows, in-domain fold rows, absent pairs."""
    from tqdm import tqdm

    profile = get_profile(profile_name)
    networks = networks or profile.cross_networks
    models = ModelCache()
    cross, folds, absent = [], [], []
    todo = []
    for pair in pairs:
        ok, why = available(pair)
        if not ok:
            absent.append({"pair": pair.name, "in_paper": pair.in_paper, "reason": why})
        else:
            todo.extend((pair, n) for n in networks)
    done = set()  # (dataset, task, network): in-domain CV shared by both directions of a pair
    for pair, network in tqdm(todo, desc=f"cross-device [{profile_name}]", disable=not progress or None):
        task = TASKS[pair.task]
        cross.append(run_cross(CrossJob(pair.sources, pair.target, pair.task, network, strategy,
                                        profile_name, seed), models))
        for key in sorted({*pair.sources, pair.target} - {k for k, t, n in done if t == task.name and n == network}):
            done.add((key, task.name, network))
            folds.append(in_domain(key, task, network, strategy, profile_name, seed, models)
                         .assign(task=task.name))
    strip = ("y_true", "proba", "test_index")
    cross_df = pd.DataFrame([{**{k: v for k, v in r.items() if k not in strip},
                              "target_majority": 100 * np.bincount(r["y_true"]).max() / len(r["y_true"])}
                             for r in cross])
    fold_df = (pd.concat(folds, ignore_index=True).drop(columns=list(strip), errors="ignore")
               if folds else pd.DataFrame())
    return cross_df, fold_df, pd.DataFrame(absent, columns=["pair", "in_paper", "reason"])


def drop_table(cross: pd.DataFrame, folds: pd.DataFrame) -> pd.DataFrame:
    """Tables 9-11 layout: cross-domain metrics, the target's in-domain CV score, the drop."""
    if not len(cross):
        return pd.DataFrame()
    ok = folds[folds["status"] == "ok"]
    metrics = ["accuracy", "sensitivity", "specificity", "f1", "auc"]
    rows = []
    for r in cross.itertuples():
        key = f"{r.target}@{r.task}"
        own = ok[(ok["dataset"] == key) & (ok["network"] == r.network) & (ok["strategy"] == r.strategy)]
        src = ok[(ok["dataset"].isin([f"{s}@{r.task}" for s in r.sources.split("+")]))
                 & (ok["network"] == r.network) & (ok["strategy"] == r.strategy)]
        row = {"source": r.sources, "target": r.target, "network": r.network,
               **{f"cross_{m}": getattr(r, m) for m in metrics},
               **{f"in_domain_{m}": own[m].mean() for m in metrics},
               "source_in_domain_accuracy": src["accuracy"].mean(), "n_test": r.n_test,
               "target_majority": getattr(r, "target_majority", np.nan)}
        row["drop"] = row["cross_accuracy"] - row["in_domain_accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def roc_inputs(profile_name: str, seed: int = config.DEFAULT_SEED) -> list[dict]:
    """ROC curve inputs per pair and network: the target's in-domain CV predictions (pooled over
    folds) and the cross-domain predictions, positive-class scores."""
    root = config.results_dir(profile_name)
    curves = []
    for path in sorted((root / "cross").glob("*/*/*.json")):
        r = json.loads(path.read_text())
        if r.get("status") != "ok":
            continue
        task = TASKS[r["task"]]
        pos = task.classes.index(task.positive)
        panel = f"{r['sources']} -> {r['target']}, {r['network']}"
        y, p = np.asarray(r["y_true"]), np.asarray(r["proba"])[:, pos]
        curves.append({"panel": panel, "label": "cross-domain", "y": y == pos, "score": p, "style": "-"})
        ys, ps = [], []
        for fold in sorted((root / "runs" / f"{r['target']}@{r['task']}" / r["network"]
                            / r["strategy"]).glob("fold*.json")):
            f = json.loads(fold.read_text())
            if f.get("status") == "ok":
                ys.append(np.asarray(f["y_true"]) == pos)
                ps.append(np.asarray(f["proba"])[:, pos])
        if ys:
            curves.append({"panel": panel, "label": "in-domain (target CV)", "y": np.concatenate(ys),
                           "score": np.concatenate(ps), "style": "--"})
    return curves


CHANCE_MARGIN = 5.0  # in-domain accuracy within this many points of the majority rate = chance


def at_chance(row) -> bool:
    """The target's in-domain score is at the majority-class floor: no drop can be measured."""
    return bool(row.in_domain_accuracy - row.target_majority <= CHANCE_MARGIN)


def claims(table: pd.DataFrame, claimed_drop: float = 10.0, tolerance: float = 5.0) -> list[str]:
    """The paper's cross-device claim checked on ``table`` (drop of about ``claimed_drop`` points)."""
    if not len(table):
        return ["Cross-device drop: not testable, no pair ran."]
    out = []
    for r in table.itertuples():
        drop = -r.drop
        verdict = (f"not testable: the in-domain model is at the majority-class rate "
                   f"({r.target_majority:.1f}%), so there is nothing to lose" if at_chance(r) else
                   "holds" if abs(drop - claimed_drop) <= tolerance
                   else "larger drop than claimed" if drop > claimed_drop else "smaller drop than claimed")
        out.append(f"{r.source} -> {r.target}, {r.network}: cross {r.cross_accuracy:.1f}% vs in-domain "
                   f"{r.in_domain_accuracy:.1f}% (drop {drop:.1f} points; paper ~{claimed_drop:g}, "
                   f"tolerance {tolerance:g}): {verdict}.")
    return out
