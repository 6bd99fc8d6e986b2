"""Read any study image into one array form: float32, H x W x C, C in {1, 3}, in [0, 1].

* DICOM (pydicom): modality LUT (rescale slope/intercept), then the VOI LUT or
  window centre/width from the file (or the full range when it has none),
  MONOCHROME1 inverted so that higher always means brighter; PALETTE COLOR
  through its lookup table, YBR converted to RGB. A file without the 128-byte
  preamble (a bare data set) is read when pydicom can parse it. Compressed
  transfer syntaxes (JPEG lossless, JPEG-LS, JPEG 2000, ...) need decoder
  plugins: ``pip install 'medlib[dicom]'`` (pylibjpeg with its libjpeg and
  openjpeg plugins, pyjpegls); without them the error says so.
* Multi-frame DICOM (:data:`MULTIFRAME`): a study image is one frame, so the
  middle frame is read, with a warning naming the file and its frame count;
  ``frame=`` picks another, ``MULTIFRAME = "error"`` refuses such files.
* PNG / JPEG / TIFF / BMP (Pillow): L, LA, P, RGB, RGBA, 16-bit (I;16) and
  32-bit (I, F) modes. Alpha is dropped after compositing on black; palettes
  are expanded. 16-bit and 32-bit integer images are scaled by their actual
  range: divided by 2**b - 1 for the smallest bit depth b that holds the image's
  largest value, so 12-bit data (max 4095) is not divided by 65535 and left
  black, and 8-bit data stored as 16-bit keeps its grey levels.
* Size: an image whose header declares more than :data:`MAX_PIXELS` pixels
  (``MEDLIB_MAX_PIXELS``, default 200 million) is refused before decoding.

Every failure raises :class:`ImageReadError` naming the file and the reason, so
an index build reports and skips a bad file without losing the rest; nothing
else escapes :func:`read_image` (``tests/test_readers.py`` fuzzes it).
"""
from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

DICOM_SUFFIXES = {".dcm", ".dicom", ".ima"}
MAX_PIXELS = int(os.environ.get("MEDLIB_MAX_PIXELS", 200_000_000))
MULTIFRAME = "middle"  # or "error"
DICOM_EXTRA = "pip install 'medlib[dicom]' (pylibjpeg, pylibjpeg-libjpeg, pylibjpeg-openjpeg, pyjpegls)"


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


def read_image(path, frame: int | None = None, window="file") -> np.ndarray:
    """Read one image file; see the module docstring for the array form and policies.
    ``window`` (DICOM only): ``"file"`` (the file's VOI LUT or window, else the full range),
    ``None`` (the full range of the modality values, ignoring the file's window) or
    ``(center, width)`` in modality units (Hounsfield units for CT): values below
    ``center - width/2`` read 0, above ``center + width/2`` read 1."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ImageReadError(path, "file not found")
        if path.stat().st_size == 0:
            raise ImageReadError(path, "empty file (0 bytes)")
        image = _read_dicom(path, frame, window) if is_dicom(path) else _read_raster(path)
        if image.ndim == 2:
            image = image[..., None]
        if image.ndim != 3 or image.size == 0 or min(image.shape[:2]) < 1:
            raise ImageReadError(path, f"image has no pixels (shape {image.shape})")
        if image.shape[-1] not in (1, 3):
            raise ImageReadError(path, f"{image.shape[-1]} channels (expected 1 or 3)")
        image = np.ascontiguousarray(image, dtype=np.float32)
        if not np.isfinite(image).all():
            raise ImageReadError(path, "pixel values that are not finite numbers")
        return image
    except ImageReadError:
        raise
    except MemoryError:
        raise ImageReadError(path, "too large to decode in memory") from None
    except Exception as exc:  # anything a decoder throws on a hostile file names the file
        raise ImageReadError(path, f"cannot read ({type(exc).__name__}: {exc})") from None


def _check_size(path: Path, width: int, height: int, frames: int = 1) -> None:
    if width * height * max(frames, 1) > MAX_PIXELS:
        raise ImageReadError(path, f"declares {width}x{height}" + (f"x{frames}" if frames > 1 else "")
                             + f" pixels, more than the limit of {MAX_PIXELS:,} (MEDLIB_MAX_PIXELS)")


def _read_raster(path: Path) -> np.ndarray:
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our limit (MAX_PIXELS) replaces Pillow's, checked on the header
    try:
        with Image.open(path) as im:
            _check_size(path, *im.size)
            im.load()  # forces a full decode: truncated files fail here
            return _pil_to_float(im)
    except UnidentifiedImageError:
        return _read_dicom_without_preamble(path, "file")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(path, f"too many pixels to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(path, f"cannot decode image ({exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _integer_range(arr: np.ndarray) -> np.ndarray:
    """Integer image -> [0, 1] by the smallest bit depth (>= 8) that holds its maximum."""
    arr = arr.astype(np.float64)
    top = max(float(arr.max()), 1.0)
    bits = max(8, int(np.ceil(np.log2(top + 1))))
    return np.clip(arr / (2.0 ** bits - 1), 0, 1).astype(np.float32)


def _pil_to_float(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return _integer_range(np.asarray(im))
    if mode == "F":
        return _minmax(np.asarray(im, dtype=np.float32))
    if mode == "1":
        return np.asarray(im, dtype=np.float32)
    if mode in ("L",):
        return np.asarray(im, dtype=np.float32) / 255.0
    if mode == "LA":
        arr = np.asarray(im, dtype=np.float32) / 255.0
        return arr[..., :1] * arr[..., 1:2]
    if mode in ("P", "PA"):
        im = im.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    arr = np.asarray(im, dtype=np.float32) / 255.0
    if arr.shape[-1] == 4:  # composite on black, drop alpha
        arr = arr[..., :3] * arr[..., 3:4]
    return arr


def _parse_dicom(path: Path, force: bool = False):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, force=force)
    except (InvalidDicomError, OSError, EOFError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise ImageReadError(path, f"not a readable DICOM file ({exc})") from None
    return ds


def _read_dicom_without_preamble(path: Path, window="file") -> np.ndarray:
    """A file Pillow cannot identify may be a bare DICOM data set (no preamble, no "DICM")."""
    try:
        ds = _parse_dicom(path, force=True)
    except ImageReadError:
        ds = None
    if ds is None or "PixelData" not in ds or "Rows" not in ds:
        raise ImageReadError(path, "not an image Pillow can identify, nor a DICOM data set")
    return _dicom_pixels(path, ds, None, window)


def _read_dicom(path: Path, frame: int | None, window="file") -> np.ndarray:
    try:
        ds = _parse_dicom(path)
    except ImageReadError as first:
        try:  # no preamble: read it if pydicom can parse a data set with pixels
            ds = _parse_dicom(path, force=True)
        except ImageReadError:
            raise first from None
        if "PixelData" not in ds and "FloatPixelData" not in ds:
            raise first from None
    return _dicom_pixels(path, ds, frame, window)


def _ensure_transfer_syntax(ds) -> None:
    """A bare data set has no file meta: take the encoding pydicom detected while reading."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return
    implicit, little = getattr(ds, "original_encoding", (True, True))
    uid = ImplicitVRLittleEndian if implicit else (ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    ds.file_meta = meta if meta is not None else FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid


def _dicom_pixels(path: Path, ds, frame: int | None, window="file") -> np.ndarray:
    from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut

    if "PixelData" not in ds and "FloatPixelData" not in ds:
        raise ImageReadError(path, "DICOM file has no pixel data")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    _check_size(path, int(ds.get("Columns", 0) or 0), int(ds.get("Rows", 0) or 0), frames)
    _ensure_transfer_syntax(ds)
    try:
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for broken or undecodable pixel data
        raise ImageReadError(path, _decode_failure(ds, exc)) from None
    if frames > 1:
        if MULTIFRAME == "error" and frame is None:
            raise ImageReadError(path, f"multi-frame DICOM ({frames} frames); pass frame=")
        pick = frames // 2 if frame is None else frame
        if not 0 <= pick < frames:
            raise ImageReadError(path, f"frame {pick} asked, the file has {frames}")
        if frame is None:
            warnings.warn(f"{path}: multi-frame DICOM ({frames} frames); reading frame {pick} "
                          f"(the middle one)", stacklevel=3)
        arr = arr[pick]
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric.startswith("MONOCHROME"):
        values = apply_modality_lut(arr, ds).astype(np.float64)
        if window != "file":  # the study's own window (center, width), or the full range (None)
            values = _minmax(values) if window is None else _linear_window(values, *window)
            return (1.0 - values if photometric == "MONOCHROME1" else values).astype(np.float32)
        has_voi = "VOILUTSequence" in ds or "WindowCenter" in ds
        if has_voi:
            values = apply_voi_lut(values, ds, index=0).astype(np.float64)
        values = _minmax(values) if not has_voi else _window_to_unit(values, ds)
        if photometric == "MONOCHROME1":
            values = 1.0 - values
        return values.astype(np.float32)
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)
        return _integer_range(rgb)
    if photometric != "RGB" and not photometric.startswith("YBR"):  # pydicom returns YBR as RGB
        raise ImageReadError(path, f"photometric interpretation {photometric!r} is not supported")
    bits = int(ds.get("BitsStored", 8) or 8)
    return (arr.astype(np.float32) / float(2 ** bits - 1)).clip(0, 1)


def _decode_failure(ds, exc: Exception) -> str:
    """Why the pixel data could not be decoded: a missing decoder (with the extra to install)
    only when no decoder for the file's transfer syntax is available; else the decoder's own
    message, so a corrupt compressed file is not reported as a missing plugin."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()] or [type(exc).__name__]
    msg = " ".join(lines[:4])  # pydicom lists each plugin's own error on the lines after the first
    meta = getattr(ds, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if uid is None or not uid.is_compressed:
        return f"cannot decode DICOM pixel data ({msg})"
    try:
        from pydicom.pixels import get_decoder

        available = get_decoder(uid).is_available
    except Exception:  # no decoder pydicom knows for this syntax at all
        available = False
    if not available:
        return (f"cannot decode DICOM pixel data compressed as {uid.name!r}: no decoder for it is "
                f"installed; {DICOM_EXTRA}")
    return f"cannot decode DICOM pixel data compressed as {uid.name!r}: the decoder failed ({msg})"


def _linear_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Modality values through a linear window: ``center - width/2`` -> 0, ``center + width/2`` -> 1."""
    if width <= 0:
        raise ValueError(f"window width must be positive, got {width}")
    return np.clip((values - (center - width / 2.0)) / float(width), 0, 1)


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
