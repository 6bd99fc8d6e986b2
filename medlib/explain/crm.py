"""Class-selective Relevance Mapping (Kim et al. 2019, Eqs 5-8).

R(l, m) = sum_c (S_c - S_c(l, m))^2, where S_c is the score (logit, before
softmax) of class c and S_c(l, m) the score with spatial position (l, m) of the
last feature map removed, i.e. set to zero in every channel.

* Linear head (GAP -> Dense): removing (l, m) lowers S_c by that position's
  share of the pooled sum, M_c(l, m) / (u v) with M_c the CAM of class c, so
  R = sum_c (M_c / (u v))^2 in closed form (``crm_closed_form``). Kim et al.'s
  Eq. 1 sums instead of averaging; that scales R by a constant.
* Any other head (FF-VGG19's fused dense layers): each position is actually
  removed and the head re-evaluated (``crm_removal``); all u*v masked copies of a
  feature map go through the head in batches, the backbone runs once.
* ``crm_loop``: a Python loop over positions, one head call per removed position
  (the straightforward way to code Eqs 6-7); the benchmark baseline and test oracle.

Class-level maps (Eq. 8) average the CRM of correctly classified images of a
class; their ROI is the bounding box of values above 70% of the maximum (Fig. 9).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from .base import Split


def crm_closed_form(split: Split, images, features=None) -> np.ndarray:
    """``features``: (feature maps, context) of ``images`` if already computed."""
    if not split.linear:
        raise ValueError("closed-form CRM needs a GAP + dense head; use crm_removal")
    fmap, _ = features or split.forward(images)
    kernel, _ = split.dense
    u, v = fmap.shape[1:3]
    delta = np.einsum("nuvk,kc->nuvc", fmap.numpy(), kernel) / (u * v)
    return (delta ** 2).sum(-1)


def _removal_fn(split: Split):
    @tf.function(reduce_retracing=True)
    def sq_change(fmap, context, base, image_idx, masks):
        # copy j: image image_idx[j] with the position of masks[j] zeroed in every channel
        masked = tf.gather(fmap, image_idx) * (1.0 - masks[..., None])
        ctx = [tf.gather(c, image_idx) for c in context]
        return tf.reduce_sum((tf.gather(base, image_idx) - split.logits(masked, ctx)) ** 2, axis=-1)
    return sq_change


def crm_removal(split: Split, images, batch_positions: int = 1024, features=None) -> np.ndarray:
    """CRM by actual removal of each position, batched through the head only: all
    (image, position) pairs of the batch in chunks of ``batch_positions`` copies."""
    fmap, context = features or split.forward(images)
    n, u, v = fmap.shape[:3]
    if "removal" not in split.compiled:
        split.compiled["removal"] = _removal_fn(split)
    fn = split.compiled["removal"]
    base = split.logits(fmap, context)
    eye = tf.reshape(tf.eye(u * v), (u * v, u, v))
    image_idx = np.repeat(np.arange(n), u * v)
    position = np.tile(np.arange(u * v), n)
    out = np.empty(n * u * v, np.float32)
    for s in range(0, n * u * v, batch_positions):
        sl = slice(s, s + batch_positions)
        out[sl] = fn(fmap, context, base, tf.constant(image_idx[sl]),
                     tf.gather(eye, position[sl])).numpy()
    return out.reshape(n, u, v)


def crm_loop(split: Split, images, features=None) -> np.ndarray:
    """Reference: a Python loop over positions, one head call per removed position."""
    fmap, context = features or split.forward(images)
    n, u, v = fmap.shape[:3]
    out = np.zeros((n, u, v), np.float32)
    for i in range(n):
        f = fmap[i:i + 1].numpy()
        ctx = [c[i:i + 1] for c in context]
        base = split.logits(f, ctx).numpy()
        for l in range(u):
            for m in range(v):
                g = f.copy()
                g[:, l, m, :] = 0
                out[i, l, m] = ((base - split.logits(g, ctx).numpy()) ** 2).sum()
    return out


def crm(split: Split, images) -> np.ndarray:
    """Closed form where the head allows it, batched removal otherwise."""
    return crm_closed_form(split, images) if split.linear else crm_removal(split, images)


def class_average(maps, y_true, y_pred, cls: int) -> np.ndarray | None:
    """Eq. 8: mean map over images of class ``cls`` that were classified correctly."""
    sel = (np.asarray(y_true) == cls) & (np.asarray(y_pred) == cls)
    return np.asarray(maps)[sel].mean(0) if sel.any() else None
