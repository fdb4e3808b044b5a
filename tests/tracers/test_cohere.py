"""Cohere tracer: v2 ClientV2 / AsyncClientV2 chat and chat_stream (SSE), v1 Client chat and chat_stream
(JSON lines), over the real cohere clients and ``httpx`` MockTransports (cohere 7.x uses httpx)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import cohere
import httpx
import pytest
from cohere import NonStreamedChatResponse, V2ChatResponse

from ecologits_like import EcoLogits
from tests.tracers.conftest import assert_matches_estimate, only, run, wire, wire_json

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK reads pydantic __fields__

MODEL = "command-a-03-2025"
V1_MODEL = "command-r-08-2024"
MESSAGES = [{"role": "user", "content": "Who is Cohere?"}]


class CohereAPI:
    """POST /v2/chat (JSON or SSE) and /v1/chat (JSON or JSON lines) as api.cohere.com answers them."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.override: Callable[[httpx.Request], httpx.Response | None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.bodies.append(body)
        if self.override is not None and (answer := self.override(request)) is not None:
            return answer
        stream = bool(body.get("stream"))
        if request.url.path == "/v2/chat":
            if stream:
                return httpx.Response(
                    200, content=wire("cohere_v2_stream.sse"), headers={"content-type": "text/event-stream"}
                )
            return httpx.Response(200, json=wire_json("cohere_v2_chat.json"))
        if request.url.path == "/v1/chat":
            if stream:
                return httpx.Response(
                    200, content=wire("cohere_v1_stream.jsonl"), headers={"content-type": "application/stream+json"}
                )
            return httpx.Response(200, json=wire_json("cohere_v1_chat.json"))
        return httpx.Response(404, json={"message": f"no route {request.url.path}"})


@pytest.fixture
def api() -> CohereAPI:
    return CohereAPI()


def v2(api: CohereAPI) -> cohere.ClientV2:
    return cohere.ClientV2(
        api_key="co-test",
        base_url="https://api.cohere.com",
        httpx_client=httpx.Client(transport=httpx.MockTransport(api)),
        max_retries=0,
    )


def async_v2(api: CohereAPI) -> cohere.AsyncClientV2:
    return cohere.AsyncClientV2(
        api_key="co-test",
        base_url="https://api.cohere.com",
        httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(api)),
        max_retries=0,
    )


def v1(api: CohereAPI) -> cohere.Client:
    return cohere.Client(
        api_key="co-test",
        base_url="https://api.cohere.com",
        httpx_client=httpx.Client(transport=httpx.MockTransport(api)),
        max_retries=0,
    )


# -- v2 ------------------------------------------------------------------------------------------------


def test_v2_chat(api: CohereAPI, records: list[Any]) -> None:
    plain = v2(api).chat(model=MODEL, messages=MESSAGES)
    EcoLogits.init(providers=["cohere"], electricity_mix_zone="CAN")
    response = v2(api).chat(model=MODEL, messages=MESSAGES)
    assert type(response) is V2ChatResponse
    assert response == plain and repr(response) == repr(plain) and response.model_dump() == plain.model_dump()
    assert "impacts" not in response.model_dump_json()
    record = only(records)
    assert (record.provider, record.model_requested, record.model_returned, record.model_resolved) == (
        "cohere",
        MODEL,
        None,
        MODEL,
    )
    assert (
        record.output_tokens == 19 and record.input_tokens == 505 and record.cached_input_tokens == 448
    )  # tokens, not billed units
    assert record.zone == "CAN"
    assert_matches_estimate(record, response.impacts)


def test_v2_chat_billed_units_when_no_token_counts(api: CohereAPI, records: list[Any]) -> None:
    body = wire_json("cohere_v2_chat.json")
    del body["usage"]["tokens"]
    api.override = lambda _: httpx.Response(200, json=body)
    EcoLogits.init(providers=["cohere"])
    response = v2(api).chat(model=MODEL, messages=MESSAGES)
    assert only(records).output_tokens == 17 and response.impacts is only(records).impacts


def test_v2_chat_async(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])

    async def go() -> Any:
        return await async_v2(api).chat(model=MODEL, messages=MESSAGES)

    response = run(go())
    assert type(response) is V2ChatResponse
    assert_matches_estimate(only(records), response.impacts)


def test_v2_chat_stream(api: CohereAPI, records: list[Any]) -> None:
    plain = [e.model_dump_json() for e in v2(api).chat_stream(model=MODEL, messages=MESSAGES)]
    EcoLogits.init(providers=["cohere"])
    stream = v2(api).chat_stream(model=MODEL, messages=MESSAGES)
    assert api.bodies == [api.bodies[0]]  # the SDK still sends the request on the first read
    events = list(stream)
    assert [e.model_dump_json() for e in events] == plain
    assert events[-1].type == "message-end" and events[-1].impacts is stream.impacts
    record = only(records)
    assert record.output_tokens == 7 and record.input_tokens == 505 and record.stream and not record.partial
    assert_matches_estimate(record, stream.impacts)


def test_v2_chat_stream_async(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])

    async def go() -> tuple[Any, list[Any]]:
        stream = async_v2(api).chat_stream(model=MODEL, messages=MESSAGES)
        return stream, [event async for event in stream]

    stream, events = run(go())
    assert events[-1].impacts is stream.impacts is only(records).impacts and only(records).output_tokens == 7


def test_v2_chat_stream_closed_early(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])
    stream = v2(api).chat_stream(model=MODEL, messages=MESSAGES)
    for event in stream:
        if event.type == "content-delta" and event.delta.message.content.text == " language":
            break
    stream.close()
    record = only(records)
    assert record.partial and record.output_tokens == 3 and stream.impacts is record.impacts

    async def go() -> None:
        astream = async_v2(api).chat_stream(model=MODEL, messages=MESSAGES)
        await astream.__anext__()
        await astream.aclose()

    run(go())
    assert records[1].partial and records[1].output_tokens == 0


# -- v1 ------------------------------------------------------------------------------------------------


def test_v1_chat(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])
    response = v1(api).chat(model=V1_MODEL, message="Who is Cohere?")
    assert type(response) is NonStreamedChatResponse
    record = only(records)
    assert record.output_tokens == 16 and record.input_tokens == 78 and record.model_resolved == V1_MODEL
    assert_matches_estimate(record, response.impacts)

    async def go() -> Any:
        client = cohere.AsyncClient(
            api_key="co-test",
            base_url="https://api.cohere.com",
            httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(api)),
        )
        return await client.chat(model=V1_MODEL, message="Who is Cohere?")

    assert run(go()).impacts is records[1].impacts


def test_v1_chat_stream(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])
    stream = v1(api).chat_stream(model=V1_MODEL, message="Who is Cohere?")
    events = list(stream)
    assert [e.event_type for e in events] == ["stream-start", *["text-generation"] * 6, "stream-end"]
    record = only(records)
    assert events[-1].impacts is stream.impacts is record.impacts and record.output_tokens == 6

    async def go() -> list[Any]:
        client = cohere.AsyncClient(
            api_key="co-test",
            base_url="https://api.cohere.com",
            httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(api)),
        )
        return [e async for e in client.chat_stream(model=V1_MODEL, message="Who is Cohere?")]

    assert run(go())[-1].impacts is records[1].impacts


def test_v1_chat_stream_closed_early_counts_text_events(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])
    stream = v1(api).chat_stream(model=V1_MODEL, message="Who is Cohere?")
    for event in stream:
        if event.event_type == "text-generation" and event.text == " a":
            break
    stream.close()
    assert only(records).partial and only(records).output_tokens == 3


# -- errors and unknown models -------------------------------------------------------------------------


def test_unknown_model_lands_in_errors(api: CohereAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["cohere"])
    response = v2(api).chat(model="command-z-99-2099", messages=MESSAGES)
    assert response.impacts.energy is None and [e.code for e in response.impacts.errors] == ["model-not-registered"]
    assert only(records).impacts is response.impacts


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [(401, cohere.UnauthorizedError), (429, cohere.TooManyRequestsError), (500, cohere.InternalServerError)],
)
def test_provider_errors_propagate(api: CohereAPI, records: list[Any], status: int, exc_type: type[Exception]) -> None:
    api.override = lambda _: httpx.Response(status, json={"message": "no"})
    EcoLogits.init(providers=["cohere"])
    with pytest.raises(exc_type):
        v2(api).chat(model=MODEL, messages=MESSAGES)
    stream = v2(api).chat_stream(model=MODEL, messages=MESSAGES)
    with pytest.raises(exc_type):
        next(stream)  # the request is sent on the first read
    with pytest.raises(exc_type):
        v1(api).chat(model=V1_MODEL, message="hi")

    async def go() -> None:
        async for _ in async_v2(api).chat_stream(model=MODEL, messages=MESSAGES):
            pass

    with pytest.raises(exc_type):
        run(go())
    assert records == []
