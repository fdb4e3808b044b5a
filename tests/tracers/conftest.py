"""Tracer test kit: real SDK clients over in-process ``httpx2.MockTransport``s serving wire fixtures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import pytest

from ecologits_like import EcoLogits, _sinks
from ecologits_like._log import reset_log_once
from ecologits_like.estimate import estimate
from ecologits_like.records import RequestRecord
from ecologits_like.tracers._patching import detect_nesting

WIRE = Path(__file__).parent / "wire"
T = TypeVar("T")


def wire(name: str) -> bytes:
    return (WIRE / name).read_bytes()


def wire_json(name: str) -> Any:
    return json.loads(wire(name))


def run(coro: Coroutine[Any, Any, T]) -> T:
    """pytest-asyncio is not installed: run a coroutine to completion."""
    return asyncio.run(coro)


def _without_usage_chunk(sse: bytes) -> bytes:
    """What the API sends when the request did not ask for ``include_usage``."""
    kept = []
    for block in sse.decode().split("\n\n"):
        if block.startswith("data: {"):
            data = json.loads(block[len("data: ") :])
            if data.get("usage") and not data.get("choices"):
                continue
        kept.append(block)
    return "\n\n".join(kept).encode()


class FakeAPI:
    """Answers like the OpenAI / Azure / Anthropic HTTP APIs, from the files in ``wire/``.

    ``override(request, body)`` may return an ``httpx2.Response`` to answer instead.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[httpx2.Request, dict[str, Any]]] = []
        self.override: Callable[[httpx2.Request, dict[str, Any]], httpx2.Response | None] | None = None
        self.chat_file = "chat_completion.json"
        self.chat_stream_file = "chat_stream.sse"

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((request, body))
        if self.override is not None:
            answer = self.override(request, body)
            if answer is not None:
                return answer
        path = request.url.path
        stream = bool(body.get("stream"))
        if path.endswith("/chat/completions"):
            if not stream:
                return self.json(wire_json(self.chat_file))
            sse = wire(self.chat_stream_file)
            if not (body.get("stream_options") or {}).get("include_usage"):
                sse = _without_usage_chunk(sse)
            return self.sse(sse)
        if path.endswith("/responses"):
            return self.sse(wire("response_stream.sse")) if stream else self.json(wire_json("response.json"))
        if path.endswith("/v1/messages"):
            if stream:
                return self.sse(wire("anthropic_stream.sse"), request_id_header="request-id")
            return self.json(wire_json("anthropic_message.json"), request_id_header="request-id")
        return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})

    @staticmethod
    def json(data: Any, request_id_header: str = "x-request-id") -> httpx2.Response:
        return httpx2.Response(200, json=data, headers={request_id_header: "req_test_123"})

    @staticmethod
    def sse(data: bytes, request_id_header: str = "x-request-id") -> httpx2.Response:
        return httpx2.Response(
            200, content=data, headers={"content-type": "text/event-stream", request_id_header: "req_test_123"}
        )

    @property
    def last_body(self) -> dict[str, Any]:
        return self.requests[-1][1]


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def records() -> Iterator[list[RequestRecord]]:
    """Records emitted by the tracers during the test."""
    captured: list[RequestRecord] = []
    sink = captured.append
    _sinks.add_sink(sink)
    try:
        yield captured
    finally:
        _sinks.remove_sink(sink)


@pytest.fixture(autouse=True)
def _uninstrument() -> Iterator[None]:
    reset_log_once()
    yield
    EcoLogits.uninstrument()


@pytest.fixture(autouse=True)
def _nesting_is_declared(_uninstrument: None) -> Iterator[None]:
    """Every traced call marks itself as running, and one made inside a call whose target is not
    declared ``nests`` fails the test: only declared targets mark their calls outside the tests, so
    an SDK that began making its request through another traced method would count it twice."""
    detect_nesting(True)
    yield
    nested = detect_nesting(False)
    assert nested == [], f"traced calls nested in calls of targets not declared Target(nests=True): {nested}"


@pytest.fixture
def tracer_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """``caplog`` at WARNING for the library logger (read ``.records`` after the calls)."""
    caplog.set_level(logging.WARNING, logger="ecologits_like")
    return caplog


# -- clients ----------------------------------------------------------------------------------------


def openai_client(api: FakeAPI, **kwargs: Any) -> Any:
    import openai

    return openai.OpenAI(
        api_key="sk-test", http_client=httpx2.Client(transport=httpx2.MockTransport(api)), max_retries=0, **kwargs
    )


def async_openai_client(api: FakeAPI, **kwargs: Any) -> Any:
    import openai

    return openai.AsyncOpenAI(
        api_key="sk-test", http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(api)), max_retries=0, **kwargs
    )


def anthropic_client(api: FakeAPI, **kwargs: Any) -> Any:
    import anthropic

    return anthropic.Anthropic(
        api_key="sk-ant-test", http_client=httpx2.Client(transport=httpx2.MockTransport(api)), max_retries=0, **kwargs
    )


def async_anthropic_client(api: FakeAPI, **kwargs: Any) -> Any:
    import anthropic

    return anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
        max_retries=0,
        **kwargs,
    )


# -- assertions -------------------------------------------------------------------------------------


def assert_matches_estimate(record: RequestRecord, impacts: Any = None) -> None:
    """The record's impacts are exactly ``estimate()`` for the same inputs (and the response's)."""
    expected = estimate(
        record.provider,
        record.model_returned or record.model_requested,
        record.output_tokens,
        request_latency=record.latency_s,
        electricity_mix_zone=record.zone,
        input_tokens=record.input_tokens or 0,
        cached_input_tokens=record.cached_input_tokens or 0,
    )
    assert not record.impacts.errors
    assert record.impacts.energy == expected.energy
    assert record.impacts.gwp == expected.gwp
    if impacts is not None:
        assert impacts is record.impacts


def only(records: list[RequestRecord]) -> RequestRecord:
    assert len(records) == 1, records
    return records[0]
