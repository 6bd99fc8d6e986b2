"""Cross-validation splits that cannot leak.

* Stratified k-fold, grouped by patient / lesion / source image where the
  index has groups (StratifiedGroupKFold), with a fixed seed.
* Identical images (same preprocessed pixels, by SHA-1) are merged into one
  group first, so a duplicate can never sit on both sides of a split, whatever
  the upstream ids say.
* An inner validation split of the training part (grouped and stratified too)
  for early stopping; the test fold is never used for model selection.
* Splits are saved as CSV (one row per image: its test fold and content hash)
  and reloaded on rerun; :func:`assert_no_leak` checks every fold.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from ..data import Dataset


def content_hashes(images: np.ndarray) -> np.ndarray:
    return np.array([hashlib.sha1(np.ascontiguousarray(im).tobytes()).hexdigest() for im in images])


def merged_groups(groups, hashes) -> np.ndarray:
    """Union of upstream groups and identical-content sets (union-find), as integer ids."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g, h in zip(groups, hashes):
        ra, rb = find(("g", g)), find(("h", h))
        if ra != rb:
            parent[ra] = rb
    roots = [find(("g", g)) for g in groups]
    _, ids = np.unique([str(r) for r in roots], return_inverse=True)
    return ids


def make_splits(ds: Dataset, folds: int, seed: int) -> pd.DataFrame:
    """One row per image: ``fold`` (the test fold it belongs to), ``sha1`` and ``group_id``
    (groups merged with duplicates). Validation rows are drawn per fold by :func:`fold_indices`."""
    hashes = content_hashes(ds.images)
    group_ids = merged_groups(ds.groups, hashes)
    y = ds.targets
    smallest = np.bincount(y)[np.bincount(y) > 0].min()
    if smallest < folds:
        raise ValueError(f"{ds.spec.key}: a class has {smallest} images, fewer than {folds} folds need")
    fold = np.full(len(y), -1)
    sgkf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(sgkf.split(np.zeros(len(y)), y, group_ids)):
        fold[test] = k
    return pd.DataFrame({"path": ds.index["path"], "member": ds.index["member"],
                         "label": ds.index["label"], "group": ds.index["group"],
                         "group_id": group_ids, "sha1": hashes, "fold": fold})


def fold_indices(splits: pd.DataFrame, k: int, seed: int, val_fraction: float):
    """(train, val, test) integer indices for fold ``k``; val is drawn from the training part."""
    test = np.flatnonzero(splits["fold"].to_numpy() == k)
    rest = np.flatnonzero(splits["fold"].to_numpy() != k)
    n_inner = max(2, int(round(1 / val_fraction)))
    y = splits["label"].to_numpy()[rest]
    g = splits["group_id"].to_numpy()[rest]
    if min(np.unique(y, return_counts=True)[1]) < n_inner:
        n_inner = max(2, min(np.unique(y, return_counts=True)[1]))
    inner = StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed + 1000 + k)
    tr, va = next(inner.split(np.zeros(len(rest)), y, g))
    return rest[tr], rest[va], test


def assert_no_leak(splits: pd.DataFrame, train, val, test) -> None:
    """Train, validation and test share no image (by content) and no group."""
    for name_a, a, name_b, b in (("train", train, "test", test), ("val", val, "test", test),
                                 ("train", train, "val", val)):
        for col in ("sha1", "group", "group_id"):
            shared = set(splits[col].to_numpy()[a]) & set(splits[col].to_numpy()[b])
            if shared:
                raise AssertionError(f"{name_a} and {name_b} share {len(shared)} {col} value(s), "
                                     f"e.g. {sorted(map(str, shared))[:3]}")


def load_or_make_splits(ds: Dataset, folds: int, seed: int, path: Path) -> pd.DataFrame:
    """Reuse saved splits when they describe the same images, else make and save them."""
    if path.exists():
        saved = pd.read_csv(path)
        if len(saved) == len(ds) and (saved["path"].astype(str).to_numpy() == ds.index["path"].astype(str).to_numpy()).all() \
                and (saved["member"].to_numpy() == ds.index["member"].to_numpy()).all():
            return saved
    splits = make_splits(ds, folds, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    splits.to_csv(path, index=False)
    return splits
