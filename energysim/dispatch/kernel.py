"""Numba kernels of the rule-based (greedy load-following) dispatch.

Plain float64 arrays and scalars in, plain arrays and tuples out: no pandas,
xarray or config objects inside compiled code (DESIGN.md). Every parameter's
unit is in brackets; power in MW, energy in MWh, the step ``dt_h`` [h] explicit.

Rules of one hour t (all flows non-negative):

1. available generation :math:`G_t = C_{pv} p^{pv}_t + C_w p^w_t`; on-site
   generation serves load first, :math:`D_t = \\min(G_t, L_t)`.
2. self-discharge acts on the energy above the SoC floor,
   :math:`s \\leftarrow \\underline{s}E + k\\,(s - \\underline{s}E)` with
   :math:`k = 1 - \\sigma\\,\\Delta t` (the sizing LP's linear rule), taken
   from both energy pools pro rata. The floor is a reserve the battery
   management keeps; a leak taking an idle battery below it would leave the
   rule-based core and the LP (which holds :math:`s_t \\ge \\underline{s}E`)
   with different on-site shares.
3. surplus :math:`G_t - D_t` charges the battery within power, room up to
   :math:`\\overline{s}E` and charge efficiency; the rest is exported up to the
   export limit, the remainder curtailed.
4. deficit :math:`L_t - D_t` is met by the battery down to :math:`\\underline{s}E`
   (discharge efficiency), then grid imports up to the import limit, then unmet.
5. imports are labelled green up to the hour's green cap
   :math:`\\min(b, V_{left}/\\Delta t)` (``b`` a flat hourly block, ``V_left``
   the remaining contract volume consumed chronologically; either may be
   infinite), the rest regular.
6. optional grid charging (off by default): in an hour without discharge, the
   part of the hourly green block ``grid_charge_block`` not used by load
   charges the battery with the power, room and import headroom left. It is
   only meaningful for hourly-matched green contracts, where an unused block is
   lost for matching; the wrapper passes 0 otherwise.

Stored energy is kept in two pools, on-site origin and grid origin; discharge
takes from both pro rata, so ``onsite_served`` = direct on-site supply plus the
on-site share of the discharge. Energy present at the start counts as on-site
origin (in a cyclic run it is the end state of the same year).

The SoC window binds the dispatch decisions (charge up to
:math:`\\overline{s}E`, discharge down to :math:`\\underline{s}E`) and, with
the leak acting above the floor only, the state itself.

Cyclic runs (end SoC = start SoC) solve :math:`g(s) = f(s) - s = 0`, where
``f`` maps the start SoC to the end SoC of the year. Greedy dispatch makes
``f`` non-decreasing and 1-Lipschitz, so ``g`` is non-increasing with
:math:`g(\\underline{s}E) \\ge 0 \\ge g(\\overline{s}E)`: a root exists, every
evaluated start shrinks the bracket, and both the fixed-point step ``s <- f(s)``
and a secant step (``f`` is piecewise linear, so the secant is exact on a
linear piece) stay inside it. The secant step is used when it falls inside the
bracket (clipped to a window bound not evaluated yet, where the root may sit,
e.g. an empty battery), the fixed-point step otherwise. In a typical year the
battery hits a bound, ``f`` is flat and the second run confirms; with leaks
and a battery that never hits a bound, the fixed-point step alone would
converge only geometrically (factor :math:`k^N`) and the secant step finishes
it. Converged when :math:`|g| \\le` ``tol_mwh`` (the wrapper uses
1e-9 x usable energy); the iteration count is returned.

Speed. Only the SoC recursion is inherently serial. Without grid charging and
without a chronological green budget (the default "remainder" contract, or an
hourly-matched one), :func:`year` first runs that recursion alone
(:func:`_soc_path`: a multiply-add, a min and a max per hour), then derives all
flows and totals in a loop without loop-carried state that LLVM vectorises
(:func:`_flow_totals`). The general serial loop :func:`_year_serial` serves
the other cases. benchmarks/dispatch.py measures the result against a numpy
pass and a pure-Python loop of the same rules.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["HOURLY", "TOTALS", "year", "solve", "run_hourly", "sweep_scenarios"]

#: Rows of the hourly output array of :func:`year` (MW; ``soc`` MWh end of hour).
HOURLY = ("pv", "wind", "load", "import_green", "import_regular", "export", "charge",
          "discharge", "curtail", "unmet", "soc", "onsite_served", "charge_grid")
#: Entries of the totals array: sums over the run of MW x dt_h [MWh], money, t CO2.
TOTALS = ("pv", "wind", "load", "import_green", "import_regular", "export", "charge",
          "discharge", "curtail", "unmet", "onsite_served", "charge_grid", "import_cost",
          "co2_t", "co2_baseline_t")
N_TOTALS = len(TOTALS)


@njit(cache=True)
def year(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power,
         dt_h, eta_c, eta_d, keep, soc_min, soc_max, grid_charging, import_max, export_max,
         green_block, green_budget, grid_charge_block, s_on, s_gr, record, hourly, totals):
    """Greedy dispatch of one run from a given start state.

    Runs the split path (:func:`_soc_path` then :func:`_flows`) when no serial
    rule other than the SoC is active (no grid charging, no finite green
    budget), the single serial loop :func:`_year_serial` otherwise; both apply
    the same rules (tests/test_dispatch.py compares them).

    Parameters
    ----------
    pv_pu, wind_pu : float64[:]
        Available generation per unit of capacity [MW/MW].
    load : float64[:]
        Park load [MW].
    price, emission : float64[:]
        Import price [money/MWh] and emission factor of regular imports [t/MWh].
    cap_pv, cap_wind : float
        PV [MWp] and wind [MW] capacity.
    energy, power : float
        Battery usable energy [MWh] and AC power [MW].
    dt_h : float
        Time step [h].
    eta_c, eta_d : float
        One-way charge and discharge efficiency [-], in (0, 1].
    keep : float
        Share of the stored energy above the floor kept over one step,
        1 - self_discharge_per_h * dt_h [-].
    soc_min, soc_max : float
        SoC window [fraction of energy].
    grid_charging : bool
        Allow charging from the unused hourly green block.
    import_max, export_max : float
        Grid limits [MW].
    green_block : float
        Hourly green cap [MW] (inf: none).
    green_budget : float
        Green volume for the run [MWh] (inf: none).
    grid_charge_block : float
        Hourly green block available to grid charging [MW] (0: none).
    s_on, s_gr : float
        Start energy of on-site and grid origin [MWh].
    record : bool
        Write hourly flows into ``hourly``.
    hourly : float64[:, :]
        Output (len(HOURLY), hours) when ``record``; may be (len(HOURLY), 0) otherwise.
    totals : float64[:]
        Output, len(TOTALS): sums over the run [MWh, money, t].

    Returns
    -------
    (s_on, s_gr) : tuple of float
        End energy of on-site and grid origin [MWh].
    """
    if grid_charging or green_budget < np.inf:
        return _year_serial(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy,
                            power, dt_h, eta_c, eta_d, keep, soc_min, soc_max, grid_charging,
                            import_max, export_max, green_block, green_budget,
                            grid_charge_block, s_on, s_gr, record, hourly, totals)
    return _year_split(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power,
                       dt_h, eta_c, eta_d, keep, soc_min, soc_max, import_max, export_max,
                       green_block, s_on + s_gr, record, hourly, totals)


@njit(cache=True)
def _year_serial(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power,
                 dt_h, eta_c, eta_d, keep, soc_min, soc_max, grid_charging, import_max,
                 export_max, green_block, green_budget, grid_charge_block, s_on, s_gr, record,
                 hourly, totals):
    """All rules in one serial loop (grid charging, chronological green budget); see :func:`year`."""
    n = load.shape[0]
    e_min = soc_min * energy
    window = (soc_max - soc_min) * energy  # usable window above the floor [MWh]
    stored_per_mw = eta_c * dt_h  # MWh stored per MW charged for one step
    mw_per_room = 1.0 / stored_per_mw  # precomputed: no division in the loop
    removed_per_mw = dt_h / eta_d  # MWh taken from storage per MW discharged
    mw_per_avail = eta_d / dt_h
    up_max = power * stored_per_mw  # most energy stored in one step [MWh]
    down_max = power * removed_per_mw  # most energy removed in one step [MWh]
    inv_dt = 1.0 / dt_h
    # state: a = energy above the floor [MWh]; the leak acts on a only (a <- k a). The
    # serial chain per hour is then k*a + net, min, max: short, so the loop runs near the
    # speed of memory (benchmarks/dispatch.py). s_gr is the grid-origin part of the pool.
    a = max(s_on + s_gr - e_min, 0.0)
    green_left = green_budget
    t_pv = t_wind = t_load = t_green = t_regular = t_export = t_charge = 0.0
    t_dis = t_curt = t_unmet = t_onsite = t_gch = t_cost = t_co2 = t_base = 0.0
    for t in range(n):
        pv = pv_pu[t] * cap_pv
        wind = wind_pu[t] * cap_wind
        ld = load[t]
        gen = pv + wind
        direct = min(gen, ld)
        surplus = gen - direct
        deficit = ld - direct  # at most one of surplus, deficit is non-zero
        up = min(surplus * stored_per_mw, up_max)
        down = min(deficit * removed_per_mw, down_max)
        a_kept = a * keep
        if grid_charging:  # the leak, from both pools pro rata
            total = e_min + a
            if total > 0.0:
                s_gr *= (e_min + a_kept) / total
        a = max(min(a_kept + (up - down), window), 0.0)
        moved = a - a_kept  # > 0 stored, < 0 removed [MWh]
        # surplus: battery, then export, then curtail (clamps keep rounding out of the flows)
        ch = min(max(moved, 0.0) * mw_per_room, surplus)
        ex = min(surplus - ch, export_max)
        cu = surplus - ch - ex
        # deficit: battery, then imports, then unmet
        dis = min(max(-moved, 0.0) * mw_per_avail, deficit)
        f_on = 1.0
        if grid_charging and moved < 0.0:
            f_on = max(1.0 - s_gr / (e_min + a_kept), 0.0)  # discharge from both pools pro rata
            s_gr = max(s_gr + moved * (1.0 - f_on), 0.0)
        rest = deficit - dis
        imp = min(rest, import_max)
        unmet = rest - imp
        green = min(imp, green_block, green_left * inv_dt)
        green_left -= green * dt_h
        regular = imp - green
        gch = 0.0
        if grid_charging and dis <= 0.0:
            room = max(window - a, 0.0) * mw_per_room
            gch = max(min(grid_charge_block - green, power - ch, room, import_max - imp), 0.0)
            a = min(a + gch * stored_per_mw, window)
            s_gr += gch * stored_per_mw
            green += gch
        onsite = direct + dis * f_on
        charge = ch + gch
        t_pv += pv
        t_wind += wind
        t_load += ld
        t_green += green
        t_regular += regular
        t_export += ex
        t_charge += charge
        t_dis += dis
        t_curt += cu
        t_unmet += unmet
        t_onsite += onsite
        t_gch += gch
        t_cost += (green + regular) * price[t]
        t_co2 += regular * emission[t]
        t_base += ld * emission[t]
        if record:
            hourly[0, t] = pv
            hourly[1, t] = wind
            hourly[2, t] = ld
            hourly[3, t] = green
            hourly[4, t] = regular
            hourly[5, t] = ex
            hourly[6, t] = charge
            hourly[7, t] = dis
            hourly[8, t] = cu
            hourly[9, t] = unmet
            hourly[10, t] = e_min + a
            hourly[11, t] = onsite
            hourly[12, t] = gch
    totals[0] = t_pv * dt_h
    totals[1] = t_wind * dt_h
    totals[2] = t_load * dt_h
    totals[3] = t_green * dt_h
    totals[4] = t_regular * dt_h
    totals[5] = t_export * dt_h
    totals[6] = t_charge * dt_h
    totals[7] = t_dis * dt_h
    totals[8] = t_curt * dt_h
    totals[9] = t_unmet * dt_h
    totals[10] = t_onsite * dt_h
    totals[11] = t_gch * dt_h
    totals[12] = t_cost * dt_h
    totals[13] = t_co2 * dt_h
    totals[14] = t_base * dt_h
    return e_min + a - s_gr, s_gr


@njit(cache=True)
def _soc_path(pv_pu, wind_pu, load, cap_pv, cap_wind, keep, window, stored_per_mw,
              removed_per_mw, up_max, down_max, a, path):
    """The serial part: energy above the floor [MWh], start and after each hour, into ``path``.

    Only the SoC recursion :math:`a_t = \\max(\\min(k a_{t-1} + u_t - d_t, W), 0)`
    (u, d: energy the surplus could store, the deficit could remove, within
    power; W the window) is serial. ``path`` has hours + 1 entries, ``path[0] =
    a`` the start; the end value is returned.
    """
    path[0] = a
    for t in range(load.shape[0]):
        gen = pv_pu[t] * cap_pv + wind_pu[t] * cap_wind
        ld = load[t]
        direct = min(gen, ld)
        up = min((gen - direct) * stored_per_mw, up_max)
        down = min((ld - direct) * removed_per_mw, down_max)
        a_kept = a * keep
        a = max(min(a_kept + (up - down), window), 0.0)
        path[t + 1] = a
    return a


@njit(cache=True)
def _hour(t, pv_pu, wind_pu, load, cap_pv, cap_wind, keep, path, mw_per_room, mw_per_avail,
          import_max, export_max, green_block):
    """Flows of hour t given the SoC path [MW] (clamps keep rounding out of the flows).

    A plain function LLVM inlines, compiled without fast-math: every flow is
    computed exactly the same in :func:`_flow_totals` and :func:`_flow_record`.
    """
    pv = pv_pu[t] * cap_pv
    wind = wind_pu[t] * cap_wind
    ld = load[t]
    gen = pv + wind
    direct = min(gen, ld)
    surplus = gen - direct
    deficit = ld - direct
    moved = path[t + 1] - path[t] * keep  # > 0 stored, < 0 removed [MWh], as in _soc_path
    ch = min(max(moved, 0.0) * mw_per_room, surplus)
    ex = min(surplus - ch, export_max)
    cu = max(surplus - ch - ex, 0.0)
    dis = min(max(-moved, 0.0) * mw_per_avail, deficit)
    rest = max(deficit - dis, 0.0)
    imp = min(rest, import_max)
    unmet = max(rest - imp, 0.0)
    green = min(imp, green_block)
    regular = max(imp - green, 0.0)
    return pv, wind, ld, green, regular, ex, ch, dis, cu, unmet, direct + dis


@njit(cache=True, fastmath={"reassoc"})
def _flow_totals(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, keep, path,
                 mw_per_room, mw_per_avail, import_max, export_max, green_block, dt_h, totals):
    """Totals of the split path.

    No serial dependency is left, so with re-association allowed (``fastmath=
    {"reassoc"}``, which applies to the sums here only, not to the flows of
    :func:`_hour`) the loop vectorises. The summation order is fixed by the
    compiled code, the same for every caller: sweep and single run agree bit
    for bit (tests/test_dispatch.py).
    """
    t_pv = t_wind = t_load = t_green = t_regular = t_export = t_charge = 0.0
    t_dis = t_curt = t_unmet = t_onsite = t_cost = t_co2 = t_base = 0.0
    for t in range(load.shape[0]):
        pv, wind, ld, green, regular, ex, ch, dis, cu, unmet, onsite = _hour(
            t, pv_pu, wind_pu, load, cap_pv, cap_wind, keep, path, mw_per_room, mw_per_avail,
            import_max, export_max, green_block)
        t_pv += pv
        t_wind += wind
        t_load += ld
        t_green += green
        t_regular += regular
        t_export += ex
        t_charge += ch
        t_dis += dis
        t_curt += cu
        t_unmet += unmet
        t_onsite += onsite
        t_cost += (green + regular) * price[t]
        t_co2 += regular * emission[t]
        t_base += ld * emission[t]
    for k, v in enumerate((t_pv, t_wind, t_load, t_green, t_regular, t_export, t_charge, t_dis,
                           t_curt, t_unmet, t_onsite, 0.0)):
        totals[k] = v * dt_h
    totals[12] = t_cost * dt_h
    totals[13] = t_co2 * dt_h
    totals[14] = t_base * dt_h


@njit(cache=True)
def _flow_record(pv_pu, wind_pu, load, cap_pv, cap_wind, keep, path, e_min, mw_per_room,
                 mw_per_avail, import_max, export_max, green_block, hourly):
    """Hourly flows of the split path into ``hourly`` (rows as :data:`HOURLY`)."""
    for t in range(load.shape[0]):
        flows = _hour(t, pv_pu, wind_pu, load, cap_pv, cap_wind, keep, path, mw_per_room,
                      mw_per_avail, import_max, export_max, green_block)
        pv, wind, ld, green, regular, ex, ch, dis, cu, unmet, onsite = flows
        hourly[0, t] = pv
        hourly[1, t] = wind
        hourly[2, t] = ld
        hourly[3, t] = green
        hourly[4, t] = regular
        hourly[5, t] = ex
        hourly[6, t] = ch
        hourly[7, t] = dis
        hourly[8, t] = cu
        hourly[9, t] = unmet
        hourly[10, t] = e_min + path[t + 1]
        hourly[11, t] = onsite
        hourly[12, t] = 0.0


@njit(cache=True)
def _year_split(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power, dt_h,
                eta_c, eta_d, keep, soc_min, soc_max, import_max, export_max, green_block,
                s_start, record, hourly, totals):
    """:func:`year` without grid charging and green budget: the SoC path, then the flows.

    Totals always come from :func:`_flow_totals`, so a recorded run and a
    totals-only run (the sweep) give bit-identical totals.
    """
    e_min = soc_min * energy
    window = (soc_max - soc_min) * energy
    stored_per_mw = eta_c * dt_h
    removed_per_mw = dt_h / eta_d
    a0 = max(s_start - e_min, 0.0)
    path = np.empty(load.shape[0] + 1)
    a = _soc_path(pv_pu, wind_pu, load, cap_pv, cap_wind, keep, window, stored_per_mw,
                  removed_per_mw, power * stored_per_mw, power * removed_per_mw, a0, path)
    mw_per_room, mw_per_avail = 1.0 / stored_per_mw, eta_d / dt_h
    _flow_totals(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, keep, path,
                 mw_per_room, mw_per_avail, import_max, export_max, green_block, dt_h, totals)
    if record:
        _flow_record(pv_pu, wind_pu, load, cap_pv, cap_wind, keep, path, e_min, mw_per_room,
                     mw_per_avail, import_max, export_max, green_block, hourly)
    return e_min + a, 0.0


@njit(cache=True)
def solve(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power,
          dt_h, eta_c, eta_d, keep, soc_min, soc_max, soc_initial, cyclic, grid_charging,
          import_max, export_max, green_block, green_budget, grid_charge_block,
          tol_mwh, max_iter, totals):
    """Start state of the run (cyclic: the fixed point, see the module notes) and its totals.

    Parameters are those of :func:`year`, plus ``soc_initial`` [fraction of
    energy] (start of a non-cyclic run and first guess of a cyclic one),
    ``cyclic`` (bool), ``tol_mwh`` [MWh] (converged when |end - start| <= it)
    and ``max_iter`` (most runs; the last run is kept if not converged).
    ``totals`` receives the totals of the returned start state's run.

    Returns
    -------
    (s_on, s_gr, iterations, gap_mwh) : tuple
        Start energy by origin [MWh], runs made, and end minus start SoC [MWh].
    """
    empty = np.empty((len(HOURLY), 0))
    e_min = soc_min * energy
    e_max = soc_max * energy
    s = min(max(soc_initial * energy, e_min), e_max)
    f_on = 1.0
    lo = e_min
    hi = e_max
    s_prev = 0.0
    g_prev = 0.0
    have_prev = False
    lo_seen = False
    hi_seen = False
    it = 0
    g = 0.0
    while True:
        it += 1
        s_on0 = s * f_on
        s_gr0 = s - s_on0
        end_on, end_gr = year(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy,
                              power, dt_h, eta_c, eta_d, keep, soc_min, soc_max, grid_charging,
                              import_max, export_max, green_block, green_budget,
                              grid_charge_block, s_on0, s_gr0, False, empty, totals)
        end = end_on + end_gr
        g = end - s
        if not cyclic or abs(g) <= tol_mwh or it >= max_iter:
            return s_on0, s_gr0, it, g
        if g > 0.0:
            lo = s
            lo_seen = True
        else:
            hi = s
            hi_seen = True
        nxt = end  # fixed-point step, always inside [lo, hi]
        if have_prev and g != g_prev:
            sec = s - g * (s - s_prev) / (g - g_prev)
            # a secant beyond a window bound not yet evaluated goes to that bound (the root
            # may sit exactly there, e.g. an empty battery); beyond an evaluated one it is useless
            if sec <= lo:
                sec = lo if not lo_seen else nxt
            elif sec >= hi:
                sec = hi if not hi_seen else nxt
            nxt = sec
        s_prev = s
        g_prev = g
        have_prev = True
        f_on = end_on / end if end > 0.0 else 1.0
        s = nxt


@njit(cache=True)
def run_hourly(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power,
               dt_h, eta_c, eta_d, keep, soc_min, soc_max, soc_initial, cyclic, grid_charging,
               import_max, export_max, green_block, green_budget, grid_charge_block,
               tol_mwh, max_iter):
    """Solve the start state, then record the hourly flows of that run.

    Same parameters as :func:`solve`. Returns ``(hourly, totals, s_start_mwh,
    iterations, gap_mwh)``; ``hourly`` is (len(HOURLY), hours), ``totals`` as in
    :func:`year` (bit-identical to the totals of :func:`sweep_scenarios`, which
    runs the same arithmetic).
    """
    totals = np.zeros(N_TOTALS)
    s_on, s_gr, it, gap = solve(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy,
                                power, dt_h, eta_c, eta_d, keep, soc_min, soc_max, soc_initial,
                                cyclic, grid_charging, import_max, export_max, green_block,
                                green_budget, grid_charge_block, tol_mwh, max_iter, totals)
    hourly = np.empty((len(HOURLY), load.shape[0]))
    year(pv_pu, wind_pu, load, price, emission, cap_pv, cap_wind, energy, power, dt_h, eta_c,
         eta_d, keep, soc_min, soc_max, grid_charging, import_max, export_max, green_block,
         green_budget, grid_charge_block, s_on, s_gr, True, hourly, totals)
    return hourly, totals, s_on + s_gr, it, gap


@njit(cache=True, parallel=True)
def sweep_scenarios(pv_pu, wind_pu, load, price, emission, caps, dt_h, eta_c, eta_d, keep,
                    soc_min, soc_max, soc_initial, cyclic, grid_charging, import_max,
                    export_max, green_block, green_budget, grid_charge_block, tol_rel,
                    max_iter, out_totals, out_iter):
    """Totals of many scenarios x weather years, in parallel over both (``prange``).

    Parameters
    ----------
    pv_pu, wind_pu, load, price, emission : float64[:, :]
        Profiles as (years, hours) [MW/MW, MW/MW, MW, money/MWh, t/MWh], shared
        by all scenarios.
    caps : float64[:, :]
        (scenarios, 4): PV [MWp], wind [MW], battery energy [MWh], battery power [MW].
    tol_rel : float
        Cyclic tolerance relative to usable energy [-].
    out_totals : float64[:, :, :]
        Output (scenarios, years, len(TOTALS)).
    out_iter : int64[:, :]
        Output (scenarios, years): runs made by the cyclic solve.

    Other parameters are those of :func:`solve`. No hourly flows are kept.
    """
    n_scen = caps.shape[0]
    n_years = load.shape[0]
    for k in prange(n_scen * n_years):
        i = k // n_years
        y = k - i * n_years
        energy = caps[i, 2]
        _, _, it, _ = solve(pv_pu[y], wind_pu[y], load[y], price[y], emission[y], caps[i, 0],
                            caps[i, 1], energy, caps[i, 3], dt_h, eta_c, eta_d, keep, soc_min,
                            soc_max, soc_initial, cyclic, grid_charging, import_max, export_max,
                            green_block, green_budget, grid_charge_block, tol_rel * energy,
                            max_iter, out_totals[i, y])
        out_iter[i, y] = it
