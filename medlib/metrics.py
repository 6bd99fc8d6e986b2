"""Classification metrics as in Tables 6 and 8, plus what the paper leaves out.

Binary tasks: accuracy, sensitivity and specificity of the positive class
(the disease; ``DatasetSpec.positive_class``), ROC AUC, F1 of the positive
class. Multiclass: accuracy, macro sensitivity (mean recall), macro
specificity (mean one-vs-rest TNR), one-vs-rest macro AUC and macro F1; the
paper prints only accuracy and AUC there (``PAPER_OMITS_MULTICLASS``).
Always: Matthews correlation coefficient and balanced accuracy (mean recall over
classes: what accuracy means on an imbalanced test set such as MosMed's, where
always answering "covid-19" scores 77%). Percentages are 0-100 like the paper.

Also a percentile bootstrap CI over images and a paired test of two
strategies across folds (the paper reports neither).
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, matthews_corrcoef,
                             roc_auc_score)

METRICS = ("accuracy", "balanced_accuracy", "sensitivity", "specificity", "auc", "f1", "mcc")
PAPER_OMITS_MULTICLASS = ("sensitivity", "specificity", "f1")


CHANCE_AUC = 50.0  # AUC (%) of a classifier that ranks at random: the floor of an AUC


def classification_metrics(y_true, proba, positive: int | None = None) -> dict[str, float]:
    """Metrics of predicted class probabilities ``proba`` (N x C) against ``y_true``."""
    y_true = np.asarray(y_true, int)
    proba = np.asarray(proba, float)
    n_classes = proba.shape[1]
    y_pred = proba.argmax(1)
    labels = np.arange(n_classes)
    out = {"accuracy": 100 * accuracy_score(y_true, y_pred),
           "mcc": float(matthews_corrcoef(y_true, y_pred)) if len(np.unique(np.r_[y_true, y_pred])) > 1 else 0.0}
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    tp = np.diag(cm).astype(float)
    fn = cm.sum(1) - tp
    fp = cm.sum(0) - tp
    tn = cm.sum() - tp - fn - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        recall, tnr = tp / (tp + fn), tn / (tn + fp)
    out["balanced_accuracy"] = 100 * np.nanmean(np.where(tp + fn > 0, recall, np.nan)) \
        if (tp + fn).sum() else float("nan")
    if n_classes == 2:
        pos = 1 if positive is None else positive
        out["sensitivity"] = 100 * recall[pos]
        out["specificity"] = 100 * tnr[pos]
        out["f1"] = 100 * f1_score(y_true, y_pred, pos_label=pos, zero_division=0)
        out["auc"] = 100 * _safe_auc(y_true == pos, proba[:, pos])
    else:
        out["sensitivity"] = 100 * np.nanmean(recall)
        out["specificity"] = 100 * np.nanmean(tnr)
        out["f1"] = 100 * f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0)
        present = np.unique(y_true)
        if len(present) == n_classes:
            out["auc"] = 100 * roc_auc_score(y_true, proba, multi_class="ovr", average="macro",
                                             labels=labels)
        else:
            out["auc"] = float("nan")
    return {k: float(out[k]) for k in METRICS}


def _safe_auc(y_bin, score) -> float:
    return roc_auc_score(y_bin, score) if 0 < np.sum(y_bin) < len(y_bin) else float("nan")


def best_threshold_accuracy(y_true, score) -> float:
    """The highest accuracy (%) any threshold on ``score`` reaches on these very labels: an
    upper bound, chosen with the test labels, on what a binary model with these scores can do.
    When even this stays within the floor margin, no threshold or calibration can make the model
    beat its floor; only better scores can."""
    y = np.asarray(y_true, int)
    s = np.asarray(score, float)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    tp = np.cumsum(y)  # predict positive for the top k scores
    fp = np.cumsum(1 - y)
    tn = (1 - y).sum() - fp
    distinct = np.r_[s[1:] != s[:-1], True]  # a threshold sits only between different scores
    acc = np.r_[(1 - y).sum(), (tp + tn)[distinct]] / len(y)
    return float(100 * acc.max())


def bootstrap_ci(y_true, proba, metric: str = "accuracy", n_boot: int = 1000, alpha: float = 0.05,
                 positive: int | None = None, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over images (resampled with replacement)."""
    y_true, proba = np.asarray(y_true), np.asarray(proba)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y_true), len(y_true))
        values.append(classification_metrics(y_true[idx], proba[idx], positive)[metric])
    values = np.array(values)
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))


def paired_test(a, b) -> dict[str, float]:
    """Compare per-fold scores of two strategies on the same folds.

    Returns the mean difference (b - a), a paired t-test and a Wilcoxon
    signed-rank p-value (exact for few folds; with 3 folds the smallest
    possible two-sided p is 0.25, so 'no significant difference' is expected
    in the quick profile and says nothing by itself).
    """
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) != len(b) or len(a) < 2:
        raise ValueError("paired_test needs two equal-length score lists of at least 2 folds")
    diff = b - a
    out = {"n_folds": len(a), "mean_diff": float(diff.mean())}
    out["t_p"] = float(stats.ttest_rel(b, a).pvalue) if diff.std() > 0 else float("nan")
    out["wilcoxon_p"] = float(stats.wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
    return out
