"""Profile assembly: ready hourly files, the run's time axis, the leap-year rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energysim.config import park_from_dict
from energysim.errors import ProfileError
from energysim.profiles import build_profiles


def _park(tmp_path, **sections):
    base = {
        "site": {"name": "profile test", "latitude": 39.6, "longitude": 109.8,
                 "timezone": "Asia/Shanghai"},
        "load": {"profile": "load.csv:load"},
        "pv": {"capacity_mw": 0, "max_mw": 0},
        "wind": {"capacity_mw": 0, "max_mw": 0},
    }
    base.update(sections)
    return park_from_dict(base, base_dir=tmp_path)


def test_leap_year_profile_drops_29_february(tmp_path):
    """A measured leap-year load (8784 h) follows the one leap-year rule: 29 Feb dropped."""
    times = pd.date_range("2004-01-01", periods=8784, freq="h")
    load = 100.0 + (times.dayofyear == 60) * 1000.0  # 29 Feb marked by a spike
    pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M"), "load": load}).to_csv(
        tmp_path / "load.csv", index=False)
    prof = build_profiles(_park(tmp_path))
    index = pd.DatetimeIndex(prof["time"].values)
    assert len(index) == 8760
    assert not ((index.month == 2) & (index.day == 29)).any()
    np.testing.assert_array_equal(prof["load"].values, 100.0)  # every spike hour went


def test_mismatched_profile_names_the_file_and_what_set_the_run(tmp_path):
    times = pd.date_range("2001-06-01", periods=48, freq="h").strftime("%Y-%m-%dT%H:%M")
    pd.DataFrame({"time": times, "load": 50.0}).to_csv(tmp_path / "load.csv", index=False)
    pd.DataFrame({"pv": np.full(24, 0.3)}).to_csv(tmp_path / "pv.csv", index=False)
    park = _park(tmp_path, pv={"capacity_mw": 10, "profile": "pv.csv:pv"})
    with pytest.raises(ProfileError, match=r"pv\.csv: pv: has 24 hourly values; the run has 48 "
                       r"hours .*set by load\.csv:load"):
        build_profiles(park)
