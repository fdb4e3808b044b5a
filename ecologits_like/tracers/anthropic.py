"""Anthropic (``anthropic`` 2.x).

Traced, sync and async: ``messages.create`` (plain and ``stream=True``), ``messages.parse``, the
``messages.stream(...)`` helper (its raw stream goes through the tracer, so ``get_final_message()``
and ``stream.impacts`` carry the impacts), and ``with_raw_response`` / ``with_streaming_response``
through ``create``.

Usage: ``output_tokens`` includes thinking tokens (``output_tokens_details.thinking_tokens`` is
recorded as ``reasoning_tokens``, not added again). Anthropic's ``input_tokens`` excludes cache
reads and writes; the record's ``input_tokens`` is the whole prompt (``input_tokens`` +
``cache_read_input_tokens`` + ``cache_creation_input_tokens``) with ``cached_input_tokens`` the
cache reads, matching what OpenAI reports. Streams: ``message_start`` gives the model and input
usage, ``message_delta`` the cumulative output count, ``message_stop`` ends the message (it
carries the impacts). Without a ``message_delta`` (stream closed early) ``content_block_delta``
events are counted instead.
"""

from __future__ import annotations

from typing import Any

from ecologits_like.tracers._core import FINAL, PASS, Call, ProviderSpec, ResponseUsage, SdkTypes, Shape, Tally, Target

__all__ = ["SPEC"]


def _input_usage(tally: Tally, usage: Any) -> None:
    base = usage.input_tokens
    if base is None:
        return
    read = usage.cache_read_input_tokens or 0
    written = usage.cache_creation_input_tokens or 0
    tally.input_tokens = base + read + written
    if usage.cache_read_input_tokens is not None:
        tally.cached_input_tokens = read


def _output_usage(tally: Tally, usage: Any) -> None:
    tally.output_tokens = usage.output_tokens
    details = getattr(usage, "output_tokens_details", None)
    if details is not None:
        tally.reasoning_tokens = details.thinking_tokens


def extract_message(message: Any) -> ResponseUsage:
    """Model and usage of a ``Message`` (or ``ParsedMessage``), counted as ``_input_usage`` / ``_output_usage`` do."""
    usage = message.usage
    if usage is None:
        return message.model, 0, None, None, None, None
    base = usage.input_tokens
    read = usage.cache_read_input_tokens
    input_tokens = None if base is None else base + (read or 0) + (usage.cache_creation_input_tokens or 0)
    details = getattr(usage, "output_tokens_details", None)
    return (
        message.model,
        usage.output_tokens or 0,
        input_tokens,
        None if base is None else read,
        None if details is None else details.thinking_tokens,
        None,
    )


def on_message_event(tally: Tally, event: Any) -> int:
    """One raw message stream event."""
    kind = event.type
    if kind == "content_block_delta":
        tally.counted += 1
        return PASS
    if kind == "message_delta":
        usage = event.usage
        _output_usage(tally, usage)
        if usage.input_tokens is not None:
            _input_usage(tally, usage)
        return PASS
    if kind == "message_start":
        message = event.message
        tally.model = message.model
        if message.usage is not None:
            _input_usage(tally, message.usage)
        return PASS
    if kind == "message_stop":
        return FINAL
    return PASS


MESSAGES = Shape("anthropic.messages", extract_message, on_message_event)


def hook_stream_manager(manager: Any, call: Call, is_async: bool) -> Any:
    """Route a ``MessageStreamManager``'s request through ``call`` (the request is made on enter).

    The manager keeps its request in a private, name-mangled attribute (``__api_request``): a
    zero-argument callable (sync) or an awaitable (async). It is replaced by one that returns the
    traced stream; when the SDK changes shape the manager is returned untouched (not traced).
    """
    names = [name for name in vars(manager) if name.endswith("__api_request")]
    if len(names) != 1:
        raise AttributeError(f"{type(manager).__qualname__} has no single __api_request attribute")
    name = names[0]
    request = getattr(manager, name)
    if is_async:

        async def traced_request() -> Any:
            call.restart_clock()
            return call.wrap_stream(await request)

        setattr(manager, name, traced_request())
    else:

        def traced_request_sync() -> Any:
            call.restart_clock()
            return call.wrap_stream(request())

        setattr(manager, name, traced_request_sync)
    return manager


_MSG = "anthropic.resources.messages.messages"
_HELPER = "anthropic.lib.streaming._messages"

TARGETS = (
    Target(_MSG, "Messages.create", False, MESSAGES),
    Target(_MSG, "AsyncMessages.create", True, MESSAGES),
    Target(_MSG, "Messages.parse", False, MESSAGES),
    Target(_MSG, "AsyncMessages.parse", True, MESSAGES),
    # stream() builds its request without going through create(): traced on its own.
    Target(_MSG, "Messages.stream", False, MESSAGES, role="stream_manager"),
    Target(_MSG, "AsyncMessages.stream", True, MESSAGES, role="stream_manager"),
    Target(_HELPER, "MessageStream.get_final_message", False, role="final_helper"),
    Target(_HELPER, "AsyncMessageStream.get_final_message", True, role="final_helper"),
    Target(_HELPER, "MessageStream.impacts", role="impacts_property"),
    Target(_HELPER, "AsyncMessageStream.impacts", role="impacts_property"),
)


def _types() -> SdkTypes:
    from anthropic import AsyncStream, Stream
    from anthropic._response import APIResponse, AsyncAPIResponse

    return SdkTypes(streams=(Stream,), async_streams=(AsyncStream,), raw=(APIResponse,), async_raw=(AsyncAPIResponse,))


def _helper_raw_stream(helper: Any) -> Any:
    return getattr(helper, "_raw_stream", None)


SPEC = ProviderSpec(
    name="anthropic",
    sdk="anthropic",
    install="pip install 'ecologits-like[anthropic]'",
    targets=TARGETS,
    types=_types,
    helper_raw_stream=_helper_raw_stream,
    hook_manager=hook_stream_manager,
)
