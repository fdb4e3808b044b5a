"""Calls that go through other traced methods are counted once, and only declared targets mark their calls.

The tracer tests all run with ``detect_nesting`` on (see ``conftest.py``): a traced call made inside
a call of a target not declared ``Target(nests=True)`` fails them. The call styles below are the ones
the other tracer tests do not make.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pydantic
import pytest

from ecologits_like import EcoLogits
from ecologits_like.tracers import _patching
from ecologits_like.tracers.mistralai import locate
from tests.tracers.conftest import (
    FakeAPI,
    anthropic_client,
    async_anthropic_client,
    async_openai_client,
    only,
    openai_client,
    run,
    wire,
    wire_json,
)
from tests.tracers.test_mistralai import MistralAPI
from tests.tracers.test_mistralai import client as mistral_client

MESSAGES = [{"role": "user", "content": "Hello"}]


class Greeting(pydantic.BaseModel):
    text: str


def _greeting_answer(api: MistralAPI) -> None:
    """Mistral answers ``{"text": "Bonjour"}`` (JSON), or streams it (SSE) when asked to."""
    message = {"role": "assistant", "content": '{"text": "Bonjour"}'}
    body = {**wire_json("mistral_chat.json"), "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

    def answer(request: httpx2.Request) -> httpx2.Response:
        if json.loads(request.content).get("stream"):
            return httpx2.Response(
                200, content=wire("mistral_stream.sse"), headers={"content-type": "text/event-stream"}
            )
        return httpx2.Response(200, json=body)

    api.override = answer


def test_openai_responses_parse_and_anthropic_messages_parse_are_traced_once(api: FakeAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["openai", "anthropic"])
    calls: list[Callable[[], Any]] = [
        lambda: openai_client(api).responses.parse(model="gpt-4.1", input="Hi"),
        lambda: run(async_openai_client(api).responses.parse(model="gpt-4.1", input="Hi")),
        lambda: anthropic_client(api).messages.parse(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES),
        lambda: run(
            async_anthropic_client(api).messages.parse(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES)
        ),
    ]
    for call in calls:
        records.clear()
        response = call()
        assert response.impacts is only(records).impacts


def test_mistral_parse_async_and_parse_streams_are_traced_once(records: list[Any]) -> None:
    api = MistralAPI()
    _greeting_answer(api)
    EcoLogits.init(providers=["mistralai"])
    client = mistral_client(api)

    async def parse_async() -> Any:
        return await client.chat.parse_async(response_format=Greeting, model="mistral-small-latest", messages=MESSAGES)

    records.clear()
    assert run(parse_async()).impacts is only(records).impacts

    records.clear()
    with client.chat.parse_stream(response_format=Greeting, model="mistral-small-latest", messages=MESSAGES) as s:
        events = list(s)
    assert events and only(records).impacts is s.impacts

    async def parse_stream_async() -> Any:
        stream = await client.chat.parse_stream_async(
            response_format=Greeting, model="mistral-small-latest", messages=MESSAGES
        )
        async with stream as s:
            return [e async for e in s], s

    records.clear()
    events, stream = run(parse_stream_async())
    assert events and only(records).impacts is stream.impacts


def test_outside_the_tests_only_declared_targets_mark_their_calls(records: list[Any]) -> None:
    """Production mode: ``parse`` (declared) marks itself and ``complete`` inside it passes through;
    ``complete`` called directly marks nothing (the context variable is left alone)."""
    nested_log = _patching.detect_nesting(False)  # the conftest turned detection on: off for this test
    try:
        assert [t.qualname for t in locate() if t.nests] == [
            "Chat.parse",
            "Chat.parse_async",
            "Chat.parse_stream",
            "Chat.parse_stream_async",
        ]
        api = MistralAPI()
        _greeting_answer(api)
        seen: list[str | None] = []
        answer = api.override
        assert answer is not None

        def watch(request: httpx2.Request) -> httpx2.Response:
            seen.append(_patching._active.get())  # what the running traced call set, inside the SDK
            return answer(request)

        api.override = watch
        EcoLogits.init(providers=["mistralai"])
        client = mistral_client(api)
        parsed = client.chat.parse(response_format=Greeting, model="mistral-small-latest", messages=MESSAGES)
        assert parsed.impacts is only(records).impacts and seen == ["mistralai"]
        records.clear()
        client.chat.complete(model="mistral-small-latest", messages=MESSAGES)
        assert len(records) == 1 and seen == ["mistralai", None]
    finally:
        assert nested_log == []
        _patching.detect_nesting(True)


@pytest.mark.parametrize("on", [True, False])
def test_detect_nesting_returns_the_list_it_fills(on: bool) -> None:
    started = _patching.detect_nesting(True)
    assert started == [] and _patching._nesting_log is started
    ended = _patching.detect_nesting(on)
    assert ended is (_patching._nesting_log if on else started)
