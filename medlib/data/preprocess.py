"""Preprocessing of s2.2: crop, grey -> RGB, resize or letterbox, to uint8.

The networks take 3-channel images; grey images are repeated over the three
channels. ``letterbox`` keeps the aspect ratio and centres the image on a black
canvas (COV_X: 266x200); otherwise the image is resized to the target size, as
the paper's "rescaled to" says.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image


def crop(image: np.ndarray, box) -> np.ndarray:
    """Crop ``(x0, y0, x1, y1)`` (pixels, clipped to the image); NaN box = no crop."""
    if box is None or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in box):
        return image
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = max(0, min(x0, w - 1)), max(1, min(x1, w))
    y0, y1 = max(0, min(y0, h - 1)), max(1, min(y1, h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"empty crop box {box} for an image of {w}x{h}")
    return image[y0:y1, x0:x1]


def to_uint8_rgb(image: np.ndarray) -> np.ndarray:
    """float [0, 1] H x W x {1, 3} -> uint8 H x W x 3."""
    arr = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return arr


def resize(image: np.ndarray, size: tuple[int, int], letterbox: bool = False) -> np.ndarray:
    """Resize uint8 H x W x 3 to ``size`` = (height, width), optionally letterboxed."""
    th, tw = size
    pil = Image.fromarray(image)
    if not letterbox:
        return np.asarray(pil.resize((tw, th), Image.Resampling.BILINEAR, reducing_gap=None))
    h, w = image.shape[:2]
    scale = min(th / h, tw / w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    canvas = Image.new("RGB", (tw, th))
    canvas.paste(pil.resize((nw, nh), Image.Resampling.BILINEAR), ((tw - nw) // 2, (th - nh) // 2))
    return np.asarray(canvas)


def prepare(image: np.ndarray, size: tuple[int, int], letterbox: bool = False, box=None,
            via: int | None = None) -> np.ndarray:
    """Full s2.2 chain for one image read by :func:`medlib.data.readers.read_image`;
    ``via``: pass through ``via`` x ``via`` first (one effective resolution for all sources)."""
    out = to_uint8_rgb(crop(image, box))
    if via:
        out = resize(out, (via, via))
    return resize(out, size, letterbox)


def harmonise_ct(images: np.ndarray, size: tuple[int, int], threshold: float = 0.08,
                 percentiles: tuple[float, float] = (1.0, 99.0)) -> np.ndarray:
    """Make CT slices from different sources comparable (notebook 03's cross-device task).

    For each uint8 N x H x W x 3 image: crop to the bounding box of pixels above
    ``threshold`` of its maximum (the body, dropping the black corners of a round
    field of view), stretch the grey levels between the given percentiles of the
    cropped image to 0..255 (undoing different display windows), then resize.
    """
    out = np.empty((len(images), *size, 3), np.uint8)
    for i, img in enumerate(images):
        grey = img.mean(-1)
        ys, xs = np.nonzero(grey > threshold * max(grey.max(), 1))
        if len(ys):
            grey = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        lo, hi = np.percentile(grey, percentiles)
        stretched = np.clip((grey - lo) / max(hi - lo, 1e-6), 0, 1)
        out[i] = resize(to_uint8_rgb(stretched), size)
    return out
