"""The impact engine: pure functions over floats, ranges and numpy arrays.

Nothing here reads files, imports a provider SDK or knows an output format.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecologits_like.impacts.output import (
        GWP,
        PE,
        WCF,
        ADPe,
        Embodied,
        Energy,
        Impact,
        ImpactsError,
        ImpactsOutput,
        ImpactsWarning,
        Usage,
    )
    from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = [
    "GWP",
    "PE",
    "WCF",
    "ADPe",
    "Embodied",
    "Energy",
    "Impact",
    "ImpactsError",
    "ImpactsOutput",
    "ImpactsWarning",
    "RangeValue",
    "Usage",
    "ValueOrRange",
]

# Imported on first access: importing one engine module (e.g. ``range_value``, which argument
# checks need at ``EcoLogits.init``) must not build every pydantic output model at start-up.
_RANGE_NAMES = frozenset(("RangeValue", "ValueOrRange"))


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'ecologits_like.impacts' has no attribute {name!r}")
    module = "range_value" if name in _RANGE_NAMES else "output"
    value = getattr(importlib.import_module(f"ecologits_like.impacts.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
