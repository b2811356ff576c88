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


def test_quick_start_figures_are_what_the_ordos_run_gives(ordos_park, ordos_profiles):
    """The headline figures the README quotes for `make demo` come from a real run, not from memory."""
    import re

    import energysim

    text = (REPO / "README.md").read_text()
    k = energysim.simulate(ordos_park, profiles=ordos_profiles).kpis

    def quoted(label: str) -> str:
        match = re.search(rf"^ {re.escape(label)}\s+(.+?)\s*$", text, flags=re.M)
        assert match, f"README quick start has no line {label!r}"
        return match.group(1)

    assert quoted("on-site share").startswith(f"{100 * k['onsite_share']:.1f} %")
    assert quoted("green import share").startswith(f"{100 * k['green_import_share']:.1f} %")
    assert quoted("hourly-matched CFE score").startswith(f"{100 * k['cfe_hourly_score']:.1f} %")
    assert quoted("PV / wind full-load hours").startswith(
        f"{k['pv_full_load_hours']:,.0f} / {k['wind_full_load_hours']:,.0f} h")
    assert quoted("annualised cost").startswith(f"{k['annualized_cost'] / 1e9:,.2f} bn")
