"""Multi-period pathways: hand-checked optimum, retirement, monotone capacity, cross-check with
single-period sizing, representative days, bad files and the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energysim.cli import main
from energysim.economics import capital_recovery_factor
from energysim.errors import ConfigError
from energysim.pathways import COLUMNS, compare, load_pathway, run_pathway
from energysim.pathways.model import activity, discount_weights
from energysim.timeaggregation import typical_days

REPO = Path(__file__).resolve().parents[1]
HAND_HOURS = 48


def hand_park(tmp_path: Path, lifetime_yr: float = 20) -> Path:
    """Wind only (constant 0.5 MW/MW), constant load 10 MW (2025) / 20 MW (2030), no PV, no battery.

    Wind costs more per MWh (annuity 117 460 CNY/MW/yr for 4 380 MWh/yr) than
    imports (10 CNY/MWh), so the optimum builds exactly the on-site target.
    """
    n = HAND_HOURS
    pd.DataFrame({"pv": np.zeros(n), "wind": np.full(n, 0.5), "load_a": np.full(n, 10.0),
                  "load_b": np.full(n, 20.0)}).to_csv(tmp_path / "cf.csv", index=False)
    (tmp_path / "park.toml").write_text(f"""
[site]
name = "hand-checked park"
latitude = 39.6
longitude = 109.8
timezone = "Asia/Shanghai"
[load]
profile = "cf.csv:load_a"
[pv]
profile = "cf.csv:pv"
max_mw = 0
[wind]
profile = "cf.csv:wind"
capex_per_kw = 1000
fixed_om_per_kw_yr = 0
lifetime_yr = {lifetime_yr}
[battery]
max_mwh = 0
max_mw = 0
[grid]
import_price_per_mwh = 10
green_premium_per_mwh = 0
green_volume_mwh = 0
emission_factor_t_per_mwh = 0.5
[economics]
discount_rate = 0.1
[targets]
onsite_share = 0.5
clean_share = 0
""")
    path = tmp_path / "hand.toml"
    path.write_text("""
name = "hand"
base = "park.toml"
[[period]]
year = 2025
[[period]]
year = 2030
load.profile = "cf.csv:load_b"
wind.capex_per_kw = 800
targets.onsite_share = 0.8
grid.emission_factor_t_per_mwh = 0.4
""")
    return path


def _hand_expected(lifetime_yr: float) -> dict:
    r"""The optimum of :func:`hand_park`, by hand.

    - 2025: on-site 0.5 of 10 MW from wind at 0.5 MW/MW -> 10 MW wind; imports
      0.5 x 10 MW x 8760 h = 43 800 MWh/yr x 10 CNY = 438 000 CNY/yr; CO2 43 800 x 0.5 = 21 900 t.
    - 2030: on-site 0.8 of 20 MW -> 32 MW wind in total; imports 0.2 x 20 x 8760 =
      35 040 MWh/yr -> 350 400 CNY/yr; CO2 35 040 x 0.4 = 14 016 t.
    - Annuities a25 = 1e6 CNY/MW x CRF(0.1, L), a30 = 0.8e6 x CRF(0.1, L); CRF(0.1, 20) = 0.117460.
    - Weights W25 = sum_{j=0..4} 1.1^-j = 4.169865, W30 = sum_{j=5..9} 1.1^-j = 2.589158 (the last
      period stands for the 5-year gap before it).
    - L = 20: the 2025 build lives on, 22 MW added in 2030:
      cost = W25 (10 a25 + 438 000) + W30 (10 a25 + 22 a30 + 350 400) = 16 025 305.81 CNY.
    - L = 3 < 5: the 2025 build retires before 2030, 32 MW added in 2030 and 10 retired:
      cost = W25 (10 a25 + 438 000) + W30 (32 a30 + 350 400).
      (Building 32 MW in 2025 instead would pay a25 in both periods and cannot outlive 2030.)
    """
    crf = capital_recovery_factor(0.1, lifetime_yr)
    a25, a30 = 1e6 * crf, 0.8e6 * crf
    w25 = sum(1.1 ** -j for j in range(5))
    w30 = sum(1.1 ** -j for j in range(5, 10))
    lives = lifetime_yr > 5
    added30 = 22.0 if lives else 32.0
    p25 = 10 * a25 + 438_000.0
    p30 = (10 * a25 if lives else 0.0) + added30 * a30 + 350_400.0
    return {"w": (w25, w30), "added": (10.0, added30), "retired": (0.0, 0.0 if lives else 10.0),
            "total": (10.0, 32.0), "period_cost": (p25, p30), "objective": w25 * p25 + w30 * p30,
            "co2": (21_900.0, 14_016.0)}


@pytest.mark.parametrize("lifetime_yr", [20, 3])
def test_hand_checked_two_periods(tmp_path, lifetime_yr):
    """Builds, retirements, costs, shares and CO2 equal the hand arithmetic to 1e-6."""
    res = run_pathway(load_pathway(hand_park(tmp_path, lifetime_yr)))
    exp = _hand_expected(lifetime_yr)
    t = res.table
    assert exp["w"][0] == pytest.approx(4.169865446, rel=1e-9)
    np.testing.assert_allclose(t["discount_weight_yr"], exp["w"], rtol=1e-12)
    np.testing.assert_allclose(t["wind_added_mw"], exp["added"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(t["wind_retired_mw"], exp["retired"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(t["wind_total_mw"], exp["total"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(t["pv_total_mw"], 0.0, atol=1e-9)
    np.testing.assert_allclose(t["annualized_cost_per_yr"], exp["period_cost"], rtol=1e-6)
    np.testing.assert_allclose(t["discounted_cost"],
                               np.multiply(exp["w"], exp["period_cost"]), rtol=1e-6)
    assert res.solution.lp_objective == pytest.approx(exp["objective"], rel=1e-6)
    assert res.total_discounted_cost == pytest.approx(exp["objective"], rel=1e-6)
    np.testing.assert_allclose(t["onsite_share"], [0.5, 0.8], atol=1e-6)
    np.testing.assert_allclose(t["lp_onsite_share"], t["onsite_share"], atol=1e-6)
    np.testing.assert_allclose(t["co2_t"], exp["co2"], rtol=1e-6)
    np.testing.assert_allclose(t["load_mwh"], [87_600.0, 175_200.0], rtol=1e-12)
    assert list(t["onsite_met"]) == [True, True]


def test_discount_weights_and_activity():
    """Weights are discounted year counts; a build is active from its year for its lifetime."""
    np.testing.assert_allclose(discount_weights([2025, 2030], [5, 5], 0.0, 2025), [5, 5])
    np.testing.assert_allclose(discount_weights([2030], [1], 0.05, 2025), [1.05 ** -5])

    class _Life:
        def __init__(self, life):
            self.pv = self.wind = self.battery = type("A", (), {"lifetime_yr": life})()

    act = activity([2025, 2030, 2035], [_Life(10), _Life(5), _Life(30)])["pv"]
    # rows: build period; columns: period of use
    expected = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(act, expected)


def small_park(tmp_path: Path, seed: int = 1, days: int = 7) -> Path:
    """A park from ready profiles: PV, wind, battery; load_a/b/c for growth across periods."""
    rng = np.random.default_rng(seed)
    n = 24 * days
    hour = np.arange(n) % 24
    pv = (np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
          * rng.uniform(0.5, 0.9, n // 24).repeat(24))
    wind = np.clip(rng.weibull(2.0, n) * 0.35, 0, 1)
    base = 50 + 5 * rng.standard_normal(n)
    pd.DataFrame({"pv": pv, "wind": wind, "load_a": base, "load_b": 1.3 * base,
                  "load_c": 0.8 * base}).to_csv(tmp_path / "cf.csv", index=False)
    path = tmp_path / "park.toml"
    path.write_text("""
[site]
name = "small test park"
latitude = 39.6
longitude = 109.8
timezone = "Asia/Shanghai"
[load]
profile = "cf.csv:load_a"
[pv]
profile = "cf.csv:pv"
[wind]
profile = "cf.csv:wind"
[battery]
roundtrip_efficiency = 0.88
[targets]
onsite_share = 0.6
clean_share = 1.0
""")
    return path


def _write(tmp_path: Path, text: str, name: str = "pw.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_capacity_never_decreases_before_retirement(tmp_path, seed):
    """With long lifetimes, totals never fall, even when load and target fall; books balance."""
    small_park(tmp_path, seed)
    rng = np.random.default_rng(seed)
    targets = rng.uniform(0.3, 0.8, 3)
    loads = rng.permutation(["load_a", "load_b", "load_c"])
    periods = "".join(
        f'[[period]]\nyear = {y}\nload.profile = "cf.csv:{ld}"\ntargets.onsite_share = {s:.3f}\n'
        f"pv.capex_per_kw = {3000 - 300 * i}\n"
        for i, (y, ld, s) in enumerate(zip((2025, 2030, 2035), loads, targets, strict=True)))
    res = run_pathway(load_pathway(_write(tmp_path, f'base = "park.toml"\n{periods}')))
    t = res.table
    for stem, unit in (("pv", "mw"), ("wind", "mw"), ("battery", "mwh"), ("battery_power", "mw")):
        total, added = t[f"{stem}_total_{unit}"].to_numpy(), t[f"{stem}_added_{unit}"].to_numpy()
        retired = t[f"{stem}_retired_{unit}"].to_numpy()
        assert np.all(added >= 0) and np.all(retired == 0)
        assert np.all(np.diff(total) >= -1e-6 * max(1.0, total.max())), (stem, total)
        np.testing.assert_allclose(total, np.cumsum(added), rtol=1e-9, atol=1e-9)
    assert np.all(t["onsite_share"] >= t["onsite_share_target"] - 1e-6)


def test_single_period_equals_sizing(tmp_path):
    """One period standing for one year (weight 1): same optimum as energysim.sizing.size."""
    from energysim import load_park
    from energysim.profiles import build_profiles
    from energysim.sizing import size

    cfg = small_park(tmp_path, seed=5, days=10)
    res = run_pathway(load_pathway(_write(tmp_path, 'base = "park.toml"\n'
                                          "[[period]]\nyear = 2025\nweight_yr = 1\n")))
    park = load_park(cfg)
    ref = size(park, build_profiles(park))
    assert res.table["discount_weight_yr"].iloc[0] == 1.0
    assert res.solution.lp_objective == pytest.approx(ref.annualized_cost, rel=1e-6)
    got = res.solution.total[0].model_dump()
    for key, value in ref.capacities.model_dump().items():
        assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-6 * max(1.0, value)), key
    assert res.table["onsite_share"].iloc[0] == pytest.approx(ref.sim_onsite_share, abs=1e-6)


def test_representative_days_reduce_and_resimulate(tmp_path):
    """Typical days: weights cover the horizon, LP on 4 x 24 h, KPIs from the full re-simulation."""
    from energysim import load_park
    from energysim.profiles import build_profiles

    cfg = small_park(tmp_path, seed=7, days=14)
    prof = build_profiles(load_park(cfg))
    hours, weight = typical_days(prof, 4)
    assert len(hours) == 96 and weight.sum() == pytest.approx(14 * 24)
    assert typical_days(prof, 14) is None
    hours, weight = typical_days(prof, 3, period_h=48)  # typical 2-day periods
    assert len(hours) == 144 and weight.sum() == pytest.approx(14 * 24)
    assert np.all(np.diff(hours.reshape(3, 48), axis=1) == 1)  # whole consecutive periods
    pw = load_pathway(_write(tmp_path, 'base = "park.toml"\nrepresentative_days = 4\n'
                             "[[period]]\nyear = 2025\n[[period]]\nyear = 2030\n"
                             "targets.onsite_share = 0.7\n"))
    raw = run_pathway(pw, meet_targets=False)
    assert raw.representative_days == 4
    assert raw.solver.extra["model_hours"] == [96, 96]
    assert set(raw.screening) == {"2025", "2030"}
    assert all(r.flows.sizes["time"] == 14 * 24 for r in raw.results)
    # the screening error is the LP's share minus the full-horizon simulation's
    np.testing.assert_allclose(raw.table["lp_onsite_share"] - raw.table["onsite_share"],
                               list(raw.screening.values()), atol=1e-12)
    assert np.all(np.abs(list(raw.screening.values())) < 0.1)
    np.testing.assert_allclose(raw.table["lp_onsite_share_target"], [0.6, 0.7])
    # target correction: raised LP targets until the full-horizon simulation meets each target
    res = run_pathway(pw)
    assert res.table["onsite_met"].all(), res.table[["onsite_share", "onsite_share_target"]]
    assert np.all(res.table["lp_onsite_share_target"] >= [0.6, 0.7])
    assert res.total_discounted_cost >= raw.total_discounted_cost * (1 - 1e-9)
    two_day = run_pathway(pw, period_h=48, representative_days=3)
    assert two_day.solver.extra["model_hours"] == [144, 144]
    assert two_day.representative_period_h == 48 and two_day.table["onsite_met"].all()


BAD = {
    "years not increasing": ('[[period]]\nyear = 2030\n[[period]]\nyear = 2025\n',
                             "period", "strictly increase"),
    "unknown override key": ('[[period]]\nyear = 2025\npv.capex_per_kW = 2500\n',
                             "pv.capex_per_kW", "unknown key"),
    "bad override value": ('[[period]]\nyear = 2025\ntargets.onsite_share = 1.5\n',
                           "targets.onsite_share", "1.5"),
    "unknown section": ('[[period]]\nyear = 2025\nsolar.capex_per_kw = 1\n',
                        "solar.capex_per_kw", "section.key"),
    "year out of range": ('[[period]]\nyear = 25\n', "period[1].year", "25"),
    "no periods": ("period = []\n", "period", "at least 1"),
    "unknown top key": ('discount = 0.05\n[[period]]\nyear = 2025\n', "discount", "unknown key"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_pathway_file_names_field_and_value(tmp_path, case, capsys):
    small_park(tmp_path)
    body, field, text = BAD[case]
    path = _write(tmp_path, f'base = "park.toml"\n{body}')
    with pytest.raises(ConfigError) as info:
        load_pathway(path)
    message = str(info.value)
    assert str(path) in message and field in message and text in message, message
    out = tmp_path / "out"
    assert main(["pathway", str(path), "--out", str(out)]) == 2
    assert not out.exists()
    assert field in capsys.readouterr().err


def test_missing_base_and_file(tmp_path, capsys):
    path = _write(tmp_path, 'base = "nope.toml"\n[[period]]\nyear = 2025\n')
    with pytest.raises(ConfigError, match="base park config not found"):
        load_pathway(path)
    assert main(["pathway", str(tmp_path / "absent.toml")]) == 2
    assert "pathway file not found" in capsys.readouterr().err


def test_cli_compares_two_pathways_and_writes_nothing_when_one_is_bad(tmp_path, capsys):
    hand_park(tmp_path, 20)
    a = tmp_path / "hand.toml"
    b = _write(tmp_path, 'name = "faster"\nbase = "park.toml"\n[[period]]\nyear = 2025\n'
               'targets.onsite_share = 0.6\n[[period]]\nyear = 2030\n'
               'load.profile = "cf.csv:load_b"\n'
               "targets.onsite_share = 0.9\n", "fast.toml")
    bad = _write(tmp_path, 'base = "park.toml"\n[[period]]\nyear = 2025\nwind.lifetime_yr = -1\n',
                 "bad.toml")
    out = tmp_path / "out"
    assert main(["pathway", str(a), str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    capsys.readouterr()
    assert main(["pathway", str(a), str(b), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pathways compared" in text and "faster" in text
    assert "on-site (target)" in text and "80.0 % (80 %)" in text
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == ["quantity", "unit", "year", "hand", "faster"]
    total = comparison.loc[comparison["quantity"] == "total_discounted_cost"]
    assert float(total["hand"].iloc[0]) == pytest.approx(_hand_expected(20)["objective"], rel=1e-6)
    assert float(total["faster"].iloc[0]) > float(total["hand"].iloc[0])  # higher targets cost more
    for stem in ("hand", "fast"):
        table = pd.read_csv(out / stem / "pathway.csv")
        assert list(table["year"]) == [2025, 2030]
        assert list(table.columns[:len(COLUMNS)]) == list(COLUMNS)
        assert all(c.startswith("indicator_") for c in table.columns[len(COLUMNS):])
        summary = json.loads((out / stem / "pathway.json").read_text())
        for key in ("periods", "units", "provenance", "total_discounted_cost", "discount_rate",
                    "cost_convention", "solver"):
            assert key in summary, key
        assert summary["provenance"]["pathway_sha256"]
        assert summary["units"]["co2_t"] == "t yr-1"


def test_compare_lines_up_years(tmp_path):
    res = run_pathway(load_pathway(hand_park(tmp_path, 20)))
    table = compare([res, res])
    assert list(table.columns)[-2:] == ["hand", "hand #2"]
    row = table[(table["quantity"] == "wind_total_mw") & (table["year"] == "2030")]
    assert float(row["hand"].iloc[0]) == pytest.approx(32.0, rel=1e-6)


@pytest.mark.parametrize("name", ["ordos_2025_2035.toml", "ordos_2025_2035_fast.toml"])
def test_shipped_pathways_validate(name):
    """The shipped Ordos pathways load (their run is in benchmarks/pathways.py)."""
    if not (REPO / "weather" / "ordos" / "typical_year.csv").is_file():
        pytest.skip("the Ordos weather file is not in this checkout yet")
    pw = load_pathway(REPO / "configs" / "pathways" / name)
    assert pw.years == (2025, 2030, 2035)
    targets = [p.targets.onsite_share for p in pw.parks]
    assert targets == sorted(targets)
    loads = [p.load.annual_mwh for p in pw.parks]
    assert loads == sorted(loads)


def test_unreachable_target_is_a_clear_error(tmp_path, capsys):
    """Wind capped at 15 MW cannot give 80 % of 20 MW in 2030: InfeasibleTargetError, exit 2."""
    from energysim.errors import InfeasibleTargetError

    hand_park(tmp_path, 20)
    path = _write(tmp_path, 'base = "park.toml"\n[[period]]\nyear = 2025\n[[period]]\nyear = 2030\n'
                  'load.profile = "cf.csv:load_b"\ntargets.onsite_share = 0.8\nwind.max_mw = 15\n')
    with pytest.raises(InfeasibleTargetError, match=r"period\[2\] \(2030\) targets.*on-site 0.8"):
        run_pathway(load_pathway(path))
    out = tmp_path / "out"
    assert main(["pathway", str(path), "--out", str(out)]) == 2
    assert not out.exists()
    assert "infeasible target" in capsys.readouterr().err


def test_books_balance_with_short_lifetimes(tmp_path):
    """Battery lifetime 4 yr < 5-yr gaps: each period's battery retires at the next period's start
    (retired = previous build, total = this build); PV/wind (25 yr) never fall.
    """
    small_park(tmp_path, seed=4)
    periods = "".join(f"[[period]]\nyear = {y}\nbattery.lifetime_yr = 4\n"
                      f"targets.onsite_share = {s}\n"
                      for y, s in ((2025, 0.6), (2030, 0.7), (2035, 0.75)))
    res = run_pathway(load_pathway(_write(tmp_path, f'base = "park.toml"\n{periods}')))
    t = res.table
    added, retired = t["battery_added_mwh"].to_numpy(), t["battery_retired_mwh"].to_numpy()
    assert added.max() > 0, "the case must build a battery to test its retirement"
    np.testing.assert_allclose(t["battery_total_mwh"], added, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(retired, np.r_[0.0, added[:-1]], rtol=1e-9, atol=1e-9)
    for col in ("pv_total_mw", "wind_total_mw"):
        assert np.all(np.diff(t[col].to_numpy()) >= -1e-6), col
    for stem, unit in (("pv", "mw"), ("wind", "mw"), ("battery", "mwh"), ("battery_power", "mw")):
        total = t[f"{stem}_total_{unit}"].to_numpy()
        np.testing.assert_allclose(
            total[1:], total[:-1] + t[f"{stem}_added_{unit}"].to_numpy()[1:]
            - t[f"{stem}_retired_{unit}"].to_numpy()[1:], rtol=1e-9, atol=1e-6)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=st.lists(st.floats(0.0, 0.9), min_size=3, max_size=3),
       loads=st.lists(st.sampled_from(["load_a", "load_b"]), min_size=3, max_size=3),
       lifetime=st.sampled_from([3, 7, 12, 30]))
def test_property_builds_balance_and_retire_on_time(tmp_path_factory, targets, loads, lifetime):
    """Any targets, loads and lifetime (hand park): books balance, a build lives exactly while
    year < build year + lifetime, and the capacity in operation covers each period's target.
    """
    folder = tmp_path_factory.mktemp("prop")
    hand_park(folder, lifetime)
    periods = "".join(f'[[period]]\nyear = {y}\nload.profile = "cf.csv:{ld}"\n'
                      f"targets.onsite_share = {s!r}\n"
                      for y, ld, s in zip((2025, 2030, 2035), loads, targets, strict=True))
    res = run_pathway(load_pathway(_write(folder, f'base = "park.toml"\n{periods}')))
    t = res.table
    added = t["wind_added_mw"].to_numpy()
    years = np.array([2025, 2030, 2035])
    alive = (years[None, :] >= years[:, None]) & (years[None, :] < years[:, None] + lifetime)
    np.testing.assert_allclose(t["wind_total_mw"], added @ alive, rtol=1e-9, atol=1e-6)
    retired = [0.0] + [float(added[(alive[:, p - 1]) & ~alive[:, p]].sum()) for p in (1, 2)]
    np.testing.assert_allclose(t["wind_retired_mw"], retired, rtol=1e-9, atol=1e-6)
    assert np.all(added >= -1e-9)
    load_mw = np.array([10.0 if ld == "load_a" else 20.0 for ld in loads])
    need = np.array(targets) * load_mw / 0.5  # wind at 0.5 MW/MW covers target x load
    assert np.all(t["wind_total_mw"].to_numpy() >= need - 1e-6)
    assert t["onsite_met"].all()


def test_days_option_is_checked_before_running(tmp_path, capsys):
    path = hand_park(tmp_path, 20)
    out = tmp_path / "out"
    assert main(["pathway", str(path), "--days", "1", "--out", str(out)]) == 2
    assert not out.exists()
    assert "representative_days = 1" in capsys.readouterr().err
    assert main(["pathway", str(path), "--days", "0", "--out", str(out)]) == 0  # full horizon
    assert json.loads((out / "pathway.json").read_text())["representative_days"] is None


@pytest.mark.parametrize("flexible", ["share = 0.2\nwindow_h = 2\nwindow_cost_per_h_yr = 1000",
                                      "share = 0.2\nwindow_options_h = [0, 2]"])
def test_a_pathway_refuses_to_choose_or_price_the_shift_window(tmp_path, flexible):
    path = small_park(tmp_path)
    path.write_text(path.read_text().replace("[pv]", f"[load.flexible]\n{flexible}\n[pv]"))
    pw = load_pathway(_write(tmp_path, 'base = "park.toml"\n[[period]]\nyear = 2025\n'))
    with pytest.raises(ConfigError) as err:
        run_pathway(pw)
    assert "shift window" in str(err.value) and "load.flexible.window_options_h" in str(err.value)
