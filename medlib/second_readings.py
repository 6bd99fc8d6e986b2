"""The second readings of ambiguous passages, decided by the rules written before their runs.

Cells2's task (whole smears at 100x100 against white-cell crops: which one reproduces the
paper's Table 7 numbers) is decided here; the noise and learning-rate readings' rules live in
:mod:`medlib.readings`. :func:`second_reading_decisions` puts every second reading in one
table, which notebook 02, the README and the report page print.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import evidence, paper, stats
from .claim_rows import ACCURACY_TOLERANCE, claim_row, highest
from .experiments import compare
from .readings import adopt_reading, recipe_reading

SMEARS, CROPS, NEITHER = "whole smears", "white-cell crops", "neither"
CELLS2_TASKS = (("cells2_smears", SMEARS), ("cells2", CROPS))
CELLS2_TASK_NETWORKS = ("ff_vgg19", "xception", "mobilenetv2")
REPRODUCES, REJECTED, UNDECIDED_BAND = "reproduces", "rejected", "undecided"


def _band(low: float, high: float, paper_value: float, tolerance: float = ACCURACY_TOLERANCE) -> str:
    """An interval against ``paper_value +- tolerance``: inside, wholly outside, or neither."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNDECIDED_BAND
    if paper_value - tolerance <= low and high <= paper_value + tolerance:
        return REPRODUCES
    return REJECTED if high < paper_value - tolerance or low > paper_value + tolerance else UNDECIDED_BAND


def cells2_task_table(df: pd.DataFrame, networks=CELLS2_TASK_NETWORKS, profile=None) -> pd.DataFrame:
    """Per network and Cells2 task (whole smears, white-cell crops) from scratch, on the folds
    both tasks ran: mean accuracy with its corrected 95 % interval (seed replicates averaged
    within a fold, :func:`medlib.experiments.compare.mean_metrics`; none under 3 shared folds or
    without spread), the fewest seeds a fold has, the floor and whether the task sits at it, the
    paper's Table 7 number and the interval against it +-5 (``band``: reproduces, rejected,
    undecided), and, given ``profile``, whether the task has its registered design (``complete``).
    The rows :data:`medlib.data.registry.CELLS2_TASK_RULE` decides from."""
    from .profiles import get_profile

    ok = compare.ok_rows(df) if len(df) else df
    ok = ok[ok["strategy"].eq("scratch") & ok["head"].eq(compare.PAPER_HEAD)] if len(ok) else ok
    paper_row = paper.accuracy_table("scratch").loc["cells2"]
    plan = get_profile(profile) if profile is not None else None
    rows = []
    for net in networks:
        sub = ok[ok["network"] == net] if len(ok) else ok
        folds = [set(sub.loc[sub["dataset"] == key, "fold"]) for key, _ in CELLS2_TASKS] if len(sub) else [set()]
        shared = set.intersection(*folds)
        for key, task in CELLS2_TASKS:
            runs = sub[(sub["dataset"] == key) & sub["fold"].isin(shared)] if shared else sub.iloc[:0]
            m = compare.mean_metrics(runs) if len(runs) else []
            r = m.iloc[0] if len(m) else {}
            spread = r.get("accuracy_sd", np.nan)
            defined = len(shared) >= stats.MIN_FOLD_PAIRS and np.isfinite(spread) and spread > 0
            low, high = (r["accuracy_ci_low"], r["accuracy_ci_high"]) if defined else (np.nan, np.nan)
            seeds = int(runs.groupby("fold").size().min()) if len(runs) else 0
            complete = np.nan
            if plan is not None:
                try:
                    block = plan.block(key, "scratch", net)
                    complete = len(shared) >= len(block.fold_ids(plan.cv_folds)) and seeds >= block.replicates
                except KeyError:
                    complete = False
            rows.append({"network": net, "task": task, "dataset": key, "folds": len(shared) if len(runs) else 0,
                         "seeds": seeds, "accuracy": r.get("accuracy", np.nan), "ci_low": low, "ci_high": high,
                         "floor": r.get("majority", np.nan), "at_floor": bool(r.get("at_floor", False)),
                         "paper": float(paper_row[net]), "band": _band(low, high, float(paper_row[net])),
                         "complete": complete})
    return pd.DataFrame(rows)


def cells2_task_decision(table: pd.DataFrame) -> str:
    """:data:`SMEARS`, :data:`CROPS`, :data:`NEITHER` or inconclusive, by the rule written before
    the smear folds ran (:data:`medlib.data.registry.CELLS2_TASK_RULE`), from
    :func:`cells2_task_table`: a task is the paper's where it reproduces the paper's number for at
    least 2 networks and the other task for none; neither where both are rejected for at least 2."""
    band = {(r.network, r.task): r.band for r in table.itertuples()}
    nets = list(dict.fromkeys(table["network"]))

    def count(task, verdict):
        return sum(band.get((n, task)) == verdict for n in nets)

    if count(SMEARS, REPRODUCES) >= 2 and count(CROPS, REPRODUCES) == 0:
        return SMEARS
    if count(CROPS, REPRODUCES) >= 2 and count(SMEARS, REPRODUCES) == 0:
        return CROPS
    both_rejected = sum(band.get((n, SMEARS)) == REJECTED and band.get((n, CROPS)) == REJECTED for n in nets)
    return NEITHER if both_rejected >= 2 else stats.INCONCLUSIVE


def cells2_task(by_profile: dict) -> dict:
    """Our finding (issue 37): the paper's Cells2 numbers are those of whole smears at 100x100,
    not of white-cell crops; decided by :func:`cells2_task_decision` at the highest profile with
    a finished whole-smear fold, interim until every network has its registered design."""
    claim = ("finding: the paper's Cells2 numbers (Table 7) are those of whole smears at 100x100, not of "
             "white-cell crops (FF-VGG19, Xception, MobileNetV2 from scratch)")
    profile, df = highest(by_profile, "transfer",
                           lambda t: len(compare.ok_rows(t[t["dataset"].eq("cells2_smears")])) > 0)
    if df is None:
        return claim_row("ours", claim, highest(by_profile, "transfer")[0], "not tested here",
                      "no whole-smear fold has run yet (extended queues them after the central claim's folds)")
    table = cells2_task_table(df, profile=profile)
    decision = cells2_task_decision(table)
    verdict = {SMEARS: stats.HOLDS, CROPS: stats.FAILS, NEITHER: stats.FAILS}.get(decision, stats.INCONCLUSIVE)
    smears = table[table["task"] == SMEARS]
    design = evidence.progress_label(int(table.groupby("network")["complete"].all().sum()),
                                     len(CELLS2_TASK_NETWORKS), "networks", " (5 folds x 2 seeds, both tasks)")
    parts = "; ".join(
        f"{r.network} {r.task} {r.accuracy:.1f}% [{r.ci_low:.1f}, {r.ci_high:.1f}] vs paper {r.paper:.1f} +-"
        f"{ACCURACY_TOLERANCE:g}: {r.band} ({r.folds} folds, at least {r.seeds} seed(s) each"
        + (f"; at its floor, {r.floor:.1f}%" if r.at_floor else "") + ")" if np.isfinite(r.ci_low)
        else f"{r.network} {r.task}: {r.folds} shared folds, no interval" for r in table.itertuples())
    return claim_row("ours", claim, profile, verdict,
                  f"decision: {decision}. {parts}. The three networks share the same 14-image test folds; the "
                  "crops' FF-VGG19 and Xception trained in bfloat16, the smears in float32",
                  n_pairs=int(smears.loc[np.isfinite(smears["ci_low"].astype(float)), "folds"].sum()),
                  n_datasets=1, design=design,
                  test="per network and task, t interval over shared folds with the Nadeau-Bengio corrected "
                       f"variance, against the paper's number +-{ACCURACY_TOLERANCE:g}",
                  rows_used=", ".join(f"{r.dataset} {r.network}" for r in table.itertuples() if r.folds))


DISPLAY_HEADERS = {"reading": "second reading", "fold_runs": "fold runs", "decision": "decision by its rule",
                   "differences": "this reading minus the first, per network [95% CI]"}
"""The columns of :func:`second_reading_decisions` a reader sees, and their headings: one
source for the README (``scripts/render_readme.py``) and the report page (:mod:`medlib.manifest`)."""


def second_reading_decisions(df: pd.DataFrame, profile: str = "extended") -> pd.DataFrame:
    """Every second reading (:func:`medlib.data.registry.second_readings`) of ``profile``'s fold
    table ``df``, one row each, so a notebook, the README and the report page show both readings
    of every ambiguous passage and where each stands: ``label`` (what it reads), the fold runs,
    its ``decision`` by its own rule (written before its run; interim against ``profile``'s
    planned folds), its ``rule``, and for readings with an adoption or recipe rule each network's
    ``differences``: the mean paired difference from the first reading with its corrected 95 %
    interval, the folds, and the network's mean accuracy under this reading beside its floor."""
    from .data.registry import READINGS, second_readings

    rows = []
    for key, spec in second_readings().items():
        ran = df[df["dataset"].eq(key) & df["status"].eq("ok")] if len(df) else df
        nets = {}
        if not len(ran):
            decision = "not run yet"
        elif key in READINGS:
            found = (recipe_reading if READINGS[key].kind == "recipe" else adopt_reading)(
                df, READINGS[key], profile=profile)
            decision, nets = found.get("label", found["decision"]), found["networks"]
        elif key == "cells2_smears":
            decision = cells2_task_decision(cells2_task_table(df, profile=profile))
        else:
            decision = "no decision function"
        rows.append({"reading": key, "label": READINGS[key].label if key in READINGS else f"{spec.reading_of}: {spec.task}",
                     "of": spec.reading_of, "networks": ", ".join(sorted(set(ran["network"]))) if len(ran) else "",
                     "fold_runs": len(ran), "decision": decision, "differences": _reading_differences_text(nets),
                     "rule": spec.adoption_rule})
    return pd.DataFrame(rows, columns=["reading", "label", "of", "networks", "fold_runs", "decision", "differences",
                                       "rule"])


def _reading_differences_text(nets: dict) -> str:
    """Per network: ``+d [low, high]`` (the estimate alone where fewer than 3 folds give no
    interval), its fold count, and its mean accuracy under the reading beside its floor."""
    parts = []
    for n, v in nets.items():
        iv = v["interval"]
        est = f"{iv.estimate:+.1f} [{iv.low:+.1f}, {iv.high:+.1f}]" if np.isfinite(iv.low) else f"{iv.estimate:+.1f}, no interval"
        folds = f"{v['folds']} fold" + ("s" if v["folds"] != 1 else "")
        parts.append(f"{n} {est} ({folds}; {v['accuracy']:.1f} % vs a {v['floor']:.1f} % floor)")
    return "; ".join(parts)
