"""Aggregates of a sweep's results store in bounded memory: one Parquet row group at a time.

A store may hold millions of rows (one per scenario, ~60 columns); nothing
here loads them all. Every function streams the requested columns of a
:class:`Source` chunk by chunk and keeps a state whose size does not depend on
the number of rows:

- :func:`moments` — count, sum, min and max of columns;
- :func:`quantiles` — exact quantiles, equal to :func:`numpy.quantile`
  (``method="linear"``), by a radix selection on the order-preserving 64-bit
  key of each value: six passes, one 12-bit digit each, with a 4 096-bin
  histogram per wanted rank;
- :func:`extremes` — the ids of the best and worst scenarios by a KPI;
- :func:`histograms` — counts in equal-width bins;
- :func:`tornado` — the sensitivity of a KPI to each swept parameter;
- :func:`count_valid` — non-null entries (the ``error`` column).

Values are read as float64: booleans as 0/1, text (a swept choice such as
``pv.tracking``) as NaN, as :func:`pandas.to_numeric` with ``errors="coerce"``;
null, NaN and infinite values are left out of every statistic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["Source", "Moments", "moments", "quantiles", "extremes", "histograms", "tornado",
           "count_valid", "SweepDigest", "digest"]

#: Rows read at a time from a Parquet file (at most a row group).
CHUNK_ROWS = 65_536
#: Bits of the key resolved per selection pass: 6 passes of a 4 096-bin histogram per rank.
_DIGIT_BITS = 12
_SIGN = np.uint64(1 << 63)


class Source:
    """The rows of a sweep: Parquet files (read chunk by chunk) or one in-memory table."""

    def __init__(self, files: Sequence[Path] = (), table: pa.Table | None = None,
                 chunk_rows: int = CHUNK_ROWS):
        self.files = [Path(f) for f in files]
        self.table = table
        self.chunk_rows = chunk_rows

    @classmethod
    def of_store(cls, out_dir: str | Path) -> Source | None:
        """``scenarios.parquet`` of a finished sweep, else its batch files so far (None if none)."""
        out_dir = Path(out_dir)
        final = out_dir / "scenarios.parquet"
        files = ([final] if final.is_file()
                 else sorted((out_dir / "batches").glob("batch-*.parquet")))
        return cls(files) if files else None

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> Source:
        """An in-memory table, read ``chunk_rows`` rows at a time."""
        return cls(table=pa.Table.from_pandas(frame, preserve_index=False), chunk_rows=chunk_rows)

    def _schemas(self) -> list[pa.Schema]:
        if self.table is not None:
            return [self.table.schema]
        return [pq.read_schema(f) for f in self.files]

    @property
    def columns(self) -> list[str]:
        """Every column name of the source."""
        return list(dict.fromkeys(n for s in self._schemas() for n in s.names))

    def __len__(self) -> int:
        if self.table is not None:
            return self.table.num_rows
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)

    def record_batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """Record batches of the ``names`` present in each file (absent ones are left out)."""
        if self.table is not None:
            present = [n for n in names if n in self.table.column_names]
            yield from self.table.select(present).to_batches(max_chunksize=self.chunk_rows)
            return
        for path in self.files:
            # no pre-buffering and one row group at a time: pyarrow would otherwise read
            # every row group of the file ahead (the whole column set in memory)
            reader = pq.ParquetFile(path, pre_buffer=False)
            present = [n for n in names if n in reader.schema_arrow.names]
            for group in range(reader.num_row_groups):
                yield from reader.iter_batches(batch_size=self.chunk_rows, columns=present,
                                               row_groups=[group])

    def chunks(self, names: Sequence[str]) -> Iterator[dict[str, np.ndarray]]:
        """Each chunk as float64 arrays (NaN for null, text and absent columns)."""
        for batch in self.record_batches(names):
            n = batch.num_rows
            got = dict(zip(batch.schema.names, batch.columns, strict=True))
            yield {name: _floats(got[name]) if name in got else np.full(n, np.nan)
                   for name in names}


def _floats(arr: pa.Array) -> np.ndarray:
    if pa.types.is_boolean(arr.type) or pa.types.is_integer(arr.type):
        arr = pc.cast(arr, pa.float64())
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return pd.to_numeric(arr.to_pandas(), errors="coerce").to_numpy(dtype=np.float64)
    return arr.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


# ---------------------------------------------------------------------------
# count, sum, min, max
# ---------------------------------------------------------------------------


#: Binary exponent that brings a sum beyond the float range back into it: each finite value
#: is below 2**1024, so the sum of fewer than 2**63 of them times 2**-64 is finite.
_RESCALE = 64


@dataclass
class Moments:
    """Count, sum, min and max of the finite values of a column.

    The sum is kept as ``total * 2**scale``: ``scale`` is 0 (the plain sum) unless the
    sum leaves the float range (values near 1e308), so the mean of finite values is finite.
    """

    n: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    scale: int = 0

    @property
    def mean(self) -> float:
        """Mean of the finite values (NaN without any)."""
        return math.ldexp(self.total / self.n, self.scale) if self.n else math.nan

    def add(self, x: np.ndarray) -> None:
        """Count the finite values of ``x`` in."""
        x = x[np.isfinite(x)]
        if x.size:
            self.n += int(x.size)
            self.total = self._plus(x)
            self.minimum = min(self.minimum, float(x.min()))
            self.maximum = max(self.maximum, float(x.max()))

    def _plus(self, x: np.ndarray) -> float:
        """``total`` plus the sum of ``x`` at the current scale; rescaled on an overflow."""
        with np.errstate(over="ignore"):  # an overflow gives inf: detected and undone below
            total = self.total + float(np.ldexp(x, -self.scale).sum())
        if math.isfinite(total):
            return total
        self.scale += _RESCALE
        self.total = math.ldexp(self.total, -_RESCALE)
        return self.total + float(np.ldexp(x, -self.scale).sum())


def moments(source: Source, names: Sequence[str]) -> dict[str, Moments]:
    """:class:`Moments` of each column (one pass)."""
    out = {name: Moments() for name in names}
    for chunk in source.chunks(names):
        for name in names:
            out[name].add(chunk[name])
    return out


def count_valid(source: Source, name: str) -> int:
    """Number of non-null entries of a column (any type)."""
    return sum(b.num_rows - b.column(0).null_count
               for b in source.record_batches([name]) if b.num_columns)


# ---------------------------------------------------------------------------
# exact quantiles by radix selection
# ---------------------------------------------------------------------------


def _keys(x: np.ndarray) -> np.ndarray:
    """Order-preserving uint64 keys of non-NaN floats (−0.0 taken as 0.0)."""
    bits = (x + 0.0).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def _value(key: int) -> float:
    """The float of an order-preserving key (inverse of :func:`_keys`)."""
    k = np.uint64(key)
    bits = k & ~_SIGN if k & _SIGN else ~k
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


@dataclass
class _Rank:
    """The search for the value of 0-based rank ``rank`` of one column."""

    name: str
    rank: int
    prefix: int = 0     #: leading digits of its key found so far
    below: int = 0      #: values whose key is below every key with this prefix


def _select(source: Source, ranks: list[_Rank]) -> dict[tuple[str, int], float]:
    """The value at each rank: one pass per digit of the key, most significant first.

    Ranks of a column sharing a prefix share a histogram.
    """
    names = list(dict.fromkeys(r.name for r in ranks))
    bits = 0
    while bits < 64:
        width = min(_DIGIT_BITS, 64 - bits)
        shift, mask = np.uint64(64 - bits - width), np.uint64((1 << width) - 1)
        hists = {(r.name, r.prefix): np.zeros(1 << width, np.int64) for r in ranks}
        for chunk in source.chunks(names):
            for name in names:
                x = chunk[name]
                keys = _keys(x[np.isfinite(x)])
                for (col, prefix), hist in hists.items():
                    if col == name:
                        sel = keys if bits == 0 else keys[(keys >> np.uint64(64 - bits)) == prefix]
                        hist += np.bincount(((sel >> shift) & mask).astype(np.int64),
                                            minlength=1 << width)
        for r in ranks:
            cum = np.cumsum(hists[(r.name, r.prefix)])
            digit = int(np.searchsorted(cum, r.rank - r.below, side="right"))
            r.below += int(cum[digit - 1]) if digit else 0
            r.prefix = (r.prefix << width) | digit
        bits += width
    return {(r.name, r.rank): _value(r.prefix) for r in ranks}


def _lerp(a: float, b: float, t: float) -> float:
    """Linear interpolation of quantiles as numpy's (same rounding: from ``b`` when t ≥ ½)."""
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def quantiles(source: Source, names: Sequence[str], qs: Sequence[float],
              counts: dict[str, int] | None = None) -> dict[str, list[float]]:
    """Exact quantiles ``qs`` of each column, as ``numpy.quantile(x[isfinite(x)], qs)``.

    Parameters
    ----------
    counts : dict, optional
        Count of finite values per column when known (:func:`moments`), saves a pass.

    Returns
    -------
    dict
        Per column, the quantiles in the order of ``qs`` (NaN for a column without values).
    """
    counts = counts or {k: m.n for k, m in moments(source, names).items()}
    ranks, plan = [], {}
    for name in names:
        n = counts[name]
        for q in qs:
            h = (n - 1) * q
            lo = int(math.floor(h))
            plan[(name, q)] = (lo, min(lo + 1, n - 1), h - lo)
            if n:
                ranks += [_Rank(name, lo), _Rank(name, min(lo + 1, n - 1))]
    unique = list({(r.name, r.rank): r for r in ranks}.values())
    found = _select(source, unique) if unique else {}
    return {name: [_lerp(found[(name, lo)], found[(name, hi)], t) if counts[name] else math.nan
                   for lo, hi, t in (plan[(name, q)] for q in qs)] for name in names}


# ---------------------------------------------------------------------------
# best / worst scenarios, histograms, tornado
# ---------------------------------------------------------------------------


def extremes(source: Source, objective: str, sense: str, k: int = 5) -> tuple[list[int], list[int]]:
    """Ids of the ``k`` best and ``k`` worst scenarios by ``objective`` (``sense`` min or max).

    Ties go to the lower id among the best and to the higher id among the worst
    (the best-first order, reversed).
    """
    best_ids, best_y = np.empty(0, np.int64), np.empty(0)
    worst_ids, worst_y = np.empty(0, np.int64), np.empty(0)
    sign = 1.0 if sense == "min" else -1.0
    for chunk in source.chunks(["scenario_id", objective]):
        ids, y = chunk["scenario_id"].astype(np.int64), sign * chunk[objective]
        ok = np.isfinite(y)
        for which in ("best", "worst"):
            cand_ids = np.concatenate([best_ids if which == "best" else worst_ids, ids[ok]])
            cand_y = np.concatenate([best_y if which == "best" else worst_y, y[ok]])
            order = np.lexsort((cand_ids, cand_y))
            keep = order[:k] if which == "best" else order[::-1][:k]
            if which == "best":
                best_ids, best_y = cand_ids[keep], cand_y[keep]
            else:
                worst_ids, worst_y = cand_ids[keep], cand_y[keep]
    return [int(i) for i in best_ids], [int(i) for i in worst_ids]


def histograms(source: Source, ranges: dict[str, tuple[float, float]],
               bins: int = 40) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Counts of each column in ``bins`` equal-width bins over its (min, max) range.

    Returns
    -------
    dict
        Per column: bin edges (``bins + 1``) and counts (``bins``); infinite values are left out.
    """
    edges = {name: np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
             for name, (lo, hi) in ranges.items()}
    counts = {name: np.zeros(bins, np.int64) for name in ranges}
    for chunk in source.chunks(list(ranges)):
        for name, x in chunk.items():
            counts[name] += np.histogram(x[np.isfinite(x)], bins=edges[name])[0]
    return {name: (edges[name], counts[name]) for name in ranges}


def tornado(source: Source, parameters: Sequence[str], kpi: str,
            quantile: float = 0.2) -> pd.DataFrame:
    """Sensitivity of ``kpi`` to each varied parameter.

    The mean KPI over scenarios with the parameter in its lowest and in its highest ``quantile``
    of values, minus the mean over all.

    Works alike for grids (the lowest/highest level) and random samples; a parameter
    with fewer than two numeric values is left out. Sorted by span (``|high − low|``).
    Three passes over the two columns per parameter, whatever the number of rows.
    """
    stats = moments(source, [kpi, *parameters])
    varied = [p for p in parameters if stats[p].minimum < stats[p].maximum]
    cuts = quantiles(source, varied, [quantile, 1 - quantile], {p: stats[p].n for p in varied})
    sums = {p: np.zeros(4) for p in varied}  # low sum, low count, high sum, high count
    for chunk in source.chunks([kpi, *varied]):
        y = chunk[kpi]
        has_y = np.isfinite(y)
        for p in varied:
            low, high = has_y & (chunk[p] <= cuts[p][0]), has_y & (chunk[p] >= cuts[p][1])
            sums[p] += (y[low].sum(), low.sum(), y[high].sum(), high.sum())
    base = stats[kpi].mean
    rows = []
    for p in varied:
        ls, lc, hs, hc = sums[p]
        low = (ls / lc if lc else math.nan) - base
        high = (hs / hc if hc else math.nan) - base
        rows.append({"parameter": p, "low": low, "high": high, "span": abs(high - low)})
    out = pd.DataFrame(rows, columns=["parameter", "low", "high", "span"])
    return out.sort_values("span", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------
# the report's digest
# ---------------------------------------------------------------------------


@dataclass
class SweepDigest:
    """What the report shows of a sweep store, computed in bounded memory."""

    n_rows: int
    histograms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    tornado: pd.DataFrame | None = None
    tornado_kpi: str | None = None
    parameters: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.n_rows

    @property
    def empty(self) -> bool:
        """Whether the store holds no scenario yet."""
        return self.n_rows == 0


def digest(source: Source, kpis: Sequence[str], parameters: Sequence[str],
           objective: str | None, bins: int = 40) -> SweepDigest:
    """Histograms of the ``kpis`` and tornado of the ``objective`` over the ``parameters``.

    Histograms of the ``kpis`` present with values; the tornado of the ``objective`` (else the
    first such KPI) over the ``parameters`` present.
    """
    present = set(source.columns)
    kpis = [k for k in kpis if k in present]
    stats = moments(source, kpis)
    kpis = [k for k in kpis if stats[k].n]
    ranges = {k: (stats[k].minimum, stats[k].maximum) for k in kpis
              if math.isfinite(stats[k].minimum) and math.isfinite(stats[k].maximum)}
    parameters = [p for p in parameters if p in present]
    kpi = objective if objective in present else (kpis[0] if kpis else None)
    table = tornado(source, parameters, kpi) if parameters and kpi is not None else None
    return SweepDigest(n_rows=len(source), histograms=histograms(source, ranges, bins),
                       tornado=table, tornado_kpi=kpi, parameters=parameters)
