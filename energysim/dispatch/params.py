"""Parameters of the dispatch rules: the record the kernels take, built and checked once.

:class:`DispatchParams` holds the scalar rules of one park (battery, grid,
tariff) in physical units; :func:`dispatch_params` builds it from the config
sections, :func:`kernel_rules` resolves it into the kernel's
:class:`~energysim.dispatch.kernel.Rules` record for a run of a given length
(the green contract's hourly cap and budget), and :func:`check_series` checks
an hourly input. Every entry point of the dispatch stage (:func:`energysim.dispatch.dispatch`,
the sweep, the lifetime and the flexible rules) goes through here.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from energysim.config import BatteryConfig, Capacities, GridConfig
from energysim.dispatch import kernel
from energysim.errors import ConfigError, ProfileError, problem
from energysim.timeaxis import HOURS_PER_YEAR, annual_scale

__all__ = ["DispatchParams", "dispatch_params", "kernel_rules", "check_params", "check_series",
           "annual_totals", "TOTAL_KEYS", "HOURS_PER_YEAR"]

#: Keys of the annual totals (sweep output and ``dispatch_arrays(...)["totals"]``),
#: as in :data:`energysim.accounting.TOTAL_KEYS` plus ``charge_grid_mwh``.
TOTAL_KEYS = tuple(
    name if name in ("import_cost", "co2_t", "co2_baseline_t") else f"{name}_mwh"
    for name in kernel.TOTALS
)


class DispatchParams(NamedTuple):
    """Scalar parameters of the dispatch rules (build with :func:`dispatch_params`).

    Battery energy and power are here for :func:`dispatch_arrays`; :func:`sweep`
    takes them from its capacity table instead.
    """

    battery_mwh: float = 0.0  #: usable energy [MWh]
    battery_mw: float = 0.0  #: AC power, charge and discharge [MW]
    eta_charge: float = 1.0  #: one-way charge efficiency [-]
    eta_discharge: float = 1.0  #: one-way discharge efficiency [-]
    self_discharge_per_h: float = 0.0  #: share of stored energy lost per hour [1/h]
    soc_min: float = 0.0  #: lowest SoC [fraction of energy]
    soc_max: float = 1.0  #: highest SoC [fraction of energy]
    soc_initial: float = 0.5  #: start SoC (first guess if cyclic) [fraction of energy]
    cyclic: bool = True  #: end SoC = start SoC
    grid_charging: bool = False  #: charge from the unused hourly green block
    import_max_mw: float = math.inf  #: import limit [MW]
    export_max_mw: float = 0.0  #: export limit [MW]
    green_volume_mwh: float = math.inf  #: contracted green volume [MWh/yr]; inf = all imports green
    green_matching: str = "annual"  #: "annual" (chronological) or "hourly" (flat block)
    dt_h: float = 1.0  #: time step [h]
    cyclic_tol: float = 1e-9  #: cyclic tolerance [fraction of usable energy]
    max_iter: int = 100  #: most runs of the cyclic solve
    shave_mw: float = math.inf  #: peak-shaving threshold of imports [MW] (inf: off)
    shave_reserve: float = 0.0  #: usable energy held back for peak shaving [fraction]


def dispatch_params(battery: BatteryConfig, grid: GridConfig,
                    capacities: Capacities | None = None, dt_h: float = 1.0,
                    tariff=None) -> DispatchParams:
    """Dispatch parameters from the config sections (capacities override the battery size).

    Parameters
    ----------
    battery : BatteryConfig
        Efficiencies (``eta_charge``, ``eta_discharge``), self-discharge, SoC window, flags.
    grid : GridConfig
        Import/export limits [MW], green volume [MWh/yr] and matching.
    capacities : Capacities, optional
        Battery energy [MWh] and power [MW]; default the battery section's.
    dt_h : float
        Time step [h].
    tariff : TariffConfig, optional
        Peak shaving (``peak_shaving_mw``, ``shaving_reserve``) and a contracted
        capacity that limits imports (``basis = "capacity"``).
    """
    volume = grid.green_volume_mwh
    import_max, shave, reserve = grid.import_max_mw, math.inf, 0.0
    if tariff is not None:
        if tariff.basis == "capacity" and tariff.contracted_kva is not None:
            import_max = min(import_max, tariff.contracted_kva * tariff.power_factor / 1000.0)
        if tariff.peak_shaving_mw is not None:
            shave, reserve = float(tariff.peak_shaving_mw), float(tariff.shaving_reserve)
    return DispatchParams(
        battery_mwh=capacities.battery_mwh if capacities else battery.energy_mwh,
        battery_mw=capacities.battery_mw if capacities else battery.power_mw,
        eta_charge=battery.eta_charge,
        eta_discharge=battery.eta_discharge,
        self_discharge_per_h=battery.self_discharge_per_h,
        soc_min=battery.soc_min,
        soc_max=battery.soc_max,
        soc_initial=battery.soc_initial,
        cyclic=battery.cyclic,
        grid_charging=battery.grid_charging,
        import_max_mw=import_max,
        export_max_mw=grid.export_max_mw,
        green_volume_mwh=math.inf if volume == "remainder" else float(volume),
        green_matching=grid.green_matching,
        dt_h=dt_h,
        shave_mw=shave,
        shave_reserve=reserve,
    )


# Green contract → (hourly cap [MW], budget of the run [MWh]) given volume V [MWh/yr],
# hours N and step dt [h]: an annual volume is consumed chronologically, scaled to the
# horizon; an hourly-matched one is a flat block of V/8760 MW.
_GREEN_RULES = {
    "annual": lambda v, n, dt: (math.inf, v * n * dt / HOURS_PER_YEAR),
    "hourly": lambda v, n, dt: (v / HOURS_PER_YEAR, math.inf),
}


def check_params(p: DispatchParams) -> None:
    """Raise a :class:`ConfigError` naming every parameter of ``p`` out of its range."""
    rules = [
        ("battery_mwh", p.battery_mwh >= 0 and math.isfinite(p.battery_mwh), "must be >= 0 [MWh]"),
        ("battery_mw", p.battery_mw >= 0 and math.isfinite(p.battery_mw), "must be >= 0 [MW]"),
        ("eta_charge", 0 < p.eta_charge <= 1, "must lie in (0, 1]"),
        ("eta_discharge", 0 < p.eta_discharge <= 1, "must lie in (0, 1]"),
        ("self_discharge_per_h", 0 <= p.self_discharge_per_h * p.dt_h < 1,
         "must be >= 0 and below 1 per step"),
        ("soc_min", 0 <= p.soc_min < p.soc_max <= 1, "need 0 <= soc_min < soc_max <= 1"),
        ("soc_initial", p.soc_min <= p.soc_initial <= p.soc_max, "must lie in [soc_min, soc_max]"),
        ("import_max_mw", p.import_max_mw >= 0, "must be >= 0 [MW]"),
        ("export_max_mw", p.export_max_mw >= 0, "must be >= 0 [MW]"),
        ("green_volume_mwh", p.green_volume_mwh >= 0, "must be >= 0 [MWh/yr] (inf: all green)"),
        ("green_matching", p.green_matching in _GREEN_RULES,
         f"must be one of {', '.join(_GREEN_RULES)}"),
        ("dt_h", p.dt_h > 0 and math.isfinite(p.dt_h), "must be > 0 [h]"),
        ("cyclic_tol", p.cyclic_tol > 0, "must be > 0"),
        ("max_iter", p.max_iter >= 1, "must be >= 1"),
    ]
    bad = [problem(rule, source="dispatch parameters", field=name, value=getattr(p, name))
           for name, ok, rule in rules if not ok]
    if bad:
        raise ConfigError(bad, headline="invalid dispatch parameters")


def check_series(name: str, values, n: int | None, source: str, ndim: int = 1) -> np.ndarray:
    """``values`` as a contiguous float64 array of ``n`` steps, checked.

    Finite (and >= 0 except the import price); else a :class:`ProfileError` naming the first bad
    hour.
    """
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != ndim or (n is not None and arr.shape[-1] != n):
        raise ProfileError(problem(
            f"must be a {ndim}-D array of {n if n is not None else 'N'} hours",
            source=source, field=name, value=f"shape {arr.shape}"))
    signed = name == "import_price_per_mwh"
    lo, hi = (arr.min(), arr.max()) if arr.size else (0.0, 0.0)
    if np.isfinite(lo) and np.isfinite(hi) and (signed or lo >= 0):
        return arr  # two reductions, no temporaries (a NaN makes both NaN)
    bad = ~np.isfinite(arr) | (arr < 0) if not signed else ~np.isfinite(arr)
    if bad.any():
        idx = np.unravel_index(int(np.argmax(bad)), arr.shape)
        rule = "must be finite" if signed else "must be finite and >= 0"
        raise ProfileError(problem(f"{rule} (first bad hour {idx[-1]})", source=source,
                                   field=name, value=float(arr[idx])))
    return arr


def kernel_rules(p: DispatchParams, hours: int) -> kernel.Rules:
    """The kernel's rule record of ``p`` for a run of ``hours`` steps (green contract resolved)."""
    volume = p.green_volume_mwh
    block, budget = (math.inf, math.inf) if math.isinf(volume) else _GREEN_RULES[p.green_matching](
        volume, hours, p.dt_h)
    return kernel.make_rules(
        dt_h=p.dt_h, eta_charge=p.eta_charge, eta_discharge=p.eta_discharge,
        keep=1.0 - p.self_discharge_per_h * p.dt_h, soc_min=p.soc_min, soc_max=p.soc_max,
        soc_initial=p.soc_initial, cyclic=p.cyclic, grid_charging=p.grid_charging,
        import_max_mw=p.import_max_mw, export_max_mw=p.export_max_mw, green_block_mw=block,
        green_budget_mwh=budget,
        # grid charging draws only on an hourly block (unused block is lost for matching)
        grid_charge_block_mw=block if p.grid_charging and math.isfinite(block) else 0.0,
        cyclic_tol=p.cyclic_tol, max_iter=p.max_iter, shave_mw=p.shave_mw,
        shave_reserve=p.shave_reserve)


def annual_totals(totals: np.ndarray, hours: int, dt_h: float) -> np.ndarray:
    """Sums of ``power x dt_h`` over a run of ``hours`` steps, per year (timeaxis.annual_scale)."""
    return totals * annual_scale(hours, dt_h)
