"""Frozen ImageNet backbone features, computed once per image and cached on disk.

Off-the-shelf transfer (s2.1.1) trains only a head on what a frozen backbone
outputs, so the backbone never needs to run twice on the same pixels. This
module is that artefact: for a dataset's image array, a network with ImageNet
weights and a *view* of every image, it computes the backbone output once and
keeps it under ``MEDLIB_CACHE_DIR/features/``, keyed by

* dataset key and image size (part of the file name, for people),
* network and weights file (which backbone),
* output (``embedding``: the pooled vector the paper's head reads; the last
  feature map, for heads with spatial layers, e.g. the CRM paper's conv head; or
  ``input_of:<layer>``, the map entering a named layer: a backbone cut higher up, as
  Kim et al. cut Xception for a finer map),
* view (0: the images as they are; k >= 1: the k-th augmented copy, drawn with
  a fixed seed from the dataset's s2.2 augmentation),
* a SHA-1 of the pixel array itself, so any change of images, order, crop or
  harmonisation gives a new entry and a stale cache can never be read.

Where the paper augments (COV_CT: shifts and noise; COV_X: rotations), a head
is trained on a fixed number of augmented views of every training image: the
paper's augmentation still applies, without recomputing the backbone per epoch.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import config
from .progress import progress_bar


@dataclass(frozen=True)
class FeatureKey:
    dataset: str
    size: tuple[int, int]
    network: str
    weights: str      # file name of the ImageNet weights ("imagenet": Keras's download)
    output: str       # "embedding", "feature_map", "input_of:<layer>" or a layer name
    view: int         # 0: as is; k >= 1: k-th augmented view
    pixels: str       # SHA-1 of the uint8 image array (first 16 hex digits)

    def path(self) -> Path:
        h, w = self.size
        output = self.output.replace(":", "@")  # a folder name every file system takes
        folder = f"{self.network}_{h}x{w}_{Path(self.weights).stem}_{output}_{self.pixels}"
        return config.cache_dir() / "features" / self.dataset / folder / f"view{self.view}.npy"


def pixel_digest(images: np.ndarray) -> str:
    """SHA-1 of a uint8 image array, its shape included."""
    h = hashlib.sha1(str(images.shape).encode())
    h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()[:16]


CHUNK = 64  # images converted to float (and augmented) at a time: never a whole dataset in float32


def augmented_chunks(images: np.ndarray, augmentation=None, view: int = 0,
                     seed: int = config.DEFAULT_SEED, chunk: int = CHUNK):
    """The ``view``-th augmented copy of uint8 ``images`` as float32 in [0, 1] (view 0: as is),
    ``chunk`` images at a time; one seeded augmenter runs through the chunks in order, so
    the copy does not depend on how it is consumed."""
    from .data import make_augmenter

    augment = None
    if view and augmentation is not None and not augmentation.is_identity:
        augment = make_augmenter(augmentation, seed=seed * 1000 + view)
    for start in range(0, len(images), chunk):
        x = images[start:start + chunk].astype(np.float32) / 255.0
        yield augment(x) if augment is not None else x


def augmented_view(images: np.ndarray, augmentation, view: int, seed: int = config.DEFAULT_SEED,
                   batch_size: int = CHUNK) -> np.ndarray:
    """The whole ``view``-th augmented copy (see :func:`augmented_chunks`), for figures and tests."""
    return np.concatenate(list(augmented_chunks(images, augmentation, view, seed, batch_size)))


def batch_for(shape, base: int = 16) -> int:
    """Inference batch size for images of ``shape`` (H, W, ...): ``base`` at 224x224, fewer for
    larger images, so activations stay about the same size (a batch of 32 whole BCCD smears
    at 480x640 held several GB)."""
    return max(1, min(base, int(base * 224 * 224 / (shape[0] * shape[1]))))


INPUT_OF = "input_of:"


def output_tensor(model, output: str):
    """The tensor of ``model`` an :class:`Extractor` output names: ``embedding``, ``feature_map``
    (the layer in ``model.feature_layer``), ``input_of:<layer>`` (what enters that layer: a cut
    at a tensor no layer is named after, such as Xception's unnamed residual sums) or a layer's
    name (its output)."""
    if output.startswith(INPUT_OF):
        return model.get_layer(output[len(INPUT_OF):]).input
    return model.get_layer(model.feature_layer if output == "feature_map" else output).output


class Extractor:
    """A network's frozen ImageNet backbone, built once and reused for every view and dataset
    of the same input size (building costs seconds to a minute on a CPU)."""

    def __init__(self, network: str, output: str = "embedding"):
        self.network, self.output = network, output
        self._models: dict = {}

    def weights(self) -> str:
        from .models.weights import imagenet_weights
        from .models.zoo import ARCHITECTURES

        return Path(imagenet_weights(ARCHITECTURES[self.network].app)).name  # may raise

    def model(self, shape):
        import keras

        from .models import build_model

        if shape not in self._models:
            full = build_model(self.network, shape, 2, "off_the_shelf")
            self._models[shape] = keras.Model(full.input, output_tensor(full, self.output))
        return self._models[shape]

    def __call__(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        batch_size = batch_size or batch_for(x.shape[1:])
        return np.asarray(self.model(tuple(x.shape[1:])).predict(x, batch_size=batch_size, verbose=0))


def features(dataset: str, images: np.ndarray, extractor: Extractor, view: int = 0,
             augmentation=None, seed: int = config.DEFAULT_SEED, dtype=np.float32) -> np.ndarray:
    """Backbone output of every image for one view, from the cache or computed and cached.

    Raises :class:`medlib.models.WeightsUnavailable` when the network has no ImageNet weights.
    """
    key = FeatureKey(dataset, tuple(images.shape[1:3]), extractor.network, extractor.weights(),
                     extractor.output, view, pixel_digest(images))
    path = key.path()
    if path.exists():
        return np.load(path)
    out = np.concatenate([extractor(x).astype(dtype)
                          for x in augmented_chunks(images, augmentation, view, seed)])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    meta = path.parent / "key.json"
    if not meta.exists():
        meta.write_text(json.dumps({k: v for k, v in asdict(key).items() if k != "view"}, indent=1))
    return out


def feature_views(dataset: str, images: np.ndarray, extractor: Extractor, views: int = 0,
                  augmentation=None, seed: int = config.DEFAULT_SEED, progress: bool = True,
                  dtype=np.float32) -> np.ndarray:
    """Views 0..``views`` stacked: (views + 1, N, ...). No augmentation means one view only."""
    n = 0 if augmentation is None or augmentation.is_identity else views
    bar = progress_bar(range(n + 1), desc=f"features {dataset} {extractor.network}",
                       disable=not progress)
    arrays = [features(dataset, images, extractor, v, augmentation, seed, dtype) for v in bar]
    return arrays[0][None] if len(arrays) == 1 else np.stack(arrays)  # one view: no copy


__all__ = ["FeatureKey", "Extractor", "INPUT_OF", "output_tensor", "features", "feature_views", "augmented_view",
           "augmented_chunks", "batch_for", "pixel_digest"]
