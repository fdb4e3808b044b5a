"""Which methodology an estimate follows, and the uncertain inputs each one lets vary.

* ``"ecologits-like"`` (the default): the reference methodology plus the energy of processing the
  prompt (input tokens, computed at an achieved fraction of the GPUs' peak throughput), and the
  serving batch size as a band instead of a fixed 64. Ranges carry a central value: the estimate
  with every uncertain input at its central value.
* ``"ecologits"``: the published EcoLogits LLM-inference methodology exactly: output tokens only,
  batch size fixed (64 unless overridden); reproduces the ``ecologits`` package to 1e-9.
"""

from __future__ import annotations

from typing import NamedTuple

from ecologits_like.impacts.llm import HardwareProfile, Spread
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = [
    "DEFAULT_METHODOLOGY",
    "ECOLOGITS",
    "ECOLOGITS_LIKE",
    "METHODOLOGIES",
    "MethodologyInputs",
    "check_methodology",
    "methodology_inputs",
    "spread_value",
]

ECOLOGITS_LIKE = "ecologits-like"
ECOLOGITS = "ecologits"

#: Accepted methodology names, with what each one counts.
METHODOLOGIES: dict[str, str] = {
    ECOLOGITS_LIKE: "output and uncached input tokens; batch size as a band; ranges with a central value",
    ECOLOGITS: "the reference EcoLogits methodology: output tokens only, fixed batch size",
}
DEFAULT_METHODOLOGY = ECOLOGITS_LIKE


def check_methodology(value: object) -> str:
    """A methodology name (``ValueError``/``TypeError`` listing the accepted ones otherwise)."""
    accepted = ", ".join(repr(name) for name in METHODOLOGIES)
    if not isinstance(value, str):
        raise TypeError(f"methodology must be one of {accepted}, got {value!r} ({type(value).__name__})")
    if value not in METHODOLOGIES:
        raise ValueError(f"methodology must be one of {accepted}, got {value!r}")
    return value


def spread_value(spread: Spread) -> ValueOrRange:
    """A data band as the engine's value: a float when it is exact, else a range with its central value."""
    if spread.min == spread.max:
        return spread.min
    return RangeValue(spread.min, spread.max, spread.central)


class MethodologyInputs(NamedTuple):
    """What a methodology feeds the engine besides the model and datacenter figures."""

    batch_size: ValueOrRange  # requests decoded together
    prefill_mfu: ValueOrRange | None  # None: prompt processing is not counted
    central: bool  # whether ranges carry the central scenario's value


def methodology_inputs(
    methodology: str, hardware: HardwareProfile, batch_size: ValueOrRange | None = None
) -> MethodologyInputs:
    """The batch size, prompt-processing efficiency and central-value rule of ``methodology``.

    ``batch_size`` overrides the methodology's batch size (a number fixes it, a range replaces the band).
    """
    if methodology == ECOLOGITS:
        return MethodologyInputs(hardware.batch_size if batch_size is None else batch_size, None, False)
    batch = spread_value(hardware.batch_size_range) if batch_size is None else batch_size
    return MethodologyInputs(batch, spread_value(hardware.prefill_mfu), True)
