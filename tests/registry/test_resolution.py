"""Resolving the names APIs actually return."""

from __future__ import annotations

import pytest

from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.registry.models import ModelInfo, ModelNotFoundError, ModelRegistry


def _model(provider: str, name: str, *aliases: str) -> ModelInfo:
    return ModelInfo(
        provider=provider,
        name=name,
        architecture="dense",
        total_parameters=8.0,
        active_parameters=8.0,
        aliases=aliases,
        sources=("https://example.org",),
    )


@pytest.fixture
def registry() -> ModelRegistry:
    return ModelRegistry(
        [
            _model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
            _model("openai", "gpt-4o"),
            _model("openai", "gpt-4"),
            _model("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4-0"),
            _model("anthropic", "claude-3-5-haiku"),
            _model("mistralai", "mistral-large-2411", "mistral-large-latest"),
            _model("mistralai", "mistral-small"),
            _model("cohere", "command-r"),
            _model("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
            _model("huggingface_hub", "Qwen/Qwen2.5-7B-Instruct"),
        ]
    )


@pytest.mark.parametrize(
    ("provider", "requested", "expected", "rule"),
    [
        ("openai", "gpt-4o-mini", "gpt-4o-mini", "exact"),
        ("openai", "GPT-4o-Mini", "gpt-4o-mini", "exact"),
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "alias"),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o", "snapshot"),
        ("openai", "gpt-4-0613", "gpt-4", "snapshot"),
        ("openai", "openai/gpt-4o", "gpt-4o", "normalized"),
        ("openai", "ft:gpt-4o-mini-2024-07-18:acme:support:9abc", "gpt-4o-mini", "fine-tune"),
        ("anthropic", "claude-sonnet-4-0", "claude-sonnet-4-20250514", "alias"),
        ("anthropic", "claude-3-5-haiku-20241022", "claude-3-5-haiku", "snapshot"),
        ("anthropic", "claude-3-5-haiku-latest", "claude-3-5-haiku", "snapshot"),
        ("anthropic", "anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku", "snapshot"),
        ("anthropic", "claude-3-5-haiku@20241022", "claude-3-5-haiku", "snapshot"),
        ("mistralai", "mistral-large-latest", "mistral-large-2411", "alias"),
        ("mistralai", "mistral-small-2409", "mistral-small", "snapshot"),
        ("cohere", "command-r-08-2024", "command-r", "snapshot"),
        ("huggingface_hub", "meta-llama/llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct", "exact"),
        ("huggingface_hub", "meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "alias"),
        (
            "huggingface_hub",
            "meta-llama/Llama-3.1-8B-Instruct:novita",
            "meta-llama/Llama-3.1-8B-Instruct",
            "normalized",
        ),
        (
            "huggingface_hub",
            "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct",
            "Qwen/Qwen2.5-7B-Instruct",
            "normalized",
        ),
        ("huggingface_hub", "someone/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "basename"),
    ],
)
def test_resolution_rules(registry: ModelRegistry, provider: str, requested: str, expected: str, rule: str) -> None:
    resolution = registry.resolve(provider, requested)
    assert resolution.model.name == expected
    assert resolution.rule == rule
    assert resolution.requested == requested


def test_unknown_model_suggests_close_names(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        registry.resolve("openai", "gpt-4o-mimi")
    assert caught.value.suggestions[0] == "gpt-4o-mini"
    assert "Did you mean: gpt-4o-mini" in str(caught.value)


def test_unknown_model_without_close_names(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        registry.resolve("openai", "zzzzzz")
    assert caught.value.suggestions == []
    assert "'zzzzzz'" in str(caught.value)


def test_unknown_provider_lists_known_ones(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError, match="Unknown provider 'acme'; known providers: anthropic, cohere"):
        registry.resolve("acme", "gpt-4o")


def test_models_are_scoped_by_provider(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError):
        registry.resolve("anthropic", "gpt-4o")


def test_ambiguous_basename_is_not_guessed() -> None:
    registry = ModelRegistry([_model("huggingface_hub", "a/Same-7B"), _model("huggingface_hub", "b/Same-7B")])
    with pytest.raises(ModelNotFoundError):
        registry.resolve("huggingface_hub", "c/Same-7B")


def test_duplicate_names_are_rejected_unless_replacing() -> None:
    registry = ModelRegistry([_model("openai", "gpt-x", "gpt-x-1")])
    with pytest.raises(ValueError, match="already used by openai/gpt-x"):
        registry.add(_model("openai", "gpt-y", "gpt-x-1"))
    bigger = ModelInfo(
        provider="openai",
        name="gpt-x",
        architecture="moe",
        total_parameters=RangeValue(10, 20),
        active_parameters=2.0,
        sources=("https://example.org",),
    )
    registry.add(bigger, replace=True)
    assert registry.resolve("openai", "gpt-x").model is bigger
    assert len(registry) == 1
