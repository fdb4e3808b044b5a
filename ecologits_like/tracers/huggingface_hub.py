"""Hugging Face Hub inference (``huggingface_hub`` 2.x: ``InferenceClient``, ``AsyncInferenceClient``).

Traced, sync and async: ``chat_completion`` (also reached as ``chat.completions.create``), plain and
``stream=True``; ``text_generation``, plain, ``details=True`` and ``stream=True`` (with or without
details). Models are Hub repo ids (``meta-llama/Llama-3.1-8B-Instruct``, optionally routed with a
``:provider`` suffix), named per call or on the client; they resolve against the
``huggingface_hub`` entries of ``data/models.json`` (the response's model first, then the
requested one).

Output tokens, best source first:

* ``usage.completion_tokens`` of chat completions (and of a stream's usage chunk, when the server
  sends one);
* ``details.generated_tokens`` of ``text_generation(details=True)`` and of a details stream's last
  event;
* a ``text_generation`` stream without details: one event per generated token (TGI's protocol), so
  the events are counted;
* a chat stream without usage: content / reasoning / tool-call chunks are counted (about one token
  each; TGI sends one token per chunk) and the impacts carry an ``output-tokens-approximated``
  warning;
* a plain ``text_generation`` (a ``str``) or a chat completion without usage: characters / 4 (the
  usual rule of thumb for English text with BPE tokenizers), with the same warning. No tokenizer
  is downloaded.

The caller gets the SDK's own objects. Output dataclasses list every instance attribute in their
``repr``, so their ``impacts`` is kept beside them (see :class:`AsideImpacts`) and ``repr``,
``==`` and the dict contents are unchanged. A plain ``text_generation`` returns a built-in ``str``,
which cannot carry attributes: its impacts reach sessions and records only (``details=True``
returns an object that carries them). Streams are the SDK's generators, proxied: the last event
(when it is an object) and ``stream.impacts`` carry the impacts.
"""

from __future__ import annotations

import types
from typing import Any

from ecologits_like.tracers._core import FINAL, PASS, ProviderSpec, ResponseUsage, SdkTypes, Shape, Tally, Target

__all__ = ["SPEC"]

CHARS_PER_TOKEN = 4
APPROX_CHARS = "The response reported no token count; output tokens were approximated as characters / 4."
APPROX_CHUNKS = "The stream reported no token usage; output tokens were counted as one per content chunk."


def _approx_tokens(model: str | None, text: object) -> ResponseUsage:
    """A response without a token count: characters / 4, with the approximation named."""
    size = len(text) if isinstance(text, str) else 0
    return model, (size + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN, None, None, None, APPROX_CHARS


def requested_model(client: Any, kwargs: dict[str, Any]) -> object:
    """The client's default model (a repo id or an endpoint URL) when the call names none."""
    return getattr(client, "model", None)


# -- chat completions (TGI / OpenAI-compatible) ----------------------------------------------------
# Outputs are dataclasses that are also dicts (nested values are plain dicts): read them as dicts.


def extract_chat(response: Any) -> ResponseUsage:
    """Model and usage of a ``ChatCompletionOutput``."""
    model = response.get("model") or None
    usage = response.get("usage")
    if usage and usage.get("completion_tokens") is not None:
        return model, usage["completion_tokens"], usage.get("prompt_tokens"), None, None, None
    text = ""
    for choice in response.get("choices") or ():
        message = choice.get("message") or {}
        text += (message.get("content") or "") + (message.get("reasoning") or "")
    return _approx_tokens(model, text)


def on_chat_chunk(tally: Tally, chunk: Any) -> int:
    """One ``ChatCompletionStreamOutput``.

    Read through its dataclass attributes, not ``dict.get``: an attribute read costs less
    than a method call on every chunk, and every name read here is a field of the output types, so
    it always exists (``None`` when the server left it out) and equals the dict's value.
    """
    if tally.model is None:
        tally.model = chunk.model or None
    choices = chunk.choices
    if choices:
        delta = choices[0].delta
        if delta and (delta.content or delta.reasoning or delta.tool_calls):
            counted = tally.counted
            tally.counted = counted + 1
            # Named on the first counted chunk only: once a usage count arrived it never goes away.
            if not counted and tally.output_tokens is None:
                tally.approximation = APPROX_CHUNKS
    usage = chunk.usage
    if usage and usage.completion_tokens is not None:
        tally.input_tokens = usage.prompt_tokens
        tally.output_tokens = usage.completion_tokens
        tally.approximation = None
        return FINAL
    return PASS


CHAT = Shape("huggingface_hub.chat_completion", extract_chat, on_chat_chunk, requested=requested_model)


# -- text generation (TGI) --------------------------------------------------------------------------


def extract_text(response: Any) -> ResponseUsage:
    """A ``str`` (``details`` off) or a ``TextGenerationOutput`` (``details=True``)."""
    if isinstance(response, str):
        return _approx_tokens(None, response)
    details = response.get("details")
    if details and details.get("generated_tokens") is not None:
        return None, details["generated_tokens"], None, None, None, None
    return _approx_tokens(None, response.get("generated_text"))


def on_text_event(tally: Tally, event: Any) -> int:
    """One generated token: a ``str``, or a ``TextGenerationStreamOutput`` with ``details=True``."""
    tally.counted += 1
    if isinstance(event, str):
        return PASS
    details = event.get("details")
    if details and details.get("generated_tokens") is not None:
        tally.output_tokens = details["generated_tokens"]
        tally.input_tokens = details.get("input_length")
        return FINAL
    return PASS


TEXT = Shape("huggingface_hub.text_generation", extract_text, on_text_event, requested=requested_model)


# -- the table --------------------------------------------------------------------------------------

_SYNC = "huggingface_hub.inference._client"
_ASYNC = "huggingface_hub.inference._generated._async_client"
_TYPES = "huggingface_hub.inference._generated.types"

TARGETS = (
    Target(_SYNC, "InferenceClient.chat_completion", False, CHAT),
    Target(_ASYNC, "AsyncInferenceClient.chat_completion", True, CHAT),
    # text_generation retries itself without the parameters a server rejected: it nests.
    Target(_SYNC, "InferenceClient.text_generation", False, TEXT, nests=True),
    Target(_ASYNC, "AsyncInferenceClient.text_generation", True, TEXT, nests=True),
    # chat.completions.create is a property returning the bound chat_completion: traced there.
    Target(f"{_TYPES}.chat_completion", "ChatCompletionOutput.impacts", role="impacts_aside"),
    Target(f"{_TYPES}.chat_completion", "ChatCompletionStreamOutput.impacts", role="impacts_aside"),
    Target(f"{_TYPES}.text_generation", "TextGenerationOutput.impacts", role="impacts_aside"),
    Target(f"{_TYPES}.text_generation", "TextGenerationStreamOutput.impacts", role="impacts_aside"),
)


def _types() -> SdkTypes:
    # Streams are the SDK's own generators (sync) and async generators (async client).
    return SdkTypes(streams=(types.GeneratorType,), async_streams=(types.AsyncGeneratorType,))


SPEC = ProviderSpec(
    name="huggingface_hub",
    sdk="huggingface_hub",
    install="pip install 'ecologits-like[huggingface-hub]'",
    targets=TARGETS,
    types=_types,
)
