"""Shared fixtures. Real-data tests read the mirror (MEDLIB_DATA_MIRROR or ../shared/data)."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from medlib import config


@pytest.fixture(scope="session")
def mirror():
    path = config.mirror_dir()
    if path is None or not path.is_dir():
        pytest.skip("no data mirror: set MEDLIB_DATA_MIRROR (CI uses ../shared/data)")
    return path


@pytest.fixture
def isolated_dirs(tmp_path, monkeypatch):
    """Point downloads and caches at a temporary folder, with no mirror."""
    monkeypatch.setenv("MEDLIB_DATA_MIRROR", str(tmp_path / "no-mirror"))
    monkeypatch.setenv("MEDLIB_DATA_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def execute_notebook(name: str, out, **parameters) -> dict:
    """Run ``notebooks/<name>`` with papermill (the project's kernel, warnings quiet) and
    return the executed notebook as JSON: what a user's ``make reproduce`` would render."""
    import json
    import warnings

    import papermill as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm.execute_notebook(config.PROJECT_ROOT / "notebooks" / name, out, parameters=parameters,
                            kernel_name="python3", progress_bar=False,
                            cwd=str(config.PROJECT_ROOT / "notebooks"))
    return json.loads(out.read_text())
