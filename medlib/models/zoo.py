"""The paper's 8 networks (plus ResNet152), built flat for any input size and class count.

Every model is one flat Keras functional graph::

    input [0, 1] -> ImagenetPreprocess -> backbone layers -> ... -> "embedding"
                 -> head layers -> "logits" (Dense) -> "probs" (Softmax)

* the backbone's last feature map is the layer named in ``model.feature_layer``
  (Grad-CAM / CRM split the model there);
* ``embedding`` is the pooled vector the head reads: with a frozen backbone it
  is computed once per image and cached (see :mod:`medlib.experiments.transfer`);
* logits are reachable by name, softmax is its own layer.

Strategies (s2.1): ``scratch`` (architecture only, all weights trained),
``off_the_shelf`` (ImageNet backbone frozen, head trained): :data:`STRATEGIES`, what the
experiments run. :func:`build_model` also builds ``fine_tune`` (s2.1.3; ImageNet backbone
with its top layers unfrozen; batch-norm layers stay frozen), which no experiment trains yet
(:data:`MODEL_STRATEGIES`). A strategy that needs ImageNet weights raises
:class:`WeightsUnavailable` when none can be had, so it is reported as not run.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ..strategies import STRATEGIES as REGISTERED, get as get_strategy
from .ffvgg19 import FFVGG19Config
from .preprocess_layer import ImagenetPreprocess
from .weights import WeightsUnavailable, imagenet_weights

if keras.backend.backend() == "tensorflow":
    # Building many networks in one process makes TensorFlow warn about "retracing" on
    # every new model; that is expected here (one graph per network), so keep it quiet.
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")

STRATEGIES = tuple(REGISTERED)  # what the experiments train and build_model builds (medlib.strategies)
MODEL_STRATEGIES = STRATEGIES


@dataclass(frozen=True)
class Arch:
    key: str
    paper_label: str  # column name in Tables 5 and 7
    app: str  # name in keras.applications
    preprocess: str  # "caffe", "tf" or "torch", as the ImageNet weights expect
    min_size: int


ARCHITECTURES: dict[str, Arch] = {a.key: a for a in [
    Arch("vgg19", "VGG19", "VGG19", "caffe", 32),
    Arch("ff_vgg19", "FF-VGG19", "VGG19", "caffe", 32),
    Arch("xception", "XCEPT", "Xception", "tf", 71),
    Arch("resnet50", "RES", "ResNet50", "caffe", 32),
    Arch("resnet152", "RES152", "ResNet152", "caffe", 32),
    Arch("inceptionv3", "INCE", "InceptionV3", "tf", 75),
    Arch("densenet121", "DENSE", "DenseNet121", "torch", 32),
    Arch("nasnetmobile", "NAS", "NASNetMobile", "tf", 32),
    Arch("mobilenetv2", "MOB", "MobileNetV2", "tf", 32),
]}
PAPER_NETWORKS = ("vgg19", "ff_vgg19", "xception", "resnet50", "inceptionv3", "densenet121",
                  "nasnetmobile", "mobilenetv2")


@dataclass(frozen=True)
class HeadConfig:
    """Head of the standard networks: GAP -> dropout -> Dense logits -> softmax.

    GAP + one dense layer keeps CAM exact (Kim et al. Eq. 1-2)."""

    dropout: float = 0.3


def build_model(arch: str, input_shape: tuple[int, int, int], n_classes: int,
                strategy: str = "scratch", head: HeadConfig = HeadConfig(),
                ffvgg: FFVGG19Config = FFVGG19Config(), fine_tune_fraction: float = 0.2,
                allow_download: bool | None = None, input_scale: str | None = None) -> keras.Model:
    """Build ``arch`` for ``input_shape`` (H, W, 3) and ``n_classes`` under ``strategy``.

    ``input_scale``: another :class:`ImagenetPreprocess` mode than the architecture's, for a
    network trained from scratch (no ImageNet weights expect a scale): ``"tf"`` ([-1, 1]) or
    ``"unit"`` ([0, 1]) instead of a plain VGG's ``caffe`` +-128 (``scripts/check_shared_lr.py``
    trains both ways)."""
    if strategy not in MODEL_STRATEGIES:
        raise ValueError(f"strategy {strategy!r}; choose from {MODEL_STRATEGIES}")
    spec = ARCHITECTURES[arch]
    if min(input_shape[:2]) < spec.min_size:
        raise ValueError(f"{arch} needs inputs of at least {spec.min_size}x{spec.min_size}, "
                         f"got {input_shape[:2]}")
    weights = None
    if get_strategy(strategy).needs_weights:
        if input_scale not in (None, spec.preprocess):
            raise ValueError(f"{arch} under {strategy!r} loads ImageNet weights, which expect "
                             f"{spec.preprocess!r} inputs, not {input_scale!r}")
        weights = imagenet_weights(spec.app, allow_download=allow_download)  # may raise
    inp = keras.Input(input_shape, name="image")
    x = ImagenetPreprocess(input_scale or spec.preprocess, name="imagenet_preprocess")(inp)
    backbone = getattr(keras.applications, spec.app)(include_top=False, weights=weights,
                                                     input_tensor=x)
    feature_layer = backbone.layers[-1].name
    if arch == "ff_vgg19":
        embedding = ffvgg.fuse(backbone)
        feature_layer = ffvgg.taps[-1]
    else:
        embedding = layers.GlobalAveragePooling2D(name="embedding")(backbone.output)
    probs = _head(arch, embedding, n_classes, head, ffvgg)
    model = keras.Model(inp, probs, name=f"{arch}_{strategy}")
    _set_trainable(model, backbone, strategy, fine_tune_fraction)
    model.feature_layer = feature_layer
    model.arch, model.strategy = arch, strategy
    return model


def _head(arch: str, embedding, n_classes: int, head: HeadConfig, ffvgg: FFVGG19Config):
    """embedding -> [hidden layers] -> "logits" -> "probs": the layers every strategy trains."""
    if arch == "ff_vgg19":
        hidden = ffvgg.head(embedding)
    else:
        hidden = layers.Dropout(head.dropout, name="head_dropout")(embedding)
    logits = layers.Dense(n_classes, name="logits")(hidden)
    return layers.Softmax(name="probs", dtype="float32")(logits)  # float32 under mixed precision


def build_head(arch: str, embedding_dim: int, n_classes: int, head: HeadConfig = HeadConfig(),
               ffvgg: FFVGG19Config = FFVGG19Config()) -> keras.Model:
    """``embedding -> probs`` alone, with the layers (and names) of ``build_model``'s head: what
    off-the-shelf trains on cached features."""
    inp = keras.Input((embedding_dim,), name="embedding_in")
    return keras.Model(inp, _head(arch, inp, n_classes, head, ffvgg), name=f"{arch}_head")


# Keras applications set batch-norm momentum for long ImageNet runs (0.99; 0.999 in
# MobileNetV2). Trained from scratch for a few hundred steps, the moving statistics
# then still mostly hold their initial values (0.999**200 = 0.82), and inference-mode
# predictions collapse to one class although training accuracy rises. 0.9 forgets the
# initial values within ~50 steps; measured on COV_CT, MobileNetV2 scratch, 6 epochs.
SCRATCH_BN_MOMENTUM = 0.9


def _set_trainable(model, backbone, strategy: str, fine_tune_fraction: float) -> None:
    backbone_layers = [l for l in backbone.layers if l.weights]
    if not get_strategy(strategy).needs_weights:  # trained from random weights
        for layer in backbone.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = SCRATCH_BN_MOMENTUM
        return
    for layer in backbone.layers:
        layer.trainable = False
    if get_strategy(strategy).tune_fraction:  # fine-tuning: the top layers open, batch norm frozen
        n_open = max(1, int(round(len(backbone_layers) * fine_tune_fraction)))
        for layer in backbone_layers[-n_open:]:
            if not isinstance(layer, layers.BatchNormalization):
                layer.trainable = True


def embedding_model(model: keras.Model) -> keras.Model:
    """``image -> embedding``: the part that is frozen under ``off_the_shelf``."""
    return keras.Model(model.input, model.get_layer("embedding").output)


def head_model(model: keras.Model) -> keras.Model:
    """``embedding -> probs`` sharing the head layers (and weights) of ``model``."""
    emb = model.get_layer("embedding")
    names = [l.name for l in model.layers]
    x = inp = keras.Input(emb.output.shape[1:], name="embedding_in")
    for layer in model.layers[names.index("embedding") + 1:]:
        x = layer(x)
    return keras.Model(inp, x, name=f"{model.name}_head")


__all__ = ["ARCHITECTURES", "PAPER_NETWORKS", "STRATEGIES", "Arch", "HeadConfig", "build_model",
           "build_head", "embedding_model", "head_model", "WeightsUnavailable"]
