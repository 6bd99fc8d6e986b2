"""A researcher's own data, by path, without editing medlib.

>>> from medlib.data import folder_dataset, load_dataset      # doctest: +SKIP
>>> spec = folder_dataset("~/data/my_wbc", size=(224, 224))   # doctest: +SKIP
>>> ds = load_dataset(spec.key)                               # doctest: +SKIP

The folder holds one sub-folder of images per class (PNG, JPEG, TIFF, BMP or
DICOM, nested folders allowed); the sub-folder names are the classes. An
optional ``groups.csv`` (columns ``file``, ``group``; ``file`` relative to the
folder, e.g. ``eosinophil/img_001.png``) names the patient or source of each
image: images of one group never sit on both sides of a split. Without it every
image is its own group, which is only right when no patient has two images.

The dataset is registered for the running process under ``spec.key`` (the
folder's name, or ``name``), so every notebook and experiment takes it like a
registry dataset; :func:`medlib.profiles.add_datasets` gives it the profile's
blocks for new data. Empty class folders are left out with a warning naming
them; folders whose name starts with ``.`` or ``_`` are ignored.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

from .adapters import IMAGE_SUFFIXES
from .registry import DATASETS, NO_AUGMENTATION, Augmentation, DatasetSpec


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug if slug and not slug[0].isdigit() else f"data_{slug}"


def _has_images(folder: Path) -> bool:
    return any(p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES for p in folder.rglob("*"))


def folder_dataset(path, size: tuple[int, int] = (224, 224), name: str | None = None,
                   augmentation: Augmentation = NO_AUGMENTATION, letterbox: bool = False,
                   modality: str = "", positive_class: str | None = None) -> DatasetSpec:
    """Register the folder of class sub-folders at ``path`` as a dataset; returns its spec."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder (expected one sub-folder of images per class)")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._")
    empty = [p.name for p in folders if not _has_images(p)]
    if empty:
        warnings.warn(f"{root}: class folder(s) {', '.join(map(repr, empty))} hold no image "
                      f"({', '.join(sorted(IMAGE_SUFFIXES))}); left out", stacklevel=2)
    classes = tuple(p.name for p in folders if p.name not in empty)
    if len(classes) < 2:
        raise ValueError(f"{root}: needs at least two class sub-folders with images, found "
                         f"{list(classes) or 'none'}")
    key = _slug(name or root.name)
    known = DATASETS.get(key)
    if known is not None and known.root != str(root):
        raise ValueError(f"dataset name {key!r} is taken ({known.root or 'a registry dataset'}); "
                         f"pass name=...")
    if positive_class is not None and positive_class not in classes:
        raise ValueError(f"positive_class {positive_class!r} is not one of {classes}")
    spec = DatasetSpec(
        key=key, paper_name=None, modality=modality or "your data", task=" vs ".join(classes),
        classes=classes, paper_counts=None, image_size=tuple(size), letterbox=letterbox,
        augmentation=augmentation, adapter="folder_of_classes", root=str(root),
        licence="your data's own", size_source="given to folder_dataset", file_type="folder of classes",
        positive_class=positive_class, notes="registered at run time by medlib.data.folder_dataset")
    DATASETS[key] = spec
    return spec
