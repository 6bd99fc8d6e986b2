"""Turn each upstream layout into one tidy index table.

Every adapter takes the dataset root (upstream layout) and its spec and
returns a DataFrame with the columns of :data:`INDEX_COLUMNS`:

``path``    absolute file path;
``member``  index inside an array file (MedMNIST .npz), else -1;
``label``   class name (one of ``spec.classes``);
``group``   patient / lesion / source-image id: images of one group never go
            to both sides of a split;
``split``   official split (train/val/test) where the dataset has one, else "";
``x0 y0 x1 y1``  crop box in pixels (BCCD white cell), else NaN.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .acquire import safe_extract
from .registry import DatasetSpec

INDEX_COLUMNS = ["path", "member", "label", "group", "split", "x0", "y0", "x1", "y1"]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom"}

ADAPTERS: dict[str, Callable[[Path, DatasetSpec], pd.DataFrame]] = {}


def adapter(name: str):
    def wrap(fn):
        ADAPTERS[name] = fn
        return fn
    return wrap


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col, default in [("member", -1), ("group", ""), ("split", ""),
                         ("x0", np.nan), ("y0", np.nan), ("x1", np.nan), ("y1", np.nan)]:
        if col not in df:
            df[col] = default
        elif col in ("member", "group", "split"):
            df[col] = df[col].fillna(default)
    if df.empty:
        return pd.DataFrame(columns=INDEX_COLUMNS)
    df["path"] = df["path"].astype(str)
    df["group"] = df["group"].astype(str)
    df["member"] = df["member"].astype(int)
    extra = [c for c in df.columns if c not in INDEX_COLUMNS]
    return df[INDEX_COLUMNS + extra].sort_values(["label", "path", "member"], kind="stable").reset_index(drop=True)


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


@adapter("folder_of_classes")
def folder_of_classes(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """``root/<class folder>/**/<image>``: one sub-folder per class.

    ``spec.adapter_options['class_map']`` maps folder names to class names
    (default: the folder name itself, matched case-insensitively against
    ``spec.classes``). Folders that map to no class are ignored and reported.
    Groups (images of one group never span a split), first rule that applies:
    a ``groups.csv`` in ``root`` (columns: file, group); else the first folder
    below the class (``<class>/<patient>/<slice>``, the way PACS exports are laid
    out); else the DICOM PatientID (or StudyInstanceUID) the file carries; else the
    image alone. Each row's ``group_rule`` says which.
    """
    class_map = {k.lower(): v for k, v in spec.adapter_options.get("class_map", {}).items()}
    known = {c.lower(): c for c in spec.classes}
    groups = {}
    if (root / "groups.csv").exists():
        g = pd.read_csv(root / "groups.csv")
        groups = dict(zip(g["file"].astype(str), g["group"].astype(str)))
    rows, ignored = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._"):
        label = class_map.get(folder.name.lower()) or known.get(folder.name.lower())
        if label is None:
            ignored.append(folder.name)
            continue
        for path in _images_in(folder):
            rel = path.relative_to(root).as_posix()
            group, rule = (groups[rel], "groups.csv") if rel in groups else _implied_group(path, folder, rel)
            rows.append({"path": path, "label": label, "group": group, "group_rule": rule})
    df = _frame(rows)
    if ignored:
        df.attrs["ignored_folders"] = ignored
    return df


GROUP_RULES = ("groups.csv", "folder below the class", "DICOM PatientID", "DICOM StudyInstanceUID", "each image")


def _implied_group(path: Path, class_folder: Path, rel: str) -> tuple[str, str]:
    """(group, rule) of an image without a ``groups.csv`` entry; see :func:`folder_of_classes`."""
    inner = path.relative_to(class_folder).parts
    if len(inner) > 1:
        return f"folder:{inner[0]}", "folder below the class"
    if path.suffix.lower() in {".dcm", ".dicom"}:
        ids = _dicom_ids(path)
        for tag, rule in (("PatientID", "DICOM PatientID"), ("StudyInstanceUID", "DICOM StudyInstanceUID")):
            if ids.get(tag):
                return f"{tag}:{ids[tag]}", rule
    return rel, "each image"


def _dicom_ids(path: Path) -> dict[str, str]:
    """PatientID and StudyInstanceUID from a DICOM header (empty for a file pydicom cannot parse:
    the reader names its problem later)."""
    try:
        import pydicom

        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["PatientID", "StudyInstanceUID"],
                             force=True)
        return {k: str(ds.get(k, "") or "").strip() for k in ("PatientID", "StudyInstanceUID")}
    except Exception:
        return {}


def _covid_ct_groups(root: Path) -> dict[str, str]:
    """Map image stem -> group from COVID-CT's Meta/ files.

    Patient ids in the COVID sheet are numbered per source preprint
    ("Patient 1" exists in many papers), so the group is source + patient.
    """
    groups = {}
    meta = pd.read_excel(root / "Meta" / "COVID-CT-MetaInfo.xlsx").dropna(subset=["File name"])
    for name, patient in zip(meta["File name"].astype(str), meta["Patient ID"].astype(str)):
        stem = Path(name).stem if Path(name).suffix.lower() in IMAGE_SUFFIXES else name
        source = re.sub(r"-p\d+-\d+(%\d+)?$", "", stem)
        groups[stem] = f"covid:{source}:{patient}"
    non = pd.read_csv(root / "Meta" / "NonCOVID-CT-MetaInfo.csv")
    for name, patient in zip(non["image name"].astype(str), non["patient id"].astype(str)):
        groups[Path(name).stem] = f"noncovid:{patient}"
    return groups


@adapter("covid_ct")
def covid_ct(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """UCSD-AI4H COVID-CT: CT_COVID/ and CT_NonCOVID/, Meta/ patient ids, Data-split/ lists.

    Upstream ships the images zipped under Images-processed/; they are
    unpacked (with path checks) on first use.
    """
    for folder in ("CT_COVID", "CT_NonCOVID"):
        archive = root / "Images-processed" / f"{folder}.zip"
        if not (root / folder).is_dir() and archive.exists():
            safe_extract(archive, root)
    groups = _covid_ct_groups(root)
    splits = {}
    for cls in ("COVID", "NonCOVID"):
        for split in ("train", "val", "test"):
            lst = root / "Data-split" / cls / f"{split}CT_{cls}.txt"
            if lst.exists():
                for name in lst.read_text().split("\n"):
                    if name.strip():
                        splits[(cls, name.strip())] = split
    rows = []
    for cls, folder, label in (("COVID", "CT_COVID", "covid-19"), ("NonCOVID", "CT_NonCOVID", "non-covid")):
        for path in _images_in(root / folder):
            rows.append({"path": path, "label": label,
                         "group": groups.get(path.stem, f"{cls.lower()}:unknown:{path.stem}"),
                         "split": splits.get((cls, path.name), "")})
    return _frame(rows)


@adapter("mosmed")
def mosmed(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """MosMed slices: CT-0 (no COVID-19 findings) vs CT-1..CT-4 (COVID-19).

    The severity folder is kept in ``group`` prefix-free form ``CT-k/<file>``;
    this export has no patient ids, so every slice is its own group.
    """
    rows = []
    for folder in sorted(root.glob("CT-[0-4]")):
        label = "non-covid" if folder.name == "CT-0" else "covid-19"
        for path in _images_in(folder):
            rows.append({"path": path, "label": label, "group": f"{folder.name}/{path.name}"})
    return _frame(rows)


def severity(path: str) -> str:
    """MosMed severity class (CT-0 .. CT-4) of an indexed slice."""
    return Path(path).parent.name


@adapter("covid_chestxray")
def covid_chestxray(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """ieee8023 covid-chestxray-dataset: X-ray rows of metadata.csv, COVID-19 vs the rest.

    Rows whose finding is 'todo' (not yet labelled) are dropped, as are
    listed files that are absent (reported in ``attrs['missing']``). Any
    finding containing 'COVID-19' (e.g. 'COVID-19, ARDS') is covid-19.
    Groups are patient ids.
    """
    meta = pd.read_csv(root / "metadata.csv")
    meta = meta[(meta["modality"] == "X-ray") & (meta["finding"] != "todo")]
    meta = meta.drop_duplicates("filename")
    rows, missing = [], []
    for r in meta.itertuples():
        path = root / str(r.folder) / str(r.filename)
        if not path.exists():
            missing.append(str(r.filename))
            continue
        label = "covid-19" if "COVID-19" in str(r.finding) else "non-covid"
        rows.append({"path": path, "label": label, "group": f"patient:{r.patientid}"})
    df = _frame(rows)
    df.attrs["missing"] = missing
    return df


def _voc_boxes(xml_path: Path, name: str = "WBC") -> list[tuple[int, int, int, int]]:
    tree = ET.parse(xml_path)
    boxes = []
    for obj in tree.findall("object"):
        if obj.findtext("name", "").strip() != name:
            continue
        bb = obj.find("bndbox")
        boxes.append(tuple(int(float(bb.findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax")))
    return boxes


@adapter("bccd_cells2")
def bccd_cells2(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Cells2 from BCCD, as the paper did: one white-cell crop per smear.

    ``labels.csv`` gives each smear's white-cell type(s). Rules (documented
    in the registry and notebook 01):

    * images whose category is a single type among ``spec.classes`` are kept;
      multi-label rows ("NEUTROPHIL, EOSINOPHIL", also repeated types such as
      "EOSINOPHIL,EOSINOPHIL") and empty ones are dropped, because the label
      cannot be tied to one box;
    * the crop is the image's WBC box; with several WBC boxes, the largest;
    * an image with no WBC box or no JPEG is skipped and reported;
    * ``adapter_options={"whole": True}`` keeps the whole smear instead (the same images, so the
      same groups and folds): Cells2 as the paper's image-level counts and 100x100 resize read.
    """
    labels = pd.read_csv(root / "labels.csv", dtype={"Category": str})
    wanted = {c.upper(): c for c in spec.classes}
    base = root / "BCCD"
    rows, skipped = [], []
    for image_id, category in zip(labels["Image"], labels["Category"].fillna("")):
        types = [t.strip() for t in category.split(",") if t.strip()]
        if len(types) != 1 or types[0] not in wanted:
            continue
        stem = f"BloodImage_{int(image_id):05d}"
        jpg, xml = base / "JPEGImages" / f"{stem}.jpg", base / "Annotations" / f"{stem}.xml"
        if not (jpg.exists() and xml.exists()):
            skipped.append((stem, "no image or annotation file"))
            continue
        boxes = _voc_boxes(xml)
        if not boxes:
            skipped.append((stem, "no WBC box"))
            continue
        x0, y0, x1, y1 = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        if spec.adapter_options.get("whole"):  # the whole smear, as the paper's image-level labels read
            x0 = y0 = x1 = y1 = np.nan
        rows.append({"path": jpg, "label": wanted[types[0]], "group": stem,
                     "x0": x0, "y0": y0, "x1": x1, "y1": y1, "n_wbc_boxes": len(boxes)})
    df = _frame(rows)
    df.attrs["skipped"] = skipped
    return df


@adapter("medmnist")
def medmnist(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """MedMNIST .npz: one row per array element, with the official split."""
    path = root / spec.adapter_options["file"]
    rows = []
    with np.load(path) as z:
        for split in ("train", "val", "test"):
            labels = z[f"{split}_labels"].reshape(-1)
            for i, y in enumerate(labels):
                rows.append({"path": path, "member": i, "label": spec.classes[int(y)],
                             "group": f"{split}:{i}", "split": split})
    return _frame(rows)


@adapter("ham10000")
def ham10000(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """HAM10000: HAM10000_metadata.csv (image_id, lesion_id, dx); images anywhere below root."""
    meta = pd.read_csv(root / "HAM10000_metadata.csv")
    files = {p.stem: p for p in _images_in(root)}
    meta = meta[meta["dx"].isin(spec.classes)]
    rows = [{"path": files[i], "label": dx, "group": f"lesion:{lesion}"}
            for i, dx, lesion in zip(meta["image_id"], meta["dx"], meta["lesion_id"]) if i in files]
    return _frame(rows)


@adapter("isic2018")
def isic2018(root: Path, spec: DatasetSpec) -> pd.DataFrame:
    """ISIC 2018 Task 3: one-hot GroundTruth CSV; MEL -> melanoma, others -> benign."""
    gt_files = sorted(root.rglob("ISIC2018_Task3_Training_GroundTruth.csv"))
    if not gt_files:
        raise FileNotFoundError(f"{root}: ISIC2018_Task3_Training_GroundTruth.csv not found")
    gt = pd.read_csv(gt_files[0])
    files = {p.stem: p for p in _images_in(root)}
    rows = [{"path": files[i], "label": "melanoma" if mel >= 0.5 else "benign", "group": i}
            for i, mel in zip(gt["image"], gt["MEL"]) if i in files]
    return _frame(rows)


COMPOSED = {"modality"}  # adapters that index other registry datasets (build_index passes index_of)


@adapter("modality")
def modality(root: Path, spec: DatasetSpec, index_of: Callable[[str], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Kim et al.'s modality task from other registry datasets and rendered charts.

    ``spec.adapter_options['sources']`` maps each class to the datasets it draws from;
    every row keeps its ``source`` dataset and a group prefixed by it (patients where
    the source has ids). Cells2's rows are whole smears (no crop): microscopy here is the
    smear, not the white cell. Charts are rendered into ``root/charts`` on first use.
    ``index_of``: the index of a registry dataset (:func:`medlib.data.build_index` passes
    itself, so adapters never import the loader that calls them).
    """
    from .charts import ensure_charts

    if index_of is None:
        raise TypeError("the modality adapter composes other datasets: call it through build_index")
    build_index = index_of
    rows = []
    for label, keys in spec.adapter_options["sources"].items():
        for key in keys:
            index = build_index(key)
            index = index.assign(x0=np.nan, y0=np.nan, x1=np.nan, y1=np.nan) if key == "cells2" else index
            for r in index.itertuples():
                rows.append({"path": r.path, "member": r.member, "label": label, "split": r.split,
                             "group": f"{key}:{r.group}", "source": key,
                             "x0": r.x0, "y0": r.y0, "x1": r.x1, "y1": r.y1})
    for path in ensure_charts(root / "charts", spec.adapter_options["charts"]):
        rows.append({"path": path, "label": "statistical graph", "group": f"charts:{path.stem}",
                     "source": "charts"})
    return _frame(rows)
