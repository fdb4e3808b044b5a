"""From scenario results to :class:`ImpactsOutput`: ranges as a low, a central and a high scenario."""

from __future__ import annotations

from typing import NamedTuple

from ecologits_like.impacts.llm import (
    Datacenter,
    ElectricityMix,
    HardwareProfile,
    RequestImpacts,
    Spread,
    compute_llm_impacts,
)
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY, ECOLOGITS, check_methodology
from ecologits_like.impacts.output import (
    GWP,
    PE,
    WCF,
    ADPe,
    Embodied,
    Energy,
    ImpactsOutput,
    ImpactsWarning,
    Usage,
    fast_construct,
)
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange, _set_central, _set_max, _set_min

_new = object.__new__

__all__ = [
    "MethodologyInputs",
    "ScenarioInputs",
    "bounds_of",
    "llm_impacts",
    "methodology_inputs",
    "scenario_inputs",
    "spread_value",
    "to_output",
    "triple_of",
]


def bounds_of(value: ValueOrRange) -> tuple[float, float]:
    """``(min, max)`` of a number or a range."""
    if isinstance(value, RangeValue):
        return value.min, value.max
    return value, value


def triple_of(value: ValueOrRange) -> tuple[float, float, float]:
    """``(min, central, max)`` of a number or a range (the central value is the midpoint unless given)."""
    if isinstance(value, RangeValue):
        return value.min, value.central, value.max
    return value, value, value


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


class ScenarioInputs(NamedTuple):
    """The uncertain inputs of one scenario, each at one of its values."""

    active_parameters: float
    total_parameters: float
    pue: float
    wue: float
    batch_size: float
    prefill_mfu: float | None  # None: prompt processing not counted


def scenario_inputs(
    *,
    active_parameters: ValueOrRange,
    total_parameters: ValueOrRange,
    datacenter_pue: ValueOrRange,
    datacenter_wue: ValueOrRange,
    batch_size: ValueOrRange,
    prefill_mfu: ValueOrRange | None,
) -> tuple[ScenarioInputs, ScenarioInputs, ScenarioInputs]:
    """The low, central and high scenarios of the uncertain inputs.

    Every impact increases with the parameter counts, PUE and WUE, and decreases with the batch
    size and the prompt-processing efficiency (MFU): the low scenario takes the lower bounds of the
    former and the upper bounds of the latter, the high scenario the opposite, so the two bound
    every combination (the envelope of all sources of uncertainty at once).
    """
    a, t, p, w, b = (
        triple_of(v) for v in (active_parameters, total_parameters, datacenter_pue, datacenter_wue, batch_size)
    )
    m = None if prefill_mfu is None else triple_of(prefill_mfu)

    def at(side: int) -> ScenarioInputs:
        return ScenarioInputs(a[side], t[side], p[side], w[side], b[2 - side], None if m is None else m[2 - side])

    return at(0), at(1), at(2)


def _value(lo: float, hi: float, central: float | None = None) -> ValueOrRange:
    if lo == hi:
        return lo
    if lo > hi:  # every formula is monotonic, but never emit an inverted range
        lo, hi = hi, lo
    if central is not None:  # inside by monotonicity; clamp away a last-bit rounding difference
        central = lo if central < lo else hi if central > hi else central
    # RangeValue._trusted inlined: this runs eleven times per estimate.
    value = _new(RangeValue)
    _set_min(value, lo)
    _set_max(value, hi)
    _set_central(value, central)
    return value


def to_output(
    low: RequestImpacts,
    high: RequestImpacts | None,
    warnings: list[ImpactsWarning] | None = None,
    central: RequestImpacts | None = None,
) -> ImpactsOutput:
    """Assemble the public output from the low-, (optional) high- and (optional) central-scenario results.

    An indicator whose low and high scenarios agree is a float; one that differs is a
    :class:`RangeValue`, whose central value is the central scenario's when given (else the midpoint).
    """
    if high is None:  # nothing uncertain: every indicator is a float, no range to build
        usage_energy: ValueOrRange = float(low.energy)
        usage_gwp: ValueOrRange = float(low.usage_gwp)
        usage_adpe: ValueOrRange = float(low.usage_adpe)
        usage_pe: ValueOrRange = float(low.usage_pe)
        usage_wcf: ValueOrRange = float(low.usage_wcf)
        embodied_gwp: ValueOrRange = float(low.embodied_gwp)
        embodied_adpe: ValueOrRange = float(low.embodied_adpe)
        embodied_pe: ValueOrRange = float(low.embodied_pe)
        total_gwp: ValueOrRange = float(low.usage_gwp + low.embodied_gwp)
        total_adpe: ValueOrRange = float(low.usage_adpe + low.embodied_adpe)
        total_pe: ValueOrRange = float(low.usage_pe + low.embodied_pe)
    elif central is None:
        hi = high
        usage_energy = _value(float(low.energy), float(hi.energy))
        usage_gwp = _value(float(low.usage_gwp), float(hi.usage_gwp))
        usage_adpe = _value(float(low.usage_adpe), float(hi.usage_adpe))
        usage_pe = _value(float(low.usage_pe), float(hi.usage_pe))
        usage_wcf = _value(float(low.usage_wcf), float(hi.usage_wcf))
        embodied_gwp = _value(float(low.embodied_gwp), float(hi.embodied_gwp))
        embodied_adpe = _value(float(low.embodied_adpe), float(hi.embodied_adpe))
        embodied_pe = _value(float(low.embodied_pe), float(hi.embodied_pe))
        total_gwp = _value(float(low.usage_gwp + low.embodied_gwp), float(hi.usage_gwp + hi.embodied_gwp))
        total_adpe = _value(float(low.usage_adpe + low.embodied_adpe), float(hi.usage_adpe + hi.embodied_adpe))
        total_pe = _value(float(low.usage_pe + low.embodied_pe), float(hi.usage_pe + hi.embodied_pe))
    else:
        hi, c = high, central
        usage_energy = _value(float(low.energy), float(hi.energy), float(c.energy))
        usage_gwp = _value(float(low.usage_gwp), float(hi.usage_gwp), float(c.usage_gwp))
        usage_adpe = _value(float(low.usage_adpe), float(hi.usage_adpe), float(c.usage_adpe))
        usage_pe = _value(float(low.usage_pe), float(hi.usage_pe), float(c.usage_pe))
        usage_wcf = _value(float(low.usage_wcf), float(hi.usage_wcf), float(c.usage_wcf))
        embodied_gwp = _value(float(low.embodied_gwp), float(hi.embodied_gwp), float(c.embodied_gwp))
        embodied_adpe = _value(float(low.embodied_adpe), float(hi.embodied_adpe), float(c.embodied_adpe))
        embodied_pe = _value(float(low.embodied_pe), float(hi.embodied_pe), float(c.embodied_pe))
        total_gwp = _value(
            float(low.usage_gwp + low.embodied_gwp),
            float(hi.usage_gwp + hi.embodied_gwp),
            float(c.usage_gwp + c.embodied_gwp),
        )
        total_adpe = _value(
            float(low.usage_adpe + low.embodied_adpe),
            float(hi.usage_adpe + hi.embodied_adpe),
            float(c.usage_adpe + c.embodied_adpe),
        )
        total_pe = _value(
            float(low.usage_pe + low.embodied_pe),
            float(hi.usage_pe + hi.embodied_pe),
            float(c.usage_pe + c.embodied_pe),
        )

    energy = Energy.of(usage_energy)
    water = WCF.of(usage_wcf)
    usage = fast_construct(
        Usage,
        {"energy": energy, "gwp": GWP.of(usage_gwp), "adpe": ADPe.of(usage_adpe), "pe": PE.of(usage_pe), "wcf": water},
    )
    embodied = fast_construct(
        Embodied, {"gwp": GWP.of(embodied_gwp), "adpe": ADPe.of(embodied_adpe), "pe": PE.of(embodied_pe)}
    )
    return fast_construct(
        ImpactsOutput,
        {
            "energy": energy,
            "gwp": GWP.of(total_gwp),
            "adpe": ADPe.of(total_adpe),
            "pe": PE.of(total_pe),
            "wcf": water,
            "usage": usage,
            "embodied": embodied,
            "warnings": list(warnings) if warnings else [],
            "errors": [],
        },
    )


def llm_impacts(
    *,
    active_parameters: ValueOrRange,
    total_parameters: ValueOrRange,
    output_tokens: float,
    request_latency: float,
    hardware: HardwareProfile,
    mix: ElectricityMix,
    datacenter_pue: ValueOrRange,
    datacenter_wue: ValueOrRange,
    batch_size: ValueOrRange | None = None,
    tps: float | None = None,
    ttft: float | None = None,
    warnings: list[ImpactsWarning] | None = None,
    input_tokens: float = 0.0,
    cached_input_tokens: float = 0.0,
    methodology: str = DEFAULT_METHODOLOGY,
) -> ImpactsOutput:
    """Impacts of one request whose inputs may be ranges, on the readable formulas.

    Uncertain inputs (parameter counts, PUE, WUE, batch size, prompt-processing efficiency) are
    evaluated as a low, a central and a high scenario (:func:`scenario_inputs`). ``batch_size``
    ``None`` takes the methodology's (the hardware's band, or its fixed 64 for ``"ecologits"``);
    ``methodology="ecologits"`` ignores the input tokens. Units as in
    :func:`~ecologits_like.impacts.llm.compute_llm_impacts`.
    """
    settings = methodology_inputs(check_methodology(methodology), hardware, batch_size)
    low_in, central_in, high_in = scenario_inputs(
        active_parameters=active_parameters,
        total_parameters=total_parameters,
        datacenter_pue=datacenter_pue,
        datacenter_wue=datacenter_wue,
        batch_size=settings.batch_size,
        prefill_mfu=settings.prefill_mfu,
    )

    def scenario(inputs: ScenarioInputs) -> RequestImpacts:
        return compute_llm_impacts(
            active_parameters=inputs.active_parameters,
            total_parameters=inputs.total_parameters,
            output_tokens=output_tokens,
            request_latency=request_latency,
            hardware=hardware,
            mix=mix,
            datacenter=Datacenter(pue=inputs.pue, wue=inputs.wue),
            batch_size=inputs.batch_size,
            tps=tps,
            ttft=ttft,
            input_tokens=input_tokens,
            cached_input_tokens=cached_input_tokens,
            prefill_mfu=inputs.prefill_mfu,
        )

    low = scenario(low_in)
    if low_in == high_in:
        return to_output(low, None, warnings)
    central = scenario(central_in) if settings.central else None
    return to_output(low, scenario(high_in), warnings, central)
