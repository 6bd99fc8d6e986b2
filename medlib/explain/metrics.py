"""Measuring heatmaps: ROI size (Kim et al. Table 3), localisation against a known
box, and faithfulness (deletion / insertion curves). Neither paper measures
whether a heatmap points at the right place; these do.

All heatmaps here are at input resolution, non-negative and max-normalised
(:func:`medlib.explain.base.normalise` of :func:`~medlib.explain.base.upsample`).
"""
from __future__ import annotations

import numpy as np

ROI_FRACTION = 0.20        # Kim et al.: ROI = values above 20% of the map's maximum
CLASS_BOX_FRACTION = 0.70  # Kim et al. Fig. 9: class-level box at 70% of the maximum


def roi_mask(heatmap: np.ndarray, fraction: float = ROI_FRACTION) -> np.ndarray:
    """Pixels above ``fraction`` of the map's maximum (an all-zero map has no ROI)."""
    heatmap = np.asarray(heatmap)
    peak = heatmap.max()
    return heatmap > fraction * peak if peak > 0 else np.zeros(heatmap.shape, bool)


def roi_size(heatmap: np.ndarray, fraction: float = ROI_FRACTION) -> tuple[int, float]:
    """(ROI pixel count, ROI share of the image in %), as in Kim et al. Table 3."""
    mask = roi_mask(heatmap, fraction)
    return int(mask.sum()), 100.0 * mask.mean()


def threshold_box(heatmap: np.ndarray, fraction: float = CLASS_BOX_FRACTION):
    """Bounding box (x0, y0, x1, y1), end-exclusive, of values at or above ``fraction`` of max."""
    heatmap = np.asarray(heatmap)
    if heatmap.max() <= 0:
        return None
    ys, xs = np.nonzero(heatmap >= fraction * heatmap.max())
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def box_mask(shape: tuple[int, int], box) -> np.ndarray:
    """Boolean mask of an (x0, y0, x1, y1) end-exclusive box on an H x W grid."""
    mask = np.zeros(shape, bool)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    mask[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
    return mask


def pointing_game(heatmap: np.ndarray, box) -> bool:
    """Is the map's maximum inside the box? (Zhang et al. 2018)."""
    y, x = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    return bool(box_mask(heatmap.shape, box)[y, x])


def energy_in_box(heatmap: np.ndarray, box) -> float:
    """Share of the map's total value inside the box (1 = all evidence on the object)."""
    total = float(np.sum(heatmap))
    return float(np.sum(heatmap[box_mask(heatmap.shape, box)]) / total) if total > 0 else 0.0


def roi_iou(heatmap: np.ndarray, box, fraction: float = ROI_FRACTION) -> float:
    """Intersection over union of the 20% ROI with the box."""
    roi, gt = roi_mask(heatmap, fraction), box_mask(heatmap.shape, box)
    union = np.logical_or(roi, gt).sum()
    return float(np.logical_and(roi, gt).sum() / union) if union else 0.0


def deletion_insertion(predict, image: np.ndarray, heatmap: np.ndarray, cls: int,
                       steps: int = 16, baseline: float | np.ndarray = 0.0) -> dict:
    """Faithfulness (Petsiuk et al. 2018): remove (deletion) or reveal (insertion) pixels
    in the map's order, most relevant first, and follow the class probability.

    ``predict``: images N x H x W x 3 in [0, 1] -> probabilities N x C. Returns both
    curves (``steps + 1`` points) and their areas under the curve: a faithful map has
    a low deletion AUC and a high insertion AUC.
    """
    h, w = heatmap.shape
    order = np.argsort(-heatmap.ravel(), kind="stable")
    counts = np.linspace(0, h * w, steps + 1).astype(int)
    base = np.broadcast_to(np.asarray(baseline, np.float32), image.shape)
    deleted, inserted = [], []
    for k in counts:
        mask = np.zeros(h * w, bool)
        mask[order[:k]] = True
        mask = mask.reshape(h, w)[..., None]
        deleted.append(np.where(mask, base, image))
        inserted.append(np.where(mask, image, base))
    probs = predict(np.stack(deleted + inserted).astype(np.float32))[:, cls]
    d, i = probs[:steps + 1], probs[steps + 1:]
    x = counts / (h * w)
    return {"deletion": d, "insertion": i, "fraction": x,
            "deletion_auc": float(np.trapezoid(d, x)), "insertion_auc": float(np.trapezoid(i, x))}
