"""Sweep files: the validated schema and the deterministic scenario plan.

A sweep file (TOML) names a base park config and the parameters to vary::

    [sweep]
    base = "../ordos.toml"       # park config, relative to this file
    mode = "simulate"            # simulate | size
    seed = 2025                  # random draws (numpy default_rng)
    samples = 100                # random draws; each is combined with every grid point
    batch_size = 10000           # scenarios per Dask task (default 10000; 1 when sizing)
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
its profiles and runs as one Numba sweep. What a parameter changes (its kind,
:func:`parameter_kind`) is declared by the config field itself:
``json_schema_extra={"stage": ...}`` in :mod:`energysim.config`, one of
:data:`KINDS`; a field without a declaration rebuilds the profiles.
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
from energysim.sweep.columns import CAPACITY_FIELDS, KPI_COLUMNS

__all__ = [
    "ParameterSpec",
    "SweepSettings",
    "SweepFile",
    "Sweep",
    "Plan",
    "load_sweep",
    "parameter_kind",
    "KINDS",
    "MAX_SCENARIOS",
]

#: Parameter kinds, slowest-varying first; a config field declares its own as ``stage``:
#: ``profile`` — read to build the hourly profiles (weather, resource and load models; the
#: default, safe: a new profile build); ``dispatch`` — read by
#: :func:`energysim.dispatch.dispatch_params` (same profiles, another dispatch run);
#: ``kpi`` — read only after the dispatch (accounting, costs, targets, indicators, sizing
#: bounds: scenarios share one dispatch run); ``capacity`` — a column of the dispatch core's
#: capacity table (:data:`~energysim.sweep.columns.CAPACITY_FIELDS`).
KINDS = ("profile", "dispatch", "kpi", "capacity")
#: Largest sweep accepted (ids are int64; the store is one row per scenario).
MAX_SCENARIOS = 100_000_000
#: Config fields holding file paths: a relative path in ``[set]`` is taken from the sweep file.
_PATH_FIELDS = {"weather.path", "weather.ensemble_path", "wind.power_curve"}


def config_field(name: str):
    """The pydantic ``FieldInfo`` of config field ``"section.key"``, or None if there is none."""
    section, _, key = name.partition(".")
    info = ParkConfig.model_fields.get(section)
    model = getattr(info, "annotation", None)
    model = getattr(model, "__args__", (model,))[0]  # a section that may be None: X | None
    return getattr(model, "model_fields", {}).get(key)


def parameter_kind(name: str) -> str:
    """What a parameter changes: ``profile``, ``dispatch``, ``kpi`` or ``capacity`` (:data:`KINDS`).

    Read from the config field's ``json_schema_extra={"stage": ...}``; a field
    without one (or an unknown name) is ``profile``: it forces a new profile
    build, the safe default.

    Raises
    ------
    ValueError
        The field declares a stage that is not one of :data:`KINDS`, or
        ``capacity`` without a column in the capacity table (a schema bug).
    """
    info = config_field(name)
    extra = getattr(info, "json_schema_extra", None)
    kind = extra.get("stage", "profile") if isinstance(extra, dict) else "profile"
    if kind not in KINDS or (kind == "capacity") != (name in CAPACITY_FIELDS):
        raise ValueError(f"config field {name} declares stage {kind!r}; one of {KINDS}, "
                         f"'capacity' exactly for {', '.join(CAPACITY_FIELDS)}")
    return kind


Scalar = bool | int | float | str


class ParameterSpec(BaseModel):
    """How one parameter varies.

    Exactly one of ``values``, ``start/stop/num``, ``uniform``, ``choice``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        """Whether the values are random draws (``uniform`` or ``choice``)."""
        return self.uniform is not None or self.choice is not None


class SweepSettings(BaseModel):
    """The ``[sweep]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: Path = Field(..., description="Base park config (TOML), relative to the sweep file.")
    mode: Literal["simulate", "size"] = Field(
        "simulate", description="simulate the capacities, or size the least-cost mix per scenario.")
    robust: Literal["none", "every_year", "cvar", "expected"] = Field(
        "none",
        description="mode = size: size every scenario over the weather years of the base "
                    "park's [weather] ensemble_path with this robustness (energysim.sizing."
                    "robust); none: on the typical year.")
    seed: int = Field(0, ge=0, description="Seed of numpy.random.default_rng for random draws.")
    samples: int = Field(0, ge=0, le=MAX_SCENARIOS,
                         description="Random draws (0: no random parameter).")
    batch_size: int | None = Field(
        None, ge=1, le=1_000_000,
        description="Scenarios per task (default 10000: ~0.1 s of dispatch a task, long enough "
                    "that Dask's per-task costs stay small; 1 when sizing).")
    objective: str = Field("lcoe_per_mwh", description="KPI ranking the best and worst scenarios.")
    sense: Literal["min", "max"] = Field("min", description="Whether lower or higher is better.")


class SweepFile(BaseModel):
    """A whole sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        # Python integers: a product of sizes never wraps around (int64 would, silently)
        self.n_grid = math.prod(len(v) for v in self.grid_values.values())
        self.n_scenarios = self.n_grid * max(self.samples, 1)

    @property
    def n_batches(self) -> int:
        """Number of batches of ``batch_size`` scenarios (the last one may be shorter)."""
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
        """``simulate`` or ``size`` (the ``[sweep] mode``)."""
        return self.spec.sweep.mode

    @property
    def batch_mode(self) -> str:
        """What a batch does: ``simulate``, ``size`` or ``size-robust``."""
        return "size-robust" if self.spec.sweep.robust != "none" else self.mode


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
            msg = ("unknown key" if len(loc) > 1
                   else "unknown section; allowed: sweep, set, parameters")
        elif kind == "missing":
            msg = "required but missing"
        show = kind != "missing" and not isinstance(err.get("input"), dict)
        out.append(problem(msg, source=source, field=where,
                           **({"value": err.get("input")} if show else {})))
    return out


def _is_numeric_field(name: str) -> bool:
    text = str(getattr(config_field(name), "annotation", ""))
    return ("float" in text or "int" in text) and "bool" not in text


_YEARS: dict = {}


def _ensemble_years(park: ParkConfig) -> list[int]:
    """Calendar years of ``[weather] ensemble_path`` (read once per file version)."""
    from energysim.study import year_weathers

    cfg = park.weather
    assert cfg is not None and cfg.ensemble_path is not None, "its callers check both"
    path = Path(cfg.ensemble_path)
    key = (str(path), path.stat().st_mtime_ns, cfg.format, park.site.model_dump_json())
    if key not in _YEARS:
        _YEARS.clear()
        _YEARS[key] = sorted(year_weathers(park))
    return _YEARS[key]


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


def _read_spec(path: Path) -> SweepFile:
    if not path.is_file():
        raise ConfigError(problem("sweep file not found", source=path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(problem(f"not valid TOML: {exc}", source=path)) from None
    try:
        return SweepFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, path), headline=f"invalid sweep file {path}") from None


def _base_park(spec: SweepFile, path: Path) -> tuple[ParkConfig, Path]:
    """The base park with ``[set]`` applied, and the base config's path."""
    base = spec.sweep.base
    base_path = base if base.is_absolute() else path.parent / base
    try:
        park = load_park(base_path)
        if spec.set:
            park = park.with_values(_resolve_set(spec.set, path.parent))
        from energysim.procurement import not_supported

        not_supported(park, "a sweep")
    except ConfigError as exc:
        raise ConfigError([problem(f"base config: {p}", source=path, field="[sweep] base / [set]")
                           for p in exc.problems], headline=f"invalid sweep file {path}") from None
    return park, base_path


def _shape_problems(spec: SweepFile, path: Path) -> list:
    """Names, [set] overlaps, numeric ranges, samples vs random draws, the objective."""
    out = []
    samples = spec.sweep.samples
    has_random = any(p.is_random for p in spec.parameters.values())
    if has_random and samples == 0:
        out.append(problem("random parameters (uniform / choice) need samples >= 1",
                           source=path, field="[sweep] samples", value=0))
    if samples > 0 and not has_random:
        out.append(problem("samples given but no parameter is random (uniform / choice)",
                           source=path, field="[sweep] samples", value=samples))
    for name, pspec in spec.parameters.items():
        where = f"[parameters] {name}"
        section, _, key = name.partition(".")
        if not key or section not in ParkConfig.model_fields or section == "source":
            out.append(problem("not a config field 'section.key'", source=path, field=where))
        elif name in spec.set:
            out.append(problem("both fixed in [set] and varied", source=path, field=where))
        elif (pspec.start is not None or pspec.uniform is not None) and not _is_numeric_field(name):
            out.append(problem("start/stop/num and uniform need a numeric field",
                               source=path, field=where))
    robust = spec.sweep.robust
    if robust != "none" and spec.sweep.mode != "size":
        out.append(problem('robust sizing needs mode = "size"', source=path,
                           field="[sweep] robust", value=robust))
    if robust != "none" and "weather.year" in spec.parameters:
        out.append(problem("robust sizing uses every weather year at once: do not also vary "
                           "weather.year", source=path, field="[sweep] robust", value=robust))
    if spec.sweep.objective not in _objective_names():
        out.append(problem(f"unknown KPI; one of {', '.join(sorted(_objective_names()))}",
                           source=path, field="[sweep] objective", value=spec.sweep.objective))
    return out


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
    assert spec.start is not None and spec.stop is not None and spec.num is not None, (
        "a grid parameter has values or start, stop and num (ParameterSpec)")
    return np.linspace(spec.start, spec.stop, spec.num)


def _grid_size(spec: ParameterSpec, name: str, park: ParkConfig, source: Path) -> int:
    """Number of grid values, without building a range grid."""
    if spec.num is not None:
        return int(spec.num)
    return len(_grid_values(spec, name, park, source))


def _check_count(spec: SweepFile, park: ParkConfig, path: Path) -> int:
    """The exact scenario count (Python integers: no overflow); too many or none is an error."""
    sizes = [_grid_size(p, n, park, path) for n, p in spec.parameters.items() if not p.is_random]
    samples = spec.sweep.samples
    n = math.prod(sizes) * max(samples, 1)
    if not 0 < n <= MAX_SCENARIOS:
        formula = " x ".join([f"{k:,}" for k in sizes]
                             + ([f"{samples:,} samples"] if samples else []))
        raise ConfigError(problem(
            f"{n:,} scenarios ({formula}); a sweep holds 1 to {MAX_SCENARIOS:,}: vary fewer "
            "values or split the sweep", source=path, field="[parameters]", value=n),
            headline=f"invalid sweep file {path}")
    return n


#: Values of a range or of random draws checked against the schema besides its ends.
_SAMPLE_CHECKS = 100


def _values_to_check(pspec: ParameterSpec, values: np.ndarray) -> list:
    """The values that decide validity.

    A range's ends (field bounds and cross-field rules are monotone in one varying value) plus a
    sample of its values (type rules, e.g. an integer field given a fractional step); every
    distinct listed value.
    """
    if pspec.choice is not None:
        return list(pspec.choice)
    if isinstance(pspec.values, list):
        return list(dict.fromkeys(values.tolist()))
    ends = list(pspec.uniform) if pspec.uniform is not None else [values[0], values[-1]]
    take = np.linspace(0, len(values) - 1, min(len(values), _SAMPLE_CHECKS)).astype(np.int64)
    return list(dict.fromkeys([*ends, *np.asarray(values)[take].tolist()]))


def _draw_values(spec: SweepFile, park: ParkConfig, path: Path) -> tuple[dict, dict]:
    """Grid values and random draws of every parameter (draws in file order, one generator)."""
    problems, grid, random = [], {}, {}
    rng = np.random.default_rng(spec.sweep.seed)
    size = max(spec.sweep.samples, 1)
    for name, pspec in spec.parameters.items():
        try:
            if pspec.uniform is not None:
                random[name] = values = rng.uniform(*pspec.uniform, size=size)
            elif pspec.choice is not None:
                random[name] = values = np.asarray(pspec.choice)[
                    rng.integers(0, len(pspec.choice), size=size)]
            else:
                grid[name] = values = _grid_values(pspec, name, park, path)
        except ConfigError as exc:
            problems += exc.problems
            continue
        problems += _check_values(name, _values_to_check(pspec, values), park, path,
                                  spec.sweep.mode)
    if problems:
        raise ConfigError(problems, headline=f"invalid sweep file {path}")
    return grid, random


#: Scenarios per task of a simulate sweep: the dispatch kernel runs ~60 000 Ordos years a
#: second per core, so a task is ~0.15 s (Dask's guidance: tasks well above its ~1 ms
#: overhead; benchmarks/sweep.py: 2 500 per task cost 2.0x the raw sweep, 10 000 1.5x).
DEFAULT_BATCH = 10_000


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; build its plan.

    Raises
    ------
    ConfigError
        Missing file, bad TOML, schema breaks, unknown parameter names, values
        the park config rejects, random parameters without ``samples`` (or the
        reverse), a scenario count beyond :data:`MAX_SCENARIOS` (counted
        exactly, before any value is drawn); every problem names the file,
        field, value and rule.
    """
    path = Path(path)
    spec = _read_spec(path)
    park, base_path = _base_park(spec, path)
    problems = _shape_problems(spec, path)
    if spec.sweep.robust != "none" and not problems:
        if park.weather is None or park.weather.ensemble_path is None:
            problems.append(problem("robust sizing needs [weather] ensemble_path in the base "
                                    "config", source=path, field="[sweep] robust",
                                    value=spec.sweep.robust))
        else:
            park = park.with_values({"sizing.robustness": spec.sweep.robust})
    if problems:
        raise ConfigError(problems, headline=f"invalid sweep file {path}")
    n = _check_count(spec, park, path)
    grid, random = _draw_values(spec, park, path)
    kinds = {name: parameter_kind(name) for name in spec.parameters}
    names = sorted(spec.parameters, key=lambda n: KINDS.index(kinds[n]))  # stable: file order
    settings = spec.sweep
    plan = Plan(
        names=names,
        kinds=kinds,
        grid_values={n: grid[n] for n in names if n in grid},
        random_values={n: random[n] for n in names if n in random},
        samples=settings.samples,
        batch_size=settings.batch_size or (1 if settings.mode == "size" else DEFAULT_BATCH),
        samples_outer=any(kinds[n] == "profile" for n in random),
    )
    assert plan.n_scenarios == n, (plan.n_scenarios, n)
    return Sweep(path=path, spec=spec, park=park, plan=plan, file_sha256=_sha256(path),
                 base_sha256=_sha256(base_path))


def _objective_names() -> set[str]:
    return set(KPI_COLUMNS)
