"""The README keeps its promises: the two quick-start commands, its generated performance
figures.
"""

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
    """The headline figures the README quotes for `make demo` come from a real run.

    Not from memory.
    """
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


def test_quick_start_robust_answer_is_what_the_ordos_sizing_gives(ordos_park, ordos_profiles):
    """The flagship answer the README quotes: the robust mix, its cost over the typical-year mix
    and how many weather years each reaches the target (a real run of both sizings).
    """
    import re

    import numpy as np

    import energysim
    from energysim.ensemble import profiles_by_year

    text = (REPO / "README.md").read_text()
    by_year = profiles_by_year(ordos_park)
    robust = energysim.size(ordos_park, by_year, robustness="every_year")
    typical = energysim.size(ordos_park, profiles=ordos_profiles)
    caps = robust.capacities
    assert (f"PV {caps.pv_mw:,.0f} MWp, wind {caps.wind_mw:,.0f} MW, battery "
            f"{caps.battery_mwh:,.0f} MWh / {caps.battery_mw:,.0f} MW") in text
    extra = robust.annualized_cost - typical.annualized_cost
    quoted = f"{robust.annualized_cost / 1e9:,.2f} bn CNY/yr, {extra / 1e6:,.2f} M CNY/yr"
    assert quoted in " ".join(text.split())
    target = ordos_park.targets.onsite_share
    met = sum(energysim.simulate(ordos_park, typical.capacities, p).kpis["onsite_share"]
              >= target - 1e-6 for p in by_year.values())
    assert re.search(rf"reaches 80\.0 % in only {met} of {len(by_year)} years",
                     " ".join(text.split()))
    shares = np.array([row["onsite_share"] for row in robust.robust["years"]])
    assert shares.min() >= target - 1e-6
