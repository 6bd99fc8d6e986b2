"""The claims registry: every testable claim of the two papers (and our own findings), as values.

One :class:`Claim` per claim, like :data:`medlib.tables.TABLES`: its key, the paper and the
paper's words, the rule that decides it (in words), the function that applies the rule
(a name in :mod:`medlib.report`'s namespace, resolved when it runs, so this module imports
nothing above it; the cross-device, Kim and second-reading claims live in their own modules and
``report`` re-exports them), the tables it needs and the notebook that shows it. A claim that cannot be
tested here carries ``untested``: why, and whether that is a limit of this world (data,
weights, GPU) or a choice (not run yet, or not measurable as stated).

:func:`medlib.report.claims` iterates :data:`CLAIMS` in order; tests select rows by ``key``;
the README's verdict table and notebook 06's coverage table are generated from the rows.
Adding a claim is adding one entry here and, if it is tested, one function in ``report`` (or in
:mod:`medlib.cross_claims`, :mod:`medlib.kim_claims` or :mod:`medlib.second_readings`, re-exported there).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

APOSTOLOPOULOS, KIM, OURS = "Apostolopoulos 2022", "Kim 2019", "ours"
WORLD, CHOICE = "world limit", "choice"
SCORE = "map score"  # a Claim unit: normalised map values in [0, 1]


@dataclass(frozen=True)
class Claim:
    key: str
    paper: str
    sentence: str  # the paper's words (or ours), with where they are
    rule: str      # how the verdict is decided
    decide: str | None = None  # medlib.report function: by_profile -> claims row
    tables: tuple[str, ...] = ()
    notebook: str = "06"
    untested: tuple[str, str] | None = None  # (WORLD or CHOICE, why) where no function decides it
    # what it is when its function finds nothing to decide from (the row's evidence says why)
    gap: str = CHOICE
    # the figure that shows it: a file stem under figures/ (``<stem>_<profile>`` is tried first)
    figure: str = ""
    # what its estimate counts: accuracy or image-area points (one decimal) or normalised map
    # scores in [0, 1] (three); the README and the report page print it with that precision
    unit: str = "points"

    @property
    def number_format(self) -> str:
        return "{:.3f}" if self.unit == SCORE else "{:.1f}"


_PAIRED = ("paired folds per dataset and network with the Nadeau-Bengio corrected variance, pooled by a "
           "multilevel random-effects model (datasets, networks within a dataset; REML, Hartung-Knapp t on datasets - 1 df); holds / equivalent (+-2) / reversed / inconclusive; intention to "
           "treat primary, at-floor units left out as the sensitivity analysis")

_CLAIMS = (
    Claim("scratch_beats_off_the_shelf", APOSTOLOPOULOS,
          "'Training the CNNs from scratch yielded better results in most cases' (s3.2; Table 7 vs 5, Fig. 3)",
          _PAIRED, "scratch_vs_off_the_shelf", ("transfer",), "02", figure="forest_scratch_vs_off_the_shelf"),
    Claim("scratch_gain_size", APOSTOLOPOULOS,
          "the size behind 'better results in most cases' (s3.2): Table 7 minus Table 5 for the networks tested here",
          "ours (the central claim's pooled estimate, both analyses) minus the paper's mean gain over its datasets "
          "(t interval over them), Welch t: holds where the difference lies within +-5 (the reproduction "
          "tolerance), does not hold where it lies wholly below or above 0, inconclusive otherwise (the paper's own "
          "interval over 11 single runs is about +-9 wide, so the rule can show a different size, never the same "
          "one). Registered "
          "2026-12-07, after the central claim's interim estimates were known (a review asked for the size)",
          "scratch_gain_size", ("transfer",), "06", figure="forest_scratch_vs_off_the_shelf"),
    Claim("vgg19_off_the_shelf", APOSTOLOPOULOS,
          "VGG19 does better off-the-shelf than from scratch (Fig. 3)", _PAIRED, "vgg19_off_the_shelf",
          ("transfer",), "02", gap=WORLD),
    Claim("most_suitable", APOSTOLOPOULOS,
          "'FF-VGG19 and Xception stood out ... achieving high classification accuracies in every dataset' "
          "(s3.2; Tables 7-8, Fig. 4)",
          "each of FF-VGG19 and Xception against every other network from scratch, per dataset (paired "
          "folds, corrected interval, +-2 margin): holds where all hold or are equivalent; does not hold where "
          "one is reversed with the family's error at 2.5 % (Bonferroni over the comparisons); intention to "
          "treat primary", "most_suitable", ("transfer",), "02",
          figure="02_fig4_accuracy_by_network"),
    Claim("ffvgg19_strategy_neutral", APOSTOLOPOULOS,
          "'training from scratch and transfer learning had no important impact on [FF-VGG19's] performance' (s3.2)",
          "FF-VGG19 off-the-shelf vs from scratch, equivalent within +-2",
          untested=(WORLD, "needs VGG19's ImageNet weights (FF-VGG19 is built on VGG19), not available offline")),
    Claim("vgg19_mobilenet_small_datasets", APOSTOLOPOULOS,
          "'Preferable CNNs for small datasets include VGG19 and MobileNet' (s3.2 concluding remarks)",
          "on the smallest dataset here (Cells2), VGG19 and MobileNetV2 from scratch against every other "
          "network the claim does not name (paired folds, corrected interval, +-2 margin): holds where all "
          "hold or are equivalent; does not hold where one is reversed with the family's error at 2.5 % "
          "(Bonferroni over the comparisons)", "vgg19_mobilenet_small", ("transfer",), "02", figure="02_fig4_accuracy_by_network"),
    Claim("small_datasets_fail", APOSTOLOPOULOS,
          "'CNNs failed to perform optimally in small datasets' (s3.2 concluding remarks)",
          "on the smallest dataset here (Cells2), each network from scratch: failed where its interval of "
          "accuracy lies within 5 points of its floor; the claim holds where most networks fail and does "
          "not hold where most learned (interval wholly above floor + 5)", "small_datasets_fail",
          ("transfer",), "02", figure="02_fig4_accuracy_by_network"),
    Claim("repeat_spread", APOSTOLOPOULOS,
          "'Each experiment was conducted three times ... A variation of +-2% was observed' (s3.1)",
          "the run-to-run SD of a whole experiment's accuracy (mean over folds), per strategy, from blocks "
          "run with two training seeds on the same folds, with a chi-square 95 % interval: holds where every "
          "strategy's lies wholly within 2 points, does not hold where one lies wholly above 2 at the "
          "Bonferroni level", "repeat_spread", ("transfer",), "02"),
    Claim("repeat_spread_per_run", APOSTOLOPOULOS,
          "'A variation of +-2% was observed for each training-testing run' (s3.1), read per run",
          "the same sentence's second reading, one fold's accuracy as one training-testing run: the SD of "
          "per-fold seed differences, per strategy, decided by repeat_spread's rule. Registered 2026-12-07, "
          "after the first reading's verdict was known (a review named the reading): printed beside it, "
          "never replacing it; where the two readings disagree, the sentence is undecided between them",
          "repeat_spread_per_run", ("transfer",), "02"),
    Claim("cross_device_drop", APOSTOLOPOULOS,
          "'A decrease of ~10% in accuracy was observed for the remaining experimental cases' (s3.3, Tables 9-11)",
          "AUC and balanced-accuracy drops (target in-domain minus cross-domain) with 95 % intervals, for "
          "sources whose own AUC interval lies above 50: holds where every interval lies within 10 +- 5, "
          "does not hold where every one lies outside; COV_CT <-> MosMed stands in for the paper's pairs",
          "cross_device_drop", ("cross", "cross_folds"), "03", figure="03_cross_device_drop"),
    Claim("cross_device_slight", APOSTOLOPOULOS,
          "'in some cases, device acquisition variations slightly affect the performance of DL models' (Abstract)",
          "for sources whose own AUC interval lies above 50: holds where some case's AUC and balanced-accuracy "
          "drop intervals both lie wholly below 5 points, does not hold where every case has one lying wholly above",
          "cross_device_slight", ("cross", "cross_folds"), "03", figure="03_roc_in_vs_cross"),
    Claim("feature_maps_biomarkers", APOSTOLOPOULOS,
          "'The deep layers of the networks indeed revealed those important features' (Conclusions; Figs 5-8)",
          "no measurable criterion in the paper; notebook 04-05 show the maps and sanity checks",
          untested=(CHOICE, "qualitative: the paper states no criterion a number could decide")),
    Claim("deep_networks_best_scratch", APOSTOLOPOULOS,
          "'As illustrated in Figure 3, it can be assumed that Xception, ResNet, InceptionV3, and DenseNet121 were "
          "best for training from scratch' (s3.2)",
          "Figure 3 is each network's gain from scratch over off-the-shelf, so the claim compares gains",
          untested=(CHOICE, "not run yet as a row: three of the four (ResNet, InceptionV3, DenseNet121) have no "
                    "offline ImageNet weights, so no off-the-shelf arm and no gain (world limit); Xception's part is "
                    "testable as Xception's gain minus MobileNetV2's on the central claim's six datasets (its units "
                    "are in the central claim's evidence: Xception alone, MobileNetV2 alone)")),
    Claim("deeper_layers_decisive", APOSTOLOPOULOS,
          "'Most important and decisive features were discovered in deeper convolutions' (s3.4, Figs 5-6)",
          "no criterion for 'decisive' in the paper",
          untested=(CHOICE, "not run yet as a row: the `activity` table (medlib.tables) counts silent and dead "
                    "channels per layer (notebook 04), which measures where maps are active, not which are "
                    "decisive; an occlusion or ablation test per depth would")),
    Claim("gradcam_right_areas", APOSTOLOPOULOS,
          "'FF-VGG19 revealed the important areas of the original images, wherein the decisive features were "
          "discovered' by Grad-CAM (s3.5, Figs 7-8)",
          "qualitative in the paper (overlays, no measure)",
          untested=(CHOICE, "not run yet as a row: on BCCD smears with one white cell, "
                    "the `explain_ranking` table gives each method's pointing rate and energy in the "
                    "cell's box (notebook 05), from which a row could test Grad-CAM against a uniform map")),
    Claim("crm_localises_better", KIM,
          "'the proposed method is significantly better in detecting and localizing the discriminative ROIs than "
          "other state of the art class-activation methods' (Abstract)",
          "Kim measures it by ROI size (Table 3, the crm_roi_smaller row) and by eye",
          untested=(CHOICE, "not run yet as a row: the `faithfulness` table (deletion and insertion "
                    "on the modality classifier) and the sanity checks (`sanity_verdicts`) measure localisation "
                    "and faithfulness beyond ROI size; notebook 05 prints them")),
    Claim("crm_roi_smaller", KIM,
          "'Table 3 also showed over 30% reduction of the ROI size, on average, by the proposed CRM'",
          "bootstrap interval (images within classes) of CRM's ROI reduction against the smaller of CAM's "
          "and Grad-CAM's lies wholly above 30 %", "crm_roi_smaller", ("modality", "modality_roi"), "05",
          figure="05_modality_table3_mobilenetv2"),
    Claim("crm_mean_smaller", KIM,
          "'A distribution of the CRM score was found to have substantially smaller mean ... than those from "
          "CAM and Grad-CAM' (Fig. 6)",
          "t interval over classes of (smaller of CAM's and Grad-CAM's mean score) - CRM's: holds where wholly "
          "above 0, does not hold where wholly below (a percentile bootstrap over the classes until 2026-12-07)",
          "crm_mean_smaller", ("modality", "modality_scores"), "05",
          figure="05_modality_score_distributions_mobilenetv2", unit=SCORE),
    Claim("crm_spread_smaller", KIM,
          "'... and standard deviation (STD) values than those from CAM and Grad-CAM scores for the classes of "
          "(a) abdomen CT, ... (c) cardiac abdomen ultrasound, (d) chest X-ray' (Fig. 6; 'a STD similar' for "
          "microscopy and graphs)",
          "on the classes Kim names for it (ours: CT, ultrasound, chest X-ray), a t interval over classes of "
          "(smaller of CAM's and Grad-CAM's score SD) - CRM's: holds where wholly above 0, does not hold where "
          "wholly below; microscopy and graphs printed, not tested (until 2026-12-07 every class, by a "
          "percentile bootstrap over classes)", "crm_spread_smaller", ("modality", "modality_scores"), "05",
          figure="05_modality_score_distributions_mobilenetv2", unit=SCORE),
    Claim("cam_equals_gradcam", KIM,
          "'the heatmaps resulting from the CAM and Grad-CAM processes were virtually the same' (Fig. 5, Table 3)",
          "bootstrap interval (images within classes) of Grad-CAM's minus CAM's ROI (% of the image) lies "
          "within +-2 points: holds; wholly outside: does not hold", "cam_equals_gradcam",
          ("modality", "modality_roi_images"), "05", figure="05_modality_overlays_mobilenetv2"),
    Claim("crm_other_models", KIM,
          "'Such superior localization ability of our CRM is further validated by applying it to other types "
          "of DL models' (Figs 7-8: Inception-v3 and Xception cut near 17x17; 'reduction of the highlighted "
          "background')",
          "on Xception cut after its middle flow (Kim's 'add_11', 14x14 at 224 px; frozen, where Kim fine-tuned; "
          "Inception-v3 has no offline weights): bootstrap interval (images within classes) of CRM's ROI "
          "reduction against CAM's lies wholly above 0 (where it lies against 30 % said); wholly below: does "
          "not hold", "crm_other_models", ("modality", "modality_roi_images"), "05",
          figure="05_modality_overlays_xception_add11"),
    Claim("paper_below_chance", OURS,
          "the paper's off-the-shelf COV_CT accuracies below the majority rate (Table 5) are not what frozen "
          "ImageNet features give", "ours: frozen features of the same networks beat the floor by far",
          "paper_below_chance", ("transfer",), "02"),
    Claim("paper_cells2_floor", OURS,
          "no Cells2 accuracy in the paper (Tables 5 and 7) beats always answering the majority class",
          "the paper's best Cells2 number against its own Table 1 counts' majority rate (+5)",
          "paper_cells2_floor", (), "06"),
    Claim("cells2_task", OURS,
          "the paper's Cells2 numbers (Table 7) are those of whole smears at 100x100 (its counts are BCCD's "
          "image-level labels), not of white-cell crops",
          "medlib.data.registry.CELLS2_TASK_RULE, written (and amended) before the smear folds ran: per network "
          "(FF-VGG19, Xception, MobileNetV2 from scratch) each task's corrected 95 % interval on the shared folds "
          "against the paper's number +-5 (reproduces: wholly inside; rejected: wholly outside); holds where the "
          "smears reproduce it for at least 2 of 3 networks and the crops for none; does not hold where the crops "
          "do, or both tasks are rejected for at least 2; interim until 5 folds x 2 seeds on both tasks. On 142 "
          "images no interval narrows below about +-9, so the design can reject the smear reading, not confirm it",
          "cells2_task",
          ("transfer",), "02"),
)

CLAIMS: Mapping[str, Claim] = MappingProxyType({c.key: c for c in _CLAIMS})  # read-only


def get_claim(key: str) -> Claim:
    try:
        return CLAIMS[key]
    except KeyError:
        raise KeyError(f"unknown claim {key!r}; known: {', '.join(CLAIMS)}") from None


__all__ = ["Claim", "CLAIMS", "get_claim", "WORLD", "CHOICE", "APOSTOLOPOULOS", "KIM", "OURS"]
