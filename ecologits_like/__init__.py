"""ecologits-like: the environmental footprint of generative-AI API calls.

>>> from ecologits_like import estimate
>>> impacts = estimate("openai", "gpt-4o-mini", output_tokens=500)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from ecologits_like._ecologits import EcoLogits
from ecologits_like._version import __version__

if TYPE_CHECKING:
    from ecologits_like.compare import compare
    from ecologits_like.estimate import estimate
    from ecologits_like.estimate_grid import ImpactsGrid, estimate_grid
    from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning
    from ecologits_like.impacts.range_value import RangeValue
    from ecologits_like.session import Session

__all__ = [
    "EcoLogits",
    "ImpactsError",
    "ImpactsGrid",
    "ImpactsOutput",
    "ImpactsWarning",
    "RangeValue",
    "Session",
    "__version__",
    "compare",
    "estimate",
    "estimate_grid",
]

# Every name but ``EcoLogits`` is imported on first access: ``import ecologits_like`` then costs an
# application that only traces its calls next to nothing at start-up (the engine, its data and
# pydantic output models load with the first estimate; the vectorised API needs numpy, ~80 ms).
_LAZY = {
    "compare": "ecologits_like.compare",
    "estimate": "ecologits_like.estimate",
    "estimate_grid": "ecologits_like.estimate_grid",
    "ImpactsError": "ecologits_like.impacts.output",
    "ImpactsGrid": "ecologits_like.estimate_grid",
    "ImpactsOutput": "ecologits_like.impacts.output",
    "ImpactsWarning": "ecologits_like.impacts.output",
    "RangeValue": "ecologits_like.impacts.range_value",
    "Session": "ecologits_like.session",
}


class _Package(types.ModuleType):
    """Keeps ``ecologits_like.estimate`` (and ``compare``, ``estimate_grid``) the public function.

    Importing a submodule binds it on its package: once ``ecologits_like.estimate`` the module is
    imported, ``ecologits_like.estimate`` would otherwise be the module rather than the function
    named after it (which an eager ``from ... import estimate`` used to rebind).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == value.__name__ and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ecologits_like' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
