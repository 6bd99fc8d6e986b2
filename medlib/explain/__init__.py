"""Explanations over a shared ``features -> head`` split of any zoo model.

One method per module, as in pytorch-grad-cam: :mod:`.cam`, :mod:`.gradcam`
(Grad-CAM, Grad-CAM++), :mod:`.scorecam`, :mod:`.crm`; measurements in
:mod:`.metrics`. :func:`explain` runs a method by name and returns heatmaps at
input resolution, non-negative and max-normalised.
"""
from __future__ import annotations

import numpy as np

from .base import Split, normalise, split_model, upsample
from .cam import cam
from .crm import class_average, crm, crm_closed_form, crm_loop, crm_removal
from .gradcam import gradcam, gradcam_plus_plus
from .scorecam import scorecam

METHODS = {
    "cam": lambda s, x, c: cam(s, x, c),
    "gradcam": lambda s, x, c: gradcam(s, x, c),
    "gradcam++": lambda s, x, c: gradcam_plus_plus(s, x, c),
    "scorecam": lambda s, x, c: scorecam(s, x, c),
    "crm": lambda s, x, c: crm(s, x),  # class-selective by construction: all classes at once
}


def explain(split: Split, method: str, images, classes, batch_size: int = 16) -> np.ndarray:
    """Heatmaps N x H x W of ``method`` for ``classes`` (int or one per image), in [0, 1]."""
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    images = np.asarray(images, np.float32)
    cls = np.broadcast_to(np.asarray(classes, int), (len(images),))
    maps = np.concatenate([METHODS[method](split, images[s:s + batch_size], cls[s:s + batch_size])
                           for s in range(0, len(images), batch_size)])
    return normalise(upsample(normalise(maps), images.shape[1:3]))


__all__ = ["Split", "split_model", "upsample", "normalise", "explain", "METHODS", "cam", "gradcam",
           "gradcam_plus_plus", "scorecam", "crm", "crm_closed_form", "crm_removal", "crm_loop",
           "class_average"]
