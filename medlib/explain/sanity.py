"""Sanity checks for saliency maps (Adebayo et al. 2018): does a map depend on the model?

A heatmap method is only worth reading if its maps change when what the model learned
is destroyed. Three randomisations, each compared with the trained model's maps of the
same images and the same classes:

* ``cascading``: the model's weighted layers are re-initialised block by block from the
  logits down (:func:`weight_blocks`), cumulatively, and the maps recomputed after each
  step;
* ``independent``: one block at a time, the rest of the model trained;
* ``labels`` (data randomisation): the same architecture trained on permuted labels; the
  caller trains it (:func:`medlib.experiments.crm_classifier.fit_permuted_head`) and
  passes both models to :func:`compare_models`.

Re-initialising means what a fresh layer of the same configuration would hold (Keras's
own initialisers, batch-norm statistics back to 0 and 1), seeded per step. Similarity is
measured per image by Spearman's rank correlation and SSIM (scikit-image) of the two
normalised maps; a constant map shares no ordering with anything and scores rank 0
(counted in ``constant_maps``: a randomised block can saturate every unit after it).
The pass/fail rule reads these rows in :func:`medlib.report.sanity_verdicts`.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import explain, split_model

_BLOCK = re.compile(r"^(block_?\d+|expanded_conv|conv_pw_\d+|conv_dw_\d+)")


def block_of(name: str) -> str:
    """The block a layer belongs to: Keras Applications' ``block_16_project`` ->
    ``block_16``, ``block14_sepconv2`` -> ``block14``; otherwise the layer's name without
    its batch-norm affix (``Conv_1_bn`` -> ``Conv_1``, ``bn_Conv1`` -> ``Conv1``)."""
    m = _BLOCK.match(name)
    if m:
        return m.group(1)
    return re.sub(r"(_bn|_BN|_batchnorm)$", "", re.sub(r"^bn_?", "", name))


def weight_blocks(model) -> list[tuple[str, list[str]]]:
    """(block name, layer names) of the model's layers that hold weights, from the logits
    down: the order in which the cascading test randomises them."""
    blocks: list[tuple[str, list[str]]] = []
    for layer in reversed(model.layers):
        if not layer.weights:
            continue
        key = block_of(layer.name)
        if blocks and blocks[-1][0] == key:
            blocks[-1][1].append(layer.name)
        else:
            blocks.append((key, [layer.name]))
    return blocks


def cascade_steps(model, n_top: int | None = None) -> list[tuple[str, list[str]]]:
    """Steps of the cascading test: the top ``n_top`` blocks one by one, then every block
    left in one last step ("rest"), so a deep backbone costs ``n_top + 1`` map sets."""
    blocks = weight_blocks(model)
    if n_top is None or n_top >= len(blocks):
        return blocks
    rest = [name for _, names in blocks[n_top:] for name in names]
    return blocks[:n_top] + [("rest", rest)]


def randomise(model, layer_names, seed: int) -> None:
    """Re-initialise ``layer_names`` in place, as fresh layers of the same configuration."""
    import keras

    keras.utils.set_random_seed(seed)
    for name in layer_names:
        layer = model.get_layer(name)
        fresh = layer.__class__.from_config(layer.get_config())
        fresh.build(tuple(layer.input.shape))
        layer.set_weights(fresh.get_weights())


def decisive_step(model, layer: str, steps) -> int:
    """Index of the first cascading step that reaches the explained ``layer`` or below it:
    from there on nothing the explanation reads is what the model learned."""
    names = [l.name for l in model.layers]
    at = names.index(layer)
    for i, (_, layer_names) in enumerate(steps):
        if any(names.index(n) <= at for n in layer_names):
            return i
    return len(steps) - 1


def similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Spearman rank correlation, SSIM) of two maps H x W in [0, 1]."""
    from scipy.stats import spearmanr
    from skimage.metrics import structural_similarity

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    rho = 0.0 if np.ptp(a) == 0 or np.ptp(b) == 0 else float(spearmanr(a.ravel(), b.ravel())[0])
    return rho, float(structural_similarity(a, b, data_range=1.0))


def maps_of(model, layer: str, methods, images, classes, split=None) -> dict:
    """Heatmaps (N x H x W in [0, 1]) of each method at ``layer`` of ``model``; a method the
    model's head does not admit (CAM on a non-linear head) is left out. ``split``: the model
    already cut at ``layer``, reused across randomisation steps (weights change in place), so
    its compiled gradient functions are traced once, not once per step."""
    split = split or split_model(model, layer)
    return {m: explain(split, m, images, classes) for m in methods if m != "cam" or split.linear}


def _rows(reference: dict, maps: dict, **keys) -> list[dict]:
    rows = []
    for method, ref in reference.items():
        for i, (a, b) in enumerate(zip(ref, maps[method])):
            rho, ssim = similarity(a, b)
            rows.append({**keys, "method": method, "image": i, "spearman": rho, "ssim": ssim,
                         "constant": bool(np.ptp(b) == 0)})
    return rows


def cascading(model, layer: str, methods, images, classes, steps, seed: int = 0,
              independent: bool = True, reference: dict | None = None, split=None) -> pd.DataFrame:
    """Rows (test, step, block, decisive, method, image, spearman, ssim) of the cascading
    test and, with ``independent``, of each step's block randomised alone. The model's
    weights are restored afterwards, whatever happens. ``split``: ``model`` cut at ``layer``
    if the caller has it (its traced functions are then reused, not traced again)."""
    split = split or split_model(model, layer)
    reference = reference or maps_of(model, layer, methods, images, classes, split)
    decisive = decisive_step(model, layer, steps)
    trained = model.get_weights()
    rows = []
    try:
        for test in ("cascading", "independent") if independent else ("cascading",):
            model.set_weights(trained)
            for i, (block, names) in enumerate(steps):
                if test == "independent":
                    model.set_weights(trained)
                randomise(model, names, seed + i)
                maps = maps_of(model, layer, list(reference), images, classes, split)
                rows += _rows(reference, maps, test=test, step=i + 1, block=block,
                              decisive=(i == decisive))
    finally:
        model.set_weights(trained)
    return pd.DataFrame(rows)


def cascade_maps(model, layer: str, methods, image, cls: int, steps, seed: int = 0) -> dict:
    """``{method: [map of the trained model, map after step 1, ...]}`` for one image, with the
    same seeded re-initialisations as :func:`cascading` (for the row-per-step figure)."""
    x, c = np.asarray(image, np.float32)[None], [int(cls)]
    trained = model.get_weights()
    split = split_model(model, layer)
    out = {m: [v[0]] for m, v in maps_of(model, layer, methods, x, c, split).items()}
    try:
        for i, (_, names) in enumerate(steps):
            randomise(model, names, seed + i)
            for m, v in maps_of(model, layer, list(out), x, c, split).items():
                out[m].append(v[0])
    finally:
        model.set_weights(trained)
    return out


def compare_models(model, other, layer: str, methods, images, classes, test: str = "labels",
                   reference: dict | None = None) -> pd.DataFrame:
    """Rows comparing ``model``'s maps with ``other``'s (same architecture, e.g. trained on
    permuted labels) for the same images and classes."""
    reference = reference or maps_of(model, layer, methods, images, classes)
    maps = maps_of(other, layer, list(reference), images, classes)
    return pd.DataFrame(_rows(reference, maps, test=test, step=1, block="all (permuted labels)",
                              decisive=True))


def summarise(rows: pd.DataFrame, keys=("model", "method", "test", "step", "block", "decisive")) \
        -> pd.DataFrame:
    """One row per (keys, measure): mean similarity over images with a bootstrap 95 % interval."""
    from ..stats import mean_interval

    keys = [k for k in keys if k in rows]
    out = []
    for key, g in rows.groupby(keys, sort=False):
        for measure in ("spearman", "ssim"):
            iv = mean_interval(g[measure].to_numpy())
            out.append({**dict(zip(keys, key)), "measure": measure, "mean": iv.estimate,
                        "ci_low": iv.low, "ci_high": iv.high, "n_images": iv.n,
                        "constant_maps": int(g["constant"].sum()) if "constant" in g else 0})
    return pd.DataFrame(out)


__all__ = ["block_of", "weight_blocks", "cascade_steps", "randomise", "decisive_step", "similarity",
           "maps_of", "cascading", "cascade_maps", "compare_models", "summarise"]
