"""Paired statistics that decide a verdict: intervals, tests, and the rules that read them.

Fixed before looking at any result and unit-tested on constructed data:

* A comparison of **training strategies or networks** is paired (the same folds, the same test
  images, on both sides) and its unit is the training run (issue 36):
  :func:`corrected_fold_interval` is the mean per-fold difference with the Nadeau-Bengio
  corrected variance ``(1/J + n_test/n_train) s^2`` (folds share most of their training
  images), and :mod:`medlib.evidence` pools such units across networks and datasets.
  :func:`decide_margin` reads an interval against the paper's +-2 point repeat spread
  (:data:`MARGIN`): *holds* (wholly above 0), *reversed* (wholly below 0), *equivalent*
  (within +-2), else *inconclusive*. Fewer than :data:`MIN_FOLD_PAIRS` fold pairs give no
  interval, nor do pairs that all differ by the same amount (on 14-image Cells2 folds
  differences come in steps of 7.1 points: equal ones are chance, not certainty).
* Per-image statistics (:func:`image_interval`: a paired bootstrap over pooled out-of-fold
  predictions, and an exact McNemar p) describe the fitted models of a run; they decide no
  claim about strategies, since every image of a fold shares one fitted model.
* :func:`decide` reads intervals of one fitted model's explanations (Kim's claims: a
  bootstrap over images within classes): ``b - a > size`` **holds** where every interval lies
  wholly above ``size``, **does not hold** where every one lies wholly below, else
  **inconclusive**. Those verdicts describe that model, as their claims rows say.
* Every comparison carries the smallest effect its design could have detected
  (:func:`detectable_effect`: 80 % power at the 5 % level, from the observed spread)
  and one test image's worth of accuracy (:func:`one_image`; 7.1 points on a Cells2
  fold of 14 images).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

ALPHA = 0.05
POWER = 0.80
N_BOOT = 5000
HOLDS, FAILS, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
MIN_FOLD_PAIRS = 3  # fewer fold pairs: no fold interval, so no verdict


@dataclass(frozen=True)
class Interval:
    """A paired difference ``b - a`` in points with its 95 % interval, p and size."""

    estimate: float
    low: float
    high: float
    p: float
    n: int
    test: str
    detectable: float = float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def fold_interval(diffs, alpha: float = ALPHA) -> Interval:
    """Mean of per-fold paired differences, Student-t interval, exact Wilcoxon p.
    With fewer than :data:`MIN_FOLD_PAIRS` folds the interval is undefined (NaN): no verdict
    can rest on it (the p and the estimate are still given)."""
    from scipy import stats

    d = np.asarray(diffs, float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, np.nan, 0, "folds: paired t")
    mean = float(d.mean())
    if n < 2:
        return Interval(mean, np.nan, np.nan, np.nan, n, "folds: paired t (one fold: no interval)")
    sd = float(d.std(ddof=1))
    p = float(stats.wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
    if n < MIN_FOLD_PAIRS:
        return Interval(mean, np.nan, np.nan, p, n, f"folds: paired t ({n} folds: no interval), Wilcoxon p")
    if np.allclose(d, d[0], rtol=0, atol=1e-9):  # every fold differs by the same amount (on Cells2: the same test images' worth)
        return Interval(mean, np.nan, np.nan, p, n, "folds: paired t (no spread: no interval), Wilcoxon p")
    half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
    return Interval(mean, mean - half, mean + half, p, n, "folds: paired t, Wilcoxon p",
                    detectable_effect(sd, n))


def corrected_variance(values, test_train_ratio: float) -> float:
    """Nadeau-Bengio corrected variance of the mean of per-fold ``values``:
    ``(1 / J + n_test / n_train) s^2`` (NaN under 2 folds)."""
    v = np.asarray(values, float)
    return float((1.0 / len(v) + test_train_ratio) * np.var(v, ddof=1)) if len(v) >= 2 else float("nan")


def detectable_difference(sd: float, folds: int, test_train_ratio: float, alpha: float = ALPHA,
                          power: float = POWER) -> float:
    """The smallest paired difference ``folds`` cross-validation folds detect (two-sided
    ``alpha``, ``power``) when per-fold differences spread with SD ``sd``: ``(t_{1-alpha/2} +
    t_power) x se`` on ``folds - 1`` df, ``se`` the Nadeau-Bengio corrected one (what
    :func:`corrected_fold_interval` reports as ``detectable``). NaN under 2 folds or without
    spread. The usual approximation (no noncentral t): true power is a little under ``power``,
    about 79 % at 5 folds and 77 % at 3."""
    from scipy import stats

    if folds < 2 or not np.isfinite(sd) or sd <= 0:
        return float("nan")
    se = sd * np.sqrt(1.0 / folds + test_train_ratio)
    return float((stats.t.ppf(1 - alpha / 2, folds - 1) + stats.t.ppf(power, folds - 1)) * se)


def corrected_fold_interval(diffs, test_train_ratio: float, alpha: float = ALPHA,
                            margin: float = 0.0) -> Interval:
    """Mean of per-fold paired differences with the Nadeau-Bengio corrected resampled t interval
    (Nadeau & Bengio 2003, Machine Learning 52: 239-281; Bouckaert & Frank 2004).

    Cross-validation folds are not independent: their training sets share most images, so the
    plain t variance ``s^2 / J`` is too small. The correction uses
    ``(1 / J + n_test / n_train) s^2`` with J - 1 degrees of freedom, ``test_train_ratio`` being
    ``n_test / n_train`` of the split (a fold's test images over the images the learner had).
    ``diffs``: one value per fold (replicates, other training seeds on the same fold, averaged
    first). ``p`` tests the ``margin`` the decision uses (H0: mean <= margin), one-sided."""
    from scipy import stats

    d = np.asarray(diffs, float)
    d = d[np.isfinite(d)]
    n = len(d)
    test = "folds: Nadeau-Bengio corrected t"
    if n < MIN_FOLD_PAIRS:
        return Interval(float(d.mean()) if n else np.nan, np.nan, np.nan, np.nan, n,
                        f"{test} ({n} folds: no interval)")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0:
        return Interval(mean, np.nan, np.nan, np.nan, n, f"{test} (no spread: no interval)")
    se = float(np.sqrt(corrected_variance(d, test_train_ratio)))
    half = stats.t.ppf(1 - alpha / 2, n - 1) * se
    p = float(stats.t.sf((mean - margin) / se, n - 1))
    return Interval(mean, mean - half, mean + half, p, n, test,
                    detectable_difference(sd, n, test_train_ratio, alpha))


def image_interval(correct_a, correct_b, n_boot: int = N_BOOT, alpha: float = ALPHA,
                   seed: int = 0) -> Interval:
    """Accuracy difference ``b - a`` (points) over the same test images: paired bootstrap
    interval over images and exact McNemar p (binomial test on the discordant images). A side
    may give each image the share of its replicates (training seeds) that got it right; the
    McNemar test then counts the images where one side does better (a sign test)."""
    from scipy import stats

    a = np.asarray(correct_a, float)
    b = np.asarray(correct_b, float)
    if a.shape != b.shape:
        raise ValueError("image_interval needs the same images on both sides")
    n = len(a)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, np.nan, 0, "images: paired bootstrap, McNemar p")
    d = 100.0 * (b - a)
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, n, (n_boot, n))].mean(1)
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    b_only, a_only = int((b > a).sum()), int((a > b).sum())
    p = float(stats.binomtest(b_only, b_only + a_only).pvalue) if b_only + a_only else 1.0
    sd = float(d.std(ddof=1)) if n > 1 else np.nan
    return Interval(float(d.mean()), float(low), float(high), p, n,
                    "images: paired bootstrap, McNemar p", detectable_effect(sd, n, normal=True))


def detectable_effect(sd: float, n: int, alpha: float = ALPHA, power: float = POWER,
                      normal: bool = False) -> float:
    """The smallest mean difference a paired design of ``n`` units with spread ``sd`` detects
    with ``power`` at level ``alpha`` (two-sided): (t_{1-a/2} + t_{power}) sd / sqrt(n)."""
    from scipy import stats

    if n < 2 or not np.isfinite(sd):
        return float("nan")
    dist = stats.norm if normal else stats.t(n - 1)
    return float((dist.ppf(1 - alpha / 2) + dist.ppf(power)) * sd / np.sqrt(n))


def one_image(n_test) -> float:
    """Accuracy points one test image is worth (on the smallest test fold given)."""
    n = np.min(np.atleast_1d(n_test)).astype(float)
    return float(100.0 / n) if n > 0 else float("nan")


def decide(intervals, size: float = 0.0, direction: int = +1) -> str:
    """The verdict of the claim ``direction * (b - a) > size`` from every interval given
    (see the module docstring): holds / does not hold only where all of them agree, each
    one defined; inconclusive otherwise."""
    intervals = [iv for iv in intervals if iv is not None]
    if not intervals or any(not (np.isfinite(iv.low) and np.isfinite(iv.high)) for iv in intervals):
        return INCONCLUSIVE
    lows = [min(direction * iv.low, direction * iv.high) for iv in intervals]
    highs = [max(direction * iv.low, direction * iv.high) for iv in intervals]
    if all(lo > size for lo in lows):
        return HOLDS
    if all(hi < size for hi in highs):
        return FAILS
    return INCONCLUSIVE


MARGIN = 2.0  # the paper's run-to-run spread ("repeats vary by about 2 points"): smaller gaps are ties
EQUIVALENT, REVERSED = "equivalent", "reversed"


def margin_position(low: float, high: float, margin: float = MARGIN) -> tuple[int, bool, bool]:
    """Where an interval lies against 0 and ``+-margin``, the facts every margin verdict is worded
    from (:func:`decide_margin`, the arms' :func:`medlib.arms.arm_comparisons`): ``side`` +1
    wholly above 0, -1 wholly below, 0 across it; ``beyond`` wholly past ``margin`` on that side;
    ``within`` wholly inside ``+-margin`` (a tie by the rule). ``low`` and ``high`` are finite."""
    side = 1 if low > 0 else -1 if high < 0 else 0
    beyond = low > margin if side > 0 else high < -margin if side < 0 else False
    return side, beyond, -margin < low and high < margin


def decide_margin(low: float, high: float, margin: float = MARGIN) -> str:
    """The verdict of a comparison ``b - a`` from its interval, against the paper's own margin
    (issue 36): **holds** where the interval lies wholly above 0, saying whether also above
    ``+margin``; **reversed** where wholly below 0; **equivalent** where it lies within
    ``+-margin``; otherwise **inconclusive**. An undefined interval is inconclusive. An interval
    wholly inside ``(0, +margin)`` is both above 0 and inside the margin: the rule's order says
    *holds*, and the wording says the effect shown is smaller than the margin (a reader must not
    take a negligible win for a large one)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return INCONCLUSIVE
    side, beyond, within = margin_position(low, high, margin)
    if side > 0:
        if beyond:
            return f"{HOLDS} (above +{margin:g})"
        return f"{HOLDS} (" + (f"but wholly below +{margin:g}: smaller than the margin)" if within
                               else f"not shown above +{margin:g})")
    if side < 0:
        return REVERSED
    return EQUIVALENT if within else INCONCLUSIVE


def decide_all(verdicts) -> str:
    """A conjunction of claims ("smaller mean *and* spread"): holds where every part holds,
    does not hold where any part does not, inconclusive otherwise."""
    verdicts = list(verdicts)
    if verdicts and all(v == HOLDS for v in verdicts):
        return HOLDS
    return FAILS if FAILS in verdicts else INCONCLUSIVE


def proportion_interval(successes: float, n: float, alpha: float = ALPHA) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) 95 % interval of a proportion, in points: the fallback
    where folds that all scored the same (every test image right) give a t interval no spread to
    stand on. It describes the fitted models on these images, not another training run."""
    from scipy import stats as st

    k, n = float(round(successes)), float(n)
    low = st.beta.ppf(alpha / 2, k, n - k + 1) if k > 0 else 0.0
    high = st.beta.ppf(1 - alpha / 2, k + 1, n - k) if k < n else 1.0
    return 100 * float(low), 100 * float(high)


def welch_difference(est_a: float, se_a: float, df_a: float, est_b: float, se_b: float, df_b: float,
                     alpha: float = ALPHA) -> Interval:
    """``b - a`` for two independent estimates, each with its standard error and degrees of
    freedom: the t interval on Welch-Satterthwaite's degrees of freedom (``se^4 / sum(se_i^4 /
    df_i)``). Used where a study's estimate meets another study's (ours against the paper's)."""
    from scipy import stats as st

    se = float(np.hypot(se_a, se_b))
    diff = est_b - est_a
    if not (np.isfinite(se) and se > 0 and np.isfinite(diff)):
        return Interval(float(diff), np.nan, np.nan, np.nan, 0, "Welch t (undefined: a standard error is missing)")
    df = se ** 4 / (se_a ** 4 / df_a + se_b ** 4 / df_b)
    half = st.t.ppf(1 - alpha / 2, df) * se
    p = 2 * st.t.sf(abs(diff) / se, df)
    return Interval(float(diff), float(diff - half), float(diff + half), float(p), int(round(df)),
                    f"Welch t on {df:.1f} df")


def decide_size(low: float, high: float, tolerance: float) -> str:
    """Whether an effect is as large as another study's, from the interval of their difference:
    **holds** where it lies within ``+-tolerance`` (the same size, as a reproduced number is within
    5 points), **does not hold** where it lies wholly below or wholly above 0 (a different size; the
    sign says which), otherwise **inconclusive**."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return INCONCLUSIVE
    if -tolerance <= low and high <= tolerance:
        return HOLDS
    return FAILS if high < 0 or low > 0 else INCONCLUSIVE


def decide_band(intervals, centre: float, tolerance: float) -> str:
    """A claim of size "about ``centre``": holds where every interval lies inside
    ``centre +- tolerance``, does not hold where every interval lies wholly outside it,
    inconclusive otherwise."""
    intervals = [iv for iv in intervals if iv is not None]
    if not intervals or any(not (np.isfinite(iv.low) and np.isfinite(iv.high)) for iv in intervals):
        return INCONCLUSIVE
    lo, hi = centre - tolerance, centre + tolerance
    if all(lo <= iv.low and iv.high <= hi for iv in intervals):
        return HOLDS
    if all(iv.high < lo or iv.low > hi for iv in intervals):
        return FAILS
    return INCONCLUSIVE


def mean_interval(values, n_boot: int = N_BOOT, alpha: float = ALPHA, seed: int = 0,
                  test: str = "bootstrap over units") -> Interval:
    """Mean of ``values`` (one per image, class, ...) with a percentile bootstrap interval."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return Interval(float(v.mean()) if len(v) else np.nan, np.nan, np.nan, np.nan, len(v), test)
    rng = np.random.default_rng(seed)
    boots = v[rng.integers(0, len(v), (n_boot, len(v)))].mean(1)
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return Interval(float(v.mean()), float(low), float(high), np.nan, len(v), test,
                    detectable_effect(float(v.std(ddof=1)), len(v), normal=True))


def stratified_bootstrap(frame, stratum: str, statistic, n_boot: int = 2000, alpha: float = ALPHA,
                         seed: int = 0, test: str = "stratified bootstrap") -> Interval:
    """``statistic(frame)`` with a percentile interval from resampling the rows (units, e.g.
    images) with replacement within each ``stratum`` (e.g. class), so every resample keeps the
    design's strata."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero((frame[stratum] == s).to_numpy()) for s in frame[stratum].unique()]
    boots = []
    for _ in range(n_boot):
        pick = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        boots.append(statistic(frame.iloc[pick]))
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return Interval(float(statistic(frame)), float(low), float(high), np.nan, len(frame), test)


def rank_methods(rows: "pd.DataFrame", measure: str, higher_is_better: bool = True,
                 unit: str = "image") -> "pd.DataFrame":
    """Methods ranked by their mean ``measure`` over the same units (images), each with a
    bootstrap interval, and each compared with the best by the paired difference over units:
    ``tied`` where that interval includes zero (the difference is within noise), ``worse``
    where it excludes it."""
    import pandas as pd

    wide = rows.pivot_table(index=unit, columns="method", values=measure).dropna()
    sign = 1 if higher_is_better else -1
    best = (sign * wide.mean()).idxmax()
    out = []
    for method in wide:
        iv = mean_interval(wide[method].to_numpy())
        d = mean_interval(sign * (wide[best] - wide[method]).to_numpy())
        standing = "best" if method == best else "tied" if d.low <= 0 else "worse"
        out.append({"measure": measure, "method": method, "mean": iv.estimate, "ci_low": iv.low,
                    "ci_high": iv.high, "gap_to_best": d.estimate, "gap_ci_low": d.low,
                    "gap_ci_high": d.high, "standing": standing, "n": iv.n})
    return pd.DataFrame(out).sort_values("mean", ascending=not higher_is_better, ignore_index=True)


__all__ = ["rank_methods", "stratified_bootstrap", "Interval", "fold_interval", "corrected_fold_interval",
           "corrected_variance", "image_interval", "detectable_effect", "one_image", "decide",
           "decide_all", "decide_margin", "MARGIN", "EQUIVALENT", "REVERSED",
           "decide_band", "decide_size", "welch_difference", "proportion_interval", "mean_interval", "HOLDS", "FAILS", "INCONCLUSIVE", "ALPHA", "POWER"]
