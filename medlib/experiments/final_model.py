"""One model per dataset trained on all its images (minus a grouped validation split),
for the notebooks that look inside trained networks (04 feature maps, 05 explanations).

Weights are saved under ``results/<profile>/models/`` and reloaded on rerun (the
model is rebuilt from code and the weights loaded, so no custom-object
registry is needed). The validation images are returned: explanations are
shown on images the model did not train on.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import config
from ..data import Dataset, load_dataset
from ..data.registry import NO_AUGMENTATION
from ..models import build_model
from ..profiles import get_profile
from .cross_device import source_split
from .transfer import ModelCache, fit_predict


def train_final(key: str, network: str, strategy: str, profile_name: str, size: tuple[int, int],
                seed: int = config.DEFAULT_SEED, crop: bool = True, augment: bool = True,
                per_class: int | None = None):
    """(model, dataset, train indices, validation indices); trains once, then reloads."""
    profile = get_profile(profile_name)
    ds = load_dataset(key, size=size, per_class=per_class if per_class is not None else profile.per_class_for(key),
                      seed=seed, crop=crop, progress=False)
    if not augment:
        ds = Dataset(replace(ds.spec, augmentation=NO_AUGMENTATION), ds.images, ds.index, ds.skipped)
    train, val = source_split(ds, profile.val_fraction, seed)
    tag = f"{key}{'' if crop else '-whole'}_{network}_{strategy}_{size[0]}x{size[1]}_n{len(ds)}_s{seed}"
    path = config.results_dir(profile_name) / "models" / f"{tag}.weights.h5"
    if path.exists():
        model = build_model(network, ds.images.shape[1:], ds.spec.n_classes, strategy)
        model.load_weights(path)
        return model, ds, train, val
    model, head = ModelCache().fresh(network, strategy, ds.images.shape[1:], ds.spec.n_classes,
                                     profile.learning_rate, seed, profile.head_learning_rate)
    fit_predict(model, head, ds, train, val, profile, seed, network, strategy)  # no test set
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(path)
    return model, ds, train, val


def predict(model, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Class probabilities of uint8 images."""
    return model.predict(images.astype(np.float32) / 255.0, batch_size=batch_size, verbose=0)
