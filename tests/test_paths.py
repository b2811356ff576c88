"""Paths where a file is expected: a folder, a symlink loop, a FIFO, a NUL, an unreadable file.

Every reader goes through one check (:mod:`energysim.paths`): the CLI exits 2
naming the path and the rule, and never hangs on a FIFO (each test runs under
an alarm that fails it instead of hanging the suite).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import small_park, weather_park  # noqa: E402

from energysim.cli import main  # noqa: E402
from energysim.paths import file_problem, folder_problem  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WEATHER = REPO / "weather" / "ordos" / "typical_year.csv"


@pytest.fixture(autouse=True)
def no_hang():
    """Fail (instead of hanging forever) when a test blocks, e.g. on opening a FIFO."""
    def fail(signum, frame):
        raise TimeoutError("blocked for 60 s: a FIFO was opened?")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _fails(args: list[str], capsys, *needles: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err}"
    return err


@pytest.mark.parametrize("where", ["config", "weather", "ensemble", "profile", "power_curve"])
def test_fifo_where_a_file_is_expected_never_hangs(tmp_path, capsys, where):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    if where == "config":
        cfg = fifo
    elif where == "weather":
        cfg = weather_park(tmp_path, "pipe.csv")
    elif where == "ensemble":
        cfg = weather_park(tmp_path, WEATHER.as_posix(), 'ensemble_path = "pipe.csv"')
    elif where == "profile":
        cfg = small_park(tmp_path)
        cfg.write_text(cfg.read_text().replace('profile = "cf.csv:load"',
                                               'profile = "pipe.csv:load"'))
    else:
        cfg = small_park(tmp_path)
        cfg.write_text(cfg.read_text().replace('capacity_mw = 40\nprofile = "cf.csv:wind"',
                                               'capacity_mw = 40\npower_curve = "pipe.csv"'))
    _fails(["run", str(cfg), "--out", str(out)], capsys, "pipe.csv",
           "is a FIFO (named pipe), not a regular file")
    assert not out.exists()


def test_fifo_sweep_and_pathway_files(tmp_path, capsys):
    fifo = tmp_path / "plan.toml"
    os.mkfifo(fifo)
    for command in ("sweep", "pathway"):
        _fails([command, str(fifo), "--out", str(tmp_path / command)], capsys,
               f"{fifo}: is a FIFO (named pipe)")
        assert not (tmp_path / command).exists()


def test_symlink_loop(tmp_path, capsys):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    _fails(["run", str(loop)], capsys, f"{loop}: symbolic link loop")
    _fails(["run", str(weather_park(tmp_path, "loop.csv"))], capsys,
           "[weather] path", "symbolic link loop")
    cfg = small_park(tmp_path)
    cfg.write_text(cfg.read_text().replace('profile = "cf.csv:pv"', 'profile = "loop.csv:pv"'))
    _fails(["run", str(cfg)], capsys, "[pv] profile", "symbolic link loop")


def test_folder_where_a_file_is_expected(tmp_path, capsys):
    (tmp_path / "dir.toml").mkdir()
    _fails(["run", str(tmp_path / "dir.toml")], capsys, "dir.toml: is a folder; a file is expected")
    _fails(["report", str(tmp_path / "dir.toml" / "x")], capsys, "folder not found")


def test_unreadable_file(tmp_path, capsys):
    cfg = small_park(tmp_path)
    (tmp_path / "cf.csv").chmod(0o000)
    try:
        if os.access(tmp_path / "cf.csv", os.R_OK):
            pytest.skip("running as a user (root) who can read any file")
        _fails(["run", str(cfg)], capsys, "cf.csv", "not readable: permission denied")
    finally:
        (tmp_path / "cf.csv").chmod(0o644)


def test_nul_in_a_path(tmp_path, capsys):
    cfg = small_park(tmp_path)
    cfg.write_text(cfg.read_text().replace('profile = "cf.csv:load"',
                                           'profile = "cf\\u0000.csv:load"'))
    _fails(["run", str(cfg)], capsys, "[load] profile", "path contains a NUL character")


def test_the_shared_rules(tmp_path):
    """One check, one message per rule (what every reader reports)."""
    (tmp_path / "f").write_text("x")
    os.mkfifo(tmp_path / "p")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    assert file_problem(tmp_path / "f") is None
    assert file_problem(tmp_path / "nope") == "file not found"
    assert file_problem(tmp_path) == "is a folder; a file is expected here"
    assert file_problem(tmp_path / "p").startswith("is a FIFO (named pipe), not a regular file")
    assert file_problem(tmp_path / "dangling") == "symbolic link to a missing file"
    assert file_problem(tmp_path / "f" / "x") == "a part of the path is a file, not a folder"
    assert file_problem(str(tmp_path / "f") + "\0") == "path contains a NUL character (\\0)"
    assert file_problem(tmp_path / ("x" * 5000)) == "path too long"
    assert folder_problem(tmp_path / "new" / "deeper") is None
    assert folder_problem(tmp_path / "f") == (
        "is a file, not a folder; give a folder for the results")
    assert folder_problem(tmp_path / "f" / "a" / "b") == (
        f"lies under {tmp_path / 'f'}, which is a file, not a folder")
    assert folder_problem(tmp_path / "dangling") == "symbolic link to a missing folder"
