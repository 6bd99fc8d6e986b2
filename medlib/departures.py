"""Where this study departs from what the paper says (or reads what it leaves unsaid), in one place.

Each :class:`Departure` names what the paper says, what we do, why, and which results it can move,
so a reader can tell a disagreement with the paper from a consequence of a choice. Rendered in the
README (``scripts/render_readme.py``) and notebook 02; :data:`DEPARTURES` is read-only. Where a
reading decides a result, both readings are run (:data:`medlib.data.registry.READINGS`).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Departure:
    topic: str
    paper: str
    ours: str
    why: str
    moves: str


DEPARTURES: tuple[Departure, ...] = (
    Departure("COV_CT noise scale", "'Gaussian noise with a mean of zero and a sigma of 0.01^0.5' (s2.2), no scale",
              "sigma 0.1 on [0, 1] images, drawn per RGB channel of the grey CT (primary); the 0-255 reading "
              "(sigma 0.1 on pixels, as Keras's ImageDataGenerator applies it before rescaling) as the "
              "registered second reading cov_ct_noise255",
              "the paper gives no scale; the adoption rule was written before the second reading ran",
              "Table 7 on COV_CT: the plain VGGs sit at their floor under the first reading"),
    Departure("plain VGGs' learning rate", "no learning rate stated (Keras's Adam default is 1e-3)",
              "1e-4 for VGG19 and FF-VGG19 from scratch, 1e-3 for the batch-normalised networks",
              "at 1e-3 on ImageNet-scaled inputs the un-normalised VGGs blew up and collapsed (one seed, "
              "medlib.profiles.PLAIN_VGG_LR; a two-seed recheck blew up without collapsing, "
              "docs/methods.md); every network at 1e-3 is the registered second reading "
              "cov_ct_shared_lr, run if the noise readings leave a plain VGG at its COV_CT floor", "Table 7 for VGG19 and FF-VGG19; 'most suitable'"),
    Departure("ResNet", "'Residual Network v.151' (Table 2)", "Keras's ResNet50 (the zoo also builds ResNet152, "
              "which no profile trains)", "not recorded when the zoo was built; ResNet152 has three times the "
              "layers of ResNet50, so its folds would cost several times as many CPU hours",
              "Table 7's ResNet column"),
    Departure("input scaling from scratch", "not stated",
              "each network's ImageNet preprocessing (caffe / tf / torch) in the model, scratch included",
              "one model definition for both strategies", "scratch accuracies, mildly"),
    Departure("batch-norm statistics", "not stated",
              "re-estimated on clean (unaugmented) training images after each epoch",
              "noisy-batch statistics mis-centre clean test images (measured on COV_CT)",
              "Table 7 for the batch-normalised networks on COV_CT"),
    Departure("Cells2 task", "BCCD's image-level labels (88/34/20) at 100x100 (s2.2, Table 1)",
              "white-cell crops of the same smears, one label each", "the smears hold several cells; the "
              "crop is what the label names", "every Cells2 number: ours 30-60 points above the paper's"),
    Departure("folds", "10-fold cross-validation", "10-fold splits (patient-grouped where ids exist); "
              "from scratch the first 5 folds (extended); off-the-shelf all 10 on COV_CT and Cells2, the first 5 on "
              "the other four",
              "CPU hours: a fold from scratch takes 1-110 minutes by network, dataset and CPU (docs/benchmarks.md)",
              "interval widths; the paired comparisons use the shared folds only"),
    Departure("COV_CT budget and size", "no input size or epochs stated for COV_CT",
              "112x112, a fixed 30 epochs from scratch (the validation loss of ~100 images is too noisy to "
              "pick an epoch); off-the-shelf at 224 (quick) and at 112 (extended, like for like)",
              "CPU hours", "Table 7 on COV_CT; scratch vs off-the-shelf"),
    Departure("FF-VGG19", "Table 2 and Fig. 1 only: fused VGG19 blocks, no layer list",
              "block3-5 pools, global average pooled, concatenated, Dense(256) + dropout 0.5 "
              "(medlib/models/ffvgg19.py, configurable)", "unpublished design", "every FF-VGG19 number"),
    Departure("off-the-shelf networks", "all 8 networks with ImageNet weights",
              "Xception and MobileNetV2 only; the other six are 'not run'",
              "only these two networks' weights exist offline", "Table 5; the central claim's breadth"),
    Departure("training seeds", "each experiment run three times",
              "two seeds per fold where run; a replicate shares its fold's initial weights (order, "
              "augmentation and dropout differ)", "graph tracing per build; CPU hours",
              "repeat spread (a lower bound); seed variance in the power analysis"),
    Departure("precision", "not stated (float32 by default)",
              "mixed bfloat16 for VGG19, FF-VGG19, Xception, DenseNet121 and InceptionV3 on Cells2 and for the "
              "first three on COV_CT, where an AVX512-BF16 CPU trains them 1.1-2x faster; float32 elsewhere",
              "CPU hours (results/bench/precision.csv)", "Table 7 (learning curves compared in results/bench)"),
    Departure("datasets", "11 datasets (Table 1)",
              "COV_CT and Cells2 as in the paper; covid-chestxray for COV_X; MosMed (cross-device and the "
              "central claim); PneumoniaMNIST and BreastMNIST at 71-80 px (28 px originals)",
              "only these are reachable offline", "breadth of every claim"),
)

TABLE_COLUMNS = ("topic", "paper", "ours", "why", "moves")


def table():
    """The departures as a DataFrame (notebook 02)."""
    import pandas as pd

    return pd.DataFrame([{c: getattr(d, c) for c in TABLE_COLUMNS} for d in DEPARTURES])


__all__ = ["Departure", "DEPARTURES", "table"]
