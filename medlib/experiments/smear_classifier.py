"""The whole-smear white-cell classifier explained in notebook 05 Part D.

A BCCD smear (640x480) holds one white cell among hundreds of red cells; its type is the
label. Designs were measured before choosing (``scripts/bccd_designs.py``, table
the ``bccd_designs`` table): what mattered was resolution (a white cell spans
about 2x2 cells of a stride-32 map at the native size, under one at half size) and class
weights (205/87/33/20). The classifier is the paper's off-the-shelf network itself:
frozen ImageNet backbone -> global average pooling -> dense logits, the dense layer fitted
as a class-weighted logistic-regression probe on the pooled features
(:func:`medlib.experiments.training.fit_probe`) and written into the Keras model
(:func:`as_keras`). The head is linear in the backbone's last feature map, so CAM is
defined there and CRM has its closed form; every method explains the same model.

:func:`cross_fit` fits one probe per fold of a grouped split, so every smear is predicted,
and explained, by a model that never saw it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import config
from ..features import Extractor, feature_views
from . import training


@dataclass
class ProbeFit:
    proba: np.ndarray   # N x C, each row from the fold model that held that smear out
    fold: np.ndarray    # N, the fold each smear was tested in
    probes: list        # one fitted probe (scaler + logistic regression) per fold
    summaries: list     # per fold: chosen C, training accuracy


def cross_fit(ds, network: str, splits, val_fraction: float = 0.15, class_weight: str | None = "balanced",
              seed: int = config.DEFAULT_SEED, progress: bool = True) -> ProbeFit:
    """Out-of-fold probabilities of a probe on the backbone's pooled features, per fold.

    Not the engine's loop, for the same reason as :func:`medlib.experiments.crm_classifier.cross_fit`:
    a logistic probe on cached features takes a fraction of a second a fold, notebook 05 refits it
    every run, and its table carries the manifest's provenance."""
    from ..progress import progress_bar
    from .splits import assert_no_leak, fold_indices

    emb = feature_views(ds.spec.key, ds.images, Extractor(network, "embedding"), 0, progress=progress)[0]
    y = ds.targets
    proba = np.full((len(ds), ds.spec.n_classes), np.nan)
    tested = np.full(len(ds), -1)
    probes, summaries = [], []
    for k in progress_bar(sorted(set(splits["fold"])), desc=f"{ds.spec.key} {network} probe folds",
                          disable=not progress):
        train, val, test = fold_indices(splits, k, seed, val_fraction)
        assert_no_leak(splits, train, val, test)
        clf, info = training.fit_probe(emb[train], y[train], emb[val], y[val], class_weight=class_weight)
        proba[test] = training._full_proba(clf, emb[test], ds.spec.n_classes)
        tested[test] = k
        probes.append(clf)
        summaries.append({"fold": k, "probe_c": info.get("probe_c"), "train_accuracy": info.get("train_accuracy")})
    return ProbeFit(proba, tested, probes, summaries)


def logits_weights(probe, n_classes: int) -> list[np.ndarray]:
    """[kernel K x C, bias C] of a dense logits layer computing exactly ``probe``'s decision
    function on pooled features: W' = W / scale, b' = b - W mean / scale (the
    standardisation folded into the weights)."""
    scaler, lr = probe[0], probe[-1]
    if list(lr.classes_) != list(range(n_classes)):
        raise ValueError(f"the probe was fitted on classes {list(lr.classes_)}, not all {n_classes}: "
                         "a fold without every class cannot be written as one logits layer")
    coef, bias = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # binary: logits (0, z) give the same softmax as the sigmoid of z
        coef, bias = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], bias])
    kernel = (coef / scaler.scale_).T
    offset = bias - (coef * (scaler.mean_ / scaler.scale_)).sum(1)
    return [kernel.astype(np.float32), offset.astype(np.float32)]


def as_keras(probe, network: str, image_shape, n_classes: int):
    """The off-the-shelf model of ``network`` (images in [0, 1] -> probabilities) whose logits
    layer is ``probe`` (:func:`logits_weights`)."""
    from ..models import build_model

    model = build_model(network, tuple(image_shape), n_classes, "off_the_shelf")
    model.get_layer("logits").set_weights(logits_weights(probe, n_classes))
    return model


def out_of_fold(ds, fit: ProbeFit) -> dict:
    """Out-of-fold accuracy beside its floor, with a bootstrap interval over smears, and whether
    the classifier is worth explaining (:func:`medlib.diagnose.learned`)."""
    from ..diagnose import majority_rate
    from ..diagnose import learned
    from ..stats import mean_interval

    iv = mean_interval(100.0 * (fit.proba.argmax(1) == ds.targets))
    accuracy, majority = iv.estimate, majority_rate(ds.targets)
    return {"accuracy": accuracy, "accuracy_ci_low": iv.low, "accuracy_ci_high": iv.high, "majority": majority,
            "one_image": 100.0 / len(ds), "n_smears": len(ds), "learned": learned(accuracy, majority)}


def explain_smears(ds, fit: ProbeFit, network: str, idx, methods, boxes, faithfulness: bool,
                   steps: int = 8, baselines: bool = True, seed: int = config.DEFAULT_SEED,
                   progress: bool = True):
    """Heatmaps of ``methods`` on smears ``idx``, each from the fold model that held it out,
    and their measures (:func:`medlib.experiments.localisation.measure`; deletion/insertion
    through that model only when ``faithfulness``), with the ``random`` and ``sobel`` maps of
    :func:`medlib.experiments.explain_checks.baseline_maps` measured alike when ``baselines``.
    Returns (rows, {method: N x H x W})."""
    import pandas as pd

    from ..explain import explain, split_model
    from ..features import batch_for
    from ..progress import progress_bar
    from . import localisation as loc
    from .explain_checks import BASELINES, baseline_maps

    idx = np.asarray(idx)
    names = list(methods) + (list(BASELINES) if baselines else [])
    maps = {m: np.zeros((len(idx), *ds.images.shape[1:3]), np.float32) for m in names}
    pred = fit.proba.argmax(1)
    rows = []
    # one model and one split for every fold: only the logits layer differs between fold models,
    # so it is rewritten in place (a model, its traced functions and predict step built once)
    model = as_keras(fit.probes[0], network, ds.images.shape[1:], ds.spec.n_classes)
    split = split_model(model)
    for probe, info in progress_bar(list(zip(fit.probes, fit.summaries)), desc="explain smears by fold",
                                    disable=not progress):
        sel = np.flatnonzero(fit.fold[idx] == info["fold"])
        if not len(sel):
            continue
        ids = idx[sel]
        model.get_layer("logits").set_weights(logits_weights(probe, ds.spec.n_classes))
        x = ds.images[ids].astype(np.float32) / 255.0
        heat = {m: explain(split, m, x, pred[ids], batch_size=4) for m in methods}
        if baselines:
            heat |= baseline_maps(x, seed + info["fold"])
        for m, v in heat.items():
            maps[m][sel] = v
        predict = None
        if faithfulness:
            def predict(b):
                return model.predict(b, batch_size=batch_for(b.shape[1:]), verbose=0)
        r = loc.measure(heat, x, pred[ids], predict, boxes[ids], steps=steps, progress=False)
        rows.append(r.assign(image=ids[r["image"].to_numpy()], fold=info["fold"]))
    return pd.concat(rows, ignore_index=True).assign(network=network), maps
