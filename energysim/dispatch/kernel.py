r"""Numba kernels of the rule-based (greedy load-following) dispatch.

Plain float64 arrays and three records in, plain arrays and tuples out: no
pandas, xarray or config objects inside compiled code (DESIGN.md). The records
are NamedTuples Numba compiles as structs:

- :class:`Series` — the hourly profiles of one run (per-unit generation, load,
  price, emission factor);
- :class:`Kit` — the capacities of one scenario (PV, wind, battery energy and power);
- :class:`Rules` — every scalar rule parameter, shared by all scenarios of a call.

A new rule adds a field with a neutral default to :class:`Rules` (or a capacity
to :class:`Kit`, a profile to :class:`Series`), a line in :func:`_drive` or
:func:`_settle`, and a name in :data:`HOURLY` if it has an hourly flow: no
signature changes anywhere else. Every unit is in brackets; power in MW, energy
in MWh, the step ``dt_h`` [h] explicit.

Rules of one hour t (all flows non-negative):

1. available generation :math:`G_t = C_{pv} p^{pv}_t + C_w p^w_t`; on-site
   generation serves load first, :math:`D_t = \min(G_t, L_t)`.
2. self-discharge acts on the energy above the SoC floor,
   :math:`s \leftarrow \underline{s}E + k\,(s - \underline{s}E)` with
   :math:`k = 1 - \sigma\,\Delta t` (the sizing LP's linear rule), taken
   from both energy pools pro rata. The floor is a reserve the battery
   management keeps; a leak taking an idle battery below it would leave the
   rule-based core and the LP (which holds :math:`s_t \ge \underline{s}E`)
   with different on-site shares.
3. surplus :math:`G_t - D_t` charges the battery within power, room up to
   :math:`\overline{s}E` and charge efficiency; the rest is exported up to the
   export limit, the remainder curtailed.
4. deficit :math:`L_t - D_t` is met by the battery down to :math:`\underline{s}E`
   (discharge efficiency), then grid imports up to the import limit, then unmet.
5. imports are labelled green up to the hour's green cap
   :math:`c_t + \min(b, V_{left}/\Delta t)` (``c_t`` the deliveries of shaped
   green contracts, the optional hourly ``cap`` argument of the entries, 0 without it;
   ``b`` a flat hourly block, ``V_left`` the remaining annual volume consumed chronologically by
   the green energy beyond ``c_t``; ``b`` and ``V_left`` may be infinite), the
   rest regular.
6. optional grid charging (off by default): in an hour without discharge, the
   part of the hourly green block ``grid_charge_block_mw`` not used by load
   charges the battery with the power, room and import headroom left. It is
   only meaningful for hourly-matched green contracts, where an unused block is
   lost for matching; the wrapper passes 0 otherwise.
7. optional peak shaving (off by default; ``[tariff] peak_shaving_mw`` and
   ``shaving_reserve`` under a demand charge): the battery serves a deficit
   freely only from the energy above a reserve (``shave_reserve`` x usable
   energy); the reserve is spent only to bring the hour's import down to the
   threshold ``shave_mw``. A documented heuristic, not an optimum: the optimal
   dispatch mode prices the demand charge exactly.

Stored energy is kept in two pools, on-site origin and grid origin; discharge
takes from both pro rata, so ``onsite_served`` = direct on-site supply plus the
on-site share of the discharge. Energy present at the start counts as on-site
origin (in a cyclic run it is the end state of the same year).

One implementation of the rules: :func:`_drive` (generation, load, what the
battery could take or give), :func:`_step` (the SoC update) and :func:`_settle`
(battery, grid, curtailment and green label from the energy moved) serve both
the serial loop and the split fast path below.

Cyclic runs (end SoC = start SoC) solve :math:`g(s) = f(s) - s = 0`, where
``f`` maps the start SoC to the end SoC of the year. Greedy dispatch makes
``f`` non-decreasing and 1-Lipschitz, so ``g`` is non-increasing with
:math:`g(\underline{s}E) \ge 0 \ge g(\overline{s}E)`: a root exists, every
evaluated start shrinks the bracket, and both the fixed-point step ``s <- f(s)``
and a secant step (``f`` is piecewise linear, so the secant is exact on a
linear piece) stay inside it. The secant step is used when it falls inside the
bracket (clipped to a window bound not evaluated yet, where the root may sit,
e.g. an empty battery), the fixed-point step otherwise. In a typical year the
battery hits a bound, ``f`` is flat and the second run confirms; with leaks
and a battery that never hits a bound, the fixed-point step alone would
converge only geometrically (factor :math:`k^N`) and the secant step finishes
it. Converged when :math:`|g| \le` ``cyclic_tol`` x usable energy; the
iteration count is returned.

Speed. Only the SoC recursion is inherently serial. Without grid charging and
without a chronological green budget (the default "remainder" contract, or an
hourly-matched one) the split path runs that recursion alone
(:func:`_soc_path`: an add, a min and a max per hour on the critical chain, a
multiply more with self-discharge), then derives all flows and totals in a
loop without loop-carried state that LLVM vectorises (:func:`_flow_totals`).
A cyclic solve repeats only the recursion and derives the flows once. The
sweep entry runs up to :data:`LANES` scenarios in one recursion pass
(:func:`_soc_paths_lanes`, hour-major), whose independent chains LLVM packs
into vector registers; each lane does the single path's arithmetic, so the
results are bit-identical. The serial loop :func:`_year_serial` serves the
other cases. benchmarks/dispatch.py measures all this against a numpy pass and
a pure-Python loop of the same rules.
"""

from __future__ import annotations

import functools
import math
import types
from typing import Any, NamedTuple, get_type_hints

import numpy as np
from numba import njit, prange

__all__ = ["HOURLY", "TOTALS", "ROW", "COLUMN", "N_HOURLY", "N_TOTALS", "LANES", "Series",

           "Kit", "Rules", "make_rules", "year", "year_capped", "solve", "run_hourly",
           "run_hourly_capped", "sweep_scenarios"]


def jit(fn=None, *, reassoc: bool = False, parallel: bool = False, inline: bool = False,
        cache: bool = True):
    """The one compilation setting of the dispatch kernels.

    Cached on disk, no GIL held; ``reassoc`` allows re-associating sums
    (vectorised reductions; results depend only on the compiled code, so every
    caller gets the same bits), ``parallel`` enables ``prange``, ``inline``
    inlines the function into its callers in Numba's IR (so that a constant
    argument folds away). ``cache=False`` for functions calling jitted code of
    other files: Numba's disk cache checks only the function's own file, so a
    cached caller would keep running an old copy of a changed callee.
    """
    if fn is None:
        return functools.partial(jit, reassoc=reassoc, parallel=parallel, inline=inline,
                                 cache=cache)
    options: dict[str, Any] = {"cache": cache, "nogil": True, "parallel": parallel,
               "inline": "always" if inline else "never"}
    if reassoc:
        options["fastmath"] = {"reassoc"}
        # a distinct name: Numba's on-disk cache keys on the qualified name and the
        # signature, not the flags, so two compilations of one function would collide
        fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                                fn.__closure__)
        fn.__qualname__ += "_reassoc"
    return njit(**options)(fn)


# ---------------------------------------------------------------------------
# tables and records
# ---------------------------------------------------------------------------

class Flows(NamedTuple):
    """One hour's flows, fields in :data:`HOURLY` order (the rows of ``hourly``)."""

    pv: float
    wind: float
    load: float
    import_green: float
    import_regular: float
    export: float
    charge: float
    discharge: float
    curtail: float
    unmet: float
    soc: float
    onsite_served: float
    charge_grid: float


class Totals(NamedTuple):
    """Running sums, fields in :data:`TOTALS` order."""

    pv: float
    wind: float
    load: float
    import_green: float
    import_regular: float
    export: float
    charge: float
    discharge: float
    curtail: float
    unmet: float
    onsite_served: float
    charge_grid: float
    import_cost: float
    co2_t: float
    co2_baseline_t: float


#: Rows of the hourly output array (MW; ``soc`` MWh end of hour), one flow table.
HOURLY = Flows._fields
#: Entries of the totals array: sums over the run of the hourly flows (all but
#: the state ``soc``) x dt_h [MWh], then import cost [money] and CO2 [t].
TOTALS = Totals._fields
assert TOTALS == tuple(name for name in HOURLY if name != "soc") + (
    "import_cost", "co2_t", "co2_baseline_t")
N_HOURLY = len(HOURLY)
N_TOTALS = len(TOTALS)
#: Row index of each hourly flow, e.g. ``hourly[ROW.soc]``.
ROW = Flows(*range(N_HOURLY))
#: Index of each total, e.g. ``totals[COLUMN.import_cost]``.
COLUMN = Totals(*range(N_TOTALS))
_ZERO = Totals(*(0.0,) * N_TOTALS)
#: Most scenarios interleaved in one recursion pass of the sweep entry.
LANES = 16


class Series(NamedTuple):
    """Hourly profiles of one run, float64 arrays of equal length (2-D: years x hours)."""

    pv_pu: np.ndarray  #: PV available per unit of capacity [MW/MWp]
    wind_pu: np.ndarray  #: wind available per unit of capacity [MW/MW]
    load: np.ndarray  #: park load [MW]
    price: np.ndarray  #: import price [money/MWh]
    emission: np.ndarray  #: CO2 factor of regular imports [t/MWh]


class Kit(NamedTuple):
    """Capacities of one scenario."""

    pv_mw: float = 0.0  #: PV [MWp]
    wind_mw: float = 0.0  #: wind [MW]
    battery_mwh: float = 0.0  #: battery usable energy [MWh]
    battery_mw: float = 0.0  #: battery AC power, charge and discharge [MW]


class Rules(NamedTuple):
    """Scalar rule parameters of a call (build with :func:`make_rules`: exact field types)."""

    dt_h: float = 1.0  #: time step [h]
    eta_charge: float = 1.0  #: one-way charge efficiency [-], in (0, 1]
    eta_discharge: float = 1.0  #: one-way discharge efficiency [-], in (0, 1]
    keep: float = 1.0  #: share of the energy above the floor kept over a step, 1 - sigma dt [-]
    soc_min: float = 0.0  #: SoC floor [fraction of energy]
    soc_max: float = 1.0  #: SoC ceiling [fraction of energy]
    soc_initial: float = 0.5  #: start SoC (first guess if cyclic) [fraction of energy]
    cyclic: bool = True  #: end SoC = start SoC
    grid_charging: bool = False  #: charge from the unused hourly green block
    import_max_mw: float = math.inf  #: import limit [MW]
    export_max_mw: float = 0.0  #: export limit [MW]
    green_block_mw: float = math.inf  #: hourly green cap [MW] (inf: none)
    green_budget_mwh: float = math.inf  #: green volume of the run [MWh] (inf: none)
    grid_charge_block_mw: float = 0.0  #: hourly green block open to grid charging [MW]
    cyclic_tol: float = 1e-9  #: cyclic tolerance [fraction of usable energy]
    max_iter: int = 100  #: most runs of the cyclic solve
    shave_mw: float = math.inf  #: peak shaving: imports above this are shaved first [MW]
    shave_reserve: float = 0.0  #: peak shaving: usable energy held back for it [fraction]


def make_rules(**values) -> Rules:
    """:class:`Rules` with every field cast to its declared type (one compiled signature)."""
    fields = {**Rules._field_defaults, **values}
    return Rules(**{k: _RULE_TYPES[k](v) for k, v in fields.items()})


_RULE_TYPES = get_type_hints(Rules)  # float, bool or int: the type casts the value


@jit
def _shaped(cap, t):
    """Shaped green deliveries of hour t [MW] (rule 5): ``cap[t]``, 0 for an empty ``cap``."""
    return cap[t] if cap.shape[0] > 0 else 0.0


@jit
def _block(cap, t, block):
    """Green cap of hour t without a budget [MW].

    ``block`` itself for an empty ``cap`` (the arithmetic of a park without shaped contracts is
    unchanged), else ``cap[t] + block``.
    """
    return cap[t] + block if cap.shape[0] > 0 else block


class _Battery(NamedTuple):
    """Constants of one battery under the rules, derived once per run."""

    e_min: float  #: SoC floor [MWh]
    window: float  #: usable window above the floor [MWh]
    keep: float  #: share kept over a step [-]
    stored_per_mw: float  #: MWh stored per MW charged for one step
    mw_per_room: float  #: its inverse (no division in the loops)
    removed_per_mw: float  #: MWh taken from storage per MW discharged for one step
    mw_per_avail: float  #: its inverse
    up_max: float  #: most energy stored in one step [MWh]
    down_max: float  #: most energy removed in one step [MWh]
    reserve: float  #: energy above the floor held back for peak shaving [MWh]


@jit
def _battery(kit, rules):
    stored_per_mw = rules.eta_charge * rules.dt_h
    removed_per_mw = rules.dt_h / rules.eta_discharge
    return _Battery(
        e_min=rules.soc_min * kit.battery_mwh,
        window=(rules.soc_max - rules.soc_min) * kit.battery_mwh,
        keep=rules.keep,
        stored_per_mw=stored_per_mw,
        mw_per_room=1.0 / stored_per_mw,
        removed_per_mw=removed_per_mw,
        mw_per_avail=rules.eta_discharge / rules.dt_h,
        up_max=kit.battery_mw * stored_per_mw,
        down_max=kit.battery_mw * removed_per_mw,
        reserve=rules.shave_reserve * (rules.soc_max - rules.soc_min) * kit.battery_mwh,
    )


@jit
def _is_split(rules):
    """True when only the SoC is serial.

    No grid charging, no chronological green budget, no peak shaving.
    """
    return (not rules.grid_charging and rules.green_budget_mwh == np.inf
            and rules.shave_mw == np.inf and rules.shave_reserve == 0.0)


@jit
def _shaved(down, deficit, a_kept, b, rules):
    """Peak shaving (rule 7): the battery gives freely only the energy above its reserve.

    Below it, only what brings the hour's import down to ``shave_mw`` [MWh].
    """
    free = max(a_kept - b.reserve, 0.0)
    need = max(deficit - rules.shave_mw, 0.0) * b.removed_per_mw
    return min(down, max(free, need))


# ---------------------------------------------------------------------------
# the rules of one hour (one implementation, inlined by LLVM into every loop)
# ---------------------------------------------------------------------------


@jit
def _drive(pv_pu, wind_pu, ld, kit, b):
    """Quantities of an hour that do not depend on the SoC (rules 1, 3, 4).

    Generation, load, direct supply, surplus, deficit [MW] and the energy the battery could take
    (``up``) or give (``down``) in the hour [MWh], from the hour's per-unit PV and wind and its
    load [MW].
    """
    pv = pv_pu * kit.pv_mw
    wind = wind_pu * kit.wind_mw
    gen = pv + wind
    direct = min(gen, ld)
    surplus = gen - direct
    deficit = ld - direct  # at most one of surplus, deficit is non-zero
    up = min(surplus * b.stored_per_mw, b.up_max)
    down = min(deficit * b.removed_per_mw, b.down_max)
    return pv, wind, ld, direct, surplus, deficit, up, down


@jit
def _step(a_kept, up, down, window):
    """Energy above the floor after the hour [MWh]: the serial chain (rule 2 done by the caller)."""
    return max(min(a_kept + (up - down), window), 0.0)


@jit
def _advance(pv_pu, wind_pu, ld, kit, b, keep, a):
    """Energy above the floor after the hour, from ``a`` before it [MWh] (rules 1-4)."""
    up, down = _drive(pv_pu, wind_pu, ld, kit, b)[6:]
    return _step(a * keep, up, down, b.window)


@jit
def _settle(moved, surplus, deficit, green_cap, b, rules):
    """Flows of the hour given the energy moved into (> 0) or out of (< 0) storage [MWh].

    Surplus: battery, export, curtailment; deficit: battery, imports, unmet;
    imports green up to ``green_cap`` [MW] (rules 3-5). Every difference is of
    a value and a smaller one, so all flows are >= 0 without clamps.
    """
    ch = min(max(moved, 0.0) * b.mw_per_room, surplus)
    ex = min(surplus - ch, rules.export_max_mw)
    cu = surplus - ch - ex
    dis = min(max(-moved, 0.0) * b.mw_per_avail, deficit)
    rest = deficit - dis
    imp = min(rest, rules.import_max_mw)
    unmet = rest - imp
    green = min(imp, green_cap)
    regular = imp - green
    return ch, ex, cu, dis, imp, unmet, green, regular


def _add(acc, f, price, emission):
    """Running totals plus the flows of one hour (``price``, ``emission`` of that hour)."""
    return Totals(
        pv=acc.pv + f.pv,
        wind=acc.wind + f.wind,
        load=acc.load + f.load,
        import_green=acc.import_green + f.import_green,
        import_regular=acc.import_regular + f.import_regular,
        export=acc.export + f.export,
        charge=acc.charge + f.charge,
        discharge=acc.discharge + f.discharge,
        curtail=acc.curtail + f.curtail,
        unmet=acc.unmet + f.unmet,
        onsite_served=acc.onsite_served + f.onsite_served,
        charge_grid=acc.charge_grid + f.charge_grid,
        import_cost=acc.import_cost + (f.import_green + f.import_regular) * price,
        co2_t=acc.co2_t + f.import_regular * emission,
        co2_baseline_t=acc.co2_baseline_t + f.load * emission,
    )


_add_ordered = jit(_add)  # serial loop: sums in hour order
_add_reassoc = jit(_add, reassoc=True)  # split path: vectorised sums


@jit
def _store(acc, dt_h, totals):
    for k in range(N_TOTALS):
        totals[k] = acc[k] * dt_h


@jit
def _record(hourly, t, f):
    for k in range(N_HOURLY):
        hourly[k, t] = f[k]


# ---------------------------------------------------------------------------
# serial path: all rules in one loop (grid charging, chronological green budget)
# ---------------------------------------------------------------------------


@jit
def _serial_hour(t, x, kit, rules, b, a, s_gr, green_left, cap):
    """Flows of hour t and the new state (energy above the floor, grid pool, green left)."""
    pv, wind, ld, direct, surplus, deficit, up, down = _drive(x.pv_pu[t], x.wind_pu[t],
                                                              x.load[t], kit, b)
    a_kept = a * b.keep
    if rules.grid_charging:  # the leak, from both pools pro rata
        total = b.e_min + a
        if total > 0.0:
            s_gr *= (b.e_min + a_kept) / total
    if rules.shave_mw != np.inf or rules.shave_reserve != 0.0:
        down = _shaved(down, deficit, a_kept, b, rules)
    a = _step(a_kept, up, down, b.window)
    moved = a - a_kept
    shaped = _shaped(cap, t)
    green_cap = shaped + min(rules.green_block_mw, green_left * (1.0 / rules.dt_h))
    ch, ex, cu, dis, imp, unmet, green, regular = _settle(moved, surplus, deficit, green_cap,
                                                          b, rules)
    f_on = 1.0
    if rules.grid_charging and moved < 0.0:
        f_on = max(1.0 - s_gr / (b.e_min + a_kept), 0.0)  # discharge from both pools pro rata
        s_gr = max(s_gr + moved * (1.0 - f_on), 0.0)
    green_left -= max(green - shaped, 0.0) * rules.dt_h
    gch = 0.0
    if rules.grid_charging and dis <= 0.0:  # rule 6
        room = max(b.window - a, 0.0) * b.mw_per_room
        gch = max(min(rules.grid_charge_block_mw - green, kit.battery_mw - ch, room,
                      rules.import_max_mw - imp), 0.0)
        a = min(a + gch * b.stored_per_mw, b.window)
        s_gr += gch * b.stored_per_mw
        green += gch
    flows = Flows(pv=pv, wind=wind, load=ld, import_green=green, import_regular=regular,
                  export=ex, charge=ch + gch, discharge=dis, curtail=cu, unmet=unmet,
                  soc=b.e_min + a, onsite_served=direct + dis * f_on, charge_grid=gch)
    return flows, a, s_gr, green_left


@jit
def _year_serial(x, kit, rules, b, s_on, s_gr, record, hourly, totals, path, cap):
    """All rules in one serial loop; see :func:`year`.

    ``path`` (hours + 1, or empty) receives the energy above the floor [MWh], start and end of
    each hour.
    """
    # state: a = energy above the floor [MWh]; the leak acts on a only (a <- k a)
    a = max(s_on + s_gr - b.e_min, 0.0)
    keep_path = path.shape[0] > 0
    if keep_path:
        path[0] = a
    green_left = rules.green_budget_mwh
    acc = _ZERO
    for t in range(x.load.shape[0]):
        f, a, s_gr, green_left = _serial_hour(t, x, kit, rules, b, a, s_gr, green_left, cap)
        acc = _add_ordered(acc, f, x.price[t], x.emission[t])
        if record:
            _record(hourly, t, f)
        if keep_path:
            path[t + 1] = a
    _store(acc, rules.dt_h, totals)
    return b.e_min + a - s_gr, s_gr


# ---------------------------------------------------------------------------
# split path: the SoC recursion alone, then flows without loop-carried state
# ---------------------------------------------------------------------------


@jit
def _soc_path(x, kit, b, a, path):
    r"""The serial part: energy above the floor [MWh], start and after each hour, into ``path``.

    Only the SoC recursion :math:`a_t = \max(\min(k a_{t-1} + u_t - d_t, W), 0)`
    (u, d: energy the surplus could store, the deficit could remove, within
    power; W the window) is serial. ``path`` has hours + 1 entries, ``path[0] =
    a`` the start; the end value is returned. Without self-discharge (k = 1,
    e.g. Ordos) the multiply leaves the chain: ``a * 1.0`` is ``a`` exactly, so
    both branches give the same bits.
    """
    if b.keep == 1.0:
        return _soc_loop(x, kit, b, 1.0, a, path)
    return _soc_loop(x, kit, b, b.keep, a, path)


@jit(inline=True)  # so that keep = 1.0 folds away
def _soc_loop(x, kit, b, keep, a, path):
    path[0] = a
    for t in range(x.load.shape[0]):
        a = _advance(x.pv_pu[t], x.wind_pu[t], x.load[t], kit, b, keep, a)
        path[t + 1] = a
    return a


@jit
def _split_hour(t, x, kit, rules, b, path, green_cap):
    """Flows of hour t given the SoC path (the same arithmetic as :func:`_serial_hour`).

    ``green_cap`` is the hour's cap on green imports [MW] (rule 5, no budget on this path).
    """
    pv, wind, ld, direct, surplus, deficit, _, _ = _drive(x.pv_pu[t], x.wind_pu[t], x.load[t],
                                                          kit, b)
    moved = path[t + 1] - path[t] * b.keep  # > 0 stored, < 0 removed [MWh]
    ch, ex, cu, dis, imp, unmet, green, regular = _settle(
        moved, surplus, deficit, green_cap, b, rules)
    return Flows(pv=pv, wind=wind, load=ld, import_green=green, import_regular=regular,
                 export=ex, charge=ch, discharge=dis, curtail=cu, unmet=unmet,
                 soc=b.e_min + path[t + 1], onsite_served=direct + dis, charge_grid=0.0)


@jit(reassoc=True)
def _flow_totals(x, kit, rules, b, path, totals):
    """Totals of the split path.

    No serial dependency is left, so with re-association allowed (for the sums
    only: the flows of :func:`_split_hour` are compiled without it) the loop
    vectorises. The summation order is fixed by the compiled code, the same for
    every caller: sweep and single run agree bit for bit (tests/test_dispatch.py).
    """
    acc = _ZERO
    for t in range(x.load.shape[0]):
        acc = _add_reassoc(acc, _split_hour(t, x, kit, rules, b, path, rules.green_block_mw),
                           x.price[t], x.emission[t])
    _store(acc, rules.dt_h, totals)


@jit(reassoc=True)
def _flow_totals_capped(x, kit, rules, b, path, totals, cap):
    """:func:`_flow_totals` with the hourly green cap ``cap`` [MW] of shaped contracts.

    A loop of its own: the one without a cap keeps its code, and its speed.
    """
    acc = _ZERO
    for t in range(x.load.shape[0]):
        acc = _add_reassoc(acc, _split_hour(t, x, kit, rules, b, path,
                                            cap[t] + rules.green_block_mw),
                           x.price[t], x.emission[t])
    _store(acc, rules.dt_h, totals)


@jit
def _totals_split(x, kit, rules, b, path, totals, cap):
    if cap.shape[0] > 0:
        _flow_totals_capped(x, kit, rules, b, path, totals, cap)
    else:
        _flow_totals(x, kit, rules, b, path, totals)


@jit
def _flow_record(x, kit, rules, b, path, hourly, cap):
    """Hourly flows of the split path into ``hourly`` (rows as :data:`HOURLY`)."""
    for t in range(x.load.shape[0]):
        _record(hourly, t, _split_hour(t, x, kit, rules, b, path,
                                       _block(cap, t, rules.green_block_mw)))


# ---------------------------------------------------------------------------
# entries: one run, the cyclic solve, the hourly record
# ---------------------------------------------------------------------------


@jit
def year(x, kit, rules, s_on, s_gr, record, hourly, totals):
    """Greedy dispatch of one run from a given start state.

    Runs the split path (:func:`_soc_path` then the flows) when no serial rule
    other than the SoC is active (no grid charging, no finite green budget),
    the single serial loop :func:`_year_serial` otherwise; both apply the same
    rules (tests/test_dispatch.py compares them).

    Parameters
    ----------
    x : Series
        Profiles of the run (1-D arrays).
    kit : Kit
        Capacities [MWp, MW, MWh, MW].
    rules : Rules
        Rule parameters.
    s_on, s_gr : float
        Start energy of on-site and grid origin [MWh].
    record : bool
        Write hourly flows into ``hourly``.
    hourly : float64[:, :]
        Output (N_HOURLY, hours) when ``record``; may be (N_HOURLY, 0) otherwise.
    totals : float64[:]
        Output, N_TOTALS: sums over the run [MWh, money, t].

    Returns
    -------
    (s_on, s_gr) : tuple of float
        End energy of on-site and grid origin [MWh].
    """
    return year_capped(x, kit, rules, s_on, s_gr, record, hourly, totals, np.empty(0))


@jit
def year_capped(x, kit, rules, s_on, s_gr, record, hourly, totals, cap):
    """:func:`year` with ``cap`` (float64[:]), the hourly deliveries of shaped green contracts.

    ``cap`` holds the deliveries in each hour [MW], green before the block and the budget (rule
    5); empty: none.
    """
    b = _battery(kit, rules)
    if not _is_split(rules):
        return _year_serial(x, kit, rules, b, s_on, s_gr, record, hourly, totals, np.empty(0),
                            cap)
    path = np.empty(x.load.shape[0] + 1)
    a = _soc_path(x, kit, b, max(s_on + s_gr - b.e_min, 0.0), path)
    _totals_split(x, kit, rules, b, path, totals, cap)
    if record:
        _flow_record(x, kit, rules, b, path, hourly, cap)
    return b.e_min + a, 0.0


class _Bracket(NamedTuple):
    """State of the cyclic solve between runs (see the module notes)."""

    lo: float  #: start known to end above itself [MWh]
    hi: float  #: start known to end below itself [MWh]
    lo_seen: bool  #: lo was evaluated (not just the window bound)
    hi_seen: bool
    s_prev: float  #: previous start [MWh]
    g_prev: float  #: its end minus start [MWh]
    have_prev: bool


@jit
def _first_start(kit, rules, b, guess):
    """First start [MWh] and the empty bracket (the SoC window) of a run.

    ``guess`` [MWh] clipped to the window, or the configured ``soc_initial`` when ``guess`` < 0.
    """
    s = rules.soc_initial * kit.battery_mwh if guess < 0.0 else guess
    s = min(max(s, b.e_min), rules.soc_max * kit.battery_mwh)
    return s, _Bracket(b.e_min, rules.soc_max * kit.battery_mwh, False, False, 0.0, 0.0, False)


@jit
def _converged(rules, kit, it, g):
    return (not rules.cyclic or abs(g) <= rules.cyclic_tol * kit.battery_mwh
            or it >= rules.max_iter)


@jit
def _next_start(br, s, g, end):
    """Next start of the cyclic solve after a run from ``s`` ended at ``end`` (g = end - s)."""
    lo, hi, lo_seen, hi_seen = br.lo, br.hi, br.lo_seen, br.hi_seen
    if g > 0.0:
        lo = s
        lo_seen = True
    else:
        hi = s
        hi_seen = True
    nxt = end  # fixed-point step, always inside [lo, hi]
    if br.have_prev and g != br.g_prev:
        sec = s - g * (s - br.s_prev) / (g - br.g_prev)
        # a secant beyond a window bound not yet evaluated goes to that bound (the root
        # may sit exactly there, e.g. an empty battery); beyond an evaluated one it is useless
        if sec <= lo:
            sec = lo if not lo_seen else nxt
        elif sec >= hi:
            sec = hi if not hi_seen else nxt
        nxt = sec
    return _Bracket(lo, hi, lo_seen, hi_seen, s, g, True), nxt


@jit
def _solve(x, kit, rules, totals, path, guess):
    """Cyclic solve without shaped green contracts (:func:`_solve_capped`)."""
    return _solve_capped(x, kit, rules, totals, path, guess, np.empty(0))


@jit
def _solve_capped(x, kit, rules, totals, path, guess, cap):
    """Cyclic solve; the split path's runs are recursions only, its flows derived once.

    Starts from ``guess`` [MWh] (< 0: ``rules.soc_initial``). Returns ``(s_on,
    s_gr, iterations, gap_mwh)``; ``path`` (hours + 1) receives the energy above
    the floor [MWh] of the returned start's run.
    """
    b = _battery(kit, rules)
    split = _is_split(rules)
    empty = np.empty((N_HOURLY, 0))
    s, br = _first_start(kit, rules, b, guess)
    f_on = 1.0
    it = 0
    while True:
        it += 1
        s_on0 = s * f_on
        s_gr0 = s - s_on0
        if split:
            end_on = b.e_min + _soc_path(x, kit, b, max(s_on0 + s_gr0 - b.e_min, 0.0), path)
            end_gr = 0.0
        else:
            end_on, end_gr = _year_serial(x, kit, rules, b, s_on0, s_gr0, False, empty, totals,
                                          path, cap)
        end = end_on + end_gr
        g = end - s
        if _converged(rules, kit, it, g):
            break
        br, s = _next_start(br, s, g, end)
        f_on = end_on / end if end > 0.0 else 1.0
    if split:
        _totals_split(x, kit, rules, b, path, totals, cap)
    return s_on0, s_gr0, it, g


@jit
def solve(x, kit, rules, totals):
    """Start state of the run (cyclic: the fixed point, see the module notes) and its totals.

    Parameters are those of :func:`year`; ``rules.soc_initial`` is the start
    of a non-cyclic run and the first guess of a cyclic one, ``rules.max_iter``
    the most runs (the last run is kept if not converged). ``totals`` receives
    the totals of the returned start state's run.

    Returns
    -------
    (s_on, s_gr, iterations, gap_mwh) : tuple
        Start energy by origin [MWh], runs made, and end minus start SoC [MWh].
    """
    return _solve(x, kit, rules, totals, np.empty(x.load.shape[0] + 1), -1.0)


@jit
def run_hourly(x, kit, rules):
    """:func:`run_hourly_capped` without shaped green contracts."""
    return run_hourly_capped(x, kit, rules, np.empty(0))


@jit
def run_hourly_capped(x, kit, rules, cap):
    """Solve the start state, then record the hourly flows of that run.

    Returns ``(hourly, totals, s_start_mwh, iterations, gap_mwh)``; ``hourly``
    is (N_HOURLY, hours), ``totals`` as in :func:`year` (bit-identical to the
    totals of :func:`sweep_scenarios`, which runs the same arithmetic); ``cap``
    as in :func:`year_capped`.
    """
    n = x.load.shape[0]
    totals = np.zeros(N_TOTALS)
    path = np.empty(n + 1)
    s_on, s_gr, it, gap = _solve_capped(x, kit, rules, totals, path, -1.0, cap)
    hourly = np.empty((N_HOURLY, n))
    if _is_split(rules):
        _flow_record(x, kit, rules, _battery(kit, rules), path, hourly, cap)
    else:
        _year_serial(x, kit, rules, _battery(kit, rules), s_on, s_gr, True, hourly, totals,
                     np.empty(0), cap)
    return hourly, totals, s_on + s_gr, it, gap


# ---------------------------------------------------------------------------
# sweep entry: many scenarios x years, up to LANES scenarios interleaved per pass
# ---------------------------------------------------------------------------


@jit
def _kit(caps, i):
    """Kit of row ``i`` of a capacity table (columns in :class:`Kit` field order)."""
    return Kit(caps[i, 0], caps[i, 1], caps[i, 2], caps[i, 3])


@jit(inline=True)  # so that keep = 1.0 folds away
def _lanes_loop(x, cols, rules, keep, paths):
    for t in range(x.load.shape[0]):
        pv_pu, wind_pu, ld = x.pv_pu[t], x.wind_pu[t], x.load[t]
        for j in range(paths.shape[1]):  # independent lanes: LLVM vectorises across them
            kit = Kit(cols[0, j], cols[1, j], cols[2, j], cols[3, j])
            paths[t + 1, j] = _advance(pv_pu, wind_pu, ld, kit, _battery(kit, rules), keep,
                                       paths[t, j])


@jit
def _soc_paths_lanes(x, cols, rules, paths):
    """:func:`_soc_path` of several scenarios in one pass, hour-major.

    ``cols`` (4, lanes) holds the lanes' capacities (rows in :class:`Kit`
    field order), ``paths`` (hours + 1, lanes) their start in row 0 on entry
    and their paths on return. Each lane runs :func:`_advance` exactly as the
    single path does, so the bits are the same; the lanes' chains are
    independent, so the CPU runs them side by side in vector registers.
    """
    if rules.keep == 1.0:
        _lanes_loop(x, cols, rules, 1.0, paths)
    else:
        _lanes_loop(x, cols, rules, rules.keep, paths)


@jit
def _transpose(paths, by_lane):
    """``by_lane[j, t] = paths[t, j]``, in tiles of hours that stay in L1."""
    tile = 64
    n = paths.shape[0]
    for start in range(0, n, tile):
        for j in range(paths.shape[1]):
            for t in range(start, min(start + tile, n)):
                by_lane[j, t] = paths[t, j]


@jit
def _solve_lanes(x, caps, rules, work, out_totals, out_iter):
    """Cyclic solve and totals of the scenarios ``caps`` (rows) on the split path, interleaved.

    Each lane's runs, bracket and totals are exactly those of :func:`_solve`
    (tests/test_dispatch.py pins the bits): a converged lane keeps running
    from its final start (the same path, bit for bit) until all have
    converged, and the flows come from the last pass. ``work`` is scratch of
    at least 2 x (hours + 1) x lanes floats, reused across calls: fresh
    megabyte buffers would cost page faults on every call.
    """
    lanes = caps.shape[0]
    n = x.load.shape[0]
    size = (n + 1) * lanes
    paths = work[:size].reshape((n + 1, lanes))
    by_lane = work[size:2 * size].reshape((lanes, n + 1))  # lane-major, as the flows read them
    cols = np.ascontiguousarray(caps.T)
    starts = np.empty(lanes)
    brackets = []
    for j in range(lanes):
        kit = _kit(caps, j)
        s, br = _first_start(kit, rules, _battery(kit, rules), -1.0)
        starts[j] = s
        brackets.append(br)
    done = np.zeros(lanes, dtype=np.bool_)
    while not done.all():
        for j in range(lanes):
            paths[0, j] = max(starts[j] - _battery(_kit(caps, j), rules).e_min, 0.0)
        _soc_paths_lanes(x, cols, rules, paths)
        for j in range(lanes):
            if done[j]:
                continue
            kit = _kit(caps, j)
            b = _battery(kit, rules)
            out_iter[j] += 1
            end = b.e_min + paths[n, j]
            g = end - starts[j]
            if _converged(rules, kit, out_iter[j], g):
                done[j] = True
            else:
                brackets[j], starts[j] = _next_start(brackets[j], starts[j], g, end)
    _transpose(paths, by_lane)
    for j in range(lanes):
        kit = _kit(caps, j)
        _flow_totals(x, kit, rules, _battery(kit, rules), by_lane[j], out_totals[j])


@jit
def _lane_width(rules, scenarios, years, threads):
    """Scenarios per group of :func:`sweep_scenarios`.

    At most :data:`LANES`, and enough groups x years to keep ``threads`` busy; 1 off the split
    path (no interleaving).
    """
    if not _is_split(rules):
        return 1
    per_year = -(-threads // years)  # groups needed in each year
    return max(1, min(LANES, -(-scenarios // per_year)))


@jit(parallel=True)
def sweep_scenarios(x, caps, rules, threads, out_totals, out_iter):
    """Totals of many scenarios x weather years, in parallel over both (``prange``).

    Parameters
    ----------
    x : Series
        Profiles as (years, hours) arrays, shared by all scenarios.
    caps : float64[:, :]
        (scenarios, 4): PV [MWp], wind [MW], battery energy [MWh], battery power [MW].
    rules : Rules
        Rule parameters, shared by all scenarios.
    threads : int
        Threads to share the work between (``numba.get_num_threads()``); the
        bits do not depend on it.
    out_totals : float64[:, :, :]
        Output (scenarios, years, N_TOTALS).
    out_iter : int64[:, :]
        Output (scenarios, years): runs made by the cyclic solve.

    On the split path, groups of up to :data:`LANES` scenarios share their
    recursion passes (:func:`_solve_lanes`); otherwise each scenario runs
    :func:`solve`. Each thread takes every ``threads``-th (group, year) task
    with one scratch buffer. No hourly flows are kept.
    """
    n_scen = caps.shape[0]
    n_years, n = x.load.shape
    width = _lane_width(rules, n_scen, n_years, threads)
    n_tasks = -(-n_scen // width) * n_years
    for c in prange(threads):
        work = np.empty(2 * (n + 1) * width)
        for k in range(c, n_tasks, threads):
            grp = k // n_years
            y = k - grp * n_years
            xy = Series(x.pv_pu[y], x.wind_pu[y], x.load[y], x.price[y], x.emission[y])
            first = grp * width
            last = min(first + width, n_scen)
            if width == 1:
                _, _, it, _ = _solve(xy, _kit(caps, first), rules, out_totals[first, y],
                                     work[:n + 1], -1.0)
                out_iter[first, y] = it
                continue
            iters = np.zeros(last - first, dtype=np.int64)
            _solve_lanes(xy, caps[first:last], rules, work, out_totals[first:last, y], iters)
            out_iter[first:last, y] = iters
