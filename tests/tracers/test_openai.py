"""OpenAI tracer: every call style, sync and async, over the real SDK and in-process HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pydantic
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from openai.types.responses import Response

from ecologits_like import EcoLogits
from tests.tracers.conftest import (
    FakeAPI,
    assert_matches_estimate,
    async_openai_client,
    only,
    openai_client,
    run,
    wire_json,
)

MESSAGES = [{"role": "user", "content": "Hello"}]


def _dumps(chunks: list[Any]) -> list[str]:
    return [c.model_dump_json() for c in chunks]


# -- chat.completions.create ---------------------------------------------------------------------------


def test_chat_create_returns_the_sdk_object_with_impacts(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")
    response = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert type(response) is ChatCompletion
    assert response._request_id == "req_test_123"
    record = only(records)
    assert response.impacts is record.impacts
    assert record.provider == "openai"
    assert (record.model_requested, record.model_returned, record.model_resolved) == (
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-mini",
    )
    usage = wire_json("chat_completion.json")["usage"]
    assert record.output_tokens == usage["completion_tokens"]
    assert record.input_tokens == usage["prompt_tokens"]
    assert record.zone == "FRA" and not record.stream and not record.partial
    assert record.timestamp.tzinfo is not None and record.latency_s is not None and record.latency_s > 0
    assert_matches_estimate(record, response.impacts)


def test_reasoning_tokens_are_not_counted_twice(api: FakeAPI, records: list[Any]) -> None:
    api.chat_file = "chat_completion_reasoning.json"
    EcoLogits.init(providers="openai")
    response = openai_client(api).chat.completions.create(model="o3-mini", messages=MESSAGES)
    usage = wire_json("chat_completion_reasoning.json")["usage"]
    record = only(records)
    assert record.output_tokens == usage["completion_tokens"] == 1350  # already includes the 1216 reasoning
    assert record.reasoning_tokens == 1216
    assert record.input_tokens == 1843 and record.cached_input_tokens == 1536
    assert_matches_estimate(record, response.impacts)


def test_async_chat_create(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> Any:
        return await async_openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    response = run(go())
    assert type(response) is ChatCompletion and response._request_id == "req_test_123"
    assert_matches_estimate(only(records), response.impacts)


# -- what callers see is unchanged ---------------------------------------------------------------------


def test_attached_impacts_change_nothing_the_caller_sees(api: FakeAPI) -> None:
    import copy
    import pickle

    plain = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    EcoLogits.init(providers=["openai"])
    traced = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert traced.impacts.energy is not None
    assert not hasattr(plain, "impacts")
    assert traced.model_dump() == plain.model_dump()
    assert traced.model_dump(mode="json") == plain.model_dump(mode="json")
    assert traced.model_dump_json() == plain.model_dump_json()
    assert traced.to_json() == plain.to_json() and traced.to_dict() == plain.to_dict()
    assert traced == plain and repr(traced) == repr(plain)
    assert traced.__pydantic_extra__ == plain.__pydantic_extra__ == {}
    assert traced.model_fields_set == plain.model_fields_set
    assert "impacts" not in json.loads(traced.model_dump_json())
    restored = pickle.loads(pickle.dumps(traced))
    assert restored == plain and restored.model_dump() == plain.model_dump()
    assert restored._request_id == traced._request_id
    assert copy.deepcopy(traced).model_dump() == plain.model_dump()


def test_a_plain_setattr_would_have_leaked_into_model_dump(api: FakeAPI) -> None:
    """Why attach() writes __dict__ directly: the SDK models allow extra fields."""
    response = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    response.impacts = "leak"  # type: ignore[attr-defined]
    assert "impacts" in response.model_dump()


# -- chat streams ---------------------------------------------------------------------------------------


def _plain_chunks(api: FakeAPI, **kwargs: Any) -> list[ChatCompletionChunk]:
    with openai_client(api).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, **kwargs
    ) as stream:
        return list(stream)


def test_chat_stream_asks_for_usage_and_hides_the_extra_chunk(api: FakeAPI, records: list[Any]) -> None:
    expected = _plain_chunks(api)
    assert api.last_body.get("stream_options") is None
    EcoLogits.init(providers=["openai"])

    stream = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200
    seen = []
    final_had_impacts = False
    for chunk in stream:
        seen.append(chunk)
        final_had_impacts = getattr(chunk, "impacts", None) is not None
    assert api.last_body["stream_options"] == {"include_usage": True}
    assert _dumps(seen) == _dumps(expected)  # exactly the chunks the caller would have seen
    assert final_had_impacts and seen[-1].choices[0].finish_reason == "stop"
    record = only(records)
    assert stream.impacts is record.impacts is seen[-1].impacts
    assert record.stream and not record.partial
    assert record.output_tokens == 8 and record.input_tokens == 19  # from the usage chunk
    assert_matches_estimate(record)


def test_chat_stream_keeps_user_stream_options_and_shows_usage_chunk(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    client = openai_client(api)
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ) as stream:
        chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert chunks[-1].impacts is stream.impacts is only(records).impacts
    assert only(records).output_tokens == 8


def test_chat_stream_without_usage_counts_deltas(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    stream = openai_client(api).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": False}
    )
    chunks = list(stream)
    assert api.last_body["stream_options"] == {"include_usage": False}
    assert all(c.usage is None for c in chunks)
    record = only(records)
    assert record.output_tokens == 7  # content-delta chunks: the documented fallback
    assert record.input_tokens is None
    assert chunks[-1].impacts is stream.impacts
    assert_matches_estimate(record)


def test_async_chat_stream(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> tuple[Any, list[Any]]:
        client = async_openai_client(api)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        assert isinstance(stream, openai.AsyncStream)
        async with stream:
            chunks = [chunk async for chunk in stream]
        return stream, chunks

    stream, chunks = run(go())
    assert len(chunks) == 9 and chunks[-1].impacts is stream.impacts
    record = only(records)
    assert record.output_tokens == 8 and not record.partial
    assert_matches_estimate(record, stream.impacts)


def test_stream_closed_early_is_partial(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    stream = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    first, second = next(stream), next(stream)
    assert first.choices[0].delta.role == "assistant" and second.choices[0].delta.content == "Hello"
    stream.close()
    stream.close()  # idempotent: finalised once
    record = only(records)
    assert record.partial and record.output_tokens == 1
    assert stream.impacts is record.impacts


def test_stream_left_by_with_block_is_partial(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    with openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        for chunk in stream:
            if chunk.choices[0].delta.content == "!":
                break
    record = only(records)
    assert record.partial and record.output_tokens == 2


def test_async_stream_closed_early_is_partial(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> None:
        stream = await async_openai_client(api).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        await stream.__anext__()
        await stream.close()

    run(go())
    assert only(records).partial


def test_error_mid_stream_propagates_and_records_partial(api: FakeAPI, records: list[Any]) -> None:
    chunk = wire_json("chat_completion.json") | {"object": "chat.completion.chunk"}
    chunk["choices"] = [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]
    del chunk["usage"]
    body = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps({'error': {'message': 'overloaded'}})}\n\n"
    api.override = lambda request, _: FakeAPI.sse(body.encode())
    EcoLogits.init(providers=["openai"])
    stream = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert next(stream).choices[0].delta.content == "Hi"
    with pytest.raises(openai.APIError, match="overloaded"):
        next(stream)
    record = only(records)
    assert record.partial and record.output_tokens == 1


# -- helpers: chat.completions.stream / parse ----------------------------------------------------------


class City(pydantic.BaseModel):
    city: str
    population_millions: float


def test_chat_stream_helper(api: FakeAPI, records: list[Any]) -> None:
    with openai_client(api).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as plain:
        expected = [event.type for event in plain]
    EcoLogits.init(providers=["openai"])
    with openai_client(api).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()
    assert events == expected
    record = only(records)
    assert stream.impacts is final.impacts is record.impacts
    assert record.output_tokens == 8
    assert final.usage is None  # the caller did not ask for usage: they still do not get it


def test_async_chat_stream_helper(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> tuple[Any, Any]:
        async with async_openai_client(api).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as s:
            async for _ in s:
                pass
            return s, await s.get_final_completion()

    stream, final = run(go())
    assert stream.impacts is final.impacts is only(records).impacts


def test_chat_parse(api: FakeAPI, records: list[Any]) -> None:
    api.chat_file = "chat_completion_parse.json"
    EcoLogits.init(providers=["openai"])
    completion = openai_client(api).chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=City)
    assert isinstance(completion, ParsedChatCompletion)
    assert completion.choices[0].message.parsed == City(city="Paris", population_millions=2.1)
    record = only(records)
    assert record.output_tokens == 14 and completion.impacts is record.impacts
    assert_matches_estimate(record)

    async def go() -> Any:
        return await async_openai_client(api).chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=City
        )

    assert run(go()).impacts.energy is not None and len(records) == 2


# -- Responses API -------------------------------------------------------------------------------------


def test_responses_create(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    response = openai_client(api).responses.create(model="gpt-4.1", input="Tell me a story")
    assert type(response) is Response and response._request_id == "req_test_123"
    record = only(records)
    assert (record.output_tokens, record.input_tokens, record.reasoning_tokens) == (87, 36, 0)
    assert record.model_returned == "gpt-4.1-2025-04-14"
    assert_matches_estimate(record, response.impacts)

    async def go() -> Any:
        return await async_openai_client(api).responses.create(model="gpt-4.1", input="Tell me a story")

    assert run(go()).impacts.energy is not None and len(records) == 2


def test_responses_stream(api: FakeAPI, records: list[Any]) -> None:
    plain = [e.type for e in openai_client(api).responses.create(model="o4-mini", input="Hi", stream=True)]
    EcoLogits.init(providers=["openai"])
    stream = openai_client(api).responses.create(model="o4-mini", input="Hi", stream=True)
    events = list(stream)
    assert [e.type for e in events] == plain
    assert events[-1].type == "response.completed" and events[-1].impacts is stream.impacts
    record = only(records)
    assert (record.output_tokens, record.reasoning_tokens, record.input_tokens, record.cached_input_tokens) == (
        402,
        384,
        2107,
        1920,
    )
    assert record.model_returned == "o4-mini-2025-04-16" and record.stream
    assert_matches_estimate(record, stream.impacts)


def test_async_responses_stream(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> Any:
        stream = await async_openai_client(api).responses.create(model="o4-mini", input="Hi", stream=True)
        async for _ in stream:
            pass
        return stream

    stream = run(go())
    assert stream.impacts is only(records).impacts and only(records).output_tokens == 402


def test_responses_stream_helper(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    with openai_client(api).responses.stream(model="o4-mini", input="Hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Hi! How can I help today?"
    assert final.impacts is stream.impacts is only(records).impacts

    async def go() -> Any:
        async with async_openai_client(api).responses.stream(model="o4-mini", input="Hi") as s:
            return await s.get_final_response()

    assert run(go()).impacts is records[1].impacts


# -- raw and streaming-response wrappers ---------------------------------------------------------------


def test_with_raw_response(api: FakeAPI, records: list[Any]) -> None:
    from openai._legacy_response import LegacyAPIResponse

    EcoLogits.init(providers=["openai"])
    raw = openai_client(api).chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(raw) is LegacyAPIResponse and raw.headers["x-request-id"] == "req_test_123"
    completion = raw.parse()
    assert type(completion) is ChatCompletion and completion is raw.parse()
    assert completion.impacts is only(records).impacts
    assert raw.parse(to=dict)["model"] == "gpt-4o-mini-2024-07-18"  # other parse targets untouched
    assert len(records) == 1


def test_with_raw_response_stream(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    raw = openai_client(api).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    stream = raw.parse()
    assert isinstance(stream, openai.Stream) and raw.parse() is stream
    chunks = list(stream)
    assert len(chunks) == 9 and chunks[-1].impacts is only(records).impacts


def test_with_streaming_response(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    client = openai_client(api)
    with client.chat.completions.with_streaming_response.create(model="gpt-4o-mini", messages=MESSAGES) as resp:
        assert resp.headers["x-request-id"] == "req_test_123"
        completion = resp.parse()
    assert completion.impacts is only(records).impacts

    async def go() -> Any:
        aclient = async_openai_client(api)
        async with aclient.responses.with_streaming_response.create(model="gpt-4.1", input="Hi") as aresp:
            return await aresp.parse()

    assert run(go()).impacts is records[1].impacts
    raw = run(async_openai_client(api).chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES))
    assert raw.parse().impacts is records[2].impacts


# -- Azure -----------------------------------------------------------------------------------------------


def _azure(api: FakeAPI) -> Any:
    return openai.AzureOpenAI(
        api_key="azure-key",
        api_version="2024-10-21",
        azure_endpoint="https://contoso.openai.azure.com",
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
        max_retries=0,
    )


def test_azure_deployment_name_estimated_as_returned_model(api: FakeAPI, records: list[Any]) -> None:
    api.chat_file = "azure_chat_completion.json"
    EcoLogits.init(providers=["openai"])
    response = _azure(api).chat.completions.create(model="my-gpt4o-prod", messages=MESSAGES)
    request = api.requests[-1][0]
    assert request.url.path == "/openai/deployments/my-gpt4o-prod/chat/completions"
    record = only(records)
    assert (record.model_requested, record.model_returned, record.model_resolved) == (
        "my-gpt4o-prod",
        "gpt-4o-2024-11-20",
        "gpt-4o",
    )
    assert record.output_tokens == 11
    assert_matches_estimate(record, response.impacts)


def test_azure_stream_is_not_modified_and_counts(api: FakeAPI, records: list[Any]) -> None:
    api.chat_stream_file = "azure_chat_stream.sse"
    EcoLogits.init(providers=["openai"])
    chunks = list(_azure(api).chat.completions.create(model="my-gpt4o-prod", messages=MESSAGES, stream=True))
    assert "stream_options" not in api.last_body
    assert len(chunks) == 8 and chunks[0].choices == []  # the content-filter chunk is still there
    record = only(records)
    assert record.model_returned == "gpt-4o-2024-11-20" and record.output_tokens == 5
    assert chunks[-1].impacts is record.impacts


def test_a_compatible_endpoint_stream_is_not_modified_even_after_the_official_one(
    api: FakeAPI, records: list[Any]
) -> None:
    """Whether a client talks to api.openai.com is remembered by its base URL object, never by mistake."""
    EcoLogits.init(providers=["openai"])
    official = openai_client(api)
    compatible = openai_client(api, base_url="https://llm.example.com/v1")
    for client, asks in ((official, True), (compatible, False), (official, True), (compatible, False)):
        list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
        assert ("stream_options" in api.last_body) is asks, client.base_url
    official.base_url = "https://gateway.example.com/v1"  # a new URL object: decided again
    list(official.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert "stream_options" not in api.last_body
    assert [r.output_tokens for r in records] == [8, 7, 8, 7, 7]  # the usage chunk, else the counted deltas


def test_the_base_url_the_tracer_reads_is_the_clients() -> None:
    """The tracer reads ``_base_url`` (the ``base_url`` property imports a module on every read): they
    must be the same object in the installed SDK, sync and async."""
    import openai

    for client in (openai.OpenAI(api_key="sk-test"), openai.AsyncOpenAI(api_key="sk-test")):
        assert client._base_url is client.base_url
        client.base_url = "https://gateway.example.com/v1"
        assert client._base_url is client.base_url and client.base_url.host == "gateway.example.com"


# -- failures ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "exc_type"), [(500, openai.InternalServerError), (429, openai.RateLimitError)])
def test_provider_errors_propagate_unchanged(
    api: FakeAPI, records: list[Any], tracer_logs: pytest.LogCaptureFixture, status: int, exc_type: type[Exception]
) -> None:
    body = {"error": {"message": "boom", "type": "server_error", "code": None}}
    api.override = lambda request, _: httpx2.Response(status, json=body)
    EcoLogits.init(providers=["openai"])
    with pytest.raises(exc_type) as info:
        openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(info.value) is exc_type and info.value.status_code == status
    with pytest.raises(exc_type):
        openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)

    async def go() -> None:
        await async_openai_client(api).responses.create(model="gpt-4.1", input="x")

    with pytest.raises(exc_type):
        run(go())
    assert records == [] and tracer_logs.records == []


def test_provider_exception_is_the_same_object(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from openai.resources.chat.completions.completions import Completions

    raised: list[BaseException] = []
    sdk_create = Completions.create

    def recording_create(self: Any, **kwargs: Any) -> Any:
        try:
            return sdk_create(self, **kwargs)
        except BaseException as exc:
            raised.append(exc)
            raise

    failure = httpx2.ConnectError("no route to host")

    def refuse(request: Any, _: Any) -> Any:
        raise failure

    api.override = refuse
    monkeypatch.setattr(Completions, "create", recording_create)
    EcoLogits.init(providers=["openai"])
    try:
        with pytest.raises(openai.APIConnectionError) as info:
            openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert info.value is raised[0] and info.value.__cause__ is failure
    finally:
        EcoLogits.uninstrument()


def test_unknown_model_returns_response_with_errors_and_logs_once(
    api: FakeAPI, records: list[Any], tracer_logs: pytest.LogCaptureFixture
) -> None:
    payload = wire_json("chat_completion.json") | {"model": "acme-llm-9000"}
    api.override = lambda request, _: FakeAPI.json(payload)
    EcoLogits.init(providers=["openai"])
    client = openai_client(api)
    first = client.chat.completions.create(model="acme-llm-9000", messages=MESSAGES)
    second = client.chat.completions.create(model="acme-llm-9000", messages=MESSAGES)
    for response in (first, second):
        assert response.choices[0].message.content == "Hello! How can I assist you today?"
        assert response.impacts.energy is None
        assert [e.code for e in response.impacts.errors] == ["model-not-registered"]
    assert first.impacts is not second.impacts
    assert len(tracer_logs.records) == 1 and "acme-llm-9000" in tracer_logs.records[0].getMessage()
    assert [r.model_resolved for r in records] == [None, None]


def test_a_bug_in_extraction_never_reaches_the_caller(
    api: FakeAPI, records: list[Any], tracer_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai.types import CompletionUsage

    import ecologits_like.tracers.openai as tracer

    def broken(tally: Any, usage: Any) -> None:
        raise KeyError("surprise")

    def broken_field(usage: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(tracer, "_chat_usage", broken)  # stream chunks
    monkeypatch.setattr(CompletionUsage, "prompt_tokens_details", property(broken_field), raising=False)  # extract_chat
    EcoLogits.init(providers=["openai"])
    client = openai_client(api)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert response.choices[0].message.content and response.impacts.errors[0].code == "tracer-error"
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert len(chunks) >= 9  # the stream is still delivered whole
    logs = tracer_logs.records
    assert len({r.getMessage() for r in logs}) == len(logs) >= 1
