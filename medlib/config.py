"""Where medlib reads data from and writes results to, and the one seed.

Every location can be overridden by an environment variable so the same code
runs in a checkout, in CI and on a cluster:

* ``MEDLIB_DATA_MIRROR``: a local mirror of the upstream datasets (one folder
  per dataset, upstream layout). Default: ``../shared/data`` beside the
  checkout when it exists. When a dataset is found there nothing is downloaded.
* ``MEDLIB_DATA_DIR``: where downloads are unpacked (default ``data/raw``).
* ``MEDLIB_CACHE_DIR``: preprocessed-array cache (default ``data/cache``).
* ``MEDLIB_RESULTS_DIR`` / ``MEDLIB_FIGURES_DIR``: outputs (``results/``, ``figures/``;
  the smoke profile writes to ``build/smoke/`` instead).
"""
from __future__ import annotations

import os
import random
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 20221


def _env_path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def mirror_dir() -> Path | None:
    """The configured data mirror, or None when there is none."""
    value = os.environ.get("MEDLIB_DATA_MIRROR")
    if value:
        return Path(value).expanduser().resolve()
    default = PROJECT_ROOT.parent / "shared" / "data"
    return default if default.is_dir() else None


def data_dir() -> Path:
    return _env_path("MEDLIB_DATA_DIR", PROJECT_ROOT / "data" / "raw")


def cache_dir() -> Path:
    return _env_path("MEDLIB_CACHE_DIR", PROJECT_ROOT / "data" / "cache")


def _profile_dir(var: str, name: str, profile: str | None) -> Path:
    # The smoke profile (tests, nbval) writes under build/smoke/ so that running the
    # tests never overwrites the committed quick-profile figures and results.
    # Results of each profile live apart (results/quick, results/extended, ...); the
    # committed figures/ are the quick profile's, another profile writes figures/<profile>.
    if profile == "smoke" and not os.environ.get(var):
        return PROJECT_ROOT / "build" / "smoke" / name
    base = _env_path(var, PROJECT_ROOT / name)
    if name == "results" and profile:
        return base / profile
    if name == "figures" and profile not in (None, "quick"):
        return base / profile
    return base


def results_dir(profile: str | None = None) -> Path:
    return _profile_dir("MEDLIB_RESULTS_DIR", "results", profile)


def figures_dir(profile: str | None = None) -> Path:
    return _profile_dir("MEDLIB_FIGURES_DIR", "figures", profile)


def set_seed(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and (if imported) TensorFlow/Keras from one number."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import numpy as np

    np.random.seed(seed)
    try:
        import keras

        keras.utils.set_random_seed(seed)
    except ImportError:  # data-only use without TensorFlow
        pass
