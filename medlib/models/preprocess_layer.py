"""ImageNet input normalisation as a weight-free layer, so it lives inside the model.

Images enter every model in [0, 1]; this layer maps them to what each
architecture's ImageNet weights were trained on (keras.applications modes):
``caffe`` (RGB->BGR, minus the ImageNet mean on a 0-255 scale: VGG, ResNet),
``tf`` (to [-1, 1]: Xception, Inception, MobileNet, NASNet), ``torch``
(ImageNet mean/std: DenseNet). Having no weights, it does not disturb loading
ImageNet weight files by layer order. ``unit`` leaves images in [0, 1] (what Keras's
``ImageDataGenerator(rescale=1/255)`` feeds a network without ImageNet weights): an input scale
for a network trained from scratch, never for ImageNet weights.
"""
from __future__ import annotations

import keras
from keras import ops

MODES = ("caffe", "tf", "torch", "unit")
_MEAN_BGR = (103.939, 116.779, 123.68)
_MEAN_RGB = (0.485, 0.456, 0.406)
_STD_RGB = (0.229, 0.224, 0.225)


@keras.saving.register_keras_serializable(package="medlib")
class ImagenetPreprocess(keras.layers.Layer):
    def __init__(self, mode: str, **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"unknown preprocessing mode {mode!r}")
        self.mode = mode

    def call(self, x):
        if self.mode == "unit":
            return x
        if self.mode == "tf":
            return x * 2.0 - 1.0
        if self.mode == "torch":
            return (x - ops.array(_MEAN_RGB, x.dtype)) / ops.array(_STD_RGB, x.dtype)
        return ops.flip(x, axis=-1) * 255.0 - ops.array(_MEAN_BGR, x.dtype)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
