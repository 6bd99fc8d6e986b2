"""The cross-validation engine on real Cells2 images (smoke profile).

* every paper network trains from scratch, and off-the-shelf where ImageNet
  weights exist (Xception, MobileNetV2 offline); the others are 'not run';
* a run that fails mid-way resumes: finished folds are not retrained and the
  final table equals an uninterrupted run;
* same seed twice -> identical metrics on CPU.
"""
import json

import pandas as pd
import pytest

from medlib.experiments import transfer
from medlib.experiments.transfer import run_experiment
from medlib.models import PAPER_NETWORKS

pytestmark = pytest.mark.usefixtures("mirror")
FAST = ("mobilenetv2",)
METRIC_COLS = ["dataset", "network", "strategy", "fold", "status", "accuracy", "sensitivity",
               "specificity", "auc", "f1", "mcc", "epochs_run"]


def _table(df):
    return df[METRIC_COLS].sort_values(["network", "strategy", "fold"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke_all(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDLIB_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
    df = run_experiment("smoke", progress=False)
    yield df
    mp.undo()


def test_every_network_and_strategy_runs_on_real_images(smoke_all):
    df = smoke_all
    assert set(df.network) == set(PAPER_NETWORKS)
    scratch = df[df.strategy == "scratch"]
    assert (scratch.status == "ok").all() and len(scratch) == 2 * len(PAPER_NETWORKS)
    ots = df[df.strategy == "off_the_shelf"].set_index(["network", "fold"])
    for net in ("xception", "mobilenetv2"):
        assert (ots.loc[net].status == "ok").all() and ots.loc[net].features_cached.all()
    for net in ("vgg19", "ff_vgg19", "resnet50", "inceptionv3", "densenet121", "nasnetmobile"):
        rows = ots.loc[net]
        assert (rows.status == "not run").all()
        assert rows.reason.str.contains("no ImageNet weights").all()
        assert rows.accuracy.isna().all()  # no number for a model that was not trained
    ok = df[df.status == "ok"]
    assert ok.accuracy.between(0, 100).all() and (ok.n_test > 0).all()
    assert {"seconds", "tensorflow", "keras", "input_size"} <= set(df.columns)


def test_resume_after_failure_skips_finished_folds(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "ref"))
    reference = _table(run_experiment("smoke", networks=FAST, progress=False))

    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "crash"))
    real_run_fold, calls = transfer.run_fold, []

    def crashing(job, *a, **k):
        calls.append(job)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill in the middle of the run")
        return real_run_fold(job, *a, **k)

    monkeypatch.setattr(transfer, "run_fold", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_experiment("smoke", networks=FAST, progress=False)
    done = sorted((tmp_path / "crash").rglob("fold*.json"))
    assert len(done) == 2
    stamps = {p: p.stat().st_mtime_ns for p in done}

    calls.clear()
    monkeypatch.setattr(transfer, "run_fold", lambda job, *a, **k: calls.append(job) or real_run_fold(job, *a, **k))
    resumed = _table(run_experiment("smoke", networks=FAST, progress=False))
    assert len(calls) == 2  # only the two unfinished folds ran
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    pd.testing.assert_frame_equal(resumed, reference)


def test_same_seed_same_metrics(tmp_path, monkeypatch):
    tables = []
    for run in ("a", "b"):
        monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / run))
        tables.append(_table(run_experiment("smoke", networks=FAST, strategies=("scratch",), progress=False)))
    pd.testing.assert_frame_equal(*tables)
    row = json.loads(next((tmp_path / "a").rglob("fold0.json")).read_text())
    assert len(row["proba"]) == row["n_test"] == len(row["y_true"])
