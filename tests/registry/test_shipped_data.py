"""The shipped reference data: complete, cited and consistent with the methodology."""

from __future__ import annotations

import collections
import csv
import json
import math
import re

import pytest

from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.registry import get_registry
from ecologits_like.registry._files import data_file
from tests.conftest import methodology_hardware

PROVIDERS = {"openai", "anthropic", "mistralai", "huggingface_hub", "cohere"}


def test_models_cover_every_provider_with_at_least_300_cited_entries() -> None:
    models = list(get_registry().models)
    assert len(models) >= 300
    counts = collections.Counter(m.provider for m in models)
    assert set(counts) == PROVIDERS
    assert all(m.sources and all(s.startswith("http") for s in m.sources) for m in models)


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("openai", "gpt-4o"),
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4.1"),
        ("openai", "o3"),
        ("openai", "gpt-5"),
        ("anthropic", "claude-sonnet-4-20250514"),
        ("anthropic", "claude-3-5-haiku-latest"),
        ("mistralai", "mistral-large-latest"),
        ("mistralai", "codestral-latest"),
        ("mistralai", "ministral-8b-latest"),
        ("mistralai", "open-mixtral-8x22b"),
        ("cohere", "command-a-03-2025"),
        ("cohere", "command-r-plus"),
        ("huggingface_hub", "meta-llama/Llama-3.3-70B-Instruct"),
        ("huggingface_hub", "meta-llama/Llama-4-Maverick-17B-128E-Instruct"),
        ("huggingface_hub", "Qwen/Qwen2.5-72B-Instruct"),
        ("huggingface_hub", "Qwen/Qwen3-235B-A22B"),
        ("huggingface_hub", "google/gemma-3-27b-it"),
        ("huggingface_hub", "deepseek-ai/DeepSeek-V3"),
        ("huggingface_hub", "deepseek-ai/DeepSeek-R1"),
    ],
)
def test_current_families_resolve(provider: str, name: str) -> None:
    assert get_registry().models.resolve(provider, name).model.provider == provider


def test_undisclosed_architectures_are_ranges_with_a_warning() -> None:
    for model in get_registry().models:
        if "model-arch-not-released" in model.warnings:
            assert isinstance(model.total_parameters, RangeValue) or isinstance(model.active_parameters, RangeValue)
        if model.architecture == "moe":
            assert (
                model.active_parameters if isinstance(model.active_parameters, float) else model.active_parameters.max
            ) <= (model.total_parameters if isinstance(model.total_parameters, float) else model.total_parameters.max)


def test_electricity_mixes_have_the_world_and_100_countries_with_sources() -> None:
    with data_file("electricity_mixes.csv").open("r", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    zones = {row["zone"] for row in rows}
    assert "WOR" in zones and len(zones - {"WOR"}) >= 100
    assert all(re.fullmatch(r"[A-Z]{3}", z) for z in zones)
    assert all(row["source"].strip() for row in rows)
    for row in rows:
        for column in ("gwp", "adpe", "pe", "wue"):
            value = float(row[column])
            assert math.isfinite(value) and value >= 0, (row["zone"], column)


def test_providers_have_zone_pue_wue_and_sources() -> None:
    registry = get_registry()
    assert set(registry.providers) == PROVIDERS
    for profile in registry.providers.values():
        registry.mixes.get(profile.datacenter_zone)
        pue_min = profile.pue.min if isinstance(profile.pue, RangeValue) else profile.pue
        assert pue_min >= 1.0
        assert profile.sources


def test_default_hardware_is_the_methodology_server() -> None:
    default = get_registry().hardware.get(None)
    reference = methodology_hardware()
    for field in reference.__dataclass_fields__:
        if field != "name":
            assert getattr(default, field) == getattr(reference, field), field
    raw = json.loads(data_file("hardware.json").read_text(encoding="utf-8"))
    for profile in raw["profiles"].values():
        assert profile["gpu"]["sources"] and profile["server"]["sources"]
