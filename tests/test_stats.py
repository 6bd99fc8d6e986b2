"""The statistical rules that decide verdicts, on constructed data (issue 20): a clear win, a
clear loss, a tie and a single pair; a verdict can never rest on one noisy pair."""
import numpy as np
import pytest

from medlib import stats
from medlib.stats import FAILS, HOLDS, INCONCLUSIVE, decide, fold_interval, image_interval


def _images(n, acc_a, acc_b, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(n) < acc_a, rng.random(n) < acc_b


def test_clear_win_holds():
    folds = fold_interval([12, 15, 10, 14, 11])
    a, b = _images(300, 0.6, 0.9)
    images = image_interval(a, b)
    assert folds.low > 0 and images.low > 0 and images.p < 0.001
    assert decide([folds, images]) == HOLDS


def test_clear_loss_does_not_hold():
    folds = fold_interval([-12, -15, -10, -14, -11])
    a, b = _images(300, 0.9, 0.6)
    assert decide([folds, image_interval(a, b)]) == FAILS


def test_tie_is_inconclusive_with_its_interval_and_detectable_effect():
    folds = fold_interval([2, -1, 1, -2, 0])
    assert folds.low < 0 < folds.high and np.isfinite(folds.detectable) and folds.detectable > 0
    a = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    images = image_interval(a, a[::-1])  # as many images gained as lost
    assert images.estimate == 0 and images.p == 1.0
    assert decide([folds, images]) == INCONCLUSIVE


def test_a_single_pair_never_decides():
    one = fold_interval([30.0])
    assert np.isnan(one.low) and one.n == 1
    a, b = _images(14, 0.2, 1.0)  # even a large per-image gain on one fold
    assert decide([one, image_interval(a, b)]) == INCONCLUSIVE
    assert decide([one]) == INCONCLUSIVE


def test_intervals_must_agree():
    win = fold_interval([12, 15, 10, 14, 11])
    noisy = fold_interval([20, -15, 10, -14, 11])
    assert decide([win, noisy]) == INCONCLUSIVE


def test_claimed_size_is_the_threshold():
    iv = stats.mean_interval(np.r_[np.full(30, 27.0), np.full(30, 29.0)])  # about 28 %, tight
    assert decide([iv], size=30.0) == FAILS  # "over 30 %" excluded at 27-29 %
    assert decide([iv], size=15.0) == HOLDS  # would pass at half the claim: the old rule's bug
    assert stats.decide_band([iv], centre=10.0, tolerance=5.0) == FAILS
    assert stats.decide_band([stats.mean_interval(np.r_[np.full(30, 9.0), np.full(30, 11.0)])],
                             centre=10.0, tolerance=5.0) == HOLDS


def test_direction_reverses_the_claim():
    loss = fold_interval([-12, -15, -10, -14, -11])
    assert decide([loss], direction=-1) == HOLDS


def test_mcnemar_and_bootstrap_pair_the_images():
    a = np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)
    b = np.array([1, 1, 1, 1, 1, 1, 1, 1], bool)
    iv = image_interval(a, b)
    assert iv.estimate == pytest.approx(100 * 3 / 8)
    assert iv.p == pytest.approx(0.25)  # 3 discordant images, all one way: 2 * 0.5**3
    with pytest.raises(ValueError):
        image_interval(a, b[:-1])


def test_one_image_is_printed_in_points():
    assert stats.one_image([14, 13]) == pytest.approx(100 / 13)
    assert stats.one_image(14) == pytest.approx(7.142857, rel=1e-5)


def test_a_conjunction_fails_when_one_part_fails():
    assert stats.decide_all([HOLDS, HOLDS]) == HOLDS
    assert stats.decide_all([HOLDS, FAILS]) == FAILS
    assert stats.decide_all([HOLDS, INCONCLUSIVE]) == INCONCLUSIVE


def test_stratified_bootstrap_keeps_strata_and_covers_the_statistic():
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"cls": np.repeat(["a", "b"], [50, 10]), "v": rng.normal(5, 1, 60)})
    iv = stats.stratified_bootstrap(frame, "cls", lambda f: f.groupby("cls")["v"].mean().mean(), n_boot=500)
    assert iv.low < iv.estimate < iv.high and iv.n == 60
    assert iv.high - iv.low < 2  # class b's 10 images widen it, but it stays a few SE wide


def test_pairs_that_agree_by_chance_never_decide():
    """Two Cells2 folds where one network wins by the same single test image (7.1 points)
    each time: a t interval of width zero, which must not read as certainty."""
    two = fold_interval([7.142857, 7.142857])
    assert two.n == 2 and two.estimate == pytest.approx(7.142857) and np.isnan(two.low)
    a, b = _images(300, 0.6, 0.9)
    assert decide([two, image_interval(a, b)]) == INCONCLUSIVE
    assert np.isnan(fold_interval([7.142857] * 5).low)  # no spread: no interval either
    assert np.isfinite(fold_interval([7.1, 0.0, 7.1]).low)  # from three pairs with a spread the rule reads it


def test_the_nadeau_bengio_interval_against_a_hand_computation():
    """Differences 2, 4, 6, 8, 10 (mean 6, s^2 10) with test/train 0.25: the corrected variance is
    (1/5 + 0.25) x 10 = 4.5, so 6 +- t(4) x 2.1213 = [0.110, 11.890]; the plain t, which treats
    folds as independent, gives 6 +- t(4) x 1.4142 = [2.074, 9.926]."""
    diffs = [2.0, 4.0, 6.0, 8.0, 10.0]
    assert stats.corrected_variance(diffs, 0.25) == pytest.approx(4.5)
    corrected, plain = stats.corrected_fold_interval(diffs, 0.25), stats.fold_interval(diffs)
    assert (corrected.low, corrected.high) == (pytest.approx(0.110, abs=1e-3), pytest.approx(11.890, abs=1e-3))
    assert (plain.low, plain.high) == (pytest.approx(2.074, abs=1e-3), pytest.approx(9.926, abs=1e-3))


@pytest.mark.parametrize("low, high, verdict, position", [
    (3.0, 5.0, "holds (above +2)", (1, True, False)),
    (0.5, 4.0, "holds (not shown above +2)", (1, False, False)),
    (0.2, 0.8, "holds (but wholly below +2: smaller than the margin)", (1, False, True)),  # above 0 first: the rule's order
    (-1.5, 1.5, stats.EQUIVALENT, (0, False, True)),
    (-3.0, 1.0, INCONCLUSIVE, (0, False, False)),
    (-5.0, -3.0, stats.REVERSED, (-1, True, False)),
    (np.nan, 1.0, INCONCLUSIVE, None),
])
def test_the_margin_rule_reads_one_position_of_the_interval(low, high, verdict, position):
    """Issue 36's rule (holds / equivalent / reversed / inconclusive against +-2) and the arms'
    wording share :func:`stats.margin_position`: one place says where an interval lies."""
    assert stats.decide_margin(low, high) == verdict
    if position is not None:
        assert stats.margin_position(low, high) == position


def test_welch_difference_by_hand_and_the_size_rule():
    """Two independent estimates (ours, the paper's): se = sqrt(se_a^2 + se_b^2), Welch-Satterthwaite
    df; the size rule holds within +-tolerance and fails wholly on one side of 0."""
    from scipy import stats as st

    iv = stats.welch_difference(13.0, 4.0, 10, 0.1, 1.0, 5)
    se = np.sqrt(16 + 1)
    df = se ** 4 / (4 ** 4 / 10 + 1 ** 4 / 5)
    assert iv.estimate == pytest.approx(-12.9)
    assert iv.high == pytest.approx(-12.9 + st.t.ppf(0.975, df) * se) and iv.test == f"Welch t on {df:.1f} df"
    assert stats.decide_size(-3.0, 4.0, 5.0) == "holds"
    assert stats.decide_size(-21.9, -3.9, 5.0) == "does not hold"
    assert stats.decide_size(-8.0, 1.0, 5.0) == "inconclusive"


def test_exact_binomial_interval_by_hand():
    """Clopper-Pearson: all n right gives [100 * (alpha/2)^(1/n), 100]; none right mirrors it."""
    low, high = stats.proportion_interval(70, 70)
    assert low == pytest.approx(100 * 0.025 ** (1 / 70)) and high == 100.0
    assert stats.proportion_interval(0, 70) == pytest.approx((0.0, 100 - low))
