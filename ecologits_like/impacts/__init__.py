"""The impact engine: pure functions over floats, ranges and numpy arrays.

Nothing here reads files, imports a provider SDK or knows an output format.
"""

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
