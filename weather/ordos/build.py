"""Build the shipped Ordos weather of this folder: calibrate the generator, write the files.

This script sits beside the data it makes (``params.json``, ``years.csv``,
``typical_year.csv``; provenance in ``weather/README.md``). It is a repository
tool, not part of the installed package: it reads the real Dongsheng data
beside the repository and calibrates the hub-level wind with the PV and wind
models and the ``configs/ordos.toml`` kit, which the generator
(:mod:`energysim.weather.synthetic`) itself must not depend on::

    python weather/ordos/build.py ordos         # calibrate to ../shared/data/ordos + write (~1 min)
    python weather/ordos/build.py regenerate    # rewrite the CSV files from params.json alone

``tests/test_weather_synthetic.py`` checks that ``regenerate`` reproduces the
shipped files byte for byte.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import xarray as xr

from energysim.timeaxis import HOURS_PER_YEAR
from energysim.weather import read_weather_file, write_energysim_csv
from energysim.weather.synthetic import GeneratorParams, fit, generate, select_typical_year
from energysim.weather.synthetic.calibration import (
    diffuse_factor_for,
    wind_scale_for,
    year_sd_for_cv,
)
from energysim.weather.synthetic.climate import daily_clear_sky_index
from energysim.weather.synthetic.params import KC_PROBS, rounded
from energysim.weather.synthetic.stats import lag_corr, normal_scores

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
#: The real Dongsheng data: read, never copied into the repository.
SHARED = REPO.parent / "shared" / "data" / "ordos"

#: The shipped Ordos set: site (configs/ordos.toml [site]), years, seed, hub height.
ORDOS = {
    "site": {"latitude": 39.6, "longitude": 109.8, "altitude_m": 1300.0, "utc_offset_h": 8.0},
    "years": (2001, 2010),       # years.csv: 10 years keep the shipped file < 5 MB
    # one draw; years.csv is its start, the typical year is chosen from all
    "pool_years": (2001, 2100),
    # years on which the diffuse factors are matched to CDSRD: the shipped params.json
    # was calibrated when years.csv held 20 years; kept so that a recalibration
    # reproduces it byte for byte
    "diffuse_years": (2001, 2020),
    "typical_candidates": 10,    # lowest-FS years ranked by closeness of annual means
    "seed": 53543,               # the Dongsheng WMO station number
    "wind_height_m": 100.0,
    # FACTS.md: 2 300-2 900 h (SPIC Dongsheng 2 521 h, Ordos 3.1 GW 2 870 h)
    "target_wind_flh_h": 2600.0,
    "cdsrd_years": (1991, 2017), # FACTS.md climatology period
}
EPW_NAME = "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw"
CDSRD_NAME = "cdsrd_53543_dongsheng_daily_1970_2017.csv"


def _years(key: str) -> range:
    first, last = ORDOS[key]
    return range(first, last + 1)


def read_cdsrd(path: Path, first: int, last: int) -> pd.DataFrame:
    """CDSRD daily GHI/DHI of ``first``-``last`` [Wh m-2], 29 February and gaps dropped."""
    df = pd.read_csv(path)
    df = df[(df["year"] >= first) & (df["year"] <= last)].copy()
    df["date"] = pd.to_datetime(df[["year", "month", "day"]])
    df = df[~((df["month"] == 2) & (df["day"] == 29))]
    df = df.dropna(subset=["GHI(MJ/m2)"])
    df["ghi_wh"] = df["GHI(MJ/m2)"] * 1e6 / 3600.0
    df["dhi_wh"] = df["DHI(MJ/m2)"] * 1e6 / 3600.0
    return df.reset_index(drop=True)


def park_kit(config_path=None) -> SimpleNamespace:
    """``[site]``, ``[pv]`` and ``[wind]`` of a park config (default ``configs/ordos.toml``).

    Only these sections are validated, so the config's ``[weather]`` file need
    not exist yet (it is what the calibration writes).
    """
    import tomllib

    from energysim.config import PVConfig, SiteConfig, WindConfig

    path = Path(config_path) if config_path else REPO / "configs" / "ordos.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    ctx = {"base_dir": path.resolve().parent}
    return SimpleNamespace(
        site=SiteConfig.model_validate(data["site"], context=ctx),
        pv=PVConfig.model_validate(data["pv"], context=ctx),
        wind=WindConfig.model_validate(data["wind"], context=ctx),
    )


def wind_full_load_hours(ds: xr.Dataset, kit: SimpleNamespace) -> float:
    """Mean annual full-load hours of the kit's wind farm on a Weather Dataset [h]."""
    from energysim import wind

    return float(wind.ac_per_mw(ds, kit.site, kit.wind).sum()) / (ds.sizes["time"] / HOURS_PER_YEAR)


def full_load_hours(ds: xr.Dataset, config_path=None) -> dict:
    """Mean annual full-load hours of the configured PV and wind on a Weather Dataset [h].

    Uses :func:`energysim.pv.ac_per_mwp` and :func:`energysim.wind.ac_per_mw`
    with the ``[site]``, ``[pv]`` and ``[wind]`` of the config (default
    ``configs/ordos.toml``); single-axis PV is the same ``[pv]`` with
    ``tracking = "single_axis"``.
    """
    from energysim import pv

    kit = park_kit(config_path)
    n_years = ds.sizes["time"] / HOURS_PER_YEAR
    tracking = kit.pv.model_copy(update={"tracking": "single_axis"})
    return {"wind": wind_full_load_hours(ds, kit),
            "pv_fixed": float(pv.ac_per_mwp(ds, kit.site, kit.pv).sum()) / n_years,
            "pv_single_axis": float(pv.ac_per_mwp(ds, kit.site, tracking).sum()) / n_years}


def _daily_clearness(cd: pd.DataFrame, base: GeneratorParams) -> dict:
    """Monthly kc_d quantiles and within-year persistence from the CDSRD days."""
    kc = daily_clear_sky_index(cd["ghi_wh"].to_numpy(), cd["date"], base.latitude, base.longitude,
                               base.altitude_m, base.utc_offset_h)
    months = cd["month"].to_numpy()
    kc_q = tuple(rounded(np.quantile(kc[months == m], KC_PROBS)) for m in range(1, 13))
    z = normal_scores(kc, months)
    z_within = z - pd.Series(z).groupby(cd["year"].to_numpy()).transform("mean").to_numpy()
    gap_days = np.diff(cd["date"].to_numpy()).astype("timedelta64[D]").astype(int)
    consecutive = np.r_[True, gap_days <= 2]
    return {"kc_quantiles": kc_q, "kc_lag1": rounded(lag_corr(z_within, 1, valid=consecutive))}


def _erbs_diffuse_fraction(epw: xr.Dataset, base: GeneratorParams) -> np.ndarray:
    """[12] Erbs diffuse fraction of the EPW hours (the EPW's own, over the fitted factor)."""
    month = pd.DatetimeIndex(epw["time"].values).month
    dhi, ghi = epw["dhi"].to_numpy(), epw["ghi"].to_numpy()
    epw_df = np.array([float(np.sum(dhi[month == m])) / float(np.sum(ghi[month == m]))
                       for m in range(1, 13)])
    return epw_df / np.asarray(base.diffuse_factor)


def _source_text(first: int, last: int) -> str:
    return (f"Dongsheng (WMO 53543) CSWD typical-year EPW ({EPW_NAME}; hourly structure, "
            "temperature, "
            f"pressure, wind dynamics) and CDSRD daily GHI/DHI {first}-{last} ({CDSRD_NAME}; daily "
            "clear-sky index, persistence, inter-annual variability, diffuse fraction); "
            "wind scaled to "
            f"hub level ({ORDOS['wind_height_m']:g} m) for {ORDOS['target_wind_flh_h']:g} "
            "full-load hours "
            "with configs/ordos.toml [wind]")


def calibrate_ordos(shared_dir, *, config_path=None, verbose: bool = False) -> GeneratorParams:
    """Fit the Ordos generator parameters to the Dongsheng data (read, never copied).

    1. :func:`~energysim.weather.synthetic.fit` to the CSWD typical year of
       Dongsheng (hourly structure, temperature, pressure, wind dynamics; its
       1-h label lag is corrected).
    2. Daily clear-sky-index quantiles, their persistence and the year effect
       from the CDSRD daily GHI of 1991-2017 (the FACTS.md climatology period:
       mean ≈ 1 675 kWh m-2, inter-annual ≈ 2.6 %); monthly diffuse factors so
       that the monthly diffuse fractions match CDSRD's (annual ≈ 0.37).
    3. Hub-level wind: the station's 10 m town wind understates wind-farm
       sites, so the monthly mean speeds are multiplied by one factor (no calm
       reporting threshold) so that the ``[wind]`` of ``configs/ordos.toml`` gives
       ``ORDOS['target_wind_flh_h']`` full-load hours over the whole draw
       through :func:`energysim.wind.ac_per_mw` (density and losses included);
       the wind is then stated at ``ORDOS['wind_height_m']``.

    Parameters
    ----------
    shared_dir : path
        Folder with the Dongsheng EPW and CDSRD daily files.
    config_path : path, optional
        Park config whose ``[site]`` and ``[wind]`` set the wind calibration
        (default ``configs/ordos.toml`` of the repository).
    """
    shared_dir = Path(shared_dir)
    epw = read_weather_file(shared_dir / EPW_NAME, "epw")
    base = fit(epw)
    first, last = ORDOS["cdsrd_years"]
    cd = read_cdsrd(shared_dir / CDSRD_NAME, first, last)
    counts = cd.groupby("year")["ghi_wh"].count()
    annual = cd.groupby("year")["ghi_wh"].sum()[counts >= 360]
    cv_target = float(annual.std(ddof=1) / annual.mean())
    dfrac = (cd.groupby("month")["dhi_wh"].sum() / cd.groupby("month")["ghi_wh"].sum()).to_numpy()
    params = base.replace(
        source=_source_text(first, last), **_daily_clearness(cd, base), kc_year_sd=0.0,
        diffuse_factor=rounded(dfrac / _erbs_diffuse_fraction(epw, base)),
        wind_height_m=float(ORDOS["wind_height_m"]),
        wind_calm_fraction=rounded(np.zeros((4, 24))), wind_calm_below_m_s=0.0,
        notes=("station pressure and temperature are Dongsheng's (1462 m); generate() moves "
               "pressure to the "
               "target altitude; the wind diurnal cycle and dynamics are the 10 m station's, "
               "scaled to hub level"),
    )
    params = params.replace(kc_year_sd=rounded(year_sd_for_cv(params, cv_target)))
    params = params.replace(diffuse_factor=rounded(diffuse_factor_for(
        params, dfrac, ORDOS["site"], _years("diffuse_years"), ORDOS["seed"])))
    if verbose:
        print(f"CDSRD {first}-{last}: annual GHI CV {cv_target:.4f} "
              f"-> year-effect sd {params.kc_year_sd:.4f}")
    kit = park_kit(config_path)
    alpha = wind_scale_for(params, lambda ds: wind_full_load_hours(ds, kit),
                           ORDOS["target_wind_flh_h"],
                           ORDOS["site"], _years("pool_years"), ORDOS["seed"])
    if verbose:
        print(f"wind scale {alpha:.4f} for {ORDOS['target_wind_flh_h']:.0f} full-load hours")
    wind_mean = rounded(np.asarray(params.wind_monthly_mean_m_s) * alpha)
    return params.replace(wind_monthly_mean_m_s=wind_mean,
                          notes=params.notes
                          + f"; monthly mean wind × {alpha:.4f} (hub-level calibration)")


def _header_source(params: GeneratorParams, seed: int, what: str) -> str:
    return (f"energysim synthetic weather generator v{params.version} "
            f"(energysim.weather.synthetic, parameters weather/ordos/params.json, "
            f"seed {seed}); {what}; "
            f"fitted to: {params.source}. Synthetic data, not measurements (weather/README.md)")


def _relabel(one: xr.Dataset, year: int, to_year: int, time_attrs: dict) -> xr.Dataset:
    t = pd.DatetimeIndex(one["time"].values)
    shifted = (t + pd.DateOffset(years=to_year - year)).as_unit("ns").to_numpy()
    one = one.assign_coords(time=("time", shifted))
    one["time"].attrs.update(time_attrs)
    return one


def ship(params: GeneratorParams, out_dir, *, site=None, seed=None) -> dict:
    """Write ``params.json``, ``years.csv`` and ``typical_year.csv`` into ``out_dir``.

    One draw of ``ORDOS['pool_years']`` (2001-2100) with ``seed`` is made;
    ``years.csv`` holds its first ``ORDOS['years']`` (2001-2010) and
    ``typical_year.csv`` is the year of the whole pool chosen by
    :func:`~energysim.weather.synthetic.select_typical_year`, relabelled to
    2001 (the energysim typical-year calendar).

    Returns
    -------
    dict
        ``typical_year`` (the chosen pool year), ``scores``, ``years``, ``seed``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    first, last = ORDOS["years"]
    p_first, p_last = ORDOS["pool_years"]
    seed = ORDOS["seed"] if seed is None else int(seed)
    params.to_json(out_dir / "params.json")
    pool = generate(params, site or ORDOS["site"], _years("pool_years"), seed)
    ds = pool.sel(time=slice(f"{first}-01-01", f"{last}-12-31 23:00"))
    ds.attrs["source"] = _header_source(params, seed,
                                        f"years {first}-{last} of a {p_first}-{p_last} draw")
    write_energysim_csv(ds, out_dir / "years.csv")
    year, scores = select_typical_year(pool, n_candidates=ORDOS["typical_candidates"])
    one = _relabel(pool.sel(time=str(year)), year, 2001, pool["time"].attrs)
    one.attrs["source"] = _header_source(
        params, seed, f"typical year = year {year} of a {p_first}-{p_last} draw chosen by the "
        "Finkelstein-Schafer criterion of select_typical_year, relabelled 2001")
    write_energysim_csv(one, out_dir / "typical_year.csv")
    return {"typical_year": year, "scores": scores, "years": (first, last), "seed": seed}


def regenerate(out_dir) -> dict:
    """Rewrite ``out_dir``'s shipped files from its ``params.json`` alone (no reference data)."""
    return ship(GeneratorParams.from_json(Path(out_dir) / "params.json"), out_dir)


def main(argv=None) -> int:
    """Calibrate and write (``ordos``) or rewrite (``regenerate``) the shipped files; return 0."""
    ap = argparse.ArgumentParser(prog="python weather/ordos/build.py",
                                 description="Calibrate and ship the synthetic Ordos weather.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ordos", help="calibrate to the Dongsheng data and write the shipped files")
    o.add_argument("--shared", default=str(SHARED),
                   help="folder of the Dongsheng EPW and CDSRD files")
    o.add_argument("--out", default=str(HERE))
    g = sub.add_parser("regenerate", help="rewrite the shipped files from params.json")
    g.add_argument("out", nargs="?", default=str(HERE))
    args = ap.parse_args(argv)
    if args.cmd == "ordos":
        info = ship(calibrate_ordos(args.shared, verbose=True), args.out)
    else:
        info = regenerate(args.out)
    print(f"typical year: synthetic {info['typical_year']}; "
          f"years.csv {info['years'][0]}-{info['years'][1]}, "
          f"seed {info['seed']} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
