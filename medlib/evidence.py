"""Paired comparisons pooled across datasets: the evidence a claim about strategies or networks rests on.

The unit of inference is a training run on a dataset, not a test image. For a comparison
``b - a`` (scratch minus off-the-shelf, or one network minus another):

1. **Per dataset and network** (a *unit*): accuracy per fold on each arm, seed replicates
   averaged within the fold, paired by fold; the mean difference with the Nadeau-Bengio
   corrected interval (:func:`medlib.stats.corrected_fold_interval`, test/train ratio from
   the rows' own split sizes).
2. **Across datasets and networks**: :func:`medlib.meta.multilevel`: the units nested in
   their datasets, a variance between datasets and one between the networks of a dataset
   (REML), a t interval on datasets - 1 degrees of freedom, tau (both components) and the
   prediction interval for a new network on a new dataset. Why units and not one averaged
   estimate per dataset: see :func:`medlib.meta.multilevel` (a 5-fold variance of averaged
   networks let one dataset take 93 % of the weight by chance).
3. **Per dataset** (description only, the forest plot's green rows): the per-fold differences
   averaged over the networks compared, with the corrected interval.

**Intention to treat.** A unit whose arm sits at its floor is an outcome of that network,
strategy and recipe: the primary analysis keeps it. The pre-specified sensitivity analysis
leaves out every unit with an arm at its floor; both are returned. A unit whose folds all
differ by the same amount (no variance of its own) is kept with the comparison's pooled fold
variance. Units whose arm has folds of more than one configuration hash, or fewer than
:data:`medlib.stats.MIN_FOLD_PAIRS` paired folds, are invalid in both (named in ``left_out``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from . import meta, stats
from .diagnose import at_floor
from .experiments import compare
from .experiments.compare import test_train_ratio

PRIMARY = "intention to treat (primary): every unit, runs at their floor counted as they are"
SENSITIVITY = "sensitivity: units with an arm at its floor left out"


OWN_VARIANCE, BORROWED_VARIANCE = "its folds", "borrowed: the comparison's pooled fold variance"


def _variance(diffs, ratio: float) -> float:
    """The corrected variance of the mean of ``diffs``; NaN under :data:`medlib.stats.MIN_FOLD_PAIRS`
    folds or without spread (folds that all differ by the same amount carry no estimate of their
    variance): :func:`pooled` then gives the unit a borrowed variance (:func:`_borrow_variances`)."""
    if len(diffs) < stats.MIN_FOLD_PAIRS:
        return float("nan")
    var = stats.corrected_variance(diffs, ratio)
    return var if var > 0 else float("nan")


def units(df: pd.DataFrame, side: str, a: str, b: str, within=("dataset", "network"),
          fixed: dict | None = None, metric: str = "accuracy") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(pairs, units)``: the fold pairs (:func:`medlib.experiments.compare.fold_pairs`) of
    ``metric`` and one row per ``within`` group with its corrected interval, floors, replicates
    and validity. Floors are majority-class accuracies: only an accuracy comparison marks them."""
    data = df
    for col, value in (fixed or {}).items():
        data = data[data[col] == value]
    if metric not in data or data[metric].isna().all():  # tables written before the metric existed
        return pd.DataFrame(), pd.DataFrame()
    pairs = compare.fold_pairs(data, side, a, b, tuple(within), metric=metric)
    rows = []
    if not len(pairs):
        return pairs, pd.DataFrame()
    for key, g in pairs.groupby(list(within)):
        key = key if isinstance(key, tuple) else (key,)
        own = (data["dataset"] == g["dataset"].iloc[0]) & data[side].isin([a, b])
        for col, value in zip(within, key):
            own &= data[col] == value
        ratio = test_train_ratio(data[own])  # this unit's two arms
        iv = stats.corrected_fold_interval(g["diff"], ratio)
        floors = [s for s, col in ((a, "a"), (b, "b"))
                  if metric == "accuracy" and at_floor(g[col].mean(), g[f"majority_{col}"].mean())]
        mixed = any(g[c].str.contains(" ").any() or g[c].nunique() > 1 for c in ("config_hash_a", "config_hash_b"))
        invalid = ("folds of more than one configuration hash" if mixed else
                   f"{len(g)} paired folds (fewer than {stats.MIN_FOLD_PAIRS})"
                   if len(g) < stats.MIN_FOLD_PAIRS else "")
        rows.append({**dict(zip(within, key)), "folds": len(g), "a": g["a"].mean(), "b": g["b"].mean(),
                     "majority": g["majority_b"].mean(), "estimate": iv.estimate, "low": iv.low,
                     "high": iv.high, "variance": _variance(g["diff"], ratio), "ratio": ratio,
                     "sd": float(g["diff"].std(ddof=1)) if len(g) > 1 else float("nan"), "detectable": iv.detectable,
                     "replicates_a": int(g["replicates_a"].min()), "replicates_b": int(g["replicates_b"].min()),
                     "at_floor": ", ".join(floors), "invalid": invalid, "variance_source": OWN_VARIANCE,
                     "config_hashes": " ".join(sorted(set(g["config_hash_a"]) | set(g["config_hash_b"])))})
    return pairs, pd.DataFrame(rows)


def by_dataset(pairs: pd.DataFrame, unit_table: pd.DataFrame, keep: pd.Series, member: str = "network") -> pd.DataFrame:
    """Per dataset: the kept units' per-fold differences averaged over their ``member`` column
    (the networks, on the folds every kept network shares), with the corrected variance and interval."""
    rows = []
    kept = unit_table[keep]
    for dataset, u in kept.groupby("dataset"):
        nets = set(u[member])
        g = pairs[(pairs["dataset"] == dataset) & pairs[member].isin(nets)]
        per_fold = g.groupby("fold").filter(lambda f: set(f[member]) == nets).groupby("fold")["diff"].mean()
        ratio = float(u["ratio"].iloc[0])
        iv = stats.corrected_fold_interval(per_fold, ratio)
        rows.append({"dataset": dataset, "networks": ", ".join(sorted(nets)), "folds": len(per_fold),
                     "estimate": iv.estimate, "low": iv.low, "high": iv.high,
                     "variance": _variance(per_fold, ratio)})
    return pd.DataFrame(rows, columns=["dataset", "networks", "folds", "estimate", "low", "high", "variance"])


@dataclass
class Pooled:
    """A comparison pooled across datasets, in both analyses."""

    units: pd.DataFrame
    left_out: list[str]
    primary: meta.Pooled
    sensitivity: meta.Pooled
    datasets_primary: pd.DataFrame
    datasets_sensitivity: pd.DataFrame
    pairs: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    member: str = "network"  # the column whose units are averaged within a dataset
    metric: str = "accuracy"
    # the same comparison on another metric: ``again(metric=...)`` (medlib.robustness), None if unknown
    again: Callable[..., Pooled | None] | None = field(repr=False, default=None)

    @property
    def pooled_units(self) -> pd.DataFrame:
        """The units the primary analysis pools: valid, with a variance (their folds' own, or
        borrowed where their folds did not vary: ``variance_source``)."""
        keep = (self.units["invalid"] == "") & np.isfinite(self.units["variance"].astype(float))
        return self.units[keep]

    def forest(self) -> pd.DataFrame:
        """Rows of the forest plot: every unit, every dataset, the pooled estimates."""
        rows = [{"label": f"{r['dataset']} {r[self.member]}", "level": "unit", "estimate": r["estimate"],
                 "low": r["low"], "high": r["high"], "at_floor": r["at_floor"], "invalid": r["invalid"]}
                for _, r in self.units.iterrows()]
        rows += [{"label": f"{r.dataset}: mean of {r.networks} (description)", "level": "dataset", "estimate": r.estimate,
                  "low": r.low, "high": r.high} for r in self.datasets_primary.itertuples()]
        for name, p in (("pooled, intention to treat", self.primary), ("pooled, at-floor units left out",
                                                                        self.sensitivity)):
            rows.append({"label": name, "level": "pooled", "estimate": p.estimate, "low": p.low, "high": p.high,
                         "pred_low": p.pred_low, "pred_high": p.pred_high, "k": p.k, "tau": p.tau})
        return pd.DataFrame(rows)


def pooled(df: pd.DataFrame, side: str, a: str, b: str, within=("dataset", "network"),
           fixed: dict | None = None, margin: float = 0.0, metric: str = "accuracy") -> Pooled | None:
    """``b - a`` in ``metric`` (points) pooled across datasets, intention to treat and
    sensitivity (module doc); None where no pair exists."""
    pairs, table = units(df, side, a, b, within, fixed, metric)
    if not len(table):
        return None
    member = next(c for c in within if c != "dataset")
    valid = table["invalid"] == ""
    left_out = [f"{r['dataset']} {r[member]}: {r['invalid']}" for _, r in table[~valid].iterrows()]
    table = _borrow_variances(table, valid)
    has_variance = np.isfinite(table["variance"].astype(float))
    left_out += [f"{r['dataset']} {r[member]}: {r['folds']} folds without spread (no variance: not pooled"
                 + (f"; {r['at_floor']} at its floor" if r["at_floor"] else "") + ")"
                 for _, r in table[valid & ~has_variance].iterrows()]
    valid &= has_variance
    sens = valid & (table["at_floor"] == "")
    ds_primary = by_dataset(pairs, table, valid, member)
    ds_sens = by_dataset(pairs, table, sens, member)

    def pool(keep):
        u = table[keep]
        return meta.multilevel(u["estimate"], u["variance"], u["dataset"], margin=margin, component_bounds=True)

    again = partial(pooled, df, side, a, b, within, fixed, margin)
    return Pooled(table, left_out, pool(valid), pool(sens), ds_primary, ds_sens, pairs, member, metric, again)


def pooled_fold_variance(units: pd.DataFrame) -> float:
    """The per-fold variance of paired differences pooled over ``units`` (their fold SDs weighted
    by degrees of freedom): what a unit without its own spread borrows, and what "weights by
    design" (:mod:`medlib.robustness`) gives every unit."""
    dof = units["folds"] - 1
    return float((dof * units["sd"] ** 2).sum() / dof.sum())


def _borrow_variances(table: pd.DataFrame, valid: pd.Series) -> pd.DataFrame:
    """Intention to treat for a unit whose folds all differ by the same amount (two arms both at
    the majority class, say): it has no variance of its own, and leaving it out would drop an
    outcome, so it gets the comparison's pooled per-fold variance (the other valid units' fold
    SDs, weighted by their degrees of freedom), corrected for its own folds and split;
    ``variance_source`` says so. Without a unit to borrow from it stays unpooled (``left_out``)."""
    table = table.copy()
    own = valid & np.isfinite(table["variance"].astype(float))
    lacking = valid & ~own
    if not lacking.any() or not own.any():
        return table
    from scipy import stats as st

    fold_var = pooled_fold_variance(table[own])
    for i in table.index[lacking]:
        r = table.loc[i]
        var = (1.0 / r["folds"] + r["ratio"]) * fold_var
        half = st.t.ppf(1 - stats.ALPHA / 2, r["folds"] - 1) * np.sqrt(var)  # its own folds' df
        table.loc[i, ["variance", "low", "high", "detectable"]] = [
            var, r["estimate"] - half, r["estimate"] + half,
            stats.detectable_difference(np.sqrt(fold_var), int(r["folds"]), r["ratio"])]
        table.loc[i, "variance_source"] = BORROWED_VARIANCE
    return table


def design_progress(result: Pooled, planned: list[dict]) -> str:
    """Where a pooled comparison stands against its registered design (``Profile.planned_units``):
    ``"complete: n of n planned units"`` once every planned unit is pooled with all its folds and
    both arms' seeds, else ``"interim: k of n planned units complete, m pooled"`` (units pooled
    before their design is complete count as they are). An interim verdict is
    printed and labelled, never a reason to stop: the registered design decides (no optional
    stopping on a look at accumulating folds). Empty without a plan."""
    if not planned:
        return ""
    pooled = {(r["dataset"], r[result.member]): r for _, r in result.pooled_units.iterrows()}
    done = sum(1 for p in planned if (u := pooled.get((p["dataset"], p["network"]))) is not None
               and u["folds"] >= p["folds"] and u["replicates_a"] >= p["replicates_a"]
               and u["replicates_b"] >= p["replicates_b"])
    return progress_label(done, len(planned), "planned units", f", {len(pooled)} pooled")


def progress_label(done: int, planned: int, what: str, interim_detail: str = "") -> str:
    """A claim's ``design`` column in one wording: ``"complete: n of n <what>"``, else
    ``"interim: k of n <what> complete<interim_detail>"``."""
    if done == planned:
        return f"complete: {planned} of {planned} {what}"
    return f"interim: {done} of {planned} {what} complete{interim_detail}"


def power_table(df: pd.DataFrame, result: Pooled, taus=(3.0, 5.0), network_taus=(3.0,),
                **designs) -> tuple[meta.Components, pd.DataFrame]:
    """The observed components and :func:`medlib.meta.design_power` under each between-dataset SD
    (the observed one and ``taus``; column ``tau_dataset``) crossed with each between-network SD
    (the observed one and ``network_taus``; column ``tau_network``), in points. Why both: six
    datasets and two networks estimate either poorly, and REML puts both at 0 on the committed
    folds, a boundary estimate; the table shows what a plausible heterogeneity would cost.
    (The claims' ``tau`` is both components together.)"""
    from dataclasses import replace

    comp = observed_components(df, result)
    frames = []
    for tau in sorted({round(float(np.sqrt(comp.dataset)), 1), *taus}):
        for tau_net in sorted({round(float(np.sqrt(comp.network)), 1), *network_taus}):
            frames.append(meta.design_power(replace(comp, dataset=tau ** 2, network=tau_net ** 2), **designs)
                          .assign(tau_dataset=tau, tau_network=tau_net))
    table = pd.concat(frames, ignore_index=True)
    first = ["tau_dataset", "tau_network"]
    return comp, table[first + [c for c in table.columns if c not in first]]


def seed_sd_by_arm(df: pd.DataFrame, result: Pooled) -> dict[str, float]:
    """Each arm's seed SD (points): the pooled within-fold SD of its replicate runs on the units of
    ``result``, NaN for an arm without a fold of two runs. The power model pools both arms into one
    seed component (:func:`observed_components`); this says how far they differ."""
    if not len(result.pairs):
        return {}
    side = result.pairs["side"].iloc[0]
    rows = _compared_runs(df, result)
    return {arm: float(np.sqrt(meta.seed_variance(
                [g["accuracy"].to_numpy() for _, g in rows[rows[side] == arm].groupby(["dataset", result.member, "fold"])])))
            for arm in (result.pairs["side_a"].iloc[0], result.pairs["side_b"].iloc[0])}


def _compared_runs(df: pd.DataFrame, result: Pooled) -> pd.DataFrame:
    """The trained runs (dense head) of ``result``'s pooled units on the two arms it compares: the
    replicate runs the seed components are estimated from. An invalid unit's runs stay out: two
    configurations in one arm would count their difference as seed variance."""
    keys = set(map(tuple, result.pooled_units[["dataset", result.member]].to_numpy()))
    in_units = np.array([(d, m) in keys for d, m in zip(df["dataset"], df[result.member])], bool)
    if len(result.pairs):  # the two arms compared, not every strategy those cells ran
        in_units &= df[result.pairs["side"].iloc[0]].isin([result.pairs["side_a"].iloc[0],
                                                          result.pairs["side_b"].iloc[0]]).to_numpy()
    heads = df["head"] if "head" in df else pd.Series("dense", index=df.index)
    return df[in_units & (df["status"] == "ok").to_numpy() & (heads == "dense").to_numpy()]


__all__ = ["power_table", "seed_sd_by_arm", "pooled_fold_variance", "observed_components", "units", "by_dataset", "pooled", "Pooled", "test_train_ratio", "PRIMARY",
           "SENSITIVITY", "OWN_VARIANCE", "BORROWED_VARIANCE"]


def observed_components(df: pd.DataFrame, result: Pooled, side: str = "strategy") -> meta.Components:
    """The variance components of ``result`` (points^2), for :func:`medlib.meta.design_power`:

    * ``seed``: the pooled within-fold variance of replicate runs (the two arms compared, any
      dataset of the result's units), one run's accuracy about its fold's mean;
    * ``fold``: per unit (a network on a dataset), the variance of its per-fold differences less
      the part the seeds explain at the replicates run, averaged over units (at least 0);
    * ``dataset`` and ``network``: the primary analysis's two REML components (0 where it
      could not estimate them);
    * ``ratio``: the units' mean test/train ratio; ``members``: networks per dataset."""
    rows = _compared_runs(df, result)
    runs = [g["accuracy"].to_numpy() for _, g in rows.groupby(["dataset", result.member, side, "fold"])]
    seed = meta.seed_variance(runs)
    seed = 0.0 if not np.isfinite(seed) else seed
    parts = []
    for _, u in result.pooled_units.iterrows():
        if u.get("variance_source", OWN_VARIANCE) != OWN_VARIANCE:
            continue  # a borrowed variance is the others' again
        reps = 1.0 / max(u["replicates_a"], 1) + 1.0 / max(u["replicates_b"], 1)
        per_fold_var = u["variance"] / (1.0 / u["folds"] + u["ratio"])
        if np.isfinite(per_fold_var):
            parts.append(max(per_fold_var - seed * reps, 0.0))
    finite = lambda x: float(x) if np.isfinite(x) else 0.0  # noqa: E731
    pooled = result.pooled_units
    members = float(pooled.groupby("dataset")[result.member].nunique().mean()) if len(pooled) else 1.0
    return meta.Components(fold=float(np.mean(parts)) if parts else float("nan"), seed=float(seed),
                           dataset=finite(result.primary.tau2_dataset), ratio=float(result.units["ratio"].mean()),
                           members=members, network=finite(result.primary.tau2_unit))
