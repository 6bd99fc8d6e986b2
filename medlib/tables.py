"""Every result table of a profile: its one file name, what computes it, and how it is saved and read.

Result tables are tidy CSV files under ``results/<profile>/``. No notebook, command or
module spells their file names: each names the table by its key
(``tables.save(df, "transfer", profile)``, ``tables.load("transfer", profile)``), so
renaming a file, or finding who writes it, is one line here. ``owner`` is the function
whose output the table is (notebooks and ``python -m medlib collect`` only call it and
save); ``what`` is one line for the reader of ``build/<profile>/index.html``.

A user's own pair in notebook 03 writes its tables beside the study's with a ``tag``
prefix (``<task>_cross_device.csv``); :func:`path` builds that name too.

A table whose file ends in ``.csv.gz`` (the per-epoch learning curves, which grow past the 1 MiB
a committed file should stay under) is written gzip-compressed with a fixed header (no time, no
name), so the same rows give the same bytes and the manifest's digest; ``pandas.read_csv`` and
:func:`load` read it as they read a plain CSV file.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from . import config


@dataclass(frozen=True)
class Table:
    key: str
    file: str
    owner: str  # the function (module path) whose output the table is
    notebook: str  # the notebook that writes it under `make reproduce`
    what: str


_ALL = (
    Table("transfer", "transfer_vs_scratch.csv", "medlib.experiments.transfer.collect", "02",
          "one row per fold job: accuracy and metrics beside the test fold's majority rate, diagnosis, "
          "configuration hash"),
    Table("learning_curves", "learning_curves.csv.gz", "medlib.experiments.transfer.learning_curves", "02",
          "per-epoch loss and accuracy of every trained fold"),
    Table("costs", "block_costs.csv", "medlib.experiments.costs.block_costs", "02",
          "what each block cost on each machine kind: fold jobs, seconds per epoch and per fold, hours"),
    Table("claims", "claims.csv", "medlib.report.claims_table", "06",
          "every claim of the two papers with its verdict, interval and evidence"),
    Table("cross", "cross_device.csv", "medlib.experiments.cross_device.run_pairs", "03",
          "cross-device runs: trained on one device's images, tested on another's"),
    Table("cross_folds", "cross_device_in_domain_folds.csv", "medlib.experiments.cross_device.run_pairs", "03",
          "in-domain folds of the cross-device tasks (the drop's reference)"),
    Table("activity", "feature_map_activity.csv", "medlib.explain.activity.channel_activity", "04",
          "silent and dead feature maps per layer, learned against random weights"),
    Table("modality", "modality_classifier.csv", "medlib.experiments.explain_study.modality_classifier", "05",
          "the modality classifier's test accuracy and per-class recall against its floor"),
    Table("modality_roi", "crm_modality_roi.csv", "medlib.experiments.explain_study.modality_maps", "05",
          "Kim et al. Table 3: mean ROI size per class and method"),
    Table("modality_roi_images", "crm_modality_roi_images.csv", "medlib.experiments.explain_study.modality_maps", "05",
          "the ROI size of every test image and method (the interval's units)"),
    Table("modality_scores", "crm_modality_scores.csv", "medlib.experiments.explain_study.modality_maps", "05",
          "spread of map scores per class and method"),
    Table("sanity", "sanity_checks.csv", "medlib.explain.sanity.summarise", "05",
          "randomisation tests: similarity of maps before and after, per step, with intervals"),
    Table("sanity_images", "sanity_checks_images.csv", "medlib.experiments.explain_checks.sanity", "05",
          "the randomisation tests per image"),
    Table("sanity_verdicts", "sanity_verdicts.csv", "medlib.report.sanity_verdicts", "05",
          "passes / fails / inconclusive per method and test"),
    Table("faithfulness", "faithfulness_modality.csv", "medlib.experiments.explain_checks.faithfulness_summary",
          "05", "deletion and insertion AUC per method and baseline, ranked with intervals"),
    Table("faithfulness_images", "faithfulness_modality_images.csv",
          "medlib.experiments.explain_checks.faithfulness", "05", "deletion and insertion AUC per image"),
    Table("bccd_designs", "bccd_designs.csv", "scripts/bccd_designs.py", "-",
          "smear classifier designs tried, with out-of-fold accuracy against the floor"),
    Table("explain_measures", "explain_bccd_measures.csv", "medlib.experiments.smear_classifier.explain_smears",
          "05", "localisation and faithfulness of every smear and method"),
    Table("explain", "explain_bccd_summary.csv", "medlib.experiments.explain_study.smear_explanations", "05",
          "mean localisation per method beside the smear classifier's accuracy and floor"),
    Table("explain_ranking", "explain_bccd_ranking.csv", "medlib.experiments.explain_study.smear_explanations", "05",
          "methods ranked per measure: best, tied within the interval, or worse"),
)
TABLES = MappingProxyType({t.key: t for t in _ALL})
MANIFEST = "manifest.json"  # provenance of the tables above (medlib.manifest)


def _table(key: str) -> Table:
    try:
        return TABLES[key]
    except KeyError:
        raise KeyError(f"unknown result table {key!r}; known: {', '.join(TABLES)}") from None


def path(key: str, profile: str, tag: str = "") -> Path:
    """Where table ``key`` of ``profile`` lives (``tag``: a user pair's prefix)."""
    return config.results_dir(profile) / f"{tag}{_table(key).file}"


def save(df: pd.DataFrame, key: str, profile: str, tag: str = "", index: bool = False) -> Path:
    """Write ``df`` as table ``key`` atomically (a reader never sees half a table); ``index``:
    write the index as the first column (where it is data, e.g. one row per method)."""
    out = path(key, profile, tag)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.name.endswith(".gz"):
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(df.to_csv(index=index).encode())
    else:
        df.to_csv(tmp, index=index)
    os.replace(tmp, out)
    return out


def save_all(profile: str, **frames: pd.DataFrame) -> list[Path]:
    """Write several tables at once, keyword = table key (``save_all(p, sanity=a, sanity_images=b)``)."""
    return [save(df, key, profile) for key, df in frames.items()]


def exists(key: str, profile: str, tag: str = "") -> bool:
    return path(key, profile, tag).exists()


def load(key: str, profile: str, tag: str = "", **read_csv) -> pd.DataFrame:
    """Table ``key`` of ``profile``; a missing file is named with what writes it."""
    p, t = path(key, profile, tag), _table(key)
    if not p.exists():
        by = f"notebook {t.notebook}" if t.notebook != "-" else t.owner
        raise FileNotFoundError(f"{p}: no {key!r} table for profile {profile!r} yet ({by} writes it)")
    try:
        return pd.read_csv(p, **read_csv)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
        raise ValueError(f"{p}: not a readable CSV table ({exc})") from exc


def load_all(profile: str, keys=None) -> dict[str, pd.DataFrame]:
    """The tables of ``keys`` (default: all) that exist for ``profile``."""
    return {k: load(k, profile) for k in (keys or TABLES) if exists(k, profile)}


__all__ = ["Table", "TABLES", "MANIFEST", "path", "save", "save_all", "exists", "load", "load_all"]
