"""Verdicts: every claim of the two papers, and our own findings, decided from result tables.

This module is the only place where a verdict is decided; notebooks 02, 03, 05
and 06 and the README print what it returns. Rules, fixed before looking at results:

* a number is *reproduced* when within :data:`ACCURACY_TOLERANCE` points of the
  paper (the paper reports a +-2% run-to-run spread; our data and budgets differ);
* a result within :data:`medlib.diagnose.FLOOR_MARGIN` points of its floor (the
  majority-class rate of its test set) is evidence of nothing: a claim resting on
  it is *not tested*, with the diagnosis, never "holds" or "does not hold";
* a comparison claim (scratch vs off-the-shelf, one network vs another) is decided
  by :mod:`medlib.stats` from **paired** evidence only: the same folds (so the same
  test images), the same input size, each side of one configuration hash, both
  sides above their floors. It *holds* only where the interval over folds and the
  interval over pooled test images both lie wholly on the claimed side of zero (or
  of the claimed size), *does not hold* where both exclude the claim, and is
  *inconclusive* otherwise, printed with its intervals, the smallest effect the
  design could detect and one test image's worth of accuracy;
* cross-device drop: the paper's "about 10 points" holds where the interval lies
  within 10 +- 5;
* CRM's ROI: "about 30% smaller" is tested at its own size: the interval over
  classes of CRM's reduction against the smaller of CAM's and Grad-CAM's ROI lies
  wholly above 30 %, on a classifier that beats its floor.

Every claim is one row of ``results/<profile>/claims.csv`` (:func:`claims_table`).

Each claim is decided at the highest profile that has the rows it needs
(``full`` > ``extended`` > ``quick``), and the profile is named with the verdict.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import config, paper
from .diagnose import FLOOR_MARGIN, at_floor
from . import stats
from .experiments import compare
from .metrics import METRICS

ACCURACY_TOLERANCE = 5.0
DROP_CLAIMED, DROP_TOLERANCE = 10.0, 5.0
CRM_MIN_REDUCTION = 30.0  # "about 30 % smaller": the claim's own size
AUC_FLOOR = 50.0          # AUC (%) of a classifier that ranks at random
TIE_POINTS = compare.EQUIVALENT_POINTS
PROFILE_ORDER = ("full", "extended", "quick", "smoke")
EVIDENCE_PROFILES = PROFILE_ORDER[:-1]  # smoke checks the pipeline (1 epoch, 4 images a class): never evidence
DEEP_NETWORKS = ("xception", "resnet50", "inceptionv3", "densenet121")  # the paper's "deep" ones
TABLES = {"transfer": "transfer_vs_scratch.csv", "cross": "cross_device.csv",
          "cross_folds": "cross_device_in_domain_folds.csv", "explain": "explain_bccd_summary.csv",
          "modality": "modality_classifier.csv", "modality_roi": "crm_modality_roi.csv",
          "modality_scores": "crm_modality_scores.csv"}


def load(profile: str) -> dict[str, pd.DataFrame]:
    """The result tables notebooks 02-05 wrote for ``profile`` (those that exist)."""
    root = config.results_dir(profile)
    out = {k: pd.read_csv(root / f) for k, f in TABLES.items() if (root / f).exists()}
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
    for strategy, table in (("off_the_shelf", "Table 6"), ("scratch", "Table 8")):
        best = compare.best_beside_paper(df, strategy)
        for dataset in best.index.get_level_values(0).unique():
            if (dataset, "paper") not in best.index or pd.isna(best.loc[(dataset, "ours")].get("accuracy")):
                continue
            ours, ref = best.loc[(dataset, "ours")], best.loc[(dataset, "paper")]
            for m in ("accuracy", "sensitivity", "specificity", "auc", "f1"):
                if pd.notna(ref[m]):
                    rows.append({"source": f"{table} (best network: ours {ours['network']}, paper {ref['network']})",
                                 "dataset": dataset, "network": "best", "metric": m, "paper": ref[m],
                                 "ours": ours[m], "diff": ours[m] - ref[m], "floor": ours["majority"],
                                 "at_floor": False, "diagnosis": ""})
    out = pd.DataFrame(rows)
    if not len(out):
        return out
    out["verdict"] = [f"not tested: ours at its floor ({d})" if f else _verdict(x, ACCURACY_TOLERANCE)
                      for x, f, d in zip(out["diff"], out["at_floor"], out["diagnosis"])]
    return out


def _claim(paper_name: str, claim: str, profile, verdict: str, evidence: str) -> dict:
    return {"paper": paper_name, "claim": claim, "profile": profile or "-", "verdict": verdict,
            "evidence": evidence}


def scratch_vs_off_the_shelf(by_profile: dict) -> dict:
    """Apostolopoulos s3.2: training from scratch beats frozen ImageNet features for the deep
    networks (Table 7 vs 5, Figure 3). Decided on pairs where both strategies beat their floor."""
    claim = ("training from scratch beats off-the-shelf ImageNet features for the deep networks "
             "(Xception, ResNet, InceptionV3, DenseNet121; Table 7 vs 5, Fig. 3)")

    def usable(t):
        c = compare.strategy_change(t)
        return len(c) and (c["network"].isin(DEEP_NETWORKS)).any()

    profile, df = _highest(by_profile, "transfer", usable)
    if df is None:
        profile, df = _highest(by_profile, "transfer")
        extra = ""
        if df is not None:
            c = compare.strategy_change(df)
            extra = "; " + "; ".join(f"{r.network} on {r.dataset}: scratch - off-the-shelf {r.ours:+.1f} points"
                                     + (f" ({r.note})" if r.note else "") for r in c.itertuples())
        return _claim("Apostolopoulos 2022", claim, profile, "not tested here",
                      "no deep network with ImageNet weights (offline: Xception) was trained from "
                      "scratch in the profiles run" + extra)
    c = compare.strategy_change(df)
    deep = c[c["network"].isin(DEEP_NETWORKS)]
    comparable = deep[deep["comparable"]]
    if not len(comparable):
        return _claim("Apostolopoulos 2022", claim, profile, "not tested here",
                      "every deep-network pair has a side at its floor: " +
                      "; ".join(f"{r.network} on {r.dataset} ({r.note})" for r in deep.itertuples()))
    wins = int((comparable["ours"] > TIE_POINTS).sum())
    losses = int((comparable["ours"] < -TIE_POINTS).sum())
    verdict = ("holds" if wins == len(comparable) else "does not hold" if wins == 0
               else "partly holds")
    ev = "; ".join(f"{r.network} on {r.dataset}: scratch {r.scratch:.1f}% vs off-the-shelf "
                   f"{r.off_the_shelf:.1f}% on the same {compare.folds_text(r.folds)} "
                   f"({r.ours:+.1f}; paper {r.paper:+.1f})" for r in comparable.itertuples())
    skipped = deep[~deep["comparable"]]
    if len(skipped):
        ev += "; not compared (a side at its floor): " + ", ".join(f"{r.network} on {r.dataset}"
                                                                    for r in skipped.itertuples())
    return _claim("Apostolopoulos 2022", claim, profile, verdict,
                  f"scratch better in {wins}, worse in {losses}, tied in {len(comparable) - wins - losses} "
                  f"of {len(comparable)} comparable pairs: {ev}")


def vgg19_off_the_shelf(by_profile: dict) -> dict:
    claim = "VGG19 does better off-the-shelf than from scratch (Fig. 3)"
    profile, df = _highest(by_profile, "transfer")
    vgg = compare.strategy_change(df).query("network == 'vgg19'") if df is not None else ()
    if not len(vgg):
        return _claim("Apostolopoulos 2022", claim, profile, "not tested here",
                      "needs VGG19's ImageNet weights, not available offline")
    r = vgg.iloc[0]
    verdict = "not tested here" if not r["comparable"] else (
        "holds" if r["ours"] < -TIE_POINTS else "does not hold")
    return _claim("Apostolopoulos 2022", claim, profile, verdict, f"change {r['ours']:+.1f} points {r['note']}")


def most_suitable(by_profile: dict) -> dict:
    """s3.2/Discussion: FF-VGG19 and Xception are the most suitable networks trained from
    scratch: best, or within TIE_POINTS of the best, on every dataset where both ran."""
    claim = ("FF-VGG19 and Xception are the most suitable networks from scratch: best or within "
             f"{TIE_POINTS:g} points of the best on every dataset (Tables 7-8, Fig. 4)")

    def usable(t):
        s = t[(t["strategy"] == "scratch") & (t["status"] == "ok")]
        return len(s) and {"ff_vgg19", "xception"} <= set(s["network"])

    profile, df = _highest(by_profile, "transfer", usable)
    if df is None:
        return _claim("Apostolopoulos 2022", claim, _highest(by_profile, "transfer")[0], "not tested here",
                      "FF-VGG19 and Xception were not both trained from scratch in the profiles run "
                      "(the extended profile does)")
    means = compare.mean_metrics(compare.networks_on_common_folds(df, "scratch"))
    parts, verdicts = [], []
    for dataset, g in means.groupby("dataset"):
        g = g.set_index("network")
        if not {"ff_vgg19", "xception"} <= set(g.index):
            continue
        above = g[~g["at_floor"]]
        floor = [n for n in ("ff_vgg19", "xception") if g.loc[n, "at_floor"]]
        if floor or not len(above):
            parts.append(f"{dataset}: not tested, " + ", ".join(
                f"{n} at its floor ({g.loc[n, 'accuracy']:.1f}% vs {g.loc[n, 'majority']:.1f}%; "
                f"{g.loc[n, 'diagnosis'] or 'no diagnosis'})" for n in floor or g.index))
            continue
        top = above["accuracy"].max()
        gaps = {n: top - g.loc[n, "accuracy"] for n in ("ff_vgg19", "xception")}
        verdicts.append(all(v <= TIE_POINTS for v in gaps.values()))
        parts.append(f"{dataset} (on the same {compare.folds_text(int(g['folds'].min()))}): best "
                     f"{above['accuracy'].idxmax()} {top:.1f}%, FF-VGG19 {g.loc['ff_vgg19', 'accuracy']:.1f}%, "
                     f"Xception {g.loc['xception', 'accuracy']:.1f}%")
    verdict = ("not tested here" if not verdicts else "holds" if all(verdicts)
               else "does not hold" if not any(verdicts) else "partly holds")
    return _claim("Apostolopoulos 2022", claim, profile, verdict, "; ".join(parts))


def cross_device_drop(by_profile: dict) -> dict:
    """s3.3: a network tested on another device's dataset loses about 10 points of accuracy.
    Measured only where the target's in-domain model beats its floor (accuracy), or ranks
    better than chance (AUC; the threshold-free drop)."""
    claim = f"a network tested on another device's dataset loses about {DROP_CLAIMED:g} points (s3.3)"
    from .experiments.cross_device import drop_table

    for profile in PROFILE_ORDER:
        res = by_profile.get(profile, {})
        if "cross" not in res or "cross_folds" not in res:
            continue
        t = drop_table(res["cross"], res["cross_folds"])
        if not len(t):
            continue
        parts, verdicts = [], []
        for r in t.itertuples():
            name = f"{r.source}->{r.target} {r.network} {r.strategy} ({r.head})"
            if at_floor(r.in_domain_accuracy, r.in_domain_majority):
                parts.append(f"{name}: accuracy drop not tested (in-domain {r.in_domain_accuracy:.1f}% vs "
                             f"floor {r.in_domain_majority:.1f}%); AUC {r.in_domain_auc:.1f} -> {r.cross_auc:.1f} "
                             f"({r.drop_auc:+.1f})")
                continue
            drop = -r.drop_accuracy
            verdicts.append(abs(drop - DROP_CLAIMED) <= DROP_TOLERANCE)
            parts.append(f"{name}: accuracy {r.in_domain_accuracy:.1f}% -> {r.cross_accuracy:.1f}% "
                         f"(drop {drop:.1f}; target floor {r.target_majority:.1f}%), AUC "
                         f"{r.in_domain_auc:.1f} -> {r.cross_auc:.1f}")
        verdict = ("not tested here" if not verdicts else "holds" if all(verdicts)
                   else "does not hold" if not any(verdicts) else "partly holds")
        return _claim("Apostolopoulos 2022", claim, profile, verdict,
                      "; ".join(parts) + " (COV_CT <-> MosMed; the paper's pairs' data is not available)")
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
    """Kim 2019, Table 3: CRM's ROI (above 20% of max) is about 30% smaller than CAM's and
    Grad-CAM's; tested on the modality classifier (its own setting) if it beats its floor."""
    claim = "CRM's ROI (above 20% of max) is about 30% smaller than CAM's and Grad-CAM's (Table 3)"
    profile, roi, untested = _modality_table(by_profile, "modality_roi", claim)
    if untested:
        return untested
    parts, verdicts = [], []
    for net, g in roi.groupby("network"):
        mean = g.groupby("method")["roi_ratio"].mean()
        if not {"crm", "cam", "gradcam"} <= set(mean.index):
            continue
        ref = min(mean["cam"], mean["gradcam"])
        reduction = 100 * (1 - mean["crm"] / ref) if ref > 0 else np.nan
        verdicts.append(reduction >= CRM_MIN_REDUCTION)
        parts.append(f"{net}: mean ROI over {g['class'].nunique()} classes CRM {mean['crm']:.1f}%, "
                     f"CAM {mean['cam']:.1f}%, Grad-CAM {mean['gradcam']:.1f}% (CRM {abs(reduction):.0f}% "
                     f"{'smaller' if reduction >= 0 else 'larger'}; paper: "
                     f"{100 * (1 - paper.crm_roi_table().loc['crm'].mean() / paper.crm_roi_table().loc['cam'].mean()):.0f}% smaller)")
    if not verdicts:
        return _claim("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    return _claim("Kim 2019", claim, profile, "holds" if all(verdicts) else "does not hold", "; ".join(parts))


def crm_scores_tighter(by_profile: dict) -> dict:
    """Kim 2019, Fig. 6: CRM's normalised scores have a smaller mean and spread."""
    claim = "CRM's normalised map values have a smaller mean and spread than CAM's and Grad-CAM's (Fig. 6)"
    profile, s, untested = _modality_table(by_profile, "modality_scores", claim)
    if untested:
        return untested
    parts, verdicts = [], []
    for net, g in s.groupby("network"):
        g = g.groupby("method")[["mean", "sd"]].mean()
        if not {"crm", "cam", "gradcam"} <= set(g.index):
            continue
        ok = all(g.loc["crm", k] < min(g.loc["cam", k], g.loc["gradcam", k]) for k in ("mean", "sd"))
        verdicts.append(ok)
        parts.append(f"{net}: mean/sd CRM {g.loc['crm', 'mean']:.2f}/{g.loc['crm', 'sd']:.2f}, CAM "
                     f"{g.loc['cam', 'mean']:.2f}/{g.loc['cam', 'sd']:.2f}, Grad-CAM "
                     f"{g.loc['gradcam', 'mean']:.2f}/{g.loc['gradcam', 'sd']:.2f}")
    if not verdicts:
        return _claim("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    return _claim("Kim 2019", claim, profile, "holds" if all(verdicts) else "does not hold", "; ".join(parts))


def paper_below_chance(by_profile: dict) -> dict:
    """Our finding: the paper's off-the-shelf COV_CT numbers below the majority rate, beside
    the same networks' frozen features used with a head trained to convergence here."""
    claim = ("finding: the paper's off-the-shelf COV_CT accuracies below the majority rate "
             "(Table 5: DenseNet121 39.9%, MobileNetV2 40.3%) are not what frozen ImageNet features give")
    profile, df = _highest(by_profile, "transfer", lambda t: "cov_ct" in set(t["dataset"]))
    ref = paper.accuracy_table("off_the_shelf").loc["cov_ct"]
    floor = 100 * 397 / (349 + 397)
    below = {n: v for n, v in ref.items() if v < floor}
    if df is None:
        return _claim("ours", claim, None, "not tested here", "no COV_CT run")
    means = compare.mean_metrics(df)
    means = means[(means["dataset"] == "cov_ct") & (means["strategy"] == "off_the_shelf")]
    parts = []
    for r in means.itertuples():
        p = ref.get(r.network, np.nan)
        parts.append(f"{r.network} ({r.head}): ours {r.accuracy:.1f}% (floor {r.majority:.1f}%), paper {p:.1f}%")
    ours_above = means[~means["at_floor"]]
    verdict = ("holds: frozen features beat the floor by far" if len(ours_above) and
               any(n in below for n in ours_above["network"]) else "not tested here")
    return _claim("ours", claim, profile, verdict,
                  f"paper's networks below COV_CT's majority rate ({floor:.1f}%): "
                  + ", ".join(f"{n} {v:.1f}%" for n, v in below.items()) + "; " + "; ".join(parts))


def paper_cells2_floor() -> dict:
    """Our finding: every Cells2 number of the paper sits at or below its own majority rate."""
    counts = paper_counts = {"monocyte": 20, "eosinophil": 88, "lymphocyte": 34}
    floor = 100 * max(counts.values()) / sum(paper_counts.values())
    values = pd.concat([paper.accuracy_table(s).loc["cells2"] for s in ("off_the_shelf", "scratch")])
    best = values.max()
    verdict = "holds" if best <= floor + FLOOR_MARGIN else "does not hold"
    return _claim("ours", "finding: no Cells2 accuracy in the paper (Tables 5 and 7) beats always "
                  "answering 'eosinophil'", "paper", verdict,
                  f"Cells2 has 88 eosinophils of 142 images (majority rate {floor:.1f}%); the paper's best "
                  f"Cells2 accuracy is {best:.1f}% and {int((values <= floor).sum())} of {len(values)} are below "
                  f"the majority rate")


def claims(by_profile: dict) -> pd.DataFrame:
    """Every claim with its verdict, the profile it was decided at, and the evidence."""
    return pd.DataFrame([scratch_vs_off_the_shelf(by_profile), vgg19_off_the_shelf(by_profile),
                         most_suitable(by_profile), cross_device_drop(by_profile),
                         crm_roi_smaller(by_profile), crm_scores_tighter(by_profile),
                         paper_below_chance(by_profile), paper_cells2_floor()])


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
        if in_paper and "ff_vgg19" in set(g["network"]):
            ff = g.set_index("network").loc["ff_vgg19"]
            if ff["at_floor"] or not len(above):
                out.append(f"FF-VGG19 best or tied on {dataset} ({strategy}): not tested, FF-VGG19 at its floor")
            else:
                gap = above["accuracy"].max() - ff["accuracy"]
                out.append(f"FF-VGG19 best or tied on {dataset} ({strategy}): "
                           f"{'holds' if gap <= TIE_POINTS else 'does not hold'} (FF-VGG19 {ff['accuracy']:.1f}%, "
                           f"best {above['accuracy'].max():.1f}%)")
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
    root = config.results_dir(profile)
    lines = []
    t = root / "transfer_vs_scratch.csv"
    if t.exists():
        df = pd.read_csv(t)
        for reason, g in compare.not_run(df).groupby("reason"):
            lines.append(f"not run ({len(g)} dataset/network/strategy): {reason}")
        floor = compare.mean_metrics(df)
        for r in floor[floor["at_floor"]].itertuples():
            lines.append(f"at its floor: {r.dataset} {r.network} {r.strategy} ({r.head}): {r.diagnosis}")
    missing, _ = unavailable()
    if len(missing):
        lines.append("datasets absent: " + ", ".join(f"{r.dataset} ({r.status.removeprefix('missing: ')})"
                                                     for r in missing.itertuples()))
    lines.append("cross-device pairs of the paper: not run wherever their datasets are absent (notebook 03)")
    return lines
