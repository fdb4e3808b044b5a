"""Hot-path regression guards that count work instead of timing it (they cannot flake on a slow machine).

* Per stream event of every provider (OpenAI Responses, Anthropic, Mistral, Cohere, Hugging Face),
  two Python calls into ``ecologits_like`` (a step of the proxy's generator and the shape's
  ``on_chunk``) and no C call from our code but the ``dict.get`` reads of Hugging Face's chunks,
  while the SDK makes the calls it makes without the tracer (within 10 per stream);
  per OpenAI chat chunk, three Python calls (a step of the proxy's generator, the shape's
  ``on_chunk`` and a relay step of the SSE events), and the SDK
  parses only the chunks the caller sees, not the usage chunk the tracer asked for (counted with
  ``sys.setprofile`` over 1,000 chunks through the real client).
* Per traced (non-streaming) call (OpenAI chat, Mistral), at most 3 Python calls into
  ``ecologits_like`` and no output model built before the impacts are read.
* ``estimate_from_plan`` never runs pydantic validation (``BaseModel.__init__`` / ``model_validate``).
* Cold start: ``import ecologits_like; EcoLogits.init(providers=["openai"])`` imports neither numpy
  nor the engine nor any ``openai`` module that ``import openai`` alone does not import (checked in
  a fresh interpreter); the patches land when the application itself imports those modules.
  ``EcoLogits.init(providers=["mistralai"])`` imports no ``mistralai`` module either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import httpx2
import pytest

from ecologits_like import EcoLogits
from ecologits_like._plan import get_plan
from ecologits_like.estimate import estimate_from_plan
from ecologits_like.impacts.output import ImpactsOutput

PACKAGE = str(Path(__file__).resolve().parents[1] / "ecologits_like")
CHUNKS = 1000


def _chat_sse(n: int) -> bytes:
    """``n`` chunks the caller sees (the last with ``finish_reason``), then the usage-only chunk."""

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini-2024-07-18"}
        return f"data: {json.dumps({**body, 'choices': choices, **extra})}\n\n"

    parts = [chunk([{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]) for _ in range(n - 1)]
    parts.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    parts.append(chunk([], usage={"prompt_tokens": 5, "completion_tokens": n, "total_tokens": n + 5}))
    parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def _count_calls(fn: Callable[[], Any], where: Callable[[str], bool], kind: str = "call") -> dict[str, int]:
    """Python function calls made while ``fn`` runs, by ``file:function``, for files ``where`` accepts
    (``kind="c_call"``: the C functions called from those files' functions, by caller)."""
    counts: dict[str, int] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == kind:
            filename = frame.f_code.co_filename
            if where(filename):
                key = f"{filename}:{frame.f_code.co_name}"
                counts[key] = counts.get(key, 0) + 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return counts


def _sdk_file(filename: str) -> bool:
    return "/openai/" in filename


def test_stream_chunk_costs_a_constant_number_of_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    from ecologits_like import _sinks

    monkeypatch.setattr(_sinks, "_sinks", ())  # no record built for a sink another test left: the stream is counted

    body = _chat_sse(CHUNKS)

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = openai.OpenAI(
        api_key="sk-test", http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), max_retries=0
    )
    get_plan("openai", "gpt-4o-mini")  # the reference data loads on first use: not per stream
    EcoLogits.init(providers=["openai"])
    try:
        seen: list[Any] = []

        def consume() -> None:
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            seen.extend(stream)
            seen.append(stream.impacts)

        consume()  # warm-up: the first stream imports the usage catcher
        seen.clear()
        counts = _count_calls(consume, lambda f: f.startswith(PACKAGE) or _sdk_file(f))
    finally:
        EcoLogits.uninstrument()
    assert len(seen) == CHUNKS + 1 and isinstance(seen[-1], ImpactsOutput)
    ours = {k: v for k, v in counts.items() if k.startswith(PACKAGE)}
    per_chunk = {k.rsplit("/", 1)[-1]: v for k, v in ours.items() if v >= CHUNKS}
    # Per chunk: a step of the tap's generator, the shape's on_chunk and a step of the relay that
    # lets the tracer take the hidden usage chunk off the SSE events (one more step for the end).
    assert per_chunk == {
        "_streams.py:_chunks": CHUNKS + 1,
        "openai.py:on_chat_chunk": CHUNKS,
        "_openai_usage.py:_relay": CHUNKS + 2,  # and [DONE], and its close
    }, per_chunk
    # Plus a once-per-stream constant: the patched call and request preparation, the proxy and its tap,
    # installing the usage catcher and taking the usage chunk, the estimate, reading ``stream.impacts``
    # (16 calls; 39, then 25 before streams lost their ``Call``, ``__del__`` and ``finish_request``
    # and the usage catcher two frames).
    assert sum(ours.values()) - sum(per_chunk.values()) <= 16, sorted(
        (k.rsplit("/", 1)[-1], v) for k, v in ours.items() if v < CHUNKS
    )
    # The usage-only chunk the tracer asked for is read from its JSON: the SDK parses only the
    # chunks the caller sees. (When this fails, openai's Stream no longer reads its events through
    # ``_decoder.iter_bytes``: the tracer falls back to letting the SDK parse that chunk; see
    # ``tracers/_openai_usage.py``.)
    parsed = sum(v for k, v in counts.items() if _sdk_file(k) and k.endswith(":_process_response_data"))
    assert parsed == CHUNKS, f"the SDK parsed {parsed} chunks for {CHUNKS} seen"


# -- every provider's stream: two calls of ours per chunk, no extra work in the SDK -----------------------

WIRE = Path(__file__).resolve().parent / "tracers" / "wire"
STREAM_EVENTS = 200


def _grown_sse(name: str, marker: str, events: int) -> bytes:
    """A wire fixture with its delta events (the blocks containing ``marker``) repeated to ``events`` events."""
    blocks = [b for b in (WIRE / name).read_text().split("\n\n") if b.strip()]
    deltas = [i for i, b in enumerate(blocks) if marker in b]
    head, tail = blocks[: deltas[0]], blocks[deltas[-1] + 1 :]
    return ("\n\n".join(head + [blocks[deltas[0]]] * (events - len(head) - len(tail)) + tail) + "\n\n").encode()


def _sse_response(body: bytes) -> httpx2.Response:
    return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})


def _provider_streams() -> dict[str, tuple[str, Callable[[], Any]]]:
    """provider -> (a stream request through the real SDK client, over ``STREAM_EVENTS`` events)."""
    import anthropic
    import cohere
    import httpx
    import openai
    from huggingface_hub import InferenceClient
    from mistralai.client import Mistral

    def serve(body: bytes) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(lambda request: _sse_response(body)))

    responses = openai.OpenAI(
        api_key="sk-test",
        http_client=serve(_grown_sse("response_stream.sse", "response.output_text.delta", STREAM_EVENTS)),
        max_retries=0,
    )
    claude = anthropic.Anthropic(
        api_key="sk-ant-test",
        http_client=serve(_grown_sse("anthropic_stream.sse", "content_block_delta", STREAM_EVENTS)),
        max_retries=0,
    )
    mistral = Mistral(
        api_key="test-key",
        server_url="https://api.mistral.ai",
        client=serve(_grown_sse("mistral_stream.sse", '"content":" Chat"', STREAM_EVENTS)),
        retry_config=None,
    )
    cohere_body = _grown_sse("cohere_v2_stream.sse", "content-delta", STREAM_EVENTS)
    hf_body = _grown_sse("hf_chat_stream.sse", '"content":" is"', STREAM_EVENTS)
    messages = [{"role": "user", "content": "hi"}]

    def cohere_stream() -> Any:  # a client made now: cohere binds its methods when the client is made
        client = cohere.ClientV2(
            api_key="co-test",
            base_url="https://api.cohere.com",
            httpx_client=httpx.Client(
                transport=httpx.MockTransport(
                    lambda request: httpx.Response(
                        200, content=cohere_body, headers={"content-type": "text/event-stream"}
                    )
                )
            ),
            max_retries=0,
        )
        return client.chat_stream(model="command-a-03-2025", messages=messages)

    def hf_stream() -> Any:
        from huggingface_hub import set_client_factory
        from huggingface_hub.utils._http import default_client_factory

        set_client_factory(lambda: serve(hf_body))
        try:
            return list(
                InferenceClient(token="hf_test").chat_completion(
                    messages, model="meta-llama/Llama-3.1-8B-Instruct", stream=True
                )
            )
        finally:
            set_client_factory(default_client_factory)

    return {
        "openai.responses": (
            "openai",
            lambda: list(responses.responses.create(model="o4-mini", input="hi", stream=True)),
        ),
        "anthropic.messages": (
            "anthropic",
            lambda: list(
                claude.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=messages, stream=True)
            ),
        ),
        "mistralai.chat": (
            "mistralai",
            lambda: list(mistral.chat.stream(model="mistral-small-latest", messages=messages)),
        ),
        "cohere.v2.chat": ("cohere", lambda: list(cohere_stream())),
        "huggingface_hub.chat": ("huggingface_hub", hf_stream),
    }


def _calls_by_side(fn: Callable[[], Any]) -> tuple[dict[str, int], int]:
    """Python calls into ``ecologits_like`` by function, and every other Python or C call, while ``fn`` runs."""
    ours: dict[str, int] = {}
    other = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal other
        if event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith(PACKAGE):
                key = f"{filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"
                ours[key] = ours.get(key, 0) + 1
            else:
                other += 1
        elif event == "c_call" and not frame.f_code.co_filename.startswith(PACKAGE):
            other += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return ours, other


#: C calls per event that a shape's ``on_chunk`` makes: none now (Hugging Face's chunks, dicts that are
#: also dataclasses, were read with four ``dict.get`` calls per event; their attributes are read now).
_C_CALLS_PER_EVENT: dict[str, int] = {}


@pytest.mark.parametrize("shape", list(_provider_streams()))
def test_each_provider_stream_costs_two_calls_per_event_and_no_sdk_work(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per event: one generator step and the shape's ``on_chunk``; the SDK does exactly what it does bare."""
    from ecologits_like import _sinks

    monkeypatch.setattr(_sinks, "_sinks", ())  # as above: the stream itself is counted
    provider, consume = _provider_streams()[shape]
    get_plan("openai", "gpt-4o-mini")  # the engine loads with the first estimate, not per stream
    consume()
    _, bare_other = _calls_by_side(consume)
    EcoLogits.init(providers=[provider])
    try:
        consume()  # warm-up: the first traced call imports the engine
        ours, other = _calls_by_side(consume)
        c_calls = sum(_count_calls(consume, lambda f: f.startswith(PACKAGE), kind="c_call").values())
    finally:
        EcoLogits.uninstrument()
    # No C call per event but those a shape needs (a method call such as ``str.endswith`` per
    # event costs more than comparing a string: Responses' events read 212 -> 22 per stream).
    assert c_calls <= _C_CALLS_PER_EVENT.get(shape, 0) * STREAM_EVENTS + 30, c_calls
    per_event = {k: v for k, v in ours.items() if v >= STREAM_EVENTS - 10}
    on_chunk = {k: v for k, v in per_event.items() if not k.startswith("_streams.py:")}
    assert set(per_event) - set(on_chunk) == {"_streams.py:_chunks"}, per_event
    assert len(on_chunk) == 1 and per_event["_streams.py:_chunks"] <= STREAM_EVENTS + 2, per_event
    # Once per stream: the patched call, the proxy and its tap, the provider's usage reads, the
    # estimate (and Hugging Face's side table): 7 to 9 calls by provider (24 to 26 before the
    # per-stream imports and extra frames went, 15 to 17 before streams lost their ``Call``).
    assert sum(ours.values()) - sum(per_event.values()) <= 9, sorted(ours.items(), key=lambda kv: -kv[1])[:30]
    # The SDK's own work is the bare one (a few calls of slack: our C calls land in SDK frames' callbacks).
    assert abs(other - bare_other) <= 10, (other, bare_other)


def test_estimate_from_plan_never_validates() -> None:
    from pydantic import BaseModel

    validators = {BaseModel.__init__.__code__, BaseModel.model_validate.__func__.__code__}  # type: ignore[attr-defined]
    called: list[str] = []
    plans = [get_plan("openai", "gpt-4o-mini"), get_plan("mistralai", "mistral-small-latest")]
    assert all(not isinstance(p, ImpactsOutput) for p in plans)

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in validators:
            called.append(frame.f_code.co_name)
        elif event == "c_call" and getattr(arg, "__name__", "") in {"validate_python", "validate_json"}:
            called.append(arg.__name__)

    outputs = []
    sys.setprofile(profile)
    try:
        for plan in plans:
            outputs.append(estimate_from_plan(plan, 500, 4.0))  # type: ignore[arg-type]
            outputs[-1].model_dump()  # built on first read: build it under the profiler
    finally:
        sys.setprofile(None)
    assert called == []
    assert all(o.energy is not None and not o.errors for o in outputs)


_COLD_START = """
import json, sys
import openai
before = set(sys.modules)
import ecologits_like
ecologits_like.EcoLogits.init(providers=["openai"])
added = sorted(set(sys.modules) - before)
client = openai.OpenAI(api_key="sk-test")
completions = client.chat.completions  # the SDK imports its resource module here
from openai.resources.chat.completions.completions import Completions
print(json.dumps({"added": added, "patched": hasattr(Completions.create, "__wrapped__")}))
"""


def test_init_imports_no_engine_numpy_or_sdk_module() -> None:
    done = subprocess.run([sys.executable, "-c", _COLD_START], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    added: list[str] = result["added"]
    assert not [m for m in added if m.startswith("openai")], added
    assert "numpy" not in added and "pandas" not in added
    engine = ("_plan", "estimate", "registry", "impacts.output", "impacts.llm", "session", "recording")
    assert not [m for m in added if m.startswith(tuple(f"ecologits_like.{e}" for e in engine))], added
    assert "ecologits_like.tracers._openai_usage" not in added, "the usage catcher loads with the first stream"
    assert result["patched"], "the chat resource module was patched when the SDK imported it"


_MISTRAL_COLD_START = """
import json, sys
before = set(sys.modules)
import ecologits_like
ecologits_like.EcoLogits.init(providers=["mistralai"])
added = sorted(m for m in set(sys.modules) - before if m.startswith("mistralai"))
from mistralai.client.chat import Chat  # the application imports the SDK: patched then
print(json.dumps({"added": added, "patched": hasattr(Chat.complete, "__wrapped__")}))
"""


def test_init_finds_the_mistralai_layout_without_importing_the_sdk() -> None:
    done = subprocess.run([sys.executable, "-c", _MISTRAL_COLD_START], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["added"] == [], result["added"]
    assert result["patched"], "mistralai.client.chat was patched when the application imported it"


def test_lazy_public_names_are_the_functions() -> None:
    import ecologits_like
    import ecologits_like.compare
    import ecologits_like.estimate
    import ecologits_like.estimate_grid

    assert callable(ecologits_like.estimate) and ecologits_like.estimate.__name__ == "estimate"
    assert ecologits_like.compare.__name__ == "compare" and ecologits_like.estimate_grid.__name__ == "estimate_grid"
    assert ecologits_like.ImpactsOutput is ImpactsOutput
    assert set(ecologits_like.__all__) <= set(dir(ecologits_like))


def _chat_completion_client() -> Any:
    import openai

    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }
    ).encode()

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    return openai.OpenAI(
        api_key="sk-test", http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), max_retries=0
    )


def test_traced_call_builds_the_output_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecologits_like import _sinks

    # No session, recorder or exporter collects records (one left by another test would add the
    # record's construction to the count): the call itself is what is counted.
    monkeypatch.setattr(_sinks, "_sinks", ())
    client = _chat_completion_client()
    get_plan("openai", "gpt-4o-mini")
    EcoLogits.init(providers=["openai"])
    try:

        def call() -> Any:
            return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

        call()  # warm-up: the first call imports the engine
        responses: list[Any] = []
        counts = _count_calls(lambda: responses.append(call()), lambda f: f.startswith(PACKAGE))
        read = _count_calls(lambda: responses[0].impacts.energy, lambda f: f.startswith(PACKAGE))
    finally:
        EcoLogits.uninstrument()
    built = [k for k in counts if k.endswith((":evaluate_indicators", ":to_output", ":of", ":fast_construct"))]
    assert built == [], built
    # 3 Python calls into ecologits_like per traced chat completion: the patched method (which
    # handles a complete response of a class seen before itself: the plan is one dict lookup),
    # openai's extract (it reads the usage itself and returns a tuple, no Tally) and the deferred
    # estimate (lazy_estimate); the response handler and finish_request only run for a class not
    # seen yet, when records are collected, a warning is added or the plan is not in the table yet.
    # Nothing describes a request that is not a stream (openai's prepare only asks streams for
    # usage). Each frame costs a few µs inside a real SDK call (caches cold): a regression adding
    # one shows here.
    assert sum(counts.values()) <= 3, " ".join(sorted(k.rsplit("/", 1)[-1] for k in counts))
    assert any(k.endswith(":evaluate_indicators") for k in read) and responses[0].impacts.energy.value > 0


def test_traced_mistral_call_makes_three_calls_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    from mistralai.client import Mistral

    from ecologits_like import _sinks
    from tests.tracers.conftest import wire_json

    monkeypatch.setattr(_sinks, "_sinks", ())  # nobody collects records: the call itself is counted
    body = wire_json("mistral_chat.json")
    client = Mistral(
        api_key="test-key",
        server_url="https://api.mistral.ai",
        client=httpx2.Client(transport=httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))),
        retry_config=None,
    )
    EcoLogits.init(providers=["mistralai"])
    try:

        def call() -> Any:
            return client.chat.complete(model="mistral-small-latest", messages=[{"role": "user", "content": "hi"}])

        call()  # the first call of a response class goes through the response handler, which classifies it
        responses: list[Any] = []
        counts = _count_calls(lambda: responses.append(call()), lambda f: f.startswith(PACKAGE))
    finally:
        EcoLogits.uninstrument()
    # The patched method, mistralai's extract and lazy_estimate (see the OpenAI guard above).
    assert sum(counts.values()) <= 3, " ".join(sorted(k.rsplit("/", 1)[-1] for k in counts))
    assert responses[0].impacts.energy.value > 0
