"""How much of a network's feature maps carries anything (notebook 04).

The paper reads feature-map grids by eye ("at least half of the extracted features
were not of medical importance"). Counting makes the reading checkable, and it
tells a collapsed network from a working one:

* a *silent* channel is zero (after its ReLU) everywhere on an image;
* a *dead* channel is silent on every image shown to it (here: the held-out test
  images). A layer whose channels are all dead passes nothing on: every layer
  after it sees constants, its maps are uniformly black on every image, and the
  network's output no longer depends on the input. That is what the previous
  quick profile's FF-VGG19 showed from block3 to block5_conv1: a collapsed
  network, not "abstract features".
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def activation_layers(model, n: int = 6) -> list[str]:
    """``n`` layers spread from the first to the last whose outputs are post-ReLU feature maps:
    ReLU layers (networks with batch norm) or convolutions with a ReLU activation (VGG)."""
    import keras

    picked = []
    for layer in model.layers:
        shape = getattr(layer.output, "shape", ())
        if len(shape) != 4:
            continue
        relu_conv = isinstance(layer, keras.layers.Conv2D) and getattr(layer.activation, "__name__", "") == "relu"
        if relu_conv or isinstance(layer, keras.layers.ReLU):
            picked.append(layer.name)
    if not picked:
        picked = [l.name for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    idx = np.unique(np.linspace(0, len(picked) - 1, n).round().astype(int))
    return [picked[i] for i in idx]


def channel_activity(model, layers: list[str], images: np.ndarray, batch_size: int = 16) -> pd.DataFrame:
    """Per layer: channels, share silent on the first image, share dead on all ``images``
    (uint8), and the mean share of active positions."""
    import keras

    probe = keras.Model(model.input, [model.get_layer(n).output for n in layers])
    ever = None
    first_silent, area, count = None, np.zeros(len(layers)), 0
    for s in range(0, len(images), batch_size):
        outs = probe(images[s:s + batch_size].astype(np.float32) / 255.0, training=False)
        outs = [keras.ops.convert_to_numpy(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]
        active = [o.max(axis=(1, 2)) > 0 for o in outs]  # N x C per layer
        if ever is None:
            ever = [a.any(0) for a in active]
            first_silent = [100 * float((~a[0]).mean()) for a in active]
        else:
            ever = [e | a.any(0) for e, a in zip(ever, active)]
        area += [float((o > 0).mean()) * len(o) for o in outs]
        count += len(outs[0])
    return pd.DataFrame({"layer": layers, "channels": [len(e) for e in ever],
                         "silent_on_image_%": first_silent,
                         "dead_on_all_images_%": [100 * float((~e).mean()) for e in ever],
                         "mean_active_area_%": 100 * area / count})
