"""Training strategies as registered values: code asks them, never a strategy's name; a third
strategy (fine-tuning) runs through the same fold machinery and figures."""
import pytest

from medlib import paper, strategies
from medlib.profiles import get_profile


def test_the_registry_says_what_each_strategy_trains():
    s = strategies.STRATEGIES
    assert set(s) == {"scratch", "off_the_shelf", "fine_tune"}
    assert s["off_the_shelf"].frozen_backbone and s["off_the_shelf"].probe_heads
    assert s["scratch"].trains_backbone and not s["scratch"].needs_weights
    assert s["fine_tune"].needs_weights and s["fine_tune"].trains_backbone and s["fine_tune"].tune_lr < 1e-4
    assert len({x.colour for x in s.values()}) == len(s)
    with pytest.raises(ValueError, match="choose from"):
        strategies.get("transfer")
    with pytest.raises(TypeError):
        s["x"] = None


def test_heads_and_paper_tables_come_from_the_registry():
    profile = get_profile("extended")
    assert strategies.heads(profile.block("cells2", "off_the_shelf", "xception")) == ("dense", "logreg")
    assert strategies.heads(profile.block("cells2", "fine_tune", "xception")) == ("dense",)
    empty = paper.accuracy_table("fine_tune")  # not in the paper: the grid, empty, no KeyError
    assert empty.shape == paper.accuracy_table("scratch").shape and empty.isna().all().all()
    assert paper.best_network_table("fine_tune").empty


@pytest.mark.slow
def test_a_fine_tuned_fold_runs_through_the_engine(tmp_path, monkeypatch):
    from dataclasses import replace

    from medlib.data import is_available
    from medlib.experiments import engine
    from medlib.experiments.transfer import FoldJob, fold_data

    if not is_available("cells2"):
        pytest.skip("BCCD not on this machine")
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    job = FoldJob("cells2", "mobilenetv2", "scratch", 0, "smoke")
    data = fold_data(job)
    block = replace(job.block(), strategy="fine_tune", epochs=2, patience=None)
    ctx = engine.Context()
    (proba,), info = engine.fit_predict(ctx, "mobilenetv2", "fine_tune", "dense", block, data.ds, data.train,
                                        data.val, [(data.ds, data.test)], seed=1)
    assert proba.shape == (len(data.test), 3) and info["epochs_run"] == 2
    assert len(info["warmup_history"]) == strategies.get("fine_tune").warmup_epochs
    tuned = next(m for k, (m, _) in ctx._models.items() if k[0] == "fine_tune")
    assert 0 < len(tuned.trainable_variables) < len(tuned.variables) / 2  # the top layers only


@pytest.mark.slow
def test_fine_tuning_copies_warmed_up_weights_by_position_even_with_unnamed_layers():
    """Xception has unnamed layers (its residual convolutions), numbered anew in each model built:
    the warm-up model's weights go to the opened one by position."""
    import keras
    import numpy as np

    from medlib.experiments.engine import copy_weights
    from medlib.models import build_model

    warm = build_model("xception", (72, 72, 3), 2, "off_the_shelf")
    tuned = build_model("xception", (72, 72, 3), 2, "fine_tune")
    assert {l.name for l in warm.layers} != {l.name for l in tuned.layers}  # names differ, layers do not
    for v in warm.get_layer("logits").weights:
        v.assign(np.full(v.shape, 0.5, "float32"))
    copy_weights(warm, tuned)
    assert all(np.array_equal(a, b) for a, b in zip(warm.get_weights(), tuned.get_weights()))
    keras.backend.clear_session()


def test_no_strategy_name_is_compared_outside_the_registry():
    """Issue 38: code asks a strategy's registered values, it does not test its name
    (an equality test on ``strategy``); pandas filters that select a strategy's rows are data, not branches."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    name = r"""strategy(["']\))? *[!=]= *["']|["'](scratch|off_the_shelf|fine_tune)["'] *[!=]= *[\w.]*strategy"""
    run = subprocess.run(["git", "grep", "-n", "-E", name, "--", "medlib", "scripts", ":!medlib/strategies.py"],
                         cwd=root, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr  # 1: nothing found; anything else: the grep did not run
    assert run.stdout == "", run.stdout
    import re  # the pattern finds the branches it is for, and leaves the data filters alone

    assert re.search(name, 'if row.get("strategy") != "scratch":') and re.search(name, "if 'scratch' == b.strategy:")
    assert re.search(name, 'if block.strategy == "fine_tune":') and not re.search(name, 'df["strategy"] == "scratch"')
