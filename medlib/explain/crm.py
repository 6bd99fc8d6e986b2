"""Class-selective Relevance Mapping (Kim et al. 2019, Eqs 5-8).

R(l, m) = sum_c (S_c - S_c(l, m))^2, where S_c is the score (logit, before
softmax) of class c and S_c(l, m) the score with spatial position (l, m) of the
last feature map removed, i.e. set to zero in every channel.

* Linear head (GAP -> Dense): removing (l, m) lowers S_c by that position's
  share of the pooled sum, M_c(l, m) / (u v) with M_c the CAM of class c, so
  R = sum_c (M_c / (u v))^2 in closed form (``crm_closed_form``). Kim et al.'s
  Eq. 1 sums instead of averaging; that scales R by a constant.
* Any other head (FF-VGG19's fused dense layers): each position is actually
  removed and the head re-evaluated (``crm_removal``); all (image, position)
  pairs of a batch go through the head in chunked calls, the backbone runs once.
  When the head starts with global average pooling (``Split.pooled_head``: every
  zoo model at its default cut), removing (l, m), i.e. zeroing it in every
  channel, changes the pooled vector to GAP - f_lm / (u v) (the average still
  divides by all u v positions, the zeroed one included), computed exactly, and
  only the rest of the head runs on the n u v pooled copies; otherwise (a cut
  with spatial layers after it, e.g. FF-VGG19 at ``block5_conv4``) masked copies
  of the whole map go through the whole head.
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
    def sq_change(fmap, context, base, image_idx, position):
        # copy j: image image_idx[j] with position position[j] zeroed in every channel
        shape = tf.shape(fmap)
        keep = 1.0 - tf.reshape(tf.one_hot(position, shape[1] * shape[2]), (-1, shape[1], shape[2], 1))
        masked = tf.gather(fmap, image_idx) * keep
        ctx = [tf.gather(c, image_idx) for c in context]
        return tf.reduce_sum((tf.gather(base, image_idx) - split.logits(masked, ctx)) ** 2, axis=-1)
    return sq_change


def _pooled_removal_fn(split: Split):
    @tf.function(reduce_retracing=True)
    def sq_change(flat, pooled, context, base, image_idx, position):
        # copy j: image image_idx[j] with position position[j] zeroed, pooled exactly:
        # the average over all u v positions becomes GAP - f_lm / (u v)
        uv = tf.cast(tf.shape(flat)[1], flat.dtype)
        removed = tf.gather(pooled, image_idx) - tf.gather_nd(flat, tf.stack([image_idx, position], 1)) / uv
        ctx = [tf.gather(c, image_idx) for c in context]
        scores = split.pooled_head([removed, *ctx] if ctx else removed, training=False)
        return tf.reduce_sum((tf.gather(base, image_idx) - scores) ** 2, axis=-1)
    return sq_change


def crm_removal(split: Split, images, batch_positions: int = 1024, features=None,
                pooled: bool = True) -> np.ndarray:
    """CRM by actual removal of each position, batched through the head only: all
    (image, position) pairs of the batch in chunks of ``batch_positions`` copies.
    ``pooled=False`` forces masked copies of the whole map even where the head starts
    with global average pooling (the generic path; used to check the fast one)."""
    fmap, context = features or split.forward(images)
    n, u, v = fmap.shape[:3]
    use_pooled = pooled and split.pooled_head is not None
    key = "removal_pooled" if use_pooled else "removal"
    if key not in split.compiled:
        split.compiled[key] = (_pooled_removal_fn if use_pooled else _removal_fn)(split)
    fn = split.compiled[key]
    base = split.logits(fmap, context)
    image_idx = np.repeat(np.arange(n, dtype=np.int32), u * v)
    position = np.tile(np.arange(u * v, dtype=np.int32), n)
    if use_pooled:
        flat = tf.reshape(fmap, (n, u * v, -1))
        fixed = (flat, tf.reduce_mean(flat, 1), context, base)
        batch_positions *= 16  # a copy is one pooled vector, not a whole map
    else:
        fixed = (fmap, context, base)
    out = np.empty(n * u * v, np.float32)
    for s in range(0, n * u * v, batch_positions):
        sl = slice(s, s + batch_positions)
        out[sl] = fn(*fixed, tf.constant(image_idx[sl]), tf.constant(position[sl])).numpy()
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
