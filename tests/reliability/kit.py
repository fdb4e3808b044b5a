"""The reliability test kit: every provider and call style as a table row, over the tracer tests' fake APIs.

A :class:`Case` makes one request through the real SDK client and returns an :class:`Outcome`: what
the caller observed (``repr`` of the response, or of every chunk/event, plus what a raw response
exposes) and the ``impacts`` the tracer attached (``None`` when there are none). Running a case
uninstrumented gives the baseline its instrumented runs must equal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
import pytest
from huggingface_hub import AsyncInferenceClient, InferenceClient, set_async_client_factory, set_client_factory
from huggingface_hub.utils._http import default_async_client_factory, default_client_factory

from tests.tracers.conftest import (
    FakeAPI,
    anthropic_client,
    async_anthropic_client,
    async_openai_client,
    openai_client,
)
from tests.tracers.test_cohere import CohereAPI, async_v2, v2
from tests.tracers.test_huggingface_hub import HubAPI
from tests.tracers.test_mistralai import MistralAPI
from tests.tracers.test_mistralai import client as mistral_client

T = TypeVar("T")
MESSAGES = [{"role": "user", "content": "Hello"}]
HF_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
ANTHROPIC_MODEL = "claude-sonnet-4-6"


@dataclass
class Apis:
    """One fake HTTP API per provider (Hugging Face's is installed through the SDK's client factories)."""

    openai: FakeAPI
    mistral: MistralAPI
    hub: HubAPI
    cohere: CohereAPI


@pytest.fixture
def apis() -> Iterator[Apis]:
    hub = HubAPI()
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    set_async_client_factory(lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(hub)))
    try:
        yield Apis(FakeAPI(), MistralAPI(), hub, CohereAPI())
    finally:
        set_client_factory(default_client_factory)
        set_async_client_factory(default_async_client_factory)


@dataclass
class Outcome:
    observed: Any
    impacts: Any


@dataclass(frozen=True)
class Case:
    id: str
    provider: str
    run: Callable[[Apis], Outcome]
    stream: bool = False


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def impacts_of(obj: Any) -> Any:
    return getattr(obj, "impacts", None)


def _plain(response: Any) -> Outcome:
    return Outcome(repr(response), impacts_of(response))


def _stream(stream: Any) -> Outcome:
    return Outcome([repr(chunk) for chunk in stream], stream.impacts if hasattr(stream, "impacts") else None)


async def _astream(stream: Any) -> Outcome:
    return Outcome([repr(chunk) async for chunk in stream], stream.impacts if hasattr(stream, "impacts") else None)


# -- openai ---------------------------------------------------------------------------------------------


def _openai_chat(a: Apis) -> Outcome:
    return _plain(openai_client(a.openai).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))


def _openai_chat_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = async_openai_client(a.openai)
        return _plain(await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))

    return run(go())


def _openai_chat_stream(a: Apis) -> Outcome:
    return _stream(openai_client(a.openai).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))


def _openai_chat_stream_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = async_openai_client(a.openai)
        return await _astream(await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    return run(go())


def _openai_chat_helper(a: Apis) -> Outcome:
    with openai_client(a.openai).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        events = [repr(event) for event in stream]
        final = stream.get_final_completion()
    return Outcome((events, repr(final)), impacts_of(final))


def _openai_chat_raw(a: Apis) -> Outcome:
    raw = openai_client(a.openai).chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    parsed = raw.parse()
    return Outcome((raw.headers["x-request-id"], raw.status_code, repr(parsed)), impacts_of(parsed))


def _openai_chat_streaming_response(a: Apis) -> Outcome:
    client = openai_client(a.openai)
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    ) as response:
        outcome = _stream(response.parse())
    return outcome


def _openai_responses(a: Apis) -> Outcome:
    return _plain(openai_client(a.openai).responses.create(model="gpt-4.1", input="Hi"))


def _openai_responses_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        return _plain(await async_openai_client(a.openai).responses.create(model="gpt-4.1", input="Hi"))

    return run(go())


def _openai_responses_stream(a: Apis) -> Outcome:
    return _stream(openai_client(a.openai).responses.create(model="o4-mini", input="Hi", stream=True))


def _openai_responses_helper(a: Apis) -> Outcome:
    with openai_client(a.openai).responses.stream(model="o4-mini", input="Hi") as stream:
        events = [repr(event) for event in stream]
        final = stream.get_final_response()
    return Outcome((events, repr(final)), impacts_of(final))


def _openai_responses_helper_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        async with async_openai_client(a.openai).responses.stream(model="o4-mini", input="Hi") as stream:
            events = [repr(event) async for event in stream]
            final = await stream.get_final_response()
        return Outcome((events, repr(final)), impacts_of(final))

    return run(go())


# -- anthropic ------------------------------------------------------------------------------------------


def _anthropic(a: Apis) -> Outcome:
    client = anthropic_client(a.openai)
    return _plain(client.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES))


def _anthropic_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = async_anthropic_client(a.openai)
        return _plain(await client.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES))

    return run(go())


def _anthropic_stream(a: Apis) -> Outcome:
    client = anthropic_client(a.openai)
    return _stream(client.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES, stream=True))


def _anthropic_stream_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = async_anthropic_client(a.openai)
        stream = await client.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES, stream=True)
        return await _astream(stream)

    return run(go())


def _anthropic_helper(a: Apis) -> Outcome:
    with anthropic_client(a.openai).messages.stream(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES) as s:
        events = [repr(event) for event in s]
        final = s.get_final_message()
    return Outcome((events, repr(final)), impacts_of(final))


def _anthropic_helper_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = async_anthropic_client(a.openai)
        async with client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES) as s:
            events = [repr(event) async for event in s]
            final = await s.get_final_message()
        return Outcome((events, repr(final)), impacts_of(final))

    return run(go())


def _anthropic_raw(a: Apis) -> Outcome:
    client = anthropic_client(a.openai)
    raw = client.messages.with_raw_response.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES)
    parsed = raw.parse()
    return Outcome((raw.headers["request-id"], raw.status_code, repr(parsed)), impacts_of(parsed))


# -- mistralai ------------------------------------------------------------------------------------------


def _mistral(a: Apis) -> Outcome:
    return _plain(mistral_client(a.mistral).chat.complete(model="mistral-small-latest", messages=MESSAGES))


def _mistral_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = mistral_client(a.mistral)
        return _plain(await client.chat.complete_async(model="mistral-small-latest", messages=MESSAGES))

    return run(go())


def _mistral_stream(a: Apis) -> Outcome:
    return _stream(mistral_client(a.mistral).chat.stream(model="mistral-small-latest", messages=MESSAGES))


def _mistral_stream_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        client = mistral_client(a.mistral)
        return await _astream(await client.chat.stream_async(model="mistral-small-latest", messages=MESSAGES))

    return run(go())


# -- huggingface_hub ------------------------------------------------------------------------------------


def _hf_chat(a: Apis) -> Outcome:
    return _plain(InferenceClient(token="hf_test").chat_completion(MESSAGES, model=HF_MODEL))


def _hf_chat_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        async with AsyncInferenceClient(token="hf_test") as client:
            return _plain(await client.chat_completion(MESSAGES, model=HF_MODEL))

    return run(go())


def _hf_chat_stream(a: Apis) -> Outcome:
    return _stream(InferenceClient(token="hf_test").chat_completion(MESSAGES, model=HF_MODEL, stream=True))


def _hf_text_generation(a: Apis) -> Outcome:
    client = InferenceClient(provider="hf-inference", token="hf_test")
    return _plain(client.text_generation("The huggingface_hub library is ", model=HF_MODEL, details=True))


# -- cohere ---------------------------------------------------------------------------------------------


def _cohere(a: Apis) -> Outcome:
    return _plain(v2(a.cohere).chat(model="command-a-03-2025", messages=MESSAGES))


def _cohere_async(a: Apis) -> Outcome:
    async def go() -> Outcome:
        return _plain(await async_v2(a.cohere).chat(model="command-a-03-2025", messages=MESSAGES))

    return run(go())


def _cohere_stream(a: Apis) -> Outcome:
    return _stream(v2(a.cohere).chat_stream(model="command-a-03-2025", messages=MESSAGES))


CASES: tuple[Case, ...] = (
    Case("openai-chat", "openai", _openai_chat),
    Case("openai-chat-async", "openai", _openai_chat_async),
    Case("openai-chat-stream", "openai", _openai_chat_stream, stream=True),
    Case("openai-chat-stream-async", "openai", _openai_chat_stream_async, stream=True),
    Case("openai-chat-helper-stream", "openai", _openai_chat_helper, stream=True),
    Case("openai-chat-raw", "openai", _openai_chat_raw),
    Case("openai-chat-streaming-response", "openai", _openai_chat_streaming_response, stream=True),
    Case("openai-responses", "openai", _openai_responses),
    Case("openai-responses-async", "openai", _openai_responses_async),
    Case("openai-responses-stream", "openai", _openai_responses_stream, stream=True),
    Case("openai-responses-helper-stream", "openai", _openai_responses_helper, stream=True),
    Case("openai-responses-helper-stream-async", "openai", _openai_responses_helper_async, stream=True),
    Case("anthropic", "anthropic", _anthropic),
    Case("anthropic-async", "anthropic", _anthropic_async),
    Case("anthropic-stream", "anthropic", _anthropic_stream, stream=True),
    Case("anthropic-stream-async", "anthropic", _anthropic_stream_async, stream=True),
    Case("anthropic-helper-stream", "anthropic", _anthropic_helper, stream=True),
    Case("anthropic-helper-stream-async", "anthropic", _anthropic_helper_async, stream=True),
    Case("anthropic-raw", "anthropic", _anthropic_raw),
    Case("mistralai", "mistralai", _mistral),
    Case("mistralai-async", "mistralai", _mistral_async),
    Case("mistralai-stream", "mistralai", _mistral_stream, stream=True),
    Case("mistralai-stream-async", "mistralai", _mistral_stream_async, stream=True),
    Case("huggingface_hub-chat", "huggingface_hub", _hf_chat),
    Case("huggingface_hub-chat-async", "huggingface_hub", _hf_chat_async),
    Case("huggingface_hub-chat-stream", "huggingface_hub", _hf_chat_stream, stream=True),
    Case("huggingface_hub-text-generation", "huggingface_hub", _hf_text_generation),
    Case("cohere", "cohere", _cohere),
    Case("cohere-async", "cohere", _cohere_async),
    Case("cohere-stream", "cohere", _cohere_stream, stream=True),
)

PROVIDERS = ("openai", "anthropic", "mistralai", "huggingface_hub", "cohere")
