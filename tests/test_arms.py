"""Three arms (off-the-shelf, from scratch, fine-tuned) compared pairwise on shared folds, and
what each planned pair can detect before it runs (power before hours)."""
import numpy as np
import pandas as pd
import pytest

from medlib import report, stats
from medlib.profiles import get_profile


def _arm(strategy, accs, dataset="cov_ct", network="xception", majority=53.3):
    return [{"dataset": dataset, "network": network, "strategy": strategy, "head": "dense", "fold": f,
             "status": "ok", "accuracy": a, "majority": majority, "diagnosis": "", "n_test": 75, "n_train": 570,
             "n_val": 101, "input_size": "112x112", "config_hash": f"h-{dataset}-{network}-{strategy}"}
            for f, a in enumerate(accs)]


def _three(ots, scratch, tuned, **kw):
    return pd.DataFrame(_arm("off_the_shelf", ots, **kw) + _arm("scratch", scratch, **kw)
                        + _arm("fine_tune", tuned, **kw))


def test_a_later_arm_is_set_against_the_earlier_ones():
    assert report.arm_pairs(["fine_tune", "scratch", "off_the_shelf"]) == [
        ("off_the_shelf", "scratch"), ("off_the_shelf", "fine_tune"), ("scratch", "fine_tune")]
    assert report.arm_pairs(["scratch"]) == []


def test_each_pair_of_arms_is_decided_per_unit_by_the_claims_rule():
    df = _three([70, 72, 71, 69, 73], [60, 75, 58, 77, 66], [85, 88, 86, 84, 89])
    t = report.arm_comparisons(df).set_index("comparison")
    assert list(t.index) == ["from scratch - off-the-shelf", "fine-tuned - off-the-shelf",
                             "fine-tuned - from scratch"]
    tuned = t.loc["fine-tuned - off-the-shelf"]
    assert tuned["estimate"] == pytest.approx(86.4 - 71.0) and tuned["verdict"] == "fine-tuned better (by more than 2)"
    assert t.loc["from scratch - off-the-shelf", "verdict"] == "inconclusive"  # folds disagree
    worse = report.arm_comparisons(_three([85, 88, 86, 84, 89], [60, 61, 59, 62, 60], [85, 88, 86, 84, 89]))
    assert worse.set_index("comparison").loc["from scratch - off-the-shelf", "verdict"] == "off-the-shelf better (by more than 2)"
    assert np.isfinite(tuned["detectable"]) and tuned["detectable"] > 0


def test_a_unit_with_fewer_than_three_shared_folds_is_not_tested():
    df = _three([70, 72], [60, 75], [85, 88])
    assert report.arm_comparisons(df)["verdict"].str.startswith("not tested").all()


def test_the_detectable_difference_matches_a_hand_computation():
    # sd 10, 5 folds, test/train 0.1: se = 10 sqrt(0.2 + 0.1); (t_.975 + t_.8 on 4 df) x se
    assert stats.detectable_difference(10.0, 5, 0.1) == pytest.approx((2.7764 + 0.9410) * 10 * np.sqrt(0.3), rel=1e-3)
    assert np.isnan(stats.detectable_difference(10.0, 1, 0.1))


def test_a_planned_arm_without_folds_is_powered_from_another_pair_on_the_same_unit():
    df = pd.DataFrame(_arm("off_the_shelf", [70, 72, 71, 69, 73]) + _arm("scratch", [60, 75, 58, 77, 66]))
    design = report.arm_design(df, get_profile("extended"))
    cov_x = design[(design["dataset"] == "cov_ct") & (design["network"] == "xception")].set_index("comparison")
    observed = cov_x.loc["from scratch - off-the-shelf"]
    assert observed["basis"] == "observed" and observed["folds"] == 5
    tuned = cov_x.loc["fine-tuned - from scratch"]
    assert tuned["basis"] == "as from scratch - off-the-shelf (seeds a fold: from scratch 1, off-the-shelf 1)"
    assert tuned["detectable"] == pytest.approx(observed["detectable"])  # same folds and spread
    # networks without offline ImageNet weights are not planned against an arm that needs them
    assert not design["network"].isin(["vgg19", "resnet50"]).any()
    assert design.loc[design["dataset"] == "mosmed_ct", "basis"].str.startswith("not estimated").all()


@pytest.mark.parametrize("low,high,verdict", [
    (3.0, 5.0, "fine-tuned better (by more than 2)"),
    (0.5, 4.0, "fine-tuned better (not shown by more than 2)"),
    (0.2, 0.8, "fine-tuned better (not shown by more than 2); equivalent within +-2"),
    (-10.25, -9.55, "off-the-shelf better (by more than 2)"),
    (-0.85, -0.35, "off-the-shelf better (not shown by more than 2); equivalent within +-2"),
    (-1.0, 1.0, "equivalent (within +-2)"),
    (-5.0, 5.0, "inconclusive"),
    (float("nan"), 1.0, "inconclusive (no interval: the folds do not spread, or no split sizes)"),
])
def test_the_arms_verdict_words_are_symmetric_and_say_a_tie(low, high, verdict):
    assert report._arm_verdict(low, high, "off_the_shelf", "fine_tune") == verdict


def test_the_design_takes_the_widest_stand_in_and_never_a_flat_or_invalid_unit():
    assert np.isnan(stats.detectable_difference(0.0, 5, 0.1))
    df = _three([70, 72, 71, 69, 73], [60, 75, 58, 77, 66], [71, 73, 72, 70, 74])  # fine-tune - ots: SD 0
    design = report.arm_design(df, get_profile("extended"))
    cov_x = design[(design["dataset"] == "cov_ct") & (design["network"] == "xception")].set_index("comparison")
    # fine-tuned - off-the-shelf did not spread: not observed; the widest other pair stands in
    assert cov_x.loc["fine-tuned - off-the-shelf", "basis"].startswith("as ")
    assert cov_x.loc["fine-tuned - off-the-shelf", "detectable"] == pytest.approx(
        cov_x.loc["from scratch - off-the-shelf", "detectable"])
