from medlib.data import DATASETS, PAPER_DATASETS, get_spec
from medlib.data.adapters import ADAPTERS
from medlib.data.registry import DIRECT, PRIVATE, REGISTRATION

import pytest


def test_all_paper_datasets_and_extras_registered():
    assert len(PAPER_DATASETS) == 11
    assert {"MNIST", "SKIN", "COV_CT", "Cells2", "PET/CT"} <= {DATASETS[k].paper_name for k in PAPER_DATASETS}
    assert {"mosmed_ct", "pneumoniamnist", "breastmnist", "covid_chestxray"} <= set(DATASETS)


@pytest.mark.parametrize("key", list(DATASETS))
def test_spec_is_complete(key):
    spec = DATASETS[key]
    assert spec.adapter in ADAPTERS
    assert spec.sources and spec.access in (DIRECT, REGISTRATION, PRIVATE)
    assert len(spec.image_size) == 2 and min(spec.image_size) >= 75  # Keras apps' minimum
    if spec.paper_counts:
        assert set(spec.paper_counts) == set(spec.classes)
    for source in spec.sources:
        if spec.components:  # composed of other datasets: says how to get them
            assert source.steps and all(k in DATASETS for k in spec.components)
        else:
            assert source.url if source.access == DIRECT else source.steps


def test_paper_preprocessing_s2_2():
    assert get_spec("lidc_idri").image_size == (80, 80)
    assert get_spec("lidc_idri").augmentation.noise_sigma == pytest.approx(0.1)
    assert get_spec("cov_x").image_size == (200, 266) and get_spec("cov_x").letterbox
    assert get_spec("cells2").image_size == (100, 100) and get_spec("cells2").augmentation.is_identity
    assert get_spec("ham10000").image_size == (150, 200)
    assert get_spec("mpip").image_size == (200, 200)


def test_unknown_dataset_is_named():
    with pytest.raises(KeyError, match="nope"):
        get_spec("nope")
