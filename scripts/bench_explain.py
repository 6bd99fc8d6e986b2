"""Benchmark (not a test): explanation speed on the same model and batch.

(a) CRM: closed form (linear head) and batched removal through the head vs a
    per-position Python loop like the CRM authors' code (issue target: >= 50x).
    Batched removal has two paths: "pooled" where the head starts with global
    average pooling (each zoo model at its default cut), "masked maps" (whole
    masked copies through the whole head; any cut, e.g. FF-VGG19 block5_conv4);
(b) CRM end to end (backbone included) against the CRM authors' way: one full forward
    pass of the network per removed position (here: the backbone once per position,
    the position zeroed at the cut, the head after it), timed for real;
(c) Grad-CAM: ours (tf.function, gradients through the head only) vs tf-keras-vis
    (target: at least as fast).
Real BCCD smear images; untrained weights (speed does not depend on them). Each
timing is the best of ``--repeats`` after one warm-up call (tracing excluded).

    .venv/bin/python scripts/bench_explain.py [--n 8] [--size 192 256]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def best_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def full_forward_per_position(split, x):
    """CRM the way its authors compute it: for each position, the whole network again (the
    backbone from the image, the position zeroed at the cut, then the head)."""
    import tensorflow as tf

    base = split.logits(*split.forward(x))
    fmap, context = split.forward(x)
    n, u, v = fmap.shape[:3]
    out = np.zeros((n, u, v), np.float32)
    for p in range(u * v):
        fmap, context = split.forward(x)  # the backbone again, as a full forward pass does
        keep = 1.0 - tf.reshape(tf.one_hot(p, u * v), (1, u, v, 1))
        out[:, p // v, p % v] = tf.reduce_sum((base - split.logits(fmap * keep, context)) ** 2, -1).numpy()
    return out


def main():
    import keras
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.scores import CategoricalScore

    from medlib.data import load_dataset
    from medlib.explain import crm_closed_form, crm_loop, crm_removal, gradcam, split_model
    from medlib.models import build_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--size", type=int, nargs=2, default=(192, 256))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    ds = load_dataset("cells2", size=tuple(args.size), per_class=3, crop=False, progress=False)
    x = ds.images[:args.n].astype(np.float32) / 255.0
    classes = ds.targets[:args.n]
    print(f"{len(x)} BCCD smears at {args.size[0]}x{args.size[1]}\n")
    models = {}
    for net, layer in (("mobilenetv2", None), ("ff_vgg19", None), ("ff_vgg19", "block5_conv4")):
        model = models.get(net) or models.setdefault(net, build_model(net, x.shape[1:], 3, "scratch"))
        split = split_model(model, layer)
        u, v = split.forward(x[:1])[0].shape[1:3]
        # every CRM variant runs the backbone once on the batch (same cost for all); the CRM
        # stage proper is timed on those precomputed feature maps, and end to end
        feats = split.forward(x)
        t_fwd = best_time(lambda: split.forward(x), args.repeats)
        t_loop = best_time(lambda: crm_loop(split, x, features=feats), 1)
        print(f"{net} at {split.layer} ({u}x{v} positions, head {'linear' if split.linear else 'non-linear'}); "
              f"backbone forward {t_fwd:.3f} s")
        print(f"  CRM per-position loop   {t_loop:8.4f} s (CRM stage)")
        variants = [("closed form", crm_closed_form)] if split.linear else []
        if split.pooled_head is not None:
            variants.append(("removal, pooled", crm_removal))
        variants.append(("removal, masked maps", lambda *a, **k: crm_removal(*a, **k, pooled=False)))
        t_full = best_time(lambda: full_forward_per_position(split, x), 1)
        print(f"  CRM one full forward per position (the authors' way) {t_full:8.3f} s end to end")
        for name, fn in variants:
            t = best_time(lambda: fn(split, x, features=feats), args.repeats)
            t_e2e = best_time(lambda: fn(split, x), args.repeats)
            print(f"  CRM {name:20s}  {t:8.4f} s (CRM stage)  speed-up {t_loop / t:7.1f}x over the loop;  "
                  f"end to end {t_e2e:7.3f} s, {t_full / t_e2e:6.1f}x faster than a full forward per position")
        logits_model = keras.Model(model.input, model.get_layer("logits").output)
        tkv = Gradcam(logits_model, clone=False)
        t_ours = best_time(lambda: gradcam(split, x, classes), args.repeats)
        t_tkv = best_time(lambda: tkv(CategoricalScore(list(classes)), x, penultimate_layer=split.layer,
                                      expand_cam=False, normalize_cam=False), args.repeats)
        print(f"  Grad-CAM ours             {t_ours:8.3f} s")
        print(f"  Grad-CAM tf-keras-vis     {t_tkv:8.3f} s   ours is {t_tkv / t_ours:5.2f}x as fast\n")


if __name__ == "__main__":
    main()
