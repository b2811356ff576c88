"""Green procurement (issue 14): products, accounting rules, targets, sizing against PyPSA.

Hand-computed 48-hour parks check every product and accounting rule through the
dispatch core and the accounting; the sizing LP with a profile-shaped contract and
certificates is checked against the same problem built independently in PyPSA; an
hourly CFE target with a battery is met by the reported (replayed) dispatch to 1e-6;
cost never falls as a target tightens; bad input is an error naming the field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import energysim
from energysim.cli import main
from energysim.config import park_from_dict
from energysim.economics import asset_costs
from energysim.errors import ConfigError, ProfileError
from energysim.profiles import build_profiles, complete, delivery_shapes
from energysim.results import Result
from energysim.sizing import size

HOURS = 48
SCALE = 8760 / HOURS  # a 48-hour run stands for a year


# ---------------------------------------------------------------------------
# a 48-hour park worked out by hand
# ---------------------------------------------------------------------------


def day_profile() -> dict[str, np.ndarray]:
    """Per day: PV 0.5 pu in hours 6-10 and 13-17, 1.0 pu in hours 11-12, dark otherwise;
    the contracted wind farm delivers in hours 18-23 only.
    """
    h = np.arange(HOURS) % 24
    pv = np.where((h >= 6) & (h <= 17), 0.5, 0.0)
    pv[(h == 11) | (h == 12)] = 1.0
    wind_farm = ((h >= 18) & (h <= 23)).astype(float)
    return {"pv": pv, "wind": np.zeros(HOURS), "load": np.full(HOURS, 10.0), "farm": wind_farm}


def write_csv(tmp_path, columns: dict[str, np.ndarray], name: str = "cf.csv",
              start: str | None = "2001-06-01"):
    """Hourly columns as a CSV, with a time column from ``start`` (None: rows are hours)."""
    path = tmp_path / name
    frame = pd.DataFrame(columns)
    if start is not None:
        time = pd.date_range(start, periods=len(frame), freq="h")
        frame.insert(0, "time", time.strftime("%Y-%m-%dT%H:%M"))
    frame.to_csv(path, index=False)
    return path


def hand_park(tmp_path, procurement=None, **sections):
    csv = write_csv(tmp_path, day_profile())
    data = {
        "site": {"latitude": 39.6, "longitude": 109.8, "timezone": "Asia/Shanghai"},
        "load": {"profile": f"{csv}:load"},
        "pv": {"profile": f"{csv}:pv", "capacity_mw": 10.0},
        "wind": {"profile": f"{csv}:wind", "capacity_mw": 0.0, "max_mw": 0.0},
        "grid": {"import_price_per_mwh": 400.0, "emission_factor_t_per_mwh": 0.6,
                 "location_emission_factor_t_per_mwh": 0.5306},
        "targets": {"onsite_share": 0.2, "clean_share": 1.0},
        "procurement": procurement if procurement is not None else [
            {"name": "ppa", "kind": "green_contract", "energy_price_per_mwh": 300.0,
             "environmental_price_per_mwh": 6.0, "profile": f"{csv}:farm",
             "volume_mwh": 8760.0},
            {"name": "annual", "kind": "green_contract", "energy_price_per_mwh": "grid",
             "environmental_price_per_mwh": 5.0, "max_mwh": 60 * SCALE},
            {"name": "gec", "kind": "certificate", "price_per_mwh": 5.0, "max_mwh": 20_000.0},
        ],
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return park_from_dict(data)


def test_each_product_and_rule_by_hand(tmp_path):
    """Load 10 MW; PV 5 MW in 20 h, 10 MW in 4 h, 0 in 24 h of the two days: 140 MWh on site,
    340 MWh imported. The farm contract (shape 1 in hours 18-23, V = 8760 MWh/yr, so
    V / (12 x 8760 / 48) = 4 MW) delivers 4 MW x 12 h = 48 MWh; the annual contract's
    60 MWh of the run are taken chronologically, in hours 0-5 of day one; regular power
    the remaining 232 MWh. Certificates are bought as needed for the 100 % clean target,
    at most max_mwh = 20 000 MWh/yr.
    """
    park = hand_park(tmp_path)
    res = energysim.simulate(park)
    k, fl = res.kpis, res.flows
    h = np.arange(HOURS) % 24
    np.testing.assert_allclose(fl["product_ppa"].values, np.where(h >= 18, 4.0, 0.0), atol=1e-12)
    annual = np.zeros(HOURS)
    annual[:6] = 10.0
    np.testing.assert_allclose(fl["product_annual"].values, annual, atol=1e-12)
    assert float(fl["import_regular"].sum()) == pytest.approx(232.0)
    rows = {r["name"]: r for r in k["procurement"]}
    assert rows["ppa"]["mwh"] == pytest.approx(48 * SCALE)
    assert rows["ppa"]["cost"] == pytest.approx(48 * (300 + 6) * SCALE)
    assert rows["ppa"]["hours"] == pytest.approx(12 * SCALE)
    assert rows["annual"]["cost"] == pytest.approx(60 * (400 + 5) * SCALE)
    assert rows["grid"]["cost"] == pytest.approx(232 * 400 * SCALE)
    assert rows["gec"]["mwh"] == pytest.approx(20_000.0)  # short 232 x 182.5 > max
    assert rows["gec"]["cost"] == pytest.approx(20_000.0 * 5)
    assert rows["gec"]["hours"] is None
    load = 480 * SCALE
    assert k["onsite_share"] == pytest.approx(140 / 480)
    assert k["clean_share"] == pytest.approx((140 + 48 + 60) / 480 + 20_000 / load)
    # hourly CFE: the farm counts in its hours, the annual contract as a flat 60/48 MW block:
    # 12 h x 1.25 + 20 h x 6.25 + 4 h x min(10, 11.25) + 12 h x (4 + 1.25) = 243 of 480 MWh
    assert k["cfe_hourly_score"] == pytest.approx(243 / 480)
    assert k["cfe_by_hour"][11] == pytest.approx(1.0)
    assert k["cfe_by_hour"][0] == pytest.approx(0.125)
    # market-based: regular at 0.6 t/MWh less the 20 000 certified MWh; location-based:
    # every grid MWh (contracts too) at 0.5306
    assert k["co2_t"] == pytest.approx(232 * SCALE * 0.6 - 20_000 * 0.6)
    assert k["co2_location_t"] == pytest.approx(340 * SCALE * 0.5306)
    core = k["indicators"][0]
    assert core["value"] == pytest.approx(k["co2_t"] / (load * 0.1229))
    assert core["location_value"] == pytest.approx(340 * SCALE * 0.5306 / (load * 0.1229))
    assert k["annualized_cost"] == pytest.approx(
        10 * asset_costs(park).pv_annual_per_mw
        + (48 * 306 + 60 * 405 + 232 * 400) * SCALE + 100_000)


def test_exports_netted_and_not_by_hand(tmp_path):
    """12 MWp of PV exports its 2 MW surplus in hours 11-12 (8 MWh of the run). Without
    netting exports count toward nothing; netted annually they cover 8 MWh of regular
    imports in the clean share and market-based CO2 (never in on-site share or CFE).
    """
    only_grid = [{"name": "grid", "kind": "regular"}]
    common = {"pv": {"capacity_mw": 12.0}}
    runs = {}
    for netting in ("none", "annual"):
        park = hand_park(tmp_path, only_grid, grid={"export_max_mw": 5.0,
                                                    "export_netting": netting},
                         targets={"onsite_share": 0.2, "clean_share": None}, **common)
        runs[netting] = energysim.simulate(park).kpis
    plain, netted = runs["none"], runs["annual"]
    assert plain["export_mwh"] == pytest.approx(8 * SCALE)
    # on site: 6 MW x 20 h + 10 MW x 4 h = 160 MWh; regular imports 320 MWh
    assert plain["onsite_share"] == pytest.approx(160 / 480)
    assert plain["clean_share"] == pytest.approx(160 / 480)
    assert netted["netted_export_mwh"] == pytest.approx(8 * SCALE)
    assert netted["clean_share"] == pytest.approx((160 + 8) / 480)
    assert netted["co2_t"] == pytest.approx((320 - 8) * SCALE * 0.6)
    assert plain["co2_t"] == pytest.approx(320 * SCALE * 0.6)
    for key in ("onsite_share", "cfe_hourly_score"):
        assert netted[key] == pytest.approx(plain[key])


def test_config_without_procurement_keeps_the_grid_keys(tmp_path):
    """No [[procurement]]: [grid] green_premium/green_volume/green_matching are one implicit
    contract (plus regular power), and the flows carry no product variables.
    """
    park = hand_park(tmp_path, [], grid={"green_volume_mwh": 30 * SCALE,
                                         "green_premium_per_mwh": 20.0})
    k = energysim.simulate(park).kpis
    rows = {r["name"]: r for r in k["procurement"]}
    assert set(rows) == {"green", "grid"} and all(r["implicit"] for r in rows.values())
    assert rows["green"]["mwh"] == pytest.approx(30 * SCALE)
    assert rows["green"]["cost"] == pytest.approx(30 * 420 * SCALE)
    assert k["green_premium_cost"] == pytest.approx(30 * 20 * SCALE)
    assert k["certificates_mwh"] == 0.0


def test_split_path_and_serial_loop_agree_with_an_hourly_green_cap():
    """Rule 5 with an hourly cap: the vectorised path and the serial loop label the same
    hours green (the serial loop runs with an empty grid-charging block).
    """
    from energysim.dispatch import DispatchParams, kernel, kernel_rules

    rng = np.random.default_rng(3)
    n = 24 * 10
    pv, wind = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    load = rng.uniform(20, 80, n)
    cap = rng.uniform(0, 30, n) * (rng.random(n) < 0.6)
    p = DispatchParams(battery_mwh=200.0, battery_mw=30.0, eta_charge=0.95, eta_discharge=0.95)
    rules = kernel.make_rules(**{**kernel_rules(p, n)._asdict(), "green_block_mw": 0.0})
    x = kernel.Series(pv, wind, load, np.zeros(n), np.zeros(n))
    kit = kernel.Kit(40.0, 30.0, 200.0, 30.0)
    out = []
    for serial in (False, True):
        hourly, totals = np.empty((kernel.N_HOURLY, n)), np.zeros(kernel.N_TOTALS)
        kernel.year_capped(x, kit, rules._replace(grid_charging=serial), 100.0, 0.0, True,
                           hourly, totals, cap)
        out.append(hourly)
    np.testing.assert_allclose(out[0], out[1], atol=1e-9)
    green, imports = out[0][kernel.ROW.import_green], out[0][kernel.ROW.import_green] + out[0][
        kernel.ROW.import_regular]
    np.testing.assert_allclose(green, np.minimum(imports, cap), atol=1e-12)
    assert green.sum() > 0 and (imports - green).sum() > 0  # both labels occur


# ---------------------------------------------------------------------------
# sizing: the same problem in PyPSA
# ---------------------------------------------------------------------------


def random_products_case(seed: int, tmp_path, hours: int = 24 * 14):
    """A random two-week park with a battery, a contract shaped by a remote farm and
    certificates; clean target 100 % (certificates or the contract make up the rest).
    """
    from test_sizing_pypsa import random_case

    park, profiles = random_case(seed, hours, tmp_path)
    rng = np.random.default_rng(1000 + seed)
    farm = np.clip(0.4 + 0.35 * np.sin(np.arange(hours) / rng.uniform(15, 40) + 1.0)
                   + rng.normal(0, 0.1, hours), 0, 1)
    csv = write_csv(tmp_path, {"farm": farm}, f"farm{seed}.csv", start=None)
    mean_load = float(profiles["load"].mean())
    price = park.grid.import_price_per_mwh
    products = [
        {"name": "ppa", "kind": "green_contract", "energy_price_per_mwh": price * 0.95,
         "environmental_price_per_mwh": rng.uniform(4, 8), "profile": f"{csv}:farm",
         "max_mwh": rng.uniform(0.2, 0.6) * mean_load * 8760},
        {"name": "gec", "kind": "certificate", "price_per_mwh": rng.uniform(1, 6)},
    ]
    data = park.model_dump(mode="python", exclude_none=True)
    data["grid"]["green_premium_per_mwh"] = 0.0
    data["procurement"] = products
    return park_from_dict(data), profiles, farm


def pypsa_products(park, profiles, farm):
    """The procurement sizing in PyPSA: the contract as a generator (p_max_pu = its shape,
    marginal cost = energy + environmental price, p_nom within the volume bound), regular
    power as the grid generator, certificates as a linopy variable with their price in the
    objective and the clean-share rule as linopy constraints.
    """
    import pypsa
    from test_sizing_pypsa import pypsa_network

    hours = profiles.sizes["time"]
    load = profiles["load"].values
    share = 8760.0 / hours
    ppa, gec = park.procurement
    # per MW of p_nom the farm delivers shape/max(shape); V [MWh/yr] gives V u_t with
    # u_t = s_t / (sum(s) 8760 / N): p_nom = V max(u)
    u_max = float(farm.max()) / (float(farm.sum()) * share)
    base = park.with_values({"targets.onsite_share": 0.0})  # on-site row added below
    n, extra_base = pypsa_network(base, profiles)
    n.generators.loc["grid", "marginal_cost"] = park.grid.import_price_per_mwh
    n.add("Generator", "ppa", bus="park", p_nom_extendable=True, p_nom_max=ppa.max_mwh * u_max,
          p_max_pu=farm / farm.max(),
          marginal_cost=ppa.energy_price_per_mwh + ppa.environmental_price_per_mwh)
    total_load = float(load.sum())

    def extra(n, snapshots):
        extra_base(n, snapshots)
        m = n.model
        p = m.variables["Generator-p"]
        grid, contract = (p.sel(name=name, drop=True) for name in ("grid", "ppa"))
        m.add_constraints(grid + contract <= xr.DataArray(load, coords={"snapshot": snapshots}),
                          name="imports_serve_load")
        m.add_constraints((grid + contract).sum() <= (1 - park.targets.onsite_share)
                          * total_load, name="onsite_share_products")
        certs = m.add_variables(lower=0, name="certificates")  # MWh/yr bought
        covered = m.add_variables(lower=0, name="covered")  # regular MWh of the run covered
        m.add_constraints(covered - certs / share <= 0, name="covered_certificates")
        m.add_constraints(covered - grid.sum() <= 0, name="covered_regular")
        m.add_constraints(grid.sum() - covered <= (1 - park.targets.clean_share) * total_load,
                          name="clean_share")
        m.objective = m.objective + gec.price_per_mwh * certs

    status, cond = n.optimize(solver_name="highs", extra_functionality=extra,
                              include_objective_constant=False)
    assert status == "ok", cond
    return float(n.objective), pypsa


@pytest.mark.parametrize("seed", [1, 2])
def test_products_sizing_equals_pypsa(seed, tmp_path):
    park, profiles, farm = random_products_case(seed, tmp_path)
    ours = size(park, profiles)
    ref, _ = pypsa_products(park, profiles, farm)
    assert ours.annualized_cost == pytest.approx(ref, rel=1e-6)
    # teeth: both products are used and cost something in the optimum
    terms = ours.objective_terms
    assert terms["green_premium"] > 0
    rows = {r["name"]: r for r in Result.from_flows(
        park, ours.capacities, complete(profiles, park), ours.flows).kpis["procurement"]}
    assert rows["ppa"]["mwh"] > 0 or rows["gec"]["mwh"] > 0
    assert sum(terms.values()) == pytest.approx(ours.annualized_cost, rel=1e-9)


# ---------------------------------------------------------------------------
# hourly CFE with a battery: the reported dispatch meets the LP's score
# ---------------------------------------------------------------------------


def test_hourly_cfe_with_battery_reported_equals_lp(tmp_path):
    park, profiles, _ = random_products_case(3, tmp_path)
    free = size(park, profiles)
    cfe_free = free.flows  # the least-cost mix without the hourly target
    from energysim.accounting import hourly_matching_kpis

    before = hourly_matching_kpis(cfe_free, park)["cfe_hourly_score"]
    target = min(0.98, before + 0.5 * (1 - before))
    res = size(park, profiles, cfe_score=target)
    assert res.capacities.battery_mwh > 0
    assert res.solver.extra["dispatch"].startswith("LP dispatch replayed")
    sized_park = park.with_values({"targets.cfe_score": target})
    reported = hourly_matching_kpis(res.flows, sized_park)["cfe_hourly_score"]
    lp = res.solver.extra["lp_values"]["cfe"]  # the LP's own expression at its optimum
    assert lp == pytest.approx(target, abs=1e-9)
    assert reported == pytest.approx(lp, abs=1e-6)
    f = res.flows  # hourly-matched contract only: CFE = 1 - (regular + unmet) / load
    assert reported == pytest.approx(1 - float((f["import_regular"] + f["unmet"]).sum()
                                               / f["load"].sum()), abs=1e-9)
    # the rule-based core discharges first and would miss it (why the LP dispatch is reported)
    core = energysim.simulate(sized_park, res.capacities, profiles=profiles, mode="rules").kpis
    assert core["cfe_hourly_score"] < target - 1e-4


# ---------------------------------------------------------------------------
# monotonicity and free certificates
# ---------------------------------------------------------------------------


def test_cost_never_falls_as_a_target_rises(tmp_path):
    """Each target tightened in three steps (the others at the config's, the clean target
    off while the CFE and CO2 targets move): the least cost never falls, and it rises.
    """
    park, profiles, _ = random_products_case(4, tmp_path)
    no_clean = park.with_values({"targets.clean_share": None})
    rising = 0
    for p, kw in ((park, [{"onsite_share": s} for s in (0.6, 0.8, 0.9)]),
                  (park, [{"clean_share": s} for s in (0.5, 0.9, 1.0)]),
                  (no_clean, [{"cfe_score": s} for s in (0.9, 0.95, 0.98)]),
                  (no_clean, [{"max_co2_per_tce": s} for s in (1.0, 0.5, 0.1)])):
        costs = [size(p, profiles, **k).annualized_cost for k in kw]
        assert all(b >= a * (1 - 1e-9) for a, b in zip(costs, costs[1:], strict=False)), (
            kw, costs)
        rising += costs[-1] > costs[0] * (1 + 1e-6)
    assert rising == 4  # every target binds somewhere: the costs really move


def test_free_certificates_make_the_clean_target_free(tmp_path):
    park, profiles, _ = random_products_case(5, tmp_path)
    data = park.model_dump(mode="python", exclude_none=True)
    data["procurement"][1]["price_per_mwh"] = 0.0
    free = park_from_dict(data)
    a = size(free, profiles, clean_share=1.0).annualized_cost
    b = size(free, profiles, clean_share=0.0).annualized_cost
    assert a == pytest.approx(b, rel=1e-9)
    priced = size(park, profiles, clean_share=1.0).annualized_cost
    assert priced > a * (1 + 1e-6)  # with a price it is not free


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_product_without_price_names_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"\[procurement\] \(entry 1 'ppa'\): a green_contract "
                       r"needs a price: give environmental_price_per_mwh"):
        hand_park(tmp_path, [{"name": "ppa", "kind": "green_contract",
                              "energy_price_per_mwh": 300}])


@pytest.mark.parametrize("hours", [HOURS - 1, HOURS + 24])
def test_profile_longer_or_shorter_than_the_horizon(tmp_path, hours):
    farm = write_csv(tmp_path, {"farm": np.ones(hours)}, "farm.csv")
    park = hand_park(tmp_path, [{"name": "ppa", "kind": "green_contract",
                                 "energy_price_per_mwh": 300, "environmental_price_per_mwh": 5,
                                 "profile": f"{farm}:farm", "max_mwh": 1e4}])
    with pytest.raises(ProfileError) as err:
        build_profiles(park)
    text = str(err.value)
    assert "[procurement] profile (entry 'ppa')" in text and f"has {hours} hourly values" in text
    assert "farm.csv" in text


def test_target_no_product_counts_toward(tmp_path, capsys):
    park = hand_park(tmp_path, [{"name": "gec", "kind": "certificate", "price_per_mwh": 5}])
    profiles = build_profiles(park)
    with pytest.raises(ConfigError, match=r"\[targets\] cfe_score = 0.9: above the on-site "
                       r"target 0.2 but no \[\[procurement\]\] product counts toward it"):
        size(park, profiles, cfe_score=0.9)
    toml = tmp_path / "park.toml"
    toml.write_text(_toml(park), encoding="utf-8")
    assert main(["size", str(toml), "--cfe-score", "0.9", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "[targets] cfe_score = 0.9" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "sizing.json").exists()


def _toml(park) -> str:
    """The hand park as a TOML file (ready profiles, one certificate product)."""
    csv = park.load.profile.path
    return f"""
[site]
latitude = 39.6
longitude = 109.8
[load]
profile = "{csv}:load"
[pv]
profile = "{csv}:pv"
capacity_mw = 10
[wind]
profile = "{csv}:wind"
max_mw = 0
[targets]
onsite_share = 0.2
[[procurement]]
name = "gec"
kind = "certificate"
price_per_mwh = 5
"""


# ---------------------------------------------------------------------------
# weather years: volumes are first-stage decisions shared by the years
# ---------------------------------------------------------------------------


def test_robust_sizing_decides_volumes_once_for_all_years(tmp_path):
    """An annual contract (at most max_mwh) and certificates over three weather years: the
    decomposition and the one LP over the years agree (1e-6), volumes shared by the years;
    the every-year certification holds year by year.
    """
    from test_robust import make_park, year_profiles

    by_year = year_profiles(11, hours=24 * 14, n_years=3)
    base = make_park(tmp_path, by_year[2001], 11, targets={"onsite_share": 0.6,
                                                           "clean_share": 1.0})
    data = base.model_dump(mode="python", exclude_none=True)
    data["procurement"] = [
        {"name": "annual", "kind": "green_contract", "energy_price_per_mwh": "grid",
         "environmental_price_per_mwh": 4.0, "max_mwh": 0.1 * 800 * 8760},
        {"name": "gec", "kind": "certificate", "price_per_mwh": 5.0}]
    park = park_from_dict(data)
    mono = size(park, by_year, robustness="every_year", method="monolithic")
    dec = size(park, by_year, robustness="every_year", method="decomposition", gap=1e-9)
    assert dec.annualized_cost == pytest.approx(mono.annualized_cost, rel=1e-6)
    for res in (mono, dec):
        assert set(res.capacities.procurement_mwh) == {"annual", "gec"}
        assert res.robust["certified"]["clean"]["holds"]
        assert min(r["clean_share"] for r in res.robust["years"]) >= 1.0 - 1e-6
    # certificates are bought once for every year: the cheaper contract fills first
    assert mono.capacities.procurement_mwh["gec"] > 0


# ---------------------------------------------------------------------------
# a remote plant, the CO2 ceiling, the command line and the report
# ---------------------------------------------------------------------------


def test_remote_plant_delivers_our_wind_model_output(repo):
    """configs/ordos_procurement.toml: the contract's shape is energysim's own wind model on
    the farms' weather and turbine, scaled to deliver its volume over a year.
    """
    from energysim import procurement, wind
    from energysim.weather import read_weather

    park = energysim.load_park(repo / "configs" / "ordos_procurement.toml")
    p = park.procurement[0]
    assert p.delivery == "plant"
    weather = read_weather(p.weather, p.site)
    expected = procurement.per_volume(np.asarray(wind.ac_per_mw(weather, p.site, p.wind)))
    times = pd.DatetimeIndex(weather["time"].values)
    got = delivery_shapes(park, times)["delivery_wind_contract"][1]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got.sum() * 8760 / len(got) == pytest.approx(1.0)  # 1 MWh/yr per MWh/yr of volume
    # another hub height gives another shape: the plant's own settings are used
    assert not np.allclose(got, procurement.per_volume(np.asarray(
        wind.ac_per_mw(weather, park.site, park.wind))))


def test_co2_ceiling_is_met_as_the_indicator_reports_it(tmp_path):
    """max_co2_per_tce binding: the LP's indicator, the reported one and the ceiling agree."""
    park, profiles, _ = random_products_case(6, tmp_path)
    park = park.with_values({"targets.clean_share": None})
    free = size(park, profiles)
    k_free = Result.from_flows(park, free.capacities, complete(profiles, park), free.flows).kpis
    ceiling = 0.5 * k_free["co2_per_tce"]
    assert ceiling > 0
    res = size(park, profiles, max_co2_per_tce=ceiling)
    capped = park.with_values({"targets.max_co2_per_tce": ceiling})
    k = Result.from_flows(capped, res.capacities, complete(profiles, park), res.flows).kpis
    assert res.solver.extra["lp_values"]["co2"] == pytest.approx(ceiling, rel=1e-9)
    assert k["co2_per_tce"] == pytest.approx(ceiling, rel=1e-6)
    assert k["targets"]["co2_met"]
    assert res.annualized_cost > free.annualized_cost


def test_size_command_writes_the_procurement_and_the_report(tmp_path, capsys):
    import json

    cfg = tmp_path / "park.toml"
    csv = write_csv(tmp_path, day_profile())
    cfg.write_text(_toml(hand_park(tmp_path)).replace(
        '[[procurement]]', f'''[battery]
max_mwh = 200
[[procurement]]
name = "ppa"
kind = "green_contract"
energy_price_per_mwh = 300
environmental_price_per_mwh = 6
profile = "{csv}:farm"
max_mwh = 20000
[[procurement]]''', 1), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["size", str(cfg), "--cfe-score", "0.6", "--clean-share", "1.0",
                 "--max-co2-per-tce", "0.5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for needle in ("procurement (per year)", "by hour of day", "zero-carbon park indicators"):
        assert needle in text, needle
    record = json.loads((out / "sizing.json").read_text())
    rows = {r["name"]: r for r in record["procurement"]}
    assert set(rows) == {"ppa", "gec", "grid"}
    assert {"name", "kind", "mwh", "cost"} <= set(rows["ppa"])
    assert rows["ppa"]["mwh"] > 0 and rows["gec"]["volume_mwh"] == pytest.approx(rows["gec"]["mwh"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cfe_hourly_score"] >= 0.6 - 1e-6 and summary["targets"]["cfe_met"]
    assert summary["co2_per_tce"] <= 0.5 + 1e-6 and summary["clean_share"] >= 1 - 1e-6
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="chart-procurement-mix"' in html and 'id="chart-heat-unmatched"' in html
