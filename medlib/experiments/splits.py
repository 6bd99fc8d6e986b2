"""Cross-validation splits that cannot leak.

* Stratified k-fold, grouped by patient / lesion / source image where the
  index has groups (StratifiedGroupKFold), with a fixed seed.
* Identical images (same preprocessed pixels, by SHA-1) are merged into one
  group first, so a duplicate can never sit on both sides of a split, whatever
  the upstream ids say.
* An inner validation split of the training part (grouped and stratified too)
  for early stopping; the test fold is never used for model selection.
* Datasets with an official train/val/test split (MedMNIST) keep it: the split
  file then has a ``role`` column and a single "fold".
* Splits are saved as CSV (one row per image: its test fold and content hash)
  and reloaded on rerun, by every block of a profile whatever its input size (the
  file is the record: duplicates are found at the size of the first block that
  made it, so the file, not a rerun at another size, defines the folds); :func:`assert_no_leak` checks every fold. Images are
  keyed by their path relative to the dataset root (``file``) and archive
  member, never by an absolute path, so published splits work wherever the data
  lives.
"""
from __future__ import annotations

import hashlib
import warnings
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


def image_keys(index: pd.DataFrame) -> pd.Series:
    """Each image's path relative to its dataset root (``file``; the file name if the index has
    no ``file`` column)."""
    if "file" in index:
        return index["file"].astype(str)
    return index["path"].map(lambda p: Path(str(p)).name)


def make_splits(ds: Dataset, folds: int | str, seed: int) -> pd.DataFrame:
    """One row per image: ``fold`` (the test fold it belongs to), ``sha1`` and ``group_id``
    (groups merged with duplicates). Validation rows are drawn per fold by :func:`fold_indices`.
    ``folds="official"`` keeps the dataset's own train/val/test split (column ``role``)."""
    hashes = content_hashes(ds.images)
    group_ids = merged_groups(ds.groups, hashes)
    y = ds.targets
    out = pd.DataFrame({"file": image_keys(ds.index).to_numpy(), "member": ds.index["member"],
                        "label": ds.index["label"], "group": ds.index["group"],
                        "group_id": group_ids, "sha1": hashes})
    if folds == "official":
        role = ds.index["split"].astype(str).to_numpy()
        if not {"train", "val", "test"} <= set(role):
            raise ValueError(f"{ds.spec.key}: no official train/val/test split in its index")
        return out.assign(role=role, fold=np.where(role == "test", 0, -1))
    counts = pd.Series(ds.index["label"]).value_counts()
    counts = counts.reindex(ds.spec.classes, fill_value=0)
    small = counts[counts < folds]
    if len(small):
        raise ValueError(f"{ds.spec.key}: {folds}-fold cross-validation needs at least {folds} images "
                         f"per class; too few in " + ", ".join(f"{c!r} ({n})" for c, n in small.items()))
    fold = np.full(len(y), -1)
    sgkf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(sgkf.split(np.zeros(len(y)), y, group_ids)):
        fold[test] = k
    return out.assign(fold=fold)


def _official_indices(splits: pd.DataFrame):
    """A dataset's own train/val/test, minus every validation or test image whose content (or
    merged group) already appears in an earlier part: published splits can hold the same
    image twice (PneumoniaMNIST's train and val share 8), and a copy of a training image is
    not a held-out image. The drop is warned about, with its size."""
    role, group = splits["role"].to_numpy(), splits["group_id"].to_numpy()
    parts, seen = [], set()
    for name in ("train", "val", "test"):
        idx = np.flatnonzero(role == name)
        keep = ~np.isin(group[idx], list(seen))
        if not keep.all():
            warnings.warn(f"official split: {int((~keep).sum())} {name} image(s) also in an earlier "
                          f"part (identical content or group) are left out of {name}")
        parts.append(idx[keep])
        seen |= set(group[idx])
    return tuple(parts)


def fold_indices(splits: pd.DataFrame, k: int, seed: int, val_fraction: float):
    """(train, val, test) integer indices for fold ``k``; val is drawn from the training part
    (official splits: the dataset's own train, val and test)."""
    if "role" in splits:
        return _official_indices(splits)
    test = np.flatnonzero(splits["fold"].to_numpy() == k)
    rest = np.flatnonzero(splits["fold"].to_numpy() != k)
    n_inner = max(2, int(round(1 / val_fraction)))
    y = splits["label"].to_numpy()[rest]
    g = splits["group_id"].to_numpy()[rest]
    if min(np.unique(y, return_counts=True)[1]) < n_inner:
        n_inner = max(2, min(np.unique(y, return_counts=True)[1]))
    n_inner = min(n_inner, len(np.unique(g)))
    if n_inner < 2:
        raise ValueError(f"fold {k}: the training part holds a single group (patient); no validation "
                         f"split can be drawn from it")
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


def saved_splits(ds: Dataset, path: Path) -> pd.DataFrame | None:
    """The splits saved at ``path`` if they describe ``ds``'s images (same relative paths and
    members, in the same order), else None."""
    if not path.exists():
        return None
    saved = pd.read_csv(path, keep_default_na=False, dtype={"file": str, "group": str})
    if len(saved) == len(ds) and "file" in saved \
            and (saved["file"].to_numpy() == image_keys(ds.index).to_numpy()).all() \
            and (saved["member"].to_numpy() == ds.index["member"].to_numpy()).all():
        return saved
    return None


def load_or_make_splits(ds: Dataset, folds: int | str, seed: int, path: Path) -> pd.DataFrame:
    """Reuse saved splits when they describe the same images (:func:`saved_splits`), else make
    and save them."""
    saved = saved_splits(ds, path)
    if saved is not None:
        return saved
    splits = make_splits(ds, folds, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    splits.to_csv(path, index=False)
    return splits


def nearest_neighbours(images: np.ndarray, size: int = 32, seed: int = 0) -> pd.DataFrame:
    """Each image's most similar other image (Pearson correlation of grey levels at
    ``size`` x ``size``), and, per image, its correlation with a random other image.

    The leak check for datasets without patient ids (MosMed slices): two slices of one
    scan look alike, so a split can put one in training and its neighbour in test. The
    same table on a dataset with patient ids (COV_CT) tells how alike same-patient
    images are."""
    from PIL import Image

    grey = np.stack([np.asarray(Image.fromarray(im).convert("L").resize((size, size)), np.float32).ravel()
                     for im in images])
    grey = (grey - grey.mean(1, keepdims=True)) / np.maximum(grey.std(1, keepdims=True), 1e-6)
    corr = grey @ grey.T / grey.shape[1]
    np.fill_diagonal(corr, -np.inf)
    nn = corr.argmax(1)
    rng = np.random.default_rng(seed)
    other = (np.arange(len(images)) + rng.integers(1, len(images), len(images))) % len(images)
    return pd.DataFrame({"nn": nn, "nn_corr": corr[np.arange(len(nn)), nn],
                         "random_corr": corr[np.arange(len(nn)), other]})
