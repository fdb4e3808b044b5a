"""Which source of uncertainty dominates an estimate's range.

An estimate's range is the envelope of every uncertain input at once (see the methodology page):
the model's size when undisclosed, the datacenter's PUE and WUE when published as a band, the
serving batch size and the prompt-processing efficiency. :func:`uncertainty_sources` takes them one
at a time: each input over its own range, every other one at its central value, and reports how
far the chosen indicator moves. The source with the widest spread is the one to pin down first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ecologits_like._plan import Plan
from ecologits_like.estimate import checked_request
from ecologits_like.impacts.compose import ScenarioInputs, scenario_inputs, triple_of
from ecologits_like.impacts.llm import Datacenter, RequestImpacts, compute_llm_impacts
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY
from ecologits_like.impacts.output import ImpactsOutput
from ecologits_like.impacts.range_value import ValueOrRange

__all__ = ["INDICATORS", "SOURCES", "UncertaintySource", "dominant_source", "uncertainty_sources"]

#: Indicators :func:`uncertainty_sources` can rank by (totals: usage plus embodied).
INDICATORS = ("energy", "gwp", "adpe", "pe", "wcf")

#: The sources of uncertainty, with what each one is.
SOURCES: dict[str, str] = {
    "model_size": "the model's active and total parameters (undisclosed architectures)",
    "batch_size": "the number of requests served together",
    "prefill_mfu": "the achieved fraction of the GPUs' peak while processing the prompt",
    "datacenter_pue": "the datacenter's power usage effectiveness",
    "datacenter_wue": "the datacenter's on-site water usage effectiveness",
}


@dataclass(frozen=True, slots=True)
class UncertaintySource:
    """How far one uncertain input, alone, moves an indicator.

    Attributes:
        name: A key of :data:`SOURCES`.
        description: What the input is.
        low: The indicator with this input at its impact-lowering bound (others central).
        high: The indicator with this input at its impact-raising bound (others central).
        ratio: ``high / low`` (``1.0`` when the input is certain or has no effect; ``inf`` when
            ``low`` is 0 and ``high`` is not).
    """

    name: str
    description: str
    low: float
    high: float
    ratio: float


def _indicator(result: RequestImpacts, indicator: str) -> float:
    if indicator == "energy":
        return float(result.energy)
    if indicator == "wcf":
        return float(result.usage_wcf)
    return float(getattr(result, f"usage_{indicator}")) + float(getattr(result, f"embodied_{indicator}"))


def _run(plan: Plan, inputs: ScenarioInputs, tokens: int, latency: float, prompt: int, cached: int) -> RequestImpacts:
    model = plan.resolution.model
    return compute_llm_impacts(
        active_parameters=inputs.active_parameters,
        total_parameters=inputs.total_parameters,
        output_tokens=tokens,
        request_latency=latency,
        hardware=plan.hardware,
        mix=plan.mix,
        datacenter=Datacenter(pue=inputs.pue, wue=inputs.wue),
        batch_size=inputs.batch_size,
        tps=model.tps,
        ttft=model.ttft,
        input_tokens=prompt,
        cached_input_tokens=cached,
        prefill_mfu=inputs.prefill_mfu,
    )


def uncertainty_sources(
    provider: str,
    model: str,
    output_tokens: int,
    request_latency: float | None = None,
    electricity_mix_zone: str | None = None,
    *,
    input_tokens: int = 0,
    cached_input_tokens: int = 0,
    indicator: str = "gwp",
    methodology: str = DEFAULT_METHODOLOGY,
    **overrides: Any,
) -> list[UncertaintySource]:
    """Each source of uncertainty of an estimate, the one that moves ``indicator`` most first.

    Arguments as for :func:`ecologits_like.estimate`; ``indicator`` is one of :data:`INDICATORS`.
    Every source is listed (a certain input has ``ratio`` 1.0), ordered by ``ratio``, largest first.

    Raises:
        TypeError, ValueError: a bad argument (as :func:`~ecologits_like.estimate`), or an
            ``indicator`` that is not one of :data:`INDICATORS`.
        LookupError: the provider, model or zone is unknown (the message says which, with close names).

    Example:
        >>> sources = uncertainty_sources("openai", "gpt-4o", 400, input_tokens=2000)
        >>> sources[0].name
        'model_size'
    """
    if indicator not in INDICATORS:
        raise ValueError(f"indicator must be one of {', '.join(INDICATORS)}, got {indicator!r}")
    plan, tokens, latency, prompt, cached = checked_request(
        provider,
        model,
        output_tokens,
        request_latency,
        electricity_mix_zone,
        input_tokens,
        cached_input_tokens,
        methodology,
        overrides,
    )
    if isinstance(plan, ImpactsOutput):
        raise LookupError("; ".join(error.message for error in plan.errors))
    info = plan.resolution.model
    values: dict[str, ValueOrRange] = {
        "model_size": info.active_parameters,
        "model_size.total": info.total_parameters,
        "datacenter_pue": plan.datacenter_pue,
        "datacenter_wue": plan.datacenter_wue,
        "batch_size": plan.batch_size,
    }
    mfu = plan.prefill_mfu

    def scenarios(varied: str) -> tuple[ScenarioInputs, ScenarioInputs]:
        """The low and high scenarios with only the ``varied`` source away from its central value."""

        def pick(key: str) -> ValueOrRange:
            value = values[key]
            return value if key.partition(".")[0] == varied else triple_of(value)[1]

        low, _, high = scenario_inputs(
            active_parameters=pick("model_size"),
            total_parameters=pick("model_size.total"),
            datacenter_pue=pick("datacenter_pue"),
            datacenter_wue=pick("datacenter_wue"),
            batch_size=pick("batch_size"),
            prefill_mfu=None if mfu is None else mfu if varied == "prefill_mfu" else triple_of(mfu)[1],
        )
        return low, high

    sources = []
    for name in SOURCES:
        low_in, high_in = scenarios(name)
        low = _indicator(_run(plan, low_in, tokens, latency, prompt, cached), indicator)
        high = _indicator(_run(plan, high_in, tokens, latency, prompt, cached), indicator)
        low, high = min(low, high), max(low, high)
        ratio = 1.0 if high == low else (high / low if low > 0 else math.inf)
        sources.append(UncertaintySource(name, SOURCES[name], low, high, ratio))
    sources.sort(key=lambda s: s.ratio, reverse=True)
    return sources


def dominant_source(provider: str, model: str, output_tokens: int, **kwargs: Any) -> str | None:
    """The name of the source that moves the indicator most, or ``None`` when the estimate is exact.

    Arguments as for :func:`uncertainty_sources`.
    """
    top = uncertainty_sources(provider, model, output_tokens, **kwargs)[0]
    return None if top.ratio == 1.0 else top.name
