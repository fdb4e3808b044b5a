"""The model registry: what each model is, and resolving the names APIs actually return."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.abc import Traversable
from pathlib import Path
from typing import Literal

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange
from ecologits_like.registry._files import data_file, read_json
from ecologits_like.registry._validate import DataFileError, Entry

__all__ = [
    "KNOWN_MODEL_WARNINGS",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelRegistry",
    "Resolution",
    "load_models",
]

#: Warning codes a model entry may carry, with the sentence shown to users.
KNOWN_MODEL_WARNINGS: dict[str, str] = {
    "model-arch-not-released": (
        "The provider has not published this model's architecture; its size is an estimated range."
    ),
    "model-arch-multimodal": (
        "This model is multimodal; its parameter count includes parts that text generation may not use."
    ),
}

Architecture = Literal["dense", "moe"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model of the registry.

    Attributes:
        provider: Provider key (``openai``, ``anthropic``, ``mistralai``, ``huggingface_hub``, ``cohere``).
        name: Canonical API name.
        architecture: ``dense`` or ``moe``.
        total_parameters: Parameters in billions (a range when undisclosed).
        active_parameters: Parameters used per token in billions (equals total for dense models).
        aliases: Other names that resolve to this model.
        warnings: Warning codes (see :data:`KNOWN_MODEL_WARNINGS`).
        sources: URLs backing the figures.
        tps: Deployment throughput (tokens/s) when published.
        ttft: Deployment time to first token (s) when published.
    """

    provider: str
    name: str
    architecture: Architecture
    total_parameters: ValueOrRange
    active_parameters: ValueOrRange
    aliases: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tps: float | None = None
    ttft: float | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolved model name.

    Attributes:
        model: The registry entry.
        requested: The name as given.
        rule: How it matched: ``exact``, ``alias``, ``normalized``, ``fine-tune``, ``snapshot``, ``basename``.
    """

    model: ModelInfo
    requested: str
    rule: str


@dataclass
class ModelNotFoundError(LookupError):
    """No registry entry matches ``name`` for ``provider``."""

    provider: str
    name: str
    suggestions: list[str] = field(default_factory=list)
    unknown_provider: bool = False
    known_providers: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.unknown_provider:
            return f"Unknown provider {self.provider!r}; known providers: {', '.join(self.known_providers)}."
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"Model {self.name!r} is not in the registry for provider {self.provider!r}.{hint}"


_DATE_SUFFIXES = (
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # gpt-4o-2024-08-06
    re.compile(r"-\d{8}$"),  # claude-sonnet-4-20250514
    re.compile(r"-\d{2}-\d{4}$"),  # command-r-08-2024
    re.compile(r"-\d{4}$"),  # gpt-4-0613, mistral-large-2411
    re.compile(r"-latest$"),
    re.compile(r"-preview$"),
)
_VENDOR_PREFIX = re.compile(r"^(anthropic|cohere|mistral|meta|openai)\.")
_VERSION_SUFFIX = re.compile(r"-v\d+(:\d+)?$")  # Bedrock: anthropic.claude-3-haiku-20240307-v1:0


def _normalize(name: str) -> str:
    return name.strip().lower()


class ModelRegistry:
    """An index of models by provider, resolving exact names, aliases, snapshots and fine-tunes."""

    def __init__(self, models: Iterable[ModelInfo]) -> None:
        self._models: list[ModelInfo] = []
        self._index: dict[str, dict[str, tuple[ModelInfo, bool]]] = {}
        self._basenames: dict[str, dict[str, ModelInfo | None]] = {}
        for model in models:
            self.add(model)
        self._resolve_cached = lru_cache(maxsize=4096)(self._resolve)

    def add(self, model: ModelInfo, *, replace: bool = False) -> None:
        """Register ``model``; a clash with an existing name or alias raises unless ``replace``."""
        names = self._index.setdefault(model.provider, {})
        keys = [(_normalize(model.name), False)] + [(_normalize(a), True) for a in model.aliases]
        for key, _ in keys:
            clash = names.get(key)
            if clash is not None and clash[0].name != model.name and not replace:
                raise ValueError(
                    f"model name {key!r} of {model.provider}/{model.name} is already used by "
                    f"{clash[0].provider}/{clash[0].name}"
                )
        if replace:
            self._models = [m for m in self._models if not (m.provider == model.provider and m.name == model.name)]
        self._models.append(model)
        for key, is_alias in keys:
            names[key] = (model, is_alias)
            if "/" in key:
                base = key.rsplit("/", 1)[1]
                bases = self._basenames.setdefault(model.provider, {})
                # An ambiguous basename maps to None: never guess between two organisations.
                bases[base] = model if bases.get(base, model) is model else None
        if hasattr(self, "_resolve_cached"):
            self._resolve_cached.cache_clear()

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    @property
    def providers(self) -> list[str]:
        """Providers that have at least one model, sorted."""
        return sorted(self._index)

    def models_of(self, provider: str) -> list[ModelInfo]:
        """All models of ``provider`` in file order."""
        return [m for m in self._models if m.provider == provider]

    def resolve(self, provider: str, name: str) -> Resolution:
        """Find the entry for ``name`` as returned by ``provider``'s API.

        Tries, in order: the exact name or alias (case-insensitive); the name without a
        ``provider/`` prefix or an inference-provider ``:route`` suffix; an OpenAI ``ft:`` fine-tune's
        base model; dated or ``-latest`` snapshot suffixes removed one by one; and for Hub ids
        the repository name without its organisation when that is unambiguous.

        Raises:
            ModelNotFoundError: nothing matches; ``suggestions`` lists close names.
        """
        if not isinstance(name, str) or not name.strip():
            raise ModelNotFoundError(provider, str(name))
        return self._resolve_cached(provider, name)

    def _resolve(self, provider: str, name: str) -> Resolution:
        names = self._index.get(provider)
        if names is None:
            raise ModelNotFoundError(provider, name, unknown_provider=True, known_providers=self.providers)
        for candidate, rule in self._candidates(provider, _normalize(name)):
            hit = names.get(candidate)
            if hit is not None:
                model, is_alias = hit
                if rule == "exact" and is_alias:
                    rule = "alias"
                return Resolution(model, name, rule)
        base = _normalize(name).split(":", 1)[0].rsplit("/", 1)[-1]
        by_base = self._basenames.get(provider, {}).get(base)
        if by_base is not None:
            return Resolution(by_base, name, "basename")
        raise ModelNotFoundError(provider, name, suggestions=self.suggest(provider, name))

    @staticmethod
    def _candidates(provider: str, key: str) -> Iterator[tuple[str, str]]:
        yield key, "exact"
        if key.startswith("ft:"):  # ft:gpt-4o-mini-2024-07-18:org:suffix:id
            base = key.split(":")[1]
            yield base, "fine-tune"
            key = base
        stripped = key
        if provider == "huggingface_hub":
            stripped = stripped.removeprefix("https://huggingface.co/").removeprefix("hf.co/")
            stripped = stripped.split(":", 1)[0]  # org/model:inference-provider
        elif "/" in stripped:
            stripped = stripped.rsplit("/", 1)[1]  # openai/gpt-4o, models/mistral-large
        stripped = _VENDOR_PREFIX.sub("", stripped)  # Bedrock: anthropic.claude-...
        stripped = _VERSION_SUFFIX.sub("", stripped).replace("@", "-")
        if stripped != key:
            yield stripped, "normalized"
        current = stripped
        changed = True
        while changed:
            changed = False
            for pattern in _DATE_SUFFIXES:
                shorter = pattern.sub("", current)
                if shorter != current and shorter:
                    yield shorter, "snapshot"
                    current = shorter
                    changed = True
                    break

    def suggest(self, provider: str, name: str, limit: int = 3) -> list[str]:
        """Canonical names close to ``name`` for ``provider`` (empty when nothing is close)."""
        names = self._index.get(provider, {})
        key = _normalize(name)
        matches = difflib.get_close_matches(key, list(names), n=limit * 3, cutoff=0.6)
        seen: list[str] = []
        for match in matches:
            canonical = names[match][0].name
            if canonical not in seen:
                seen.append(canonical)
        return seen[:limit]


def _parse_model(entry: Entry) -> ModelInfo:
    architecture = entry.string("architecture", choices=("dense", "moe"))
    total = entry.value_or_range("total_parameters")
    active = entry.value_or_range("active_parameters") if entry.has("active_parameters") else total
    total_max = total.max if isinstance(total, RangeValue) else total
    active_max = active.max if isinstance(active, RangeValue) else active
    if active_max > total_max * (1 + 1e-9):
        entry.fail("active_parameters", f"must not exceed total_parameters ({active_max} > {total_max})")
    if architecture == "dense" and active != total:
        entry.fail("active_parameters", "must equal total_parameters for a dense model")
    warnings = entry.strings("warnings")
    for code in warnings:
        if code not in KNOWN_MODEL_WARNINGS:
            entry.fail("warnings", f"has unknown code {code!r}; known: {', '.join(KNOWN_MODEL_WARNINGS)}")
    tps = entry.number("tps", optional=True)
    ttft = entry.number("ttft", optional=True, strict=False)
    return ModelInfo(
        provider=entry.string("provider"),
        name=entry.string("name"),
        architecture=architecture,  # type: ignore[arg-type]
        total_parameters=total,
        active_parameters=active,
        aliases=tuple(entry.strings("aliases")),
        warnings=tuple(warnings),
        sources=tuple(entry.strings("sources", required=True)),
        tps=None if tps != tps else tps,
        ttft=None if ttft != ttft else ttft,
    )


def parse_models(raw: object, label: str) -> list[ModelInfo]:
    """Validate the content of a models file and return its entries."""
    top = Entry(label, "top level", raw)
    models = top.raw.get("models")
    if not isinstance(models, list):
        top.fail("models", "must be a list of model objects")
    parsed: list[ModelInfo] = []
    for index, item in enumerate(models):
        hint = ""
        if isinstance(item, dict):
            hint = f" ({item.get('provider')}/{item.get('name')})"
        parsed.append(_parse_model(Entry(label, f"models[{index}]{hint}", item)))
    return parsed


def load_models(source: Traversable | Path | None = None) -> ModelRegistry:
    """Load and validate a models file (the shipped ``data/models.json`` by default)."""
    path = source if source is not None else data_file("models.json")
    label = str(path) if source is not None else "data/models.json"
    models = parse_models(read_json(path, label), label)
    try:
        return ModelRegistry(models)
    except ValueError as exc:
        raise DataFileError(f"{label}: {exc}") from exc
