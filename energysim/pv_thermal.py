"""PV module temperature by the Fuentes (1987) model, compiled.

The same equations, constants and iteration as :func:`pvlib.temperature.fuentes`
(a port of the FORTRAN77 code of Fuentes 1987, Appendix A), with the hourly
loop compiled by Numba: pvlib runs it in Python, about 0.3 s a year, which
dominated building the profiles of a 10-year weather ensemble.
tests/test_pv.py checks it equals pvlib's to 1e-9 K.

References
----------
.. [1] M. K. Fuentes, "A Simplified Thermal Model for Flat-Plate Photovoltaic
   Arrays", SAND85-0330, Sandia National Laboratories, 1987.
.. [2] A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["fuentes"]

#: Stefan-Boltzmann constant as Fuentes uses it [W m-2 K-4].
BOLTZ = 5.669e-8
#: Thermal capacitance of the module per area [J m-2 K-1] (before the INOCT adjustment).
CAP0 = 11000.0


@numba.njit(cache=True)
def _hconv(tave: float, windmod: float, temp_delta: float, xlen: float, sin_tilt: float,
           check_reynold: bool) -> float:
    """Convective coefficient [W m-2 K-1]: free, laminar and turbulent (Fuentes 1987)."""
    densair = 0.003484 * 101325.0 / tave
    visair = 0.24237e-6 * tave ** 0.76 / densair
    condair = 2.1695e-4 * tave ** 0.84
    reynold = windmod * xlen / visair
    if check_reynold and reynold > 1.2e5:  # turbulent
        hforce = 0.0282 / reynold ** 0.2 * densair * windmod * 1007 / 0.71 ** 0.4
    else:  # laminar
        hforce = 0.8600 / reynold ** 0.5 * densair * windmod * 1007 / 0.71 ** 0.67
    grashof = 9.8 / tave * temp_delta * xlen ** 3 / visair ** 2 * sin_tilt
    hfree = 0.21 * (grashof * 0.71) ** 0.32 * condair / xlen
    return (hfree ** 3 + hforce ** 3) ** (1 / 3)


@numba.njit(cache=True)
def _loop(tamb: np.ndarray, sun: np.ndarray, windmod: np.ndarray, tsky: np.ndarray,
          dtime_h: np.ndarray, convrat: float, tgrat: float, cap: float, xlen: float,
          sin_tilt: float, emiss: float) -> np.ndarray:
    """Module temperature [K] hour by hour: Equation 7 iterated ten times per step."""
    n = tamb.shape[0]
    out = np.empty(n)
    tmod0, sun0 = 293.15, 0.0
    for i in range(n):
        ta, s, w, ts = tamb[i], sun[i], windmod[i], tsky[i]
        tmod = tmod0
        for _ in range(10):
            hconv = convrat * _hconv((tmod + ta) / 2, w, abs(tmod - ta), xlen, sin_tilt, True)
            hsky = emiss * BOLTZ * (tmod ** 2 + ts ** 2) * (tmod + ts)
            tground = ta + tgrat * (tmod - ta)
            hground = emiss * BOLTZ * (tmod ** 2 + tground ** 2) * (tmod + tground)
            eigen = -(hconv + hsky + hground) / cap * dtime_h[i] * 3600
            ex = math.exp(eigen) if eigen > -10 else 0.0
            tmod = tmod0 * ex + ((1 - ex) * (hconv * ta + hsky * ts + hground * tground + sun0
                                             + (s - sun0) / eigen) + s - sun0) \
                / (hconv + hsky + hground)
        out[i] = tmod
        tmod0, sun0 = tmod, s
    return out


def fuentes(poa_global, temp_air, wind_speed, dtime_h, noct_installed: float,
            module_height: float = 5.0, wind_height: float = 9.144, emissivity: float = 0.84,
            absorption: float = 0.83, surface_tilt: float = 30.0, module_width: float = 0.31579,
            module_length: float = 1.2) -> np.ndarray:
    """Module temperature by the Fuentes model [degC] (:func:`pvlib.temperature.fuentes`).

    Parameters
    ----------
    poa_global, temp_air, wind_speed : array_like
        Plane-of-array irradiance [W m-2], air temperature [degC], wind speed at
        ``wind_height`` [m s-1].
    dtime_h : array_like
        Length of each step [h] (the first as the second, as pvlib does).
    noct_installed : float
        Installed nominal operating cell temperature [degC].
    module_height, wind_height : float
        Heights of the module centre and of the wind measurement [m].
    emissivity, absorption : float
        Thermal emissivity and absorbed fraction of irradiance [-].
    surface_tilt : float
        Module tilt [deg].
    module_width, module_length : float
        Module size [m] (hydraulic diameter 0.5 m by default).

    Returns
    -------
    numpy.ndarray
        Module temperature [degC].
    """
    xlen = 2 * (module_width * module_length) / (module_width + module_length)
    sin_tilt = math.sin(math.radians(surface_tilt))
    tinoct = noct_installed + 273.15
    hconv = _hconv((tinoct + 293.15) / 2, 1.0, tinoct - 293.15, xlen, sin_tilt, False)
    hground = emissivity * BOLTZ * (tinoct ** 2 + 293.15 ** 2) * (tinoct + 293.15)
    backrat = (absorption * 800.0 - emissivity * BOLTZ * (tinoct ** 4 - 282.21 ** 4)
               - hconv * (tinoct - 293.15)) / ((hground + hconv) * (tinoct - 293.15))
    tground = float(np.clip((tinoct ** 4 - backrat * (tinoct ** 4 - 293.15 ** 4)) ** 0.25,
                            293.15, tinoct))
    tgrat = (tground - 293.15) / (tinoct - 293.15)
    convrat = (absorption * 800 - emissivity * BOLTZ * (2 * tinoct ** 4 - 282.21 ** 4
                                                        - tground ** 4)) \
        / (hconv * (tinoct - 293.15))
    cap = CAP0 * (1 + (tinoct - 321.15) / 12) if tinoct > 321.15 else CAP0
    tamb = np.asarray(temp_air, dtype=np.float64) + 273.15
    sun = np.asarray(poa_global, dtype=np.float64) * absorption
    tsky = 0.68 * (0.0552 * tamb ** 1.5) + 0.32 * tamb
    windmod = np.asarray(wind_speed, dtype=np.float64) * (module_height / wind_height) ** 0.2 \
        + 1e-4
    c = np.ascontiguousarray
    out = _loop(c(tamb), c(sun), c(windmod), c(tsky), c(dtime_h, dtype=np.float64),
                convrat, tgrat, cap, xlen, sin_tilt, emissivity)
    return out - 273.15
