"""The flagship study: a park's answer to "80 % on-site, green grid power for the rest".

``run_study(park)`` answers, for one park config (``energysim study``):

1. **Configured kit** — the on-site share reached hour by hour, what must be
   bought green, and whether the park meets its on-site and clean targets and
   the zero-carbon park indicators.
2. **Least-cost mix** reaching the on-site target (Pyomo + HiGHS sizing,
   re-simulated through the dispatch core), its cost, and the cost curve over a
   range of shares (the frontier).
3. **Weather years** — the sized system simulated on every year of the
   weather ensemble (``[weather] ensemble_path``): P50 and P90 of the on-site
   share. P90 is the value exceeded in 90 % of years (the 10th percentile),
   the convention of energy-yield assessments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim import simulate, sizing
from energysim import weather as weather_io
from energysim.config import ParkConfig
from energysim.profiles import build_profiles
from energysim.results import Result, atomic_write, write_json
from energysim.sizing.outputs import sizing_record

__all__ = ["StudyResult", "run_study", "weather_year_table", "year_weathers", "DEFAULT_SHARES"]

#: Frontier points of the study: 50 % to 95 % on-site in steps of 5 points.
DEFAULT_SHARES = tuple(np.round(np.arange(0.50, 0.951, 0.05), 2))


@dataclass
class StudyResult:
    """What the study found (see the module docstring for the three questions)."""

    configured: Result
    sized: Result
    sizing: Any  # energysim.sizing.SizingResult
    frontier: pd.DataFrame
    weather_years: pd.DataFrame | None

    def onsite_p50_p90(self) -> tuple[float, float] | None:
        """P50 and P90 on-site share of the sized system across weather years."""
        if self.weather_years is None or self.weather_years.empty:
            return None
        shares = self.weather_years["onsite_share"].to_numpy()
        return float(np.percentile(shares, 50)), float(np.percentile(shares, 10))

    def answer(self) -> dict[str, Any]:
        """The study's answer as plain numbers (``study.json``)."""
        conf, sized = self.configured.kpis, self.sized.kpis
        p = self.onsite_p50_p90()
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
            },
            "frontier": self.frontier.to_dict(orient="records"),
            "weather_years": None
            if self.weather_years is None
            else {
                "n_years": int(len(self.weather_years)),
                "onsite_share_p50": p[0] if p else None,
                "onsite_share_p90": p[1] if p else None,
                "onsite_share_min": float(self.weather_years["onsite_share"].min()),
                "onsite_share_max": float(self.weather_years["onsite_share"].max()),
            },
        }

    def save(self, out_dir: Path) -> dict[str, Path]:
        """Write the configured run (summary.json, flows.nc), the sized run
        (sized/summary.json, sized/flows.nc), sizing.json, frontier.csv,
        weather_years.csv and study.json into ``out_dir``."""
        out_dir = Path(out_dir)
        paths = self.configured.save(out_dir)
        sized_paths = self.sized.save(out_dir / "sized")
        paths["sized_summary"] = sized_paths["summary"]
        paths["frontier"] = atomic_write(
            out_dir / "frontier.csv", lambda tmp: self.frontier.to_csv(tmp, index=False)
        )
        paths["sizing"] = write_json(
            out_dir / "sizing.json",
            sizing_record(self.sizing, self.sized.kpis, self.configured.park.targets.onsite_share),
        )
        if self.weather_years is not None:
            wy = self.weather_years
            paths["weather_years"] = atomic_write(
                out_dir / "weather_years.csv", lambda tmp: wy.to_csv(tmp, index=False)
            )
        paths["study"] = write_json(out_dir / "study.json", self.answer())
        return paths


def year_weathers(park: ParkConfig) -> dict[int, xr.Dataset]:
    """Each calendar year of the weather ensemble, as its own Weather Dataset.

    The one split of ``[weather] ensemble_path`` into years, shared by the
    study's weather-year table and sweeps over ``weather.year``.
    """
    return weather_io.read_ensemble_years(park.weather, park.site)


def weather_year_table(park: ParkConfig, capacities,
                       weathers: dict[int, xr.Dataset] | None = None) -> pd.DataFrame | None:
    """Simulate ``capacities`` on every year of the weather ensemble; one row of KPIs per year.

    ``weathers``: the ensemble's years already read (:func:`year_weathers`).
    """
    rows = []
    for year, wx in (year_weathers(park) if weathers is None else weathers).items():
        result = simulate(park, capacities, profiles=build_profiles(park, weather=wx))
        k = result.kpis
        rows.append({
            "year": year,
            "onsite_share": k["onsite_share"],
            "clean_share": k["clean_share"],
            "import_green_mwh": k["import_green_mwh"],
            "pv_full_load_hours": k["pv_full_load_hours"],
            "wind_full_load_hours": k["wind_full_load_hours"],
            "curtailment_share": k["curtailment_share"],
            "annualized_cost": k["annualized_cost"],
        })
    return pd.DataFrame(rows) if rows else None


def run_study(
    park: ParkConfig,
    shares: Sequence[float] = DEFAULT_SHARES,
    *,
    representative_days: int | None = None,
) -> StudyResult:
    """Answer the flagship questions for ``park`` (module docstring).

    Parameters
    ----------
    park : ParkConfig
    shares : sequence of float
        On-site shares of the frontier [0-1].
    representative_days : int, optional
        Size on representative days (quick screening); the result is still
        re-simulated on the full year.
    """
    profiles = build_profiles(park)
    weathers = year_weathers(park)  # read and checked before any solve
    configured = simulate(park, profiles=profiles)
    sized_lp = sizing.size(park, profiles, representative_days=representative_days)
    # sizing already re-simulated its capacities through the dispatch core
    sized = Result.from_flows(park, sized_lp.capacities, profiles, sized_lp.flows,
                              solver=vars(sized_lp.solver))
    frontier = sizing.frontier(park, profiles, shares)
    years = weather_year_table(park, sized_lp.capacities, weathers)
    return StudyResult(configured=configured, sized=sized, sizing=sized_lp,
                       frontier=frontier, weather_years=years)
