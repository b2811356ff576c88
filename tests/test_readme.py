"""The README keeps its promises: the two quick-start commands, and generated performance figures."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def _readme_module():
    spec = importlib.util.spec_from_file_location("bench_readme", REPO / "benchmarks" / "readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_start_commands_exist():
    text = (REPO / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    makefile = (REPO / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_performance_section_matches_recorded_results():
    readme = _readme_module()
    text = (REPO / "README.md").read_text()
    section = readme.START + text.split(readme.START, 1)[1].split(readme.END, 1)[0] + readme.END
    assert section == readme.render(), "run: python benchmarks/readme.py"
