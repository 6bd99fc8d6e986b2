"""Model zoo: every network builds flat with named features/embedding/logits; strategies freeze right."""
import numpy as np
import pytest

from medlib.models import (ARCHITECTURES, PAPER_NETWORKS, FFVGG19Config, WeightsUnavailable,
                           available_weights, build_model, embedding_model, head_model)


@pytest.mark.parametrize("arch", PAPER_NETWORKS + ("resnet152",))
def test_scratch_builds_flat_for_any_size_and_classes(arch):
    size = max(75, ARCHITECTURES[arch].min_size)
    model = build_model(arch, (size, size + 10, 3), 5)
    assert model.output_shape == (None, 5)
    names = [l.name for l in model.layers]
    assert {"embedding", "logits", "probs", model.feature_layer} <= set(names)
    assert not any(hasattr(l, "layers") for l in model.layers), "nested model: not flat"
    x = np.random.default_rng(0).random((2, size, size + 10, 3)).astype("float32")
    np.testing.assert_allclose(head_model(model)(embedding_model(model)(x)), model(x), atol=1e-5)


def test_too_small_input_is_refused():
    with pytest.raises(ValueError, match="at least 71"):
        build_model("xception", (64, 64, 3), 2)


def test_a_scratch_network_can_take_another_input_scale_but_imagenet_weights_cannot():
    model = build_model("vgg19", (32, 32, 3), 2, input_scale="tf")
    pre = model.get_layer("imagenet_preprocess")
    assert pre.mode == "tf"
    x = np.full((1, 32, 32, 3), 0.75, "float32")
    np.testing.assert_allclose(pre(x), 0.5)  # [0, 1] -> [-1, 1], not caffe's +-128
    assert build_model("vgg19", (32, 32, 3), 2).get_layer("imagenet_preprocess").mode == "caffe"
    with pytest.raises(ValueError, match="expect 'tf' inputs, not 'caffe'"):
        build_model("xception", (75, 75, 3), 2, "off_the_shelf", input_scale="caffe")


def test_weights_offline_and_honest_refusal(mirror):
    have = available_weights()
    assert have["Xception"] and have["MobileNetV2"]
    with pytest.raises(WeightsUnavailable, match="VGG19"):
        build_model("vgg19", (80, 80, 3), 2, "off_the_shelf")


def test_off_the_shelf_trains_only_the_head(mirror):
    model = build_model("xception", (80, 80, 3), 3, "off_the_shelf")
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {"logits"}
    # the ImageNet weights are really loaded (not random): first conv filters match the file
    import h5py
    from medlib.models.weights import imagenet_weights
    with h5py.File(imagenet_weights("Xception")) as f:
        kernel = np.array(f["block1_conv1"]["block1_conv1"]["kernel"])
    np.testing.assert_allclose(model.get_layer("block1_conv1").kernel.numpy(), kernel, rtol=1e-3)


def test_fine_tune_opens_top_layers_but_not_batchnorm(mirror):
    model = build_model("mobilenetv2", (80, 80, 3), 2, "fine_tune", fine_tune_fraction=0.2)
    opened = [l for l in model.layers if l.trainable and l.weights and l.name not in ("logits",)]
    assert opened and all(l.__class__.__name__ != "BatchNormalization" for l in opened)
    assert not model.get_layer("Conv1").trainable


def test_ffvgg19_is_configurable():
    model = build_model("ff_vgg19", (80, 80, 3), 2, ffvgg=FFVGG19Config(taps=("block4_pool", "block5_pool"), head_units=64))
    assert model.get_layer("embedding").output.shape[-1] == 512 + 512
    assert model.get_layer("head_dense").units == 64
