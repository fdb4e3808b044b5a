"""Validation of user-supplied arguments, with errors that name the argument and what is accepted."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = [
    "OVERRIDE_NAMES",
    "check_input_tokens",
    "check_latency",
    "check_optional_str",
    "check_overrides",
    "check_tokens",
]

#: Keyword overrides accepted by ``estimate``, ``compare`` and ``EcoLogits.init``.
OVERRIDE_NAMES = ("datacenter_pue", "datacenter_wue", "hardware", "batch_size")


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_tokens(name: str, value: object) -> int:
    """A non-negative whole token count."""
    if type(value) is int and value >= 0:  # the common case, without the abstract-class checks below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {_describe(value)}")
    count = int(value)
    if count < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {count}")
    return count


def check_input_tokens(input_tokens: object, cached_input_tokens: object) -> tuple[int, int]:
    """Prompt tokens and the cached share of them: non-negative integers, cached <= input."""
    prompt = check_tokens("input_tokens", input_tokens)
    cached = check_tokens("cached_input_tokens", cached_input_tokens)
    if cached > prompt:
        raise ValueError(
            f"cached_input_tokens must be at most input_tokens (cached tokens are part of the prompt), "
            f"got cached_input_tokens={cached} > input_tokens={prompt}"
        )
    return prompt, cached


def check_latency(value: object) -> float:
    """Request latency in seconds: ``None`` (unknown, treated as infinite) or a number >= 0."""
    if value is None:
        return math.inf
    if type(value) is float and value >= 0:  # the common case (NaN fails the comparison)
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"request_latency must be a number of seconds >= 0 or None, got {_describe(value)}")
    latency = float(value)
    if math.isnan(latency) or latency < 0:
        raise ValueError(f"request_latency must be a number of seconds >= 0 or None, got {latency!r}")
    return latency


def check_optional_str(name: str, value: object) -> str | None:
    """``None`` or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{name} must be a non-empty string or None, got {_describe(value)}")
    return value.strip()


def _check_factor(name: str, value: object, minimum: float, what: str) -> ValueOrRange:
    if isinstance(value, RangeValue):
        if value.min < minimum or math.isinf(value.max):
            raise ValueError(f"{name} must be {what}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what} (a number or a RangeValue), got {_describe(value)}")
    number = float(value)
    if not math.isfinite(number) or number < minimum:
        raise ValueError(f"{name} must be {what}, got {number!r}")
    return number


def check_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Validate methodology overrides; unknown names raise ``TypeError`` listing the accepted ones."""
    unknown = sorted(set(overrides) - set(OVERRIDE_NAMES))
    if unknown:
        raise TypeError(
            f"unexpected override(s) {', '.join(map(repr, unknown))}; accepted: {', '.join(OVERRIDE_NAMES)}"
        )
    checked: dict[str, Any] = {}
    if overrides.get("datacenter_pue") is not None:
        checked["datacenter_pue"] = _check_factor("datacenter_pue", overrides["datacenter_pue"], 1.0, "a PUE >= 1")
    if overrides.get("datacenter_wue") is not None:
        checked["datacenter_wue"] = _check_factor(
            "datacenter_wue", overrides["datacenter_wue"], 0.0, "a WUE in L/kWh >= 0"
        )
    if overrides.get("hardware") is not None:
        checked["hardware"] = check_optional_str("hardware", overrides["hardware"])
    if overrides.get("batch_size") is not None:
        batch = overrides["batch_size"]
        if isinstance(batch, RangeValue):
            if batch.min < 1 or math.isinf(batch.max):
                raise ValueError(f"batch_size must be an integer >= 1 or a RangeValue of sizes >= 1, got {batch!r}")
            checked["batch_size"] = batch
        else:
            if isinstance(batch, bool) or not isinstance(batch, numbers.Integral):
                raise TypeError(f"batch_size must be an integer >= 1 or a RangeValue, got {_describe(batch)}")
            if int(batch) < 1:
                raise ValueError(f"batch_size must be an integer >= 1, got {int(batch)}")
            checked["batch_size"] = int(batch)
    return checked
