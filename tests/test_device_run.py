"""The device runner, end to end on this CPU: pack the arrays a selection of fold jobs needs,
run them in a separate process under Keras on JAX with no data mirror (as on a lent GPU
that has neither TensorFlow nor the raw data), and unpack the returned fold files."""
import json
import os
import subprocess
import sys
import tarfile

import pytest

from medlib import config

pytest.importorskip("jax")
pytestmark = pytest.mark.usefixtures("mirror")
SCRIPT = str(config.PROJECT_ROOT / "scripts" / "device_run.py")


@pytest.mark.slow
def test_pack_execute_unpack(tmp_path):
    env = {**os.environ, "MEDLIB_DEVICE_PACK": str(tmp_path / "pack"), "MEDLIB_PROGRESS": "off",
           "MEDLIB_RESULTS_DIR": str(tmp_path / "here"), "MEDLIB_CACHE_DIR": str(tmp_path / "cache")}
    sel = ["--profile", "smoke", "--datasets", "cells2", "--networks", "mobilenetv2"]
    packed = subprocess.run([sys.executable, SCRIPT, "pack", *sel, "--no-wheels"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert packed.returncode == 0, packed.stderr[-2000:]
    assert "command:" in packed.stdout and "execute --profile smoke" in packed.stdout
    assert list((tmp_path / "pack" / "arrays").glob("cells2-75x75-pc4.npz"))
    assert list((tmp_path / "pack" / "weights").glob("mobilenet*.h5"))

    device = {**env, "KERAS_BACKEND": "jax", "MEDLIB_DATA_MIRROR": str(tmp_path / "nothing"),
              "MEDLIB_RESULTS_DIR": str(tmp_path / "device"), "OUT": str(tmp_path / "out")}
    ran = subprocess.run([sys.executable, SCRIPT, "execute", *sel, "--budget-s", "600"], env=device,
                         capture_output=True, text=True, timeout=1200)
    assert ran.returncode == 0, ran.stderr[-3000:]
    archive = tmp_path / "out" / "folds.tar.gz"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert any(n.endswith("scratch/dense/fold0.json") for n in names)
    assert (tmp_path / "out" / "throughput.csv").exists()

    unpacked = subprocess.run([sys.executable, SCRIPT, "unpack", str(archive), "--profile", "smoke"], env=env,
                              capture_output=True, text=True, timeout=120)
    assert unpacked.returncode == 0 and "new fold file" in unpacked.stdout
    rows = [json.loads(p.read_text()) for p in (tmp_path / "here" / "smoke").rglob("fold*.json") if ".pred" not in p.name]
    ok = [r for r in rows if r["status"] == "ok"]
    assert ok and all(r["backend"] == "jax" for r in ok)
    assert {r["strategy"] for r in ok} == {"scratch", "off_the_shelf"}  # the packed weights were used
