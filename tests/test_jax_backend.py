"""Backend-neutral training: the smoke fold jobs run under Keras 3 on JAX (the GPU route, where
TensorFlow cannot go), in a subprocess because a Keras backend is fixed per process."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("jax")
pytestmark = pytest.mark.usefixtures("mirror")


@pytest.mark.slow
def test_smoke_fold_jobs_run_under_jax(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "MEDLIB_RESULTS_DIR": str(tmp_path), "MEDLIB_PROGRESS": "off"}
    done = subprocess.run([sys.executable, "-m", "medlib", "run", "--profile", "smoke", "--networks",
                           "mobilenetv2", "ff_vgg19"], env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(p.read_text()) for p in tmp_path.rglob("fold*.json") if ".pred" not in p.name]
    ok = [r for r in rows if r["status"] == "ok"]
    assert {(r["network"], r["strategy"], r["head"]) for r in ok} == {
        ("mobilenetv2", "scratch", "dense"), ("ff_vgg19", "scratch", "dense"),
        ("mobilenetv2", "off_the_shelf", "dense"), ("mobilenetv2", "off_the_shelf", "logreg")}
    assert all(r["backend"] == "jax" and "jax" in r for r in ok)
    assert all(0 <= r["accuracy"] <= 100 and 0 <= r["majority"] <= 100 and "diagnosis" in r for r in ok)
    assert all(r["history"] for r in ok if r["head"] == "dense")
    not_run = [r for r in rows if r["status"] == "not run"]
    assert {r["network"] for r in not_run} == {"ff_vgg19"}  # no VGG19 ImageNet weights offline
