"""Trained models for the notebooks that look inside networks (04 feature maps, 05 explanations).

:func:`fold_model` returns a fold model notebook 02 kept (``Block.save_models``:
fold 0 of a scratch block), with its row (accuracy beside its floor, diagnosis)
and its held-out test images, so feature maps and heatmaps are shown on images
the model never trained on, from a model whose worth is known.

Weights live under ``results/<profile>/models/`` and are reloaded on rerun (the
model is rebuilt from code and the weights loaded, so no custom-object registry
is needed).
"""
from __future__ import annotations

import json

import numpy as np

from .. import config, strategies
from ..models import build_model
from ..profiles import get_profile
from .training import predict
from .transfer import Context, FoldJob, block_dataset, load_predictions, run_fold


def fold_model(profile_name: str, dataset: str, network: str, strategy: str = "scratch",
               fold: int = 0, seed: int = config.DEFAULT_SEED, train_if_missing: bool = True):
    """(model, dataset, test indices, fold row) of a saved fold model. If its weights are
    missing (a fresh clone holds fold results, not weights), the fold is trained again when
    ``train_if_missing``, else :class:`FileNotFoundError` says how to get them."""
    profile = get_profile(profile_name)
    block = profile.block(dataset, strategy, network)
    job = FoldJob(dataset, network, strategy, fold, profile_name, seed)
    if not job.model_path().exists():
        if not train_if_missing:
            raise FileNotFoundError(
                f"no weights for fold {fold} of {network} {strategy} on {dataset} ({profile_name}) on this "
                f"machine; they stay where the fold ran. Retrain it with `python -m medlib run "
                f"--profile {profile_name} --datasets {dataset} --networks {network} --strategies "
                f"{strategy} --folds {fold} --rerun`")
        if job.result_path().exists():  # result without weights: rerun this fold to keep them
            job.result_path().unlink()
    ds = block_dataset(dataset, block, seed)
    if not job.model_path().exists():
        run_fold(job, ds, Context())
    row = json.loads(job.result_path().read_text())
    scale = None if strategies.get(strategy).needs_weights else block.input_scale_for(network)
    model = build_model(network, ds.images.shape[1:], ds.spec.n_classes, strategy, input_scale=scale)
    model.load_weights(job.model_path())
    return model, ds, np.asarray(load_predictions(job)["test_index"]), row


def learned_fold_models(profile, train_if_missing: bool = True, seed: int = config.DEFAULT_SEED):
    """(models, table, notes) for ``profile.featuremap_models``: ``models`` maps (dataset, network)
    to (model, dataset, test indices, row, learned); ``table`` shows each beside its floor;
    ``notes`` says which could not be had and why. ``learned``: above its floor
    (:func:`medlib.diagnose.at_floor`), the only models whose maps are worth reading."""
    import pandas as pd

    from ..diagnose import at_floor, ranking_diagnosis

    models, rows, notes = {}, [], []
    for dataset, network, strategy in profile.featuremap_models:
        try:
            model, ds, test, row = fold_model(profile.name, dataset, network, strategy, seed=seed,
                                              train_if_missing=train_if_missing)
        except FileNotFoundError as exc:
            notes.append(f"{dataset} {network} {strategy}: {exc}")
            continue
        learned = not at_floor(row["accuracy"], row["majority"])
        models[(dataset, network)] = (model, ds, test, row, learned)
        rows.append({"dataset": dataset, "network": network, "strategy": strategy, "fold": row["fold"],
                     "test accuracy": row["accuracy"], "floor": row["majority"], "AUC": row["auc"],
                     "learned": learned, "diagnosis": ranking_diagnosis(row)})
    return models, pd.DataFrame(rows), notes


__all__ = ["fold_model", "learned_fold_models", "predict"]
