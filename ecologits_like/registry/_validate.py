"""Field checks for the reference data files, with errors that name file, entry and field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = ["DataFileError", "Entry"]


class DataFileError(ValueError):
    """A reference data file is malformed; the message names the file, the entry and the field."""


class Entry:
    """Typed access to one JSON object of a data file, raising :class:`DataFileError` on misfits."""

    def __init__(self, file: str, label: str, raw: object) -> None:
        self.file = file
        self.label = label
        if not isinstance(raw, Mapping):
            self.fail(None, f"must be a JSON object, got {type(raw).__name__}")
        self.raw: Mapping[str, Any] = raw

    def fail(self, field: str | None, problem: str) -> NoReturn:
        where = f"{self.file}: {self.label}" + (f": field {field!r}" if field else "")
        raise DataFileError(f"{where} {problem}")

    def has(self, field: str) -> bool:
        return self.raw.get(field) is not None

    def child(self, field: str) -> Entry:
        if field not in self.raw:
            self.fail(field, "is missing")
        return Entry(self.file, f"{self.label}.{field}", self.raw[field])

    def string(self, field: str, *, choices: tuple[str, ...] | None = None) -> str:
        value = self.raw.get(field)
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"must be a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            self.fail(field, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def strings(self, field: str, *, required: bool = False) -> list[str]:
        value = self.raw.get(field)
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(field, f"must be a list of non-empty strings, got {value!r}")
        if required and not value:
            self.fail(field, "must list at least one item")
        return list(value)

    def number(self, field: str, *, minimum: float = 0.0, strict: bool = True, optional: bool = False) -> float:
        value = self.raw.get(field)
        if value is None and optional:
            return math.nan
        return self._check_number(field, value, minimum=minimum, strict=strict)

    def value_or_range(self, field: str, *, minimum: float = 0.0, strict: bool = True) -> ValueOrRange:
        value = self.raw.get(field)
        if isinstance(value, Mapping):
            if set(value) != {"min", "max"}:
                self.fail(field, f"a range must have exactly the keys 'min' and 'max', got {sorted(value)}")
            lo = self._check_number(f"{field}.min", value["min"], minimum=minimum, strict=strict)
            hi = self._check_number(f"{field}.max", value["max"], minimum=minimum, strict=strict)
            if lo > hi:
                self.fail(field, f"has min {lo} greater than max {hi}")
            return lo if lo == hi else RangeValue(lo, hi)
        return self._check_number(field, value, minimum=minimum, strict=strict)

    def _check_number(self, field: str, value: object, *, minimum: float, strict: bool) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(field, f"must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            self.fail(field, f"must be finite, got {value!r}")
        if number < minimum or (strict and number == minimum):
            bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
            self.fail(field, f"must be {bound}, got {number!r}")
        return number
