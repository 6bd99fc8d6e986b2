"""Training strategies compared arm by arm (issue 38): every pair of arms that ran on the same
folds, per dataset and network, described, and the power each planned pair would have.

These describe fitted arms on one dataset and network at a time (paired folds, seeds averaged
within a fold, the Nadeau-Bengio corrected interval, the claims' +-2 rule in the arms' names);
a claim about strategies pools such units across datasets (:func:`medlib.evidence.pooled`,
decided in :mod:`medlib.report`). Notebook 02 prints both tables and the arms' forest.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import evidence, stats


def arm_pairs(present) -> list[tuple[str, str]]:
    """Every pair ``(a, b)`` of training strategies among ``present``, compared as ``b - a``: the
    paper's arms first, in the order of their tables (off-the-shelf, Table 5, before scratch,
    Table 7), then the arms it did not run (fine-tuning) in registry order, so a later arm is
    always set against the earlier ones (scratch - off-the-shelf as in the central claim)."""
    from .strategies import STRATEGIES

    order = sorted((k for k in STRATEGIES if k in set(present)),
                   key=lambda k: (STRATEGIES[k].paper_table is None,
                                  int("".join(c for c in STRATEGIES[k].paper_table or "0" if c.isdigit()) or 0)))
    return [(a, b) for i, a in enumerate(order) for b in order[i + 1:]]


def _arm_verdict(low: float, high: float, a: str, b: str, margin: float = stats.MARGIN) -> str:
    """The claims' rule (:func:`medlib.stats.decide_margin`) in the arms' names, symmetric: which
    arm is better and whether by more than ``margin``; an interval wholly within +-``margin`` is
    also a tie by the rule, and says so."""
    from .strategies import get

    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{stats.INCONCLUSIVE} (no interval: the folds do not spread, or no split sizes)"
    side, beyond, tie = stats.margin_position(low, high, margin)
    if side:
        better = get(b).label if side > 0 else get(a).label
        word = f"{better} better ({'by more than' if beyond else 'not shown by more than'} {margin:g})"
        return word + (f"; equivalent within +-{margin:g}" if tie else "")
    return f"{stats.EQUIVALENT} (within +-{margin:g})" if tie else stats.INCONCLUSIVE


ARM_COLUMNS = ["comparison", "dataset", "network", "folds", "a", "b", "estimate", "low", "high", "detectable",
               "replicates_a", "replicates_b", "at_floor", "verdict"]


def arm_comparisons(df: pd.DataFrame) -> pd.DataFrame:
    """Every pair of arms that ran on the same folds (:func:`arm_pairs`), per dataset and network:
    accuracy of each (``a``, ``b``; seeds averaged within a fold), the mean paired difference
    ``b - a`` with its Nadeau-Bengio corrected 95 % interval, the smallest difference the unit's
    folds detect at 80 % power, the arms whose mean accuracy is within 5 points of their floor
    (``at_floor``; intention to treat: they stay) and the claims' +-2 rule in words
    (:func:`_arm_verdict`); ``replicates_*`` the fewest seeds a fold of each arm has. A description
    of these fitted arms; a claim about strategies pools its units across datasets
    (:func:`medlib.evidence.pooled`)."""
    from .strategies import get

    rows = []
    for a, b in arm_pairs(df["strategy"]) if len(df) else ():
        _, table = evidence.units(df, "strategy", a, b)
        for r in table.to_dict("records") if len(table) else ():
            verdict = (f"not tested: {r['invalid']}" if r["invalid"] else _arm_verdict(r["low"], r["high"], a, b))
            floors = ", ".join(get(k).label for k in str(r["at_floor"]).split(", ") if k)
            rows.append({**{k: r[k] for k in ARM_COLUMNS if k in r}, "comparison": f"{get(b).label} - {get(a).label}",
                         "at_floor": floors, "verdict": verdict})
    return pd.DataFrame(rows, columns=ARM_COLUMNS)


def arm_design(df: pd.DataFrame, profile) -> pd.DataFrame:
    """Power before hours for every pair of arms ``profile`` plans (:meth:`Profile.planned_units`):
    per planned unit, the folds both arms run and the smallest difference they would detect at
    80 % power (:func:`medlib.stats.detectable_difference`) if their per-fold differences spread
    as observed: the unit's own spread where at least 3 valid folds ran (``basis`` "observed"),
    else the largest spread of another pair on the same dataset and network ("as <pair>", with
    the seeds it ran: a stand-in, said), else not estimated. A spread from 5 folds is itself
    uncertain (its 95 % range is about 0.6 to 2.9 times the estimate), so read the figure as an
    order of magnitude. Units of an arm that needs ImageNet weights are planned only for the
    networks that have them offline."""
    from .profiles import WITH_WEIGHTS
    from .strategies import get

    strategies_planned = {b.strategy for b in profile.blocks}
    all_networks = sorted({n for b in profile.blocks for n in b.networks})
    observed = {}
    for a, b in arm_pairs(strategies_planned):
        _, table = evidence.units(df, "strategy", a, b) if len(df) else (None, pd.DataFrame())
        for r in table.to_dict("records") if len(table) else ():
            if (not r["invalid"] and r["folds"] >= stats.MIN_FOLD_PAIRS and np.isfinite(r["sd"]) and r["sd"] > 0
                    and np.isfinite(r["ratio"])):
                observed[(a, b, r["dataset"], r["network"])] = r
    rows = []
    for a, b in arm_pairs(strategies_planned):
        # an arm that needs ImageNet weights runs only where they exist offline (the others: "not run")
        weights = get(a).needs_weights or get(b).needs_weights
        for u in profile.planned_units(a, b, [n for n in all_networks if n in WITH_WEIGHTS or not weights]):
            key = (u["dataset"], u["network"])
            own = observed.get((a, b, *key))
            others = [(pa, pb, r) for (pa, pb, *k), r in observed.items() if tuple(k) == key]
            if own is not None:
                src, basis = own, "observed"
            elif others:
                pa, pb, src = max(others, key=lambda o: o[2]["sd"])  # the widest: the cautious stand-in
                basis = (f"as {get(pb).label} - {get(pa).label} (seeds a fold: {get(pb).label} "
                         f"{src['replicates_b']}, {get(pa).label} {src['replicates_a']})")
            else:
                src, basis = None, "not estimated: no paired folds on this unit yet"
            detectable = (stats.detectable_difference(src["sd"], u["folds"], src["ratio"]) if src is not None
                          else float("nan"))
            rows.append({"comparison": f"{get(b).label} - {get(a).label}", **u, "detectable": detectable,
                         "basis": basis})
    return pd.DataFrame(rows, columns=["comparison", "dataset", "network", "folds", "replicates_a", "replicates_b",
                                       "detectable", "basis"])
