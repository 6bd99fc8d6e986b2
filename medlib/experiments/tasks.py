"""Cross-device tasks: shared class sets over datasets of one question, and each dataset's
images harmonised and relabelled for a task (``dataset@task``).

A :class:`Task` maps each dataset's classes onto shared task classes, explicitly:
a class must be mapped (to a task class, or to ``None`` to drop its images), and
an unmapped class is an error naming the dataset and class, never a silent guess.
:func:`task_dataset` loads a dataset for a task; the fold engine
(:mod:`medlib.experiments.transfer`) and the cross-device experiment
(:mod:`medlib.experiments.cross_device`) both read it, and it imports neither.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType

from .. import config
from ..data import DATASETS, Dataset, get_spec, load_dataset
from ..data.preprocess import harmonise_ct
from ..profiles import cross_device_key


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


TASKS = MappingProxyType({t.name: t for t in [
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
]})  # read-only: a user's pair brings its own Task as a value (Profile.own_tasks)


def task_of(profile, name: str) -> Task:
    """Task ``name``: one a profile value carries (a user's pair), else the registry's."""
    for task in getattr(profile, "own_tasks", ()):
        if task.name == name:
            return task
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown cross-device task {name!r}; known: {', '.join(TASKS)}") from None


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
    spec = replace(ds.spec, key=cross_device_key(ds.spec.key, task.name), classes=task.classes,
                   positive_class=task.positive)
    return Dataset(spec, ds.images[keep], index, ds.skipped)


def task_dataset(key, task: Task, block, seed: int = config.DEFAULT_SEED) -> Dataset:
    """Load ``key`` (a registry key, or a user folder's spec) at the block's size, harmonised
    as the task says, mapped to its classes.

    Memoised for registered tasks and datasets (a pair's datasets serve its cross-domain run
    and both in-domain CVs, for every network), so each is harmonised once."""
    spec = get_spec(key)
    if TASKS.get(task.name) is task and DATASETS.get(spec.key) is spec:
        return _task_dataset_cached(spec.key, task.name, block.size, block.per_class, seed)
    return _task_dataset(spec, task, block.size, block.per_class, seed)


@lru_cache(maxsize=4)
def _task_dataset_cached(key: str, task_name: str, size, per_class, seed: int) -> Dataset:
    return _task_dataset(key, TASKS[task_name], size, per_class, seed)


def _task_dataset(key, task: Task, size, per_class, seed: int) -> Dataset:
    spec = get_spec(key)
    size = tuple(size or spec.image_size)
    if task.harmonise == "ct":
        big = tuple(2 * s for s in size)  # crop from twice the size, then resize down
        ds = load_dataset(spec, size=big, per_class=per_class, seed=seed, progress=False)
        ds = Dataset(ds.spec, harmonise_ct(ds.images, size), ds.index, ds.skipped)
    else:
        ds = load_dataset(spec, size=size, per_class=per_class, seed=seed, progress=False)
    return map_to_task(ds, task)


__all__ = ["Task", "TASKS", "task_of", "ClassMappingError", "map_to_task", "task_dataset"]
