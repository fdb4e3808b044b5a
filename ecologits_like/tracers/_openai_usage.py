"""The usage-only chunk of an OpenAI chat stream, taken off the SSE events before the SDK parses it.

For official-endpoint chat streams the tracer asks for ``stream_options={"include_usage": True}``
and hides the extra chunk again (see ``tracers/openai.py``). Turning that chunk into a pydantic
``ChatCompletionChunk`` costs the SDK as much as any other chunk (its ``construct_type`` walks the
type annotations): about 100 µs of CPU per stream on a busy 2-core VM, more than all the tracer's
own work on a 100-chunk stream. The caller never sees that chunk, so the tracer reads its JSON instead.

How: the SDK stream (``openai.Stream`` / ``AsyncStream``; checked with ``openai`` 3.54) keeps its SSE decoder in the
private ``_decoder`` attribute and calls ``_decoder.iter_bytes(...)`` (``aiter_bytes`` when async)
on its first read. :func:`install` replaces that decoder, before the first read, by a
:class:`HiddenUsageCatcher` whose events are the decoder's own, passed through a relay generator.
When the chunk carrying ``finish_reason`` has been read, the stream tap calls
:meth:`HiddenUsageCatcher.take`: it reads the next event straight from the decoder; a usage-only
chunk is recorded and dropped (the SDK never parses it), anything else (``[DONE]``, another chunk,
an error event, a read error) is put back into the relay, which hands it to the SDK next, exactly
as if nothing had looked at it. An interrupt or a task cancellation during that read is raised
at once (the caller then does not get the finish chunk): held back, it would be lost if the caller
stopped reading.

Safe fallback: when the stream has no such decoder, or the SDK never calls it (its layout changed),
:meth:`~HiddenUsageCatcher.take` reports ``False`` and the tracer reads the SDK's parsed chunk as
before. ``tests/tracers/test_stream_usage_catcher.py`` fails loudly when that fallback is in use
with the installed ``openai``.

Per chunk this adds one generator step (the relay) and no allocation.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ecologits_like.tracers._core import Tally

__all__ = ["HiddenUsageCatcher", "install", "usage_from_event"]


class _Raised:
    """A read error the tracer met while looking ahead: the relay raises it in the SDK's frame."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _relay(events: Iterator[Any], held: list[Any]) -> Iterator[Any]:
    """``events``, with what the tracer put back in ``held`` handed over right after the current one."""
    try:
        for event in events:
            yield event
            while held:  # empty but for the one event the tracer looked at
                item = held.pop()
                if type(item) is _Raised:
                    raise item.error
                yield item
    finally:
        close = getattr(events, "close", None)  # as ``yield from`` would: the decoder resets itself
        if close is not None:
            close()


async def _arelay(events: AsyncIterator[Any], held: list[Any]) -> AsyncIterator[Any]:
    """The async twin of :func:`_relay`."""
    try:
        async for event in events:
            yield event
            while held:
                item = held.pop()
                if type(item) is _Raised:
                    raise item.error
                yield item
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


#: ``json.loads`` without its two Python layers and whitespace matching (about 2 µs of the usage
#: chunk's 8 on a 2-core VM): the same C scanner, and a text with anything after the object is refused.
_decode = json.JSONDecoder().raw_decode


def usage_from_event(tally: Tally, event: Any) -> bool:
    """Record the usage of an SSE event carrying a usage-only chat chunk; ``False`` for anything else.

    Only a plain data event (no ``event:`` name, which marks other payloads) whose data is exactly a
    JSON object with ``"choices": []``, a ``usage`` object with an integer ``completion_tokens`` and
    no ``error`` is taken. Reads the same fields as ``tracers.openai._chat_usage``. Never raises.
    """
    try:
        data = event.data
        if event.event is not None or type(data) is not str or not data.startswith("{"):
            return False
        chunk, end = _decode(data)
    except Exception:  # not JSON, or an unexpected event shape: the SDK deals with it as it would have
        return False
    if end != len(data) or type(chunk) is not dict or chunk.get("choices") != [] or "error" in chunk:
        return False
    usage = chunk.get("usage")
    if type(usage) is not dict:
        return False
    output, prompt = usage.get("completion_tokens"), usage.get("prompt_tokens")
    if type(output) is not int or (prompt is not None and type(prompt) is not int):
        return False
    tally.output_tokens = output
    tally.input_tokens = prompt
    prompt_details = usage.get("prompt_tokens_details")
    if type(prompt_details) is dict and type(prompt_details.get("cached_tokens")) is int:
        tally.cached_input_tokens = prompt_details["cached_tokens"]
    completion_details = usage.get("completion_tokens_details")
    if type(completion_details) is dict and type(completion_details.get("reasoning_tokens")) is int:
        tally.reasoning_tokens = completion_details["reasoning_tokens"]
    model = chunk.get("model")
    if tally.model is None and type(model) is str and model:
        tally.model = model
    return True


class HiddenUsageCatcher:
    """Stands in for the SDK stream's SSE decoder; see the module docstring.

    The SDK calls :meth:`iter_bytes` / :meth:`aiter_bytes` (and nothing else; other attributes are
    the decoder's). The stream tap calls :meth:`take` / :meth:`atake`.
    """

    __slots__ = ("_decoder", "_events", "_held")

    #: The SDK's decoder.
    _decoder: Any
    #: The decoder's event iterator, once the SDK has asked for it (``None`` before: not engaged).
    _events: Any
    #: What :meth:`take` put back: at most one event or one ``_Raised``.
    _held: list[Any]

    # -- the SDK's side: the decoder protocol ------------------------------------------------------

    def iter_bytes(self, iterator: Iterator[bytes]) -> Iterator[Any]:
        """The decoder's events, through the relay."""
        self._events = events = self._decoder.iter_bytes(iterator)
        return _relay(events, self._held)

    def aiter_bytes(self, iterator: AsyncIterator[bytes]) -> AsyncIterator[Any]:
        """The decoder's events, through the async relay."""
        self._events = events = self._decoder.aiter_bytes(iterator)
        return _arelay(events, self._held)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decoder, name)

    # -- the tracer's side --------------------------------------------------------------------------

    def take(self, tally: Tally) -> bool:
        """Read the next event; drop it when it is the usage-only chunk (``True``), else put it back.

        A read error is put back too (the SDK raises it on its next read, with its own error
        mapping). KeyboardInterrupt, SystemExit and task cancellation are raised at once: held for
        a later read they would be lost when the caller stops reading after the finish chunk (a
        swallowed Ctrl-C, a cancelled task that runs on, a timeout that never fires).
        """
        events = self._events
        if events is None or not hasattr(events, "__next__"):
            return False
        try:
            event = next(events)
        except StopIteration:
            return False  # the relay ends too: the SDK sees the end of the stream
        except Exception as exc:  # the SDK's read raises it (its own error mapping applies)
            self._held.append(_Raised(exc))
            return False
        if usage_from_event(tally, event):
            return True
        self._held.append(event)
        return False

    async def atake(self, tally: Tally) -> bool:
        """The async twin of :meth:`take`."""
        events = self._events
        if events is None or not hasattr(events, "__anext__"):
            return False
        try:
            event = await events.__anext__()
        except StopAsyncIteration:
            return False
        except Exception as exc:
            self._held.append(_Raised(exc))
            return False
        if usage_from_event(tally, event):
            return True
        self._held.append(event)
        return False


def install(stream: Any) -> HiddenUsageCatcher | None:
    """Put a :class:`HiddenUsageCatcher` in place of ``stream``'s SSE decoder; ``None`` when it has none."""
    decoder = getattr(stream, "_decoder", None)
    if decoder is None or not (hasattr(decoder, "iter_bytes") or hasattr(decoder, "aiter_bytes")):
        return None
    # Built without an ``__init__``: a Python frame less per stream.
    catcher = HiddenUsageCatcher.__new__(HiddenUsageCatcher)
    catcher._decoder = decoder
    catcher._events = None
    catcher._held = []
    stream._decoder = catcher
    return catcher
