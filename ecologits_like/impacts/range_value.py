"""Closed intervals of non-exact quantities.

A :class:`RangeValue` stands for "somewhere between ``min`` and ``max``": a model whose size
was never published, a datacenter PUE known only as a band. Arithmetic follows interval
arithmetic, so the result of any combination of ranges is guaranteed to contain every value
the inputs could combine to.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, TypeAlias

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["RangeValue", "ValueOrRange"]


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"RangeValue.{name} must be a real number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"RangeValue.{name} must not be NaN")
    return number


class RangeValue:
    """An interval ``[min, max]`` with interval arithmetic.

    Supports ``+ - * /`` with numbers and other ranges, ``abs``, comparisons that are true only
    when they hold for every value of the interval (``a < b`` means ``a.max < b.min``), and
    helpers :meth:`contains`, :meth:`overlaps` and :attr:`mean`.

    Example:
        >>> RangeValue(1, 2) + RangeValue(10, 20)
        RangeValue(min=11.0, max=22.0)
        >>> (RangeValue(1, 3) * 2).mean
        4.0
    """

    __slots__ = ("max", "min")

    min: float
    max: float

    def __init__(self, min: float, max: float) -> None:
        lo = _check_number("min", min)
        hi = _check_number("max", max)
        if lo > hi:
            raise ValueError(f"RangeValue min must be <= max, got min={lo!r} > max={hi!r}")
        object.__setattr__(self, "min", lo)
        object.__setattr__(self, "max", hi)

    @classmethod
    def _trusted(cls, lo: float, hi: float) -> RangeValue:
        """Build without validation, for bounds already known to be ordered floats."""
        obj = object.__new__(cls)
        _set_min(obj, lo)
        _set_max(obj, hi)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RangeValue is immutable")

    def __reduce__(self) -> tuple[Callable[[float, float], RangeValue], tuple[float, float]]:
        return (RangeValue, (self.min, self.max))

    # -- descriptive helpers -------------------------------------------------------------------
    @property
    def mean(self) -> float:
        """The midpoint ``(min + max) / 2``."""
        return (self.min + self.max) / 2

    @property
    def width(self) -> float:
        """``max - min``."""
        return self.max - self.min

    def contains(self, value: float | RangeValue) -> bool:
        """Whether ``value`` (a number, or every point of a range) lies inside this range."""
        if isinstance(value, RangeValue):
            return self.min <= value.min and value.max <= self.max
        return self.min <= value <= self.max

    def overlaps(self, other: float | RangeValue) -> bool:
        """Whether this range and ``other`` share at least one value."""
        lo, hi = _bounds(other)
        return self.min <= hi and lo <= self.max

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        return RangeValue._trusted(self.min + lo, self.max + hi)

    __radd__ = __add__

    def __sub__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        return RangeValue._trusted(self.min - hi, self.max - lo)

    def __rsub__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        return RangeValue._trusted(lo - self.max, hi - self.min)

    def __mul__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        if self.min >= 0 and lo >= 0:  # the common case: all quantities here are non-negative
            return RangeValue._trusted(self.min * lo, self.max * hi)
        products = (self.min * lo, self.min * hi, self.max * lo, self.max * hi)
        return RangeValue._trusted(min(products), max(products))

    __rmul__ = __mul__

    def __truediv__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        if lo <= 0 <= hi:
            raise ZeroDivisionError(f"cannot divide {self!r} by an interval containing zero ({other!r})")
        return self * RangeValue._trusted(1 / hi, 1 / lo)

    def __rtruediv__(self, other: float | RangeValue) -> RangeValue:
        if self.min <= 0 <= self.max:
            raise ZeroDivisionError(f"cannot divide {other!r} by an interval containing zero ({self!r})")
        lo, hi = _bounds(other)
        return RangeValue._trusted(lo, hi) * RangeValue._trusted(1 / self.max, 1 / self.min)

    def __neg__(self) -> RangeValue:
        return RangeValue._trusted(-self.max, -self.min)

    def __pos__(self) -> RangeValue:
        return self

    def __abs__(self) -> RangeValue:
        if self.min >= 0:
            return self
        if self.max <= 0:
            return -self
        return RangeValue._trusted(0.0, max(-self.min, self.max))

    # -- comparisons: true only when true for every point ---------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, RangeValue):
            return self.min == other.min and self.max == other.max
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self.min == other and self.max == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((RangeValue, self.min, self.max))

    def __lt__(self, other: float | RangeValue) -> bool:
        return self.max < _bounds(other)[0]

    def __le__(self, other: float | RangeValue) -> bool:
        return self.max <= _bounds(other)[0]

    def __gt__(self, other: float | RangeValue) -> bool:
        return self.min > _bounds(other)[1]

    def __ge__(self, other: float | RangeValue) -> bool:
        return self.min >= _bounds(other)[1]

    # -- presentation ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"RangeValue(min={self.min!r}, max={self.max!r})"

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        return f"{format(self.min, spec)} to {format(self.max, spec)}"

    def to_dict(self) -> dict[str, float]:
        """``{"min": ..., "max": ...}``, the JSON form."""
        return {"min": self.min, "max": self.max}

    # -- pydantic integration -------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def from_mapping(value: Any) -> RangeValue:
            if isinstance(value, RangeValue):
                return value
            if isinstance(value, dict) and set(value) >= {"min", "max"}:
                return cls(value["min"], value["max"])
            raise ValueError(f"expected a RangeValue or a mapping with 'min' and 'max', got {value!r}")

        return core_schema.no_info_plain_validator_function(
            from_mapping,
            json_schema_input_schema=core_schema.typed_dict_schema(
                {
                    "min": core_schema.typed_dict_field(core_schema.float_schema()),
                    "max": core_schema.typed_dict_field(core_schema.float_schema()),
                }
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.to_dict()),
        )


def _bounds(value: float | RangeValue) -> tuple[float, float]:
    if isinstance(value, RangeValue):
        return value.min, value.max
    if isinstance(value, (int, float, numbers.Real)) and not isinstance(value, bool):
        number = float(value)
        return number, number
    raise TypeError(f"expected a number or a RangeValue, got {value!r} ({type(value).__name__})")


ValueOrRange: TypeAlias = float | RangeValue
"""A quantity known exactly (``float``) or as an interval (:class:`RangeValue`)."""


# Slot setters, for :meth:`RangeValue._trusted` (skips the immutable ``__setattr__`` and a lookup).
_set_min = RangeValue.__dict__["min"].__set__
_set_max = RangeValue.__dict__["max"].__set__
