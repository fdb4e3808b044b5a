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


def test_central_value_is_kept_checked_and_serialised() -> None:
    r = RangeValue(1, 9, central=2)
    assert (r.central, r.mean, r.has_central) == (2.0, 5.0, True)
    assert RangeValue(1, 9).central == 5.0 and not RangeValue(1, 9).has_central
    assert repr(r) == "RangeValue(min=1.0, max=9.0, central=2.0)"
    assert r != RangeValue(1, 9) and r == RangeValue(1.0, 9.0, 2.0)
    assert pickle.loads(pickle.dumps(r)) == r
    assert r.to_dict() == {"min": 1.0, "max": 9.0, "central": 2.0}
    assert RangeValue(1, 9).to_dict() == {"min": 1.0, "max": 9.0}  # the JSON of ranges without one is unchanged
    with pytest.raises(ValueError, match=r"central must lie in \[min, max\] = \[1.0, 9.0\], got 10.0"):
        RangeValue(1, 9, central=10)
    with pytest.raises(ValueError, match="NaN"):
        RangeValue(1, 9, central=math.nan)


def test_central_value_round_trips_through_pydantic_and_old_json_still_loads() -> None:
    class Holder(BaseModel):
        value: RangeValue

    dumped = Holder(value=RangeValue(1, 9, central=2)).model_dump_json()
    assert '"central":2.0' in dumped
    assert Holder.model_validate_json(dumped).value == RangeValue(1, 9, central=2)
    old = Holder.model_validate_json('{"value": {"min": 1, "max": 3}}').value
    assert old == RangeValue(1, 3) and not old.has_central


@given(ranges(positive), ranges(positive), st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_arithmetic_carries_the_central_value_inside_the_result(
    a: RangeValue, b: RangeValue, ta: float, tb: float
) -> None:
    a = RangeValue(a.min, a.max, central=min(a.max, a.min + ta * a.width))
    b = RangeValue(b.min, b.max, central=min(b.max, b.min + tb * b.width))
    for result, expected in (
        (a + b, a.central + b.central),
        (a - b, a.central - b.central),
        (a * b, a.central * b.central),
        (a / b, a.central / b.central),
        (a + 2.0, a.central + 2.0),
        (3.0 * a, 3.0 * a.central),
        (-a, -a.central),
    ):
        assert result.has_central
        assert result.central == pytest.approx(expected, rel=1e-12)
        assert result.min <= result.central <= result.max
    assert not (RangeValue(1, 2) + RangeValue(3, 4)).has_central  # no explicit central in, none out
