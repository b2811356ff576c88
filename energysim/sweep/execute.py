"""Running a batch of scenarios (inside a Dask task) and the whole sweep (the driver).

A batch is a range of consecutive scenario ids. Inside its task, scenarios are
grouped by what they change (:func:`energysim.sweep.spec.parameter_kind`):

- one profile build per distinct set of ``profile`` parameters (cached per
  worker process, so the next batch on that worker reuses it);
- one Numba sweep (:func:`energysim.dispatch.sweep`) per distinct set of
  ``dispatch`` parameters, over the distinct capacity rows of the group;
- the KPIs of every scenario from its annual totals, on a park carrying its
  cost, target and indicator values, with :func:`energysim.sweep.kpis.kpi_columns`
  — :func:`energysim.accounting.kpis_from_totals` (what :func:`energysim.simulate`
  uses) evaluated on arrays, so a swept scenario's KPIs are those of the
  one-by-one run (tested to 1e-9, measured ~3e-15).

With ``mode = "size"`` each scenario is sized (:func:`energysim.sizing.size`)
and its KPIs come from the re-simulated least-cost mix; a target the bounds
cannot reach is recorded in the ``error`` column, not fatal.

The driver (:func:`run_sweep`) submits batches to a Dask cluster with a bounded
number in flight, writes each finished batch to the store as it arrives
(:class:`energysim.sweep.store.Store`), skips batches already stored (resume),
and shows a rich progress bar when stdout is a terminal.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from energysim.config import ParkConfig
from energysim.errors import EnergysimError
from energysim.sweep.spec import CAPACITY_FIELDS, Sweep, data_sha256, load_sweep
from energysim.sweep.store import Store

__all__ = ["KPI_COLUMNS", "SIZE_COLUMNS", "run_batch", "run_sweep", "SweepOutcome",
           "flatten_kpis", "scenario_park"]

#: KPI columns of every stored scenario (the scalar KPIs of
#: :func:`energysim.accounting.kpis_from_totals`, targets and indicator verdicts flattened).
KPI_COLUMNS = (
    "onsite_share", "green_import_share", "regular_import_share", "clean_share", "unmet_share",
    "curtailment_share", "load_mwh", "pv_mwh", "wind_mwh", "import_green_mwh",
    "import_regular_mwh", "export_mwh", "curtail_mwh", "unmet_mwh", "charge_mwh",
    "discharge_mwh", "onsite_served_mwh", "import_mwh", "pv_full_load_hours",
    "wind_full_load_hours", "battery_throughput_mwh", "battery_cycles", "annualized_cost",
    "annualized_cost_pv", "annualized_cost_wind", "annualized_cost_battery", "import_cost",
    "green_premium_cost", "export_revenue", "capex_pv", "capex_wind", "capex_battery", "npc",
    "lcoe_onsite_per_mwh", "lcoe_per_mwh", "co2_t", "co2_baseline_t", "co2_avoided_t",
    "co2_per_tce", "energy_use_tce", "clean_energy_share",
    "onsite_met", "clean_met", "co2_per_tce_passed", "clean_energy_share_passed",
)
#: Extra columns when sizing: hourly KPIs of the re-simulated mix, the LP's share, errors.
SIZE_COLUMNS = ("peak_load_mw", "peak_import_mw", "cfe_hourly_score", "cfe_hours_share",
                "lp_onsite_share", "error")
_FLAGS = {"onsite_met", "clean_met", "co2_per_tce_passed", "clean_energy_share_passed"}


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


_OUT_CAPS = ("pv_mw", "wind_mw", "battery_mwh", "battery_mw")


def _empty_columns(n: int, names) -> dict[str, np.ndarray]:
    return {c: (np.full(n, None, dtype=object) if c in _FLAGS or c == "error"
                else np.full(n, np.nan)) for c in names}


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


def _simulate_batch(park: ParkConfig, names, kinds, values) -> dict[str, np.ndarray]:
    from energysim.dispatch import TOTAL_KEYS, dispatch_params, sweep
    from energysim.flexible import require_none
    from energysim.sweep.kpis import kpi_columns

    n = len(values["scenario_id"])
    by_kind = {k: [nm for nm in names if kinds[nm] == k] for k in ("profile", "dispatch", "kpi")}
    caps_swept = [nm for nm in names if kinds[nm] == "capacity"]
    fp = _fingerprint(park)
    wy = "weather.year" in names
    parks: dict = {}

    def park_for(key_names, i, extra=()):
        vals = {nm: _plain(values[nm][i]) for nm in key_names} | dict(extra)
        key = tuple(sorted(vals.items(), key=lambda kv: kv[0]))
        if key not in parks:
            parks[key] = scenario_park(park, vals)
        return parks[key]

    # capacity values matter to the profiles only through "is this source present"
    def cap_flags(i):
        return tuple((nm, 1.0 if values[nm][i] > 0 else 0.0) for nm in caps_swept)

    groups: dict = {}
    for i in range(n):
        pkey = tuple(_plain(values[nm][i]) for nm in by_kind["profile"]) + cap_flags(i)
        dkey = tuple(_plain(values[nm][i]) for nm in by_kind["dispatch"])
        kkey = tuple(_plain(values[nm][i]) for nm in by_kind["kpi"])
        groups.setdefault(pkey, {}).setdefault(dkey, {}).setdefault(kkey, []).append(i)

    cols = _empty_columns(n, _OUT_CAPS + KPI_COLUMNS)
    for dgroups in groups.values():
        first = next(iter(next(iter(dgroups.values())).values()))[0]
        park_p = park_for(by_kind["profile"], first, cap_flags(first))
        prof = _cached(_PROFILES, (fp, _fingerprint(park_p), wy),
                       lambda p=park_p: _profile_arrays(p, wy), _MAX_PROFILES)
        for kgroups in dgroups.values():
            idx = np.concatenate([np.asarray(v) for v in kgroups.values()])
            park_d = park_for(by_kind["profile"] + by_kind["dispatch"], int(idx[0]))
            require_none(park_d, "a sweep in mode = \"simulate\" (the Numba sweep)")
            caps = _capacity_table(park_d, values, idx)
            unique, inverse = np.unique(caps, axis=0, return_inverse=True)
            inverse = inverse.ravel()
            params = dispatch_params(park_d.battery, park_d.grid, dt_h=float(
                prof["profiles"].attrs.get("dt_h", 1.0)))
            out = sweep(prof["pv_pu"], prof["wind_pu"], prof["load"], unique, params,
                        price=prof["import_price_per_mwh"],
                        emission=prof["emission_factor_t_per_mwh"])
            totals = {key: out[key][inverse] for key in TOTAL_KEYS}
            for j, c in enumerate(_OUT_CAPS):
                cols[c][idx] = caps[:, j]
            start = 0
            for members in kgroups.values():  # one park (costs, targets) per KPI group
                sub = slice(start, start + len(members))
                start += len(members)
                park_k = park_for(by_kind["profile"] + by_kind["dispatch"] + by_kind["kpi"],
                                  members[0])
                kp = kpi_columns({k: v[sub] for k, v in totals.items()}, park_k, caps[sub])
                rows = idx[sub]
                for c in KPI_COLUMNS:
                    cols[c][rows] = kp[c]
    return cols


def _size_batch(park: ParkConfig, names, kinds, values) -> dict[str, np.ndarray]:
    from energysim import sizing
    from energysim.results import Result

    fp = _fingerprint(park)
    wy = "weather.year" in names
    n = len(values["scenario_id"])
    cols = _empty_columns(n, _OUT_CAPS + KPI_COLUMNS + SIZE_COLUMNS)
    profile_names = [nm for nm in names if kinds[nm] == "profile"]
    for i in range(n):
        park_i = scenario_park(park, {nm: values[nm][i] for nm in names})
        park_p = scenario_park(park, {nm: values[nm][i] for nm in profile_names})
        prof = _cached(_PROFILES, (fp, _fingerprint(park_p), wy),
                       lambda p=park_p: _profile_arrays(p, wy), _MAX_PROFILES)["profiles"]
        try:
            sized = sizing.size(park_i, prof)
        except EnergysimError as exc:  # infeasible target, solver fault: a row, not a crash
            cols["error"][i] = f"{exc.kind}: {exc.message}"
            continue
        kp = flatten_kpis(Result.from_flows(park_i, sized.capacities, prof, sized.flows).kpis)
        kp["lp_onsite_share"] = float(sized.lp_onsite_share)
        for c in _OUT_CAPS:
            cols[c][i] = getattr(sized.capacities, c)
        for c in KPI_COLUMNS + SIZE_COLUMNS[:-1]:
            cols[c][i] = kp.get(c)
    return cols


def _table(names, values, cols: dict[str, np.ndarray], batch: int) -> pa.Table:
    n = len(values["scenario_id"])
    columns: dict[str, Any] = {
        "scenario_id": pa.array(values["scenario_id"], pa.int64()),
        "batch": pa.array(np.full(n, batch), pa.int64()),
    }
    for nm in names:
        columns[nm] = pa.array(np.asarray(values[nm]))
    for c, col in cols.items():
        if c in _FLAGS:
            columns[c] = pa.array(col.tolist(), pa.bool_())
        elif c == "error":
            columns[c] = pa.array(col.tolist(), pa.string())
        else:
            columns[c] = pa.array(np.asarray(col, dtype=np.float64), pa.float64())
    return pa.table(columns, schema=_schema(columns))


def _schema(columns: dict[str, pa.Array]) -> pa.Schema:
    """Column types with ``units`` / ``long_name`` metadata from the nomenclature, where known."""
    from energysim.nomenclature import QUANTITIES

    fields = []
    for name, arr in columns.items():
        q = QUANTITIES.get(name)
        meta = {"units": q.unit, "long_name": q.long_name} if q else None
        fields.append(pa.field(name, arr.type, metadata=meta))
    return pa.schema(fields)


def run_batch(park: ParkConfig, mode: str, names: list[str], kinds: dict[str, str],
              values: dict[str, np.ndarray], batch: int,
              numba_threads: int | None = None, run_token: str | None = None) -> pa.Table:
    """Run one batch of scenarios; one row per scenario (the Dask task).

    Parameters
    ----------
    park : ParkConfig
        The sweep's base park (``[set]`` applied).
    mode : {"simulate", "size"}
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
        Identifies the :func:`run_sweep` call: profiles cached in a worker
        process are reused by the batches of one call only.
    """
    _start_run(run_token)
    if numba_threads:
        import numba

        numba.set_num_threads(max(1, min(int(numba_threads), numba.config.NUMBA_NUM_THREADS)))
    cols = (_size_batch if mode == "size" else _simulate_batch)(park, names, kinds, values)
    return _table(names, values, cols, batch)


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------


#: Submissions of one batch before an infrastructure failure is final.
_MAX_ATTEMPTS = 3


@dataclass
class SweepOutcome:
    """What a :func:`run_sweep` call did."""

    out_dir: Path
    n_scenarios: int
    n_batches: int
    batches_computed: list[int]  #: batches this call computed (resume skips the others)
    batches_skipped: int
    elapsed_s: float
    table_path: Path | None
    summary: dict[str, Any] | None


def _manifest(sweep: Sweep) -> dict[str, Any]:
    import energysim

    plan = sweep.plan
    return {
        "sweep_file": str(sweep.path),
        "sweep_sha256": sweep.file_sha256,
        "base_config": str(sweep.park.source) if sweep.park.source else None,
        "base_sha256": sweep.base_sha256,
        "data_sha256": data_sha256(sweep.park),
        "mode": sweep.mode,
        "n_scenarios": int(plan.n_scenarios),
        "n_batches": int(plan.n_batches),
        "batch_size": int(plan.batch_size),
        "seed": int(sweep.spec.sweep.seed),
        "samples": int(plan.samples),
        "parameters": {nm: plan.kinds[nm] for nm in plan.names},
        "energysim_version": energysim.__version__,
    }


def _progress(enabled: bool, total: int, done: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("scenarios"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
        TimeRemainingColumn(), disable=not enabled, transient=False,
    )
    task = progress.add_task("sweep", total=total, completed=done, rate="")
    return progress, task


def run_sweep(
    sweep: Sweep | str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    client=None,
    n_workers: int | None = None,
    processes: bool = True,
    progress: bool | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    max_in_flight: int | None = None,
    numba_threads: int | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep on Dask, storing one row per scenario in ``out_dir``.

    Parameters
    ----------
    sweep : Sweep or path
        A loaded sweep (:func:`energysim.sweep.load_sweep`) or its file.
    out_dir : path
        Results folder (:mod:`energysim.sweep.store`); batches already there are skipped.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``).
    client : distributed.Client, optional
        An existing client (takes precedence over ``scheduler``). Workers of a
        remote cluster must see the config's data files (weather, profiles) at
        the same paths (a shared filesystem); results come back to this process
        and are written here.
    n_workers : int, optional
        Local cluster size; default the machine's cores (at most one per batch to do).
    processes : bool
        Local cluster of worker processes (default) or threads.
    progress : bool, optional
        Show the rich progress bar; default when stdout is a terminal.
    on_batch : callable, optional
        ``on_batch(batch, n_written)`` after each batch is stored (tests inject faults here).
    max_in_flight : int, optional
        Batches submitted ahead of the results (bounds memory); default 2 x worker threads.
    numba_threads : int, optional
        Numba threads per task; default cores / workers on a local cluster, Numba's
        own default on a given client or scheduler.

    Returns
    -------
    SweepOutcome
    """
    import logging

    from distributed import Client, LocalCluster, as_completed
    from rich.console import Console

    sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    plan = sweep.plan
    store = Store(out_dir)
    store.open(_manifest(sweep))
    done = store.done() & set(range(plan.n_batches))
    todo = [b for b in range(plan.n_batches) if b not in done]
    start = time.perf_counter()
    computed: list[int] = []
    console = Console()
    show = console.is_terminal if progress is None else progress

    if todo:
        cluster = None
        own_client = client is None
        if client is None and scheduler:
            client = Client(scheduler)
        elif client is None:
            cores = os.cpu_count() or 1
            workers = max(1, min(n_workers or cores, len(todo)))
            numba_threads = numba_threads or max(1, cores // workers)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            nthreads = sum(client.nthreads().values()) or 1
            window = max_in_flight or max(2, 2 * nthreads)
            key = sweep.file_sha256[:12]
            names, kinds = plan.names, plan.kinds

            attempts: dict[int, int] = {}
            run_token = uuid.uuid4().hex

            def submit(b):
                lo, hi = plan.batch_range(b)
                attempts[b] = attempts.get(b, 0) + 1
                return client.submit(run_batch, sweep.park, sweep.mode, names, kinds,
                                     plan.values(lo, hi), b, numba_threads, run_token,
                                     key=f"energysim-sweep-{key}-{b}-{attempts[b]}", pure=False)

            pending = iter(todo)
            futures = {}
            for b in pending:
                futures[submit(b)] = b
                if len(futures) >= window:
                    break
            done_scen = sum(min(plan.batch_range(b)[1], plan.n_scenarios) - plan.batch_range(b)[0]
                            for b in done)
            bar, task = _progress(show, plan.n_scenarios, done_scen)
            t0 = time.perf_counter()
            new_scen = 0
            with bar:
                ac = as_completed(list(futures))
                for fut in ac:
                    b = futures.pop(fut)
                    try:
                        table = fut.result()
                    except EnergysimError:
                        raise  # the user's data or config: no point retrying
                    except Exception:
                        # infrastructure (workers lost beyond Dask's own rescheduling,
                        # cancelled task): submit the batch again, a few times at most
                        fut.release()
                        if attempts[b] >= _MAX_ATTEMPTS:
                            raise
                        f = submit(b)
                        futures[f] = b
                        ac.add(f)
                        continue
                    fut.release()
                    if store.write_batch(b, table):
                        computed.append(b)
                    new_scen += table.num_rows
                    rate = new_scen / max(time.perf_counter() - t0, 1e-9)
                    bar.update(task, advance=table.num_rows, rate=f"{rate:,.0f}/s")
                    del table
                    if on_batch is not None:
                        on_batch(b, len(computed))
                    nxt = next(pending, None)
                    if nxt is not None:
                        f = submit(nxt)
                        futures[f] = nxt
                        ac.add(f)
        finally:
            if own_client:
                client.close()
            if cluster is not None:
                cluster.close()

    from energysim.sweep.summary import summarize

    table_path = store.consolidate()
    summary = summarize(store, sweep)
    return SweepOutcome(out_dir=Path(out_dir), n_scenarios=plan.n_scenarios,
                        n_batches=plan.n_batches, batches_computed=computed,
                        batches_skipped=len(done), elapsed_s=time.perf_counter() - start,
                        table_path=table_path, summary=summary)
