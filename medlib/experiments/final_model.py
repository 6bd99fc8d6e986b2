"""Trained models for the notebooks that look inside networks (04 feature maps, 05 explanations).

* :func:`fold_model`: a fold model notebook 02 kept (``Block.save_models``: fold 0
  of a scratch block), with its row (accuracy beside its floor, diagnosis) and its
  held-out test images, so feature maps and heatmaps are shown on images the
  model never trained on, from a model whose worth is known.
* :func:`train_final`: one model on all of a dataset's images but a grouped
  validation split (whole BCCD smears in notebook 05), trained as a block says.

Weights live under ``results/<profile>/models/`` and are reloaded on rerun (the
model is rebuilt from code and the weights loaded, so no custom-object registry
is needed).
"""
from __future__ import annotations

import json

import numpy as np

from .. import config
from ..data import Dataset
from ..models import build_model
from ..profiles import Block, get_profile
from .cross_device import source_split
from .training import predict
from .transfer import Context, FoldJob, block_dataset, fit_predict, load_predictions, run_fold


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
    model = build_model(network, ds.images.shape[1:], ds.spec.n_classes, strategy)
    model.load_weights(job.model_path())
    return model, ds, np.asarray(load_predictions(job)["test_index"]), row


def train_final(ds: Dataset, network: str, strategy: str, block: Block, profile_name: str, tag: str,
                seed: int = config.DEFAULT_SEED):
    """(model, train indices, validation indices, summary): trained once on ``ds`` minus a
    grouped validation split, then reloaded from ``results/<profile>/models/<tag>``."""
    profile = get_profile(profile_name)
    train, val = source_split(ds, profile.val_fraction, seed)
    path = config.results_dir(profile_name) / "models" / f"{tag}.weights.h5"
    summary_path = path.with_name(f"{tag}.json")
    model = build_model(network, ds.images.shape[1:], ds.spec.n_classes, strategy)
    if not path.exists():
        _, info = fit_predict(Context(), network, strategy, "dense", block, ds, train, val, [], seed,
                              save_to=path if strategy == "scratch" else None, build_seed=seed)
        if strategy != "scratch":  # the head was trained alone: put it on the backbone
            raise NotImplementedError("train_final trains full models (strategy 'scratch')")
        summary_path.write_text(json.dumps({k: v for k, v in info.items() if k != "history"}))
    model.load_weights(path)
    return model, train, val, json.loads(summary_path.read_text())


__all__ = ["fold_model", "train_final", "predict"]
