"""EcoLogits.init / uninstrument: validation, idempotence, exact restoration, threads and tasks."""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from anthropic.resources.messages.messages import AsyncMessages, Messages
from openai.resources.chat.completions.completions import AsyncCompletions, Completions
from openai.resources.responses.responses import Responses

from ecologits_like import EcoLogits, estimate
from ecologits_like.tracers import PROVIDERS
from tests.tracers.conftest import FakeAPI, async_openai_client, only, openai_client, run

MESSAGES = [{"role": "user", "content": "Hello"}]
PATCHED = [
    (Completions, "create"),
    (AsyncCompletions, "create"),
    (Completions, "parse"),
    (Responses, "create"),
    (Messages, "create"),
    (Messages, "stream"),
    (AsyncMessages, "stream"),
]


def test_init_patches_and_uninstrument_restores_the_original_functions(api: FakeAPI, records: list[Any]) -> None:
    originals = {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
    EcoLogits.init()  # None: every supported provider whose SDK is installed
    assert set(EcoLogits.instrumented_providers()) == {"openai", "anthropic", "mistralai", "huggingface_hub", "cohere"}
    for cls, name in PATCHED:
        assert cls.__dict__[name] is not originals[(cls, name)]
        assert cls.__dict__[name].__wrapped__ is originals[(cls, name)]
        assert inspect.signature(cls.__dict__[name]) == inspect.signature(originals[(cls, name)])
        assert inspect.iscoroutinefunction(cls.__dict__[name]) == inspect.iscoroutinefunction(originals[(cls, name)])
    client = openai_client(api)
    raw_wrapper = client.chat.completions.with_raw_response  # cached by the SDK while traced
    EcoLogits.uninstrument()
    for cls, name in PATCHED:
        assert cls.__dict__[name] is originals[(cls, name)]
    from openai.lib.streaming.chat import ChatCompletionStream

    assert "impacts" not in ChatCompletionStream.__dict__
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert not hasattr(response, "impacts")
    assert not hasattr(raw_wrapper.create(model="gpt-4o-mini", messages=MESSAGES).parse(), "impacts")
    assert records == []
    EcoLogits.uninstrument()  # twice is fine


def test_init_twice_never_wraps_twice_and_updates_the_config(api: FakeAPI, records: list[Any]) -> None:
    original = Completions.__dict__["create"]
    EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")
    first = Completions.__dict__["create"]
    EcoLogits.init(providers=["openai"], electricity_mix_zone="DEU", datacenter_pue=1.5)
    assert Completions.__dict__["create"] is first
    assert first.__wrapped__ is original
    openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    record = only(records)
    assert record.zone == "DEU"
    config = EcoLogits.config()
    assert config is not None and config.datacenter_pue == 1.5


def test_init_rejects_bad_arguments_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        ValueError, match=r"Unknown provider 'gemini'.*anthropic, cohere, huggingface_hub, mistralai, openai"
    ):
        EcoLogits.init(providers=["gemini"])
    with pytest.raises(ValueError, match=r"zone 'FRANC'.*Did you mean"):
        EcoLogits.init(electricity_mix_zone="FRANC")
    with pytest.raises(ValueError, match="datacenter_pue"):
        EcoLogits.init(datacenter_pue=0.5)
    with pytest.raises(TypeError, match="accepted: datacenter_pue"):
        EcoLogits.init(pue=1.2)
    with pytest.raises(ValueError, match="hardware must be one of"):
        EcoLogits.init(hardware="abacus")
    with pytest.raises(TypeError, match="providers must be"):
        EcoLogits.init(providers=[42])  # type: ignore[list-item]
    monkeypatch.setitem(PROVIDERS, "fakeprov", ("ecologits_like.tracers.openai", "no_such_sdk_for_tests"))
    with pytest.raises(ImportError, match=r"not installed.*supported providers"):
        EcoLogits.init(providers="fakeprov")
    assert EcoLogits.instrumented_providers() == () and EcoLogits.config() is None


def test_threads_and_tasks_see_the_same_instrumentation(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")
    client = openai_client(api)

    def call(_: int) -> Any:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).impacts

    with ThreadPoolExecutor(max_workers=8) as pool:
        impacts = list(pool.map(call, range(16)))
    assert all(i.energy is not None for i in impacts)

    async def many() -> list[Any]:
        aclient = async_openai_client(api)
        responses = await asyncio.gather(
            *(aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES) for _ in range(8))
        )
        return [r.impacts for r in responses]

    assert all(i.energy is not None for i in run(many()))
    assert len(records) == 24 and {r.zone for r in records} == {"FRA"}


def test_init_methodology_reaches_traced_calls(api: FakeAPI, records: list[Any]) -> None:
    api.chat_file = "chat_completion_reasoning.json"  # 1,843 prompt tokens, 1,536 of them cached
    EcoLogits.init(providers=["openai"], methodology="ecologits")
    reference = openai_client(api).chat.completions.create(model="o3-mini", messages=MESSAGES).impacts
    EcoLogits.init(providers=["openai"])
    default = openai_client(api).chat.completions.create(model="o3-mini", messages=MESSAGES).impacts
    first, second = records
    assert (first.input_tokens, first.cached_input_tokens) == (second.input_tokens, second.cached_input_tokens)
    assert first.input_tokens == 1843 and first.cached_input_tokens == 1536
    expected = {
        methodology: estimate(
            "openai",
            first.model_returned or "o3-mini",
            first.output_tokens,
            request_latency=record.latency_s,
            input_tokens=1843,
            cached_input_tokens=1536,
            methodology=methodology,
        )
        for methodology, record in (("ecologits", first), ("ecologits-like", second))
    }
    assert reference.energy == expected["ecologits"].energy
    assert default.energy == expected["ecologits-like"].energy
    assert not reference.energy.value.has_central and default.energy.value.has_central
    assert EcoLogits.config().methodology == "ecologits-like"  # type: ignore[union-attr]


def test_init_rejects_an_unknown_methodology() -> None:
    with pytest.raises(ValueError, match="methodology must be one of 'ecologits-like', 'ecologits', got 'reference'"):
        EcoLogits.init(providers=["openai"], methodology="reference")
    assert EcoLogits.config() is None
