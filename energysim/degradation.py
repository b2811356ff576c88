"""Ageing of the park's assets over its life: battery fade, PV and wind decline.

One physical relation per function, arrays or scalars in and out; the battery
functions are compiled with Numba because the lifetime kernel
(:mod:`energysim.dispatch.life`) calls them once per simulated year:

1. :func:`compound_decline` — output of PV (or wind) after ``age`` years of a
   constant annual degradation rate;
2. :func:`calendar_fade` — battery capacity lost with time alone;
3. :func:`reversals` and :func:`rainflow_cycles` — ASTM E1049 rainflow counting
   of a state-of-charge path (the 3-point algorithm of the ``rainflow``
   package [5]_, which tests/test_degradation.py checks against);
4. :func:`cycles_to_failure` — Woehler-type cycle life at a depth of discharge;
5. :func:`cycle_damage` — Palmgren-Miner damage of the counted cycles, and
   :func:`variation_damage`, the same for k = 1 without counting;
6. :func:`throughput_damage` — the simple option: equivalent full cycles over
   the cycle life;
7. :func:`cycle_fade` — capacity lost for a damage;
8. :func:`next_state_of_health` — calendar and cycle fade of one year applied.

Battery state of health (SoH) is usable energy over nameplate usable energy.
Cycle and calendar fade add (Xu et al. [3]_ combine them the same way); the
cycle life is rated to ``end_soh`` (FACTS.md: ~6 000 cycles at 100 % depth of
discharge to 70-80 % for 280 Ah LFP cells at 25 degC), and fade is linear in
damage between 1 and ``end_soh`` — SAM's cycle-life table with a linear table
does the same [4]_. Temperature, C-rate and SoC-level effects are not modelled.

References
----------
.. [1] D. C. Jordan, S. R. Kurtz, "Photovoltaic Degradation Rates — an
   Analytical Review", Progress in Photovoltaics 21(1), 12-29, 2013 (median
   0.5 %/yr).
.. [2] I. Staffell, R. Green, "How does wind farm performance decline with
   age?", Renewable Energy 66, 775-786, 2014 (1.6 %/yr load-factor decline).
.. [3] B. Xu, A. Oudalov, A. Ulbig, G. Andersson, D. S. Kirschen, "Modeling of
   Lithium-Ion Battery Degradation for Cell Life Assessment", IEEE Trans.
   Smart Grid 9(2), 1131-1140, 2018 (rainflow counting, DoD stress, Miner).
.. [4] NREL System Advisor Model, battery lifetime model (ssc
   lib_battery_lifetime_cycle: rainflow counting, capacity from a table of
   depth of discharge and cycles).
.. [5] ASTM E1049-85 (2017), "Standard Practices for Cycle Counting in Fatigue
   Analysis", section 5.4.4; ``rainflow`` package (PyPI, I. Zamojski).
.. [6] J. Wang et al., "Cycle-life model for graphite-LiFePO4 cells", Journal
   of Power Sources 196(8), 3942-3948, 2011 (capacity loss driven by Ah
   throughput, little depth-of-discharge effect).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "compound_decline",
    "calendar_fade",
    "reversals",
    "rainflow_cycles",
    "cycles_to_failure",
    "cycle_damage",
    "variation_damage",
    "throughput_damage",
    "cycle_fade",
    "next_state_of_health",
]

_jit = njit(cache=True, nogil=True)


def compound_decline(rate_pct_yr, age_yr):
    r"""Output factor of a plant after ``age_yr`` years of constant annual decline [-].

    .. math:: f = (1 - d / 100)^{a}

    Parameters
    ----------
    rate_pct_yr : float or array
        Annual decline d [%/yr]: PV about 0.5 (median of ~2 000 field
        measurements, Jordan and Kurtz [1]_), wind 1.6 (UK fleet, Staffell and
        Green [2]_).
    age_yr : float or array
        Age a [yr]: 0 in the first year of operation.

    Returns
    -------
    float or array
        Output relative to the new plant [-].
    """
    return (1.0 - np.asarray(rate_pct_yr, dtype=float) / 100.0) ** np.asarray(age_yr, dtype=float)


@_jit
def calendar_fade(rate_pct_yr, years):
    """Battery capacity lost with time alone [fraction of nameplate], linear in time.

    Parameters
    ----------
    rate_pct_yr : float
        Calendar fade [%/yr]. No sourced figure for grid LFP was found
        (FACTS.md); the config default is an assumption (see
        :class:`energysim.config.BatteryConfig`).
    years : float
        Time [yr].
    """
    return rate_pct_yr / 100.0 * years


@_jit
def reversals(series, out):
    """Turning points of ``series`` into ``out``; returns how many.

    The first and last points count as reversals; a point is a reversal when
    the slope changes sign, plateaus skipped (the ``rainflow`` package's rule
    [5]_). ``out`` needs ``len(series)`` entries. Written without branches in
    the loop (a SoC path turns every few hours: mispredicted branches would
    cost more than the arithmetic).
    """
    n = series.shape[0]
    if n < 2:
        return 0
    x = series[1]
    d_last = x - series[0]
    out[0] = series[0]
    k = 1
    for i in range(2, n):
        x_next = series[i]
        d_next = x_next - x
        moved = x_next != x
        out[k] = x  # kept only if it is a reversal: k advances
        k += moved and d_last * d_next < 0.0
        x = x_next if moved else x
        d_last = d_next if moved else d_last
    out[k] = series[n - 1]
    return k + 1


@_jit
def rainflow_cycles(series):
    """Rainflow cycles of ``series``: ranges and counts (1 full, 0.5 half cycle).

    ASTM E1049 three-point counting [5]_ on the reversals: with X the latest
    range and Y the one before, X >= Y closes Y — a half cycle if Y holds the
    first point (which is then dropped), else a full cycle (its two points
    dropped); the residue counts as half cycles.

    Returns
    -------
    ranges, counts : float64[:]
        In the order counted (that of ``rainflow.extract_cycles``).

    Examples
    --------
    ASTM E1049 fig. 6, ``[-2, 1, -3, 5, -1, 3, -4, 4, -2]``: ranges 3 (0.5),
    4 (0.5), 4 (1), 8 (0.5), 9 (0.5), 8 (0.5), 6 (0.5).
    """
    points = np.empty(max(series.shape[0], 2))
    m = reversals(series, points)
    ranges = np.empty(max(m, 1))
    counts = np.empty(max(m, 1))
    c = 0
    lo = 0  # stack = points[lo:hi] (a deque: the front moves on half cycles)
    hi = 0
    for r in range(m):
        points[hi] = points[r]
        hi += 1
        while hi - lo >= 3:
            x_range = abs(points[hi - 1] - points[hi - 2])
            y_range = abs(points[hi - 2] - points[hi - 3])
            if x_range < y_range:
                break
            ranges[c] = y_range
            if hi - lo == 3:  # Y holds the starting point: half cycle, drop the start
                counts[c] = 0.5
                lo += 1
            else:  # full cycle: drop the peak and the valley of Y
                counts[c] = 1.0
                points[hi - 3] = points[hi - 1]
                hi -= 2
            c += 1
    for j in range(lo, hi - 1):  # residue: half cycles
        ranges[c] = abs(points[j] - points[j + 1])
        counts[c] = 0.5
        c += 1
    return ranges[:c], counts[:c]


@_jit
def cycles_to_failure(dod, cycle_life, dod_exponent):
    r"""Cycles to end of life at depth of discharge ``dod`` (Woehler curve) [cycles].

    .. math:: N(\delta) = N_{100}\,\delta^{-k}

    Parameters
    ----------
    dod : float
        Depth of discharge δ [fraction of usable energy], in (0, 1].
    cycle_life : float
        N_100: cycles at 100 % depth to the rated end of life [cycles];
        FACTS.md ~6 000 for LFP.
    dod_exponent : float
        k [-]; 1 makes every depth deliver the same energy over life (LFP
        fade follows Ah throughput, Wang et al. [6]_), larger values favour
        shallow cycles.
    """
    return cycle_life * dod ** -dod_exponent


@_jit
def cycle_damage(path, capacity, cycle_life, dod_exponent):
    r"""Palmgren-Miner damage of the rainflow cycles of a stored-energy path [-].

    .. math:: D = \sum_i \frac{n_i}{N(\delta_i)}
              = \frac{\sum_i n_i\, r_i^k}{N_{100}\, E^k}, \quad \delta_i = r_i / E

    Parameters
    ----------
    path : float64[:]
        Stored energy, hour by hour [MWh].
    capacity : float
        Usable energy E the depths refer to [MWh]; 0 gives no damage.
    cycle_life, dod_exponent : float
        As in :func:`cycles_to_failure`.
    """
    if capacity <= 0.0:
        return 0.0
    ranges, counts = rainflow_cycles(path)
    stress = 0.0  # sum of n_i r_i^k: one power per cycle only when k != 1
    if dod_exponent == 1.0:
        for i in range(ranges.shape[0]):
            stress += counts[i] * ranges[i]
    else:
        for i in range(ranges.shape[0]):
            stress += counts[i] * ranges[i] ** dod_exponent
    return stress / cycles_to_failure(1.0, cycle_life, dod_exponent) / capacity ** dod_exponent


@njit(cache=True, nogil=True, fastmath={"reassoc"})  # a plain sum: vectorised
def variation_damage(path, capacity, cycle_life):
    r"""Miner damage of the rainflow cycles of ``path`` when k = 1, from its total variation [-].

    .. math:: D = \frac{\sum_i n_i r_i}{N_{100} E} = \frac{\sum_t |s_{t+1} - s_t|}{2 N_{100} E}

    Every counted half cycle of range r removes r from the variation of the
    reversals left to count (a full cycle, two half cycles, removes 2r; the
    residue's half cycles take the rest), and between reversals the path is
    monotone: so :math:`2 \sum_i n_i r_i` is the path's total variation. Equal
    to :func:`cycle_damage` with k = 1 up to rounding, in one branch-free pass
    (counting costs ~15 us per simulated year in mispredicted branches).

    Parameters are those of :func:`cycle_damage`.
    """
    if capacity <= 0.0:
        return 0.0
    variation = 0.0
    for t in range(path.shape[0] - 1):
        variation += abs(path[t + 1] - path[t])
    return variation / 2.0 / cycle_life / capacity


@_jit
def throughput_damage(throughput_mwh, capacity, cycle_life):
    r"""Damage of an energy throughput counted as equivalent full cycles [-].

    .. math:: D = \frac{Q / E}{N_{100}}

    Parameters
    ----------
    throughput_mwh : float
        Energy taken out of storage Q [MWh].
    capacity : float
        Usable energy E [MWh]; 0 gives no damage.
    cycle_life : float
        N_100 [cycles].
    """
    if capacity <= 0.0:
        return 0.0
    return throughput_mwh / capacity / cycle_life


@_jit
def cycle_fade(damage, end_soh):
    """Capacity lost for a damage [fraction of nameplate]: linear, ``1 - end_soh`` at D = 1.

    Parameters
    ----------
    damage : float
        Miner damage D [-] (1 = the rated cycle life used up).
    end_soh : float
        State of health at the end of the rated cycle life [-], e.g. 0.8.
    """
    return (1.0 - end_soh) * damage


@_jit
def next_state_of_health(soh, cycle_loss, calendar_loss):
    """State of health after a period's cycle and calendar fade [-], never below 0.

    Parameters
    ----------
    soh : float
        State of health at the start [-].
    cycle_loss, calendar_loss : float
        Fade of the period [fraction of nameplate] (:func:`cycle_fade`,
        :func:`calendar_fade`).
    """
    return max(soh - cycle_loss - calendar_loss, 0.0)
