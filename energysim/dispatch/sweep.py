"""Parallel sweep of the dispatch core: annual totals of many capacity sets (and weather years).

One compiled call (:func:`energysim.dispatch.kernel.sweep_scenarios`) runs
``numba.prange`` over scenarios x years; the profiles are shared, no hourly flow
is kept and no Python runs per scenario. Each scenario runs exactly the
arithmetic of the single-scenario kernel, so its totals are bit-identical to
``dispatch_arrays(...)["totals"]`` on the same inputs.
"""

from __future__ import annotations

import numba
import numpy as np

from energysim.dispatch import kernel
from energysim.dispatch.params import (
    TOTAL_KEYS,
    DispatchParams,
    annual_totals,
    check_params,
    check_series,
    kernel_rules,
)
from energysim.errors import ConfigError, problem

__all__ = ["sweep", "sweep_years"]

_SRC = "dispatch sweep"


def _capacities(capacities) -> np.ndarray:
    caps = np.ascontiguousarray(capacities, dtype=np.float64)
    if caps.ndim != 2 or caps.shape[1] != 4:
        raise ConfigError(problem("must be an (n, 4) array: pv_mw, wind_mw, battery_mwh, "
                                  "battery_mw", source=_SRC, field="capacities",
                                  value=f"shape {caps.shape}"))
    bad = ~np.isfinite(caps) | (caps < 0)
    if bad.any():
        i, j = np.unravel_index(int(np.argmax(bad)), caps.shape)
        field = ("pv_mw", "wind_mw", "battery_mwh", "battery_mw")[j]
        raise ConfigError(problem(f"must be finite and >= 0 (scenario {i})", source=_SRC,
                                  field=f"capacities.{field}", value=float(caps[i, j])))
    return caps


def sweep_years(pv_pu, wind_pu, load_mw, capacities, params: DispatchParams, price=None,
                emission=None) -> dict[str, np.ndarray]:
    """Annual totals of every capacity set in every weather year.

    Parameters
    ----------
    pv_pu, wind_pu : array_like
        (years, hours) available generation per unit of capacity [MW/MWp, MW/MW].
    load_mw : array_like
        (years, hours) or (hours,) park load [MW].
    capacities : array_like
        (scenarios, 4): PV [MWp], wind [MW], battery energy [MWh], battery power [MW].
    params : DispatchParams
        Rules (:func:`energysim.dispatch.dispatch_params`); its battery size is ignored.
    price, emission : array_like, optional
        Import price [money/MWh] and CO2 factor of regular imports [t/MWh],
        shaped like ``load_mw``; zero when omitted.

    Returns
    -------
    dict of ndarray
        :data:`energysim.dispatch.TOTAL_KEYS` [MWh/yr, money/yr, t/yr], each
        (scenarios, years), scaled to a year by 8760 / (hours x dt_h); plus
        ``cyclic_iterations`` (int, scenarios x years).
    """
    check_params(params)
    pv = check_series("pv_pu", pv_pu, None, _SRC, ndim=2)
    years, n = pv.shape
    wind = check_series("wind_pu", wind_pu, n, _SRC, ndim=2)
    if wind.shape[0] != years:
        raise ConfigError(problem(f"must have {years} years like pv_pu", source=_SRC,
                                  field="wind_pu", value=f"shape {wind.shape}"))

    def per_year(name, values, default):
        if values is None:
            return np.full((years, n), default)
        arr = check_series(name, values, n, _SRC, ndim=np.ndim(values))
        return np.ascontiguousarray(np.broadcast_to(arr, (years, n)))

    load = per_year("load_mw", load_mw, 0.0)
    price_a = per_year("import_price_per_mwh", price, 0.0)
    emis = per_year("emission_factor_t_per_mwh", emission, 0.0)
    caps = _capacities(capacities)
    out = np.zeros((caps.shape[0], years, len(TOTAL_KEYS)))
    iters = np.zeros((caps.shape[0], years), dtype=np.int64)
    kernel.sweep_scenarios(kernel.Series(pv, wind, load, price_a, emis), caps,
                           kernel_rules(params, n), numba.get_num_threads(), out, iters)
    annual = annual_totals(out, n, params.dt_h)
    result = {key: annual[:, :, k] for k, key in enumerate(TOTAL_KEYS)}
    result["cyclic_iterations"] = iters
    return result


def sweep(pv_pu, wind_pu, load_mw, capacities, params: DispatchParams, price=None,
          emission=None) -> dict[str, np.ndarray]:
    """Annual totals of many capacity sets on one set of profiles (one weather year).

    Parameters are those of :func:`sweep_years` with (hours,) profiles; every
    result is (scenarios,).
    """
    years = [np.atleast_2d(np.asarray(a, dtype=np.float64)) if a is not None else None
             for a in (pv_pu, wind_pu, load_mw, price, emission)]
    pv, wind, load, price_y, emission_y = years
    out = sweep_years(pv, wind, load, capacities, params, price=price_y, emission=emission_y)
    return {key: value[:, 0] for key, value in out.items()}
