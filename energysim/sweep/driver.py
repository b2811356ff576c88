"""The sweep driver: a Dask cluster, the scheduling loop, the store and the progress bar.

:func:`run_sweep` opens (or joins) a cluster (:func:`_cluster`), submits the
batches still missing from the store with a bounded number in flight
(:class:`_Loop`), writes each finished batch to the store as it arrives
(:class:`energysim.sweep.store.Store`), then writes the consolidated table and
the summary. The work of one batch is :func:`energysim.sweep.execute.run_batch`.

Interrupts (Ctrl-C, or any exception in the driver): the batches stored so far
stay (each is complete by construction), the futures are cancelled and a local
cluster is closed with its log silenced, so the workers print nothing; local
worker processes ignore SIGINT (a terminal sends it to the whole process group)
and are stopped by the driver. The exception is then re-raised: a rerun
computes only the missing batches.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from energysim.errors import EnergysimError
from energysim.sweep.execute import run_batch
from energysim.sweep.spec import Sweep, data_sha256, load_sweep
from energysim.sweep.store import Store
from energysim.sweep.summary import summarize

__all__ = ["run_sweep", "SweepOutcome", "interrupted_message"]

#: Submissions of one batch before an infrastructure failure is final.
_MAX_ATTEMPTS = 3
#: Loggers silenced while a cluster is torn down after an interrupt.
_DASK_LOGGERS = ("distributed", "tornado", "asyncio")
#: Dask settings of a sweep's local cluster. Each scheduler-worker stream keeps its last
#: ``low-level-log-length`` messages (default 1 000) for debugging; a task message carries
#: its batch's parameter values (~100 kB for 2 500 scenarios), so the default holds up to
#: ~100 MB per worker in the driver: a few suffice.
DASK_CONFIG = {"distributed.admin.low-level-log-length": 20}
_HTTP_ADDRESS = "127.0.0.1:0"


@dataclass
class SweepOutcome:
    """What a :func:`run_sweep` call did."""

    out_dir: Path
    n_scenarios: int
    n_batches: int
    batches_computed: list[int]  #: batches this call computed (resume skips the others)
    batches_skipped: int
    elapsed_s: float
    table_path: Path  #: scenarios.parquet
    summary: dict[str, Any]  #: what summary.json holds


def _manifest(sweep: Sweep) -> dict[str, Any]:
    import energysim

    plan = sweep.plan
    return {
        "sweep_file": str(sweep.path),
        "sweep_sha256": sweep.file_sha256,
        "base_config": str(sweep.park.source) if sweep.park.source else None,
        "base_sha256": sweep.base_sha256,
        "data_sha256": data_sha256(sweep.park),
        "mode": sweep.mode,
        "n_scenarios": int(plan.n_scenarios),
        "n_batches": int(plan.n_batches),
        "batch_size": int(plan.batch_size),
        "seed": int(sweep.spec.sweep.seed),
        "samples": int(plan.samples),
        "parameters": {nm: plan.kinds[nm] for nm in plan.names},
        "energysim_version": energysim.__version__,
    }


def interrupted_message(out_dir: str | Path, n_batches: int) -> str:
    """The line shown when a sweep is interrupted: what was kept and how to go on."""
    kept = len(Store(out_dir).done())
    return (f"interrupted — batches kept, rerun to resume ({kept:,} of {n_batches:,} "
            f"batches in {out_dir})")


def _progress(enabled: bool, total: int, done: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("scenarios"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
        TimeRemainingColumn(), disable=not enabled, transient=False,
    )
    task = progress.add_task("sweep", total=total, completed=done, rate="")
    return progress, task


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while local worker processes start: they inherit it.

    POSIX keeps an ignored signal ignored across exec, and Python then installs no
    KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Interrupts:
    """Ctrl-C during the scheduling loop: a KeyboardInterrupt as usual, and remembered.

    A KeyboardInterrupt that lands in a finalizer (``Future.__del__`` runs as
    results are released) is printed and dropped by Python; :meth:`check`
    raises it again at the next finished batch, so no interrupt is lost.
    """

    def __init__(self):
        self.seen = False
        self._previous = None

    def _handler(self, signum, frame):
        self.seen = True
        # from here on Dask's logs are teardown noise (e.g. distributed's sync() cancel
        # callback can fail on its event loop and log a traceback); run_sweep restores them
        _silence_logs()
        raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt


def _silence_logs() -> None:
    """Nothing more from Dask's loggers (levels restored by :func:`_log_levels_kept`)."""
    for name in _DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextlib.contextmanager
def _log_levels_kept() -> Iterator[None]:
    """Dask's loggers at their levels of entry again on the way out."""
    loggers = [logging.getLogger(name) for name in _DASK_LOGGERS]
    levels = [lg.level for lg in loggers]
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Nothing from Dask's loggers while a cluster is torn down mid-work."""
    with _log_levels_kept():
        _silence_logs()
        yield


@dataclass
class _Cluster:
    """A Dask client for the sweep and what to close after it."""

    client: Any
    numba_threads: int | None
    own_client: bool = False
    cluster: Any = None

    def close(self, quiet: bool) -> None:
        """Close what the sweep opened; after an interrupt (``quiet``) silently.

        Not itself interruptible by a second Ctrl-C (each close has a timeout).
        """
        with _quiet_logs() if quiet else contextlib.nullcontext(), \
                _sigint_ignored() if quiet else contextlib.nullcontext():
            if self.own_client:
                with contextlib.suppress(Exception):
                    self.client.close(timeout=10)
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=10)


@contextlib.contextmanager
def _cluster(client, scheduler: str | None, n_workers: int | None, processes: bool,
             n_todo: int, numba_threads: int | None) -> Iterator[_Cluster]:
    """The client to use: ``client``, one for ``scheduler``, or a new local cluster.

    A local cluster has one single-threaded worker per core (at most one per batch to
    do) and gives each task cores / workers Numba threads unless told otherwise.
    Whatever this opened is closed on the way out, quietly if an exception is passing.
    """
    from distributed import Client

    if client is not None:
        ctx = _Cluster(client, numba_threads)
    elif scheduler:
        ctx = _Cluster(Client(scheduler), numba_threads, own_client=True)
    else:
        cores = os.cpu_count() or 1
        workers = max(1, min(n_workers or cores, n_todo))
        cluster = _local_cluster(workers, processes)
        ctx = _Cluster(Client(cluster), numba_threads or max(1, cores // workers),
                       own_client=True, cluster=cluster)
    try:
        yield ctx
    except BaseException:
        ctx.close(quiet=True)
        raise
    ctx.close(quiet=False)


def _local_cluster(workers: int, processes: bool):
    """A local cluster of single-threaded workers with :data:`DASK_CONFIG`.

    Its worker processes ignore SIGINT (the driver stops them).
    """
    import dask
    from distributed import LocalCluster

    with _sigint_ignored(), dask.config.set(DASK_CONFIG):
        # the scheduler's HTTP server on a free local port: no "port 8787 in use" warning
        # when another cluster runs, nothing listening beyond this machine
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                            dashboard_address=_HTTP_ADDRESS, silence_logs=logging.ERROR)


@dataclass
class _Loop:
    """Submits batches with a bounded number in flight and stores each as it arrives."""

    client: Any
    sweep: Sweep
    store: Store
    numba_threads: int | None
    run_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: dict[int, int] = field(default_factory=dict)
    futures: dict = field(default_factory=dict)

    def submit(self, batch: int):
        plan = self.sweep.plan
        lo, hi = plan.batch_range(batch)
        self.attempts[batch] = self.attempts.get(batch, 0) + 1
        future = self.client.submit(
            run_batch, self.sweep.park, self.sweep.batch_mode, plan.names, plan.kinds,
            plan.values(lo, hi), batch, self.numba_threads, self.run_token,
            key=f"energysim-sweep-{self.sweep.file_sha256[:12]}-{batch}-{self.attempts[batch]}",
            pure=False)
        self.futures[future] = batch
        return future

    def result(self, future):
        """The batch's table, or None when it is to be submitted again.

        None after an infrastructure failure, fewer than :data:`_MAX_ATTEMPTS` times.
        """
        batch = self.futures.pop(future)
        try:
            return future.result()
        except EnergysimError:
            raise  # the user's data or config: no point retrying
        except Exception:
            # infrastructure (workers lost beyond Dask's own rescheduling, cancelled
            # task): submit the batch again, a few times at most
            if self.attempts[batch] >= _MAX_ATTEMPTS:
                raise
            return None
        finally:
            future.release()

    def cancel(self) -> None:
        with _quiet_logs(), contextlib.suppress(Exception):
            self.client.cancel(list(self.futures), force=True)
        self.futures.clear()

    def run(self, todo: list[int], window: int, progress: tuple,
            on_batch: Callable[[int, int], None] | None) -> list[int]:
        """Compute the ``todo`` batches; returns those this call stored."""
        from distributed import as_completed

        pending = iter(todo)
        computed: list[int] = []
        first = [self.submit(b) for _, b in zip(range(window), pending, strict=False)]
        bar, task = progress
        t0, new = time.perf_counter(), 0
        with bar, _Interrupts() as interrupts:
            ac = as_completed(first)
            for future in ac:
                interrupts.check()
                batch = self.futures[future]
                table = self.result(future)
                if table is None:
                    ac.add(self.submit(batch))
                    continue
                if self.store.write_batch(batch, table):
                    computed.append(batch)
                new += table.num_rows
                rate = new / max(time.perf_counter() - t0, 1e-9)
                bar.update(task, advance=table.num_rows, rate=f"{rate:,.0f}/s")
                del table
                if on_batch is not None:
                    on_batch(batch, len(computed))
                nxt = next(pending, None)
                if nxt is not None:
                    ac.add(self.submit(nxt))
        return computed


def run_sweep(
    sweep: Sweep | str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    client=None,
    n_workers: int | None = None,
    processes: bool = True,
    progress: bool | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    max_in_flight: int | None = None,
    numba_threads: int | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep on Dask, storing one row per scenario in ``out_dir``.

    Parameters
    ----------
    sweep : Sweep or path
        A loaded sweep (:func:`energysim.sweep.load_sweep`) or its file.
    out_dir : path
        Results folder (:mod:`energysim.sweep.store`); batches already there are skipped.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``).
    client : distributed.Client, optional
        An existing client (takes precedence over ``scheduler``). Workers of a
        remote cluster must see the config's data files (weather, profiles) at
        the same paths (a shared filesystem); results come back to this process
        and are written here.
    n_workers : int, optional
        Local cluster size; default the machine's cores (at most one per batch to do).
    processes : bool
        Local cluster of worker processes (default) or threads.
    progress : bool, optional
        Show the rich progress bar; default when stdout is a terminal.
    on_batch : callable, optional
        ``on_batch(batch, n_written)`` after each batch is stored (tests inject faults here).
    max_in_flight : int, optional
        Batches submitted ahead of the results (bounds memory); default 2 x worker threads.
    numba_threads : int, optional
        Numba threads per task; default cores / workers on a local cluster, Numba's
        own default on a given client or scheduler.

    Returns
    -------
    SweepOutcome

    Raises
    ------
    KeyboardInterrupt
        Re-raised after the cluster is closed; the stored batches stay
        (:func:`interrupted_message` says how many).
    """
    from rich.console import Console

    sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    plan = sweep.plan
    store = Store(out_dir)
    store.open(_manifest(sweep))
    done = store.done() & set(range(plan.n_batches))
    todo = [b for b in range(plan.n_batches) if b not in done]
    start = time.perf_counter()
    computed: list[int] = []
    show = Console().is_terminal if progress is None else progress
    if todo:
        # levels kept outermost: an interrupt silences Dask until its cluster is closed
        with _log_levels_kept(), _cluster(client, scheduler, n_workers, processes, len(todo),
                                          numba_threads) as ctx:
            loop = _Loop(ctx.client, sweep, store, ctx.numba_threads)
            window = max_in_flight or max(2, 2 * (sum(ctx.client.nthreads().values()) or 1))
            done_scen = sum(plan.batch_range(b)[1] - plan.batch_range(b)[0] for b in done)
            try:
                computed = loop.run(todo, window, _progress(show, plan.n_scenarios, done_scen),
                                    on_batch)
            except BaseException:
                _silence_logs()  # e.g. SIGTERM: what Dask logs from here is teardown noise
                loop.cancel()
                raise
    table_path = store.consolidate()
    summary = summarize(store, sweep)
    return SweepOutcome(out_dir=Path(out_dir), n_scenarios=plan.n_scenarios,
                        n_batches=plan.n_batches, batches_computed=computed,
                        batches_skipped=len(done), elapsed_s=time.perf_counter() - start,
                        table_path=table_path, summary=summary)
