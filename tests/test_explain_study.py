"""Notebook 05's loops, moved into medlib.experiments.explain_study, on hand-made inputs."""
from types import SimpleNamespace

import numpy as np
import pandas as pd

from medlib.experiments import explain_study as study


def _ds(targets, classes=("ct", "xray", "us")):
    targets = np.asarray(targets)
    images = np.arange(len(targets))[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    spec = SimpleNamespace(classes=classes, n_classes=len(classes))
    return SimpleNamespace(images=images, targets=targets, spec=spec)


def test_examples_takes_per_class_test_images_in_class_order():
    ds = _ds([0, 1, 2, 0, 1, 2, 0, 1])
    test = np.array([1, 2, 3, 4, 6, 7])  # predictions below are for these
    pred = np.array([1, 2, 0, 1, 0, 1])
    mod = study.Modality(ds, {"net": (None, test, pred)}, pd.DataFrame())
    maps = {"crm": np.arange(len(test))[:, None, None] * np.ones((1, 2, 2))}
    images, shown, titles = study.examples(mod, "net", maps, per_class=2)
    # predicted ct: test positions 2, 4; xray: 0, 3 (then 5); us: 1
    assert titles == ["ct", "ct", "xray", "xray", "us"]
    assert list(images[:, 0, 0, 0]) == [3, 6, 1, 4, 2]
    assert list(shown["crm"][:, 0, 0]) == [2, 4, 0, 3, 1]


def test_table3_is_one_networks_roi_share_per_method_and_class():
    roi = pd.DataFrame({"network": ["a", "a", "a", "b"], "class": ["ct", "us", "ct", "ct"],
                        "method": ["cam", "cam", "crm", "cam"], "roi_pixels": [1, 2, 3, 4],
                        "roi_ratio": [10.0, 20.0, 5.0, 99.0]})
    m = study.ModalityMaps({}, pd.DataFrame(), roi, pd.DataFrame(), [])
    t = m.table3("a")
    assert t.loc["cam", "ct"] == 10.0 and t.loc["cam", "us"] == 20.0 and t.loc["crm", "ct"] == 5.0
    assert set(m.tables) == {"modality_roi", "modality_roi_images", "modality_scores"}


def test_smear_examples_titles_true_and_predicted_with_their_boxes():
    ds = _ds([0, 1, 1, 0, 2, 2], classes=("eos", "lym", "neu"))
    smears = study.Smears(ds, None, "mobilenetv2", {"learned": True}, np.array([0, 1, 0, 0, 2, 1]))
    idx = np.array([1, 3, 4, 5])
    boxes = np.arange(24, dtype=float).reshape(6, 4)
    maps = {"cam": np.arange(4)[:, None, None] * np.ones((1, 2, 2)), "crm": np.zeros((4, 2, 2))}
    shown = study.SmearMaps(idx, boxes, pd.DataFrame(), maps, pd.DataFrame(), None, "", "")
    images, m, titles, b = study.smear_examples(smears, shown, ["cam"])
    assert titles == ["true eos\npred eos", "true lym\npred lym", "true neu\npred neu", "true neu\npred lym"]
    assert list(images[:, 0, 0, 0]) == [3, 1, 4, 5] and list(m) == ["cam"]
    assert list(m["cam"][:, 0, 0]) == [1, 0, 2, 3] and np.array_equal(b, boxes[[3, 1, 4, 5]])
    assert smears.learned
