"""Verdicts: every claim of the two papers, and our own findings, decided from result tables.

This module is the only place where a verdict is decided; notebooks 02, 03, 05
and 06 and the README print what it returns. Rules, fixed before looking at results:

* a number is *reproduced* when within :data:`ACCURACY_TOLERANCE` points of the
  paper (the paper reports a +-2% run-to-run spread; our data and budgets differ);
* a number within :data:`medlib.diagnose.FLOOR_MARGIN` points of its floor (the
  majority-class rate of its test set) is never "reproduced": it is *not tested*, with
  the diagnosis (a comparison counts it as an outcome, see below);
* a comparison of strategies or networks (issue 36) is decided from **paired** folds only
  (the same folds and test images, the same input size, each side of one configuration
  hash) and its unit is the training run: per dataset, the mean per-fold difference (seed
  replicates averaged within a fold) with the Nadeau-Bengio corrected interval; across
  datasets, :mod:`medlib.evidence` pools them (REML, Hartung-Knapp, prediction interval).
  :func:`medlib.stats.decide_margin` reads the interval: *holds* (wholly above 0; also
  above +2?), *reversed* (wholly below 0), *equivalent* (within +-2, the paper's repeat
  spread), else *inconclusive*. Intention to treat is primary: a run at its floor is an
  outcome; leaving such runs out is the sensitivity analysis in the same row. Per-image
  tests describe fitted models and decide nothing;
* cross-device drop: the paper's "about 10 points" holds where the interval lies
  within 10 +- 5;
* CRM's ROI: "over 30% reduction" is tested at its own size: the bootstrap interval
  over images (resampled within classes; Table 3's statistic, the mean over classes)
  of CRM's reduction against the smaller of CAM's and Grad-CAM's ROI lies wholly above
  30 %, on a classifier that beats its floor.

Every claim of :data:`medlib.claims.CLAIMS` is one row of the profile's ``claims`` table
(:func:`claims_table`, :mod:`medlib.tables`), in the registry's order, selected by ``key``.

Each claim is decided at the highest profile that has the rows it needs
(``full`` > ``extended`` > ``quick``), and the profile is named with the verdict.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import evidence, meta, paper, stats, tables
from .diagnose import FLOOR_MARGIN, at_floor, diagnosis_causes
from .experiments import compare
from .metrics import METRICS

ACCURACY_TOLERANCE = 5.0
DROP_CLAIMED, DROP_TOLERANCE = 10.0, 5.0
CRM_MIN_REDUCTION = 30.0  # "over 30% reduction" (Kim s4.2): the claim's own size
PROFILE_ORDER = ("full", "extended", "quick", "smoke")
EVIDENCE_PROFILES = PROFILE_ORDER[:-1]  # smoke checks the pipeline (1 epoch, 4 images a class): never evidence
DEEP_NETWORKS = ("xception", "resnet50", "inceptionv3", "densenet121")  # the paper's "deep" ones
CLAIM_TABLES = ("transfer", "cross", "cross_folds", "explain", "modality", "modality_roi", "modality_roi_images",
                "modality_scores")  # the tables (medlib.tables) claims are decided from


def load(profile: str) -> dict[str, pd.DataFrame]:
    """The result tables notebooks 02-05 wrote for ``profile`` (those that exist)."""
    out = tables.load_all(profile, CLAIM_TABLES)
    for key in ("transfer", "cross_folds", "cross"):  # tables written before heads and floors
        if key in out:
            t = out[key]
            defaults = [("head", "dense"), ("majority", np.nan), ("diagnosis", ""),
                        *((m, np.nan) for m in METRICS)]
            if key == "cross":
                defaults.append(("strategy", "scratch"))
            for col, default in defaults:
                if col not in t:
                    t[col] = default
            t["diagnosis"] = t["diagnosis"].fillna("")
    return out


def load_all(profiles=EVIDENCE_PROFILES) -> dict[str, dict[str, pd.DataFrame]]:
    """``{profile: tables}`` for every profile with at least one table, highest first. Smoke
    results (left by ``make test``) are not loaded unless asked for: a claim must never be
    decided on them when a real profile has nothing to say (a notebook run in smoke adds its
    own tables)."""
    out = {p: load(p) for p in profiles}
    return {p: t for p, t in out.items() if t}


def _highest(by_profile: dict, key: str, usable=lambda df: len(df) > 0):
    """(profile, table) of the highest profile whose ``key`` table passes ``usable``."""
    for p in PROFILE_ORDER:
        t = by_profile.get(p, {}).get(key)
        if t is not None and usable(t):
            return p, t
    return None, None


def _verdict(diff: float, tol: float) -> str:
    return "not run" if pd.isna(diff) else ("reproduced" if abs(diff) <= tol else "differs")


def number_table(results: dict) -> pd.DataFrame:
    """Tables 5-8 cells we ran (paper's head), beside the paper, with the difference, the
    floor and a verdict; a cell at its floor is 'not tested' whatever the difference."""
    df = results.get("transfer")
    if df is None or not len(df):
        return pd.DataFrame()
    rows = []
    for strategy, table in (("off_the_shelf", "Table 5"), ("scratch", "Table 7")):
        for r in compare.accuracy_beside_paper(df, strategy).itertuples():
            if pd.isna(r.paper):
                continue
            rows.append({"source": table, "dataset": r.dataset, "network": r.network, "metric": "accuracy",
                         "paper": r.paper, "ours": r.ours, "diff": r.diff, "floor": r.majority,
                         "at_floor": r.at_floor, "diagnosis": r.diagnosis})
    # Tables 6 / 8 print the paper's best network per dataset: ours is that same network's row
    # (a number is reproduced only against the paper's number for the same network and dataset)
    means = compare.mean_metrics(df)
    means = means[means["head"] == compare.PAPER_HEAD]
    for strategy, table in (("off_the_shelf", "Table 6"), ("scratch", "Table 8")):
        ref_table = paper.best_network_table(strategy)
        for dataset, ref in ref_table.iterrows():
            ours = means[(means["dataset"] == dataset) & (means["strategy"] == strategy)
                         & (means["network"] == ref["network"])]
            if not len(ours):
                continue
            ours = ours.iloc[0]
            for m in ("accuracy", "sensitivity", "specificity", "auc", "f1"):
                if pd.notna(ref.get(m)) and pd.notna(ours.get(m)):
                    rows.append({"source": f"{table} (the paper's best network, {ref['network']})",
                                 "dataset": dataset, "network": ref["network"], "metric": m, "paper": ref[m],
                                 "ours": ours[m], "diff": ours[m] - ref[m], "floor": ours["majority"],
                                 "at_floor": bool(ours["at_floor"]), "diagnosis": ours["diagnosis"]})
    out = pd.DataFrame(rows)
    if not len(out):
        return out
    out["verdict"] = [f"not tested: ours at its floor ({d})" if f else _verdict(x, ACCURACY_TOLERANCE)
                      for x, f, d in zip(out["diff"], out["at_floor"], out["diagnosis"])]
    return out


CLAIM_COLUMNS = ["key", "paper", "claim", "verdict", "estimate", "ci_low", "ci_high", "p", "n_pairs", "n_datasets",
                 "tau", "pred_low", "pred_high", "margin", "analysis", "sens_estimate", "sens_low", "sens_high",
                 "sens_n_datasets", "sens_verdict", "method", "n_images",
                 "image_estimate", "image_ci_low", "image_ci_high", "image_p", "detectable", "one_image",
                 "test", "profile", "rows_used", "config_hashes", "rule", "evidence"]


def _claim(paper_name: str, claim: str, profile, verdict: str, evidence: str, **numbers) -> dict:
    row = {c: np.nan for c in CLAIM_COLUMNS}
    row.update(paper=paper_name, claim=claim, profile=profile or "-", verdict=verdict, evidence=evidence,
               test="", rows_used="", config_hashes="", analysis="", method="", sens_verdict="")
    row.update(numbers)
    return row


def _plain_datasets(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of datasets in their primary reading: a second reading of a dataset (a
    ``medlib.data.READINGS`` key, or a registry dataset with ``reading_of``, such as Cells2's
    whole smears) shares its base's images, so it is a sensitivity analysis of that dataset,
    never another dataset in a pooled claim."""
    from .data.registry import DATASETS, READINGS

    second = set(READINGS) | {k for k, s in DATASETS.items() if s.reading_of}
    return df[~df["dataset"].isin(sorted(second))]


def _pooled_text(result: evidence.Pooled, side_a: str, side_b: str) -> str:
    """The evidence sentence of a pooled comparison: per unit, per analysis, what was left out."""
    def pooled(p, what):
        if p.k < 2:
            return f"{what}: {p.k} dataset(s), no interval across datasets"
        return (f"{what}: {p.estimate:+.1f} points [95% CI {p.low:+.1f}, {p.high:+.1f}] over {p.k} datasets, "
                f"tau {p.tau:.1f}, prediction interval [{p.pred_low:+.1f}, {p.pred_high:+.1f}], "
                f"one-sided p (effect <= 0) = {p.p:.2g}")
    units = "; ".join(
        f"{r['dataset']} {r[result.member]} {r['estimate']:+.1f} [{r['low']:+.1f}, {r['high']:+.1f}] "
        f"({r['folds']} folds, {r['replicates_a']}/{r['replicates_b']} seeds"
        + (f"; {r['at_floor']} at its floor" if r["at_floor"] else "") + ")"
        for _, r in result.units[result.units["invalid"] == ""].iterrows())
    left = ("; invalid, in neither analysis: " + "; ".join(result.left_out)) if result.left_out else ""
    return (f"{side_b} - {side_a}, per dataset and {result.member} (Nadeau-Bengio corrected): {units}{left}. "
            + pooled(result.primary, "Intention to treat") + ". "
            + pooled(result.sensitivity, "Sensitivity, at-floor units left out") + f". {meta.METHOD}.")


def _pooled_claim(paper_name: str, claim: str, profile: str, result: evidence.Pooled, side_a: str,
                  side_b: str) -> dict:
    """A claims row of a pooled comparison: the primary (intention-to-treat) estimate decides
    (:func:`medlib.stats.decide_margin`); the sensitivity estimate and its verdict sit beside it."""
    p, sens = result.primary, result.sensitivity
    valid = result.units[result.units["invalid"] == ""]
    return _claim(paper_name, claim, profile, stats.decide_margin(p.low, p.high), _pooled_text(result, side_a, side_b),
                  estimate=p.estimate, ci_low=p.low, ci_high=p.high, p=p.p, n_pairs=int(valid["folds"].sum()),
                  n_datasets=p.k, tau=p.tau, pred_low=p.pred_low, pred_high=p.pred_high, margin=stats.MARGIN,
                  analysis=evidence.PRIMARY, method=meta.METHOD,
                  sens_estimate=sens.estimate, sens_low=sens.low, sens_high=sens.high, sens_n_datasets=sens.k,
                  sens_verdict=stats.decide_margin(sens.low, sens.high),
                  test="folds: Nadeau-Bengio corrected t per dataset; " + meta.METHOD,
                  rows_used="; ".join(f"{r['dataset']} {r[result.member]} folds {r['folds']}"
                                      for _, r in valid.iterrows()),
                  config_hashes=" ".join(sorted({h for x in valid["config_hashes"] for h in x.split()})))


def strategy_comparison(df: pd.DataFrame, a: str, b: str, networks) -> evidence.Pooled | None:
    """``b - a`` (strategies) for ``networks``, pooled across the datasets of ``df`` (primary readings)."""
    sub = _plain_datasets(df[df["network"].isin(networks)])
    return evidence.pooled(sub, "strategy", a, b, fixed={"head": compare.PAPER_HEAD}) if len(sub) else None


def central_evidence(by_profile: dict) -> tuple[str | None, evidence.Pooled | None]:
    """``(profile, pooled comparison)`` of the central claim at the highest profile that has a valid
    pair (what :func:`scratch_vs_off_the_shelf` decides from; notebooks 02 and 06 plot it)."""
    from .profiles import WITH_WEIGHTS

    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df):
            continue
        result = strategy_comparison(df, "off_the_shelf", "scratch", WITH_WEIGHTS)
        if result is not None and (result.units["invalid"] == "").any():
            return profile, result
    return None, None


def scratch_vs_off_the_shelf(by_profile: dict) -> dict:
    """Apostolopoulos s3.2: training from scratch beats frozen ImageNet features (Table 7 vs 5,
    Fig. 3). Tested with the networks that have offline ImageNet weights (Xception,
    MobileNetV2) on every dataset where both arms ran: paired folds per dataset and network,
    pooled across datasets (:mod:`medlib.evidence`), intention to treat primary."""
    profile, result = central_evidence(by_profile)
    if result is not None:
        datasets = ", ".join(result.datasets_primary["dataset"])
        claim = ("training from scratch beats off-the-shelf ImageNet features (Table 7 vs 5, Fig. 3); "
                 f"tested: {', '.join(sorted(set(result.units['network'])))} (the networks with offline "
                 f"ImageNet weights) on {result.primary.k} datasets ({datasets})")
        return _pooled_claim("Apostolopoulos 2022", claim, profile, result, "off_the_shelf", "scratch")
    profile, df = _highest(by_profile, "transfer")
    return _claim("Apostolopoulos 2022", "training from scratch beats off-the-shelf ImageNet features "
                  "(Table 7 vs 5, Fig. 3)", profile, "not tested here",
                  "no network with offline ImageNet weights (Xception, MobileNetV2) was trained from scratch "
                  "on 3 or more of the same folds, at the same input size, as its off-the-shelf run")


def vgg19_off_the_shelf(by_profile: dict) -> dict:
    claim = "VGG19 does better off-the-shelf than from scratch (Fig. 3)"
    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df):
            continue
        result = strategy_comparison(df, "scratch", "off_the_shelf", ("vgg19",))
        if result is not None and (result.units["invalid"] == "").any():
            return _pooled_claim("Apostolopoulos 2022", claim, profile, result, "scratch", "off_the_shelf")
    return _claim("Apostolopoulos 2022", claim, _highest(by_profile, "transfer")[0], "not tested here",
                  "needs VGG19's ImageNet weights, not available offline")


MOST_SUITABLE = ("ff_vgg19", "xception")


def network_units(df: pd.DataFrame, candidate: str, other: str, datasets=None) -> pd.DataFrame:
    """``candidate - other`` from scratch per dataset (paired folds, Nadeau-Bengio corrected),
    each unit with its verdict against the margin (:func:`medlib.stats.decide_margin`)."""
    scratch = _plain_datasets(df[(df["strategy"] == "scratch")])
    if datasets is not None:
        scratch = scratch[scratch["dataset"].isin(datasets)]
    _, table = evidence.units(scratch, "network", other, candidate, ("dataset", "strategy"),
                              {"head": compare.PAPER_HEAD})
    if not len(table):
        return table
    table = table[table["invalid"] == ""].copy()
    table["candidate"], table["other"] = candidate, other
    table["verdict"] = [stats.decide_margin(lo, hi) for lo, hi in zip(table["low"], table["high"])]
    return table


def _suitable_verdict(verdicts) -> str:
    """"No other network better": holds where every comparison holds or is equivalent, does not
    hold where any is reversed (another network wholly better), inconclusive otherwise."""
    verdicts = list(verdicts)
    if not verdicts:
        return "not tested here"
    if stats.REVERSED in verdicts:
        return stats.FAILS
    if all(v.startswith(stats.HOLDS) or v == stats.EQUIVALENT for v in verdicts):
        return stats.HOLDS
    return stats.INCONCLUSIVE


def most_suitable(by_profile: dict) -> dict:
    """s3.2/Discussion: FF-VGG19 and Xception are the most suitable networks trained from
    scratch. Each candidate against every other network, per dataset, on paired folds with the
    Nadeau-Bengio corrected interval, decided against the +-2 point margin. Intention to treat
    (primary): a network at its floor is that network's outcome; the sensitivity analysis
    leaves out comparisons with a side at its floor. The row's numbers are the weakest
    comparison's (lowest interval bound), named in ``rows_used``."""
    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df):
            continue
        scratch = df[(df["strategy"] == "scratch") & (df["status"] == "ok")]
        if not set(MOST_SUITABLE) <= set(scratch["network"]):
            continue
        units = [network_units(scratch, cand, other)
                 for cand in MOST_SUITABLE for other in sorted(set(scratch["network"]) - {cand})]
        units = [u for u in units if len(u)]
        if not units:
            continue
        table = pd.concat(units, ignore_index=True)
        sens = table[table["at_floor"] == ""]
        weakest = table.loc[table["low"].fillna(-np.inf).idxmin()]
        datasets = ", ".join(sorted(set(table["dataset"])))
        untested = [c for c in MOST_SUITABLE if c not in set(table["candidate"])]
        claim = ("FF-VGG19 and Xception are the most suitable networks from scratch: no other network better "
                 f"(Tables 7-8, Fig. 4); tested against {len(set(table['other']) - set(MOST_SUITABLE))} other "
                 f"networks on {datasets}, per dataset, margin +-{stats.MARGIN:g} points")
        parts = [f"{r.candidate} - {r.other} on {r.dataset}: {r.estimate:+.1f} [{r.low:+.1f}, {r.high:+.1f}] "
                 f"{r.verdict}" + (f" ({r.at_floor} at its floor)" if r.at_floor else "")
                 for r in table.itertuples()]
        counts = table["verdict"].str.split(" ").str[0].value_counts().to_dict()
        sens_verdict = _suitable_verdict(sens["verdict"])
        verdict = _suitable_verdict(table["verdict"])
        if untested and verdict == stats.HOLDS:  # a candidate without a comparison is not shown suitable
            verdict = sens_verdict = stats.INCONCLUSIVE
        note = (f"not compared (fewer than {stats.MIN_FOLD_PAIRS} paired folds): {', '.join(untested)}; "
                if untested else "")
        return _claim("Apostolopoulos 2022", claim, profile, verdict,
                      note + f"{len(table)} paired comparisons (intention to treat), verdicts {counts}: "
                      + "; ".join(parts)
                      + f". Sensitivity (comparisons with a side at its floor left out, {len(sens)} remain): "
                      f"{sens_verdict}.",
                      estimate=weakest["estimate"], ci_low=weakest["low"], ci_high=weakest["high"],
                      n_pairs=int(table["folds"].sum()), n_datasets=table["dataset"].nunique(),
                      margin=stats.MARGIN, analysis=evidence.PRIMARY, sens_verdict=sens_verdict,
                      method="per dataset: Nadeau-Bengio corrected t on paired folds",
                      test="folds: Nadeau-Bengio corrected t (weakest comparison's numbers)",
                      rows_used=f"weakest: {weakest['candidate']} - {weakest['other']} on {weakest['dataset']}; "
                      + "; ".join(f"{r.candidate} vs {r.other}: {r.dataset} folds {r.folds}" for r in table.itertuples()),
                      config_hashes=" ".join(sorted({h for x in table["config_hashes"] for h in x.split()})))
    return _claim("Apostolopoulos 2022", "FF-VGG19 and Xception are the most suitable networks from scratch "
                  "(Tables 7-8, Fig. 4)", _highest(by_profile, "transfer")[0], "not tested here",
                  "FF-VGG19 and Xception were not both trained from scratch in the profiles run "
                  "(the extended profile does)")


def drop_interval(cross_acc: float, n_cross: int, own_acc: float, n_own: int) -> stats.Interval:
    """Accuracy drop (in-domain minus cross-domain, points) with a 95 % normal interval: two
    independent test sets (the target's own out-of-fold images; the whole target under the
    source's model), each a binomial proportion."""
    from scipy import stats as st

    p1, p2 = cross_acc / 100, own_acc / 100
    if not (n_cross and n_own) or not np.isfinite(p1 + p2):
        return stats.Interval(np.nan, np.nan, np.nan, np.nan, 0, "independent proportions")
    drop = 100 * (p2 - p1)
    se = 100 * np.sqrt(p1 * (1 - p1) / n_cross + p2 * (1 - p2) / n_own)
    z = st.norm.ppf(1 - stats.ALPHA / 2)
    p = float(2 * st.norm.sf(abs(drop) / se)) if se > 0 else np.nan
    return stats.Interval(drop, drop - z * se, drop + z * se, p, int(n_cross + n_own),
                          "independent proportions (normal)", float(2.8 * se))


def _oracle_bound(profile: str, dataset: str, cross: pd.DataFrame, r) -> str:
    """', and no threshold on its out-of-fold scores beats the floor (best X%)' where the
    in-domain folds' predictions are on this machine: why class weighting cannot lift it."""
    import json

    from .experiments.transfer import FoldJob
    from .metrics import best_threshold_accuracy
    from .profiles import cross_device_key, get_profile

    task = cross[(cross["target"] == dataset)]["task"].iloc[0] if "task" in cross else None
    if task is None:
        return ""
    key = cross_device_key(dataset, task)
    try:
        folds = get_profile(profile).block(key, r.strategy, r.network).fold_ids(get_profile(profile).cv_folds)
    except KeyError:
        return ""
    y, score = [], []
    for k in folds:
        path = FoldJob(key, r.network, r.strategy, k, profile, head=r.head).predictions_path()
        if not path.exists():
            return ""
        p = json.loads(path.read_text())
        y += p["y_true"]
        score += [row[1] for row in p["proba"]]
    best = best_threshold_accuracy(np.asarray(y) == 1, score)
    return (f"; even the best threshold on its out-of-fold scores, chosen on the test labels, reaches "
            f"{best:.1f}% (floor + {FLOOR_MARGIN:g} = {r.in_domain_majority + FLOOR_MARGIN:.1f}%)")


def cross_device_drop(by_profile: dict) -> dict:
    """s3.3: a network tested on another device's dataset loses about 10 points of accuracy.
    Measured only where the source model beats its own in-domain floor and the target's
    in-domain model beats its floor; the drop carries a 95 % interval, and the claim holds where
    every interval lies within 10 +- 5 points, does not hold where every one lies outside."""
    claim = f"a network tested on another device's dataset loses about {DROP_CLAIMED:g} points (s3.3)"
    from .experiments.cross_device import drop_table

    for profile in PROFILE_ORDER:
        res = by_profile.get(profile, {})
        if "cross" not in res or "cross_folds" not in res:
            continue
        t = drop_table(res["cross"], res["cross_folds"])
        if not len(t):
            continue
        parts, intervals, used = [], [], []
        for r in t.itertuples():
            name = f"{r.source}->{r.target} {r.network} {r.strategy} ({r.head})"
            src_floor = getattr(r, "source_in_domain_majority", np.nan)
            if at_floor(r.source_in_domain_accuracy, src_floor):
                parts.append(f"{name}: not tested, the source model is at its own floor "
                             f"({r.source_in_domain_accuracy:.1f}% vs {src_floor:.1f}%)")
                continue
            if at_floor(r.in_domain_accuracy, r.in_domain_majority):
                bound = _oracle_bound(profile, r.target, res["cross"], r)
                parts.append(f"{name}: not tested, the target's in-domain model is at its floor "
                             f"({r.in_domain_accuracy:.1f}% vs {r.in_domain_majority:.1f}%, balanced accuracy "
                             f"{r.in_domain_balanced_accuracy:.1f}%, AUC {r.in_domain_auc:.1f})" + bound)
                continue
            iv = drop_interval(r.cross_accuracy, r.n_test, r.in_domain_accuracy,
                               getattr(r, "in_domain_n_test", np.nan))
            intervals.append(iv)
            used.append(name)
            parts.append(f"{name}: accuracy {r.in_domain_accuracy:.1f}% -> {r.cross_accuracy:.1f}% "
                         f"(drop {iv.estimate:.1f} [95% CI {iv.low:.1f}, {iv.high:.1f}]; balanced accuracy "
                         f"drop {-r.drop_balanced_accuracy:.1f}, AUC drop {-r.drop_auc:.1f}; target floor "
                         f"{r.target_majority:.1f}%)")
        text = "; ".join(parts) + " (COV_CT <-> MosMed; the paper's pairs' data is not available)"
        if not intervals:
            return _claim("Apostolopoulos 2022", claim, profile, "not tested here", text)
        verdict = stats.decide_band(intervals, DROP_CLAIMED, DROP_TOLERANCE)
        first = intervals[0]
        return _claim("Apostolopoulos 2022", claim, profile, verdict, text, estimate=first.estimate,
                      ci_low=first.low, ci_high=first.high, p=first.p, n_pairs=len(intervals),
                      n_images=sum(iv.n for iv in intervals), detectable=first.detectable,
                      test=first.test, rows_used="; ".join(used))
    return _claim("Apostolopoulos 2022", claim, None, "not tested here", "no cross-device run")


def _modality_table(by_profile: dict, table: str, claim: str):
    """(profile, table, None) for a CRM-paper claim, or (.., .., the "not tested" claim) when no
    modality classifier ran or none beats its floor."""
    profile, t = _highest(by_profile, table)
    if t is None:
        return None, None, _claim("Kim 2019", claim, None, "not tested here", "no modality classifier run")
    clf = by_profile[profile].get("modality")
    if clf is None or not len(clf) or all(at_floor(a, m) for a, m in zip(clf["accuracy"], clf["majority"])):
        return profile, None, _claim("Kim 2019", claim, profile, "not tested here",
                                     "the modality classifier does not beat its floor")
    return profile, t, None


def crm_roi_smaller(by_profile: dict) -> dict:
    """Kim 2019, Table 3: CRM's ROI (above 20% of max) is 'over 30%' smaller than CAM's and
    Grad-CAM's; tested at its own size (30 %) on the modality classifier (its own setting) if
    it beats its floor, with a bootstrap interval over the classes' mean ROIs."""
    claim = "CRM's ROI (above 20% of max) is over 30% smaller than CAM's and Grad-CAM's, on average (Table 3)"
    profile, roi, untested = _modality_table(by_profile, "modality_roi", claim)
    if untested:
        return untested
    per_image = by_profile[profile].get("modality_roi_images")
    parts, intervals = [], []
    for net, g in roi.groupby("network"):
        wide = g.pivot_table(index="class", columns="method", values="roi_ratio")
        if not {"crm", "cam", "gradcam"} <= set(wide.columns):
            continue
        images = per_image[per_image["network"] == net] if per_image is not None else None
        if images is not None and len(images):
            iv = stats.stratified_bootstrap(images.pivot_table(index=["class", "image"], columns="method",
                                                               values="roi_ratio").reset_index(),
                                            "class", roi_reduction,
                                            test="bootstrap over images within classes (Table 3's class means)")
        else:
            reduction = 100 * (1 - wide["crm"] / wide[["cam", "gradcam"]].min(axis=1))
            iv = stats.mean_interval(reduction, test="bootstrap over classes (no per-image ROIs)")
        intervals.append(iv)
        parts.append(f"{net}: CRM's ROI {iv.estimate:.1f}% smaller [95% CI {iv.low:.1f}, {iv.high:.1f}] over "
                     f"{iv.n} {'images' if 'images' in iv.test else 'classes'} (CRM {wide['crm'].mean():.1f}%, "
                     f"CAM {wide['cam'].mean():.1f}%, Grad-CAM {wide['gradcam'].mean():.1f}% of the image; paper: "
                     f"{100 * (1 - paper.crm_roi_table().loc['crm'].mean() / paper.crm_roi_table().loc['cam'].mean()):.0f}% smaller)")
    if not intervals:
        return _claim("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    iv = intervals[0]
    return _claim("Kim 2019", claim, profile, stats.decide(intervals, CRM_MIN_REDUCTION), "; ".join(parts),
                  estimate=iv.estimate, ci_low=iv.low, ci_high=iv.high, n_pairs=np.nan, n_images=iv.n,
                  test=iv.test, detectable=iv.detectable, rows_used=", ".join(sorted(roi["network"].unique())))


def roi_reduction(per_image: pd.DataFrame) -> float:
    """CRM's ROI reduction (%) against the smaller of CAM's and Grad-CAM's, from per-image ROI
    ratios (columns crm, cam, gradcam; one row per image, a ``class`` column): Table 3's
    statistic, the mean over classes of each method's mean ROI."""
    means = per_image.groupby("class")[["crm", "cam", "gradcam"]].mean().mean()
    return float(100 * (1 - means["crm"] / min(means["cam"], means["gradcam"])))


def _crm_scores(by_profile: dict, part: str, claim: str) -> dict:
    """Kim 2019, Fig. 6, one part (``"mean"`` or ``"sd"``): CRM's normalised scores have a smaller
    ``part`` than CAM's and Grad-CAM's, per class (bootstrap over classes of the smaller of the
    other two minus CRM's)."""
    profile, s, untested = _modality_table(by_profile, "modality_scores", claim)
    if untested:
        return untested
    parts, intervals = [], []
    for net, g in s.groupby("network"):
        wide = g.pivot_table(index="class", columns="method", values=part)
        if not {"crm", "cam", "gradcam"} <= set(wide.columns):
            continue
        gap = wide[["cam", "gradcam"]].min(axis=1) - wide["crm"]  # > 0: CRM's is smaller
        iv = stats.mean_interval(gap, test="bootstrap over classes")
        intervals.append(iv)
        parts.append(f"{net}: {part} CRM {wide['crm'].mean():.3f}, CAM {wide['cam'].mean():.3f}, Grad-CAM "
                     f"{wide['gradcam'].mean():.3f}; smaller of the others minus CRM {iv.estimate:.3f} "
                     f"[{iv.low:.3f}, {iv.high:.3f}] over {iv.n} classes, CRM smaller in "
                     f"{int((gap > 0).sum())} of {len(gap)}")
    if not intervals:
        return _claim("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    iv = intervals[0]
    return _claim("Kim 2019", claim, profile, stats.decide(intervals), "; ".join(parts), estimate=iv.estimate,
                  ci_low=iv.low, ci_high=iv.high, n_pairs=iv.n, test=iv.test,
                  rows_used=", ".join(sorted(s["network"].unique())))


def crm_mean_smaller(by_profile: dict) -> dict:
    return _crm_scores(by_profile, "mean", "CRM's normalised map values have a smaller mean than CAM's and "
                       "Grad-CAM's (Fig. 6)")


def crm_spread_smaller(by_profile: dict) -> dict:
    return _crm_scores(by_profile, "sd", "CRM's normalised map values have a smaller spread (SD) than CAM's "
                       "and Grad-CAM's (Fig. 6)")


def cam_equals_gradcam(by_profile: dict) -> dict:
    """Kim 2019, Fig. 5 and Table 3: CAM's and Grad-CAM's maps are virtually the same. Tested on
    their ROIs (share of the image above 20 % of the map's maximum): the bootstrap interval
    (images within classes) of Grad-CAM's minus CAM's mean ROI lies within +-2 points."""
    claim = "CAM's and Grad-CAM's maps are virtually the same: their ROIs differ by under 2 points of the image"
    profile, roi, untested = _modality_table(by_profile, "modality_roi_images", claim)
    if untested:
        return untested
    parts, intervals = [], []
    for net, g in roi.groupby("network"):
        wide = g.pivot_table(index=["class", "image"], columns="method", values="roi_ratio").reset_index()
        if not {"cam", "gradcam"} <= set(wide.columns):
            continue
        iv = stats.stratified_bootstrap(
            wide, "class", lambda w: float((w["gradcam"] - w["cam"]).groupby(w["class"]).mean().mean()),
            test="bootstrap over images within classes (Table 3's class means)")
        intervals.append(iv)
        parts.append(f"{net}: Grad-CAM minus CAM ROI {iv.estimate:+.2f} points [{iv.low:+.2f}, {iv.high:+.2f}] "
                     f"over {iv.n} images; identical on {int((wide['gradcam'] == wide['cam']).sum())}")
    if not intervals:
        return _claim("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    iv = intervals[0]
    return _claim("Kim 2019", claim, profile, stats.decide_band(intervals, 0.0, stats.MARGIN), "; ".join(parts),
                  estimate=iv.estimate, ci_low=iv.low, ci_high=iv.high, n_images=iv.n, margin=stats.MARGIN,
                  test=iv.test, rows_used=", ".join(sorted(roi["network"].unique())))


SMALL_DATASET = "cells2"  # the paper's smallest dataset (142 images), and ours


def vgg19_mobilenet_small(by_profile: dict) -> dict:
    """s3.2: 'Preferable CNNs for small datasets include VGG19 and MobileNet', on the smallest dataset
    here, with :func:`most_suitable`'s rule (intention to treat primary)."""
    claim = ("VGG19 and MobileNet are preferable for small datasets: on Cells2 (the paper's and our smallest), "
             "no other network better from scratch")
    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df):
            continue
        scratch = df[(df["strategy"] == "scratch") & (df["status"] == "ok") & (df["dataset"] == SMALL_DATASET)]
        cands = [c for c in ("vgg19", "mobilenetv2") if c in set(scratch["network"])]
        units = [network_units(scratch, c, o) for c in cands for o in sorted(set(scratch["network"]) - {c})]
        units = [u for u in units if len(u)]
        if len(cands) < 2 or not units:
            continue
        table = pd.concat(units, ignore_index=True)
        sens = table[table["at_floor"] == ""]
        counts = table["verdict"].str.split(" ").str[0].value_counts().to_dict()
        worst = table.loc[table["high"].fillna(np.inf).idxmin()]
        parts = [f"{r.candidate} - {r.other}: {r.estimate:+.1f} [{r.low:+.1f}, {r.high:+.1f}] {r.verdict}"
                 for r in table.itertuples()]
        return _claim("Apostolopoulos 2022", claim, profile, _suitable_verdict(table["verdict"]),
                      f"{len(table)} paired comparisons on {SMALL_DATASET}, verdicts {counts}: " + "; ".join(parts)
                      + f". Sensitivity (at-floor comparisons left out): {_suitable_verdict(sens['verdict'])}.",
                      estimate=worst["estimate"], ci_low=worst["low"], ci_high=worst["high"],
                      n_pairs=int(table["folds"].sum()), n_datasets=1, margin=stats.MARGIN,
                      analysis=evidence.PRIMARY, sens_verdict=_suitable_verdict(sens["verdict"]),
                      method="per dataset: Nadeau-Bengio corrected t on paired folds",
                      rows_used=f"most against: {worst['candidate']} - {worst['other']}")
    return _claim("Apostolopoulos 2022", claim, _highest(by_profile, "transfer")[0], "not tested here",
                  "VGG19 and MobileNetV2 were not both trained from scratch on Cells2")


def small_datasets_fail(by_profile: dict) -> dict:
    """s3.2: 'CNNs failed to perform optimally in small datasets', on the smallest dataset here:
    each network from scratch, its fold accuracies' 95 % interval against its floor + 5."""
    claim = "CNNs fail on small datasets: on Cells2 (the paper's and our smallest), networks from scratch do not learn"
    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df):
            continue
        means = compare.mean_metrics(df[(df["dataset"] == SMALL_DATASET) & (df["strategy"] == "scratch")])
        means = means[means["head"] == compare.PAPER_HEAD] if len(means) else means
        if not len(means):
            continue
        failed = means["accuracy_ci_high"] <= means["majority"] + FLOOR_MARGIN
        learned = means["accuracy_ci_low"] > means["majority"] + FLOOR_MARGIN
        n = len(means)
        verdict = stats.HOLDS if failed.sum() > n / 2 else stats.FAILS if learned.sum() > n / 2 else stats.INCONCLUSIVE
        parts = [f"{r.network} {r.accuracy:.1f}% [{r.accuracy_ci_low:.1f}, {r.accuracy_ci_high:.1f}]"
                 for r in means.itertuples()]
        return _claim("Apostolopoulos 2022", claim, profile, verdict,
                      f"{int(learned.sum())} of {n} networks learned (interval wholly above floor + "
                      f"{FLOOR_MARGIN:g} = {means['majority'].mean() + FLOOR_MARGIN:.1f}%), {int(failed.sum())} failed: "
                      + "; ".join(parts) + ". Tested on white-cell crops; the paper's whole smears at 100 px "
                      "(issue 37, item 2) are not run yet.",
                      estimate=float(means["accuracy"].mean()), n_pairs=int(means["folds"].sum()), n_datasets=1,
                      test="t interval over folds per network", rows_used=", ".join(means["network"]))
    return _claim("Apostolopoulos 2022", claim, _highest(by_profile, "transfer")[0], "not tested here",
                  "no network trained from scratch on Cells2")


def repeat_spread(by_profile: dict) -> dict:
    """s3.1: repeats of an experiment vary by about +-2 %. From every block with two training seeds
    on the same folds: ``d`` = the difference of the two seeds' means over folds; each ``d`` has
    variance ``2 sigma^2`` (sigma: the run-to-run SD of an experiment's accuracy), so
    ``sum d^2 / (2 sigma^2) ~ chi2(n)`` gives sigma's 95 % interval. Holds where it lies wholly
    within 2 points, does not hold where wholly above."""
    from scipy import stats as st

    claim = "repeats of an experiment vary by about +-2 points (s3.1): the run-to-run SD of a mean over folds"
    for profile in PROFILE_ORDER:
        df = by_profile.get(profile, {}).get("transfer")
        if df is None or not len(df) or "replicate" not in df:
            continue
        ok = df[(df["status"] == "ok") & (df["head"] == compare.PAPER_HEAD)]
        diffs, parts = [], []
        for key, g in ok.groupby(["dataset", "network", "strategy"]):
            runs = g.pivot_table(index="fold", columns="replicate", values="accuracy").dropna()
            if runs.shape[1] < 2 or len(runs) < stats.MIN_FOLD_PAIRS:
                continue
            d = float(runs[0].mean() - runs[1].mean())
            diffs.append(d)
            parts.append(f"{' '.join(key)} {d:+.1f} ({len(runs)} folds)")
        if len(diffs) < 2:
            continue
        d2, n = float(np.sum(np.square(diffs))), len(diffs)
        sd = np.sqrt(d2 / (2 * n))
        low, high = np.sqrt(d2 / (2 * st.chi2.ppf(0.975, n))), np.sqrt(d2 / (2 * st.chi2.ppf(0.025, n)))
        verdict = stats.HOLDS if high <= stats.MARGIN else stats.FAILS if low > stats.MARGIN else stats.INCONCLUSIVE
        return _claim("Apostolopoulos 2022", claim, profile, verdict,
                      f"run-to-run SD of a mean over folds {sd:.1f} points [95% CI {low:.1f}, {high:.1f}] from {n} "
                      "blocks run twice on the same folds (seed 1 minus seed 0 means; the two runs share initial "
                      "weights and differ in batch order, augmentation and dropout, so this is a lower bound on "
                      "what re-initialised repeats give): " + "; ".join(parts),
                      estimate=sd, ci_low=low, ci_high=high, n_pairs=n, margin=stats.MARGIN,
                      test="chi-square interval of the SD from paired seed differences", rows_used="; ".join(parts))
    return _claim("Apostolopoulos 2022", claim, _highest(by_profile, "transfer")[0], "not tested here",
                  "no block was run with two training seeds on 3 or more of the same folds")


def paper_below_chance(by_profile: dict) -> dict:
    """Our finding: the paper's off-the-shelf COV_CT numbers below the majority rate, beside
    the same networks' frozen features used with a head trained to convergence here."""
    claim = ("finding: the paper's off-the-shelf COV_CT accuracies below the majority rate "
             "(Table 5: DenseNet121 39.9%, MobileNetV2 40.3%) are not what frozen ImageNet features give")
    profile, df = _highest(by_profile, "transfer", lambda t: "cov_ct" in set(t["dataset"]))
    ref = paper.accuracy_table("off_the_shelf").loc["cov_ct"]
    floor = _paper_majority_rate("cov_ct")[1]
    below = {n: v for n, v in ref.items() if v < floor}
    if df is None:
        return _claim("ours", claim, None, "not tested here", "no COV_CT run")
    means = compare.mean_metrics(df)
    means = means[(means["dataset"] == "cov_ct") & (means["strategy"] == "off_the_shelf")]
    parts = []
    sizes = (df[df["dataset"] == "cov_ct"].groupby(["network", "strategy", "head"])["input_size"].first()
             if "input_size" in df else {})
    for r in means.itertuples():
        p = ref.get(r.network, np.nan)
        size = sizes.get((r.network, r.strategy, r.head), "") if len(sizes) else ""
        parts.append(f"{r.network} ({r.head}): ours {r.accuracy:.1f}%{' at ' + size if size else ''} "
                     f"(floor {r.majority:.1f}%), paper {p:.1f}%")
    ours_above = means[~means["at_floor"]]
    verdict = ("holds: frozen features beat the floor by far" if len(ours_above) and
               any(n in below for n in ours_above["network"]) else "not tested here")
    return _claim("ours", claim, profile, verdict,
                  f"paper's networks below COV_CT's majority rate ({floor:.1f}%): "
                  + ", ".join(f"{n} {v:.1f}%" for n, v in below.items()) + "; " + "; ".join(parts))


def _paper_majority_rate(key: str) -> tuple[str, float]:
    """(majority class, its share in %) of the paper's class counts for dataset ``key`` (Table 1,
    as the registry records them)."""
    from .data import get_spec

    counts = get_spec(key).paper_counts
    top = max(counts, key=counts.get)
    return top, 100 * counts[top] / sum(counts.values())


def paper_cells2_floor(by_profile: dict | None = None) -> dict:
    """Our finding: every Cells2 number of the paper sits at or below its own majority rate."""
    from .data import get_spec

    counts = get_spec("cells2").paper_counts
    top, floor = _paper_majority_rate("cells2")
    values = pd.concat([paper.accuracy_table(s).loc["cells2"] for s in ("off_the_shelf", "scratch")])
    best = values.max()
    verdict = "holds" if best <= floor + FLOOR_MARGIN else "does not hold"
    return _claim("ours", f"finding: no Cells2 accuracy in the paper (Tables 5 and 7) beats always "
                  f"answering '{top}'", "paper", verdict,
                  f"Cells2 has {counts[top]} {top}s of {sum(counts.values())} images (majority rate {floor:.1f}%); "
                  f"the paper's best "
                  f"Cells2 accuracy is {best:.1f}% and {int((values <= floor).sum())} of {len(values)} are below "
                  f"the majority rate")


def claims(by_profile: dict) -> pd.DataFrame:
    """Every claim of the registry (:data:`medlib.claims.CLAIMS`, in its order) with its verdict, the
    profile it was decided at, the estimate with its intervals, the rows it used, and the evidence in
    words (the columns of the ``claims`` table); a claim the registry marks untested gets
    "not tested (world limit | choice: why)"."""
    from .claims import CLAIMS

    rows = []
    for c in CLAIMS.values():
        if c.decide is None:
            kind, why = c.untested
            row = _claim(c.paper, c.sentence, None, f"not tested ({kind})", why)
        else:
            row = globals()[c.decide](by_profile)
        rows.append({**{col: np.nan for col in CLAIM_COLUMNS}, **row, "key": c.key, "rule": c.rule})
    return pd.DataFrame(rows)[CLAIM_COLUMNS]


def coverage(claims_df: pd.DataFrame) -> pd.DataFrame:
    """Every testable claim of both papers (and ours) with its verdict or why it is not tested, the
    profile that decided it, and whether a gap is a limit of this world or a choice."""
    from .claims import CLAIMS

    def gap(row):
        c = CLAIMS[row["key"]]
        if c.untested:
            return c.untested[0]
        return c.gap if str(row["verdict"]).startswith("not tested") else ""
    out = claims_df[["key", "paper", "claim", "verdict", "profile"]].copy()
    out["gap"] = out.apply(gap, axis=1)
    out["why_not_tested"] = [CLAIMS[k].untested[1] if CLAIMS[k].untested else
                             (e if str(v).startswith("not tested") else "")
                             for k, v, e in zip(claims_df["key"], claims_df["verdict"], claims_df["evidence"])]
    return out


def claims_table(profile: str, write: bool = True) -> pd.DataFrame:
    """The ``claims`` table of ``profile``: every claim decided from ``profile``'s tables alone
    (its own fold predictions for the per-image tests), written when ``write``."""
    table = claims({profile: load(profile)})
    if write:
        tables.save(table, "claims", profile)
    return table


def dataset_verdicts(df: pd.DataFrame, dataset: str, in_paper: bool) -> list[str]:
    """Notebook 02's per-dataset sentences: on a paper dataset (or a declared stand-in) the
    paper's claims; on a user's dataset only what was measured, no verdict."""
    means = compare.mean_metrics(df)
    means = means[(means["dataset"] == dataset) & (means["head"] == compare.PAPER_HEAD)]
    out = []
    for strategy, g in means.groupby("strategy"):
        above = g[~g["at_floor"]]
        floor = g[g["at_floor"]]
        if len(above):
            top = above.loc[above["accuracy"].idxmax()]
            out.append(f"{dataset}, {strategy}: best above its floor {top['network']} {top['accuracy']:.1f}% "
                       f"(floor {top['majority']:.1f}%)")
        for r in floor.itertuples():
            out.append(f"{dataset}, {strategy}: {r.network} at its floor ({r.accuracy:.1f}% vs "
                       f"{r.majority:.1f}%): {r.diagnosis or 'no diagnosis'}")
    if not in_paper:
        return out
    # the claims' own rule, restricted to this dataset (paired folds, corrected interval, +-2 margin,
    # intention to treat): never a second, unpaired rule
    scratch = df[(df["strategy"] == "scratch") & (df["status"] == "ok") & (df["dataset"] == dataset)]
    if "ff_vgg19" in set(scratch["network"]):
        units = [network_units(scratch, "ff_vgg19", o) for o in sorted(set(scratch["network"]) - {"ff_vgg19"})]
        units = pd.concat([u for u in units if len(u)] or [pd.DataFrame(columns=["verdict", "at_floor"])])
        counts = units["verdict"].str.split(" ").str[0].value_counts().to_dict()
        out.append(f"FF-VGG19 no worse than any other network on {dataset} (scratch, intention to treat): "
                   f"{_suitable_verdict(units['verdict'])} over {len(units)} paired comparisons {counts}"
                   + ("; FF-VGG19 at its floor" if units["at_floor"].str.contains("ff_vgg19").any() else ""))
    from .profiles import WITH_WEIGHTS

    result = strategy_comparison(df[df["dataset"] == dataset], "off_the_shelf", "scratch", WITH_WEIGHTS)
    if result is not None:
        for _, r in result.units[result.units["invalid"] == ""].iterrows():
            out.append(f"scratch - off-the-shelf on {dataset}, {r['network']}: {r['estimate']:+.1f} points "
                       f"[{r['low']:+.1f}, {r['high']:+.1f}] over {r['folds']} paired folds: "
                       f"{stats.decide_margin(r['low'], r['high'])}"
                       + (f" ({r['at_floor']} at its floor)" if r["at_floor"] else ""))
    return out


def unavailable() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Datasets and ImageNet weights this machine lacks, with the reason."""
    from .data.inventory import inventory
    from .models.weights import available_weights

    inv = inventory()
    missing = inv[inv["status"] != "available"][["dataset", "paper name", "status"]]
    weights = pd.DataFrame([{"weights": k, "available": v} for k, v in available_weights().items()])
    return missing.reset_index(drop=True), weights


def skipped(profile: str) -> list[str]:
    """What a run could not do, one line each (for the closing summary of `make reproduce`)."""
    lines = []
    if tables.exists("transfer", profile):
        df = tables.load("transfer", profile)
        for reason, g in compare.not_run(df).groupby("reason"):
            lines.append(f"not run ({len(g)} dataset/network/strategy): {reason}")
        floor = compare.mean_metrics(df)
        for r in floor[floor["at_floor"]].itertuples():
            g = df[(df["dataset"] == r.dataset) & (df["network"] == r.network) & (df["strategy"] == r.strategy)
                   & (df["head"] == r.head)]
            causes = diagnosis_causes(g["diagnosis"])
            lines.append(f"at its floor: {r.dataset} {r.network} {r.strategy} ({r.head}), mean {r.accuracy:.1f}% "
                         f"vs {r.majority:.1f}% over {r.folds} folds" + (f": {causes}" if causes else ""))
    missing, _ = unavailable()
    if len(missing):
        lines.append("datasets absent: " + ", ".join(f"{r.dataset} ({r.status.removeprefix('missing: ')})"
                                                     for r in missing.itertuples()))
    lines.append("cross-device pairs of the paper: not run wherever their datasets are absent (notebook 03)")
    return lines


# ---- explanations: sanity checks, method rankings, a classifier worth explaining --------------
SANITY_MAX_RHO = 0.3     # "near zero": rank correlation below 0.3 (weak by any convention)
LEARNED_MARGIN = 10.0    # a classifier whose maps are ranked beats its floor by 10 points
PASSES, FAILS_CHECK = "passes", "fails"


def sanity_verdicts(summary: pd.DataFrame) -> pd.DataFrame:
    """Adebayo et al.'s test, decided per model, method and test (``cascading`` at the step
    that first randomises the explained layer or below, ``labels``) from
    :func:`medlib.explain.sanity.summarise` rows: *passes* where the 95 % interval of the mean
    Spearman correlation with the trained model's maps lies wholly below
    :data:`SANITY_MAX_RHO`, *fails* where it lies wholly at or above it, *inconclusive*
    otherwise. Fixed before looking; ``independent`` rows are shown, not decided."""
    s = summary[(summary["measure"] == "spearman") & summary["decisive"].astype(bool)
                & summary["test"].isin(["cascading", "labels"])]
    rows = []
    for r in s.itertuples():
        verdict = (PASSES if r.ci_high < SANITY_MAX_RHO else FAILS_CHECK if r.ci_low >= SANITY_MAX_RHO
                   else stats.INCONCLUSIVE)
        rows.append({"model": getattr(r, "model", ""), "method": r.method, "test": r.test, "block": r.block,
                     "spearman": r.mean, "ci_low": r.ci_low, "ci_high": r.ci_high, "n_images": r.n_images,
                     "threshold": SANITY_MAX_RHO, "verdict": verdict})
    return pd.DataFrame(rows)


def sanity_overall(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One verdict per method over every model and test: fails where any part fails, passes
    where every part passes, inconclusive otherwise."""
    rows = []
    for method, g in verdicts.groupby("method", sort=False):
        v = set(g["verdict"])
        verdict = FAILS_CHECK if FAILS_CHECK in v else PASSES if v == {PASSES} else stats.INCONCLUSIVE
        parts = "; ".join(f"{r.model} {r.test}: rho {r.spearman:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"
                          for r in g.itertuples())
        rows.append({"method": method, "verdict": verdict, "evidence": parts})
    return pd.DataFrame(rows)


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


def learned(accuracy: float, majority: float) -> bool:
    """Is a classifier worth explaining: does it beat its floor by :data:`LEARNED_MARGIN`?"""
    return bool(accuracy >= majority + LEARNED_MARGIN)


def rank_methods(rows: pd.DataFrame, measure: str, higher_is_better: bool = True,
                 unit: str = "image") -> pd.DataFrame:
    """Methods ranked by their mean ``measure`` over the same units (images), each with a
    bootstrap interval, and each compared with the best by the paired difference over units:
    ``tied`` where that interval includes zero (the difference is within noise), ``worse``
    where it excludes it."""
    wide = rows.pivot_table(index=unit, columns="method", values=measure).dropna()
    sign = 1 if higher_is_better else -1
    best = (sign * wide.mean()).idxmax()
    out = []
    for method in wide:
        iv = stats.mean_interval(wide[method].to_numpy())
        d = stats.mean_interval(sign * (wide[best] - wide[method]).to_numpy())
        standing = "best" if method == best else "tied" if d.low <= 0 else "worse"
        out.append({"measure": measure, "method": method, "mean": iv.estimate, "ci_low": iv.low,
                    "ci_high": iv.high, "gap_to_best": d.estimate, "gap_ci_low": d.low,
                    "gap_ci_high": d.high, "standing": standing, "n": iv.n})
    return pd.DataFrame(out).sort_values("mean", ascending=not higher_is_better, ignore_index=True)
