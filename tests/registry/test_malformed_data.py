"""A malformed data file fails at load, naming the file, the entry and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecologits_like.registry import DataFileError
from ecologits_like.registry._files import data_file
from ecologits_like.registry.electricity_mixes import load_electricity_mixes
from ecologits_like.registry.hardware import load_hardware
from ecologits_like.registry.models import load_models
from ecologits_like.registry.providers import load_providers

GOOD_MODEL: dict[str, Any] = {
    "provider": "openai",
    "name": "gpt-x",
    "architecture": "dense",
    "total_parameters": 8,
    "active_parameters": 8,
    "sources": ["https://example.org"],
}


def _write_models(tmp_path: Path, *models: dict[str, Any]) -> Path:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"schema_version": 1, "models": list(models)}))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total_parameters": -1, "active_parameters": -1}, r"field 'total_parameters' must be > 0, got -1.0"),
        ({"total_parameters": "8"}, r"field 'total_parameters' must be a number, got '8'"),
        ({"total_parameters": {"min": 9, "max": 8}}, r"has min 9.0 greater than max 8.0"),
        ({"total_parameters": {"low": 1}}, r"exactly the keys 'min' and 'max'"),
        ({"architecture": "sparse"}, r"field 'architecture' must be one of dense, moe, got 'sparse'"),
        ({"active_parameters": 4}, r"must equal total_parameters for a dense model"),
        ({"sources": []}, r"field 'sources' must list at least one item"),
        ({"warnings": ["made-up"]}, r"unknown code 'made-up'"),
        ({"name": ""}, r"field 'name' must be a non-empty string"),
    ],
)
def test_bad_model_fields_are_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = _write_models(tmp_path, {**GOOD_MODEL, **change})
    with pytest.raises(DataFileError, match=message) as caught:
        load_models(path)
    assert str(path) in str(caught.value)
    assert "models[0]" in str(caught.value)


def test_nan_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(
        '{"models": [{"provider": "openai", "name": "x", "architecture": "dense", '
        '"total_parameters": NaN, "sources": ["https://e.org"]}]}'
    )
    with pytest.raises(DataFileError, match="must be finite"):
        load_models(path)


def test_duplicate_model_names_are_rejected(tmp_path: Path) -> None:
    path = _write_models(tmp_path, GOOD_MODEL, {**GOOD_MODEL, "name": "GPT-X"})
    with pytest.raises(DataFileError, match="already used"):
        load_models(path)


def test_invalid_json_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text('{"models": [}')
    with pytest.raises(DataFileError, match="invalid JSON at line 1"):
        load_models(path)


def test_mixes_errors_name_line_zone_and_field(tmp_path: Path) -> None:
    header = "zone,name,gwp,adpe,pe,wue,source\n"
    path = tmp_path / "mixes.csv"
    path.write_text(header + "WOR,World,0.4,1e-8,9,3,src\nFRA,France,abc,1e-8,9,3,src\n")
    with pytest.raises(DataFileError, match=r"line 3 \(FRA\): field 'gwp' must be a number, got 'abc'"):
        load_electricity_mixes(path)
    path.write_text(header + "WOR,World,0.4,1e-8,9,3,src\nFRA,France,-1,1e-8,9,3,src\n")
    with pytest.raises(DataFileError, match=r"field 'gwp' must be finite and >= 0"):
        load_electricity_mixes(path)
    path.write_text(header + "WOR,World,0.4,1e-8,9,3,src\nWOR,World,0.4,1e-8,9,3,src\n")
    with pytest.raises(DataFileError, match="duplicate zone"):
        load_electricity_mixes(path)
    path.write_text(header + "FRA,France,0.1,1e-8,9,3,src\n")
    with pytest.raises(DataFileError, match="'WOR' is missing"):
        load_electricity_mixes(path)
    path.write_text("zone,gwp\nWOR,1\n")
    with pytest.raises(DataFileError, match="missing column"):
        load_electricity_mixes(path)


def test_provider_pue_below_one_is_rejected(tmp_path: Path) -> None:
    raw = json.loads(data_file("providers.json").read_text(encoding="utf-8"))
    raw["providers"]["openai"]["pue"] = 0.9
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(DataFileError, match=r"providers.openai: field 'pue' must be >= 1, got 0.9"):
        load_providers(path)


def test_hardware_missing_field_and_bad_default(tmp_path: Path) -> None:
    raw = json.loads(data_file("hardware.json").read_text(encoding="utf-8"))
    name = raw["default"]
    del raw["profiles"][name]["gpu"]["memory_gb"]
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(DataFileError, match=rf"profiles.{name}.gpu: field 'memory_gb' must be a number, got None"):
        load_hardware(path)
    raw = json.loads(data_file("hardware.json").read_text(encoding="utf-8"))
    raw["default"] = "tpu-v9"
    path.write_text(json.dumps(raw))
    with pytest.raises(DataFileError, match="field 'default' names no profile"):
        load_hardware(path)
