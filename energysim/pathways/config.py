"""Pathway files: a base park config plus investment periods that change it.

A pathway file (TOML) names a ``base`` park config and lists ``[[period]]``
entries. Each period has a ``year``, optionally the number of years it stands
for (``weight_yr``), and overrides of the base config written with the
canonical config keys, either as dotted keys or as sub-tables::

    base = "../ordos.toml"
    representative_days = 12

    [[period]]
    year = 2025
    load.annual_mwh = 10_000_000
    targets.onsite_share = 0.7

    [[period]]
    year = 2030
    [period.pv]
    capex_per_kw = 2500

Each period's park is the base with that period's overrides applied through
:meth:`energysim.config.ParkConfig.with_values` (so it is validated like any
park). Overrides do not carry over: a period changes the *base*, not the
previous period. Every problem is a :class:`~energysim.errors.ConfigError`
naming the pathway file, the field (``period[2] (2030) pv.capex_per_kw``),
the value and the rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from energysim.config import ParkConfig, load_park
from energysim.errors import ConfigError, Problem, problem

__all__ = ["PeriodConfig", "PathwayConfig", "Pathway", "load_pathway", "pathway_from_dict"]

#: Keys of a period that are not config overrides.
_PERIOD_KEYS = ("year", "weight_yr")
#: Override keys whose string values are file references, resolved against the pathway's folder.
_FILE_KEYS = {"profile", "import_price", "emission_factor", "power_curve", "path"}


class PeriodConfig(BaseModel):
    """One investment period: its first year, the years it stands for, and config overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(..., ge=1900, le=2200, description="First calendar year of the period.")
    weight_yr: int | None = Field(
        None,
        ge=1,
        le=100,
        description=(
            "Years the period stands for (its operation and asset annuities are counted this "
            "many years, discounted year by year); default: the gap to the next period, and for "
            "the last period the gap from the previous one (1 for a single period)."
        ),
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description='Base-config changes as {"section.key": value}, e.g. '
                    '{"pv.capex_per_kw": 2500}.',
    )

    @model_validator(mode="before")
    @classmethod
    def _collect_overrides(cls, data: Any) -> Any:
        """Every key but ``year``/``weight_yr`` is a config override.

        Flatten them to ``section.key``.
        """
        if not isinstance(data, dict) or "overrides" in data:
            return data
        out = {k: data[k] for k in _PERIOD_KEYS if k in data}
        out["overrides"] = _flatten({k: v for k, v in data.items() if k not in _PERIOD_KEYS})
        return out


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested tables of overrides to dotted keys.

    ``{"pv": {"capex_per_kw": 1}}`` and ``{"pv.capex_per_kw": 1}`` -> ``{"pv.capex_per_kw": 1}``.
    """
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name.count(".") == 0:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class PathwayConfig(BaseModel):
    """A multi-period transition pathway: base park, periods, discounting and horizon options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, max_length=200, description="Display name of the pathway.")
    base: Path = Field(..., description="Park config the periods modify (relative to this file).")
    base_year: int | None = Field(
        None, ge=1900, le=2200,
        description="Year costs are discounted to; default the first period's year.",
    )
    discount_rate: float | None = Field(
        None, ge=0, le=0.5,
        description="Real discount rate [-]; default the base park's economics.discount_rate.",
    )
    representative_days: int | None = Field(
        None, ge=2, le=366,
        description=(
            "Optimise each period on this many typical days (tsam, hierarchical clustering, "
            "medoid days); every period is then re-simulated on its full year. None: full horizon."
        ),
    )
    representative_period_h: int = Field(
        24, ge=2, le=8760,
        description=(
            "Length of a typical period [h]: 24 = typical days, 168 = typical weeks (keep "
            "multi-day wind lulls; the battery carries energy between the days of a week)."
        ),
    )
    period: list[PeriodConfig] = Field(..., min_length=1,
                                       description="Investment periods, in order.")

    @model_validator(mode="after")
    def _years_ordered(self):
        years = [p.year for p in self.period]
        for a, b in zip(years, years[1:], strict=False):
            if b <= a:
                raise ValueError(f"period years must strictly increase, got {years}")
        if self.base_year is not None and self.base_year > years[0]:
            raise ValueError(f"base_year {self.base_year} is after the first period ({years[0]})")
        return self


@dataclass(frozen=True)
class Pathway:
    """A loaded pathway: its config, the base park and one validated park per period.

    ``weights_yr`` are the years each period stands for; ``discount_rate`` and
    ``base_year`` the resolved discounting options.
    """

    config: PathwayConfig
    base: ParkConfig
    parks: tuple[ParkConfig, ...]
    years: tuple[int, ...]
    weights_yr: tuple[int, ...]
    discount_rate: float
    base_year: int
    source: Path | None = None

    @property
    def name(self) -> str:
        """Display name: ``name`` of the file, else its stem, else the base park's site."""
        if self.config.name:
            return self.config.name
        return self.source.stem if self.source is not None else self.base.site.name


def _loc(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(file)"


def _validation_problems(exc: ValidationError, source: Path | None) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        kind = err.get("type")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if kind == "extra_forbidden":
            msg = f"unknown key; allowed: {', '.join(PathwayConfig.model_fields)}"
        elif kind == "missing":
            msg = "required but missing"
        show = kind != "missing" and not isinstance(err.get("input"), dict)
        out.append(problem(msg, source=source, field=_loc(tuple(err.get("loc", ()))),
                           **({"value": err.get("input")} if show else {})))
    return out


def _resolve_files(overrides: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """File references in overrides are relative to the pathway file, like in a park file."""
    if base_dir is None:
        return overrides
    out = {}
    for key, value in overrides.items():
        name = key.rpartition(".")[2]
        if name in _FILE_KEYS and isinstance(value, str):
            path_text, colon, column = value.rpartition(":") if name != "path" else (value, "", "")
            path = Path(path_text)
            if not path.is_absolute():
                path = (base_dir / path).resolve()
            value = f"{path}{colon}{column}"
        out[key] = value
    return out


def _weights(years: list[int], given: list[int | None]) -> list[int]:
    gaps = [b - a for a, b in zip(years, years[1:], strict=False)]
    default = gaps + [gaps[-1] if gaps else 1]
    return [g if g is not None else d for g, d in zip(given, default, strict=True)]


def pathway_from_dict(data: dict[str, Any], *, source: Path | None = None,
                      base_dir: Path | None = None) -> Pathway:
    """Validate a pathway given as a dict (as read from TOML); build every period's park.

    Raises
    ------
    ConfigError
        Naming the pathway file, the field (``period[2] (2030) pv.capex_per_kw``),
        the value and the rule; problems of the base park name the base file.
    """
    try:
        cfg = PathwayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_validation_problems(exc, source),
                          headline=f"invalid pathway {source or ''}".strip()) from None
    base_path = cfg.base if base_dir is None or cfg.base.is_absolute() else base_dir / cfg.base
    if not base_path.is_file():
        raise ConfigError(problem("base park config not found", source=source, field="base",
                                  value=str(cfg.base)))
    base = load_park(base_path)
    parks, problems = [], []
    for i, period in enumerate(cfg.period, start=1):
        where = f"period[{i}] ({period.year})"
        overrides = _resolve_files(period.overrides, base_dir)
        try:
            parks.append(base.with_values(overrides) if overrides else base)
        except ConfigError as exc:
            for p in exc.problems:
                key = p.field if p.field in overrides else _matching_key(p.field, overrides)
                value = overrides.get(key, p.value) if key else p.value
                problems.append(problem(p.rule, source=source, field=f"{where} {key or p.field}",
                                        value=value))
    if problems:
        raise ConfigError(problems, headline=f"invalid pathway {source or ''}".strip())
    years = [p.year for p in cfg.period]
    weights = _weights(years, [p.weight_yr for p in cfg.period])
    rate = base.economics.discount_rate if cfg.discount_rate is None else cfg.discount_rate
    return Pathway(config=cfg, base=base, parks=tuple(parks), years=tuple(years),
                   weights_yr=tuple(weights), discount_rate=rate,
                   base_year=cfg.base_year if cfg.base_year is not None else years[0],
                   source=source)


def _matching_key(field: str | None, overrides: dict[str, Any]) -> str | None:
    """The override a park-validation field like ``[pv] capex_per_kw`` refers to."""
    if not field:
        return None
    text = field.replace("[", "").replace("] ", ".").replace("]", "")
    for key in overrides:
        if text == key or text.startswith(key) or key.startswith(text):
            return key
    section = text.partition(".")[0]
    hits = [k for k in overrides if k.partition(".")[0] == section]
    return hits[0] if len(hits) == 1 else None


def load_pathway(path: str | Path) -> Pathway:
    """Read and validate a pathway TOML file (see the module docstring for the format).

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, schema errors, or a period whose overrides
        make an invalid park.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(problem("pathway file not found", source=path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(problem(f"not valid TOML: {exc}", source=path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(problem(f"not UTF-8 text: {exc}", source=path)) from None
    return pathway_from_dict(data, source=path, base_dir=path.resolve().parent)
