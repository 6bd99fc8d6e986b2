"""Floors and diagnoses on hand-made predictions."""
import numpy as np
import pandas as pd

from medlib.diagnose import at_floor, diagnose_groups, fold_diagnosis, group_floor, majority_rate


def test_majority_rate_and_floor():
    assert majority_rate([0, 0, 0, 1]) == 75.0
    assert at_floor(79.0, 75.0) and not at_floor(80.5, 75.0)
    assert at_floor(90.0, np.nan)  # no recorded floor: not evidence
    assert not at_floor(np.nan, 50.0)


def test_collapse_and_its_causes_are_named():
    proba = np.tile([0.9, 0.1], (20, 1))  # every prediction class 0
    d = fold_diagnosis(60.0, 60.0, proba, ("neg", "pos"), train_accuracy=61.0, train_majority=60.0,
                       plateau=False, epochs_run=40)
    assert "collapsed to one class (100% of test predictions are neg)" in d
    assert "did not fit its training data" in d and "not converged within budget" in d
    overfit = fold_diagnosis(55.0, 52.0, np.eye(2)[[0, 1] * 10], train_accuracy=99.0, train_majority=52.0)
    assert "overfit" in overfit
    assert fold_diagnosis(80.0, 52.0, np.eye(2)[[0, 1] * 10]) == ""


def test_a_group_scattered_around_its_floor_is_diagnosed():
    df = pd.DataFrame({"dataset": "d", "network": "n", "strategy": "scratch", "head": "dense", "fold": [0, 1],
                       "status": "ok", "accuracy": [70.0, 40.0], "majority": [52.0, 52.0],
                       "diagnosis": ["", "at its floor (40.0% vs 52.0% majority)"]})
    out = diagnose_groups(df)
    assert out.loc[0, "diagnosis"].startswith("group at its floor")
    assert out.loc[1, "diagnosis"].startswith("at its floor")  # a fold's own diagnosis is kept
    g = group_floor(out)
    assert g.loc[0, "above_floor"] == 3.0


def test_not_converged_even_above_the_floor():
    from medlib.diagnose import convergence_diagnosis

    rising = [{"accuracy": a} for a in (40, 50, 55, 60, 64, 68, 72, 77, 82)]
    assert convergence_diagnosis(rising).startswith("not converged: training accuracy still rising")
    flat = [{"accuracy": a} for a in (40, 60, 80, 90, 91, 90, 91, 90, 91)]
    assert convergence_diagnosis(flat) == ""
    # stopped on a validation plateau: selection ended training, whatever the training curve did
    assert convergence_diagnosis(rising, plateau=True) == ""
    # below the training set's majority rate: it never fit
    low = [{"accuracy": a} for a in (50, 52, 51, 50, 52, 51)]
    assert "below the training majority 62%" in convergence_diagnosis(low, train_majority=62.0)


def test_convergence_is_judged_where_the_backbone_trained():
    """Scratch and fine-tuned rows are judged by their learning curve when collected; a frozen
    backbone's head (off-the-shelf) is not (its curve is a head's on cached features)."""
    from medlib.experiments.transfer import _with_convergence

    rising = [{"accuracy": a} for a in (40, 50, 55, 60, 64, 68, 72, 77, 82)]
    for strategy, judged in (("scratch", True), ("fine_tune", True), ("off_the_shelf", False)):
        row = _with_convergence({"strategy": strategy, "status": "ok", "diagnosis": ""}, rising)
        assert row["diagnosis"].startswith("not converged") == judged, strategy
    assert _with_convergence({"strategy": "scratch", "status": "not run", "diagnosis": ""}, rising)["diagnosis"] == ""


def test_a_summary_names_each_cause_once():
    from medlib.diagnose import diagnosis_causes

    folds = ["at its floor (50.0% vs 50.0% majority): collapsed to one class (100% of test predictions are a); "
             "did not fit its training data (training accuracy 50% vs 50% majority)",
             "at its floor (48.0% vs 50.0% majority): collapsed to one class (98% of test predictions are a)",
             "group at its floor (mean 49.0% vs 50.0% majority over 2 folds)", ""]
    assert diagnosis_causes(folds) == "collapsed to one class; did not fit its training data"


def test_a_fold_at_its_floor_that_still_ranks_is_told_apart():
    """COV_CT FF-VGG19 from scratch (extended, fold 0): 52.0% vs a 53.3% floor on 75 images
    with AUC 74.8: its scores order the images, its predicted classes do not turn that into
    accuracy; its accuracy still decides nothing."""
    from medlib.diagnose import diagnosis_causes, ranking_diagnosis

    bare = "at its floor (52.0% vs 53.3% majority)"
    fold = {"diagnosis": bare, "accuracy": 52.0, "majority": 53.3, "auc": 74.75, "n_test": 75}
    ranked = ranking_diagnosis(fold)
    assert ranked == (bare + ": its scores still rank the classes (AUC 74.8 over 75 test images, chance 50): "
                      "its predicted classes do not turn that into accuracy")
    assert ranking_diagnosis({**fold, "diagnosis": ranked}) == ranked  # once
    with_cause = "at its floor (57.3% vs 64.0% majority): overfit (training accuracy 90%)"
    assert ranking_diagnosis({**fold, "diagnosis": with_cause, "accuracy": 57.3, "majority": 64.0}).startswith(
        with_cause + "; its scores still rank")
    assert ranking_diagnosis({**fold, "auc": 60.0}) == bare  # too close to chance to say so
    assert ranking_diagnosis({**fold, "auc": np.nan}) == bare
    # a Cells2 fold of 14 images: an AUC of 65 there is within chance
    assert ranking_diagnosis({**fold, "n_test": 14}) == bare
    # above its own floor: nothing to explain, whatever the group or convergence notes say
    rising = "not converged: training accuracy still rising"
    assert ranking_diagnosis({**fold, "diagnosis": rising, "accuracy": 90.0}) == rising
    group = "group at its floor (mean 55.0% vs 53.3% majority over 2 folds)"
    assert ranking_diagnosis({**fold, "diagnosis": group, "accuracy": 62.0}) == group
    assert ranking_diagnosis({**fold, "diagnosis": ""}) == ""
    assert diagnosis_causes([ranked]) == "its scores still rank the classes: its predicted classes do not turn " \
                                         "that into accuracy"
    assert diagnosis_causes([ranked + "; not converged: training accuracy still rising (40% -> 60% over the "
                             "last 6 of 30 epochs)"]).endswith("; not converged: training accuracy still rising")


def test_diagnose_groups_adds_the_ranking_cause_only_to_folds_at_their_floor():
    df = pd.DataFrame({"dataset": "d", "network": "n", "strategy": "scratch", "head": "dense", "fold": [0, 1, 2],
                       "status": "ok", "accuracy": [52.0, 90.0, 62.0], "majority": [53.3, 53.3, 53.3],
                       "auc": [74.75, 95.0, 80.0], "n_test": 75,
                       "diagnosis": ["at its floor (52.0% vs 53.3% majority)", "", ""]})
    out = diagnose_groups(df)
    assert "its scores still rank the classes (AUC 74.8" in out.loc[0, "diagnosis"]
    assert out.loc[1, "diagnosis"] == "" and out.loc[2, "diagnosis"] == ""
    # a group whose mean is at its floor: the group note on a fold above its own floor gets no ranking cause
    low = df.assign(accuracy=[40.0, 55.0, 62.0], diagnosis=["at its floor (40.0% vs 53.3% majority)", "", ""])
    out = diagnose_groups(low)
    assert out.loc[2, "diagnosis"].startswith("group at its floor") and "rank" not in out.loc[2, "diagnosis"]
    assert "rank the classes" in out.loc[1, "diagnosis"]  # 55.0 is within 5 points of 53.3: at its floor
