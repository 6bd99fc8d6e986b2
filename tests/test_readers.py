"""Readers on real pydicom test files, every Pillow mode we meet, and every kind of bad file."""
import struct

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from medlib.data import ImageReadError, read_image
from medlib.data import readers


def test_rescaled_ct_uses_hounsfield_units():
    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert float(ds.RescaleIntercept) == -1024 and "WindowCenter" not in ds
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    img = read_image(path)
    assert img.shape == (128, 128, 1) and img.dtype == np.float32
    expected = (hu - hu.min()) / (hu.max() - hu.min())
    np.testing.assert_allclose(img[..., 0], expected, atol=1e-6)


def test_window_from_file_is_applied():
    path = get_testdata_file("MR_small.dcm")
    ds = pydicom.dcmread(path)
    img = read_image(path)[..., 0]
    c, w = float(ds.WindowCenter), float(ds.WindowWidth)
    raw = ds.pixel_array.astype(float)
    # brighter raw values stay brighter, and values above the window saturate at 1
    assert np.all(np.diff(img.ravel()[np.argsort(raw.ravel(), kind="stable")]) >= -1e-6)
    assert np.all(img[raw >= c + w / 2] == pytest.approx(1.0))


def test_monochrome1_is_inverted(tmp_path):
    # pydicom bundles no MONOCHROME1 file offline; derive one from MR_small.
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    mono2 = read_image(get_testdata_file("MR_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    out = tmp_path / "mono1.dcm"
    ds.save_as(out)
    np.testing.assert_allclose(read_image(out), 1.0 - mono2, atol=1e-6)


def test_rgb_dicom():
    img = read_image(get_testdata_file("SC_rgb_small_odd.dcm"))
    assert img.shape[-1] == 3 and 0 <= img.min() <= img.max() <= 1


@pytest.mark.parametrize("mode,suffix", [("L", ".png"), ("RGB", ".jpg"), ("RGBA", ".png"),
                                          ("P", ".png"), ("L", ".tif"), ("RGB", ".bmp"),
                                          ("I;16", ".png"), ("LA", ".png")])
def test_raster_modes(tmp_path, mode, suffix):
    rng = np.random.default_rng(0)
    if mode == "I;16":
        arr = rng.integers(0, 65535, (20, 30), dtype=np.uint16)
        im = Image.fromarray(arr)
    else:
        im = Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).convert(mode)
    path = tmp_path / f"img{suffix}"
    im.save(path)
    img = read_image(path)
    assert img.dtype == np.float32 and img.shape[:2] == (20, 30) and img.shape[2] in (1, 3)
    assert 0.0 <= img.min() and img.max() <= 1.0
    if mode == "I;16":  # values use the whole 16-bit range here
        np.testing.assert_allclose(img[..., 0], arr / 65535.0, atol=1e-6)


def test_rgba_composited_on_black(tmp_path):
    arr = np.zeros((4, 4, 4), np.uint8)
    arr[..., :3] = 200
    arr[:2, ..., 3] = 255  # top half opaque, bottom transparent
    Image.fromarray(arr, "RGBA").save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    assert img.shape == (4, 4, 3)
    assert img[0, 0, 0] == pytest.approx(200 / 255) and img[3, 3, 0] == 0


def _truncated(tmp_path, suffix):
    path = tmp_path / f"full{suffix}"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    bad = tmp_path / f"truncated{suffix}"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _file(name, data: bytes):
    def make(tmp_path):
        (tmp_path / name).write_bytes(data)
        return tmp_path / name
    return make


@pytest.mark.parametrize("make,reason", [
    (_file("empty.png", b""), "empty file"),
    (_file("notes.jpg", b"not an image"), "not an image"),
    (lambda t: _truncated(t, ".png"), "cannot decode"),
    (lambda t: _truncated(t, ".jpg"), "cannot decode"),
    (lambda t: t / "missing.png", "not found"),
    (lambda t: get_testdata_file("rtplan.dcm"), "no pixel data"),
    (lambda t: get_testdata_file("MR_truncated.dcm"), "cannot decode DICOM pixel data"),
    (_file("fake.dcm", b"\0" * 200), "not a readable DICOM"),
])
def test_bad_files_name_the_file(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(ImageReadError, match=reason) as info:
        read_image(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("top,divisor", [(4095, 4095.0), (200, 255.0), (1000, 1023.0)])
def test_16_bit_images_are_scaled_by_their_actual_range(tmp_path, top, divisor):
    """12-bit data (or 8-bit values in a 16-bit file) must not be divided by 65535 and turn black."""
    arr = np.linspace(0, top, 20 * 30).astype(np.uint16).reshape(20, 30)
    Image.fromarray(arr).save(tmp_path / "deep.png")
    img = read_image(tmp_path / "deep.png")[..., 0]
    np.testing.assert_allclose(img, arr / divisor, atol=1e-6)
    assert img.max() > 0.75  # not 200 / 65535 = 0.003: black


def test_a_decompression_bomb_names_the_file(tmp_path, monkeypatch):
    """A PNG whose header claims 60000 x 60000 pixels is refused before decoding."""
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(png)
    with pytest.raises(ImageReadError, match="bomb.png.*60000x60000") as info:
        read_image(path)
    assert "MEDLIB_MAX_PIXELS" in str(info.value)
    monkeypatch.setattr(readers, "MAX_PIXELS", 10**10)  # the limit is configurable; past it the
    with pytest.raises(ImageReadError, match="bomb.png"):  # broken stream still names the file
        read_image(path)


def test_palette_colour_dicom_is_read_through_its_lut():
    img = read_image(get_testdata_file("examples_palette.dcm"))
    assert img.shape == (800, 350, 3) or img.shape[-1] == 3
    assert 0 <= img.min() and img.max() <= 1 and img.std() > 0.05


def test_multiframe_dicom_policy(monkeypatch):
    path = get_testdata_file("rtdose.dcm")  # 15 frames
    with pytest.warns(UserWarning, match="15 frames.*frame 7"):
        middle = read_image(path)
    first = read_image(path, frame=0)
    assert middle.shape == first.shape and not np.array_equal(middle, first)
    monkeypatch.setattr(readers, "MULTIFRAME", "error")
    with pytest.raises(ImageReadError, match="rtdose.dcm.*multi-frame"):
        read_image(path)
    with pytest.raises(ImageReadError, match="frame 20 asked"):
        read_image(path, frame=20)


def test_dicom_without_preamble_is_read(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    reference = read_image(get_testdata_file("MR_small.dcm"))
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)  # the data set alone: no preamble, no "DICM", no file meta
    for name in ("bare.dcm", "bare_no_suffix"):
        out = tmp_path / name
        out.write_bytes(fp.getvalue())
        raw = out.read_bytes()
        assert raw[128:132] != b"DICM"
        np.testing.assert_allclose(read_image(out), reference, atol=1e-6)


def test_compressed_dicom_needs_its_decoder_and_says_how_to_get_it(monkeypatch):
    path = get_testdata_file("MR_small_jpeg_ls_lossless.dcm")
    try:
        img = read_image(path)  # the medlib[dicom] extra is installed: it decodes
        np.testing.assert_allclose(img, read_image(get_testdata_file("MR_small.dcm")), atol=1e-6)
    except ImageReadError as exc:
        assert "medlib[dicom]" in str(exc)
    import pydicom.dataset

    def no_plugin(self):
        raise RuntimeError("Unable to decompress 'JPEG-LS Lossless Image Compression' pixel data because "
                           "all plugins are missing")

    monkeypatch.setattr(pydicom.dataset.Dataset, "pixel_array", property(no_plugin))
    import types

    import pydicom.pixels

    # the extra is named only when no decoder for the syntax is installed ...
    monkeypatch.setattr(pydicom.pixels, "get_decoder", lambda uid: types.SimpleNamespace(is_available=False))
    with pytest.raises(ImageReadError, match=r"MR_small_jpeg_ls_lossless.dcm.*JPEG-LS.*medlib\[dicom\]"):
        read_image(path)
    # ... and when one is installed and fails, its own message comes through instead
    monkeypatch.setattr(pydicom.pixels, "get_decoder", lambda uid: types.SimpleNamespace(is_available=True))
    with pytest.raises(ImageReadError, match=r"JPEG-LS.*the decoder failed \(Unable to decompress") as err:
        read_image(path)
    assert "medlib[dicom]" not in str(err.value)
