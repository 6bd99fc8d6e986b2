"""How far a pooled comparison's verdict depends on the analysis chosen: the same units, other
defensible analyses, each decided by the same rule.

Why: the primary analysis (:func:`medlib.evidence.pooled`, intention to treat) makes choices a
reviewer may not share, and with six datasets each could move the verdict:

* **weights**: each unit is weighted by the inverse of a variance estimated from 5 folds (4
  degrees of freedom), so a unit whose folds happened to agree takes a large share by chance;
  *weights by design* gives every unit the comparison's pooled fold variance (corrected for its
  own folds and split), *datasets equally* averages each dataset's units and then the datasets,
  with a t over datasets and no weights at all;
* **the interval**: the primary rescales by Hartung-Knapp; *model t* is the interval without it
  (metafor's ``rma.mv`` t; before the 2026-12-07 amendment the claims used it, with the older
  split ratio);
* **networks**: the model has networks as random within datasets, though only two were sampled
  and each recurs on every dataset; *per network* pools each network alone over datasets;
* **influence**: *leave one dataset out* refits without each dataset in turn;
* **the metric**: accuracy ties two arms that both answer the majority class (covid-chestxray's
  four arms sit at its 79 % floor), so the primary is refitted *on balanced accuracy* and *on
  AUC*, which a floor does not flatten.

:func:`robustness_table` gives one row per analysis with its estimate, interval and verdict;
:func:`robustness_summary` says in one line whether any analysis decides differently.
:func:`weight_shares` says which units the primary analysis leans on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import evidence, meta, stats

OTHER_METRICS = (("balanced_accuracy", "balanced accuracy"), ("auc", "AUC"))  # floor-free readings
COLUMNS = ["analysis", "what", "estimate", "low", "high", "datasets", "units", "verdict"]


def weight_shares(result: evidence.Pooled) -> pd.Series:
    """Each pooled unit's share of the primary analysis's weight (generalised least squares under
    the fitted components, summing to 1), indexed by ``"dataset member"``, largest first."""
    u = result.pooled_units
    p = result.primary
    if not len(u) or not np.isfinite(p.estimate):
        return pd.Series(dtype=float)
    w = meta.gls_weights(u["variance"].to_numpy(float), u["dataset"], p.tau2_dataset, p.tau2_unit)
    labels = [f"{d} {m}" for d, m in zip(u["dataset"], u[result.member])]
    return pd.Series(w / w.sum(), index=labels).sort_values(ascending=False)


def _row(analysis: str, what: str, p: meta.Pooled) -> dict:
    return {"analysis": analysis, "what": what, "estimate": p.estimate, "low": p.low, "high": p.high,
            "datasets": p.k, "units": p.units, "verdict": stats.decide_margin(p.low, p.high)}


def _common_variance(units: pd.DataFrame) -> pd.Series:
    """Each unit's variance were its folds to vary as the comparison's pooled fold variance does
    (the fold SDs of the units with their own variance, weighted by degrees of freedom)."""
    own = (units["variance_source"] == evidence.OWN_VARIANCE if "variance_source" in units
           else units["sd"].fillna(0) > 0)
    return (1.0 / units["folds"] + units["ratio"]) * evidence.pooled_fold_variance(units[own])


def _equal_datasets(units: pd.DataFrame) -> meta.Pooled:
    """Each dataset's units averaged, then the datasets averaged, unweighted; a t over datasets
    (no interval where the dataset means do not vary: nothing to estimate a spread from)."""
    from scipy import stats as st

    means = units.groupby("dataset")["estimate"].mean()
    d, nan = len(means), float("nan")
    if d < 2:
        return meta.Pooled(float(means.mean()) if d else nan, nan, nan, nan, nan, nan, nan, d, nan, units=len(units))
    mu, se = float(means.mean()), float(means.std(ddof=1) / np.sqrt(d))
    if not se > 0:
        return meta.Pooled(mu, nan, nan, se, nan, nan, nan, d, nan, units=len(units))
    half = st.t.ppf(1 - stats.ALPHA / 2, d - 1) * se
    return meta.Pooled(mu, mu - half, mu + half, se, nan, nan, nan, d, float(st.t.sf(mu / se, d - 1)),
                       method="unweighted mean of dataset means, t on datasets - 1 df", units=len(units))


def robustness_table(result: evidence.Pooled) -> pd.DataFrame:
    """One row per analysis of ``result``'s pooled units (module doc), the primary and the
    pre-specified sensitivity analysis first; each decided by :func:`medlib.stats.decide_margin`."""
    u, member = result.pooled_units, result.member
    rows = [_row("primary", evidence.PRIMARY, result.primary),
            _row("sensitivity", evidence.SENSITIVITY, result.sensitivity)]
    if len(u) < 2:
        return pd.DataFrame(rows, columns=COLUMNS)
    y, v, cluster = u["estimate"], u["variance"], u["dataset"]
    rows.append(_row("model t", "the primary without the Hartung-Knapp rescaling",
                     meta.multilevel(y, v, cluster, knapp_hartung=False)))
    rows.append(_row("weights by design", "every unit given the pooled fold variance (weights by folds and "
                     "split, not by each unit's 4-df variance)", meta.multilevel(y, _common_variance(u), cluster)))
    rows.append(_row("datasets equally", "each dataset's units averaged, datasets averaged unweighted",
                     _equal_datasets(u)))
    for name, g in u.groupby(member):
        rows.append(_row(f"{name} alone", f"{name}'s units only, one per dataset (REML, Hartung-Knapp)",
                         meta.multilevel(g["estimate"], g["variance"], g["dataset"])))
    for dataset in sorted(set(cluster)):
        g = u[u["dataset"] != dataset]
        rows.append(_row(f"without {dataset}", "leave one dataset out",
                         meta.multilevel(g["estimate"], g["variance"], g["dataset"])))
    if result.again is not None and result.metric == "accuracy":
        for metric, label in OTHER_METRICS:
            other = result.again(metric=metric)
            if other is not None:
                rows.append(_row(f"on {label}", f"the primary on {label} (points), not accuracy: two arms at "
                                 "the majority class tie on accuracy whatever their scores rank", other.primary))
    return pd.DataFrame(rows, columns=COLUMNS)


def robustness_summary(table: pd.DataFrame) -> str:
    """One line: the verdict every analysis reaches, or which analyses decide otherwise than the
    primary, with the range of their estimates."""
    if not len(table):
        return "no analysis"
    primary = table.iloc[0]["verdict"]
    others = table[table["verdict"] != primary]
    span = f"estimates {table['estimate'].min():+.1f} to {table['estimate'].max():+.1f}"
    if not len(others):
        return f"all {len(table)} analyses {primary} ({span})"
    return (f"{len(table) - len(others)} of {len(table)} analyses {primary} ({span}); otherwise: "
            + "; ".join(f"{r.analysis} {r.verdict}" for r in others.itertuples()))


__all__ = ["robustness_table", "robustness_summary", "weight_shares", "COLUMNS"]
