"""Pooling a comparison across datasets: random-effects meta-analysis, and the power of a design.

Why a meta-analysis and not one interval over every fold: a claim about training strategies
or networks ("scratch beats off-the-shelf") is about datasets and training runs in general.
Each dataset contributes one estimate (its paired fold differences, seed replicates averaged
within a fold, with the Nadeau-Bengio corrected variance of :func:`medlib.stats.corrected_fold_interval`),
and datasets differ in their true effect: a random-effects model estimates that spread
(``tau``) instead of assuming it away.

* ``tau^2`` by restricted maximum likelihood (REML: less biased than ML, the usual default,
  e.g. metafor's ``rma``), the pooled estimate weighted by ``1 / (v_i + tau^2)``.
* The interval by Hartung-Knapp (Hartung & Knapp 2001; Sidik & Jonkman 2002): a t with k - 1
  degrees of freedom on a variance rescaled by the weighted spread of the estimates; with few
  datasets the plain normal (Wald) interval is too narrow (IntHout et al. 2014, BMC Med Res
  Methodol 14: 25). ``floor=True`` (default) never lets the rescaling make the interval narrower
  than the Wald one (the "modified" HK of Roever et al. 2015), which plain HK can do when the
  estimates agree more than their variances suggest.
* The prediction interval for a new dataset's effect: ``mu +- t_{k-2} sqrt(tau^2 + se^2)``
  (Higgins, Thompson & Spiegelhalter 2009; Riley et al. 2011).

Checked against metafor's worked example (BCG vaccine trials, ``rma(yi, vi, test="knha")``)
in ``tests/test_meta.py``.

:func:`multilevel` is what the claims use: one estimate per dataset *and network*, nested in
datasets, with a variance between datasets and one between the networks of a dataset (REML,
checked against metafor's ``rma.mv`` on Konstantopoulos's districts), a t interval on
datasets - 1 degrees of freedom with the Hartung-Knapp rescaling in its generalised
least-squares form (floored at 1); its docstring says why averaging a dataset's networks first
was dropped. :func:`tau2_interval` (Q-profile) bounds tau, which a few datasets estimate poorly.

:func:`design_power` answers "what can a design detect" before any hour is spent: from the
variance components observed (fold, seed, dataset) it gives the smallest pooled effect a
design of D datasets x J folds x R seeds detects at 80 % power.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .stats import ALPHA, MARGIN, POWER

METHOD = "random-effects meta-analysis over datasets (REML tau^2, Hartung-Knapp interval, floored at Wald)"


@dataclass(frozen=True)
class Pooled:
    """A pooled random-effects estimate over ``k`` units (datasets)."""

    estimate: float
    low: float
    high: float
    se: float
    tau2: float
    pred_low: float
    pred_high: float
    k: int
    p: float  # one-sided p of H0: effect <= margin (the margin the decision tests)
    margin: float = 0.0
    method: str = METHOD
    units: int = 0  # estimates pooled (several per dataset in the multilevel model; else k)
    # the multilevel model's variance components (between datasets, between units of a dataset);
    # tau2 is their sum, the spread of a new unit's true effect about the mean
    tau2_dataset: float = float("nan")
    tau2_unit: float = float("nan")
    # two one-sided tests of H0: |effect| >= the equivalence margin (+-2, the decision's
    # "equivalent"), the larger p of the two
    p_equivalence: float = float("nan")
    # Hartung-Knapp: hk_factor is q, the weighted residual spread (unfloored, as computed); the
    # interval's se is the model se times sqrt(max(1, q)) (the "modified" rescaling that never
    # narrows); se_model is the unrescaled one
    se_model: float = float("nan")
    hk_factor: float = float("nan")
    # the Q-profile 95 % interval of the total tau^2 over the units, treated as independent (one
    # level; Viechtbauer 2007), and the prediction interval at its upper bound, the mean and se
    # refitted there: how wide "a new unit" could be, tau being estimated from few datasets
    tau2_low: float = float("nan")
    tau2_high: float = float("nan")
    pred_low_tau_high: float = float("nan")
    pred_high_tau_high: float = float("nan")
    # profile-likelihood 95 % upper bounds of the two components (component_intervals; NaN where
    # not asked for or not identified)
    tau2_dataset_high: float = float("nan")
    tau2_unit_high: float = float("nan")

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2)) if np.isfinite(self.tau2) else float("nan")

    @property
    def tau_high(self) -> float:
        """The upper 95 % bound of tau (Q-profile), points."""
        return float(np.sqrt(self.tau2_high)) if np.isfinite(self.tau2_high) else float("nan")

    def as_dict(self) -> dict:
        return asdict(self) | {"tau": self.tau}


def reml_tau2(y, v, upper: float | None = None) -> float:
    """REML estimate of the between-unit variance of effects ``y`` with within-unit variances ``v``:
    the maximiser of the restricted log-likelihood on [0, upper]."""
    from scipy.optimize import minimize_scalar

    y, v = np.asarray(y, float), np.asarray(v, float)
    if len(y) < 2:
        return 0.0

    def neg_restricted_loglik(t2):
        w = 1.0 / (v + t2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    upper = upper or 10.0 * (np.var(y, ddof=1) + np.max(v)) + 1e-9
    res = minimize_scalar(neg_restricted_loglik, bounds=(0.0, upper), method="bounded",
                          options={"xatol": 1e-10 * upper})
    best = float(res.x)
    return 0.0 if neg_restricted_loglik(0.0) <= neg_restricted_loglik(best) else best


def tau2_interval(y, v, alpha: float = ALPHA) -> tuple[float, float]:
    """The Q-profile ``(low, high)`` confidence interval of the between-unit variance tau^2
    (Viechtbauer 2007, Stat Med 26: 37-52; metafor's ``confint(rma(...))``): the tau^2 at which
    the generalised Q statistic ``sum w_i (y_i - mu_w)^2``, ``w_i = 1 / (v_i + tau^2)``, equals
    the chi-square quantiles on k - 1 degrees of freedom (a bound is 0 where Q at tau^2 = 0 is
    already below its quantile). Why: a REML tau of 0 from six datasets is a boundary estimate,
    not a finding of no heterogeneity; the interval says how large it could still be."""
    from scipy import optimize, stats

    y, v = np.asarray(y, float), np.asarray(v, float)
    keep = np.isfinite(y) & np.isfinite(v) & (v > 0)  # as the pooling does: no weight without a variance
    y, v = y[keep], v[keep]
    k = len(y)
    if k < 2:
        return float("nan"), float("nan")

    def q(t2):
        w = 1.0 / (v + t2)
        return float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))

    def bound(target):
        if q(0.0) <= target:
            return 0.0
        hi = 10.0 * (np.var(y, ddof=1) + np.max(v)) + 1.0
        while q(hi) > target:
            hi *= 10.0
        return float(optimize.brentq(lambda t2: q(t2) - target, 0.0, hi, xtol=1e-12 * hi))

    return bound(stats.chi2.ppf(1 - alpha / 2, k - 1)), bound(stats.chi2.ppf(alpha / 2, k - 1))


def _fit_at(y, v, tau2: float) -> tuple[float, float, float]:
    """The one-level fit at a given between-unit variance: ``(mean, its Wald variance, q)``, ``q``
    the Hartung-Knapp factor (the weighted residual spread over k - 1)."""
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(1.0 / np.sum(w)), float(np.sum(w * (y - mu) ** 2) / (len(y) - 1))


def random_effects(y, v, alpha: float = ALPHA, floor: bool = True, margin: float = 0.0) -> Pooled:
    """Pool estimates ``y`` (one per unit) with within-unit variances ``v`` (see the module doc).
    Units with no finite, positive variance are left out (``k`` counts those pooled). One unit
    gives its own estimate with no interval across units (NaN)."""
    from scipy import stats

    y, v = np.asarray(y, float), np.asarray(v, float)
    keep = np.isfinite(y) & np.isfinite(v) & (v > 0)  # a unit without a variance cannot be weighed
    y, v = y[keep], v[keep]
    k = len(y)
    nan = float("nan")
    if k == 0:
        return Pooled(nan, nan, nan, nan, nan, nan, nan, 0, nan, margin)
    if k == 1:
        return Pooled(float(y[0]), nan, nan, float(np.sqrt(v[0])), nan, nan, nan, 1, nan, margin)
    tau2 = reml_tau2(y, v)
    mu, wald_var, q = _fit_at(y, v, tau2)
    se = float(np.sqrt(wald_var * (max(q, 1.0) if floor else q)))
    t = stats.t.ppf(1 - alpha / 2, k - 1)
    if k >= 3:
        half_pred = stats.t.ppf(1 - alpha / 2, k - 2) * np.sqrt(tau2 + se ** 2)
        pred = (mu - half_pred, mu + half_pred)
    else:
        pred = (nan, nan)
    p = float(stats.t.sf((mu - margin) / se, k - 1)) if se > 0 else nan
    return Pooled(mu, mu - t * se, mu + t * se, se, float(tau2), float(pred[0]), float(pred[1]), k, p, margin,
                  units=k)


METHOD_MULTILEVEL = ("multilevel random-effects meta-analysis of dataset x network estimates (REML: "
                     "between datasets and between networks within a dataset; Hartung-Knapp rescaled t "
                     "interval on datasets - 1 df, never narrower than the model's)")
METHOD_MULTILEVEL_T = ("multilevel random-effects meta-analysis of dataset x network estimates (REML: "
                       "between datasets and between networks within a dataset; t interval on datasets - 1 df)")


def gls_weights(v, cluster, tau2_cluster: float, tau2_unit: float) -> np.ndarray:
    """Each unit's generalised least-squares weight in the pooled mean of the two-level model
    (column sums of the inverse marginal covariance; a NaN component counts as 0), unnormalised."""
    cov = (np.diag(np.asarray(v, float) + np.nan_to_num(tau2_unit))
           + np.nan_to_num(tau2_cluster) * _cluster_matrix(cluster))
    return np.linalg.inv(cov).sum(axis=0)


def _cluster_matrix(cluster) -> np.ndarray:
    codes = np.unique(np.asarray(cluster, dtype=str), return_inverse=True)[1]
    return (codes[:, None] == codes[None, :]).astype(float)


def _restricted_nll(theta, y, v, same) -> float:
    """The negative restricted log-likelihood (up to a constant) of the two-level model at
    components ``theta = (sigma2_cluster, sigma2_unit)``; ``same``: the units' same-cluster matrix."""
    V = np.diag(v + theta[1]) + theta[0] * same
    inv = np.linalg.inv(V)
    sw = inv.sum()
    r = y - inv.sum(axis=0) @ y / sw
    return 0.5 * (np.linalg.slogdet(V)[1] + np.log(sw) + r @ inv @ r)


def _scale(y, v) -> float:
    """The spread the two-level fits run at (so their optimum does not depend on y's units)."""
    return (float(np.var(y, ddof=1)) if len(y) > 1 else 0.0) + (float(np.max(v)) if len(y) else 1.0)


def component_intervals(y, v, cluster, alpha: float = ALPHA) -> dict[str, tuple[float, float]]:
    """Profile-likelihood ``(low, high)`` intervals of the two components of
    :func:`reml_two_level` (``"cluster"``, ``"unit"``), as metafor's ``confint(rma.mv(...))``
    gives them: each component's bounds are where the restricted likelihood, maximised over the
    other component, falls by half the chi-square (1 df) quantile from its maximum; a bound is 0
    where the likelihood at 0 is still inside. NaN for a component the data cannot separate.
    Why: the total tau's Q-profile bound (:func:`tau2_interval`) treats the units as independent;
    these respect the nesting, and say how large each heterogeneity could be."""
    from scipy import optimize, stats

    y, v = np.asarray(y, float), np.asarray(v, float)
    cluster = np.asarray(cluster, dtype=str)
    nan = (float("nan"), float("nan"))
    if len(y) < 2:
        return {"cluster": nan, "unit": nan}
    s_c, s_u, _ = reml_two_level(y, v, cluster)
    same, scale = _cluster_matrix(cluster), _scale(y, v)
    ys, vs = y / np.sqrt(scale), v / scale
    fitted = np.array([np.nan_to_num(s_c), np.nan_to_num(s_u)]) / scale
    top = 10.0 * (float(np.var(ys, ddof=1)) + float(np.max(vs))) + 1e-9
    floor = _restricted_nll(fitted, ys, vs, same)
    drop = stats.chi2.ppf(1 - alpha, 1) / 2

    def profile(value, which, free):
        def at(other):
            theta = np.empty(2)
            theta[which], theta[1 - which] = value, other
            return _restricted_nll(theta, ys, vs, same)
        if not free:
            return at(0.0) - floor
        return optimize.minimize_scalar(at, bounds=(0.0, top), method="bounded",
                                        options={"xatol": 1e-10 * top}).fun - floor

    out = {}
    for name, which, est in (("cluster", 0, s_c), ("unit", 1, s_u)):
        if not np.isfinite(est):
            out[name] = nan
            continue
        free = np.isfinite((s_u, s_c)[which])
        centre = fitted[which]
        low = 0.0 if profile(0.0, which, free) <= drop else optimize.brentq(
            lambda x: profile(x, which, free) - drop, 0.0, centre, xtol=1e-12)
        hi = max(centre, 1e-6) * 2
        while profile(hi, which, free) <= drop:
            hi *= 2
        high = optimize.brentq(lambda x: profile(x, which, free) - drop, centre, hi, xtol=1e-12)
        out[name] = (float(low * scale), float(high * scale))
    return out


def reml_two_level(y, v, cluster) -> tuple[float, float, float]:
    """REML estimates ``(sigma2_cluster, sigma2_unit, restricted log-likelihood)`` of the model
    ``y_ij = mu + u_i + e_ij + eps_ij``: ``u_i ~ N(0, sigma2_cluster)`` shared by the units of a
    cluster (a dataset), ``e_ij ~ N(0, sigma2_unit)`` (a network on it), ``eps_ij ~ N(0, v_ij)``
    the unit's sampling error (metafor's ``rma.mv(y, v, random = ~ 1 | cluster/unit)``; the
    log-likelihood on metafor's scale, checked in ``tests/test_meta.py``).

    A component the data cannot separate is NaN, never an arbitrary split: with one cluster,
    ``sigma2_cluster`` (only ``sigma2_unit`` is fitted); with one unit per cluster,
    ``sigma2_unit`` (their sum is fitted, as ``sigma2_cluster``). The search runs on data scaled
    to unit spread (the same optimum whatever the units of ``y``), from a grid of starts, each
    component in [0, 10 x (spread of y + largest v)]."""
    from scipy.optimize import minimize

    y, v = np.asarray(y, float), np.asarray(v, float)
    cluster = np.asarray(cluster, dtype=str)
    k, same = len(y), _cluster_matrix(cluster)
    sizes = np.unique(cluster, return_counts=True)[1]
    fit_cluster, fit_unit = len(sizes) >= 2, sizes.max(initial=0) >= 2

    def nll(theta, y, v):
        return _restricted_nll(theta, y, v, same)

    scale = _scale(y, v)
    ys, vs = y / np.sqrt(scale), v / scale
    spread = float(np.var(y, ddof=1)) if k > 1 else 0.0
    bound = (0.0, 10.0 * (spread / scale + float(np.max(vs))) + 1e-9)
    bounds = [bound if fit_cluster else (0.0, 0.0), bound if (fit_unit or not fit_cluster) else (0.0, 0.0)]
    starts = [np.array([a if fit_cluster else 0.0, b]) for a in (0.0, 0.1, 0.5) for b in (0.0, 0.1, 0.5)]
    best = min((minimize(nll, x0, args=(ys, vs), method="L-BFGS-B", bounds=bounds,
                         options={"ftol": 1e-14, "gtol": 1e-10}) for x0 in starts),
               key=lambda r: r.fun)
    s_c, s_u = (float(x) * scale for x in best.x)
    loglik = -float(nll((s_c, s_u), y, v)) - 0.5 * (k - 1) * np.log(2 * np.pi) + 0.5 * np.log(k)
    return (s_c if fit_cluster else float("nan")), (s_u if fit_unit else float("nan")), loglik


def multilevel(y, v, cluster, alpha: float = ALPHA, margin: float = 0.0, equivalence: float = MARGIN,
               knapp_hartung: bool = True, component_bounds: bool = False) -> Pooled:
    """Pool unit estimates ``y`` (one per dataset and network) with sampling variances ``v``,
    units nested in ``cluster`` (their dataset): the two variance components of
    :func:`reml_two_level`, the estimate by generalised least squares, its interval a t on
    ``datasets - 1`` degrees of freedom (metafor's "contain" degrees of freedom for the
    intercept: the datasets, not the units, are the replicates a claim about datasets has), the
    prediction interval for a new network on a new dataset ``mu +- t_{datasets-2} sqrt(tau2 +
    se^2)``. ``k`` counts datasets, ``units`` the estimates. ``p`` tests ``effect <= margin``
    (the bound "holds" reads), ``p_equivalence`` ``|effect| >= equivalence`` (two one-sided
    tests, the bound "equivalent" reads).

    ``knapp_hartung`` (default): the standard error is rescaled by ``sqrt(max(1, q))``, ``q =
    r' V^-1 r / (units - 1)`` the weighted spread of the residuals about the estimate (the
    Hartung-Knapp / Sidik-Jonkman factor of a one-level model, in its generalised least-squares
    form; floored at 1 as the "modified" rule of Roever et al. 2015, so it only widens). Why:
    each unit's variance comes from 5 folds (4 degrees of freedom), and the model's se treats
    those variances as known; with one unit per dataset this is :func:`random_effects`'s
    interval. ``False`` gives metafor's ``rma.mv(..., test="t")`` interval (checked against it).
    ``tau2_low``/``tau2_high``: :func:`tau2_interval` over the units, treated as independent (a
    bound on the total tau, not on either component); ``pred_*_tau_high``: the prediction
    interval were the total tau^2 at that bound, the estimate and its se refitted with it as a
    between-unit variance. ``component_bounds``: also each component's profile-likelihood upper
    bound (:func:`component_intervals`; a few hundred likelihood fits, so asked for where printed).

    Why not one estimate per dataset (the networks' fold differences averaged): a dataset's
    variance then comes from 5 folds (4 degrees of freedom) and weights follow chance. On
    ``extended`` (2026-12-06) Cells2's two networks moved in opposite directions fold by fold
    (MobileNetV2 -14.3, Xception +14.3 on fold 0), so its averaged folds barely varied and it took
    93 % of the weight; and the networks' own disagreement, which a claim about networks in general
    must carry, was averaged away. Here each network is a unit with its own variance, and networks
    that disagree on a dataset widen the interval through ``tau2_unit``. The units of a dataset
    share its test folds; their sampling covariance, estimated from 5 folds, would bring the
    chance weights back, so it is left out (a working independence model, as a multilevel
    meta-analysis without known covariances does)."""
    from scipy import stats

    y, v = np.asarray(y, float), np.asarray(v, float)
    cluster = np.asarray(cluster, dtype=str)
    keep = np.isfinite(y) & np.isfinite(v) & (v > 0)
    y, v, cluster = y[keep], v[keep], cluster[keep]
    nan = float("nan")
    n, d = len(y), len(set(cluster))
    if n == 0:
        return Pooled(nan, nan, nan, nan, nan, nan, nan, 0, nan, margin, METHOD_MULTILEVEL, 0)
    if n == 1:
        return Pooled(float(y[0]), nan, nan, float(np.sqrt(v[0])), nan, nan, nan, 1, nan, margin,
                      METHOD_MULTILEVEL, 1)
    s_c, s_u, _ = reml_two_level(y, v, cluster)  # NaN: not identified (counted as 0 in V)
    c, u = np.nan_to_num(s_c), np.nan_to_num(s_u)
    inv = np.linalg.inv(np.diag(v + u) + c * _cluster_matrix(cluster))
    sw = float(inv.sum())
    mu = float(inv.sum(axis=0) @ y / sw)  # the weights of gls_weights
    se_model = float(np.sqrt(1.0 / sw))
    hk = float((y - mu) @ inv @ (y - mu) / (n - 1))
    se = se_model * float(np.sqrt(max(hk, 1.0))) if knapp_hartung else se_model
    tau2 = float(c + u)
    method = METHOD_MULTILEVEL if knapp_hartung else METHOD_MULTILEVEL_T
    tau2_low, tau2_high = tau2_interval(y, v, alpha)
    extra = dict(se_model=se_model, hk_factor=hk, tau2_low=tau2_low, tau2_high=tau2_high)
    if component_bounds:
        bounds = component_intervals(y, v, cluster, alpha)
        extra |= dict(tau2_dataset_high=bounds["cluster"][1], tau2_unit_high=bounds["unit"][1])
    if d < 2:  # several networks on one dataset: no interval across datasets
        return Pooled(mu, nan, nan, se, tau2, nan, nan, d, nan, margin, method, n, s_c, s_u, **extra)
    t = stats.t.ppf(1 - alpha / 2, d - 1)
    pred = wide = (nan, nan)
    if d >= 3:
        t_pred = stats.t.ppf(1 - alpha / 2, d - 2)
        half = t_pred * np.sqrt(tau2 + se ** 2)
        pred = (mu - half, mu + half)
        if np.isfinite(tau2_high) and tau2_high > tau2:
            mu_w, var_w, q_w = _fit_at(y, v, tau2_high)  # the whole bound as between-unit variance
            se_w = float(np.sqrt(var_w * (max(q_w, 1.0) if knapp_hartung else 1.0)))
            half_wide = t_pred * np.sqrt(tau2_high + se_w ** 2)
            wide = (mu_w - half_wide, mu_w + half_wide)
        else:
            wide = pred
    p = float(stats.t.sf((mu - margin) / se, d - 1))
    p_eq = float(max(stats.t.sf((mu + equivalence) / se, d - 1), stats.t.sf((equivalence - mu) / se, d - 1)))
    return Pooled(mu, mu - t * se, mu + t * se, se, tau2, float(pred[0]), float(pred[1]), d, p, margin,
                  method, n, s_c, s_u, p_eq, pred_low_tau_high=float(wide[0]), pred_high_tau_high=float(wide[1]),
                  **extra)


@dataclass(frozen=True)
class Components:
    """Variance components of a paired accuracy difference, in points^2.

    ``fold``: between folds of one unit (a network's per-fold difference of the two arms' true
    accuracies, without seed noise); ``seed``: one training run's accuracy about its fold's
    mean (each arm); ``dataset``: between datasets' true differences; ``network``: between the
    networks of one dataset (:func:`multilevel`'s two components); ``ratio``: the splits'
    test/train ratio (Nadeau-Bengio); ``members``: the networks run on each dataset."""

    fold: float
    seed: float
    dataset: float
    ratio: float
    members: float = 1.0  # networks per dataset, each a unit with its own folds and seeds
    network: float = 0.0

    def dataset_variance(self, folds: int, seeds: int) -> float:
        """Variance of one dataset's mean over its ``members`` networks, each from ``folds``
        folds and ``seeds`` runs per arm (their sampling errors independent, as the model has
        them), about the dataset's true effect."""
        unit = (1.0 / folds + self.ratio) * (self.fold + 2.0 * self.seed / seeds) + self.network
        return unit / self.members


def detectable(components: Components, datasets: int, folds: int, seeds: int,
               alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest pooled effect (points) a design of ``datasets`` x ``folds`` x ``seeds``
    detects with ``power`` (two-sided ``alpha``), under a t with
    ``datasets - 1`` degrees of freedom; NaN under 2 datasets."""
    from scipy import stats

    if datasets < 2:
        return float("nan")
    df = datasets - 1
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * pooled_se(components, datasets, folds, seeds))


def pooled_se(components: Components, datasets: int, folds: int, seeds: int) -> float:
    """The standard error of the pooled effect of ``datasets`` x ``folds`` x ``seeds``."""
    return float(np.sqrt((components.dataset + components.dataset_variance(folds, seeds)) / datasets))


def datasets_for_equivalence(components: Components, folds: int, seeds: int, margin: float = MARGIN,
                             alpha: float = ALPHA, power: float = POWER, most: int = 500) -> int | None:
    """The fewest datasets with which ``folds`` x ``seeds`` show a true effect of 0 as *equivalent*
    (its 95 % interval wholly within +-``margin``, as :func:`medlib.stats.decide_margin` reads it)
    with ``power``: ``(t_{1-alpha/2} + t_{(1+power)/2}) * se <= margin`` (None: over ``most``).
    Why a tie is so much dearer than a win: the interval must fit inside a 4-point band."""
    from scipy import stats

    for d in range(2, most + 1):
        df = d - 1
        if (stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf((1 + power) / 2, df)) * pooled_se(
                components, d, folds, seeds) <= margin:
            return d
    return None


def datasets_needed(components: Components, effect: float, folds: int, seeds: int,
                    most: int = 200) -> int | None:
    """The fewest datasets with which ``folds`` x ``seeds`` each detect ``effect`` (None: over ``most``)."""
    for d in range(2, most + 1):
        if detectable(components, d, folds, seeds) <= effect:
            return d
    return None


def design_power(components: Components, datasets=(2, 6, 8, 11), folds=(3, 5, 10), seeds=(1, 2, 3),
                 effects=(5.0, 7.0)) -> "pd.DataFrame":
    """One row per design (datasets x folds x seeds): the smallest effect it detects at 80 %
    power, per ``effects`` the datasets such folds x seeds would need, and the datasets they
    would need to show a true tie as equivalent within the +-2 margin."""
    import pandas as pd

    rows = []
    for d in datasets:
        for j in folds:
            for r in seeds:
                row = {"datasets": d, "folds": j, "seeds": r,
                       "detectable_points": round(detectable(components, d, j, r), 1)}
                for e in effects:
                    row[f"datasets_for_{e:g}"] = datasets_needed(components, e, j, r)
                row["datasets_for_equivalence"] = datasets_for_equivalence(components, j, r)
                rows.append(row)
    return pd.DataFrame(rows)


def seed_variance(accuracies_by_fold) -> float:
    """Pooled within-fold variance of replicate runs (each fold: its runs' accuracies), the
    seed component; NaN without a fold of two runs."""
    num = den = 0.0
    for runs in accuracies_by_fold:
        runs = np.asarray(runs, float)
        runs = runs[np.isfinite(runs)]
        if len(runs) >= 2:
            num += np.var(runs, ddof=1) * (len(runs) - 1)
            den += len(runs) - 1
    return num / den if den else float("nan")


__all__ = ["Pooled", "random_effects", "reml_tau2", "reml_two_level", "multilevel", "METHOD_MULTILEVEL", "Components", "detectable", "datasets_needed",
           "pooled_se", "datasets_for_equivalence",
           "design_power", "seed_variance", "METHOD"]
