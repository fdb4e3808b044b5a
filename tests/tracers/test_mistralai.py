"""Mistral tracer: chat.complete / stream / parse, sync and async, over the real mistralai client and httpx2."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx2
import pydantic
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import SDKError
from mistralai.client.models import ChatCompletionResponse
from mistralai.client.utils.eventstreaming import EventStream, EventStreamAsync

from ecologits_like import EcoLogits
from ecologits_like.tracers import _patching
from ecologits_like.tracers.mistralai import LAYOUTS, SPEC, locate
from tests.tracers.conftest import assert_matches_estimate, only, run, wire, wire_json

MESSAGES = [{"role": "user", "content": "Bonjour"}]
MODEL = "mistral-small-latest"


class MistralAPI:
    """Answers POST /v1/chat/completions like api.mistral.ai (JSON, or SSE when ``stream`` is true)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.override: Callable[[httpx2.Request], httpx2.Response | None] | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}")
        self.bodies.append(body)
        if self.override is not None and (answer := self.override(request)) is not None:
            return answer
        if request.url.path != "/v1/chat/completions":
            return httpx2.Response(404, json={"detail": "Not Found"})
        if body.get("stream"):
            return httpx2.Response(
                200, content=wire("mistral_stream.sse"), headers={"content-type": "text/event-stream"}
            )
        return httpx2.Response(200, json=wire_json("mistral_chat.json"))


@pytest.fixture
def api() -> MistralAPI:
    return MistralAPI()


def client(api: MistralAPI) -> Mistral:
    transport = httpx2.MockTransport(api)
    return Mistral(
        api_key="test-key",
        server_url="https://api.mistral.ai",
        client=httpx2.Client(transport=transport),
        async_client=httpx2.AsyncClient(transport=transport),
        retry_config=None,
    )


def test_complete(api: MistralAPI, records: list[Any]) -> None:
    plain = client(api).chat.complete(model=MODEL, messages=MESSAGES)
    EcoLogits.init(providers=["mistralai"], electricity_mix_zone="FRA")
    response = client(api).chat.complete(model=MODEL, messages=MESSAGES)
    assert type(response) is ChatCompletionResponse
    assert response == plain and repr(response) == repr(plain)
    assert response.model_dump() == plain.model_dump() and "impacts" not in response.model_dump_json()
    record = only(records)
    assert (record.provider, record.model_requested, record.model_returned, record.model_resolved) == (
        "mistralai",
        MODEL,
        MODEL,
        "mistral-small-2603",
    )
    assert record.output_tokens == 34 and record.input_tokens == 16 and record.zone == "FRA"
    assert not record.stream and not record.partial
    assert_matches_estimate(record, response.impacts)


def test_complete_async(api: MistralAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["mistralai"])

    async def go() -> Any:
        return await client(api).chat.complete_async(model=MODEL, messages=MESSAGES)

    response = run(go())
    assert type(response) is ChatCompletionResponse
    assert only(records).output_tokens == 34
    assert_matches_estimate(only(records), response.impacts)


def test_stream(api: MistralAPI, records: list[Any]) -> None:
    plain = [e.model_dump_json() for e in client(api).chat.stream(model=MODEL, messages=MESSAGES)]
    EcoLogits.init(providers=["mistralai"])
    with client(api).chat.stream(model=MODEL, messages=MESSAGES) as stream:
        assert isinstance(stream, EventStream)
        assert stream.response.status_code == 200  # the SDK stream's own attributes
        events = list(stream)
    assert [e.model_dump_json() for e in events] == plain
    assert events[-1].data.usage is not None and events[-1].impacts is stream.impacts
    assert not hasattr(events[0], "impacts")
    record = only(records)
    assert record.output_tokens == 9 and record.input_tokens == 16  # the usage event, not the 7 counted deltas
    assert record.model_returned == "mistral-small-2603" and record.stream and not record.partial
    assert_matches_estimate(record, stream.impacts)


def test_stream_async(api: MistralAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["mistralai"])

    async def go() -> tuple[Any, list[Any]]:
        stream = await client(api).chat.stream_async(model=MODEL, messages=MESSAGES)
        assert isinstance(stream, EventStreamAsync)
        async with stream:
            return stream, [event async for event in stream]

    stream, events = run(go())
    assert events[-1].impacts is stream.impacts is only(records).impacts
    assert only(records).output_tokens == 9


def test_stream_closed_early_is_partial_with_counted_deltas(api: MistralAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["mistralai"])
    stream = client(api).chat.stream(model=MODEL, messages=MESSAGES)
    for event in stream:
        if event.data.choices[0].delta.content == " Je":
            break
    stream.close()
    record = only(records)
    assert record.partial and record.output_tokens == 3 and stream.impacts is record.impacts
    assert list(stream) == []  # the SDK's closed-stream behaviour is kept


def test_parse_is_traced_once(api: MistralAPI, records: list[Any]) -> None:
    class Greeting(pydantic.BaseModel):
        text: str

    api.override = lambda _: httpx2.Response(
        200,
        json={
            **wire_json("mistral_chat.json"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": '{"text": "Bonjour"}'},
                    "finish_reason": "stop",
                }
            ],
        },
    )
    EcoLogits.init(providers=["mistralai"])
    parsed = client(api).chat.parse(response_format=Greeting, model=MODEL, messages=MESSAGES)
    assert parsed.choices[0].message.parsed == Greeting(text="Bonjour")
    assert parsed.impacts is only(records).impacts  # parse -> complete: one request, one record


def test_a_call_from_another_thread_while_parse_runs_is_traced_on_its_own(api: MistralAPI, records: list[Any]) -> None:
    class Greeting(pydantic.BaseModel):
        text: str

    parsed_body = {
        **wire_json("mistral_chat.json"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": '{"text": "Bonjour"}'}, "finish_reason": "stop"}
        ],
    }
    beside: list[Any] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        if not beside:  # parse's request: another thread makes its own call meanwhile
            assert _patching._marked  # parse marked its call as running
            thread = threading.Thread(
                target=lambda: beside.append(client(api).chat.complete(model=MODEL, messages=MESSAGES))
            )
            beside.append(None)
            thread.start()
            thread.join(10)
            return httpx2.Response(200, json=parsed_body)
        return httpx2.Response(200, json=wire_json("mistral_chat.json"))

    api.override = answer
    EcoLogits.init(providers=["mistralai"])
    parsed = client(api).chat.parse(response_format=Greeting, model=MODEL, messages=MESSAGES)
    other = beside[1]
    assert [r.impacts for r in records] == [other.impacts, parsed.impacts]  # two requests, two records
    assert other.impacts is not parsed.impacts and _patching._marked == []


def test_a_failing_parse_leaves_no_mark(api: MistralAPI, records: list[Any]) -> None:
    class Greeting(pydantic.BaseModel):
        text: str

    api.override = lambda _: httpx2.Response(500, json={"message": "nope", "type": "error"})
    EcoLogits.init(providers=["mistralai"])
    with pytest.raises(SDKError):
        client(api).chat.parse(response_format=Greeting, model=MODEL, messages=MESSAGES)
    assert _patching._marked == [] and records == []


def test_unknown_model_lands_in_errors(api: MistralAPI, records: list[Any]) -> None:
    api.override = lambda _: httpx2.Response(
        200, json={**wire_json("mistral_chat.json"), "model": "mistral-gigantic-9000"}
    )
    EcoLogits.init(providers=["mistralai"])
    response = client(api).chat.complete(model="mistral-gigantic-9000", messages=MESSAGES)
    assert response.impacts.energy is None
    assert [e.code for e in response.impacts.errors] == ["model-not-registered"]
    assert only(records).impacts is response.impacts


@pytest.mark.parametrize("status", [401, 429, 500])
def test_provider_errors_propagate(api: MistralAPI, records: list[Any], status: int) -> None:
    api.override = lambda _: httpx2.Response(status, json={"message": "nope", "type": "error"})
    EcoLogits.init(providers=["mistralai"])
    with pytest.raises(SDKError) as info:
        client(api).chat.complete(model=MODEL, messages=MESSAGES)
    assert type(info.value) is SDKError and info.value.status_code == status
    with pytest.raises(SDKError):
        client(api).chat.stream(model=MODEL, messages=MESSAGES)

    async def go() -> None:
        await client(api).chat.stream_async(model=MODEL, messages=MESSAGES)

    with pytest.raises(SDKError):
        run(go())
    assert records == []


def test_layout_is_located_and_an_unknown_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {t.module for t in locate()} == {"mistralai.client.chat"}
    monkeypatch.setattr("ecologits_like.tracers.mistralai.LAYOUTS", (("mistralai.no_such_module", "x"),))
    with pytest.raises(ImportError, match=r"supports mistralai 3\.x.*installed mistralai 3\.\d+\.\d+"):
        SPEC.patch_table()
    with pytest.raises(ImportError, match="supports mistralai"):
        EcoLogits.init(providers=["mistralai"])
    assert EcoLogits.instrumented_providers() == ()
    EcoLogits.init()  # no arguments: the unknown layout is skipped, the others are traced
    assert "mistralai" not in EcoLogits.instrumented_providers()
    assert "openai" in EcoLogits.instrumented_providers()
    assert LAYOUTS[0][0] == "mistralai.client.chat"


def test_magistral_thinking_tokens_are_generated_tokens(api: MistralAPI, records: list[Any]) -> None:
    # Magistral answers with a "thinking" content chunk; Mistral's usage.completion_tokens counts the
    # thinking tokens (the API reports no separate reasoning count, so the record has none).
    api.override = lambda _: httpx2.Response(200, json=wire_json("mistral_magistral_chat.json"))
    EcoLogits.init(providers=["mistralai"])
    response = client(api).chat.complete(model="magistral-medium-latest", messages=MESSAGES)
    assert response.choices[0].message.content[0].type == "thinking"  # type: ignore[index,union-attr]
    record = only(records)
    assert record.model_resolved == "magistral-medium-2509"
    assert record.output_tokens == 486 and record.input_tokens == 21 and record.reasoning_tokens is None
    assert_matches_estimate(record, response.impacts)


def test_magistral_stream_without_usage_counts_thinking_deltas(api: MistralAPI, records: list[Any]) -> None:
    api.override = lambda _: httpx2.Response(
        200, content=wire("mistral_magistral_stream_no_usage.sse"), headers={"content-type": "text/event-stream"}
    )
    EcoLogits.init(providers=["mistralai"])
    with client(api).chat.stream(model="magistral-medium-latest", messages=MESSAGES) as stream:
        events = list(stream)
    assert len(events) == 6
    record = only(records)
    assert record.output_tokens == 5  # three thinking deltas and two answer deltas, about one token each
