"""Unit conversion, formatting and equivalents."""

from __future__ import annotations

import math

import pytest

from ecologits_like import RangeValue, estimate
from ecologits_like.impacts.output import GWP, WCF, Energy
from ecologits_like.impacts.units import (
    BASE_UNITS,
    EQUIVALENTS,
    UNITS,
    check_unit,
    convert,
    equivalents,
    format_value,
)

REQUIRED = {
    "energy": {"kWh", "Wh", "mWh", "MJ", "J"},
    "gwp": {"kgCO2eq", "gCO2eq", "mgCO2eq", "tCO2eq"},
    "adpe": {"kgSbeq", "gSbeq", "mgSbeq"},
    "pe": {"MJ", "kJ", "kWh"},
    "wcf": {"L", "mL", "m3"},
}


@pytest.mark.parametrize("indicator", list(REQUIRED))
def test_required_units_are_supported(indicator: str) -> None:
    assert REQUIRED[indicator] <= set(UNITS[indicator])
    assert UNITS[indicator][BASE_UNITS[indicator]] == 1.0


@pytest.mark.parametrize(
    ("indicator", "value", "source", "target", "expected"),
    [
        ("energy", 1.0, "kWh", "Wh", 1000.0),
        ("energy", 1.0, "kWh", "MJ", 3.6),
        ("energy", 1.0, "kWh", "J", 3.6e6),
        ("energy", 2.0, "Wh", "mWh", 2000.0),
        ("energy", 3.6, "MJ", "kWh", 1.0),
        ("gwp", 1.0, "tCO2eq", "kgCO2eq", 1000.0),
        ("gwp", 0.5, "kgCO2eq", "gCO2eq", 500.0),
        ("gwp", 1.0, "gCO2eq", "mgCO2eq", 1000.0),
        ("adpe", 1.0, "kgSbeq", "mgSbeq", 1e6),
        ("adpe", 1.0, "gSbeq", "kgSbeq", 1e-3),
        ("pe", 3.6, "MJ", "kWh", 1.0),
        ("pe", 1.0, "MJ", "kJ", 1000.0),
        ("wcf", 1.0, "m3", "L", 1000.0),
        ("wcf", 0.25, "L", "mL", 250.0),
    ],
)
def test_convert(indicator: str, value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, indicator, source, target) == pytest.approx(expected, rel=1e-12)


def test_convert_round_trips_and_keeps_ranges() -> None:
    value = RangeValue(0.25, 0.5)
    out = convert(value, "energy", "kWh", "Wh")
    assert isinstance(out, RangeValue)
    assert (out.min, out.max) == pytest.approx((250.0, 500.0))
    back = convert(out, "energy", "Wh", "kWh")
    assert isinstance(back, RangeValue)
    assert (back.min, back.max) == pytest.approx((0.25, 0.5))


def test_unknown_unit_lists_accepted() -> None:
    with pytest.raises(ValueError, match=r"unit for energy must be one of .*kWh.*Wh.*got 'kcal'"):
        convert(1.0, "energy", "kWh", "kcal")
    with pytest.raises(ValueError, match="indicator must be one of"):
        convert(1.0, "noise", "dB", "dB")
    with pytest.raises(ValueError, match="gCO2eq"):
        check_unit("gwp", "Wh")  # a unit of another indicator


def test_aliases() -> None:
    assert check_unit("adpe", "ugSbeq") == "µgSbeq"
    assert check_unit("wcf", "m³") == "m3"


@pytest.mark.parametrize(
    ("value", "indicator", "unit", "expected"),
    [
        (0.42, "energy", "Wh", "0.42 Wh"),
        (0.00042, "energy", "kWh", "0.42 Wh"),
        (0.0013, "gwp", "kgCO2eq", "1.3 gCO2eq"),
        (1.3, "gwp", "gCO2eq", "1.3 gCO2eq"),
        (420.0, "energy", "Wh", "0.42 kWh"),
        (0.0000412, "energy", "kWh", "41 mWh"),
        (2.5e-3, "wcf", "L", "2.5 mL"),
        (9.96, "energy", "Wh", "10 Wh"),
        (0.0, "gwp", "kgCO2eq", "0 kgCO2eq"),
        (12345.0, "energy", "kWh", "12 MWh"),
    ],
)
def test_format_auto_prefix(value: float, indicator: str, unit: str, expected: str) -> None:
    assert format_value(value, indicator, unit) == expected


def test_format_range_and_fixed_unit() -> None:
    assert format_value(RangeValue(0.0003, 0.0006), "energy") == "0.3–0.6 Wh"
    assert format_value(RangeValue(0.5, 0.5), "energy", "Wh") == "0.5 Wh"
    assert format_value(0.00042, "energy", to="Wh", digits=3) == "0.42 Wh"
    assert format_value(0.00042, "energy", to="J") == "1500 J"
    with pytest.raises(ValueError, match="digits"):
        format_value(1.0, "energy", digits=0)


def test_impact_to_and_format() -> None:
    energy = Energy.of(RangeValue(0.0003, 0.0006))  # built like the engine builds it
    wh = energy.to("Wh")
    assert isinstance(wh, RangeValue)
    assert (wh.min, wh.max) == pytest.approx((0.3, 0.6))
    assert energy.format() == "0.3–0.6 Wh"
    assert GWP.of(0.0013).to("gCO2eq") == pytest.approx(1.3)
    assert GWP.of(0.0013).format() == "1.3 gCO2eq"
    assert WCF.of(0.002).format("mL") == "2 mL"
    with pytest.raises(ValueError, match="must be one of"):
        energy.to("kcal")
    validated = Energy(value=1.0)  # the validated constructor too
    assert validated.to("Wh") == 1000.0


def test_estimate_output_units() -> None:
    impacts = estimate("openai", "gpt-4o-mini", 500)
    assert impacts.energy is not None
    wh = impacts.energy.to("Wh")
    assert isinstance(wh, RangeValue)
    assert wh.min == pytest.approx(impacts.energy.min * 1000)
    assert impacts.energy.format().endswith("Wh")


def test_equivalents_have_sources_and_scale_linearly() -> None:
    assert {e.key for e in EQUIVALENTS} >= {
        "smartphone_charges",
        "km_by_car",
        "drinking_water_litres",
        "led_bulb_hours",
    }
    for item in EQUIVALENTS:
        assert item.per_unit > 0
        assert item.source and ("http" in item.source or "Identity" in item.source)
    by_key = {e.equivalent.key: e for e in equivalents({"energy": 0.012981, "gwp": 0.2176, "wcf": 1.5})}
    assert by_key["smartphone_charges"].amount == pytest.approx(1.0)
    assert by_key["led_bulb_hours"].amount == pytest.approx(1.2981)
    assert by_key["km_by_car"].amount == pytest.approx(1.0)
    assert by_key["drinking_water_litres"].amount == pytest.approx(1.5)
    assert str(by_key["km_by_car"]).startswith("1 km")


def test_equivalents_of_an_output_keep_ranges() -> None:
    impacts = estimate("openai", "gpt-4o-mini", 500)
    items = equivalents(impacts)
    assert len(items) == len(EQUIVALENTS)
    charges = next(e for e in items if e.equivalent.key == "smartphone_charges")
    assert isinstance(charges.amount, RangeValue)
    assert impacts.energy is not None
    assert charges.amount.max == pytest.approx(impacts.energy.max / 0.012981)
    assert "–" in str(charges)


def test_equivalents_skip_missing_and_accept_units() -> None:
    assert equivalents({"gwp": None}) == []
    (car,) = equivalents({"gwp": 217.6}, units={"gwp": "gCO2eq"})
    assert car.amount == pytest.approx(1.0)
    failed = estimate("openai", "no-such-model", 10)
    assert equivalents(failed) == []
    assert not math.isnan(0.0)
