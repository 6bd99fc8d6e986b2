"""Frozen-backbone features: computed once, keyed by what they depend on, augmented views seeded."""
import numpy as np
import pytest

from medlib.data import Augmentation, load_dataset
from medlib.features import Extractor, FeatureKey, augmented_view, feature_views, features, pixel_digest

pytestmark = pytest.mark.usefixtures("mirror")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_features_are_computed_once_and_keyed_by_pixels(cache, monkeypatch):
    ds = load_dataset("cells2", size=(75, 75), per_class=2, progress=False)
    ext = Extractor("mobilenetv2")
    calls = []
    real = Extractor.__call__
    monkeypatch.setattr(Extractor, "__call__", lambda self, x, **k: calls.append(len(x)) or real(self, x, **k))
    a = features("cells2", ds.images, ext)
    b = features("cells2", ds.images, ext)
    assert calls == [len(ds)] and np.array_equal(a, b) and a.shape == (len(ds), 1280)
    changed = ds.images.copy()
    changed[0, 0, 0, 0] ^= 1  # one pixel changes: a new entry, never a stale read
    features("cells2", changed, ext)
    assert calls == [len(ds), len(ds)]
    assert len(list((cache / "features" / "cells2").glob("*/view0.npy"))) == 2
    key = FeatureKey("cells2", (75, 75), "mobilenetv2", ext.weights(), "embedding", 0, pixel_digest(ds.images))
    assert key.path().exists() and "mobilenetv2_75x75" in key.path().parent.name


def test_augmented_views_are_seeded_and_differ_from_the_image(cache):
    ds = load_dataset("cov_ct", size=(75, 75), per_class=2, progress=False)
    aug = Augmentation(shift=0.1, noise_sigma=0.1)
    v1, v1_again, v2 = (augmented_view(ds.images, aug, v) for v in (1, 1, 2))
    assert np.array_equal(v1, v1_again) and not np.array_equal(v1, v2)
    assert not np.allclose(v1, ds.images / 255.0)
    views = feature_views("cov_ct", ds.images, Extractor("mobilenetv2"), 2, aug, progress=False)
    assert views.shape[:2] == (3, len(ds)) and not np.allclose(views[0], views[1])
    # no augmentation: one view only, whatever is asked
    assert feature_views("cov_ct", ds.images, Extractor("mobilenetv2"), 2, Augmentation(), progress=False).shape[0] == 1


def test_a_network_without_weights_is_refused(cache):
    from medlib.models import WeightsUnavailable

    with pytest.raises(WeightsUnavailable):
        features("cells2", np.zeros((1, 75, 75, 3), np.uint8), Extractor("vgg19"))
