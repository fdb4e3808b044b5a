"""``estimate``: the impacts of one LLM request, without calling any API."""

from __future__ import annotations

import math
from typing import Any

from ecologits_like._arguments import (
    check_input_tokens,
    check_latency,
    check_optional_str,
    check_overrides,
    check_tokens,
)
from ecologits_like._plan import Plan, plan_for, remember_plan, remembered_plan
from ecologits_like.impacts.lazy import lazy_estimate
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY, check_methodology
from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["estimate", "estimate_from_plan"]


def estimate_from_plan(
    plan: Plan,
    output_tokens: int,
    request_latency: float,
    input_tokens: int | None = None,
    cached_input_tokens: int | None = None,
) -> ImpactsOutput:
    """Run the engine for a resolved plan (arguments already validated; latency ``inf`` if unknown).

    ``input_tokens`` / ``cached_input_tokens`` may be ``None`` (not reported); they only count
    when the plan's methodology counts prompt processing. The output is computed when first read
    and its models built as they are read (see :func:`~ecologits_like.impacts.lazy.lazy_estimate`):
    a caller that never reads it pays for no arithmetic.
    """
    return lazy_estimate(plan.recipe, output_tokens, request_latency, input_tokens, cached_input_tokens)


def estimate(
    provider: str,
    model: str,
    output_tokens: int,
    request_latency: float | None = None,
    electricity_mix_zone: str | None = None,
    *,
    input_tokens: int = 0,
    cached_input_tokens: int = 0,
    methodology: str = DEFAULT_METHODOLOGY,
    **overrides: Any,
) -> ImpactsOutput:
    """Estimate the environmental impacts of one LLM generation request.

    Args:
        provider: Provider key: ``openai``, ``anthropic``, ``mistralai``, ``huggingface_hub``, ``cohere``.
        model: Model name as the API takes or returns it (dated snapshots, aliases, ``ft:`` fine-tunes
            and ``org/model`` Hub ids resolve to their registry entry).
        output_tokens: Number of generated tokens (reasoning/thinking tokens included).
        request_latency: Measured request duration in seconds; ``None`` when unknown.
        electricity_mix_zone: ISO 3166-1 alpha-3 zone of the electricity (``WOR`` for the world);
            defaults to the provider's datacenter zone.
        input_tokens: Prompt tokens, cached ones included (as OpenAI's ``prompt_tokens`` counts them).
        cached_input_tokens: Prompt tokens served from the provider's prompt cache (at most
            ``input_tokens``); they cost no prompt processing.
        methodology: ``"ecologits-like"`` (default: output and uncached input tokens, batch size as a
            band, ranges with a central value) or ``"ecologits"`` (the reference methodology exactly:
            output tokens only, batch size 64). See the methodology page of the documentation.
        **overrides: ``datacenter_pue`` (>= 1, number or RangeValue), ``datacenter_wue`` (L/kWh),
            ``hardware`` (a profile of ``data/hardware.json``), ``batch_size`` (>= 1, an integer or a
            RangeValue; replaces the methodology's batch size).

    Returns:
        The impacts. An unknown provider, model or zone never raises: the output's ``errors``
        says what was not found (with close matches) and its indicators are ``None``.

    Raises:
        TypeError, ValueError: an argument has the wrong type or an impossible value.

    Example:
        >>> impacts = estimate("openai", "gpt-4o-mini", output_tokens=500, input_tokens=2000)
        >>> impacts.energy.unit
        'kWh'
    """
    # The common call, checked inline: exactly the values the checks below return unchanged, and
    # names an earlier call resolved without overrides. Anything else takes the full path.
    if (
        type(output_tokens) is int
        and output_tokens >= 0
        and type(input_tokens) is int
        and type(cached_input_tokens) is int
        and 0 <= cached_input_tokens <= input_tokens
        and (request_latency is None or (type(request_latency) is float and request_latency >= 0))
        and not overrides
        and type(provider) is str
        and type(model) is str
        and type(methodology) is str
        and (electricity_mix_zone is None or type(electricity_mix_zone) is str)
    ):
        known = remembered_plan((provider, model, electricity_mix_zone, methodology))
        if known is not None:
            return lazy_estimate(
                known.recipe,
                output_tokens,
                math.inf if request_latency is None else request_latency,
                input_tokens,
                cached_input_tokens,
            )
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
        return plan.model_copy(deep=True)
    if not overrides:  # the next call with these names takes the inline path above
        remember_plan(provider, model, electricity_mix_zone, methodology, plan)
    return estimate_from_plan(plan, tokens, latency, prompt, cached)


def checked_request(
    provider: object,
    model: object,
    output_tokens: object,
    request_latency: object,
    electricity_mix_zone: object,
    input_tokens: object,
    cached_input_tokens: object,
    methodology: str,
    overrides: dict[str, Any],
) -> tuple[Plan | ImpactsOutput, int, float, int, int]:
    """Check :func:`estimate`'s arguments and resolve its plan (an ``ImpactsOutput`` with errors when unknown).

    Returns ``(plan, output_tokens, latency, input_tokens, cached_input_tokens)``; raises the
    ``TypeError``/``ValueError`` that :func:`estimate` documents.
    """
    if not isinstance(provider, str):
        raise TypeError(f"provider must be a string, got {provider!r} ({type(provider).__name__})")
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {model!r} ({type(model).__name__})")
    tokens = check_tokens("output_tokens", output_tokens)
    prompt, cached = check_input_tokens(input_tokens, cached_input_tokens)
    latency = check_latency(request_latency)
    zone = check_optional_str("electricity_mix_zone", electricity_mix_zone)
    if methodology != DEFAULT_METHODOLOGY:
        methodology = check_methodology(methodology)
    plan = plan_for(provider, model, zone, check_overrides(overrides), methodology)
    return plan, tokens, latency, prompt, cached
