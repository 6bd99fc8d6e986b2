"""Figures: every PNG in figures/ is written by a function here, under the one file name
:data:`FIGURES` gives its figure (notebooks name the figure, never its file)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from .. import config

# figure -> its file name (a template: fields filled by the caller, e.g. the dataset); read-only
FIGURES: Mapping[str, str] = MappingProxyType({
    "class_balance": "01_class_balance",
    "samples": "01_samples_{dataset}",
    "preprocessing": "01_preprocessing",
    "augmentation": "01_augmentation_{dataset}",
    "learning_curves_scratch": "02_learning_curves_scratch",
    "learning_curves_heads": "02_learning_curves_heads",
    "fig3_strategy_change": "02_fig3_strategy_change{profile_suffix}",
    "fig4_accuracy_by_network": "02_fig4_accuracy_by_network{profile_suffix}",
    "forest_scratch_vs_off_the_shelf": "forest_scratch_vs_off_the_shelf_{profile}",
    "arms_pairwise": "02_arms_pairwise_{profile}",
    "harmonised_ct": "03_harmonised_ct",
    "cross_device_drop": "03_cross_device_drop",
    "roc_in_vs_cross": "03_roc_in_vs_cross",
    "feature_maps": "04_feature_maps_{dataset}_{network}",
    "overlays": "05_overlays_{name}",
    "modality_table3": "05_modality_table3_{network}",
    "modality_overlays": "05_modality_overlays_{network}",
    "modality_score_distributions": "05_modality_score_distributions_{network}",
    "modality_class_crm": "05_modality_class_crm_{network}",
    "sanity_spearman": "05_sanity_spearman",
    "sanity_ssim": "05_sanity_ssim",
    "sanity_maps": "05_sanity_maps",
    "faithfulness_modality": "05_faithfulness_modality",
    "bccd_methods": "05_bccd_methods",
    "bccd_ranking": "05_bccd_ranking",
})


def save(fig, name: str, folder: Path | None = None, dpi: int = 110) -> Path:
    """Write ``fig`` as ``<folder>/<name>.png`` with no timestamp, so reruns give the same file."""
    import matplotlib.pyplot as plt

    folder = folder or config.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def save_figure(fig, figure: str, folder: Path | None = None, dpi: int = 110, **fields) -> Path:
    """Write ``fig`` under the file name :data:`FIGURES` gives ``figure`` (its ``fields`` filled)."""
    try:
        template = FIGURES[figure]
    except KeyError:
        raise KeyError(f"unknown figure {figure!r}; known: {', '.join(FIGURES)}") from None
    return save(fig, template.format(**fields), folder, dpi)


def profile_suffix(profile: str | None) -> str:
    """``_<profile>`` for a figure drawn from another profile's results than the run's own, else ''."""
    return f"_{profile}" if profile else ""


__all__ = ["FIGURES", "save", "save_figure", "profile_suffix"]
