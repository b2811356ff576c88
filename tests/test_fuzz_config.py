"""Property-based fuzzing of the config loader: any input loads a valid park or raises
ConfigError.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energysim.config import ParkConfig, load_park, park_from_dict
from energysim.errors import ConfigError

SECTIONS = {name: field.annotation for name, field in ParkConfig.model_fields.items()
            if name != "source"}


def _keys(section: str) -> list[str]:
    model = SECTIONS[section]
    model = getattr(model, "__args__", (model,))[0]
    return list(getattr(model, "model_fields", {})) + ["bogus_key"]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["remainder", "fixed", "single_axis", "annual", "hourly", "Asia/Shanghai",
                     "E-126/4200", "industrial_continuous", "x.csv:col", "energysim"]),
    st.lists(st.integers(), max_size=3),
)


@st.composite
def configs(draw):
    data = {
        "site": {"latitude": 39.6, "longitude": 109.8, "timezone": "Asia/Shanghai"},
        "load": {"annual_mwh": 1000.0},
        "pv": {"max_mw": 0},
        "wind": {"max_mw": 0},
    }
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "bogus"]), max_size=4)):
        if section == "bogus" or draw(st.integers(0, 9)) == 0:
            data[section] = draw(scalars)
            continue
        table = data.get(section)
        if not isinstance(table, dict):
            table = data[section] = {}
        for key in draw(st.lists(st.sampled_from(_keys(section)), min_size=1, max_size=4)):
            table[key] = draw(scalars)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_dict_loads_or_raises_config_error(data):
    try:
        park = park_from_dict(data)
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    assert isinstance(park, ParkConfig)
    assert 0 <= park.targets.onsite_share <= 1
    assert math.isfinite(park.pv.capacity_mw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_file_loads_or_raises_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "park.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_park(path)
    except ConfigError:
        pass
