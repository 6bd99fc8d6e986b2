"""A classifier in the CRM paper's shape, trained on cached frozen features (notebook 05).

Kim et al. 2019 explain a modality classifier built as a truncated ImageNet VGG16,
then a 3x3x512 convolution, global average pooling and a dense layer. Ours: the
backbone of a network with offline ImageNet weights (MobileNetV2, Xception), cut at
its last convolution and frozen, then the same head::

    backbone map (u x v x K) -> "crm_conv" (3x3, 512, ReLU) -> "embedding" (GAP)
                             -> "logits" (dense) -> "probs" (softmax)

Kim et al. also cut two deeper networks higher up, for a finer map (Figs 7-8: Inception-v3
after "mixed6", Xception after "add_11", "17 x 17" maps): :data:`BACKBONES` names such cuts,
and a modality network is either a network (cut at its last map) or one of those keys.

The head is linear in the ``crm_conv`` map after it, so CAM is defined there and
CRM has its closed form; Grad-CAM is taken at the same layer. The backbone's maps
are computed once per image (:mod:`medlib.features`, ``output="feature_map"``) and
only the head is trained (Kim et al. train more layers; a frozen backbone keeps
this within a CPU's reach, and the classifier still has to earn its place: its
test accuracy is reported beside its floor).

:func:`cross_fit` trains one head per fold of a grouped k-fold split, so every image
gets a prediction (and an explanation) from a model that never saw it.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .. import config
from ..features import INPUT_OF, Extractor, feature_views, output_tensor
from . import training

HEAD_LAYER = "crm_conv"


@dataclass(frozen=True)
class Backbone:
    """Where a modality classifier's frozen backbone is cut: ``network`` (a key of
    :data:`medlib.models.ARCHITECTURES` with offline ImageNet weights) and the map the head
    reads, ``"feature_map"`` (the last one) or ``"input_of:<layer>"``; ``why`` says whose cut."""

    network: str
    output: str = "feature_map"
    why: str = ""

    def extractor(self) -> Extractor:
        return Extractor(self.network, self.output)


# Kim et al. cut Xception after "add_11" (Keras 2 named the first sum add_1, so add_11 closes the
# middle flow; Keras 3 calls it add_10): the 728-channel map entering block 13, 14x14 at 224 px
# (19x19 at 299; Kim report 17x17), against the last map's 7x7 at 224 px
BACKBONES = MappingProxyType({
    "xception_add11": Backbone("xception", INPUT_OF + "block13_sepconv1_act",
                               "Kim et al.'s cut (Figs 7-8): after the middle flow's last residual sum"),
})


def backbone(key: str) -> Backbone:
    """The cut named ``key`` in :data:`BACKBONES`, or network ``key`` cut at its last map."""
    return BACKBONES.get(key) or Backbone(key)


def build_crm_head(map_shape, n_classes: int, filters: int = 512, kernel: int = 3):
    """The CRM paper's head on a backbone feature map of ``map_shape`` (u, v, K); ``kernel``
    1 instead of the paper's 3 where the map is large (whole smears: 9x cheaper on a CPU)."""
    import keras
    from keras import layers

    inp = keras.Input(tuple(map_shape), name="backbone_map")
    x = layers.Conv2D(filters, kernel, padding="same", activation="relu", name=HEAD_LAYER)(inp)
    x = layers.GlobalAveragePooling2D(name="embedding")(x)
    x = layers.Dense(n_classes, name="logits")(x)
    model = keras.Model(inp, layers.Softmax(name="probs", dtype="float32")(x), name="crm_head")
    model.feature_layer = HEAD_LAYER
    return model


def full_classifier(network: str, image_shape, head):
    """Backbone (ImageNet, frozen; ``network`` a network or a :data:`BACKBONES` cut) + a copy of
    a trained head, as one flat model of images in [0, 1]. The head's layers are copied (same
    configuration and weights), not shared, so each
    layer has one output in this model (explanations cut it by name) and changing this model
    (the sanity checks re-initialise it) leaves the head as it was."""
    import keras

    from ..models import build_model

    cut = backbone(network)
    base = build_model(cut.network, tuple(image_shape), 2, "off_the_shelf")
    x = output_tensor(base, cut.output)
    for layer in head.layers[1:]:
        copy = layer.__class__.from_config(layer.get_config())
        x = copy(x)
        copy.set_weights(layer.get_weights())
    model = keras.Model(base.input, x, name=f"{network}_crm_classifier")
    model.feature_layer = HEAD_LAYER
    return model


def held_out_row(network: str, y, pred, class_names) -> dict:
    """A classifier's test row: accuracy, test size, floor (majority rate) and recall per class (%)."""
    from ..diagnose import majority_rate

    y, pred = np.asarray(y), np.asarray(pred)
    recall = {f"recall {c}": 100 * float((pred[y == i] == i).mean()) if (y == i).any() else float("nan")
              for i, c in enumerate(class_names)}
    return {"network": network, "accuracy": 100 * float((pred == y).mean()), "n_test": len(y),
            "majority": majority_rate(y), **recall}


@dataclass
class CrossFit:
    """Out-of-fold results of :func:`cross_fit`."""

    proba: np.ndarray        # N x C, each row from the fold model that held that image out
    fold: np.ndarray         # N, the fold each image was tested in
    heads: list              # one trained head per fold
    maps: np.ndarray         # N x u x v x K backbone maps (float16, as cached; cast per use)
    summaries: list          # per fold: epochs run, best epoch, plateau, train accuracy


def cross_fit(ds, network: str, splits, val_fraction: float = 0.15, folds=None,
              epochs: int = 200, patience: int = 10, batch_size: int = 32, lr: float = 1e-3,
              kernel: int = 3, seed: int = config.DEFAULT_SEED, progress: bool = True) -> CrossFit:
    """Train the CRM-shaped head on each fold's training part (early stopping on its
    validation part) and predict the fold's test images.

    Why this loop is not the engine's (no fold files, no configuration hash, no resume): the
    head trains on cached feature maps in seconds a fold, inside notebook 05, which recomputes
    the whole study every run and writes its tables with the manifest's provenance; a fold
    file per head would cost more bookkeeping than the fold. Its folds are the saved splits
    of :func:`medlib.experiments.splits.fold_indices`, each leak-checked here."""
    import keras

    from .splits import assert_no_leak, fold_indices

    maps = feature_views(ds.spec.key, ds.images, backbone(network).extractor(), 0,
                         progress=progress, dtype=np.float16)[0]  # float16: half the memory
    y = ds.targets
    folds = sorted(set(splits["fold"])) if folds is None else folds
    proba = np.full((len(ds), ds.spec.n_classes), np.nan)
    tested = np.full(len(ds), -1)
    heads, summaries = [], []
    from ..progress import progress_bar

    for k in progress_bar(folds, desc=f"{ds.spec.key} {network} head folds", disable=not progress):
        train, val, test = fold_indices(splits, k, seed, val_fraction)
        assert_no_leak(splits, train, val, test)
        keras.utils.set_random_seed(seed + k)
        head = build_crm_head(maps.shape[1:], ds.spec.n_classes, kernel=kernel)
        head.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"])
        info = training.fit_head_rows(head, maps, y, train, val, epochs, patience, batch_size,
                                      seed=seed + k)
        proba[test] = training.predict(head, maps[test])
        tested[test] = k
        heads.append(head)
        summaries.append({k2: v for k2, v in info.items() if k2 != "history"} | {"fold": k})
    return CrossFit(proba, tested, heads, maps, summaries)


def fit_permuted_head(maps, y, train, kernel: int = 3, epochs: int = 60, target: float = 0.95,
                      batch_size: int = 32, lr: float = 1e-3, seed: int = config.DEFAULT_SEED):
    """The data-randomisation model of Adebayo et al.: the same head trained on the training
    rows with their labels permuted, until it memorises them (training accuracy ``target``)
    or ``epochs`` run out. Returns (head, training accuracy on the permuted labels, epochs):
    a head that did not memorise is reported as such, its maps still compared."""
    import keras

    rng = np.random.default_rng(seed)
    y_perm = np.asarray(y).copy()
    y_perm[train] = rng.permutation(y_perm[train])
    keras.utils.set_random_seed(seed)
    head = build_crm_head(maps.shape[1:], int(np.max(y)) + 1, kernel=kernel)
    head.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])

    class Memorised(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = (logs or {}).get("accuracy", 0.0) >= target

    history = head.fit(training.Batches(maps, y_perm, batch_size, seed=seed, index=train), epochs=epochs,
                       verbose=0, callbacks=[Memorised()])
    acc = history.history["accuracy"]
    return head, 100.0 * float(acc[-1]), len(acc)
