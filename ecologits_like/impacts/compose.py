"""From scenario results to :class:`ImpactsOutput`: ranges as a low and a high scenario."""

from __future__ import annotations

from ecologits_like.impacts.llm import (
    Datacenter,
    ElectricityMix,
    HardwareProfile,
    RequestImpacts,
    compute_llm_impacts,
)
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
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = ["bounds_of", "llm_impacts", "to_output"]


def bounds_of(value: ValueOrRange) -> tuple[float, float]:
    """``(min, max)`` of a number or a range."""
    if isinstance(value, RangeValue):
        return value.min, value.max
    return value, value


def _value(lo: float, hi: float) -> ValueOrRange:
    if lo == hi:
        return lo
    if lo > hi:  # every formula is monotonic, but never emit an inverted range
        lo, hi = hi, lo
    return RangeValue._trusted(lo, hi)


def to_output(
    low: RequestImpacts, high: RequestImpacts | None, warnings: list[ImpactsWarning] | None = None
) -> ImpactsOutput:
    """Assemble the public output from the low-scenario and (optional) high-scenario results.

    An indicator whose two scenarios agree is a float; one that differs is a :class:`RangeValue`.
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
    else:
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
    batch_size: float,
    tps: float | None = None,
    ttft: float | None = None,
    warnings: list[ImpactsWarning] | None = None,
) -> ImpactsOutput:
    """Impacts of one request whose inputs may be ranges.

    Uncertain inputs (parameter counts, PUE, WUE) are evaluated as a low scenario (every lower
    bound) and a high scenario (every upper bound); every formula increases with each of them, so
    the two scenarios bound the result. Units as in :func:`~ecologits_like.impacts.llm.compute_llm_impacts`.
    """
    a_lo, a_hi = bounds_of(active_parameters)
    t_lo, t_hi = bounds_of(total_parameters)
    p_lo, p_hi = bounds_of(datacenter_pue)
    w_lo, w_hi = bounds_of(datacenter_wue)

    def scenario(active: float, total: float, pue: float, wue: float) -> RequestImpacts:
        return compute_llm_impacts(
            active_parameters=active,
            total_parameters=total,
            output_tokens=output_tokens,
            request_latency=request_latency,
            hardware=hardware,
            mix=mix,
            datacenter=Datacenter(pue=pue, wue=wue),
            batch_size=batch_size,
            tps=tps,
            ttft=ttft,
        )

    low = scenario(a_lo, t_lo, p_lo, w_lo)
    uncertain = (a_lo, t_lo, p_lo, w_lo) != (a_hi, t_hi, p_hi, w_hi)
    high = scenario(a_hi, t_hi, p_hi, w_hi) if uncertain else None
    return to_output(low, high, warnings)
