"""Where ImageNet weights come from, and an honest 'not available' when they can't.

Order: (1) Keras's own ``weights="imagenet"`` download, only when allowed
(``MEDLIB_ALLOW_WEIGHT_DOWNLOAD=1`` or ``allow_download=True``: machines with
internet); (2) a no-top weights file in the mirror's ``weights/`` folder;
(3) Keras's cache (``~/.keras/models``) holding the official no-top file.
Otherwise :class:`WeightsUnavailable`: the caller reports the strategy as not
run, never trains it from random weights under the off-the-shelf name.
"""
from __future__ import annotations

import os
from pathlib import Path

from .. import config

# Offline files in the data mirror (see ../shared/data/weights/README.md for fidelity notes).
MIRROR_FILES = {
    "Xception": "xception_imagenet_notop_fp16.h5",
    "MobileNetV2": "mobilenet_v2_imagenet_notop_from_coral_int8.h5",
}
# Official Keras file names, as left in ~/.keras/models by a download.
KERAS_CACHE_FILES = {
    "VGG19": "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "Xception": "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "ResNet50": "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "ResNet152": "resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "InceptionV3": "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "DenseNet121": "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "NASNetMobile": "NASNet-mobile-no-top.h5",
    "MobileNetV2": "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
}


class WeightsUnavailable(RuntimeError):
    """No ImageNet weights can be had for this architecture on this machine."""


def imagenet_weights(app: str, allow_download: bool | None = None) -> str:
    if allow_download is None:
        allow_download = os.environ.get("MEDLIB_ALLOW_WEIGHT_DOWNLOAD") == "1"
    if allow_download:
        return "imagenet"
    mirror = config.mirror_dir()
    if mirror and app in MIRROR_FILES and (mirror / "weights" / MIRROR_FILES[app]).exists():
        return str(mirror / "weights" / MIRROR_FILES[app])
    cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / KERAS_CACHE_FILES.get(app, "-")
    if cached.exists():
        return str(cached)
    # no machine path in the message: it ends up in committed result tables
    raise WeightsUnavailable(
        f"no ImageNet weights for {app} on this machine (no internet download allowed, none in "
        f"the data mirror's weights/ folder or the Keras cache): off-the-shelf and fine-tune are "
        f"not run for it")


def available_weights() -> dict[str, bool]:
    out = {}
    for app in KERAS_CACHE_FILES:
        try:
            imagenet_weights(app)
            out[app] = True
        except WeightsUnavailable:
            out[app] = False
    return out
