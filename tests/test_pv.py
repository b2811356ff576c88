"""PV model: hand-computable steps, PySAM PVWatts v8 cross-check, Ordos yield check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr

from energysim import pv as pv_model
from energysim.config import PVConfig, SiteConfig
from energysim.errors import WeatherError

GREENSBORO = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
ORDOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ordos"
ORDOS_EPW = ORDOS / "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw"


def _weather_from_frame(df: pd.DataFrame, utc_offset_h: float, pressure_pa) -> xr.Dataset:
    # file rows are period-ending hours 01:00..24:00 of a typical year: row i is the hour
    # beginning at i h (DESIGN.md: period-beginning labels, local standard time, 8760 h)
    times = pd.date_range("1990-01-01", periods=8760, freq="h")
    ds = xr.Dataset(
        {name: ("time", df[name].to_numpy(float))
         for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed")},
        coords={"time": times},
        attrs={"timezone": f"Etc/GMT{-int(utc_offset_h):+d}", "utc_offset_h": float(utc_offset_h)},
    )
    ds["pressure"] = ("time", np.asarray(pressure_pa, dtype=float))
    ds["wind_speed"].attrs["height_m"] = 10.0
    return ds


@pytest.fixture(scope="module")
def greensboro():
    df, meta = pvlib.iotools.read_tmy3(GREENSBORO, map_variables=True)
    ds = _weather_from_frame(df, meta["TZ"], df["pressure"].to_numpy(float) * 100.0)  # mbar -> Pa
    site = SiteConfig(latitude=meta["latitude"], longitude=meta["longitude"],
                      altitude_m=meta["altitude"])
    return ds, site


def _pvwatts_v8(ds: xr.Dataset, site: SiteConfig, array_type: int, tilt: float) -> np.ndarray:
    """PySAM PVWatts v8 AC output [MW per MWp] on the same hourly weather."""
    import PySAM.Pvwattsv8 as pvwatts

    t = pd.DatetimeIndex(ds["time"].values)
    n = len(t)
    m = pvwatts.new()
    m.SolarResource.solar_resource_data = {
        "lat": site.latitude, "lon": site.longitude, "tz": ds.attrs["utc_offset_h"],
        "elev": site.altitude_m, "year": list(t.year), "month": list(t.month), "day": list(t.day),
        "hour": list(t.hour),
        # sun at mid-hour, like ours for period-beginning hourly means
        "minute": [30] * n,
        "dn": list(ds["dni"].values), "df": list(ds["dhi"].values), "gh": list(ds["ghi"].values),
        "tdry": list(ds["temp_air"].values), "wspd": list(ds["wind_speed"].values),
        "pres": list(ds["pressure"].values / 100.0),
    }
    m.SolarResource.use_wf_albedo = 0
    m.SolarResource.albedo_default = 0.2
    sd = m.SystemDesign
    sd.system_capacity = 1000.0  # kW DC
    sd.dc_ac_ratio = 1.2
    sd.inv_eff = 96.0
    sd.losses = 14.0
    sd.array_type = array_type  # 0 fixed open rack, 2 one-axis backtracking
    sd.tilt = tilt
    sd.azimuth = 180.0
    sd.module_type = 0  # standard: glass cover, gamma -0.37 %/K
    sd.gcr = 0.01  # minimum: a single unshaded row (DESIGN.md note)
    sd.rotlim = 45.0
    sd.bifaciality = 0.0
    m.execute()
    return np.asarray(m.Outputs.ac) / (1000.0 * sd.system_capacity)


# tracking -> (PVWatts array_type, tilt)
_CASES = {"fixed": (0, 35.0), "single_axis": (2, 0.0)}


@pytest.mark.parametrize("tracking", list(_CASES))
def test_cross_check_pysam_pvwatts_v8(greensboro, tracking):
    ds, site = greensboro
    array_type, tilt = _CASES[tracking]
    cfg = PVConfig(
        tracking=tracking, tilt_deg=tilt, azimuth_deg=180, dc_ac_ratio=1.2, losses_pct=14.0,
        inverter_efficiency_pct=96.0, availability_pct=100.0, gcr=0.01, max_angle_deg=45.0,
        albedo=0.2, bifaciality=0.0,
    )
    ours = pv_model.ac_per_mwp(ds, site, cfg)
    sam = _pvwatts_v8(ds, site, array_type, tilt)
    assert ours.name == "pv_pu" and ours.attrs["units"] == "MW MWp-1"
    assert (ours.values >= 0).all() and ours.values.max() <= 1 / 1.2 + 1e-12
    # tolerance: annual +-2 %, each month +-4 % (measured annual: fixed -1.5 %, 1-axis -1.0 %;
    # months -0.3 to -2.4 %; the gap is mostly our incidence-angle loss on diffuse light)
    assert ours.values.sum() == pytest.approx(sam.sum(), rel=0.02)
    month = pd.DatetimeIndex(ds["time"].values).month
    ours_m = pd.Series(ours.values).groupby(month).sum()
    sam_m = pd.Series(sam).groupby(month).sum()
    np.testing.assert_allclose(ours_m.to_numpy(), sam_m.to_numpy(), rtol=0.04)


def test_horizontal_plane_receives_ghi():
    # hand case: a horizontal plane sees no ground and the whole sky, so POA = GHI
    # whatever the diffuse model: beam dni*cos(z) + dhi
    zen = np.array([30.0, 60.0, 80.0])
    dni = np.array([800.0, 500.0, 200.0])
    dhi = np.array([100.0, 150.0, 60.0])
    ghi = dni * np.cos(np.radians(zen)) + dhi
    poa = pv_model.plane_of_array(
        np.zeros(3), np.full(3, 180.0), zen, zen, np.array([180.0, 120.0, 90.0]),
        dni, ghi, dhi, np.array([172, 172, 172]), 0.2,
    )
    total = poa["poa_direct"] + poa["poa_sky_diffuse"] + poa["poa_ground_diffuse"]
    np.testing.assert_allclose(total.to_numpy(), ghi, rtol=1e-9)
    np.testing.assert_allclose(poa["aoi"].to_numpy(), zen, atol=1e-9)


def test_dc_and_ac_hand_values():
    # STC: 1000 W/m2, 25 degC -> 1 MW per MWp; 45 degC with -0.4 %/K -> 0.92
    np.testing.assert_allclose(pv_model.dc_power([1000.0, 1000.0, 500.0], [25.0, 45.0, 25.0],
                                                 -0.004),
                               [1.0, 0.92, 0.5])
    # inverter at its DC rating (P_ac0/eta): output = P_ac0 = 1/dc_ac (nominal efficiency, clipped)
    pdc_rating = (1 / 1.25) / 0.96
    pac = pv_model.ac_power(np.array([pdc_rating, 2.0, 0.0]), 0.0, 1.25, 96.0)
    np.testing.assert_allclose(pac, [0.8, 0.8, 0.0], rtol=1e-9)
    # loss budget and availability scale linearly below clipping
    small = pv_model.ac_power(np.array([0.3]), 0.0, 1.2, 96.0)
    np.testing.assert_allclose(pv_model.ac_power(np.array([0.3 / 0.9]), 10.0, 1.2, 96.0, 95.0),
                               small * 0.95, rtol=1e-9)


def test_normal_incidence_iam_is_one():
    # Fresnel/absorption modifier is normalised to 1 at normal incidence (De Soto 2006)
    out = pv_model.transmitted_irradiance(np.array([900.0]), np.array([0.0]), np.array([0.0]),
                                          np.array([0.0]), np.array([20.0]))
    np.testing.assert_allclose(out, [900.0], rtol=1e-9)


def test_tracker_faces_sun_and_backtracks():
    zen = np.array([20.0, 60.0, 85.0])
    az = np.array([180.0, 100.0, 95.0])
    tilt, _ = pv_model.single_axis_orientation(zen, az, 60.0, 0.01)
    assert tilt[0] < 1.0  # noon: flat
    assert 55 < tilt[1] <= 60.0  # morning: turned east towards the sun (or limited)
    tilt_bt, _ = pv_model.single_axis_orientation(zen, az, 60.0, 0.5)
    assert tilt_bt[2] < tilt[2]  # low sun with dense rows: backtracks


def test_bifacial_gain(greensboro):
    ds, site = greensboro
    mono = pv_model.ac_per_mwp(ds, site, PVConfig(bifaciality=0.0, dc_ac_ratio=2.0)).values.sum()
    bi = pv_model.ac_per_mwp(ds, site, PVConfig(bifaciality=0.7, albedo=0.3,
                                                dc_ac_ratio=2.0)).values.sum()
    # upper bound: rear/front irradiance ratio of the view-factor model with albedo 0.3, 35 deg
    gain = bi / mono - 1
    cos35 = np.cos(np.radians(35))
    assert 0.02 < gain < 0.7 * (0.3 * (1 + cos35) / 2 + (1 - cos35) / 2)


def test_missing_variable_and_offset_are_weather_errors(greensboro):
    ds, site = greensboro
    with pytest.raises(WeatherError, match="dni"):
        pv_model.ac_per_mwp(ds.drop_vars("dni"), site, PVConfig())
    bad = ds.copy()
    bad.attrs = {}
    with pytest.raises(WeatherError, match="utc_offset_h"):
        pv_model.ac_per_mwp(bad, site, PVConfig())


@pytest.fixture(scope="module")
def ordos():
    if not ORDOS_EPW.is_file():
        pytest.skip(f"Ordos reference EPW not present at {ORDOS_EPW} (a user's clone has no "
                    "../shared)")
    df, meta = pvlib.iotools.read_epw(ORDOS_EPW)
    ds = _weather_from_frame(df, meta["TZ"], df["atmospheric_pressure"].to_numpy(float))
    site = SiteConfig(latitude=meta["latitude"], longitude=meta["longitude"],
                      altitude_m=meta["altitude"])
    return ds, site


def test_ordos_fixed_35_specific_yield(ordos):
    ds, site = ordos
    cfg = PVConfig(tracking="fixed", tilt_deg=35.0, losses_pct=14.08, availability_pct=100.0)
    dt_h = 1.0
    kwh_per_kwp = float(pv_model.ac_per_mwp(ds, site, cfg).values.sum()) * dt_h  # MWh/MWp
    # data README: PySAM PVWatts v8 on this file gives 1 256 kWh/kWp (fixed 35°); ±4 %
    # (measured: 1 248, -0.7 %)
    assert kwh_per_kwp == pytest.approx(1256.0, rel=0.04)


def test_ordos_single_axis_vs_pysam(ordos):
    # The README's 1 475 kWh/kWp is not reproduced by PVWatts v8 with a horizontal axis
    # (1 366 at rotlim 45°, gcr 0.01, on this file; a 20° tilted axis gives ~1 495), so the
    # check is against PVWatts v8 on the same file and settings: ±2 % (measured -0.2 %).
    ds, site = ordos
    cfg = PVConfig(tracking="single_axis", tilt_deg=0.0, losses_pct=14.0, availability_pct=100.0,
                   gcr=0.01, max_angle_deg=45.0)
    ours = pv_model.ac_per_mwp(ds, site, cfg).values.sum()
    assert ours == pytest.approx(_pvwatts_v8(ds, site, 2, 0.0).sum(), rel=0.02)


def test_multi_year_leap_rule_and_night(greensboro):
    # two years on one long time axis, 1992's 29 February dropped (the project's leap rule):
    # the same weather repeated gives the same energy each year (sun positions shift by days only)
    ds, site = greensboro
    t92 = pd.date_range("1992-01-01", "1992-12-31 23:00", freq="h")
    t92 = t92[~((t92.month == 2) & (t92.day == 29))]
    two = xr.concat([ds, ds.assign_coords(time=t92)], dim="time")
    out = pv_model.ac_per_mwp(two, site, PVConfig()).to_series()
    per_year = out.groupby(out.index.year).sum()
    assert len(out) == 2 * 8760
    assert per_year[1992] == pytest.approx(per_year[1990], rel=0.005)
    np.testing.assert_array_equal(out.values[np.tile(ds["ghi"].values, 2) == 0], 0.0)


@pytest.mark.parametrize("seed, hours, tilt, noct", [(0, 500, 35.0, 45.0), (1, 200, 10.0, 49.0),
                                                    (2, 300, 60.0, 52.0)])
def test_compiled_fuentes_equals_pvlib(seed, hours, tilt, noct):
    """energysim.pv_thermal.fuentes = pvlib.temperature.fuentes (the same equations compiled)."""
    from energysim.pv_thermal import fuentes

    rng = np.random.default_rng(seed)
    freq = "h" if seed != 2 else "30min"
    times = pd.date_range("2001-06-01", periods=hours, freq=freq)
    poa = np.clip(rng.normal(400, 400, hours), 0, 1200)
    temp = rng.uniform(-25, 40, hours)
    wind = rng.uniform(0, 20, hours)
    ref = pvlib.temperature.fuentes(pd.Series(poa, index=times), pd.Series(temp, index=times),
                                    pd.Series(wind, index=times), noct_installed=noct,
                                    surface_tilt=tilt)
    step = 1.0 if freq == "h" else 0.5
    ours = fuentes(poa, temp, wind, np.full(hours, step), noct, surface_tilt=tilt)
    np.testing.assert_allclose(ours, ref.to_numpy(), rtol=0, atol=1e-9)
