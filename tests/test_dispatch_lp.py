"""Optimality cross-check of the greedy dispatch against a perfect-foresight LP (Pyomo + HiGHS).

With a flat import price, no export value and no grid charging, serving load
first, storing every surplus the battery can take and discharging at every
deficit minimises the energy bought plus the energy left unserved. The LP below
writes the same park (same battery dynamics, limits, start or cyclic SoC) and
minimises exactly that; both must agree to 1e-6 relative, on seeded random
short instances, on a full 8760-h synthetic year and on the full real Ordos
(Dongsheng CSWD) typical year through energysim's PV and wind models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from energysim.dispatch import DispatchParams, dispatch_arrays

REL = 1e-6


def lp_min_grid_energy(pv, wind, load, p: DispatchParams) -> float:
    r"""Least imports + unmet energy [MWh] over the run, by LP.

    Variables per hour (MW; ``s`` MWh): charge c, discharge d, imports i,
    unmet u, export x, curtail k, SoC s.

    .. math::
        G_t + i_t + d_t + u_t = L_t + c_t + x_t + k_t,\quad
        s_t = (1 - \sigma\Delta t) s_{t-1} + \sigma\Delta t\,\underline{s}E
              + \eta_c c_t \Delta t - d_t \Delta t / \eta_d

    with :math:`s_{-1}` the start SoC or :math:`s_{T-1}` (cyclic), window and
    power bounds on s, c, d, and import/export limits on i, x.
    """
    n = len(load)
    gen = (np.asarray(pv) + np.asarray(wind)).tolist()
    ld = np.asarray(load, dtype=float).tolist()
    dt = p.dt_h
    e, pw = p.battery_mwh, p.battery_mw
    keep = 1.0 - p.self_discharge_per_h * dt
    m = pyo.ConcreteModel()
    m.T = pyo.RangeSet(0, n - 1)
    m.c = pyo.Var(m.T, bounds=(0.0, pw))
    m.d = pyo.Var(m.T, bounds=(0.0, pw))
    m.i = pyo.Var(m.T, bounds=(0.0, min(p.import_max_mw, 1e12)))
    m.u = pyo.Var(m.T, bounds=(0.0, None))
    m.x = pyo.Var(m.T, bounds=(0.0, min(p.export_max_mw, 1e12)))
    m.k = pyo.Var(m.T, bounds=(0.0, None))
    m.s = pyo.Var(m.T, bounds=(p.soc_min * e, p.soc_max * e))
    m.balance = pyo.Constraint(
        m.T, rule=lambda m, t: (gen[t] + m.i[t] + m.d[t] + m.u[t]
                                == ld[t] + m.c[t] + m.x[t] + m.k[t]))
    start = m.s[n - 1] if p.cyclic else p.soc_initial * e
    m.soc = pyo.Constraint(
        m.T, rule=lambda m, t: m.s[t] == keep * (m.s[t - 1] if t > 0 else start)
        + (1.0 - keep) * p.soc_min * e  # the leak acts above the floor
        + p.eta_charge * dt * m.c[t] - dt / p.eta_discharge * m.d[t])
    m.obj = pyo.Objective(expr=dt * (pyo.quicksum(m.i.values()) + pyo.quicksum(m.u.values())))
    res = Highs().solve(m, load_solutions=False, raise_exception_on_nonoptimal_result=False)
    assert res.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
    return float(res.incumbent_objective)


def greedy_grid_energy(pv, wind, load, p: DispatchParams) -> float:
    r = dispatch_arrays(pv, wind, load, p)
    return float((r["import_green"] + r["import_regular"] + r["unmet"]).sum() * p.dt_h)


def _random_instance(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(100, 400))
    hour = np.arange(n) % 24
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    pv = sun * rng.uniform(0.1, 1.0, n) * rng.uniform(0, 300)
    wind = np.clip(rng.weibull(2.0, n) * rng.uniform(0, 60), 0, 80)
    load = rng.uniform(30, 100, n)
    cyclic = bool(rng.integers(0, 2))
    sd = float(rng.choice([0.0, 1e-4, 1e-2]))
    soc_min = float(rng.uniform(0, 0.3))
    soc_max = float(rng.uniform(soc_min + 0.2, 1.0))
    energy = float(rng.choice([0.0, 50.0, 400.0, 2000.0]))
    p = DispatchParams(
        battery_mwh=energy,
        battery_mw=0.0 if energy == 0 else float(rng.uniform(5, 150)),
        eta_charge=float(rng.uniform(0.8, 1.0)),
        eta_discharge=float(rng.uniform(0.8, 1.0)),
        self_discharge_per_h=sd,
        soc_min=soc_min,
        soc_max=soc_max,
        soc_initial=float(rng.uniform(soc_min, soc_max)),
        cyclic=cyclic,
        import_max_mw=float(rng.choice([np.inf, 60.0])),
        export_max_mw=float(rng.choice([0.0, 20.0])),
        green_volume_mwh=float(rng.choice([np.inf, 1e5])),
    )
    return pv, wind, load, p


@pytest.mark.parametrize("seed", range(12))
def test_greedy_minimises_grid_energy_on_random_instances(seed):
    pv, wind, load, p = _random_instance(seed)
    greedy = greedy_grid_energy(pv, wind, load, p)
    lp = lp_min_grid_energy(pv, wind, load, p)
    assert greedy == pytest.approx(lp, rel=REL, abs=1e-6)


def ordos_like_year(seed: int = 2025):
    """Clear-sky PV (pvlib, 39.6 N 109.8 E, 1300 m) with random clouds.

    Wind: Weibull speeds on a power curve.
    """
    rng = np.random.default_rng(seed)
    times = pd.date_range("2025-01-01", periods=8760, freq="h", tz="Etc/GMT-8")
    site = pvlib.location.Location(39.6, 109.8, tz="Etc/GMT-8", altitude=1300)
    ghi = site.get_clearsky(times, model="ineichen")["ghi"].to_numpy()
    daily_cloud = np.repeat(rng.beta(4.0, 1.5, 365), 24)  # clear-sky index of each day
    hourly_cloud = np.clip(daily_cloud * rng.normal(1.0, 0.1, 8760), 0.05, 1.0)
    pv_pu = np.minimum(ghi / 1000.0 * hourly_cloud * 0.95, 0.85)
    # AR(1)-correlated Weibull speeds at hub height: k = 2, scale 8 m/s
    z = np.empty(8760)
    z[0] = rng.normal()
    eps = rng.normal(size=8760)
    for t in range(1, 8760):
        z[t] = 0.95 * z[t - 1] + np.sqrt(1 - 0.95**2) * eps[t]
    u = pd.Series(z).rank(pct=True).to_numpy() * 0.9999
    speed = 8.0 * (-np.log1p(-u)) ** (1 / 2.0)
    curve_speed = np.array([0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 25, 25.01, 40])
    curve_pu = np.array([0, 0, 0.03, 0.08, 0.15, 0.25, 0.38, 0.53, 0.69, 0.84, 1.0, 1.0, 0, 0])
    wind_pu = np.interp(speed, curve_speed, curve_pu)
    load = 1140.0 * (1 + 0.03 * rng.normal(size=8760))  # 10 TWh/yr, continuous industry
    return pv_pu, wind_pu, load


@pytest.mark.parametrize("cyclic", [True, False])
def test_greedy_minimises_grid_energy_on_full_year(cyclic):
    pv_pu, wind_pu, load = ordos_like_year()
    p = DispatchParams(battery_mwh=4000.0, battery_mw=1000.0, eta_charge=0.88**0.5,
                       eta_discharge=0.88**0.5, self_discharge_per_h=1e-5, cyclic=cyclic,
                       soc_initial=0.5, import_max_mw=1e9)
    pv, wind = pv_pu * 2500.0, wind_pu * 2000.0
    greedy = greedy_grid_energy(pv, wind, load, p)
    lp = lp_min_grid_energy(pv, wind, load, p)
    assert greedy == pytest.approx(lp, rel=REL)
    # the year is a real test: storage moves a lot of energy and imports are substantial
    r = dispatch_arrays(pv, wind, load, p)
    assert r["discharge"].sum() > 100 * 4000 * 0.5
    assert 0.1 < greedy / load.sum() < 0.6


def test_greedy_minimises_grid_energy_on_real_ordos_year(shared_ordos, repo):
    """The Ordos park's configured models on the real Dongsheng CSWD typical year (8760 h)."""
    import tomllib

    from energysim.config import park_from_dict
    from energysim.profiles import build_profiles

    with open(repo / "configs" / "ordos.toml", "rb") as f:
        data = tomllib.load(f)
    epw = shared_ordos / "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw"
    data["weather"] = {"path": str(epw), "format": "epw"}
    park = park_from_dict(data, source="configs/ordos.toml", base_dir=repo / "configs")
    pr = build_profiles(park)
    assert pr.sizes["time"] == 8760
    pv = pr["pv_pu"].values * 3000.0  # MWp: a kit of the Ordos park's order (~1.14 GW mean load)
    wind = pr["wind_pu"].values * 2000.0
    load = pr["load"].values
    p = DispatchParams(battery_mwh=4000.0, battery_mw=1000.0, eta_charge=0.88**0.5,
                       eta_discharge=0.88**0.5, self_discharge_per_h=1e-5, soc_min=0.05,
                       soc_max=0.95, cyclic=True, import_max_mw=1e9)
    greedy = greedy_grid_energy(pv, wind, load, p)
    lp = lp_min_grid_energy(pv, wind, load, p)
    assert greedy == pytest.approx(lp, rel=REL)
    assert 0.05 < greedy / load.sum() < 0.7  # a real test: imports neither nil nor everything


def test_greedy_minimises_grid_energy_on_configured_ordos_year(ordos_park, ordos_profiles):
    """configs/ordos.toml's own year and kit (weather/ordos typical year, in the repository)."""
    from energysim.dispatch import dispatch_params

    caps = ordos_park.capacities()
    p = dispatch_params(ordos_park.battery, ordos_park.grid, caps)
    p = p._replace(export_max_mw=0.0, grid_charging=False, green_volume_mwh=np.inf)
    pv = ordos_profiles["pv_pu"].values * caps.pv_mw
    wind = ordos_profiles["wind_pu"].values * caps.wind_mw
    load = ordos_profiles["load"].values
    greedy = greedy_grid_energy(pv, wind, load, p)
    lp = lp_min_grid_energy(pv, wind, load, p)
    assert greedy == pytest.approx(lp, rel=REL)
    assert 0.05 < greedy / load.sum() < 0.7
