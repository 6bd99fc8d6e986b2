"""Read any study image into one array form: float32, H x W x C, C in {1, 3}, in [0, 1].

* DICOM (pydicom): modality LUT (rescale slope/intercept), then the VOI LUT or
  window centre/width from the file (or the full range when it has none),
  MONOCHROME1 inverted so that higher always means brighter.
* PNG / JPEG / TIFF / BMP (Pillow): L, LA, P, RGB, RGBA, 16-bit (I;16) and
  32-bit (I, F) modes. Alpha is dropped after compositing on black; palettes
  are expanded; 16-bit values are divided by 65535.

Every failure raises :class:`ImageReadError` naming the file and the reason,
so an index build can report and skip a bad file without losing the rest.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

DICOM_SUFFIXES = {".dcm", ".dicom", ".ima"}


class ImageReadError(ValueError):
    """A file that is not a readable image; the message names the file."""

    def __init__(self, path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def is_dicom(path: Path) -> bool:
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def read_image(path) -> np.ndarray:
    """Read one image file; see the module docstring for the array form."""
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(path, "file not found")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    image = _read_dicom(path) if is_dicom(path) else _read_raster(path)
    if image.ndim == 2:
        image = image[..., None]
    if image.size == 0 or min(image.shape[:2]) < 1:
        raise ImageReadError(path, f"image has no pixels (shape {image.shape})")
    return np.ascontiguousarray(image, dtype=np.float32)


def _read_raster(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im.load()  # forces a full decode: truncated files fail here
            return _pil_to_float(im)
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image Pillow can identify") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(path, f"cannot decode image ({exc})") from None


def _pil_to_float(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(im, dtype=np.uint16).astype(np.float32) / 65535.0
    if mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        hi = 65535.0 if arr.max() > 255 else 255.0
        return np.clip(arr / hi, 0, 1).astype(np.float32)
    if mode == "F":
        return _minmax(np.asarray(im, dtype=np.float32))
    if mode == "1":
        return np.asarray(im, dtype=np.float32)
    if mode in ("L",):
        return np.asarray(im, dtype=np.float32) / 255.0
    if mode == "LA":
        arr = np.asarray(im, dtype=np.float32) / 255.0
        return arr[..., :1] * arr[..., 1:2]
    if mode == "P":
        im = im.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    arr = np.asarray(im, dtype=np.float32) / 255.0
    if arr.shape[-1] == 4:  # composite on black, drop alpha
        arr = arr[..., :3] * arr[..., 3:4]
    return arr


def _read_dicom(path: Path) -> np.ndarray:
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, EOFError, ValueError) as exc:
        raise ImageReadError(path, f"not a readable DICOM file ({exc})") from None
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        raise ImageReadError(path, "DICOM file has no pixel data")
    try:
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for broken pixel data
        raise ImageReadError(path, f"cannot decode DICOM pixel data ({exc})") from None
    if getattr(ds, "NumberOfFrames", 1) and int(getattr(ds, "NumberOfFrames", 1)) > 1:
        arr = arr[int(ds.NumberOfFrames) // 2]  # middle frame of a multi-frame file
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    if photometric.startswith("MONOCHROME"):
        values = apply_modality_lut(arr, ds).astype(np.float64)
        has_voi = "VOILUTSequence" in ds or "WindowCenter" in ds
        if has_voi:
            values = apply_voi_lut(values, ds, index=0).astype(np.float64)
        values = _minmax(values) if not has_voi else _window_to_unit(values, ds)
        if photometric == "MONOCHROME1":
            values = 1.0 - values
        return values.astype(np.float32)
    if photometric != "RGB":
        from pydicom.pixels import convert_color_space

        arr = convert_color_space(arr, photometric, "RGB")
    bits = int(getattr(ds, "BitsStored", 8))
    return (arr.astype(np.float32) / float(2**bits - 1)).clip(0, 1)


def _window_to_unit(values: np.ndarray, ds) -> np.ndarray:
    """Scale the output of apply_voi_lut to [0, 1].

    A VOI LUT sequence maps into [0, 2**LUTbits - 1]; a window maps into the
    range of the stored values. In both cases the observed extremes after
    windowing are the window's ends unless the image does not reach them, so
    scale by the range the VOI transform can produce.
    """
    if "VOILUTSequence" in ds:
        lut = ds.VOILUTSequence[0]
        bits = int(lut.LUTDescriptor[2])
        return np.clip(values / float(2**bits - 1), 0, 1)
    bits = int(getattr(ds, "BitsStored", 16))
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:  # pydicom does the same
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        lo, hi = lo * slope + intercept, hi * slope + intercept
    return np.clip((values - lo) / float(hi - lo), 0, 1)


def _minmax(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    if hi <= lo:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)
