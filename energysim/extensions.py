"""Extensions of a stage, named where the stage looks them up.

A stage that others extend — the operation program
(:data:`energysim.dispatch.program.HOOKS`), the first-stage decisions
(:data:`energysim.decisions.DECISION_SOURCES`), the LP's flows
(:data:`energysim.sizing.outputs.FLOW_HOOKS`) — lists its extensions as
``"module:attribute"`` names, in the order they apply. :func:`load` imports
them on first use: the stage never imports its extensions while it is itself
being imported (no import circle), and an extension is in force whether or
not something happened to import its module first (no registration by side
effect).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import cache

__all__ = ["load"]


@cache
def _one(name: str) -> Callable:
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load(names: Sequence[str]) -> list[Callable]:
    """The functions named ``"module:attribute"``, in order."""
    return [_one(name) for name in names]
