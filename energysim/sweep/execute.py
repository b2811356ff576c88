"""Running a batch of scenarios: the worker side of a sweep (one Dask task per batch).

A batch is a range of consecutive scenario ids. Inside its task, scenarios are
grouped by what they change (their kind, :func:`energysim.sweep.spec.parameter_kind`,
declared by each config field):

- one profile build per distinct set of ``profile`` parameters (cached per
  worker process, so the next batch on that worker reuses it);
- one Numba sweep (:func:`energysim.dispatch.sweep`) per distinct set of
  ``dispatch`` parameters, over the distinct capacity rows of the group;
- the KPIs of every scenario from its annual totals, on a park carrying its
  cost, target and indicator values, with :func:`energysim.sweep.kpis.kpi_columns`
  — :func:`energysim.accounting.kpis_from_totals` (what :func:`energysim.simulate`
  uses) evaluated on arrays, so a swept scenario's KPIs are those of the
  one-by-one run (tested to 1e-9, measured ~3e-15).

With ``mode = "size"`` each scenario is sized by :func:`size_scenario` and its
KPIs come from the re-simulated least-cost mix; a target the bounds cannot
reach is recorded in the ``error`` column, not fatal.

This module knows nothing of the cluster, the store or the plan: it gets a
park, the parameter names, kinds and values of its scenarios, and returns an
Arrow table (columns: :mod:`energysim.sweep.columns`). The driver is
:mod:`energysim.sweep.driver`.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from energysim.config import ParkConfig
from energysim.errors import EnergysimError
from energysim.flexible import require_none
from energysim.sweep.columns import (
    CAPACITY_COLUMNS,
    CAPACITY_FIELDS,
    KPI_COLUMNS,
    SIZE_COLUMNS,
    arrow_table,
    empty_columns,
)
from energysim.sweep.kpis import kpi_columns

__all__ = ["run_batch", "flatten_kpis", "scenario_park", "scenario_profiles", "size_scenario"]


def flatten_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    """Scalar KPIs of a KPI dict; targets and indicator pass/fail as boolean columns."""
    out = {k: float(v) for k, v in kpis.items()
           if isinstance(v, int | float | np.floating | np.integer) and not isinstance(v, bool)}
    targets = kpis.get("targets", {})
    out["onsite_met"] = targets.get("onsite_met")
    out["clean_met"] = targets.get("clean_met")
    for row in kpis.get("indicators", []):
        out[f"{row['key']}_passed"] = bool(row["passed"])
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def scenario_park(park: ParkConfig, values: dict[str, Any]) -> ParkConfig:
    """The base park with a scenario's values (``weather.year`` included), validated."""
    return park.with_values({k: _plain(v) for k, v in values.items()}) if values else park


# ---------------------------------------------------------------------------
# worker side: caches live per worker process, bounded
# ---------------------------------------------------------------------------

_PROFILES: OrderedDict = OrderedDict()
_WEATHERS: OrderedDict = OrderedDict()
_MAX_PROFILES = 16
_RUN: list[str | None] = [None]  # the sweep run the caches belong to


def _start_run(token: str | None) -> None:
    """Forget cached profiles from another run (data files may have changed since)."""
    if token is not None and token != _RUN[0]:
        _PROFILES.clear()
        _WEATHERS.clear()
        _RUN[0] = token


def _fingerprint(park: ParkConfig) -> str:
    return hashlib.sha256(park.model_dump_json().encode()).hexdigest()


def _cached(cache: OrderedDict, key, build: Callable[[], Any], limit: int):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = build()
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)
    return value


def _year_weather(park: ParkConfig, year: int):
    from energysim.study import year_weathers

    cfg = park.weather
    assert cfg is not None and cfg.ensemble_path is not None, "its caller checks both"
    path = Path(cfg.ensemble_path)
    key = (str(path), path.stat().st_mtime_ns, cfg.format, cfg.max_fill_hours,
           cfg.max_fill_fraction, park.site.model_dump_json())
    years = _cached(_WEATHERS, key, lambda: year_weathers(park), 2)
    return years[int(year)]


def scenario_profiles(park: ParkConfig, weather_year: bool = False):
    """Profiles of a scenario park.

    With ``weather_year`` (the sweep varies ``weather.year``) and ``[weather]
    ensemble_path`` given, the weather is that calendar year of the ensemble
    (:func:`energysim.study.year_weathers`); otherwise the park's own weather.
    """
    from energysim.profiles import build_profiles

    wx = park.weather
    if weather_year and wx is not None and wx.year is not None and wx.ensemble_path is not None:
        return build_profiles(park, weather=_year_weather(park, wx.year))
    return build_profiles(park)


def _profile_arrays(park: ParkConfig, weather_year: bool) -> dict[str, np.ndarray]:
    prof = scenario_profiles(park, weather_year)
    return {"profiles": prof, **{name: np.ascontiguousarray(prof[name].values, dtype=np.float64)
            for name in ("pv_pu", "wind_pu", "load", "import_price_per_mwh",
                         "emission_factor_t_per_mwh")}}


def _capacity_table(park_d: ParkConfig, values, idx: np.ndarray) -> np.ndarray:
    """(len(idx), 4) capacities: swept values (at least the existing capacity), else the park's."""
    base = park_d.capacities()
    existing = (park_d.pv.existing_mw, park_d.wind.existing_mw, park_d.battery.existing_mwh,
                park_d.battery.existing_mw)
    caps = np.empty((len(idx), 4))
    for c, (field, attr) in enumerate(CAPACITY_FIELDS.items()):
        if field in values:
            caps[:, c] = np.maximum(np.asarray(values[field], dtype=np.float64)[idx], existing[c])
        else:
            caps[:, c] = getattr(base, attr)
    return caps


class _Batch:
    """A batch's parameter names by kind, and its scenario parks.

    The parks are validated once per distinct set of values.
    """

    def __init__(self, park: ParkConfig, names, kinds, values):
        self.park, self.values = park, values
        self._memo: dict[tuple, ParkConfig] = {}
        self.by_kind = {k: [nm for nm in names if kinds[nm] == k]
                        for k in ("profile", "dispatch", "kpi", "capacity")}

    def _present(self, i: int) -> dict[str, float]:
        """Swept capacities as present (1) / absent (0): all the profiles depend on."""
        return {nm: 1.0 if self.values[nm][i] > 0 else 0.0 for nm in self.by_kind["capacity"]}

    def _column(self, name: str) -> list:
        """One parameter's values as plain Python values."""
        col = np.asarray(self.values[name])
        return [_plain(v) for v in col] if col.dtype == object else col.tolist()

    def groups(self) -> dict:
        """Scenario rows nested by profile key → dispatch key → KPI key (first-seen order).

        The keys are built column-wise (a batch holds thousands of rows); the profile key
        includes the swept capacities' presence, as :meth:`park_for` does.
        """
        n = len(self.values["scenario_id"])

        def rows(cols: list[list]) -> list[tuple]:
            return list(zip(*cols, strict=True)) if cols else [()] * n

        def columns(kind: str) -> list[list]:
            return [self._column(nm) for nm in self.by_kind[kind]]

        present = [[v > 0 for v in col] for col in columns("capacity")]
        keys = zip(rows(columns("profile") + present), rows(columns("dispatch")),
                   rows(columns("kpi")), strict=True)
        out: dict = {}
        for i, (pkey, dkey, kkey) in enumerate(keys):
            out.setdefault(pkey, {}).setdefault(dkey, {}).setdefault(kkey, []).append(i)
        return out

    def park_for(self, kinds, i: int) -> ParkConfig:
        """The park with scenario ``i``'s values of the parameters of ``kinds``.

        "profile" alone also takes the capacities' presence.
        """
        vals = {nm: _plain(self.values[nm][i]) for k in kinds for nm in self.by_kind[k]}
        if list(kinds) == ["profile"]:
            vals |= self._present(i)
        key = tuple(sorted(vals.items(), key=lambda kv: kv[0]))
        if key not in self._memo:
            self._memo[key] = scenario_park(self.park, vals)
        return self._memo[key]


def _dispatch_group(prof: dict, park_d: ParkConfig, caps: np.ndarray) -> dict[str, np.ndarray]:
    """Annual totals of each capacity row on one profile set and one dispatch setting."""
    from energysim.dispatch import TOTAL_KEYS, dispatch_params, sweep

    unique, inverse = np.unique(caps, axis=0, return_inverse=True)
    params = dispatch_params(park_d.battery, park_d.grid, tariff=park_d.tariff,
                             dt_h=float(prof["profiles"].attrs.get("dt_h", 1.0)))
    out = sweep(prof["pv_pu"], prof["wind_pu"], prof["load"], unique, params,
                price=prof["import_price_per_mwh"], emission=prof["emission_factor_t_per_mwh"])
    return {key: out[key][inverse.ravel()] for key in TOTAL_KEYS}


def _simulate_batch(park: ParkConfig, names, kinds, values) -> dict[str, np.ndarray]:
    fp, wy = _fingerprint(park), "weather.year" in names
    batch = _Batch(park, names, kinds, values)
    cols = empty_columns(len(values["scenario_id"]), CAPACITY_COLUMNS + KPI_COLUMNS)
    for dgroups in batch.groups().values():
        first = next(iter(next(iter(dgroups.values())).values()))[0]
        park_p = batch.park_for(["profile"], first)
        prof = _cached(_PROFILES, (fp, _fingerprint(park_p), wy),
                       functools.partial(_profile_arrays, park_p, wy), _MAX_PROFILES)
        for kgroups in dgroups.values():
            idx = np.concatenate([np.asarray(v) for v in kgroups.values()])
            park_d = batch.park_for(["profile", "dispatch"], int(idx[0]))
            require_none(park_d, "a sweep in mode = \"simulate\" (the Numba sweep)")
            caps = _capacity_table(park_d, values, idx)
            totals = _dispatch_group(prof, park_d, caps)
            for j, c in enumerate(CAPACITY_COLUMNS):
                cols[c][idx] = caps[:, j]
            start = 0
            for members in kgroups.values():  # one park (costs, targets) per KPI group
                sub = slice(start, start + len(members))
                start += len(members)
                park_k = batch.park_for(["profile", "dispatch", "kpi"], members[0])
                kp = kpi_columns({k: v[sub] for k, v in totals.items()}, park_k, caps[sub])
                for c in KPI_COLUMNS:
                    cols[c][idx[sub]] = kp[c]
    return cols


#: The sizing program a worker holds between the scenarios of a size-mode sweep.
_SIZER = None


def _sizer():
    global _SIZER
    if _SIZER is None:
        from energysim.sizing import ModelCache

        _SIZER = ModelCache()
    return _SIZER


def size_scenario(park: ParkConfig, profiles, by_year: dict | None = None) -> dict[str, Any]:
    """Size one scenario and account for its re-simulated least-cost mix.

    The one place a sweep sizes (``mode = "size"``): swap this function to
    change how a scenario is sized. On the typical year the worker keeps one
    sizing program in HiGHS (:class:`energysim.sizing.ModelCache`): a scenario
    of the same structure only changes costs, bounds and targets and starts
    from the previous optimum. With ``robust`` the scenario is sized over the
    weather years ``by_year`` (``[sizing] robustness``; its KPIs are those of
    the typical year).

    Parameters
    ----------
    park : ParkConfig
        The scenario's park.
    profiles : xarray.Dataset
        Its profiles (:func:`scenario_profiles`).
    by_year : dict, optional
        Profiles of each weather year: size over them (``[sweep] robust``).

    Returns
    -------
    dict
        Values of :data:`~energysim.sweep.columns.CAPACITY_COLUMNS`,
        :data:`~energysim.sweep.columns.KPI_COLUMNS` and the sizing columns
        (:data:`~energysim.sweep.columns.SIZE_COLUMNS` but ``error``).

    Raises
    ------
    EnergysimError
        Infeasible target, solver fault (the batch records it in ``error``).
    """
    from energysim import sizing
    from energysim.results import Result

    if by_year:
        from energysim import simulate

        sized = sizing.size(park, by_year)
        park = sized.park or park  # what sizing decided beyond capacities (shift window)
        kp = flatten_kpis(simulate(park, sized.capacities, profiles).kpis)
    else:
        sized = sizing.size(park, profiles, cache=_sizer())
        park = sized.park or park
        kp = flatten_kpis(Result.from_flows(park, sized.capacities, profiles, sized.flows).kpis)
    kp["lp_onsite_share"] = float(sized.lp_onsite_share)
    kp |= {c: getattr(sized.capacities, c) for c in CAPACITY_COLUMNS}
    return kp


def _years_of(park: ParkConfig) -> dict:
    from energysim.ensemble import profiles_by_year

    return profiles_by_year(park, "all" if park.sizing.weather_years == "none" else None)


def _size_batch(park: ParkConfig, names, kinds, values, robust: bool = False
                ) -> dict[str, np.ndarray]:
    fp, wy = _fingerprint(park), "weather.year" in names
    n = len(values["scenario_id"])
    cols = empty_columns(n, CAPACITY_COLUMNS + KPI_COLUMNS + SIZE_COLUMNS)
    profile_names = [nm for nm in names if kinds[nm] == "profile"]
    for i in range(n):
        park_i = scenario_park(park, {nm: values[nm][i] for nm in names})
        park_p = scenario_park(park, {nm: values[nm][i] for nm in profile_names})
        prof = _cached(_PROFILES, (fp, _fingerprint(park_p), wy),
                       functools.partial(_profile_arrays, park_p, wy), _MAX_PROFILES)["profiles"]
        by_year = _cached(_PROFILES, ("years", fp, _fingerprint(park_p)),
                          functools.partial(_years_of, park_p), _MAX_PROFILES) if robust else None
        try:
            row = size_scenario(park_i, prof, by_year)
        except EnergysimError as exc:  # infeasible target, solver fault: a row, not a crash
            cols["error"][i] = f"{exc.kind}: {exc.message}"
            continue
        for c in CAPACITY_COLUMNS + KPI_COLUMNS + SIZE_COLUMNS[:-1]:
            cols[c][i] = row.get(c)
    return cols


def run_batch(park: ParkConfig, mode: str, names: list[str], kinds: dict[str, str],
              values: dict[str, np.ndarray], batch: int,
              numba_threads: int | None = None, run_token: str | None = None) -> pa.Table:
    """Run one batch of scenarios; one row per scenario (the Dask task).

    Parameters
    ----------
    park : ParkConfig
        The sweep's base park (``[set]`` applied).
    mode : {"simulate", "size", "size-robust"}
    names, kinds : list of str, dict
        Parameter names and kinds (:class:`energysim.sweep.spec.Plan`).
    values : dict of ndarray
        ``scenario_id`` and each parameter's value per scenario of the batch.
    batch : int
        Batch number (stored as a column).
    numba_threads : int, optional
        Threads of the Numba sweep in this task (the driver sets cores / workers
        on a local cluster so workers do not oversubscribe the machine).
    run_token : str, optional
        Identifies the :func:`~energysim.sweep.driver.run_sweep` call: profiles
        cached in a worker process are reused by the batches of one call only.

    Returns
    -------
    pyarrow.Table
        :func:`energysim.sweep.columns.arrow_table` of the batch.
    """
    _start_run(run_token)
    if numba_threads:
        import numba

        # numba.config sets its options at import: its type stubs do not declare them
        most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        numba.set_num_threads(max(1, min(int(numba_threads), most)))
    if mode == "simulate":
        cols = _simulate_batch(park, names, kinds, values)
    else:
        cols = _size_batch(park, names, kinds, values, robust=mode == "size-robust")
    return arrow_table(values["scenario_id"], batch, {nm: values[nm] for nm in names}, cols)
