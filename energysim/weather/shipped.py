"""The weather data shipped inside the package (the ``init`` starter's typical year).

The files live once, in the repository's ``weather/`` folder (provenance in its
README); packaging installs the ones the package reads at run time as the data
package ``energysim.weather.data`` (``pyproject.toml``), so an installed wheel
finds them with :mod:`importlib.resources`, wherever the repository is.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from energysim.errors import WeatherError, problem

__all__ = ["SHIPPED", "shipped_path"]

#: Shipped files the package reads, relative to ``weather/`` (also the package data list).
SHIPPED = ("ordos/typical_year.csv", "ordos/params.json")
_PACKAGE = "energysim.weather.data"


def shipped_path(name: str) -> Path:
    """Path of a shipped weather file, e.g. ``shipped_path("ordos/typical_year.csv")``.

    Parameters
    ----------
    name : str
        One of :data:`SHIPPED`.

    Returns
    -------
    pathlib.Path
        A file on disk (written into configs, so it must outlive this call).

    Raises
    ------
    WeatherError
        ``name`` is not shipped, or the installation does not hold it as a
        plain file (a zipped install, or a damaged one).
    """
    if name not in SHIPPED:
        raise WeatherError(problem(f"not a shipped weather file; one of {', '.join(SHIPPED)}",
                                   field="name", value=name))
    try:
        resource = resources.files(_PACKAGE).joinpath(*name.split("/"))
    except ModuleNotFoundError:
        resource = None
    path = Path(str(resource)) if resource is not None else None
    if path is None or not path.is_file():
        raise WeatherError(problem(
            f"shipped weather file missing from the installed package ({_PACKAGE}); reinstall "
            "energysim from a wheel or source tree", source=path or name))
    return path
