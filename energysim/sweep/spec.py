"""Sweep files: the validated schema and the deterministic scenario plan.

A sweep file (TOML) names a base park config and the parameters to vary::

    [sweep]
    base = "../ordos.toml"       # park config, relative to this file
    mode = "simulate"            # simulate | size
    seed = 2025                  # random draws (numpy default_rng)
    samples = 100                # random draws; each is combined with every grid point
    batch_size = 2000            # scenarios per Dask task (default 2000; 1 when sizing)
    objective = "lcoe_per_mwh"   # KPI ranking the best / worst scenarios
    sense = "min"                # min | max

    [set]                        # fixed changes to the base, for every scenario
    "weather.ensemble_path" = "../../weather/ordos/years.csv"

    [parameters]
    "pv.capex_per_kw" = { values = [2500, 3000, 3500] }          # a list
    "battery.energy_mwh" = { start = 0, stop = 8000, num = 5 }   # a grid (stop included)
    "load.annual_mwh" = { uniform = [9e6, 11e6] }                # random, uniform
    "weather.year" = { values = "all" }                          # every ensemble year

Any config field given as ``"section.key"`` may be varied (validated with
:meth:`energysim.config.ParkConfig.with_values`), plus ``weather.year`` (a
calendar year of ``[weather] ensemble_path``) and the targets.

Scenarios are the Cartesian product of the grid (``values`` / ``start-stop-num``)
parameters times ``samples`` random draws. Draws come from
``numpy.random.default_rng(seed)``, once, in the driver. Scenario ``i`` is the
``i``-th of this deterministic list (:class:`Plan`), so ids are stable across
runs, worker counts and resumes.

Parameters are ordered so that the ones changing the hourly profiles vary
slowest and the capacities fastest: a batch of consecutive ids then shares
its profiles and runs as one Numba sweep.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from energysim.config import ParkConfig, load_park
from energysim.errors import ConfigError, EnergysimError, problem

__all__ = [
    "ParameterSpec",
    "SweepSettings",
    "SweepFile",
    "Sweep",
    "Plan",
    "load_sweep",
    "parameter_kind",
    "CAPACITY_FIELDS",
    "KINDS",
    "MAX_SCENARIOS",
]

#: Capacity fields: vary inside one Numba sweep (the capacity table) when simulating.
CAPACITY_FIELDS = {
    "pv.capacity_mw": "pv_mw",
    "wind.capacity_mw": "wind_mw",
    "battery.energy_mwh": "battery_mwh",
    "battery.power_mw": "battery_mw",
}
#: Fields read only by the accounting (costs, targets, indicators) and sizing:
#: scenarios differing only in these share one dispatch run.
_KPI_ONLY = {
    "pv": {"capex_per_kw", "fixed_om_per_kw_yr", "lifetime_yr", "min_mw", "max_mw",
           "area_ha_per_mw", "max_area_ha"},
    "wind": {"capex_per_kw", "fixed_om_per_kw_yr", "lifetime_yr", "min_mw", "max_mw",
             "area_ha_per_mw", "max_area_ha", "integer_turbines"},
    "battery": {"capex_per_kwh", "capex_per_kw", "fixed_om_pct_capex_yr", "lifetime_yr",
                "min_mwh", "max_mwh", "min_mw", "max_mw"},
    "grid": {"export_price_per_mwh", "green_premium_per_mwh"},
    "economics": None,  # the whole section
    "targets": None,
    "indicators": None,
    "solver": None,
}
#: Fields read by :func:`energysim.dispatch.dispatch_params`: same profiles, another sweep call.
_DISPATCH = {
    "battery": {"roundtrip_efficiency", "charge_efficiency", "discharge_efficiency",
                "self_discharge_per_h", "soc_min", "soc_max", "soc_initial", "cyclic",
                "grid_charging"},
    "grid": {"import_max_mw", "export_max_mw", "green_volume_mwh", "green_matching"},
}
#: Parameter kinds, slowest-varying first.
KINDS = ("profile", "dispatch", "kpi", "capacity")
#: Largest sweep accepted (ids are int64; the store is one row per scenario).
MAX_SCENARIOS = 100_000_000
#: Config fields holding file paths: a relative path in ``[set]`` is taken from the sweep file.
_PATH_FIELDS = {"weather.path", "weather.ensemble_path", "wind.power_curve"}


def parameter_kind(name: str) -> str:
    """What a parameter changes: ``profile``, ``dispatch``, ``kpi`` or ``capacity``.

    Anything not known to be narrower (site, weather, load, PV and wind
    technology, import price, emission factor, existing capacity) is
    ``profile``: it forces a new profile build, the safe default.
    """
    if name in CAPACITY_FIELDS:
        return "capacity"
    section, _, key = name.partition(".")
    for kind, table in (("kpi", _KPI_ONLY), ("dispatch", _DISPATCH)):
        if section in table and (table[section] is None or key in table[section]):
            return kind
    return "profile"


Scalar = bool | int | float | str


class ParameterSpec(BaseModel):
    """How one parameter varies: exactly one of ``values``, ``start/stop/num``, ``uniform``, ``choice``."""

    model_config = ConfigDict(extra="forbid")

    values: list[Scalar] | Literal["all"] | None = Field(
        None, description='Explicit values (grid), or "all" for every weather year.')
    start: float | None = Field(None, description="First grid value (with stop, num).")
    stop: float | None = Field(None, description="Last grid value, included.")
    num: int | None = Field(None, ge=1, le=1_000_000, description="Number of grid values.")
    uniform: tuple[float, float] | None = Field(
        None, description="Random draws, uniform on [low, high] (needs [sweep] samples).")
    choice: list[Scalar] | None = Field(
        None, description="Random draws among these values, equally likely.")

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k, given in (
            ("values", self.values is not None),
            ("start/stop/num", any(v is not None for v in (self.start, self.stop, self.num))),
            ("uniform", self.uniform is not None),
            ("choice", self.choice is not None)) if given]
        if len(kinds) != 1:
            raise ValueError("give exactly one of values, start/stop/num, uniform, choice"
                             + (f" (got {' and '.join(kinds)})" if kinds else ""))
        if kinds[0] == "start/stop/num" and None in (self.start, self.stop, self.num):
            raise ValueError("start, stop and num go together")
        if isinstance(self.values, list) and not self.values:
            raise ValueError("values must not be empty")
        if self.choice is not None and not self.choice:
            raise ValueError("choice must not be empty")
        if self.uniform is not None:
            low, high = self.uniform
            if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                raise ValueError("uniform needs finite [low, high] with low <= high")
        return self

    @property
    def is_random(self) -> bool:
        return self.uniform is not None or self.choice is not None


class SweepSettings(BaseModel):
    """The ``[sweep]`` table."""

    model_config = ConfigDict(extra="forbid")

    base: Path = Field(..., description="Base park config (TOML), relative to the sweep file.")
    mode: Literal["simulate", "size"] = Field(
        "simulate", description="simulate the capacities, or size the least-cost mix per scenario.")
    seed: int = Field(0, ge=0, description="Seed of numpy.random.default_rng for random draws.")
    samples: int = Field(0, ge=0, le=MAX_SCENARIOS, description="Random draws (0: no random parameter).")
    batch_size: int | None = Field(
        None, ge=1, le=1_000_000, description="Scenarios per task (default 2000; 1 when sizing).")
    objective: str = Field("lcoe_per_mwh", description="KPI ranking the best and worst scenarios.")
    sense: Literal["min", "max"] = Field("min", description="Whether lower or higher is better.")


class SweepFile(BaseModel):
    """A whole sweep file."""

    model_config = ConfigDict(extra="forbid")

    sweep: SweepSettings
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed changes to the base.")
    parameters: dict[str, ParameterSpec] = Field(..., min_length=1)


@dataclass
class Plan:
    """The deterministic scenario list of a sweep, generated batch by batch.

    ``names`` are ordered slowest-varying first (:data:`KINDS`); grid parameters
    form a C-order product of ``grid_values``; each grid point is combined with
    every one of the ``samples`` random draws in ``random_values`` (drawn once).
    Samples vary slowest when a random parameter changes the profiles, fastest
    otherwise.
    """

    names: list[str]
    kinds: dict[str, str]
    grid_values: dict[str, np.ndarray]
    random_values: dict[str, np.ndarray]
    samples: int
    batch_size: int
    samples_outer: bool = False
    n_grid: int = field(init=False)
    n_scenarios: int = field(init=False)

    def __post_init__(self):
        self.n_grid = int(np.prod([len(v) for v in self.grid_values.values()], dtype=np.int64))
        self.n_scenarios = self.n_grid * max(self.samples, 1)

    @property
    def n_batches(self) -> int:
        return -(-self.n_scenarios // self.batch_size)

    def batch_range(self, batch: int) -> tuple[int, int]:
        """First and one-past-last scenario id of ``batch``."""
        start = batch * self.batch_size
        return start, min(start + self.batch_size, self.n_scenarios)

    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Parameter values of scenarios ``start`` … ``stop - 1`` (plus ``scenario_id``)."""
        ids = np.arange(start, stop, dtype=np.int64)
        s = max(self.samples, 1)
        if self.samples_outer:
            grid_idx, sample_idx = ids % self.n_grid, ids // self.n_grid
        else:
            grid_idx, sample_idx = ids // s, ids % s
        out: dict[str, np.ndarray] = {"scenario_id": ids}
        dims = [len(v) for v in self.grid_values.values()]
        unravelled = np.unravel_index(grid_idx, dims) if dims else ()
        grid = dict(zip(self.grid_values, unravelled, strict=True))
        for name in self.names:
            if name in grid:
                out[name] = self.grid_values[name][grid[name]]
            else:
                out[name] = self.random_values[name][sample_idx]
        return out


@dataclass
class Sweep:
    """A validated sweep: its file, settings, base park and plan."""

    path: Path
    spec: SweepFile
    park: ParkConfig  #: the base park with ``[set]`` applied
    plan: Plan
    file_sha256: str
    base_sha256: str

    @property
    def mode(self) -> str:
        return self.spec.sweep.mode


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_files(park: ParkConfig) -> list[Path]:
    """The data files a park reads (weather, ensemble, ready profiles, power curve)."""
    refs = [park.weather.path if park.weather else None,
            park.weather.ensemble_path if park.weather else None,
            park.wind.power_curve]
    refs += [getattr(r, "path", None) for r in (park.pv.profile, park.wind.profile,
                                                 park.load.profile, park.grid.import_price,
                                                 park.grid.emission_factor)]
    return sorted({Path(p) for p in refs if p is not None})


def data_sha256(park: ParkConfig) -> str:
    """One hash over the content of every data file the park reads (resume safety)."""
    h = hashlib.sha256()
    for path in data_files(park):
        h.update(str(path).encode())
        h.update(_sha256(path).encode() if path.is_file() else b"missing")
    return h.hexdigest()


def _problems(exc: ValidationError, source: Path) -> list:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
        where = f"[{loc[0]}] {'.'.join(loc[1:])}".strip() if loc else "(file)"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        kind = err.get("type")
        if kind == "extra_forbidden":
            msg = "unknown key" if len(loc) > 1 else "unknown section; allowed: sweep, set, parameters"
        elif kind == "missing":
            msg = "required but missing"
        show = kind != "missing" and not isinstance(err.get("input"), dict)
        out.append(problem(msg, source=source, field=where,
                           **({"value": err.get("input")} if show else {})))
    return out


def _is_numeric_field(name: str) -> bool:
    section, _, key = name.partition(".")
    model = ParkConfig.model_fields.get(section)
    model = getattr(model, "annotation", None)
    model = getattr(model, "__args__", (model,))[0]
    spec = getattr(model, "model_fields", {}).get(key)
    text = str(getattr(spec, "annotation", ""))
    return ("float" in text or "int" in text) and "bool" not in text


_YEARS: dict = {}


def _ensemble_years(park: ParkConfig) -> list[int]:
    """Calendar years of ``[weather] ensemble_path`` (read once per file version)."""
    from energysim.study import year_weathers

    cfg = park.weather
    path = Path(cfg.ensemble_path)
    key = (str(path), path.stat().st_mtime_ns, cfg.format, park.site.model_dump_json())
    if key not in _YEARS:
        _YEARS.clear()
        _YEARS[key] = sorted(year_weathers(park))
    return _YEARS[key]


def _grid_values(spec: ParameterSpec, name: str, park: ParkConfig, source: Path) -> np.ndarray:
    if spec.values == "all":
        if name != "weather.year":
            raise ConfigError(problem('"all" is only for weather.year; list the values',
                                      source=source, field=f"[parameters] {name}", value="all"))
        if park.weather is None or park.weather.ensemble_path is None:
            raise ConfigError(problem(
                'weather.year = "all" needs [weather] ensemble_path in the base config (or [set])',
                source=source, field=f"[parameters] {name}", value="all"))
        return np.asarray(_ensemble_years(park), dtype=np.int64)
    if spec.values is not None:
        return np.asarray(spec.values)
    return np.linspace(spec.start, spec.stop, spec.num)


def _check_values(name: str, values: list, park: ParkConfig, source: Path, mode: str) -> list:
    """Each distinct value through the config schema; problems naming file/field/value/rule."""
    where = f"[parameters] {name}"
    out = []
    if name in CAPACITY_FIELDS and mode == "size":
        return [problem("capacities are the answer when sizing (mode = \"size\"); vary "
                        "min_mw / max_mw bounds instead", source=source, field=where)]
    if name == "weather.year" and park.weather is not None and park.weather.ensemble_path:
        try:
            years = set(_ensemble_years(park))
        except EnergysimError as exc:
            return list(exc.problems)
        out += [problem(f"not a year of the ensemble {park.weather.ensemble_path} "
                        f"({min(years)}-{max(years)})" if years else "the ensemble has no year",
                        source=source, field=where, value=v)
                for v in values if v not in years]
        return out
    for value in values:
        try:
            park.with_values({name: value.item() if isinstance(value, np.generic) else value})
        except ConfigError as exc:
            rules = "; ".join(p.rule for p in exc.problems)
            out.append(problem(rules, source=source, field=where, value=value))
            if len(out) >= 5:
                break
    return out


def _resolve_set(values: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    return {k: str((base_dir / v).resolve()) if k in _PATH_FIELDS and isinstance(v, str)
            and not Path(v).is_absolute() else v for k, v in values.items()}


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; build its plan.

    Raises
    ------
    ConfigError
        Missing file, bad TOML, schema breaks, unknown parameter names, values
        the park config rejects, random parameters without ``samples`` (or the
        reverse); every problem names the file, field, value and rule.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(problem("sweep file not found", source=path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(problem(f"not valid TOML: {exc}", source=path)) from None
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, path), headline=f"invalid sweep file {path}") from None
    settings = spec.sweep
    base_path = settings.base if settings.base.is_absolute() else path.parent / settings.base
    try:
        park = load_park(base_path)
        if spec.set:
            park = park.with_values(_resolve_set(spec.set, path.parent))
        from energysim.procurement import not_supported

        not_supported(park, "a sweep")
    except ConfigError as exc:
        raise ConfigError([problem(f"base config: {p}", source=path, field="[sweep] base / [set]")
                           for p in exc.problems], headline=f"invalid sweep file {path}") from None

    problems = []
    grid, random = {}, {}
    rng = np.random.default_rng(settings.seed)
    samples = settings.samples
    has_random = any(p.is_random for p in spec.parameters.values())
    if has_random and samples == 0:
        problems.append(problem("random parameters (uniform / choice) need samples >= 1",
                                source=path, field="[sweep] samples", value=0))
    if samples > 0 and not has_random:
        problems.append(problem("samples given but no parameter is random (uniform / choice)",
                                source=path, field="[sweep] samples", value=samples))
    for name, pspec in spec.parameters.items():
        where = f"[parameters] {name}"
        section, _, key = name.partition(".")
        if not key or section not in ParkConfig.model_fields or section == "source":
            problems.append(problem("not a config field 'section.key'", source=path, field=where))
            continue
        if name in spec.set:
            problems.append(problem("both fixed in [set] and varied", source=path, field=where))
            continue
        if (pspec.start is not None or pspec.uniform is not None) and not _is_numeric_field(name):
            problems.append(problem("start/stop/num and uniform need a numeric field",
                                    source=path, field=where))
            continue
        try:
            if pspec.is_random:
                if pspec.uniform is not None:
                    check = list(pspec.uniform)
                    draws = rng.uniform(*pspec.uniform, size=max(samples, 1))
                else:
                    check = list(pspec.choice)
                    draws = np.asarray(pspec.choice)[rng.integers(0, len(pspec.choice),
                                                                   size=max(samples, 1))]
                random[name] = draws
            else:
                values = _grid_values(pspec, name, park, path)
                check = list(dict.fromkeys(values.tolist()))
                grid[name] = values
        except ConfigError as exc:
            problems += exc.problems
            continue
        problems += _check_values(name, check, park, path, settings.mode)
    if problems:
        raise ConfigError(problems, headline=f"invalid sweep file {path}")

    kinds = {name: parameter_kind(name) for name in spec.parameters}
    names = sorted(spec.parameters, key=lambda n: KINDS.index(kinds[n]))  # stable: file order
    batch = settings.batch_size or (1 if settings.mode == "size" else 2000)
    plan = Plan(
        names=names,
        kinds=kinds,
        grid_values={n: grid[n] for n in names if n in grid},
        random_values={n: random[n] for n in names if n in random},
        samples=samples,
        batch_size=batch,
        samples_outer=any(kinds[n] == "profile" for n in random),
    )
    if plan.n_scenarios > MAX_SCENARIOS:
        raise ConfigError(problem(f"too many scenarios (at most {MAX_SCENARIOS:,})", source=path,
                                  field="[parameters]", value=plan.n_scenarios))
    if settings.objective not in _objective_names():
        raise ConfigError(problem(f"unknown KPI; one of {', '.join(sorted(_objective_names()))}",
                                  source=path, field="[sweep] objective", value=settings.objective))
    return Sweep(path=path, spec=spec, park=park, plan=plan, file_sha256=_sha256(path),
                 base_sha256=_sha256(base_path))


def _objective_names() -> set[str]:
    from energysim.sweep.execute import KPI_COLUMNS

    return set(KPI_COLUMNS)
