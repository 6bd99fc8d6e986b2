"""A block's cost is read from its own fold files, per machine kind, spread over the epochs
each fold trained (early stopping is not speed)."""
import pandas as pd
import pytest

from medlib.experiments.costs import block_costs, total_hours


def _row(seconds, epochs, kind, fold, status="ok", **extra):
    return dict(dataset="cov_ct", network="resnet50", strategy="scratch", head="dense", precision="float32",
                fold=fold, status=status, seconds=seconds, epochs_run=epochs, cpu_kind=kind, **extra)


def test_each_machine_kind_is_priced_apart_and_per_epoch_over_the_epochs_run():
    df = pd.DataFrame([_row(100.0, 10, "avx512_bf16", 0), _row(500.0, 40, "avx512_bf16", 1),
                       _row(3600.0, 30, "avx2", 2), _row(None, None, "avx2", 3, status="not run")])
    c = block_costs(df).set_index("machine")
    assert c.loc["avx512_bf16", "fold_jobs"] == 2
    assert c.loc["avx512_bf16", "s_per_epoch"] == pytest.approx(12.0)  # 600 s / 50 epochs, not mean of 10 and 12.5
    assert c.loc["avx512_bf16", "s_per_job"] == pytest.approx(300.0)
    assert c.loc["avx2", "fold_jobs"] == 1  # the fold that did not train costs nothing
    assert c.loc["avx2", "hours"] == pytest.approx(1.0)
    assert total_hours(block_costs(df)) == pytest.approx(600 / 3600 + 1.0, abs=0.01)


def test_an_accelerator_fold_is_priced_under_its_accelerator_and_old_files_as_unrecorded():
    df = pd.DataFrame([_row(60.0, 30, "avx512_bf16", 0, accelerator="NVIDIA H200"),
                       _row(900.0, 30, None, 1, accelerator=None)])
    assert set(block_costs(df)["machine"]) == {"NVIDIA H200", "unrecorded"}


def test_nothing_trained_gives_an_empty_table_with_its_columns():
    assert list(block_costs(pd.DataFrame()).columns)[:3] == ["dataset", "network", "strategy"]
