"""``estimate``: the impacts of one LLM request, without calling any API."""

from __future__ import annotations

from typing import Any

from ecologits_like._arguments import check_latency, check_optional_str, check_overrides, check_tokens
from ecologits_like._plan import Plan, plan_for
from ecologits_like.impacts.compiled import evaluate
from ecologits_like.impacts.compose import to_output
from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["estimate", "estimate_from_plan"]


def estimate_from_plan(plan: Plan, output_tokens: int, request_latency: float) -> ImpactsOutput:
    """Run the engine for a resolved plan (arguments already validated; latency ``inf`` if unknown)."""
    high = plan.high
    return to_output(
        evaluate(plan.low, output_tokens, request_latency),
        None if high is None else evaluate(high, output_tokens, request_latency),
        list(plan.warnings),
    )


def estimate(
    provider: str,
    model: str,
    output_tokens: int,
    request_latency: float | None = None,
    electricity_mix_zone: str | None = None,
    **overrides: Any,
) -> ImpactsOutput:
    """Estimate the environmental impacts of one LLM generation request.

    Args:
        provider: Provider key: ``openai``, ``anthropic``, ``mistralai``, ``huggingface_hub``, ``cohere``.
        model: Model name as the API takes or returns it (dated snapshots, aliases, ``ft:`` fine-tunes
            and ``org/model`` Hub ids resolve to their registry entry).
        output_tokens: Number of generated tokens.
        request_latency: Measured request duration in seconds; ``None`` when unknown.
        electricity_mix_zone: ISO 3166-1 alpha-3 zone of the electricity (``WOR`` for the world);
            defaults to the provider's datacenter zone.
        **overrides: ``datacenter_pue`` (>= 1, number or RangeValue), ``datacenter_wue`` (L/kWh),
            ``hardware`` (a profile of ``data/hardware.json``), ``batch_size`` (>= 1).

    Returns:
        The impacts. An unknown provider, model or zone never raises: the output's ``errors``
        says what was not found (with close matches) and its indicators are ``None``.

    Raises:
        TypeError, ValueError: an argument has the wrong type or an impossible value.

    Example:
        >>> impacts = estimate("openai", "gpt-4o-mini", output_tokens=500)
        >>> impacts.energy.unit
        'kWh'
    """
    if not isinstance(provider, str):
        raise TypeError(f"provider must be a string, got {provider!r} ({type(provider).__name__})")
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {model!r} ({type(model).__name__})")
    tokens = check_tokens("output_tokens", output_tokens)
    latency = check_latency(request_latency)
    zone = check_optional_str("electricity_mix_zone", electricity_mix_zone)
    checked = check_overrides(overrides)
    plan = plan_for(provider, model, zone, checked)
    if isinstance(plan, ImpactsOutput):
        return plan.model_copy(deep=True)
    return estimate_from_plan(plan, tokens, latency)
