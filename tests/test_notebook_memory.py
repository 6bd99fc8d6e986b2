"""scripts/notebook_memory.py on a tiny notebook: parameters injected, one row per code cell, a
cell that allocates shows it in its peak."""
import importlib.util
import json
import os
import re
import subprocess
import sys
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
    # its own process under glibc's malloc, as the script says to run it: a caching allocator
    # preloaded for the test suite (scripts/allocator.sh) keeps freed memory resident
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MALLOC_CONF")}
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "notebook_memory.py"), str(nb), "--profile",
                          "quick", "--set", "N=3"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    rows = [re.match(r"cell +(\d+) .* peak +([\d.]+) GiB +after +([\d.]+) GiB", line) for line in lines]
    rows = [(int(m[1]), float(m[2]), float(m[3])) for m in rows if m]
    assert [r[0] for r in rows] == [0, 1, 2]
    assert rows[1][1] - rows[1][2] > 0.25  # 384 MiB held, then freed, within the cell
    assert lines[-1].startswith("highest: cell 1")


def test_a_caching_allocator_is_named_beside_the_rows(tmp_path, monkeypatch):
    nb = tmp_path / "tiny.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": ["x = 1"]}],
                              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4")
    lines = []
    _module().run(nb, {}, out=lines.append)
    assert lines[0].startswith("note: a caching allocator is preloaded")
