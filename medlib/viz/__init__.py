"""Figures: every PNG in figures/ is written by a function here, through :func:`save`."""
from __future__ import annotations

from pathlib import Path

from .. import config


def save(fig, name: str, folder: Path | None = None, dpi: int = 110) -> Path:
    """Write ``fig`` as ``figures/<name>.png`` with no timestamp, so reruns give the same file."""
    import matplotlib.pyplot as plt

    folder = folder or config.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path
