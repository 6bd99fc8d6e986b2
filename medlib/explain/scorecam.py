"""Score-CAM (Wang et al. 2020): channel weights from the class score of masked inputs.

Each feature channel, upsampled to the input and scaled to [0, 1], masks the
image; the softmax probability of the class on that masked image weights the
channel. Needs one forward pass per channel: ``max_channels`` keeps the
channels with the highest mean activation (all when None), ``batch_size`` masked images
at a time (a batch of 64 whole-image copies through MobileNetV2 at 224 px held about 4 GB
more than 16 on the CPU, measured in notebook 05's sanity checks).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from .base import Split, as_class_index


def scorecam(split: Split, images, classes, max_channels: int | None = 64,
             batch_size: int = 16) -> np.ndarray:
    images = np.asarray(images, np.float32)
    fmap, _ = split.forward(images)
    c = as_class_index(classes, len(images))
    h, w = images.shape[1:3]
    out = []
    for i in range(len(images)):
        a = fmap[i]  # u x v x K
        order = tf.argsort(tf.reduce_mean(a, axis=(0, 1)), direction="DESCENDING")
        keep = order if max_channels is None else order[:max_channels]
        acts = tf.gather(a, keep, axis=-1)
        up = tf.image.resize(tf.transpose(acts, (2, 0, 1))[..., None], (h, w))[..., 0]
        lo = tf.reduce_min(up, axis=(1, 2), keepdims=True)
        hi = tf.reduce_max(up, axis=(1, 2), keepdims=True)
        masks = tf.math.divide_no_nan(up - lo, hi - lo)
        scores = []
        for s in range(0, len(keep), batch_size):
            masked = images[i][None] * masks[s:s + batch_size, ..., None]
            scores.append(split.predict(masked)[:, c[i]])  # softmax output
        weights = tf.concat(scores, 0)
        out.append(tf.nn.relu(tf.tensordot(acts, weights, axes=[[2], [0]])).numpy())
    return np.stack(out)
