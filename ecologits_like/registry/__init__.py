"""Loading and resolving the reference data: models, electricity mixes, providers, hardware.

The shipped data is read once, on first use, and shared; nothing here imports a provider SDK.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ecologits_like.registry._validate import DataFileError
from ecologits_like.registry.electricity_mixes import (
    ElectricityMixes,
    MixRecord,
    ZoneNotFoundError,
    load_electricity_mixes,
)
from ecologits_like.registry.hardware import HardwareCatalog, load_hardware
from ecologits_like.registry.models import (
    ModelInfo,
    ModelNotFoundError,
    ModelRegistry,
    Resolution,
    load_models,
)
from ecologits_like.registry.providers import ProviderProfile, load_providers

__all__ = [
    "DataFileError",
    "ElectricityMixes",
    "HardwareCatalog",
    "MixRecord",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelRegistry",
    "ProviderProfile",
    "Registry",
    "Resolution",
    "ZoneNotFoundError",
    "get_registry",
]


@dataclass(frozen=True)
class Registry:
    """All reference data, loaded and validated."""

    models: ModelRegistry
    mixes: ElectricityMixes
    providers: dict[str, ProviderProfile]
    hardware: HardwareCatalog


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The shipped reference data, loaded on first call (thread-safe) and cached."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry(
                    models=load_models(),
                    mixes=load_electricity_mixes(),
                    providers=load_providers(),
                    hardware=load_hardware(),
                )
    return _registry
