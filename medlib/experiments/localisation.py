"""Explanations measured on real data (notebook 05).

* :func:`method_table`: for each image and method, the ROI size of Kim et al.
  Table 3 (pixels above 20% of max, and their share of the image), and
  deletion / insertion AUC (faithfulness);
* with ground-truth boxes (BCCD: the white cell's VOC box on the whole smear),
  the pointing game, the share of map energy inside the box, and the IoU of the
  20% ROI with the box.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from ..explain import explain
from ..explain import metrics as em


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


def method_table(split, images: np.ndarray, classes, methods, boxes=None, steps: int = 10,
                 progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Tidy rows (image, class, method, measures) and the heatmaps per method (N x H x W)."""
    from tqdm import tqdm

    x = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images
    classes = np.asarray(classes, int)
    predict = lambda batch: split.model.predict(batch, batch_size=64, verbose=0)  # noqa: E731
    rows, maps = [], {}
    for method in tqdm(methods, desc="methods", disable=not progress or None):
        try:
            maps[method] = explain(split, method, x, classes)
        except ValueError as exc:  # e.g. CAM on a non-linear head
            rows.append({"method": method, "status": f"not applicable: {exc}"})
            continue
        for i, heat in enumerate(maps[method]):
            pixels, ratio = em.roi_size(heat)
            fi = em.deletion_insertion(predict, x[i], heat, classes[i], steps=steps)
            row = {"image": i, "class": int(classes[i]), "method": method, "status": "ok",
                   "roi_pixels": pixels, "roi_ratio": ratio, "deletion_auc": fi["deletion_auc"],
                   "insertion_auc": fi["insertion_auc"]}
            if boxes is not None:
                row.update(pointing=em.pointing_game(heat, boxes[i]), energy_in_box=em.energy_in_box(heat, boxes[i]),
                           roi_iou=em.roi_iou(heat, boxes[i]),
                           box_ratio=float(em.box_mask(heat.shape, boxes[i]).mean()))
            rows.append(row)
    return pd.DataFrame(rows), maps


def roi_table(rows: pd.DataFrame, class_names) -> pd.DataFrame:
    """Kim et al. Table 3 layout: mean ROI share (%) per method (rows) and class (columns)."""
    ok = rows[rows["status"] == "ok"]
    t = ok.pivot_table(index="method", columns="class", values="roi_ratio", aggfunc="mean")
    t.columns = [class_names[c] for c in t.columns]
    t["all"] = ok.groupby("method")["roi_ratio"].mean()
    return t


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean of every measure per method (higher is better except deletion AUC and ROI size)."""
    ok = rows[rows["status"] == "ok"]
    cols = [c for c in ("pointing", "energy_in_box", "roi_iou", "roi_ratio", "deletion_auc",
                        "insertion_auc") if c in ok]
    return ok.groupby("method")[cols].mean()
