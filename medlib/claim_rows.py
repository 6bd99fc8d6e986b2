"""The shape every claim is decided in: the result tables a profile wrote, the profile a claim
is decided at, and the row a claim function returns.

A claim is decided at the highest profile that has the rows it needs (``full`` > ``extended``
> ``quick``; :data:`PROFILE_ORDER`); :func:`highest` finds it. Every claim function
(:mod:`medlib.report`, :mod:`medlib.cross_claims`, :mod:`medlib.kim_claims`,
:mod:`medlib.second_readings`) returns one :func:`claim_row`, whose columns are
:data:`CLAIM_COLUMNS`: the ``claims`` table is these rows in the registry's order.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import tables
from .metrics import METRICS

ACCURACY_TOLERANCE = 5.0  # points from the paper's number that still count as reproduced
PROFILE_ORDER = ("full", "extended", "quick", "smoke")
EVIDENCE_PROFILES = PROFILE_ORDER[:-1]  # smoke checks the pipeline (1 epoch, 4 images a class): never evidence
CLAIM_TABLES = ("transfer", "cross", "cross_folds", "explain", "modality", "modality_roi", "modality_roi_images",
                "modality_scores")  # the tables (medlib.tables) claims are decided from


def load(profile: str) -> dict[str, pd.DataFrame]:
    """The result tables notebooks 02-05 wrote for ``profile`` (those that exist)."""
    out = tables.load_all(profile, CLAIM_TABLES)
    for key in ("transfer", "cross_folds", "cross"):
        if key in out:
            out[key] = with_defaults(out[key], key)
    return out


def with_defaults(t: pd.DataFrame, key: str = "transfer") -> pd.DataFrame:
    """Table ``key`` (``transfer``, ``cross_folds``, ``cross``) with the columns that tables
    written before heads, floors and diagnoses existed lack, at their defaults: whoever reads a
    committed table (``load``, ``scripts/render_readme.py``) reads it alike. In place; returned."""
    defaults = [("head", "dense"), ("majority", np.nan), ("diagnosis", ""), *((m, np.nan) for m in METRICS)]
    if key == "cross":
        defaults.append(("strategy", "scratch"))
    for col, default in defaults:
        if col not in t:
            t[col] = default
    t["diagnosis"] = t["diagnosis"].fillna("")
    return t


def load_all(profiles=EVIDENCE_PROFILES) -> dict[str, dict[str, pd.DataFrame]]:
    """``{profile: tables}`` for every profile with at least one table, highest first. Smoke
    results (left by ``make test``) are not loaded unless asked for: a claim must never be
    decided on them when a real profile has nothing to say (a notebook run in smoke adds its
    own tables)."""
    out = {p: load(p) for p in profiles}
    return {p: t for p, t in out.items() if t}


def highest(by_profile: dict, key: str, usable=lambda df: len(df) > 0):
    """(profile, table) of the highest profile whose ``key`` table passes ``usable``."""
    for p in PROFILE_ORDER:
        t = by_profile.get(p, {}).get(key)
        if t is not None and usable(t):
            return p, t
    return None, None


CLAIM_COLUMNS = ["key", "paper", "claim", "verdict", "estimate", "ci_low", "ci_high", "estimate_of", "p", "p_equivalence", "n_pairs", "n_datasets",
                 "tau", "tau_high", "pred_low", "pred_high", "margin", "analysis", "sens_estimate", "sens_low", "sens_high",
                 "sens_n_datasets", "sens_verdict", "method", "n_images",
                 "image_estimate", "image_ci_low", "image_ci_high", "image_p", "detectable", "one_image",
                 "test", "profile", "design", "rows_used", "config_hashes", "rule", "evidence"]


def estimate_format(row) -> str:
    """How a claims row's estimate, interval and sensitivity numbers print (README, report page):
    its claim's precision (:attr:`medlib.claims.Claim.number_format`), signed where the row is a
    paired difference (it names an ``analysis``: intention to treat), so +0.2 and an SD of 2.7
    never read alike. ``row``: a mapping (a claims row as a dict or Series)."""
    from .claims import CLAIMS

    claim = CLAIMS.get(row.get("key"))
    fmt = claim.number_format if claim is not None else "{:.1f}"
    analysis = row.get("analysis")
    return "{:+.1f}" if fmt == "{:.1f}" and isinstance(analysis, str) and analysis else fmt


def format_number(x, fmt: str = "{:+.1f}") -> str:
    """``x`` in ``fmt``, or "" where it is missing (NaN, None, text): one rule for every printed
    claims number (README, report page), so an empty cell never reads "nan"."""
    return fmt.format(x) if isinstance(x, (int, float, np.floating)) and np.isfinite(x) else ""


def claim_row(paper_name: str, claim: str, profile, verdict: str, evidence: str, **numbers) -> dict:
    """One ``claims`` row: every column of :data:`CLAIM_COLUMNS`, the text ones empty and the
    numbers NaN unless given in ``numbers``; ``profile`` None prints as "-" (decided nowhere)."""
    row = {c: np.nan for c in CLAIM_COLUMNS}
    row.update(paper=paper_name, claim=claim, profile=profile or "-", verdict=verdict, evidence=evidence,
               test="", rows_used="", config_hashes="", analysis="", method="", sens_verdict="", estimate_of="",
               design="")
    row.update(numbers)
    return row
