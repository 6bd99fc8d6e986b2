"""Figures of notebooks 04 and 05: feature-map grids, heatmap overlays, class-level maps."""
from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def feature_map_grid(model, image: np.ndarray, title: str, layers=None, n_maps: int = 9, seed: int = 0):
    """Figures 5-6: the image, then per layer ``n_maps`` random channels on one colour scale."""
    if layers is None:
        from ..explain.activity import activation_layers

        layers = activation_layers(model)
    probe = keras.Model(model.input, [model.get_layer(n).output for n in layers])
    outs = probe(image[None].astype(np.float32) / 255.0, training=False)
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(len(layers), n_maps + 1, figsize=(1.25 * (n_maps + 1), 1.3 * len(layers)),
                             squeeze=False)
    for r, (name, out) in enumerate(zip(layers, outs)):
        a = out.numpy()[0]
        chans = np.sort(rng.choice(a.shape[-1], size=min(n_maps, a.shape[-1]), replace=False))
        vmin, vmax = a[..., chans].min(), a[..., chans].max()  # common scale per layer
        axes[r, 0].imshow(image)
        axes[r, 0].set_title(f"{r + 1}: {name}\n{a.shape[0]}x{a.shape[1]}x{a.shape[2]}", fontsize=8, loc="left")
        for j, ch in enumerate(chans):
            axes[r, j + 1].imshow(a[..., ch], cmap="gray", vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1)
            axes[r, j + 1].set_title(f"ch {ch}", fontsize=8)
        for ax in axes[r]:
            ax.set_axis_off()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def overlays(images: np.ndarray, maps: dict[str, np.ndarray], titles=None, boxes=None, alpha: float = 0.45):
    """Rows: methods; columns: images; heatmap over the image, ground-truth box if given."""
    methods = list(maps)
    n = len(images)
    fig, axes = plt.subplots(len(methods), n, figsize=(2.2 * n, 2.2 * len(methods)), squeeze=False)
    for r, method in enumerate(methods):
        for j in range(n):
            ax = axes[r, j]
            ax.imshow(images[j])
            ax.imshow(maps[method][j], cmap="jet", alpha=alpha, vmin=0, vmax=1)
            if boxes is not None:
                x0, y0, x1, y1 = boxes[j]
                ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="white", lw=1.2))
            ax.set_xticks([]), ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(method, fontsize=12)
            if r == 0 and titles is not None:
                ax.set_title(titles[j], fontsize=10)
    fig.tight_layout()
    return fig


def class_level_maps(avg: dict, boxes: dict, gt: dict | None = None):
    """Kim et al. Fig. 9: class-average CRM with the 70%-of-max box (white), and the mean
    ground-truth box of the class (dashed) where known."""
    fig, axes = plt.subplots(1, len(avg), figsize=(3.0 * len(avg), 2.6), squeeze=False)
    for ax, (name, m) in zip(axes[0], avg.items()):
        if m is None:
            ax.text(0.5, 0.5, f"{name}:\nno correct prediction", ha="center", va="center", fontsize=8)
            ax.set_axis_off()
            continue
        ax.imshow(m, cmap="jet")
        if boxes.get(name):
            x0, y0, x1, y1 = boxes[name]
            ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="white", lw=2))
        if gt and name in gt:
            x0, y0, x1, y1 = gt[name]
            ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", ls="--", lw=1.2))
        ax.set_title(name, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def score_distributions(maps: dict[str, np.ndarray], classes=None, class_names=None, bins: int = 40):
    """Kim et al. Fig. 6: distribution of normalised map values per method, one panel per
    class when ``classes`` (one per image) are given."""
    groups = [(None, slice(None))] if classes is None else \
        [(class_names[c], np.asarray(classes) == c) for c in np.unique(classes)]
    fig, axes = plt.subplots(1, len(groups), figsize=(3.6 * len(groups), 3.2), squeeze=False, sharey=True)
    for ax, (name, sel) in zip(axes[0], groups):
        for method, m in maps.items():
            v = np.asarray(m)[sel].ravel()
            ax.hist(v, bins=bins, range=(0, 1), density=True, histtype="step", lw=1.5,
                    label=f"{method} ({v.mean():.2f} +- {v.std():.2f})")
        ax.set_xlabel("normalised map value", fontsize=9)
        ax.set_title(name or "all images", fontsize=10)
        ax.legend(fontsize=7, frameon=False)
    axes[0, 0].set_ylabel("density")
    fig.tight_layout()
    return fig


def roi_bars(ours: pd.DataFrame, paper: pd.DataFrame | None = None):
    """Kim et al. Table 3 as bars: ROI share (%) per class (columns of ``ours``) and method
    (rows); the paper's mean over its classes as dashed lines."""
    methods = [m for m in ("cam", "gradcam", "crm") if m in ours.index]
    classes = [c for c in ours.columns if c != "all"]
    fig, ax = plt.subplots(figsize=(1.4 * len(classes) + 2.5, 3.6))
    x = np.arange(len(classes))
    width = 0.8 / len(methods)
    colours = {"cam": "tab:blue", "gradcam": "tab:orange", "crm": "tab:green"}
    for j, m in enumerate(methods):
        ax.bar(x + (j - (len(methods) - 1) / 2) * width, ours.loc[m, classes], width, label=f"ours, {m}",
               color=colours.get(m))
        if paper is not None and m in paper.index:
            ax.axhline(paper.loc[m].mean(), color=colours.get(m), ls="--", lw=1,
                       label=f"paper mean, {m}")
    ax.set_xticks(x, classes, fontsize=9, rotation=15)
    ax.set_ylabel("ROI: % of the image above 20% of max")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    fig.tight_layout()
    return fig


def sanity_curves(summary: pd.DataFrame, measure: str = "spearman", threshold: float | None = None):
    """Similarity to the trained model's maps against randomised depth (Adebayo et al. Fig. 2):
    one panel per model and test, one line per method with its 95 % band; dotted: the
    step that first randomises the explained layer; dashed: the pass threshold."""
    s = summary[(summary["measure"] == measure) & (summary["test"] != "labels")]
    panels = list(s.groupby(["model", "test"], sort=False).groups)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4), squeeze=False)
    for ax, (model, test) in zip(axes[0], panels):
        g = s[(s["model"] == model) & (s["test"] == test)]
        for method, m in g.groupby("method", sort=False):
            m = m.sort_values("step")
            ax.plot(m["step"], m["mean"], marker="o", ms=3, label=method)
            ax.fill_between(m["step"], m["ci_low"], m["ci_high"], alpha=0.15)
        blocks = g.drop_duplicates("step").sort_values("step")
        ax.set_xticks(blocks["step"], blocks["block"], rotation=60, fontsize=7)
        decisive = blocks.loc[blocks["decisive"].astype(bool), "step"]
        for x in decisive:
            ax.axvline(x, color="grey", ls=":", lw=1)
        if threshold is not None:
            ax.axhline(threshold, color="black", ls="--", lw=0.8)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_ylim(-0.3, 1.05)
        ax.set_title(f"{model}: {test}", fontsize=9)
        ax.set_ylabel(f"{measure} with trained maps")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def sanity_map_rows(image: np.ndarray, maps: dict, step_names, title: str = ""):
    """Rows: methods; columns: the trained model's map, then one per cascading step."""
    methods = list(maps)
    cols = ["trained", *step_names]
    fig, axes = plt.subplots(len(methods), len(cols) + 1, figsize=(1.3 * (len(cols) + 1), 1.35 * len(methods)),
                             squeeze=False)
    for r, method in enumerate(methods):
        axes[r, 0].imshow(image)
        axes[r, 0].set_ylabel(method, fontsize=8)
        for j, (name, m) in enumerate(zip(cols, maps[method])):
            axes[r, j + 1].imshow(m, cmap="jet", vmin=0, vmax=1)
            if r == 0:
                axes[r, j + 1].set_title(name, fontsize=7)
        for ax in axes[r]:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title or "maps as the model is randomised from the logits down", fontsize=9)
    fig.tight_layout()
    return fig


def interval_bars(ranking: pd.DataFrame, title: str = "", baselines=("random", "sobel", "uniform")):
    """One panel per measure of :func:`medlib.report.rank_methods` rows: mean per method with
    its 95 % interval; hatched: tied with the best (within noise); grey: baselines."""
    measures = list(dict.fromkeys(ranking["measure"]))
    fig, axes = plt.subplots(1, len(measures), figsize=(3.2 * len(measures), 3.0), squeeze=False)
    for ax, measure in zip(axes[0], measures):
        g = ranking[ranking["measure"] == measure]
        err = np.vstack([g["mean"] - g["ci_low"], g["ci_high"] - g["mean"]])
        colors = ["lightgrey" if m in baselines else "tab:blue" for m in g["method"]]
        bars = ax.bar(g["method"], g["mean"], yerr=err, color=colors, capsize=3)
        for bar, standing in zip(bars, g["standing"]):
            if standing in ("best", "tied"):
                bar.set_hatch("//")
        ax.set_title(measure, fontsize=9)
        ax.tick_params(axis="x", rotation=45, labelsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
