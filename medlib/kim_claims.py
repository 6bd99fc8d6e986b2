"""Kim 2019's claims about Class-selective Relevance Mapping, decided on the modality classifier.

Each network is one trained classifier, so every interval here describes that fitted model, not
what another training run would give: the ROI rows resample its test images (within classes, as
Kim's Table 3 averages classes), the Fig. 6 rows take a t over classes (one value each). A classifier at its floor is never explained; its claims
are "not tested here" with the reason (:func:`_modality_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import paper, stats
from .claim_rows import claim_row, highest
from .diagnose import at_floor

CRM_MIN_REDUCTION = 30.0  # "over 30% reduction" (Kim s4.2): the claim's own size
# what a reader must know beside CRM's smaller ROI and mean (medlib.explain.crm)
SQUARED_CAM_NOTE = ("for a global-average-pooling and dense head CRM is the sum over classes of each class's "
                    "squared CAM (Kim's Eqs 5-7 in closed form), so where one class's CAM dominates, CRM "
                    "normalised to its maximum is about CAM's normalised map squared: its values and its mean "
                    "are smaller wherever the map is below its maximum, and its ROI at 20 % of the maximum is "
                    "about CAM's at 45 %. The smaller ROI and mean follow largely from the definition")


def _modality_table(by_profile: dict, table: str, claim: str, cuts: bool = False):
    """(profile, table, None) for a CRM-paper claim, or (.., .., the "not tested" claim) when no
    modality classifier ran or none beats its floor. ``cuts``: the rows of backbones cut higher up
    (:data:`medlib.experiments.crm_classifier.BACKBONES`, Kim's Figs 7-8) instead of those cut at
    their last map (Table 3 and Fig. 6). The profile is the highest whose classifier table has
    such rows; a classifier at its floor is never explained (no map rows), so it is named here."""
    from .experiments.crm_classifier import BACKBONES

    def rows(df):
        return df[df["network"].isin(list(BACKBONES)) == cuts] if df is not None and len(df) else df

    profile, clf = highest(by_profile, "modality", lambda df: len(rows(df)) > 0)
    if clf is None:
        what = "no modality classifier cut as Kim cut Xception was run" if cuts else "no modality classifier run"
        return None, None, claim_row("Kim 2019", claim, None, "not tested here", what)
    clf = rows(clf)
    learned = [n for n, a, m in zip(clf["network"], clf["accuracy"], clf["majority"]) if not at_floor(a, m)]
    t = rows(by_profile[profile].get(table))
    t = t[t["network"].isin(learned)] if t is not None and len(t) else None
    if not learned or t is None or not len(t):
        why = ("the modality classifier does not beat its floor" if not learned
               else f"no {table} rows for {', '.join(learned)}")
        return profile, None, claim_row("Kim 2019", claim, profile, "not tested here", why)
    return profile, t, None


def _kim_row(claim: str, profile, intervals: list, parts: list, networks, decide=stats.decide, note: str = "",
             **numbers) -> dict:
    """A CRM-paper claim's row from its per-network intervals: the verdict ``decide`` gives on all of
    them, the first one's estimate and interval (``note``: what its sign or size means), the
    networks used; "not tested here" without any."""
    if not intervals:
        return claim_row("Kim 2019", claim, profile, "not tested here", "CAM not applicable")
    iv, nets = intervals[0], sorted(pd.unique(networks))
    # each network is one trained classifier: the intervals resample its test images, so they
    # describe that fitted model (as Kim's own Table 3 does), not what another training run gives
    return claim_row("Kim 2019", claim, profile, decide(intervals), "; ".join(parts), estimate=iv.estimate,
                  ci_low=iv.low, ci_high=iv.high, test=iv.test, rows_used=", ".join(nets),
                  estimate_of=f"{nets[0]}: one trained classifier ({iv.test})" + (f"; {note}" if note else "")
                  + (f"; {len(nets) - 1} more in the evidence" if len(nets) > 1 else ""), **numbers)


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
    parts.append(SQUARED_CAM_NOTE)
    return _kim_row(claim, profile, intervals, parts, roi["network"],
                    lambda ivs: stats.decide(ivs, CRM_MIN_REDUCTION),
                    n_images=intervals[0].n if intervals else np.nan,
                    detectable=intervals[0].detectable if intervals else np.nan)


def roi_reduction(per_image: pd.DataFrame, against=("cam", "gradcam")) -> float:
    """CRM's ROI reduction (%) against the smallest of ``against`` (default CAM's and Grad-CAM's),
    from per-image ROI ratios (a column per method, one row per image, a ``class`` column):
    Table 3's statistic, the mean over classes of each method's mean ROI."""
    means = per_image.groupby("class")[["crm", *against]].mean().mean()
    return float(100 * (1 - means["crm"] / means[list(against)].min()))


# Kim's Fig. 6 text: CRM's SD is smaller for abdomen CT, brain MRI, cardiac ultrasound, chest X-ray
# and fundoscopy, and *similar* for fluorescence microscopy and statistical graphs (its mean is
# smaller in all seven); the classes of ours Kim names for the smaller SD, and the two he excepts
KIM_SMALLER_SD_CLASSES = ("CT", "ultrasound", "chest X-ray")
KIM_SIMILAR_SD_CLASSES = ("microscopy", "statistical graph")


def _crm_scores(by_profile: dict, part: str, claim: str, classes=None) -> dict:
    """Kim 2019, Fig. 6, one part (``"mean"`` or ``"sd"``): CRM's normalised scores have a smaller
    ``part`` than CAM's and Grad-CAM's. Per class, the smaller of the other two minus CRM's; a t
    interval over ``classes`` (default every class; the SD part takes the classes Kim names for it).
    Each class is one value here (the pixel statistics of its test images), so the interval is over
    classes, a handful, never over images; a percentile bootstrap over five values under-covers."""
    from dataclasses import replace

    profile, s, untested = _modality_table(by_profile, "modality_scores", claim)
    if untested:
        return untested
    parts, intervals = [], []
    for net, g in s.groupby("network"):
        wide = g.pivot_table(index="class", columns="method", values=part)
        if not {"crm", "cam", "gradcam"} <= set(wide.columns):
            continue
        gap = wide[["cam", "gradcam"]].min(axis=1) - wide["crm"]  # > 0: CRM's is smaller
        tested = gap[gap.index.isin(classes)] if classes is not None else gap
        iv = replace(stats.fold_interval(tested), test=f"t over classes ({len(tested)}: one value each)")
        intervals.append(iv)
        others = gap.drop(tested.index)
        parts.append(f"{net}: {part} CRM {wide['crm'].mean():.3f}, CAM {wide['cam'].mean():.3f}, Grad-CAM "
                     f"{wide['gradcam'].mean():.3f}; smaller of the others minus CRM {iv.estimate:.3f} "
                     f"[{iv.low:.3f}, {iv.high:.3f}] over {iv.n} classes ("
                     + ", ".join(f"{c} {v:+.3f}" for c, v in tested.items()) + f"), CRM smaller in "
                     f"{int((tested > 0).sum())} of {len(tested)}"
                     + (f"; not tested, where Kim saw a similar {part}: "
                        + ", ".join(f"{c} {v:+.3f}" for c, v in others.items()) if len(others) else ""))
    if part == "mean":
        parts.append(SQUARED_CAM_NOTE)
    return _kim_row(claim, profile, intervals, parts, s["network"], n_pairs=intervals[0].n if intervals else np.nan,
                    note=f"the smaller of CAM's and Grad-CAM's {part} minus CRM's (above 0: CRM's is smaller)")


def crm_mean_smaller(by_profile: dict) -> dict:
    return _crm_scores(by_profile, "mean", "CRM's normalised map values have a smaller mean than CAM's and "
                       "Grad-CAM's (Fig. 6)")


def crm_spread_smaller(by_profile: dict) -> dict:
    return _crm_scores(by_profile, "sd", "CRM's normalised map values have a smaller spread (SD) than CAM's "
                       "and Grad-CAM's on CT, ultrasound and chest X-ray, the classes Kim names for it (Fig. 6)",
                       classes=KIM_SMALLER_SD_CLASSES)


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
    parts.append("with a head of global average pooling and one dense layer on the explained map, Grad-CAM's "
                 "weights are CAM's divided by the map's area, so the two maps coincide up to scale (Selvaraju "
                 "et al. 2017, s3.1) and their thresholded ROIs are equal: this row checks the implementation "
                 "against that identity more than it tests Kim's observation")
    return _kim_row(claim, profile, intervals, parts, roi["network"],
                    lambda ivs: stats.decide_band(ivs, 0.0, stats.MARGIN),
                    note="identical by construction for a global-average-pooling and dense head: an "
                         "implementation check more than a finding",
                    n_images=intervals[0].n if intervals else np.nan, margin=stats.MARGIN)


def crm_other_models(by_profile: dict) -> dict:
    """Kim 2019, Figs 7-8: on deeper networks cut higher up (Xception after "add_11"), CRM removes
    the highlighted background CAM leaves. Rule, written before the run: the bootstrap interval
    (images within classes) of CRM's ROI reduction against CAM's (the figures compare CAM only)
    lies wholly above 0: holds (saying whether also above Table 3's 30 %); wholly below: does not
    hold; otherwise inconclusive."""
    claim = ("on Xception cut as Kim cut it (after the middle flow, 'add_11'), CRM's ROI is smaller than "
             "CAM's (Figs 7-8)")
    profile, images, untested = _modality_table(by_profile, "modality_roi_images", claim, cuts=True)
    if untested:
        return untested
    parts, intervals = [], []
    clf = by_profile[profile]["modality"].set_index("network")
    for net, g in images.groupby("network"):
        wide = g.pivot_table(index=["class", "image"], columns="method", values="roi_ratio").reset_index()
        if not {"crm", "cam"} <= set(wide.columns):
            continue
        iv = stats.stratified_bootstrap(
            wide, "class", lambda w: roi_reduction(w, against=("cam",)),
            test="bootstrap over images within classes (Table 3's class means)")
        intervals.append(iv)
        row = clf.loc[net]
        parts.append(f"{net} ({row.get('map', '?')} map; accuracy {row['accuracy']:.1f}% vs floor "
                     f"{row['majority']:.1f}%): CRM's ROI {iv.estimate:.1f}% smaller than CAM's "
                     f"[{iv.low:.1f}, {iv.high:.1f}] over {iv.n} images (CRM {wide['crm'].mean():.1f}%, "
                     f"CAM {wide['cam'].mean():.1f}% of the image); "
                     f"{_against(iv, CRM_MIN_REDUCTION)} Table 3's 30 %")
    parts.append(SQUARED_CAM_NOTE)
    return _kim_row(claim, profile, intervals, parts, images["network"],
                    n_images=intervals[0].n if intervals else np.nan)


def _against(iv, size: float) -> str:
    """Where an interval lies against ``size``: "above", "below", or "not shown above or below"."""
    return "above" if iv.low > size else "below" if iv.high < size else "not shown above or below"
