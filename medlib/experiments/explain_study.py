"""Notebook 05's steps, one function each, so the notebook only narrates, calls and draws.

* Part A, :func:`fold_model_overlays`: Grad-CAM and CRM of the fold models notebook 02 kept,
  on their own test images, for the models above their floor (the others say why not);
* Part B, :func:`modality_classifier` and :func:`modality_maps`: the CRM paper's setting
  (a modality classifier, its test table, every method's maps, Table 3 rows, Fig. 6 numbers);
* Part C, :func:`modality_sanity`, :func:`scratch_sanity`, :func:`modality_faithfulness`:
  randomisation tests and deletion/insertion (:mod:`medlib.experiments.explain_checks`);
* Part D, :func:`smear_classifier_fit` and :func:`smear_explanations`: the whole-smear
  classifier and its maps measured against the white cell's box.

Rules (floors, the 10-point margin, pass/fail, ties) stay in :mod:`medlib.report` and
:mod:`medlib.diagnose`; this module only runs and collects.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config
from ..diagnose import at_floor
from ..explain import explain, split_model
from ..explain import metrics as em
from . import crm_classifier, smear_classifier
from . import explain_checks as ec
from . import localisation as loc


METHODS = ["cam", "gradcam", "crm"]  # the CRM paper's three; Part D adds Grad-CAM++


def describe(profile) -> str:
    """What notebook 05 explains under ``profile``, in one line."""
    return (f"profile {profile.name}: modality classifier {profile.modality_networks} at {profile.modality_size}, "
            f"{profile.modality_per_class or 'all'} images per class; BCCD smears at {profile.explain_size}")


@dataclass
class Shown:
    """One fold model's explanations to draw, or (``maps`` None) why none are drawn."""

    name: str
    headline: str
    images: np.ndarray | None = None
    maps: dict | None = None
    titles: list = field(default_factory=list)


def fold_model_overlays(profile, train_if_missing: bool, methods=("gradcam", "crm"), n: int = 6,
                        seed: int = config.DEFAULT_SEED) -> list[Shown]:
    """Part A: ``methods`` on ``n`` random test images of each of ``profile.featuremap_models``."""
    from .final_model import fold_model, predict

    rng = np.random.default_rng(seed)
    out = []
    for dataset, network, strategy in profile.featuremap_models:
        name = f"{dataset}_{network}"
        try:
            model, ds, test, row = fold_model(profile.name, dataset, network, strategy, seed=seed,
                                              train_if_missing=train_if_missing)
        except FileNotFoundError as exc:
            out.append(Shown(name, str(exc)))
            continue
        head = (f"{dataset}, {network} {strategy} (fold {row['fold']}): test accuracy {row['accuracy']:.1f}% "
                f"vs floor {row['majority']:.1f}%")
        if at_floor(row["accuracy"], row["majority"]):
            out.append(Shown(name, f"{head}: at its floor, not explained ({row['diagnosis']})"))
            continue
        pick = rng.choice(test, size=min(n, len(test)), replace=False)
        x, y = ds.images[pick], ds.targets[pick]
        pred = predict(model, x).argmax(1)
        split = split_model(model)
        maps = {m: explain(split, m, x.astype("float32") / 255.0, pred) for m in methods}
        titles = [f"true {ds.spec.classes[a]}\npred {ds.spec.classes[b]}" for a, b in zip(y, pred)]
        out.append(Shown(name, head, x, maps, titles))
    return out


@dataclass
class Modality:
    """The modality classifiers of Part B: dataset, one (fit, test indices, predictions) per
    network, and their test table (accuracy and recall beside the floor)."""

    ds: object
    classifiers: dict
    table: pd.DataFrame

    @property
    def counts(self) -> pd.DataFrame:
        return self.ds.index.groupby(["label", "source"]).size().rename("images").to_frame().T


def modality_classifier(profile, seed: int = config.DEFAULT_SEED) -> Modality:
    """Part B: one CRM-shaped head per network (or :data:`crm_classifier.BACKBONES` cut) on the
    modality dataset, tested on fold 0; ``map`` is the backbone map the head reads (u x v x K)."""
    from ..data import load_dataset
    from .splits import make_splits

    mod = load_dataset("modality", size=profile.modality_size, per_class=profile.modality_per_class, seed=seed,
                       progress=False)
    splits = make_splits(mod, 5, seed)
    classifiers, rows = {}, []
    for network in profile.modality_networks:
        fit = crm_classifier.cross_fit(mod, network, splits, profile.val_fraction, folds=[0], kernel=3, seed=seed)
        test = np.flatnonzero(fit.fold == 0)
        pred = fit.proba[test].argmax(1)
        rows.append({**crm_classifier.held_out_row(network, mod.targets[test], pred, mod.spec.classes),
                     "map": "x".join(str(n) for n in fit.maps.shape[1:]), **fit.summaries[0]})
        classifiers[network] = (fit, test, pred)
    return Modality(mod, classifiers, pd.DataFrame(rows))


@dataclass
class ModalityMaps:
    """Part B's maps: ``heat`` (network -> method -> N x H x W), per-image ROI rows, their
    Table 3 means, Fig. 6's score statistics, and one line per network left out."""

    heat: dict
    roi_images: pd.DataFrame
    roi: pd.DataFrame
    scores: pd.DataFrame
    skipped: list

    @property
    def tables(self) -> dict:
        """The result tables (keys of :mod:`medlib.tables`) these maps fill."""
        return {"modality_roi": self.roi, "modality_roi_images": self.roi_images, "modality_scores": self.scores}

    def table3(self, network: str) -> pd.DataFrame:
        """Kim et al. Table 3's layout for ``network``: mean ROI share (%) per method and class."""
        return self.roi[self.roi["network"] == network].pivot_table(index="method", columns="class",
                                                                    values="roi_ratio")


def modality_maps(modality: Modality, size, methods) -> ModalityMaps:
    heat, roi_rows, score_rows, skipped = {}, [], [], []
    classes = modality.ds.spec.classes
    for network, (fit, test, pred) in modality.classifiers.items():
        row = modality.table.set_index("network").loc[network]
        if at_floor(row["accuracy"], row["majority"]):
            skipped.append(f"{network}: at its floor ({row['accuracy']:.1f}% vs {row['majority']:.1f}%): not explained")
            continue
        maps = loc.head_heatmaps(fit.heads[0], fit.maps[test], pred, size, methods)
        heat[network] = maps
        for method, m in maps.items():
            for i, c in enumerate(pred):
                pixels, ratio = em.roi_size(m[i])
                roi_rows.append({"network": network, "image": int(test[i]), "class": classes[c],
                                 "method": method, "roi_pixels": pixels, "roi_ratio": ratio})
        score_rows.append(loc.score_stats(maps, pred, classes).assign(network=network))
    images = pd.DataFrame(roi_rows)
    roi = (images.groupby(["network", "class", "method"], as_index=False)[["roi_pixels", "roi_ratio"]].mean()
           if roi_rows else pd.DataFrame())
    scores = pd.concat(score_rows, ignore_index=True) if score_rows else pd.DataFrame()
    return ModalityMaps(heat, images, roi, scores, skipped)


def class_maps(modality: Modality, network: str, crm) -> tuple[dict, dict]:
    """Fig. 9: the class-level CRM (Eq. 8) of every class and its 70%-of-max box."""
    from ..explain import class_average

    _, test, pred = modality.classifiers[network]
    y = modality.ds.targets[test]
    avg = {name: class_average(crm, y, pred, c) for c, name in enumerate(modality.ds.spec.classes)}
    return avg, {name: em.threshold_box(m, em.CLASS_BOX_FRACTION) if m is not None else None
                 for name, m in avg.items()}


def examples(modality: Modality, network: str, maps: dict, per_class: int = 2):
    """Fig. 5: ``per_class`` test images of each predicted class, their maps and titles."""
    _, test, pred = modality.classifiers[network]
    show = np.concatenate([np.flatnonzero(pred == c)[:per_class] for c in range(modality.ds.spec.n_classes)])
    return (modality.ds.images[test][show], {m: v[show] for m, v in maps.items()},
            [modality.ds.spec.classes[c] for c in pred[show]])


@dataclass
class SanityRun:
    """Part C on the modality classifier: per-image rows, the trained model's maps, the full
    model, the images and classes explained, and what the permuted-label head reached."""

    name: str
    rows: pd.DataFrame
    reference: dict
    model: object
    x: np.ndarray
    classes: np.ndarray
    memorised: float
    epochs: int


def modality_sanity(modality: Modality, profile, seed: int = config.DEFAULT_SEED) -> SanityRun:
    """Cascading randomisation of the first modality classifier, then the data randomisation
    test against a twin whose head learned permuted labels."""
    network = profile.modality_networks[0]
    fit, test, pred = modality.classifiers[network]
    shape = modality.ds.images.shape[1:]
    full = crm_classifier.full_classifier(network, shape, fit.heads[0])
    pick = ec.pick(pred, np.arange(len(test)), profile.sanity_per_class, seed)
    x, cls = modality.ds.images[test][pick], pred[pick]
    rows, reference = ec.sanity(full, f"modality {network}", x, cls, profile.sanity_top_blocks,
                                profile.sanity_independent, seed=seed)
    permuted, memorised, epochs = crm_classifier.fit_permuted_head(
        fit.maps, modality.ds.targets, np.flatnonzero(fit.fold != 0), seed=seed)
    twin = crm_classifier.full_classifier(network, shape, permuted)
    rows = pd.concat([rows, ec.labels(full, twin, f"modality {network}", x, cls, reference)], ignore_index=True)
    return SanityRun(f"modality {network}", rows, reference, full, x, cls, memorised, epochs)


def scratch_sanity(profile, train_if_missing: bool, seed: int = config.DEFAULT_SEED):
    """(rows, lines): the cascading test on the first fold model above its floor, on its own
    test images; rows None (and the lines say why) when there is none."""
    from .final_model import fold_model, predict

    lines = []
    for dataset, net, strategy in profile.featuremap_models:
        try:
            model, ds, test, row = fold_model(profile.name, dataset, net, strategy, seed=seed,
                                              train_if_missing=train_if_missing)
        except FileNotFoundError as exc:
            lines.append(str(exc))
            continue
        if not at_floor(row["accuracy"], row["majority"]):
            pred = predict(model, ds.images[test]).argmax(1)
            pick = ec.pick(pred, np.arange(len(test)), 2 * profile.sanity_per_class, seed)
            rows, _ = ec.sanity(model, f"{dataset} {net} {strategy}", ds.images[test][pick], pred[pick],
                                profile.sanity_top_blocks, profile.sanity_independent, seed=seed)
            return rows, lines + [f"{dataset} {net} {strategy}: {row['accuracy']:.1f}% vs floor "
                                  f"{row['majority']:.1f}%, {len(pick)} test images"]
    return None, lines + ["no from-scratch model above its floor in this profile: checked on the modality "
                          "classifier only"]


def sanity_map_row(run: SanityRun, n_top: int, seed: int = config.DEFAULT_SEED):
    """(image, maps per randomisation step, step names) of the first explained image, for
    :func:`medlib.viz.explain_figures.sanity_map_rows`."""
    from ..explain import sanity as sc

    steps = sc.cascade_steps(run.model, n_top)
    maps = sc.cascade_maps(run.model, crm_classifier.HEAD_LAYER, list(run.reference), run.x[0] / 255.0,
                           run.classes[0], steps, seed)
    return run.x[0], maps, [b for b, _ in steps]


def modality_faithfulness(run: SanityRun, steps: int, seed: int = config.DEFAULT_SEED):
    """(per-image rows, summary) of deletion/insertion for every method and both baselines."""
    maps = {**run.reference, **ec.baseline_maps(run.x, seed)}
    rows = ec.faithfulness(lambda b: run.model.predict(b, batch_size=32, verbose=0), run.x, run.classes, maps,
                           steps=steps)
    return rows, ec.faithfulness_summary(rows)


@dataclass
class Smears:
    """Part D's classifier: the smears, its out-of-fold fit, its accuracy row, predictions."""

    ds: object
    fit: object
    network: str
    accuracy: dict
    pred: np.ndarray

    @property
    def learned(self) -> bool:
        return bool(self.accuracy["learned"])

    @property
    def headline(self) -> str:
        from ..diagnose import LEARNED_MARGIN

        a = self.accuracy
        return (f"{self.network} on whole smears, out of fold over {a['n_smears']} smears: accuracy "
                f"{a['accuracy']:.1f}% [{a['accuracy_ci_low']:.1f}, {a['accuracy_ci_high']:.1f}] vs floor "
                f"{a['majority']:.1f}% (one smear: {a['one_image']:.2f} points); "
                f"{'beats' if self.learned else 'does NOT beat'} its floor by {LEARNED_MARGIN:.0f} points")

    @property
    def confusion(self) -> pd.DataFrame:
        names = pd.Series(self.ds.spec.classes)
        return pd.crosstab(names[self.ds.targets].values, names[self.pred].values, rownames=["true"],
                           colnames=["predicted"])


def smear_classifier_fit(profile, seed: int = config.DEFAULT_SEED) -> Smears:
    from ..data import load_dataset
    from .splits import make_splits

    smears = load_dataset("bccd_wbc", size=profile.explain_size, crop=False, seed=seed, progress=False)
    network = profile.explain_networks[0]
    fit = smear_classifier.cross_fit(smears, network, make_splits(smears, 5, seed), profile.val_fraction, seed=seed)
    return Smears(smears, fit, network, smear_classifier.out_of_fold(smears, fit), fit.proba.argmax(1))


@dataclass
class SmearMaps:
    """Part D's explanations: smears explained, boxes, per-smear measures, maps, the mean per
    method, and the ranking (None, with ``note`` saying why, when the classifier does not see)."""

    idx: np.ndarray
    boxes: np.ndarray
    measures: pd.DataFrame
    maps: dict
    summary: pd.DataFrame
    ranking: pd.DataFrame | None
    note: str
    title: str


def smear_explanations(smears: Smears, profile, methods, seed: int = config.DEFAULT_SEED) -> SmearMaps:
    """Smears with exactly one white-cell box, a stratified subset of the profile's size, each
    explained by the fold model that held it out; deletion/insertion and the ranking only when
    the classifier beats its floor by :data:`medlib.diagnose.LEARNED_MARGIN`."""
    from ..diagnose import LEARNED_MARGIN

    ds = smears.ds
    title = f"BCCD smears, {smears.network}"
    single = np.flatnonzero(ds.index["n_wbc_boxes"].to_numpy() == 1)
    per = profile.explain_images // ds.spec.n_classes if profile.explain_images else len(single)
    idx = ec.pick(ds.targets, single, max(1, per), seed)
    boxes = loc.boxes_at(ds, profile.explain_size)
    measures, maps = smear_classifier.explain_smears(ds, smears.fit, smears.network, idx, methods, boxes,
                                                     smears.learned, steps=8, seed=seed)
    summary = loc.summary(measures).assign(network=smears.network, **smears.accuracy, n_explained=len(idx))
    title += f": {len(idx)} smears"
    if smears.learned:
        return SmearMaps(idx, boxes, measures, maps, summary, loc.ranking(measures),
                         f"uniform map: energy in box {summary['box_ratio'].mean():.2f}", title)
    a = smears.accuracy
    return SmearMaps(idx, boxes, measures, maps, summary, None,
                     f"Method ranking not reported: the smear classifier ({a['accuracy']:.1f}%) does not beat its "
                     f"floor ({a['majority']:.1f}%) by {LEARNED_MARGIN:.0f} points, so where its maps point says "
                     "nothing about the methods.", title)


def smear_examples(smears: Smears, shown: SmearMaps, methods, per_class: int = 2):
    """Two explained smears of each class: images, ``methods``' maps, titles and boxes."""
    ds, idx = smears.ds, shown.idx
    show = np.concatenate([np.flatnonzero(ds.targets[idx] == c)[:per_class] for c in range(ds.spec.n_classes)])
    titles = [f"true {ds.spec.classes[ds.targets[i]]}\npred {ds.spec.classes[smears.pred[i]]}" for i in idx[show]]
    return ds.images[idx][show], {m: shown.maps[m][show] for m in methods}, titles, shown.boxes[idx][show]


__all__ = ["METHODS", "describe", "Shown", "fold_model_overlays", "Modality", "modality_classifier", "ModalityMaps", "modality_maps",
           "class_maps", "examples", "SanityRun", "modality_sanity", "scratch_sanity", "sanity_map_row",
           "modality_faithfulness",
           "Smears", "smear_classifier_fit", "SmearMaps", "smear_explanations", "smear_examples"]
