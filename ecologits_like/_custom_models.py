"""Adding private or new models at run time: what ``EcoLogits.register_model`` and
``EcoLogits.init(models_file=...)`` do (validation in :mod:`ecologits_like.registry.user_models`).

Every change also forgets the cached request plans, so the next ``estimate()`` or traced call
resolves names against the new entries.
"""

from __future__ import annotations

import os
import threading
import warnings as _warnings
from collections.abc import Iterable

from ecologits_like._plan import clear_plan_cache
from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.registry import ModelInfo, get_registry
from ecologits_like.registry.user_models import (
    ModelReplacedWarning,
    apply_environment_models,
    load_user_models_file,
    model_from_arguments,
)

__all__ = ["register_model", "registered_models", "sync_environment_models", "unregister_model", "use_models_file"]

_lock = threading.Lock()

ParameterCount = float | int | tuple[float, float] | list[float] | RangeValue


def register_model(
    provider: str,
    name: str,
    *,
    total_parameters: ParameterCount,
    active_parameters: ParameterCount | None = None,
    architecture: str | None = None,
    aliases: Iterable[str] = (),
    warnings: Iterable[str] | None = None,
    sources: Iterable[str] = (),
    tps: float | None = None,
    ttft: float | None = None,
) -> ModelInfo:
    """Validate and register a model; see ``EcoLogits.register_model``."""
    registry = get_registry()
    model = model_from_arguments(
        provider,
        name,
        total_parameters=total_parameters,
        active_parameters=active_parameters,
        architecture=architecture,
        aliases=aliases,
        warnings=warnings,
        sources=sources,
        tps=tps,
        ttft=ttft,
        known_providers=registry.providers,
    )
    with _lock:
        models = registry.models
        registered = models.overlay("registered")
        others = [m for m in registered if not (m.provider == provider and m.name == name)]
        if len(others) != len(registered):
            replaced = f"the model registered earlier as {provider}/{name}"
        elif models.get(provider, name) is not None:
            replaced = f"the {provider}/{name} entry of the reference data"
        else:
            replaced = ""
        models.set_overlay("registered", [*others, model])  # ValueError: a name of another registered model
        clear_plan_cache()
    if replaced:
        _warnings.warn(f"register_model replaced {replaced}", ModelReplacedWarning, stacklevel=3)
    return model


def unregister_model(provider: str, name: str) -> bool:
    """Remove a model added by :func:`register_model`; ``False`` when none had that provider and name."""
    with _lock:
        models = get_registry().models
        registered = models.overlay("registered")
        kept = [m for m in registered if not (m.provider == provider and m.name == name)]
        if len(kept) == len(registered):
            return False
        models.set_overlay("registered", kept)
        clear_plan_cache()
        return True


def registered_models() -> tuple[ModelInfo, ...]:
    """The models added by :func:`register_model`, in registration order."""
    return get_registry().models.overlay("registered")


def use_models_file(path: str | os.PathLike[str] | None) -> tuple[ModelInfo, ...]:
    """Lay the models of ``path`` over the shipped ones (``None`` removes the previous file's).

    Raises:
        TypeError: ``path`` is not a path.
        DataFileError: the file is unreadable or malformed (the message names file, entry and field).
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"models_file must be a file path or None, got {path!r} ({type(path).__name__})")
    registry = get_registry()
    if path is None and registry.models.overlay_source("models_file") is None:
        return ()  # nothing loaded: keep the cached plans
    entries = [] if path is None else load_user_models_file(path, registry.providers)
    with _lock:
        registry.models.set_overlay("models_file", entries, source=None if path is None else os.fspath(path))
        clear_plan_cache()
    return tuple(entries)


def sync_environment_models() -> None:
    """Reload the ``ECOLOGITS_LIKE_MODELS_FILE`` models when the variable changed since they were loaded."""
    registry = get_registry()
    with _lock:
        if apply_environment_models(registry.models, registry.providers):
            clear_plan_cache()
