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

from dataclasses import dataclass

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
    learning_rate: float = 1e-4

    def size_for(self, spec) -> tuple[int, int]:
        return tuple(self.input_size) if self.input_size else tuple(spec.image_size)


PROFILES = {
    "smoke": Profile("smoke", datasets=("cells2",), networks=PAPER_NETWORKS,
                     strategies=("scratch", "off_the_shelf"), folds=2, epochs=1, patience=1,
                     batch_size=8, per_class=4, input_size=(75, 75)),
    "quick": Profile("quick", datasets=("cells2", "cov_ct"), networks=PAPER_NETWORKS,
                     strategies=("scratch", "off_the_shelf"), folds=3, epochs=8, patience=3,
                     batch_size=16, per_class=None, input_size=(80, 80)),
    "full": Profile("full", datasets=("cov_ct", "cells2", "covid_chestxray", "pet_ct", "lidc_idri",
                                      "cov_x", "cells", "leukaemia", "mpip", "nv_les", "ham10000",
                                      "isic2018"),
                    networks=PAPER_NETWORKS, strategies=("scratch", "off_the_shelf"), folds=10,
                    epochs=50, patience=10, batch_size=32, per_class=None, input_size=None),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}") from None
