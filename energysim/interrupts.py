"""Interrupts: SIGINT (Ctrl-C) and SIGTERM end a command cleanly, never in the middle of a commit.

:func:`handled` installs one handler for both signals (the CLI wraps every
command in it). The handler raises :class:`Interrupted`, a ``BaseException``
that ``except Exception`` in a library cannot swallow; the signal is also
recorded, so a run whose interrupt was swallowed anyway (e.g. by a C extension
that catches it) still refuses to write results (:func:`check`) and still
exits with 128 + the signal number. Code that must not be cut in half (moving
a finished result set into place, cleaning up) runs under :func:`deferred`:
a signal arriving there is held and raised when the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Interrupted", "SIGNALS", "handled", "received", "check", "deferred", "note_written",
           "written"]

#: The signals that interrupt a command.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # noqa: N818 - reads as what happened, like KeyboardInterrupt
    """A command was interrupted by ``signum``; its exit code is 128 + ``signum``."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)

    @property
    def exit_code(self) -> int:
        """The shell's exit status of a process ended by this signal: 128 + its number."""
        return 128 + self.signum


class _State:
    first: int | None = None  # the first signal received (sets the exit code)
    pending: int | None = None  # a signal held by deferred()
    depth: int = 0  # nesting of deferred()
    written: list[Path] = []  # result folders committed by this command


_state = _State()


def _handler(signum: int, frame) -> None:
    if _state.first is None:
        _state.first = signum
    if _state.depth:
        _state.pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def handled(*, restore: bool = True) -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` inside the block.

    The handlers are installed even when the parent ignored the signal (a shell
    starts background jobs with SIGINT ignored): ``kill -INT`` must still stop
    the command cleanly. With ``restore=False`` (the program is about to exit)
    later signals are ignored instead of restored, so none can interrupt the
    interpreter's own shutdown with a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed by the main thread
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.first = _state.pending = None
    _state.depth = 0
    _state.written = []
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s in SIGNALS:
            signal.signal(s, previous[s] if restore and previous[s] is not None else signal.SIG_IGN)


def received() -> int | None:
    """The first signal received by the running command, or None."""
    return _state.first


def check() -> None:
    """Raise :class:`Interrupted` when a signal was received.

    Even if its exception was swallowed.
    """
    if _state.first is not None:
        raise Interrupted(_state.first)


@contextmanager
def deferred(*, raise_pending: bool = True) -> Iterator[None]:
    """Hold SIGINT/SIGTERM during the block; a held signal is raised when it ends.

    With ``raise_pending=False`` (cleanup while an exception is already on its
    way out) a held signal is only recorded: :func:`received` still reports it.
    """
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        pending, _state.pending = _state.pending, None
        if pending is not None and raise_pending and not _state.depth:
            raise Interrupted(pending)


def note_written(path: Path) -> None:
    """Record that ``path`` received a finished result set (so an interrupt message stays true)."""
    _state.written.append(Path(path))


def written() -> list[Path]:
    """Result folders committed by the running command."""
    return list(_state.written)
