"""RangeValue: construction, interval arithmetic, comparisons, serialisation."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from ecologits_like import RangeValue

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)


@st.composite
def ranges(draw: st.DrawFn, values: st.SearchStrategy[float] = finite) -> RangeValue:
    a, b = draw(values), draw(values)
    return RangeValue(min(a, b), max(a, b))


def test_construction_checks_order_type_and_nan() -> None:
    with pytest.raises(ValueError, match="min must be <= max"):
        RangeValue(2, 1)
    with pytest.raises(TypeError, match="real number"):
        RangeValue("1", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="real number"):
        RangeValue(True, 2)
    with pytest.raises(ValueError, match="NaN"):
        RangeValue(math.nan, 2)


def test_is_immutable_hashable_and_picklable() -> None:
    r = RangeValue(1, 2)
    with pytest.raises(AttributeError):
        r.min = 0  # type: ignore[misc]
    assert hash(r) == hash(RangeValue(1.0, 2.0))
    assert pickle.loads(pickle.dumps(r)) == r


def test_arithmetic_with_numbers_and_ranges() -> None:
    r = RangeValue(1, 3)
    assert r + 1 == RangeValue(2, 4)
    assert 1 + r == RangeValue(2, 4)
    assert r + RangeValue(10, 20) == RangeValue(11, 23)
    assert r - RangeValue(0, 1) == RangeValue(0, 3)
    assert 10 - r == RangeValue(7, 9)
    assert r * 2 == RangeValue(2, 6)
    assert r * RangeValue(-1, 2) == RangeValue(-3, 6)
    assert r / 2 == RangeValue(0.5, 1.5)
    assert r / RangeValue(1, 2) == RangeValue(0.5, 3)
    assert 6 / r == RangeValue(2, 6)
    assert -r == RangeValue(-3, -1)
    assert abs(RangeValue(-2, 1)) == RangeValue(0, 2)
    with pytest.raises(ZeroDivisionError, match="containing zero"):
        r / RangeValue(-1, 1)
    with pytest.raises(TypeError, match="expected a number or a RangeValue"):
        r + "x"  # type: ignore[operator]


def test_helpers_and_comparisons() -> None:
    r = RangeValue(1, 3)
    assert r.mean == 2 and r.width == 2
    assert r.contains(2) and not r.contains(4) and r.contains(RangeValue(1.5, 2))
    assert r.overlaps(RangeValue(3, 5)) and not r.overlaps(RangeValue(3.1, 5))
    assert r < RangeValue(4, 5) and not (r < RangeValue(2, 5))
    assert r > 0.5 and not (r > 2)
    assert r <= 3 and r >= 1
    assert RangeValue(2, 2) == 2
    assert f"{r:.1f}" == "1.0 to 3.0"


def test_pydantic_round_trip() -> None:
    class Holder(BaseModel):
        value: float | RangeValue

    held = Holder(value=RangeValue(1, 2))
    assert held.model_dump() == {"value": {"min": 1.0, "max": 2.0}}
    assert Holder.model_validate_json(held.model_dump_json()).value == RangeValue(1, 2)
    assert Holder(value=3.5).value == 3.5


@given(ranges(), ranges())
def test_sum_contains_every_sum_of_members(a: RangeValue, b: RangeValue) -> None:
    total = a + b
    for x in (a.min, a.max, a.mean):
        for y in (b.min, b.max, b.mean):
            assert total.min - 1e-6 <= x + y <= total.max + 1e-6


@given(ranges(), ranges())
def test_product_contains_every_product_of_members(a: RangeValue, b: RangeValue) -> None:
    product = a * b
    tolerance = 1e-9 * max(1.0, abs(product.min), abs(product.max))
    for x in (a.min, a.max, a.mean):
        for y in (b.min, b.max, b.mean):
            assert product.min - tolerance <= x * y <= product.max + tolerance


@given(ranges(positive), ranges(positive))
def test_division_contains_every_quotient(a: RangeValue, b: RangeValue) -> None:
    quotient = a / b
    for x in (a.min, a.max):
        for y in (b.min, b.max):
            assert quotient.min * (1 - 1e-12) <= x / y <= quotient.max * (1 + 1e-12)
