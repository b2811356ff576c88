"""Wind model: hand-computable physics, windpowerlib ModelChain and PySAM Windpower cross-checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from energysim import wind as wind_model
from energysim.config import SiteConfig, WindConfig
from energysim.errors import ConfigError, InputDataError, WeatherError

GREENSBORO = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
TURBINE = "E-126/4200"
HUB_M = 120.0
Z0_M = 0.05


@pytest.fixture(scope="module")
def greensboro():
    df, meta = pvlib.iotools.read_tmy3(GREENSBORO, map_variables=True)
    times = pd.date_range("1990-01-01", periods=8760, freq="h")
    ds = xr.Dataset(
        {
            "temp_air": ("time", df["temp_air"].to_numpy(float)),
            "wind_speed": ("time", df["wind_speed"].to_numpy(float), {"height_m": 10.0}),
            "pressure": ("time", df["pressure"].to_numpy(float) * 100.0),  # mbar -> Pa
        },
        coords={"time": times},
        attrs={"timezone": "Etc/GMT+5", "utc_offset_h": -5.0},
    )
    site = SiteConfig(latitude=meta["latitude"], longitude=meta["longitude"],
                      altitude_m=meta["altitude"])
    return ds, site


def _windpowerlib_run(ds: xr.Dataset, density_correction: bool) -> np.ndarray:
    from windpowerlib import ModelChain, WindTurbine

    n = ds.sizes["time"]
    weather = pd.DataFrame(
        np.column_stack([ds["wind_speed"].values, ds["temp_air"].values + 273.15,
                         ds["pressure"].values, np.full(n, Z0_M)]),
        columns=[np.array(["wind_speed", "temperature", "pressure", "roughness_length"]),
                 np.array([10, 2, 0, 0])],
    )
    turbine = WindTurbine(hub_height=HUB_M, turbine_type=TURBINE)
    mc = ModelChain(
        turbine, wind_speed_model="logarithmic", density_model="barometric",
        temperature_model="linear_gradient", power_output_model="power_curve",
        density_correction=density_correction, obstacle_height=0,
    ).run_model(weather)
    return mc.power_output.to_numpy() / turbine.nominal_power


def _cfg(**kw) -> WindConfig:
    base = {"turbine": TURBINE, "hub_height_m": HUB_M, "losses_pct": 0.0,
            "roughness_length_m": Z0_M, "wind_profile": "log"}
    return WindConfig(**(base | kw))


def test_cross_check_windpowerlib_without_density_correction(greensboro):
    ds, site = greensboro
    speed, _ = wind_model.hub_conditions(ds, site, _cfg())
    curve_speed, curve_pu = wind_model.turbine_power_curve(TURBINE)
    ours = wind_model.power_curve_output(speed, curve_speed, curve_pu)
    ref = _windpowerlib_run(ds, density_correction=False)
    # same log law and curve interpolation: annual energy within 2 % (measured 0.00 %)
    assert ours.sum() == pytest.approx(ref.sum(), rel=0.02)
    np.testing.assert_allclose(ours, ref, atol=1e-9)


def test_cross_check_windpowerlib_with_density_correction(greensboro):
    ds, site = greensboro
    ours = wind_model.ac_per_mw(ds, site, _cfg())
    ref = _windpowerlib_run(ds, density_correction=True)
    assert ours.name == "wind_pu" and ours.attrs["units"] == "MW MW-1"
    # IEC (ρ/ρ0)^(1/3) vs windpowerlib's Svenningsen exponent 1/3..2/3: within 2 % (measured +0.4 %)
    assert float(ours.sum()) == pytest.approx(ref.sum(), rel=0.02)


def test_density_matches_windpowerlib_barometric(greensboro):
    from windpowerlib import density, temperature

    ds, site = greensboro
    _, rho = wind_model.hub_conditions(ds, site, _cfg())
    t_hub = temperature.linear_gradient(pd.Series(ds["temp_air"].values + 273.15), 2, HUB_M)
    ref = density.barometric(pd.Series(ds["pressure"].values), 0, HUB_M, t_hub).to_numpy()
    # hypsometric vs windpowerlib's linear 1/8 hPa per m: within 0.5 % (measured 0.2 %)
    np.testing.assert_allclose(rho, ref, rtol=0.005)


def _pysam_windpower(speed_hub, temp_c, pressure_atm, curve_speed, curve_kw) -> np.ndarray:
    import PySAM.Windpower as windpower

    m = windpower.new()
    m.Resource.wind_resource_model_choice = 0  # hourly time series
    m.Resource.wind_resource_data = {
        "heights": [HUB_M] * 4,
        "fields": [1, 2, 3, 4],  # temperature degC, pressure atm, speed m/s, direction deg
        "data": [[float(t), float(p), float(v), 180.0]
                 for t, p, v in zip(temp_c, pressure_atm, speed_hub, strict=True)],
    }
    t = m.Turbine
    t.wind_turbine_powercurve_windspeeds = list(map(float, curve_speed))
    t.wind_turbine_powercurve_powerout = list(map(float, curve_kw))
    t.wind_turbine_hub_ht = HUB_M
    t.wind_turbine_rotor_diameter = 127.0
    t.wind_resource_shear = 0.14
    f = m.Farm
    f.wind_farm_xCoordinates = [0.0]
    f.wind_farm_yCoordinates = [0.0]
    f.wind_farm_wake_model = 0
    f.system_capacity = float(max(curve_kw))
    f.wind_resource_turbulence_coeff = 0.1
    losses = [name for name in dir(m.Losses) if name.endswith("_loss")]
    for name in losses:
        setattr(m.Losses, name, 0.0)
    m.Losses.en_icing_cutoff = 0
    m.Losses.en_low_temp_cutoff = 0
    m.execute()
    return np.asarray(m.Outputs.gen) / max(curve_kw)


def _hub_weather(speed, temp_c, pressure_pa) -> xr.Dataset:
    times = pd.date_range("1990-01-01", periods=len(speed), freq="h")
    return xr.Dataset(
        {"wind_speed": ("time", speed, {"height_m": HUB_M}), "temp_air": ("time", temp_c),
         "pressure": ("time", pressure_pa)},
        coords={"time": times}, attrs={"utc_offset_h": 0.0},
    )


@pytest.mark.parametrize("air", ["standard", "site"])
def test_cross_check_pysam_windpower(greensboro, air):
    ds, site = greensboro
    speed, _ = wind_model.hub_conditions(ds, site, _cfg())
    n = len(speed)
    # standard air (15 degC, 1 atm, ρ ≈ 1.225): curves compare like for like;
    # site air: both correct for density, each its own way
    temp = np.full(n, 15.0) if air == "standard" else ds["temp_air"].values
    pressure_pa = np.full(n, 101325.0) if air == "standard" else ds["pressure"].values
    curve_speed, curve_pu = wind_model.turbine_power_curve(TURBINE)
    sam = _pysam_windpower(speed, temp, pressure_pa / 101325.0, curve_speed, curve_pu * 4200.0)
    # weather given at hub height: no extrapolation, only the density at +0 m
    hub = _hub_weather(speed, temp, pressure_pa)
    ours = wind_model.ac_per_mw(hub, site, _cfg(hub_height_m=HUB_M)).values
    # annual energy within 2 % (measured: -1.0 % in both cases)
    assert ours.sum() == pytest.approx(sam.sum(), rel=0.02)


def test_synthetic_weibull_vs_windpowerlib():
    # independent of any weather file: Weibull k = 2, c = 8 m/s at hub height, sea-level air
    rng = np.random.default_rng(42)
    speed = 8.0 * rng.weibull(2.0, 8760)
    from windpowerlib import WindTurbine, power_output

    turbine = WindTurbine(hub_height=HUB_M, turbine_type=TURBINE)
    ref = power_output.power_curve(
        pd.Series(speed), turbine.power_curve["wind_speed"], turbine.power_curve["value"]
    ).to_numpy() / turbine.nominal_power
    curve_speed, curve_pu = wind_model.turbine_power_curve(TURBINE)
    ours = wind_model.power_curve_output(speed, curve_speed, curve_pu)
    assert ours.sum() == pytest.approx(ref.sum(), rel=0.02)  # measured: identical
    assert 0.25 < ours.mean() < 0.6  # a 4.2 MW turbine at 8 m/s Weibull scale


def test_shear_laws_hand_values():
    # log law: ln(100/0.1)/ln(10/0.1) = 1.5; power law: (100/10)^(1/7) = 1.389495...
    np.testing.assert_allclose(
        wind_model.hub_wind_speed_log(np.array([6.0]), 10.0, 100.0, 0.1), [9.0]
    )
    np.testing.assert_allclose(
        wind_model.hub_wind_speed_power(np.array([5.0]), 10.0, 100.0, 1 / 7), [5.0 * 10 ** (1 / 7)]
    )


def test_air_physics_reference_values():
    # ISA: 1000 m -> 89 874.6 Pa (ISO 2533 table 89.87 kPa); ρ(101 325 Pa, 15 degC) = 1.225 kg/m3
    assert wind_model.pressure_from_altitude(1000.0) == pytest.approx(89874.6, rel=2e-4)
    assert wind_model.air_density(101325.0, 15.0) == pytest.approx(1.225, rel=1e-3)
    # hypsometric: 100 m at 0 degC lowers pressure by ~1.24 %
    hub_p = wind_model.hub_pressure(np.array([100000.0]), np.array([0.0]), 100.0)[0]
    assert hub_p == pytest.approx(
        100000.0 * np.exp(-9.80665 * 100 / (287.058 * 273.15)), rel=1e-12
    )
    assert wind_model.hub_temperature(np.array([10.0]), 102.0)[0] == pytest.approx(9.35)


def test_iec_density_correction():
    curve_speed = np.array([3.0, 6.0, 9.0, 12.0, 25.0])
    curve_pu = np.array([0.0, 0.2, 0.6, 1.0, 1.0])
    v = np.array([7.0])
    rho = 0.9 * wind_model.RHO0_KG_M3
    vn = wind_model.density_normalised_speed(v, rho)
    np.testing.assert_allclose(vn, 7.0 * 0.9 ** (1 / 3))
    out = wind_model.power_curve_output(vn, curve_speed, curve_pu)
    np.testing.assert_allclose(out, np.interp(7.0 * 0.9 ** (1 / 3), curve_speed, curve_pu))
    # cut-out: zero above the last curve point and below the first
    np.testing.assert_array_equal(
        wind_model.power_curve_output(np.array([2.0, 26.0]), curve_speed, curve_pu), [0, 0]
    )


def test_losses_and_pressure_from_altitude():
    speed = np.full(48, 10.0)
    temp = np.full(48, 8.0)
    ds = _hub_weather(speed, temp, np.full(48, 86000.0)).drop_vars("pressure")
    site = SiteConfig(latitude=39.6, longitude=109.8, altitude_m=1300.0)
    no_loss = wind_model.ac_per_mw(ds, site, _cfg()).values
    lossy = wind_model.ac_per_mw(ds, site, _cfg(losses_pct=10.0)).values
    np.testing.assert_allclose(lossy, 0.9 * no_loss)
    _, rho = wind_model.hub_conditions(ds, site, _cfg())
    # Ordos altitude: ρ ≈ 1.06-1.08 kg/m3 (FACTS.md) at ~8 degC
    assert 1.05 < rho[0] < 1.09


def test_power_curve_csv(tmp_path):
    path = tmp_path / "curve.csv"
    path.write_text("wind_speed,power\n3,0\n8,1500\n12,3000\n25,3000\n")
    speed, pu = wind_model.turbine_power_curve(power_curve=path)
    np.testing.assert_allclose(pu, [0, 0.5, 1, 1])
    cfg = WindConfig(turbine=None, power_curve=path, hub_height_m=HUB_M, losses_pct=0.0)
    ds = _hub_weather(np.array([8.0, 30.0]), np.array([15.0, 15.0]), np.array([101325.0, 101325.0]))
    site = SiteConfig(latitude=0, longitude=0)
    out = wind_model.ac_per_mw(ds, site, cfg).values
    # station pressure and 2 m temperature are lifted to the hub: ρ a little below 1.225
    _, rho = wind_model.hub_conditions(ds, site, cfg)
    assert 1.19 < rho[0] < 1.225
    assert out[0] == pytest.approx(
        np.interp(8.0 * (rho[0] / 1.225) ** (1 / 3), [3, 8, 12], [0, 0.5, 1])
    )
    assert out[1] == 0.0  # beyond cut-out


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("speed,power\n3,0\n12,3000\n", "wind_speed"),
        ("wind_speed,power\n3,0\n3,100\n12,3000\n", "increase"),
        ("wind_speed,power\n3,0\n8,-5\n12,3000\n", ">= 0 kW"),
        ("wind_speed,power\n3,0\n8,abc\n", "numbers"),
    ],
)
def test_bad_power_curve_is_input_error(tmp_path, text, field):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputDataError, match=field) as info:
        wind_model.turbine_power_curve(power_curve=path)
    assert str(path) in str(info.value)


def test_unknown_turbine_is_config_error():
    with pytest.raises(ConfigError, match="turbine"):
        wind_model.turbine_power_curve("NoSuch-Turbine/1234")


def test_missing_height_is_weather_error(greensboro):
    ds, site = greensboro
    bad = ds.copy()
    bad["wind_speed"].attrs = {}
    with pytest.raises(WeatherError, match="height_m"):
        wind_model.ac_per_mw(bad, site, _cfg())


@settings(max_examples=30, deadline=None)
@given(
    speed=st.lists(st.floats(0, 60), min_size=1, max_size=30),
    temp=st.floats(-40, 45),
    pressure=st.floats(60_000, 105_000),
    losses=st.floats(0, 50),
)
def test_output_bounded_property(speed, temp, pressure, losses):
    n = len(speed)
    ds = _hub_weather(np.array(speed), np.full(n, temp), np.full(n, pressure))
    out = wind_model.ac_per_mw(ds, SiteConfig(latitude=0, longitude=0),
                               _cfg(losses_pct=losses)).values
    assert np.all(out >= 0) and np.all(out <= (1 - losses / 100) + 1e-12)
