"""Results: the container of one run and its files (JSON summary, NetCDF flows, CSV).

Files are written atomically — to a temporary file in the target folder, then
renamed — so an interrupted run never leaves a half-written file that looks
like a result. The summary JSON is deterministic (sorted keys, no clock time):
the same inputs give a byte-identical ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim.config import Capacities, ParkConfig, assumptions
from energysim.errors import ConfigError, problem
from energysim.nomenclature import QUANTITIES

__all__ = [
    "Result",
    "atomic_write",
    "write_json",
    "write_netcdf",
    "write_profiles_csv",
    "write_flows_csv",
    "write_flows_parquet",
    "TABLE_WRITERS",
    "provenance",
    "read_result",
]


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python, paths -> str."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as sorted, indented JSON (NaN as null), atomically."""
    text = json.dumps(_clean(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_netcdf(path: Path, ds: xr.Dataset) -> Path:
    """Write a Dataset to NetCDF4 (h5netcdf engine), atomically."""
    clean = ds.copy()
    clean.attrs = {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in ds.attrs.items()}
    return atomic_write(path, lambda tmp: clean.to_netcdf(tmp, engine="h5netcdf"))


def write_profiles_csv(path: Path, profiles: xr.Dataset) -> Path:
    """Write ``time, pv_pu, wind_pu, load_mw`` (the ``energysim profiles`` output), atomically."""
    frame = pd.DataFrame(
        {
            "time": pd.DatetimeIndex(profiles["time"].values).strftime("%Y-%m-%dT%H:%M"),
            "pv_pu": profiles["pv_pu"].values,
            "wind_pu": profiles["wind_pu"].values,
            "load_mw": profiles["load"].values,
        }
    )
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def _flows_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Hourly variables as columns named ``name [unit]`` (units from the attrs)."""
    frame = ds.to_dataframe()
    frame.columns = [f"{c} [{ds[c].attrs.get('units', '1')}]" for c in frame.columns]
    return frame


def write_flows_csv(path: Path, ds: xr.Dataset) -> Path:
    """Hourly flows as CSV (one row per hour, units in the column names), atomically."""
    frame = _flows_frame(ds)
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, float_format="%.9g"))


def write_flows_parquet(path: Path, ds: xr.Dataset) -> Path:
    """Hourly flows as Parquet (pyarrow; units in the column names), atomically."""
    frame = _flows_frame(ds)
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow"))


#: Optional tabular copies of the hourly flows, by ``--tables`` name.
TABLE_WRITERS: dict[str, Callable[[Path, xr.Dataset], Path]] = {
    "csv": write_flows_csv,
    "parquet": write_flows_parquet,
}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def provenance(park: ParkConfig, profiles: xr.Dataset | None = None, **extra: Any) -> dict[str, Any]:
    """What a reader needs to reproduce a result: versions, config hash, weather source."""
    config_hash = None
    if park.source is not None and Path(park.source).is_file():
        config_hash = hashlib.sha256(Path(park.source).read_bytes()).hexdigest()
    out = {
        "energysim_version": _version("energysim"),
        "config": str(park.source) if park.source is not None else None,
        "config_sha256": config_hash,
        "weather_source": profiles.attrs.get("weather_source") if profiles is not None else None,
        "weather_fills": profiles.attrs.get("weather_fills") if profiles is not None else None,
        "weather_notes": profiles.attrs.get("weather_notes") if profiles is not None else None,
        "pvlib_version": _version("pvlib"),
        "windpowerlib_version": _version("windpowerlib"),
    }
    out.update(extra)
    return out


@dataclass
class Result:
    """One simulated park: inputs, hourly flows and KPIs.

    Attributes
    ----------
    park : ParkConfig
    capacities : Capacities
        What was simulated (configured, or chosen by sizing).
    profiles : xarray.Dataset
        Per-unit PV/wind, load, price, emission factor.
    flows : xarray.Dataset
        Hourly flows from the dispatch core.
    kpis : dict
        From :func:`energysim.accounting.kpis`.
    provenance : dict
        Versions, config hash, weather source (and solver, when sizing ran).
    """

    park: ParkConfig
    capacities: Capacities
    profiles: xr.Dataset
    flows: xr.Dataset
    kpis: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_flows(
        cls, park: ParkConfig, capacities: Capacities, profiles: xr.Dataset, flows: xr.Dataset,
        **extra_provenance: Any,
    ) -> Result:
        """Account for simulated ``flows`` (KPIs) and wrap everything in a Result."""
        from energysim.accounting import kpis

        return cls(
            park=park,
            capacities=capacities,
            profiles=profiles,
            flows=flows,
            kpis=kpis(flows, profiles, park, capacities),
            provenance=provenance(park, profiles, **extra_provenance),
        )

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content: KPIs, capacities, site, units, provenance."""
        return {
            "site": self.park.site.name,
            "currency": self.park.economics.currency,
            "hours": int(self.flows.sizes["time"]),
            "capacities": self.capacities.model_dump(),
            **{k: v for k, v in self.kpis.items()},
            "units": {k: QUANTITIES[k].unit for k in self.kpis if k in QUANTITIES},
            "assumptions": [list(row) for row in assumptions(self.park)],
            "provenance": self.provenance,
        }

    def dataset(self) -> xr.Dataset:
        """Flows and profiles in one self-describing Dataset (what ``flows.nc`` holds)."""
        ds = self.flows.merge(self.profiles[["pv_pu", "wind_pu", "import_price_per_mwh",
                                             "emission_factor_t_per_mwh"]])
        ds.attrs.update(
            {f"capacity_{k}": v for k, v in self.capacities.model_dump().items()},
            site=self.park.site.name,
            timezone=self.park.site.timezone,
            Conventions="CF-1.8",
            title=f"energysim hourly flows: {self.park.site.name}",
        )
        return ds

    def save(self, out_dir: Path, tables: Sequence[str] = ()) -> dict[str, Path]:
        """Write ``flows.nc`` (and ``flows.csv`` / ``flows.parquet`` when ``tables``
        names ``"csv"`` / ``"parquet"``), then ``summary.json`` into ``out_dir``.

        The summary goes last: a folder with a summary is a complete result.
        """
        out_dir = Path(out_dir)
        unknown = sorted(set(tables) - set(TABLE_WRITERS))
        if unknown:
            raise ConfigError(problem(f"table formats are {', '.join(TABLE_WRITERS)}",
                                      field="tables", value=unknown))
        ds = self.dataset()
        paths = {"flows": write_netcdf(out_dir / "flows.nc", ds)}
        for fmt in tables:
            paths[f"flows_{fmt}"] = TABLE_WRITERS[fmt](out_dir / f"flows.{fmt}", ds)
        paths["summary"] = write_json(out_dir / "summary.json", self.summary())
        return paths


def read_result(out_dir: Path) -> tuple[dict[str, Any], xr.Dataset]:
    """Read back ``summary.json`` and ``flows.nc`` from a run folder."""
    out_dir = Path(out_dir)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    flows = xr.load_dataset(out_dir / "flows.nc", engine="h5netcdf")
    return summary, flows
