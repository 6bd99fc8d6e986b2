"""Figures of notebooks 02 and 03, drawn from the derived tables (never typed numbers)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..models.zoo import PAPER_NETWORKS

STRATEGY_COLOURS = {"scratch": "tab:orange", "off_the_shelf": "tab:blue"}


def strategy_change(change: pd.DataFrame):
    """Figure 3: accuracy change off-the-shelf -> scratch per network; ours beside the paper's."""
    datasets = list(dict.fromkeys(change["dataset"]))
    fig, axes = plt.subplots(1, max(1, len(datasets)), figsize=(4.2 * max(1, len(datasets)), 3.4),
                             squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        d = change[change["dataset"] == dataset].set_index("network")
        nets = [n for n in PAPER_NETWORKS if n in d.index]
        x = np.arange(len(nets))
        ax.bar(x - 0.2, d.loc[nets, "ours"], 0.4, label="ours", color="tab:purple")
        ax.bar(x + 0.2, d.loc[nets, "paper"], 0.4, label="paper", color="lightgrey",
               edgecolor="black")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, nets, rotation=35, ha="right", fontsize=8)
        ax.set_title(dataset, fontsize=10)
        ax.set_ylabel("accuracy: scratch - off-the-shelf (points)", fontsize=8)
        ax.legend(fontsize=7, frameon=False)
    if not datasets:
        axes[0][0].text(0.5, 0.5, "no network ran both strategies", ha="center", va="center")
        axes[0][0].set_axis_off()
    fig.tight_layout()
    return fig


def accuracy_by_network(means: pd.DataFrame, paper_scratch: pd.DataFrame,
                        paper_ots: pd.DataFrame):
    """Figure 4: accuracy of every network and strategy per dataset; paper values as markers."""
    datasets = list(dict.fromkeys(means["dataset"]))
    fig, axes = plt.subplots(len(datasets), 1, figsize=(8.5, 2.9 * len(datasets)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets):
        d = means[means["dataset"] == dataset]
        x = np.arange(len(PAPER_NETWORKS))
        for off, strategy, ref in ((-0.2, "off_the_shelf", paper_ots), (0.2, "scratch", paper_scratch)):
            s = d[d["strategy"] == strategy].set_index("network").reindex(PAPER_NETWORKS)
            colour = STRATEGY_COLOURS[strategy]
            ax.bar(x + off, s["accuracy"], 0.38, yerr=s["accuracy_sd"], color=colour, alpha=0.85,
                   label=f"ours, {strategy}", error_kw={"lw": 0.8})
            for i, net in enumerate(PAPER_NETWORKS):
                if np.isnan(s.loc[net, "accuracy"]):
                    ax.text(i + off, 2, "not run", rotation=90, fontsize=6, ha="center", va="bottom")
            if dataset in ref.index:
                ax.scatter(x + off, ref.loc[dataset, list(PAPER_NETWORKS)], marker="_", s=160,
                           color="black", zorder=3, label=f"paper, {strategy}")
        best = d.loc[d["accuracy"].idxmax()]
        ax.set_title(f"{dataset}: best here {best['network']} ({best['strategy']}), "
                     f"{best['accuracy']:.1f}%", fontsize=9)
        ax.set_xticks(x, PAPER_NETWORKS, fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy (%)")
    axes[0, 0].legend(fontsize=7, ncol=4, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def cross_device_drop(table: pd.DataFrame):
    """Notebook 03: in-domain vs cross-domain accuracy per pair and network (the drop annotated)."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(table), 3.4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["in_domain_accuracy"], 0.4, label="in-domain (target CV)", color="tab:green")
    ax.bar(x + 0.2, table["cross_accuracy"], 0.4, label="cross-domain", color="tab:red")
    for i, r in enumerate(table.itertuples()):
        ax.annotate(f"{r.cross_accuracy - r.in_domain_accuracy:+.1f}", (i + 0.2, r.cross_accuracy),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{r.source}\n-> {r.target}\n{r.network}" for r in table.itertuples()], fontsize=7)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def roc_curves(curves: list[dict]):
    """ROC of in-domain vs cross-domain predictions; ``curves``: dicts with label, y, score, style."""
    from sklearn.metrics import roc_auc_score, roc_curve

    panels = list(dict.fromkeys(c["panel"] for c in curves))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.5), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for c in (c for c in curves if c["panel"] == panel):
            if len(np.unique(c["y"])) < 2:
                continue
            fpr, tpr, _ = roc_curve(c["y"], c["score"])
            auc = roc_auc_score(c["y"], c["score"])
            ax.plot(fpr, tpr, c.get("style", "-"), label=f"{c['label']} (AUC {auc:.2f})")
        ax.plot([0, 1], [0, 1], ":", color="grey", lw=0.8)
        ax.set_title(panel, fontsize=9)
        ax.set_xlabel("1 - specificity")
        ax.set_ylabel("sensitivity")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig
