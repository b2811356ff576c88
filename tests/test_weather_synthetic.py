"""Synthetic weather generator: fit to a real TMY3, generate, compare; the shipped Ordos files.

Cross-check: the generator is fitted to pvlib's bundled real TMY3 of Greensboro
NC (723170TYA.CSV), 20 synthetic years are drawn and compared with the real
file. Tolerances are stated in each test's docstring; measured values (seed 7)
are in weather/README.md. A deliberately broken parameter set must fail the
same persistence checks (the checks can fail).
"""

from __future__ import annotations

import ast
import filecmp
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energysim.weather import read_weather_file
from energysim.weather import synthetic as S
from energysim.weather.synthetic import checks as C
from energysim.weather.synthetic.climate import clear_sky

N_YEARS = 20
SEED = 7
FACTS_TEMP_C = np.array([-8.0, -4.9, 1.5, 7.7, 14.9, 19.0, 21.7, 19.6, 13.1, 7.2, 0.2, -6.2])


@pytest.fixture(scope="module")
def build(repo):
    """``weather/ordos/build.py``, the script that calibrates and writes the shipped Ordos files."""
    spec = importlib.util.spec_from_file_location("ordos_build",
                                                  repo / "weather" / "ordos" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def real():
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    return read_weather_file(path, "tmy3")


@pytest.fixture(scope="module")
def params(real):
    return S.fit(real)


@pytest.fixture(scope="module")
def synth(params):
    return S.generate(params, None, range(2001, 2001 + N_YEARS), seed=SEED)


@pytest.fixture(scope="module")
def low_wind_threshold(real):
    """Real 20th percentile of hourly wind, moved to the midpoint between the file's reported
    levels.

    The TMY3 reports wind in knot steps (0, 1.5, 2.1, 2.6 m/s ...): ``v < 2.1``
    in the file means ``v < ~1.8`` in continuous wind, so the threshold is the
    midpoint between the reported levels around the percentile.
    """
    w = real["wind_speed"].to_numpy()
    levels = np.unique(w)
    levels = levels[np.isin(levels, [v for v in levels if (w == v).sum() > 20])]
    i = int(np.searchsorted(levels, np.quantile(w, 0.2)))
    return 0.5 * (levels[i - 1] + levels[i])


# --- generator mechanics -------------------------------------------------------


def test_params_round_trip_json(params, tmp_path):
    """Parameters survive JSON exactly (what ships in weather/ordos/params.json)."""
    path = tmp_path / "p.json"
    params.to_json(path)
    assert S.GeneratorParams.from_json(path) == params


def test_determinism_and_seed(params):
    """Same params and seed → identical numbers; another seed → different weather."""
    a = S.generate(params, None, [2001, 2002], seed=3)
    b = S.generate(params, None, [2001, 2002], seed=3)
    c = S.generate(params, None, [2001, 2002], seed=4)
    for v in ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure"):
        np.testing.assert_array_equal(a[v].to_numpy(), b[v].to_numpy())
    assert not np.array_equal(a["ghi"].to_numpy(), c["ghi"].to_numpy())


def test_calendar_and_physics(synth):
    """8760 h per year (29 Feb dropped), no GHI in the dark, closure GHI = DHI + DNI cos θz within
    2 W m-2 + 1 %.
    """
    t = pd.DatetimeIndex(synth["time"].values)
    assert len(t) == 8760 * N_YEARS
    assert not ((t.month == 2) & (t.day == 29)).any()
    step_h = np.diff(t.asi8) / 3.6e12
    leap = sum(pd.Timestamp(y, 1, 1).is_leap_year for y in range(2001, 2001 + N_YEARS))
    assert set(np.unique(step_h)) <= {1.0, 25.0} and (step_h == 25.0).sum() == leap
    cs = clear_sky(t, synth.attrs["latitude"], synth.attrs["longitude"], synth.attrs["altitude_m"],
                      synth.attrs["utc_offset_h"])
    ghi, dni, dhi = (synth[v].to_numpy() for v in ("ghi", "dni", "dhi"))
    assert (ghi[cs["ghi_cs"].to_numpy() == 0] == 0).all()
    assert (ghi >= 0).all() and (dni >= 0).all() and (dhi >= 0).all() and (dhi <= ghi + 0.05).all()
    recon = dhi + dni * np.cos(np.radians(cs["zenith"].to_numpy())).clip(0)
    assert np.all(np.abs(recon - ghi) <= 2.0 + 0.01 * ghi)


def test_written_file_reads_back(synth, tmp_path):
    """A generated set written in the energysim format passes the reader's quality checks
    unchanged.
    """
    from energysim.weather import write_energysim_csv

    one = synth.isel(time=slice(0, 8760))
    path = write_energysim_csv(one, tmp_path / "w.csv")
    back = read_weather_file(path, "energysim")
    for v in ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure"):
        np.testing.assert_allclose(back[v].to_numpy(), one[v].to_numpy(), atol=1e-9)
    assert back["wind_speed"].attrs["height_m"] == one["wind_speed"].attrs["height_m"]


# --- cross-check against the real TMY3 ----------------------------------------------


def test_monthly_means_match_real(real, synth):
    """Monthly means: GHI within ±7 %, air temperature within ±1.5 K, wind speed within ±15 %.

    (Wind ±15 %: the real monthly means come from single spliced months with a
    knot-step anemometer; measured max deviation 12 % in September.)
    """
    g = C.monthly_means(synth, "ghi") / C.monthly_means(real, "ghi") - 1
    t = C.monthly_means(synth, "temp_air") - C.monthly_means(real, "temp_air")
    w = C.monthly_means(synth, "wind_speed") / C.monthly_means(real, "wind_speed") - 1
    assert np.abs(g).max() < 0.07, g
    assert np.abs(t).max() < 1.5, t
    assert np.abs(w).max() < 0.15, w


def test_hourly_distributions_match_real(real, synth):
    """Kolmogorov–Smirnov distance of hourly values: daytime GHI < 0.08, temperature < 0.06,
    wind < 0.15.

    (Wind: the real file is quantised in knot steps, which alone puts the KS
    distance of a continuous sample near 0.1; its P50 and P90 must also agree
    within 10 %.)
    """
    rg, sg = real["ghi"].to_numpy(), synth["ghi"].to_numpy()
    assert C.ks_distance(rg[rg > 0], sg[sg > 0]) < 0.08
    assert C.ks_distance(real["temp_air"].to_numpy(), synth["temp_air"].to_numpy()) < 0.06
    rw, sw = real["wind_speed"].to_numpy(), synth["wind_speed"].to_numpy()
    assert C.ks_distance(rw, sw) < 0.15
    for q in (0.5, 0.9):
        assert abs(np.quantile(sw, q) / np.quantile(rw, q) - 1) < 0.10


def test_autocorrelation_matches_real(real, synth):
    """Wind lag-1 h ACF within ±0.05, lag-24 h within ±0.08; daily clear-sky index lag-1 d
    within ±0.1.
    """
    rw, sw = real["wind_speed"].to_numpy(), synth["wind_speed"].to_numpy()
    assert abs(C.acf(sw, 1) - C.acf(rw, 1)) < 0.05
    assert abs(C.acf(sw, 24) - C.acf(rw, 24)) < 0.08
    rk, sk = C.daily_clear_sky_index(real), C.daily_clear_sky_index(synth)
    assert abs(C.acf(sk.to_numpy(), 1) - C.acf(rk.to_numpy(), 1)) < 0.1


def test_longest_spells_match_real(real, synth, low_wind_threshold):
    """Longest spells per year: the real value lies inside the synthetic 5–95 % range.

    Low wind: hours below the real 20th percentile (``low_wind_threshold``);
    low sun: consecutive days with daily clear-sky index below the real 30th
    percentile. The median over months of the monthly longest low-wind spell
    must also agree within ±30 %.
    """
    lr = C.longest_low_wind_spells(real, low_wind_threshold)[0]
    ls = C.longest_low_wind_spells(synth, low_wind_threshold)
    assert np.percentile(ls, 5) <= lr <= np.percentile(ls, 95), (lr, np.percentile(ls, [5, 95]))
    mr = np.median(C.longest_low_wind_spells(real, low_wind_threshold, by="month"))
    ms = np.median(C.longest_low_wind_spells(synth, low_wind_threshold, by="month"))
    assert abs(ms / mr - 1) < 0.3, (mr, ms)
    kc_thr = float(np.quantile(C.daily_clear_sky_index(real), 0.3))
    sr = C.longest_low_sun_spells(real, kc_thr)[0]
    ss = C.longest_low_sun_spells(synth, kc_thr)
    assert np.percentile(ss, 5) <= sr <= np.percentile(ss, 95), (sr, np.percentile(ss, [5, 95]))


def test_solar_wind_relation_matches_real(real, synth):
    """Daily clear-sky index vs daily mean wind: same sign as the real file, within ±0.1."""
    r, s = C.solar_wind_daily_corr(real), C.solar_wind_daily_corr(synth)
    assert np.sign(r) == np.sign(s)
    assert abs(r - s) < 0.1


def test_broken_persistence_is_detected(real, params, low_wind_threshold):
    """The checks can fail: white-noise wind and clearness (no persistence) break the ACF and
    spell checks.
    """
    broken = params.replace(wind_slow_share=0.0, wind_fast_lag1=0.0, kc_lag1=0.0,
                            solar_wind_corr=0.0)
    syn = S.generate(broken, None, range(2001, 2011), seed=SEED)
    assert abs(C.acf(syn["wind_speed"].to_numpy(), 1)
               - C.acf(real["wind_speed"].to_numpy(), 1)) > 0.05
    lr = C.longest_low_wind_spells(real, low_wind_threshold)[0]
    assert lr > np.percentile(C.longest_low_wind_spells(syn, low_wind_threshold), 95)


def test_fit_rejects_partial_days(real):
    """A series not made of whole days from 00:00 is a WeatherError naming the time axis."""
    from energysim.errors import WeatherError

    with pytest.raises(WeatherError, match="whole days"):
        S.fit(real.isel(time=slice(5, 8760)))


def test_typical_year_selection_prefers_typical_year(synth):
    """FS selection: the chosen year's annual GHI is within 2 % of the all-years mean."""
    year, table = S.select_typical_year(synth)
    t = pd.DatetimeIndex(synth["time"].values)
    annual = synth["ghi"].to_series().groupby(t.year).sum()
    assert abs(annual[year] / annual.mean() - 1) < 0.02
    assert table["candidate"].sum() == 5


# --- the shipped Ordos files ----------------------------------------------------


@pytest.fixture(scope="module")
def ordos_years(repo):
    return read_weather_file(repo / "weather" / "ordos" / "years.csv", "energysim")


@pytest.fixture(scope="module")
def ordos_typical(repo):
    return read_weather_file(repo / "weather" / "ordos" / "typical_year.csv", "energysim")


def test_ordos_files_shape(ordos_years, ordos_typical):
    """≥ 10 distinct whole years of 8760 h; the typical year is one 8760-h year; 100 m hub-level
    wind.
    """
    t = pd.DatetimeIndex(ordos_years["time"].values)
    counts = pd.Series(1, index=t).groupby(t.year).sum()
    assert len(counts) >= 10 and (counts == 8760).all()
    assert ordos_typical.sizes["time"] == 8760
    assert ordos_years["wind_speed"].attrs["height_m"] == 100.0
    assert ordos_years.attrs["utc_offset_h"] == 8.0
    annual = ordos_years["ghi"].to_series().groupby(t.year).sum()
    assert annual.nunique() == len(annual)


def test_ordos_climatology_matches_facts(ordos_years, ordos_typical):
    """Against FACTS.md: annual GHI mean 1 600–1 760 kWh m-2 with inter-annual CV 1.5–5 %;
    typical year within 2 % of the set's mean; diffuse fraction 0.33–0.41; monthly temperatures
    within ±2 K (set mean) and ±2.5 K (typical year).
    """
    t = pd.DatetimeIndex(ordos_years["time"].values)
    annual = ordos_years["ghi"].to_series().groupby(t.year).sum() / 1000
    assert 1600 <= annual.mean() <= 1760
    assert 0.015 <= annual.std() / annual.mean() <= 0.05
    assert abs(float(ordos_typical["ghi"].sum()) / 1000 / annual.mean() - 1) < 0.02
    for ds in (ordos_years, ordos_typical):
        assert 0.33 <= float(ds["dhi"].sum() / ds["ghi"].sum()) <= 0.41
    assert np.abs(C.monthly_means(ordos_years, "temp_air") - FACTS_TEMP_C).max() < 2.0
    assert np.abs(C.monthly_means(ordos_typical, "temp_air") - FACTS_TEMP_C).max() < 2.5


def test_ordos_against_dongsheng(ordos_years, shared_ordos, build):
    """Against the real Dongsheng data: monthly GHI within ±10 % of the CDSRD 1991–2017 means;
    monthly temperature within ±1 K of the CSWD typical year; the solar–wind daily correlation
    within ±0.1 of the CSWD year's; the daily clear-sky lag-1 autocorrelation within ±0.1 of
    CDSRD's.
    """
    cd = build.read_cdsrd(shared_ordos / build.CDSRD_NAME, 1991, 2017)
    cd_month = (cd.groupby("month")["ghi_wh"].mean()).to_numpy()
    t = pd.DatetimeIndex(ordos_years["time"].values)
    syn_month = ordos_years["ghi"].to_series().groupby(t.normalize()).sum().groupby(
        lambda d: d.month).mean().to_numpy()
    assert np.abs(syn_month / cd_month - 1).max() < 0.10
    epw = read_weather_file(shared_ordos / build.EPW_NAME, "epw")
    temp_diff = C.monthly_means(ordos_years, "temp_air") - C.monthly_means(epw, "temp_air")
    assert np.abs(temp_diff).max() < 1.0
    assert abs(C.solar_wind_daily_corr(ordos_years) - C.solar_wind_daily_corr(epw)) < 0.1
    kc = S.daily_clear_sky_index(cd["ghi_wh"], cd["date"], 39.83, 109.98, 1462.0, 8.0)
    assert abs(C.acf(C.daily_clear_sky_index(ordos_years).to_numpy(), 1) - C.acf(kc, 1)) < 0.1


def test_ordos_full_load_hours_in_facts_ranges(ordos_years, ordos_typical, build):
    """configs/ordos.toml kit through energysim.pv / energysim.wind, FACTS.md ranges for western
    Inner Mongolia: typical year PV fixed 1 250–1 600 h, single-axis 1 450–1 800 h, wind
    2 300–2 900 h; wind 2 300–2 900 h as the mean of all shipped years.

    (PV on all years takes ~15 s: measured 1 586 / 1 738 h in weather/README.md; single sunny
    years may exceed 1 600 h as CDSRD's 1 761 kWh m-2 years would.)
    """
    flh = build.full_load_hours(ordos_typical)
    assert 1250 <= flh["pv_fixed"] <= 1600, flh
    assert 1450 <= flh["pv_single_axis"] <= 1800, flh
    assert 2300 <= flh["wind"] <= 2900, flh
    wind_flh = build.wind_full_load_hours(ordos_years, build.park_kit())
    assert 2300 <= wind_flh <= 2900


def test_ordos_regenerates_byte_for_byte(repo, tmp_path, build):
    """params.json + the recorded seed reproduce the shipped CSV files byte for byte (no reference
    data).
    """
    params = S.GeneratorParams.from_json(repo / "weather" / "ordos" / "params.json")
    info = build.ship(params, tmp_path)
    assert info["seed"] == build.ORDOS["seed"]
    for name in ("years.csv", "typical_year.csv", "params.json"):
        assert filecmp.cmp(tmp_path / name, repo / "weather" / "ordos" / name, shallow=False), name



@pytest.mark.slow
def test_ordos_recalibrates_to_the_shipped_parameters(repo, shared_ordos, build):
    """weather/ordos/build.py's calibration (fit to the CSWD year, CDSRD clearness and diffuse
    fraction, hub-wind scaling through energysim.wind) gives the shipped params.json exactly.
    """
    params = build.calibrate_ordos(shared_ordos)
    shipped = (repo / "weather" / "ordos" / "params.json").read_text(encoding="utf-8")
    assert params.to_json() == shipped

# --- the weather stage imports nothing downstream ------------------------------------

#: What the weather stage may import from energysim: itself and the shared base.
#: the weather stage and the shared base any stage may import (DESIGN.md: nomenclature, errors,
#: and the small helpers of the same kind: paths, timeaxis)
WEATHER_MAY_IMPORT = ("energysim.weather", "energysim.errors", "energysim.nomenclature",
                      "energysim.paths", "energysim.timeaxis")


def _energysim_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("energysim"):
            found |= {node.module} if node.module != "energysim" else {
                f"energysim.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("energysim")}
    return found


def test_weather_stage_imports_nothing_downstream(repo):
    """No arrow against the DESIGN.md flow: the weather package (the synthetic generator
    included) imports no config, resource model or later stage, not even inside a function.
    """
    bad = {}
    for path in sorted((repo / "energysim" / "weather").rglob("*.py")):
        wrong = {m for m in _energysim_imports(path)
                 if not any(m == ok or m.startswith(ok + ".") for ok in WEATHER_MAY_IMPORT)}
        if wrong:
            bad[str(path.relative_to(repo))] = sorted(wrong)
    assert not bad, bad
    assert len(list((repo / "energysim" / "weather" / "synthetic").glob("*.py"))) >= 6
