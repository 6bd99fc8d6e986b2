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
