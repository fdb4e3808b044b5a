"""User models: private or new models added without a release of the package.

Two ways in, both validated as strictly as the shipped data:

* a *models file* with the schema of the shipped ``data/models.json`` (``sources`` optional),
  named by the ``ECOLOGITS_LIKE_MODELS_FILE`` environment variable or given to
  ``EcoLogits.init(models_file=...)``;
* :func:`model_from_arguments`, behind ``EcoLogits.register_model(...)``.

User entries are laid over the shipped ones (see :data:`~ecologits_like.registry.models.OVERLAYS`):
a user entry replaces the shipped entry of the same provider and name, and its names win over
shipped names and aliases. Precedence, highest first: registered models, the ``init`` file, the
environment file, the shipped data.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange
from ecologits_like.registry._files import read_json
from ecologits_like.registry._validate import DataFileError, Entry
from ecologits_like.registry.models import (
    KNOWN_MODEL_WARNINGS,
    ModelInfo,
    ModelRegistry,
    architecture_problem,
    parse_models,
)

__all__ = [
    "ENV_VAR",
    "ModelReplacedWarning",
    "apply_environment_models",
    "load_user_models_file",
    "model_from_arguments",
]

#: Environment variable naming a user models file loaded with the shipped data.
ENV_VAR = "ECOLOGITS_LIKE_MODELS_FILE"

# Parameter counts are in billions; a figure above this is almost surely a raw count (7e9 for 7B).
_MAX_BILLIONS = 100_000.0


class ModelReplacedWarning(UserWarning):
    """A registered model replaced an entry of the same provider and name."""


def load_user_models_file(
    path: str | os.PathLike[str], known_providers: Iterable[str], *, label: str = ""
) -> list[ModelInfo]:
    """Read and validate a user models file.

    Args:
        path: The JSON file (``{"models": [...]}``, entries as in ``data/models.json``).
        known_providers: Providers an entry may name (those with a datacenter profile).
        label: How errors name the file (default: its path).

    Raises:
        DataFileError: the file cannot be read, is not JSON, or an entry is malformed; the message
            names the file, the entry and the field.
    """
    file = Path(path)
    name = label or str(file)
    raw = read_json(file, name)
    models = parse_models(raw, name, require_sources=False)
    providers = sorted(known_providers)
    for index, model in enumerate(models):
        if model.provider not in providers:
            Entry(name, f"models[{index}] ({model.provider}/{model.name})", raw["models"][index]).fail(
                "provider", f"must be one of {', '.join(providers)}, got {model.provider!r}"
            )
    try:
        ModelRegistry([]).set_overlay("models_file", models)
    except ValueError as exc:
        raise DataFileError(f"{name}: {exc}") from exc
    return models


def apply_environment_models(models: ModelRegistry, known_providers: Iterable[str]) -> bool:
    """Load the file named by :data:`ENV_VAR` into ``models`` when the variable changed.

    Returns:
        Whether the environment layer changed.

    Raises:
        DataFileError: the file is unreadable or malformed (the message names the variable).
    """
    value = os.environ.get(ENV_VAR) or None
    if value == models.overlay_source("environment"):
        return False
    entries: list[ModelInfo] = []
    if value is not None:
        entries = load_user_models_file(value, known_providers, label=f"{value} (from {ENV_VAR})")
    models.set_overlay("environment", entries, source=value)
    return True


def _check_count(argument: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{argument} must be a number of billions of parameters or a (min, max) pair, "
            f"got {value!r} ({type(value).__name__})"
        )
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{argument} must be a finite number > 0 (billions of parameters), got {value!r}")
    if number > _MAX_BILLIONS:
        raise ValueError(
            f"{argument} is in billions of parameters, got {value!r}: that looks like a raw count "
            f"(write 7 for a 7B model, not 7e9)"
        )
    return number


def _parameters(argument: str, value: object) -> ValueOrRange:
    """A parameter count in billions: a number, a ``(min, max)`` pair or a ``RangeValue``."""
    if isinstance(value, RangeValue):
        value = (value.min, value.max)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{argument} as a range must be a (min, max) pair, got {value!r}")
        low = _check_count(f"{argument} min", value[0])
        high = _check_count(f"{argument} max", value[1])
        if low > high:
            raise ValueError(f"{argument} has min {low:g} greater than max {high:g}")
        return low if low == high else RangeValue(low, high)
    return _check_count(argument, value)


def _names(argument: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{argument} must be a list of strings, got {value!r}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{argument} must hold non-empty strings, got {item!r}")
    return items


def _optional_positive(argument: str, value: object, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{argument} must be a number or None, got {value!r} ({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{argument} must be a finite number {bound}, got {value!r}")
    return number


def model_from_arguments(
    provider: str,
    name: str,
    *,
    total_parameters: object,
    active_parameters: object = None,
    architecture: str | None = None,
    aliases: Iterable[str] = (),
    warnings: Iterable[str] | None = None,
    sources: Iterable[str] = (),
    tps: float | None = None,
    ttft: float | None = None,
    known_providers: Mapping[str, object] | Iterable[str] = (),
) -> ModelInfo:
    """A validated :class:`ModelInfo` from keyword arguments (see ``EcoLogits.register_model``).

    Raises:
        TypeError: an argument of the wrong type (the message names it and what is accepted).
        ValueError: an impossible value (the message names it, the value and what is accepted).
    """
    providers = sorted(known_providers)
    if not isinstance(provider, str):
        raise TypeError(f"provider must be a string, got {provider!r} ({type(provider).__name__})")
    if provider not in providers:
        raise ValueError(f"provider must be one of {', '.join(providers)}, got {provider!r}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r} ({type(name).__name__})")
    if not name.strip() or name != name.strip():
        raise ValueError(f"name must be a non-empty string without surrounding spaces, got {name!r}")
    total = _parameters("total_parameters", total_parameters)
    active = total if active_parameters is None else _parameters("active_parameters", active_parameters)
    if architecture is None:
        architecture = "dense" if active == total else "moe"
    if architecture not in ("dense", "moe"):
        raise ValueError(f"architecture must be 'dense', 'moe' or None (inferred), got {architecture!r}")
    problem = architecture_problem(architecture, total, active)
    if problem is not None:
        field, message = problem
        raise ValueError(f"{field} {message} (total_parameters={total}, active_parameters={active})")
    if warnings is None:  # a size range means the provider did not publish it
        ranged = isinstance(total, RangeValue) or isinstance(active, RangeValue)
        codes: tuple[str, ...] = ("model-arch-not-released",) if ranged else ()
    else:
        codes = _names("warnings", warnings)
        for code in codes:
            if code not in KNOWN_MODEL_WARNINGS:
                raise ValueError(f"warnings has unknown code {code!r}; known: {', '.join(KNOWN_MODEL_WARNINGS)}")
    return ModelInfo(
        provider=provider,
        name=name,
        architecture="dense" if architecture == "dense" else "moe",
        total_parameters=total,
        active_parameters=active,
        aliases=_names("aliases", aliases),
        warnings=codes,
        sources=_names("sources", sources),
        tps=_optional_positive("tps", tps),
        ttft=_optional_positive("ttft", ttft, allow_zero=True),
    )
