"""Units of the five indicators: conversion, human-friendly formatting and familiar equivalents.

Pure functions over floats and :class:`RangeValue`; nothing here reads data files.

Example:
    >>> convert(0.5, "energy", "kWh", "Wh")
    500.0
    >>> format_value(RangeValue(0.0003, 0.0006), "energy", "kWh")
    '0.3–0.6 Wh'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = [
    "BASE_UNITS",
    "EQUIVALENTS",
    "UNITS",
    "Equivalent",
    "EquivalentValue",
    "check_unit",
    "convert",
    "equivalents",
    "format_value",
]

#: Unit each indicator is computed in (the engine's and :class:`ImpactsOutput`'s units).
BASE_UNITS: dict[str, str] = {"energy": "kWh", "gwp": "kgCO2eq", "adpe": "kgSbeq", "pe": "MJ", "wcf": "L"}

#: Per indicator: accepted unit -> how many of that unit make one base unit.
UNITS: dict[str, dict[str, float]] = {
    "energy": {"MWh": 1e-3, "kWh": 1.0, "Wh": 1e3, "mWh": 1e6, "MJ": 3.6, "kJ": 3.6e3, "J": 3.6e6},
    "gwp": {"tCO2eq": 1e-3, "kgCO2eq": 1.0, "gCO2eq": 1e3, "mgCO2eq": 1e6},
    "adpe": {"kgSbeq": 1.0, "gSbeq": 1e3, "mgSbeq": 1e6, "µgSbeq": 1e9},
    "pe": {"GJ": 1e-3, "MJ": 1.0, "kJ": 1e3, "J": 1e6, "kWh": 1 / 3.6, "Wh": 1e3 / 3.6},
    "wcf": {"m3": 1e-3, "L": 1.0, "mL": 1e3},
}

#: Units tried, largest first, when formatting picks a prefix automatically.
_LADDERS: dict[str, tuple[str, ...]] = {
    "energy": ("MWh", "kWh", "Wh", "mWh"),
    "gwp": ("tCO2eq", "kgCO2eq", "gCO2eq", "mgCO2eq"),
    "adpe": ("kgSbeq", "gSbeq", "mgSbeq", "µgSbeq"),
    "pe": ("GJ", "MJ", "kJ", "J"),
    "wcf": ("m3", "L", "mL"),
}

_ALIASES: dict[str, str] = {"ugSbeq": "µgSbeq", "m³": "m3", "l": "L", "ml": "mL"}


def _check_indicator(indicator: str) -> dict[str, float]:
    try:
        return UNITS[indicator]
    except (KeyError, TypeError):
        raise ValueError(f"indicator must be one of {', '.join(UNITS)}, got {indicator!r}") from None


def check_unit(indicator: str, unit: str) -> str:
    """The canonical spelling of ``unit`` for ``indicator``.

    Raises:
        ValueError: the indicator or unit is unknown; the message lists the accepted units.
    """
    table = _check_indicator(indicator)
    canonical = _ALIASES.get(unit, unit) if isinstance(unit, str) else unit
    if canonical not in table:
        raise ValueError(f"unit for {indicator} must be one of {', '.join(table)}, got {unit!r}")
    return canonical


def _scale(value: ValueOrRange, factor: float) -> ValueOrRange:
    if isinstance(value, RangeValue):
        return RangeValue._trusted(value.min * factor, value.max * factor)
    return float(value) * factor


def convert(value: ValueOrRange, indicator: str, from_unit: str, to_unit: str) -> ValueOrRange:
    """Express ``value`` (in ``from_unit``) in ``to_unit``; a range stays a range.

    Raises:
        ValueError: either unit is not accepted for ``indicator`` (the message lists those that are).
    """
    table = _check_indicator(indicator)
    source, target = check_unit(indicator, from_unit), check_unit(indicator, to_unit)
    if source == target:
        return value
    return _scale(value, table[target] / table[source])


def _round_significant(number: float, digits: int) -> str:
    if number == 0 or not math.isfinite(number):
        return "0" if number == 0 else str(number)
    magnitude = math.floor(math.log10(abs(number)))
    rounded = round(number, digits - 1 - magnitude)
    if rounded != 0:  # rounding may have moved it up a decade (9.96 -> 10)
        magnitude = math.floor(math.log10(abs(rounded)))
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{rounded:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _auto_unit(value: ValueOrRange, indicator: str, unit: str) -> str:
    table = UNITS[indicator]
    largest = max(abs(value.min), abs(value.max)) if isinstance(value, RangeValue) else abs(value)
    ladder = _LADDERS[indicator]
    if largest == 0 or not math.isfinite(largest):
        return unit
    for candidate in ladder:
        if largest * table[candidate] / table[unit] >= 0.1:
            return candidate
    return ladder[-1]


def format_value(
    value: ValueOrRange, indicator: str, unit: str | None = None, *, to: str | None = None, digits: int = 2
) -> str:
    """Human-friendly text: ``'0.42 Wh'``, ``'1.3 gCO2eq'``, ranges as ``'0.3–0.6 Wh'``.

    Args:
        value: The amount, in ``unit``.
        indicator: ``energy``, ``gwp``, ``adpe``, ``pe`` or ``wcf``.
        unit: Unit of ``value``; the indicator's base unit when ``None``.
        to: Unit to show; ``None`` picks the largest prefix in which the value is at least 0.1.
        digits: Significant digits at most (>= 1); trailing zeros are dropped.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be an integer >= 1, got {digits!r}")
    source = check_unit(indicator, BASE_UNITS[indicator] if unit is None else unit)
    target = check_unit(indicator, to) if to is not None else _auto_unit(value, indicator, source)
    shown = convert(value, indicator, source, target)
    if isinstance(shown, RangeValue):
        low, high = _round_significant(shown.min, digits), _round_significant(shown.max, digits)
        text = low if low == high else f"{low}–{high}"
    else:
        text = _round_significant(shown, digits)
    return f"{text} {target}"


@dataclass(frozen=True, slots=True)
class Equivalent:
    """A familiar quantity to compare an impact with.

    Attributes:
        key: Short machine name.
        indicator: The indicator it is compared with.
        per_unit: Amount of ``indicator`` (in its base unit) that makes one ``unit`` of the equivalent.
        unit: What is counted (``km``, ``charges``...).
        label: Sentence fragment shown after the number.
        source: Where ``per_unit`` comes from.
    """

    key: str
    indicator: str
    per_unit: float
    unit: str
    label: str
    source: str


@dataclass(frozen=True, slots=True)
class EquivalentValue:
    """An impact expressed as an :class:`Equivalent`: ``amount`` of ``equivalent.unit``."""

    equivalent: Equivalent
    amount: ValueOrRange

    def __str__(self) -> str:
        if isinstance(self.amount, RangeValue):
            low, high = _round_significant(self.amount.min, 2), _round_significant(self.amount.max, 2)
            number = low if low == high else f"{low}–{high}"
        else:
            number = _round_significant(self.amount, 2)
        return f"{number} {self.equivalent.label}"


#: Familiar equivalents, each with its source (see the documentation's methodology page).
EQUIVALENTS: tuple[Equivalent, ...] = (
    Equivalent(
        key="smartphone_charges",
        indicator="energy",
        per_unit=12.981e-3,  # kWh: rated battery energy of an iPhone 15, 12.981 Wh
        unit="charges",
        label="full smartphone charges (12.98 Wh battery, charger losses excluded)",
        source=(
            "iPhone 15 battery rated 3,349 mAh / 12.981 Wh in the Chinese regulatory (CCC) database, "
            "reported by 9to5Mac, 2023-09-15: https://9to5mac.com/2023/09/15/iphone-15-battery-capacity/"
        ),
    ),
    Equivalent(
        key="led_bulb_hours",
        indicator="energy",
        per_unit=10e-3,  # kWh per hour of a 10 W bulb
        unit="h",
        label="hours of a 10 W LED bulb (about 800 lumens, the light of a 60 W incandescent)",
        source=(
            "Assumption of a 10 W LED bulb; 800 lumens replaces a 60 W incandescent bulb per the US DOE "
            "Energy Saver guide: https://www.energy.gov/energysaver/lumens-and-lighting-facts-label"
        ),
    ),
    Equivalent(
        key="km_by_car",
        indicator="gwp",
        per_unit=0.2176,  # kgCO2eq per km: 0.192 use + 0.0256 vehicle construction
        unit="km",
        label="km by petrol/diesel car (one occupant)",
        source=(
            "ADEME Impact CO2, 'Voiture - moteur thermique': 0.192 kgCO2e/km (fuel) + 0.0256 kgCO2e/km "
            "(vehicle construction), from ADEME Base Empreinte: https://impactco2.fr/outils/transport"
        ),
    ),
    Equivalent(
        key="drinking_water_litres",
        indicator="wcf",
        per_unit=1.0,
        unit="L",
        label="litres of drinking water",
        source="Identity (1 L of water consumed = 1 L); shown for scale.",
    ),
)


def equivalents(
    values: Mapping[str, ValueOrRange | None] | object, *, units: Mapping[str, str] | None = None
) -> list[EquivalentValue]:
    """Express impacts as familiar equivalents.

    Args:
        values: An :class:`~ecologits_like.ImpactsOutput` (or anything with ``energy``/``gwp``/``wcf``
            impacts), or a mapping of indicator name -> amount, e.g. ``{"energy": 0.0004}``.
            Missing or ``None`` indicators are skipped.
        units: For a mapping, indicator name -> unit of its amount; base units (kWh, kgCO2eq, L) by default.

    Returns:
        One :class:`EquivalentValue` per :data:`EQUIVALENTS` entry whose indicator is present.

    Example:
        >>> print(equivalents({"gwp": 0.002176})[0])
        0.01 km by petrol/diesel car (one occupant)
    """
    amounts: dict[str, tuple[ValueOrRange, str]] = {}
    given_units = dict(units or {})
    for indicator, base in BASE_UNITS.items():
        if isinstance(values, Mapping):
            amount = values.get(indicator)
            if amount is not None:
                amounts[indicator] = (amount, given_units.get(indicator, base))
        else:
            impact = getattr(values, indicator, None)
            if impact is not None:
                amounts[indicator] = (impact.value, impact.unit)
    result: list[EquivalentValue] = []
    for item in EQUIVALENTS:
        if item.indicator not in amounts:
            continue
        amount, unit = amounts[item.indicator]
        in_base = convert(amount, item.indicator, unit, BASE_UNITS[item.indicator])
        result.append(EquivalentValue(item, _scale(in_base, 1 / item.per_unit)))
    return result
