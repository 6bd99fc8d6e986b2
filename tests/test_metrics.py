import numpy as np
import pytest

from medlib.metrics import bootstrap_ci, classification_metrics, paired_test


def test_binary_metrics_by_hand():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    p1 = np.array([.9, .8, .3, .2, .1, .6, .4, .7])
    m = classification_metrics(y, np.c_[1 - p1, p1])
    # predictions: 1 1 0 0 0 1 0 1 -> TP 3, FN 1, TN 3, FP 1
    assert m["accuracy"] == pytest.approx(75)
    assert m["sensitivity"] == pytest.approx(75) and m["specificity"] == pytest.approx(75)
    assert m["f1"] == pytest.approx(75)
    assert m["auc"] == pytest.approx(100 * 14 / 16)
    assert m["mcc"] == pytest.approx(0.5)


def test_positive_class_can_be_zero():
    y = np.array([0, 0, 1, 1])
    proba = np.array([[.9, .1], [.2, .8], [.3, .7], [.1, .9]])
    m = classification_metrics(y, proba, positive=0)
    assert m["sensitivity"] == pytest.approx(50) and m["specificity"] == pytest.approx(100)


def test_multiclass_macro():
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.eye(3)[[0, 1, 2, 0, 2, 1]] * 0.8 + 0.2 / 3
    m = classification_metrics(y, proba)
    assert m["accuracy"] == pytest.approx(100 * 4 / 6)
    assert m["sensitivity"] == pytest.approx(100 * (1 + .5 + .5) / 3)
    assert 0 <= m["auc"] <= 100


def test_bootstrap_brackets_point_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.6 + rng.random(200) * 0.5, 0, 1)
    lo, hi = bootstrap_ci(y, np.c_[1 - p, p], n_boot=200)
    acc = classification_metrics(y, np.c_[1 - p, p])["accuracy"]
    assert lo <= acc <= hi and hi - lo < 20


def test_paired_test():
    out = paired_test([50, 60, 55, 52], [70, 75, 72, 71])
    assert out["mean_diff"] == pytest.approx(17.75) and out["t_p"] < 0.01
    with pytest.raises(ValueError):
        paired_test([1], [2])


def test_best_threshold_accuracy_is_the_oracle_bound():
    from medlib.metrics import best_threshold_accuracy

    y = [0, 0, 0, 1, 1, 1, 1, 1]
    assert best_threshold_accuracy(y, [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.95]) == 100.0
    assert best_threshold_accuracy(y, [0.5] * 8) == 62.5  # one score: all positive at best
    assert best_threshold_accuracy([1, 0, 1, 0], [0.9, 0.8, 0.2, 0.1]) == 75.0
