"""Paper tables transcribed once, and the derived comparisons / verdicts on hand-made fold rows."""
import pandas as pd
import pytest

from medlib import paper, report, tables
from medlib.experiments import compare
from medlib.models import PAPER_NETWORKS


def test_paper_tables_shapes_and_spot_values():
    for strategy in ("off_the_shelf", "scratch"):
        t = paper.accuracy_table(strategy)
        assert t.shape == (11, 8) and list(t.columns) == list(PAPER_NETWORKS)
        best = paper.best_network_table(strategy)
        # Tables 6/8's best accuracy equals the row maximum of Tables 5/7 (except Table 8's 84.94 typo)
        for d, r in best.iterrows():
            if not (strategy == "scratch" and d == "cov_x"):
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
    assert claim["n_pairs"] == 1 and claim["rows_used"].startswith("cells2 xception folds 0 ")
    assert claim["verdict"] == "inconclusive"  # one fold pair never decides


def test_networks_are_ranked_on_the_folds_all_ran():
    """FF-VGG19 ran fold 0 only (58.5%); Xception 60/61/62% on folds 0-2. On fold 0 FF-VGG19 is
    1.5 points from the best (a tie: holds); against Xception's 3-fold mean it would be 2.5."""
    df = _rows()
    ff = df[(df["network"] == "xception") & (df["strategy"] == "scratch") & (df["fold"] == 0)]
    df = pd.concat([df, ff.assign(network="ff_vgg19", accuracy=58.5)], ignore_index=True)
    common = compare.networks_on_common_folds(df, "scratch")
    assert set(common["fold"]) == {0} and set(common["network"]) == {"xception", "mobilenetv2", "ff_vgg19"}
    claim = report.most_suitable({"extended": {"transfer": df}})
    assert claim["verdict"] == "inconclusive", claim  # one shared fold: no interval
    assert "ff_vgg19 vs xception: cells2 scratch folds 0 " in claim["rows_used"]


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
    assert claim["verdict"] == "not tested here"
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
    first = claims.iloc[0]  # xception +20 points on every fold, the only deep network here
    assert first["estimate"] == pytest.approx(20.0) and first["n_pairs"] == 3 and first["profile"] == "quick"
    # both intervals are needed: without the per-image predictions there is no verdict
    assert first["verdict"] == "inconclusive" and "predictions not on this machine" in first["evidence"]
    assert claims.iloc[1]["verdict"] == "not tested here"
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


def _write_predictions(root, df, correct):
    """Out-of-fold predictions for every ok row: ``correct(row)`` -> per-image hits (10 images)."""
    import json

    from medlib.experiments.transfer import FoldJob

    for r in df[df["status"] == "ok"].to_dict("records"):
        hits = correct(r)
        y = [0] * len(hits)
        proba = [[0.9, 0.1] if h else [0.1, 0.9] for h in hits]
        path = FoldJob(r["dataset"], r["network"], r["strategy"], r["fold"], "extended").predictions_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"test_index": list(range(10 * r["fold"], 10 * r["fold"] + 10)),
                                    "y_true": y, "proba": proba}))


def _paired_rows(gains):
    rows = []
    for fold, gain in enumerate(gains):
        base = 50.0 + max(0.0, -gain)  # every side well above the 30 % floor
        for strategy, acc in (("off_the_shelf", base), ("scratch", base + gain)):
            rows.append({"dataset": "cov_ct", "network": "xception", "strategy": strategy, "head": "dense",
                         "fold": fold, "status": "ok", "accuracy": acc, "majority": 30.0, "diagnosis": "",
                         "n_test": 10, "input_size": "112x112", "config_hash": f"h-{strategy}"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("gains,verdict", [
    ([30, 30, 40, 30, 30, 40, 30, 30], "holds"),                   # a clear win on every fold
    ([-30, -30, -40, -30, -30, -40, -30, -30], "does not hold"),   # a clear loss
    ([10, -10, 0, 10, -10, 0, 10, -10], "inconclusive"),           # a tie
    ([40], "inconclusive"),                                         # a single pair
])
def test_central_claim_from_paired_folds_and_images(tmp_path, monkeypatch, gains, verdict):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    df = _paired_rows(gains)

    def correct(r):  # 10 images a fold; a side's accuracy in whole images
        k = int(round(r["accuracy"] / 10))
        return [i < k for i in range(10)]

    _write_predictions(tmp_path / "extended", df, correct)
    claim = report.scratch_vs_off_the_shelf({"extended": {"transfer": df}})
    assert claim["verdict"] == verdict, claim["evidence"]
    assert claim["n_pairs"] == len(gains) and claim["n_images"] == 10 * len(gains)
    assert claim["one_image"] == pytest.approx(10.0) and "one test image = 10.0 points" in claim["evidence"]
    assert claim["config_hashes"] == "h-off_the_shelf h-scratch"
    if verdict in ("holds", "does not hold"):  # no verdict that its own interval contradicts
        sign = 1 if verdict == "holds" else -1
        assert sign * claim["ci_low"] > 0 and sign * claim["ci_high"] > 0
        assert sign * claim["image_ci_low"] > 0 and sign * claim["image_ci_high"] > 0


def test_pairs_of_different_input_size_or_mixed_hashes_are_not_compared():
    df = _paired_rows([30, 30, 40])
    other = df[df.strategy == "off_the_shelf"].assign(input_size="224x224")
    moved = pd.concat([df[df.strategy == "scratch"], other])
    change = compare.strategy_change(moved)
    assert not change.comparable.any() and "input sizes differ" in change.note.iloc[0]
    mixed = df.copy()
    mixed.loc[mixed.index[-1], "config_hash"] = "another"
    ev = report.paired_evidence(mixed, "extended", "strategy", "off_the_shelf", "scratch",
                                ("dataset", "network"), {})
    assert not len(ev["pairs"]) and "more than one configuration hash" in ev["left_out"][0]


def test_seed_replicates_are_averaged_into_their_fold(tmp_path, monkeypatch):
    """Two training seeds on one fold: the fold's accuracy is their mean, and each image counts
    as the share of replicates that got it right (the per-image test stays paired by image)."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    df = _paired_rows([30, 30, 40])
    rep = df[df.strategy == "scratch"].assign(replicate=1, accuracy=lambda d: d.accuracy - 20)
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
