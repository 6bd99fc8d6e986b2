"""Figures of notebooks 02 and 03, drawn from the derived tables (never typed numbers).

Every accuracy is drawn with its floor (the majority-class rate of its test set)
as a dashed line, and results at their floor are hatched: a bar there is not
evidence of learning.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
import numpy as np
import pandas as pd

from ..experiments.compare import folds_text
from ..metrics import CHANCE_AUC
from ..models.zoo import PAPER_NETWORKS
from ..strategies import STRATEGIES

STRATEGY_COLOURS = {k: s.colour for k, s in STRATEGIES.items()}
PAPER_MARKERS = {"Table 7": "v", "Table 5": "^"}  # the paper's tables, by the strategy that fills them


def _networks(present) -> list[str]:
    extra = [n for n in dict.fromkeys(present) if n not in PAPER_NETWORKS]
    return [n for n in PAPER_NETWORKS if n in set(present)] + extra


def strategy_change(change: pd.DataFrame):
    """Figure 3: accuracy change off-the-shelf -> scratch per network; ours (mean of the paired
    per-fold differences, with its corrected 95 % interval) beside the paper's. Hatched: a side
    at its floor (an outcome, drawn as one); pairs run at different input sizes are left out."""
    change = change[change["folds"] > 0]
    datasets = list(dict.fromkeys(change["dataset"]))
    fig, axes = plt.subplots(1, max(1, len(datasets)), figsize=(4.2 * max(1, len(datasets)), 3.6),
                             squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        d = change[change["dataset"] == dataset].set_index("network")
        nets = _networks(d.index)
        x = np.arange(len(nets))
        for i, n in enumerate(nets):
            lo, hi = d.loc[n, "ci_low"], d.loc[n, "ci_high"]
            err = None if not np.isfinite(lo) else [[d.loc[n, "ours"] - lo], [hi - d.loc[n, "ours"]]]
            ax.bar(i - 0.2, d.loc[n, "ours"], 0.4, color="tab:purple", yerr=err, capsize=3,
                   hatch=None if d.loc[n, "comparable"] else "///", alpha=1 if d.loc[n, "comparable"] else 0.4,
                   label="ours (95% CI over folds)" if i == 0 else None)
        ax.bar(x + 0.2, d.loc[nets, "paper"], 0.4, label="paper", color="lightgrey", edgecolor="black")
        ax.axhline(0, color="black", lw=0.8)
        labels = [f"{n} ({folds_text(d.loc[n, 'folds'])})" for n in nets]  # ours: folds both ran
        ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=9)
        ax.set_title(f"{dataset} (one test image = {d['one_image'].max():.1f} points)", fontsize=10)
        ax.set_ylabel("scratch - off-the-shelf (points)", fontsize=9)
        ax.legend(fontsize=8, frameon=False)
    if not datasets:
        axes[0][0].text(0.5, 0.5, "no network ran both strategies", ha="center", va="center")
        axes[0][0].set_axis_off()
    fig.text(0.01, -0.02, "hatched: a side at its floor (majority-class rate): an outcome all the same "
             "(intention to treat); intervals Nadeau-Bengio corrected", fontsize=8)
    fig.tight_layout()
    return fig


def _missing_label(rows: pd.DataFrame | None, dataset: str, network: str, strategy: str, head: str) -> str:
    """Why a bar is missing: "not run" where the table says so (no ImageNet weights), else "no
    result" (a block the profile does not plan, or one a long run has not reached; without the
    table: "not run")."""
    if rows is None:
        return "not run"
    mine = rows[(rows["dataset"] == dataset) & (rows["network"] == network) & (rows["strategy"] == strategy)]
    if "head" in mine:
        mine = mine[mine["head"] == head]
    return "not run" if (mine["status"] == "not run").any() else "no result"


def accuracy_by_network(means: pd.DataFrame, paper_scratch: pd.DataFrame,
                        paper_ots: pd.DataFrame, head: str = "dense", rows: pd.DataFrame | None = None):
    """Figure 4 (and Table 7 drawn): accuracy of every network and strategy per dataset (the
    paper's head), the floor as a dashed line, results at the floor hatched, the paper's values
    as markers, and over each bar the number of folds (test sets) it averages: a long run's
    blocks fill in at different speeds, and 2 folds are not 5. ``rows``: the fold table, which
    tells a block that cannot run from one not yet run."""
    means = means[means["head"] == head]
    datasets = list(dict.fromkeys(means["dataset"]))
    nets = _networks(means["network"])
    fig, axes = plt.subplots(len(datasets), 1, figsize=(11, 3.0 * len(datasets)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets):
        d = means[means["dataset"] == dataset]
        x = np.arange(len(nets))
        swatches = []
        present = [k for k in STRATEGIES if k in set(d["strategy"])] or ["off_the_shelf", "scratch"]
        width = 0.8 / len(present)
        refs = {"Table 5": paper_ots, "Table 7": paper_scratch}
        for j, strategy in enumerate(present):
            off = (j - (len(present) - 1) / 2) * width
            table = STRATEGIES[strategy].paper_table
            ref = refs.get(table, pd.DataFrame())
            s = d[d["strategy"].map(lambda v: v == strategy)].set_index("network").reindex(nets)
            colour = STRATEGY_COLOURS[strategy]
            for i, net in enumerate(nets):
                if np.isnan(s.loc[net, "accuracy"]):
                    ax.text(i + off, 2, _missing_label(rows, dataset, net, strategy, head), rotation=90,
                            fontsize=7, ha="center", va="bottom")
                    continue
                floor = bool(s.loc[net, "at_floor"])
                ci = s.loc[net, ["accuracy_ci_low", "accuracy_ci_high"]].to_numpy(float)
                err = None if not np.isfinite(ci).all() else [[s.loc[net, "accuracy"] - ci[0]],
                                                              [ci[1] - s.loc[net, "accuracy"]]]
                ax.bar(i + off, s.loc[net, "accuracy"], width * 0.95, yerr=err, color=colour,
                       alpha=0.35 if floor else 0.9, hatch="///" if floor else None, error_kw={"lw": 0.8})
                if "folds" in s:
                    top = ci[1] if np.isfinite(ci[1]) else s.loc[net, "accuracy"]
                    ax.text(i + off, min(top, 100.0) + 1, f"{int(s.loc[net, 'folds'])}", ha="center",
                            va="bottom", fontsize=6, color="dimgrey")
            if s["accuracy"].notna().any():  # the legend's swatch: an unhatched bar
                swatches.append(Patch(color=colour, alpha=0.9, label=f"ours, {strategy}"))
            if dataset in ref.index:
                vals = ref.loc[dataset].reindex(nets).to_numpy(float)
                ax.scatter(x + off, vals, marker=PAPER_MARKERS[table], s=40, color="black", zorder=3,
                           label=f"paper, {strategy}")
        floor = d["majority"].mean()
        ax.axhline(floor, color="black", ls="--", lw=1, label=f"floor (majority class) {floor:.1f}%")
        above = d[~d["at_floor"]]
        best = above.loc[above["accuracy"].idxmax()] if len(above) else None
        title = (f"{dataset}: highest mean above its floor {best['network']} ({best['strategy']}), "
                 f"{best['accuracy']:.1f}%" + (f" over {folds_text(int(best['folds']))}" if "folds" in best else "")
                 if best is not None else f"{dataset}: no model above its floor")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(x, nets, fontsize=9)
        ax.set_xlim(-0.6, len(nets) - 0.4)  # "not run" labels are text: they do not widen the axis
        ax.set_ylim(0, 105)
        ax.set_ylabel("accuracy (%)")
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels + [p.get_label() for p in swatches], handles + swatches))
        ax.legend(uniq.values(), uniq.keys(), fontsize=7, frameon=False, loc="upper left",
                  bbox_to_anchor=(1.0, 1.0))
    fig.text(0.01, -0.01, "hatched: at its floor (within 5 points of the majority rate); bars: 95% CI of "
             "the mean over folds" + ("; grey numbers: folds averaged" if "folds" in means else ""), fontsize=8)
    fig.tight_layout()
    return fig


def learning_curves(curves: pd.DataFrame, max_panels: int = 12):
    """Training and validation loss per epoch, one panel per dataset/network/strategy(/head),
    one thin line per fold; a dot at each fold's best epoch (the weights kept)."""
    keys = ["dataset", "network", "strategy", "head"]
    groups = list(curves.groupby(keys))[:max_panels]
    n = max(1, len(groups))
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.0 * rows), squeeze=False)
    for ax, ((dataset, network, strategy, head), g) in zip(axes.ravel(), groups):
        for fold, f in g.groupby("fold"):
            ax.plot(f["epoch"], f["loss"], color="tab:blue", lw=0.8, alpha=0.6,
                    label="training" if fold == g["fold"].min() else None)
            ax.plot(f["epoch"], f["val_loss"], color="tab:red", lw=0.8, alpha=0.6,
                    label="validation" if fold == g["fold"].min() else None)
            best = f[f["epoch"] == f["best_epoch"]]
            ax.plot(best["epoch"], best["val_loss"], "o", color="tab:red", ms=3)
        ax.set_title(f"{dataset}: {network} {strategy}" + ("" if head == "dense" else f" ({head})"), fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("loss", fontsize=8)
        ax.legend(fontsize=7, frameon=False)
    for ax in axes.ravel()[len(groups):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def cross_device_drop(table: pd.DataFrame):
    """Notebook 03: in-domain vs cross-domain accuracy and AUC per pair, network and head."""
    fig, axes = plt.subplots(1, 2, figsize=(2.4 + 2.0 * len(table), 3.8), squeeze=False)
    labels = [f"{r.source}->\n{r.target}\n{r.network}\n{r.strategy} {r.head}" for r in table.itertuples()]
    x = np.arange(len(table))
    for ax, metric, floor_col in ((axes[0, 0], "accuracy", "target_majority"), (axes[0, 1], "auc", None)):
        ax.bar(x - 0.2, table[f"in_domain_{metric}"], 0.4, label="in-domain (target CV)", color="tab:green")
        ax.bar(x + 0.2, table[f"cross_{metric}"], 0.4, label="cross-domain", color="tab:red")
        for i, r in enumerate(table.itertuples()):
            ax.annotate(f"{getattr(r, f'drop_{metric}'):+.1f}", (i + 0.2, getattr(r, f"cross_{metric}")),
                        ha="center", va="bottom", fontsize=8)
            floor = getattr(r, floor_col) if floor_col else CHANCE_AUC
            ax.hlines(floor, i - 0.45, i + 0.45, colors="black", linestyles="--", lw=1,
                      label="floor" if i == 0 else None)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_ylabel(f"{metric} (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def roc_curves(curves: list[dict], max_panels: int = 8):
    """ROC of in-domain vs cross-domain predictions; ``curves``: dicts with label, y, score, style."""
    from sklearn.metrics import roc_auc_score, roc_curve

    panels = list(dict.fromkeys(c["panel"] for c in curves))[:max_panels]
    cols = min(4, max(1, len(panels)))
    rows = int(np.ceil(max(1, len(panels)) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.6 * rows), squeeze=False)
    for ax, panel in zip(axes.ravel(), panels):
        for c in (c for c in curves if c["panel"] == panel):
            if len(np.unique(c["y"])) < 2:
                continue
            fpr, tpr, _ = roc_curve(c["y"], c["score"])
            auc = roc_auc_score(c["y"], c["score"])
            ax.plot(fpr, tpr, c.get("style", "-"), label=f"{c['label']} (AUC {auc:.2f})")
        ax.plot([0, 1], [0, 1], ":", color="grey", lw=0.8)
        ax.set_title(panel, fontsize=8)
        ax.set_xlabel("1 - specificity", fontsize=8)
        ax.set_ylabel("sensitivity", fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    for ax in axes.ravel()[len(panels):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def forest(rows: pd.DataFrame, title: str, margin: float = 2.0, xlabel: str = "scratch - off-the-shelf (accuracy points)"):
    """Forest plot of a pooled comparison (``medlib.evidence.Pooled.forest()``): every unit
    (dataset and network) and every dataset with its corrected 95 % interval, the pooled
    estimates with their multilevel interval (diamond) and prediction interval (thin line),
    the +-``margin`` band of ties and zero. Units at their floor are hollow; invalid ones are
    left out (named in the claim's evidence)."""
    rows = rows[rows.get("invalid", pd.Series("", index=rows.index)).fillna("") == ""].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    ax.axvspan(-margin, margin, color="0.9", zorder=0)
    ax.axvline(0, color="0.4", lw=0.8)
    for yi, r in zip(y, rows.itertuples()):
        colour = {"unit": "tab:blue", "dataset": "tab:green", "pooled": "black"}[r.level]
        if np.isfinite(r.low) and np.isfinite(r.high):
            ax.plot([r.low, r.high], [yi, yi], color=colour, lw=1.5 if r.level != "pooled" else 2.5)
        if r.level == "pooled":
            if np.isfinite(getattr(r, "pred_low", np.nan)):
                ax.plot([r.pred_low, r.pred_high], [yi - 0.25, yi - 0.25], color="0.3", lw=0.8)
            ax.plot(r.estimate, yi, marker="D", color=colour, ms=8)
        else:
            floor = getattr(r, "at_floor", "")
            hollow = isinstance(floor, str) and bool(floor)
            ax.plot(r.estimate, yi, marker="o", color=colour, mfc="white" if hollow else colour, ms=6)
    labels = [r.label + (f" (k={int(r.k)}, tau {r.tau:.1f})" if r.level == "pooled" else "")
              + (" [at floor]" if isinstance(getattr(r, "at_floor", ""), str) and r.at_floor else "")
              for r in rows.itertuples()]
    ax.set_yticks(y, labels)
    pooled = (rows["level"] == "pooled").any()
    ax.set_xlabel(f"{xlabel}\ngrey band: +-{margin:g}, ties (the paper's repeat spread); hollow: an arm at its floor"
                  + (";\nthin line under a diamond: prediction interval (a new network on a new dataset)" if pooled else ""))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def forest_figure(result, profile: str, folder=None):
    """Save the central claim's forest plot (:func:`forest` of ``result.forest()``) under its one file
    name, ``forest_scratch_vs_off_the_shelf_<profile>.png``; returns the path."""
    from . import save_figure

    fig = forest(result.forest(), f"Scratch vs off-the-shelf ({profile}): per dataset and network, pooled")
    return save_figure(fig, "forest_scratch_vs_off_the_shelf", folder, profile=profile)


def arms_figure(arms: pd.DataFrame, profile: str, folder=None):
    """Every pair of arms per dataset and network (:func:`medlib.arms.arm_comparisons`) as one
    forest of units, grouped by comparison, under its one file name, ``02_arms_pairwise_<profile>.png``;
    returns the path. Units not tested (fewer than 3 shared folds, or folds of more than one
    configuration hash) are left out."""
    from . import save_figure

    rows = arms.assign(label=arms["comparison"] + ": " + arms["dataset"] + " " + arms["network"], level="unit",
                       invalid=np.where(arms["verdict"].str.startswith("not tested"), "not tested", ""))
    fig = forest(rows, f"Three arms, pairwise ({profile}): per dataset and network",
                 xlabel="later arm - earlier arm (accuracy points)")
    return save_figure(fig, "arms_pairwise", folder, profile=profile)


TABLE7_COLUMNS = ["dataset", "network", "ours", "accuracy_ci_low", "accuracy_ci_high", "folds", "one_image",
                  "majority", "at_floor", "paper", "diagnosis"]


def table7_by_profile(by_profile: dict, folder, skip: str | None = None, own: str | None = None):
    """Table 7 (accuracy from scratch beside the paper) and Figures 4 and 3 of every profile's
    committed results but ``skip`` (the run's own, drawn by notebook 02 itself): one
    ``(profile, table, [figure paths])`` per profile with a transfer table. Notebooks 02 and 06
    both call this, so both show the same table under the same file names (``own``: the run's
    profile, whose figures carry no profile suffix, as notebook 02 names them)."""
    from .. import paper
    from ..experiments import compare
    from . import profile_suffix, save_figure

    out = []
    for prof, found in by_profile.items():
        if prof == skip or "transfer" not in found:
            continue
        t = found["transfer"]
        table = compare.accuracy_beside_paper(t, "scratch")
        if not len(table):
            continue
        paths = [save_figure(accuracy_by_network(compare.mean_metrics(t), paper.accuracy_table("scratch"),
                                                 paper.accuracy_table("off_the_shelf"), rows=t),
                             "fig4_accuracy_by_network", folder,
                             profile_suffix=profile_suffix(None if prof == own else prof))]
        change = compare.strategy_change(t)
        if len(change) and (change["folds"] > 0).any():
            paths.append(save_figure(strategy_change(change), "fig3_strategy_change", folder,
                                     profile_suffix=profile_suffix(None if prof == own else prof)))
        out.append((prof, table[TABLE7_COLUMNS], paths))
    return out
