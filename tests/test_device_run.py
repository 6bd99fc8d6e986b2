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


def _script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("device_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Job:
    def __init__(self, root, name, done):
        self.path, self.done = root / "runs" / f"{name}.json", done

    def is_done(self):
        return self.done

    def result_path(self):
        return self.path

    def predictions_path(self):
        return self.path.with_suffix(".pred.json")


def _fold(job, profile="extended"):
    job.path.parent.mkdir(parents=True, exist_ok=True)
    job.predictions_path().write_text("{}")
    job.path.write_text(json.dumps({"profile": profile}))


def test_the_archive_holds_only_finished_folds_and_replaces_the_last_whole(tmp_path):
    device_run = _script()
    finished, stale = _Job(tmp_path, "fold0", True), _Job(tmp_path, "fold1", False)
    _fold(finished)
    _fold(stale)
    target = tmp_path / "out" / "folds.tar.gz"
    target.parent.mkdir()
    assert device_run.archive([finished, stale, _Job(tmp_path, "fold2", False)], tmp_path, target) == 2
    with tarfile.open(target) as tar:
        assert sorted(tar.getnames()) == ["runs/fold0.json", "runs/fold0.pred.json"]
    assert [p.name for p in target.parent.iterdir()] == ["folds.tar.gz"]  # no temporary left


def test_unpack_refuses_folds_of_another_profile(tmp_path, monkeypatch):
    device_run = _script()
    job = _Job(tmp_path / "device", "fold0", True)
    _fold(job, profile="extended")
    target = tmp_path / "folds.tar.gz"
    device_run.archive([job], tmp_path / "device", target)
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "here"))
    with pytest.raises(SystemExit, match="unpack with --profile extended"):
        device_run.main(["unpack", str(target), "--profile", "full"])
    assert device_run.main(["unpack", str(target), "--profile", "extended"]) == 0
    assert (tmp_path / "here" / "extended" / "runs" / "fold0.json").exists()


def test_no_fold_starts_after_the_deadline(tmp_path, monkeypatch, capsys):
    import time

    from medlib.experiments.transfer import plan, run_jobs

    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    jobs = plan("smoke", datasets=["cells2"], networks=["mobilenetv2"], strategies=["scratch"])
    run_jobs(jobs, progress=False, deadline=time.monotonic())
    assert f"time is up: {len(jobs)} fold job(s) not started stay pending" in capsys.readouterr().out
    assert not any(j.result_path().exists() for j in jobs)


def test_fine_tuning_takes_its_imagenet_weights_along():
    from medlib import strategies
    from medlib.profiles import get_profile

    weights_needed = _script().weights_needed

    blocks = [b for b in get_profile("extended").blocks if b.dataset == "cov_ct"]
    tuned = [b for b in blocks if strategies.is_(b, "fine_tune")]
    assert weights_needed(tuned) == ["mobilenetv2", "xception"]
    assert weights_needed(tuned, ["xception"]) == ["xception"]
    assert weights_needed([b for b in blocks if strategies.is_(b, "scratch")]) == []
