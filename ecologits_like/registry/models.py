"""The model registry: what each model is, and resolving the names APIs actually return."""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.abc import Traversable
from pathlib import Path
from typing import Literal, NamedTuple

from ecologits_like.impacts.range_value import RangeValue, ValueOrRange
from ecologits_like.registry._files import data_file, read_json
from ecologits_like.registry._validate import DataFileError, Entry

__all__ = [
    "KNOWN_MODEL_WARNINGS",
    "OVERLAYS",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelRegistry",
    "Resolution",
    "architecture_problem",
    "load_models",
    "parse_models",
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


#: Layers of user entries laid over the shipped data, lowest precedence first: a file named by
#: the ``ECOLOGITS_LIKE_MODELS_FILE`` environment variable, the file given to
#: ``EcoLogits.init(models_file=...)``, and models added by ``EcoLogits.register_model``.
OVERLAYS: tuple[str, ...] = ("environment", "models_file", "registered")


class _Index(NamedTuple):
    """One immutable snapshot of the registry (swapped whole, so readers never see a half-built one)."""

    models: list[ModelInfo]
    names: dict[str, dict[str, tuple[ModelInfo, bool]]]
    basenames: dict[str, dict[str, ModelInfo | None]]


def _keys(model: ModelInfo) -> list[tuple[str, bool]]:
    return [(_normalize(model.name), False)] + [(_normalize(a), True) for a in model.aliases]


def _insert(index: _Index, model: ModelInfo, *, override: bool) -> None:
    """Add ``model`` to ``index``; a name clash raises unless ``override`` (then ``model`` wins)."""
    names = index.names.setdefault(model.provider, {})
    if override:
        # A user entry replaces the entry of the same canonical name entirely, its aliases included.
        replaced = [m for m in index.models if m.provider == model.provider and m.name == model.name]
        if replaced:
            index.models[:] = [m for m in index.models if m not in replaced]
            for key in [k for k, (m, _) in names.items() if m in replaced]:
                del names[key]
    else:
        for key, _ in _keys(model):
            clash = names.get(key)
            if clash is not None and clash[0].name != model.name:
                raise ValueError(
                    f"model name {key!r} of {model.provider}/{model.name} is already used by "
                    f"{clash[0].provider}/{clash[0].name}"
                )
    index.models.append(model)
    for key, is_alias in _keys(model):
        names[key] = (model, is_alias)


def _with_basenames(index: _Index) -> _Index:
    basenames: dict[str, dict[str, ModelInfo | None]] = {}
    for provider, names in index.names.items():
        for key, (model, _) in names.items():
            if "/" in key:
                bases = basenames.setdefault(provider, {})
                base = key.rsplit("/", 1)[1]
                # An ambiguous basename maps to None: never guess between two organisations.
                bases[base] = model if bases.get(base, model) is model else None
    return _Index(index.models, index.names, basenames)


class ModelRegistry:
    """An index of models by provider, resolving exact names, aliases, snapshots and fine-tunes.

    The shipped entries can be overlaid with user entries (see :data:`OVERLAYS`): a user entry
    replaces the shipped entry of the same provider and name, and its names and aliases win over
    any shipped name or alias they collide with.
    """

    def __init__(self, models: Iterable[ModelInfo]) -> None:
        self._base: list[ModelInfo] = list(models)
        self._overlays: dict[str, tuple[ModelInfo, ...]] = {}
        self._sources: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._resolve_cached = lru_cache(maxsize=4096)(self._resolve)
        self._index = self._build()

    def _build(self) -> _Index:
        index = _Index([], {}, {})
        for model in self._base:
            _insert(index, model, override=False)
        for layer in OVERLAYS:
            for model in self._overlays.get(layer, ()):
                _insert(index, model, override=True)
        return _with_basenames(index)

    def _rebuild(self) -> None:
        self._index = self._build()
        self._resolve_cached.cache_clear()

    def add(self, model: ModelInfo, *, replace: bool = False) -> None:
        """Add ``model`` to the base entries.

        Raises:
            ValueError: one of its names is another model's name or alias (unless ``replace``, which
                first drops the base entry of the same provider and name).
        """
        with self._lock:
            previous = self._base
            kept = [m for m in previous if not (replace and m.provider == model.provider and m.name == model.name)]
            self._base = [*kept, model]
            try:
                self._rebuild()
            except ValueError:
                self._base = previous
                raise

    def set_overlay(self, layer: str, models: Iterable[ModelInfo], *, source: str | None = None) -> None:
        """Replace the user entries of ``layer`` (one of :data:`OVERLAYS`) with ``models``.

        ``source`` records where they came from (a file path), see :meth:`overlay_source`.

        Raises:
            ValueError: an unknown layer, or two of ``models`` share a name or alias.
        """
        if layer not in OVERLAYS:
            raise ValueError(f"unknown overlay {layer!r}; known: {', '.join(OVERLAYS)}")
        entries = tuple(models)
        check = _Index([], {}, {})
        seen: set[tuple[str, str]] = set()
        for model in entries:
            if (model.provider, model.name) in seen:
                raise ValueError(f"model {model.provider}/{model.name} is listed twice")
            seen.add((model.provider, model.name))
            _insert(check, model, override=False)  # ValueError on a clash inside the layer
        with self._lock:
            if entries:
                self._overlays[layer] = entries
            else:
                self._overlays.pop(layer, None)
            self._sources[layer] = source
            self._rebuild()

    def overlay(self, layer: str) -> tuple[ModelInfo, ...]:
        """The user entries of ``layer`` (empty when none)."""
        return self._overlays.get(layer, ())

    def overlay_source(self, layer: str) -> str | None:
        """Where the entries of ``layer`` were loaded from (``None`` when not from a file)."""
        return self._sources.get(layer)

    def shipped(self, provider: str, name: str) -> ModelInfo | None:
        """The base (shipped) entry of that exact canonical name, or ``None``."""
        for model in self._base:
            if model.provider == provider and model.name == name:
                return model
        return None

    def get(self, provider: str, name: str) -> ModelInfo | None:
        """The entry currently in effect with that exact canonical name (user entries first), or ``None``."""
        hit = self._index.names.get(provider, {}).get(_normalize(name))
        if hit is None or hit[0].name != name:
            return None
        return hit[0]

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._index.models)

    def __len__(self) -> int:
        return len(self._index.models)

    @property
    def providers(self) -> list[str]:
        """Providers that have at least one model, sorted."""
        return sorted(p for p, names in self._index.names.items() if names)

    def models_of(self, provider: str) -> list[ModelInfo]:
        """All models of ``provider``: shipped ones in file order, then user entries."""
        return [m for m in self._index.models if m.provider == provider]

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
        index = self._index  # one snapshot for the whole lookup
        names = index.names.get(provider)
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
        by_base = index.basenames.get(provider, {}).get(base)
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
        names = self._index.names.get(provider, {})
        key = _normalize(name)
        matches = difflib.get_close_matches(key, list(names), n=limit * 3, cutoff=0.6)
        seen: list[str] = []
        for match in matches:
            canonical = names[match][0].name
            if canonical not in seen:
                seen.append(canonical)
        return seen[:limit]


def architecture_problem(architecture: str, total: ValueOrRange, active: ValueOrRange) -> tuple[str, str] | None:
    """The first inconsistency between architecture and parameter counts, as ``(field, problem)``."""
    total_max = total.max if isinstance(total, RangeValue) else total
    active_max = active.max if isinstance(active, RangeValue) else active
    if active_max > total_max * (1 + 1e-9):
        return "active_parameters", f"must not exceed total_parameters ({active_max} > {total_max})"
    if architecture == "dense" and active != total:
        return "active_parameters", "must equal total_parameters for a dense model"
    return None


def _parse_model(entry: Entry, *, require_sources: bool = True) -> ModelInfo:
    architecture = entry.string("architecture", choices=("dense", "moe"))
    total = entry.value_or_range("total_parameters")
    active = entry.value_or_range("active_parameters") if entry.has("active_parameters") else total
    problem = architecture_problem(architecture, total, active)
    if problem is not None:
        entry.fail(*problem)
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
        sources=tuple(entry.strings("sources", required=require_sources)),
        tps=None if tps != tps else tps,
        ttft=None if ttft != ttft else ttft,
    )


def parse_models(raw: object, label: str, *, require_sources: bool = True) -> list[ModelInfo]:
    """Validate the content of a models file and return its entries.

    ``require_sources=False`` (user files) lets an entry omit ``sources``: a private model may
    have no public source.
    """
    top = Entry(label, "top level", raw)
    models = top.raw.get("models")
    if not isinstance(models, list):
        top.fail("models", "must be a list of model objects")
    parsed: list[ModelInfo] = []
    for index, item in enumerate(models):
        hint = ""
        if isinstance(item, dict):
            hint = f" ({item.get('provider')}/{item.get('name')})"
        parsed.append(_parse_model(Entry(label, f"models[{index}]{hint}", item), require_sources=require_sources))
    return parsed


def load_models(source: Traversable | Path | None = None) -> ModelRegistry:
    """Load and validate a models file (the shipped ``data/models.json`` by default)."""
    path = source if source is not None else data_file("models.json")
    label = str(path) if source is not None else "data/models.json"
    models = parse_models(read_json(path, label), label)
    seen: set[tuple[str, str]] = set()
    for model in models:  # a second entry of the same name would silently shadow the first
        if (model.provider, model.name) in seen:
            raise DataFileError(f"{label}: model {model.provider}/{model.name} is listed twice")
        seen.add((model.provider, model.name))
    try:
        return ModelRegistry(models)
    except ValueError as exc:
        raise DataFileError(f"{label}: {exc}") from exc
