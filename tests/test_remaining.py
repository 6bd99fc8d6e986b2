"""What remains of a long run: each block's estimate comes from its own finished folds, else
from the epoch benchmark scaled by how measured folds compare with it, else it is counted
apart (never guessed)."""
import json

import pandas as pd
import pytest

from medlib.experiments import provenance
from medlib.experiments.remaining import estimate, remaining_text
from medlib.experiments.transfer import plan


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    planned = plan("extended", datasets=["cov_ct"], networks=["xception", "resnet50", "vgg19"],
                   strategies=["scratch"])
    for job, seconds in zip([j for j in planned if j.network == "xception"][:2], (100.0, 200.0)):
        job.result_path().parent.mkdir(parents=True, exist_ok=True)
        job.result_path().write_text(json.dumps({"config_hash": provenance.config_hash(job.config()),
                                                 "status": "ok", "seconds": seconds, "epochs_run": 30}))
    bench = tmp_path / "results" / "bench"
    bench.mkdir(parents=True)
    pd.DataFrame([{"network": "xception", "precision": "mixed_bfloat16", "epoch_s": 2.5},
                  {"network": "resnet50", "precision": "float32", "epoch_s": 10.0},
                  {"network": "vgg19", "precision": "float32", "epoch_s": 5.0}]).to_csv(bench / "epoch_cov_ct.csv")
    return planned


def test_each_block_is_estimated_from_its_best_evidence(jobs):
    t = estimate(jobs).set_index("network")
    assert t.loc["xception", "remaining"] == 3
    assert t.loc["xception", "seconds_per_fold"] == pytest.approx(150.0)  # its own folds' mean
    assert t.loc["xception", "basis"] == "measured"
    # COV_CT trains a fixed 30 epochs: 10 s an epoch from the benchmark, times 2 because
    # Xception's measured folds (150 s) took twice its benchmark's 30 x 2.5 s
    assert t.loc["resnet50", "seconds_per_fold"] == pytest.approx(600.0)
    assert t.loc["resnet50", "basis"] == "epoch benchmark"
    # VGG19 trains in mixed_bfloat16: a float32 benchmark row does not stand for it
    assert t.loc["vgg19", "basis"] == "" and pd.isna(t.loc["vgg19", "seconds_per_fold"])


def test_the_text_names_what_it_cannot_estimate(jobs):
    text = remaining_text(jobs)
    assert text.startswith("13 fold jobs remain: 3 folds about 0.1 h (measured); 5 folds about 0.8 h")
    assert text.endswith("5 in blocks not yet timed: cov_ct vgg19 scratch (5)")


def test_a_stale_fold_file_counts_as_remaining(jobs):
    job = next(j for j in jobs if j.network == "xception")
    job.result_path().write_text(json.dumps({"config_hash": "old", "status": "ok", "seconds": 1.0}))
    assert estimate(jobs).set_index("network").loc["xception", "remaining"] == 4

