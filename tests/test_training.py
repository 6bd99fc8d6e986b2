"""The training path on tiny mock models: batch-norm re-estimation, best weights, batches, probe."""
import keras
import numpy as np
import pytest

from medlib.data import Augmentation, make_augmenter
from medlib.experiments import training


def _bn_model():
    inp = keras.Input((4, 4, 2))
    x = keras.layers.BatchNormalization(momentum=0.99, name="bn")(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Softmax()(keras.layers.Dense(2)(x))
    return keras.Model(inp, out)


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("chunk", [32, 16, 64])  # uneven chunks (32 + 18, 16 x 3 + 2) pool exactly
def test_batchnorm_statistics_are_re_estimated_on_the_given_images(chunk, traced):
    model = _bn_model()
    images = np.random.default_rng(0).integers(0, 255, (50, 4, 4, 2)).astype(np.uint8)
    training.recompute_batchnorm(model, images, chunk=chunk, traced=traced)
    bn = model.get_layer("bn")
    x = images.astype(np.float32) / 255.0
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-3)
    assert bn.momentum == 0.99  # restored


def test_the_traced_pass_is_traced_once_and_serves_a_restored_model():
    """A process keeps one model per network and restores it per fold: the traced call is
    built once, and after a restore it reads the restored weights, not a copy."""
    model = _bn_model()
    images = np.random.default_rng(1).integers(0, 255, (40, 4, 4, 2)).astype(np.uint8)
    training.recompute_batchnorm(model, images, traced=True)
    fn = model._medlib_traced_training_call
    other = images[::-1][:20]
    training.recompute_batchnorm(model, other, traced=True)
    assert model._medlib_traced_training_call is fn
    np.testing.assert_allclose(model.get_layer("bn").moving_mean.numpy(),
                               (other.astype(np.float32) / 255.0).mean(axis=(0, 1, 2)), rtol=1e-5)


def test_early_stopping_restores_the_best_weights_and_records_the_curve():
    keras.utils.set_random_seed(1)  # the same initial weights whatever ran before
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    inp = keras.Input((8,))
    model = keras.Model(inp, keras.layers.Softmax()(keras.layers.Dense(2)(inp)))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    info = training.fit_head(model, x[:48], y[:48], x[48:], y[48:], epochs=60, patience=5, batch_size=16)
    losses = [h["val_loss"] for h in info["history"]]
    best = losses[info["best_epoch"] - 1]
    # the kept epoch is the lowest validation loss, up to the 1e-4 an improvement must exceed
    assert best <= min(losses) + 1e-4 and all(v > best - 1e-4 for v in losses)
    assert info["plateau"] == (len(losses) < 60)
    final = training.cross_entropy(y[48:], training.predict(model, x[48:]))
    assert final == pytest.approx(best, rel=1e-4)  # the kept weights are the best epoch's


def test_batches_are_seeded_shuffled_and_augmented():
    images = np.arange(10 * 4 * 4 * 3, dtype=np.uint8).reshape(10, 4, 4, 3)
    y = np.arange(10)
    aug = make_augmenter(Augmentation(noise_sigma=0.1), seed=3)
    a = training.Batches(images, y, 4, aug, seed=5)
    b = training.Batches(images, y, 4, make_augmenter(Augmentation(noise_sigma=0.1), seed=3), seed=5)
    xa, ya = a[0]
    xb, yb = b[0]
    assert len(a) == 3 and np.array_equal(ya, yb) and np.allclose(xa, xb)
    assert sorted(np.concatenate([a[i][1] for i in range(3)])) == list(range(10))
    assert 0 <= xa.min() and xa.max() <= 1


def test_batches_over_rows_of_a_float16_array_serve_only_those_rows_as_float32():
    x = np.arange(10 * 3, dtype=np.float16).reshape(10, 3)
    rows = np.array([1, 4, 5, 8])
    b = training.Batches(x, np.arange(10), 3, seed=0, index=rows)
    served = [b[i] for i in range(len(b))]
    assert len(b) == 2 and all(xb.dtype == np.float32 for xb, _ in served)
    assert sorted(np.concatenate([yb for _, yb in served])) == list(rows)
    for xb, yb in served:
        np.testing.assert_array_equal(xb, x[yb].astype(np.float32))  # features unscaled, labels aligned


def test_head_on_rows_of_one_array_learns_and_keeps_its_best_epoch():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 2, 2, 4)).astype(np.float16)
    y = (x[:, 0, 0, 0] > 0).astype(int)
    inp = keras.Input((2, 2, 4))
    out = keras.layers.Softmax()(keras.layers.Dense(2)(keras.layers.Flatten()(inp)))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train, val = np.arange(0, 80, 2), np.arange(1, 80, 2)  # interleaved rows: no contiguous slice
    info = training.fit_head_rows(model, x, y, train, val, epochs=40, patience=5, batch_size=8, seed=1)
    final = training.cross_entropy(y[val], training.predict(model, x[val]))
    assert final == pytest.approx(min(h["val_loss"] for h in info["history"]), rel=1e-4)
    assert (training.predict(model, x[val]).argmax(1) == y[val]).mean() >= 0.8  # chance: 0.5


def test_probe_picks_c_on_validation_and_refits():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 5))
    y = (x[:, 0] + 0.1 * rng.normal(size=120) > 0).astype(int)
    clf, info = training.fit_probe(x[:80], y[:80], x[80:100], y[80:100])
    assert info["probe_c"] in training.PROBE_C
    assert (clf.predict(x[100:]) == y[100:]).mean() > 0.8
    assert training._full_proba(clf, x[100:], 3).shape == (20, 3)  # a class absent from training: 0


def test_fixed_budget_keeps_the_last_epoch():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 255, (40, 4, 4, 2)).astype(np.uint8)
    y = (images[..., 0].mean(axis=(1, 2)) > 127).astype(int)
    model = _bn_model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    train, val = np.arange(30), np.arange(30, 40)
    info = training.fit_scratch(model, images, y, train, val, epochs=6, patience=None, batch_size=8,
                                progress=False)
    assert info["epochs_run"] == 6 and info["best_epoch"] == 6 and info["selection"] == "last"
    assert 1 <= info["val_loss_epoch"] <= 6 and not info["plateau"]
    final = training.cross_entropy(y[val], training.predict(model, images[val]))
    assert final == pytest.approx(info["history"][-1]["val_loss"], rel=1e-5)
