"""Park load shapes: exact annual energy, non-negativity, daily/weekly patterns, seeding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energysim.config import LOAD_SHAPES, LoadConfig, park_from_dict
from energysim.errors import ConfigError
from energysim.load import (
    SHAPES,
    ar1_noise,
    load_mw,
    scale_to_annual,
    seasonal_factor,
    shift_activity,
    shift_change_dips,
)

YEAR = pd.date_range("2023-01-01", periods=8760, freq="h", tz="Etc/GMT-8")


def _series(load: LoadConfig, times=YEAR) -> pd.Series:
    da = load_mw(times, load)
    return pd.Series(da.to_numpy(), index=times)


def test_every_config_shape_has_parameters():
    assert set(SHAPES) == set(LOAD_SHAPES)


@pytest.mark.parametrize("shape", LOAD_SHAPES)
def test_annual_energy_exact_and_non_negative(shape):
    s = _series(LoadConfig(annual_mwh=10_000_000, shape=shape, noise_pct=5, seed=3))
    dt_h = 1.0
    assert (s * dt_h).sum() == pytest.approx(10_000_000, rel=1e-12)
    assert (s >= 0).all()
    assert np.isfinite(s).all()


def test_dataarray_labels():
    da = load_mw(YEAR, LoadConfig(annual_mwh=8760))
    assert da.name == "load" and da.dims == ("time",)
    assert da.attrs["units"] == "MW"
    # local standard time, tz dropped, period-beginning: first label is midnight
    assert pd.Timestamp(da["time"].values[0]) == pd.Timestamp("2023-01-01 00:00")


def test_multi_year_each_year_exact():
    # two 8760-h years, the leap day of 2024 dropped (the project's leap-year rule)
    t = pd.date_range("2023-01-01", "2024-12-31 23:00", freq="h")
    t = t[~((t.month == 2) & (t.day == 29))]
    s = _series(LoadConfig(annual_mwh=5000, shape="two_shift", seed=1), t)
    per_year = s.groupby(s.index.year).sum()
    np.testing.assert_allclose(per_year.to_numpy(), [5000, 5000], rtol=1e-12)


def test_short_horizon_keeps_mean_power():
    t = YEAR[: 24 * 28]
    s = _series(LoadConfig(annual_mwh=8760 * 100, shape="three_shift"), t)
    assert s.mean() == pytest.approx(100, rel=1e-12)


def test_seed_determinism_and_difference():
    a = _series(LoadConfig(annual_mwh=1000, seed=7))
    b = _series(LoadConfig(annual_mwh=1000, seed=7))
    c = _series(LoadConfig(annual_mwh=1000, seed=8))
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert np.abs(a - c).max() > 1e-3 * a.mean()


def test_noise_level_matches_config():
    quiet = _series(LoadConfig(annual_mwh=8760, shape="flat", noise_pct=0))
    noisy = _series(LoadConfig(annual_mwh=8760, shape="flat", noise_pct=4, seed=2))
    np.testing.assert_allclose(quiet.to_numpy(), 1.0, rtol=1e-12)
    assert noisy.std() / noisy.mean() == pytest.approx(0.04, rel=0.15)


def test_single_shift_daily_and_weekly_pattern():
    s = _series(LoadConfig(annual_mwh=8760, shape="single_shift", noise_pct=0))
    weekday = s[s.index.dayofweek < 5]
    by_hour = weekday.groupby(weekday.index.hour).mean()
    assert by_hour[10] > 3 * by_hour[3]  # working hours vs night base
    assert by_hour[12] < by_hour[10]  # lunch dip
    # weekends at base load: flat and below any weekday working hour
    weekend = s[s.index.dayofweek >= 5]
    assert weekend.groupby(weekend.index.dayofyear).std().max() < 1e-9 * weekend.mean()
    assert weekend.max() < by_hour[10] / 3


def test_three_shift_change_dips_and_sunday():
    s = _series(LoadConfig(annual_mwh=8760, shape="three_shift", noise_pct=0))
    wd = s[s.index.dayofweek < 5]
    h = wd.groupby(wd.index.hour).mean()
    # the 14:00 crew change straddles 13:30-14:30 -> dip in the 13:00 and 14:00 hour labels
    assert min(h[13], h[14]) < 0.95 * h[10]
    by_day = s.groupby(s.index.dayofweek).mean()
    assert by_day[6] < by_day[5] < by_day[0]


def test_continuous_is_nearly_flat_with_small_sunday_dip():
    s = _series(LoadConfig(annual_mwh=8760, shape="industrial_continuous", noise_pct=0))
    assert s.min() > 0.8 * s.mean() and s.max() < 1.15 * s.mean()
    by_day = s.groupby(s.index.dayofweek).mean()
    assert 0.9 < by_day[6] / by_day[2] < 0.99
    # winter (Jan) above spring (Apr): heating modulation
    by_month = s.groupby(s.index.month).mean()
    assert by_month[1] > by_month[4] and by_month[7] > by_month[4]


def test_tenants_sum():
    main = LoadConfig(annual_mwh=6000, shape="industrial_continuous", noise_pct=0)
    both = LoadConfig(
        annual_mwh=6000, noise_pct=0,
        tenants=[{"name": "cells", "annual_mwh": 3000, "shape": "two_shift", "noise_pct": 0}],
    )
    only = LoadConfig(tenants=[{"annual_mwh": 3000, "shape": "two_shift", "noise_pct": 0}])
    np.testing.assert_allclose(
        _series(both).to_numpy(), _series(main).to_numpy() + _series(only).to_numpy(), rtol=1e-12
    )
    assert _series(both).sum() == pytest.approx(9000, rel=1e-12)


def test_tenants_from_toml_dict():
    park = park_from_dict(
        {
            "site": {"latitude": 39.6, "longitude": 109.8},
            "load": {"annual_mwh": 1000, "tenants": [{"annual_mwh": 500, "shape": "single_shift"}]},
            "pv": {"max_mw": 0, "profile": None},
            "wind": {"max_mw": 0},
        }
    )
    assert _series(park.load).sum() == pytest.approx(1500, rel=1e-12)


def test_bad_tenant_shape_is_config_error():
    with pytest.raises(ConfigError, match="tenants"):
        park_from_dict(
            {
                "site": {"latitude": 39.6, "longitude": 109.8},
                "load": {"tenants": [{"annual_mwh": 500, "shape": "four_shift"}]},
                "wind": {"max_mw": 0},
                "pv": {"max_mw": 0},
            }
        )


def test_bad_times_is_config_error():
    with pytest.raises(ConfigError, match="increasing"):
        load_mw(YEAR[::-1], LoadConfig(annual_mwh=1))


def test_shift_activity_hand_values():
    h = np.array([5.5, 6.0, 6.5, 12.5, 21.5, 22.0, 22.5, 23.5])
    a = shift_activity(h, 6.0, 22.0, 1.0)
    np.testing.assert_allclose(a, [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0])
    # a night window wraps past midnight
    np.testing.assert_allclose(shift_activity(np.array([1.5, 12.5]), 22.0, 30.0, 1.0), [1.0, 0.0])


def test_dips_and_seasonal_hand_values():
    np.testing.assert_allclose(shift_change_dips(np.array([13.5, 14.5, 15.5]), (14.0,), 0.1),
                               [0.9, 0.9, 1.0])
    np.testing.assert_allclose(shift_change_dips(np.array([0.5, 23.5]), (0.0,), 0.2), [0.8, 0.8])
    f = seasonal_factor(np.array([15, 15 + 365 / 2]), 0.05, 0.03)
    np.testing.assert_allclose(f, [1.05, 1.03])


def test_ar1_noise_statistics():
    e = ar1_noise(200_000, 0.05, 0.8, np.random.default_rng(0))
    assert e.std() == pytest.approx(0.05, rel=0.03)
    assert np.corrcoef(e[1:], e[:-1])[0, 1] == pytest.approx(0.8, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(
    level=st.lists(st.floats(0.01, 100), min_size=2, max_size=50),
    annual=st.floats(1e-3, 1e9),
)
def test_scale_to_annual_property(level, annual):
    level = np.array(level)
    years = np.repeat([2020, 2021], [len(level) // 2, len(level) - len(level) // 2])
    mw = scale_to_annual(level, years, annual)
    for y in np.unique(years):
        sel = years == y
        assert mw[sel].sum() == pytest.approx(annual * sel.sum() / 8760, rel=1e-9)
    assert (mw >= 0).all()
