"""energysim: hourly simulator and optimiser of an industrial park's electricity system."""

from energysim.config import Capacities, ParkConfig, load_park
from energysim.errors import EnergysimError

__version__ = "0.1.0"

__all__ = ["Capacities", "ParkConfig", "load_park", "EnergysimError", "__version__"]
