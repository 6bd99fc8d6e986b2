"""Experiment 1 (s2.4.1): every network x strategy under k-fold CV on one dataset.

Each fold is an independent job, ``run_fold(FoldJob)``: a function of dataset,
network, strategy, fold, profile and seed that writes its own JSON result
(metrics, predictions, timing, versions) under
``results/<profile>/runs/<dataset>/<network>/<strategy>/fold<k>.json``.
A finished fold is skipped on rerun, so an interrupted run resumes where it
stopped, and folds can be spread over machines.

Within one process, a model is built and compiled once per network/strategy
(graph tracing costs 5-110 s on CPU) and its initial state (weights, optimizer
and random-seed variables) restored before each fold, so a fold gives the same
result whether it runs first, after others, or alone after a crash.
Off-the-shelf embeddings are computed once per image and cached when the
dataset has no augmentation; with augmentation they must be recomputed per
batch through the frozen backbone.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..data import Dataset, get_spec, load_dataset, make_augmenter
from ..metrics import classification_metrics
from ..models import STRATEGIES, WeightsUnavailable, build_model, embedding_model, head_model
from ..profiles import Profile, get_profile
from .splits import assert_no_leak, fold_indices, load_or_make_splits


@dataclass(frozen=True)
class FoldJob:
    dataset: str
    network: str
    strategy: str
    fold: int
    profile: str
    seed: int = config.DEFAULT_SEED

    def result_path(self) -> Path:
        return (config.results_dir(self.profile) / "runs" / self.dataset / self.network
                / self.strategy / f"fold{self.fold}.json")


def versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}


def load_profile_dataset(key: str, profile: Profile, seed: int) -> Dataset:
    return load_dataset(key, size=profile.size_for(get_spec(key)), per_class=profile.per_class_for(key),
                        seed=seed, progress=False)


class ModelCache:
    """Build + compile once per (network, strategy, shape); restore initial state per fold."""

    def __init__(self):
        self._models: dict = {}

    def fresh(self, network, strategy, input_shape, n_classes, lr, seed, head_lr=1e-3):
        """(model, head) in their initial state: built and compiled on first use, else restored."""
        import keras

        key = (network, strategy, tuple(input_shape), n_classes)
        if key not in self._models:
            keras.utils.set_random_seed(seed)
            model = build_model(network, input_shape, n_classes, strategy)
            model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
            head = None
            if strategy == "off_the_shelf":
                head = head_model(model)
                head.compile(optimizer=keras.optimizers.Adam(head_lr),
                             loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            _ensure_built(model, head)
            initial = [v.numpy() for v in _state_variables(model, head)]
            self._models[key] = (model, head, initial)
        model, head, initial = self._models[key]
        for v, value in zip(_state_variables(model, head), initial):
            v.assign(value)
        return model, head


def _state_variables(model, head):
    """Weights, optimizer slots and seed-generator states: everything a fold can change."""
    seen, out = set(), []
    for m in (model, head):
        if m is None:
            continue
        for v in list(m.variables) + list(m.optimizer.variables if m.optimizer else []):
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def _ensure_built(*models):
    """Create optimizer slots before the first snapshot so restore covers them."""
    for m in models:
        if m is not None and not m.optimizer.built:
            m.optimizer.build(m.trainable_variables)


def _batches(x, y, batch_size, seed, augment=None, shuffle=True):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b))
    if augment is not None:
        ds = ds.map(lambda a, b: (augment(a), b))
    return ds.prefetch(2)


def embeddings_for(ds: Dataset, network: str, model, profile: Profile) -> np.ndarray:
    """Frozen-backbone embeddings of every image, computed once and cached on disk."""
    from ..models.weights import imagenet_weights
    from ..models.zoo import ARCHITECTURES

    h, w = ds.images.shape[1:3]
    weights = Path(imagenet_weights(ARCHITECTURES[network].app)).name
    digest = hashlib.sha1("\n".join(f"{p}:{m}" for p, m in zip(ds.index["path"], ds.index["member"])).encode())
    sig = f"{ds.spec.key}-{network}-{h}x{w}-{len(ds)}-{weights}-{digest.hexdigest()[:12]}"
    path = config.cache_dir() / "embeddings" / f"{sig}.npy"
    if path.exists():
        return np.load(path)
    emb = embedding_model(model).predict(ds.images.astype(np.float32) / 255.0,
                                         batch_size=profile.batch_size, verbose=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


def run_fold(job: FoldJob, ds: Dataset | None = None, models: ModelCache | None = None,
             splits: pd.DataFrame | None = None) -> dict:
    """Train and test one fold; write and return its result row (skips if already done)."""
    out_path = job.result_path()
    if out_path.exists():
        return json.loads(out_path.read_text())
    profile = get_profile(job.profile)
    ds = ds or load_profile_dataset(job.dataset, profile, job.seed)
    models = models or ModelCache()
    if splits is None:
        splits = load_or_make_splits(ds, profile.folds, job.seed, _splits_path(job, profile))
    train, val, test = fold_indices(splits, job.fold, job.seed, profile.val_fraction)
    assert_no_leak(splits, train, val, test)
    row = {**asdict(job), "n_train": len(train), "n_val": len(val), "n_test": len(test),
           "input_size": "x".join(map(str, ds.images.shape[1:3])), "epochs_max": profile.epochs,
           **versions()}
    start = time.time()
    try:
        model, head = models.fresh(job.network, job.strategy, ds.images.shape[1:],
                                   ds.spec.n_classes, profile.learning_rate, job.seed,
                                   profile.head_learning_rate)
    except WeightsUnavailable as exc:
        row.update(status="not run", reason=str(exc))
        return _write(out_path, row)
    seed = job.seed + job.fold
    proba, epochs_run, cache_features = fit_predict(model, head, ds, train, val, profile, seed,
                                                    job.network, job.strategy, test_index=test)
    y = ds.targets
    row.update(status="ok", reason="", epochs_run=epochs_run,
               features_cached=cache_features, seconds=round(time.time() - start, 2),
               **classification_metrics(y[test], proba, ds.spec.positive_index),
               test_index=[int(i) for i in test], y_true=[int(v) for v in y[test]],
               proba=np.round(proba, 6).tolist())
    return _write(out_path, row)


def fit_predict(model, head, ds: Dataset, train, val, profile: Profile, seed: int, network: str,
                strategy: str, test_index=None, test_images: np.ndarray | None = None):
    """Train on ``ds[train]`` (early stopping on ``ds[val]``) and predict the test images:
    ``ds[test_index]`` (reusing cached off-the-shelf embeddings) or other ``test_images``
    (a cross-device target). Returns (probabilities or None, epochs run, features cached)."""
    import keras

    keras.utils.set_random_seed(seed)
    y = ds.targets
    stop = [keras.callbacks.EarlyStopping(patience=profile.patience, restore_best_weights=True)]
    cache_features = strategy == "off_the_shelf" and ds.spec.augmentation.is_identity
    if test_images is None and test_index is not None:
        test_images = ds.images[test_index]
    proba = None
    if cache_features:
        emb = embeddings_for(ds, network, model, profile)
        hist = head.fit(emb[train], y[train], validation_data=(emb[val], y[val]),
                        epochs=profile.epochs, batch_size=profile.batch_size, verbose=0,
                        callbacks=stop)
        if test_index is not None:
            proba = head.predict(emb[test_index], verbose=0)
        elif test_images is not None:
            proba = model.predict(test_images.astype(np.float32) / 255.0,
                                  batch_size=profile.batch_size, verbose=0)
    else:
        aug = ds.spec.augmentation
        augment = None if aug.is_identity else make_augmenter(aug, seed=seed)
        hist = model.fit(_batches(ds.images[train], y[train], profile.batch_size, seed, augment),
                         validation_data=_batches(ds.images[val], y[val], profile.batch_size, 0, shuffle=False),
                         epochs=profile.epochs, verbose=0, callbacks=stop, shuffle=False)
        if test_images is not None:
            dummy = np.zeros(len(test_images), int)
            proba = model.predict(_batches(test_images, dummy, profile.batch_size, 0, shuffle=False),
                                  verbose=0)
    return proba, len(hist.history["loss"]), cache_features


def _splits_path(job: FoldJob, profile: Profile) -> Path:
    return (config.results_dir(job.profile) / "splits"
            / f"{job.dataset}_k{profile.folds}_seed{job.seed}.csv")


def _write(path: Path, row: dict) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row))
    tmp.replace(path)  # a fold is either fully written or absent
    return row


def run_experiment(profile_name: str, datasets=None, networks=None, strategies=None,
                   seed: int = config.DEFAULT_SEED, progress: bool = True) -> pd.DataFrame:
    """All folds of every dataset x network x strategy in the profile; returns the tidy table."""
    from tqdm import tqdm

    profile = get_profile(profile_name)
    datasets = datasets or profile.datasets
    jobs = [FoldJob(d, n, s, k, profile_name, seed)
            for d in datasets for n in (networks or profile.networks_for(d))
            for s in (strategies or profile.strategies) for k in range(profile.folds)]
    models = ModelCache()
    loaded: dict = {}
    for job in tqdm(jobs, desc=f"transfer-vs-scratch [{profile_name}]", disable=not progress or None):
        if job.result_path().exists():
            continue
        if job.dataset not in loaded:
            ds = load_profile_dataset(job.dataset, profile, seed)
            splits = load_or_make_splits(ds, profile.folds, seed, _splits_path(job, profile))
            loaded = {job.dataset: (ds, splits)}  # keep one dataset in memory at a time
        ds, splits = loaded[job.dataset]
        run_fold(job, ds, models, splits)
    return collect(profile_name, datasets)


def collect(profile_name: str, datasets=None) -> pd.DataFrame:
    """The tidy results table (one row per fold) from the fold files on disk."""
    root = config.results_dir(profile_name) / "runs"
    rows = []
    for path in sorted(root.glob("*/*/*/fold*.json")):
        row = json.loads(path.read_text())
        if datasets and row["dataset"] not in datasets:
            continue
        rows.append({k: v for k, v in row.items() if k not in ("test_index", "y_true", "proba")})
    return pd.DataFrame(rows)


__all__ = ["FoldJob", "run_fold", "run_experiment", "collect", "STRATEGIES"]
