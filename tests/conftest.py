"""Shared fixtures: paths, the Ordos park and its profiles (built once per test process)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_ORDOS = REPO.parent / "shared" / "data" / "ordos"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_ordos() -> Path:
    """Real Dongsheng weather beside the repo (../shared/data/ordos); skip when absent."""
    if not SHARED_ORDOS.is_dir():
        pytest.skip(f"reference data not present at {SHARED_ORDOS} (a user's clone has no "
                    "../shared)")
    return SHARED_ORDOS


@pytest.fixture(scope="session")
def ordos_park():
    from energysim import load_park

    return load_park(REPO / "configs" / "ordos.toml")


@pytest.fixture(scope="session")
def ordos_profiles(ordos_park):
    from energysim.profiles import build_profiles

    return build_profiles(ordos_park)
