"""Checks of the explanation methods themselves (notebook 05, Part D).

* :func:`sanity` runs Adebayo et al.'s model-parameter randomisation (cascading and,
  optionally, independent) on one model and returns per-image similarity rows;
  :func:`labels` compares a model with its twin trained on permuted labels;
* :func:`faithfulness` follows deletion and insertion curves (Petsiuk et al. 2018) for every
  method and for two maps that know nothing of the model: ``random`` (uniform noise, so
  every pixel order is equally likely) and ``sobel`` (edge strength of the image), so a
  method's score has something to beat. Deletion fills removed pixels with black, which
  takes images off the data's distribution (ROAD's objection, Rong et al. 2022); the
  baselines pay the same price, so the comparison stays fair.

Verdicts (pass/fail, ties in a ranking) are :mod:`medlib.report`'s; the tables' files are
:mod:`medlib.tables`'s (``sanity``, ``sanity_images``, ``sanity_verdicts``, ``faithfulness``,
``faithfulness_images``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from ..explain import metrics as em
from ..explain import sanity as sc

METHODS = ("cam", "gradcam", "gradcam++", "scorecam", "crm")
BASELINES = ("random", "sobel")


def pick(targets, candidates, per_class: int, seed: int) -> np.ndarray:
    """Up to ``per_class`` of ``candidates`` (indices) of each class, seeded, sorted."""
    rng = np.random.default_rng(seed)
    targets, candidates = np.asarray(targets), np.asarray(candidates)
    chosen = [rng.permutation(candidates[targets[candidates] == c])[:per_class] for c in np.unique(targets)]
    return np.sort(np.concatenate(chosen))


def as_float(images) -> np.ndarray:
    images = np.asarray(images)
    return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)


def sanity(model, name: str, images, classes, n_top: int | None = 4, independent: bool = False,
           methods=METHODS, layer: str | None = None, seed: int = config.DEFAULT_SEED):
    """(per-image rows, the trained model's maps) of the cascading test on ``model`` (and
    the independent one), explaining ``classes`` at ``layer`` (default: the model's own)."""
    layer = layer or model.feature_layer
    x = as_float(images)
    split = sc.split_model(model, layer)  # traced once for the reference and every step
    reference = sc.maps_of(model, layer, methods, x, classes, split)
    steps = sc.cascade_steps(model, n_top)
    rows = sc.cascading(model, layer, list(reference), x, classes, steps, seed, independent, reference, split)
    return rows.assign(model=name), reference


def labels(model, permuted, name: str, images, classes, reference: dict, layer: str | None = None):
    """Per-image rows comparing ``model``'s maps with its permuted-label twin's."""
    layer = layer or model.feature_layer
    return sc.compare_models(model, permuted, layer, list(reference), as_float(images), classes,
                             reference=reference).assign(model=name)


def baseline_maps(images, seed: int = config.DEFAULT_SEED) -> dict:
    """``random``: uniform noise maps; ``sobel``: the grey image's edge strength, max-normalised."""
    from scipy import ndimage

    from ..explain import normalise

    x = as_float(images).mean(-1)
    rng = np.random.default_rng(seed)
    edges = np.stack([np.hypot(ndimage.sobel(g, 0), ndimage.sobel(g, 1)) for g in x])
    return {"random": rng.random(x.shape).astype(np.float32), "sobel": normalise(edges)}


def faithfulness(predict, images, classes, maps: dict, steps: int = 16) -> pd.DataFrame:
    """Per-image deletion and insertion AUC of every map set in ``maps`` (methods and
    baselines). ``predict``: images in [0, 1] -> class probabilities."""
    x = as_float(images)
    rows = []
    for method, m in maps.items():
        for i in range(len(x)):
            r = em.deletion_insertion(predict, x[i], m[i], int(classes[i]), steps=steps)
            rows.append({"method": method, "image": i, "class": int(classes[i]),
                         "deletion_auc": r["deletion_auc"], "insertion_auc": r["insertion_auc"]})
    return pd.DataFrame(rows)


def faithfulness_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method and measure: mean AUC over images with its interval, and its standing
    against the best (:func:`medlib.stats.rank_methods`: tied where within noise)."""
    from ..stats import rank_methods

    return pd.concat([rank_methods(rows, "deletion_auc", higher_is_better=False),
                      rank_methods(rows, "insertion_auc", higher_is_better=True)], ignore_index=True)
