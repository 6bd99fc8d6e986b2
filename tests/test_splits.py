"""Fold leakage: grouped, de-duplicated by content, checked for every fold."""
import numpy as np
import pandas as pd
import pytest

from medlib.data import Dataset, get_spec, load_dataset
from medlib.experiments.splits import assert_no_leak, fold_indices, make_splits


def _toy(groups, labels, images):
    index = pd.DataFrame({"path": [f"img{i}" for i in range(len(labels))], "member": -1,
                          "label": ["benign" if y == 0 else "malignant" for y in labels],
                          "group": groups, "target": labels})
    return Dataset(get_spec("lidc_idri"), np.asarray(images, np.uint8), index)


def test_real_covid_ct_folds_never_share_patient_or_image(mirror):
    ds = load_dataset("cov_ct", size=(80, 80), progress=False)
    splits = make_splits(ds, folds=5, seed=1)
    for k in range(5):
        tr, va, te = fold_indices(splits, k, seed=1, val_fraction=0.15)
        assert_no_leak(splits, tr, va, te)
        assert len(set(tr) | set(va) | set(te)) == len(ds)
    # stratified: each fold keeps roughly the class balance
    share = splits.groupby("fold").label.apply(lambda s: (s == "covid-19").mean())
    assert share.between(0.3, 0.65).all()


def test_duplicate_images_are_merged_into_one_group():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 255, (20, 4, 4, 3))
    imgs[7] = imgs[3]  # same pixels, different upstream group
    ds = _toy([f"p{i}" for i in range(20)], [i % 2 for i in range(20)], imgs)
    ds.index.loc[7, "label"], ds.index.loc[7, "target"] = ds.index.loc[3, "label"], ds.index.loc[3, "target"]
    splits = make_splits(ds, folds=4, seed=0)
    assert splits.group_id[3] == splits.group_id[7] and splits.fold[3] == splits.fold[7]


def test_leak_is_detected():
    rng = np.random.default_rng(1)
    ds = _toy(["a", "a", "b", "c"], [0, 1, 0, 1], rng.integers(0, 255, (4, 4, 4, 3)))
    splits = pd.DataFrame({"sha1": ["x", "y", "z", "w"], "group": ds.index.group, "group_id": [0, 0, 1, 2]})
    with pytest.raises(AssertionError, match="share"):
        assert_no_leak(splits, np.array([0]), np.array([2]), np.array([1]))


def test_official_split_is_kept(mirror):
    ds = load_dataset("breastmnist", size=(32, 32), progress=False)
    splits = make_splits(ds, "official", seed=0)
    tr, va, te = fold_indices(splits, 0, seed=0, val_fraction=0.15)
    role = ds.index["split"].to_numpy()
    assert (role[tr] == "train").all() and (role[va] == "val").all() and (role[te] == "test").all()
    assert len(tr) == (role == "train").sum()  # train as published; val and test minus copies
    assert (role == "test").sum() - len(te) <= 2 and len(va) == (role == "val").sum()


def test_official_split_copies_of_training_images_are_not_held_out():
    splits = pd.DataFrame({"role": ["train", "train", "val", "val", "test", "test"],
                           "group_id": [0, 1, 1, 2, 2, 3], "sha1": list("abbccd"),
                           "group": list("uvwxyz")})
    with pytest.warns(UserWarning, match="1 val image"):
        tr, va, te = fold_indices(splits, 0, seed=0, val_fraction=0.15)
    assert list(tr) == [0, 1] and list(va) == [3] and list(te) == [5]
    assert_no_leak(splits, tr, va, te)


def test_pneumoniamnist_official_split_has_no_leak(mirror):
    ds = load_dataset("pneumoniamnist", size=(28, 28), progress=False)
    splits = make_splits(ds, "official", seed=0)
    with pytest.warns(UserWarning, match="val image"):  # 8 training images reappear in val
        tr, va, te = fold_indices(splits, 0, seed=0, val_fraction=0.15)
    assert_no_leak(splits, tr, va, te)


def test_cross_validation_refuses_a_class_smaller_than_the_folds():
    rng = np.random.default_rng(2)
    ds = _toy([f"p{i}" for i in range(12)], [0] * 10 + [1] * 2, rng.integers(0, 255, (12, 4, 4, 3)))
    with pytest.raises(ValueError, match="'malignant' \\(2\\)"):
        make_splits(ds, folds=5, seed=0)


def test_published_splits_hold_no_machine_path_and_survive_a_moved_mirror(mirror, tmp_path, monkeypatch):
    """Splits are keyed by path relative to the dataset root: a mirror elsewhere gives the same
    folds, and the committed quick-profile split file is reused as is."""
    import shutil

    from medlib import config
    from medlib.experiments.splits import load_or_make_splits

    moved = tmp_path / "elsewhere" / "data"
    moved.mkdir(parents=True)
    (moved / "covid-ct").symlink_to(mirror / "covid-ct")
    a = make_splits(load_dataset("cov_ct", size=(32, 32), progress=False), 10, config.DEFAULT_SEED)
    monkeypatch.setenv("MEDLIB_DATA_MIRROR", str(moved))
    monkeypatch.setenv("MEDLIB_CACHE_DIR", str(tmp_path / "cache"))
    ds = load_dataset("cov_ct", size=(32, 32), progress=False)
    assert str(moved) in str(ds.index["path"].iloc[0])
    b = make_splits(ds, 10, config.DEFAULT_SEED)
    pd.testing.assert_frame_equal(a.drop(columns="sha1"), b.drop(columns="sha1"))
    assert not a["file"].str.startswith("/").any()
    committed = config.PROJECT_ROOT / "results" / "quick" / "splits" / "cov_ct_k10_seed20221.csv"
    if committed.exists():  # the published folds, remade from the moved mirror, at their size
        saved = pd.read_csv(committed, keep_default_na=False)
        remade = make_splits(load_dataset("cov_ct", progress=False), 10, config.DEFAULT_SEED)
        assert (remade["file"].to_numpy() == saved["file"].to_numpy()).all()
        assert (remade["fold"].to_numpy() == saved["fold"].to_numpy()).all()
        copy = tmp_path / "splits.csv"
        shutil.copy(committed, copy)
        stamp = copy.stat().st_mtime_ns
        load_or_make_splits(ds, 10, config.DEFAULT_SEED, copy)
        assert copy.stat().st_mtime_ns == stamp  # reused as published, not remade


def test_a_subsample_never_shares_the_whole_datasets_splits_file():
    """A quick check on a few images a class (``per_class``) once overwrote the saved COV_CT
    splits that finished folds were cut from: a subsample's splits now have a file of their own,
    and the whole dataset's path is the one its fold files were made with."""
    from dataclasses import replace

    from medlib.profiles import get_profile
    from medlib.experiments.transfer import splits_path

    profile = get_profile("extended")
    block = profile.block("cov_ct", "scratch", "ff_vgg19")
    whole = splits_path(profile, "cov_ct", block, 20221)
    assert whole.name == "cov_ct_k10_seed20221.csv"
    assert splits_path(profile, "cov_ct", replace(block, per_class=12), 20221) != whole


def test_fold_data_is_the_one_way_to_a_folds_images_and_checks_leaks(tmp_path, monkeypatch):
    import numpy as np
    import pytest

    from medlib.data import is_available
    from medlib.experiments import transfer

    if not is_available("cells2"):
        pytest.skip("BCCD not on this machine")
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    data = transfer.fold_data(transfer.FoldJob("cells2", "mobilenetv2", "scratch", 1, "smoke"))
    parts = [set(data.train), set(data.val), set(data.test)]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert sorted(set().union(*parts)) == list(range(len(data.ds)))
    leaky = data.splits.copy()
    leaky.loc[int(data.test[0]), "group"] = leaky.loc[int(data.train[0]), "group"]
    with pytest.raises(AssertionError, match="share"):
        transfer.fold_data(transfer.FoldJob("cells2", "mobilenetv2", "scratch", 1, "smoke"), data.ds, leaky)
    assert np.array_equal(data.ds.targets, transfer.fold_data(
        transfer.FoldJob("cells2", "mobilenetv2", "scratch", 1, "smoke"), data.ds).ds.targets)
