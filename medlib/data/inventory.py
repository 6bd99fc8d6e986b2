"""What the paper used vs what this machine has, with the reason for every gap."""
from __future__ import annotations

import pandas as pd

from .acquire import DatasetUnavailable, locate
from .adapters import severity
from .dataset import build_index
from .registry import DATASETS


def _counts(counts: dict | None, classes) -> str:
    if not counts:
        return "-"
    return " / ".join(f"{c} {counts.get(c, 0)}" for c in classes)


def inventory(keys=None) -> pd.DataFrame:
    """One row per dataset: paper counts, counts here, and status or reason."""
    rows = []
    for key in keys or DATASETS:
        spec = DATASETS[key]
        try:
            locate(key)
            index = build_index(key)
            here = index["label"].value_counts().to_dict()
            status = "available"
        except DatasetUnavailable:
            here, status = None, f"missing: {spec.access}"
        rows.append({
            "dataset": key,
            "paper name": spec.paper_name or "(extra)",
            "modality": spec.modality,
            "paper": _counts(spec.paper_counts, spec.classes),
            "here": _counts(here, spec.classes),
            "n here": sum(here.values()) if here else 0,
            "status": status,
        })
    return pd.DataFrame(rows)


def details() -> list[tuple[str, pd.DataFrame]]:
    """The breakdowns `make data` prints for the datasets present."""
    out = []
    blocks = {
        "cov_ct": lambda i: pd.crosstab(i["label"], i["split"].replace("", "none")),
        "cells2": lambda i: i.groupby("label").agg(crops=("path", "size"),
                                                   smears_with_several_wbc_boxes=("n_wbc_boxes", lambda s: int((s > 1).sum()))),
        "covid_chestxray": lambda i: i.groupby("label").agg(images=("path", "size"), patients=("group", "nunique")),
        "mosmed_ct": lambda i: i.assign(severity=i["path"].map(severity)).groupby(["severity", "label"]).size().rename("slices").to_frame(),
        "pneumoniamnist": lambda i: pd.crosstab(i["label"], i["split"]),
        "breastmnist": lambda i: pd.crosstab(i["label"], i["split"]),
    }
    for key, fn in blocks.items():
        try:
            out.append((key, fn(build_index(key))))
        except DatasetUnavailable:
            continue
    return out
