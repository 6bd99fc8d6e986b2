"""Training-time augmentation of s2.2 as one function applied to training batches only.

Rotations and shifts fill with black (the images sit on dark backgrounds);
Gaussian noise uses the paper's sigma = 0.01 ** 0.5 on images in [0, 1], and
the result is clipped back to [0, 1]. Validation and test batches are never
passed through it (the cross-validation engine calls it on training batches).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .registry import Augmentation


def make_augmenter(aug: Augmentation, seed: int = 0) -> Callable:
    """Return ``f(batch) -> batch`` for float batches N x H x W x C in [0, 1].

    Identity when ``aug`` asks for nothing. Works on NumPy arrays and tensors
    (returns a tensor in the latter case, a NumPy array in the former).
    """
    if aug.is_identity:
        return lambda batch: batch
    import keras

    layers = []
    if aug.rotation_deg:
        layers.append(keras.layers.RandomRotation(aug.rotation_deg / 360.0, fill_mode="constant",
                                                  fill_value=0.0, seed=seed))
    if aug.shift:
        layers.append(keras.layers.RandomTranslation(aug.shift, aug.shift, fill_mode="constant",
                                                     fill_value=0.0, seed=seed + 1))
    if aug.noise_sigma:
        layers.append(keras.layers.GaussianNoise(aug.noise_sigma, seed=seed + 2))
    pipeline = keras.Sequential(layers, name="augmentation")

    def augment(batch):
        out = keras.ops.clip(pipeline(batch, training=True), 0.0, 1.0)
        return keras.ops.convert_to_numpy(out) if isinstance(batch, np.ndarray) else out

    return augment
