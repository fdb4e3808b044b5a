"""OpenAI (``openai`` 3.x, including Azure OpenAI through the same client classes).

Traced, sync and async: ``chat.completions.create`` (plain and ``stream=True``), ``.parse``, the
``chat.completions.stream(...)`` helper (it calls ``create(stream=True)``, so it is traced there),
``responses.create`` (plain and streamed), ``responses.parse`` and the ``responses.stream(...)``
helper (through ``create``); ``with_raw_response`` / ``with_streaming_response`` through the same
methods. Helper streams get an ``impacts`` property and their ``get_final_*()`` result carries it.

Usage: ``completion_tokens`` / ``output_tokens`` already include reasoning tokens (the
``*_tokens_details.reasoning_tokens`` split is recorded separately, not added again);
``prompt_tokens`` / ``input_tokens`` include cached tokens (``cached_tokens`` recorded apart).

Chat streams and usage: when the caller did not pass ``stream_options`` and the client talks to
``*.openai.com``, the tracer asks for ``stream_options={"include_usage": True}`` and hides the extra
usage-only final chunk again, so the caller sees exactly the chunks it would have seen; the chunk
carrying ``finish_reason`` is held back only until that usage chunk (sent right behind it) arrives,
and carries the impacts. That usage chunk is read from its JSON before the SDK parses it into a
pydantic object (see ``_openai_usage.py``), so asking for it costs next to nothing. Azure and
other OpenAI-compatible endpoints are left untouched (older Azure API versions reject
``stream_options``); there, and when the caller turned usage off, the tracer counts content-delta
chunks (about one token each) as a fallback. Responses API streams
always end with ``response.completed`` (or ``.incomplete`` / ``.failed``) carrying usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ecologits_like.tracers._core import (
    FINAL,
    HIDE_FINAL,
    LOOKAHEAD,
    PASS,
    ProviderSpec,
    ResponseUsage,
    SdkTypes,
    Shape,
    Tally,
    Target,
    UsageCatcher,
    is_omitted,
)

__all__ = ["SPEC"]


# -- chat completions -----------------------------------------------------------------------------


def _chat_usage(tally: Tally, usage: Any) -> None:
    tally.input_tokens = usage.prompt_tokens
    tally.output_tokens = usage.completion_tokens
    prompt_details = usage.prompt_tokens_details
    if prompt_details is not None:
        tally.cached_input_tokens = prompt_details.cached_tokens
    completion_details = usage.completion_tokens_details
    if completion_details is not None:
        tally.reasoning_tokens = completion_details.reasoning_tokens


def extract_chat(response: Any) -> ResponseUsage:
    """Model and usage of a ``ChatCompletion`` (or ``ParsedChatCompletion``); the fields ``_chat_usage`` reads."""
    usage = response.usage
    if usage is None:
        return response.model, 0, None, None, None, None
    prompt_details = usage.prompt_tokens_details
    completion_details = usage.completion_tokens_details
    return (
        response.model,
        usage.completion_tokens or 0,
        usage.prompt_tokens,
        None if prompt_details is None else prompt_details.cached_tokens,
        None if completion_details is None else completion_details.reasoning_tokens,
        None,
    )


def on_chat_chunk(tally: Tally, chunk: Any) -> int:
    """One ``ChatCompletionChunk``."""
    if tally.model is None and chunk.model:  # Azure starts with a model-less content-filter chunk
        tally.model = chunk.model
    usage = chunk.usage
    if usage is not None:
        _chat_usage(tally, usage)
    choices = chunk.choices
    if not choices:
        if usage is not None:
            return HIDE_FINAL if tally.hide_usage else FINAL
        return PASS
    choice = choices[0]
    delta = choice.delta
    if delta is not None and (delta.content or delta.tool_calls or delta.refusal or delta.function_call):
        tally.counted += 1
    if choice.finish_reason is not None and tally.hide_usage:
        return LOOKAHEAD
    return PASS


#: The base URL object of the last client seen and whether it is the official API's (one tuple: a
#: thread reads both at once). The client's ``base_url`` property imports a module on every read and
#: the URL's ``host`` is another property: about 7 µs per stream, for the same answer every time.
_last_endpoint: tuple[object, bool] = (None, False)


def _official_endpoint(resource: Any) -> bool:
    global _last_endpoint
    client = getattr(resource, "_client", None)
    if client is None or type(client).__name__.startswith(("Azure", "AsyncAzure")):
        return False
    # What ``base_url`` returns (checked against the installed SDK by the tests); the property where
    # the SDK keeps it elsewhere. Setting ``client.base_url`` makes a new URL object.
    url = getattr(client, "_base_url", None)
    if url is None:
        url = getattr(client, "base_url", None)
    last_url, official = _last_endpoint
    if url is None or url is not last_url:
        host = getattr(url, "host", "") or ""
        official = bool(host == "openai.com" or host.endswith(".openai.com"))
        _last_endpoint = (url, official)
    return official


def prepare_chat(resource: Any, kwargs: dict[str, Any], tally: Tally) -> None:
    """Ask an official-endpoint chat stream for its usage when the caller left ``stream_options`` out
    (called for ``stream=True`` requests only: see ``_core.Prepare``).

    The request goes through ``extra_body`` (merged into the JSON body as is) rather than the typed
    ``stream_options`` argument, which the SDK would run through its annotation-driven transform
    (about 15 µs of CPU per request on a 2-core VM). A ``stream_options`` the caller put in its own
    ``extra_body`` is the caller's choice: left alone, and the usage chunk is not hidden.
    """
    options = kwargs.get("stream_options")  # ``None`` tested first: a call less in the usual request
    if not (options is None or is_omitted(options)) or not _official_endpoint(resource):
        return
    extra = kwargs.get("extra_body")
    if extra is None or is_omitted(extra):
        kwargs["extra_body"] = {"stream_options": {"include_usage": True}}
    elif isinstance(extra, Mapping):
        if "stream_options" in extra:
            return
        kwargs["extra_body"] = {**extra, "stream_options": {"include_usage": True}}  # never the caller's dict
    else:  # not a mapping: leave it to the SDK, ask through the typed argument
        kwargs["stream_options"] = {"include_usage": True}
    tally.hide_usage = True


#: ``tracers._openai_usage``, bound by the first stream that hides its usage chunk: imported with
#: ``init()`` it would add about 0.3 ms to the start-up, imported by every stream a few µs to each.
_usage_catcher: ModuleType | None = None


def catch_usage(stream: Any) -> UsageCatcher | None:
    """Take the usage-only chunk ``prepare_chat`` asked for off ``stream``'s events, unparsed."""
    global _usage_catcher
    if _usage_catcher is None:
        from ecologits_like.tracers import _openai_usage

        _usage_catcher = _openai_usage
    result: UsageCatcher | None = _usage_catcher.install(stream)
    return result


CHAT = Shape("openai.chat", extract_chat, on_chat_chunk, prepare_chat, catch_usage=catch_usage)


# -- Responses API ----------------------------------------------------------------------------------


def _response_usage(tally: Tally, response: Any) -> None:
    tally.model = response.model or tally.model
    usage = response.usage
    if usage is None:
        return
    tally.input_tokens = usage.input_tokens
    tally.output_tokens = usage.output_tokens
    input_details = usage.input_tokens_details
    if input_details is not None:
        tally.cached_input_tokens = input_details.cached_tokens
    output_details = usage.output_tokens_details
    if output_details is not None:
        tally.reasoning_tokens = output_details.reasoning_tokens


def extract_response(response: Any) -> ResponseUsage:
    """Model and usage of a Responses API ``Response`` (or ``ParsedResponse``); the fields ``_response_usage`` reads."""
    model = response.model or None
    usage = response.usage
    if usage is None:
        return model, 0, None, None, None, None
    input_details = usage.input_tokens_details
    output_details = usage.output_tokens_details
    return (
        model,
        usage.output_tokens or 0,
        usage.input_tokens,
        None if input_details is None else input_details.cached_tokens,
        None if output_details is None else output_details.reasoning_tokens,
        None,
    )


_TERMINAL_EVENTS = frozenset(("response.completed", "response.incomplete", "response.failed"))


def on_response_event(tally: Tally, event: Any) -> int:
    """One Responses API stream event."""
    kind = event.type
    # Output text deltas (most of a stream's events) first: comparing strings costs less than a method call.
    if kind == "response.output_text.delta" or kind.endswith(".delta"):  # refusal / arguments / reasoning deltas
        tally.counted += 1
        return PASS
    if kind in _TERMINAL_EVENTS:
        _response_usage(tally, event.response)
        return FINAL
    if kind == "response.created" and tally.model is None:
        tally.model = event.response.model
    return PASS


RESPONSES = Shape("openai.responses", extract_response, on_response_event)


# -- the table --------------------------------------------------------------------------------------

_CHAT = "openai.resources.chat.completions.completions"
_RESP = "openai.resources.responses.responses"
_CHAT_HELPER = "openai.lib.streaming.chat._completions"
_RESP_HELPER = "openai.lib.streaming.responses._responses"

TARGETS = (
    Target(_CHAT, "Completions.create", False, CHAT),
    Target(_CHAT, "AsyncCompletions.create", True, CHAT),
    Target(_CHAT, "Completions.parse", False, CHAT),
    Target(_CHAT, "AsyncCompletions.parse", True, CHAT),
    Target(_RESP, "Responses.create", False, RESPONSES),
    Target(_RESP, "AsyncResponses.create", True, RESPONSES),
    Target(_RESP, "Responses.parse", False, RESPONSES),
    Target(_RESP, "AsyncResponses.parse", True, RESPONSES),
    # The .stream() helpers call create(stream=True): traced there. Their streams get impacts:
    Target(_CHAT_HELPER, "ChatCompletionStream.get_final_completion", False, role="final_helper"),
    Target(_CHAT_HELPER, "AsyncChatCompletionStream.get_final_completion", True, role="final_helper"),
    Target(_CHAT_HELPER, "ChatCompletionStream.impacts", role="impacts_property"),
    Target(_CHAT_HELPER, "AsyncChatCompletionStream.impacts", role="impacts_property"),
    Target(_RESP_HELPER, "ResponseStream.get_final_response", False, role="final_helper"),
    Target(_RESP_HELPER, "AsyncResponseStream.get_final_response", True, role="final_helper"),
    Target(_RESP_HELPER, "ResponseStream.impacts", role="impacts_property"),
    Target(_RESP_HELPER, "AsyncResponseStream.impacts", role="impacts_property"),
)


def _types() -> SdkTypes:
    from openai import AsyncStream, Stream
    from openai._legacy_response import LegacyAPIResponse
    from openai._response import APIResponse, AsyncAPIResponse

    return SdkTypes(
        streams=(Stream,),
        async_streams=(AsyncStream,),
        raw=(LegacyAPIResponse, APIResponse),
        async_raw=(AsyncAPIResponse,),
    )


def _helper_raw_stream(helper: Any) -> Any:
    return getattr(helper, "_raw_stream", None)


SPEC = ProviderSpec(
    name="openai",
    sdk="openai",
    install="pip install 'ecologits-like[openai]'",
    targets=TARGETS,
    types=_types,
    helper_raw_stream=_helper_raw_stream,
)
