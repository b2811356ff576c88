"""Sensitivity and weather-year sweeps on Dask: many scenarios, resumable, fault-tolerant.

``energysim sweep SWEEP.toml [--scheduler ADDRESS] [--out DIR]``. The sweep
file (:mod:`energysim.sweep.spec`) names a base park config and the parameters
to vary; every scenario is simulated (or sized) and one row of KPIs per
scenario is stored in ``DIR`` (:mod:`energysim.sweep.store`), batch by batch
as Dask tasks finish (:mod:`energysim.sweep.driver` schedules,
:mod:`energysim.sweep.execute` runs a batch; the stored columns are listed in
:mod:`energysim.sweep.columns`). Rerunning the same command computes only what
is missing.

Python::

    from energysim.sweep import load_sweep, run_sweep, read_sweep
    outcome = run_sweep("configs/sweeps/ordos_sensitivity.toml", "out/sweep")
    df = read_sweep("out/sweep")          # one row per scenario_id
"""

from energysim.sweep.columns import KPI_COLUMNS
from energysim.sweep.driver import SweepOutcome, interrupted_message, run_sweep
from energysim.sweep.execute import run_batch
from energysim.sweep.spec import Plan, Sweep, load_sweep, parameter_kind
from energysim.sweep.store import Store, read_sweep
from energysim.sweep.summary import summarize, summary_table

__all__ = ["load_sweep", "run_sweep", "read_sweep", "run_batch", "Sweep", "Plan", "Store",
           "SweepOutcome", "KPI_COLUMNS", "parameter_kind", "summarize", "summary_table",
           "interrupted_message"]
