"""Output folders: unusable --out, one writer per folder, one result set per folder.

Runs go through the CLI (``energysim.cli.main``) on the two-week park of the CLI
tests; the concurrent writer is a real second process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import small_park  # noqa: E402

from energysim.cli import main  # noqa: E402
from energysim.results import LOCK_NAME, MANIFEST_NAME, PARTIAL_PREFIX  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "energysim"


def _names(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --------------------------------------------------------------- unusable --out
def test_out_that_is_a_file_exits_2_before_computing(tmp_path, capsys):
    cfg = small_park(tmp_path)
    target = tmp_path / "results.txt"
    target.write_text("my notes")
    assert main(["run", str(cfg), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"{target}: --out: is a file, not a folder" in err and "Traceback" not in err
    assert target.read_text() == "my notes"


def test_out_under_a_file_exits_2(tmp_path, capsys):
    cfg = small_park(tmp_path)
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "deeper" / "out"
    assert main(["size", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--out: lies under" in err and "which is a file, not a folder" in err
    assert "Traceback" not in err


def test_out_that_is_a_fifo_exits_2(tmp_path, capsys):
    cfg = small_park(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["study", str(cfg), "--out", str(fifo)]) == 2
    assert "is a FIFO (named pipe), not a folder" in capsys.readouterr().err


def test_read_only_out_exits_2(tmp_path, capsys):
    cfg = small_park(tmp_path)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as a user (root) for whom chmod does not stop writes")
        assert main(["run", str(cfg), "--out", str(out)]) == 2
        assert "folder is not writable (permission denied)" in capsys.readouterr().err
        assert list(out.iterdir()) == []
        assert main(["run", str(cfg), "--out", str(out / "sub")]) == 2
        assert "cannot be created" in capsys.readouterr().err
    finally:
        out.chmod(0o755)


def test_report_and_init_check_their_folder_too(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["report", str(tmp_path / "f")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "f" / "site")]) == 2
    assert "lies under" in capsys.readouterr().err


# --------------------------------------------------------------- one writer
def test_second_writer_is_refused_naming_the_folder_and_the_holder(tmp_path, capsys):
    """A real `study` holds the folder; a concurrent `run` into it stops with exit 2."""
    out = tmp_path / "busy"
    proc = subprocess.Popen([str(EXE), "study", str(REPO / "configs" / "ordos.toml"), "--out",
                             str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        t0 = time.monotonic()
        while not (out / LOCK_NAME).exists():
            assert proc.poll() is None and time.monotonic() - t0 < 180, proc.communicate()
            time.sleep(0.05)
        assert main(["run", str(small_park(tmp_path)), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"{out}: --out: is in use by another energysim command (pid {proc.pid}, " \
               "energysim study)" in err
        assert not (out / "summary.json").exists()
    finally:
        proc.terminate()
        proc.communicate(timeout=300)
    assert proc.returncode == 143
    assert not out.exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": int(dead.stdout), "command": "run"}))
    (out / f"{PARTIAL_PREFIX}deadbeef").mkdir()  # its half-written staging folder
    (out / f"{PARTIAL_PREFIX}deadbeef" / "summary.json").write_text("{}")
    assert main(["run", str(small_park(tmp_path)), "--out", str(out)]) == 0
    assert _names(out) == ["flows.nc", "report.html", MANIFEST_NAME, "summary.json"]


# --------------------------------------------------------------- one result set
def test_run_into_a_study_folder_replaces_the_study(tmp_path):
    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["study", str(cfg), "--shares", "0.5,0.6", "--out", str(out)]) == 0
    assert {"sizing.json", "frontier.csv", "study.json", "sized/summary.json"} <= set(_names(out))
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    assert _names(out) == ["flows.nc", "report.html", MANIFEST_NAME, "summary.json"]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["command"] == "run" and sorted(manifest["files"]) == [
        "flows.nc", "report.html", "summary.json"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="frontier">' not in html and "least-cost mix" not in html


def test_report_shows_only_files_of_the_run(tmp_path, capsys):
    """A foreign or changed result file next to a run is left out and named in a warning."""
    cfg = small_park(tmp_path)
    study, out = tmp_path / "study", tmp_path / "run"
    assert main(["study", str(cfg), "--shares", "0.5,0.6", "--out", str(study)]) == 0
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    shutil.copy(study / "frontier.csv", out / "frontier.csv")  # an old study's file
    shutil.copytree(study / "sized", out / "sized")
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    err = capsys.readouterr().err
    assert "frontier.csv: not from this run (run " in err
    assert "sized/summary.json: not from this run" in err
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="frontier">' not in html and "least-cost mix" not in html
    assert "WARNING frontier.csv: not from this run" in html
    # the manifest follows the rebuilt report; a changed file is left out too
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    from energysim.results import file_sha256

    assert manifest["files"]["report.html"] == file_sha256(out / "report.html")
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps(dict(summary, onsite_share=0.99)))
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "summary.json: changed since run" in err and "holds no saved results" in err


def test_a_run_failing_while_it_writes_leaves_the_earlier_result_set_untouched(
        tmp_path, capsys, monkeypatch):
    """Results move into place only when all of them (report included) are complete."""
    import energysim.report
    from energysim.errors import InputDataError

    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    before = {p: (out / p).read_bytes() for p in _names(out)}

    def broken(data):
        raise InputDataError("the report could not be built")

    monkeypatch.setattr(energysim.report, "build_report", broken)
    cfg.write_text(cfg.read_text().replace("energy_mwh = 100", "energy_mwh = 120"))
    assert main(["run", str(cfg), "--out", str(out)]) == 2
    assert "the report could not be built" in capsys.readouterr().err
    assert {p: (out / p).read_bytes() for p in _names(out)} == before


def test_out_on_a_filesystem_that_refuses_folders_exits_2(tmp_path, capsys):
    """Writable by its mode bits (even for root), yet no folder can be made there."""
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no /sys (not Linux)")
    assert main(["run", str(small_park(tmp_path)), "--out", "/sys/kernel/energysim-out"]) == 2
    err = capsys.readouterr().err
    assert "/sys/kernel/energysim-out: --out: cannot be created" in err and "Traceback" not in err


def test_sweep_store_is_never_replaced_and_never_mixed(tmp_path, capsys):
    cfg = small_park(tmp_path)
    store = tmp_path / "sweep"
    (store / "batches").mkdir(parents=True)
    (store / "manifest.json").write_text("{}")
    assert main(["run", str(cfg), "--out", str(store)]) == 2
    assert "holds a sweep store (manifest.json, batches)" in capsys.readouterr().err
    assert _names(store) == ["batches", "manifest.json"]
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(f'[sweep]\nbase = "{cfg.name}"\n[parameters]\n'
                          '"battery.energy_mwh" = {{ values = [50, 100] }}\n')
    assert main(["sweep", str(sweep_file), "--out", str(out), "--threads"]) == 2
    assert "holds the results of energysim run (run.json)" in capsys.readouterr().err
