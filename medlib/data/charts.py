"""Statistical graphs, rendered by medlib: the CRM paper's seventh modality class.

Kim et al. 2019 include "statistical graphs" from publications among their image
modalities. No such set is offline here, so charts of the kinds a medical paper
prints are drawn with matplotlib from seeded random data: bar, line, scatter,
box, histogram and Venn-like diagrams, each with axes, tick labels, a title and
a legend or annotation. Chart ``i`` is a pure function of ``(i, seed)``: the same
files come back on every machine. They are written as PNG into a cache folder,
never committed.
"""
from __future__ import annotations

import string
from pathlib import Path

import numpy as np

KINDS = ("bar", "line", "scatter", "box", "histogram", "venn")


def _words(rng, n: int) -> list[str]:
    return ["".join(rng.choice(list(string.ascii_lowercase), rng.integers(3, 8))).capitalize()
            for _ in range(n)]


def render(i: int, seed: int = 0, size_px: int = 256):
    """Chart number ``i`` as an RGB uint8 array (size_px x size_px)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng([seed, i])
    kind = KINDS[i % len(KINDS)]
    dpi = 64
    fig, ax = plt.subplots(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rng.shuffle(colours)
    if kind == "bar":
        labels = _words(rng, rng.integers(3, 7))
        ax.bar(labels, rng.uniform(1, 10, len(labels)), color=colours[:len(labels)],
               yerr=rng.uniform(0, 1, len(labels)))
    elif kind == "line":
        x = np.arange(rng.integers(5, 20))
        for k in range(rng.integers(1, 4)):
            ax.plot(x, np.cumsum(rng.normal(0, 1, len(x))), marker="o", ms=3, label=f"group {k + 1}")
        ax.legend(fontsize=6)
    elif kind == "scatter":
        n = rng.integers(20, 120)
        x = rng.normal(0, 1, n)
        ax.scatter(x, 0.6 * x + rng.normal(0, 1, n), s=8, color=colours[0])
        ax.text(0.05, 0.9, f"r = {rng.uniform(0.2, 0.9):.2f}", transform=ax.transAxes, fontsize=7)
    elif kind == "box":
        groups = rng.integers(2, 5)
        ax.boxplot([rng.normal(rng.uniform(0, 3), 1, 40) for _ in range(groups)],
                   tick_labels=_words(rng, groups))
    elif kind == "histogram":
        ax.hist(rng.gamma(rng.uniform(1, 5), 1, 300), bins=int(rng.integers(8, 30)), color=colours[0])
    else:  # venn-like: two or three overlapping circles with counts
        n = int(rng.integers(2, 4))
        for k in range(n):
            centre = (0.4 + 0.25 * np.cos(2 * np.pi * k / n), 0.5 + 0.2 * np.sin(2 * np.pi * k / n))
            ax.add_patch(plt.Circle(centre, 0.3, alpha=0.4, color=colours[k]))
            ax.text(*centre, str(rng.integers(5, 99)), ha="center", fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    ax.set_title(" ".join(_words(rng, 2)), fontsize=8)
    ax.tick_params(labelsize=6)
    ax.set_xlabel(_words(rng, 1)[0], fontsize=7)
    ax.set_ylabel(_words(rng, 1)[0], fontsize=7)
    fig.tight_layout()
    fig.canvas.draw()
    out = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return out


def ensure_charts(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Charts 0..n-1 as ``folder/chart_<i>_<kind>.png``, rendered once."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"chart_{i:04d}_{KINDS[i % len(KINDS)]}.png"
        if not path.exists():
            tmp = path.with_suffix(".tmp.png")
            Image.fromarray(render(i, seed)).save(tmp)
            tmp.replace(path)
        paths.append(path)
    return paths
