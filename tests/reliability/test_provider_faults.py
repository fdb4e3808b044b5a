"""Provider faults: the SDK's own behaviour (exceptions, retries) is unchanged, and records tell the truth.

Retries are the SDK's own (``max_retries=2``; the fake API answers ``retry-after-ms: 1`` so the SDK's
backoff is a millisecond). A request that failed produces no record; a stream cut short produces
one ``partial=True`` record with the tokens the caller actually received.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import os
import re
import subprocess
import sys
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from huggingface_hub import InferenceClient

from ecologits_like import EcoLogits
from ecologits_like.records import RequestRecord
from ecologits_like.session import Session
from tests.reliability.kit import HF_MODEL, Apis
from tests.tracers.conftest import (
    FakeAPI,
    anthropic_client,
    async_openai_client,
    openai_client,
    wire,
)
from tests.tracers.test_cohere import v2
from tests.tracers.test_mistralai import client as mistral_client

MESSAGES = [{"role": "user", "content": "Hello"}]
REPO = Path(__file__).resolve().parents[2]


def _error(status: int) -> httpx2.Response:
    body = {"error": {"message": f"status {status}", "type": "server_error"}, "type": "error"}
    return httpx2.Response(status, json=body, headers={"retry-after-ms": "1"})


def _failing(times: int, status: int) -> Callable[[httpx2.Request, dict[str, Any]], httpx2.Response | None]:
    left = [times]

    def override(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response | None:
        if left[0] > 0:
            left[0] -= 1
            return _error(status)
        return None

    return override


def _sse_blocks(name: str) -> list[bytes]:
    return [block + b"\n\n" for block in wire(name).split(b"\n\n") if block.strip()]


def _cut_after(blocks: list[bytes], keep: int, fault: BaseException | bytes) -> Iterator[bytes]:
    yield from blocks[:keep]
    if isinstance(fault, bytes):
        yield fault
        yield from blocks[keep:]
    else:
        raise fault


def _content_deltas(chunks: list[Any]) -> int:
    return sum(1 for c in chunks if c.choices and c.choices[0].delta.content)


def _both(run: Callable[[], Any]) -> tuple[Any, Any]:
    """``run()`` uninstrumented, then instrumented (openai and anthropic)."""
    bare = run()
    EcoLogits.init(providers=["openai", "anthropic"])
    return bare, run()


# -- retries, HTTP errors, timeouts ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_sdk_retries_then_succeeds_one_complete_record(
    provider: str, status: int, records: list[RequestRecord]
) -> None:
    def run() -> tuple[str, int]:
        api = FakeAPI()
        api.override = _failing(2, status)
        if provider == "openai":
            response: Any = (
                openai_client(api)
                .with_options(max_retries=2)
                .chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            )
        else:
            response = (
                anthropic_client(api)
                .with_options(max_retries=2)
                .messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES)
            )
        return repr(response), len(api.requests)

    bare, traced = _both(run)
    assert traced == bare and traced[1] == 3  # the SDK retried twice, as it does without the tracer
    assert len(records) == 1 and not records[0].partial and not records[0].impacts.errors


@pytest.mark.parametrize("status", [429, 500])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_sdk_gives_up_same_exception_and_no_record(provider: str, status: int, records: list[RequestRecord]) -> None:
    def run() -> tuple[type[BaseException], str, int, int]:
        api = FakeAPI()
        api.override = _failing(99, status)
        try:
            if provider == "openai":
                openai_client(api).with_options(max_retries=2).chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES
                )
            else:
                anthropic_client(api).with_options(max_retries=2).messages.create(
                    model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES
                )
        except (openai.APIStatusError, anthropic.APIStatusError) as exc:
            return type(exc), str(exc), exc.status_code, len(api.requests)
        raise AssertionError("the SDK did not raise")

    bare, traced = _both(run)
    assert traced == bare and traced[2] == status and traced[3] == 3
    assert records == []  # no record claims a request that failed


def test_the_exception_object_is_the_sdk_s_own(records: list[RequestRecord]) -> None:
    raised: list[BaseException] = []
    api = FakeAPI()
    api.override = _failing(99, 500)
    client = openai_client(api)
    original = type(client)._make_status_error_from_response

    def spy(self: Any, response: Any) -> Any:
        error = original(self, response)
        raised.append(error)
        return error

    EcoLogits.init(providers=["openai"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(client), "_make_status_error_from_response", spy)
        with pytest.raises(openai.InternalServerError) as info:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value is raised[-1]  # identity: the tracer re-raises the very object, not a copy
    assert records == []


@pytest.mark.parametrize("stream", [False, True])
def test_timeout_raises_the_sdk_s_timeout_error(stream: bool, records: list[RequestRecord]) -> None:
    def run() -> tuple[type[BaseException], str]:
        api = FakeAPI()

        def timeout(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
            raise httpx2.ReadTimeout("read timed out", request=request)

        api.override = timeout
        with pytest.raises(openai.APITimeoutError) as info:
            openai_client(api).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=stream)
        return type(info.value), str(info.value)

    bare, traced = _both(run)
    assert traced == bare and records == []


# -- streams cut short -------------------------------------------------------------------------------------


def _chat_stream_api(fault: BaseException | bytes, keep: int = 4) -> FakeAPI:
    api = FakeAPI()

    def override(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        blocks = _sse_blocks("chat_stream.sse")
        return httpx2.Response(
            200, content=_cut_after(blocks, keep, fault), headers={"content-type": "text/event-stream"}
        )

    api.override = override
    return api


def _read_until_error(stream: Any) -> tuple[list[Any], BaseException | None]:
    chunks: list[Any] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
    except BaseException as exc:
        return chunks, exc
    return chunks, None


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            httpx2.RemoteProtocolError("peer closed connection without sending complete message body"), id="dropped"
        ),
        pytest.param(b'data: {"id": "chatcmpl-broken", "choices": [\n\n', id="malformed-sse"),
    ],
)
def test_stream_cut_short_is_partial_with_the_tokens_received(
    fault: BaseException | bytes, records: list[RequestRecord]
) -> None:
    def run() -> tuple[list[str], type[BaseException] | None, Any]:
        stream = openai_client(_chat_stream_api(fault)).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        chunks, error = _read_until_error(stream)
        return [repr(c) for c in chunks], type(error) if error else None, chunks

    bare, traced = _both(run)
    assert traced[:2] == bare[:2] and traced[1] is not None  # same chunks, then the same exception type
    record = records[0]
    assert len(records) == 1 and record.partial and record.stream
    assert record.output_tokens == _content_deltas(traced[2]) > 0


def test_async_stream_dropped_mid_way_is_partial(records: list[RequestRecord]) -> None:
    def run() -> tuple[list[str], type[BaseException] | None, list[Any]]:
        async def body() -> AsyncIterator[bytes]:
            for block in _sse_blocks("chat_stream.sse")[:5]:
                yield block
            raise httpx2.ReadError("connection reset by peer")

        api = FakeAPI()
        api.override = lambda request, _: httpx2.Response(
            200, content=body(), headers={"content-type": "text/event-stream"}
        )

        async def go() -> tuple[list[Any], BaseException | None]:
            stream = await async_openai_client(api).chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
            chunks: list[Any] = []
            try:
                async for chunk in stream:
                    chunks.append(chunk)
            except Exception as exc:
                return chunks, exc
            return chunks, None

        chunks, error = asyncio.run(go())
        return [repr(c) for c in chunks], type(error) if error else None, chunks

    bare, traced = _both(run)
    assert traced[:2] == bare[:2] and traced[1] is not None
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(traced[2])


def test_keyboard_interrupt_while_reading_propagates_unchanged(records: list[RequestRecord]) -> None:
    interrupt = KeyboardInterrupt()
    EcoLogits.init(providers=["openai"])
    stream = openai_client(_chat_stream_api(interrupt)).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    chunks, error = _read_until_error(stream)
    assert error is interrupt  # the very object, not wrapped
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(chunks)


def test_keyboard_interrupt_in_the_caller_s_loop_closes_the_stream_partial(records: list[RequestRecord]) -> None:
    EcoLogits.init(providers=["anthropic"])
    seen = 0
    with pytest.raises(KeyboardInterrupt):
        client = anthropic_client(FakeAPI())
        with client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES, stream=True) as s:
            for event in s:
                seen += event.type == "content_block_delta"
                if seen == 2:
                    raise KeyboardInterrupt
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == 2


def test_task_cancelled_mid_stream_is_partial_and_cancellation_propagates(records: list[RequestRecord]) -> None:
    blocks = _sse_blocks("chat_stream.sse")

    async def go() -> tuple[list[Any], bool]:
        stalled = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            for block in blocks[:4]:
                yield block
            stalled.set()
            await asyncio.Event().wait()  # the server stops sending
            yield b""

        api = FakeAPI()
        api.override = lambda request, _: httpx2.Response(
            200, content=body(), headers={"content-type": "text/event-stream"}
        )
        chunks: list[Any] = []

        async def consume() -> None:
            stream = await async_openai_client(api).chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
            async for chunk in stream:
                chunks.append(chunk)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(stalled.wait(), timeout=5)
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return chunks, True
        return chunks, False

    EcoLogits.init(providers=["openai"])
    chunks, cancelled = asyncio.run(go())
    assert cancelled
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(chunks)


# -- streams abandoned -------------------------------------------------------------------------------------


@pytest.fixture
def collected() -> None:
    """Streams left behind by earlier tests are collected first, so that they do not count here."""
    gc.collect()


@pytest.mark.usefixtures("collected")
def test_abandoned_stream_is_recorded_once_as_partial_without_resurrection(records: list[RequestRecord]) -> None:
    EcoLogits.init(providers=["openai"])
    stream = openai_client(FakeAPI()).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    iterator = iter(stream)
    chunks = [next(iterator), next(iterator), next(iterator)]
    assert records == []
    alive = weakref.ref(iterator)
    del stream, iterator
    gc.collect()
    assert alive() is None  # finalising did not resurrect the stream's state
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(chunks) > 0
    assert chunks[-1].impacts is records[0].impacts  # the last chunk handed over carries them
    gc.collect()
    assert len(records) == 1


@pytest.mark.usefixtures("collected")
def test_abandoned_stream_in_a_reference_cycle_is_recorded_once(records: list[RequestRecord]) -> None:
    EcoLogits.init(providers=["anthropic"])
    stream = anthropic_client(FakeAPI()).messages.create(
        model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES, stream=True
    )
    next(iter(stream))
    holder: dict[str, Any] = {"stream": stream}
    holder["self"] = holder  # only the cycle collector can free it
    del stream, holder
    gc.collect()
    assert len(records) == 1 and records[0].partial


def _drop_elsewhere(box: list[Any]) -> Session:
    """Empty ``box`` and collect in a context where only a session named "bystander" is open (the
    collector runs wherever it happens to); that session."""

    def drop() -> Session:
        with EcoLogits.session("bystander") as bystander:
            box.clear()
            gc.collect()
        return bystander

    return contextvars.Context().run(drop)


@pytest.mark.usefixtures("collected")
def test_abandoned_stream_counts_in_the_session_it_was_created_in(records: list[RequestRecord]) -> None:
    EcoLogits.init(providers=["openai"])
    with EcoLogits.session("creator") as creator:
        box = [openai_client(FakeAPI()).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)]
        next(iter(box[0]))
        bystander = _drop_elsewhere(box)
    assert len(records) == 1 and records[0].partial
    assert len(creator) == 1 and len(bystander) == 0


@pytest.mark.usefixtures("collected")
def test_iterator_closed_by_the_caller_is_recorded_once_as_partial(records: list[RequestRecord]) -> None:
    """Closing what ``iter(stream)`` returned ends the stream as leaving it would: one partial record, now."""
    EcoLogits.init(providers=["openai"])
    stream = openai_client(FakeAPI()).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    iterator = iter(stream)
    chunks = [next(iterator), next(iterator)]
    iterator.close()
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(chunks) > 0
    assert chunks[-1].impacts is records[0].impacts is stream.impacts
    assert next(iterator, None) is None  # a closed generator, as the bare stream's would be
    del stream, iterator
    gc.collect()
    assert len(records) == 1


@pytest.mark.usefixtures("collected")
def test_abandoned_async_stream_is_recorded_once_as_partial_where_it_was_created(
    records: list[RequestRecord],
) -> None:
    EcoLogits.init(providers=["openai"])

    async def go() -> tuple[list[Any], Session, Session]:
        with EcoLogits.session("creator") as creator:
            box = [
                await async_openai_client(FakeAPI()).chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True
                )
            ]
            chunks = [await box[0].__anext__(), await box[0].__anext__()]
            assert records == []
            bystander = _drop_elsewhere(box)
        return chunks, creator, bystander

    chunks, creator, bystander = asyncio.run(go())
    assert len(records) == 1 and records[0].partial and records[0].output_tokens == _content_deltas(chunks) > 0
    assert chunks[-1].impacts is records[0].impacts
    assert len(creator) == 1 and len(bystander) == 0
    gc.collect()
    assert len(records) == 1


@pytest.mark.usefixtures("collected")
def test_stream_never_read_and_dropped_is_not_recorded(records: list[RequestRecord]) -> None:
    EcoLogits.init(providers=["openai"])
    stream = openai_client(FakeAPI()).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    del stream
    gc.collect()
    assert records == []  # nothing was received: whether the request ran at all is unknown


_EXIT_SCRIPT = """
import sys, httpx2, openai
from ecologits_like import EcoLogits
sse = open("tests/tracers/wire/chat_stream.sse", "rb").read()
transport = httpx2.MockTransport(lambda request: httpx2.Response(
    200, content=sse, headers={"content-type": "text/event-stream"}))
client = openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport), max_retries=0)
if len(sys.argv) > 1:
    EcoLogits.init(providers=["openai"], record_to=sys.argv[1])
STREAM = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True)
next(iter(STREAM))
print("ok")
"""


def test_stream_abandoned_at_interpreter_exit_adds_no_noise(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-c", _EXIT_SCRIPT, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)

    def normalised(stderr: str) -> str:
        return re.sub(r"0x[0-9a-f]+", "0x", stderr)

    bare, traced = run(), run(str(tmp_path / "r.jsonl"))
    assert traced.returncode == bare.returncode == 0 and traced.stdout.strip() == "ok", traced.stderr
    # The SDK's own generators may complain at shutdown; the tracer adds nothing to that.
    assert "ecologits_like" not in traced.stderr and normalised(traced.stderr) == normalised(bare.stderr)
    written = tmp_path / "r.jsonl"
    lines = written.read_text().splitlines() if written.exists() else []
    assert all(json.loads(line)["partial"] for line in lines)  # anything written is honest


# -- the other providers: a stream whose connection drops after a few events ------------------------------


def _dropping(name: str, keep: int, error: BaseException, module: Any) -> Any:
    blocks = _sse_blocks(name)
    return module.Response(200, content=_cut_after(blocks, keep, error), headers={"content-type": "text/event-stream"})


def _read_all(stream: Any) -> tuple[list[str], type[BaseException] | None]:
    chunks, error = _read_until_error(stream)
    return [repr(c) for c in chunks], type(error) if error is not None else None


@pytest.mark.parametrize("provider", ["mistralai", "huggingface_hub", "cohere"])
def test_other_providers_stream_dropped_mid_way(provider: str, apis: Apis, records: list[RequestRecord]) -> None:
    import httpx

    def run() -> tuple[list[str], type[BaseException] | None]:
        if provider == "mistralai":
            apis.mistral.override = lambda request: _dropping(
                "mistral_stream.sse", 4, httpx2.RemoteProtocolError("peer closed connection"), httpx2
            )
            return _read_all(mistral_client(apis.mistral).chat.stream(model="mistral-small-latest", messages=MESSAGES))
        if provider == "huggingface_hub":
            apis.hub.override = lambda request: _dropping(
                "hf_chat_stream.sse", 4, httpx2.RemoteProtocolError("peer closed connection"), httpx2
            )
            client = InferenceClient(token="hf_test")
            return _read_all(client.chat_completion(MESSAGES, model=HF_MODEL, stream=True))
        apis.cohere.override = lambda request: _dropping(
            "cohere_v2_stream.sse", 5, httpx.RemoteProtocolError("peer closed connection"), httpx
        )
        return _read_all(v2(apis.cohere).chat_stream(model="command-a-03-2025", messages=MESSAGES))

    bare = run()
    EcoLogits.init(providers=[provider])
    traced = run()
    assert traced == bare and traced[1] is not None and traced[0]  # same chunks, then the same exception
    assert len(records) == 1 and records[0].partial and records[0].stream
    assert 0 < records[0].output_tokens <= len(traced[0])
