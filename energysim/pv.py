"""Solar PV: hourly AC output per MWp DC from weather.

The chain follows PVWatts v5/v8 [1]_ [2]_ so it can be checked against PySAM
PVWatts v8 on the same weather, one pure function per physical step:

1. :func:`solar_position` at the middle of each period-beginning hour;
2. :func:`fixed_orientation` or :func:`single_axis_orientation` (N-S axis,
   backtracking, rotation limit);
3. :func:`plane_of_array` — Perez 1990 transposition with extraterrestrial DNI
   and relative air mass;
4. :func:`transmitted_irradiance` — physical (Fresnel + absorption) incidence
   angle modifier of the glass cover for beam, sky and ground diffuse;
5. :func:`rear_irradiance` — optional bifacial gain (view-factor model);
6. :func:`cell_temperature` — Fuentes model with installed NOCT 45 degC for open
   rack, the model PVWatts uses [1]_: it carries the module's thermal mass
   from hour to hour, and it makes the PySAM cross-check like for like;
7. :func:`dc_power` — PVWatts DC model with power temperature coefficient;
8. :func:`ac_power` — DC loss budget, PVWatts inverter curve, AC clipping at
   the DC/AC ratio, plant availability.

:func:`ac_per_mwp` wires them on a Weather Dataset (DESIGN.md contract) and
returns ``pv_pu`` [MW AC per MWp DC].

References
----------
.. [1] A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014.
.. [2] NREL, "PVWatts Version 8" (SAM 2022 technical notes), pvwattsv8 compute
   module in ssc.
.. [3] R. Perez et al., "Modeling daylight availability and irradiance
   components from direct and global irradiance", Solar Energy 44(5), 1990.
.. [4] W. F. Marion et al., "User's Guide for the Single-Axis Tracking
   Algorithm", NREL/TP-5K00-76626, 2020 (backtracking).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pvlib
import xarray as xr

from energysim.config import PVConfig, SiteConfig
from energysim.errors import WeatherError, problem
from energysim.nomenclature import attrs
from energysim.weather import local_times

__all__ = [
    "solar_position",
    "fixed_orientation",
    "single_axis_orientation",
    "plane_of_array",
    "transmitted_irradiance",
    "rear_irradiance",
    "cell_temperature",
    "dc_power",
    "ac_power",
    "ac_per_mwp",
]

#: Installed NOCT of an open-rack array in the Fuentes model, PVWatts' value [degC] [1].
NOCT_OPEN_RACK_C = 45.0
#: Inverter efficiency at the reference point of the PVWatts curve [-] [1].
ETA_INV_REF = 0.9637
#: Time step of the weather [h]; labels are period-beginning.
DT_H = 1.0


def solar_position(
    times: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude_m: float,
    pressure_pa: np.ndarray | None = None,
    temp_air: np.ndarray | None = None,
) -> pd.DataFrame:
    """Sun position at the middle of each period-beginning hour.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Timezone-aware period-beginning labels of hourly steps.
    latitude : float
        Site latitude [deg N].
    longitude : float
        Site longitude [deg E].
    altitude_m : float
        Site altitude [m]; sets the refraction pressure when ``pressure_pa`` is None.
    pressure_pa : array-like, optional
        Station pressure [Pa] for refraction.
    temp_air : array-like, optional
        Air temperature [degC] for refraction (12 degC when None).

    Returns
    -------
    pandas.DataFrame
        ``apparent_zenith``, ``zenith``, ``azimuth`` [deg], indexed by ``times``.

    Notes
    -----
    Hourly irradiance is an hour's mean, so the sun is placed at the hour's
    midpoint (label + Δt/2), as PVWatts does for hourly data [1]_. Algorithm:
    NREL SPA (Reda & Andreas 2004) via pvlib.
    """
    mid = times + pd.Timedelta(hours=DT_H / 2)
    if pressure_pa is None:
        pressure_pa = pvlib.atmosphere.alt2pres(altitude_m)
    temperature = 12.0 if temp_air is None else np.asarray(temp_air, dtype=float)
    pos = pvlib.solarposition.get_solarposition(
        mid, latitude, longitude, altitude=altitude_m,
        pressure=np.asarray(pressure_pa, dtype=float), temperature=temperature,
    )
    pos.index = times
    return pos[["apparent_zenith", "zenith", "azimuth"]]


def fixed_orientation(
    tilt_deg: float, azimuth_deg: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Surface tilt and azimuth of a fixed array, repeated for ``n`` steps.

    Parameters
    ----------
    tilt_deg : float
        Tilt from horizontal [deg].
    azimuth_deg : float
        Azimuth clockwise from north [deg].
    n : int
        Number of time steps [-].

    Returns
    -------
    surface_tilt, surface_azimuth : numpy.ndarray
        [deg] each.
    """
    return np.full(n, float(tilt_deg)), np.full(n, float(azimuth_deg))


def single_axis_orientation(
    apparent_zenith: np.ndarray,
    solar_azimuth: np.ndarray,
    max_angle_deg: float,
    gcr: float,
    axis_azimuth_deg: float = 180.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Surface tilt and azimuth of a horizontal single-axis tracker with backtracking.

    Parameters
    ----------
    apparent_zenith : array-like
        Refraction-corrected solar zenith [deg].
    solar_azimuth : array-like
        Solar azimuth clockwise from north [deg].
    max_angle_deg : float
        Rotation limit either side of horizontal [deg].
    gcr : float
        Ground coverage ratio (module width / row pitch) [-].
    axis_azimuth_deg : float, default 180
        Azimuth of the axis [deg]; 180 = N-S axis, modules turning east-west.

    Returns
    -------
    surface_tilt, surface_azimuth : numpy.ndarray
        [deg]; at night the tracker is stowed flat (tilt 0).

    Notes
    -----
    True-tracking angle with backtracking to avoid row-to-row shading [4]_,
    via :func:`pvlib.tracking.singleaxis`.
    """
    track = pvlib.tracking.singleaxis(
        np.asarray(apparent_zenith, dtype=float),
        np.asarray(solar_azimuth, dtype=float),
        axis_tilt=0.0,
        axis_azimuth=axis_azimuth_deg,
        max_angle=max_angle_deg,
        backtrack=True,
        gcr=gcr,
    )
    tilt = np.nan_to_num(np.asarray(track["surface_tilt"], dtype=float), nan=0.0)
    azimuth = np.nan_to_num(np.asarray(track["surface_azimuth"], dtype=float), nan=axis_azimuth_deg)
    return tilt, azimuth


def plane_of_array(
    surface_tilt: np.ndarray,
    surface_azimuth: np.ndarray,
    solar_zenith: np.ndarray,
    apparent_zenith: np.ndarray,
    solar_azimuth: np.ndarray,
    dni: np.ndarray,
    ghi: np.ndarray,
    dhi: np.ndarray,
    day_of_year: np.ndarray,
    albedo: float,
) -> pd.DataFrame:
    """Plane-of-array irradiance by Perez 1990 transposition.

    Parameters
    ----------
    surface_tilt, surface_azimuth : array-like
        Module orientation [deg].
    solar_zenith, apparent_zenith, solar_azimuth : array-like
        Sun position [deg] (true and refracted zenith).
    dni, ghi, dhi : array-like
        Direct normal, global and diffuse horizontal irradiance [W m-2].
    day_of_year : array-like
        Day of year [1-365] for extraterrestrial irradiance.
    albedo : float
        Ground reflectance [-].

    Returns
    -------
    pandas.DataFrame
        ``poa_direct``, ``poa_sky_diffuse``, ``poa_ground_diffuse`` [W m-2] and
        ``aoi`` [deg].

    Notes
    -----
    Sky diffuse by Perez et al. [3]_ (all-sites composite 1990 coefficients)
    with extraterrestrial DNI (Spencer 1971) and Kasten-Young 1989 relative
    air mass on the refracted zenith; ground-reflected term isotropic,
    ``albedo * ghi * (1 - cos tilt) / 2``. Beam on the plane is
    ``dni * max(cos aoi, 0)``.
    """
    dni_extra = pvlib.irradiance.get_extra_radiation(np.asarray(day_of_year))
    airmass = pvlib.atmosphere.get_relative_airmass(np.asarray(apparent_zenith, dtype=float))
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt, surface_azimuth, solar_zenith, solar_azimuth,
        dni, ghi, dhi, dni_extra=dni_extra, airmass=airmass, albedo=albedo,
        model="perez", model_perez="allsitescomposite1990",
    )
    aoi = pvlib.irradiance.aoi(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth)
    out = pd.DataFrame(
        {
            "poa_direct": np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float)),
            "poa_sky_diffuse": np.nan_to_num(np.asarray(poa["poa_sky_diffuse"], dtype=float)),
            "poa_ground_diffuse": np.nan_to_num(np.asarray(poa["poa_ground_diffuse"], dtype=float)),
            "aoi": np.asarray(aoi, dtype=float),
        }
    )
    return out.clip(lower=0.0).assign(aoi=np.asarray(aoi, dtype=float))


def transmitted_irradiance(
    poa_direct: np.ndarray,
    poa_sky_diffuse: np.ndarray,
    poa_ground_diffuse: np.ndarray,
    aoi: np.ndarray,
    surface_tilt: np.ndarray,
) -> np.ndarray:
    """Irradiance reaching the cells through the glass cover.

    Parameters
    ----------
    poa_direct, poa_sky_diffuse, poa_ground_diffuse : array-like
        Plane-of-array components [W m-2].
    aoi : array-like
        Angle of incidence of the beam [deg].
    surface_tilt : array-like
        Module tilt [deg] (sets the effective angles of the diffuse parts).

    Returns
    -------
    numpy.ndarray
        Transmitted irradiance [W m-2].

    Notes
    -----
    Physical incidence-angle modifier of an uncoated glass cover (Fresnel
    reflection and Beer absorption, n = 1.526, K = 4 m-1, L = 2 mm — the
    PVWatts "standard" module [1]_, De Soto et al. 2006). Sky and ground diffuse
    use the same modifier integrated over their solid angles (Marion 2017).
    """
    iam_beam = pvlib.iam.physical(np.asarray(aoi, dtype=float))
    grid, sky, ground = _diffuse_iam_table()
    tilt = np.asarray(surface_tilt, dtype=float)
    return (
        np.asarray(poa_direct) * np.nan_to_num(iam_beam)
        + np.asarray(poa_sky_diffuse) * np.interp(tilt, grid, sky)
        + np.asarray(poa_ground_diffuse) * np.interp(tilt, grid, ground)
    )


@functools.cache
def _diffuse_iam_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Marion's integration is costly per tilt and smooth in tilt: tabulate every
    # 5 deg once and interpolate (error < 1e-4 in the modifier).
    grid = np.arange(0.0, 180.1, 5.0)
    table = pvlib.iam.marion_diffuse("physical", grid)
    return grid, np.asarray(table["sky"]), np.asarray(table["ground"])


def rear_irradiance(
    ghi: np.ndarray, dhi: np.ndarray, surface_tilt: np.ndarray, albedo: float
) -> np.ndarray:
    """Irradiance on the rear of a module (simple view-factor model).

    Parameters
    ----------
    ghi, dhi : array-like
        Global and diffuse horizontal irradiance [W m-2].
    surface_tilt : array-like
        Module tilt [deg].
    albedo : float
        Ground reflectance [-].

    Returns
    -------
    numpy.ndarray
        Rear irradiance [W m-2].

    Notes
    -----
    The rear face sees the ground with view factor (1 + cos β)/2 and the sky
    with (1 − cos β)/2 (isotropic, unshaded ground):
    ``G_rear = albedo · GHI · (1 + cos β)/2 + DHI · (1 − cos β)/2``.
    It ignores the array's shadow on the ground, so it is an upper estimate
    for dense rows (cf. pvlib.bifacial.infinite_sheds for a detailed model).
    """
    cos_b = np.cos(np.radians(np.asarray(surface_tilt, dtype=float)))
    return albedo * np.asarray(ghi) * (1 + cos_b) / 2 + np.asarray(dhi) * (1 - cos_b) / 2


def cell_temperature(
    poa_global: np.ndarray,
    temp_air: np.ndarray,
    wind_speed: np.ndarray,
    surface_tilt: float | np.ndarray,
    times: pd.DatetimeIndex,
    noct_installed_c: float = NOCT_OPEN_RACK_C,
    wind_height_m: float = 9.144,
) -> np.ndarray:
    """Cell temperature by the Fuentes (1987) model, as in PVWatts.

    Parameters
    ----------
    poa_global : array-like
        Plane-of-array irradiance [W m-2].
    temp_air : array-like
        Air temperature [degC].
    wind_speed : array-like
        Wind speed at the weather's height [m s-1] (Fuentes assumes 9.144 m;
        the model rescales it to module height itself).
    surface_tilt : float or array-like
        Module tilt [deg]; a tracker uses its mean tilt.
    times : pandas.DatetimeIndex
        Time labels (the thermal-mass term needs the step length).
    noct_installed_c : float, default 45
        Installed NOCT [degC]: 45 for open rack, 49 for roof mount [1]_.
    wind_height_m : float, default 9.144
        Height of the wind measurement [m] (Fuentes' default: 30 ft, TMY).

    Returns
    -------
    numpy.ndarray
        Cell temperature [degC].

    Notes
    -----
    Energy balance of the module with convection, radiation and thermal mass
    (M. K. Fuentes, SAND85-0330, 1987). Chosen over the SAPM open-rack model
    because PVWatts uses it, which keeps the PySAM cross-check like for like.
    :func:`pvlib.temperature.fuentes` compiled (:mod:`energysim.pv_thermal`;
    equal to pvlib's to 1e-9 K, tests/test_pv.py).
    """
    from energysim.pv_thermal import fuentes

    step_h = np.diff(np.asarray(times, dtype="datetime64[s]")).astype(float) / 3600.0
    # pvlib's rule: the first step as long as the second
    dtime_h = np.concatenate([step_h[:1], step_h]) if step_h.size else np.ones(len(times))
    return fuentes(poa_global, temp_air, wind_speed, dtime_h, noct_installed_c,
                   wind_height=wind_height_m, surface_tilt=float(np.mean(surface_tilt)))


def dc_power(
    effective_irradiance: np.ndarray, temp_cell: np.ndarray, gamma_pdc_per_c: float
) -> np.ndarray:
    """PVWatts DC power per unit of DC nameplate.

    Parameters
    ----------
    effective_irradiance : array-like
        Irradiance transmitted to the cells [W m-2].
    temp_cell : array-like
        Cell temperature [degC].
    gamma_pdc_per_c : float
        Power temperature coefficient [1/degC].

    Returns
    -------
    numpy.ndarray
        DC power [MW per MWp], before losses.

    Notes
    -----
    ``P_dc = G_eff / 1000 · (1 + γ (T_cell − 25))`` [1]_.
    """
    return np.asarray(
        pvlib.pvsystem.pvwatts_dc(
            np.asarray(effective_irradiance, dtype=float),
            np.asarray(temp_cell, dtype=float), 1.0, gamma_pdc_per_c,
        ),
        dtype=float,
    )


def ac_power(
    pdc: np.ndarray,
    losses_pct: float,
    dc_ac_ratio: float,
    inverter_efficiency_pct: float,
    availability_pct: float = 100.0,
) -> np.ndarray:
    """AC output per MWp DC: DC losses, PVWatts inverter, clipping, availability.

    Parameters
    ----------
    pdc : array-like
        DC power before system losses [MW per MWp].
    losses_pct : float
        DC loss budget (soiling, mismatch, wiring, ...) [%].
    dc_ac_ratio : float
        DC nameplate over inverter AC rating [-].
    inverter_efficiency_pct : float
        Nominal inverter efficiency [%].
    availability_pct : float, default 100
        Share of energy not lost to outages [%].

    Returns
    -------
    numpy.ndarray
        AC power [MW per MWp DC], non-negative.

    Notes
    -----
    AC rating ``P_ac0 = 1 / dc_ac_ratio``; the inverter's DC input rating is
    ``P_ac0 / η_nom``. Efficiency follows the PVWatts part-load curve
    (Dobos 2014 [1]_, eq. in pvlib.inverter.pvwatts) with η_ref = 0.9637;
    output is clipped at ``P_ac0``.
    """
    pdc_net = np.asarray(pdc, dtype=float) * (1.0 - losses_pct / 100.0)
    eta = inverter_efficiency_pct / 100.0
    pac0 = 1.0 / dc_ac_ratio
    pac = pvlib.inverter.pvwatts(pdc_net, pac0 / eta, eta_inv_nom=eta, eta_inv_ref=ETA_INV_REF)
    ac = np.clip(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0, None)
    return ac * availability_pct / 100.0


_ORIENTATION = {
    "fixed": lambda pos, pv: fixed_orientation(pv.tilt_deg, pv.azimuth_deg, len(pos)),
    "single_axis": lambda pos, pv: single_axis_orientation(
        pos["apparent_zenith"].to_numpy(), pos["azimuth"].to_numpy(), pv.max_angle_deg, pv.gcr
    ),
}

_REQUIRED = ("ghi", "dni", "dhi", "temp_air", "wind_speed")


def ac_per_mwp(weather: xr.Dataset, site: SiteConfig, pv: PVConfig) -> xr.DataArray:
    """Hourly PV AC output per MWp DC on the weather's time axis.

    Parameters
    ----------
    weather : xarray.Dataset
        Weather Dataset (DESIGN.md contract): ``ghi``, ``dni``, ``dhi`` [W m-2],
        ``temp_air`` [degC], ``wind_speed`` [m s-1], optional ``pressure`` [Pa].
    site : SiteConfig
        Latitude, longitude [deg], altitude [m].
    pv : PVConfig
        Orientation, tracking, losses, DC/AC ratio, inverter, bifaciality.
        With ``tracking = "single_axis"`` the axis is horizontal N-S and
        ``tilt_deg`` / ``azimuth_deg`` are not used.

    Returns
    -------
    xarray.DataArray
        ``pv_pu`` [MW AC per MWp DC], dim ``time``.

    Raises
    ------
    WeatherError
        A required variable is missing.
    """
    missing = [v for v in _REQUIRED if v not in weather]
    if missing:
        raise WeatherError(
            [problem("required by the PV model", source=weather.attrs.get("source"), field=v)
             for v in missing]
        )
    times = local_times(weather)
    var = {name: weather[name].to_numpy().astype(float) for name in _REQUIRED}
    pressure = weather["pressure"].to_numpy().astype(float) if "pressure" in weather else None
    pos = solar_position(times, site.latitude, site.longitude, site.altitude_m, pressure,
                         var["temp_air"])
    tilt, azimuth = _ORIENTATION[pv.tracking](pos, pv)
    poa = plane_of_array(
        tilt, azimuth, pos["zenith"].to_numpy(), pos["apparent_zenith"].to_numpy(),
        pos["azimuth"].to_numpy(), var["dni"], var["ghi"], var["dhi"],
        times.dayofyear.to_numpy(), pv.albedo,
    )
    front = transmitted_irradiance(
        poa["poa_direct"], poa["poa_sky_diffuse"], poa["poa_ground_diffuse"], poa["aoi"], tilt
    )
    rear = rear_irradiance(var["ghi"], var["dhi"], tilt, pv.albedo) * pv.bifaciality
    poa_global = (poa["poa_direct"] + poa["poa_sky_diffuse"] + poa["poa_ground_diffuse"]).to_numpy()
    wind_height = float(weather["wind_speed"].attrs.get("height_m", 9.144))
    temp_cell = cell_temperature(
        poa_global, var["temp_air"], var["wind_speed"], tilt, times, wind_height_m=wind_height
    )
    pdc = dc_power(front + rear, temp_cell, pv.gamma_pdc_per_c)
    pac = ac_power(pdc, pv.losses_pct, pv.dc_ac_ratio, pv.inverter_efficiency_pct,
                   pv.availability_pct)
    return xr.DataArray(pac, coords={"time": weather["time"]}, dims="time", name="pv_pu",
                        attrs=attrs("pv_pu"))
