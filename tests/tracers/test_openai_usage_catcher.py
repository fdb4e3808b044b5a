"""The usage-only chunk the OpenAI tracer asks for is read from its JSON, not parsed by the SDK.

Whatever follows the chunk carrying ``finish_reason`` (the usage chunk, ``[DONE]``, another choice, an
error event, a read error), the caller sees exactly what it sees without the tracer: the same chunks,
then the same end or the same exception. When the SDK's stream layout is not the one the catcher
knows, the tracer falls back to letting the SDK parse that chunk, with the same result.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from types import FrameType, SimpleNamespace
from typing import Any

import httpx2
import openai
import pytest

from ecologits_like import EcoLogits
from ecologits_like.records import RequestRecord
from ecologits_like.tracers import _openai_usage
from ecologits_like.tracers._core import Tally
from tests.tracers.conftest import FakeAPI, assert_matches_estimate, async_openai_client, only, openai_client, wire

MESSAGES = [{"role": "user", "content": "Hello"}]


def _blocks() -> list[bytes]:
    return [block + b"\n\n" for block in wire("chat_stream.sse").split(b"\n\n") if block.strip()]


def _is_usage_only(block: bytes) -> bool:
    if not block.startswith(b"data: {"):
        return False
    data = json.loads(block[len(b"data: ") :])
    return bool(data.get("usage")) and not data.get("choices")


def _api(blocks: list[bytes], fault: BaseException | None = None) -> FakeAPI:
    """Serves ``blocks`` (the usage-only ones only when the request asked for usage), then ``fault``."""
    api = FakeAPI()

    def chunks(include_usage: bool) -> Iterator[bytes]:
        yield from (b for b in blocks if include_usage or not _is_usage_only(b))
        if fault is not None:
            raise fault

    async def achunks(include_usage: bool) -> AsyncIterator[bytes]:
        for block in chunks(include_usage):
            yield block

    def override(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        content = achunks(include_usage) if api.is_async else chunks(include_usage)
        return httpx2.Response(200, content=content, headers={"content-type": "text/event-stream"})

    api.is_async = False  # type: ignore[attr-defined]
    api.override = override
    return api


def _read(stream: Any) -> tuple[list[str], type[BaseException] | None, list[Any]]:
    chunks: list[Any] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
    except Exception as exc:
        return [c.model_dump_json() for c in chunks], type(exc), chunks
    return [c.model_dump_json() for c in chunks], None, chunks


def _bare_then_traced(run: Callable[[], Any]) -> tuple[Any, Any]:
    EcoLogits.uninstrument()
    bare = run()
    EcoLogits.init(providers=["openai"])
    return bare, run()


def _count_sdk_parses(fn: Callable[[], Any]) -> int:
    """How many chunks the SDK turned into objects while ``fn`` ran."""
    parses = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal parses
        code = frame.f_code
        if event == "call" and code.co_name == "_process_response_data" and "/openai/" in code.co_filename:
            parses += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return parses


def test_the_usage_chunk_is_never_parsed_by_the_sdk(records: list[RequestRecord]) -> None:
    api = FakeAPI()
    EcoLogits.init(providers=["openai"])
    client = openai_client(api)
    seen: list[Any] = []

    def consume() -> None:
        seen.extend(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    parses = _count_sdk_parses(consume)
    assert api.last_body["stream_options"] == {"include_usage": True}
    assert parses == len(seen) == 9, (
        "openai's Stream no longer reads its SSE events through `_decoder.iter_bytes`: the tracer's usage "
        "catcher (tracers/_openai_usage.py) fell back to letting the SDK parse the hidden usage chunk"
    )
    record = only(records)
    assert (record.output_tokens, record.input_tokens, record.cached_input_tokens, record.reasoning_tokens) == (
        8,
        19,
        0,
        0,
    )
    assert seen[-1].impacts is record.impacts and not record.partial
    assert_matches_estimate(record)


def test_async_usage_chunk_is_never_parsed_by_the_sdk(records: list[RequestRecord]) -> None:
    api = FakeAPI()
    EcoLogits.init(providers=["openai"])

    async def go() -> list[Any]:
        stream = await async_openai_client(api).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        return [chunk async for chunk in stream]

    seen: list[Any] = []
    assert _count_sdk_parses(lambda: seen.extend(asyncio.run(go()))) == len(seen) == 9
    record = only(records)
    assert record.output_tokens == 8 and record.input_tokens == 19 and seen[-1].impacts is record.impacts


def _finish_then(tail: list[bytes]) -> list[bytes]:
    """The fixture's chunks up to the one carrying ``finish_reason``, then ``tail``."""
    blocks = _blocks()
    finish = next(i for i, b in enumerate(blocks) if b'"finish_reason": "stop"' in b)
    return blocks[: finish + 1] + tail


def _chunk(choices: list[dict[str, Any]]) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini-2024-07-18"}
    return f"data: {json.dumps(body | {'choices': choices})}\n\n".encode()


DONE = b"data: [DONE]\n\n"
TAILS = {
    # the server ignored include_usage
    "done": [DONE],
    # n=2: another choice goes on after the first one finished, then the usage chunk
    "another-choice": [
        _chunk([{"index": 1, "delta": {"content": "Hi"}, "finish_reason": None}]),
        _chunk([{"index": 1, "delta": {}, "finish_reason": "stop"}]),
        *[b for b in _blocks() if _is_usage_only(b)],
        DONE,
    ],
    "error-event": [b'data: {"error": {"message": "overloaded"}}\n\n'],
    # a usage chunk the catcher does not recognise: the SDK parses it and on_chunk hides it
    "odd-usage": [b'data: {"id": "c", "choices": [], "usage": {"completion_tokens": "8"}}\n\n', DONE],
}


@pytest.mark.parametrize("tail", list(TAILS), ids=list(TAILS))
def test_what_follows_the_finish_chunk_reaches_the_caller_unchanged(tail: str, records: list[RequestRecord]) -> None:
    api = _api(_finish_then(TAILS[tail]))

    def run() -> tuple[list[str], type[BaseException] | None, list[Any]]:
        return _read(openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    bare, traced = _bare_then_traced(run)
    assert traced[:2] == bare[:2]  # the same chunks, then the same end or the same exception type
    record = only(records)
    assert record.partial is (traced[1] is not None)
    if tail == "another-choice":
        assert record.output_tokens == 8 and traced[2][-1].impacts is record.impacts  # from the usage chunk
    elif tail != "error-event":
        assert traced[2][-1].impacts is record.impacts


def _read_until_raised(stream: Any) -> tuple[list[str], type[BaseException] | None]:
    chunks: list[str] = []
    try:
        for chunk in stream:
            chunks.append(chunk.model_dump_json())
    except BaseException as exc:
        return chunks, type(exc)
    return chunks, None


def test_an_interrupt_while_looking_past_the_finish_chunk_is_raised_at_once(records: list[RequestRecord]) -> None:
    # Held for a later read, a Ctrl-C would be lost by a caller that stops after the finish chunk.
    api = _api(_finish_then([]), KeyboardInterrupt())

    def run() -> tuple[list[str], type[BaseException] | None]:
        return _read_until_raised(
            openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        )

    bare, traced = _bare_then_traced(run)
    assert bare[1] is KeyboardInterrupt and traced[1] is KeyboardInterrupt
    assert traced[0] == bare[0][:-1]  # the finish chunk was held back when the interrupt came
    record = only(records)
    assert record.partial and record.output_tokens == 7


def test_a_cancelled_task_stays_cancelled_when_it_stops_reading_after_the_finish_chunk(
    records: list[RequestRecord],
) -> None:
    api = _api(_finish_then([]), asyncio.CancelledError())
    api.is_async = True  # type: ignore[attr-defined]

    async def consume() -> list[str]:
        stream = await async_openai_client(api).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        seen: list[str] = []
        async for chunk in stream:
            seen.append(chunk.model_dump_json())
            if chunk.choices and chunk.choices[0].finish_reason:
                break  # the caller has all it wants
        return seen

    async def main() -> str:
        task = asyncio.ensure_future(consume())
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "finished"

    EcoLogits.init(providers=["openai"])
    assert asyncio.run(main()) == "cancelled"  # the cancellation met during the look-ahead is not swallowed
    assert only(records).partial


def test_a_read_error_right_after_the_finish_chunk_is_raised_as_without_the_tracer(
    records: list[RequestRecord],
) -> None:
    api = _api(_finish_then([]), httpx2.ReadError("connection reset by peer"))

    def run() -> tuple[list[str], type[BaseException] | None]:
        return _read_until_raised(
            openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        )

    bare, traced = _bare_then_traced(run)
    assert traced == bare and bare[1] is not None
    record = only(records)
    assert record.partial and record.output_tokens == 7  # the content deltas received


def test_async_error_event_after_the_finish_chunk(records: list[RequestRecord]) -> None:
    api = _api(_finish_then(TAILS["error-event"]))
    api.is_async = True  # type: ignore[attr-defined]

    def run() -> tuple[list[str], type[BaseException] | None]:
        async def go() -> tuple[list[str], type[BaseException] | None]:
            stream = await async_openai_client(api).chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
            chunks: list[str] = []
            try:
                async for chunk in stream:
                    chunks.append(chunk.model_dump_json())
            except Exception as exc:
                return chunks, type(exc)
            return chunks, None

        return asyncio.run(go())

    bare, traced = _bare_then_traced(run)
    assert traced == bare and bare[1] is openai.APIError
    assert only(records).partial


@pytest.mark.parametrize("layout", ["no-decoder", "decoder-never-called"])
def test_another_sdk_layout_falls_back_to_the_parsed_chunk(
    layout: str, monkeypatch: pytest.MonkeyPatch, records: list[RequestRecord]
) -> None:
    """As when a future ``openai`` has no ``_decoder`` (``install`` finds none) or stops calling it."""
    if layout == "no-decoder":
        monkeypatch.setattr(_openai_usage, "install", lambda stream: None)
    else:  # a catcher the SDK never engages: it has no events to take from
        install = _openai_usage.install  # put in a stand-in for the stream, not in the stream itself
        monkeypatch.setattr(_openai_usage, "install", lambda stream: install(SimpleNamespace(_decoder=stream._decoder)))
    api = FakeAPI()

    def run() -> tuple[list[str], type[BaseException] | None, list[Any]]:
        return _read(openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    bare, traced = _bare_then_traced(run)
    assert traced[:2] == bare[:2]
    record = only(records)
    assert record.output_tokens == 8 and record.input_tokens == 19 and traced[2][-1].impacts is record.impacts
    assert_matches_estimate(record)


@pytest.mark.parametrize(
    "data",
    [
        "[DONE]",
        "{not json",
        '["a list"]',
        '{"choices": [{"index": 0}], "usage": {"completion_tokens": 3}}',
        '{"choices": [], "usage": null}',
        '{"choices": [], "usage": {"completion_tokens": 3.5}}',
        '{"choices": [], "usage": {"completion_tokens": 3, "prompt_tokens": "5"}}',
        '{"choices": [], "usage": {"completion_tokens": 3}, "error": {"message": "x"}}',
        '{"choices": [], "usage": {"completion_tokens": 3}} {"more": 1}',  # json.loads refuses it too
        '{"choices": [], "usage": {"completion_tokens": 3}}\n',  # json.loads would take it: the SDK does
    ],
)
def test_only_a_well_formed_usage_only_chunk_is_taken(data: str) -> None:
    tally = Tally()
    assert _openai_usage.usage_from_event(tally, SimpleNamespace(event=None, data=data)) is False
    assert (tally.output_tokens, tally.input_tokens, tally.model) == (None, None, None)


@pytest.mark.parametrize(
    "event",
    [
        SimpleNamespace(event="error", data='{"choices": [], "usage": {"completion_tokens": 3}}'),
        SimpleNamespace(event=None, data=b'{"choices": [], "usage": {"completion_tokens": 3}}'),
        SimpleNamespace(data='{"choices": [], "usage": {"completion_tokens": 3}}'),  # no ``event`` at all
    ],
)
def test_only_a_plain_data_event_is_taken(event: Any) -> None:
    assert _openai_usage.usage_from_event(Tally(), event) is False


def test_a_usage_only_chunk_is_read_like_the_parsed_one() -> None:
    data = json.dumps(
        {
            "id": "c",
            "choices": [],
            "model": "gpt-4o-mini-2024-07-18",
            "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 8,
                "prompt_tokens_details": {"cached_tokens": 4},
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
        }
    )
    tally = Tally()
    assert _openai_usage.usage_from_event(tally, SimpleNamespace(event=None, data=data)) is True
    assert (tally.output_tokens, tally.input_tokens, tally.cached_input_tokens, tally.reasoning_tokens) == (8, 19, 4, 2)
    assert tally.model == "gpt-4o-mini-2024-07-18"


# -- asking for usage ------------------------------------------------------------------------------------


def _count_calls_named(fn: Callable[[], Any], name: str) -> int:
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_name == name and "/openai/" in frame.f_code.co_filename:
            calls += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def test_asking_for_usage_adds_no_work_to_the_sdk_s_request_building() -> None:
    """``stream_options`` goes in ``extra_body``: the SDK's typed transform of the request is the bare one."""
    api = FakeAPI()
    client = openai_client(api)

    def request() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True).close()

    bare = _count_calls_named(request, "_transform_recursive")
    EcoLogits.init(providers=["openai"])
    traced = _count_calls_named(request, "_transform_recursive")
    assert api.last_body["stream_options"] == {"include_usage": True}
    assert traced == bare > 0


def test_the_caller_s_extra_body_is_kept_and_not_modified(records: list[RequestRecord]) -> None:
    api = FakeAPI()
    extra = {"metadata": {"run": "42"}}
    EcoLogits.init(providers=["openai"])
    chunks = list(
        openai_client(api).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_body=extra
        )
    )
    assert extra == {"metadata": {"run": "42"}}
    assert api.last_body["metadata"] == {"run": "42"} and api.last_body["stream_options"] == {"include_usage": True}
    assert len(chunks) == 9 and only(records).output_tokens == 8


def test_stream_options_in_the_caller_s_extra_body_are_the_caller_s_choice(records: list[RequestRecord]) -> None:
    api = FakeAPI()

    def run() -> tuple[list[str], type[BaseException] | None, list[Any]]:
        return _read(
            openai_client(api).chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                extra_body={"stream_options": {"include_usage": True}},
            )
        )

    bare, traced = _bare_then_traced(run)
    assert traced[:2] == bare[:2] and traced[2][-1].choices == []  # the caller asked for the usage chunk: shown
    record = only(records)
    assert record.output_tokens == 8 and traced[2][-1].impacts is record.impacts


def test_next_and_for_loops_can_be_mixed_on_one_stream(records: list[RequestRecord]) -> None:
    api = FakeAPI()

    def run() -> tuple[list[str], type[BaseException] | None, list[Any]]:
        stream = openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        chunks = [next(stream)]
        for chunk in stream:
            chunks.append(chunk)
            if len(chunks) == 8:  # the next one carries finish_reason: read it with next()
                break
        chunks.append(next(stream))
        chunks.extend(stream)
        with pytest.raises(StopIteration):
            next(stream)
        return [c.model_dump_json() for c in chunks], None, chunks

    bare, traced = _bare_then_traced(run)
    assert traced[0] == bare[0] and len(traced[0]) == 9
    record = only(records)
    assert traced[2][-1].impacts is record.impacts and record.output_tokens == 8 and not record.partial
