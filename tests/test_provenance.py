"""Fold files carry their configuration hash; a fold is a pure function of it.

* a changed block setting, precision or recipe version makes old fold files stale (rerun),
  a new commit alone does not;
* one fold gives the same row run alone (fresh Context) or after another fold in the same
  process (a model built once, restored per fold), on a tiny real-data run.
"""
import json
from dataclasses import replace
from types import MappingProxyType

import pytest

from medlib import profiles
from medlib.experiments import provenance, transfer
from medlib.experiments.transfer import Context, FoldJob, collect, run_fold, run_jobs

SAME = ["accuracy", "auc", "epochs_run", "best_epoch", "train_accuracy", "config_hash", "majority"]


@pytest.fixture
def tiny_smoke(tmp_path, monkeypatch):
    """Smoke with one scratch block: MobileNetV2 on 4 Cells2 images a class, 2 fixed epochs."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    smoke = profiles.get_profile("smoke")
    block = replace(smoke.block("cells2", "scratch"), networks=("mobilenetv2",), epochs=2, patience=None)
    monkeypatch.setattr(profiles, "PROFILES", MappingProxyType({**profiles.PROFILES, "smoke": smoke.with_blocks([block])}))
    return block


def _use_block(monkeypatch, block):
    smoke = profiles.get_profile("smoke")
    monkeypatch.setattr(profiles, "PROFILES", MappingProxyType({**profiles.PROFILES, "smoke": smoke.with_blocks([block])}))


def test_hash_names_the_configuration_not_the_commit(tiny_smoke, monkeypatch):
    job = FoldJob("cells2", "mobilenetv2", "scratch", 0, "smoke")
    h = provenance.config_hash(job.config())
    assert h == provenance.config_hash(job.config())  # stable
    # what the block is for (its note, which networks share it, how many folds) is not configuration
    _use_block(monkeypatch, replace(tiny_smoke, note="reworded", folds=1, save_models=False))
    assert provenance.config_hash(job.config()) == h
    for change in (dict(epochs=3), dict(learning_rate=1e-4), dict(batch_size=4), dict(size=(80, 80)),
                   dict(precisions={"mobilenetv2": "mixed_bfloat16"}), dict(patience=5)):
        _use_block(monkeypatch, replace(tiny_smoke, **change))
        assert provenance.config_hash(job.config()) != h, change
    _use_block(monkeypatch, tiny_smoke)
    monkeypatch.setattr(provenance, "RECIPE_VERSION", provenance.RECIPE_VERSION + 1)
    assert provenance.config_hash(job.config()) != h


def test_changed_settings_make_fold_files_stale_and_a_commit_does_not(mirror, tiny_smoke, monkeypatch):
    job = FoldJob("cells2", "mobilenetv2", "scratch", 0, "smoke")
    row = run_fold(job)
    assert row["config_hash"] == provenance.config_hash(job.config()) and row["commit"] and row["cpu"]
    assert row["cpu_kind"] == provenance.cpu_kind()
    assert row["precision"] == "float32" and row["recipe"] == provenance.RECIPE_VERSION
    assert job.is_done()
    written = job.result_path().stat().st_mtime_ns

    provenance.commit.cache_clear()
    monkeypatch.setattr(provenance, "commit", lambda: "another-commit")
    run_jobs([job], progress=False)  # a new commit alone: the fold is reused as it is
    assert job.result_path().stat().st_mtime_ns == written
    assert len(collect("smoke")) == 1

    _use_block(monkeypatch, replace(tiny_smoke, epochs=1))  # a changed setting: stale, rerun
    assert not job.is_done()
    assert collect("smoke").empty and len(collect("smoke", include_stale=True)) == 1
    report = transfer.config_report("smoke")
    assert list(report.current) == [False]
    run_jobs([job], progress=False)
    new = json.loads(job.result_path().read_text())
    assert new["config_hash"] != row["config_hash"] and new["epochs_run"] == 1
    assert new["commit"] == "another-commit" and job.is_done()

    _use_block(monkeypatch, tiny_smoke)
    monkeypatch.setattr(provenance, "RECIPE_VERSION", provenance.RECIPE_VERSION + 1)
    assert not job.is_done()  # a recipe bump: stale too


def test_a_fold_alone_equals_the_fold_after_another(mirror, tiny_smoke, tmp_path, monkeypatch):
    jobs = [FoldJob("cells2", "mobilenetv2", "scratch", k, "smoke") for k in (0, 1)]
    ctx = Context()
    after = [run_fold(j, ctx=ctx) for j in jobs][1]  # fold 1 restored into fold 0's model
    ctx.release()
    pred_after = json.loads(jobs[1].predictions_path().read_text())
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "alone"))
    alone = run_fold(jobs[1], ctx=Context())  # fold 1 first: its model is built for it
    assert {k: alone[k] for k in SAME} == {k: after[k] for k in SAME}
    assert alone["history"] == after["history"]
    assert json.loads(jobs[1].predictions_path().read_text()) == pred_after


@pytest.mark.slow
def test_a_fine_tuned_fold_alone_equals_the_fold_after_another(mirror, tiny_smoke, tmp_path, monkeypatch):
    """Fine-tuning changes the ImageNet backbone itself: the next fold must start from ImageNet
    weights again (warm-up and opened models both restored), not from the fold before's."""
    _use_block(monkeypatch, replace(tiny_smoke, strategy="fine_tune"))
    jobs = [FoldJob("cells2", "mobilenetv2", "fine_tune", k, "smoke") for k in (0, 1)]
    ctx = Context()
    after = [run_fold(j, ctx=ctx) for j in jobs][1]
    ctx.release()
    assert after["status"] == "ok", after.get("reason")
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "alone"))
    alone = run_fold(jobs[1], ctx=Context())
    assert {k: alone[k] for k in SAME} == {k: after[k] for k in SAME}
    assert alone["history"] == after["history"] and alone["warmup_history"] == after["warmup_history"]


def test_hash_is_stable_when_an_option_is_added():
    """A fixed configuration keeps its hash across releases: a new Block option at its default
    (``class_weight``, added after hashes existed) must not make hours of fold files stale."""
    from medlib.profiles import Block, Profile

    block = Block("cells2", "scratch", ("xception",), size=(100, 100), epochs=60, patience=12)
    profile = Profile("x", cv_folds=10, blocks=(block,))
    cfg = provenance.fold_config(block, profile, "xception", "scratch", "dense", 20221)
    assert "class_weight" not in cfg and cfg["recipe"] == 2
    assert provenance.config_hash(cfg) == "a0e00b5fdb1c"  # recorded 2026-12-02, recipe 2
    weighted = replace(block, class_weight="balanced")
    assert provenance.config_hash(provenance.fold_config(weighted, profile, "xception", "scratch", "dense",
                                                         20221)) != "a0e00b5fdb1c"


def test_fine_tunings_own_settings_reach_its_hash_and_no_other_strategys(monkeypatch):
    """Fine-tuning's second-stage learning rate, opened share and warm-up are registered on the
    strategy, not the block: editing one must make its fold files stale, while scratch and
    off-the-shelf (no such settings) keep the hashes recorded before these entered it."""
    from medlib import strategies
    from medlib.profiles import Block, Profile

    block = Block("cells2", "fine_tune", ("xception",), size=(100, 100), epochs=60, patience=12)
    profile = Profile("x", cv_folds=10, blocks=(block,))
    cfg = provenance.fold_config(block, profile, "xception", "fine_tune", "dense", 20221)
    assert (cfg["strategy_tune_lr"], cfg["strategy_tune_fraction"], cfg["strategy_warmup_epochs"]) == (1e-5, 0.2, 10)
    tuned = dict(strategies.STRATEGIES, fine_tune=replace(strategies.STRATEGIES["fine_tune"], tune_lr=1e-4))
    monkeypatch.setattr(strategies, "STRATEGIES", tuned)
    assert provenance.config_hash(provenance.fold_config(block, profile, "xception", "fine_tune", "dense", 20221)) \
        != provenance.config_hash(cfg)
    scratch = provenance.fold_config(replace(block, strategy="scratch"), profile, "xception", "scratch", "dense", 20221)
    assert not any(k.startswith("strategy_") for k in scratch) and provenance.config_hash(scratch) == "a0e00b5fdb1c"


def test_a_traced_batchnorm_pass_changes_only_the_networks_it_names():
    """``bn_passes`` (added 2026-12-03): the hash of every network left at the eager default is
    the one recorded before the option existed; a network set to "traced" gets its own."""
    from medlib.profiles import Block, Profile

    block = Block("cells2", "scratch", ("xception", "densenet121"), size=(100, 100), epochs=60, patience=12,
                  bn_passes={"densenet121": "traced"})
    profile = Profile("x", cv_folds=10, blocks=(block,))
    eager = provenance.fold_config(block, profile, "xception", "scratch", "dense", 20221)
    assert "bn_pass" not in eager and provenance.config_hash(eager) == "a0e00b5fdb1c"
    traced = provenance.fold_config(block, profile, "densenet121", "scratch", "dense", 20221)
    assert traced["bn_pass"] == "traced"
    plain = provenance.fold_config(replace(block, bn_passes={}), profile, "densenet121", "scratch", "dense", 20221)
    assert provenance.config_hash(traced) != provenance.config_hash(plain)


def test_precision_selects_jobs_by_their_own_policy_and_keeps_finished_hashes():
    """``medlib run --precision float32`` (what a CPU without AVX512-BF16 should run) keeps a
    job only when its block trains that network under that policy; setting the unstarted COV_CT
    InceptionV3 and DenseNet121 to float32 leaves VGG19's bfloat16 hash (finished folds) as it was."""
    import argparse

    from medlib.__main__ import _selected_jobs

    args = argparse.Namespace(profile="extended", datasets=["cov_ct"], networks=None, strategies=["scratch"],
                              seed=20221, folds=[0], replicates=None, shard=None, precision=["float32"])
    picked = {j.network for j in _selected_jobs(args)}
    assert picked == {"mobilenetv2", "resnet50", "inceptionv3", "densenet121", "nasnetmobile"}
    args.precision = ["mixed_bfloat16"]
    assert {j.network for j in _selected_jobs(args)} == {"vgg19", "ff_vgg19", "xception"}
    vgg = [j for j in _selected_jobs(args) if j.network == "vgg19"][0]
    assert vgg.config()["precision"] == "mixed_bfloat16"
    path = vgg.result_path()
    if path.exists():  # the committed fold file (absent in a fresh clone only without results)
        assert json.loads(path.read_text())["config_hash"] == provenance.config_hash(vgg.config())


def test_a_cpu_kind_is_its_best_vector_unit():
    assert provenance.kind_of(["sse2", "avx2", "avx512f", "avx512_bf16"]) == "avx512_bf16"
    assert provenance.kind_of(["avx2", "avx512f"]) == "avx512"
    assert provenance.kind_of(["sse2", "avx2"]) == "avx2"
    assert provenance.kind_of(["sse2"]) == "other"


def test_the_allocator_is_read_from_the_preloaded_library(monkeypatch):
    assert provenance.allocator("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4") == "tcmalloc"
    assert provenance.allocator("/opt/x/libfoo.so:/usr/lib/libjemalloc.so.2") == "jemalloc"
    assert provenance.allocator("") == "glibc"
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib64/libjemalloc.so.2")
    assert provenance.allocator() == "jemalloc"
    monkeypatch.delenv("LD_PRELOAD")
    assert provenance.allocator() == "glibc"
