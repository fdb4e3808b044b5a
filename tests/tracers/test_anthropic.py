"""Anthropic tracer: messages.create (plain, stream), messages.stream helper, raw responses; sync and async."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import Message

from ecologits_like import EcoLogits
from tests.tracers.conftest import (
    FakeAPI,
    anthropic_client,
    assert_matches_estimate,
    async_anthropic_client,
    only,
    run,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "Hello, Claude"}]


def test_messages_create(api: FakeAPI, records: list[Any]) -> None:
    plain = anthropic_client(api).messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES)
    EcoLogits.init(providers=["anthropic"], electricity_mix_zone="SWE")
    message = anthropic_client(api).messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES)
    assert type(message) is Message and message._request_id == "req_test_123"
    assert message.model_dump() == plain.model_dump() and message.to_json() == plain.to_json()
    assert message == plain
    record = only(records)
    assert record.provider == "anthropic" and record.zone == "SWE"
    assert (record.model_requested, record.model_returned, record.model_resolved) == (
        MODEL,
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
    )
    assert record.output_tokens == 95 and record.reasoning_tokens == 80  # thinking is inside output_tokens
    assert record.input_tokens == 12 + 2048 and record.cached_input_tokens == 2048
    assert_matches_estimate(record, message.impacts)


def test_async_messages_create(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])

    async def go() -> Any:
        return await async_anthropic_client(api).messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES)

    message = run(go())
    assert type(message) is Message
    assert_matches_estimate(only(records), message.impacts)


def test_messages_create_stream(api: FakeAPI, records: list[Any]) -> None:
    plain = [
        e.type
        for e in anthropic_client(api).messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    ]
    EcoLogits.init(providers=["anthropic"])
    with anthropic_client(api).messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True) as stream:
        assert isinstance(stream, anthropic.Stream)
        events = list(stream)
    assert [e.type for e in events] == plain
    assert events[-1].type == "message_stop" and events[-1].impacts is stream.impacts
    record = only(records)
    assert record.output_tokens == 15  # message_delta's cumulative count
    assert record.input_tokens == 472 + 1000 + 100 and record.cached_input_tokens == 1000
    assert record.stream and not record.partial
    assert_matches_estimate(record, stream.impacts)


def test_async_messages_create_stream(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])

    async def go() -> tuple[Any, list[Any]]:
        client = async_anthropic_client(api)
        stream = await client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
        assert isinstance(stream, anthropic.AsyncStream)
        async with stream:
            return stream, [event async for event in stream]

    stream, events = run(go())
    assert events[-1].impacts is stream.impacts is only(records).impacts
    assert only(records).output_tokens == 15


def test_stream_closed_early_counts_deltas(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])
    stream = anthropic_client(api).messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    for event in stream:
        if event.type == "content_block_delta" and event.delta.text == " I'm":
            break
    stream.close()
    record = only(records)
    assert record.partial and record.output_tokens == 3 and record.input_tokens == 1572


def test_messages_stream_helper(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])
    manager = anthropic_client(api).messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert api.requests == []  # the helper sends the request on enter, as before
    with manager as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello! I'm Claude, an AI assistant."
    record = only(records)
    assert final.impacts is stream.impacts is record.impacts
    assert record.output_tokens == 15 and final.usage.output_tokens == 15
    assert_matches_estimate(record)


def test_async_messages_stream_helper(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])

    async def go() -> tuple[Any, Any]:
        async with async_anthropic_client(api).messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as s:
            async for _ in s:
                pass
            return s, await s.get_final_message()

    stream, final = run(go())
    assert final.impacts is stream.impacts is only(records).impacts


def test_messages_stream_helper_left_early_is_partial(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])
    with anthropic_client(api).messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        next(iter(stream))
    assert only(records).partial


def test_with_raw_and_streaming_response(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["anthropic"])
    client = anthropic_client(api)
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert raw.headers["request-id"] == "req_test_123"
    message = raw.parse()
    assert type(message) is Message and message.impacts is only(records).impacts
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=64, messages=MESSAGES) as resp:
        assert resp.parse().impacts is records[1].impacts

    async def go() -> Any:
        raw = await async_anthropic_client(api).messages.with_raw_response.create(
            model=MODEL, max_tokens=64, messages=MESSAGES
        )
        return await raw.parse()

    assert run(go()).impacts is records[2].impacts


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [(529, anthropic.OverloadedError), (500, anthropic.InternalServerError), (429, anthropic.RateLimitError)],
)
def test_provider_errors_propagate(api: FakeAPI, records: list[Any], status: int, exc_type: type[Exception]) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    api.override = lambda request, _: httpx2.Response(status, json=body)
    EcoLogits.init(providers=["anthropic"])
    client = anthropic_client(api)
    with pytest.raises(exc_type) as info:
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert type(info.value) is exc_type and info.value.status_code == status
    with pytest.raises(exc_type), client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES):
        pass
    assert records == []
