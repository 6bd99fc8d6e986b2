"""Fuzzing the readers: random bytes, truncations and header corruptions of every supported
format give an ImageReadError naming the file, or a valid array; never another exception,
never a hang; and a dataset holding such files keeps every good image."""
import signal
import warnings

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from medlib.data import ImageReadError, read_image

FORMATS = (".png", ".jpg", ".tif", ".bmp", ".dcm")
CASES_PER_FORMAT = 48


def _valid(path, rng):
    if path.suffix == ".dcm":
        ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
        ds.save_as(path)
    else:
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(path)
    return path.read_bytes()


def _mutations(data: bytes, rng):
    """(name, bytes) variants of a valid file."""
    n = len(data)
    yield "random", rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    for _ in range(8):
        yield "truncated", data[: int(rng.integers(1, n))]
    for _ in range(12):  # header: the first 256 bytes (DICOM: preamble, meta and first tags)
        b = bytearray(data)
        for i in rng.integers(0, min(n, 256), int(rng.integers(1, 8))):
            b[i] = int(rng.integers(0, 256))
        yield "header", bytes(b)
    for _ in range(12):
        b = bytearray(data)
        for i in rng.integers(0, n, int(rng.integers(1, 32))):
            b[i] ^= 1 << int(rng.integers(0, 8))
        yield "bitflips", bytes(b)
    for _ in range(CASES_PER_FORMAT - 33):
        cut = int(rng.integers(1, n))
        yield "spliced", data[:cut] + rng.integers(0, 256, int(rng.integers(1, 512)), dtype=np.uint8).tobytes()


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


@pytest.mark.parametrize("suffix", FORMATS)
def test_fuzzed_files_raise_image_read_error_or_read(tmp_path, suffix):
    rng = np.random.default_rng(FORMATS.index(suffix))
    data = _valid(tmp_path / f"valid{suffix}", rng)
    outcomes = {"read": 0, "ImageReadError": 0}
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i, (kind, blob) in enumerate(_mutations(data, rng)):
            path = tmp_path / f"fuzz_{i:03d}_{kind}{suffix}"
            path.write_bytes(blob)
            signal.alarm(10)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    img = read_image(path)
            except ImageReadError as exc:
                assert str(path) in str(exc), f"{kind}: the error does not name the file"
                outcomes["ImageReadError"] += 1
            except _Hang:
                pytest.fail(f"{path.name}: no answer within 10 s")
            except Exception as exc:  # noqa: BLE001 - the point of the test
                pytest.fail(f"{path.name} ({kind}): {type(exc).__name__} escaped: {exc}")
            else:
                assert img.dtype == np.float32 and img.ndim == 3 and img.shape[-1] in (1, 3)
                assert np.isfinite(img).all() and 0 <= img.min() and img.max() <= 1
                outcomes["read"] += 1
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert outcomes["ImageReadError"] > 0 and sum(outcomes.values()) == CASES_PER_FORMAT


def test_a_dataset_with_fuzzed_files_keeps_every_good_image(tmp_path):
    from medlib.data import folder_dataset, load_dataset

    rng = np.random.default_rng(7)
    root = tmp_path / "mixed"
    good = 0
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(root / cls / f"ok{i}.png")
            good += 1
        for suffix in FORMATS:
            data = _valid(tmp_path / f"v{suffix}", rng)
            for j, (kind, blob) in enumerate(list(_mutations(data, rng))[:4]):
                (root / cls / f"bad{j}_{kind}{suffix}").write_bytes(blob)
    spec = folder_dataset(root, size=(32, 32), name="fuzz_mixed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(spec, cache=False, progress=False)
    names = set(ds.index["file"])
    assert {f"{c}/ok{i}.png" for c in "ab" for i in range(6)} <= names
    assert all(str(root) in p for p, _ in ds.skipped) and len(ds.skipped) + len(ds) == len(
        list(root.rglob("*.*")))
