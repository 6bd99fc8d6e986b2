"""scripts/notebook_memory.py on a tiny notebook: parameters injected, one row per code cell, a
cell that allocates shows it in its peak."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("notebook_memory", ROOT / "scripts" / "notebook_memory.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_each_code_cell_gets_its_peak_and_parameters_are_injected(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["PROFILE = 'smoke'\n", "N = 1"]},
        {"cell_type": "code", "metadata": {}, "source": ["import time\n", "import numpy as np\n",
                                                         "x = np.ones(N * 2**27 // 8)\n",  # 128 MiB at N=1
                                                         "time.sleep(0.3)\n",  # sampled every 50 ms
                                                         "del x\n", "seen = (PROFILE, N)"]},
        {"cell_type": "code", "metadata": {}, "source": ["assert seen == ('quick', 3), seen"]},
    ]
    nb = tmp_path / "tiny.ipynb"
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    lines = []
    rows = _module().run(nb, {"PROFILE": "quick", "N": 3}, out=lines.append)
    assert [r["cell"] for r in rows] == [0, 1, 2]
    assert rows[1]["peak_gib"] - rows[1]["after_gib"] > 0.25  # 384 MiB held, then freed, within the cell
    assert lines[-1].startswith("highest: cell 1")
