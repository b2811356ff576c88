"""The sweep's results store: one Parquet file per finished batch, a manifest, a final table.

Layout of the output folder ``DIR``::

    DIR/manifest.json            hashes of the sweep file, base config and its data files,
                                 n_scenarios, seed, batch size, energysim version
    DIR/batches/batch-000042.parquet   rows of scenarios 42*batch_size ... (one per scenario)
    DIR/scenarios.parquet        all rows, one per scenario_id, sorted (written at the end)
    DIR/summary.json             KPI distributions, best / worst scenario ids

A batch file is written to a temporary name and renamed (atomic on POSIX), so a
crash of the process never leaves a partial batch that looks complete (no
fsync: a power cut may lose the last batches, which a rerun recomputes); a batch whose file
exists is done and is never recomputed. Readers drop duplicate
``scenario_id`` rows (a batch computed twice after a worker fault) keeping one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from energysim.errors import ConfigError, problem
from energysim.results import atomic_write, write_json

__all__ = ["Store", "read_sweep"]

BATCH_GLOB = "batch-*.parquet"
#: Rows per row group of ``scenarios.parquet`` (batches are merged up to it): few row
#: groups keep the file's footer small and chunked readers efficient.
ROW_GROUP_ROWS = 32_768


class Store:
    """The results folder of one sweep (see the module docstring)."""

    def __init__(self, out_dir: str | Path):
        self.dir = Path(out_dir)
        self.batches = self.dir / "batches"

    # -- manifest ---------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """The store's ``manifest.json``."""
        return self.dir / "manifest.json"

    def open(self, manifest: dict[str, Any]) -> None:
        """Create the folder and manifest, or check an existing one belongs to the same sweep.

        Raises
        ------
        ConfigError
            ``DIR`` holds another sweep (different sweep file, base config, data
            files, scenario count, seed or batch size): resuming would mix results.
        """
        self.batches.mkdir(parents=True, exist_ok=True)
        # a crash mid-write (SIGKILL): atomic_write's temporaries, and older stores' own
        for stale in [*self.batches.glob(".*.tmp"), *self.batches.glob(".tmp-*")]:
            stale.unlink(missing_ok=True)
        if self.manifest_path.is_file():
            old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            keys = ("sweep_sha256", "base_sha256", "data_sha256", "n_scenarios", "seed",
                    "batch_size", "mode")
            bad = [problem(f"differs from the sweep already in this folder ({old.get(k)!r}); "
                           "use another --out or delete the folder", source=self.manifest_path,
                           field=k, value=manifest.get(k))
                   for k in keys if old.get(k) != manifest.get(k)]
            if bad:
                raise ConfigError(bad, headline=f"{self.dir} holds a different sweep")
            return
        write_json(self.manifest_path, manifest)

    # -- batches ----------------------------------------------------------------
    def batch_path(self, batch: int) -> Path:
        """The Parquet file of batch number ``batch``."""
        return self.batches / f"batch-{batch:06d}.parquet"

    def done(self) -> set[int]:
        """Batches whose file exists (complete by construction)."""
        return {int(p.stem.split("-")[1]) for p in self.batches.glob(BATCH_GLOB)}

    def write_batch(self, batch: int, table: pa.Table) -> bool:
        """Write a finished batch atomically; False (and nothing written) if it exists already."""
        final = self.batch_path(batch)
        if final.exists():
            return False
        # atomic: a batch file is complete or absent, and an interrupt mid-write leaves no
        # temporary file behind
        atomic_write(final, lambda tmp: pq.write_table(
            table, tmp, use_dictionary=_dictionary_columns(table.schema)))
        return True

    # -- reading ----------------------------------------------------------------
    def read(self) -> pa.Table:
        """Every stored row, one per ``scenario_id``, sorted by it."""
        files = sorted(self.batches.glob(BATCH_GLOB))
        if not files:
            return pa.table({"scenario_id": pa.array([], pa.int64())})
        table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
        return _dedup_sorted(table)

    def consolidate(self) -> Path:
        """Write ``scenarios.parquet``: the batches in order, one row per scenario; idempotent.

        Batch ``b`` holds the consecutive ids ``b * batch_size ...``, one file per
        batch, so streaming the files in batch order gives the sorted table
        while holding at most one row group (:data:`ROW_GROUP_ROWS` rows) in memory.
        """
        files = sorted(self.batches.glob(BATCH_GLOB))
        return atomic_write(self.dir / "scenarios.parquet", lambda tmp: _stream(files, tmp))


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary encoding: the text ones (labels, errors).

    Numbers are mostly distinct: trying a dictionary first halves the write speed of a batch
    for a larger file (10 000 rows: 8.9 ms, 1.36 MB against 4.9 ms, 1.30 MB).
    """
    return [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(
        f.type) or pa.types.is_dictionary(f.type)]


def _stream(files: list[Path], out: Path) -> None:
    """Write the tables of ``files`` in order into one Parquet file ``out``.

    Row groups of :data:`ROW_GROUP_ROWS` rows; an empty table of ids when there is no file.
    """
    writer, pending = None, []
    try:
        for path in files:
            table = pq.read_table(path, pre_buffer=False)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema,
                                          use_dictionary=_dictionary_columns(table.schema))
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            pending.append(table)
            if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending))
                pending = []
        if pending:
            assert writer is not None, "opened with the first pending table"
            writer.write_table(pa.concat_tables(pending))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({"scenario_id": pa.array([], pa.int64())}), out)


def _dedup_sorted(table: pa.Table) -> pa.Table:
    import numpy as np

    ids = table.column("scenario_id").to_numpy()
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    keep = np.ones(len(ids_sorted), dtype=bool)
    keep[1:] = ids_sorted[1:] != ids_sorted[:-1]
    return table.take(pa.array(order[keep]))


def read_sweep(out_dir: str | Path):
    """The results of a sweep folder as a pandas DataFrame indexed by ``scenario_id``.

    Reads the batches (so a partial or interrupted sweep can be inspected too),
    one row per scenario.
    """
    return Store(out_dir).read().to_pandas().set_index("scenario_id")
