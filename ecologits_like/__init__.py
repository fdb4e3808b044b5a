"""ecologits-like: the environmental footprint of generative-AI API calls.

>>> from ecologits_like import estimate
>>> impacts = estimate("openai", "gpt-4o-mini", output_tokens=500)
"""

from ecologits_like._ecologits import EcoLogits
from ecologits_like._version import __version__
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
