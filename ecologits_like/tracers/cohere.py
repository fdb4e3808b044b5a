"""Cohere (``cohere`` 7.x).

Traced: v2 ``ClientV2.chat`` / ``chat_stream`` and ``AsyncClientV2.chat`` / ``chat_stream`` (also
reached as ``client.v2.chat``), and v1 ``Client.chat`` / ``chat_stream`` and their async twins.
``chat`` returns the SDK's response object carrying the impacts; ``chat_stream`` returns the SDK's
generator (async generator), proxied: the terminal event (v2 ``message-end``, v1 ``stream-end``)
and ``stream.impacts`` carry the impacts. The SDK sends a stream's request on the first read, so a
provider error raises there, unchanged, and nothing is recorded.

Usage: ``usage.tokens.output_tokens`` (v2) / ``meta.tokens.output_tokens`` (v1), the tokens the model
produced; the billed units (``billed_units.output_tokens``) when the response has no token counts.
Streams closed before their terminal event count the content / tool deltas seen. Responses carry
no model name: the requested ``model`` is resolved.

The SDK binds ``chat`` / ``chat_stream`` on each client instance when the client is constructed
(argument checks and experimental-feature warnings), so clients created before
``EcoLogits.init()`` keep the untraced methods: create Cohere clients after ``init``.
"""

from __future__ import annotations

from typing import Any

from ecologits_like.tracers._core import FINAL, PASS, ProviderSpec, ResponseUsage, SdkTypes, Shape, Tally, Target

__all__ = ["SPEC"]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _usage(tally: Tally, usage: Any) -> None:
    """A v2 ``Usage`` or a v1 ``ApiMeta`` (both have ``tokens`` and ``billed_units``)."""
    if usage is None:
        return
    for counts in (usage.tokens, usage.billed_units):
        if counts is not None and counts.output_tokens is not None:
            # ``_int`` written out: two Python calls less at the end of every stream.
            tally.output_tokens = int(counts.output_tokens)
            input_tokens = counts.input_tokens
            tally.input_tokens = None if input_tokens is None else int(input_tokens)
            break
    cached = getattr(usage, "cached_tokens", None)
    if cached is not None:
        tally.cached_input_tokens = int(cached)


# -- v2 ----------------------------------------------------------------------------------------------


def _response_usage(usage: Any) -> ResponseUsage:
    """What a complete response's ``usage`` (v2) or ``meta`` (v1) says, read as ``_usage`` reads it."""
    if usage is None:
        return None, 0, None, None, None, None
    cached = getattr(usage, "cached_tokens", None)
    for counts in (usage.tokens, usage.billed_units):
        if counts is not None and counts.output_tokens is not None:
            return None, int(counts.output_tokens), _int(counts.input_tokens), _int(cached), None, None
    return None, 0, None, _int(cached), None, None


def extract_v2(response: Any) -> ResponseUsage:
    """Usage of a ``V2ChatResponse``."""
    return _response_usage(response.usage)


_V2_DELTAS = frozenset(("content-delta", "tool-plan-delta", "tool-call-delta"))


def on_v2_event(tally: Tally, event: Any) -> int:
    """One ``V2ChatStreamResponse`` event."""
    kind = event.type
    if kind in _V2_DELTAS:
        tally.counted += 1
        return PASS
    if kind == "message-end":
        delta = event.delta
        if delta is not None:
            _usage(tally, delta.usage)
        return FINAL
    return PASS


V2_CHAT = Shape("cohere.v2.chat", extract_v2, on_v2_event)


# -- v1 ----------------------------------------------------------------------------------------------


def extract_v1(response: Any) -> ResponseUsage:
    """Usage of a v1 ``NonStreamedChatResponse``."""
    return _response_usage(response.meta)


_V1_DELTAS = frozenset(("text-generation", "tool-calls-chunk"))


def on_v1_event(tally: Tally, event: Any) -> int:
    """One v1 ``StreamedChatResponse`` event."""
    kind = event.event_type
    if kind in _V1_DELTAS:
        tally.counted += 1
        return PASS
    if kind == "stream-end":
        response = event.response
        if response is not None:
            _usage(tally, response.meta)
        return FINAL
    return PASS


V1_CHAT = Shape("cohere.v1.chat", extract_v1, on_v1_event)


# -- the table --------------------------------------------------------------------------------------

_V2 = "cohere.v2.client"
_V1 = "cohere.base_client"

# chat_stream is a generator function (sync) / an async generator function (async): calling it
# returns the stream at once, so neither is ``is_async``.
TARGETS = (
    Target(_V2, "V2Client.chat", False, V2_CHAT),
    Target(_V2, "V2Client.chat_stream", False, V2_CHAT),
    Target(_V2, "AsyncV2Client.chat", True, V2_CHAT),
    Target(_V2, "AsyncV2Client.chat_stream", False, V2_CHAT),
    Target(_V1, "BaseCohere.chat", False, V1_CHAT),
    Target(_V1, "BaseCohere.chat_stream", False, V1_CHAT),
    Target(_V1, "AsyncBaseCohere.chat", True, V1_CHAT),
    Target(_V1, "AsyncBaseCohere.chat_stream", False, V1_CHAT),
)


def _types() -> SdkTypes:
    import types

    return SdkTypes(streams=(types.GeneratorType,), async_streams=(types.AsyncGeneratorType,))


SPEC = ProviderSpec(
    name="cohere",
    sdk="cohere",
    install="pip install 'ecologits-like[cohere]'",
    targets=TARGETS,
    types=_types,
)
