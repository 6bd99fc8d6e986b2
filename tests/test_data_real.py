"""The index adapters on the real mirror: exact counts, groups, splits, crops, caching."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medlib.data import build_index, get_spec, load_dataset
from medlib.data.adapters import severity
from medlib.data.inventory import inventory

pytestmark = pytest.mark.usefixtures("mirror")


def counts(df):
    return df["label"].value_counts().to_dict()


def test_covid_ct_counts_groups_and_official_split():
    df = build_index("cov_ct")
    assert counts(df) == {"non-covid": 397, "covid-19": 349}  # paper Table 1
    assert pd.crosstab(df.label, df.split).to_dict() == {
        "test": {"covid-19": 98, "non-covid": 105},
        "train": {"covid-19": 191, "non-covid": 234},
        "val": {"covid-19": 60, "non-covid": 58}}
    assert not df.group.str.contains("unknown").any()  # every image has a patient id from Meta/
    assert df.group.nunique() < len(df)  # several slices per patient
    assert df.groupby("group").label.nunique().max() == 1


def test_mosmed_counts_per_severity():
    df = build_index("mosmed_ct")
    assert df.path.map(severity).value_counts().to_dict() == {
        "CT-1": 684, "CT-0": 254, "CT-2": 125, "CT-3": 45, "CT-4": 2}
    assert counts(df) == {"covid-19": 856, "non-covid": 254}


def test_covid_chestxray_binary_task_with_patients():
    df = build_index("covid_chestxray")
    assert counts(df) == {"covid-19": 451, "non-covid": 119}
    assert df.group.nunique() == 311
    # 9 patients have images under both labels (findings change over time): grouping by
    # patient keeps them on one side of every split.
    assert (df.groupby("group").label.nunique() > 1).sum() == 9
    assert len(df.attrs["missing"]) > 0  # listed in metadata.csv, absent from the mirror


def test_cells2_crops_from_bccd():
    df = build_index("cells2")
    assert counts(df) == {"eosinophil": 84, "lymphocyte": 33, "monocyte": 20}
    reasons = dict(df.attrs["skipped"])
    assert reasons == {"BloodImage_00096": "no image or annotation file",
                       "BloodImage_00116": "no image or annotation file",
                       "BloodImage_00133": "no WBC box", "BloodImage_00135": "no WBC box",
                       "BloodImage_00228": "no WBC box"}
    assert (df.x1 > df.x0).all() and (df.y1 > df.y0).all()
    ds = load_dataset("cells2", per_class=2, progress=False)
    assert ds.images.shape == (6, 100, 100, 3) and ds.images.dtype == np.uint8


@pytest.mark.parametrize("key,split_sizes", [
    ("pneumoniamnist", {"train": 4708, "val": 524, "test": 624}),
    ("breastmnist", {"train": 546, "val": 78, "test": 156})])
def test_medmnist_official_splits(key, split_sizes):
    df = build_index(key)
    assert df.split.value_counts().to_dict() == split_sizes
    ds = load_dataset(key, per_class=3, split="test", progress=False)
    assert ds.images.shape == (6, 80, 80, 3)


def test_inventory_marks_every_missing_dataset_with_reason():
    inv = inventory().set_index("dataset")
    assert inv.loc["cov_ct", "n here"] == 746
    assert inv.loc["ham10000", "status"] == "missing: registration required"
    assert inv.loc["pet_ct", "status"] == "missing: private"


def test_letterbox_on_real_xray():
    ds = load_dataset("covid_chestxray", per_class=2, progress=False)
    assert ds.images.shape[1:] == (200, 266, 3)
    assert get_spec("covid_chestxray").letterbox


def test_cache_means_no_second_decode(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path))
    first = load_dataset("cov_ct", per_class=3, progress=False)
    import medlib.data.dataset as dataset_module

    def boom(*a, **k):
        raise AssertionError("decoded again despite the cache")
    monkeypatch.setattr(dataset_module, "read_row", boom)
    second = load_dataset("cov_ct", per_class=3, progress=False)
    np.testing.assert_array_equal(first.images, second.images)
    pd.testing.assert_frame_equal(first.index, second.index, check_dtype=False)


def test_bad_files_are_reported_and_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "mine"
    for cls in ("benign", "malignant"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((10, 12), 40 * i, np.uint8)).save(root / cls / f"{i}.png")
    (root / "benign" / "zero.png").write_bytes(b"")
    (root / "malignant" / "text.png").write_text("hello")
    with pytest.warns(UserWarning, match="zero.png"):
        df = build_index("lidc_idri", root=root, validate=True)
    assert len(df) == 6 and {p.split("/")[-1] for p, _ in df.attrs["unreadable"]} == {"zero.png", "text.png"}
    with pytest.warns(UserWarning):
        ds = load_dataset("lidc_idri", index=build_index("lidc_idri", root=root), progress=False)
    assert len(ds) == 6 and len(ds.skipped) == 2
