"""Resolving (provider, model, zone, overrides) into the numbers the engine needs, once.

A plan is everything about a request that does not depend on its tokens or latency. Plans are
cached, so a traced application pays for name resolution and data lookups once per model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ecologits_like.impacts.compiled import CompiledScenario, compile_scenario
from ecologits_like.impacts.compose import bounds_of
from ecologits_like.impacts.llm import Datacenter, ElectricityMix, HardwareProfile
from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning
from ecologits_like.impacts.range_value import ValueOrRange
from ecologits_like.registry import ModelNotFoundError, Resolution, ZoneNotFoundError, get_registry
from ecologits_like.registry.models import KNOWN_MODEL_WARNINGS

__all__ = ["Plan", "clear_plan_cache", "get_plan", "plan_for"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A resolved request context: model, zone, hardware and the low/high scenarios."""

    provider: str
    resolution: Resolution
    mix: ElectricityMix
    hardware: HardwareProfile
    batch_size: int
    datacenter_pue: ValueOrRange
    datacenter_wue: ValueOrRange
    warnings: tuple[ImpactsWarning, ...]
    low: CompiledScenario  # every uncertain input at its lower bound
    high: CompiledScenario | None  # every one at its upper bound; None when nothing is uncertain


def _build(
    provider: str,
    model: str,
    zone: str | None,
    pue: ValueOrRange | None,
    wue: ValueOrRange | None,
    hardware_name: str | None,
    batch_size: int | None,
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
    batch = hardware.batch_size if batch_size is None else batch_size
    bounds = [bounds_of(v) for v in (info.active_parameters, info.total_parameters, datacenter_pue, datacenter_wue)]

    def scenario(side: int) -> CompiledScenario:
        active, total, pue_bound, wue_bound = (b[side] for b in bounds)
        return compile_scenario(
            active_parameters=active,
            total_parameters=total,
            hardware=hardware,
            mix=mix,
            datacenter=Datacenter(pue=pue_bound, wue=wue_bound),
            batch_size=batch,
            tps=info.tps,
            ttft=info.ttft,
        )

    uncertain = any(lo != hi for lo, hi in bounds)
    return Plan(
        provider=provider,
        resolution=resolution,
        mix=mix,
        hardware=hardware,
        batch_size=batch,
        datacenter_pue=datacenter_pue,
        datacenter_wue=datacenter_wue,
        warnings=tuple(warnings),
        low=scenario(0),
        high=scenario(1) if uncertain else None,
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
    batch_size: int | None = None,
) -> Plan | ImpactsOutput:
    """The cached plan for these inputs, or a failed :class:`ImpactsOutput` saying what is unknown.

    Raises:
        ValueError: ``hardware`` names no profile.
    """
    return _cached_build(provider, model, zone, pue, wue, hardware, batch_size)


def plan_for(provider: str, model: str, zone: str | None, overrides: dict[str, Any]) -> Plan | ImpactsOutput:
    """:func:`get_plan` with overrides as returned by ``check_overrides``."""
    return _cached_build(
        provider,
        model,
        zone,
        overrides.get("datacenter_pue"),
        overrides.get("datacenter_wue"),
        overrides.get("hardware"),
        overrides.get("batch_size"),
    )


def clear_plan_cache() -> None:
    """Forget cached plans (after the registry changed)."""
    with _cache_lock:
        _cached_build.cache_clear()
