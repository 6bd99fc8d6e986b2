"""The ``dataset@task`` key convention of cross-device folds (no data needed)."""
import pytest

from medlib.profiles import cross_device_key, get_profile, split_key


def test_cross_device_keys_round_trip_and_find_their_block():
    key = cross_device_key("mosmed_ct", "covid_ct")
    assert key == "mosmed_ct@covid_ct" and split_key(key) == ("mosmed_ct", "covid_ct")
    assert split_key("mosmed_ct") == ("mosmed_ct", None)
    smoke = get_profile("smoke")
    assert smoke.block(key, "off_the_shelf") is smoke.cross[0]  # cross blocks, not notebook 02's
    assert smoke.block("cells2", "off_the_shelf") in smoke.blocks
    for bad in ("mosmed_ct@", "@covid_ct"):
        with pytest.raises(ValueError, match="dataset@task"):
            split_key(bad)


def _folder(tmp_path, name, classes=("benign", "malignant")):
    from PIL import Image

    from medlib.data import folder_dataset

    for c in classes:
        (tmp_path / name / c).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (8, 8), 40 * i).save(tmp_path / name / c / f"{i}.png")
    return folder_dataset(tmp_path / name, size=(32, 32))


def test_a_users_folder_travels_as_a_value_and_registries_stay_as_they_were(tmp_path):
    from medlib.data import DATASETS, build_index, get_spec
    from medlib.experiments.transfer import FoldJob, plan
    from medlib.profiles import PROFILES, add_datasets

    before = (dict(DATASETS), dict(PROFILES))
    spec = _folder(tmp_path, "my_us")
    assert spec.key not in DATASETS and get_spec(spec) is spec and len(build_index(spec)) == 6
    profile = add_datasets("smoke", [spec])
    assert profile is not PROFILES["smoke"] and profile.spec("my_us") is spec
    assert "my_us" in profile.datasets and "my_us" not in PROFILES["smoke"].datasets
    jobs = plan(profile, datasets=[spec])  # a spec or its key
    assert jobs == plan(profile, datasets=["my_us"])
    assert jobs and all(j.planned_by is profile and j.profile == "smoke" for j in jobs)
    assert jobs[0] == FoldJob(*list(jobs[0].identity().values()))  # the value is not the job's identity
    assert jobs[0].block().dataset == "my_us" and "planned_by" not in jobs[0].identity()
    assert (dict(DATASETS), dict(PROFILES)) == before
    with pytest.raises(KeyError, match="pass the spec"):
        get_spec("my_us")
    (tmp_path / "elsewhere").mkdir()
    twin = _folder(tmp_path / "elsewhere", "my_us")  # another folder of the same name
    with pytest.raises(ValueError, match="two different datasets named 'my_us'"):
        add_datasets(profile, [twin])


def test_a_users_pair_brings_its_task_and_cross_block_as_values(tmp_path):
    from medlib.experiments import cross_device as xd
    from medlib.profiles import PROFILES

    a, b = _folder(tmp_path, "site_a"), _folder(tmp_path, "site_b")
    pair, profile = xd.user_pair(a, b, "smoke")
    assert pair.task == "site_a__site_b" and pair.task not in xd.TASKS
    assert xd.task_of(profile, pair.task).mappings["site_b"] == {"benign": "benign", "malignant": "malignant"}
    assert profile.block(cross_device_key("site_a", pair.task), "off_the_shelf").dataset == pair.task
    assert profile.spec("site_b") is b and PROFILES["smoke"].cross == get_profile("smoke").cross
    assert xd.available(pair, profile) == (True, "")
    with pytest.raises(ValueError, match="both named 'site_a'"):
        xd.user_pair(a, _folder(tmp_path / "b", "site_a"), "smoke")
    with pytest.raises(xd.ClassMappingError, match="same classes"):
        xd.user_pair(a, _folder(tmp_path, "other", ("x", "y")), profile)


def test_the_central_claims_registered_design_is_six_datasets_two_networks_five_folds_two_seeds():
    from medlib.profiles import PROFILES, WITH_WEIGHTS

    plan = PROFILES["extended"].planned_units("off_the_shelf", "scratch", WITH_WEIGHTS)
    assert {u["dataset"] for u in plan} == {"cells2", "cov_ct", "covid_chestxray", "mosmed_ct", "pneumoniamnist",
                                            "breastmnist"}
    assert len(plan) == 12 and {(u["folds"], u["replicates_a"], u["replicates_b"]) for u in plan} == {(5, 2, 2)}
    # a second reading of a dataset (scratch only) plans no unit of this comparison
    assert not any(u["dataset"].startswith("cov_ct_") for u in plan)
