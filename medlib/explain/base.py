"""The shared ``features -> head`` split every explanation method works on.

A model from :func:`medlib.models.build_model` is flat, so it can be cut at any
layer without re-wiring: ``features`` maps images to the chosen feature map
(plus, for FF-VGG19, the pooled outputs of the other tapped blocks, which the
head also reads and which do not depend on the cut), and ``head`` maps those
back to the logits (scores before softmax, as both papers use).

``Split.linear`` is true when the head is GAP -> (dropout) -> Dense: then a
class score is a linear function of the feature map, CAM is defined (Kim et al.
Eq. 1-2) and CRM has a closed form. ``Split.pooled_head`` is set when the feature
map's only consumer is a global average pooling (every zoo model at its default
cut, FF-VGG19 included): the rest of the head then reads only the pooled vector,
which lets CRM remove a position exactly without copying the whole map.

Maps are returned at feature resolution, shape (N, u, v); :func:`upsample` brings
them to the input size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf


@dataclass
class Split:
    model: keras.Model
    layer: str
    features: keras.Model  # image -> [feature map, *context]
    head: keras.Model      # [feature map, *context] -> logits
    linear: bool
    n_context: int
    pooled_head: keras.Model | None = None  # [pooled feature map, *context] -> logits
    compiled: dict = field(default_factory=dict, repr=False)  # tf.functions, built once

    @property
    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(kernel K x C, bias C) of the logits layer; only meaningful when ``linear``."""
        kernel, bias = self.model.get_layer("logits").get_weights()
        return kernel, bias

    def _graph(self, name: str, model: keras.Model):
        """``model`` called as a traced function, built once per split. Eager Keras holds every
        layer's output of a call until it returns: MobileNetV2 on 16 images at 224 px left
        1.4 GB more resident than the traced call (0.3 GB), and ran slower."""
        if name not in self.compiled:
            self.compiled[name] = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        return self.compiled[name]

    def forward(self, images) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """(feature maps N x u x v x K, context tensors) of a batch of images in [0, 1]."""
        outs = self._graph("forward", self.features)(tf.convert_to_tensor(images, tf.float32))
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return outs[0], list(outs[1:])

    def predict(self, images) -> tf.Tensor:
        """The whole model's output (probabilities) of a batch of images in [0, 1]."""
        return self._graph("model", self.model)(tf.convert_to_tensor(images, tf.float32))

    def logits(self, fmap, context=()) -> tf.Tensor:
        fmap = tf.convert_to_tensor(fmap, tf.float32)
        context = [tf.convert_to_tensor(c, tf.float32) for c in context]
        return self.head([fmap, *context] if self.n_context else fmap, training=False)


def split_model(model: keras.Model, layer: str | None = None) -> Split:
    """Cut ``model`` at ``layer`` (default: ``model.feature_layer``, the last feature map)."""
    layer = layer or getattr(model, "feature_layer", None)
    if layer is None:
        raise ValueError("model has no feature_layer; pass layer= (a 4-D feature map layer)")
    names = [l.name for l in model.layers]
    cut = names.index(layer)
    fmap = model.get_layer(layer).output
    if len(fmap.shape) != 4:
        raise ValueError(f"layer {layer!r} outputs {fmap.shape}, not a feature map")
    # FF-VGG19: pooled taps computed before the cut feed the head directly (context)
    context = [model.get_layer(n).output for n in names[:]
               if n.startswith("gap_") and names.index(n.removeprefix("gap_")) < cut]
    head = keras.Model([fmap, *context] if context else fmap, model.get_layer("logits").output)
    features = keras.Model(model.input, [fmap, *context] if context else fmap)
    between = [l for l in model.layers[cut + 1:names.index("logits")]]
    linear = not context and all(isinstance(l, (keras.layers.GlobalAveragePooling2D, keras.layers.Dropout))
                                 for l in between)
    return Split(model, layer, features, head, linear, len(context),
                 _pooled_head(model, fmap, context, cut))


def _pooled_head(model: keras.Model, fmap, context, cut: int) -> keras.Model | None:
    """[GAP(feature map), *context] -> logits when a GlobalAveragePooling2D is the feature
    map's only consumer in the head, else None."""
    consumers = [l for l in model.layers[cut + 1:]
                 if any(t is fmap for t in keras.tree.flatten(l.input))]
    if len(consumers) != 1 or not isinstance(consumers[0], keras.layers.GlobalAveragePooling2D) \
            or consumers[0].keepdims:
        return None
    pooled = consumers[0].output
    return keras.Model([pooled, *context] if context else pooled, model.get_layer("logits").output)


def upsample(maps, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (N, u, v) maps to (N, H, W)."""
    maps = tf.convert_to_tensor(maps, tf.float32)[..., None]
    return tf.image.resize(maps, size, method="bilinear")[..., 0].numpy()


def normalise(maps) -> np.ndarray:
    """Non-negative and max-normalised per map (a zero map stays zero)."""
    maps = np.maximum(np.asarray(maps, np.float32), 0)
    peak = maps.reshape(len(maps), -1).max(1).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)


def as_class_index(classes, n: int) -> np.ndarray:
    """``classes`` (int or per-image ints) as an int array of length ``n``."""
    c = np.asarray(classes, int)
    return np.full(n, int(c)) if c.ndim == 0 else c
