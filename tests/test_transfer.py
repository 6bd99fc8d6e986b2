"""The fold-job engine on real Cells2 images (smoke profile).

* every paper network trains from scratch, and off-the-shelf where ImageNet weights
  exist (Xception, MobileNetV2 offline) with both heads; the others are 'not run';
* every row carries its floor and a diagnosis; curves and predictions are kept;
* a run that fails mid-way resumes: finished folds are not retrained and the final
  table equals an uninterrupted run; same seed twice -> identical metrics on CPU;
* shards split the plan into disjoint parts that cover it.
"""
import json
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from medlib import profiles, strategies
from medlib.diagnose import majority_rate
from medlib.experiments import engine, provenance, transfer
from medlib.experiments.transfer import FoldJob, collect, learning_curves, plan, run_experiment, select_shard
from medlib.models import PAPER_NETWORKS

pytestmark = pytest.mark.usefixtures("mirror")
FAST = ("mobilenetv2",)
METRIC_COLS = ["dataset", "network", "strategy", "head", "fold", "status", "accuracy", "auc", "majority",
               "diagnosis", "epochs_run"]


def _table(df):
    return df[METRIC_COLS].sort_values(["network", "strategy", "head", "fold"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke_all(tmp_path_factory):
    """The smoke profile with all eight networks trained from scratch."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDLIB_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
    smoke = profiles.get_profile("smoke")
    blocks = [replace(b, networks=PAPER_NETWORKS) if strategies.is_(b, "scratch") else b for b in smoke.blocks]
    mp.setattr(profiles, "PROFILES", MappingProxyType({**profiles.PROFILES, "smoke": smoke.with_blocks(blocks)}))
    df = run_experiment("smoke", progress=False)
    yield df
    mp.undo()


@pytest.mark.slow
def test_every_network_and_strategy_runs_on_real_images(smoke_all):
    df = smoke_all
    assert set(df.network) == set(PAPER_NETWORKS)
    scratch = df[df.strategy.eq("scratch")]
    assert (scratch.status == "ok").all() and len(scratch) == 2 * len(PAPER_NETWORKS)
    ots = df[df.strategy.eq("off_the_shelf")].set_index(["network", "head", "fold"])
    for net in ("xception", "mobilenetv2"):
        assert (ots.loc[net].status == "ok").all()
        assert set(ots.loc[net].index.get_level_values("head")) == {"dense", "logreg"}
    for net in ("vgg19", "ff_vgg19", "resnet50", "inceptionv3", "densenet121", "nasnetmobile"):
        rows = ots.loc[net]
        assert (rows.status == "not run").all()
        assert rows.reason.str.contains("no ImageNet weights").all()
        assert not rows.reason.str.contains(r"(?:^|\s)/\w").any()  # no machine path in a committed table
        assert rows.accuracy.isna().all()  # no number for a model that was not trained
    ok = df[df.status == "ok"]
    assert ok.accuracy.between(0, 100).all() and (ok.n_test > 0).all()
    assert {"seconds", "keras", "backend", "input_size", "majority", "diagnosis"} <= set(df.columns)


@pytest.mark.slow
def test_rows_carry_their_floor_diagnosis_curve_and_predictions(smoke_all, tmp_path):
    ok = smoke_all[smoke_all.status == "ok"]
    job = FoldJob("cells2", "mobilenetv2", "scratch", 0, "smoke")
    pred = transfer.load_predictions(job)
    assert ok.set_index(["network", "strategy", "head", "fold"]).loc[("mobilenetv2", "scratch", "dense", 0), "majority"] \
        == pytest.approx(majority_rate(pred["y_true"]))
    # a fold within 5 points of its floor always says why
    at_floor = ok[ok.accuracy - ok.majority <= 5]
    assert (at_floor.diagnosis.str.len() > 0).all()
    curves = learning_curves("smoke")
    assert {"epoch", "loss", "val_loss", "accuracy", "val_accuracy"} <= set(curves.columns)
    assert set(curves.strategy) == {"scratch", "off_the_shelf"}
    assert len(pred["proba"]) == len(pred["y_true"]) == ok.set_index(
        ["network", "strategy", "head", "fold"]).loc[("mobilenetv2", "scratch", "dense", 0), "n_test"]
    row = json.loads(job.result_path().read_text())
    assert "proba" not in row and row["history"]  # the committed file: no arrays but the curve


@pytest.mark.slow
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
    done = sorted(p for p in (tmp_path / "crash").rglob("fold*.json") if ".pred" not in p.name)
    assert len(done) == 2
    stamps = {p: p.stat().st_mtime_ns for p in done}

    calls.clear()
    monkeypatch.setattr(transfer, "run_fold", lambda job, *a, **k: calls.append(job) or real_run_fold(job, *a, **k))
    resumed = _table(run_experiment("smoke", networks=FAST, progress=False))
    assert len(calls) == len(reference) - 2  # only the unfinished folds ran
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    pd.testing.assert_frame_equal(resumed, reference)


@pytest.mark.slow
def test_same_seed_same_metrics(tmp_path, monkeypatch):
    tables = []
    for run in ("a", "b"):
        monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / run))
        tables.append(_table(run_experiment("smoke", networks=FAST, strategies=("scratch",), progress=False)))
    pd.testing.assert_frame_equal(*tables)


def test_shards_are_disjoint_and_cover_the_plan():
    jobs = plan("quick")
    shards = [select_shard(jobs, f"{i}/4") for i in range(4)]
    assert sorted(map(repr, (j for s in shards for j in s))) == sorted(map(repr, jobs))
    assert not set(shards[0]) & set(shards[1])
    assert select_shard(jobs, f"1/4") == select_shard(plan("quick"), "1/4")  # same on every machine
    with pytest.raises(ValueError):
        select_shard(jobs, "4/4")


def test_collect_reads_fold_files_and_diagnoses_groups(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    for fold, acc in enumerate((70.0, 40.0)):  # mean 55 vs floor 52: the group sits at its floor
        job = FoldJob("cells2", "mobilenetv2", "scratch", fold, "smoke")
        engine.write_atomic(job.result_path(), {"dataset": "cells2", "network": "mobilenetv2", "strategy": "scratch",
                                           "head": "dense", "fold": fold, "status": "ok", "accuracy": acc,
                                           "majority": 52.0, "diagnosis": "", "history": [{"epoch": 1}],
                                           "config_hash": provenance.config_hash(job.config())})
    cross = FoldJob("cov_ct@covid_ct", "mobilenetv2", "off_the_shelf", 0, "smoke")  # notebook 03's
    engine.write_atomic(cross.result_path(), {"dataset": "cov_ct@covid_ct", "network": "mobilenetv2",
                                         "strategy": "off_the_shelf", "head": "dense", "fold": 0, "status": "ok",
                                         "accuracy": 80.0, "majority": 52.0, "diagnosis": "",
                                         "history": [{"epoch": 1}]})
    df = collect("smoke")
    assert len(df) == 2 and "history" not in df and set(df.dataset) == {"cells2"}
    assert df.diagnosis.str.startswith("group at its floor").all()
    assert np.isfinite(df.accuracy).all()
    assert set(learning_curves("smoke")["dataset"]) == {"cells2"}
