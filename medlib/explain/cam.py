"""CAM (Zhou et al. 2016; Kim et al. Eq. 2): M_c(x, y) = sum_k w_k^c f_k(x, y).

Defined only where the head is GAP -> Dense (``Split.linear``). Returned raw
(signed, feature resolution); :func:`medlib.explain.explain` normalises.
"""
from __future__ import annotations

import numpy as np

from .base import Split, as_class_index


def cam(split: Split, images, classes) -> np.ndarray:
    if not split.linear:
        raise ValueError(f"CAM needs a GAP + dense head; {split.model.name} at {split.layer} has another")
    fmap, _ = split.forward(images)
    kernel, _ = split.dense
    c = as_class_index(classes, len(images))
    maps = np.einsum("nuvk,kc->nuvc", fmap.numpy(), kernel)
    return maps[np.arange(len(c)), :, :, c]
