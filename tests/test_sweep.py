"""Sweeps on Dask: equal to one-by-one runs, deterministic, fault-tolerant, resumable, validated."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import energysim
from energysim.accounting import kpis_from_totals
from energysim.cli import main
from energysim.config import load_park
from energysim.errors import ConfigError
from energysim.sweep import KPI_COLUMNS, load_sweep, read_sweep, run_sweep
from energysim.sweep.execute import flatten_kpis
from energysim.sweep.spec import parameter_kind

HOURS = 24 * 14
# KPIs compared with the one-by-one runs (every float KPI column)
FLOAT_KPIS = [c for c in KPI_COLUMNS if not c.endswith(("_met", "_passed"))]


@pytest.fixture
def park_dir(tmp_path: Path) -> Path:
    """A two-week park: ready PV and wind profiles, modelled load (annual_mwh can be swept)."""
    rng = np.random.default_rng(7)
    hour = np.arange(HOURS) % 24
    day = np.arange(HOURS) // 24
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0.3, 0.9, 14)[day]
    wind = np.clip(rng.weibull(2.0, HOURS) * 0.35, 0, 1)
    pd.DataFrame({"pv": pv, "wind": wind}).to_csv(tmp_path / "cf.csv", index=False)
    (tmp_path / "park.toml").write_text("""
[site]
name = "sweep test park"
latitude = 39.6
longitude = 109.8
timezone = "Asia/Shanghai"

[load]
annual_mwh = 400_000
shape = "three_shift"
seed = 3

[pv]
capacity_mw = 60
profile = "cf.csv:pv"
capex_per_kw = 3000

[wind]
capacity_mw = 40
profile = "cf.csv:wind"

[battery]
energy_mwh = 100
power_mw = 25

[grid]
import_price_per_mwh = 400
green_volume_mwh = 100_000
""")
    return tmp_path


def write_sweep(folder: Path, parameters: str, *, batch_size: int = 8, samples: int = 0,
                seed: int = 11, name: str = "sweep.toml", extra: str = "") -> Path:
    path = folder / name
    path.write_text(f"""
[sweep]
base = "park.toml"
batch_size = {batch_size}
seed = {seed}
samples = {samples}
{extra}

[parameters]
{parameters}
""")
    return path


# load (profiles), efficiency (dispatch), capex (KPI only, random), capacities
MIXED = """
"load.annual_mwh" = { values = [300_000, 450_000] }
"battery.roundtrip_efficiency" = { values = [0.80, 0.92] }
"pv.capex_per_kw" = { uniform = [2000, 4000] }
"pv.capacity_mw" = { start = 0, stop = 120, num = 3 }
"battery.energy_mwh" = { values = [20, 150] }
"""


def py(value):
    """A numpy scalar as the plain Python value a config holds."""
    return value.item() if hasattr(value, "item") else value


def one_by_one(base, row, names):
    """The reference: a fully validated park per scenario, simulated hour by hour."""
    park = base.with_values({n: py(v) for n, v in row.items() if n in names})
    return flatten_kpis(energysim.simulate(park, park.capacities()).kpis)


def test_local_cluster_sweep_equals_one_by_one(park_dir):
    path = write_sweep(park_dir, MIXED, samples=2, batch_size=10)
    sw = load_sweep(path)
    assert sw.plan.n_scenarios == 2 * 2 * 3 * 2 * 2
    assert {sw.plan.kinds[n] for n in sw.plan.names} == {"profile", "dispatch", "kpi", "capacity"}
    out = run_sweep(sw, park_dir / "out", n_workers=2, processes=False, progress=False)
    df = read_sweep(park_dir / "out")
    assert len(df) == sw.plan.n_scenarios and out.summary["complete"]
    base = load_park(park_dir / "park.toml")
    # every scenario, compared KPI by KPI with its own full simulation
    worst = 0.0
    for sid, row in df.iterrows():
        ref = one_by_one(base, row, sw.plan.names)
        for k in FLOAT_KPIS:
            a, b = row[k], ref[k]
            if math.isnan(b):
                assert math.isnan(a), (sid, k)
                continue
            err = abs(a - b) / max(abs(b), 1e-9)
            worst = max(worst, err)
            assert err <= 1e-9, (sid, k, a, b)
        for k in ("onsite_met", "clean_met", "co2_per_tce_passed", "clean_energy_share_passed"):
            assert (row[k] if row[k] is not None else None) == ref[k], (sid, k)
    # the swept values themselves drove the runs (not silently ignored)
    assert df.groupby("load.annual_mwh")["load_mwh"].mean().diff().iloc[-1] > 0
    assert df["annualized_cost_pv"].nunique() == 2 * 2 + 1  # 2 capex draws x 2 non-zero PV, + 0
    print(f"largest relative KPI difference vs one-by-one: {worst:.1e}")


def test_same_results_whatever_the_workers(park_dir):
    path = write_sweep(park_dir, MIXED, samples=2, batch_size=7)
    one = run_sweep(path, park_dir / "w1", n_workers=1, processes=False, progress=False)
    two = run_sweep(path, park_dir / "w2", n_workers=2, processes=False, progress=False,
                    max_in_flight=6)
    a, b = read_sweep(one.out_dir), read_sweep(two.out_dir)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # a fresh draw with the same seed gives the same random values; another seed does not
    again = load_sweep(path).plan.values(0, 24)
    assert np.array_equal(again["pv.capex_per_kw"], a["pv.capex_per_kw"].to_numpy()[:24])
    other = write_sweep(park_dir, MIXED, samples=2, seed=12, name="other.toml")
    assert not np.array_equal(load_sweep(other).plan.values(0, 24)["pv.capex_per_kw"],
                              again["pv.capex_per_kw"])


def raw_ids(out_dir: Path) -> np.ndarray:
    """Scenario ids of every row in every batch file, without deduplication."""
    files = sorted((out_dir / "batches").glob("batch-*.parquet"))
    return np.concatenate([pq.read_table(f, columns=["scenario_id"]).column(0).to_numpy()
                           for f in files])


def test_killed_worker_sweep_completes_exactly_once(park_dir):
    distributed = pytest.importorskip("distributed")
    params = """
"pv.capacity_mw" = { start = 0, stop = 150, num = 16 }
"battery.energy_mwh" = { values = [20, 60, 100, 200] }
"""
    path = write_sweep(park_dir, params, batch_size=8)  # 64 scenarios, 8 batches
    sw = load_sweep(path)
    killed = []
    # compile (or load) the Numba kernels here first, so the worker processes load them
    # from the on-disk cache instead of each compiling them
    from energysim.dispatch import DispatchParams, sweep

    sweep(np.full(24, 0.5), np.full(24, 0.5), np.ones(24), np.ones((2, 4)), DispatchParams())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(2)

        def slow(dask_worker=None):  # make tasks last so the kill lands mid-sweep
            import energysim.sweep.execute as ex

            original = ex._simulate_batch

            def delayed(*a, **k):
                time.sleep(0.3)
                return original(*a, **k)

            ex._simulate_batch = delayed
            return os.getpid()

        pids = client.run(slow)

        def kill_one(batch, n_written):
            if n_written == 1:
                pid = sorted(pids.values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        # the sweep goes to the running cluster by address, as with --scheduler
        out = run_sweep(sw, park_dir / "out", scheduler=cluster.scheduler_address,
                        progress=False, on_batch=kill_one, max_in_flight=4)
    assert killed, "the fault was not injected"
    ids = raw_ids(park_dir / "out")
    assert len(ids) == sw.plan.n_scenarios == 64
    assert np.array_equal(np.sort(ids), np.arange(64))  # every scenario exactly once
    assert sorted(out.batches_computed) == list(range(8))
    table = pq.read_table(park_dir / "out" / "scenarios.parquet")
    assert table.num_rows == 64


def test_resume_computes_only_missing_batches(park_dir):
    path = write_sweep(park_dir, MIXED, samples=2, batch_size=6)  # 48 scenarios, 8 batches
    out_dir = park_dir / "out"

    class Interrupt(KeyboardInterrupt):
        pass

    def stop_after_three(batch, n_written):
        if n_written == 3:
            raise Interrupt

    import logging

    levels = {name: logging.getLogger(name).level for name in ("distributed", "tornado")}
    with pytest.raises(Interrupt):
        run_sweep(path, out_dir, n_workers=1, processes=False, progress=False,
                  on_batch=stop_after_three, max_in_flight=2)
    # Dask's logs were silenced for the teardown only
    assert {name: logging.getLogger(name).level for name in levels} == levels
    first = sorted((out_dir / "batches").glob("batch-*.parquet"))
    assert len(first) == 3
    stamps = {p.name: p.stat().st_mtime_ns for p in first}
    # a crash mid-write leaves only a temporary file: not a finished batch
    (out_dir / "batches" / ".tmp-000007-deadbeef.parquet").write_bytes(b"partial")
    (out_dir / "batches" / ".batch-000006.parquet.x1y2z3.tmp").write_bytes(b"partial")
    time.sleep(0.01)
    again = run_sweep(path, out_dir, n_workers=1, processes=False, progress=False)
    assert again.batches_skipped == 3
    assert len(again.batches_computed) == 5
    assert not set(again.batches_computed) & {int(n[6:12]) for n in stamps}
    assert {p.name: p.stat().st_mtime_ns for p in first} == stamps  # not recomputed
    ids = raw_ids(out_dir)
    assert np.array_equal(np.sort(ids), np.arange(48))
    assert not [p.name for p in (out_dir / "batches").iterdir() if p.name.startswith(".")]
    # a third run has nothing to do and changes nothing
    third = run_sweep(path, out_dir, n_workers=1, processes=False, progress=False)
    assert third.batches_computed == [] and third.batches_skipped == 8
    full = read_sweep(out_dir)
    ref = run_sweep(path, park_dir / "ref", n_workers=1, processes=False, progress=False)
    pd.testing.assert_frame_equal(full.drop(columns="batch"),
                                  read_sweep(ref.out_dir).drop(columns="batch"))


def test_manifest_and_summary(park_dir):
    path = write_sweep(park_dir, MIXED, samples=2, batch_size=10,
                       extra='objective = "onsite_share"\nsense = "max"')
    out = run_sweep(path, park_dir / "out", n_workers=1, processes=False, progress=False)
    manifest = json.loads((park_dir / "out" / "manifest.json").read_text())
    import hashlib

    assert manifest["sweep_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["n_scenarios"] == 48 and manifest["seed"] == 11
    assert manifest["energysim_version"] == energysim.__version__
    df = read_sweep(park_dir / "out")
    final = pd.read_parquet(out.table_path)
    pd.testing.assert_frame_equal(final.set_index("scenario_id"), df)  # sorted, one per id
    assert pq.read_schema(out.table_path).field("load_mwh").metadata[b"units"] == b"MWh"
    best, worst = out.summary["best_scenario_ids"][0], out.summary["worst_scenario_ids"][0]
    assert df.loc[best, "onsite_share"] == df["onsite_share"].max()
    assert df.loc[worst, "onsite_share"] == df["onsite_share"].min()
    d = out.summary["kpis"]["onsite_share"]
    assert d["min"] <= d["p10"] <= d["p50"] <= d["p90"] <= d["max"]
    # another sweep into the same folder is refused, nothing is mixed
    other = write_sweep(park_dir, MIXED, samples=3, name="other.toml")
    with pytest.raises(ConfigError, match="n_scenarios"):
        run_sweep(other, park_dir / "out", n_workers=1, processes=False, progress=False)
    # so is the same sweep after its input data changed
    cf = pd.read_csv(park_dir / "cf.csv")
    cf["wind"] *= 0.9
    cf.to_csv(park_dir / "cf.csv", index=False)
    with pytest.raises(ConfigError, match="data_sha256"):
        run_sweep(path, park_dir / "out", n_workers=1, processes=False, progress=False)


def test_kpi_columns_are_the_accounting_kpis(park_dir):
    park = load_park(park_dir / "park.toml")
    from energysim.dispatch import TOTAL_KEYS

    totals = dict.fromkeys(TOTAL_KEYS, 1.0) | {"load_mwh": 10.0}
    flat = flatten_kpis(kpis_from_totals(totals, park, park.capacities()))
    assert set(flat) == set(KPI_COLUMNS)


@pytest.mark.parametrize("variant", ["base", "grey green, big park", "no clean target"])
def test_columnar_kpis_equal_kpis_from_totals(park_dir, variant):
    """The sweep's array KPIs against the accounting's scalar ones, scenario by scenario,
    on random totals with the edge cases (no load, no imports, no capacity, no battery).
    """
    from energysim.accounting import TOTAL_KEYS
    from energysim.config import Capacities
    from energysim.sweep.kpis import kpi_columns

    park = load_park(park_dir / "park.toml")
    if variant == "grey green, big park":
        park = park.with_values({"indicators.green_import_counts_zero_carbon": False,
                                 "indicators.other_energy_tce": 8.5e5,  # straddles 1 Mtce
                                 "grid.export_price_per_mwh": 120.0})
    if variant == "no clean target":
        park = park.with_values({"targets.clean_share": None,
                                 "indicators.max_co2_per_tce": 0.25})
    rng = np.random.default_rng(5)
    n = 400
    totals = {k: rng.uniform(0, 2e6, n) for k in TOTAL_KEYS}
    caps = rng.uniform(0, 500, (n, 4))
    zero = rng.random((n, 6)) < 0.1
    totals["load_mwh"][zero[:, 0]] = 0.0
    totals["import_green_mwh"][zero[:, 1]] = 0.0
    totals["import_regular_mwh"][zero[:, 1]] = 0.0
    totals["onsite_served_mwh"][zero[:, 2]] = 0.0
    caps[zero[:, 3], 0] = 0.0
    caps[zero[:, 4], 2:] = 0.0
    totals["unmet_mwh"] = np.minimum(totals["unmet_mwh"], totals["load_mwh"])
    totals["unmet_mwh"][zero[:, 5]] = totals["load_mwh"][zero[:, 5]]  # nothing served
    cols = kpi_columns(totals, park, caps)
    for i in range(n):
        c = Capacities(pv_mw=caps[i, 0], wind_mw=caps[i, 1], battery_mwh=caps[i, 2],
                       battery_mw=caps[i, 3])
        ref = flatten_kpis(kpis_from_totals({k: float(v[i]) for k, v in totals.items()}, park, c))
        for k in KPI_COLUMNS:
            a, b = cols[k][i], ref[k]
            if isinstance(b, bool) or b is None:
                assert (None if a is None else bool(a)) == b, (i, k, a, b)
            elif math.isnan(b):
                assert math.isnan(a), (i, k, a)
            else:
                assert a == pytest.approx(b, rel=1e-13, abs=1e-300), (i, k, a, b)


def test_parameter_kinds():
    assert parameter_kind("pv.capacity_mw") == "capacity"
    assert parameter_kind("pv.capex_per_kw") == "kpi"
    assert parameter_kind("targets.onsite_share") == "kpi"
    assert parameter_kind("battery.roundtrip_efficiency") == "dispatch"
    assert parameter_kind("weather.year") == "profile"
    assert parameter_kind("load.annual_mwh") == "profile"
    assert parameter_kind("pv.tilt_deg") == "profile"  # unknown to be narrower: rebuild


BAD = {
    "unknown field": ('"pv.capex_per_kilowatt" = { values = [1] }', "pv.capex_per_kilowatt"),
    "bad value": ('"pv.capacity_mw" = { values = [10, -5] }', "-5"),
    "not a section": ('"nothing" = { values = [1] }', "nothing"),
    "two kinds": ('"pv.capex_per_kw" = { values = [1], uniform = [1, 2] }', "exactly one"),
    "random without samples": ('"pv.capex_per_kw" = { uniform = [1000, 2000] }', "samples"),
    "uniform reversed": ('"pv.capex_per_kw" = { uniform = [3000, 2000] }', "low <= high"),
    "uniform on text": ('"pv.tracking" = { uniform = [1, 2] }', "numeric"),
    "all years without ensemble": ('"weather.year" = { values = "all" }', "ensemble_path"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_files_name_field_and_value(park_dir, case):
    params, needle = BAD[case]
    samples = 4 if case in ("uniform reversed", "uniform on text") else 0
    path = write_sweep(park_dir, params, samples=samples)
    with pytest.raises(ConfigError) as info:
        load_sweep(path)
    message = str(info.value)
    assert needle in message and "sweep.toml" in message, message


def test_bad_sweep_section_and_base(park_dir):
    path = park_dir / "bad.toml"
    path.write_text('[sweep]\nbase = "park.toml"\nmode = "optimise"\nbatchsize = 3\n'
                    '[parameters]\n"pv.capex_per_kw" = { values = [1000] }\n')
    with pytest.raises(ConfigError) as info:
        load_sweep(path)
    text = str(info.value)
    assert "mode" in text and "'optimise'" in text and "batchsize" in text and "unknown key" in text
    path.write_text('[sweep]\nbase = "missing.toml"\n[parameters]\n'
                    '"pv.capex_per_kw" = { values = [1000] }\n')
    with pytest.raises(ConfigError, match="missing.toml"):
        load_sweep(path)


def test_cli_bad_sweep_exits_2_and_writes_nothing(park_dir, capsys):
    path = write_sweep(park_dir, '"battery.energy_mwh" = { values = [50, "lots"] }')
    out = park_dir / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "battery.energy_mwh" in err and "lots" in err
    assert not out.exists()


def test_cli_sweep_runs_and_resumes(park_dir, capsys):
    path = write_sweep(park_dir, MIXED, samples=2, batch_size=24)
    out = park_dir / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--threads"]) == 0
    text = capsys.readouterr().out
    assert "48 scenarios" in text and "best scenario ids" in text and "onsite_share" in text
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--threads"]) == 0
    assert "computed 0 batches, reused 2" in capsys.readouterr().out
    assert len(read_sweep(out)) == 48


def test_size_mode_matches_sizing_one_by_one(park_dir):
    """Mode = "size": each scenario's least-cost mix and KPIs equal a direct sizing run."""
    from energysim import sizing
    from energysim.profiles import build_profiles

    params = """
"targets.onsite_share" = { values = [0.4, 0.6, 0.999] }
"pv.capex_per_kw" = { values = [2500, 3500] }
"""
    path = write_sweep(park_dir, params, batch_size=2, extra='mode = "size"')
    sw = load_sweep(path)
    run_sweep(sw, park_dir / "out", n_workers=1, processes=False, progress=False)
    df = read_sweep(park_dir / "out")
    assert len(df) == 6
    base = load_park(park_dir / "park.toml")
    for sid, row in df.iterrows():
        park = base.with_values({n: py(row[n]) for n in sw.plan.names})
        try:
            ref = sizing.size(park, build_profiles(park))
        except energysim.EnergysimError as exc:
            assert row["error"] and exc.kind in row["error"], (sid, row["error"])
            assert math.isnan(row["onsite_share"])
            continue
        assert pd.isna(row["error"])
        for c in ("pv_mw", "wind_mw", "battery_mwh", "battery_mw"):
            assert row[c] == pytest.approx(getattr(ref.capacities, c), rel=1e-9, abs=1e-9)
        assert row["onsite_share"] == pytest.approx(ref.sim_onsite_share, rel=1e-9)
    # dearer PV never buys more PV for the same target
    ok = df[df["error"].isna()]
    for share, grp in ok.groupby("targets.onsite_share"):
        cheap, dear = (grp[grp["pv.capex_per_kw"] == v]["pv_mw"].iloc[0] for v in (2500, 3500))
        assert dear <= cheap + 1e-6, share


def _ensemble(path: Path, years=(2001, 2002)) -> Path:
    """A synthetic two-year weather file (energysim format): clear-sky times random clouds."""
    import pvlib

    loc = pvlib.location.Location(39.6, 109.8, altitude=1300)
    rng = np.random.default_rng(42)
    frames = []
    for year in years:
        times = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
        times = times[~((times.month == 2) & (times.day == 29))]
        cs = loc.get_clearsky(times.tz_localize("Etc/GMT-8") + pd.Timedelta(minutes=30))
        cloud = rng.uniform(0.3, 1.0, len(times) // 24 + 1)[np.arange(len(times)) // 24]
        frames.append(pd.DataFrame({
            "time": times.strftime("%Y-%m-%d %H:%M"),
            "ghi": (cs["ghi"].to_numpy() * cloud).round(1),
            "dni": (cs["dni"].to_numpy() * cloud ** 2).round(1),
            "dhi": (cs["dhi"].to_numpy() * (1.5 - 0.5 * cloud)).round(1),
            "temp_air": (8 - 18 * np.cos(2 * np.pi * (times.dayofyear - 15) / 365)).round(1),
            "wind_speed": (rng.weibull(2.0, len(times)) * (6.0 + year - years[0])).round(2),
        }))
    with open(path, "w") as fh:
        fh.write("# energysim weather v1\n# source: synthetic test ensemble\n# latitude: 39.6\n"
                 "# longitude: 109.8\n# altitude_m: 1300\n# utc_offset_h: 8\n"
                 "# wind_height_m: 100\n")
        pd.concat(frames).to_csv(fh, index=False)
    return path


def test_weather_year_sweep_equals_one_by_one(tmp_path):
    """Weather years of the ensemble (modelled PV and wind) against one-by-one simulations."""
    from energysim.profiles import build_profiles
    from energysim.study import year_weathers

    ens = _ensemble(tmp_path / "years.csv")
    (tmp_path / "park.toml").write_text(f"""
[site]
name = "weather-year test park"
latitude = 39.6
longitude = 109.8
altitude_m = 1300
timezone = "Asia/Shanghai"

[weather]
path = "{ens.name}"
ensemble_path = "{ens.name}"

[load]
annual_mwh = 300_000
shape = "industrial_continuous"

[pv]
capacity_mw = 40

[wind]
capacity_mw = 30
turbine = "E-126/4200"
hub_height_m = 120

[battery]
energy_mwh = 40
power_mw = 10
""")
    params = """
"weather.year" = { values = "all" }
"battery.energy_mwh" = { values = [20, 80] }
"grid.green_premium_per_mwh" = { values = [0, 60] }
"""
    path = write_sweep(tmp_path, params, batch_size=3)
    sw = load_sweep(path)
    assert sw.plan.n_scenarios == 8 and list(sw.plan.grid_values["weather.year"]) == [2001, 2002]
    run_sweep(sw, tmp_path / "out", n_workers=2, processes=False, progress=False)
    df = read_sweep(tmp_path / "out")
    base = load_park(tmp_path / "park.toml")
    years = year_weathers(base)
    # battery size and green premium do not change the profiles: one build per year
    profiles = {y: build_profiles(base, weather=wx) for y, wx in years.items()}
    for sid, row in df.iterrows():
        park = base.with_values({n: py(row[n]) for n in sw.plan.names})
        prof = profiles[int(row["weather.year"])]
        ref = flatten_kpis(energysim.simulate(park, park.capacities(), profiles=prof).kpis)
        for k in FLOAT_KPIS:
            if math.isnan(ref[k]):
                assert math.isnan(row[k])
            else:
                assert row[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-9), (sid, k)
    by_year = df.groupby("weather.year")["wind_full_load_hours"].first()
    assert by_year[2002] > by_year[2001]  # the windier year is seen as such


ORDOS_SWEEP = Path(__file__).resolve().parents[1] / "configs" / "sweeps" / "ordos_sensitivity.toml"


def test_shipped_ordos_sweep_is_valid():
    """The worked example: >= 1 000 scenarios over costs, load, weather year and battery size."""
    ensemble = Path(__file__).resolve().parents[1] / "weather" / "ordos" / "years.csv"
    if not ensemble.is_file():
        pytest.skip("weather/ordos/years.csv not generated")
    sw = load_sweep(ORDOS_SWEEP)
    assert sw.plan.n_scenarios >= 1000
    kinds = sw.plan.kinds
    assert kinds["weather.year"] == "profile" and len(sw.plan.grid_values["weather.year"]) >= 10
    assert kinds["load.annual_mwh"] == "profile"
    assert {"battery.energy_mwh", "battery.power_mw"} <= set(kinds)
    assert sum(kinds[n] == "kpi" for n in kinds) >= 3  # the cost draws
    # a batch holds one weather year and one load: one profile build per task
    v = sw.plan.values(*sw.plan.batch_range(7))
    assert len(set(v["weather.year"])) == 1 and len(set(v["load.annual_mwh"])) == 1


def test_lost_task_is_resubmitted_but_user_errors_are_not(park_dir, monkeypatch):
    """An infrastructure failure of a task is retried (once stored, never twice);
    a project error (bad data) stops the sweep at once with that error.
    """
    import energysim.sweep.execute as ex
    from energysim.errors import ProfileError

    path = write_sweep(park_dir, MIXED, samples=2, batch_size=12)  # 4 batches
    original = ex._simulate_batch
    calls = {"n": 0}

    def flaky(park, names, kinds, values):
        if values["scenario_id"][0] == 12:
            calls["n"] += 1
            if calls["n"] <= 2:  # fails twice, then works (3 attempts allowed)
                raise RuntimeError("worker lost its connection")
        return original(park, names, kinds, values)

    monkeypatch.setattr(ex, "_simulate_batch", flaky)
    out = run_sweep(path, park_dir / "out", n_workers=1, processes=False, progress=False)
    assert sorted(out.batches_computed) == [0, 1, 2, 3] and calls["n"] == 3
    assert np.array_equal(np.sort(raw_ids(park_dir / "out")), np.arange(48))

    def broken(park, names, kinds, values):
        calls["broken"] = calls.get("broken", 0) + 1
        raise ProfileError("load profile has a NaN")

    monkeypatch.setattr(ex, "_simulate_batch", broken)
    with pytest.raises(ProfileError, match="NaN"):
        run_sweep(path, park_dir / "out2", n_workers=1, processes=False, progress=False,
                  max_in_flight=1)
    assert calls["broken"] == 1
    assert not list((park_dir / "out2" / "batches").glob("*.parquet"))


@settings(max_examples=60, deadline=None)
@given(dims=st.lists(st.integers(1, 5), min_size=0, max_size=3), samples=st.integers(0, 6),
       batch=st.integers(1, 40), outer=st.booleans())
def test_plan_batches_cover_every_scenario_once(dims, samples, batch, outer):
    """Batches partition the ids; batch-wise values equal the whole list's; every grid
    point meets every draw exactly once.
    """
    from energysim.sweep.spec import Plan

    assume(dims or samples)  # a sweep file varies at least one parameter
    grid = {f"g{i}": np.arange(d) * 10.0 + i for i, d in enumerate(dims)}
    draws = {"r": np.arange(samples) + 0.5} if samples else {}
    plan = Plan(names=[*grid, *draws], kinds=dict.fromkeys([*grid, *draws], "kpi"),
                grid_values=grid, random_values=draws, samples=samples, batch_size=batch,
                samples_outer=outer)
    n = plan.n_scenarios
    assert n == int(np.prod(dims)) * max(samples, 1)
    whole = plan.values(0, n)
    parts = [plan.values(*plan.batch_range(b)) for b in range(plan.n_batches)]
    for key in whole:
        assert np.array_equal(np.concatenate([p[key] for p in parts]), whole[key])
    assert np.array_equal(whole["scenario_id"], np.arange(n))
    combos = set(zip(*(whole[k].tolist() for k in plan.names), strict=True))
    assert len(combos) == n  # no scenario twice, none missing


# --- stages declared by the config fields -------------------------------------------


def _config_fields():
    """Every ``section.key`` of the park config with its FieldInfo."""
    from energysim.config import ParkConfig

    for section, info in ParkConfig.model_fields.items():
        model = getattr(info.annotation, "__args__", (info.annotation,))[0]
        for key, field in getattr(model, "model_fields", {}).items():
            yield f"{section}.{key}", field


def test_every_config_field_has_a_known_stage():
    """Each field's declared stage is one of the sweep's kinds; exactly the capacity table's
    fields are capacities; the narrower stages are declared where the dispatch reads them.
    """
    from energysim.sweep.columns import CAPACITY_FIELDS
    from energysim.sweep.spec import KINDS

    kinds = {name: parameter_kind(name) for name, _ in _config_fields()}
    assert set(kinds.values()) == set(KINDS)
    assert {n for n, k in kinds.items() if k == "capacity"} == set(CAPACITY_FIELDS)
    assert kinds["grid.import_price_per_mwh"] == "profile"  # an hourly profile array
    assert kinds["battery.existing_mwh"] == "profile"  # unknown to be narrower
    assert {n for n, k in kinds.items() if k == "dispatch"} == {
        f"battery.{k}" for k in ("roundtrip_efficiency", "charge_efficiency",
                                 "discharge_efficiency", "self_discharge_per_h", "soc_min",
                                 "soc_max", "soc_initial", "cyclic", "grid_charging")} | {
        f"grid.{k}" for k in ("import_max_mw", "export_max_mw", "green_volume_mwh",
                              "green_matching")} | {
        f"tariff.{k}" for k in ("contracted_kva", "power_factor", "peak_shaving_mw",
                                "shaving_reserve")}


def test_a_wrong_stage_declaration_is_refused(monkeypatch):
    from energysim.config import PVConfig

    field = PVConfig.model_fields["tilt_deg"]
    monkeypatch.setattr(field, "json_schema_extra", {"stage": "kpii"})
    with pytest.raises(ValueError, match="declares stage 'kpii'"):
        parameter_kind("pv.tilt_deg")
    monkeypatch.setattr(field, "json_schema_extra", {"stage": "capacity"})
    with pytest.raises(ValueError, match="capacity"):
        parameter_kind("pv.tilt_deg")


def _other_values(field, current):
    """Valid-looking alternatives to ``current`` for a field (bounds from its metadata)."""
    import typing

    import annotated_types as at

    args = ([a for a in typing.get_args(field.annotation) if a is not type(None)]
            or [field.annotation])
    literals = [v for a in args for v in typing.get_args(a)
                if typing.get_origin(a) is typing.Literal]
    if field.annotation is bool:
        return [not current]
    if typing.get_origin(field.annotation) is typing.Literal or literals:
        options = list(typing.get_args(field.annotation)) + literals
        out = [v for v in options if v != current]
        if float in args or int in args:
            out += [12_345.0, 1e5]
        return out
    if field.annotation is str:
        return ["EUR"]
    lo, hi = -math.inf, math.inf
    for m in field.metadata:
        if isinstance(m, at.Ge | at.Gt):
            lo = max(lo, m.ge if isinstance(m, at.Ge) else m.gt + 1e-6)
        if isinstance(m, at.Le | at.Lt):
            hi = min(hi, m.le if isinstance(m, at.Le) else m.lt - 1e-6)
    base = current if isinstance(current, int | float) else 0.5
    cands = [base * 1.5, base * 0.5, base + 1, base + 0.05, base - 0.05, 0.3, 0.95, 2, 10, 1000]
    if int in args and float not in args:
        cands = [int(round(c)) for c in cands]
    return [c for c in cands if lo <= c <= hi and c != current]


def _profiles_equal(a, b) -> bool:
    return all(np.array_equal(a[v].values, b[v].values, equal_nan=True) for v in a.data_vars)


def modelled_park(folder: Path, weather: str, extra: str = "") -> Path:
    """A park with modelled PV, wind and load on ``weather``; ``extra`` continues [load]."""
    path = folder / "park.toml"
    path.write_text(f"""
[site]
latitude = 39.6
longitude = 109.8
altitude_m = 1300
timezone = "Asia/Shanghai"
[weather]
path = "{weather}"
[pv]
capacity_mw = 50
[wind]
capacity_mw = 30
[load]
annual_mwh = 300_000
{extra}""")
    return path


def test_declared_stages_are_true(tmp_path):
    """A field declared ``kpi`` or ``dispatch`` must not change the hourly profiles (so a sweep
    may share them), and a ``kpi`` field not the dispatch parameters either (so a sweep may
    share one dispatch run): checked field by field on a park with modelled PV, wind and load.
    """
    from energysim.dispatch import dispatch_params
    from energysim.profiles import build_profiles
    from energysim.weather import read_weather_file, write_energysim_csv
    from energysim.weather.shipped import shipped_path

    wx = read_weather_file(shipped_path("ordos/typical_year.csv"), "energysim")
    write_energysim_csv(wx.isel(time=slice(24 * 180, 24 * 194)), tmp_path / "w.csv")
    base = load_park(modelled_park(tmp_path, "w.csv", """
shape = "three_shift"
[battery]
energy_mwh = 40
power_mw = 10
[grid]
green_volume_mwh = 50_000
"""))
    ref, ref_params = build_profiles(base), dispatch_params(base.battery, base.grid)
    checked = []
    for name, field in _config_fields():
        kind = parameter_kind(name)
        if kind not in ("kpi", "dispatch"):
            continue
        section, key = name.split(".")
        current = getattr(getattr(base, section), key)
        for value in _other_values(field, current):
            try:
                park = base.with_values({name: value})
            except ConfigError:
                continue
            break
        else:
            pytest.fail(f"no valid other value found for {name} (current {current!r})")
        assert _profiles_equal(build_profiles(park), ref), f"{name} ({kind}) changes the profiles"
        if kind == "kpi":
            assert dispatch_params(park.battery, park.grid) == ref_params, name
        checked.append(name)
    assert len(checked) >= 50, checked


# --- no import circle ------------------------------------------------------------------


def _imports_of(path: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_sweep_modules_import_no_circle(repo):
    """The sweep package's modules (function-level imports included) form no circle, and none
    reaches a later stage (results writing helpers aside: report, cli).
    """
    package = repo / "energysim" / "sweep"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    graph = {n: {m.rsplit(".", 1)[-1] for m in _imports_of(package / f"{n}.py")
                 if m.startswith("energysim.sweep.")} & names for n in names}
    state: dict[str, int] = {}

    def visit(node, path):
        assert state.get(node) != 1, f"import circle: {' -> '.join([*path, node])}"
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        state[node] = 2

    for n in sorted(names):
        visit(n, [])
    assert {"columns", "driver", "execute", "spec", "summary", "aggregate"} <= names
    assert not graph["execute"] & {"driver", "spec", "store", "summary"}  # worker side alone
    for n in names:
        assert not {m for m in _imports_of(package / f"{n}.py")
                    if m.startswith(("energysim.report", "energysim.cli"))}, n


# --- scenario counts that overflow -------------------------------------------------------

OVERFLOW = {
    # 4 x 65 536 = 2^64: an int64 product wraps to 0 (was reported as a complete empty sweep)
    "wraps to zero": ("\n".join(f'"{f}" = {{ start = 1, stop = 2, num = 65536 }}' for f in (
        "pv.capex_per_kw", "wind.capex_per_kw", "battery.capex_per_kwh", "battery.capex_per_kw")),
        0, "18,446,744,073,709,551,616 scenarios"),
    # 9 x 128 = 2^63: wraps to a negative count
    "wraps negative": ("\n".join(f'"{f}" = {{ start = 0.01, stop = 0.02, num = 128 }}' for f in (
        "pv.capex_per_kw", "pv.fixed_om_per_kw_yr", "wind.capex_per_kw",
        "wind.fixed_om_per_kw_yr", "battery.capex_per_kwh", "battery.capex_per_kw",
        "battery.fixed_om_pct_capex_yr", "grid.green_premium_per_mwh",
        "economics.discount_rate")), 0, "9,223,372,036,854,775,808 scenarios"),
    # a grid times random samples beyond the limit (no draw is made before the count)
    "samples times grid": ('"pv.capex_per_kw" = { values = [2000, 3000, 4000] }\n'
                           '"wind.capex_per_kw" = { uniform = [3000, 5000] }',
                           50_000_000, "150,000,000 scenarios"),
    "huge grid": ("\n".join(f'"{f}" = {{ start = 1, stop = 2, num = 1000000 }}' for f in (
        "pv.capex_per_kw", "wind.capex_per_kw", "battery.capex_per_kwh")), 0,
        "1,000,000,000,000,000,000 scenarios"),
}


@pytest.mark.parametrize("case", sorted(OVERFLOW))
def test_overflowing_scenario_count_is_a_clear_error(park_dir, case, capsys, monkeypatch):
    """A scenario count beyond the limit (counted exactly: no int64 wrap-around to 0 or a
    negative number) stops the CLI with exit 2 before anything is drawn or written.
    """
    from energysim.sweep import spec

    def never(*args, **kwargs):
        raise AssertionError("values drawn before the scenario count was checked")

    monkeypatch.setattr(spec, "_draw_values", never)  # counted from the specs alone
    params, samples, needle = OVERFLOW[case]
    path = write_sweep(park_dir, params, samples=samples)
    out = park_dir / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "[parameters]" in err and "sweep.toml" in err, err
    assert "100,000,000" in err and "Traceback" not in err
    assert not out.exists()


def test_plan_counts_exactly():
    from energysim.sweep.spec import Plan

    dims = {f"g{i}": np.arange(65536.0) for i in range(4)}
    plan = Plan(names=list(dims), kinds=dict.fromkeys(dims, "kpi"), grid_values=dims,
                random_values={}, samples=0, batch_size=10)
    assert plan.n_scenarios == 2**64 and plan.n_batches == -(-(2**64) // 10)


def test_range_with_fractional_step_on_integer_field_is_refused(park_dir):
    """Only a range's ends and a sample of its values are validated (not 10^6 values), which
    still catches an integer field given fractional steps.
    """
    path = write_sweep(park_dir, '"load.seed" = { start = 0, stop = 10, num = 4 }')
    with pytest.raises(ConfigError, match="load.seed"):
        load_sweep(path)


# --- Ctrl-C ------------------------------------------------------------------------------


def _running_in_group(pgid: int) -> list[int]:
    """Processes of a process group that still run (exited ones awaiting their reaper aside)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            alive.append(int(stat.parent.name))
    return alive


def test_ctrl_c_keeps_finished_batches_quietly(tmp_path):
    """Ctrl-C in a terminal (SIGINT to the whole process group) during ``energysim sweep`` on a
    local cluster of worker processes: exit 130 and one line saying how many batches are kept
    and to rerun; no traceback from the driver or the workers; the stored batches are complete;
    no consolidated table, summary or report; no process left; a rerun skips what is kept.
    """
    import subprocess
    import sys

    from energysim.sweep.store import Store
    from energysim.weather.shipped import shipped_path

    modelled_park(tmp_path, shipped_path("ordos/typical_year.csv").as_posix())
    # the load changes the profiles: each scenario runs the PV and wind models on a year
    path = write_sweep(tmp_path, '"load.annual_mwh" = { start = 2e5, stop = 4e5, num = 48 }',
                       batch_size=4)
    out = tmp_path / "out"
    cli = Path(sys.executable).with_name("energysim")
    proc = subprocess.Popen([str(cli), "sweep", str(path), "--out", str(out), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "batches").glob("batch-*.parquet")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    kept = sorted((out / "batches").glob("batch-*.parquet"))
    assert err.strip().splitlines() == [
        f"interrupted — batches kept, rerun to resume ({len(kept)} of 12 batches in {out})"], err
    assert 1 <= len(kept) < 12
    for f in kept:
        ids = pq.read_table(f, columns=["scenario_id"]).column(0).to_numpy()
        b = int(f.stem.split("-")[1])
        assert np.array_equal(ids, np.arange(4 * b, 4 * b + 4))
    assert not ({"scenarios.parquet", "summary.json", "report.html"}
                & {p.name for p in out.iterdir()})
    assert not [p.name for p in (out / "batches").iterdir() if p.name.startswith(".")]
    deadline = time.monotonic() + 10  # workers and all gone with the driver
    while _running_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running_in_group(proc.pid)
    # a rerun keeps the stored batches and computes others
    stamps = {f.name: f.stat().st_mtime_ns for f in kept}

    def stop(batch, n_written):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, out, n_workers=1, processes=False, progress=False, on_batch=stop)
    assert {f.name: f.stat().st_mtime_ns for f in kept} == stamps
    assert len(Store(out).done()) == len(kept) + 1


# --- bounded-memory aggregates of the store ----------------------------------------------

_floats_st = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.one_of(_floats_st, st.sampled_from([0.0, -0.0, 1.0, 1e-300, -2.5])),
                       min_size=0, max_size=300),
       chunk=st.integers(1, 64), qs=st.lists(st.floats(0, 1), min_size=1, max_size=5))
def test_streamed_quantiles_are_numpys(values, chunk, qs):
    """Exact, chunk by chunk: the radix selection gives numpy.quantile (linear) of the finite
    values bit for bit, ties, signed zeros, subnormals and infinities included.
    """
    from energysim.sweep.aggregate import Source, moments, quantiles

    x = np.asarray(values, dtype=np.float64)
    source = Source.of_frame(pd.DataFrame({"x": x}), chunk_rows=chunk)
    got = quantiles(source, ["x"], qs)["x"]
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        assert all(math.isnan(v) for v in got)
        return
    ref = np.quantile(finite, qs)
    assert np.array_equal(np.asarray(got), ref), (got, ref)
    m = moments(source, ["x"])["x"]
    assert (m.n, m.minimum, m.maximum) == (finite.size, finite.min(), finite.max())


def test_streamed_mean_of_values_near_the_float_limit_is_finite():
    """A sum beyond the float range (values near 1e308) is rescaled, not inf: the mean of
    finite values is exact and finite, chunk by chunk; ordinary sums are untouched.
    """
    from energysim.sweep.aggregate import Source, moments

    big = np.array([1.5e308, 1.7e308, -1e308, 1.7e308, 1e-300])
    for chunk in (1, 2, 5):
        m = moments(Source.of_frame(pd.DataFrame({"x": big}), chunk_rows=chunk), ["x"])["x"]
        assert m.mean == pytest.approx(np.mean(big / 8) * 8, rel=1e-15)
        assert math.isfinite(m.mean) and m.scale > 0
    small = np.random.default_rng(1).normal(size=1000)
    m = moments(Source.of_frame(pd.DataFrame({"x": small}), chunk_rows=1000), ["x"])["x"]
    assert (m.scale, m.total, m.mean) == (0, float(small.sum()), float(small.sum()) / 1000)


def _pandas_tornado(table: pd.DataFrame, parameters, kpi, quantile=0.2) -> pd.DataFrame:
    """The in-memory reference (the report's former implementation)."""
    base = float(table[kpi].mean())
    rows = []
    for p in parameters:
        values = pd.to_numeric(table[p], errors="coerce")
        if values.nunique() < 2:
            continue
        lo_cut, hi_cut = values.quantile([quantile, 1 - quantile])
        low = float(table.loc[values <= lo_cut, kpi].mean()) - base
        high = float(table.loc[values >= hi_cut, kpi].mean()) - base
        rows.append({"parameter": p, "low": low, "high": high, "span": abs(high - low)})
    return pd.DataFrame(rows).sort_values("span", kind="stable").reset_index(drop=True)


def test_streamed_aggregates_equal_in_memory_ones(tmp_path):
    """Tornado, extremes and histograms streamed over many small row groups of Parquet batch
    files equal their in-memory counterparts on the whole table.
    """
    from energysim.sweep.aggregate import Source, extremes, histograms, moments, tornado

    rng = np.random.default_rng(4)
    n = 5000
    df = pd.DataFrame({
        "scenario_id": np.arange(n),
        "grid": rng.choice([10.0, 20.0, 30.0, 40.0], n),          # a grid parameter
        "draw": rng.uniform(0, 1, n),                              # a random parameter
        "const": np.full(n, 2.0),                                  # not varied: left out
        "tracking": rng.choice(["fixed", "single_axis"], n),        # text: left out
        "kpi": rng.normal(size=n),
    })
    df["kpi"] += 0.5 * df["draw"] + 0.01 * df["grid"]
    df.loc[rng.random(n) < 0.05, "kpi"] = np.nan
    df.loc[[3, 7], "kpi"] = df.loc[3, "kpi"]  # a tie
    (tmp_path / "batches").mkdir()
    for b, start in enumerate(range(0, n, 700)):
        part = pa.Table.from_pandas(df.iloc[start:start + 700], preserve_index=False)
        pq.write_table(part, tmp_path / "batches" / f"batch-{b:06d}.parquet", row_group_size=97)
    source = Source.of_store(tmp_path)
    source.chunk_rows = 50
    params = ["grid", "draw", "const", "tracking"]
    got, ref = tornado(source, params, "kpi"), _pandas_tornado(df, params, "kpi")
    assert list(got["parameter"]) == list(ref["parameter"]) == ["grid", "draw"]
    np.testing.assert_allclose(got[["low", "high", "span"]], ref[["low", "high", "span"]],
                               rtol=1e-12)
    for sense, sign in (("min", 1), ("max", -1)):
        ok = df["kpi"].notna()
        order = np.lexsort((df["scenario_id"][ok], sign * df["kpi"][ok]))
        ranked = df["scenario_id"][ok].to_numpy()[order]
        assert extremes(source, "kpi", sense) == (list(ranked[:5]), list(ranked[::-1][:5]))
    m = moments(source, ["kpi"])["kpi"]
    edges, counts = histograms(source, {"kpi": (m.minimum, m.maximum)}, bins=17)["kpi"]
    ref_counts, ref_edges = np.histogram(df["kpi"].dropna(), bins=17)
    assert np.array_equal(counts, ref_counts) and np.allclose(edges, ref_edges)


def _big_store(folder: Path, rows: int, n_kpis: int = 48, group: int = 10_000) -> Path:
    """A sweep folder whose scenarios.parquet has ``rows`` rows (~8 bytes x 52 columns each),
    written row group by row group (this process never holds it whole).
    """
    from energysim.sweep.columns import KPI_COLUMNS

    folder.mkdir()
    rng = np.random.default_rng(1)
    names = [c for c in KPI_COLUMNS if not c.endswith(("_met", "_passed"))][:n_kpis]
    writer = None
    for start in range(0, rows, group):
        n = min(group, rows - start)
        cols = {"scenario_id": np.arange(start, start + n), "batch": np.full(n, start // group),
                "pv.capex_per_kw": rng.uniform(2000, 4000, n),
                "battery.energy_mwh": rng.choice([0.0, 100.0, 200.0], n)}
        cols |= {c: rng.uniform(0, 1, n) for c in names}
        table = pa.table(cols)
        writer = writer or pq.ParquetWriter(folder / "scenarios.parquet", table.schema)
        writer.write_table(table)
    writer.close()
    (folder / "manifest.json").write_text(json.dumps({
        "mode": "simulate", "n_scenarios": rows,
        "parameters": {"pv.capex_per_kw": "kpi", "battery.energy_mwh": "capacity"}}))
    (folder / "summary.json").write_text(json.dumps({"n_scenarios": rows,
                                                     "objective": "lcoe_per_mwh"}))
    return folder


_PEAK = """
import resource, sys
import energysim.report, energysim.report.figures, energysim.report.page
from energysim.report import write_report
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
write_report(sys.argv[1])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_report_on_a_large_sweep_store_has_bounded_memory(tmp_path):
    """``energysim report`` streams the store: the peak memory of the report on 300 000 rows
    (~125 MB of values) stays within 40 MB of the same report on 10 000 rows.
    """
    import subprocess
    import sys

    growth = {}
    for rows in (10_000, 300_000):
        folder = _big_store(tmp_path / f"s{rows}", rows)
        done = subprocess.run([sys.executable, "-c", _PEAK, str(folder)], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        growth[rows] = int(done.stdout.split()[-1]) / 1024  # ru_maxrss: KiB on Linux
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert "chart-sweep-histograms" in html and "chart-sweep-tornado" in html
        assert f"{rows:,} scenarios stored" in html
    assert growth[300_000] - growth[10_000] < 40, growth


def test_size_mode_sweep_sizes_robustly_over_weather_years(tmp_path):
    """[sweep] robust: each scenario is the robust sizing of its park over the ensemble's years
    (the same as energysim.size on them), and every weather year meets the target.
    """
    from energysim.ensemble import profiles_by_year

    ens = _ensemble(tmp_path / "years.csv")
    (tmp_path / "park.toml").write_text(f"""
[site]
name = "robust sweep park"
latitude = 39.6
longitude = 109.8
altitude_m = 1300
timezone = "Asia/Shanghai"
[weather]
path = "{ens.name}"
year = 2001
ensemble_path = "{ens.name}"
[load]
annual_mwh = 300_000
[wind]
turbine = "E-126/4200"
[targets]
onsite_share = 0.6
clean_share = 1.0
""")
    path = write_sweep(tmp_path, '"pv.capex_per_kw" = { values = [2500, 3500] }',
                       batch_size=1, extra='mode = "size"\nrobust = "every_year"')
    sw = load_sweep(path)
    assert sw.batch_mode == "size-robust"
    run_sweep(sw, tmp_path / "out", n_workers=1, processes=False, progress=False)
    df = read_sweep(tmp_path / "out")
    base = load_park(tmp_path / "park.toml")
    by_year = profiles_by_year(base)
    for _, row in df.iterrows():
        park = base.with_values({"pv.capex_per_kw": py(row["pv.capex_per_kw"])})
        ref = energysim.size(park, by_year, robustness="every_year")
        assert row["pv_mw"] == pytest.approx(ref.capacities.pv_mw, rel=1e-5, abs=0.01)
        assert row["battery_mwh"] == pytest.approx(ref.capacities.battery_mwh, rel=1e-5, abs=0.01)
        shares = [r["onsite_share"] for r in ref.robust["years"]]
        assert min(shares) >= 0.6 - 1e-6
    bad = write_sweep(tmp_path, '"pv.capex_per_kw" = { values = [2500] }', name="bad.toml",
                      extra='robust = "every_year"')
    with pytest.raises(ConfigError, match='mode = "size"'):
        load_sweep(bad)
