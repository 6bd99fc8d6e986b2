"""Paper tables transcribed once, and the derived comparisons / verdicts on hand-made fold rows."""
import numpy as np
import pandas as pd
import pytest

from medlib import paper, report, stats, tables
from medlib.experiments import compare
from medlib.models import PAPER_NETWORKS


def test_paper_tables_shapes_and_spot_values():
    for strategy in ("off_the_shelf", "scratch"):
        t = paper.accuracy_table(strategy)
        assert t.shape == (11, 8) and list(t.columns) == list(PAPER_NETWORKS)
        best = paper.best_network_table(strategy)
        # Tables 6/8's best accuracy equals the row maximum of Tables 5/7 (except Table 8's 84.94 typo)
        for d, r in best.iterrows():
            if (strategy, d) != ("scratch", "cov_x"):
                assert r["accuracy"] == pytest.approx(t.loc[d].max())
    assert paper.accuracy_table("scratch").loc["cells", "ff_vgg19"] == 91.61
    assert paper.cross_device_table().shape == (8, 8)
    assert paper.crm_roi_table().loc["crm"].mean() < paper.crm_roi_table().loc["cam"].mean()


def _rows(floor=30.0):
    rows = []
    for fold in range(3):
        for net, ots, scr in (("xception", 40, 60), ("mobilenetv2", 50, 49)):
            for strategy, acc in (("off_the_shelf", ots), ("scratch", scr)):
                rows.append({"dataset": "cells2", "network": net, "strategy": strategy, "head": "dense",
                             "fold": fold, "status": "ok", "reason": "", "accuracy": acc + fold,
                             "balanced_accuracy": acc, "sensitivity": acc, "specificity": acc, "auc": acc,
                             "f1": acc, "mcc": 0.1, "seconds": 1.0, "majority": floor, "diagnosis": ""})
        rows.append({"dataset": "cells2", "network": "vgg19", "strategy": "off_the_shelf", "head": "dense",
                     "fold": fold, "status": "not run", "reason": "no ImageNet weights for VGG19\nsteps",
                     "majority": floor, "diagnosis": ""})
    return pd.DataFrame(rows)


def test_comparisons_from_fold_rows():
    df = _rows()
    long = compare.accuracy_beside_paper(df, "scratch").set_index("network")
    assert long.loc["xception", "ours"] == pytest.approx(61.0)
    assert long.loc["xception", "diff"] == pytest.approx(61.0 - 59.66)
    grid = compare.accuracy_grid(df, "off_the_shelf")
    assert grid.loc["cells2", "vgg19"] == "not run (61.8)"
    assert grid.loc["cells2", "floor"] == "30.0"
    change = compare.strategy_change(df).set_index("network")
    assert change.loc["xception", "ours"] == pytest.approx(20.0)
    assert change.loc["xception", "paper"] == pytest.approx(59.66 - 46.80)
    tests = compare.paired_strategy_tests(df).set_index("network")
    assert tests.loc["xception", "mean_diff"] == pytest.approx(20.0)
    nr = compare.not_run(df)
    assert list(nr["reason"]) == ["no ImageNet weights for VGG19"]
    best = compare.best_beside_paper(df, "scratch")
    assert best.loc[("cells2", "ours"), "network"] == "xception"


def test_strategies_are_compared_on_the_folds_both_ran():
    """Off-the-shelf on 3 folds, scratch only on fold 0: the change is fold 0's, not a mean of
    scratch's one fold against off-the-shelf's three (folds differ in difficulty)."""
    df = _rows()
    df = df[~((df["strategy"] == "scratch") & (df["fold"] > 0))]
    change = compare.strategy_change(df).set_index("network")
    assert change.loc["xception", "folds"] == 1
    assert change.loc["xception", "off_the_shelf"] == pytest.approx(40.0)  # fold 0 only, not 41
    assert change.loc["xception", "ours"] == pytest.approx(20.0)
    claim = report.scratch_vs_off_the_shelf({"extended": {"transfer": df}})
    assert claim["verdict"] == "not tested here"  # one fold pair never decides


def test_networks_are_ranked_on_the_folds_all_ran():
    """FF-VGG19 ran fold 0 only (58.5%); Xception 60/61/62% on folds 0-2. On fold 0 FF-VGG19 is
    1.5 points from the best (a tie: holds); against Xception's 3-fold mean it would be 2.5."""
    df = _rows()
    ff = df[(df["network"] == "xception") & (df["strategy"] == "scratch") & (df["fold"] == 0)]
    df = pd.concat([df, ff.assign(network="ff_vgg19", accuracy=58.5)], ignore_index=True)
    common = compare.networks_on_common_folds(df, "scratch")
    assert set(common["fold"]) == {0} and set(common["network"]) == {"xception", "mobilenetv2", "ff_vgg19"}
    claim = report.most_suitable({"extended": {"transfer": df}})
    # FF-VGG19's one shared fold gives no comparison; Xception's without spread gives no interval
    assert claim["verdict"] == "inconclusive", claim
    assert claim["evidence"].startswith("not compared (fewer than 3 paired folds): ff_vgg19")


def test_not_run_is_empty_when_everything_ran():  # a user's dataset: no reason column values
    df = _rows()
    df = df[df["status"] == "ok"].assign(reason=float("nan"))
    assert compare.not_run(df).empty


def test_floor_rows_decide_nothing():
    df = _rows(floor=58.0)  # xception scratch (61) and mobilenetv2 (49-51) sit at this floor
    change = compare.strategy_change(df).set_index("network")
    assert not change.loc["xception", "comparable"] and "scratch at its floor" in change.loc["xception", "note"]
    best = compare.best_beside_paper(df, "scratch")
    assert best.loc[("cells2", "ours"), "network"] == "none above its floor"
    claim = report.scratch_vs_off_the_shelf({"quick": {"transfer": df}})
    # intention to treat: runs at their floor are outcomes, so the primary analysis keeps them;
    # the sensitivity analysis, which leaves them out, has nothing left
    assert "at its floor" in claim["evidence"] and claim["sens_n_datasets"] == 0
    assert claim["sens_verdict"] == "inconclusive"
    numbers = report.number_table({"transfer": df})
    x = numbers[(numbers.source == "Table 7") & (numbers.network == "xception")].iloc[0]
    assert x["verdict"].startswith("not tested")


def test_report_verdicts_follow_the_fixed_tolerances():
    res = {"transfer": _rows()}
    numbers = report.number_table(res)
    x = numbers[(numbers.source == "Table 7") & (numbers.network == "xception")].iloc[0]
    assert x["verdict"] == "reproduced"  # 61.0 vs 59.66
    claims = report.claims({"quick": res})
    assert list(claims.columns) == report.CLAIM_COLUMNS
    first = claims.set_index("key").loc["scratch_beats_off_the_shelf"]
    # xception +20 and mobilenetv2 -1 on every fold of one dataset: no spread, so nothing is
    # pooled (n_pairs counts the pooled units' folds) and there is no interval across datasets
    assert first["n_pairs"] == 0 and first["n_datasets"] <= 1 and first["profile"] == "quick"
    assert "without spread" in first["evidence"]
    assert first["verdict"] == "inconclusive"
    assert claims.set_index("key").loc["vgg19_off_the_shelf", "verdict"] == "not tested here"
    clf = pd.DataFrame({"network": ["m"], "accuracy": [99.0], "majority": [22.0]})

    def roi(crm):
        classes = ["CT", "MR", "X-ray", "PET", "micro"]
        return pd.DataFrame([{"network": "m", "class": c, "method": m, "roi_ratio": v}
                             for c, r in zip(classes, crm) for m, v in (("cam", 60.0), ("gradcam", 62.0), ("crm", r))])

    def verdict(crm, floor=False):
        c = clf.assign(accuracy=24.0) if floor else clf
        return report.crm_roi_smaller({"quick": {"modality": c, "modality_roi": roi(crm)}})["verdict"]

    assert verdict([36.0, 37.0, 38.0, 36.5, 37.5]) == "holds"  # about 38 % smaller, all above 30 %
    assert verdict([43.0, 44.0, 43.5, 44.5, 43.8]) == "does not hold"  # about 27 %: not "about 30 %"
    assert verdict([30.0, 50.0, 35.0, 48.0, 40.0]) == "inconclusive"
    # a classifier at its floor: the ROI sizes are evidence of nothing
    assert verdict([36.0, 37.0, 38.0, 36.5, 37.5], floor=True) == "not tested here"
    assert report.paper_cells2_floor()["verdict"] == "holds"  # 61.8% best vs 62.0% eosinophils


def test_smoke_results_are_never_loaded_as_evidence(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    for profile in ("quick", "smoke"):
        (tmp_path / profile).mkdir()
        _rows().to_csv(tmp_path / profile / tables.TABLES["transfer"].file, index=False)
    assert list(report.load_all()) == ["quick"]
    assert list(report.load_all(report.PROFILE_ORDER)) == ["quick", "smoke"]  # when asked for


def _paired_rows(gains, dataset="cov_ct", network="xception", base=50.0, majority=30.0, n_test=10):
    rows = []
    for fold, gain in enumerate(gains):
        low = base + max(0.0, -gain)
        for strategy, acc in (("off_the_shelf", low), ("scratch", low + gain)):
            rows.append({"dataset": dataset, "network": network, "strategy": strategy, "head": "dense",
                         "fold": fold, "status": "ok", "accuracy": acc, "majority": majority, "diagnosis": "",
                         "n_test": n_test, "n_train": 8 * n_test, "n_val": n_test, "input_size": "112x112",
                         "config_hash": f"h-{dataset}-{strategy}"})
    return pd.DataFrame(rows)


def _datasets(gains_by_dataset, **kw):
    return pd.concat([_paired_rows(g, dataset=f"d{i}", **kw) for i, g in enumerate(gains_by_dataset)],
                     ignore_index=True)


def _central(df):
    return report.scratch_vs_off_the_shelf({"extended": {"transfer": df}})


@pytest.mark.parametrize("gains,verdict", [
    ([[20, 24, 18, 22, 21]] * 6, "holds (above +2)"),                  # a clear win on every dataset
    ([[-20, -24, -18, -22, -21]] * 6, "reversed"),                      # a clear loss
    ([[0.5, -0.4, 0.3, -0.2, 0.1]] * 6, "equivalent"),                   # a tie inside +-2
    ([[20, -15, 18, -20, 10], [-10, 15, -20, 12, 5]] * 3, "inconclusive"),  # folds disagree
    ([[20, 24, 18, 22, 21]], "inconclusive"),                           # one dataset: no interval across datasets
])
def test_central_claim_pools_datasets_and_decides_against_the_margin(gains, verdict):
    claim = _central(_datasets(gains))
    assert claim["verdict"] == verdict, claim["evidence"]
    assert claim["n_datasets"] == len(gains) and claim["analysis"].startswith("intention to treat")
    assert "REML" in claim["method"] and "multilevel" in claim["method"]
    if verdict.startswith("holds"):
        assert claim["ci_low"] > 2 and claim["pred_low"] <= claim["ci_low"] and claim["p"] < 0.05


def test_a_pooled_verdict_is_interim_until_its_registered_design_completes():
    """No optional stopping: a verdict read while folds accumulate is labelled interim; only the
    registered design (every planned unit with all its folds and both arms' seeds) is complete."""
    from medlib import evidence

    result = evidence.pooled(_datasets([[20, 24, 18, 22, 21]] * 3), "strategy", "off_the_shelf", "scratch")
    plan = [{"dataset": f"d{i}", "network": "xception", "folds": 5, "replicates_a": 1, "replicates_b": 1}
            for i in range(3)]
    assert evidence.design_progress(result, plan) == "complete: 3 of 3 planned units"
    assert evidence.design_progress(result, plan + [{**plan[0], "dataset": "d3"}]) == \
        "interim: 3 of 4 planned units complete, 3 pooled"
    assert evidence.design_progress(result, [{**u, "replicates_b": 2} for u in plan]) == \
        "interim: 0 of 3 planned units complete, 3 pooled"  # a second seed planned on the scratch arm
    assert evidence.design_progress(result, []) == ""
    # the claims row measures itself against its profile's registered plan (extended: 12 units)
    row = _central(_datasets([[20, 24, 18, 22, 21]] * 3))
    assert row["design"] == "interim: 0 of 12 planned units complete, 3 pooled"
    assert "(extended; interim: 0 of 12 planned units complete, 3 pooled)" in report.summary(pd.DataFrame([row]))


def test_clustered_images_whose_folds_disagree_cannot_hold():
    """1000 test images a fold: pooled over images the +4-point mean looks certain (the image
    bootstrap and McNemar below call it), but the folds (one fitted model each) disagree, and so
    do the datasets: the unit of inference is the training run, so the claim is not decided."""
    gains = [[30, -25, 28, -22, 9], [-20, 26, -24, 30, 8], [25, -28, 22, -20, 21]] * 2
    df = _datasets(gains, n_test=1000)
    # the same folds image by image: each fold's correct images, nested, at the rows' accuracies
    wide = df.pivot_table(index=["dataset", "fold"], columns="strategy", values="accuracy")
    a = np.concatenate([np.arange(1000) < 10 * acc for acc in wide["off_the_shelf"]])
    b = np.concatenate([np.arange(1000) < 10 * acc for acc in wide["scratch"]])
    per_image = stats.image_interval(a, b, n_boot=200)
    assert per_image.low > 2 and per_image.p < 1e-6  # what a per-image test would decide
    claim = _central(df)
    assert claim["estimate"] > 2 and claim["verdict"] == "inconclusive", claim["evidence"]


def test_an_at_floor_block_changes_the_primary_verdict_but_not_the_sensitivity_one():
    """Five datasets where scratch wins clearly; on a sixth, scratch sits at its floor and loses by
    45 points. Intention to treat counts that loss: the pooled effect is no longer shown; leaving
    the at-floor unit out (the sensitivity analysis) gives what the five alone give."""
    good = _datasets([[20, 24, 18, 22, 21]] * 5)
    alone = _central(good)
    bad = _paired_rows([-45, -44, -46, -45, -45], dataset="d9", base=50.0, majority=52.0)
    bad.loc[bad.strategy.eq("off_the_shelf"), "accuracy"] = [95.0, 94.0, 96.0, 95.0, 95.0]
    bad.loc[bad.strategy.eq("scratch"), "accuracy"] = 50.0
    claim = _central(pd.concat([good, bad], ignore_index=True))
    assert alone["verdict"] == "holds (above +2)"
    assert claim["verdict"] != alone["verdict"] and claim["n_datasets"] == 6
    assert claim["sens_verdict"] == alone["verdict"] and claim["sens_n_datasets"] == 5
    assert claim["sens_estimate"] == pytest.approx(alone["estimate"])


def test_a_second_reading_is_never_pooled_as_another_dataset():
    df = _datasets([[20, 24, 18, 22, 21]] * 3)
    twin = _paired_rows([20, 24, 18, 22, 21], dataset="cov_ct_noise255")
    claim = _central(pd.concat([df, twin], ignore_index=True))
    assert claim["n_datasets"] == 3 and "cov_ct_noise255" not in claim["rows_used"]


def test_pairs_of_different_input_size_or_mixed_hashes_are_not_compared():
    from medlib import evidence

    df = _paired_rows([30, 30, 40])
    other = df[df.strategy.eq("off_the_shelf")].assign(input_size="224x224")
    moved = pd.concat([df[df.strategy.eq("scratch")], other])
    change = compare.strategy_change(moved)
    assert not change.comparable.any() and "input sizes differ" in change.note.iloc[0]
    mixed = df.copy()
    mixed.loc[mixed.index[-1], "config_hash"] = "another"
    _, units = evidence.units(mixed, "strategy", "off_the_shelf", "scratch")
    assert units["invalid"].iloc[0] == "folds of more than one configuration hash"


def test_seed_replicates_are_averaged_into_their_fold(tmp_path, monkeypatch):
    """Two training seeds on one fold: the fold's accuracy is their mean, and each image counts
    as the share of replicates that got it right (the per-image test stays paired by image)."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    df = _paired_rows([30, 30, 40])
    rep = df[df.strategy.eq("scratch")].assign(replicate=1, accuracy=lambda d: d.accuracy - 20)
    df = pd.concat([df.assign(replicate=0), rep], ignore_index=True)
    pairs = compare.fold_pairs(df, "strategy", "off_the_shelf", "scratch", ("dataset", "network"))
    assert len(pairs) == 3 and (pairs["replicates_b"] == 2).all()
    assert pairs["diff"].tolist() == pytest.approx([20.0, 20.0, 30.0])  # (30 + 10) / 2, ...

    import json

    from medlib.experiments.transfer import FoldJob

    for r in (0, 1):
        job = FoldJob("cov_ct", "xception", "scratch", 0, "extended", replicate=r)
        job.predictions_path().parent.mkdir(parents=True, exist_ok=True)
        hits = [True, True] if r == 0 else [True, False]
        job.predictions_path().write_text(json.dumps({"test_index": [3, 4], "y_true": [0, 0],
                                                      "proba": [[0.9, 0.1] if h else [0.1, 0.9] for h in hits]}))
    assert FoldJob("cov_ct", "xception", "scratch", 0, "extended", replicate=1).result_path().name == "fold0.r1.json"
    share = compare.image_correctness("extended", "cov_ct", "xception", "scratch", 0)
    assert share.to_dict() == {3: 1.0, 4: 0.5}


def test_mean_metrics_counts_test_sets_not_seed_replicates():
    df = _rows()
    df["replicate"] = 0
    twin = df[(df["status"] == "ok") & (df["strategy"] == "scratch")].assign(
        replicate=1, accuracy=lambda d: d["accuracy"] + 10)
    one = compare.mean_metrics(df).set_index(["network", "strategy"])
    two = compare.mean_metrics(pd.concat([df, twin], ignore_index=True)).set_index(["network", "strategy"])
    r1, r2 = one.loc[("xception", "scratch")], two.loc[("xception", "scratch")]
    assert r2["folds"] == r1["folds"] == 3 and r2["seeds"] == 2 and r1["seeds"] == 1
    assert r2["accuracy"] == pytest.approx(r1["accuracy"] + 5)  # each fold: the mean of its two seeds
    assert r2["accuracy_sd"] == pytest.approx(r1["accuracy_sd"])  # spread over test sets, not seeds


def test_an_accuracy_interval_stays_within_0_and_100():
    """ResNet50 from scratch on Cells2 after 4 folds (extended: 92.9, 85.7, 100, 92.9 %): mean
    92.9 % with a t interval whose upper end, 102.1, no accuracy can reach."""
    df = pd.DataFrame({"dataset": "cells2", "network": "resnet50", "strategy": "scratch", "head": "dense",
                       "fold": range(4), "status": "ok", "accuracy": [92.857143, 85.714286, 100.0, 92.857143],
                       "majority": 62.5, "diagnosis": "", "n_test": 14})
    r = compare.mean_metrics(df).iloc[0]
    assert r["accuracy"] == pytest.approx(92.857, abs=1e-3)
    assert r["accuracy_ci_high"] == 100.0 and 75 < r["accuracy_ci_low"] < 92.857


def test_a_dataset_without_spread_is_pooled_with_a_borrowed_variance_and_power_stays_defined():
    """Intention to treat: a unit whose folds all differ by the same amount (+10 on every fold)
    is an outcome, not a reason to drop it; it enters with the comparison's pooled fold variance
    (the other units' fold SDs), corrected for its own folds, and the evidence says so."""
    from medlib import evidence

    df = pd.concat([_datasets([[20, 24, 18, 22, 21]] * 3),
                    _paired_rows([10, 10, 10, 10, 10], dataset="flat")], ignore_index=True)
    claim = _central(df)
    assert claim["n_datasets"] == 4 and claim["n_pairs"] == 20
    assert "flat xception +10.0 [" in claim["evidence"] and "variance borrowed" in claim["evidence"]
    assert "nan" not in claim["evidence"]  # the borrowed variance gives the unit its interval too
    assert "flat" in claim["rows_used"]
    result = evidence.pooled(df, "strategy", "off_the_shelf", "scratch")
    flat = result.units.set_index("dataset").loc["flat"]
    others = result.units[result.units["dataset"] != "flat"]
    fold_var = float((others["sd"] ** 2).mean())  # equal folds: the df-weighted mean is the mean
    assert flat["variance"] == pytest.approx((1 / 5 + flat["ratio"]) * fold_var)
    assert flat["variance_source"] == evidence.BORROWED_VARIANCE and not result.left_out
    assert flat["low"] < 10 < flat["high"] and np.isfinite(flat["detectable"])
    comp = evidence.observed_components(df, result)
    assert np.isfinite(comp.fold) and comp.members == 1


def test_paired_strategy_tests_print_the_corrected_interval_beside_the_plain_t():
    """Folds that vary: the corrected interval is wider and its p larger than the plain t's, which
    treats folds sharing 8 of 9 training parts as independent."""
    df = _paired_rows([12, 4, 9, 2, 8], n_test=20)
    row = compare.paired_strategy_tests(df).iloc[0]
    assert row["mean_diff"] == pytest.approx(7.0) and row["corrected_low"] < 7 < row["corrected_high"]
    assert row["corrected_p"] > row["t_p"]


def test_robustness_reanalyses_the_same_units_and_names_the_unit_the_primary_leans_on():
    """Other defensible analyses of the central claim's units (medlib.robustness): each decided
    by the same rule; a clear win holds under all of them, and the weight shares sum to 1 with
    the most precise unit first."""
    from medlib import evidence, robustness

    df = _datasets([[20, 24, 18, 22, 21], [19, 23, 21, 20, 22], [20, 20.5, 19.5, 20, 20.2]])
    result = evidence.pooled(df, "strategy", "off_the_shelf", "scratch")
    table = robustness.robustness_table(result)
    assert list(table.columns) == robustness.COLUMNS
    assert {"primary", "sensitivity", "model t", "weights by design", "datasets equally", "xception alone",
            "without d0"} <= set(table["analysis"])
    assert table["verdict"].eq("holds (above +2)").all()
    assert robustness.robustness_summary(table).startswith(f"all {len(table)} analyses holds (above +2)")
    shares = robustness.weight_shares(result)
    assert shares.sum() == pytest.approx(1.0) and shares.index[0] == "d2 xception"  # its folds barely vary
    # weights by design: every unit gets the pooled fold variance, so equal folds give equal weights
    design = robustness._common_variance(result.pooled_units)
    assert design.nunique() == 1
    # datasets equally: a t over the three dataset means, by hand
    from scipy import stats as st
    means = result.pooled_units.groupby("dataset")["estimate"].mean()
    half = st.t.ppf(0.975, 2) * means.std(ddof=1) / np.sqrt(3)
    eq = table.set_index("analysis").loc["datasets equally"]
    assert (eq["low"], eq["high"]) == (pytest.approx(means.mean() - half), pytest.approx(means.mean() + half))
    claim = _central(df)
    assert "Robustness" in claim["evidence"] and "The largest weight: d2 xception" in claim["evidence"]


def test_the_split_ratio_counts_validation_images_only_where_they_chose_something():
    """Nadeau-Bengio's n_test/n_train: a fixed epoch count (selection 'last') never uses the
    validation images, an early-stopped arm does; a paired difference takes the larger arm's
    ratio, a single arm's interval its own."""
    from medlib.experiments.compare import arms_ratio, mean_metrics, test_train_ratio

    df = _paired_rows([5, 7, 6], n_test=10)  # n_train 80, n_val 10
    df["selection"] = np.where(df["strategy"] == "scratch", "last", "val_loss")
    assert test_train_ratio(df[df["strategy"] == "off_the_shelf"]) == pytest.approx(10 / 90)
    assert test_train_ratio(df[df["strategy"] == "scratch"]) == pytest.approx(10 / 80)
    assert test_train_ratio(df) == pytest.approx(10 / 80) == arms_ratio(df, "cov_ct", "xception")
    # an older row without the field counts its validation images
    assert test_train_ratio(df.drop(columns="selection")) == pytest.approx(10 / 90)
    # another network's split on the dataset does not reach this pair's ratio
    other = _paired_rows([1, 2, 3], network="mobilenetv2", n_test=20).assign(selection="last")
    both = pd.concat([df, other], ignore_index=True)
    assert arms_ratio(both, "cov_ct", "xception") == pytest.approx(10 / 80)
    means = mean_metrics(df).set_index("strategy")
    sd = df[df["strategy"] == "scratch"]["accuracy"].std()
    half = means.loc["scratch", "accuracy"] - means.loc["scratch", "accuracy_ci_low"]
    from scipy import stats as st
    assert half == pytest.approx(st.t.ppf(0.975, 2) * sd * np.sqrt(1 / 3 + 10 / 80))
    # off-the-shelf scored 50 % on every fold: no spread, so the exact binomial over its 30 test images
    from medlib.stats import proportion_interval
    assert (means.loc["off_the_shelf", "accuracy_ci_low"], means.loc["off_the_shelf", "accuracy_ci_high"]) == \
        pytest.approx(proportion_interval(15, 30))


def test_seed_sd_is_given_per_arm_and_the_power_grid_crosses_both_heterogeneities():
    from medlib import evidence

    base = _datasets([[20, 24, 18, 22, 21], [19, 23, 21, 20, 22], [20, 21, 19, 20, 22]])
    twin = base.assign(replicate=1, accuracy=base["accuracy"] + np.where(base["strategy"] == "scratch", 4.0, 1.0))
    df = pd.concat([base.assign(replicate=0), twin], ignore_index=True)
    result = evidence.pooled(df, "strategy", "off_the_shelf", "scratch")
    arms = evidence.seed_sd_by_arm(df, result)
    # two runs a fold differing by d: within-fold SD d / sqrt(2)
    assert arms["scratch"] == pytest.approx(4 / np.sqrt(2)) and arms["off_the_shelf"] == pytest.approx(1 / np.sqrt(2))
    # a unit whose second scratch seed ran another configuration is invalid: its 30-point gap is
    # a configuration difference, never seed variance
    mixed = _paired_rows([20, 24, 18, 22, 21], dataset="mixed")
    mixed_twin = mixed.assign(replicate=1, accuracy=mixed["accuracy"] + 30.0,
                              config_hash=np.where(mixed["strategy"] == "scratch", "h-other", mixed["config_hash"]))
    with_mixed = pd.concat([df, mixed.assign(replicate=0), mixed_twin], ignore_index=True)
    result_mixed = evidence.pooled(with_mixed, "strategy", "off_the_shelf", "scratch")
    assert result_mixed.units.set_index("dataset").loc["mixed", "invalid"] != ""
    assert evidence.seed_sd_by_arm(with_mixed, result_mixed)["scratch"] == pytest.approx(arms["scratch"])
    assert evidence.observed_components(with_mixed, result_mixed).seed == pytest.approx(
        evidence.observed_components(df, result).seed)
    comp, table = evidence.power_table(df, result, taus=(3.0,), network_taus=(3.0,), datasets=(6,), folds=(5,),
                                       seeds=(2,))
    assert set(zip(table["tau_dataset"], table["tau_network"])) >= {(3.0, 3.0), (3.0, round(comp.network ** 0.5, 1))}
    row = table.set_index(["tau_dataset", "tau_network"])
    if (3.0, 0.0) in row.index:  # a between-network SD costs power
        assert row.loc[(3.0, 3.0), "detectable_points"] > row.loc[(3.0, 0.0), "detectable_points"]


def test_the_gains_size_is_set_against_the_papers_own_for_the_same_networks():
    """scratch_gain_size: the paper's gain is Table 7 minus Table 5 for Xception and MobileNetV2,
    averaged per dataset (+13.0 over its 11). A pooled gain equal to the paper's stays
    inconclusive (the paper's own interval, +-8.8 over 11 datasets, is wider than the +-5
    tolerance: the rule can show a different size, never the same one); a tie is smaller, and
    the row says both numbers."""
    from medlib import paper

    theirs = report.paper_gain(("xception", "mobilenetv2"))
    by_hand = (paper.accuracy_table("scratch") - paper.accuracy_table("off_the_shelf"))[["xception", "mobilenetv2"]]
    assert theirs.estimate == pytest.approx(by_hand.mean(axis=1).mean()) and theirs.n == 11
    near = report.scratch_gain_size({"extended": {"transfer": _datasets([[13, 14, 12, 13.5, 12.5]] * 6)}})
    assert near["verdict"] == "inconclusive" and near["estimate"] == pytest.approx(0.0 - theirs.estimate + 13, abs=0.05)
    tie = report.scratch_gain_size({"extended": {"transfer": _datasets([[0.5, -0.4, 0.3, -0.2, 0.1]] * 6)}})
    assert tie["verdict"] == "does not hold" and tie["ci_high"] < 0 and tie["sens_verdict"] == "does not hold"
    assert "the paper's +13.0" in tie["evidence"]


def test_robustness_refits_on_floor_free_metrics_where_accuracy_ties_two_arms_at_the_floor():
    """Both arms sit at the majority class (accuracy ties within a point), yet scratch's scores
    rank the classes 20 AUC points better: the primary on accuracy stays a tie, the refit on AUC
    holds, and it is labelled as a re-analysis, never the primary."""
    from medlib import evidence, robustness

    df = _datasets([[1.0, -1.0, 0.5, -0.5, 0.0]] * 3, base=70.0, majority=70.0)
    jitter = np.tile([0.5, -0.5, 1.0, -1.0, 0.0], 6)
    df["auc"] = np.where(df["strategy"] == "scratch", 75.0, 55.0) + jitter
    df["balanced_accuracy"] = 50.0 + jitter
    result = evidence.pooled(df, "strategy", "off_the_shelf", "scratch")
    table = robustness.robustness_table(result).set_index("analysis")
    assert table.loc["on AUC", "estimate"] == pytest.approx(20.0) and table.loc["on AUC", "verdict"].startswith("holds")
    assert table.loc["on balanced accuracy", "estimate"] == pytest.approx(0.0)
    assert result.units["at_floor"].ne("").all()  # accuracy marks the floors
    assert result.again(metric="auc").units["at_floor"].eq("").all()  # AUC has no majority-class floor


def test_most_suitable_says_each_candidates_verdict_and_the_weakest_ones_family_interval():
    """Xception beats every other network; FF-VGG19 loses to ResNet50 by about 20 points on every
    fold: the claim does not hold through FF-VGG19 alone, the row says which candidate fails, and the
    weakest comparison's interval is given at the Bonferroni level it was picked at (winner's curse)."""
    from scipy import stats as st

    accs = {"xception": [90, 92, 91, 93, 90], "ff_vgg19": [60, 63, 61, 62, 59], "resnet50": [80, 84, 82, 81, 80],
            "vgg19": [85, 87, 86, 88, 84]}
    df = pd.DataFrame([{"dataset": "cells2", "network": n, "strategy": "scratch", "head": "dense", "fold": f,
                        "status": "ok", "accuracy": float(a), "majority": 40.0, "diagnosis": "", "n_test": 28,
                        "n_train": 224, "n_val": 28, "input_size": "100x100", "config_hash": f"h-{n}"}
                       for n, acc in accs.items() for f, a in enumerate(acc)])
    row = report.most_suitable({"extended": {"transfer": df}})
    assert row["verdict"] == "does not hold"
    assert "ff_vgg19: does not hold" in row["evidence"] and "xception: holds" in row["evidence"]
    assert "ff_vgg19 against 2 other network(s) on cells2" in row["claim"]
    diffs = np.array(accs["ff_vgg19"]) - np.array(accs["vgg19"])  # the weakest: lowest bound
    var = (1 / 5 + 28 / (224 + 28)) * diffs.var(ddof=1)  # Nadeau-Bengio; no selection field: validation counts
    half = st.t.ppf(1 - 0.05 / (2 * 4), 4) * np.sqrt(var)
    assert row["estimate"] == pytest.approx(diffs.mean())
    assert f"Bonferroni over 4: [{diffs.mean() - half:+.1f}, {diffs.mean() + half:+.1f}]" in row["estimate_of"]
