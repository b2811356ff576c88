"""Packaging: a wheel (not an editable install) works from anywhere, with its shipped data.

The wheel is built offline from a copy of the source tree (``pip install
--no-deps --no-build-isolation``) into a fresh virtual environment that borrows
this environment's third-party packages through a ``.pth`` file (not its
energysim), then the CLI runs from a folder outside the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from energysim.weather.shipped import SHIPPED, shipped_path


def _pyproject(repo: Path) -> dict:
    return tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))


def test_package_list_is_complete(repo):
    """Every folder of energysim/ with an __init__.py is listed (the list is explicit because of
    the mapped data package), and every file the package reads at run time is package data.
    """
    tool = _pyproject(repo)["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(repo).parts)
             for p in (repo / "energysim").rglob("__init__.py")}
    listed = set(tool["packages"])
    assert found <= listed, ("add to [tool.setuptools] packages in pyproject.toml: "
                             f"{sorted(found - listed)}")
    assert listed - found == {"energysim.weather.data"}
    assert tool["package-dir"]["energysim.weather.data"] == "weather"
    assert set(SHIPPED) <= set(tool["package-data"]["energysim.weather.data"])
    for name in SHIPPED:
        assert shipped_path(name) == (repo / "weather" / name).resolve()


def test_unknown_shipped_file_is_a_clear_error():
    from energysim.errors import WeatherError

    with pytest.raises(WeatherError, match="not a shipped weather file"):
        shipped_path("ordos/nowhere.csv")


def _run(cmd: list, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(repo, tmp_path_factory):
    """A fresh venv holding energysim installed from a wheel built from a copy of the sources."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("energysim", "weather"):
        shutil.copytree(repo / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo / name, src / name)
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], root, os.environ.copy())
    site = next((venv / "lib").glob("python3*/site-packages"))
    # third-party packages (and pip, setuptools) from this environment; its energysim is an
    # editable finder activated by its own .pth, which a path added this way does not run
    deps = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    (site / "zz_energysim_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
          "--no-index", "--ignore-installed", src], root, env)
    shutil.rmtree(src)  # nothing may be read from the sources any more
    return venv, site, env


def test_wheel_installs_code_and_shipped_data(installed):
    venv, site, env = installed
    done = _run([venv / "bin" / "python", "-c",
                 "import energysim, energysim.weather.shipped as s; print(energysim.__file__); "
                 "print(s.shipped_path('ordos/typical_year.csv'))"], venv, env)
    module, weather = done.stdout.split()
    assert Path(module).is_relative_to(site) and Path(weather).is_relative_to(site)
    assert (site / "energysim" / "weather" / "data" / "ordos" / "params.json").is_file()
    assert not (site / "energysim" / "weather" / "data" / "ordos" / "build.py").exists()


def test_installed_cli_runs_outside_the_repo(installed, repo, tmp_path):
    """``energysim init`` + ``run`` on the starter (weather from package data) and
    ``energysim study configs/ordos.toml`` with the example configs and weather copied
    beside the working folder, none of it inside the repository.
    """
    venv, site, env = installed
    cli = venv / "bin" / "energysim"
    work = tmp_path / "work"
    shutil.copytree(repo / "configs", work / "configs")
    for name in ("typical_year.csv", "years.csv"):
        (work / "weather" / "ordos").mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / "weather" / "ordos" / name, work / "weather" / "ordos" / name)
    _run([cli, "init", "park"], work, env)
    starter = (work / "park" / "park.toml").read_text(encoding="utf-8")
    assert str(site) in starter and str(repo) not in starter
    _run([cli, "run", "park/park.toml", "--out", "out-run"], work, env)
    assert (work / "out-run" / "summary.json").is_file()
    done = _run([cli, "study", "configs/ordos.toml", "--out", "out-study"], work, env, timeout=600)
    assert (work / "out-study" / "study.json").is_file() and "least-cost mix" in done.stdout
