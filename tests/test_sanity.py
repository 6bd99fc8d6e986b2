"""Sanity checks (Adebayo et al. 2018) on tiny mock models: block order, re-initialisation
in place and restored, similarity measures, and the pass/fail rule on constructed rows."""
import keras
import numpy as np
import pandas as pd
import pytest

from medlib import diagnose, report, stats
from medlib.explain import sanity
from medlib.explain import split_model


def _tiny(seed: int = 3):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1_conv")(inp)
    x = keras.layers.BatchNormalization(name="block1_bn")(x)
    x = keras.layers.ReLU(name="block1_relu")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="top_conv")(x)
    x = keras.layers.GlobalAveragePooling2D(name="embedding")(x)
    logits = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, keras.layers.Softmax(name="probs")(logits))
    model.feature_layer = "top_conv"
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((3, 16, 16, 3)).astype("float32")


def test_block_names_group_keras_applications_layers():
    assert sanity.block_of("block_16_project_BN") == "block_16"
    assert sanity.block_of("block14_sepconv2_bn") == "block14"
    assert sanity.block_of("Conv_1_bn") == "Conv_1" == sanity.block_of("Conv_1")
    assert sanity.block_of("bn_Conv1") == "Conv1"
    assert sanity.block_of("logits") == "logits"


def test_weight_blocks_run_from_the_logits_down():
    model = _tiny()
    assert sanity.weight_blocks(model) == [("logits", ["logits"]), ("top_conv", ["top_conv"]),
                                           ("block1", ["block1_bn", "block1_conv"])]
    steps = sanity.cascade_steps(model, n_top=1)
    assert [b for b, _ in steps] == ["logits", "rest"]
    assert sanity.decisive_step(model, "top_conv", sanity.weight_blocks(model)) == 1


def test_randomise_changes_only_the_named_layers_like_a_fresh_layer():
    model = _tiny()
    bn = model.get_layer("block1_bn")
    bn.set_weights([w + 0.5 for w in bn.get_weights()])  # as if trained
    before = {l.name: [w.copy() for w in l.get_weights()] for l in model.layers}
    sanity.randomise(model, ["top_conv", "block1_bn"], seed=5)
    for name, weights in before.items():
        now = model.get_layer(name).get_weights()
        changed = any(not np.array_equal(a, b) for a, b in zip(weights, now))
        assert changed == (name in ("top_conv", "block1_bn")), name
    gamma, beta, mean, var = model.get_layer("block1_bn").get_weights()
    assert np.all(gamma == 1) and np.all(beta == 0) and np.all(mean == 0) and np.all(var == 1)
    assert np.all(model.get_layer("top_conv").get_weights()[1] == 0)  # fresh bias
    again = _tiny()
    sanity.randomise(again, ["top_conv"], seed=5)  # seeded: the same draw
    np.testing.assert_array_equal(again.get_layer("top_conv").get_weights()[0],
                                  model.get_layer("top_conv").get_weights()[0])


def test_similarity_identity_inverse_and_constant():
    a = np.random.default_rng(1).random((12, 12))
    rho, ssim = sanity.similarity(a, a)
    assert rho == pytest.approx(1) and ssim == pytest.approx(1)
    assert sanity.similarity(a, 1 - a)[0] == pytest.approx(-1)
    assert sanity.similarity(a, np.zeros_like(a))[0] == 0.0


def test_cascading_restores_the_model_and_decorrelates_maps(images):
    model = _tiny()
    trained = [w.copy() for w in model.get_weights()]
    steps = sanity.weight_blocks(model)
    rows = sanity.cascading(model, "top_conv", ["cam", "gradcam", "crm"], images, [0, 1, 2], steps, seed=1)
    for a, b in zip(trained, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert set(rows["test"]) == {"cascading", "independent"}
    assert len(rows) == 2 * len(steps) * 3 * len(images)
    assert rows.loc[rows["decisive"], "step"].unique().tolist() == [2]
    last = rows[(rows["test"] == "cascading") & (rows["step"] == len(steps))]
    assert last["spearman"].abs().mean() < 0.9  # a fully random model's maps are other maps
    same = sanity.compare_models(model, model, "top_conv", ["gradcam"], images, [0, 1, 2])
    assert np.allclose(same["spearman"], 1) and np.allclose(same["ssim"], 1)


def test_summarise_gives_an_interval_per_measure():
    rows = pd.DataFrame({"model": "m", "method": "crm", "test": "labels", "step": 1, "block": "all",
                         "decisive": True, "image": range(20),
                         "spearman": np.linspace(0, 0.2, 20), "ssim": np.linspace(0.1, 0.3, 20)})
    s = sanity.summarise(rows)
    assert set(s["measure"]) == {"spearman", "ssim"}
    r = s[s["measure"] == "spearman"].iloc[0]
    assert r["mean"] == pytest.approx(0.1) and r["ci_low"] <= r["mean"] <= r["ci_high"] and r["n_images"] == 20


def _summary(mean, low, high, test="cascading", method="crm"):
    return {"model": "m", "method": method, "test": test, "step": 2, "block": "b", "decisive": True,
            "measure": "spearman", "mean": mean, "ci_low": low, "ci_high": high, "n_images": 30}


def test_sanity_rule_passes_fails_and_is_inconclusive():
    s = pd.DataFrame([_summary(0.05, -0.02, 0.12, method="gradcam"),
                      _summary(0.70, 0.62, 0.78, method="crm"),
                      _summary(0.30, 0.22, 0.38, method="cam"),
                      _summary(0.10, 0.05, 0.15, test="labels", method="gradcam"),
                      _summary(0.10, 0.05, 0.15, test="labels", method="crm"),
                      {**_summary(0.9, 0.8, 0.95, method="gradcam"), "decisive": False}])
    v = report.sanity_verdicts(s).set_index(["method", "test"])["verdict"]
    assert v[("gradcam", "cascading")] == "passes" and v[("crm", "cascading")] == "fails"
    assert v[("cam", "cascading")] == "inconclusive"
    overall = report.sanity_overall(report.sanity_verdicts(s)).set_index("method")["verdict"]
    assert overall["gradcam"] == "passes" and overall["crm"] == "fails" and overall["cam"] == "inconclusive"


def test_faithfulness_rows_and_baselines_on_a_tiny_model(images):
    from medlib.experiments import explain_checks as ec

    model = _tiny()
    x = (images * 255).astype(np.uint8)
    rows, reference = ec.sanity(model, "tiny", x, [0, 1, 2], n_top=1, methods=("gradcam", "crm"))
    assert set(rows["block"]) == {"logits", "rest"} and set(rows["model"]) == {"tiny"}
    base = ec.baseline_maps(x, seed=0)
    assert base["sobel"].shape == base["random"].shape == (3, 16, 16)
    assert base["sobel"].max() == pytest.approx(1.0) and base["sobel"].min() >= 0
    faith = ec.faithfulness(lambda b: model.predict(b, verbose=0), x, [0, 1, 2], {**reference, **base}, steps=4)
    assert len(faith) == 4 * 3 and faith[["deletion_auc", "insertion_auc"]].notna().all().all()
    summary = ec.faithfulness_summary(faith)
    assert set(summary["measure"]) == {"deletion_auc", "insertion_auc"}
    assert (summary.groupby("measure")["standing"].apply(lambda s: (s == "best").sum()) == 1).all()


def test_pick_is_stratified_and_seeded():
    from medlib.experiments import explain_checks as ec

    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    chosen = ec.pick(y, np.arange(9), 2, seed=1)
    assert np.bincount(y[chosen]).tolist() == [2, 2, 2]
    assert np.array_equal(chosen, ec.pick(y, np.arange(9), 2, seed=1))


def test_rank_methods_ties_within_noise_and_separates_clear_gaps():
    rng = np.random.default_rng(0)
    n = 40
    base = rng.random(n)
    rows = pd.concat([pd.DataFrame({"image": range(n), "method": m, "score": base + shift + rng.normal(0, 0.01, n)})
                      for m, shift in (("a", 0.5), ("b", 0.499), ("c", 0.0))])
    r = stats.rank_methods(rows, "score").set_index("method")
    assert r.loc["a", "standing"] == "best" or r.loc["b", "standing"] == "best"
    assert {r.loc["a", "standing"], r.loc["b", "standing"]} == {"best", "tied"}
    assert r.loc["c", "standing"] == "worse" and r.loc["c", "gap_to_best"] == pytest.approx(0.5, abs=0.01)
    low = stats.rank_methods(rows, "score", higher_is_better=False).set_index("method")
    assert low.loc["c", "standing"] == "best"


def test_learned_margin_rule():
    assert diagnose.learned(69.8, 59.7) and not diagnose.learned(69.6, 59.7)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probe_written_into_keras_gives_the_probe_probabilities(n_classes):
    from medlib.experiments.smear_classifier import as_keras
    from medlib.experiments.training import fit_probe
    from medlib.features import Extractor

    rng = np.random.default_rng(0)
    x = (rng.random((24, 40, 40, 3)) * 255).astype(np.uint8)
    y = np.arange(24) % n_classes
    emb = Extractor("mobilenetv2", "embedding")(x.astype(np.float32) / 255)
    clf, _ = fit_probe(emb[:16], y[:16], emb[16:], y[16:])
    model = as_keras(clf, "mobilenetv2", x.shape[1:], n_classes)
    np.testing.assert_allclose(model.predict(x.astype(np.float32) / 255, verbose=0), clf.predict_proba(emb),
                               rtol=1e-3, atol=1e-4)
    assert split_model(model).linear  # CAM defined, CRM closed form
