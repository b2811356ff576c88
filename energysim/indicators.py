"""China's zero-carbon park indicators: energy in standard coal, the core indicator's threshold.

The core indicator of the 2025 zero-carbon park notice (发改环资〔2025〕910号) is
CO2 per unit of comprehensive energy consumption [tCO2/tce], electricity
converted to standard coal by GB/T 2589-2020. Used by the accounting
(:func:`energysim.accounting.indicator_table`) and by the CO2 ceiling of the
sizing LP (:mod:`energysim.dispatch.procurement`), so both convert alike.
"""

from __future__ import annotations

import numpy as np

from energysim.config import ParkConfig

__all__ = ["ELECTRICITY_TO_TCE_PER_MWH", "tce_per_mwh", "core_threshold"]

#: kgce per kWh (= tce per MWh) of the two electricity-to-standard-coal methods (FACTS.md).
ELECTRICITY_TO_TCE_PER_MWH = {
    # equivalent calorific value, GB/T 2589-2020 comprehensive energy consumption
    "equivalent": 0.1229,
}


def tce_per_mwh(park: ParkConfig) -> tuple[float, str]:
    """Electricity to standard coal [tce/MWh] of the park's method, and its description."""
    ind = park.indicators
    if ind.electricity_to_coal == "equivalent":
        return (ELECTRICITY_TO_TCE_PER_MWH["equivalent"],
                "equivalent value 0.1229 kgce/kWh (GB/T 2589)")
    return ind.coal_consumption_kgce_per_kwh, (
        f"coal-consumption method {ind.coal_consumption_kgce_per_kwh:g} kgce/kWh"
    )


def core_threshold(configured: float | None, total_tce):
    """Threshold of the core indicator [tCO2/tce] and its basis (People's Daily 2025-08-26).

    0.3 at >= 1 Mtce/yr, 0.2 from 0.2 Mtce/yr, and 0.2 applied below (none published).
    """
    if configured is not None:
        return configured, "configured"
    big = np.asarray(total_tce) >= 1e6
    if big.ndim:  # scenarios: the rule, each row its own threshold
        return np.where(big, 0.3, 0.2), ("0.3 tCO2/tce at >= 1 Mtce/yr, else 0.2 "
                                         "(People's Daily 2025-08-26)")
    if big:
        return 0.3, "≥ 1 Mtce/yr park: ≤ 0.3 tCO2/tce (People's Daily 2025-08-26)"
    if total_tce >= 2e5:
        return 0.2, "0.2-1 Mtce/yr park: ≤ 0.2 tCO2/tce (People's Daily 2025-08-26)"
    return 0.2, "< 0.2 Mtce/yr: no published threshold; 0.2 applied"
