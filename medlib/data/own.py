"""A researcher's own data, by path, without editing medlib.

>>> from medlib.data import folder_dataset, load_dataset      # doctest: +SKIP
>>> spec = folder_dataset("~/data/my_wbc", size=(224, 224))   # doctest: +SKIP
>>> ds = load_dataset(spec)                                   # doctest: +SKIP

The folder holds one sub-folder of images per class (PNG, JPEG, TIFF, BMP or
DICOM, nested folders allowed); the sub-folder names are the classes. Images of
one *group* (a patient, a study) never sit on both sides of a split. Groups come
from, in this order: an optional ``groups.csv`` (columns ``file``, ``group``;
``file`` relative to the folder, e.g. ``eosinophil/img_001.png``); the first
folder below the class (``<class>/<patient>/<slice>.dcm``, as PACS tools export);
the DICOM PatientID (else StudyInstanceUID) a file carries; else the image alone,
which is only right when no patient has two images (:func:`describe` warns when
file names suggest otherwise).

DICOM intensities (``window``): the modality LUT (rescale slope and intercept,
e.g. to Hounsfield units), then the file's VOI LUT or window centre/width, else
the full range; MONOCHROME1 is inverted. ``window=(center, width)`` applies one
window to every file instead (a lung window is ``(-600, 1500)``), ``window=None``
the full range.

The spec is a value: nothing is registered. Pass it wherever a dataset key is
accepted (``load_dataset(spec)``, ``build_index(spec)``); its ``key`` (the folder's
name, or ``name``) names its results. :func:`medlib.profiles.add_datasets` returns
a profile with the blocks for new data on it, the spec carried along. Empty class folders are left out with a warning naming
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
                   modality: str = "", positive_class: str | None = None,
                   window="file") -> DatasetSpec:
    """The dataset spec of the folder of class sub-folders at ``path`` (nothing is registered).
    ``window``: ``"file"`` (each DICOM's own window), ``None`` (full range) or
    ``(center, width)`` in modality units, for every DICOM file (see the module docstring)."""
    if window not in ("file", None):
        try:
            center, width = (float(v) for v in window)
        except (TypeError, ValueError):
            raise ValueError(f"window={window!r}: give 'file', None or (center, width)") from None
        if width <= 0:
            raise ValueError(f"window={window!r}: the width must be positive")
        window = (center, width)
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
    if key in DATASETS:
        raise ValueError(f"dataset name {key!r} is taken by a registry dataset; pass name=...")
    if positive_class is not None and positive_class not in classes:
        raise ValueError(f"positive_class {positive_class!r} is not one of {classes}")
    spec = DatasetSpec(
        key=key, paper_name=None, modality=modality or "your data", task=" vs ".join(classes),
        classes=classes, paper_counts=None, image_size=tuple(size), letterbox=letterbox,
        augmentation=augmentation, adapter="folder_of_classes", root=str(root),
        licence="your data's own", size_source="given to folder_dataset", file_type="folder of classes",
        positive_class=positive_class, window=window,
        notes="a folder of your own, described by medlib.data.folder_dataset")
    return spec


def intensity_policy(spec: DatasetSpec) -> str:
    """The DICOM intensity policy of ``spec``, in words (notebook 01 states it)."""
    if spec.window == "file":
        return ("DICOM: modality LUT (rescale slope/intercept), then each file's own VOI LUT or window "
                "centre/width, else its full range; MONOCHROME1 inverted. Override: "
                "folder_dataset(..., window=(center, width)) or window=None")
    if spec.window is None:
        return "DICOM: modality LUT, then the full range of each image (files' windows ignored)"
    c, w = spec.window
    return (f"DICOM: modality LUT, then one window for every file: centre {c:g}, width {w:g} "
            f"({c - w / 2:g} reads 0, {c + w / 2:g} reads 1); files' windows ignored")


def describe(key) -> dict:
    """What notebook 01 shows first for a user's folder: ``classes`` (images, groups and the
    grouping rule per class), ``left_out`` (every file not used, with its reason: not an
    image, or unreadable), ``readable``, ``rule`` and ``warning`` (grouping) and ``intensity``."""
    import pandas as pd

    from .dataset import build_index, get_spec

    spec = get_spec(key)
    root = Path(spec.root)
    index = build_index(spec, validate=True)
    used = set(map(str, index["path"]))
    left = [(p.relative_to(root).as_posix(), f"not an image file ({p.suffix or 'no suffix'})")
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES
            and p.name != "groups.csv"]
    left += [(Path(p).relative_to(root).as_posix(), reason) for p, reason in index.attrs.get("unreadable", [])]
    rules = index["group_rule"] if "group_rule" in index else pd.Series("each image", index=index.index)
    classes = (index.assign(group_rule=rules).groupby("label")
               .agg(images=("path", "size"), groups=("group", "nunique"),
                    rule=("group_rule", lambda r: ", ".join(sorted(set(r)))))
               .reindex(list(spec.classes)))
    return {"classes": classes, "left_out": pd.DataFrame(left, columns=["file", "reason"]),
            "readable": len(used), "rule": ", ".join(sorted(set(rules))),
            "warning": grouping_warning(index), "intensity": intensity_policy(spec)}


def grouping_warning(index) -> str:
    """A warning when every image is its own group although the files suggest patients: names
    that share a stem before a trailing number (``p012_slice3.png``, ``p012_slice4.png``)."""
    if index.empty or index["group"].nunique() < len(index):
        return ""
    stems = index["path"].map(lambda p: re.sub(r"[\s_\-.]*\d+$", "", Path(p).stem))
    shared = stems.duplicated(keep=False) & (stems.str.len() > 0)
    if shared.mean() < 0.2:
        return ""
    return (f"every image is its own group, but {int(shared.sum())} of {len(index)} file names share a stem "
            f"before a number (e.g. {stems[shared].iloc[0]!r}): if those are one patient's images, give a "
            "groups.csv (file, group) or put each patient's images in a folder below the class, or "
            "accuracy can be inflated by one patient's images on both sides of a split")
