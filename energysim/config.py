"""Park configuration: the TOML schema, its validation and loading.

A park config is a TOML file with the sections ``[site]``, ``[weather]``,
``[load]``, ``[pv]``, ``[wind]``, ``[battery]``, ``[grid]``, ``[economics]``,
``[targets]`` (canonical key names: DESIGN.md) plus ``[indicators]`` and
``[solver]``. Every numeric field carries its unit in its name where it is not
MW/MWh, has a documented default and bounds. All problems of a file are
gathered into one :class:`~energysim.errors.ConfigError`, each naming the
section and key, the bad value and the rule.

Defaults come from ``FACTS.md`` (sources cited at each field); those without
a citable source are working assumptions. :func:`assumptions` lists the
numbers behind every result with their basis: the source of a sourced value,
"assumption" for an unsourced default, "config" for a value the user gave.

Numbers: every number read is finite (``inf``/``nan`` are errors in every
section) and within documented bounds; a capacity or energy (``*_mw``,
``*_mwh``) between 0 and 1e-6 is an error too (e.g. ``1e-300`` MWh: a typo,
never a park). The park load is at least :data:`MIN_ANNUAL_LOAD_MWH` a year.

Currency: the default prices are CNY (FACTS.md). A config whose
``[economics] currency`` is another must give every price of the assets and
grid it uses in that currency; the error lists the missing keys.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from energysim.errors import ConfigError, problem
from energysim.paths import file_problem, require_file

__all__ = [
    "Capacities",
    "ProfileRef",
    "SiteConfig",
    "WeatherConfig",
    "LoadConfig",
    "TenantConfig",
    "PVConfig",
    "WindConfig",
    "BatteryConfig",
    "ElectrolyserConfig",
    "HydrogenConfig",
    "FlexibleLoadConfig",
    "GridConfig",
    "EconomicsConfig",
    "TargetsConfig",
    "IndicatorsConfig",
    "SolverConfig",
    "SizingConfig",
    "TariffConfig",
    "TariffPeriod",
    "ProcurementConfig",
    "PROCUREMENT_KINDS",
    "EXPORT_NETTING",
    "ParkConfig",
    "load_park",
    "park_from_dict",
    "WEATHER_FORMATS",
    "LOAD_SHAPES",
]

#: Weather file formats understood by :mod:`energysim.weather`.
WEATHER_FORMATS = ("energysim", "tmy3", "tmy2", "epw", "pvgis", "psm3", "csv", "netcdf")
#: Built-in park load shapes (see :mod:`energysim.load`).
LOAD_SHAPES = ("industrial_continuous", "three_shift", "two_shift", "single_shift", "flat")
#: Kinds of ``[[procurement]]`` products (:mod:`energysim.procurement`).
PROCUREMENT_KINDS = ("regular", "green_contract", "certificate")
#: Rules for netting exports against purchases (``[grid] export_netting``).
EXPORT_NETTING = ("none", "annual")

# Largest capacity anyone could mean for one park (MW); beyond it a typo is likelier.
_MAX_MW = 1e6
_MAX_MWH = 1e9
#: Smallest annual park load [MWh/yr] (a 114 W mean): below it a unit typo is likelier.
MIN_ANNUAL_LOAD_MWH = 1.0
#: Non-zero capacities and energies below this [MW, MWh] are typos (e.g. 1e-300), never park data.
_TINY_MW = 1e-6
#: Currency of the default prices (FACTS.md).
DEFAULTS_CURRENCY = "CNY"


class _Section(BaseModel):
    """Base of every config section: unknown keys are errors, numbers finite, frozen.

    A validated section is never assigned to (a change would skip its cross-field rules):
    derive a changed copy with :meth:`ParkConfig.with_values` or ``model_copy(update=...)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _not_tiny(cls, value: Any, info) -> Any:
        name = info.field_name or ""
        if (name.endswith(("_mw", "_mwh")) and "_per_" not in name and isinstance(value, float)
                and 0 < value < _TINY_MW):
            raise ValueError(f"a capacity or energy below {_TINY_MW:g} MW(h) (1 W) is a typo, "
                             "not a park's; write 0 or the value in MW / MWh")
        return value


class ProfileRef(BaseModel):
    """A ready hourly series in a CSV file: ``"file.csv:column"``.

    The path is relative to the config file. Per-unit of capacity for ``pv`` and
    ``wind`` (AC MW per MW), MW for ``load``, money per MWh for prices, t/MWh for
    emission factors.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    column: str

    @classmethod
    def parse(cls, text: str, base_dir: Path | None = None) -> ProfileRef:
        """The reference written ``"file.csv:column"``, its path relative to ``base_dir``."""
        if not isinstance(text, str) or ":" not in text:
            raise ValueError('must be "file.csv:column" (a CSV path, a colon, a column name)')
        path_text, column = text.rsplit(":", 1)
        if not path_text or not column:
            raise ValueError('must be "file.csv:column" (a CSV path, a colon, a column name)')
        path = Path(path_text)
        if base_dir is not None and not path.is_absolute():
            path = _absolute(base_dir / path)
        return cls(path=path, column=column)

    def __str__(self) -> str:
        return f"{self.path}:{self.column}"


def _absolute(path: Path) -> Path:
    """``path`` made absolute and normalised without following links.

    A link loop is reported by the file rule, not raised here.
    """
    return Path(os.path.abspath(path))


def _ordered(section, *pairs: tuple[str, str]) -> None:
    """Raise ValueError when a lower bound field exceeds its upper bound (None: not given)."""
    for low, high in pairs:
        a, b = getattr(section, low), getattr(section, high)
        if a is not None and b is not None and a > b:
            raise ValueError(f"{low} ({a}) must not exceed {high} ({b})")


def _profile_ref(value: Any, info) -> ProfileRef | None:
    if value is None or isinstance(value, ProfileRef):
        return value
    if isinstance(value, dict):  # a dumped ProfileRef (e.g. from ParkConfig.with_values)
        return ProfileRef(**value)
    base = (info.context or {}).get("base_dir") if info is not None else None
    if isinstance(value, str) and "\x00" in value:
        _usable_file(Path(value))  # the NUL rule, before the path is resolved
    ref = ProfileRef.parse(value, base)
    _usable_file(ref.path)
    return ref


def _plausible_load(value: Any) -> Any:
    """An annual load below :data:`MIN_ANNUAL_LOAD_MWH` is a unit typo, not a park.

    A "before" validator: its message wins over the generic tiny-magnitude rule.
    """
    if (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 < value < MIN_ANNUAL_LOAD_MWH):
        raise ValueError(f"an annual load below {MIN_ANNUAL_LOAD_MWH:g} MWh is not a park's "
                         "(annual_mwh is in MWh per year)")
    return value


def _usable_file(path: Path) -> Path:
    """The shared input-file rule (:mod:`energysim.paths`) as a validator error."""
    rule = file_problem(path)
    if rule is not None:
        raise ValueError(f"{rule}: {str(path).replace(chr(0), chr(92) + '0')}")
    return path


def _resolve(value: Path, info) -> Path:
    """A path relative to the config's folder (``base_dir`` in the validation context)."""
    if "\x00" in str(value):
        _usable_file(value)  # the NUL rule, before the path is resolved
    base = (info.context or {}).get("base_dir")
    if base is not None and not value.is_absolute():
        value = _absolute(base / value)
    return value


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------


class SiteConfig(_Section):
    """Where the park is. Coordinates of the Ordos default are approximate modelling values."""

    name: str = Field("park", min_length=1, max_length=200, description="Display name of the park.")
    latitude: float = Field(..., ge=-90, le=90, description="Latitude [deg N].")
    longitude: float = Field(..., ge=-180, le=180, description="Longitude [deg E].")
    altitude_m: float = Field(
        0.0, ge=-500, le=9000, description="Site altitude above sea level [m]; sets air density."
    )
    timezone: str = Field(
        "UTC",
        description="IANA time zone of the site; times are local standard time (no DST).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone; use an IANA name such as 'Asia/Shanghai' or 'Etc/GMT-8'"
            ) from None
        return value


class WeatherConfig(_Section):
    """The weather file feeding the PV and wind models."""

    path: Path = Field(..., description="Weather file, relative to the config file.")
    format: Literal[WEATHER_FORMATS] = Field(  # type: ignore[valid-type]
        "energysim", description=f"File format, one of {', '.join(WEATHER_FORMATS)}."
    )
    year: int | None = Field(
        None, ge=1900, le=2200, description="Pick one calendar year of a multi-year file."
    )
    max_fill_hours: int = Field(
        3,
        ge=0,
        le=48,
        description="Longest run of missing hours filled by interpolation [h]; longer is an error.",
    )
    max_fill_fraction: float = Field(
        0.02, ge=0, le=0.5, description="Largest fraction of hours that may be filled [0-1]."
    )
    ensemble_path: Path | None = Field(
        None,
        description=(
            "Multi-year weather set (same format) for weather-year uncertainty runs "
            "(P50/P90 of the study, sweeps over `weather.year`); whole calendar years."
        ),
    )
    allow_site_mismatch: bool = Field(
        False,
        description=(
            "Accept weather whose own coordinates or altitude differ from [site] (more than "
            "0.5 deg or 200 m); the run then warns loudly. Default: such a file is an error."
        ),
    )

    @field_validator("path", "ensemble_path")
    @classmethod
    def _exists(cls, value: Path | None, info) -> Path | None:
        return None if value is None else _usable_file(_resolve(value, info))


class _Asset(_Section):
    """Shared investment fields of an asset.

    oemof-style: simulate a capacity or size within bounds.
    """

    existing_mw: float = Field(
        0.0, ge=0, le=_MAX_MW, description="Capacity already built, kept when sizing [MW]."
    )
    min_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Lower bound when sizing [MW].",
                          json_schema_extra={"stage": "kpi"})
    max_mw: float = Field(_MAX_MW, ge=0, le=_MAX_MW, description="Upper bound when sizing [MW].",
                          json_schema_extra={"stage": "kpi"})
    lifetime_yr: float = Field(25.0, gt=0, le=100, description="Economic lifetime [yr].",
                               json_schema_extra={"stage": "kpi"})

    @model_validator(mode="after")
    def _bounds_ordered(self):
        _ordered(self, ("min_mw", "max_mw"))
        return self


class TenantConfig(_Section):
    """One more consumer in the park, with its own shape, summed into the park load."""

    name: str = Field("tenant", min_length=1, max_length=200, description="Display name.")
    annual_mwh: float = Field(..., gt=0, le=_MAX_MWH, description="Annual consumption [MWh].")

    _load = field_validator("annual_mwh", mode="before")(_plausible_load)
    shape: Literal[LOAD_SHAPES] = Field(  # type: ignore[valid-type]
        "industrial_continuous",
        description=f"Built-in load shape, one of {', '.join(LOAD_SHAPES)}.",
    )
    noise_pct: float = Field(
        3.0, ge=0, le=50,
        description="Std. dev. of hour-to-hour random variation [% of hourly load].",
    )


class FlexibleLoadConfig(_Section):
    """``[load.flexible]``: the part of the park load that can move in time, or be shed.

    A share of the hourly park load (process loads such as cold stores, pumping,
    charging fleets) can be served up to ``window_h`` hours earlier or later,
    with each day's energy conserved (days are 24-hour blocks from the first
    hour of the run), at most ``max_mw`` at a time. Optionally a further share
    of the load can be shed (not served) at a penalty per MWh. The rules are
    in :mod:`energysim.flexible`. With ``window_options_h`` sizing decides the
    window (:func:`energysim.sizing.flexible.size_window`), each hour of it at
    ``window_cost_per_h_yr``.
    """

    share: float = Field(
        0.0, ge=0, le=1, description="Share of the hourly park load that can be shifted [0-1].")
    window_h: int = Field(
        0, ge=0, le=23,
        description="Shifted energy is served at most this many hours earlier or later [h]; "
                    "each day's energy is conserved.")
    max_mw: float | None = Field(
        None, gt=0, le=_MAX_MW,
        description="Most power the shiftable part may draw [MW] (at least its own peak); "
                    "default: no limit but the window.")
    window_options_h: list[int] | None = Field(
        None, min_length=1, max_length=24,
        description="Candidate windows [h] sizing chooses among: the least annualised cost, "
                    "window_cost_per_h_yr included (ties: the shortest); default: sizing keeps "
                    "window_h. `energysim run` simulates window_h.")
    window_cost_per_h_yr: float = Field(
        0.0, ge=0, le=1e10,
        description="Annual cost of each hour of shift window [money/yr per h] (what enabling "
                    "the shift costs: process buffers, cold-store insulation, tenants' "
                    "compensation); an assumption, no sourced figure: 0 by default.")
    curtailable_share: float = Field(
        0.0, ge=0, lt=1, description="Share of the hourly park load that may be shed [0-1].")
    curtail_penalty_per_mwh: float = Field(
        0.0, ge=0, le=1e5,
        description="Cost of each MWh of load shed [money/MWh] (lost production; config).")

    @model_validator(mode="after")
    def _shares(self):
        if self.share + self.curtailable_share > 1.0:
            raise ValueError(f"share ({self.share}) + curtailable_share "
                             f"({self.curtailable_share}) must not exceed 1")
        if self.window_options_h is not None:
            opts = self.window_options_h
            bad = [w for w in opts if not 0 <= w <= 23]
            if bad or len(set(opts)) != len(opts):
                raise ValueError(f"window_options_h = {opts}: distinct whole hours in 0-23 "
                                 "(a day's energy is conserved within the day)")
            if self.share <= 0:
                raise ValueError("window_options_h needs a shiftable share > 0 (share = 0 has "
                                 "nothing to shift)")
        if self.curtailable_share > 0 and "curtail_penalty_per_mwh" not in self.model_fields_set:
            raise ValueError("a curtailable_share needs curtail_penalty_per_mwh (the cost of a "
                             "MWh not served)")
        return self


class LoadConfig(_Section):
    """The park's electricity demand.

    A built-in shape scaled to an annual energy, or a measured profile.
    """

    annual_mwh: float | None = Field(
        None,
        gt=0,
        le=_MAX_MWH,
        description="Annual consumption [MWh]; Ordos default 10 TWh (FACTS.md: 10 billion kWh "
                    "by 2025).",
    )
    profile: ProfileRef | None = Field(None, description='Measured load "file.csv:column" [MW].')
    shape: Literal[LOAD_SHAPES] = Field(  # type: ignore[valid-type]
        "industrial_continuous",
        description=f"Built-in load shape, one of {', '.join(LOAD_SHAPES)}.",
    )
    noise_pct: float = Field(
        3.0, ge=0, le=50,
        description="Std. dev. of hour-to-hour random variation [% of hourly load].",
    )
    seed: int = Field(0, ge=0, description="Seed of the load noise (results are reproducible).")
    growth_pct_yr: float = Field(
        0.0, ge=-50, le=100,
        description="Load growth per year of life [%/yr], compounded (lifetime runs).")
    tenants: list[TenantConfig] = Field(
        default_factory=list,
        description="More consumers ([[load.tenants]]: name, annual_mwh, shape), added to the "
                    "park load.",
    )
    flexible: FlexibleLoadConfig | None = Field(
        None, description="[load.flexible]: shiftable and curtailable shares of the load.")

    _ref = field_validator("profile", mode="before")(_profile_ref)
    _load = field_validator("annual_mwh", mode="before")(_plausible_load)

    @model_validator(mode="after")
    def _one_source(self):
        if self.profile is not None and (self.annual_mwh is not None or self.tenants):
            raise ValueError("a measured profile excludes annual_mwh and tenants")
        if self.profile is None and self.annual_mwh is None and not self.tenants:
            raise ValueError("give annual_mwh (with shape), tenants, or profile")
        return self


class PVConfig(_Asset):
    """Solar PV plant. Capacity is DC nameplate (MWp); the profile is AC output per MWp."""

    capacity_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="DC nameplate to simulate [MWp].",
                               json_schema_extra={"stage": "capacity"})
    profile: ProfileRef | None = Field(
        None, description='Ready AC output per MWp "file.csv:column" [MW/MWp]; skips the PV model.'
    )
    tilt_deg: float = Field(35.0, ge=0, le=90, description="Module tilt from horizontal [deg].")
    azimuth_deg: float = Field(
        180.0, ge=0, lt=360, description="Module azimuth, clockwise from north [deg]."
    )
    tracking: Literal["fixed", "single_axis"] = Field(
        "fixed", description="fixed tilt, or single-axis N-S trackers with backtracking."
    )
    max_angle_deg: float = Field(60.0, gt=0, le=90, description="Tracker rotation limit [deg].")
    gcr: float = Field(0.35, gt=0, lt=1, description="Ground coverage ratio (backtracking) [-].")
    dc_ac_ratio: float = Field(1.2, ge=0.5, le=3.0, description="DC/AC ratio; AC clipping above.")
    losses_pct: float = Field(
        14.0, ge=0, lt=100, description="DC loss budget (PVWatts' default 14 %) [%]."
    )
    inverter_efficiency_pct: float = Field(
        96.0, gt=50, le=100, description="Nominal inverter efficiency (PVWatts 96 %) [%]."
    )
    gamma_pdc_per_c: float = Field(
        -0.0037, ge=-0.01, le=0, description="Power temperature coefficient [1/degC]."
    )
    albedo: float = Field(0.2, ge=0, le=1, description="Ground reflectance [-].")
    bifaciality: float = Field(
        0.0, ge=0, le=1, description="Rear/front efficiency ratio; 0 = monofacial [-]."
    )
    availability_pct: float = Field(99.0, gt=0, le=100, description="Plant availability [%].")
    degradation_pct_yr: float = Field(
        0.5, ge=0, le=10,
        description="Output decline per year of age [%/yr], compounded (lifetime runs); median "
                    "0.5 %/yr of field studies (Jordan & Kurtz, Prog. Photovolt. 21, 2013).")
    capex_per_kw: float = Field(
        3000.0, ge=0, le=1e5,
        description="Capex per kWp [money/kW]; 3 000 CNY/kW: 2024 PV EPC bids averaged 3.30 CNY/W "
                    "(SMM/Polaris 2025), modules 0.69-0.74 CNY/W in 2025 (FACTS.md).",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_per_kw_yr: float = Field(
        45.0, ge=0, le=1e4,
        description="Fixed O&M [money/kW/yr]; assumption: 1.5 % of capex (no 2024-25 Chinese "
                    "source).",
        json_schema_extra={"stage": "kpi"},
    )
    area_ha_per_mw: float = Field(2.0, ge=0, le=100, description="Land use [ha/MWp].",
                                  json_schema_extra={"stage": "kpi"})
    max_area_ha: float | None = Field(None, ge=0, le=1e7,
                                      description="Land available for PV [ha].",
                                      json_schema_extra={"stage": "kpi"})

    _ref = field_validator("profile", mode="before")(_profile_ref)


class WindConfig(_Asset):
    """Wind farm. Capacity is nameplate MW; the profile is AC output per MW."""

    capacity_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Nameplate to simulate [MW].",
                               json_schema_extra={"stage": "capacity"})
    profile: ProfileRef | None = Field(
        None, description='Ready AC output per MW "file.csv:column" [MW/MW]; skips the wind model.'
    )
    turbine: str | None = Field(
        "E-126/4200", description="windpowerlib turbine library name (e.g. 'E-126/4200')."
    )
    power_curve: Path | None = Field(
        None, description="CSV with columns wind_speed [m/s], power [kW]; replaces `turbine`."
    )
    hub_height_m: float = Field(120.0, gt=10, le=300, description="Hub height [m].")
    wind_profile: Literal["log", "power"] = Field(
        "log", description="Vertical extrapolation: log law (roughness) or power law (Hellman)."
    )
    roughness_length_m: float = Field(
        0.05, gt=0, le=3,
        description="Surface roughness length for the log law [m] (steppe/farmland).",
    )
    hellman_exponent: float = Field(
        1 / 7, gt=0, le=1, description="Power-law (Hellman) exponent [-]."
    )
    losses_pct: float = Field(
        10.0, ge=0, lt=100, description="Farm losses: wake, availability, electrical [%]."
    )
    degradation_pct_yr: float = Field(
        0.0, ge=0, le=10,
        description="Output decline per year of age [%/yr], compounded (lifetime runs); 0 by "
                    "default, 1.6 %/yr measured on the UK fleet (Staffell & Green, Renew. "
                    "Energy 66, 2014).")
    capex_per_kw: float = Field(
        4000.0, ge=0, le=1e5,
        description="Capex [money/kW]; 4 000 CNY/kW: onshore all-in ~4 200 CNY/kW national average "
                    "in 2024, northwest cheapest (CREEI cost report 2024, FACTS.md).",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_per_kw_yr: float = Field(
        100.0, ge=0, le=1e4,
        description="Fixed O&M [money/kW/yr]; assumption: 2.5 % of capex (Wood Mackenzie "
                    "2018: ~2.2 %).",
        json_schema_extra={"stage": "kpi"},
    )
    integer_turbines: bool = Field(
        False, description="Size in whole turbines (MILP) instead of continuous MW.",
        json_schema_extra={"stage": "kpi"},
    )
    area_ha_per_mw: float = Field(
        0.5, ge=0, le=100, description="Land taken (roads, pads) [ha/MW].",
        json_schema_extra={"stage": "kpi"},
    )
    max_area_ha: float | None = Field(None, ge=0, le=1e7,
                                      description="Land available for wind [ha].",
                                      json_schema_extra={"stage": "kpi"})

    _ref = field_validator("profile", mode="before")(_profile_ref)

    @field_validator("power_curve")
    @classmethod
    def _curve_exists(cls, value: Path | None, info) -> Path | None:
        return None if value is None else _usable_file(_resolve(value, info))

    @field_validator("turbine")
    @classmethod
    def _known_turbine(cls, value: str | None) -> str | None:
        if value is None:
            return value
        names = _turbine_names()
        if names and value not in names:
            close = [n for n in names if value.split("/")[0].lower() in n.lower()][:5]
            hint = f" (close: {', '.join(close)})" if close else ""
            raise ValueError(
                f"not in windpowerlib's turbine library{hint}; give a library name or power_curve"
            )
        return value


class BatteryConfig(_Section):
    """Battery storage.

    ``energy_mwh`` is usable energy; ``power_mw`` limits charge and discharge (AC).
    """

    energy_mwh: float = Field(0.0, ge=0, le=_MAX_MWH,
                              description="Usable energy to simulate [MWh].",
                              json_schema_extra={"stage": "capacity"})
    power_mw: float = Field(0.0, ge=0, le=_MAX_MW,
                            description="AC power, charge and discharge [MW].",
                            json_schema_extra={"stage": "capacity"})
    existing_mwh: float = Field(0.0, ge=0, le=_MAX_MWH, description="Energy already built [MWh].")
    existing_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Power already built [MW].")
    min_mwh: float = Field(0.0, ge=0, le=_MAX_MWH, description="Lower bound when sizing [MWh].",
                           json_schema_extra={"stage": "kpi"})
    max_mwh: float = Field(_MAX_MWH, ge=0, le=_MAX_MWH,
                           description="Upper bound when sizing [MWh].",
                           json_schema_extra={"stage": "kpi"})
    min_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Lower bound when sizing [MW].",
                          json_schema_extra={"stage": "kpi"})
    max_mw: float = Field(_MAX_MW, ge=0, le=_MAX_MW, description="Upper bound when sizing [MW].",
                          json_schema_extra={"stage": "kpi"})
    roundtrip_efficiency: float = Field(
        0.88, gt=0, le=1, description="AC round-trip efficiency [-]; one-way = sqrt of it.",
        json_schema_extra={"stage": "dispatch"},
    )
    charge_efficiency: float | None = Field(
        None, gt=0, le=1, description="One-way charge efficiency [-] (overrides the sqrt rule).",
        json_schema_extra={"stage": "dispatch"},
    )
    discharge_efficiency: float | None = Field(
        None, gt=0, le=1, description="One-way discharge efficiency [-] (overrides the sqrt rule).",
        json_schema_extra={"stage": "dispatch"},
    )
    self_discharge_per_h: float = Field(
        0.0, ge=0, le=0.1, description="Fraction of stored energy lost per hour [1/h].",
        json_schema_extra={"stage": "dispatch"},
    )
    soc_min: float = Field(0.0, ge=0, le=1,
                           description="Lowest state of charge [fraction of energy].",
                           json_schema_extra={"stage": "dispatch"})
    soc_max: float = Field(1.0, ge=0, le=1,
                           description="Highest state of charge [fraction of energy].",
                           json_schema_extra={"stage": "dispatch"})
    soc_initial: float = Field(
        0.5, ge=0, le=1, description="State of charge at the start (non-cyclic runs) [fraction].",
        json_schema_extra={"stage": "dispatch"},
    )
    cyclic: bool = Field(True,
                         description="End state of charge equals the start (found by iteration).",
                         json_schema_extra={"stage": "dispatch"})
    grid_charging: bool = Field(
        False,
        description="Allow charging from green imports (origin of stored energy is tracked).",
        json_schema_extra={"stage": "dispatch"},
    )
    dispatch: Literal["rules", "optimal", "rolling"] | None = Field(
        None,
        description=(
            "How the park is operated: rules (load-following core, exact for flat prices), "
            "optimal (perfect-foresight least-cost LP over the horizon) or rolling "
            "(re-optimised every rolling_step_h over rolling_horizon_h). Default: rules, "
            "and optimal where prices vary in time, exports have value, hourly matching or a "
            "demand charge applies (energysim.dispatch.modes)."))
    rolling_step_h: int = Field(
        24, ge=1, le=8784, description="Rolling dispatch: hours applied per re-optimisation [h].")
    rolling_horizon_h: int = Field(
        48, ge=1, le=8784, description="Rolling dispatch: look-ahead of each optimisation [h].")
    rolling_forecast: Literal["perfect", "persistence"] = Field(
        "perfect",
        description="Rolling dispatch forecast beyond the current hour: perfect, or persistence "
                    "(PV, wind and load as 24 h earlier).")
    capex_per_kwh: float = Field(
        450.0, ge=0, le=1e5, description="Energy capex [money/kWh]; FACTS.md LFP 2025 tenders.",
        json_schema_extra={"stage": "kpi"},
    )
    capex_per_kw: float = Field(
        100.0, ge=0, le=1e5, description="Power capex [money/kW]; FACTS.md.",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_pct_capex_yr: float = Field(
        2.0, ge=0, le=50,
        description="Fixed O&M [% of capex per yr]; assumption (no Chinese source).",
        json_schema_extra={"stage": "kpi"},
    )
    lifetime_yr: float = Field(15.0, gt=0, le=100, description="Economic lifetime [yr].",
                               json_schema_extra={"stage": "kpi"})
    degradation: Literal["rainflow", "throughput", "none"] = Field(
        "rainflow",
        description="Cycle fade of lifetime runs: rainflow-counted SoC cycles on the cycle-life "
                    "curve, equivalent full cycles (throughput), or none.")
    cycle_life: float = Field(
        6000.0, gt=0, le=1e6,
        description="Cycles at 100 % depth of discharge to cycle_life_end_soh [cycles]; FACTS.md "
                    "~6 000 for LFP (280 Ah cells, 25 degC).")
    cycle_life_dod_exponent: float = Field(
        1.0, gt=0, le=5,
        description="k of N(DoD) = cycle_life x DoD^-k [-]; 1: every depth delivers the same "
                    "energy over life (LFP fade follows Ah throughput: Wang et al., J. Power "
                    "Sources 196, 2011) (assumption).")
    cycle_life_end_soh: float = Field(
        0.8, gt=0, lt=1, description="State of health at the end of the rated cycle life [-].")
    calendar_fade_pct_yr: float = Field(
        1.3, ge=0, le=20,
        description="Capacity lost per year with time alone [%/yr] (assumption: no sourced figure "
                    "(FACTS.md); grid LFP losing 20-30 % in its first decade at ~1 cycle/day, "
                    "of which ~12 % is cycle fade, leaves 0.8-1.8 %/yr).")
    replace_at_soh: float | None = Field(
        0.7, gt=0, lt=1,
        description="Replace the battery when its state of health falls below this [-] "
                    "(assumption: 70 %, the low end of FACTS.md's end of life); none: never.")
    replace_every_yr: int | None = Field(
        None, ge=1, le=100, description="Also replace the battery every so many years [yr].")
    replacement_cost_decline_pct_yr: float = Field(
        0.0, ge=0, le=50,
        description="Yearly decline of the battery replacement cost from today's capex [%/yr].")

    @model_validator(mode="after")
    def _consistent(self):
        if self.soc_min >= self.soc_max:
            raise ValueError(
                f"soc_min ({self.soc_min}) must be below soc_max ({self.soc_max})"
            )
        if not (self.soc_min <= self.soc_initial <= self.soc_max):
            raise ValueError(
                f"soc_initial ({self.soc_initial}) must lie in [soc_min, soc_max] = "
                f"[{self.soc_min}, {self.soc_max}]"
            )
        _ordered(self, ("min_mwh", "max_mwh"), ("min_mw", "max_mw"))
        if (self.energy_mwh > 0) != (self.power_mw > 0):
            raise ValueError(
                "energy_mwh and power_mw must both be zero (no battery) or both positive"
            )
        return self

    @property
    def eta_charge(self) -> float:
        """One-way charge efficiency [-]."""
        return self.charge_efficiency or math.sqrt(self.roundtrip_efficiency)

    @property
    def eta_discharge(self) -> float:
        """One-way discharge efficiency [-]."""
        return self.discharge_efficiency or math.sqrt(self.roundtrip_efficiency)


#: Lower heating value of hydrogen [kWh/kg]: 120 MJ/kg / 3.6.
LHV_KWH_PER_KG = 120.0 / 3.6
#: Electricity per kg of hydrogen of the default electrolyser system [kWh/kg]: ~4.8 kWh/Nm3 at
#: the AC bus including balance of plant (1 Nm3 = 0.0899 kg); stacks alone quote 4.0-4.7
#: kWh/Nm3 (Longi ALK Hi1 Plus, Nel, John Cockerill; Hydrogen Insight 2023). Illustrative.
ELECTROLYSER_KWH_PER_KG = 53.0


class ElectrolyserConfig(_Section):
    """``[electrolyser]``: water electrolysis, electricity to hydrogen.

    Capacity is electric input MW.

    Consumption counts as park load in the on-site share (see
    :mod:`energysim.accounting`); the hydrogen goes to ``[hydrogen]``.
    """

    power_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Electric input to simulate [MW].")
    existing_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Already built [MW].")
    min_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Lower bound when sizing [MW].")
    max_mw: float = Field(_MAX_MW, ge=0, le=_MAX_MW, description="Upper bound when sizing [MW].")
    specific_consumption_kwh_per_kg: float | None = Field(
        None, gt=33.3, le=200,
        description="Electricity per kg of hydrogen, system at the AC bus [kWh/kg]; default "
                    f"{ELECTROLYSER_KWH_PER_KG:g} (~4.8 kWh/Nm3, illustrative; stacks 4.0-4.7 "
                    "kWh/Nm3, Hydrogen Insight 2023).")
    efficiency_lhv: float | None = Field(
        None, gt=0, lt=1,
        description="Efficiency on the lower heating value (33.33 kWh/kg) instead of "
                    "specific_consumption_kwh_per_kg [-].")
    min_load_fraction: float = Field(
        0.0, ge=0, lt=1,
        description="Least draw in every hour, share of capacity [0-1] (a must-run floor, "
                    "PyPSA's p_min_pu; on/off commitment is not modelled).")
    capex_per_kw: float = Field(
        1500.0, ge=0, le=1e5,
        description="Capex [money/kW]; 1 500 CNY/kW: alkaline 5 MW systems at ~7.5 M CNY in "
                    "Energy China's 2023-24 tender, equipment only (PEM: ~5 670 CNY/kW; "
                    "Hydrogen Insight).")
    fixed_om_pct_capex_yr: float = Field(
        2.0, ge=0, le=50, description="Fixed O&M [% of capex per yr] (assumption).")
    lifetime_yr: float = Field(
        20.0, gt=0, le=100,
        description="Economic lifetime [yr] (assumption; stacks last ~60 000 h, China Hydrogen "
                    "Alliance 2021: replacements not modelled).")

    @model_validator(mode="after")
    def _consistent(self):
        _ordered(self, ("min_mw", "max_mw"))
        if self.specific_consumption_kwh_per_kg is not None and self.efficiency_lhv is not None:
            raise ValueError("give specific_consumption_kwh_per_kg or efficiency_lhv, not both")
        return self

    @property
    def kwh_per_kg(self) -> float:
        """Electricity per kg of hydrogen [kWh/kg]."""
        if self.efficiency_lhv is not None:
            return LHV_KWH_PER_KG / self.efficiency_lhv
        return self.specific_consumption_kwh_per_kg or ELECTROLYSER_KWH_PER_KG


class HydrogenConfig(_Section):
    """``[hydrogen]``: what the electrolyser's hydrogen is for, its store and an optional fuel cell.

    Hydrogen demand is met from the store (a constant ``demand_kg_per_day`` or
    an hourly ``demand_profile`` in kg/h); with ``sale_price_per_kg`` hydrogen
    beyond the demand is sold. Store and fuel cell are sized like the battery
    (``*_kg`` / ``fuel_cell_*_mw`` bounds).
    """

    demand_kg_per_day: float = Field(
        0.0, ge=0, le=1e9, description="Constant hydrogen demand [kg/day].")
    demand_profile: ProfileRef | None = Field(
        None, description='Hourly hydrogen demand "file.csv:column" [kg/h].')
    sale_price_per_kg: float | None = Field(
        None, ge=0, le=1e4, description="Price of hydrogen sold beyond the demand [money/kg].")
    sale_max_kg_per_day: float | None = Field(
        None, gt=0, le=1e9,
        description="Most hydrogen sold a day, spread evenly over its hours [kg/day] (an "
                    "offtake contract); default: no limit.")
    unmet_penalty_per_kg: float | None = Field(
        None, ge=0, le=1e6,
        description="Cost of each kg of demand not met [money/kg]; default 100 x the cost of "
                    "making it from the dearest grid power (as unmet load).")
    storage_kg: float = Field(0.0, ge=0, le=1e9, description="Store to simulate [kg].")
    existing_kg: float = Field(0.0, ge=0, le=1e9, description="Store already built [kg].")
    min_kg: float = Field(0.0, ge=0, le=1e9, description="Lower bound when sizing [kg].")
    max_kg: float = Field(1e9, ge=0, le=1e9, description="Upper bound when sizing [kg].")
    storage_capex_per_kg: float = Field(
        3000.0, ge=0, le=1e6,
        description="Store capex [money/kg] (assumption, illustrative: no sourced Chinese figure "
                    "for stationary compressed-gas storage).")
    storage_fixed_om_pct_capex_yr: float = Field(
        1.0, ge=0, le=50, description="Store fixed O&M [% of capex per yr] (assumption).")
    storage_lifetime_yr: float = Field(
        25.0, gt=0, le=100, description="Store economic lifetime [yr] (assumption).")
    storage_initial_fraction: float = Field(
        0.5, ge=0, le=1,
        description="Store level at the start (first guess if cyclic) [fraction of capacity].")
    cyclic: bool = Field(True, description="End store level equals the start.")
    fuel_cell_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Fuel cell to simulate [MW].")
    fuel_cell_existing_mw: float = Field(0.0, ge=0, le=_MAX_MW,
                                         description="Fuel cell already built [MW].")
    fuel_cell_min_mw: float = Field(0.0, ge=0, le=_MAX_MW,
                                    description="Fuel cell lower bound when sizing [MW].")
    fuel_cell_max_mw: float = Field(
        0.0, ge=0, le=_MAX_MW,
        description="Fuel cell upper bound when sizing [MW]; 0: no fuel cell is built.")
    fuel_cell_efficiency: float = Field(
        0.5, gt=0, le=1, description="Electric efficiency on the LHV [-] (assumption).")
    fuel_cell_capex_per_kw: float = Field(
        3000.0, ge=0, le=1e5,
        description="Fuel cell capex [money/kW] (assumption, illustrative).")
    fuel_cell_fixed_om_pct_capex_yr: float = Field(
        2.0, ge=0, le=50, description="Fuel cell fixed O&M [% of capex per yr] (assumption).")
    fuel_cell_lifetime_yr: float = Field(
        10.0, gt=0, le=100, description="Fuel cell economic lifetime [yr] (assumption).")
    fuel_cell_reserve_h: float = Field(
        24.0, ge=0, le=8760,
        description="Rule-based dispatch: the fuel cell leaves this many hours of the coming "
                    "hydrogen demand in the store [h].")

    _ref = field_validator("demand_profile", mode="before")(_profile_ref)

    @model_validator(mode="after")
    def _consistent(self):
        if self.demand_profile is not None and self.demand_kg_per_day > 0:
            raise ValueError("give demand_kg_per_day or demand_profile, not both")
        _ordered(self, ("min_kg", "max_kg"), ("fuel_cell_min_mw", "fuel_cell_max_mw"))
        return self


class GridConfig(_Section):
    """The grid connection: regular and green imports, exports, prices and emission factor."""

    import_price_per_mwh: float = Field(
        400.0, ge=-1e4, le=1e5,
        description="Flat import price [money/MWh]; assumption: no citable Mengxi industrial "
                    "average."
    )
    import_price: ProfileRef | None = Field(
        None, description='Hourly (time-of-use) import price "file.csv:column" [money/MWh].'
    )
    export_price_per_mwh: float = Field(
        0.0, ge=-1e4, le=1e5, description="Export price [money/MWh].",
        json_schema_extra={"stage": "kpi"},
    )
    import_max_mw: float = Field(1e9, ge=0, le=1e9, description="Import limit [MW].",
                                 json_schema_extra={"stage": "dispatch"})
    export_max_mw: float = Field(0.0, ge=0, le=1e9,
                                 description="Export limit [MW]; 0 = no export.",
                                 json_schema_extra={"stage": "dispatch"})
    green_premium_per_mwh: float = Field(
        30.0, ge=0, le=1e4,
        description="Premium of bundled green power [money/MWh]; assumption: 30-50 CNY/MWh is "
                    "documented for the 2021 launch, certificates traded at 1-6 CNY/MWh in "
                    "2025 (NEA).",
        json_schema_extra={"stage": "kpi"},
    )
    green_volume_mwh: float | Literal["remainder"] = Field(
        "remainder",
        description='Contracted green volume [MWh/yr], or "remainder" (all imports green).',
        json_schema_extra={"stage": "dispatch"},
    )
    green_matching: Literal["annual", "hourly"] = Field(
        "annual", description="Green contract matched over the year or hour by hour.",
        json_schema_extra={"stage": "dispatch"},
    )
    emission_factor_t_per_mwh: float = Field(
        0.5856,
        ge=0,
        le=2,
        description=(
            "CO2 factor of regular imports [t/MWh]; MEE 2022 national factor excluding "
            "market-traded non-fossil power (FACTS.md), for parks that buy green power separately."
        ),
    )
    emission_factor: ProfileRef | None = Field(
        None, description='Hourly emission factor "file.csv:column" [t/MWh].'
    )
    location_emission_factor_t_per_mwh: float = Field(
        0.5306, ge=0, le=2,
        description=(
            "Grid-average CO2 factor of location-based scope 2 [t/MWh] (every MWh drawn from the "
            "grid, green contracts included); MEE/NBS 2023 national average (FACTS.md)."),
    )
    export_netting: Literal[EXPORT_NETTING] = Field(  # type: ignore[valid-type]
        "none",
        description=(
            "Whether exported on-site energy may be netted against purchases: 'none' (exports "
            "are sold and count toward nothing), or 'annual' (\"sell surplus, buy back green\": "
            "exported on-site MWh keep their renewable attribute and cover the same MWh of "
            "regular imports over the year in the clean share and market-based CO2; never in "
            "the on-site share or the hourly CFE score)."),
    )

    _ref = field_validator("import_price", "emission_factor", mode="before")(_profile_ref)

    @field_validator("green_volume_mwh")
    @classmethod
    def _volume(cls, value):
        if not isinstance(value, str) and not (0 <= value <= _MAX_MWH):
            raise ValueError(f"must be 'remainder' or a number in [0, {_MAX_MWH:g}] MWh")
        return value


class EconomicsConfig(_Section):
    """Financial assumptions."""

    discount_rate: float = Field(
        0.06, ge=0, le=0.5,
        description="Real discount rate [-]; assumption: 6 % (CREEI's LCOE convention 5 %, "
                    "IRENA 3.9 %).",
        json_schema_extra={"stage": "kpi"},
    )
    currency: str = Field("CNY", min_length=1, max_length=8, description="Currency of all prices.",
                          json_schema_extra={"stage": "kpi"})
    project_life_yr: float = Field(
        25.0, gt=0, le=100, description="Horizon of the net present cost [yr].",
        json_schema_extra={"stage": "kpi"},
    )


class TargetsConfig(_Section):
    """Share targets (fractions of annual load)."""

    onsite_share: float = Field(
        0.80, ge=0, le=1,
        description="On-site renewable share target; Ordos design 80 % (FACTS.md).",
        json_schema_extra={"stage": "kpi"},
    )
    clean_share: float | None = Field(
        1.00, ge=0, le=1, description="On-site + green-import share target; Ordos 100 % green.",
        json_schema_extra={"stage": "kpi"},
    )
    cfe_score: float | None = Field(
        None, ge=0, le=1,
        description="Hourly-matched (24/7) carbon-free score target [0-1]: load covered hour by "
                    "hour by on-site supply and green-contract deliveries (accounting rules: "
                    "README); none = not enforced.",
    )
    max_co2_per_tce: float | None = Field(
        None, gt=0, le=10,
        description="Enforce the core zero-carbon park indicator [tCO2/tce] (market-based "
                    "scope 2): 0.2 for parks of 0.2-1 Mtce/yr, 0.3 at >= 1 Mtce/yr (People's "
                    "Daily 2025-08-26); none = reported only.",
    )


class IndicatorsConfig(_Section):
    """China's zero-carbon park indicators (发改环资〔2025〕910号), FACTS.md."""

    electricity_to_coal: Literal["equivalent", "coal_consumption"] = Field(
        "equivalent",
        description=(
            "Electricity to standard coal: 'equivalent' calorific value 0.1229 kgce/kWh "
            "(GB/T 2589), or 'coal_consumption' method."
        ),
        json_schema_extra={"stage": "kpi"},
    )
    coal_consumption_kgce_per_kwh: float = Field(
        0.300, gt=0, le=1, description="Factor of the coal-consumption method [kgce/kWh] (~0.3).",
        json_schema_extra={"stage": "kpi"},
    )
    other_energy_tce: float = Field(
        0.0, ge=0, le=1e9, description="Park's non-electric energy use per year [tce].",
        json_schema_extra={"stage": "kpi"},
    )
    other_energy_co2_t: float = Field(
        0.0, ge=0, le=1e10, description="CO2 of the park's non-electric energy per year [t].",
        json_schema_extra={"stage": "kpi"},
    )
    green_import_counts_zero_carbon: bool = Field(
        True, description="Count purchased green power as zero-carbon in the core indicator.",
        json_schema_extra={"stage": "kpi"},
    )
    max_co2_per_tce: float | None = Field(
        None,
        gt=0,
        le=10,
        description=(
            "Core indicator threshold [tCO2/tce]; default by park size: 0.2 for 0.2-1 Mtce/yr, "
            "0.3 for >= 1 Mtce/yr (People's Daily 2025-08-26)."
        ),
        json_schema_extra={"stage": "kpi"},
    )
    min_clean_energy_share: float = Field(
        0.90, ge=0, le=1,
        description="Clean-energy share guiding indicator; 90 % as reported by secondary "
                    "sources only.",
        json_schema_extra={"stage": "kpi"},
    )


class SolverConfig(_Section):
    """HiGHS settings for sizing."""

    time_limit_s: float = Field(1800.0, gt=0, le=86400, description="Solver time limit [s].",
                                json_schema_extra={"stage": "kpi"})
    threads: int = Field(0, ge=0, le=256, description="Solver threads; 0 = HiGHS default.",
                         json_schema_extra={"stage": "kpi"})
    mip_rel_gap: float = Field(1e-4, ge=0, le=1, description="Relative MIP gap (integer turbines).",
                               json_schema_extra={"stage": "kpi"})
    warm_start_days: int = Field(
        36, ge=0, le=366,
        description="Typical days of the crash start for long LP horizons (at least twice "
                    "as many whole days); 0 = always a cold solve.",
        json_schema_extra={"stage": "kpi"})


class TariffPeriod(_Section):
    """A time-of-use period: the hours (and months) its price multiplier applies to."""

    name: str = Field(..., min_length=1, max_length=40, description="e.g. peak, valley.")
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        ..., min_length=1, description="Local standard hours (period-beginning, 0-23).")
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=lambda: list(range(1, 13)), description="Months it applies in (1-12).")
    multiplier: float = Field(
        ..., gt=0, le=20, description="Price multiplier on [grid] import_price_per_mwh [-].")


class TariffConfig(_Section):
    """Time-of-use energy prices and the capacity part of China's two-part tariff.

    Energy price of an hour = ``[grid] import_price_per_mwh`` x the multiplier of
    the period containing it (1 in hours no period lists). The capacity part is
    either a monthly demand charge on the month's peak import (``basis =
    "demand"``; with an optional ratchet) or a monthly capacity charge on the
    contracted capacity (``basis = "capacity"``). The NDRC's 2023 T&D price
    notice makes the two-part tariff compulsory from 315 kVA (FACTS.md).
    """

    periods: list[TariffPeriod] = Field(
        default_factory=list, description="Time-of-use periods ([[tariff.periods]]).")
    basis: Literal["none", "demand", "capacity"] = Field(
        "none", description="Capacity part of the tariff: none, demand (monthly peak import) "
                            "or capacity (contracted kVA).")
    demand_charge_per_kw_month: float = Field(
        0.0, ge=0, le=1e4,
        description="Demand charge [money/kW/month] of the month's peak import.",
        json_schema_extra={"stage": "kpi"})
    ratchet_pct: float = Field(
        0.0, ge=0, le=100,
        description="Billed demand is at least this share of the highest earlier peak of the "
                    "year [%] (demand ratchet); 0 = none.", json_schema_extra={"stage": "kpi"})
    capacity_charge_per_kva_month: float = Field(
        0.0, ge=0, le=1e4, description="Capacity charge [money/kVA/month] of contracted_kva.",
        json_schema_extra={"stage": "kpi"})
    contracted_kva: float | None = Field(
        None, gt=0, le=1e10,
        description="Contracted transformer capacity [kVA] (basis = capacity).",
        json_schema_extra={"stage": "dispatch"})
    power_factor: float = Field(
        1.0, gt=0, le=1,
        description="Power factor converting kVA to kW for the import limit [-].",
        json_schema_extra={"stage": "dispatch"})
    peak_shaving_mw: float | None = Field(
        None, ge=0, le=1e6,
        description="Rules dispatch: imports above this are shaved first by the battery [MW]; "
                    "default for a demand charge: none (the rule needs a threshold).",
        json_schema_extra={"stage": "dispatch"})
    shaving_reserve: float = Field(
        0.0, ge=0, le=1,
        description="Rules dispatch: share of usable battery energy held back for shaving [-].",
        json_schema_extra={"stage": "dispatch"})

    @model_validator(mode="after")
    def _consistent(self) -> TariffConfig:
        seen: dict[tuple[int, int], str] = {}
        for period in self.periods:
            for m in period.months:
                for h in period.hours:
                    if (m, h) in seen:
                        raise ValueError(f"hour {h} of month {m} is in periods {seen[m, h]!r} and "
                                         f"{period.name!r}: each hour belongs to one period")
                    seen[m, h] = period.name
        if self.basis == "demand" and self.demand_charge_per_kw_month <= 0:
            raise ValueError("basis = 'demand' needs demand_charge_per_kw_month > 0")
        if self.basis == "capacity" and (self.contracted_kva is None
                                         or self.capacity_charge_per_kva_month <= 0):
            raise ValueError("basis = 'capacity' needs contracted_kva and "
                             "capacity_charge_per_kva_month > 0")
        return self

    @property
    def has_capacity_part(self) -> bool:
        """Whether the tariff bills a demand or capacity charge (``basis`` not "none")."""
        return self.basis != "none"


class SizingConfig(_Section):
    """How sizing treats weather years (robust sizing, :mod:`energysim.sizing.robust`)."""

    weather_years: Literal["all", "none"] | list[int] = Field(
        "all",
        description=(
            'Weather years of [weather] ensemble_path to size on: "all", a list of calendar '
            'years, or "none" (size on the [weather] path year only).'),
        json_schema_extra={"stage": "kpi"})
    robustness: Literal["every_year", "cvar", "expected"] = Field(
        "every_year",
        description=(
            "every_year: the share targets hold in each weather year; cvar: the mean share of "
            "the worst cvar_alpha fraction of years reaches them (implies the P(1-alpha) "
            "value); expected: they hold on the mean over the years."),
        json_schema_extra={"stage": "kpi"})
    cvar_alpha: float = Field(
        0.1, gt=0, le=1,
        description="Worst fraction of weather years for robustness = cvar [-].",
        json_schema_extra={"stage": "kpi"})

    @field_validator("weather_years")
    @classmethod
    def _years_listed(cls, value):
        if isinstance(value, list):
            if not value:
                raise ValueError('give at least one year, "all" or "none"')
            if len(set(value)) != len(value):
                raise ValueError("a year is listed twice")
        return value


class ProcurementConfig(_Section):
    """One product the park can buy (``[[procurement]]``; rules in :mod:`energysim.procurement`).

    Kinds: ``regular`` (grid power without a green contract, at the grid tariff or
    ``energy_price_per_mwh``), ``green_contract`` (green-power trading: energy
    price + environmental value, delivered ``annual`` (any hour) or with an hourly
    ``profile`` / a remote ``site`` plant shape), ``certificate`` (unbundled green
    electricity certificates, 1 GEC = 1 MWh, ``price_per_mwh``). Volumes are per
    year: fixed (``volume_mwh``) or chosen by sizing within ``min_mwh`` .. ``max_mwh``.
    """

    name: str = Field(..., min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                      description="Product name (letters, digits, _ and -), unique.")
    kind: Literal[PROCUREMENT_KINDS] = Field(  # type: ignore[valid-type]
        ..., description=f"One of {', '.join(PROCUREMENT_KINDS)}.")
    energy_price_per_mwh: Annotated[float, Field(ge=-1e4, le=1e5)] | Literal["grid"] | None = Field(
        None,
        description='Energy price [money/MWh] of a regular product or green contract, or "grid" '
                    '(the [grid] import tariff, hourly if given); regular defaults to "grid".')
    environmental_price_per_mwh: float | None = Field(
        None, ge=0, le=1e4,
        description="Environmental value of a green contract [money/MWh] (the GEC price bundled "
                    "in green-power trading, NDRC/NEA rules Aug 2024).")
    price_per_mwh: float | None = Field(
        None, ge=0, le=1e4, description="Certificate price [money per GEC = MWh].")
    volume_mwh: float | None = Field(
        None, ge=0, le=_MAX_MWH, description="Fixed volume [MWh/yr] (excludes min/max_mwh).")
    min_mwh: float | None = Field(None, ge=0, le=_MAX_MWH,
                                  description="Least volume sizing may choose [MWh/yr].")
    max_mwh: float | None = Field(None, ge=0, le=_MAX_MWH,
                                  description="Most volume sizing may choose [MWh/yr].")
    profile: ProfileRef | None = Field(
        None, description='Delivery shape of a green contract "file.csv:column" (per-unit output '
                          "of the contracted plants, any scale).")
    site: SiteConfig | None = Field(
        None, description="Remote plant of a green contract: its site (with weather and pv/wind).")
    weather: WeatherConfig | None = Field(None, description="Weather file of the remote plant.")
    pv: PVConfig | None = Field(None, description="PV of the remote plant (capacity_mw: its mix).")
    wind: WindConfig | None = Field(
        None, description="Wind of the remote plant (capacity_mw: its mix).")

    _ref = field_validator("profile", mode="before")(_profile_ref)

    @model_validator(mode="after")
    def _consistent(self):
        prices = {"regular": ("energy_price_per_mwh",),
                  "green_contract": ("energy_price_per_mwh", "environmental_price_per_mwh"),
                  "certificate": ("price_per_mwh",)}[self.kind]
        allowed = set(prices)
        for key in ("energy_price_per_mwh", "environmental_price_per_mwh", "price_per_mwh"):
            value = getattr(self, key)
            if value is not None and key not in allowed:
                raise ValueError(f"{key} is not a price of a {self.kind}; give "
                                 f"{' and '.join(prices)}")
        if self.kind != "regular":
            missing = [k for k in prices if getattr(self, k) is None]
            if missing:
                raise ValueError(f"a {self.kind} needs a price: give {' and '.join(missing)}"
                                 + (' (a number, or "grid" for the [grid] import tariff)'
                                    if "energy_price_per_mwh" in missing else ""))
        if self.volume_mwh is not None and (self.min_mwh is not None or self.max_mwh is not None):
            raise ValueError("volume_mwh (fixed) excludes min_mwh and max_mwh (free)")
        _ordered(self, ("min_mwh", "max_mwh"))
        if self.kind == "regular" and any(v is not None for v in (self.volume_mwh, self.min_mwh,
                                                                  self.max_mwh)):
            raise ValueError("regular power follows the load: no volume bounds (limit it with "
                             "[targets] clean_share)")
        plant = [k for k in ("site", "weather", "pv", "wind") if getattr(self, k) is not None]
        if self.kind != "green_contract" and (plant or self.profile is not None):
            raise ValueError("only a green_contract has a delivery shape (profile or site)")
        if plant and self.profile is not None:
            raise ValueError("give one delivery shape: profile, or a remote plant (site, weather, "
                             "pv/wind), not both")
        if plant:
            if self.site is None or self.weather is None or (self.pv is None and self.wind is None):
                raise ValueError("a remote plant needs site, weather and pv and/or wind")
            if self.pv is not None and self.wind is not None and (
                    self.pv.capacity_mw <= 0 or self.wind.capacity_mw <= 0):
                raise ValueError("a PV + wind plant needs pv.capacity_mw and wind.capacity_mw > 0 "
                                 "(its mix)")
            if self.wind is not None and self.wind.profile is None and \
                    self.wind.turbine is None and self.wind.power_curve is None:
                raise ValueError("the remote plant's wind needs turbine or power_curve")
        if self.delivery != "annual" and self.volume_mwh is None and self.max_mwh is None:
            raise ValueError("a shaped green_contract needs volume_mwh or max_mwh: the contracted "
                             "share of the plant's output [MWh/yr]")
        return self

    @property
    def delivery(self) -> str:
        """Where the product's energy comes from: "annual", "profile" or "plant".

        "annual" (any hour), "profile" (a CSV shape) or "plant" (a remote plant modelled here).
        """
        if self.profile is not None:
            return "profile"
        return "plant" if self.site is not None else "annual"


def _one_or_many(value: Any) -> Any:
    """A single ``[procurement]`` table is one product (``[[procurement]]`` lists several)."""
    return [value] if isinstance(value, dict) else value


class Capacities(BaseModel):
    """Installed capacities of one scenario.

    PV MWp (DC), wind MW, battery MWh (usable) and MW (AC).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    pv_mw: float = Field(0.0, ge=0)
    wind_mw: float = Field(0.0, ge=0)
    battery_mwh: float = Field(0.0, ge=0)
    battery_mw: float = Field(0.0, ge=0)
    electrolyser_mw: float = Field(0.0, ge=0)  #: electric input [MW]
    hydrogen_storage_kg: float = Field(0.0, ge=0)  #: hydrogen store [kg]
    fuel_cell_mw: float = Field(0.0, ge=0)  #: fuel cell output [MW]
    #: Volumes of ``[[procurement]]`` products decided by sizing [MWh/yr], by product name;
    #: a product not listed keeps its config volume (fixed) or its rule (free).
    procurement_mwh: dict[str, float] = Field(default_factory=dict)

    @field_validator("procurement_mwh")
    @classmethod
    def _volumes(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= _MAX_MWH}
        if bad:
            raise ValueError(f"procurement volumes must lie in [0, {_MAX_MWH:g}] MWh/yr: {bad}")
        return value

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        # a park without products dumps no procurement volumes
        out = handler(self)
        if not self.procurement_mwh and isinstance(out, dict):
            out.pop("procurement_mwh", None)
        return out


class ParkConfig(_Section):
    """A whole park scenario. Build with :func:`load_park` or :func:`park_from_dict`."""

    site: SiteConfig
    weather: WeatherConfig | None = None
    load: LoadConfig
    pv: PVConfig = Field(default_factory=PVConfig)
    wind: WindConfig = Field(default_factory=WindConfig)
    battery: BatteryConfig = Field(default_factory=BatteryConfig)
    electrolyser: ElectrolyserConfig | None = None
    hydrogen: HydrogenConfig | None = None
    grid: GridConfig = Field(default_factory=GridConfig)
    economics: EconomicsConfig = Field(default_factory=EconomicsConfig)
    targets: TargetsConfig = Field(default_factory=TargetsConfig)
    indicators: IndicatorsConfig = Field(default_factory=IndicatorsConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    sizing: SizingConfig = Field(default_factory=SizingConfig)
    tariff: TariffConfig = Field(default_factory=TariffConfig)
    procurement: list[ProcurementConfig] = Field(
        default_factory=list,
        description="Products the park can buy ([[procurement]] entries); none: the implicit "
                    "products of [grid] (energysim.procurement).")
    source: Annotated[Path | None, Field(exclude=True)] = None

    _products = field_validator("procurement", mode="before")(_one_or_many)

    @field_validator("procurement")
    @classmethod
    def _unique_products(cls, value: list[ProcurementConfig]) -> list[ProcurementConfig]:
        names = [p.name for p in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"product names must be unique: {', '.join(twice)} given twice")
        if sum(p.kind == "regular" for p in value) > 1:
            raise ValueError("at most one regular product (the grid tariff)")
        return value

    @model_validator(mode="after")
    def _weather_needed(self):
        needs = []
        if self.pv.profile is None and (self.pv.capacity_mw > 0 or self.pv.max_mw > 0):
            needs.append("pv")
        if self.wind.profile is None and (self.wind.capacity_mw > 0 or self.wind.max_mw > 0):
            needs.append("wind")
        if needs and self.weather is None:
            raise ValueError(
                f"[weather] is required: {', '.join(needs)} has no ready profile to use instead"
            )
        if (self.wind.profile is None and self.wind.turbine is None
                and self.wind.power_curve is None):
            raise ValueError("[wind] needs turbine, power_curve or profile")
        if self.tariff.periods and self.grid.import_price is not None:
            raise ValueError("[tariff] periods scale [grid] import_price_per_mwh; with an "
                             "hourly [grid] import_price profile give the time-of-use prices "
                             "there instead")
        if (self.electrolyser is None) != (self.hydrogen is None):
            raise ValueError("[electrolyser] and [hydrogen] go together: the electrolyser's "
                             "hydrogen needs a demand, a sale price or a store, and hydrogen "
                             "needs an electrolyser")
        return self

    def capacities(self) -> Capacities:
        """The capacities to simulate: configured capacity (existing capacity is included in it)."""
        return Capacities(
            pv_mw=max(self.pv.capacity_mw, self.pv.existing_mw),
            wind_mw=max(self.wind.capacity_mw, self.wind.existing_mw),
            battery_mwh=max(self.battery.energy_mwh, self.battery.existing_mwh),
            battery_mw=max(self.battery.power_mw, self.battery.existing_mw),
            **_flexible_capacities(self),
        )

    def with_values(self, values: dict[str, Any]) -> ParkConfig:
        """A copy with dotted keys replaced, e.g. ``{"pv.capex_per_kw": 2500}``, re-validated."""
        data = self.model_dump(mode="python", exclude_none=False)
        for key, value in values.items():
            section, _, name = key.partition(".")
            if not name or section not in data or not isinstance(data[section], dict):
                raise ConfigError(problem("not a config field 'section.key'", field=key,
                                          value=value))
            known = getattr(type(self).model_fields[section].annotation, "model_fields", {})
            if name not in data[section] and name not in known:
                raise ConfigError(problem("unknown key", field=key, value=value))
            data[section][name] = value
        return park_from_dict(data, source=self.source, base_dir=None)


def _flexible_capacities(park: ParkConfig) -> dict[str, float]:
    """Electrolyser [MW], hydrogen store [kg] and fuel cell [MW] to simulate (0 without them)."""
    el, h2 = park.electrolyser, park.hydrogen
    if el is None or h2 is None:
        return {}
    return {"electrolyser_mw": max(el.power_mw, el.existing_mw),
            "hydrogen_storage_kg": max(h2.storage_kg, h2.existing_kg),
            "fuel_cell_mw": max(h2.fuel_cell_mw, h2.fuel_cell_existing_mw)}


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


_SECTIONS = [name for name in ParkConfig.model_fields if name != "source"]


def _turbine_names() -> set[str]:
    global _TURBINES
    if _TURBINES is None:
        try:
            from windpowerlib import get_turbine_types

            table = get_turbine_types(print_out=False)
            _TURBINES = set(table["turbine_type"])
        except Exception:  # library data missing: let the wind model report it when used
            _TURBINES = set()
    return _TURBINES


_TURBINES: set[str] | None = None


#: Pydantic's tags of union members in an error location (e.g. ``float``, ``literal['grid']``).
_UNION_TAG = re.compile(
    r"^(float|int|str|bool|none|constrained-(float|int|str)|(literal|list|dict)\[.*\])$")


def _loc_name(loc: tuple, data: Any = None) -> str:
    """``[section] key`` of an error location.

    A list entry (``[[procurement]]``) adds ``(entry N 'name')``; union-member tags are dropped
    (one message per field).
    """
    parts = [p for p in loc if not str(p).startswith("function-") and not _UNION_TAG.match(str(p))]
    if not parts:
        return "(file)"
    entry = ""
    if len(parts) > 1 and isinstance(parts[1], int):
        items = data.get(parts[0]) if isinstance(data, dict) else None
        items = [items] if isinstance(items, dict) else items
        name = None
        if isinstance(items, list) and parts[1] < len(items) and isinstance(items[parts[1]], dict):
            name = items[parts[1]].get("name")
        entry = f" (entry {parts[1] + 1}{f' {name!r}' if isinstance(name, str) else ''})"
        parts = [parts[0], *parts[2:]]
    parts = [str(p) for p in parts]
    if len(parts) == 1:
        return f"[{parts[0]}]{entry}"
    return f"[{parts[0]}] {'.'.join(parts[1:])}{entry}"


def _allowed_keys(section: str) -> str:
    field = ParkConfig.model_fields.get(section)
    model = getattr(field, "annotation", None)
    model = getattr(model, "__args__", (model,))[0]
    keys = getattr(model, "model_fields", None)
    return ", ".join(k for k in keys) if keys else ""


def _problems_from(exc: ValidationError, source: Path | None, data: dict) -> list:
    problems: dict[tuple, Any] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        field = _loc_name(loc, data)
        msg = err.get("msg", "invalid")
        msg = msg.removeprefix("Value error, ")
        kind = err.get("type")
        if kind == "extra_forbidden":
            if len(loc) == 1:
                msg = f"unknown section; allowed: {', '.join(_SECTIONS)}"
            else:
                msg = f"unknown key; allowed in [{loc[0]}]: {_allowed_keys(str(loc[0]))}"
        elif kind == "missing":
            msg = "required but missing"
        # a cross-field rule names its fields in the message; the whole table is no help
        show_value = kind != "missing" and not isinstance(err.get("input"), dict | list)
        key = (field, repr(err.get("input")) if show_value else None)
        if key in problems:  # another member of a union: one message for the field
            problems[key] = ((problems[key][0] + f", or {msg[0].lower()}{msg[1:]}",)
                             + problems[key][1:])
            continue
        problems[key] = (msg, field, show_value, err.get("input"))
    return [problem(msg, source=source, field=field, **({"value": value} if show else {}))
            for msg, field, show, value in problems.values()]


def park_from_dict(
    data: dict[str, Any], *, source: Path | None = None, base_dir: Path | None = None
) -> ParkConfig:
    """Validate a config given as a dict (as read from TOML).

    Relative file paths are resolved against ``base_dir`` (the config's folder).
    Raises :class:`ConfigError` listing every problem found.
    """
    if not isinstance(data, dict):
        raise ConfigError(problem("config must be a table of sections", source=source))
    try:
        park = ParkConfig.model_validate(
            {**{k: v for k, v in data.items() if k != "source"}, "source": source},
            context={"base_dir": base_dir},
        )
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, source, data),
                          headline=f"invalid config {source or ''}".strip()) from None
    missing = missing_prices(park)
    if missing:
        cur = park.economics.currency
        raise ConfigError(problem(
            f"the default prices are in {DEFAULTS_CURRENCY} (FACTS.md); with another currency give "
            f"every price in {cur}: missing {', '.join(missing)}",
            source=source, field="[economics] currency", value=cur))
    return park


def _in_play(park: ParkConfig) -> dict[str, bool]:
    """Which assets a run or a sizing can use (a capacity, existing kit or a sizing bound)."""
    pv, wind, bat = park.pv, park.wind, park.battery
    return {
        "pv": max(pv.capacity_mw, pv.existing_mw, pv.max_mw) > 0,
        "wind": max(wind.capacity_mw, wind.existing_mw, wind.max_mw) > 0,
        "battery": max(bat.energy_mwh, bat.existing_mwh, bat.max_mwh) > 0,
        "electrolyser": park.electrolyser is not None,
        "hydrogen": park.hydrogen is not None,
    }


#: Price keys with a non-zero default in DEFAULTS_CURRENCY, by section.
PRICE_KEYS = {
    "pv": ("capex_per_kw", "fixed_om_per_kw_yr"),
    "wind": ("capex_per_kw", "fixed_om_per_kw_yr"),
    "battery": ("capex_per_kwh", "capex_per_kw"),
    "grid": ("import_price_per_mwh", "green_premium_per_mwh"),
    "electrolyser": ("capex_per_kw",),
    "hydrogen": ("storage_capex_per_kg",),
}


def missing_prices(park: ParkConfig) -> list[str]:
    """Price keys left at their CNY default in a config of another currency (``section.key``)."""
    if park.economics.currency.upper() == DEFAULTS_CURRENCY:
        return []
    use = _in_play(park)
    missing = []
    for section, keys in PRICE_KEYS.items():
        if not use.get(section, True):
            continue
        given = getattr(park, section).model_fields_set
        for key in keys:
            if key == "import_price_per_mwh" and park.grid.import_price is not None:
                continue  # an hourly price series replaces it
            if key not in given:
                missing.append(f"{section}.{key}")
    return missing


def _toml_message(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """The TOML error with the offending line quoted (tomllib gives only its number)."""
    message = f"not valid TOML: {exc}"
    match = re.search(r"at line (\d+)", str(exc))
    if match:
        lines = text.splitlines()
        number = int(match.group(1))
        if 0 < number <= len(lines):
            message += f"; line {number} reads `{lines[number - 1].strip()}`"
    if "Cannot overwrite" in str(exc) or "Cannot declare" in str(exc):
        message += " (a key or table given twice)"
    return message


def load_park(path: str | Path) -> ParkConfig:
    """Read and validate a park config TOML file.

    Parameters
    ----------
    path
        The TOML file. Relative paths inside it (weather, profiles, power
        curves) are taken relative to the file's folder.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML (duplicate keys included), or
        breaks the schema; the message lists every problem with section, key,
        value and rule.
    """
    path = require_file(path, ConfigError, what="config file")  # never opens a FIFO
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(problem(_toml_message(exc, text), source=path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(problem(f"not UTF-8 text: {exc}", source=path)) from None
    return park_from_dict(data, source=path, base_dir=path.resolve().parent)


#: Sourced values of the numbers behind every result (FACTS.md), by config key: value -> source.
#: Money values are in DEFAULTS_CURRENCY. A default without an entry is an "assumption".
SOURCES: dict[str, dict[float, str]] = {
    "pv.capex_per_kw": {3000.0: "2024 PV EPC bids averaged 3.30 CNY/W over > 183 GW "
                                "(SMM/Polaris 2025); modules 0.69-0.74 CNY/W in 2025 (SMM)"},
    "wind.capex_per_kw": {4000.0: "onshore all-in ~4 200 CNY/kW national average in 2024, "
                                  "northwest cheapest (CREEI cost report 2024)"},
    "battery.capex_per_kwh": {450.0: "2025 LFP tenders: CEEC 0.42-0.46 CNY/Wh (ESS News), "
                                     "Huadian 0.473 CNY/Wh (pv magazine)"},
    "battery.capex_per_kw": {100.0: "2025 LFP tenders (power part of the system price; ESS News)"},
    "grid.emission_factor_t_per_mwh": {
        0.6096: "MEE/NBS 2023 national factor excl. market-traded non-fossil power "
                "(announcement 2025 No. 47)",
        0.5856: "MEE 2022 national factor excl. market-traded non-fossil power (2024-12-26); "
                "the 2023 factor is 0.6096",
        0.5306: "MEE/NBS 2023 national average",
        0.5366: "MEE 2022 national average",
        0.6361: "MEE/NBS 2023 North China grid",
    },
    "grid.green_premium_per_mwh": {
        5.15: "green certificate (GEC) price Dec 2025, 2025 vintage (NEA monthly data)"},
    "grid.location_emission_factor_t_per_mwh": {0.5306: "MEE/NBS 2023 national average"},
    "electrolyser.capex_per_kw": {
        1500.0: "alkaline 5 MW systems ~7.5 M CNY each, Energy China tender 2023-24, equipment "
                "only (Hydrogen Insight)",
        5670.0: "PEM 1 MW systems ~5.67 M CNY each, Energy China tender 2023-24 (Hydrogen "
                "Insight)"},
}

#: Why an unsourced default is what it is (shown after "assumption").
_ASSUMED = {
    "pv.fixed_om_per_kw_yr": "1.5 % of capex a year; no 2024-25 Chinese source",
    "wind.fixed_om_per_kw_yr": "2.5 % of capex a year; Wood Mackenzie 2018: ~2.2 %",
    "battery.fixed_om_pct_capex_yr": "no 2024-25 Chinese source",
    "economics.discount_rate": "CREEI's LCOE convention is 5 %, IRENA's China cost of capital "
                               "3.9 %",
    "grid.import_price_per_mwh": "no citable Mengxi industrial average",
    "grid.green_premium_per_mwh": "30-50 CNY/MWh documented for the 2021 launch; certificates "
                                  "traded at 1-6 CNY/MWh in 2025 (NEA)",
    "electrolyser.kwh_per_kg": "illustrative ~4.8 kWh/Nm3 at the AC bus; stacks quote 4.0-4.7 "
                               "kWh/Nm3 (Hydrogen Insight 2023)",
    "electrolyser.lifetime_yr": "stacks ~60 000 h (China Hydrogen Alliance 2021); no "
                                "replacement modelled",
    "hydrogen.storage_capex_per_kg": "illustrative: no sourced Chinese figure",
    "hydrogen.fuel_cell_capex_per_kw": "illustrative: no sourced Chinese figure",
}


def _basis(park: ParkConfig, key: str, money: bool) -> str:
    """Source of a sourced value, "assumption (...)" for an unsourced default, else "config"."""
    section, name = key.split(".")
    value = getattr(getattr(park, section), name)
    if money and park.economics.currency.upper() != DEFAULTS_CURRENCY:
        return "config"
    source = SOURCES.get(key, {}).get(round(float(value), 6))
    if source:
        return source
    fields = type(getattr(park, section)).model_fields
    default = fields[name].default if name in fields else _DERIVED_DEFAULTS[key]
    if value == default:
        return f"assumption ({_ASSUMED[key]})" if key in _ASSUMED else "assumption"
    return "config"


#: Defaults of derived (property) values in the assumptions table.
_DERIVED_DEFAULTS = {"electrolyser.kwh_per_kg": ELECTROLYSER_KWH_PER_KG}


def _flexible_assumption_rows(park: ParkConfig, cur: str) -> list[tuple]:
    """(key, value, money) rows of the electrolyser and hydrogen numbers, when the park has them."""
    el, h2 = park.electrolyser, park.hydrogen
    if el is None or h2 is None or max(el.power_mw, el.existing_mw, el.max_mw) == 0:
        return []  # no electrolyser can run: the numbers behind the results are today's
    rows = [
        ("electrolyser.capex_per_kw", f"{el.capex_per_kw:g} {cur}/kW", True),
        ("electrolyser.kwh_per_kg", f"{el.kwh_per_kg:.4g} kWh/kg", False),
        ("electrolyser.fixed_om_pct_capex_yr", f"{el.fixed_om_pct_capex_yr:g} %/yr", False),
        ("electrolyser.lifetime_yr", f"{el.lifetime_yr:g} yr", False),
        ("hydrogen.storage_capex_per_kg", f"{h2.storage_capex_per_kg:g} {cur}/kg", True),
    ]
    if max(h2.fuel_cell_mw, h2.fuel_cell_existing_mw, h2.fuel_cell_max_mw) > 0:
        rows += [("hydrogen.fuel_cell_capex_per_kw", f"{h2.fuel_cell_capex_per_kw:g} {cur}/kW",
                  True),
                 ("hydrogen.fuel_cell_efficiency", f"{h2.fuel_cell_efficiency:g}", False)]
    return rows


def assumptions(park: ParkConfig) -> list[tuple[str, str, str]]:
    """The numbers behind every result, as (config key, value, basis) rows for reports.

    Basis: the source of a sourced value (:data:`SOURCES`, money in CNY only),
    "assumption" for an unsourced default, "config" for a value the user gave.
    """
    cur = park.economics.currency
    rows = [
        ("pv.capex_per_kw", f"{park.pv.capex_per_kw:g} {cur}/kW", True),  # money: True
        ("pv.fixed_om_per_kw_yr", f"{park.pv.fixed_om_per_kw_yr:g} {cur}/kW/yr", True),
        ("wind.capex_per_kw", f"{park.wind.capex_per_kw:g} {cur}/kW", True),
        ("wind.fixed_om_per_kw_yr", f"{park.wind.fixed_om_per_kw_yr:g} {cur}/kW/yr", True),
        ("battery.capex_per_kwh", f"{park.battery.capex_per_kwh:g} {cur}/kWh", True),
        ("battery.capex_per_kw", f"{park.battery.capex_per_kw:g} {cur}/kW", True),
        ("battery.fixed_om_pct_capex_yr", f"{park.battery.fixed_om_pct_capex_yr:g} %/yr", False),
        ("economics.discount_rate", f"{park.economics.discount_rate:g}", False),
        ("grid.import_price_per_mwh", f"{park.grid.import_price_per_mwh:g} {cur}/MWh", True)
        if park.grid.import_price is None else
        ("grid.import_price", f"hourly series {park.grid.import_price.path.name}", None),
        ("grid.green_premium_per_mwh", f"{park.grid.green_premium_per_mwh:g} {cur}/MWh", True),
        ("grid.emission_factor_t_per_mwh", f"{park.grid.emission_factor_t_per_mwh:g} t/MWh", False),
        ("grid.location_emission_factor_t_per_mwh",
         f"{park.grid.location_emission_factor_t_per_mwh:g} t/MWh", False),
    ]
    rows += _flexible_assumption_rows(park, cur)
    out = [(key, value, "config" if money is None else _basis(park, key, money))
           for key, value, money in rows]
    fl = park.load.flexible
    if fl is not None and fl.share > 0 and (fl.window_options_h or fl.window_h > 0):
        out.append(("load.flexible.window_cost_per_h_yr",
                    f"{fl.window_cost_per_h_yr:g} {cur}/yr per h of window",
                    "config" if "window_cost_per_h_yr" in fl.model_fields_set
                    else "assumption (no sourced figure: a window costs nothing)"))
    site = park.site
    ordos = (site.latitude, site.longitude) == (39.6, 109.8)
    out.append(("site.latitude/longitude", f"{site.latitude:g}, {site.longitude:g}",
                "assumption (approximate modelling coordinates of the Ordos park, Mengsu EDZ)"
                if ordos else "config"))
    return out
