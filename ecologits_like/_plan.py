"""Resolving (provider, model, zone, overrides) into the numbers the engine needs, once.

A plan is everything about a request that does not depend on its tokens or latency. Plans are
cached, so a traced application pays for name resolution and data lookups once per model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ecologits_like.impacts.compiled import CompiledScenario, compile_scenario, scenario_coefficients
from ecologits_like.impacts.compose import ScenarioInputs, methodology_inputs, scenario_inputs
from ecologits_like.impacts.lazy import OutputRecipe
from ecologits_like.impacts.llm import Datacenter, ElectricityMix, HardwareProfile
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY
from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning
from ecologits_like.impacts.range_value import ValueOrRange
from ecologits_like.registry import ModelNotFoundError, Resolution, ZoneNotFoundError, get_registry
from ecologits_like.registry.models import KNOWN_MODEL_WARNINGS

__all__ = [
    "Plan",
    "clear_plan_cache",
    "get_plan",
    "on_clear_plan_cache",
    "plan_for",
    "remember_plan",
    "remembered_plan",
]


@dataclass(frozen=True, slots=True)
class Plan:
    """A resolved request context: model, zone, hardware, methodology and its compiled scenarios."""

    provider: str
    resolution: Resolution
    mix: ElectricityMix
    hardware: HardwareProfile
    batch_size: ValueOrRange
    datacenter_pue: ValueOrRange
    datacenter_wue: ValueOrRange
    warnings: tuple[ImpactsWarning, ...]
    low: CompiledScenario  # every uncertain input at its impact-lowering bound
    high: CompiledScenario | None  # every one at its impact-raising bound; None when nothing is uncertain
    recipe: OutputRecipe  # the scenarios (and warnings) as the output built on first read needs them
    methodology: str = DEFAULT_METHODOLOGY
    prefill_mfu: ValueOrRange | None = None  # None: prompt processing not counted
    central: CompiledScenario | None = None  # every one at its central value; None: midpoints


def _build(
    provider: str,
    model: str,
    zone: str | None,
    pue: ValueOrRange | None,
    wue: ValueOrRange | None,
    hardware_name: str | None,
    batch_size: ValueOrRange | None,
    methodology: str,
) -> Plan | ImpactsOutput:
    registry = get_registry()
    hardware = registry.hardware.get(hardware_name)  # ValueError: a bad argument, not a lookup miss
    profile = registry.providers.get(provider)
    if profile is None:
        known = ", ".join(sorted(registry.providers))
        return ImpactsOutput.failed(
            ImpactsError(code="provider-not-registered", message=f"Unknown provider {provider!r}; known: {known}.")
        )
    try:
        resolution = registry.models.resolve(provider, model)
    except ModelNotFoundError as exc:
        return ImpactsOutput.failed(ImpactsError(code="model-not-registered", message=str(exc)))
    try:
        mix = registry.mixes.get(zone or profile.datacenter_zone).mix
    except ZoneNotFoundError as exc:
        return ImpactsOutput.failed(ImpactsError(code="zone-not-registered", message=str(exc)))

    info = resolution.model
    warnings = [ImpactsWarning(code=code, message=KNOWN_MODEL_WARNINGS[code]) for code in info.warnings]
    if resolution.rule == "fine-tune":
        warnings.append(
            ImpactsWarning(
                code="model-fine-tuned",
                message=f"{model!r} is a fine-tune; estimated as its base model {info.name!r}.",
            )
        )
    datacenter_pue = profile.pue if pue is None else pue
    datacenter_wue = profile.wue if wue is None else wue
    settings = methodology_inputs(methodology, hardware, batch_size)
    low, central, high = scenario_inputs(
        active_parameters=info.active_parameters,
        total_parameters=info.total_parameters,
        datacenter_pue=datacenter_pue,
        datacenter_wue=datacenter_wue,
        batch_size=settings.batch_size,
        prefill_mfu=settings.prefill_mfu,
    )

    def scenario(inputs: ScenarioInputs) -> CompiledScenario:
        return compile_scenario(
            active_parameters=inputs.active_parameters,
            total_parameters=inputs.total_parameters,
            hardware=hardware,
            mix=mix,
            datacenter=Datacenter(pue=inputs.pue, wue=inputs.wue),
            batch_size=inputs.batch_size,
            tps=info.tps,
            ttft=info.ttft,
            prefill_mfu=inputs.prefill_mfu,
        )

    uncertain = low != high
    low_scenario = scenario(low)
    high_scenario = scenario(high) if uncertain else None
    central_scenario = scenario(central) if uncertain and settings.central else None
    scenarios = (low_scenario, high_scenario, central_scenario)
    return Plan(
        provider=provider,
        resolution=resolution,
        mix=mix,
        hardware=hardware,
        batch_size=settings.batch_size,
        datacenter_pue=datacenter_pue,
        datacenter_wue=datacenter_wue,
        warnings=tuple(warnings),
        low=low_scenario,
        high=high_scenario,
        methodology=methodology,
        prefill_mfu=settings.prefill_mfu,
        central=central_scenario,
        recipe=OutputRecipe(
            scenarios=tuple(scenario_coefficients(s) for s in scenarios if s is not None),
            counts_prompt=settings.prefill_mfu is not None,
            warnings=tuple(warnings),
        ),
    )


_cached_build = lru_cache(maxsize=2048)(_build)
_cache_lock = threading.Lock()


def get_plan(
    provider: str,
    model: str,
    zone: str | None = None,
    pue: ValueOrRange | None = None,
    wue: ValueOrRange | None = None,
    hardware: str | None = None,
    batch_size: ValueOrRange | None = None,
    methodology: str = DEFAULT_METHODOLOGY,
) -> Plan | ImpactsOutput:
    """The cached plan for these inputs, or a failed :class:`ImpactsOutput` saying what is unknown.

    ``methodology`` must be a checked name (:func:`~ecologits_like.impacts.methodology.check_methodology`).

    Raises:
        ValueError: ``hardware`` names no profile.
    """
    return _cached_build(provider, model, zone, pue, wue, hardware, batch_size, methodology)


def plan_for(
    provider: str, model: str, zone: str | None, overrides: dict[str, Any], methodology: str = DEFAULT_METHODOLOGY
) -> Plan | ImpactsOutput:
    """:func:`get_plan` with overrides as returned by ``check_overrides``."""
    return _cached_build(
        provider,
        model,
        zone,
        overrides.get("datacenter_pue"),
        overrides.get("datacenter_wue"),
        overrides.get("hardware"),
        overrides.get("batch_size"),
        methodology,
    )


# The plans of ``estimate`` calls without overrides, by their exact (provider, model, zone,
# methodology) arguments: the common call finds its plan with one dict lookup, without the
# argument checks, name normalisation and cache-key hashing that resolved it the first time.
_by_arguments: dict[tuple[str, str, str | None, str], Plan] = {}
_BY_ARGUMENTS_MAX = 2048  # as many as the plan cache holds

#: ``remembered_plan((provider, model, zone, methodology))``: the plan :func:`remember_plan` stored
#: for exactly these arguments, or ``None`` (a bound ``dict.get``: no Python frame on the hot path).
remembered_plan = _by_arguments.get


def remember_plan(provider: str, model: str, zone: str | None, methodology: str, plan: Plan) -> None:
    """Store the plan that checked arguments resolved to, for :data:`remembered_plan`."""
    if len(_by_arguments) >= _BY_ARGUMENTS_MAX:  # many distinct names: start over rather than grow
        _by_arguments.clear()
    _by_arguments[provider, model, zone, methodology] = plan


# What else keeps plans and must forget them with this cache (the tracers' table of plans).
_forgetters: list[Callable[[], None]] = []


def on_clear_plan_cache(forget: Callable[[], None]) -> None:
    """Have :func:`clear_plan_cache` call ``forget`` too (for a cache of plans kept elsewhere)."""
    _forgetters.append(forget)


def clear_plan_cache() -> None:
    """Forget cached plans (after the registry changed)."""
    with _cache_lock:
        _cached_build.cache_clear()
        _by_arguments.clear()
        for forget in _forgetters:
            forget()
