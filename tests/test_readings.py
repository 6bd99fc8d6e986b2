"""Second readings of ambiguous passages (issue 37): same files and folds, own key, own hash,
and an adoption rule applied as written."""
import numpy as np
import pandas as pd

from medlib import report
from medlib.data import make_augmenter
from medlib.data.registry import DATASETS, READINGS, get_spec
from medlib.experiments import provenance
from medlib.profiles import get_profile


def test_the_noise_reading_shares_cov_ct_but_is_its_own_dataset():
    spec = get_spec("cov_ct_noise255")
    base = DATASETS["cov_ct"]
    assert spec.reading_of == "cov_ct" and "cov_ct_noise255" not in DATASETS
    assert (spec.adapter, spec.mirror_subdir, spec.classes) == (base.adapter, base.mirror_subdir, base.classes)
    assert spec.augmentation.shift == base.augmentation.shift
    assert np.isclose(spec.augmentation.noise_on_unit, 0.1 / 255)
    assert np.isclose(base.augmentation.noise_on_unit, 0.1)


def test_noise_read_on_pixels_is_255_times_smaller():
    batch = np.full((64, 8, 8, 3), 0.5, np.float32)
    unit = make_augmenter(DATASETS["cov_ct"].augmentation.__class__(noise_sigma=0.1), seed=1)(batch)
    pix = make_augmenter(READINGS["cov_ct_noise255"].augmentation.__class__(
        noise_sigma=0.1, noise_scale=255.0), seed=1)(batch)
    assert np.isclose((unit - 0.5).std(), 0.1, rtol=0.05)
    assert np.isclose((pix - 0.5).std(), 0.1 / 255, rtol=0.05)


def test_the_reading_block_has_its_own_hash_and_the_same_training_settings():
    profile = get_profile("extended")
    new = profile.block("cov_ct_noise255", "scratch", "ff_vgg19")
    base = profile.block("cov_ct", "scratch", "ff_vgg19")
    cfg_new = provenance.fold_config(new, profile, "ff_vgg19", "scratch", "dense", 42)
    cfg_base = provenance.fold_config(base, profile, "ff_vgg19", "scratch", "dense", 42)
    assert provenance.config_hash(cfg_new) != provenance.config_hash(cfg_base)
    assert {k: v for k, v in cfg_new.items() if k != "dataset"} == \
        {k: v for k, v in cfg_base.items() if k != "dataset"}


def _rows(key, net, accs, majority=53.3):
    return [dict(dataset=key, network=net, strategy="scratch", status="ok", fold=f, accuracy=a,
                 majority=majority, n_test=75, n_train=570, n_val=101) for f, a in enumerate(accs)]


def _table(ff_new, ff_base, x_new, x_base):
    return pd.DataFrame(_rows("cov_ct_noise255", "ff_vgg19", ff_new) + _rows("cov_ct", "ff_vgg19", ff_base)
                        + _rows("cov_ct_noise255", "xception", x_new) + _rows("cov_ct", "xception", x_base))


def test_adoption_rule_adopts_a_reading_that_lifts_ffvgg19_off_its_floor():
    out = report.adopt_reading(_table([75, 78, 72, 80, 76], [50, 49, 47, 49, 53],
                                      [77, 79, 60, 70, 85], [77, 79, 52, 72, 88]), READINGS["cov_ct_noise255"])
    assert out["decision"] == report.ADOPT
    assert out["networks"]["ff_vgg19"]["interval"].low > 0


def test_adoption_rule_keeps_the_first_reading_when_the_control_is_harmed():
    out = report.adopt_reading(_table([75, 78, 72, 80, 76], [50, 49, 47, 49, 53],
                                      [55, 52, 50, 54, 60], [77, 79, 72, 75, 88]), READINGS["cov_ct_noise255"])
    assert out["decision"] == report.KEEP


def test_adoption_rule_is_undecided_when_ffvgg19_stays_at_its_floor():
    out = report.adopt_reading(_table([52, 50, 48, 55, 50], [50, 49, 47, 49, 53],
                                      [77, 79, 60, 70, 85], [77, 79, 52, 72, 88]), READINGS["cov_ct_noise255"])
    assert out["decision"] == report.UNDECIDED


def test_cells2_whole_smears_are_the_same_images_and_folds_as_the_crops():
    import pytest

    from medlib.data import is_available
    from medlib.data.dataset import build_index
    from medlib.experiments.splits import make_splits

    if not is_available("cells2"):
        pytest.skip("BCCD not on this machine")
    crops, whole = build_index(get_spec("cells2")), build_index(get_spec("cells2_smears"))
    assert list(crops["group"]) == list(whole["group"]) and list(crops["label"]) == list(whole["label"])
    assert crops["x0"].notna().all() and whole["x0"].isna().all()
    assert get_spec("cells2_smears").reading_of == "cells2"


def _cells2(smears: dict, crops: dict, folds=5):
    """Two seeds a fold for each network and task; the second seed 2 points above the first."""
    rows = []
    for key, accs in (("cells2_smears", smears), ("cells2", crops)):
        for net, values in accs.items():
            for seed, shift in enumerate((0.0, 2.0)):
                rows += [dict(row, head="dense", replicate=seed, accuracy=row["accuracy"] + shift, diagnosis="",
                              n_test=14, n_train=105, n_val=18)
                         for row in _rows(key, net, values[:folds], majority=61.4)]
    return pd.DataFrame(rows)


_CROPS = {n: [93, 96, 95, 94, 97] for n in report.CELLS2_TASK_NETWORKS}  # far above the paper's 47-60 %


def test_the_cells2_task_rule_names_smears_when_they_hold_the_papers_numbers_and_crops_do_not():
    # paper Table 7: FF-VGG19 47.2, Xception 59.7, MobileNetV2 48.0
    smears = {"ff_vgg19": [40, 50, 45, 55, 42], "xception": [55, 62, 50, 60, 58], "mobilenetv2": [45, 52, 40, 50, 47]}
    table = report.cells2_task_table(_cells2(smears, _CROPS))
    assert set(table["folds"]) == {5} and set(table["seeds"]) == {2}
    assert table.loc[table["task"] == report.CROPS, "paper_inside"].eq(False).all()
    assert report.cells2_task_decision(table) == report.SMEARS
    row = report.cells2_task({"extended": {"transfer": _cells2(smears, _CROPS)}})
    assert row["verdict"] == "holds" and row["evidence"].startswith("decision: whole smears")


def test_the_cells2_task_rule_says_neither_when_both_tasks_miss_the_papers_numbers():
    smears = {n: [80, 85, 82, 88, 84] for n in report.CELLS2_TASK_NETWORKS}
    assert report.cells2_task_decision(report.cells2_task_table(_cells2(smears, _CROPS))) == report.NEITHER


def test_a_network_without_three_shared_folds_counts_for_no_side():
    smears = {"ff_vgg19": [40, 50, 45, 55, 42], "xception": [55, 62, 50, 60, 58], "mobilenetv2": [45, 52, 40, 50, 47]}
    table = report.cells2_task_table(_cells2(smears, _CROPS, folds=2))
    assert table["paper_inside"].isna().all()
    assert report.cells2_task_decision(table) == "inconclusive"


def test_every_second_reading_is_listed_with_its_rule_before_it_runs():
    out = report.second_reading_decisions(pd.DataFrame(columns=["dataset", "network", "status"])).set_index("reading")
    assert set(out.index) == {"cov_ct_noise255", "cells2_smears"}
    assert out["decision"].eq("not run yet").all()
    assert out["rule"].str.startswith("Written 2026-12-0").all()
    assert out.loc["cells2_smears", "of"] == "cells2"
    claim = report.cells2_task({"extended": {"transfer": pd.DataFrame({"dataset": ["cells2"]})}})
    assert claim["verdict"] == "not tested here"
