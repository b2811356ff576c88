r"""Safe paths: one check for every file energysim reads and every folder it writes.

Every reader (config, weather file and ensemble, profile CSV, power curve,
pathway and sweep files) asks :func:`file_problem` / :func:`require_file`
before opening anything, and every command checks its output folder with
:func:`require_out_dir` before computing. A broken rule is an error naming the
path and the rule (the CLI prints it and exits with code 2).

Rules
-----
Input files
    - no NUL character in the path (TOML strings may carry ``\u0000``);
    - the path resolves: no symbolic-link loop, no file in the middle of the
      path, not too long;
    - it is a regular file — not a folder, FIFO, socket or device. The check
      uses ``stat`` and never opens the path: opening a FIFO blocks until some
      other process writes to it, i.e. a run would hang forever;
    - it is readable by this user (``os.access``; root may read anything).
Output folders
    - no NUL character; an existing path must be a writable folder (not a
      file, FIFO, ...); a missing one must lie under a writable folder, with no
      file in the middle of its path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from energysim.errors import EnergysimError, InputDataError, problem

__all__ = [
    "OutputFolderError",
    "file_problem",
    "require_file",
    "folder_problem",
    "require_out_dir",
    "shown_path",
]


class OutputFolderError(EnergysimError):
    """An output folder (``--out``) is unusable, or in use by another run."""

    kind = "output folder error"


def _kind(mode: int) -> str:
    """What a non-regular, non-folder file is, for messages."""
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _stat_problem(exc: OSError) -> str:
    """The rule an ``os.stat`` failure breaks (other than 'not found')."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (a link in the path points back to itself)"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "not accessible: permission denied on a folder of the path"
    return f"cannot be examined ({exc.strerror or exc})"


def _nul(path: str | os.PathLike) -> bool:
    return "\x00" in os.fspath(path)


def file_problem(path: str | os.PathLike) -> str | None:
    """The rule ``path`` breaks as an input file (module Rules), or None when it is usable.

    Never opens ``path`` (a FIFO would block).
    """
    if _nul(path):
        return "path contains a NUL character (\\0)"
    text = os.fspath(path)
    try:
        st = os.stat(text)  # follows links; does not open the file
    except FileNotFoundError:
        if os.path.islink(text):
            return "symbolic link to a missing file"
        return "file not found"
    except OSError as exc:
        return _stat_problem(exc)
    if stat.S_ISDIR(st.st_mode):
        return "is a folder; a file is expected here"
    if not stat.S_ISREG(st.st_mode):
        return (f"is {_kind(st.st_mode)}, not a regular file; energysim reads only regular "
                "files (a pipe would make the run wait forever)")
    if not os.access(text, os.R_OK):
        return "not readable: permission denied"
    return None


def require_file(path: str | os.PathLike, error: type[EnergysimError] = InputDataError, *,
                 field: str | None = None, what: str = "file") -> Path:
    """``path`` as a Path when it is a usable input file.

    Else raise ``error`` naming it and the rule (``what`` names the file in "<what> not found",
    e.g. "config file").
    """
    rule = file_problem(path)
    if rule is not None:
        rule = f"{what} not found" if rule == "file not found" else rule
        raise error(problem(rule, source=_printable(path), field=field))
    return Path(path)


def _printable(path: str | os.PathLike) -> str:
    return os.fspath(path).replace("\x00", "\\0")


def folder_problem(path: str | os.PathLike) -> str | None:
    """The rule ``path`` breaks as an output folder (module Rules), or None when it is usable."""
    if _nul(path):
        return "path contains a NUL character (\\0)"
    text = os.fspath(path)
    try:
        st = os.stat(text)
    except FileNotFoundError:
        if os.path.islink(text):
            return "symbolic link to a missing folder"
        return _creatable(Path(text))
    except OSError as exc:
        return _creatable(Path(text)) if exc.errno == errno.ENOTDIR else _stat_problem(exc)
    if not stat.S_ISDIR(st.st_mode):
        what = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        return f"is {what}, not a folder; give a folder for the results"
    if not os.access(text, os.W_OK | os.X_OK):
        return "folder is not writable (permission denied)"
    return None


def _creatable(path: Path) -> str | None:
    """A missing folder can be made: its nearest existing ancestor is a writable folder."""
    for parent in path.absolute().parents:
        try:
            st = os.stat(parent)
        except (FileNotFoundError, NotADirectoryError):
            continue  # the file in the path is further up
        except OSError as exc:
            return _stat_problem(exc)
        if not stat.S_ISDIR(st.st_mode):
            return f"lies under {parent}, which is a file, not a folder"
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"cannot be created: {parent} is not writable (permission denied)"
        return None
    return None


def require_out_dir(path: str | os.PathLike) -> Path:
    """``path`` as a Path when it can hold results (module Rules).

    Else raise :class:`OutputFolderError`.
    """
    rule = folder_problem(path)
    if rule is not None:
        raise OutputFolderError(problem(rule, source=_printable(path), field="--out"))
    return Path(path)


def shown_path(path: str | os.PathLike, base: str | os.PathLike | None) -> str:
    """``path`` as shown in results: relative to ``base`` (the config's folder), never absolute.

    A path on another drive than ``base`` (or without a base) is shown by its name.
    """
    path = Path(path)
    if base is None:
        return path.name if path.is_absolute() else path.as_posix()
    try:
        return Path(os.path.relpath(path.absolute(), Path(base).absolute())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.name
