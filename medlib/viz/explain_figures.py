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
