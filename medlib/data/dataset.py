"""Index and load a dataset: the one entry point the experiments use.

>>> ds = load_dataset("cov_ct")           # doctest: +SKIP
>>> ds.images.shape, ds.index.label.value_counts()

``load_dataset`` builds the index (adapter), optionally subsamples it
(stratified, seeded), decodes and preprocesses every image once, skipping and
reporting unreadable files, and caches the uint8 array under
``MEDLIB_CACHE_DIR`` so a rerun does not decode images again.
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from .acquire import locate
from .adapters import ADAPTERS, COMPOSED
from .preprocess import prepare
from .readers import ImageReadError, read_image
from .registry import DatasetSpec, get_spec


@dataclass
class Dataset:
    spec: DatasetSpec
    images: np.ndarray  # uint8, N x H x W x 3
    index: pd.DataFrame  # one row per image, with integer column ``target``
    skipped: list = field(default_factory=list)  # (path, reason) of unreadable files

    @property
    def targets(self) -> np.ndarray:
        return self.index["target"].to_numpy()

    @property
    def groups(self) -> np.ndarray:
        return self.index["group"].to_numpy()

    def __len__(self) -> int:
        return len(self.index)


def build_index(key: str | DatasetSpec, root: Path | None = None, validate: bool = False,
                download: bool = False) -> pd.DataFrame:
    """The labelled index of dataset ``key`` (a registry key, or a spec such as a user's
    folder; see :mod:`medlib.data.adapters`).

    With ``validate=True`` every file is decoded; unreadable files are
    reported (a warning naming each) and dropped, and listed in
    ``df.attrs['unreadable']``.
    """
    spec = get_spec(key)
    key = spec.key
    root = Path(root) if root is not None else locate(spec, download=download)
    df = (ADAPTERS[spec.adapter](root, spec, index_of=build_index) if spec.adapter in COMPOSED
          else ADAPTERS[spec.adapter](root, spec))
    attrs = dict(df.attrs)
    if attrs.get("ignored_folders"):
        warnings.warn(f"{key}: folder(s) {', '.join(map(repr, attrs['ignored_folders']))} in {root} "
                      f"match no class of {spec.classes}; their images are not used", stacklevel=2)
    empty = [c for c in spec.classes if c not in set(df["label"])]
    if empty:
        warnings.warn(f"{key}: class(es) {', '.join(map(repr, empty))} have no images in {root}",
                      stacklevel=2)
    unknown = sorted(set(df["label"]) - set(spec.classes))
    if unknown:
        raise ValueError(f"{key}: adapter produced labels {unknown} not in {spec.classes}")
    df = df.assign(target=df["label"].map({c: i for i, c in enumerate(spec.classes)}).astype(int),
                   file=[_relative(p, root) for p in df["path"]])
    df.attrs = attrs
    if validate:
        bad = []
        for path in df.loc[df["member"] < 0, "path"].unique():
            try:
                read_image(path)
            except ImageReadError as exc:
                bad.append((str(exc.path), exc.reason))
        df = _drop_unreadable(df, bad)
    return df


def _relative(path, root: Path) -> str:
    """``path`` relative to the dataset root, POSIX style (the key used in saved splits)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def _drop_unreadable(df: pd.DataFrame, bad: list) -> pd.DataFrame:
    attrs = dict(df.attrs)
    for path, reason in bad:
        warnings.warn(f"skipping unreadable image {path}: {reason}", stacklevel=3)
    out = df[~df["path"].isin({p for p, _ in bad})].reset_index(drop=True)
    out.attrs = {**attrs, "unreadable": bad}
    return out


def stratified_subset(index: pd.DataFrame, per_class: int | None, seed: int = config.DEFAULT_SEED,
                      split: str | None = None) -> pd.DataFrame:
    """At most ``per_class`` rows of each label, drawn with a fixed seed (order kept)."""
    if split:
        index = index[index["split"] == split]
    if per_class is None:
        return index.reset_index(drop=True)
    picked = (index.groupby("label", group_keys=False)
              .apply(lambda g: g.sample(min(per_class, len(g)), random_state=seed)))
    return index.loc[sorted(picked.index)].reset_index(drop=True)


@lru_cache(maxsize=4)
def _npz_images(path: str, split: str) -> np.ndarray:
    with np.load(path) as z:
        return z[f"{split}_images"]


def read_row(row, window="file") -> np.ndarray:
    """Decode one index row into the reader's float form (handles .npz members); ``window``:
    the DICOM intensity policy (:attr:`DatasetSpec.window`)."""
    if int(row.member) >= 0:
        arr = _npz_images(str(row.path), row.split)[int(row.member)].astype(np.float32) / 255.0
        return arr[..., None] if arr.ndim == 2 else arr
    return read_image(row.path, window=window)


def _signature(spec: DatasetSpec, index: pd.DataFrame, size, letterbox) -> str:
    # every index column: the cached index must be the one asked for, annotations included
    h = hashlib.sha1(json.dumps([spec.key, list(size), letterbox, spec.via_size, list(index.columns)]
                                + ([] if spec.window == "file" else [spec.window])).encode())
    cols = index.astype(str)
    h.update(pd.util.hash_pandas_object(cols, index=False).values.tobytes())
    for path in index["path"].unique():
        st = Path(path).stat()
        h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def load_dataset(key: str | DatasetSpec, size: tuple[int, int] | None = None, per_class: int | None = None,
                 split: str | None = None, seed: int = config.DEFAULT_SEED,
                 index: pd.DataFrame | None = None, crop: bool = True,
                 cache: bool = True, progress: bool = True) -> Dataset:
    """Load dataset ``key`` (a registry key, or a spec such as a user's folder) preprocessed
    to ``size`` (default: the paper's size).

    ``per_class`` / ``split`` subsample the index first (smoke and quick
    profiles). ``crop=False`` keeps whole images even where the index has a
    box (BCCD smears for the localisation study); the boxes are then kept
    as annotations in ``box_x0 .. box_y1``. Unreadable files are
    skipped with a warning and listed in ``Dataset.skipped``.
    """
    from ..progress import progress_bar

    spec = get_spec(key)
    key = spec.key
    size = tuple(size or spec.image_size)
    packed = packed_path(key, size, per_class, crop)
    if index is None and packed is not None and packed.exists():
        return _read_npz(spec, packed)
    if index is None:
        index = build_index(spec)
    index = stratified_subset(index, per_class, seed, split)
    if not crop:  # keep the boxes as annotations (box_x0..box_y1), do not crop to them
        index = index.assign(**{f"box_{c}": index[c] for c in ("x0", "y0", "x1", "y1")},
                             x0=np.nan, y0=np.nan, x1=np.nan, y1=np.nan)
    path = config.cache_dir() / f"{key}-{size[0]}x{size[1]}-{_signature(spec, index, size, spec.letterbox)}.npz"
    if cache and path.exists():
        return _read_npz(spec, path)
    images, keep, skipped = [], [], []
    for i, row in enumerate(progress_bar(index.itertuples(), total=len(index), desc=f"decode {key}",
                                         disable=not progress)):
        try:
            img = read_row(row, spec.window)
        except ImageReadError as exc:
            skipped.append((str(exc.path), exc.reason))
            warnings.warn(f"skipping unreadable image {exc.path}: {exc.reason}", stacklevel=2)
            continue
        images.append(prepare(img, size, spec.letterbox, (row.x0, row.y0, row.x1, row.y1), spec.via_size))
        keep.append(i)
    kept = index.iloc[keep].reset_index(drop=True)
    arr = np.stack(images) if images else np.zeros((0, *size, 3), np.uint8)
    ds = Dataset(spec, arr, kept, skipped)
    if cache:
        write_npz(ds, path)
    return ds


def packed_path(key: str, size, per_class=None, crop: bool = True) -> Path | None:
    """Where a packed copy of the preprocessed dataset would be (``MEDLIB_ARRAYS``), if set.

    A machine without the raw data (a lent GPU, a cluster node) reads datasets from
    arrays packed elsewhere (``scripts/device_run.py pack``): same images, same index."""
    import os

    root = os.environ.get("MEDLIB_ARRAYS")
    if not root:
        return None
    tag = f"{key}-{size[0]}x{size[1]}" + (f"-pc{per_class}" if per_class else "") + ("" if crop else "-whole")
    return Path(root) / f"{tag}.npz"


def write_npz(ds: Dataset, path: Path, compressed: bool = False) -> Path:
    """The dataset's images, index and skipped files in one .npz (written whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    save = np.savez_compressed if compressed else np.savez
    save(tmp, images=ds.images, index=np.array(ds.index.to_json(orient="table")),
         skipped=np.array(json.dumps(ds.skipped)))
    tmp.replace(path)
    return path


def _read_npz(spec: DatasetSpec, path: Path) -> Dataset:
    with np.load(path) as z:
        kept = pd.read_json(io.StringIO(str(z["index"])), orient="table")
        skipped = json.loads(str(z["skipped"]))
        return Dataset(spec, z["images"], kept, [tuple(s) for s in skipped])
