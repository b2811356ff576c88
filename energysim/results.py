"""Results: the container of one run and its files (JSON summary, NetCDF flows, CSV).

Files are written atomically — to a temporary file in the target folder, then
renamed — so an interrupted run never leaves a half-written file that looks
like a result. The summary JSON is deterministic (sorted keys, no clock time):
the same inputs give a byte-identical ``summary.json``.

A command owns its output folder through :class:`OutputFolder`:

- **checked first**: an unusable ``--out`` (a file, under a file, read-only,
  ...) is an error before anything is computed (:mod:`energysim.paths`);
- **one writer**: a lock file (``.energysim.lock``, an ``flock`` held for the
  whole command) makes a second command on the same folder stop with an error
  naming the folder and the holder's pid; a lock left by a dead process holds
  no ``flock`` and is taken over;
- **all or nothing**: results are written into a hidden staging folder
  (``.energysim-partial-<run id>/``) and moved into place only when the run
  has finished (:meth:`OutputFolder.commit`), so an interrupted or failed run
  leaves nothing new (a staging folder a killed process leaves behind is
  clearly partial and is removed by the next command);
- **one result set**: the commit removes the results an earlier command left
  in the folder (e.g. an old study's ``sizing.json``, ``frontier.csv`` and
  ``sized/`` when you now ``run``) and writes ``run.json``: the run id, the
  command, the config and the SHA-256 of every file of this run. The report
  shows only files listed there with a matching hash. A sweep store is never
  removed: a non-sweep command refuses a folder holding one, and a sweep
  refuses a folder holding another command's results.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim import interrupts
from energysim.config import Capacities, ParkConfig, assumptions
from energysim.errors import ConfigError, InputDataError, problem
from energysim.nomenclature import QUANTITIES, attrs
from energysim.paths import OutputFolderError, require_out_dir, shown_path

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
    "OutputFolder",
    "read_manifest",
    "file_sha256",
    "MANIFEST_NAME",
    "LOCK_NAME",
    "RESULT_FILES",
]


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
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
    clean.attrs = {k: (v if isinstance(v, (str, int, float)) else str(v))
                   for k, v in ds.attrs.items()}
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


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(park: ParkConfig, profiles: xr.Dataset | None = None,
               **extra: Any) -> dict[str, Any]:
    """What a reader needs to reproduce a result: versions, config hash, weather source.

    Paths are shown relative to the config's folder (the config by its name):
    results carry no absolute path of the machine that made them.
    """
    config_hash = None
    if park.source is not None and Path(park.source).is_file():
        config_hash = file_sha256(Path(park.source))
    out = {
        "energysim_version": _version("energysim"),
        "config": shown_path(park.source, None) if park.source is not None else None,
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
            "dispatch_mode": str(self.flows.attrs.get("dispatch_mode", "rules")),
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
        if self.park.procurement:  # what the report's unmatched-hours map reads
            from energysim.accounting import cfe_covered

            ds["cfe_covered"] = ("time", cfe_covered(self.flows, self.park), attrs("cfe_covered"))
        ds.attrs.update(
            {f"capacity_{k}": v for k, v in self.capacities.model_dump().items()},
            site=self.park.site.name,
            timezone=self.park.site.timezone,
            Conventions="CF-1.8",
            title=f"energysim hourly flows: {self.park.site.name}",
        )
        return ds

    def save(self, out_dir: Path, tables: Sequence[str] = ()) -> dict[str, Path]:
        """Write ``flows.nc``, optional tables, then ``summary.json`` into ``out_dir``.

        ``flows.csv`` / ``flows.parquet`` are written when ``tables`` names ``"csv"`` /
        ``"parquet"``.

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


# ---------------------------------------------------------------------------
# output folders: check, lock, stage, commit (module docstring)
# ---------------------------------------------------------------------------

#: The run manifest of a result folder: run id, command, config and each file's SHA-256.
MANIFEST_NAME = "run.json"
#: Lock file of a folder while a command writes into it.
LOCK_NAME = ".energysim.lock"
#: Prefix of the hidden folder a command stages its results in until the commit.
PARTIAL_PREFIX = ".energysim-partial-"
#: Result files of every command; a commit removes those an earlier command left.
RESULT_FILES = ("summary.json", "flows.nc", "flows.csv", "flows.parquet", "sizing.json",
                "frontier.csv", "weather_years.csv", "study.json", "profiles.csv",
                "robust.json", "lifetime.csv", "lifetime.json", "pathway.csv", "pathway.json",
                "comparison.csv", "report.html", MANIFEST_NAME)
#: Sub-folders holding only results (the study's re-simulated least-cost and robust mixes).
RESULT_DIRS = ("sized", "robust")
#: What marks a sweep store (hours of computing: never removed by another command).
SWEEP_MARKERS = ("manifest.json", "batches")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """``folder/run.json`` as a dict (None when absent).

    Raises
    ------
    InputDataError
        The manifest exists but is not a readable run manifest.
    """
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(problem(f"is not a readable run manifest ({exc})",
                                     source=path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise InputDataError(problem("is not a run manifest (no 'files' table)", source=path))
    return data


def _safe_relative(rel: str) -> bool:
    """A manifest entry names a file inside the folder (no absolute path, no '..')."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def _lock(folder: Path, command: str) -> int:
    """Take the folder's lock (``flock`` on ``LOCK_NAME``); the open descriptor."""
    import fcntl

    path = folder / LOCK_NAME
    for _ in range(5):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 4096).decode("utf-8", "replace")
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputFolderError(problem(f"cannot lock the folder ({exc.strerror})",
                                                source=folder, field="--out")) from None
            raise OutputFolderError(problem(
                f"is in use by another energysim command ({_holder(holder)}); wait for it to "
                "finish or choose another --out", source=folder, field="--out")) from None
        try:  # the previous holder may have removed the file between our open and flock
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "command": command}).encode())
            return fd
        os.close(fd)
    raise OutputFolderError(problem("cannot lock the folder (its lock file keeps changing)",
                                    source=folder, field="--out"))


def _holder(text: str) -> str:
    """'pid N, energysim <command>' from a lock file's content."""
    try:
        info = json.loads(text)
        return f"pid {int(info['pid'])}, energysim {info.get('command', '?')}"
    except (ValueError, KeyError, TypeError):
        return "pid unknown"


def _make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the folders created, outermost first."""
    missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(problem(f"cannot be created ({exc.strerror or exc})",
                                        source=path, field="--out")) from None
    return missing


class OutputFolder:
    """One command's ownership of its output folder (module docstring).

    ``with OutputFolder(out, "run", config=path) as folder:`` checks and locks
    ``out``; write the results into ``folder.staging`` and call
    :meth:`commit` once they are complete. Leaving the block without a commit
    (an error, an interrupt) removes the staging folder and any folder the
    command created: nothing new is left behind.

    Parameters
    ----------
    path : Path
        The output folder.
    command : str
        The command writing it (``run``, ``study``, ...; recorded in ``run.json``).
    config : Path, optional
        The config the results come from (its name and SHA-256 go into ``run.json``).
    staged : bool
        False for commands that write in place: ``sweep`` (its store resumes
        batch by batch) and ``report`` (one atomic file).
    create : bool
        False when the folder must exist already (``report``).
    """

    def __init__(self, path: Path, command: str, *, config: Path | None = None,
                 staged: bool = True, create: bool = True):
        self.path = Path(path)
        self.command = command
        self.config = None if config is None else Path(config)
        self.staged = staged
        self.create = create
        self.run_id = uuid.uuid4().hex[:16]
        self._staging: Path | None = None  # set while a staged folder is open
        self._fd: int | None = None
        self._created: list[Path] = []

    @property
    def staging(self) -> Path:
        """The staging folder the results are written into (a staged folder, while open)."""
        assert self._staging is not None, "only an open, staged OutputFolder has a staging folder"
        return self._staging

    def __enter__(self) -> OutputFolder:
        require_out_dir(self.path)
        if not self.create and not self.path.is_dir():
            raise InputDataError(problem("folder not found", source=self.path))
        try:
            self._created = _make_dirs(self.path)
            self._fd = _lock(self.path, self.command)
            self._refuse_foreign()
            for partial in self.path.glob(PARTIAL_PREFIX + "*"):  # left by a killed command
                shutil.rmtree(partial, ignore_errors=True)
            if self.staged:
                self._staging = self.path / f"{PARTIAL_PREFIX}{self.run_id}"
                self._staging.mkdir()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._release()

    def _refuse_foreign(self) -> None:
        """A sweep store and another command's result set never share a folder."""
        sweep = [m for m in SWEEP_MARKERS if (self.path / m).exists()]
        if self.command not in ("sweep", "report") and sweep:
            raise OutputFolderError(problem(
                f"holds a sweep store ({', '.join(sweep)}), which energysim never removes; "
                "choose another --out", source=self.path, field="--out"))
        if self.command == "sweep" and (self.path / MANIFEST_NAME).is_file():
            owner = (read_manifest(self.path) or {}).get("command", "another command")
            raise OutputFolderError(problem(
                f"holds the results of energysim {owner} ({MANIFEST_NAME}); a sweep needs a "
                "folder of its own: choose another --out", source=self.path, field="--out"))

    def _release(self) -> None:
        with interrupts.deferred(raise_pending=False):
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None
            if self._fd is not None:
                try:
                    if os.fstat(self._fd).st_ino == os.stat(self.path / LOCK_NAME).st_ino:
                        os.unlink(self.path / LOCK_NAME)
                except OSError:
                    pass
                os.close(self._fd)
                self._fd = None
            for folder in reversed(self._created):
                try:
                    folder.rmdir()  # only when empty: a committed result keeps its folder
                except OSError:
                    break

    def _staged_files(self) -> list[str]:
        return sorted(p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*")
                      if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith("."))

    def _manifest(self, files: list[str]) -> dict[str, Any]:
        config = self.config if self.config is not None and self.config.is_file() else None
        return {
            "run_id": self.run_id,
            "command": self.command,
            "config": config.name if config else None,
            "config_sha256": file_sha256(config) if config else None,
            "energysim_version": _version("energysim"),
            "files": {rel: file_sha256(self.staging / rel) for rel in files},
        }

    def commit(self, *, derived: Callable[[Path, Path], Path] | None = None) -> list[Path]:
        """Move the staged results into the folder as this run's result set.

        Writes ``run.json`` (and the file ``derived(staging, folder)`` writes into
        the staging folder from the staged results, e.g. the report: a later
        stage of the flow, passed in by the caller), removes the results an earlier
        command left, then moves every staged file into place, ``run.json`` last.
        Nothing is written when a signal was received (even one whose exception a
        library swallowed); a signal arriving during the moves is held until they end.

        Returns
        -------
        list of Path
            The result files now in the folder.
        """
        interrupts.check()
        files = self._staged_files()
        manifest = self._manifest(files)
        write_json(self.staging / MANIFEST_NAME, manifest)
        if derived is not None:
            name = derived(self.staging, self.path).relative_to(self.staging).as_posix()
            files = sorted({*files, name})
            manifest["files"][name] = file_sha256(self.staging / name)
            write_json(self.staging / MANIFEST_NAME, manifest)
        interrupts.check()
        with interrupts.deferred():
            self._remove_stale(keep=set(files))
            for rel in [*files, MANIFEST_NAME]:
                target = self.path / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / rel, target)
            interrupts.note_written(self.path)
        return [self.path / rel for rel in files]

    def _remove_stale(self, keep: set[str]) -> None:
        """Remove results of an earlier command: its manifest's files and known result names."""
        old = set(RESULT_FILES)
        try:
            manifest = read_manifest(self.path)
        except InputDataError:
            manifest = None  # a broken manifest is replaced like any stale result
        if manifest:
            old |= {rel for rel in manifest["files"] if _safe_relative(str(rel))}
        for sub in [*RESULT_DIRS, *(p.name for p in self.path.iterdir()  # pathway comparisons
                                   if p.is_dir() and not p.name.startswith(".")
                                   and (p / "pathway.csv").is_file())]:
            old |= {f"{sub}/{name}" for name in RESULT_FILES}
        folders = set()
        for rel in sorted(old - keep):
            path = self.path / rel
            if path.is_file() or path.is_symlink():
                path.unlink()
                folders.add(path.parent)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            if folder != self.path and not any(folder.iterdir()):
                folder.rmdir()

    def update_manifest(self, rel: str) -> None:
        """Record the new hash of ``rel`` (e.g. a rebuilt ``report.html``) in ``run.json``."""
        manifest = read_manifest(self.path)
        if manifest is not None:
            manifest["files"][rel] = file_sha256(self.path / rel)
            write_json(self.path / MANIFEST_NAME, manifest)
