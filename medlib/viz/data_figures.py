"""Figures of notebook 01: class balance, sample grids, preprocessing, augmentation."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..data import Dataset, get_spec, make_augmenter
from ..data.dataset import read_row
from ..data.preprocess import prepare, to_uint8_rgb


def class_balance(datasets: dict[str, pd.DataFrame], specs=None, cols: int = 3):
    """Bars of images per class: this machine (filled) and the paper's Table 1 (outline),
    one panel per dataset, ``cols`` panels a row (readable at a notebook's column width)."""
    n = len(datasets)
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    for ax, (key, index) in zip(axes.ravel(), datasets.items()):
        spec = (specs or {}).get(key) or get_spec(key)  # ``specs``: a user's folders, by key
        here = index["label"].value_counts().reindex(spec.classes, fill_value=0)
        x = np.arange(len(spec.classes))
        ax.bar(x, here.values, color="tab:blue", label="here")
        if spec.paper_counts:
            ax.bar(x, [spec.paper_counts[c] for c in spec.classes], fill=False,
                   edgecolor="black", linestyle="--", label="paper")
        ax.set_xticks(x, spec.classes, rotation=25, ha="right", fontsize=10)
        ax.tick_params(axis="y", labelsize=10)
        ax.set_title(f"{key}" + (f" ({spec.paper_name})" if spec.paper_name else ""), fontsize=12)
        ax.set_ylabel("images", fontsize=10)
        ax.legend(fontsize=9, frameon=False)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def sample_grid(ds: Dataset, per_class: int = 4):
    """``per_class`` preprocessed images of each class, one row per class."""
    classes = ds.spec.classes
    fig, axes = plt.subplots(len(classes), per_class, figsize=(1.9 * per_class, 2.0 * len(classes)),
                             squeeze=False)
    for r, cls in enumerate(classes):
        idx = np.flatnonzero(ds.index["label"].to_numpy() == cls)[:per_class]
        for c in range(per_class):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(idx):
                ax.imshow(ds.images[idx[c]])
        axes[r][0].set_title(cls, loc="left", fontsize=9)
    h, w = ds.images.shape[1:3]
    fig.suptitle(f"{ds.spec.key}: preprocessed to {w}x{h} (width x height)", fontsize=10)
    fig.tight_layout()
    return fig


def before_after(rows: list[tuple[str, pd.Series]]):
    """Original image (with its crop box, if any) next to the network input."""
    import matplotlib.patches as patches

    fig, axes = plt.subplots(len(rows), 2, figsize=(7, 3.0 * len(rows)), squeeze=False)
    for (key, row), (a, b) in zip(rows, axes):
        spec = get_spec(key)
        raw = read_row(row)
        a.imshow(to_uint8_rgb(raw))
        a.set_title(f"{key}: original {raw.shape[1]}x{raw.shape[0]}", fontsize=9)
        box = (row.x0, row.y0, row.x1, row.y1)
        if not np.isnan(box).any():
            a.add_patch(patches.Rectangle((row.x0, row.y0), row.x1 - row.x0, row.y1 - row.y0,
                                          fill=False, edgecolor="yellow", linewidth=2))
        out = prepare(raw, spec.image_size, spec.letterbox, box)
        b.imshow(out)
        how = "letterboxed" if spec.letterbox else ("cropped, resized" if not np.isnan(box).any() else "resized")
        b.set_title(f"network input {out.shape[1]}x{out.shape[0]} ({how})", fontsize=9)
        for ax in (a, b):
            ax.axis("off")
    fig.tight_layout()
    return fig


def augmentation_preview(ds: Dataset, n_images: int = 3, n_draws: int = 3, seed: int = 0):
    """Each row: one training image, then ``n_draws`` augmented versions of it."""
    aug = ds.spec.augmentation
    f = make_augmenter(aug, seed=seed)
    fig, axes = plt.subplots(n_images, n_draws + 1, figsize=(1.5 * (n_draws + 1), 1.6 * n_images),
                             squeeze=False)
    for r in range(n_images):
        img = ds.images[r].astype(np.float32) / 255.0
        axes[r][0].imshow(img)
        axes[r][0].set_title("original", fontsize=8)
        batch = f(np.repeat(img[None], n_draws, axis=0))
        for c in range(n_draws):
            axes[r][c + 1].imshow(np.asarray(batch[c]))
            axes[r][c + 1].set_title(f"draw {c + 1}", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(f"{ds.spec.key} training augmentation: rotation {aug.rotation_deg:g} deg, "
                 f"shift {aug.shift:.0%}, Gaussian noise sigma {aug.noise_sigma:.2f}", fontsize=9)
    fig.tight_layout()
    return fig


def harmonise_preview(before: dict[str, Dataset], after: dict[str, Dataset], n: int = 3):
    """Rows of datasets: ``n`` images as loaded, then the same count as the task feeds them."""
    fig, axes = plt.subplots(len(before), 2 * n, figsize=(2.0 * 2 * n, 2.2 * len(before)), squeeze=False)
    for row, key in enumerate(before):
        for j in range(n):
            for col, ds, tag in ((j, before[key], "loaded"), (n + j, after[key], "harmonised")):
                ax = axes[row, col]
                ax.imshow(ds.images[j % len(ds)])
                ax.set_axis_off()
                if j == 0:
                    ax.set_title(f"{key}: {tag}", fontsize=8, loc="left")
    fig.tight_layout()
    return fig
