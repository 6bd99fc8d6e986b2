"""Second readings of the paper, decided by the rules written before they ran (issue 37).

Where the paper is ambiguous and the reading decides a result, both readings run
(:data:`medlib.data.registry.READINGS`), each fold paired with its base dataset's fold of the
same index. This module applies each reading's registered rule to the fold table: an
*augmentation* reading (COV_CT's noise scale) is adopted, kept out, or left undecided
(:func:`adopt_reading`); a *recipe* reading (every network at Adam's default learning rate)
says per network whether it learns under the recipe or stays at its floor
(:func:`recipe_reading`), and runs only once its condition holds (:func:`reading_gate`, asked
by the run queue). Below ``experiments`` in the layers, so the engine can hold a reading's jobs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .diagnose import FLOOR_MARGIN


ADOPT, KEEP, UNDECIDED = "adopt", "keep the first reading", "inconclusive: first reading stays"


def reading_differences(df: pd.DataFrame, reading, network: str) -> pd.DataFrame:
    """Per fold: ``network``'s accuracy under ``reading`` (a :class:`medlib.data.registry.Reading`)
    and under its base dataset, seed replicates averaged within a fold, paired by fold index;
    with each side's floor and the fold's test/train ratio."""
    ok = df[(df["network"] == network) & (df["strategy"] == "scratch") & (df["status"] == "ok")]
    ok = ok.assign(n_fit=ok["n_train"] + ok["n_val"])  # the images the learner had

    def side(key):
        g = ok[ok["dataset"] == key]
        return g.groupby("fold").agg(accuracy=("accuracy", "mean"), majority=("majority", "first"),
                                     n_test=("n_test", "first"), n_fit=("n_fit", "first"))
    new, base = side(reading.key), side(reading.base)
    both = new.join(base, lsuffix="_reading", rsuffix="_base", how="inner")
    both["difference"] = both["accuracy_reading"] - both["accuracy_base"]
    return both.reset_index()


def adopt_reading(df: pd.DataFrame, reading, decisive: str = "ff_vgg19",
                  control: str = "xception") -> dict:
    """The adoption rule of a second reading (``reading.adoption_rule``, written before its run),
    applied to the fold table ``df``: per network, the Nadeau-Bengio corrected interval of the
    paired differences (reading minus base); ``decision`` is :data:`ADOPT`, :data:`KEEP` or
    :data:`UNDECIDED`. A network with fewer than 3 paired folds gives no interval: undecided."""
    out = {}
    for net in dict.fromkeys((decisive, control, *sorted(set(df["network"])))):
        pairs = reading_differences(df, reading, net)
        if not len(pairs):
            continue
        ratio = float((pairs["n_test_base"] / pairs["n_fit_base"]).mean())
        iv = stats.corrected_fold_interval(pairs["difference"], ratio)
        out[net] = {"interval": iv, "folds": len(pairs),
                    "learned": bool((pairs["accuracy_reading"] - pairs["majority_reading"]).mean() > FLOOR_MARGIN)}
    dec, ctl = out.get(decisive), out.get(control)
    defined = dec is not None and ctl is not None and all(
        np.isfinite(x["interval"].low) for x in (dec, ctl))
    if defined and (dec["interval"].high < 0 or ctl["interval"].high < 0):
        decision = KEEP
    elif defined and dec["interval"].low > 0 and dec["learned"]:
        decision = ADOPT
    else:
        decision = UNDECIDED
    return {"decision": decision, "networks": out, "rule": reading.adoption_rule}


LEARNS, STAYS_AT_FLOOR = "learns under the recipe", "stays at its floor"


def recipe_reading(df: pd.DataFrame, reading, networks=None) -> dict:
    """The rule of a ``recipe`` reading (:data:`medlib.data.registry.SHARED_LR_RULE`, written
    before its run), per network of ``networks`` (default: the reading's block's) on the folds
    it shares with its base: the corrected 95 % interval of the paired differences (recipe minus
    base), and :data:`LEARNS` (interval wholly above 0 and mean accuracy more than 5 points above
    the floor), :data:`STAYS_AT_FLOOR` (mean within 5 points of the floor) or inconclusive
    (fewer than 3 paired folds included). ``decision`` lists the networks by verdict. The base's
    rows are never replaced: a recipe reading is printed beside them."""
    from .profiles import SHARED_LR_NETWORKS

    out = {}
    for net in networks or SHARED_LR_NETWORKS:
        pairs = reading_differences(df, reading, net)
        if not len(pairs):
            continue
        ratio = float((pairs["n_test_base"] / pairs["n_fit_base"]).mean())
        iv = stats.corrected_fold_interval(pairs["difference"], ratio)
        above = float((pairs["accuracy_reading"] - pairs["majority_reading"]).mean())
        if above <= FLOOR_MARGIN and len(pairs) >= stats.MIN_FOLD_PAIRS:
            verdict = STAYS_AT_FLOOR
        elif np.isfinite(iv.low) and iv.low > 0 and above > FLOOR_MARGIN:
            verdict = LEARNS
        else:
            verdict = stats.INCONCLUSIVE
        out[net] = {"interval": iv, "folds": len(pairs), "above_floor": above, "verdict": verdict}
    decision = "; ".join(f"{v['verdict']}: {n}" for n, v in out.items()) or "not run yet"
    return {"decision": decision, "networks": out, "rule": reading.adoption_rule}


def reading_gate(df: pd.DataFrame, key: str = "cov_ct_shared_lr", profile: str = "extended") -> tuple[bool, str]:
    """Whether recipe reading ``key`` is to run now, by its rule's condition
    (:data:`medlib.data.registry.SHARED_LR_RULE`), and why: the noise readings' planned folds
    (``profile``'s cov_ct_noise255 block) complete, the 0-255 reading not adopted
    (:func:`adopt_reading`), and a plain VGG at its floor on the base dataset under Table 7's
    recipe (mean accuracy within 5 points of it). The engine holds the reading's jobs until then
    (:func:`medlib.experiments.transfer.held_readings`)."""
    from .data.registry import READINGS
    from .profiles import SHARED_LR_NETWORKS, get_profile

    reading, noise = READINGS[key], READINGS["cov_ct_noise255"]
    plan = get_profile(profile)
    block = plan.block(noise.key, "scratch")
    ok = df[df["status"].eq("ok") & df["strategy"].eq("scratch")] if len(df) else None

    def rows(dataset, network):
        return ok[ok["dataset"].eq(dataset) & ok["network"].eq(network)] if ok is not None else ok

    planned = len(block.fold_ids(plan.cv_folds))
    missing = [n for n in block.networks if ok is None or rows(noise.key, n)["fold"].nunique() < planned]
    if missing:
        return False, f"waiting: {noise.key} has not finished its planned folds ({', '.join(missing)})"
    decision = adopt_reading(df, noise)["decision"]
    if decision == ADOPT:
        return False, (f"not run: {noise.key} is adopted, and {key} is registered on the first reading "
                       "(register it on the adopted one first)")
    floor = [n for n in SHARED_LR_NETWORKS if len(rows(reading.base, n))
             and (rows(reading.base, n)["accuracy"] - rows(reading.base, n)["majority"]).mean() <= FLOOR_MARGIN]
    if not floor:
        return False, f"not needed: no plain VGG sits at its {reading.base} floor ({noise.key}: {decision})"
    return True, f"run: {', '.join(floor)} at the {reading.base} floor, {noise.key}: {decision}"
