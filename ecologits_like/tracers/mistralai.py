"""Mistral AI (``mistralai`` 3.x; the 1.x layout is located too).

Traced: ``chat.complete`` / ``chat.complete_async`` (the ``ChatCompletionResponse`` carries the
impacts), ``chat.stream`` / ``chat.stream_async`` (the SDK's ``EventStream`` / ``EventStreamAsync``
keeps its whole protocol; the event carrying ``usage``, the last one before ``[DONE]``, carries the
impacts, as does ``stream.impacts``), and ``chat.parse`` / ``parse_async`` / ``parse_stream`` /
``parse_stream_async`` (they call the methods above; the outer call is the one traced).

Usage: ``usage.completion_tokens`` (Mistral counts reasoning tokens of Magistral models in it) and
``usage.prompt_tokens``. A stream closed before its usage event counts the content deltas seen.

Layout: ``mistralai`` 2.x moved the SDK under ``mistralai.client`` (``mistralai.client.chat.Chat``);
1.x had ``mistralai.chat.Chat``. The installed layout is located at instrumentation by finding the
chat module on disk, without importing the SDK (it is patched when the application imports it);
another layout raises :class:`UnsupportedSDKError` naming the supported versions (tested on 3.7).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.machinery import PathFinder
from typing import Any

from ecologits_like.tracers._core import (
    FINAL,
    PASS,
    ProviderSpec,
    ResponseUsage,
    SdkTypes,
    Shape,
    Tally,
    Target,
    UnsupportedSDKError,
)

__all__ = ["SPEC"]

#: (chat module, event-stream module) per supported layout, newest first.
LAYOUTS = (
    ("mistralai.client.chat", "mistralai.client.utils.eventstreaming"),  # 2.x, 3.x
    ("mistralai.chat", "mistralai.utils.eventstreaming"),  # 1.x
)
SUPPORTED = "mistralai 3.x (also 2.x and 1.x: mistralai.client.chat or mistralai.chat)"


def _usage(tally: Tally, usage: Any) -> None:
    tally.input_tokens = usage.prompt_tokens
    tally.output_tokens = usage.completion_tokens


def extract_chat(response: Any) -> ResponseUsage:
    """Model and usage of a ``ChatCompletionResponse``."""
    usage = response.usage
    if usage is None:
        return response.model, 0, None, None, None, None
    return response.model, usage.completion_tokens or 0, usage.prompt_tokens, None, None, None


def on_chat_event(tally: Tally, event: Any) -> int:
    """One ``CompletionEvent`` (its ``data`` is a ``CompletionChunk``)."""
    chunk = event.data
    if tally.model is None:
        tally.model = chunk.model
    usage = chunk.usage
    choices = chunk.choices
    if choices:
        delta = choices[0].delta
        if delta is not None and (delta.content or delta.tool_calls):
            tally.counted += 1
    if usage is not None:
        _usage(tally, usage)
        return FINAL
    return PASS


CHAT = Shape("mistralai.chat", extract_chat, on_chat_event)


def _module_exists(name: str) -> bool:
    """Whether module ``name`` is installed, found without importing it or its parent packages.

    (``importlib.util.find_spec("mistralai.client.chat")`` would import ``mistralai.client``, which
    imports most of the SDK: hundreds of ms that ``init()`` must not spend on an SDK the
    application may never import.)
    """
    if name in sys.modules:
        return True
    top, *rest = name.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: found, not imported
    except (ImportError, ValueError):
        return False
    found = top
    for part in rest:
        if spec is None or spec.submodule_search_locations is None:
            return False
        found = f"{found}.{part}"
        spec = PathFinder.find_spec(found, list(spec.submodule_search_locations))
    return spec is not None


def _layout() -> tuple[str, str]:
    for chat_module, stream_module in LAYOUTS:
        if _module_exists(chat_module):
            return chat_module, stream_module
    try:
        from importlib.metadata import version

        installed = version("mistralai")
    except Exception:
        installed = "unknown"
    raise UnsupportedSDKError(
        f"ecologits_like supports {SUPPORTED}; the installed mistralai {installed} has no chat module "
        f"{' or '.join(m for m, _ in LAYOUTS)}."
    )


def locate() -> tuple[Target, ...]:
    """The patch table for the installed ``mistralai`` layout."""
    module, _ = _layout()
    return (
        Target(module, "Chat.complete", False, CHAT),
        Target(module, "Chat.complete_async", True, CHAT),
        Target(module, "Chat.stream", False, CHAT),
        Target(module, "Chat.stream_async", True, CHAT),
        # parse* make their request through complete* / stream*: they mark themselves as running.
        Target(module, "Chat.parse", False, CHAT, nests=True),
        Target(module, "Chat.parse_async", True, CHAT, nests=True),
        Target(module, "Chat.parse_stream", False, CHAT, nests=True),
        Target(module, "Chat.parse_stream_async", True, CHAT, nests=True),
    )


def _types() -> SdkTypes:
    _, stream_module = _layout()
    module = importlib.import_module(stream_module)
    return SdkTypes(streams=(module.EventStream,), async_streams=(module.EventStreamAsync,))


SPEC = ProviderSpec(
    name="mistralai",
    sdk="mistralai",
    install="pip install 'ecologits-like[mistralai]'",
    targets=(),
    types=_types,
    locate=locate,
)
