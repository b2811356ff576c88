"""The project's exception types.

Every error a user can cause (a bad config, a broken weather or profile file, an
infeasible target, a solver fault) is raised as an :class:`EnergysimError`
subclass carrying one or more :class:`Problem` records. Each record names the
file, the field or column, the offending value and the rule it breaks, so the
message is useful without a traceback. The CLI catches ``EnergysimError``,
prints the message and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Problem",
    "EnergysimError",
    "ConfigError",
    "InputDataError",
    "WeatherError",
    "ProfileError",
    "SolverError",
    "InfeasibleTargetError",
]


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (``source`` file, ``field``), what (``value``) and why (``rule``)."""

    rule: str
    source: str | None = None
    field: str | None = None
    value: Any = None
    has_value: bool = False

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        what = f" = {_short(self.value)}" if self.has_value else ""
        prefix = f"{where}{what}: " if where or what else ""
        return f"{prefix}{self.rule}"


def problem(rule: str, *, source: Any = None, field: str | None = None, **kw: Any) -> Problem:
    """Build a :class:`Problem`; pass ``value=`` to record the offending value (even ``None``)."""
    has_value = "value" in kw
    return Problem(
        rule=rule,
        source=None if source is None else str(source),
        field=field,
        value=kw.get("value"),
        has_value=has_value,
    )


class EnergysimError(Exception):
    """Base class of every error energysim raises on purpose.

    Parameters
    ----------
    problems
        One :class:`Problem` or several (all reported together, like a compiler).
    headline
        Optional first line, e.g. ``"invalid config"``.
    """

    kind = "error"

    def __init__(self, problems: Problem | str | Iterable[Problem], headline: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(rule=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.headline = headline
        super().__init__(self.message)

    @classmethod
    def single(cls, rule: str, **kw: Any) -> EnergysimError:
        """Shortcut: one problem, keywords as in :func:`problem`."""
        return cls(problem(rule, **kw))

    @property
    def message(self) -> str:
        """The headline and every problem, one per line (a lone problem as it is)."""
        lines = [self.headline] if self.headline else []
        if len(self.problems) == 1 and not lines:
            return str(self.problems[0])
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ConfigError(EnergysimError):
    """A park, pathway or sweep config breaks the schema or a cross-field rule."""

    kind = "config error"


class InputDataError(EnergysimError):
    """A data file (weather, profile, price series) is unreadable or implausible."""

    kind = "input data error"


class WeatherError(InputDataError):
    """A weather file is missing, of an unknown format, or fails the quality checks."""

    kind = "weather error"


class ProfileError(InputDataError):
    """A ready-made hourly profile (``profile = "file.csv:column"``) is unusable."""

    kind = "profile error"


class SolverError(EnergysimError):
    """The LP/MILP solver did not return an optimal solution (time limit, numerics, ...)."""

    kind = "solver error"


class InfeasibleTargetError(SolverError):
    """A share target cannot be met within the capacity bounds.

    ``max_share`` is the highest achievable share within the bounds and
    ``binding`` names the bounds that limit it.
    """

    kind = "infeasible target"

    def __init__(
        self,
        problems: Problem | str | Iterable[Problem],
        headline: str | None = None,
        *,
        max_share: float | None = None,
        binding: list[str] | None = None,
    ):
        self.max_share = max_share
        self.binding = binding or []
        super().__init__(problems, headline)
