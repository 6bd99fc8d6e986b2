"""A researcher's CT export as PACS tools write it: ``<class>/<patient>/<slice>.dcm`` (16-bit,
RescaleIntercept -1024, a window in the file) with the junk such folders carry. Built from
real COVID-CT slices of the mirror; patients never span a split, with or without PatientID."""
import json
import warnings

import numpy as np
import pytest
from PIL import Image

from medlib.data import build_index, folder_dataset, load_dataset, own, read_image
from medlib.experiments.splits import fold_indices, make_splits

pytestmark = pytest.mark.usefixtures("mirror")


def _write_ct(path, pixels_hu, patient_id=None, window=(-600, 1500)):
    """A 16-bit CT slice: stored = HU + 1024, RescaleIntercept -1024, the given window."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "CT"
    if patient_id:
        ds.PatientID = patient_id
    ds.Rows, ds.Columns = pixels_hu.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = (pixels_hu + 1024).astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _slices(n):
    """Real CT slices (COVID-CT PNGs) as HU-like arrays in [-1000, 400]."""
    from medlib import config

    root = config.mirror_dir() / "covid-ct"
    files = sorted((root / "CT_COVID").glob("*.png"))[:n // 2] + sorted((root / "CT_NonCOVID").glob("*.png"))[:n - n // 2]
    return [np.asarray(Image.open(f).convert("L").resize((64, 64)), np.float64) / 255 * 1400 - 1000 for f in files]


@pytest.fixture(params=["with PatientID", "without PatientID"])
def export(tmp_path, request):
    root = tmp_path / f"ct_export_{request.param.split()[0]}"
    slices = _slices(24)
    for p in range(8):  # 8 patients, 3 slices each, 4 patients a class
        cls = "covid" if p < 4 else "normal"
        for s in range(3):
            _write_ct(root / cls / f"P{p:03d}" / f"IM{s:04d}.dcm", slices[3 * p + s],
                      f"ANON{p:03d}" if request.param == "with PatientID" else None)
    (root / "covid" / ".DS_Store").write_bytes(b"\0\1junk")
    (root / "normal" / "Thumbs.db").write_bytes(b"junk")
    (root / "README.txt").write_text("export of 2026-11-30")
    (root / "covid" / "P000" / "IM9999.dcm").write_bytes(open(root / "covid" / "P000" / "IM0000.dcm", "rb").read()[:300])
    yield root


def test_patients_never_span_a_split(export):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = folder_dataset(export, size=(64, 64))
        index = build_index(spec, validate=True)
    assert set(index["group_rule"]) == {"folder below the class"}
    assert index["group"].nunique() == 8
    ds = load_dataset(spec, progress=False)
    splits = make_splits(ds, 4, 1)
    for fold in range(4):
        train, val, test = fold_indices(splits, fold, 1, 0.15)
        patients = ds.index["group"].to_numpy()
        assert not set(patients[test]) & set(patients[np.r_[train, val]])


def test_patient_id_groups_a_flat_export(tmp_path):
    slices = _slices(12)
    root = tmp_path / "flat_ct"
    for p in range(4):
        cls = "covid" if p < 2 else "normal"
        for s in range(3):
            _write_ct(root / cls / f"P{p}_IM{s}.dcm", slices[3 * p + s], f"ANON{p}")
    spec = folder_dataset(root, size=(64, 64))
    index = build_index(spec)
    assert set(index["group_rule"]) == {"DICOM PatientID"} and index["group"].nunique() == 4


def test_describe_names_rule_groups_and_every_left_out_file(export):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = folder_dataset(export, size=(64, 64))
        mine = own.describe(spec)
    assert mine["rule"] == "folder below the class" and mine["readable"] == 24
    assert mine["classes"].loc["covid", "groups"] == 4 and mine["classes"].loc["normal", "images"] == 12
    left = dict(zip(mine["left_out"]["file"], mine["left_out"]["reason"]))
    assert set(left) == {"covid/.DS_Store", "normal/Thumbs.db", "README.txt", "covid/P000/IM9999.dcm"}
    assert "not an image file" in left["README.txt"]
    assert "Hounsfield" not in mine["intensity"] and "window" in mine["intensity"]
    assert not mine["warning"]


def test_the_warning_when_names_suggest_patients(tmp_path):
    root = tmp_path / "named"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for p in range(3):
            for s in range(2):
                Image.new("L", (8, 8), 40 * s).save(root / cls / f"patient{p}_slice{s}.png")
    spec = folder_dataset(root, size=(32, 32))
    mine = own.describe(spec)
    assert mine["rule"] == "each image" and "groups.csv" in mine["warning"]


def test_window_from_the_file_and_its_override(tmp_path):
    hu = np.full((8, 8), -1000.0)
    hu[:, 4:] = 400.0
    path = tmp_path / "slice.dcm"
    _write_ct(path, hu, "A", window=(-600, 1500))
    lung = read_image(path)[..., 0]
    assert lung[0, 0] == pytest.approx((-1000 + 1350) / 1500, abs=0.01)  # -1000 HU in a lung window
    assert lung[0, 7] == pytest.approx(1.0)  # 400 HU > -600 + 750
    soft = read_image(path, window=(40, 400))[..., 0]  # a soft-tissue window instead
    assert soft[0, 0] == 0.0 and soft[0, 7] == 1.0
    full = read_image(path, window=None)[..., 0]
    assert full[0, 0] == 0.0 and full[0, 7] == 1.0
    with pytest.raises(ValueError, match="width must be positive"):
        folder_dataset(tmp_path, window=(40, 0))
    with pytest.raises(ValueError, match="center, width"):
        folder_dataset(tmp_path, window="lung")


def test_a_corrupt_compressed_dicom_reports_its_decoder_error(tmp_path):
    """The decoder is installed and runs, and fails: its own message, no 'install the extra'."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.encaps import encapsulate, generate_frames
    from pydicom.pixels import get_decoder

    from medlib.data import ImageReadError

    src = get_testdata_file("JPEG2000.dcm")
    ds = pydicom.dcmread(src)
    if not get_decoder(ds.file_meta.TransferSyntaxUID).is_available:
        pytest.skip("no JPEG 2000 decoder installed (the dicom extra)")
    frame = bytes(next(generate_frames(ds.PixelData, number_of_frames=1)))
    ds.PixelData = encapsulate([frame[:20] + b"\x00\x13" * ((len(frame) - 20) // 2)], fragments_per_frame=1)
    bad = tmp_path / "corrupt.dcm"
    ds.save_as(bad)
    with pytest.raises(ImageReadError) as err:
        read_image(bad)
    assert "the decoder failed" in err.value.reason and "JPEG 2000" in err.value.reason
    assert "pip install" not in err.value.reason and "not installed" not in err.value.reason


def test_notebook_01_leads_with_the_users_export(export, tmp_path, monkeypatch):
    from conftest import execute_notebook

    monkeypatch.setenv("MEDLIB_FIGURES_DIR", str(tmp_path / "figures"))
    nb = execute_notebook("01_data_prep.ipynb", tmp_path / "01_on_my_export.ipynb",
                          PROFILE="smoke", DATA=str(export), DATA_SIZE=[64, 64])
    outputs = [json.dumps(c.get("outputs", [])) for c in nb["cells"] if c["cell_type"] == "code"]
    text = " ".join(outputs)
    first = next(i for i, o in enumerate(outputs) if "grouping rule" in o)
    inventory = next(i for i, o in enumerate(outputs) if "paper name" in o or "cov_ct" in o)
    assert first < inventory  # the user's data comes before the paper's inventory
    assert "grouping rule: folder below the class" in text and "24 readable images" in text
    for name in ("covid/.DS_Store", "normal/Thumbs.db", "README.txt", "covid/P000/IM9999.dcm"):
        assert name in text
    assert "window" in text
