import numpy as np
import pytest

from medlib.data import Augmentation, make_augmenter
from medlib.data.preprocess import crop, prepare, resize


def test_letterbox_keeps_aspect_on_black():
    img = np.full((100, 50, 3), 255, np.uint8)  # tall white image
    out = resize(img, (200, 266), letterbox=True)
    assert out.shape == (200, 266, 3)
    cols = np.where(out[100, :, 0] > 128)[0]
    assert len(cols) == pytest.approx(100, abs=2)  # 50 wide scaled by 2
    assert out[:, :50].max() == 0 and out[:, -50:].max() == 0


def test_plain_resize_and_grey_to_rgb():
    out = prepare(np.linspace(0, 1, 40 * 60, dtype=np.float32).reshape(40, 60, 1), (80, 80))
    assert out.shape == (80, 80, 3) and out.dtype == np.uint8
    assert (out[..., 0] == out[..., 2]).all()


def test_crop_box_clipped():
    img = np.arange(100, dtype=np.float32).reshape(10, 10, 1)
    assert crop(img, (2, 3, 5, 7)).shape == (4, 3, 1)
    assert crop(img, (-5, -5, 50, 50)).shape == (10, 10, 1)
    assert crop(img, (np.nan,) * 4).shape == (10, 10, 1)


def test_augmenter_identity_and_paper_chain():
    batch = np.random.default_rng(0).random((4, 32, 32, 3)).astype(np.float32)
    assert make_augmenter(Augmentation()) (batch) is batch
    aug = make_augmenter(Augmentation(rotation_deg=10, shift=0.1, noise_sigma=0.1), seed=1)
    out = aug(batch)
    assert out.shape == batch.shape and 0 <= out.min() and out.max() <= 1
    assert not np.allclose(out, batch)
    noise_only = make_augmenter(Augmentation(noise_sigma=0.1), seed=2)(np.full((8, 32, 32, 3), 0.5, np.float32))
    assert np.std(noise_only - 0.5) == pytest.approx(0.1, rel=0.1)
