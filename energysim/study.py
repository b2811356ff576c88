"""The flagship study: a park's answer to "80 % on-site, green grid power for the rest".

``run_study(park)`` answers, for one park config (``energysim study``):

1. **Configured kit** — the on-site share reached hour by hour, what must be
   bought green, and whether the park meets its on-site and clean targets and
   the zero-carbon park indicators.
2. **Least-cost mix on the typical year** reaching the on-site target
   (sizing on ``[weather] path``, re-simulated through the dispatch core), its
   cost, and the cost curve over a range of shares (the frontier), both on one
   sizing model.
3. **Robust mix over the weather years** (``[weather] ensemble_path``,
   ``[sizing] weather_years`` and ``robustness``, default: the target holds in
   every year): the least-cost mix meeting the target the way the park will be
   judged, certified by re-simulating every year; the **cost of robustness**
   (robust minus typical-year annualised cost, per year and per MWh of load).
4. **Weather years** — both mixes simulated on every weather year: the on-site
   share year by year, how many years each meets the target, P50 and P90 (P90
   is the value exceeded in 90 % of years, the 10th percentile, the convention
   of energy-yield assessments).
5. **Years of life** — the committed mix (robust, else typical-year) simulated
   over ``economics.project_life_yr`` with battery fade and replacement, PV
   degradation and load growth (:mod:`energysim.lifetime`): does it still reach
   the target in its last year; and the least-cost mix that holds it in every
   year of life (:mod:`energysim.sizing.life`) with its extra net present cost.
6. **Flexibility** (a park with ``[electrolyser]`` or ``[load.flexible]``) —
   how much the hydrogen store and the shiftable load lower the least cost of
   the on-site target and the battery needed
   (:func:`energysim.sizing.flexible.flexibility_study`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim import flexible, simulate, sizing
from energysim.config import ParkConfig
from energysim.ensemble import profiles_by_year, year_weathers
from energysim.nomenclature import money
from energysim.procurement import explicit
from energysim.profiles import build_profiles
from energysim.results import Result, atomic_write, write_json
from energysim.sizing.outputs import sizing_record

__all__ = ["StudyResult", "run_study", "weather_year_table", "year_weathers", "DEFAULT_SHARES",
           "procurement_answer"]

#: Frontier points of the study: 50 % to 95 % on-site in steps of 5 points.
DEFAULT_SHARES = tuple(np.round(np.arange(0.50, 0.951, 0.05), 2))
#: Share tolerance of "meets the target" in a weather year (absolute).
MEET_TOLERANCE = 1e-6


@dataclass
class StudyResult:
    """What the study found (see the module docstring for the questions)."""

    configured: Result
    sized: Result
    sizing: Any  # energysim.sizing.SizingResult (typical year)
    frontier: pd.DataFrame
    weather_years: pd.DataFrame | None
    robust: Any = None  # energysim.sizing.SizingResult over the weather years, or None
    robust_sized: Result | None = None  # the robust mix simulated on the typical year
    life: Any = None  # LifetimeResult of the committed mix (robust, else typical-year)
    life_sized: Any = None  # energysim.sizing.life.LifeSizing: the mix for every year of life
    timings_s: dict = field(default_factory=dict)  # wall time of each stage [s]
    skipped: dict = field(default_factory=dict)  # stage -> why it was not run
    flexibility: dict | None = None  # what flexible demand is worth, or None without it

    def onsite_p50_p90(self, column: str = "onsite_share") -> tuple[float, float] | None:
        """P50 and P90 on-site share across weather years (typical mix, or ``column``)."""
        if self.weather_years is None or self.weather_years.empty:
            return None
        shares = self.weather_years[column].to_numpy()
        return float(np.percentile(shares, 50)), float(np.percentile(shares, 10))

    def _years_meeting(self, column: str) -> int:
        target = self.configured.park.targets.onsite_share
        assert self.weather_years is not None, "called from _weather_answer only"
        return int((self.weather_years[column] >= target - MEET_TOLERANCE).sum())

    def _weather_answer(self) -> dict | None:
        if self.weather_years is None:
            return None
        wy = self.weather_years
        p = self.onsite_p50_p90()
        assert p is not None, "the weather-year table has a row per year (never empty)"
        out = {
            "n_years": int(len(wy)),
            "onsite_share_p50": p[0], "onsite_share_p90": p[1],
            "onsite_share_min": float(wy["onsite_share"].min()),
            "onsite_share_max": float(wy["onsite_share"].max()),
            "years_meeting_target": self._years_meeting("onsite_share"),
        }
        if "robust_onsite_share" in wy:
            rp = self.onsite_p50_p90("robust_onsite_share")
            assert rp is not None, "the weather-year table has a row per year (never empty)"
            out.update({"robust_onsite_share_p50": rp[0], "robust_onsite_share_p90": rp[1],
                        "robust_onsite_share_min": float(wy["robust_onsite_share"].min()),
                        "robust_years_meeting_target": self._years_meeting(
                            "robust_onsite_share")})
        return out

    def _robust_answer(self) -> dict | None:
        if self.robust is None:
            return None
        plan = (procurement_answer(self.robust_sized.kpis, self.configured.park)
                if self.robust_sized is not None else None)
        r, typical = self.robust, self.sizing
        load = self.sized.kpis["load_mwh"] - self.sized.kpis["unmet_mwh"]
        extra = r.annualized_cost - typical.annualized_cost
        info = r.solver.extra
        return {
            "robustness": r.robust["robustness"], "cvar_alpha": r.robust["cvar_alpha"],
            "years": [row["year"] for row in r.robust["years"]],
            "capacities": r.capacities.model_dump(),
            "annualized_cost": r.annualized_cost,
            "lcoe_per_mwh": r.annualized_cost / load if load > 0 else None,
            "cost_of_robustness_per_yr": extra,
            "cost_of_robustness_per_mwh": extra / load if load > 0 else None,
            "certified": r.robust["certified"],
            "binding_year": r.robust["binding_year"],
            "method": info.get("method"), "optimality_gap": info.get("gap", 0.0),
            "iterations": info.get("iterations"),
            "procurement": plan,
        }

    def _life_table(self) -> pd.DataFrame:
        """Year of life by year: the committed mix and (when sized) the mix for every year."""
        table = pd.concat([self.life.table[["year", "weather_year"]].reset_index(drop=True),
                           _life_columns(self.life, "")], axis=1)
        if self.life_sized is not None:
            table = pd.concat([table, _life_columns(self.life_sized.life, "life_")], axis=1)
        return table

    def _life_answer(self) -> dict | None:
        if self.life is None:
            return None
        t = self.life.table
        target = self.configured.park.targets.onsite_share
        out = {
            "design": "robust" if self.robust is not None else "least_cost",
            "years": int(len(t)),
            "last_year_onsite_share": float(t["onsite_share"].iloc[-1]),
            "min_onsite_share": float(t["onsite_share"].min()),
            "years_meeting_target": int((t["onsite_share"] >= target - MEET_TOLERANCE).sum()),
            "replacements": int(t["replaced"].sum()),
            "npc": self.life.npc,
        }
        if self.life_sized is not None:
            ls = self.life_sized.answer()
            out["for_life"] = ls
            out["extra_npc_to_hold_target"] = ls["npc"] - self.life.npc
        return out

    def answer(self) -> dict[str, Any]:
        """The study's answer as plain numbers (``study.json``)."""
        conf, sized = self.configured.kpis, self.sized.kpis
        target = self.configured.park.targets.onsite_share
        return {
            "target_onsite_share": target,
            "configured": {
                "capacities": self.configured.capacities.model_dump(),
                "onsite_share": conf["onsite_share"],
                "green_import_mwh": conf["import_green_mwh"],
                "green_import_share": conf["green_import_share"],
                "clean_share": conf["clean_share"],
                "cfe_hourly_score": conf["cfe_hourly_score"],
                "annualized_cost": conf["annualized_cost"],
                "targets": conf["targets"],
                "indicators": conf["indicators"],
            },
            "least_cost": {
                "capacities": self.sized.capacities.model_dump(),
                "onsite_share": sized["onsite_share"],
                "green_import_mwh": sized["import_green_mwh"],
                "annualized_cost": sized["annualized_cost"],
                "lcoe_per_mwh": sized["lcoe_per_mwh"],
                "co2_per_tce": sized["co2_per_tce"],
                "indicators": sized["indicators"],
                "procurement": procurement_answer(sized, self.configured.park),
            },
            "robust": self._robust_answer(),
            "lifetime": self._life_answer(),
            "skipped": self.skipped,
            "frontier": self.frontier.to_dict(orient="records"),
            "weather_years": self._weather_answer(),
        } | ({} if self.flexibility is None else {"flexibility": self.flexibility})

    def save(self, out_dir: Path) -> dict[str, Path]:
        """Write the study's files into ``out_dir``.

        The configured run (summary.json, flows.nc), the typical-year least-cost mix (sized/,
        sizing.json), frontier.csv, the robust mix (robust/, robust.json), weather_years.csv and
        study.json.
        """
        out_dir = Path(out_dir)
        target = self.configured.park.targets.onsite_share
        paths = self.configured.save(out_dir)
        paths["sized_summary"] = self.sized.save(out_dir / "sized")["summary"]
        paths["frontier"] = atomic_write(
            out_dir / "frontier.csv", lambda tmp: self.frontier.to_csv(tmp, index=False))
        paths["sizing"] = write_json(out_dir / "sizing.json",
                                     sizing_record(self.sizing, self.sized.kpis, target))
        if self.robust is not None and self.robust_sized is not None:
            paths["robust_summary"] = self.robust_sized.save(out_dir / "robust")["summary"]
            paths["robust"] = write_json(out_dir / "robust.json", sizing_record(
                self.robust, self.robust_sized.kpis, target))
        if self.weather_years is not None:
            wy = self.weather_years
            paths["weather_years"] = atomic_write(
                out_dir / "weather_years.csv", lambda tmp: wy.to_csv(tmp, index=False))
        if self.life is not None:
            table = self._life_table()
            paths["lifetime"] = atomic_write(
                out_dir / "lifetime.csv", lambda tmp: table.to_csv(tmp, index=False))
        paths["study"] = write_json(out_dir / "study.json", self.answer())
        return paths


def _life_columns(life, prefix: str) -> pd.DataFrame:
    t = life.table
    return pd.DataFrame({f"{prefix}{k}": t[k].to_numpy() for k in
                         ("onsite_share", "battery_soh", "battery_cycles", "replaced", "cost")})


def procurement_answer(kpis: dict[str, Any], park: ParkConfig) -> dict[str, Any]:
    """The procurement plan of a mix in one sentence and its numbers.

    "80 % on-site, the remaining 20 % as N TWh of contracts + M certificates, hourly CFE score
    S, cost C".

    ``contracts_mwh`` is the energy of every green contract (the implicit ``[grid]``
    one included), ``certificates_mwh`` the certificates bought, ``regular_mwh``
    grid power without a green attribute, all per year.
    """
    rows = kpis.get("procurement", [])

    def total(kind):
        return float(sum(r["mwh"] for r in rows if r["kind"] == kind))

    contracts, certs, regular = total("green_contract"), total("certificate"), total("regular")
    onsite, cfe = kpis["onsite_share"], kpis["cfe_hourly_score"]
    cur = park.economics.currency

    def twh(x):
        return f"{x / 1e6:,.2f} TWh" if abs(x) >= 1e5 else f"{x / 1e3:,.1f} GWh"

    uncovered = max(regular - certs, 0.0)
    text = (f"{100 * onsite:.0f} % on-site, the remaining {100 * (1 - onsite):.0f} % as "
            f"{twh(contracts)} of green contracts + {twh(certs)} of certificates"
            + (f" (+ {twh(uncovered)} of regular power)" if uncovered > 1e-6 * kpis["load_mwh"]
               else "")
            + f", hourly CFE score {100 * cfe:.0f} %, cost {money(kpis['annualized_cost'], cur)}"
              f"/yr ({kpis['lcoe_per_mwh']:,.1f} {cur}/MWh)")
    return {"onsite_share": onsite, "contracts_mwh": contracts, "certificates_mwh": certs,
            "regular_mwh": regular, "cfe_hourly_score": cfe, "clean_share": kpis["clean_share"],
            "annualized_cost": kpis["annualized_cost"], "lcoe_per_mwh": kpis["lcoe_per_mwh"],
            "products": rows, "text": text}


def weather_year_table(park: ParkConfig, capacities, profiles: dict[int, xr.Dataset] | None = None,
                       prefix: str = "") -> pd.DataFrame | None:
    """Simulate ``capacities`` on every weather year; one row of KPIs per year.

    ``profiles`` (year -> Profiles Dataset) default to every year of the
    ensemble; ``prefix`` is put before the KPI column names.
    """
    if profiles is None:
        profiles = {y: build_profiles(park, weather=wx) for y, wx in year_weathers(park).items()}
    rows = []
    for year, prof in profiles.items():
        k = simulate(park, capacities, profiles=prof).kpis
        row = {"year": year}
        for key in ("onsite_share", "clean_share", "import_green_mwh", "pv_full_load_hours",
                    "wind_full_load_hours", "curtailment_share", "annualized_cost"):
            row[prefix + key] = k[key]
        rows.append(row)
    return pd.DataFrame(rows) if rows else None


def run_study(
    park: ParkConfig,
    shares: Sequence[float] = DEFAULT_SHARES,
    *,
    representative_days: int | None = None,
    robust: bool = True,
    lifetime: bool = True,
) -> StudyResult:
    """Answer the flagship questions for ``park`` (module docstring).

    Parameters
    ----------
    park : ParkConfig
    shares : sequence of float
        On-site shares of the frontier [0-1].
    representative_days : int, optional
        Size the typical year on representative days (quick screening); the
        result is still re-simulated on the full year.
    robust : bool
        Size over the weather years too (when the config has an ensemble and
        ``[sizing] weather_years`` is not "none").
    lifetime : bool
        Simulate the committed mix over ``economics.project_life_yr`` and size
        the mix that holds the target in every year of it.
    """
    clock = _Clock()
    profiles = clock("profiles", lambda: build_profiles(park))
    by_year = clock("weather_years_profiles", lambda: profiles_by_year(park))  # checked first
    shown = by_year or clock("weather_years_profiles", lambda: profiles_by_year(
        park, "all"))  # "none": no robust sizing, still a table
    configured = clock("configured", lambda: simulate(park, profiles=profiles))
    if representative_days is None:
        sized_lp, frontier = clock("size_and_frontier",
                                   lambda: sizing.size_and_frontier(park, profiles, shares))
    else:
        sized_lp = sizing.size(park, profiles, representative_days=representative_days)
        frontier = sizing.frontier(park, profiles, shares)
    # sizing already re-simulated its capacities through the dispatch core; it may have
    # decided more than capacities (the shift window): the mix is simulated as decided
    mix_park = sized_lp.park or park
    sized = Result.from_flows(mix_park, sized_lp.capacities, profiles, sized_lp.flows,
                              solver=vars(sized_lp.solver))
    years = clock("weather_year_table", lambda: weather_year_table(
        mix_park, sized_lp.capacities, shown) if shown else None)
    robust_lp = robust_sized = life = life_sized = None
    if robust and by_year:
        robust_lp = clock("robust_sizing", lambda: sizing.size(park, by_year))
        robust_sized = simulate(robust_lp.park or park, robust_lp.capacities,
                                profiles=profiles)
        table = pd.DataFrame(robust_lp.robust["years"]).set_index("year")
        for key in ("onsite_share", "clean_share", "annualized_cost"):
            years[f"robust_{key}"] = years["year"].map(table[key]).to_numpy()
    skipped = {}
    if lifetime and explicit(park):
        skipped["lifetime"] = ("the lifetime simulation does not model [[procurement]] products "
                               "yet")
    elif lifetime and (flexible.active(mix_park) or flexible.window_options(park)):
        skipped["lifetime"] = ("the lifetime simulation does not model flexible demand "
                               "([electrolyser], [load.flexible]) yet")
    elif lifetime:
        life, life_sized = clock("lifetime", lambda: _lifetime(
            park, profiles, shown, (robust_lp or sized_lp).capacities))
    flex = None
    if flexible.active(mix_park):
        from energysim.sizing.flexible import flexibility_study

        flex = clock("flexibility", lambda: flexibility_study(mix_park, profiles, sized_lp))
    return StudyResult(configured=configured, sized=sized, sizing=sized_lp,
                       frontier=frontier, weather_years=years, robust=robust_lp,
                       robust_sized=robust_sized, life=life, life_sized=life_sized,
                       timings_s=clock.seconds, skipped=skipped, flexibility=flex)


def _lifetime(park: ParkConfig, profiles: xr.Dataset, by_year: dict, capacities):
    """The committed mix over its life, and the least-cost mix holding the target every year.

    Last-year proxy on the typical year, certified on the weather years cycled.
    """
    from energysim.lifetime import simulate_lifetime
    from energysim.sizing.life import size_for_life

    years = list(by_year.values()) or [profiles]
    life = simulate_lifetime(park, capacities, profiles=years)
    return life, size_for_life(park, profiles, life_profiles=years)


class _Clock:
    """Times named stages: ``clock(name, fn)`` runs ``fn`` and records its wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, fn):
        import time

        t0 = time.perf_counter()
        out = fn()
        self.seconds[name] = time.perf_counter() - t0
        return out
