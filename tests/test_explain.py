"""Explanation methods on tiny mock models (as tf-keras-vis tests do): exact identities
between methods, agreement with tf-keras-vis, and the ROI / box / localisation measures."""
import keras
import numpy as np
import pytest

from medlib.explain import (METHODS, cam, class_average, crm_closed_form, crm_loop, crm_removal,
                            explain, gradcam, gradcam_plus_plus, scorecam, split_model)
from medlib.explain import metrics as em


def _tiny(kind: str, seed: int = 3):
    """16x16 inputs, 3 classes. kind: 'linear' (GAP -> Dense), 'mlp' (GAP -> Dense -> Dense),
    'fused' (FF-VGG19-like: two taps pooled, concatenated, dense head)."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((16, 16, 3))
    t1 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="t1")(inp)
    p1 = keras.layers.MaxPooling2D(name="pool1")(t1)
    t2 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="t2")(p1)
    if kind == "fused":
        g = [keras.layers.GlobalAveragePooling2D(name=f"gap_{t}")(x) for t, x in (("t1", t1), ("t2", t2))]
        x = keras.layers.Concatenate(name="embedding")(g)
        x = keras.layers.Dense(8, activation="relu", name="head_dense")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="embedding")(t2)
        x = keras.layers.Dropout(0.3, name="head_dropout")(x)
        if kind == "mlp":
            x = keras.layers.Dense(8, activation="tanh", name="head_dense")(x)
    logits = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, keras.layers.Softmax(name="probs")(logits))
    model.feature_layer = "t2"
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((4, 16, 16, 3)).astype("float32")


def test_split_linear_flag_and_logits(images):
    for kind, linear in (("linear", True), ("mlp", False), ("fused", False)):
        model = _tiny(kind)
        split = split_model(model)
        assert split.linear is linear
        fmap, ctx = split.forward(images)
        full = keras.Model(model.input, model.get_layer("logits").output)(images).numpy()
        np.testing.assert_allclose(split.logits(fmap, ctx).numpy(), full, rtol=1e-5, atol=1e-5)


def test_crm_closed_form_equals_brute_force_removal(images):
    split = split_model(_tiny("linear"))
    np.testing.assert_allclose(crm_closed_form(split, images), crm_loop(split, images),
                               rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("kind", ["mlp", "fused"])
@pytest.mark.parametrize("pooled", [True, False])
def test_batched_removal_equals_one_position_loop(images, kind, pooled):
    split = split_model(_tiny(kind))
    assert split.n_context == (1 if kind == "fused" else 0)
    assert split.pooled_head is not None  # GAP is the feature map's only consumer
    np.testing.assert_allclose(crm_removal(split, images, batch_positions=7, pooled=pooled),
                               crm_loop(split, images), rtol=1e-4, atol=1e-7)


def test_batched_removal_through_spatial_layers(images):
    """Cut before the pooling and the second conv: no pooled shortcut, whole masked maps."""
    split = split_model(_tiny("fused"), "t1")
    assert split.pooled_head is None and not split.linear
    np.testing.assert_allclose(crm_removal(split, images, batch_positions=50),
                               crm_loop(split, images), rtol=1e-4, atol=1e-6)


def test_cam_equals_gradcam_before_relu(images):
    # Kim et al.: on a GAP + dense head, alpha_k^c = w_k^c (ours averages, so / (u v))
    split = split_model(_tiny("linear"))
    c = np.array([0, 1, 2, 1])
    u, v = split.forward(images)[0].shape[1:3]
    np.testing.assert_allclose(cam(split, images, c) / (u * v), gradcam(split, images, c, relu=False),
                               rtol=1e-4, atol=1e-6)


def test_cam_refuses_nonlinear_head(images):
    with pytest.raises(ValueError, match="GAP"):
        cam(split_model(_tiny("mlp")), images, 0)


def test_gradcam_agrees_with_tf_keras_vis(images):
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.scores import CategoricalScore

    model = _tiny("mlp")
    c = [2, 0, 1, 2]
    # both on the score before softmax (tf-keras-vis's ReplaceToLinear cannot reach a
    # separate Softmax layer, so it gets the logits model directly)
    logits_model = keras.Model(model.input, model.get_layer("logits").output)
    theirs = Gradcam(logits_model, clone=False)(
        CategoricalScore(c), images, penultimate_layer="t2", expand_cam=False, normalize_cam=False)
    ours = gradcam(split_model(model), images, c)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_gives_normalised_input_size_maps(images, method):
    split = split_model(_tiny("linear"))
    maps = explain(split, method, images, [0, 1, 2, 0], batch_size=3)
    assert maps.shape == (4, 16, 16)
    assert maps.min() >= 0
    for m in maps:
        assert m.max() == pytest.approx(1.0) or m.max() == 0


def test_gradcam_pp_and_scorecam_non_negative_on_fused(images):
    split = split_model(_tiny("fused"))
    assert (gradcam_plus_plus(split, images, 1) >= 0).all()
    assert scorecam(split, images, 1, max_channels=3).shape == (4, 8, 8)


def test_roi_and_boxes_on_hand_made_maps():
    m = np.zeros((10, 10))
    m[2:4, 3:7] = 1.0      # 8 pixels at max
    m[6, 6] = 0.5          # above 20%, below 70%
    m[9, 9] = 0.1          # below 20%
    assert em.roi_size(m) == (9, 9.0)
    assert em.threshold_box(m) == (3, 2, 7, 4)
    assert em.threshold_box(m, 0.4) == (3, 2, 7, 7)
    assert em.pointing_game(m, (3, 2, 7, 4))
    assert not em.pointing_game(m, (0, 5, 10, 10))
    assert em.energy_in_box(m, (3, 2, 7, 4)) == pytest.approx(8 / 8.6)
    assert em.roi_iou(m, (3, 2, 7, 4)) == pytest.approx(8 / 9)
    assert em.roi_size(np.zeros((4, 4))) == (0, 0.0) and em.threshold_box(np.zeros((4, 4))) is None


def test_class_average_uses_only_correct_predictions():
    maps = np.stack([np.full((2, 2), v) for v in (1.0, 3.0, 5.0, 7.0)])
    avg = class_average(maps, y_true=[0, 0, 0, 1], y_pred=[0, 1, 0, 1], cls=0)
    np.testing.assert_allclose(avg, np.full((2, 2), 3.0))
    assert class_average(maps, [0, 0, 0, 1], [1, 1, 1, 0], cls=0) is None


def test_deletion_insertion_rewards_the_true_evidence():
    # a "model" whose class-0 probability is the mean of the top-left quadrant
    def predict(x):
        p = x[:, :4, :4, 0].mean((1, 2))
        return np.stack([p, 1 - p], 1)
    image = np.zeros((8, 8, 3), np.float32)
    image[:4, :4] = 1.0
    right = np.zeros((8, 8)); right[:4, :4] = 1
    wrong = 1 - right
    good, bad = (em.deletion_insertion(predict, image, h, 0, steps=8) for h in (right, wrong))
    assert good["deletion_auc"] < bad["deletion_auc"]
    assert good["insertion_auc"] > bad["insertion_auc"]
    assert good["deletion"][0] == pytest.approx(1.0) and good["deletion"][-1] == pytest.approx(0.0)


def test_measure_without_a_classifier_skips_only_deletion_insertion():
    """A classifier near its floor is not asked (predict=None): the box measures stay, deletion and
    insertion are NaN rather than numbers that would rank methods on a model that learned nothing."""
    from medlib.experiments import localisation as loc

    image = np.zeros((1, 8, 8, 3), np.uint8)
    heat = np.zeros((1, 8, 8)); heat[0, :4, :4] = 1
    box = np.array([[0, 0, 4, 4]])
    rows = loc.measure({"cam": heat}, image, [0], None, box, progress=False)
    assert rows[["deletion_auc", "insertion_auc"]].isna().all().all()
    assert rows.loc[0, "pointing"] == 1 and rows.loc[0, "energy_in_box"] == pytest.approx(1.0)
