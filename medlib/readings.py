"""Second readings of the paper, decided by the rules written before they ran (issue 37).

Where the paper is ambiguous and the reading decides a result, both readings run
(:data:`medlib.data.registry.READINGS`), each fold paired with its base dataset's fold of the
same index. This module applies each reading's registered rule to the fold table: an
*augmentation* reading (COV_CT's noise scale) is adopted, kept out, or left undecided
(:func:`adopt_reading`); a *recipe* reading (every network at Adam's default learning rate)
says per network whether it learns under the recipe or stays at its floor
(:func:`recipe_reading`), and runs only once its condition holds (:func:`reading_gate`, asked
by the run queue). A profile block that follows a decision names its condition (``Block.when``,
:data:`CONDITIONS`). Below ``experiments`` in the layers, so the engine can hold those jobs.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from . import stats, strategies
from .diagnose import at_floor


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
                  control: str = "xception", profile: str = "extended") -> dict:
    """The adoption rule of a second reading (``reading.adoption_rule``, written before its run),
    applied to the fold table ``df``: per network, the Nadeau-Bengio corrected interval of the
    paired differences (reading minus base); ``decision`` is :data:`ADOPT`, :data:`KEEP` or
    :data:`UNDECIDED`. A network with fewer than 3 paired folds gives no interval: undecided.
    ``label`` is the decision in words, "interim (k of n folds); so far ..." while the decisive or control
    network has fewer paired folds than ``profile``'s block for the reading plans."""
    out = {}
    for net in dict.fromkeys((decisive, control, *sorted(set(df["network"])))):
        pairs = reading_differences(df, reading, net)
        if not len(pairs):
            continue
        ratio = float((pairs["n_test_base"] / pairs["n_fit_base"]).mean())
        iv = stats.corrected_fold_interval(pairs["difference"], ratio)
        acc, floor = float(pairs["accuracy_reading"].mean()), float(pairs["majority_reading"].mean())
        out[net] = {"interval": iv, "folds": len(pairs), "accuracy": acc, "floor": floor,
                    "learned": not at_floor(acc, floor)}
    dec, ctl = out.get(decisive), out.get(control)
    defined = dec is not None and ctl is not None and all(
        np.isfinite(x["interval"].low) for x in (dec, ctl))
    if defined and (dec["interval"].high < 0 or ctl["interval"].high < 0):
        decision = KEEP
    elif defined and dec["interval"].low > 0 and dec["learned"]:
        decision = ADOPT
    else:
        decision = UNDECIDED
    _, planned = _block(reading.key, profile, deciding=True)
    folds = {n: out[n]["folds"] if n in out else 0 for n in (decisive, control)}
    label = decision if min(folds.values()) >= planned else (
        f"interim ({', '.join(f'{n} {k} of {planned}' for n, k in folds.items())} folds); so far {decision}")
    return {"decision": decision, "label": label, "networks": out, "rule": reading.adoption_rule}


LEARNS, STAYS_AT_FLOOR = "learns under the recipe", "stays at its floor"


def _block(key: str, profile: str, deciding: bool = False):
    """``profile``'s first block for reading ``key`` from scratch and its planned fold count, or
    ``(None, 0)`` where the profile does not run the reading. ``deciding``: only a block that
    runs unconditionally (one with a ``when`` follows the reading's decision, it does not make it)."""
    from .profiles import get_profile

    plan = get_profile(profile)
    found = [b for b in plan.blocks if b.dataset == key and strategies.is_(b, "scratch")
             and not (deciding and b.when)]
    if not found:
        return None, 0
    return found[0], len(found[0].fold_ids(plan.cv_folds))


def recipe_reading(df: pd.DataFrame, reading, profile: str = "extended") -> dict:
    """The rule of a ``recipe`` reading (:data:`medlib.data.registry.SHARED_LR_RULE`, written
    before its run), per network of ``profile``'s block for it, on the folds it shares with its
    base: the corrected 95 % interval of the paired differences (recipe minus base), and
    :data:`LEARNS` (interval wholly above 0 and mean accuracy more than 5 points above the floor),
    :data:`STAYS_AT_FLOOR` (mean within 5 points of the floor, at least 3 paired folds) or
    inconclusive; a verdict on fewer folds than the block plans says "interim (k of n folds); so far ...".
    ``decision`` lists the networks by verdict. The base's rows are never replaced: a recipe
    reading is printed beside them."""
    block, planned = _block(reading.key, profile)
    out = {}
    for net in block.networks if block else ():
        pairs = reading_differences(df, reading, net)
        if not len(pairs):
            continue
        ratio = float((pairs["n_test_base"] / pairs["n_fit_base"]).mean())
        iv = stats.corrected_fold_interval(pairs["difference"], ratio)
        above = float((pairs["accuracy_reading"] - pairs["majority_reading"]).mean())
        floor = at_floor(pairs["accuracy_reading"].mean(), pairs["majority_reading"].mean())
        if floor and len(pairs) >= stats.MIN_FOLD_PAIRS:
            verdict = STAYS_AT_FLOOR
        elif np.isfinite(iv.low) and iv.low > 0 and not floor:
            verdict = LEARNS
        else:
            verdict = stats.INCONCLUSIVE
        if len(pairs) < planned:
            verdict = f"interim ({len(pairs)} of {planned} folds); so far {verdict}"
        out[net] = {"interval": iv, "folds": len(pairs), "above_floor": above, "verdict": verdict,
                    "accuracy": float(pairs["accuracy_reading"].mean()), "floor": float(pairs["majority_reading"].mean())}
    decision = "; ".join(f"{v['verdict']}: {n}" for n, v in out.items()) or "not run yet"
    return {"decision": decision, "networks": out, "rule": reading.adoption_rule}


def _missing(df: pd.DataFrame | None, dataset: str, networks, block, planned: int) -> list[str]:
    """``networks`` with fewer finished (status ok) runs of ``dataset`` from scratch than ``block``
    plans (folds x seed replicates)."""
    need = planned * block.replicates
    if df is None or not len(df):
        return list(networks)
    ok = df[df["status"].eq("ok") & df["strategy"].eq("scratch") & df["dataset"].eq(dataset)]
    rep = ok["replicate"] if "replicate" in ok else pd.Series(0, index=ok.index)
    done = ok.assign(replicate=rep).groupby("network")[["fold", "replicate"]].apply(
        lambda g: len(g.drop_duplicates())) if len(ok) else pd.Series(dtype=int)
    return [n for n in networks if int(done.get(n, 0)) < need]


def noise_settled(df: pd.DataFrame, profile: str = "extended") -> tuple[str | None, str]:
    """``(decision, why)`` of COV_CT's noise readings (:func:`adopt_reading`) once their planned
    runs are all finished (``profile``'s cov_ct_noise255 block and cov_ct's blocks for the same
    networks, seeds included, so the rule sees what it will always see); ``(None, "waiting:
    ...")`` before. The conditions of the blocks that follow the decision start here."""
    from .data.registry import READINGS
    from .profiles import get_profile

    noise = READINGS["cov_ct_noise255"]
    noise_block, planned = _block(noise.key, profile, deciding=True)
    if noise_block is None:
        return None, f"not run: profile {profile!r} does not train {noise.key}"
    plan = get_profile(profile)
    waiting = _missing(df, noise.key, noise_block.networks, noise_block, planned)
    for net in noise_block.networks:
        base = plan.block(noise.base, "scratch", net)
        if _missing(df, noise.base, [net], base, len(base.fold_ids(plan.cv_folds))):
            waiting.append(f"{noise.base} {net}")
    if waiting:
        return None, f"waiting: the noise readings' planned runs are not all finished ({', '.join(waiting)})"
    decision = adopt_reading(df, noise, profile=profile)["decision"]
    return decision, f"cov_ct_noise255: {decision}"


def noise_adopted(df: pd.DataFrame, profile: str = "extended") -> tuple[bool, str]:
    """Whether the networks that follow an adopted 0-255 reading are to run
    (:data:`medlib.data.registry.NOISE_255_RULE`: "the other five networks are rerun in it, so
    Table 7 stays like for like"), and why."""
    decision, why = noise_settled(df, profile)
    if decision is None:
        return False, why
    if decision == ADOPT:
        return True, "run: cov_ct_noise255 is adopted, so the other networks follow in it (Table 7 like for like)"
    return False, f"not run: {why}; Table 7 stays in the first reading"


def reading_gate(df: pd.DataFrame, key: str = "cov_ct_shared_lr", profile: str = "extended") -> tuple[bool, str]:
    """Whether recipe reading ``key`` is to run now, by its rule's condition
    (:data:`medlib.data.registry.SHARED_LR_RULE`), and why. The first step, COV_CT's noise
    readings, must be complete (:func:`noise_settled`), must not have adopted 0-255, and must
    have left a plain VGG (any of the reading's networks) at its floor under both noise readings
    (mean accuracy within 5 points of it): the question the recipe asks is then still open for
    that network."""
    from .data.registry import READINGS

    reading = READINGS.get(key)
    if reading is None or reading.kind != "recipe":
        raise ValueError(f"{key!r} is not a recipe reading; recipe readings: "
                         f"{', '.join(k for k, r in READINGS.items() if r.kind == 'recipe')}")
    block, _ = _block(key, profile)
    if block is None:
        return False, f"not run: profile {profile!r} does not train {key}"
    decision, why = noise_settled(df, profile)
    if decision is None:
        return False, why
    if decision == ADOPT:
        return False, (f"not run: cov_ct_noise255 is adopted, and {key} is registered on the first reading "
                       "(register it on the adopted one first)")
    ok = df[df["status"].eq("ok") & df["strategy"].eq("scratch")]

    def stays(dataset, net):
        g = ok[ok["dataset"].eq(dataset) & ok["network"].eq(net)]
        return len(g) > 0 and at_floor(g["accuracy"].mean(), g["majority"].mean())

    floor = [n for n in block.networks if stays(reading.base, n) and stays("cov_ct_noise255", n)]
    if not floor:
        return False, f"not needed: no plain VGG sits at its floor under both noise readings ({why})"
    return True, f"run: {', '.join(floor)} at the floor under both noise readings ({why})"


# The registered conditions a profile block can wait for (``Block.when``), by name: each maps a
# fold table and a profile name to (run now?, why). Read-only; the engine asks before training.
CONDITIONS = MappingProxyType({
    "cov_ct_shared_lr": lambda df, profile: reading_gate(df, "cov_ct_shared_lr", profile),
    "noise255_adopted": noise_adopted,
})
