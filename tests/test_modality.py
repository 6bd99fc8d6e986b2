"""The CRM paper's setting: the modality dataset is composed honestly, charts are reproducible,
and the CRM-shaped classifier's two paths (head on cached maps, full model on pixels) agree."""
import numpy as np
import pytest

from medlib.data import build_index, get_spec, load_dataset
from medlib.data.charts import render

pytestmark = pytest.mark.usefixtures("mirror")


def test_charts_are_a_function_of_their_number():
    a, b, c = render(3, seed=0), render(3, seed=0), render(4, seed=0)
    assert a.shape == (256, 256, 3) and np.array_equal(a, b) and not np.array_equal(a, c)


def test_modality_index_keeps_sources_and_their_groups(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path))
    spec = get_spec("modality")
    index = build_index("modality")
    assert set(index["label"]) == set(spec.classes)
    sources = index.groupby("label")["source"].unique().apply(set).to_dict()
    assert sources["CT"] == {"cov_ct", "mosmed_ct"} and sources["ultrasound"] == {"breastmnist"}
    assert sources["statistical graph"] == {"charts"}
    # groups carry their source, so a COV_CT patient id never merges with another source's
    assert index["group"].str.split(":").str[0].eq(index["source"]).all()
    ct = index[index["source"] == "cov_ct"]
    assert ct["group"].nunique() < len(ct)  # patients, not images


def test_every_modality_image_passes_through_28_pixels(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path))
    ds = load_dataset("modality", size=(56, 56), per_class=2, progress=False)
    from PIL import Image

    for img in ds.images:  # downsampled to 28 and back: nothing finer than 28x28 survives
        small = np.asarray(Image.fromarray(img).resize((28, 28), Image.Resampling.BILINEAR))
        again = np.asarray(Image.fromarray(small).resize((56, 56), Image.Resampling.BILINEAR))
        assert np.abs(again.astype(int) - img.astype(int)).mean() < 6


def test_head_on_cached_maps_equals_the_full_classifier(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path))
    from medlib.experiments.crm_classifier import build_crm_head, full_classifier
    from medlib.features import Extractor, features

    ds = load_dataset("cells2", size=(96, 96), per_class=2, progress=False)
    maps = features("cells2", ds.images, Extractor("mobilenetv2", "feature_map"))
    head = build_crm_head(maps.shape[1:], 3)
    full = full_classifier("mobilenetv2", ds.images.shape[1:], head)
    np.testing.assert_allclose(np.asarray(head(maps)), full.predict(ds.images / 255.0, verbose=0), atol=1e-4)
    assert full.feature_layer == "crm_conv"


def test_test_row_accuracy_floor_and_recall_per_class():
    from medlib.experiments.crm_classifier import held_out_row

    row = held_out_row("mobilenetv2", [0, 0, 0, 1, 2, 2], [0, 0, 1, 1, 2, 0], ["ct", "xray", "us"])
    assert row["accuracy"] == pytest.approx(100 * 4 / 6) and row["majority"] == pytest.approx(50.0)
    assert row["recall ct"] == pytest.approx(100 * 2 / 3) and row["recall xray"] == 100.0
    assert row["recall us"] == 50.0 and row["n_test"] == 6
    assert np.isnan(held_out_row("m", [0, 0], [0, 1], ["a", "b"])["recall b"])  # no test image of the class


def test_xception_cut_as_kim_cut_it_reads_the_middle_flows_last_sum(tmp_path, monkeypatch):
    """Kim's Figs 7-8 cut Xception after "add_11" (Keras 2's name for the middle flow's last sum):
    728 channels; the head on those cached maps equals the full classifier on pixels."""
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path))
    from medlib.experiments.crm_classifier import backbone, build_crm_head, full_classifier
    from medlib.features import features

    ds = load_dataset("cells2", size=(71, 71), per_class=1, progress=False)
    cut = backbone("xception_add11")
    assert cut.network == "xception" and backbone("mobilenetv2").output == "feature_map"
    maps = features("cells2", ds.images, cut.extractor())
    assert maps.shape[1:] == (5, 5, 728)  # 71 px: 35, 33, 17, 9, 5 (14x14 at 224 px)
    head = build_crm_head(maps.shape[1:], 3)
    full = full_classifier("xception_add11", ds.images.shape[1:], head)
    np.testing.assert_allclose(np.asarray(head(maps)), full.predict(ds.images / 255.0, verbose=0), atol=1e-4)
