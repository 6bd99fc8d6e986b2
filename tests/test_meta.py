"""Random-effects pooling against a published worked example, and the power of a design."""
import numpy as np
import pytest

from medlib import meta

# BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): tpos, tneg, cpos, cneg
BCG = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
       (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
       (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
       (27, 16886, 29, 17825)]


def _log_rr():
    a, b, c, d = np.array(BCG, float).T
    y = np.log((a / (a + b)) / (c / (c + d)))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return y, v


def test_reml_and_hartung_knapp_match_metafor_on_the_bcg_trials():
    # metafor: rma(yi, vi, data=escalc("RR", ...dat.bcg), test="knha"):
    # tau^2 = 0.3132, estimate -0.7145, se 0.1808, t(12), 95% CI [-1.1084, -0.3206]
    y, v = _log_rr()
    pooled = meta.random_effects(y, v, floor=False)
    assert pooled.tau2 == pytest.approx(0.3132, abs=5e-4)
    assert pooled.estimate == pytest.approx(-0.7145, abs=5e-4)
    assert pooled.se == pytest.approx(0.1808, abs=5e-4)
    assert (pooled.low, pooled.high) == (pytest.approx(-1.1084, abs=1e-3), pytest.approx(-0.3206, abs=1e-3))
    assert pooled.k == 13 and pooled.pred_low < pooled.low and pooled.pred_high > pooled.high


def test_the_floor_never_narrows_the_interval_below_wald():
    y = np.array([5.0, 5.1, 4.9, 5.05])  # agree far more than their variances say
    v = np.full(4, 4.0)
    plain, floored = meta.random_effects(y, v, floor=False), meta.random_effects(y, v)
    assert plain.tau2 == 0.0
    assert floored.se == pytest.approx(np.sqrt(1 / np.sum(1 / v)))
    assert floored.high - floored.low > plain.high - plain.low


def test_one_dataset_gives_no_interval_across_datasets():
    pooled = meta.random_effects([7.0], [4.0])
    assert pooled.estimate == 7.0 and np.isnan(pooled.low) and np.isnan(pooled.tau2)


def test_a_design_detects_less_with_more_datasets_and_nothing_below_two():
    comp = meta.Components(fold=80.0, seed=50.0, dataset=25.0, ratio=0.13)
    assert np.isnan(meta.detectable(comp, 1, 5, 2))
    six, eleven = meta.detectable(comp, 6, 5, 2), meta.detectable(comp, 11, 5, 2)
    assert eleven < six
    # with tau > 0 more folds cannot bring the detectable effect below what the datasets allow
    floor = (meta.detectable(meta.Components(0.0, 0.0, 25.0, 0.0), 6, 5, 2))
    assert meta.detectable(comp, 6, 1000, 100) > floor - 1e-9
    table = meta.design_power(comp, datasets=(6,), folds=(5,), seeds=(2,))
    assert table.loc[0, "detectable_points"] == pytest.approx(six, abs=0.05)
    need = table.loc[0, "datasets_for_5"]
    assert meta.detectable(comp, need, 5, 2) <= 5 < meta.detectable(comp, need - 1, 5, 2)


def test_seed_variance_pools_within_folds():
    assert meta.seed_variance([[70, 80], [60, 60], [50]]) == pytest.approx((50 + 0) / 2)


def test_a_unit_without_a_variance_is_left_out_not_given_infinite_weight():
    pooled = meta.random_effects([5.0, 6.0, 7.0, 100.0], [1.0, 1.0, 1.0, 0.0])
    assert pooled.k == 3 and pooled.estimate == pytest.approx(6.0)


def test_power_counts_the_networks_per_dataset_and_their_disagreement():
    one = meta.Components(fold=50.0, seed=50.0, dataset=0.0, ratio=0.1)
    two = meta.Components(fold=50.0, seed=50.0, dataset=0.0, ratio=0.1, members=2)
    assert two.dataset_variance(5, 2) < one.dataset_variance(5, 2)
    # each network's estimate: (1/J + ratio) x (fold + 2 seed / seeds), averaged over 2 networks
    assert two.dataset_variance(5, 2) == pytest.approx((0.2 + 0.1) * (50 + 2 * 50 / 2) / 2)
    split = meta.Components(fold=50.0, seed=50.0, dataset=0.0, ratio=0.1, members=2, network=16.0)
    assert split.dataset_variance(5, 2) == pytest.approx(two.dataset_variance(5, 2) + 16.0 / 2)


# Konstantopoulos (2011): 56 studies of modified school calendars in 11 districts (metafor's
# dat.konstantopoulos2011: district, yi, vi)
KONSTANTOPOULOS = [
    (11, -0.18, 0.118), (11, -0.22, 0.118), (11, 0.23, 0.144), (11, -0.30, 0.144), (12, 0.13, 0.014),
    (12, -0.26, 0.014), (12, 0.19, 0.015), (12, 0.32, 0.024), (18, 0.45, 0.023), (18, 0.38, 0.043),
    (18, 0.29, 0.012), (27, 0.16, 0.020), (27, 0.65, 0.004), (27, 0.36, 0.004), (27, 0.60, 0.007),
    (56, 0.08, 0.019), (56, 0.04, 0.007), (56, 0.19, 0.005), (56, -0.06, 0.004), (58, -0.18, 0.020),
    (58, 0.00, 0.018), (58, 0.00, 0.019), (58, -0.28, 0.022), (58, -0.04, 0.020), (58, -0.30, 0.021),
    (58, 0.07, 0.006), (58, 0.00, 0.007), (58, 0.05, 0.007), (58, -0.08, 0.007), (58, -0.09, 0.007),
    (71, 0.30, 0.015), (71, 0.98, 0.011), (71, 1.19, 0.010), (86, -0.07, 0.001), (86, -0.05, 0.001),
    (86, -0.01, 0.001), (86, 0.02, 0.001), (86, -0.03, 0.001), (86, 0.00, 0.001), (86, 0.01, 0.001),
    (86, -0.10, 0.001), (91, 0.50, 0.010), (91, 0.66, 0.011), (91, 0.20, 0.010), (91, 0.00, 0.009),
    (91, 0.05, 0.013), (91, 0.07, 0.013), (108, -0.52, 0.031), (108, 0.70, 0.031), (108, -0.03, 0.030),
    (108, 0.27, 0.030), (108, -0.34, 0.030), (644, 0.12, 0.087), (644, 0.61, 0.082), (644, 0.04, 0.067),
    (644, -0.05, 0.067)]


def test_the_multilevel_model_matches_metafor_on_the_konstantopoulos_districts():
    # metafor's tests (test_analysis_example_konstantopoulos2011.r):
    # rma.mv(yi, vi, random = ~ 1 | district/study): estimate 0.185, se 0.085,
    # sigma2 = (0.065, 0.033), logLik -7.9587
    district, y, v = zip(*KONSTANTOPOULOS)
    s_district, s_study, loglik = meta.reml_two_level(y, v, district)
    assert (round(s_district, 3), round(s_study, 3), round(loglik, 4)) == (0.065, 0.033, -7.9587)
    pooled = meta.multilevel(y, v, district, knapp_hartung=False)  # rma.mv's test="t"
    assert (round(pooled.estimate, 3), round(pooled.se, 3)) == (0.185, 0.085)
    assert pooled.k == 11 and pooled.units == 56 and pooled.tau2 == pytest.approx(s_district + s_study)
    # the interval is a t on districts - 1 = 10 degrees of freedom
    assert pooled.high - pooled.estimate == pytest.approx(2.228139 * pooled.se, rel=1e-5)


def test_two_networks_that_cancel_fold_by_fold_do_not_make_a_dataset_decisive():
    """The case that moved the central claim off per-dataset averages (extended, 2026-12-06):
    on one dataset two networks disagree consistently (+14 and -14 points), so their average
    barely varies over folds; as units, their disagreement widens the interval instead."""
    y = [-14.0, 14.0, 3.0, 9.0, 4.0]
    v = [20.0, 20.0, 25.0, 70.0, 25.0]
    dataset = ["cells2", "cells2", "cov_ct", "cov_ct", "covid"]
    pooled = meta.multilevel(y, v, dataset)
    assert pooled.k == 3 and pooled.units == 5 and pooled.tau2_unit > 50
    averaged = meta.random_effects([0.0, 6.0, 4.0], [0.5, 20.0, 25.0])  # Cells2's averaged folds: tiny variance
    assert averaged.high - averaged.low < pooled.high - pooled.low
    assert pooled.low < 0 < pooled.high


def test_a_component_the_data_cannot_separate_is_not_invented():
    """One dataset: the between-dataset variance is not identified (NaN, no interval across
    datasets); one network per dataset: the between-network one is not (their sum is fitted);
    and the estimates do not depend on the units of the effects."""
    one_dataset = meta.reml_two_level([1.0, 30.0], [4.0, 4.0], ["a", "a"])
    assert np.isnan(one_dataset[0]) and one_dataset[1] > 0
    pooled = meta.multilevel([1.0, 30.0], [4.0, 4.0], ["a", "a"])
    assert pooled.k == 1 and np.isnan(pooled.low) and np.isnan(pooled.tau2_dataset)
    y, v = np.array([1.0, 30.0, 5.0, 12.0]), np.array([4.0, 4.0, 4.0, 9.0])
    one_each = meta.reml_two_level(y, v, ["a", "b", "c", "d"])
    assert np.isnan(one_each[1]) and one_each[0] == pytest.approx(meta.reml_tau2(y, v), rel=1e-4)
    nested = ["a", "a", "b", "b"]
    small, large = meta.reml_two_level(y, v, nested), meta.reml_two_level(100 * y, 1e4 * v, nested)
    assert large[0] == pytest.approx(1e4 * small[0], rel=1e-4, abs=1e-6)
    assert large[1] == pytest.approx(1e4 * small[1], rel=1e-4, abs=1e-6)


def test_the_equivalence_p_tests_the_margin_equivalent_reads():
    """Two one-sided tests against +-2: a tight effect near 0 is shown equivalent (p small), one
    near the margin is not, and the one-sided p tests 0, the bound 'holds' reads."""
    near_zero = meta.multilevel([0.2, -0.3, 0.1, 0.0, -0.1, 0.2], [0.05] * 6, list("aabbcc"))
    at_margin = meta.multilevel([1.8, 2.1, 2.0, 1.9, 2.2, 2.0], [0.05] * 6, list("aabbcc"))
    assert near_zero.p_equivalence < 0.05 < at_margin.p_equivalence
    assert near_zero.p > 0.05 and at_margin.p < 0.05


def test_a_tie_needs_its_whole_interval_inside_the_margin_so_far_more_datasets_than_a_win():
    """Equivalence within +-2 at 80 % power for a true effect of 0: the fewest datasets d with
    (t_.975 + t_.90 on d - 1 df) * se(d) <= 2; one dataset fewer does not reach it."""
    from scipy import stats as st

    comp = meta.Components(fold=0.0, seed=0.0, dataset=0.0, ratio=0.0, network=100.0)  # se = 10 / sqrt(d)
    d = meta.datasets_for_equivalence(comp, folds=5, seeds=2)

    def reach(k):
        return (st.t.ppf(0.975, k - 1) + st.t.ppf(0.9, k - 1)) * 10 / np.sqrt(k) <= 2.0
    assert reach(d) and not reach(d - 1)
    assert d > meta.datasets_needed(comp, 5.0, 5, 2)  # a +5 win is detected with far fewer
    assert meta.pooled_se(comp, d, 5, 2) == pytest.approx(10 / np.sqrt(d))
    assert meta.datasets_for_equivalence(comp, 5, 2, most=10) is None
    table = meta.design_power(comp, datasets=(6,), folds=(5,), seeds=(2,))
    assert table["datasets_for_equivalence"].iloc[0] == d


def test_the_q_profile_tau_interval_matches_metafor_on_the_bcg_trials():
    # metafor: confint(rma(yi, vi, data=dat.bcg RR)): tau^2 0.3132 [0.1197, 1.1115]
    y, v = _log_rr()
    low, high = meta.tau2_interval(y, v)
    assert (round(low, 4), round(high, 4)) == (0.1197, 1.1115)
    # estimates that agree more than their variances say: both bounds 0
    assert meta.tau2_interval([5.0, 5.1, 4.9, 5.05], [4.0] * 4) == (0.0, 0.0)


def test_the_multilevel_hartung_knapp_interval_is_the_one_level_one_with_a_network_per_dataset():
    """One unit per dataset: the multilevel model is the one-level model, and its rescaled
    interval is :func:`random_effects`'s (Hartung-Knapp floored at Wald); the rescaling only
    widens, and a wide tau bound widens the prediction interval beside it."""
    y, v = _log_rr()
    ml, one = meta.multilevel(y, v, [str(i) for i in range(len(y))]), meta.random_effects(y, v)
    assert ml.estimate == pytest.approx(one.estimate, abs=1e-6)
    assert (ml.low, ml.high) == (pytest.approx(one.low, abs=1e-4), pytest.approx(one.high, abs=1e-4))
    assert ml.hk_factor > 1 and ml.se == pytest.approx(ml.se_model * np.sqrt(ml.hk_factor))
    tight = meta.multilevel([5.0, 5.1, 4.9, 5.05], [4.0] * 4, list("abcd"))
    assert tight.hk_factor < 1 and tight.se == pytest.approx(tight.se_model)
    assert tight.tau2_high == 0.0 and tight.pred_high_tau_high == pytest.approx(tight.pred_high)
    spread = meta.multilevel([0.0, 6.0, -5.0, 9.0, 2.0, -4.0], [20.0] * 6, list("aabbcc"))
    assert spread.tau2_high > spread.tau2 and spread.pred_high_tau_high > spread.pred_high


def test_each_component_s_profile_likelihood_interval_matches_metafor_on_the_districts():
    # metafor: confint(rma.mv(yi, vi, random = ~ 1 | district/study)):
    # sigma^2.1 0.0651 [0.0222, 0.2072], sigma^2.2 0.0327 [0.0163, 0.0628]
    district, y, v = zip(*KONSTANTOPOULOS)
    bounds = meta.component_intervals(y, v, district)
    assert tuple(round(b, 4) for b in bounds["cluster"]) == (0.0222, 0.2072)
    assert tuple(round(b, 4) for b in bounds["unit"]) == (0.0163, 0.0628)
    pooled = meta.multilevel(y, v, district, component_bounds=True)
    assert pooled.tau2_dataset_high == pytest.approx(bounds["cluster"][1])
    # one network per dataset: the between-network component is not identified, nor its interval
    one_each = meta.component_intervals([1.0, 30.0, 5.0, 12.0], [4.0, 4.0, 4.0, 9.0], list("abcd"))
    assert np.isnan(one_each["unit"][1]) and one_each["cluster"][1] > 0
