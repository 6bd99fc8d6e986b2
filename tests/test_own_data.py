"""A researcher's own folder of classes: one call makes it a dataset, the index warns about what
it leaves out, and notebook 02 runs on it through papermill, without editing medlib."""
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medlib.data import build_index, folder_dataset, load_dataset

pytestmark = pytest.mark.usefixtures("mirror")


@pytest.fixture
def folder(tmp_path):
    """Real images (BreastMNIST, upsampled) saved as PNG in one folder per class, with groups."""
    with np.load(load_dataset.__globals__["config"].mirror_dir() / "medmnist" / "breastmnist.npz") as z:
        images, labels = z["train_images"], z["train_labels"].ravel()
    root = tmp_path / "my_breast_us"
    rows = []
    for cls, name in ((0, "malignant"), (1, "benign")):
        (root / name).mkdir(parents=True)
        for i, j in enumerate(np.flatnonzero(labels == cls)[:10]):
            Image.fromarray(images[j]).resize((64, 64)).save(root / name / f"img{i:02d}.png")
            rows.append({"file": f"{name}/img{i:02d}.png", "group": f"{name}-patient{i // 2}"})
    pd.DataFrame(rows).to_csv(root / "groups.csv", index=False)
    yield root


def test_one_call_makes_a_dataset(folder):
    spec = folder_dataset(folder, size=(80, 80))
    assert spec.key == "my_breast_us" and spec.classes == ("benign", "malignant")
    index = build_index(spec)
    assert len(index) == 20 and index["group"].str.contains("-patient").all()
    assert not index["file"].str.startswith("/").any()
    ds = load_dataset(spec, progress=False)
    assert ds.images.shape == (20, 80, 80, 3)


def test_what_the_index_leaves_out_is_named(folder):
    (folder / "empty_class").mkdir()
    with pytest.warns(UserWarning, match="'empty_class' hold no image"):
        spec = folder_dataset(folder, size=(80, 80), name="mine")
    (folder / "stray").mkdir()
    Image.new("L", (8, 8)).save(folder / "stray" / "x.png")
    with pytest.warns(UserWarning, match="'stray'.*match no class"):
        build_index(spec)
    with pytest.raises(ValueError, match="taken"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder_dataset(folder, name="cov_ct")


@pytest.mark.slow
def test_notebook_02_runs_on_a_folder_dataset(folder, tmp_path, monkeypatch):
    from conftest import execute_notebook

    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("MEDLIB_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("MEDLIB_PROGRESS", "text")
    nb = execute_notebook("02_transfer_vs_scratch.ipynb", tmp_path / "02_on_my_data.ipynb",
                          PROFILE="smoke", DATA=str(folder), DATA_SIZE=[80, 80])
    text = json.dumps(nb["cells"])
    assert "my_breast_us" in text
    assert "FF-VGG19 best or tied" not in text  # no paper verdict on a user's dataset
    runs = list((tmp_path / "results" / "smoke" / "runs" / "my_breast_us").rglob("fold*.json"))
    assert runs and all(json.loads(p.read_text()).get("majority") is not None
                        for p in runs if ".pred" not in p.name)
