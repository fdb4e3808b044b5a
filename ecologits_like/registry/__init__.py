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
from ecologits_like.registry.user_models import apply_environment_models

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
    """The reference data, loaded on first call (thread-safe) and cached.

    The models of the file named by ``ECOLOGITS_LIKE_MODELS_FILE``, when set, are laid over the
    shipped ones (see :mod:`ecologits_like.registry.user_models`).

    Raises:
        DataFileError: a data file, or the user models file, is malformed.
    """
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                providers = load_providers()
                models = load_models()
                apply_environment_models(models, providers)
                _registry = Registry(
                    models=models,
                    mixes=load_electricity_mixes(),
                    providers=providers,
                    hardware=load_hardware(),
                )
    return _registry
