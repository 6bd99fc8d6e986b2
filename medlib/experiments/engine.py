"""The fold lifecycle, once: what every experiment that trains and tests a model shares.

A job (a fold of :mod:`medlib.experiments.transfer`, a cross-device run of
:mod:`medlib.experiments.cross_device`) goes through the same steps:

1. :func:`finished`: its result file exists and was written under the configuration
   planned today (:mod:`.provenance`): return it, train nothing;
2. :func:`fit_predict` in a :class:`Context` (models built and traced once per process,
   restored to their initial state for every job, so a job alone, after others, resumed
   or in a shard gives the same row); a network without ImageNet weights is written
   :func:`not_run`, with the reason;
3. :func:`scored`: metrics, the test set's floor (majority rate) and a diagnosis;
4. :func:`write_result`: predictions, then the row, each written whole or not at all
   (:func:`write_atomic`), so an interrupted run loses at most the job in flight.
"""
from __future__ import annotations

import functools
import gc
import json
import platform
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from .. import config, strategies
from ..data import Dataset, make_augmenter
from ..diagnose import fold_diagnosis, majority_rate
from ..features import Extractor, feature_views
from ..metrics import classification_metrics
from ..profiles import Block, Profile, get_profile
from . import provenance, training


class Job:
    """What a job (a frozen dataclass with a ``profile`` name and a ``planned_by`` field) shares:
    its row's identity fields, and the profile value that planned it."""

    def identity(self) -> dict:
        """The job's fields as they go into its row (``planned_by`` is not one: it is the
        profile value that planned the job when that is not the registry's own, e.g. a user's
        data added by :func:`medlib.profiles.add_datasets`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "planned_by"}

    def profile_plan(self) -> Profile:
        return self.planned_by or get_profile(self.profile)


def finished(path: Path, config_hash: str) -> dict | None:
    """The row at ``path`` if it was written under ``config_hash`` (else None: absent or stale)."""
    return provenance.current_row(path, config_hash)


def not_run(path: Path, row: dict, exc: Exception) -> dict:
    """Write ``row`` as not run, with the reason (no number for a model that was not trained)."""
    return write_atomic(path, {**row, "status": "not run", "reason": str(exc), "diagnosis": ""})


def scored(row: dict, y_true, proba, spec, start: float, info: dict, **diagnosis) -> dict:
    """``row`` with status ok, seconds since ``start``, the training summary ``info``, the
    metrics of ``proba`` against ``y_true``, its floor and its diagnosis (``diagnosis``: the
    training signals :func:`medlib.diagnose.fold_diagnosis` also reads)."""
    metrics = classification_metrics(y_true, proba, spec.positive_index)
    row = {**row, "status": "ok", "reason": "", "seconds": round(time.time() - start, 2), **info, **metrics}
    row.setdefault("majority", majority_rate(y_true))
    row["diagnosis"] = fold_diagnosis(metrics["accuracy"], row["majority"], proba, spec.classes, **diagnosis)
    return row


def write_result(path: Path, row: dict, predictions: dict) -> dict:
    """The predictions (``<name>.pred.json``), then the row: the row's presence means both are whole."""
    write_atomic(path.with_suffix(".pred.json"), predictions)
    return write_atomic(path, row)


def write_atomic(path: Path, row: dict) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(row))
    tmp.replace(path)  # a fold is either fully written or absent
    return row


def versions() -> dict[str, str]:
    import keras

    out = {"python": platform.python_version(), "keras": keras.__version__,
           "backend": keras.backend.backend(), "numpy": np.__version__}
    if out["backend"] == "tensorflow":
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    elif out["backend"] == "jax":
        import jax

        out["jax"] = jax.__version__
    if (device := accelerator()) is not None:  # where the fold ran (float32 there: exact_float32)
        out["accelerator"] = device
        if out["backend"] == "jax":
            import jax

            out["jax_matmul_precision"] = str(jax.config.jax_default_matmul_precision or "default")
    return out


@functools.cache
def accelerator() -> str | None:
    """The GPU (or other accelerator) Keras computes on, by name; None on a CPU."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return None if device.platform == "cpu" else device.device_kind
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") if gpus else None
    return None


@functools.cache
def exact_float32() -> None:
    """Float32 products computed in float32 on an accelerator too (once per process). Both
    backends may otherwise run them in TF32 on a recent NVIDIA GPU (a 10-bit mantissa), which
    is not the precision a float32 block's configuration hash names; a CPU needs nothing."""
    if accelerator() is None:
        return
    import keras

    if keras.backend.backend() == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)


class Context:
    """What fold jobs of one process share: compiled models in their initial state, frozen
    backbones, and the loaded datasets and splits of the current block. Creating one makes
    float32 exact on an accelerator (:func:`exact_float32`)."""

    def __init__(self):
        exact_float32()
        self._models: dict = {}
        self._extractors: dict = {}
        self.loaded: dict = {}

    def fresh(self, key, build):
        """``build()``'s model (built and compiled on first use), restored to its initial state."""
        if key not in self._models:
            import keras

            keras.utils.set_random_seed(key[-1])
            model = build()
            model.optimizer.build(model.trainable_variables)
            self._models[key] = (model, [v.numpy() for v in _state(model)])
        model, initial = self._models[key]
        for v, value in zip(_state(model), initial):
            v.assign(value)
        return model

    def extractor(self, network: str, output: str = "embedding") -> Extractor:
        key = (network, output)
        if key not in self._extractors:
            self._extractors[key] = Extractor(network, output)
        return self._extractors[key]

    def release(self) -> None:
        """Drop every model (the next network starts from a clean Keras session)."""
        import keras

        self._models.clear()
        self._extractors.clear()
        keras.backend.clear_session()
        gc.collect()


def _state(model):
    """Weights, optimizer slots and seed-generator states: everything a fold can change."""
    seen, out = set(), []
    for v in list(model.variables) + list(model.optimizer.variables):
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _compiled(model, lr: float):
    import keras

    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fit_predict(ctx: Context, network: str, strategy: str, head: str, block: Block, ds: Dataset,
                train, val, targets: list[tuple[Dataset, np.ndarray]], seed: int,
                save_to: Path | None = None,
                build_seed: int = config.DEFAULT_SEED) -> tuple[list[np.ndarray], dict]:
    """Train on ``ds[train]`` (model selection on ``ds[val]``) and return the class
    probabilities of every ``(dataset, indices)`` in ``targets`` (the fold's test images, or
    a whole cross-device target), with the training summary (learning curve included).

    The strategy's own training code (:data:`medlib.strategies.STRATEGIES`, its ``fit``) does the
    work. ``seed`` drives shuffling, augmentation and dropout of this fold; the initial weights
    come from ``build_seed`` alone, so a fold gives the same result whether it runs first,
    after others, or alone after a crash."""
    fit = globals()[strategies.get(strategy).fit]
    return fit(ctx, network, strategy, head, block, ds, train, val, targets, seed, save_to, build_seed)


def _fit_trained(ctx, model, network, block, ds, train, val, targets, seed, save_to, **fit):
    """Train ``model`` (its whole graph as compiled) with the block's budget and the dataset's
    augmentation, save it if asked, and predict ``targets``."""
    import keras

    # the fold's own random stream starts only now: a build (first fold of a process) seeds
    # with build_seed, and a fold must not depend on whether its model was built or restored
    keras.utils.set_random_seed(seed)
    aug = ds.spec.augmentation
    info = training.fit_scratch(model, ds.images, ds.targets, train, val, fit.pop("epochs", block.epochs),
                                fit.pop("patience", block.patience), block.batch_size,
                                None if aug.is_identity else make_augmenter(aug, seed), seed,
                                desc=f"{ds.spec.key} {network} epochs", min_epochs=block.min_epochs, **fit)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(save_to)
    return [training.predict(model, t.images[i]) for t, i in targets], info


def fit_scratch_fold(ctx, network, strategy, head, block, ds, train, val, targets, seed, save_to, build_seed):
    """From scratch: the whole network from random weights (built once per process, restored
    per fold), under the block's precision and batch-norm pass."""
    from ..models import build_model

    shape = tuple(ds.images.shape[1:])
    lr, precision, scale = block.lr_for(network), block.precision_for(network), block.input_scale_for(network)

    def build():
        with training.dtype_policy(precision):
            return _compiled(build_model(network, shape, ds.spec.n_classes, strategy, input_scale=scale), lr)

    model = ctx.fresh((strategy, network, shape, ds.spec.n_classes, lr, precision, scale, build_seed), build)
    return _fit_trained(ctx, model, network, block, ds, train, val, targets, seed, save_to,
                        traced_bn=block.bn_pass_for(network) == "traced")


def fit_fine_tune_fold(ctx, network, strategy, head, block, ds, train, val, targets, seed, save_to, build_seed):
    """Fine-tuning (keras-io's transfer-learning recipe): the ImageNet backbone frozen while the
    head warms up (``warmup_epochs`` at the block's learning rate), then its top layers
    (``tune_fraction``) opened and the whole trained at ``tune_lr`` with the block's budget and
    early stopping; batch-norm layers stay frozen, their ImageNet statistics kept (no
    re-estimate). Two compiled models (frozen, opened) share one set of weights per fold."""
    from ..models import build_model

    s = strategies.get(strategy)
    shape, n = tuple(ds.images.shape[1:]), ds.spec.n_classes
    lr, precision = block.lr_for(network), block.precision_for(network)

    def build(kind, rate):
        def make():
            with training.dtype_policy(precision):
                return _compiled(build_model(network, shape, n, kind, fine_tune_fraction=s.tune_fraction), rate)
        return make

    warm = ctx.fresh(("off_the_shelf", network, shape, n, lr, precision, build_seed), build("off_the_shelf", lr))
    _, warm_info = _fit_trained(ctx, warm, network, block, ds, train, val, [], seed, None,
                                epochs=s.warmup_epochs, patience=None, precise_bn=False)
    tuned = ctx.fresh((strategy, network, shape, n, s.tune_lr, precision, build_seed), build(strategy, s.tune_lr))
    copy_weights(warm, tuned)
    probs, info = _fit_trained(ctx, tuned, network, block, ds, train, val, targets, seed, save_to,
                               precise_bn=False)
    info["warmup_history"] = warm_info.get("history")
    return probs, info


def copy_weights(src, dst) -> None:
    """``src``'s weights into ``dst``, layer by layer in graph order: both are built by the same
    function, so their layers correspond by position (names do not: Keras numbers unnamed
    layers, such as Xception's residual convolutions, across the whole process)."""
    if len(src.layers) != len(dst.layers):
        raise ValueError(f"{src.name} and {dst.name} differ in their layers: cannot copy weights")
    for a, b in zip(src.layers, dst.layers):
        if a.weights:
            b.set_weights(a.get_weights())


def fit_off_the_shelf_fold(ctx, network, strategy, head, block, ds, train, val, targets, seed, save_to,
                           build_seed):
    """Off-the-shelf: the frozen backbone's features of every image (and of fixed augmented views)
    computed once and cached; a head trained on them, the paper's dense head or a logistic probe."""
    import keras

    from ..models import build_head

    y, n_classes = ds.targets, ds.spec.n_classes
    ext = ctx.extractor(network)
    views = feature_views(ds.spec.key, ds.images, ext, block.views, ds.spec.augmentation, seed,
                          progress=False)
    x_train = views[:, train].reshape(-1, views.shape[-1])
    y_train = np.tile(y[train], len(views))
    x_val = views[0, val]
    tests = [views[0, i] if t is ds else feature_views(t.spec.key, t.images, ext, 0, progress=False)[0, i]
             for t, i in targets]
    if head == "logreg":
        extra = views[1:, val].reshape(-1, views.shape[-1]) if len(views) > 1 else None
        clf, info = training.fit_probe(x_train, y_train, x_val, y[val], x_extra=extra,
                                       class_weight=block.class_weight,
                                       y_extra=np.tile(y[val], len(views) - 1) if extra is not None else None)
        return [training._full_proba(clf, x, n_classes) for x in tests], info
    model = ctx.fresh(("head", network, views.shape[-1], n_classes, block.learning_rate, build_seed),
                      lambda: _compiled(build_head(network, views.shape[-1], n_classes),
                                        block.learning_rate))
    keras.utils.set_random_seed(seed)  # after the build, as for scratch
    info = training.fit_head(model, x_train, y_train, x_val, y[val], block.epochs, block.patience,
                             block.batch_size, block.class_weight)
    return [training.predict(model, x) for x in tests], info


__all__ = ["finished", "not_run", "scored", "write_result", "write_atomic", "versions", "Context", "fit_predict"]
