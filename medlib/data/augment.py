"""Training-time augmentation of s2.2, in NumPy so it runs the same under every Keras backend.

One function, applied to training batches only: a random rotation (up to
``rotation_deg`` either way) and a random shift by whole pixels (up to ``shift``
of the height and width), both filling with black (the images sit on dark backgrounds), then
Gaussian noise with the paper's sigma = 0.01 ** 0.5 on the range the reading puts it
(``Augmentation.noise_scale``: [0, 1] images, or 0-255 pixels), clipped back to [0, 1]. The draws come from one seeded generator, so the k-th
call of an augmenter made with the same seed gives the same batch. Validation
and test batches never pass through it (the training loop calls it on training
batches; :mod:`medlib.features` uses it to make fixed augmented views).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import ndimage

from .registry import Augmentation


def _shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``img`` moved by whole pixels (down ``dy``, right ``dx``), black where it moved from."""
    out = np.zeros_like(img)
    h, w = img.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def make_augmenter(aug: Augmentation, seed: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``f(batch) -> batch`` for float batches N x H x W x C in [0, 1] (NumPy).

    Identity (the same object back) when ``aug`` asks for nothing.
    """
    if aug.is_identity:
        return lambda batch: batch
    rng = np.random.default_rng(seed)

    def augment(batch):
        batch = np.asarray(batch, np.float32)
        out = np.empty_like(batch)
        h, w = batch.shape[1:3]
        for i, img in enumerate(batch):
            if aug.rotation_deg:
                angle = rng.uniform(-aug.rotation_deg, aug.rotation_deg)
                img = ndimage.rotate(img, angle, axes=(1, 0), reshape=False, order=1,
                                     mode="constant", cval=0.0)
            if aug.shift:
                dy, dx = np.rint(rng.uniform(-aug.shift, aug.shift, 2) * (h, w)).astype(int)
                img = _shift(img, dy, dx)
            out[i] = img
        if aug.noise_sigma:
            out += np.float32(aug.noise_on_unit) * rng.standard_normal(out.shape, dtype=np.float32)
        return np.clip(out, 0.0, 1.0)

    return augment
