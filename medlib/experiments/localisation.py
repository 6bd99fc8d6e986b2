"""Explanations measured on real data (notebook 05).

* :func:`head_heatmaps`: CAM, Grad-CAM (++) and CRM of a head trained on cached
  backbone maps (:mod:`medlib.experiments.crm_classifier`), computed at the head's
  ``crm_conv`` layer and brought to the image size;
* :func:`measure`: for each image and method, the ROI size of Kim et al. Table 3
  (pixels above 20% of the maximum, and their share of the image), faithfulness
  (deletion / insertion AUC through the full classifier), and, with ground-truth
  boxes (BCCD: the white cell's VOC box on the whole smear), the pointing game,
  the share of map energy inside the box and the IoU of the 20% ROI with the box;
* :func:`roi_table` (Table 3 layout) and :func:`score_stats` (Fig. 6: mean and
  spread of the normalised map values).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from ..explain import explain, normalise, split_model, upsample
from ..explain import metrics as em


# the measures a method is ranked by on BCCD smears, with the direction that is better
RANKED_MEASURES = (("pointing", True), ("energy_in_box", True), ("roi_iou", True), ("deletion_auc", False),
                   ("insertion_auc", True))


def ranking(rows: pd.DataFrame) -> pd.DataFrame:
    """Every ranked measure present in ``rows`` (:func:`measure`), methods ranked with intervals
    and ties by :func:`medlib.stats.rank_methods`."""
    from ..stats import rank_methods

    ok = rows[rows["status"] == "ok"]
    return pd.concat([rank_methods(ok.astype({c: float for c, _ in RANKED_MEASURES if c in ok}), m, hi)
                      for m, hi in RANKED_MEASURES if m in ok and ok[m].notna().any()], ignore_index=True)


def boxes_at(ds, size: tuple[int, int]) -> np.ndarray:
    """The annotated boxes (``box_x0 .. box_y1`` of a dataset loaded with ``crop=False``, in
    original pixels) rescaled to images of ``size`` (H, W)."""
    h, w = size
    out = []
    for r in ds.index.itertuples():
        with Image.open(r.path) as im:  # header only
            ow, oh = im.size
        out.append((r.box_x0 * w / ow, r.box_y0 * h / oh, r.box_x1 * w / ow, r.box_y1 * h / oh))
    return np.asarray(out, float)


def head_heatmaps(head, maps: np.ndarray, classes, size: tuple[int, int], methods) -> dict:
    """Heatmaps (N x H x W, non-negative, max-normalised) of ``methods`` for ``classes``,
    computed on a head's input maps and upsampled to the image ``size``."""
    split = split_model(head, head.feature_layer)
    out = {}
    for method in methods:
        at_map = explain(split, method, maps.astype(np.float32), classes)
        out[method] = normalise(upsample(at_map, size))
    return out


def measure(heatmaps: dict, images: np.ndarray, classes, predict, boxes=None, steps: int = 8,
            progress: bool = True) -> pd.DataFrame:
    """Tidy rows (image, class, method, measures). ``predict``: images in [0, 1] ->
    probabilities (the full classifier), for deletion / insertion; ``None`` leaves those two
    NaN: they measure a map's faithfulness to its classifier, which says nothing of the
    methods when the classifier is near its floor, and they cost 2 x ``steps`` full forward
    passes per image and method (on whole 480x640 smears, minutes on a CPU)."""
    from ..progress import progress_bar

    x = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images
    classes = np.asarray(classes, int)
    rows = []
    for method in progress_bar(list(heatmaps), desc="measure methods", disable=not progress):
        for i, heat in enumerate(heatmaps[method]):
            pixels, ratio = em.roi_size(heat)
            fi = (em.deletion_insertion(predict, x[i], heat, classes[i], steps=steps) if predict is not None
                  else {"deletion_auc": np.nan, "insertion_auc": np.nan})
            row = {"image": i, "class": int(classes[i]), "method": method, "status": "ok",
                   "roi_pixels": pixels, "roi_ratio": ratio, "deletion_auc": fi["deletion_auc"],
                   "insertion_auc": fi["insertion_auc"]}
            if boxes is not None:
                row.update(pointing=em.pointing_game(heat, boxes[i]), energy_in_box=em.energy_in_box(heat, boxes[i]),
                           roi_iou=em.roi_iou(heat, boxes[i]),
                           box_ratio=float(em.box_mask(heat.shape, boxes[i]).mean()))
            rows.append(row)
    return pd.DataFrame(rows)


def roi_table(rows: pd.DataFrame, class_names, value: str = "roi_ratio") -> pd.DataFrame:
    """Kim et al. Table 3 layout: mean ROI share (%) (or pixels) per method and class."""
    ok = rows[rows["status"] == "ok"]
    t = ok.pivot_table(index="method", columns="class", values=value, aggfunc="mean")
    t.columns = [class_names[c] for c in t.columns]
    t["all"] = ok.groupby("method")[value].mean()
    return t


def score_stats(heatmaps: dict, classes, class_names) -> pd.DataFrame:
    """Kim et al. Fig. 6 in numbers: mean and SD of the normalised map values per class and
    method (over every pixel of every image of the class)."""
    classes = np.asarray(classes, int)
    rows = []
    for method, maps in heatmaps.items():
        for c in np.unique(classes):
            v = np.asarray(maps)[classes == c].ravel()
            rows.append({"class": class_names[c], "method": method, "mean": float(v.mean()),
                         "sd": float(v.std()), "n_images": int((classes == c).sum())})
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean of every measure per method (higher is better except deletion AUC and ROI size)."""
    ok = rows[rows["status"] == "ok"]
    cols = [c for c in ("pointing", "energy_in_box", "box_ratio", "roi_iou", "roi_ratio", "deletion_auc",
                        "insertion_auc") if c in ok]
    return ok.groupby("method")[cols].mean()
