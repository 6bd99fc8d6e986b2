"""How a model is trained, written once and backend-neutral (Keras 3 on TensorFlow or JAX).

* :class:`Batches`: a ``keras.utils.PyDataset`` of uint8 images scaled to [0, 1],
  shuffled with a seeded generator each epoch and augmented in NumPy
  (:func:`medlib.data.make_augmenter`), for training from scratch.
* :class:`EpochEnd`: what happens after every training epoch, in this order:
  batch-norm statistics re-estimated on the *clean* training images
  (:func:`recompute_batchnorm`), the validation loss and accuracy computed, the
  learning curve extended, the best weights (lowest validation loss) kept, and
  training stopped once ``patience`` epochs bring no gain; the best weights are
  restored at the end. With ``patience=None`` the budget is fixed instead (an epoch
  count read off earlier learning curves) and the last epoch's weights are kept:
  the choice where the validation set is too small for its loss to pick an epoch.
* :func:`fit_head` (the paper's dense head), :func:`fit_head_rows` (the same on rows
  of one large feature array) and :func:`fit_probe` (a logistic-regression probe)
  train on cached frozen-backbone features.

Why re-estimate batch-norm statistics: training batches carry the paper's
augmentation (COV_CT: shifts and Gaussian noise of sigma 0.1, strong on [0, 1]
images), so the moving averages describe noisy images, and they lag behind the
weights. Measured on COV_CT, MobileNetV2 from scratch at 112 px, fold 0, the
same weights after each of 16 epochs: test accuracy with the moving statistics
52-65%, with statistics re-estimated on the clean training images (a running
average over all of them) 59-72%, higher in 12 of 16 epochs (+3.5 points on
average), and the share of predicted positives swung less (8-45% vs 0-68%).
Here the re-estimate is one forward pass over up to 256 evenly spaced training
images with momentum 0 (a per-batch running average costs more than the epoch's
training on a CPU).
"""
from __future__ import annotations

import contextlib

import numpy as np

HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build models under the Keras dtype policy ``name`` (``float32`` or ``mixed_bfloat16``),
    then put the global policy back: a layer keeps the policy it was built with, and nothing
    built later (another network, a head) inherits this one."""
    import keras

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def _keras():
    import keras

    return keras


class Batches:
    """Factory for the PyDataset (keeps ``keras`` out of module import time). ``images``:
    uint8 images (scaled to [0, 1]) or float features (cast to float32, e.g. a float16
    cache); ``index``: the rows to train on (default all), gathered a batch at a time so
    no training subset is ever copied whole."""

    def __new__(cls, images, y, batch_size: int, augment=None, seed: int = 0, shuffle: bool = True,
                index=None):
        keras = _keras()
        rows = np.arange(len(images)) if index is None else np.asarray(index)

        class _Batches(keras.utils.PyDataset):
            def __init__(self):
                super().__init__(workers=1, use_multiprocessing=False)
                self.images, self.y, self.batch_size = images, np.asarray(y), batch_size
                self.augment, self.shuffle = augment, shuffle
                self.rng = np.random.default_rng(seed)
                self.order = self.rng.permutation(len(rows)) if shuffle else np.arange(len(rows))

            def __len__(self):
                return int(np.ceil(len(rows) / self.batch_size))

            def __getitem__(self, i):
                idx = np.sort(rows[self.order[i * self.batch_size:(i + 1) * self.batch_size]])
                x = self.images[idx]
                x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
                if self.augment is not None:
                    x = self.augment(x)
                return x, self.y[idx]

            def on_epoch_end(self):
                if self.shuffle:
                    self.order = self.rng.permutation(len(rows))

        return _Batches()


def predict(model, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities of uint8 images (scaled to [0, 1]), float images, or feature
    vectors (N x D: one direct call, cheaper than ``predict`` for a small head)."""
    if x.ndim == 2:
        return np.asarray(_keras().ops.convert_to_numpy(model(x.astype(np.float32), training=False)))
    from ..features import CHUNK, batch_for

    batch = batch_for(x.shape[1:], batch_size)  # fewer large images at a time
    parts = []
    for start in range(0, len(x), CHUNK):  # uint8 -> float one chunk at a time
        part = x[start:start + CHUNK]
        part = part.astype(np.float32) / 255.0 if part.dtype == np.uint8 else part.astype(np.float32, copy=False)
        parts.append(np.asarray(model.predict(part, batch_size=batch, verbose=0)))
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def cross_entropy(y, proba) -> float:
    p = np.clip(np.asarray(proba, np.float64)[np.arange(len(y)), np.asarray(y, int)], 1e-7, 1.0)
    return float(-np.log(p).mean())


def batchnorm_layers(model) -> list:
    keras = _keras()
    return [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]


def _training_call(model, traced: bool):
    """``model``'s training-mode call: eager, or (``traced``, TensorFlow backend) through one
    ``tf.function`` kept on the model, traced once per process and input shape. The graph
    bakes in each batch-norm layer's momentum, which :func:`recompute_batchnorm` always sets
    to 0 before calling. Other backends call eagerly."""
    if not traced or _keras().backend.backend() != "tensorflow":
        return lambda x: model(x, training=True)
    fn = getattr(model, "_medlib_traced_training_call", None)
    if fn is None:
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=True), reduce_retracing=True)
        model._medlib_traced_training_call = fn
    return fn


def recompute_batchnorm(model, images: np.ndarray, max_images: int = 256, chunk: int = 32,
                        traced: bool = False) -> None:
    """Set every batch-norm layer's moving mean and variance to its exact statistics over
    ``images`` (uint8, unaugmented; at most ``max_images``, evenly spaced).

    The images go through in training mode in chunks of ``chunk`` (a functional model's call
    keeps every layer's output until it returns, so one pass over 256 images held 5-7 GB at
    112 px); with momentum 0 each chunk leaves its own mean and (biased) variance in the
    layer, and these are pooled exactly: mean of the means, and mean of (variance + mean^2)
    minus the pooled mean squared.

    ``traced``: the calls go through one traced function (:func:`_training_call`). Measured on
    COV_CT at 112 px (``scripts/bench_epoch.py``): 2.0-2.5 times faster than eager calls
    (DenseNet121 11.0 -> 4.4 s an epoch), the same statistics up to floating-point order
    (identical on Xception; largest relative difference 7e-5 on ResNet50 in float32, 0.12 on
    DenseNet121 in bfloat16). Part of the fold's configuration (``Block.bn_passes``)."""
    bns = batchnorm_layers(model)
    if not bns:
        return
    keras = _keras()
    pick = np.unique(np.linspace(0, len(images) - 1, min(max_images, len(images))).astype(int))
    saved = [l.momentum for l in bns]
    sums = [[0.0, 0.0] for _ in bns]
    call = _training_call(model, traced)
    try:
        for layer in bns:
            layer.momentum = 0.0
        for start in range(0, len(pick), chunk):
            part = pick[start:start + chunk]
            call(images[part].astype(np.float32) / 255.0)
            for acc, layer in zip(sums, bns):
                mean = keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64)
                var = keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64)
                acc[0] = acc[0] + mean * len(part)
                acc[1] = acc[1] + (var + mean ** 2) * len(part)
        for (m_sum, sq_sum), layer in zip(sums, bns):
            mean = m_sum / len(pick)
            layer.moving_mean.assign(mean.astype(np.float32))
            layer.moving_variance.assign(np.maximum(sq_sum / len(pick) - mean ** 2, 0).astype(np.float32))
    finally:
        for layer, m in zip(bns, saved):
            layer.momentum = m


def EpochEnd(train_images, val_images, y_val, patience: int | None, precise_bn: bool = True,
             bar=None, min_epochs: int = 0, traced_bn: bool = False):
    """The callback described in the module docstring (a factory, like :class:`Batches`);
    ``bar``: a progress bar advanced once per epoch, showing the validation loss;
    ``min_epochs``: no early stop before this epoch (a small validation set's loss is noisy
    in the first epochs, and a stop there keeps an untrained model); ``patience=None``:
    every epoch runs and the last one's weights are kept (the lowest validation loss is
    still recorded, for the learning curve)."""
    keras = _keras()
    keep_best = patience is not None

    class _EpochEnd(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history, self.best, self.best_weights, self.wait = [], np.inf, None, 0
            self.best_epoch, self.stopped_early = 0, False

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if precise_bn:
                recompute_batchnorm(self.model, train_images, traced=traced_bn)
            proba = predict(self.model, val_images)
            val_loss = cross_entropy(y_val, proba)
            self.history.append({"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan)),
                                 "accuracy": 100 * float(logs.get("accuracy", np.nan)),
                                 "val_loss": val_loss,
                                 "val_accuracy": 100 * float((proba.argmax(1) == y_val).mean())})
            if val_loss < self.best - 1e-4:
                self.best, self.best_epoch, self.wait = val_loss, epoch + 1, 0
                if keep_best:
                    self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if keep_best and self.wait >= patience and epoch + 1 >= min_epochs:
                    self.stopped_early = True
                    self.model.stop_training = True
            if bar is not None:
                bar.set_postfix_str(f"val loss {val_loss:.3f} (best {self.best:.3f} @ {self.best_epoch})",
                                    refresh=False)
                bar.update(1)

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    cb = _EpochEnd()
    cb.keep_best = keep_best
    return cb


def summary(cb, epochs: int) -> dict:
    """Fold-row fields from a finished :func:`EpochEnd`: epochs run, the epoch whose weights
    were kept (``best_epoch``: lowest validation loss, or the last one under a fixed budget,
    with ``val_loss_epoch`` the lowest validation loss's epoch), plateau, training accuracy at
    the kept epoch, and the learning curve."""
    kept = cb.best_epoch if cb.keep_best else len(cb.history)
    best = cb.history[kept - 1] if kept else {}
    return {"epochs_max": epochs, "epochs_run": len(cb.history), "best_epoch": kept,
            "val_loss_epoch": cb.best_epoch, "selection": "val_loss" if cb.keep_best else "last",
            "plateau": bool(cb.stopped_early), "train_accuracy": best.get("accuracy", np.nan),
            "history": cb.history}


def fit_scratch(model, images, y, train, val, epochs: int, patience: int | None, batch_size: int,
                augment=None, seed: int = 0, precise_bn: bool = True, desc: str = "epochs",
                progress: bool = True, min_epochs: int = 0, traced_bn: bool = False) -> dict:
    """Train ``model`` on ``images[train]`` (augmented), select on ``images[val]``; see above
    (``traced_bn``: :func:`recompute_batchnorm` through a traced function)."""
    from ..progress import progress_bar

    with progress_bar(total=epochs, desc=desc, disable=not progress, leave=False) as bar:
        cb = EpochEnd(images[train], images[val], y[val], patience, precise_bn, bar, min_epochs, traced_bn)
        model.fit(Batches(images[train], y[train], batch_size, augment, seed), epochs=epochs,
                  verbose=0, callbacks=[cb])
    return summary(cb, epochs)


def balanced_weights(y) -> dict[int, float]:
    """Class weights n / (k * n_c): every class weighs as much in the loss as the others
    (scikit-learn's ``class_weight="balanced"``), for a source dominated by one class."""
    y = np.asarray(y, int)
    counts = np.bincount(y)
    return {c: float(len(y) / (np.count_nonzero(counts) * n)) for c, n in enumerate(counts) if n}


def fit_head(head, x_train, y_train, x_val, y_val, epochs: int, patience: int,
             batch_size: int, class_weight: str | None = None) -> dict:
    """The paper's head on cached features: Adam (as compiled), early stopping on the
    validation loss, best weights restored. ``x_*``: float feature arrays;
    ``class_weight="balanced"`` weighs classes inversely to their training counts."""
    cb = EpochEnd(None, x_val, y_val, patience, precise_bn=False)
    head.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
             callbacks=[cb], class_weight=balanced_weights(y_train) if class_weight == "balanced" else None)
    return summary(cb, epochs)


def fit_head_rows(head, x, y, train, val, epochs: int, patience: int, batch_size: int,
                  seed: int = 0) -> dict:
    """:func:`fit_head` on rows ``train`` of one feature array ``x`` (selecting on rows
    ``val``), gathered and cast to float32 a batch at a time. For large cached maps (the
    CRM head on whole 480x640 smears: 1.5 MB per image in float32), where Keras's own
    array input would copy the training subset twice (NumPy, then a tensor)."""
    cb = EpochEnd(None, x[val].astype(np.float32), np.asarray(y)[val], patience, precise_bn=False)
    head.fit(Batches(x, y, batch_size, seed=seed, index=train), epochs=epochs, verbose=0, callbacks=[cb])
    return summary(cb, epochs)


PROBE_C = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def fit_probe(x_train, y_train, x_val, y_val, cs=PROBE_C, x_extra=None, y_extra=None,
              class_weight: str | None = None):
    """Logistic regression on standardised features, C chosen on the validation loss, then
    refitted on the training and validation features together (``x_extra``: the validation
    images' augmented views, if any), as one does with a probe whose only
    hyperparameter is chosen.

    The reference line for the dense head: how much a linear read-out of the same
    frozen features can give. Measured on COV_CT (10 folds, 2 augmented views): the refit
    adds 1.0 (Xception) and 2.1 (MobileNetV2) points over fitting on the training part
    only. Returns (fitted pipeline, fields for the fold row)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(y_train)) < 2:  # a tiny fold: nothing to separate, answer the one class
        from sklearn.dummy import DummyClassifier

        clf = DummyClassifier(strategy="prior").fit(x_train, y_train)
        return clf, {"probe_c": np.nan, "train_accuracy": 100.0, "plateau": True, "epochs_run": 0,
                     "epochs_max": 0, "best_epoch": 0, "history": []}
    best = None
    for c in cs:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, class_weight=class_weight))
        clf.fit(x_train, y_train)
        loss = cross_entropy(y_val, _full_proba(clf, x_val))
        if best is None or loss < best[0]:
            best = (loss, c, clf)
    loss, c, clf = best
    train_acc = 100 * float((clf.predict(x_train) == y_train).mean())
    parts = [(x_train, y_train), (x_val, y_val)] + ([(x_extra, y_extra)] if x_extra is not None else [])
    clf.fit(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    return clf, {"probe_c": c, "train_accuracy": train_acc, "plateau": True, "epochs_run": 0,
                 "epochs_max": 0, "best_epoch": 0, "history": []}


def _full_proba(clf, x, n_classes: int | None = None) -> np.ndarray:
    """predict_proba with a column for every class (classes absent from training get 0)."""
    p = clf.predict_proba(x)
    classes = clf.classes_ if hasattr(clf, "classes_") else clf[-1].classes_
    n = n_classes or int(classes.max()) + 1
    out = np.zeros((len(x), max(n, p.shape[1])))
    out[:, classes] = p
    return out
