"""Closed intervals of non-exact quantities.

A :class:`RangeValue` stands for "somewhere between ``min`` and ``max``": a model whose size
was never published, a datacenter PUE known only as a band. Arithmetic follows interval
arithmetic, so the result of any combination of ranges is guaranteed to contain every value
the inputs could combine to.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["RangeValue", "ValueOrRange", "sum_values"]


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"RangeValue.{name} must be a real number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"RangeValue.{name} must not be NaN")
    return number


class RangeValue:
    """An interval ``[min, max]`` with interval arithmetic, and optionally a central value.

    Supports ``+ - * /`` with numbers and other ranges, ``abs``, comparisons that are true only
    when they hold for every value of the interval (``a < b`` means ``a.max < b.min``), and
    helpers :meth:`contains`, :meth:`overlaps`, :attr:`mean` and :attr:`central`.

    ``central`` is the value a methodology considers most representative inside the interval
    (the estimate at the central value of every uncertain input), which need not be the
    midpoint: an energy range spanning batch sizes 16 to 256 is far from symmetric around the
    estimate at batch 64. When none was given, :attr:`central` is the midpoint. :attr:`mean` is
    always the midpoint. Arithmetic carries an explicit central value along (the same operation
    applied to the central values, which always lies inside the resulting interval).

    Example:
        >>> RangeValue(1, 2) + RangeValue(10, 20)
        RangeValue(min=11.0, max=22.0)
        >>> (RangeValue(1, 3) * 2).mean
        4.0
        >>> RangeValue(1, 9, central=2).central
        2.0
    """

    __slots__ = ("_central", "max", "min")

    min: float
    max: float
    _central: float | None

    def __init__(self, min: float, max: float, central: float | None = None) -> None:
        lo = _check_number("min", min)
        hi = _check_number("max", max)
        if lo > hi:
            raise ValueError(f"RangeValue min must be <= max, got min={lo!r} > max={hi!r}")
        middle = None
        if central is not None:
            middle = _check_number("central", central)
            if not lo <= middle <= hi:
                raise ValueError(f"RangeValue central must lie in [min, max] = [{lo!r}, {hi!r}], got {middle!r}")
        object.__setattr__(self, "min", lo)
        object.__setattr__(self, "max", hi)
        object.__setattr__(self, "_central", middle)

    @classmethod
    def _trusted(cls, lo: float, hi: float, central: float | None = None) -> RangeValue:
        """Build without validation, for bounds already known to be ordered floats (and a central inside)."""
        obj = object.__new__(cls)
        _set_min(obj, lo)
        _set_max(obj, hi)
        _set_central(obj, central)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RangeValue is immutable")

    def __reduce__(self) -> tuple[Callable[..., RangeValue], tuple[float, ...]]:
        if self._central is None:
            return (RangeValue, (self.min, self.max))
        return (RangeValue, (self.min, self.max, self._central))

    # -- descriptive helpers -------------------------------------------------------------------
    @property
    def mean(self) -> float:
        """The midpoint ``(min + max) / 2``."""
        return (self.min + self.max) / 2

    @property
    def central(self) -> float:
        """The methodology's central value when it has one, else the midpoint."""
        central = self._central
        return (self.min + self.max) / 2 if central is None else central

    @property
    def has_central(self) -> bool:
        """Whether a central value distinct from the midpoint was given."""
        return self._central is not None

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
        central = None if _no_central(self, other) else self.central + _central_of(other)
        return RangeValue._trusted(self.min + lo, self.max + hi, central)

    __radd__ = __add__

    def __sub__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        central = None if _no_central(self, other) else self.central - _central_of(other)
        return RangeValue._trusted(self.min - hi, self.max - lo, central)

    def __rsub__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        central = None if _no_central(self, other) else _central_of(other) - self.central
        return RangeValue._trusted(lo - self.max, hi - self.min, central)

    def __mul__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        central = None if _no_central(self, other) else self.central * _central_of(other)
        if self.min >= 0 and lo >= 0:  # the common case: all quantities here are non-negative
            return RangeValue._trusted(self.min * lo, self.max * hi, central)
        products = (self.min * lo, self.min * hi, self.max * lo, self.max * hi)
        return RangeValue._trusted(min(products), max(products), central)

    __rmul__ = __mul__

    def __truediv__(self, other: float | RangeValue) -> RangeValue:
        lo, hi = _bounds(other)
        if lo <= 0 <= hi:
            raise ZeroDivisionError(f"cannot divide {self!r} by an interval containing zero ({other!r})")
        inverse = RangeValue._trusted(1 / hi, 1 / lo, None if _no_central(other) else 1 / _central_of(other))
        return self * inverse

    def __rtruediv__(self, other: float | RangeValue) -> RangeValue:
        if self.min <= 0 <= self.max:
            raise ZeroDivisionError(f"cannot divide {other!r} by an interval containing zero ({self!r})")
        lo, hi = _bounds(other)
        numerator = RangeValue._trusted(lo, hi, None if _no_central(other) else _central_of(other))
        inverse = RangeValue._trusted(1 / self.max, 1 / self.min, None if _no_central(self) else 1 / self.central)
        return numerator * inverse

    def __neg__(self) -> RangeValue:
        return RangeValue._trusted(-self.max, -self.min, None if self._central is None else -self._central)

    def __pos__(self) -> RangeValue:
        return self

    def __abs__(self) -> RangeValue:
        if self.min >= 0:
            return self
        if self.max <= 0:
            return -self
        return RangeValue._trusted(0.0, max(-self.min, self.max), None if self._central is None else abs(self._central))

    # -- comparisons: true only when true for every point ---------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, RangeValue):
            return self.min == other.min and self.max == other.max and self.central == other.central
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self.min == other and self.max == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((RangeValue, self.min, self.max, self.central))

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
        if self._central is None:
            return f"RangeValue(min={self.min!r}, max={self.max!r})"
        return f"RangeValue(min={self.min!r}, max={self.max!r}, central={self._central!r})"

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        return f"{format(self.min, spec)} to {format(self.max, spec)}"

    def to_dict(self) -> dict[str, float]:
        """``{"min": ..., "max": ...}`` (plus ``"central"`` when one was given), the JSON form."""
        if self._central is None:
            return {"min": self.min, "max": self.max}
        return {"min": self.min, "max": self.max, "central": self._central}

    # -- pydantic integration -------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def from_mapping(value: Any) -> RangeValue:
            if isinstance(value, RangeValue):
                return value
            if isinstance(value, dict) and set(value) >= {"min", "max"}:
                return cls(value["min"], value["max"], value.get("central"))
            raise ValueError(
                f"expected a RangeValue or a mapping with 'min' and 'max' (and optionally 'central'), got {value!r}"
            )

        return core_schema.no_info_plain_validator_function(
            from_mapping,
            json_schema_input_schema=core_schema.typed_dict_schema(
                {
                    "min": core_schema.typed_dict_field(core_schema.float_schema()),
                    "max": core_schema.typed_dict_field(core_schema.float_schema()),
                    "central": core_schema.typed_dict_field(core_schema.float_schema(), required=False),
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


def _central_of(value: float | RangeValue) -> float:
    return value.central if isinstance(value, RangeValue) else float(value)


def _no_central(*values: float | RangeValue) -> bool:
    """True when no operand carries an explicit central value (then the result has none either)."""
    return not any(isinstance(v, RangeValue) and v._central is not None for v in values)


ValueOrRange: TypeAlias = float | RangeValue
"""A quantity known exactly (``float``) or as an interval (:class:`RangeValue`)."""


def sum_values(values: Iterable[ValueOrRange]) -> ValueOrRange:
    """The exact sum of many values and ranges (``math.fsum`` of bounds and of central values).

    Summing with ``+`` rounds at every step; reports over thousands of requests use this
    instead. The result is a plain float when every term is one, else a range whose central
    value is the sum of the terms' central values when any term has one.
    """
    los: list[float] = []
    his: list[float] = []
    centrals: list[float] = []
    ranged = False
    has_central = False
    for value in values:
        if isinstance(value, RangeValue):
            ranged = True
            has_central = has_central or value._central is not None
            los.append(value.min)
            his.append(value.max)
            centrals.append(value.central)
        else:
            number = _bounds(value)[0]
            los.append(number)
            his.append(number)
            centrals.append(number)
    lo, hi = math.fsum(los), math.fsum(his)
    if not ranged and lo == hi:
        return lo
    lo, hi = min(lo, hi), max(lo, hi)
    # fsum of the centrals can land a rounding step outside fsum of the bounds: clamp it.
    central = min(max(math.fsum(centrals), lo), hi) if has_central else None
    return RangeValue(lo, hi, central)


# Slot setters, for :meth:`RangeValue._trusted` (skips the immutable ``__setattr__`` and a lookup).
_set_min = RangeValue.__dict__["min"].__set__
_set_max = RangeValue.__dict__["max"].__set__
_set_central = RangeValue.__dict__["_central"].__set__
