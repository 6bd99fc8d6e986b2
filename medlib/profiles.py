"""Run profiles: how much of the paper's protocol a run does.

* ``smoke``: seconds to a few minutes; the notebooks' parameter defaults and the
  tests. Tiny real subsets, 2 folds, 1 epoch, small inputs.
* ``quick``: the default of ``make reproduce``, sized for a 2-core CPU
  (about an hour for everything): every paper network trains at least once on
  real data, both strategies where ImageNet weights exist, 3 folds, few epochs,
  inputs scaled down to 80 px.
* ``full``: the paper's protocol (10-fold CV, paper input sizes, up to 50
  epochs with early stopping) on every dataset present; for a GPU.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .models.zoo import PAPER_NETWORKS


@dataclass(frozen=True)
class Profile:
    name: str
    datasets: tuple[str, ...]
    networks: tuple[str, ...]
    strategies: tuple[str, ...]
    folds: int
    epochs: int
    patience: int
    batch_size: int
    per_class: int | None  # stratified subsample of each dataset (None: all images)
    input_size: tuple[int, int] | None  # None: each dataset's paper size (registry)
    val_fraction: float = 0.15
    learning_rate: float = 1e-4       # Adam, whole network (scratch)
    head_learning_rate: float = 1e-3  # Adam, the new head on frozen features (off-the-shelf)
    # dataset -> networks, where a dataset runs fewer networks than ``networks``
    networks_by_dataset: dict = field(default_factory=dict)
    # dataset -> images per class, where a dataset is subsampled unlike ``per_class``
    per_class_by_dataset: dict = field(default_factory=dict)
    # notebook 03 (cross-device): networks trained from scratch, images per class
    cross_networks: tuple[str, ...] = ("ff_vgg19", "xception")
    cross_per_class: int | None = None
    # notebooks 04-05: FF-VGG19 (scratch) per dataset at featuremap_size; BCCD whole smears
    # at explain_size for the networks with a GAP + dense head; explain_images per measure
    featuremap_datasets: tuple[str, ...] = ("cov_ct", "cells2")
    featuremap_size: tuple[int, int] = (112, 112)
    explain_size: tuple[int, int] = (192, 256)
    explain_networks: tuple[str, ...] = ("mobilenetv2",)
    explain_images: int | None = 40

    def size_for(self, spec) -> tuple[int, int]:
        return tuple(self.input_size) if self.input_size else tuple(spec.image_size)

    def per_class_for(self, dataset: str) -> int | None:
        return self.per_class_by_dataset.get(dataset, self.per_class)

    def networks_for(self, dataset: str) -> tuple[str, ...]:
        return tuple(self.networks_by_dataset.get(dataset, self.networks))


PROFILES = {
    "smoke": Profile("smoke", datasets=("cells2",), networks=PAPER_NETWORKS,
                     strategies=("scratch", "off_the_shelf"), folds=2, epochs=1, patience=1,
                     batch_size=8, per_class=4, input_size=(75, 75), cross_per_class=6,
                     cross_networks=("mobilenetv2",), featuremap_datasets=("cells2",),
                     featuremap_size=(64, 64), explain_size=(96, 128), explain_images=4),
    "quick": Profile("quick", datasets=("cells2", "cov_ct"), networks=PAPER_NETWORKS,
                     strategies=("scratch", "off_the_shelf"), folds=3, epochs=6, patience=3,
                     batch_size=16, per_class=None, input_size=(80, 80), learning_rate=1e-3,
                     networks_by_dataset={"cov_ct": ("ff_vgg19", "xception", "mobilenetv2")},
                     per_class_by_dataset={"cov_ct": 150}, cross_per_class=150),
    "full": Profile("full", datasets=("cov_ct", "cells2", "covid_chestxray", "pet_ct", "lidc_idri",
                                      "cov_x", "cells", "leukaemia", "mpip", "nv_les", "ham10000",
                                      "isic2018"),
                    networks=PAPER_NETWORKS, strategies=("scratch", "off_the_shelf"), folds=10,
                    epochs=50, patience=10, batch_size=32, per_class=None, input_size=None,
                    featuremap_datasets=("cov_ct", "cells2", "covid_chestxray"),
                    featuremap_size=(224, 224), explain_size=(240, 320),
                    explain_networks=("mobilenetv2", "xception"), explain_images=None),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}") from None
