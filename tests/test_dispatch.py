"""Dispatch core: hourly balance, SoC window, non-negative flows (hypothesis), hand-checked
rules, green labelling, grid-charging origin tracking, cyclic solve, sweep bit-identity,
the kernel's records and tables.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energysim.config import BatteryConfig, Capacities, GridConfig
from energysim.dispatch import (
    TOTAL_KEYS,
    DispatchParams,
    dispatch,
    dispatch_arrays,
    dispatch_params,
    kernel,
    kernel_rules,
    sweep,
    sweep_years,
)
from energysim.errors import ConfigError, ProfileError

IN = ("pv", "wind", "import_green", "import_regular", "discharge", "unmet")
OUT = ("load", "charge", "export", "curtail")
NONNEG = IN + OUT + ("soc", "onsite_served", "charge_grid")


def check_invariants(r: dict, p: DispatchParams) -> None:
    """Balance to 1e-9 relative, flows >= 0, SoC in window, labelled parts add up."""
    supply = sum(r[k] for k in IN)
    demand = sum(r[k] for k in OUT)
    scale = np.maximum(np.maximum(supply, demand), 1.0)
    assert np.all(np.abs(supply - demand) <= 1e-9 * scale)
    for k in NONNEG:
        assert np.all(r[k] >= 0.0), k
    e = p.battery_mwh
    tol = 1e-9 * max(e, 1.0)
    soc = r["soc"]
    assert np.all(soc <= p.soc_max * e + tol)
    # the floor binds dispatch and the leak acts above it only: the state never falls below
    assert np.all(soc >= p.soc_min * e - tol)
    assert np.all(r["charge"] <= p.battery_mw * (1 + 1e-12) + 1e-12)
    assert np.all(r["discharge"] <= p.battery_mw * (1 + 1e-12) + 1e-12)
    assert np.all(r["import_green"] + r["import_regular"] <= p.import_max_mw * (1 + 1e-12) + 1e-9)
    assert np.all(r["export"] <= p.export_max_mw * (1 + 1e-12) + 1e-12)
    assert np.all(r["onsite_served"] <= r["load"] * (1 + 1e-12) + 1e-9)
    assert np.all(r["charge_grid"] <= r["charge"] + 1e-9)


def soc_path_closes(r: dict, p: DispatchParams) -> None:
    """SoC follows s_t = k s_{t-1} + (1 - k) s_min E + eta_c c_t dt - d_t dt / eta_d."""
    keep = 1.0 - p.self_discharge_per_h * p.dt_h
    prev = np.concatenate([[r["soc_start_mwh"]], r["soc"][:-1]])
    floor = (1.0 - keep) * p.soc_min * p.battery_mwh  # the leak acts above the floor
    expected = (keep * prev + floor + p.eta_charge * r["charge"] * p.dt_h
                - r["discharge"] * p.dt_h / p.eta_discharge)
    assert np.allclose(r["soc"], np.maximum(expected, 0.0), rtol=1e-9,
                       atol=1e-9 * max(p.battery_mwh, 1))


# ---------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------

_kind = st.sampled_from(["random", "zero", "all_surplus", "all_deficit"])


@st.composite
def instances(draw):
    n = draw(st.integers(1, 96))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(_kind)
    rng = np.random.default_rng(seed)
    load = rng.uniform(0, 100, n) * draw(st.sampled_from([0.0, 1.0]))
    pv = rng.uniform(0, 150, n) * (rng.random(n) < 0.6)
    wind = rng.uniform(0, 80, n)
    if kind == "zero":
        pv[:] = wind[:] = 0.0
    elif kind == "all_surplus":
        pv = load + rng.uniform(0, 50, n)
        wind[:] = 0.0
    elif kind == "all_deficit":
        pv = load * rng.uniform(0, 0.9, n)
        wind[:] = 0.0
    soc_min = draw(st.floats(0.0, 0.4))
    soc_max = draw(st.floats(soc_min + 0.05, 1.0))
    energy = draw(st.sampled_from([0.0, 1.0, 50.0, 400.0]))
    volume = draw(st.sampled_from([math.inf, 0.0, 1e3, 1e5, 1e6]))
    params = DispatchParams(
        battery_mwh=energy,
        battery_mw=0.0 if energy == 0 else draw(st.floats(0.1, 200.0)),
        eta_charge=draw(st.floats(0.5, 1.0)),
        eta_discharge=draw(st.floats(0.5, 1.0)),
        self_discharge_per_h=draw(st.sampled_from([0.0, 1e-5, 1e-3, 0.05])),
        soc_min=soc_min,
        soc_max=soc_max,
        soc_initial=draw(st.floats(soc_min, soc_max)),
        cyclic=draw(st.booleans()),
        grid_charging=draw(st.booleans()),
        import_max_mw=draw(st.sampled_from([math.inf, 0.0, 30.0, 1e9])),
        export_max_mw=draw(st.sampled_from([0.0, 10.0, math.inf])),
        green_volume_mwh=volume,
        green_matching=draw(st.sampled_from(["annual", "hourly"])),
        dt_h=draw(st.sampled_from([1.0, 0.5])),
    )
    return pv, wind, load, params


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_invariants_hold_on_random_instances(inst):
    pv, wind, load, p = inst
    r = dispatch_arrays(pv, wind, load, p)
    check_invariants(r, p)
    soc_path_closes(r, p)
    # totals are the hourly sums (per year)
    scale = 8760 / (len(load) * p.dt_h)
    for key in ("import_green_mwh", "curtail_mwh", "onsite_served_mwh", "unmet_mwh"):
        assert r["totals"][key] == pytest.approx(r[key[:-4]].sum() * p.dt_h * scale,
                                                 rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_sweep_bit_identical_to_single_scenario(inst):
    pv, wind, load, p = inst
    rng = np.random.default_rng(len(load))
    caps = np.column_stack([rng.uniform(0, 3, 5), rng.uniform(0, 3, 5),
                            rng.choice([0.0, 10.0, 300.0], 5), rng.uniform(0.5, 100, 5)])
    caps[caps[:, 2] == 0, 3] = 0.0
    price = rng.uniform(100, 600, len(load))
    emis = rng.uniform(0.3, 0.9, len(load))
    pv_pu, wind_pu = pv / 150.0, wind / 80.0
    s = sweep(pv_pu, wind_pu, load, caps, p, price=price, emission=emis)
    for i, (cp, cw, e, pw) in enumerate(caps):
        single = dispatch_arrays(pv_pu * cp, wind_pu * cw, load,
                                 p._replace(battery_mwh=e, battery_mw=pw), price=price,
                                 emission=emis)
        for key in TOTAL_KEYS:
            assert s[key][i] == single["totals"][key], key  # bit-identical, not approx
        assert s["cyclic_iterations"][i] == single["cyclic_iterations"]


# ---------------------------------------------------------------------------
# hand-checked rules
# ---------------------------------------------------------------------------


def test_hand_computed_day():
    """Two hours of surplus then two of deficit, battery 10 MWh / 5 MW, eta 0.9 each way."""
    p = DispatchParams(battery_mwh=10, battery_mw=5, eta_charge=0.9, eta_discharge=0.9,
                       soc_initial=0.0, cyclic=False, export_max_mw=2.0, import_max_mw=4.0,
                       green_volume_mwh=8760 * 1.0 / 4 * 4, green_matching="annual")
    # 4 hours -> green budget = volume * 4 / 8760 = 4 MWh
    pv = np.array([20.0, 12.0, 0.0, 0.0])
    load = np.array([10.0, 10.0, 10.0, 10.0])
    r = dispatch_arrays(pv, np.zeros(4), load, p)
    # h0: surplus 10 -> charge 5 (power), export 2, curtail 3; soc 4.5
    # h1: surplus 2 -> charge 2; soc 6.3
    # h2: deficit 10 -> discharge 5 (power, uses 5.556 MWh), import 4 (limit), unmet 1
    # h3: battery holds 0.7444 MWh -> discharge 0.67; import 4 (limit), unmet 5.33
    np.testing.assert_allclose(r["charge"], [5, 2, 0, 0])
    np.testing.assert_allclose(r["export"], [2, 0, 0, 0])
    np.testing.assert_allclose(r["curtail"], [3, 0, 0, 0])
    np.testing.assert_allclose(r["soc"], [4.5, 6.3, 6.3 - 5 / 0.9, 0.0], atol=1e-12)
    np.testing.assert_allclose(r["discharge"], [0, 0, 5, (6.3 - 5 / 0.9) * 0.9])
    np.testing.assert_allclose(r["import_green"] + r["import_regular"], [0, 0, 4, 4])
    # green budget 4 MWh consumed chronologically: all in h2, none left for h3
    np.testing.assert_allclose(r["import_green"], [0, 0, 4, 0])
    np.testing.assert_allclose(r["unmet"], [0, 0, 1, 10 - 4 - (6.3 - 5 / 0.9) * 0.9])
    np.testing.assert_allclose(r["onsite_served"], [10, 10, 5, (6.3 - 5 / 0.9) * 0.9])


@pytest.mark.parametrize(("volume", "matching", "expected_green"), [
    (math.inf, "annual", [6, 6, 6]),  # "remainder": every import green
    (8760 * 3.0 / 3 * 2, "annual", [6, 0, 0]),  # budget 6 MWh over 3 h, consumed first
    (8760 * 2.0, "hourly", [2, 2, 2]),  # flat block of 2 MW per hour
])
def test_green_labelling(volume, matching, expected_green):
    p = DispatchParams(green_volume_mwh=volume, green_matching=matching, cyclic=False)
    r = dispatch_arrays(np.zeros(3), np.zeros(3), np.full(3, 6.0), p)
    np.testing.assert_allclose(r["import_green"], expected_green)
    np.testing.assert_allclose(r["import_regular"], 6.0 - np.asarray(expected_green))


def test_grid_charging_stores_unused_hourly_block_and_keeps_origin():
    """Hourly block 4 MW; h0 load 1 (3 MW unused -> battery), h1 all surplus, h2 deficit."""
    p = DispatchParams(battery_mwh=100, battery_mw=50, soc_initial=0.0, cyclic=False,
                       grid_charging=True, green_volume_mwh=4.0 * 8760, green_matching="hourly")
    pv = np.array([0.0, 13.0, 0.0])
    load = np.array([1.0, 10.0, 20.0])
    r = dispatch_arrays(pv, np.zeros(3), load, p)
    np.testing.assert_allclose(r["charge_grid"], [3, 4, 0])  # h1: block unused, 3 MW surplus too
    np.testing.assert_allclose(r["charge"], [3, 7, 0])
    np.testing.assert_allclose(r["import_green"], [4, 4, 4])
    np.testing.assert_allclose(r["import_regular"], [0, 0, 6])
    # h2 discharges 10 MWh stored, 3 on-site of origin: 3/10 of discharge is on-site served
    np.testing.assert_allclose(r["discharge"], [0, 0, 10])
    np.testing.assert_allclose(r["onsite_served"], [0, 10, 3])
    off = dispatch_arrays(pv, np.zeros(3), load, p._replace(grid_charging=False))
    assert off["charge_grid"].sum() == 0.0
    np.testing.assert_allclose(off["onsite_served"], [0, 10, 3])


def test_grid_charging_inert_without_hourly_block():
    rng = np.random.default_rng(3)
    pv, load = rng.uniform(0, 20, 200), rng.uniform(0, 15, 200)
    p = DispatchParams(battery_mwh=50, battery_mw=10, grid_charging=True, green_matching="annual")
    r = dispatch_arrays(pv, np.zeros(200), load, p)
    q = dispatch_arrays(pv, np.zeros(200), load, p._replace(grid_charging=False))
    assert r["charge_grid"].sum() == 0.0
    np.testing.assert_allclose(r["import_green"], q["import_green"], rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------
# cyclic solve
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("self_discharge", [0.0, 1e-4, 2e-3])
def test_cyclic_end_equals_start_and_independent_of_start(self_discharge):
    rng = np.random.default_rng(11)
    n = 24 * 60
    hour = np.arange(n) % 24
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0.2, 1.0, n) * 80
    wind = rng.weibull(2.0, n) * 10
    load = np.full(n, 40.0)
    base = DispatchParams(battery_mwh=300, battery_mw=40, eta_charge=0.95, eta_discharge=0.95,
                          self_discharge_per_h=self_discharge, soc_min=0.1, soc_max=0.9)
    runs = [dispatch_arrays(pv, wind, load, base._replace(soc_initial=s0))
            for s0 in (0.1, 0.5, 0.9)]
    for r in runs:
        assert abs(r["soc"][-1] - r["soc_start_mwh"]) <= 1e-9 * 300
        assert r["cyclic_iterations"] < 20
    for key in ("import_green_mwh", "curtail_mwh", "discharge_mwh", "onsite_served_mwh"):
        values = [r["totals"][key] for r in runs]
        assert max(values) - min(values) <= 1e-6 * max(abs(values[0]), 1.0), key


def test_cyclic_converges_when_battery_never_hits_a_bound():
    """Leaky battery with tiny, balanced use: the fixed-point step alone would crawl."""
    n = 8760
    t = np.arange(n)
    pv = 1.0 + 0.5 * np.sin(t / 24 * 2 * np.pi)
    load = np.full(n, 1.0)
    p = DispatchParams(battery_mwh=1000, battery_mw=10, self_discharge_per_h=1e-6,
                       soc_initial=0.5)
    r = dispatch_arrays(pv, np.zeros(n), load, p)
    assert abs(r["soc"][-1] - r["soc_start_mwh"]) <= 1e-9 * 1000
    assert r["cyclic_iterations"] <= 10


# ---------------------------------------------------------------------------
# Dataset API and errors
# ---------------------------------------------------------------------------


def _profiles(n=48):
    rng = np.random.default_rng(5)
    time = np.arange(np.datetime64("2025-01-01T00"), np.datetime64("2025-01-01T00") + n)
    return xr.Dataset(
        {"pv_pu": ("time", np.clip(np.sin(np.arange(n) / 24 * 2 * np.pi), 0, None)),
         "wind_pu": ("time", rng.uniform(0, 1, n)),
         "load": ("time", rng.uniform(50, 100, n)),
         "import_price_per_mwh": ("time", np.full(n, 400.0)),
         "emission_factor_t_per_mwh": ("time", np.full(n, 0.5856))},
        coords={"time": time}, attrs={"dt_h": 1.0})


def test_dispatch_dataset_labels_and_attrs():
    prof = _profiles()
    caps = Capacities(pv_mw=100, wind_mw=50, battery_mwh=200, battery_mw=50)
    battery = BatteryConfig(energy_mwh=1, power_mw=1)  # capacities override the size
    flows = dispatch(prof, caps, battery, GridConfig())
    for name in ("pv", "wind", "load", "import_green", "import_regular", "export", "charge",
                 "discharge", "curtail", "unmet", "soc", "onsite_served", "charge_grid"):
        assert flows[name].attrs["units"] in ("MW", "MWh")
        assert flows[name].attrs["long_name"]
    np.testing.assert_array_equal(flows["time"].values, prof["time"].values)
    np.testing.assert_allclose(flows["pv"].values, prof["pv_pu"].values * 100)
    assert flows.attrs["throughput_mwh"] == pytest.approx(float(flows["discharge"].sum()))
    assert flows.attrs["equivalent_full_cycles"] == pytest.approx(
        flows.attrs["throughput_mwh"] / 200)
    assert flows.attrs["cyclic_iterations"] >= 1
    assert flows.attrs["soc_start_mwh"] == pytest.approx(float(flows["soc"][-1]), abs=1e-6)
    p = dispatch_params(battery, GridConfig(), caps)
    r = dispatch_arrays(prof["pv_pu"].values * 100, prof["wind_pu"].values * 50,
                        prof["load"].values, p)
    np.testing.assert_array_equal(r["import_green"], flows["import_green"].values)


def test_errors_name_field_value_and_rule():
    prof = _profiles()
    prof["load"][3] = -1.0
    with pytest.raises(ProfileError, match=r"load = -1\.0.*>= 0.*hour 3"):
        dispatch(prof, Capacities(), BatteryConfig(), GridConfig())
    with pytest.raises(ProfileError, match="pv_pu"):
        dispatch(_profiles().drop_vars("pv_pu"), Capacities(), BatteryConfig(), GridConfig())
    with pytest.raises(ConfigError, match="eta_charge = 1.5"):
        dispatch_arrays([1.0], [0.0], [1.0], DispatchParams(eta_charge=1.5))
    with pytest.raises(ProfileError, match="wind_mw.*shape"):
        dispatch_arrays([1.0, 2.0], [0.0], [1.0, 1.0], DispatchParams())
    with pytest.raises(ConfigError, match=r"capacities.battery_mw = -2"):
        sweep([1.0], [0.0], [1.0], [[1, 1, 1, -2]], DispatchParams())


def test_sweep_years_matches_per_year_sweep():
    rng = np.random.default_rng(8)
    years, n = 3, 240
    pv = rng.uniform(0, 1, (years, n))
    wind = rng.uniform(0, 1, (years, n))
    load = rng.uniform(20, 60, n)
    caps = np.array([[50, 20, 100, 25], [0, 80, 0, 0], [10, 10, 400, 100]], float)
    p = DispatchParams(eta_charge=0.93, eta_discharge=0.93)
    both = sweep_years(pv, wind, load, caps, p)
    for y in range(years):
        one = sweep(pv[y], wind[y], load, caps, p)
        for key in TOTAL_KEYS:
            np.testing.assert_array_equal(both[key][:, y], one[key])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_split_path_equals_serial_loop(inst):
    """The fast path (SoC recursion, then vectorised flows) applies the serial loop's rules.

    The serial loop runs with grid charging on and a zero block, which charges
    nothing; flows agree to 1e-12 of the largest flow, totals to 1e-12 relative.
    """
    pv, wind, load, p = inst
    if p.grid_charging or (math.isfinite(p.green_volume_mwh) and p.green_matching == "annual"):
        p = p._replace(grid_charging=False, green_volume_mwh=math.inf)
    n = len(load)
    rules = kernel_rules(p, n)
    x = kernel.Series(pv, wind, load.copy(), np.zeros(n), np.zeros(n))
    kit = kernel.Kit(1.0, 1.0, p.battery_mwh, p.battery_mw)
    out = {}
    for serial in (False, True):
        hourly, totals = np.empty((kernel.N_HOURLY, n)), np.zeros(kernel.N_TOTALS)
        end = kernel.year(x, kit, rules._replace(grid_charging=serial),
                          rules.soc_initial * p.battery_mwh, 0.0, True, hourly, totals)
        out[serial] = hourly, totals, end
    scale = max(float(np.max(np.abs(out[False][0]))), 1.0)
    np.testing.assert_allclose(out[True][0], out[False][0], rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(out[True][1], out[False][1], rtol=1e-12, atol=1e-12 * scale * n)
    assert sum(out[True][2]) == pytest.approx(sum(out[False][2]), rel=1e-12, abs=1e-12 * scale)


# ---------------------------------------------------------------------------
# kernel interface: records, tables, interleaved sweep lanes
# ---------------------------------------------------------------------------


def test_tables_come_from_one_flow_list():
    assert kernel.Flows._fields == kernel.HOURLY
    assert kernel.Totals._fields == kernel.TOTALS
    assert kernel.TOTALS[:kernel.N_TOTALS - 3] == tuple(h for h in kernel.HOURLY if h != "soc")
    assert [kernel.ROW[i] for i in range(kernel.N_HOURLY)] == list(range(kernel.N_HOURLY))
    assert kernel.COLUMN.import_cost == kernel.TOTALS.index("import_cost")
    assert TOTAL_KEYS[kernel.COLUMN.onsite_served] == "onsite_served_mwh"
    # the capacity table of the sweep has Kit's columns
    assert kernel.Kit._fields == ("pv_mw", "wind_mw", "battery_mwh", "battery_mw")


def test_make_rules_casts_to_declared_types():
    r = kernel.make_rules(dt_h=1, cyclic=1, max_iter=7.0, import_max_mw=5)
    assert type(r.dt_h) is float and type(r.cyclic) is bool and type(r.max_iter) is int
    assert type(r.import_max_mw) is float and r.keep == 1.0  # defaults kept
    assert kernel_rules(DispatchParams(), 24) == kernel.make_rules()


@pytest.mark.parametrize("keep", [1.0, 1.0 - 1e-3])
def test_soc_path_bits_equal_a_python_recursion(keep):
    """The split path's recursion (and its keep = 1 specialisation) is the textbook
    recurrence a <- max(min(k a + (u - d), W), 0), bit for bit (Python floats are IEEE doubles).
    """
    rng = np.random.default_rng(4)
    n = 500
    pv, wind, load = rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(20, 80, n)
    kit = kernel.Kit(70.0, 40.0, 300.0, 35.0)
    rules = kernel.make_rules(eta_charge=0.93, eta_discharge=0.95, keep=keep, soc_min=0.1)
    x = kernel.Series(pv, wind, load, np.zeros(n), np.zeros(n))
    b = kernel._battery(kit, rules)
    path = np.empty(n + 1)
    kernel._soc_path(x, kit, b, 12.5, path)
    a, expected = 12.5, [12.5]
    stored, removed = 0.93 * 1.0, 1.0 / 0.95
    window = (1.0 - 0.1) * 300.0
    for t in range(n):
        gen = pv[t] * 70.0 + wind[t] * 40.0
        direct = min(gen, load[t])
        up = min((gen - direct) * stored, 35.0 * stored)
        down = min((load[t] - direct) * removed, 35.0 * removed)
        a = max(min(a * keep + (up - down), window), 0.0)
        expected.append(a)
    assert path.tolist() == expected


@pytest.mark.parametrize("n_scen", [1, 3, kernel.LANES, kernel.LANES + 5, 2 * kernel.LANES + 1])
@pytest.mark.parametrize("self_discharge", [0.0, 2e-4])
def test_sweep_lanes_bit_identical_to_single_path(n_scen, self_discharge):
    """The sweep entry interleaves up to LANES scenarios per recursion pass: totals and
    cyclic iteration counts equal the single path's bit for bit, for any thread count
    (lane widths) and with lanes converging after different numbers of runs.
    """
    rng = np.random.default_rng(n_scen)
    years, n = 2, 24 * 20
    hour = np.arange(n) % 24
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0.2, 1.0, (years, n))
    wind = rng.weibull(2.0, (years, n)) * 0.3
    load = np.full(n, 40.0)
    price, emis = rng.uniform(100, 600, n), rng.uniform(0.3, 0.9, n)
    caps = np.column_stack([rng.uniform(0, 150, n_scen), rng.uniform(0, 100, n_scen),
                            rng.choice([0.0, 30.0, 400.0, 5000.0], n_scen),
                            rng.uniform(1, 60, n_scen)])
    p = DispatchParams(eta_charge=0.95, eta_discharge=0.95, soc_min=0.05,
                       self_discharge_per_h=self_discharge)
    rules = kernel_rules(p, n)
    x = kernel.Series(*(np.ascontiguousarray(np.broadcast_to(a, (years, n)))
                        for a in (pv, wind, load, price, emis)))
    runs = []
    for threads in (1, 2, 5):
        totals = np.zeros((n_scen, years, kernel.N_TOTALS))
        iters = np.zeros((n_scen, years), dtype=np.int64)
        kernel.sweep_scenarios(x, caps, rules, threads, totals, iters)
        runs.append((totals, iters))
    for y in range(years):
        xy = kernel.Series(*(a[y] for a in x))
        for i in range(n_scen):
            single = np.zeros(kernel.N_TOTALS)
            it = kernel.solve(xy, kernel.Kit(*caps[i]), rules, single)[2]
            for totals, iters in runs:
                assert totals[i, y].tolist() == single.tolist()
                assert iters[i, y] == it
    if n_scen > 3:  # lanes of one group converge after different numbers of runs
        assert runs[0][1].max() > runs[0][1].min()
