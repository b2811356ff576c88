"""Interrupts: real SIGINT / SIGTERM sent to a real ``energysim`` process while it computes.

Each test starts the command as its own process (the console script or
``python -m energysim``), waits until it holds its output folder's lock (it is
past its checks and computing), signals it, and checks the exit code (130 for
SIGINT, 143 for SIGTERM), the one line on stderr, the absence of a traceback
and that nothing that looks like a result was written (an earlier result set in
the folder is left byte-identical).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from energysim import interrupts
from energysim.results import LOCK_NAME, OutputFolder

REPO = Path(__file__).resolve().parents[1]
ORDOS = REPO / "configs" / "ordos.toml"
SWEEP = REPO / "configs" / "sweeps" / "ordos_sensitivity.toml"
EXE = Path(sys.executable).parent / "energysim"
NOTHING = "interrupted — nothing written"


def _start(args: list[str], *, module: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "energysim", *args] if module else [str(EXE), *args]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def _wait_busy(proc: subprocess.Popen, ready: Path, extra_s: float, timeout_s: float = 180):
    """Wait until ``ready`` exists (e.g. the lock: the command is computing), then ``extra_s``."""
    t0 = time.monotonic()
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout_s, f"{ready} never appeared"
        time.sleep(0.05)
    time.sleep(extra_s)
    assert proc.poll() is None, "the command finished before it could be interrupted"


def _interrupt(proc: subprocess.Popen, signum: int) -> tuple[int, str]:
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sigint_during_study_exits_130_and_writes_nothing(tmp_path):
    out = tmp_path / "study"
    proc = _start(["study", str(ORDOS), "--out", str(out)])
    _wait_busy(proc, out / LOCK_NAME, extra_s=2.0)
    code, err = _interrupt(proc, signal.SIGINT)
    assert code == 130, err
    assert err == NOTHING + "\n"  # one line, no traceback
    assert not out.exists()  # the folder it created is gone again: no result, no partial


def test_sigterm_during_size_exits_143_and_keeps_the_earlier_results(tmp_path):
    """A folder holding an earlier run: an interrupted `size` leaves it byte-identical."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_cli import small_park

    from energysim.cli import main

    out = tmp_path / "out"
    assert main(["run", str(small_park(tmp_path)), "--out", str(out)]) == 0
    before = _snapshot(out)
    proc = _start(["size", str(ORDOS), "--out", str(out)], module=True)
    _wait_busy(proc, out / LOCK_NAME, extra_s=3.0)
    code, err = _interrupt(proc, signal.SIGTERM)
    assert code == 143, err
    assert err == NOTHING + "\n"
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no lock, no partial left


def test_sigint_during_frontier_via_python_m(tmp_path):
    out = tmp_path / "frontier"
    # 91 frontier points: busy long enough for the signal to land mid-solve on a fast machine
    proc = _start(["frontier", str(ORDOS), "--shares", "0.05:0.95:0.01", "--out", str(out)],
                  module=True)
    _wait_busy(proc, out / LOCK_NAME, extra_s=4.0)
    code, err = _interrupt(proc, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err and err.strip().splitlines() == [NOTHING]
    assert not out.exists()


def test_sigint_during_sweep_keeps_batches(tmp_path):
    """A sweep keeps its finished batches (it resumes from them) and says so."""
    out = tmp_path / "sweep"
    proc = _start(["sweep", str(SWEEP), "--out", str(out), "--workers", "1", "--threads"])
    _wait_busy(proc, out / "batches", extra_s=0.0)
    t0 = time.monotonic()
    while not list((out / "batches").glob("*.parquet")):
        assert time.monotonic() - t0 < 180 and proc.poll() is None
        time.sleep(0.1)
    code, err = _interrupt(proc, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err
    # one line: the fixed phrase, then how many batches are kept where
    assert err.strip().splitlines()[-1].startswith("interrupted — batches kept, rerun to resume")
    assert list((out / "batches").glob("*.parquet"))
    assert not (out / "scenarios.parquet").exists() and not (out / LOCK_NAME).exists()


# --------------------------------------------------------------- in-process rules
def test_a_swallowed_interrupt_still_writes_nothing(tmp_path):
    """A library that catches the interrupt cannot make the run commit its results."""
    out = tmp_path / "out"
    with interrupts.handled(), OutputFolder(out, "run") as folder:
        (folder.staging / "summary.json").write_text("{}")
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here
        except interrupts.Interrupted:
            pass  # swallowed, as some C extensions do
        with pytest.raises(interrupts.Interrupted):
            folder.commit()
    assert not out.exists()


def test_a_signal_during_the_commit_waits_until_it_is_complete(tmp_path, monkeypatch):
    """The moves into place are not cut in half; the interrupt is raised after them."""
    out = tmp_path / "out"
    moved = []
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).parent == out:  # a move into place
            if not moved:
                os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the commit
            moved.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with interrupts.handled():
        with pytest.raises(interrupts.Interrupted) as exc, OutputFolder(out, "run") as folder:
            for name in ("flows.nc", "summary.json"):
                (folder.staging / name).write_text(name)
            folder.commit()
        assert exc.value.exit_code == 143
        assert interrupts.written() == [out]
    assert sorted(p.name for p in out.iterdir()) == ["flows.nc", "run.json", "summary.json"]
    assert moved[-1] == "run.json"  # the manifest last: a set without it is not a result


def test_interrupted_message_names_what_was_kept():
    from energysim.cli import interrupted_message

    assert interrupted_message(["run", "x.toml"], []) == NOTHING
    assert (interrupted_message(["sweep", "s.toml"], [])
            == "interrupted — batches kept, rerun to resume")
    assert "were already complete" in interrupted_message(["run", "x.toml"], [Path("out/x")])
