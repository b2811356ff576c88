"""Park configuration: the TOML schema, its validation and loading.

A park config is a TOML file with the sections ``[site]``, ``[weather]``,
``[load]``, ``[pv]``, ``[wind]``, ``[battery]``, ``[grid]``, ``[economics]``,
``[targets]`` (canonical key names: DESIGN.md) plus ``[indicators]`` and
``[solver]``. Every numeric field carries its unit in its name where it is not
MW/MWh, has a documented default and bounds. All problems of a file are
gathered into one :class:`~energysim.errors.ConfigError`, each naming the
section and key, the bad value and the rule.

Defaults come from ``FACTS.md`` (sources cited at each field); those marked
"(to confirm)" there are working assumptions and are listed in every report by
:func:`assumptions`.
"""

from __future__ import annotations

import math
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
    model_validator,
)

from energysim.errors import ConfigError, problem

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
    "GridConfig",
    "EconomicsConfig",
    "TargetsConfig",
    "IndicatorsConfig",
    "SolverConfig",
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

# Largest capacity anyone could mean for one park (MW); beyond it a typo is likelier.
_MAX_MW = 1e6
_MAX_MWH = 1e9


class _Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


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
        if not isinstance(text, str) or ":" not in text:
            raise ValueError('must be "file.csv:column" (a CSV path, a colon, a column name)')
        path_text, column = text.rsplit(":", 1)
        if not path_text or not column:
            raise ValueError('must be "file.csv:column" (a CSV path, a colon, a column name)')
        path = Path(path_text)
        if base_dir is not None and not path.is_absolute():
            path = (base_dir / path).resolve()
        return cls(path=path, column=column)

    def __str__(self) -> str:
        return f"{self.path}:{self.column}"


def _profile_ref(value: Any, info) -> ProfileRef | None:
    if value is None or isinstance(value, ProfileRef):
        return value
    if isinstance(value, dict):  # a dumped ProfileRef (e.g. from ParkConfig.with_values)
        return ProfileRef(**value)
    base = (info.context or {}).get("base_dir") if info is not None else None
    ref = ProfileRef.parse(value, base)
    if not ref.path.is_file():
        raise ValueError(f"file not found: {ref.path}")
    return ref


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------


class SiteConfig(_Section):
    """Where the park is. Coordinates of the Ordos default are approximate (FACTS.md, to confirm)."""

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
            "(P50/P90 of the study, sweeps over `weather.year`)."
        ),
    )

    @field_validator("path", "ensemble_path")
    @classmethod
    def _exists(cls, value: Path | None, info) -> Path | None:
        if value is None:
            return value
        base = (info.context or {}).get("base_dir")
        if base is not None and not value.is_absolute():
            value = (base / value).resolve()
        if not value.exists():
            raise ValueError(f"file not found: {value}")
        return value


class _Asset(_Section):
    """Shared investment fields of an asset (oemof-style: simulate a capacity or size within bounds)."""

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
        if self.min_mw > self.max_mw:
            raise ValueError(f"min_mw ({self.min_mw}) must not exceed max_mw ({self.max_mw})")
        return self


class TenantConfig(_Section):
    """One more consumer in the park, with its own shape, summed into the park load."""

    name: str = Field("tenant", min_length=1, max_length=200, description="Display name.")
    annual_mwh: float = Field(..., gt=0, le=_MAX_MWH, description="Annual consumption [MWh].")
    shape: Literal[LOAD_SHAPES] = Field(  # type: ignore[valid-type]
        "industrial_continuous", description=f"Built-in load shape, one of {', '.join(LOAD_SHAPES)}."
    )
    noise_pct: float = Field(
        3.0, ge=0, le=50, description="Std. dev. of hour-to-hour random variation [% of hourly load]."
    )


class LoadConfig(_Section):
    """The park's electricity demand: a built-in shape scaled to an annual energy, or a measured profile."""

    annual_mwh: float | None = Field(
        None,
        gt=0,
        le=_MAX_MWH,
        description="Annual consumption [MWh]; Ordos default 10 TWh (FACTS.md: 10 billion kWh by 2025).",
    )
    profile: ProfileRef | None = Field(None, description='Measured load "file.csv:column" [MW].')
    shape: Literal[LOAD_SHAPES] = Field(  # type: ignore[valid-type]
        "industrial_continuous", description=f"Built-in load shape, one of {', '.join(LOAD_SHAPES)}."
    )
    noise_pct: float = Field(
        3.0, ge=0, le=50, description="Std. dev. of hour-to-hour random variation [% of hourly load]."
    )
    seed: int = Field(0, ge=0, description="Seed of the load noise (results are reproducible).")
    tenants: list[TenantConfig] = Field(
        default_factory=list,
        description="More consumers ([[load.tenants]]: name, annual_mwh, shape), added to the park load.",
    )

    _ref = field_validator("profile", mode="before")(_profile_ref)

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
    capex_per_kw: float = Field(
        3000.0, ge=0, le=1e5, description="Capex per kWp [money/kW]; FACTS.md 3 000 CNY/kW (to confirm).",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_per_kw_yr: float = Field(
        45.0, ge=0, le=1e4, description="Fixed O&M [money/kW/yr]; 1.5 % of capex (FACTS.md, to confirm).",
        json_schema_extra={"stage": "kpi"},
    )
    area_ha_per_mw: float = Field(2.0, ge=0, le=100, description="Land use [ha/MWp].",
                                  json_schema_extra={"stage": "kpi"})
    max_area_ha: float | None = Field(None, ge=0, description="Land available for PV [ha].",
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
        0.05, gt=0, le=3, description="Surface roughness length for the log law [m] (steppe/farmland)."
    )
    hellman_exponent: float = Field(
        1 / 7, gt=0, le=1, description="Power-law (Hellman) exponent [-]."
    )
    losses_pct: float = Field(
        10.0, ge=0, lt=100, description="Farm losses: wake, availability, electrical [%]."
    )
    capex_per_kw: float = Field(
        4000.0, ge=0, le=1e5, description="Capex [money/kW]; FACTS.md 4 000 CNY/kW (to confirm).",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_per_kw_yr: float = Field(
        100.0, ge=0, le=1e4, description="Fixed O&M [money/kW/yr]; 2.5 % of capex (FACTS.md, to confirm).",
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
    max_area_ha: float | None = Field(None, ge=0, description="Land available for wind [ha].",
                                      json_schema_extra={"stage": "kpi"})

    _ref = field_validator("profile", mode="before")(_profile_ref)

    @field_validator("power_curve")
    @classmethod
    def _curve_exists(cls, value: Path | None, info) -> Path | None:
        if value is None:
            return value
        base = (info.context or {}).get("base_dir")
        if base is not None and not value.is_absolute():
            value = (base / value).resolve()
        if not value.is_file():
            raise ValueError(f"file not found: {value}")
        return value

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
    """Battery storage. ``energy_mwh`` is usable energy; ``power_mw`` limits charge and discharge (AC)."""

    energy_mwh: float = Field(0.0, ge=0, le=_MAX_MWH, description="Usable energy to simulate [MWh].",
                              json_schema_extra={"stage": "capacity"})
    power_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="AC power, charge and discharge [MW].",
                            json_schema_extra={"stage": "capacity"})
    existing_mwh: float = Field(0.0, ge=0, le=_MAX_MWH, description="Energy already built [MWh].")
    existing_mw: float = Field(0.0, ge=0, le=_MAX_MW, description="Power already built [MW].")
    min_mwh: float = Field(0.0, ge=0, le=_MAX_MWH, description="Lower bound when sizing [MWh].",
                           json_schema_extra={"stage": "kpi"})
    max_mwh: float = Field(_MAX_MWH, ge=0, le=_MAX_MWH, description="Upper bound when sizing [MWh].",
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
    soc_min: float = Field(0.0, ge=0, le=1, description="Lowest state of charge [fraction of energy].",
                           json_schema_extra={"stage": "dispatch"})
    soc_max: float = Field(1.0, ge=0, le=1, description="Highest state of charge [fraction of energy].",
                           json_schema_extra={"stage": "dispatch"})
    soc_initial: float = Field(
        0.5, ge=0, le=1, description="State of charge at the start (non-cyclic runs) [fraction].",
        json_schema_extra={"stage": "dispatch"},
    )
    cyclic: bool = Field(True, description="End state of charge equals the start (found by iteration).",
                         json_schema_extra={"stage": "dispatch"})
    grid_charging: bool = Field(
        False, description="Allow charging from green imports (origin of stored energy is tracked).",
        json_schema_extra={"stage": "dispatch"},
    )
    capex_per_kwh: float = Field(
        450.0, ge=0, le=1e5, description="Energy capex [money/kWh]; FACTS.md LFP 2025 tenders.",
        json_schema_extra={"stage": "kpi"},
    )
    capex_per_kw: float = Field(
        100.0, ge=0, le=1e5, description="Power capex [money/kW]; FACTS.md.",
        json_schema_extra={"stage": "kpi"},
    )
    fixed_om_pct_capex_yr: float = Field(
        2.0, ge=0, le=50, description="Fixed O&M [% of capex per yr]; FACTS.md (to confirm).",
        json_schema_extra={"stage": "kpi"},
    )
    lifetime_yr: float = Field(15.0, gt=0, le=100, description="Economic lifetime [yr].",
                               json_schema_extra={"stage": "kpi"})

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
        if self.min_mwh > self.max_mwh:
            raise ValueError(f"min_mwh ({self.min_mwh}) must not exceed max_mwh ({self.max_mwh})")
        if self.min_mw > self.max_mw:
            raise ValueError(f"min_mw ({self.min_mw}) must not exceed max_mw ({self.max_mw})")
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


class GridConfig(_Section):
    """The grid connection: regular and green imports, exports, prices and emission factor."""

    import_price_per_mwh: float = Field(
        400.0, ge=-1e4, le=1e5, description="Flat import price [money/MWh]; FACTS.md (to confirm)."
    )
    import_price: ProfileRef | None = Field(
        None, description='Hourly (time-of-use) import price "file.csv:column" [money/MWh].'
    )
    export_price_per_mwh: float = Field(
        0.0, ge=-1e4, le=1e5, description="Export price [money/MWh].",
        json_schema_extra={"stage": "kpi"},
    )
    import_max_mw: float = Field(1e9, ge=0, description="Import limit [MW].",
                                 json_schema_extra={"stage": "dispatch"})
    export_max_mw: float = Field(0.0, ge=0, description="Export limit [MW]; 0 = no export.",
                                 json_schema_extra={"stage": "dispatch"})
    green_premium_per_mwh: float = Field(
        30.0, ge=0, le=1e4, description="Premium of bundled green power [money/MWh]; FACTS.md (to confirm).",
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
        0.06, ge=0, le=0.5, description="Real discount rate [-]; FACTS.md 6 % (to confirm).",
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
        0.80, ge=0, le=1, description="On-site renewable share target; Ordos design 80 % (FACTS.md).",
        json_schema_extra={"stage": "kpi"},
    )
    clean_share: float | None = Field(
        1.00, ge=0, le=1, description="On-site + green-import share target; Ordos 100 % green.",
        json_schema_extra={"stage": "kpi"},
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
        0.0, ge=0, description="Park's non-electric energy use per year [tce].",
        json_schema_extra={"stage": "kpi"},
    )
    other_energy_co2_t: float = Field(
        0.0, ge=0, description="CO2 of the park's non-electric energy per year [t].",
        json_schema_extra={"stage": "kpi"},
    )
    green_import_counts_zero_carbon: bool = Field(
        True, description="Count purchased green power as zero-carbon in the core indicator.",
        json_schema_extra={"stage": "kpi"},
    )
    max_co2_per_tce: float | None = Field(
        None,
        gt=0,
        description=(
            "Core indicator threshold [tCO2/tce]; default by park size: 0.2 for 0.2-1 Mtce/yr, "
            "0.3 for >= 1 Mtce/yr (People's Daily 2025-08-26)."
        ),
        json_schema_extra={"stage": "kpi"},
    )
    min_clean_energy_share: float = Field(
        0.90, ge=0, le=1, description="Clean-energy share guiding indicator (secondary sources, to confirm).",
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


class Capacities(BaseModel):
    """Installed capacities of one scenario: PV MWp (DC), wind MW, battery MWh (usable) and MW (AC)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pv_mw: float = Field(0.0, ge=0)
    wind_mw: float = Field(0.0, ge=0)
    battery_mwh: float = Field(0.0, ge=0)
    battery_mw: float = Field(0.0, ge=0)


class ParkConfig(_Section):
    """A whole park scenario. Build with :func:`load_park` or :func:`park_from_dict`."""

    site: SiteConfig
    weather: WeatherConfig | None = None
    load: LoadConfig
    pv: PVConfig = Field(default_factory=PVConfig)
    wind: WindConfig = Field(default_factory=WindConfig)
    battery: BatteryConfig = Field(default_factory=BatteryConfig)
    grid: GridConfig = Field(default_factory=GridConfig)
    economics: EconomicsConfig = Field(default_factory=EconomicsConfig)
    targets: TargetsConfig = Field(default_factory=TargetsConfig)
    indicators: IndicatorsConfig = Field(default_factory=IndicatorsConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    source: Annotated[Path | None, Field(exclude=True)] = None

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
        if self.wind.profile is None and self.wind.turbine is None and self.wind.power_curve is None:
            raise ValueError("[wind] needs turbine, power_curve or profile")
        return self

    def capacities(self) -> Capacities:
        """The capacities to simulate: configured capacity (existing capacity is included in it)."""
        return Capacities(
            pv_mw=max(self.pv.capacity_mw, self.pv.existing_mw),
            wind_mw=max(self.wind.capacity_mw, self.wind.existing_mw),
            battery_mwh=max(self.battery.energy_mwh, self.battery.existing_mwh),
            battery_mw=max(self.battery.power_mw, self.battery.existing_mw),
        )

    def with_values(self, values: dict[str, Any]) -> ParkConfig:
        """A copy with dotted keys replaced, e.g. ``{"pv.capex_per_kw": 2500}``, re-validated."""
        data = self.model_dump(mode="python", exclude_none=False)
        for key, value in values.items():
            section, _, name = key.partition(".")
            if not name or section not in data or not isinstance(data[section], dict):
                raise ConfigError(problem("not a config field 'section.key'", field=key, value=value))
            if name not in data[section] and name not in type(self).model_fields[section].annotation.model_fields:  # type: ignore[union-attr]
                raise ConfigError(problem("unknown key", field=key, value=value))
            data[section][name] = value
        return park_from_dict(data, source=self.source, base_dir=None)


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


def _loc_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    if not parts:
        return "(file)"
    if len(parts) == 1:
        return f"[{parts[0]}]"
    return f"[{parts[0]}] {'.'.join(parts[1:])}"


def _allowed_keys(section: str) -> str:
    field = ParkConfig.model_fields.get(section)
    model = getattr(field, "annotation", None)
    model = getattr(model, "__args__", (model,))[0]
    keys = getattr(model, "model_fields", None)
    return ", ".join(k for k in keys) if keys else ""


def _problems_from(exc: ValidationError, source: Path | None, data: dict) -> list:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        field = _loc_name(loc)
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
        show_value = kind != "missing" and not isinstance(err.get("input"), dict)
        problems.append(
            problem(msg, source=source, field=field, **({"value": err.get("input")} if show_value else {}))
        )
    return problems


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
            {k: v for k, v in data.items() if k != "source"},
            context={"base_dir": base_dir},
        )
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, source, data), headline=f"invalid config {source or ''}".strip()) from None
    park.source = source
    return park


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
    path = Path(path)
    if not path.is_file():
        raise ConfigError(problem("config file not found", source=path))
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(problem(_toml_message(exc, text), source=path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(problem(f"not UTF-8 text: {exc}", source=path)) from None
    return park_from_dict(data, source=path, base_dir=path.resolve().parent)


def assumptions(park: ParkConfig) -> list[tuple[str, str, str]]:
    """The working assumptions of a run, as (field, value, basis) rows for reports."""
    cur = park.economics.currency
    return [
        ("pv.capex_per_kw", f"{park.pv.capex_per_kw:g} {cur}/kW", "FACTS.md: 4.13 CNY/W in 2022 (Tsinghua), fallen since (to confirm)"),
        ("wind.capex_per_kw", f"{park.wind.capex_per_kw:g} {cur}/kW", "FACTS.md: turbine bids 1 381-1 600 CNY/kW + BoP (to confirm)"),
        ("battery.capex_per_kwh", f"{park.battery.capex_per_kwh:g} {cur}/kWh", "FACTS.md: CEEC/Huadian 2025 LFP tenders"),
        ("battery.capex_per_kw", f"{park.battery.capex_per_kw:g} {cur}/kW", "FACTS.md"),
        ("economics.discount_rate", f"{park.economics.discount_rate:g}", "FACTS.md: 6 % (to confirm); IRENA 3.9 % for China"),
        ("grid.import_price_per_mwh", f"{park.grid.import_price_per_mwh:g} {cur}/MWh", "FACTS.md: Mengxi industrial, flat (to confirm)"),
        ("grid.green_premium_per_mwh", f"{park.grid.green_premium_per_mwh:g} {cur}/MWh", "FACTS.md: bundled green trading (to confirm)"),
        ("grid.emission_factor_t_per_mwh", f"{park.grid.emission_factor_t_per_mwh:g} t/MWh", "MEE 2022, excl. market-traded non-fossil power"),
        ("site.latitude/longitude", f"{park.site.latitude:g}, {park.site.longitude:g}", "approximate modelling coordinates (to confirm)"),
    ]
