"""Private and new models at run time: ``EcoLogits.register_model``, models files, the environment variable."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecologits_like import EcoLogits, _sinks
from ecologits_like._custom_models import registered_models, sync_environment_models, use_models_file
from ecologits_like.estimate import estimate
from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.records import RequestRecord
from ecologits_like.registry import DataFileError, get_registry
from ecologits_like.registry.user_models import ENV_VAR, ModelReplacedWarning
from tests.tracers.conftest import FakeAPI, openai_client, wire_json


@pytest.fixture(autouse=True)
def _clean_user_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    yield
    EcoLogits.uninstrument()
    for model in registered_models():
        EcoLogits.unregister_model(model.provider, model.name)
    monkeypatch.delenv(ENV_VAR, raising=False)
    sync_environment_models()


def _write(tmp_path: Path, *models: dict[str, Any], name: str = "models.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"models": list(models)}), encoding="utf-8")
    return path


def _energy(provider: str, model: str, tokens: int = 400) -> Any:
    # The reference methodology (fixed batch size): sizes alone order the figures, ranges stay apart.
    impacts = estimate(provider, model, tokens, methodology="ecologits")
    assert not impacts.errors, impacts.errors
    assert impacts.energy is not None
    return impacts.energy.value


# -- register_model --------------------------------------------------------------------------------


def test_a_registered_model_is_estimated_like_a_shipped_one_of_the_same_size() -> None:
    shipped = get_registry().models.resolve("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct").model
    assert estimate("huggingface_hub", "acme/private-8b", 400).errors[0].code == "model-not-registered"
    info = EcoLogits.register_model("huggingface_hub", "acme/private-8b", total_parameters=shipped.total_parameters)
    assert info.architecture == "dense" and info.active_parameters == shipped.total_parameters
    assert _energy("huggingface_hub", "acme/private-8b") == _energy("huggingface_hub", shipped.name)
    assert _energy("huggingface_hub", "acme/private-8b:some-route") == _energy("huggingface_hub", shipped.name)


def test_aliases_and_snapshot_names_resolve_and_the_plan_cache_is_refreshed() -> None:
    assert estimate("openai", "acme-7b-2025-01-01", 100).errors  # caches a failed plan
    EcoLogits.register_model("openai", "acme-7b", total_parameters=7, aliases=["acme"])
    assert _energy("openai", "acme-7b-2025-01-01") == _energy("openai", "acme") == _energy("openai", "acme-7b")


def test_a_moe_range_model_gets_a_range_and_the_undisclosed_warning() -> None:
    info = EcoLogits.register_model("mistralai", "acme-moe", total_parameters=(100, 140), active_parameters=(10, 20))
    assert info.architecture == "moe"
    assert info.warnings == ("model-arch-not-released",)
    impacts = estimate("mistralai", "acme-moe", 400)
    assert isinstance(impacts.energy.value, RangeValue)  # type: ignore[union-attr]
    assert [w.code for w in impacts.warnings] == ["model-arch-not-released"]
    explicit = EcoLogits.register_model("mistralai", "acme-exact", total_parameters=RangeValue(7, 7), warnings=[])
    assert explicit.total_parameters == 7.0 and explicit.warnings == ()


def test_registering_again_replaces_with_a_warning_and_unregistering_restores_the_shipped_entry() -> None:
    shipped = _energy("openai", "gpt-4o-mini")
    EcoLogits.register_model("openai", "acme-7b", total_parameters=7)
    with pytest.warns(ModelReplacedWarning, match="registered earlier as openai/acme-7b"):
        EcoLogits.register_model("openai", "acme-7b", total_parameters=70)
    assert [m.total_parameters for m in registered_models()] == [70.0]
    with pytest.warns(ModelReplacedWarning, match="openai/gpt-4o-mini entry of the reference data"):
        EcoLogits.register_model("openai", "gpt-4o-mini", total_parameters=1)
    assert _energy("openai", "gpt-4o-mini") < shipped
    assert _energy("openai", "gpt-4o-mini-2024-07-18") < shipped  # the shipped aliases went with it
    assert EcoLogits.unregister_model("openai", "gpt-4o-mini") is True
    assert EcoLogits.unregister_model("openai", "gpt-4o-mini") is False
    assert _energy("openai", "gpt-4o-mini") == shipped


def test_a_first_registration_emits_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EcoLogits.register_model("cohere", "acme-command", total_parameters=35)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"total_parameters": -1}, ValueError, r"total_parameters must be a finite number > 0 .*got -1"),
        ({"total_parameters": 0}, ValueError, r"total_parameters must be a finite number > 0"),
        ({"total_parameters": float("nan")}, ValueError, r"total_parameters must be a finite number"),
        ({"total_parameters": 7e9}, ValueError, r"looks like a raw count \(write 7 for a 7B model"),
        ({"total_parameters": "7"}, TypeError, r"total_parameters must be a number of billions .* got '7' \(str\)"),
        ({"total_parameters": True}, TypeError, r"total_parameters must be a number"),
        ({"total_parameters": (9, 8)}, ValueError, r"total_parameters has min 9 greater than max 8"),
        ({"total_parameters": (1, 2, 3)}, ValueError, r"must be a \(min, max\) pair, got \(1, 2, 3\)"),
        ({"total_parameters": 7, "active_parameters": 8}, ValueError, r"active_parameters must not exceed"),
        (
            {"total_parameters": 7, "active_parameters": 3, "architecture": "dense"},
            ValueError,
            r"must equal total_parameters for a dense model",
        ),
        ({"total_parameters": 7, "architecture": "sparse"}, ValueError, r"architecture must be 'dense', 'moe'"),
        ({"total_parameters": 7, "aliases": "acme"}, TypeError, r"aliases must be a list of strings, got 'acme'"),
        ({"total_parameters": 7, "aliases": [""]}, ValueError, r"aliases must hold non-empty strings"),
        ({"total_parameters": 7, "warnings": ["made-up"]}, ValueError, r"unknown code 'made-up'; known: "),
        ({"total_parameters": 7, "tps": 0}, ValueError, r"tps must be a finite number > 0, got 0"),
        ({"total_parameters": 7, "ttft": -1}, ValueError, r"ttft must be a finite number >= 0, got -1"),
    ],
)
def test_bad_arguments_name_the_value_and_what_is_accepted(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        EcoLogits.register_model("openai", "acme-bad", **kwargs)
    assert registered_models() == ()


def test_unknown_provider_and_bad_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"provider must be one of anthropic, cohere, .* got 'acme'"):
        EcoLogits.register_model("acme", "x", total_parameters=7)
    with pytest.raises(ValueError, match=r"name must be a non-empty string"):
        EcoLogits.register_model("openai", " ", total_parameters=7)
    with pytest.raises(TypeError, match=r"name must be a string, got 7"):
        EcoLogits.register_model("openai", 7, total_parameters=7)  # type: ignore[arg-type]


def test_a_name_taken_by_another_registered_model_is_refused() -> None:
    EcoLogits.register_model("openai", "acme-a", total_parameters=7, aliases=["acme"])
    with pytest.raises(ValueError, match=r"'acme' of openai/acme-b is already used by openai/acme-a"):
        EcoLogits.register_model("openai", "acme-b", total_parameters=8, aliases=["acme"])
    assert [m.name for m in registered_models()] == ["acme-a"]


# -- models files ------------------------------------------------------------------------------------

PRIVATE = {"provider": "anthropic", "name": "acme-claude", "architecture": "dense", "total_parameters": 30}


def test_init_models_file_adds_models_until_uninstrument(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        PRIVATE,
        {
            **PRIVATE,
            "name": "acme-claude-moe",
            "architecture": "moe",
            "total_parameters": 60,
            "active_parameters": 12,
            "aliases": ["acme-moe"],
        },
    )
    EcoLogits.init(providers=[], models_file=path)
    assert _energy("anthropic", "acme-claude") > 0
    assert _energy("anthropic", "acme-moe") > 0
    EcoLogits.uninstrument()
    assert estimate("anthropic", "acme-claude", 10).errors[0].code == "model-not-registered"


def test_init_again_without_the_file_drops_its_models(tmp_path: Path) -> None:
    EcoLogits.init(providers=[], models_file=_write(tmp_path, PRIVATE))
    EcoLogits.init(providers=[])
    assert estimate("anthropic", "acme-claude", 10).errors


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {**PRIVATE, "total_parameters": -3},
            r"models\[0\] \(anthropic/acme-claude\): field 'total_parameters' must be > 0",
        ),
        ({**PRIVATE, "provider": "acme"}, r"models\[0\] \(acme/acme-claude\): field 'provider' must be one of"),
        ({**PRIVATE, "architecture": "sparse"}, r"field 'architecture' must be one of dense, moe"),
        ({**PRIVATE, "warnings": ["nope"]}, r"field 'warnings' has unknown code 'nope'"),
    ],
)
def test_a_malformed_models_file_names_file_entry_and_field(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path, entry)
    with pytest.raises(DataFileError, match=message) as caught:
        EcoLogits.init(providers=[], models_file=path)
    assert str(path) in str(caught.value)
    assert EcoLogits.config() is None  # nothing was changed


def test_models_file_errors_for_duplicates_json_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"anthropic/acme-claude is listed twice"):
        use_models_file(_write(tmp_path, PRIVATE, PRIVATE))
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad.json: invalid JSON at line 1"):
        use_models_file(bad)
    with pytest.raises(DataFileError, match=r"missing.json: cannot be read"):
        use_models_file(tmp_path / "missing.json")
    with pytest.raises(TypeError, match=r"models_file must be a file path or None, got 3"):
        EcoLogits.init(providers=[], models_file=3)  # type: ignore[arg-type]


def test_environment_file_is_loaded_and_user_layers_take_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = _write(tmp_path, {**PRIVATE, "total_parameters": 10}, name="env.json")
    monkeypatch.setenv(ENV_VAR, str(env_file))
    EcoLogits.init(providers=[])
    from_env = _energy("anthropic", "acme-claude")
    EcoLogits.init(providers=[], models_file=_write(tmp_path, {**PRIVATE, "total_parameters": 100}))
    from_file = _energy("anthropic", "acme-claude")
    with pytest.warns(ModelReplacedWarning):
        EcoLogits.register_model("anthropic", "acme-claude", total_parameters=400)
    registered = _energy("anthropic", "acme-claude")
    assert from_env < from_file < registered
    EcoLogits.unregister_model("anthropic", "acme-claude")
    assert _energy("anthropic", "acme-claude") == from_file
    EcoLogits.uninstrument()
    assert _energy("anthropic", "acme-claude") == from_env
    monkeypatch.delenv(ENV_VAR)
    sync_environment_models()
    assert estimate("anthropic", "acme-claude", 10).errors


def test_a_malformed_environment_file_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(_write(tmp_path, {**PRIVATE, "total_parameters": "big"})))
    with pytest.raises(DataFileError, match=rf"\(from {ENV_VAR}\): models\[0\].*'total_parameters' must be a number"):
        EcoLogits.init(providers=[])


# -- traced calls --------------------------------------------------------------------------------------


def test_a_traced_call_to_a_private_model_is_estimated() -> None:
    api = FakeAPI()
    body = wire_json("chat_completion.json")
    body["model"] = "acme-private-7b-2025-01-01"  # what a private deployment returns
    api.override = lambda request, _: FakeAPI.json(body)
    captured: list[RequestRecord] = []
    sink = captured.append
    _sinks.add_sink(sink)
    try:
        EcoLogits.init(providers=["openai"])
        EcoLogits.register_model("openai", "acme-private-7b", total_parameters=7, sources=["internal model card"])
        client = openai_client(api)
        response = client.chat.completions.create(model="acme-private-7b", messages=[{"role": "user", "content": "Hi"}])
    finally:
        _sinks.remove_sink(sink)
    (record,) = captured
    assert record.model_resolved == "acme-private-7b"
    assert record.model_returned == "acme-private-7b-2025-01-01"
    assert not response.impacts.errors
    expected = estimate(
        "openai",
        "acme-private-7b",
        record.output_tokens,
        request_latency=record.latency_s,
        input_tokens=record.input_tokens or 0,
        cached_input_tokens=record.cached_input_tokens or 0,
    )
    assert response.impacts.energy == expected.energy
