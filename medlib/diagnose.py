"""Floors and diagnoses: what a result is worth before anyone compares it.

A classifier that always answers the largest class of its test set scores that
class's share: the *majority rate*, the floor under every accuracy. A model
within :data:`FLOOR_MARGIN` points of its floor has learned nothing usable, and
its accuracy, its feature maps and its heatmaps are not evidence of anything.
Every result row carries ``majority`` (the floor of its own test set, in % like
``accuracy``) and ``diagnosis``: empty when the model beats its floor, else a
short cause with its evidence, read off the fold's predictions and learning
curve:

* ``collapsed to one class``: (nearly) every test prediction is one class;
* ``predicts only k of C classes``;
* ``did not fit its training data``: training accuracy itself near the floor;
* ``overfit``: training accuracy high, test at the floor;
* ``not converged within budget``: still improving on validation at the epoch cap;
* ``its scores still rank the classes``: AUC at least :data:`RANKING_AUC` on enough test
  images while the accuracy sits at the floor: the scores order the images better than
  chance and the predicted classes do not turn that into accuracy, a different failure
  from scores without signal (added by :func:`diagnose_groups`, which runs whenever a table
  is collected, so every fold file is judged by today's rule).

:func:`diagnose_groups` adds a diagnosis to every fold of a dataset/network/
strategy/head group whose *mean* accuracy is within the margin of its mean floor,
so a group never reads as a result because its folds scatter around the floor.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .metrics import CHANCE_AUC

FLOOR_MARGIN = 5.0     # accuracy points above the majority rate that count as learning
LEARNED_MARGIN = 10.0  # a classifier whose explanations are ranked beats its floor by 10 points
COLLAPSE_SHARE = 95.0  # % of test predictions in one class that counts as a collapse
# A fold at its floor that still ranks its classes: AUC (%) at least RANKING_AUC on at least
# RANKING_MIN_TEST test images. At 60 images in two balanced classes, an AUC of 65 lies 2 standard
# errors above chance (the rank test's null standard error, sqrt((n + 1) / (12 n1 n0))); a Cells2
# fold of 14 images cannot show it.
RANKING_AUC = 65.0
RANKING_MIN_TEST = 60
GROUP_KEYS = ["dataset", "network", "strategy", "head"]
RANKING_NOTE = "its scores still rank the classes"


def majority_rate(y_true) -> float:
    """Accuracy (%) of always answering the largest class of ``y_true``."""
    y = np.asarray(y_true, int)
    return float(100 * np.bincount(y).max() / len(y)) if len(y) else float("nan")


def prediction_shares(proba) -> np.ndarray:
    """Share (%) of predictions per class."""
    p = np.asarray(proba)
    return 100 * np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)


def learned(accuracy: float, majority: float) -> bool:
    """Is a classifier worth explaining: does it beat its floor by :data:`LEARNED_MARGIN`?"""
    return bool(accuracy >= majority + LEARNED_MARGIN)


def at_floor(accuracy, majority, margin: float = FLOOR_MARGIN) -> bool:
    """Within ``margin`` points of the floor; a result without a recorded floor counts as
    at its floor too (it cannot be read), a result without an accuracy does not."""
    if pd.isna(accuracy):
        return False
    return bool(pd.isna(majority) or accuracy - majority <= margin)


def fold_diagnosis(accuracy: float, majority: float, proba, class_names=None,
                   train_accuracy: float | None = None, train_majority: float | None = None,
                   plateau: bool | None = None, epochs_run: int | None = None) -> str:
    """Empty when the fold beats its floor, else its cause(s) with the evidence."""
    if not at_floor(accuracy, majority):
        return ""
    shares = prediction_shares(proba)
    top = int(shares.argmax())
    name = class_names[top] if class_names is not None else top
    causes = []
    if shares[top] >= COLLAPSE_SHARE:
        causes.append(f"collapsed to one class ({shares[top]:.0f}% of test predictions are {name!s})")
    elif (shares > 0).sum() < len(shares):
        causes.append(f"predicts only {(shares > 0).sum()} of {len(shares)} classes")
    if train_accuracy is not None and train_majority is not None and pd.notna(train_accuracy):
        if at_floor(train_accuracy, train_majority):
            causes.append(f"did not fit its training data (training accuracy {train_accuracy:.0f}% "
                          f"vs {train_majority:.0f}% majority)")
        elif train_accuracy >= 90:
            causes.append(f"overfit (training accuracy {train_accuracy:.0f}%)")
    if plateau is False:
        causes.append(f"not converged within budget (validation loss still falling at epoch {epochs_run})")
    head = f"at its floor ({accuracy:.1f}% vs {majority:.1f}% majority)"
    return head + (": " + "; ".join(causes) if causes else "")


RISING_POINTS = 3.0  # training accuracy gained over the last epochs that counts as "still rising"
RISING_WINDOW = 3    # epochs: the last RISING_WINDOW against the RISING_WINDOW before them


def convergence_diagnosis(history, train_majority: float | None = None, plateau: bool | None = None) -> str:
    """For a model whose backbone trained (from scratch, fine-tuned), above its floor or not: ``not converged`` where the
    training accuracy was still rising at the last epoch (mean of the last
    :data:`RISING_WINDOW` epochs at least :data:`RISING_POINTS` above the window before) and
    the run did not stop on a validation plateau, or where it ends below the training set's
    majority rate. Empty when neither. Such a model needs more epochs, not a verdict."""
    acc = [h.get("accuracy") for h in (history or []) if h.get("accuracy") is not None]
    acc = [a for a in acc if np.isfinite(a)]
    causes = []
    if len(acc) >= 2 * RISING_WINDOW and plateau is not True:
        before = float(np.mean(acc[-2 * RISING_WINDOW:-RISING_WINDOW]))
        last = float(np.mean(acc[-RISING_WINDOW:]))
        if last - before >= RISING_POINTS and acc[-1] < 99.0:
            causes.append(f"training accuracy still rising ({before:.0f}% -> {last:.0f}% over the last "
                          f"{2 * RISING_WINDOW} of {len(acc)} epochs)")
    if acc and train_majority is not None and pd.notna(train_majority) and acc[-1] < train_majority:
        causes.append(f"training accuracy {acc[-1]:.0f}% below the training majority {train_majority:.0f}%")
    return ("not converged: " + "; ".join(causes)) if causes else ""


def join_diagnoses(values) -> str:
    """The distinct non-empty diagnoses of a group's folds, in order, one string."""
    return "; ".join(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def diagnosis_causes(values) -> str:
    """The distinct causes in a group's fold diagnoses, each once, without the per-fold numbers
    (``collapsed to one class; did not fit its training data``): one line for a summary, where
    :func:`join_diagnoses` would repeat one cause with every fold's numbers."""
    causes = []
    for v in values:
        if not isinstance(v, str) or not v:
            continue
        for part in v.split("; "):
            part = part.split(": ", 1)[1] if part.startswith("at its floor") and ": " in part else part
            if part.startswith(("at its floor", "group at its floor")):
                continue
            causes.append(re.sub(r"\s*\([^)]*\)", "", part).strip())
    return "; ".join(dict.fromkeys(c for c in causes if c))


def ranking_diagnosis(row) -> str:
    """The ``diagnosis`` of ``row`` (a fold row: a mapping with ``diagnosis``, ``accuracy``,
    ``majority``, ``auc``, ``n_test``) with the ranking cause added where the fold itself is at
    its floor, its AUC is at least :data:`RANKING_AUC` and it has at least
    :data:`RANKING_MIN_TEST` test images; unchanged otherwise, and where the cause is already
    there. Such a fold's accuracy still decides nothing; its AUC says its scores order the
    test images better than chance, which its predicted classes (the highest score) do not
    turn into accuracy."""
    text = row.get("diagnosis")
    text = text if isinstance(text, str) else ""
    auc, n_test = row.get("auc"), row.get("n_test")
    if (not text or RANKING_NOTE in text or not at_floor(row.get("accuracy"), row.get("majority"))
            or pd.isna(auc) or auc < RANKING_AUC or pd.isna(n_test) or n_test < RANKING_MIN_TEST):
        return text
    note = (f"{RANKING_NOTE} (AUC {auc:.1f} over {int(n_test)} test images, chance {CHANCE_AUC:.0f}): "
            "its predicted classes do not turn that into accuracy")
    if text.startswith("at its floor") and ": " not in text:
        return f"{text}: {note}"
    return f"{text}; {note}"


def diagnose_groups(df: pd.DataFrame, margin: float = FLOOR_MARGIN) -> pd.DataFrame:
    """``df`` with ``diagnosis`` filled for every ok fold of a group whose mean accuracy is
    within ``margin`` points of its mean majority rate (fold diagnoses are kept), and the
    ranking cause (:func:`ranking_diagnosis`) added to every diagnosed fold whose AUC shows it."""
    if not len(df) or "majority" not in df:
        return df
    out = df.copy()
    out["diagnosis"] = out["diagnosis"].fillna("") if "diagnosis" in out else ""
    keys = [k for k in GROUP_KEYS if k in out]
    ok = out[out["status"] == "ok"]
    for key, g in ok.groupby(keys):
        acc, floor = g["accuracy"].mean(), g["majority"].mean()
        if at_floor(acc, floor, margin):
            note = f"group at its floor (mean {acc:.1f}% vs {floor:.1f}% majority over {len(g)} folds)"
            empty = g.index[g["diagnosis"] == ""]
            out.loc[empty, "diagnosis"] = note
    if {"auc", "n_test", "accuracy"} <= set(out):
        ok = out["status"] == "ok"
        out.loc[ok, "diagnosis"] = [ranking_diagnosis(r) for r in out[ok].to_dict("records")]
    return out


def group_floor(df: pd.DataFrame) -> pd.DataFrame:
    """Per group: mean accuracy, mean majority, margin over the floor and the diagnoses seen."""
    ok = df[df["status"] == "ok"] if len(df) else df
    if not len(ok):
        return pd.DataFrame(columns=[*GROUP_KEYS, "accuracy", "majority", "above_floor", "diagnosis"])
    keys = [k for k in GROUP_KEYS if k in ok]
    g = ok.groupby(keys)
    out = pd.concat([g["accuracy"].mean(), g["majority"].mean(),
                     g["diagnosis"].agg(join_diagnoses)], axis=1)
    out["above_floor"] = out["accuracy"] - out["majority"]
    return out.reset_index()
