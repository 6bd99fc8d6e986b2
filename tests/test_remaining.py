"""What remains of a long run: each block's estimate comes from its own finished folds (those
of this CPU's kind first), else from the epoch benchmark scaled by how measured folds compare
with it, else it is counted apart (never guessed)."""
import json

import pandas as pd
import pytest

from medlib.experiments import provenance
from medlib.experiments.remaining import epoch_benchmark, estimate, remaining_text, scaling_check
from medlib.experiments.transfer import FoldJob, plan


def _finish(job, seconds, epochs_run, cpu_kind=None, **row):
    job.result_path().parent.mkdir(parents=True, exist_ok=True)
    job.result_path().write_text(json.dumps({"config_hash": provenance.config_hash(job.config()), "status": "ok",
                                             "seconds": seconds, "epochs_run": epochs_run, "cpu_kind": cpu_kind,
                                             **row}))


def _bench(tmp_path, dataset, rows):
    bench = tmp_path / "results" / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(bench / f"epoch_{dataset}.csv", index=False)


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    planned = [j for j in plan("extended", datasets=["cov_ct"], networks=["xception", "resnet50", "vgg19"],
                               strategies=["scratch"]) if j.replicate == 0]  # first seeds only
    for job, seconds in zip([j for j in planned if j.network == "xception"][:2], (100.0, 200.0)):
        _finish(job, seconds, 30)
    row = dict(size=112, batch=16)
    _bench(tmp_path, "cov_ct", [dict(network="xception", precision="mixed_bfloat16", epoch_s=2.5, **row),
                                dict(network="resnet50", precision="float32", epoch_s=10.0, **row),
                                dict(network="vgg19", precision="float32", epoch_s=5.0, **row)])
    return planned


def test_each_block_is_estimated_from_its_best_evidence(jobs):
    t = estimate(jobs).set_index("network")
    assert t.loc["xception", "remaining"] == 3
    assert t.loc["xception", "seconds_per_fold"] == pytest.approx(150.0)  # its own folds' mean
    assert t.loc["xception", "basis"] == "measured, CPU unrecorded"
    # COV_CT trains a fixed 30 epochs: 10 s an epoch from the benchmark, times 2 because
    # Xception's measured folds (150 s) took twice its benchmark's 30 x 2.5 s
    assert t.loc["resnet50", "seconds_per_fold"] == pytest.approx(600.0)
    assert t.loc["resnet50", "basis"] == "epoch benchmark"
    # VGG19 trains in mixed_bfloat16: a float32 benchmark row does not stand for it
    assert t.loc["vgg19", "basis"] == "" and pd.isna(t.loc["vgg19", "seconds_per_fold"])


def test_the_text_names_what_it_cannot_estimate(jobs):
    text = remaining_text(jobs, cpu_kind="avx512_bf16")
    assert text.startswith("13 fold jobs remain (this CPU: avx512_bf16): 3 folds about 0.1 h "
                           "(measured, CPU unrecorded); 5 folds about 0.8 h")
    assert text.endswith("5 in blocks not yet timed: cov_ct vgg19 scratch (5)")


def test_a_filtered_list_keeps_the_calibration_of_the_whole_profile(jobs):
    resnet = [j for j in jobs if j.network == "resnet50"]
    alone = estimate(resnet).set_index("network").loc["resnet50"]
    assert alone["basis"] == "epoch benchmark (unscaled)" and alone["seconds_per_fold"] == pytest.approx(300.0)
    calibrated = estimate(resnet, reference=jobs).set_index("network").loc["resnet50"]
    assert calibrated["basis"] == "epoch benchmark" and calibrated["seconds_per_fold"] == pytest.approx(600.0)


def test_under_early_stopping_the_epochs_are_those_the_dataset_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    planned = plan("extended", datasets=["cells2"], networks=["xception", "resnet50"], strategies=["scratch"])
    for job, epochs in zip([j for j in planned if j.network == "xception"][:2], (20, 40)):
        _finish(job, 4.0 * epochs, epochs)  # 4 s an epoch, measured
    _bench(tmp_path, "cells2", [dict(network="xception", precision="mixed_bfloat16", size=100, batch=16, epoch_s=2.0),
                                dict(network="resnet50", precision="float32", size=100, batch=16, epoch_s=3.0)])
    t = estimate(planned).set_index("network")
    # 30 epochs run on average (cap 60); measured / benchmark = 120 / 60 = 2
    assert t.loc["resnet50", "seconds_per_fold"] == pytest.approx(3.0 * 30 * 2)
    # a benchmark at another input size does not count
    _bench(tmp_path, "cells2", [dict(network="resnet50", precision="float32", size=112, batch=16, epoch_s=3.0)])
    assert estimate(planned).set_index("network").loc["resnet50", "basis"] == ""


@pytest.fixture
def two_kinds(tmp_path, monkeypatch):
    """COV_CT Xception and ResNet50 (both float32 here) and VGG19: jobs per network."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setattr("medlib.experiments.transfer.FoldJob.config",
                        lambda self, _c=FoldJob.config: {**_c(self), "precision": "float32"})
    planned = [j for j in plan("extended", datasets=["cov_ct"], networks=["xception", "resnet50", "vgg19"],
                               strategies=["scratch"]) if j.replicate == 0]  # first seeds only
    return planned, {n: [j for j in planned if j.network == n] for n in ("xception", "resnet50", "vgg19")}


def test_folds_of_this_cpu_kind_come_first_and_scale_the_others(two_kinds):
    planned, nets = two_kinds
    _finish(nets["xception"][0], 100.0, 30, "avx512_bf16")
    _finish(nets["resnet50"][0], 100.0, 30, "avx512_bf16")
    _finish(nets["resnet50"][1], 500.0, 30, "avx2")
    _finish(nets["resnet50"][2], 1.0, 30)  # a fold of no recorded kind is evidence of neither speed
    _finish(nets["vgg19"][0], 40.0, 30)
    on_avx2 = estimate(planned, cpu_kind="avx2").set_index("network")
    assert on_avx2.loc["resnet50", "basis"] == "measured here"
    assert on_avx2.loc["resnet50", "seconds_per_fold"] == pytest.approx(500.0)
    # ResNet50 ran 5 times slower on AVX2: Xception's AVX512 fold is scaled by that
    assert on_avx2.loc["xception", "basis"] == "measured elsewhere, scaled"
    assert on_avx2.loc["xception", "seconds_per_fold"] == pytest.approx(500.0)
    # a block with only unrecorded folds is not scaled by other blocks' kinds
    assert on_avx2.loc["vgg19", "basis"] == "measured, CPU unrecorded"
    assert on_avx2.loc["vgg19", "seconds_per_fold"] == pytest.approx(40.0)
    on_bf16 = estimate(planned, cpu_kind="avx512_bf16").set_index("network")
    assert on_bf16.loc["xception", "basis"] == "measured here"
    # the faster machine: a ratio below 1 (100 / 500 s an epoch)
    _finish(nets["xception"][0], 500.0, 30, "avx2")
    assert estimate(planned, cpu_kind="avx512_bf16").set_index("network").loc[
        "xception", "seconds_per_fold"] == pytest.approx(100.0)


def test_a_faster_allocator_is_another_machine_kind(two_kinds):
    planned, nets = two_kinds
    _finish(nets["resnet50"][0], 600.0, 30, "avx2")  # glibc: files before the allocator was recorded
    _finish(nets["resnet50"][1], 250.0, 30, "avx2", allocator="tcmalloc")
    _finish(nets["xception"][0], 480.0, 30, "avx2", allocator="glibc")
    assert provenance.trained_on({"cpu_kind": "avx2", "allocator": "tcmalloc"}) == "avx2+tcmalloc"
    assert provenance.trained_on({"cpu_kind": "avx2", "allocator": float("nan")}) == "avx2"
    t = estimate(planned, cpu_kind="avx2+tcmalloc").set_index("network")
    assert (t.loc["resnet50", "basis"], t.loc["resnet50", "seconds_per_fold"]) == ("measured here", 250.0)
    # ResNet50 ran 2.4 times faster under tcmalloc: Xception's glibc fold is scaled by that
    assert t.loc["xception", "basis"] == "measured elsewhere, scaled"
    assert t.loc["xception", "seconds_per_fold"] == pytest.approx(200.0)
    assert remaining_text(planned, cpu_kind="avx2+tcmalloc").startswith(
        "12 fold jobs remain (this CPU: avx2+tcmalloc)")


def test_a_fold_trained_on_an_accelerator_is_not_timed_as_its_hosts_cpu(two_kinds):
    planned, nets = two_kinds
    _finish(nets["resnet50"][0], 10.0, 30, "avx512_bf16", accelerator="NVIDIA H200")
    _finish(nets["resnet50"][1], 500.0, 30, "avx2")
    t = estimate(planned, cpu_kind="avx512_bf16").set_index("network")
    assert t.loc["resnet50", "basis"] == "measured elsewhere"  # neither fold is this CPU's
    # unscaled, only the other CPU's fold counts: the GPU's 10 s would halve the estimate
    assert t.loc["resnet50", "seconds_per_fold"] == pytest.approx(500.0)


def test_a_gpu_fold_alone_does_not_time_a_cpu_fold_unscaled(two_kinds):
    planned, nets = two_kinds
    _finish(nets["resnet50"][0], 10.0, 30, "avx512_bf16", accelerator="NVIDIA H200")
    t = estimate(planned, cpu_kind="avx2").set_index("network")
    assert t.loc["resnet50", "basis"] == ""  # not yet timed for a CPU: counted apart, not guessed
    assert pd.isna(t.loc["resnet50", "seconds_per_fold"])
    on_gpu = estimate(planned, cpu_kind="NVIDIA H200").set_index("network")
    assert (on_gpu.loc["resnet50", "basis"], on_gpu.loc["resnet50", "seconds_per_fold"]) == ("measured here", 10.0)


def test_another_kind_without_a_shared_block_is_used_unscaled(two_kinds):
    planned, nets = two_kinds
    _finish(nets["xception"][0], 300.0, 30, "avx512_bf16")
    t = estimate(planned, cpu_kind="avx2").set_index("network")
    assert t.loc["xception", "basis"] == "measured elsewhere"
    assert t.loc["xception", "seconds_per_fold"] == pytest.approx(300.0)


def test_the_speed_ratio_is_per_epoch_under_early_stopping(two_kinds):
    planned, nets = two_kinds
    _finish(nets["resnet50"][0], 100.0, 10, "avx512_bf16")  # 10 s an epoch
    _finish(nets["resnet50"][1], 600.0, 30, "avx2")  # 20 s an epoch: twice as slow, not 6 times
    _finish(nets["xception"][0], 150.0, 30, "avx512_bf16")
    t = estimate(planned, cpu_kind="avx2").set_index("network")
    assert t.loc["xception", "seconds_per_fold"] == pytest.approx(300.0)


def test_bfloat16_blocks_wait_for_a_cpu_that_has_it(jobs):
    text = remaining_text(jobs, cpu_kind="avx2")
    # Xception and VGG19 train in bfloat16 in this block: counted apart, with their hours there
    assert "(this CPU: avx2): 5 folds about 0.8 h (epoch benchmark)" in text
    assert text.endswith("8 in bfloat16 blocks wait for an AVX512-BF16 CPU (there: 3 folds about 0.1 h "
                         "(measured, CPU unrecorded); 5 in blocks not yet timed: cov_ct vgg19 scratch (5))")
    assert "wait for" not in remaining_text(jobs, cpu_kind="avx512_bf16")


def test_off_the_shelf_blocks_are_never_estimated_from_the_benchmark(jobs):
    ots = plan("extended", datasets=["cov_ct"], networks=["resnet50"], strategies=["off_the_shelf"])
    assert set(estimate(ots)["basis"]) == {""}


def test_a_benchmark_table_without_its_columns_names_the_file(tmp_path):
    (tmp_path / "epoch_cov_ct.csv").write_text("network,epoch_s\nresnet50,10\n")
    with pytest.raises(ValueError, match="epoch_cov_ct.csv"):
        epoch_benchmark("cov_ct", tmp_path)


def test_a_stale_fold_file_counts_as_remaining(jobs):
    job = next(j for j in jobs if j.network == "xception")
    job.result_path().write_text(json.dumps({"config_hash": "old", "status": "ok", "seconds": 1.0}))
    assert estimate(jobs).set_index("network").loc["xception", "remaining"] == 4


def test_a_traced_batchnorm_network_is_estimated_with_the_traced_pass(tmp_path):
    _bench(tmp_path, "cells2", [dict(network="densenet121", precision="mixed_bfloat16", size=100, batch=16,
                                     epoch_s=6.0, batchnorm_s=3.0, batchnorm_traced_s=1.0)])
    bench = epoch_benchmark("cells2", tmp_path / "results" / "bench")
    key = ("densenet121", "mixed_bfloat16", 100, 16)
    assert bench[(*key, "eager")] == 6.0 and bench[(*key, "traced")] == 4.0


@pytest.fixture
def other_datasets(tmp_path, monkeypatch):
    """Xception and MobileNetV2 from scratch (float32) on covid-chestxray, MosMed and the whole
    Cells2 smears; fine-tuning on Cells2: jobs per (dataset, network, strategy)."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    planned = plan("extended", datasets=["covid_chestxray", "mosmed_ct", "cells2", "cells2_smears"],
                   networks=["xception", "mobilenetv2"], strategies=["scratch", "fine_tune"])
    by = {}
    for j in planned:
        by.setdefault((j.dataset, j.network, j.strategy), []).append(j)
    return planned, by


def _sized(job, seconds, epochs, images, side):
    """A fold finished on an AVX2 CPU that records its workload (``images`` trained and validated on)."""
    _finish(job, seconds, epochs, "avx2", n_train=images - images // 10, n_val=images // 10,
            input_size=f"{side}x{side}")


def test_a_block_without_folds_is_priced_from_the_same_network_on_another_dataset(other_datasets):
    planned, by = other_datasets
    # covid-chestxray: 500 training + validation images at 80 px; 60 s an epoch for Xception
    _sized(by["covid_chestxray", "xception", "scratch"][0], 1800.0, 30, 500, 80)
    # MosMed's workload (1000 images at 80 px, twice covid-chestxray's) is read from MobileNetV2's fold
    _sized(by["mosmed_ct", "mobilenetv2", "scratch"][0], 300.0, 30, 1000, 80)
    t = estimate(planned, cpu_kind="avx2").set_index(["dataset", "network", "strategy"])
    mosmed = t.loc[("mosmed_ct", "xception", "scratch")]
    assert mosmed["basis"] == "same network elsewhere, scaled"
    assert mosmed["seconds_per_fold"] == pytest.approx(60.0 * 2 * 30)  # per epoch x workload ratio x 30 epochs
    # whole smears share Cells2's images: with no fold on either, nothing gives their workload
    assert t.loc[("cells2_smears", "xception", "scratch"), "basis"] == ""


def test_a_second_reading_takes_the_workload_of_the_dataset_it_reads(other_datasets):
    planned, by = other_datasets
    _sized(by["covid_chestxray", "mobilenetv2", "scratch"][0], 600.0, 30, 500, 80)  # 20 s an epoch on 500 x 80 x 80 pixels
    _sized(by["cells2", "mobilenetv2", "scratch"][0], 100.0, 20, 125, 100)  # Cells2's crops: 125 x 100 x 100 pixels, 0.390625 of covid-chestxray's
    t = estimate(planned, cpu_kind="avx2").set_index(["dataset", "network", "strategy"])
    smears = t.loc[("cells2_smears", "mobilenetv2", "scratch")]
    assert smears["basis"] == "same network elsewhere, scaled"
    # the nearest workload is the crops' own block (5 s an epoch, workload ratio 1); under early
    # stopping the smears have run no fold, so the crops' epochs count (20), not the cap (60)
    assert smears["seconds_per_fold"] == pytest.approx(5.0 * 20)
    assert smears["reference"] == "cells2 mobilenetv2 scratch (measured here)"


def test_a_strategy_without_folds_is_bounded_by_scratch_epochs_and_its_warm_up(other_datasets):
    planned, by = other_datasets
    _sized(by["cells2", "mobilenetv2", "scratch"][0], 100.0, 20, 125, 100)
    t = estimate(planned, cpu_kind="avx2").set_index(["dataset", "network", "strategy"])
    tuned = t.loc[("cells2", "mobilenetv2", "fine_tune")]
    assert tuned["basis"] == "scratch folds, scaled (upper bound)"
    assert tuned["seconds_per_fold"] == pytest.approx(5.0 * (20 + 10))  # budget 20 + warm-up 10 epochs
    # off-the-shelf heads are never priced from trained epochs
    assert not t.index.isin([("cells2", "mobilenetv2", "off_the_shelf")]).any()


def test_the_scaling_check_prices_each_finished_block_without_its_own_folds(other_datasets):
    planned, by = other_datasets
    _sized(by["covid_chestxray", "mobilenetv2", "scratch"][0], 600.0, 30, 500, 80)
    _sized(by["mosmed_ct", "mobilenetv2", "scratch"][0], 1500.0, 30, 1000, 80)
    t = scaling_check(planned, cpu_kind="avx2").set_index("dataset")
    # MosMed from covid-chestxray: 20 s x 2 = 40 s estimated, 50 s measured
    assert t.loc["mosmed_ct", "reference"] == "covid_chestxray"
    assert t.loc["mosmed_ct", "ratio"] == pytest.approx(0.8)
    assert t.loc["covid_chestxray", "ratio"] == pytest.approx(1.25)


def test_a_reference_is_of_the_same_precision_and_records_its_epochs():
    from medlib.experiments.remaining import scaled_per_epoch

    pixels = {"a": 1.0, "b": 2.0, "c": 1.0}
    folds = {("a", "xception", "fine_tune"): [(300.0, "avx2", 30)],   # same strategy, other precision
             ("b", "xception", "scratch"): [(600.0, "avx2", 30)],     # 20 s an epoch on twice the pixels
             ("a", "xception", "scratch"): [(9999.0, "avx2", None)]}  # no epochs recorded: never a reference
    precision = {("a", "xception", "fine_tune"): "mixed_bfloat16", ("b", "xception", "scratch"): "float32",
                 ("a", "xception", "scratch"): "float32", ("c", "xception", "fine_tune"): "float32"}
    per_epoch, ref, upper, basis = scaled_per_epoch(("c", "xception", "fine_tune"), folds, pixels, precision,
                                                    "avx2", {})
    assert ref == ("b", "xception", "scratch") and upper and per_epoch == pytest.approx(10.0)
    assert basis == "measured here"


def test_folds_of_this_cpu_kind_win_over_a_nearer_workload():
    from medlib.experiments.remaining import scaled_per_epoch

    pixels = {"near": 1.0, "far": 4.0, "new": 1.0}
    folds = {("near", "xception", "scratch"): [(300.0, "avx512_bf16", 30)],
             ("far", "xception", "scratch"): [(1200.0, "avx2", 30)]}
    precision = {k: "float32" for k in [*folds, ("new", "xception", "scratch")]}
    per_epoch, ref, upper, _ = scaled_per_epoch(("new", "xception", "scratch"), folds, pixels, precision, "avx2", {})
    assert ref[0] == "far" and not upper and per_epoch == pytest.approx(40.0 / 4)


def test_the_done_count_keeps_not_run_placeholders_apart(tmp_path):
    """A network without ImageNet weights leaves a 'not run' fold file: the job is done (nothing to
    train) but no work was done, so the count says so instead of inflating what finished."""
    import json

    from medlib.experiments.transfer import done_text

    class Job:
        def __init__(self, name, status):
            self.path, self.status = tmp_path / f"{name}.json", status
            if status:
                self.path.write_text(json.dumps({"status": status}))

        def finished_row(self):  # the current fold file's row, read once
            return json.loads(self.path.read_text()) if self.status is not None else None

    jobs = [Job("a", "ok"), Job("b", "not run"), Job("c", "not run"), Job("d", None)]
    assert done_text(jobs) == "3 of 4 fold jobs done (1 trained, 2 recorded as not run)"
    assert done_text(jobs[:1] + jobs[3:]) == "1 of 2 fold jobs done"
