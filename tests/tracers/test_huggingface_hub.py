"""Hugging Face Hub tracer: chat_completion and text_generation, sync and async, over the real
InferenceClient / AsyncInferenceClient, with httpx2 clients injected through the SDK's own
``set_client_factory`` / ``set_async_client_factory`` hooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from huggingface_hub import AsyncInferenceClient, InferenceClient, set_async_client_factory, set_client_factory
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.inference._generated.types import ChatCompletionOutput, TextGenerationOutput
from huggingface_hub.utils._http import default_async_client_factory, default_client_factory
from hypothesis import given, settings
from hypothesis import strategies as st

from ecologits_like import EcoLogits
from tests.tracers.conftest import assert_matches_estimate, only, run, wire, wire_json

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MESSAGES = [{"role": "user", "content": "What is Hugging Face?"}]
SSE = {"content-type": "text/event-stream"}


def _sse_without(sse: bytes, drop: Callable[[dict[str, Any]], bool]) -> bytes:
    kept = []
    for block in sse.decode().split("\n\n"):
        if block.startswith("data:{") and drop(json.loads(block[len("data:") :])):
            continue
        kept.append(block)
    return "\n\n".join(kept).encode()


def _no_details(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "details": None}


class HubAPI:
    """router.huggingface.co (auto router chat, HF Inference TGI text-generation) and the Hub model API."""

    def __init__(self) -> None:
        self.requests: list[tuple[httpx2.Request, dict[str, Any]]] = []
        self.override: Callable[[httpx2.Request], httpx2.Response | None] | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}") if request.method == "POST" else {}
        self.requests.append((request, body))
        if self.override is not None and (answer := self.override(request)) is not None:
            return answer
        host, path = request.url.host, request.url.path
        if host == "huggingface.co" and path.startswith("/api/models/"):
            return httpx2.Response(
                200,
                json={
                    "id": path.removeprefix("/api/models/"),
                    "pipeline_tag": "text-generation",
                    "tags": ["text-generation", "conversational"],
                },
            )
        if host == "router.huggingface.co" and path == "/v1/chat/completions":
            if not body.get("stream"):
                return httpx2.Response(200, json=wire_json("hf_chat.json"))
            sse = wire("hf_chat_stream.sse")
            if not (body.get("stream_options") or {}).get("include_usage"):
                sse = _sse_without(sse, lambda chunk: not chunk["choices"])
            return httpx2.Response(200, content=sse, headers=SSE)
        if host == "router.huggingface.co" and path.startswith("/hf-inference/models/"):
            details = bool((body.get("parameters") or {}).get("details"))
            if body.get("stream"):
                sse = wire("hf_text_stream.sse").decode()
                if not details:  # TGI sends the final details only when asked
                    sse = "".join(
                        f"data:{json.dumps(_no_details(json.loads(b[5:])))}\n\n"
                        for b in sse.split("\n\n")
                        if b.startswith("data:")
                    )
                return httpx2.Response(200, content=sse.encode(), headers=SSE)
            generations = wire_json("hf_text_generation.json")
            if not details:
                generations = [{"generated_text": g["generated_text"]} for g in generations]
            return httpx2.Response(200, json=generations)
        return httpx2.Response(404, json={"error": f"no route {host}{path}"})


@pytest.fixture
def api() -> Iterator[HubAPI]:
    hub = HubAPI()
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    set_async_client_factory(lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(hub)))
    try:
        yield hub
    finally:
        set_client_factory(default_client_factory)
        set_async_client_factory(default_async_client_factory)


def _hf(**kwargs: Any) -> InferenceClient:
    return InferenceClient(token="hf_test", **kwargs)


def _tgi(**kwargs: Any) -> InferenceClient:
    return InferenceClient(provider="hf-inference", token="hf_test", **kwargs)


# -- chat completion ---------------------------------------------------------------------------------


def test_chat_completion(api: HubAPI, records: list[Any]) -> None:
    plain = _hf().chat_completion(MESSAGES, model=MODEL)
    EcoLogits.init(providers=["huggingface_hub"], electricity_mix_zone="USA")
    response = _hf().chat_completion(MESSAGES, model=MODEL)
    assert type(response) is ChatCompletionOutput
    assert response == plain and dict(response) == dict(plain) and repr(response) == repr(plain)
    assert "impacts" not in response and "impacts" not in vars(response)  # kept beside the dataclass
    record = only(records)
    assert (record.provider, record.model_requested, record.model_returned, record.model_resolved) == (
        "huggingface_hub",
        MODEL,
        MODEL,
        MODEL,
    )
    assert record.output_tokens == 15 and record.input_tokens == 42
    assert not response.impacts.warnings or all(
        w.code != "output-tokens-approximated" for w in response.impacts.warnings
    )
    assert_matches_estimate(record, response.impacts)


def test_chat_completions_create_alias_and_client_model(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    routed = f"{MODEL}:cerebras"  # a model routed to an inference provider
    response = _hf(model=routed).chat.completions.create(messages=MESSAGES)
    assert api.requests[-1][1]["model"] == routed
    record = only(records)
    assert record.model_requested == routed and record.model_resolved == MODEL
    assert response.impacts is record.impacts


def test_chat_completion_without_usage_approximates_with_a_warning(api: HubAPI, records: list[Any]) -> None:
    api.override = lambda _: httpx2.Response(200, json={**wire_json("hf_chat.json"), "usage": None})
    EcoLogits.init(providers=["huggingface_hub"])
    response = _hf().chat_completion(MESSAGES, model=MODEL)
    content = wire_json("hf_chat.json")["choices"][0]["message"]["content"]
    assert only(records).output_tokens == -(-len(content) // 4)
    assert "output-tokens-approximated" in [w.code for w in response.impacts.warnings]
    assert_matches_estimate(only(records), response.impacts)


def test_chat_completion_async(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])

    async def go() -> Any:
        async with AsyncInferenceClient(token="hf_test") as client:
            return await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    response = run(go())
    assert type(response) is ChatCompletionOutput
    assert_matches_estimate(only(records), response.impacts)


def test_chat_stream_counts_chunks_with_a_warning(api: HubAPI, records: list[Any]) -> None:
    plain = [c.choices[0].delta.content for c in _hf().chat_completion(MESSAGES, model=MODEL, stream=True)]
    EcoLogits.init(providers=["huggingface_hub"])
    stream = _hf().chat_completion(MESSAGES, model=MODEL, stream=True)
    chunks = list(stream)
    assert [c.choices[0].delta.content for c in chunks] == plain
    assert "stream_options" not in api.requests[-1][1]  # the request is the caller's, untouched
    record = only(records)
    assert record.output_tokens == 6 and record.stream and not record.partial
    assert chunks[-1].impacts is stream.impacts is record.impacts
    assert "output-tokens-approximated" in [w.code for w in record.impacts.warnings]
    assert_matches_estimate(record)


def test_chat_stream_with_usage_uses_it(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    stream = _hf().chat_completion(MESSAGES, model=MODEL, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage.completion_tokens == 7 and chunks[-1].impacts is stream.impacts
    record = only(records)
    assert record.output_tokens == 7 and record.input_tokens == 42
    assert all(w.code != "output-tokens-approximated" for w in record.impacts.warnings)


def test_chat_stream_async_and_early_close(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])

    async def go() -> tuple[Any, list[Any]]:
        client = AsyncInferenceClient(token="hf_test")
        stream = await client.chat_completion(MESSAGES, model=MODEL, stream=True)
        chunks = [chunk async for chunk in stream]
        early = await client.chat_completion(MESSAGES, model=MODEL, stream=True)
        await early.__anext__()
        await early.__anext__()
        await early.aclose()
        await client.close()
        return stream, chunks

    stream, chunks = run(go())
    complete, partial = records
    assert chunks[-1].impacts is stream.impacts is complete.impacts and complete.output_tokens == 6
    assert partial.partial and partial.output_tokens == 2


def test_chat_stream_closed_early(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    stream = _hf().chat_completion(MESSAGES, model=MODEL, stream=True)
    next(stream)
    stream.close()
    record = only(records)
    assert record.partial and record.output_tokens == 1 and stream.impacts is record.impacts


# -- text generation ---------------------------------------------------------------------------------


def test_text_generation_plain_str(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    text = _tgi().text_generation("The huggingface_hub library is ", model=MODEL, max_new_tokens=12)
    assert type(text) is str and text == "100% open source and built to be easy to use."
    record = only(records)  # a str carries no attributes: the impacts go to records and sessions
    assert record.output_tokens == 12 == -(-len(text) // 4)
    assert "output-tokens-approximated" in [w.code for w in record.impacts.warnings]
    assert_matches_estimate(record)


def test_text_generation_details(api: HubAPI, records: list[Any]) -> None:
    plain = _tgi().text_generation("The huggingface_hub library is ", model=MODEL, details=True)
    EcoLogits.init(providers=["huggingface_hub"])
    output = _tgi(model=MODEL).text_generation("The huggingface_hub library is ", details=True)
    assert type(output) is TextGenerationOutput and output == plain and repr(output) == repr(plain)
    record = only(records)
    assert record.output_tokens == 12 and record.model_requested == MODEL
    assert all(w.code != "output-tokens-approximated" for w in record.impacts.warnings)
    assert_matches_estimate(record, output.impacts)


def test_text_generation_stream_counts_token_events(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    stream = _tgi().text_generation("The huggingface_hub library is ", model=MODEL, stream=True)
    tokens = list(stream)
    assert all(type(t) is str for t in tokens) and "".join(tokens) == "100% open source and built to be easy to use."
    record = only(records)
    assert record.output_tokens == 12 and stream.impacts is record.impacts and record.stream
    assert_matches_estimate(record)


def test_text_generation_stream_details(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    events = list(_tgi().text_generation("The huggingface_hub library is ", model=MODEL, stream=True, details=True))
    assert events[-1].details.generated_tokens == 12
    record = only(records)
    assert events[-1].impacts is record.impacts and not hasattr(events[0], "impacts")
    assert record.output_tokens == 12 and record.input_tokens == 7


def test_text_generation_async(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])

    async def go() -> tuple[Any, Any, list[Any]]:
        client = AsyncInferenceClient(provider="hf-inference", token="hf_test")
        text = await client.text_generation("Hi", model=MODEL)
        output = await client.text_generation("Hi", model=MODEL, details=True)
        stream = await client.text_generation("Hi", model=MODEL, stream=True, details=True)
        events = [e async for e in stream]
        await client.close()
        return text, output, events

    text, output, events = run(go())
    assert type(text) is str and output.impacts is records[1].impacts and events[-1].impacts is records[2].impacts
    assert [r.output_tokens for r in records] == [12, 12, 12]


@pytest.mark.filterwarnings("ignore:API endpoint/model for text-generation is not served via TGI. Parameter")
def test_text_generation_retry_without_unsupported_kwargs_counts_once(api: HubAPI, records: list[Any]) -> None:
    """The SDK retries text_generation itself when the server rejects parameters: one record."""
    answered: list[int] = []

    def reject_once(request: httpx2.Request) -> httpx2.Response | None:
        if request.url.path.startswith("/hf-inference/") and not answered:
            answered.append(1)
            return httpx2.Response(
                400, json={"error": "The following `model_kwargs` are not used by the model: ['watermark']"}
            )
        return None

    api.override = reject_once
    EcoLogits.init(providers=["huggingface_hub"])
    model = "meta-llama/Llama-3.2-1B-Instruct"  # the SDK remembers the rejected parameters per model
    with pytest.warns(UserWarning, match="Ignoring following parameters: watermark"):
        text = _tgi().text_generation("Hi", model=model, details=True, watermark=True)
    assert type(text) is str  # the SDK's retry also drops details=True
    assert len([r for r in api.requests if r[0].method == "POST"]) == 2
    record = only(records)
    assert record.model_resolved == model and record.output_tokens == -(-len(text) // 4)


# -- errors, unknown models, uninstrument ------------------------------------------------------------


def test_unknown_model_lands_in_errors(api: HubAPI, records: list[Any]) -> None:
    api.override = lambda r: (
        httpx2.Response(200, json={**wire_json("hf_chat.json"), "model": "acme/TotallyNew-7B"})
        if r.method == "POST"
        else None
    )
    EcoLogits.init(providers=["huggingface_hub"])
    response = _hf().chat_completion(MESSAGES, model="acme/TotallyNew-7B")
    assert response.impacts.energy is None and [e.code for e in response.impacts.errors] == ["model-not-registered"]


@pytest.mark.parametrize("status", [401, 429, 503])
def test_provider_errors_propagate(api: HubAPI, records: list[Any], status: int) -> None:
    api.override = lambda r: (
        httpx2.Response(status, json={"error": "Model is overloaded"}) if r.method == "POST" else None
    )
    EcoLogits.init(providers=["huggingface_hub"])
    for call in (
        lambda: _hf().chat_completion(MESSAGES, model=MODEL),
        lambda: _hf().chat_completion(MESSAGES, model=MODEL, stream=True),
        lambda: _tgi().text_generation("Hi", model=MODEL, stream=True),
    ):
        with pytest.raises(HfHubHTTPError) as info:
            call()
        assert info.value.response.status_code == status
    assert records == []


def test_uninstrument_removes_the_impacts_attribute(api: HubAPI, records: list[Any]) -> None:
    EcoLogits.init(providers=["huggingface_hub"])
    assert "impacts" in ChatCompletionOutput.__dict__
    EcoLogits.uninstrument()
    assert "impacts" not in ChatCompletionOutput.__dict__
    assert not hasattr(_hf().chat_completion(MESSAGES, model=MODEL), "impacts") and records == []


# -- the chunk reader: attributes read, the same tally as reading the dict -------------------------------


def _tally_read_as_a_dict(chunks: list[Any]) -> tuple[Any, ...]:
    """What the chunk reader must conclude, read through the outputs' dict side (``dict.get``)."""
    from ecologits_like.tracers.huggingface_hub import APPROX_CHUNKS

    model = output = prompt = approximation = None
    counted = 0
    for chunk in chunks:
        model = model if model is not None else (chunk.get("model") or None)
        choices = chunk.get("choices")
        if choices:
            delta = choices[0].get("delta")
            if delta and (delta.get("content") or delta.get("reasoning") or delta.get("tool_calls")):
                counted += 1
                approximation = APPROX_CHUNKS if output is None else approximation
        usage = chunk.get("usage")
        if usage and usage.get("completion_tokens") is not None:
            prompt, output, approximation = usage.get("prompt_tokens"), usage["completion_tokens"], None
    return model, counted, output, prompt, approximation


_DELTAS = st.sampled_from(
    [
        {"role": "assistant", "content": "Hi"},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": None, "reasoning": "hmm"},
        {
            "role": "assistant",
            "tool_calls": [{"index": 0, "id": "t", "type": "function", "function": {"arguments": "{"}}],
        },
        {},
    ]
)
_USAGES = st.sampled_from([None, {"completion_tokens": 7, "prompt_tokens": 3, "total_tokens": 10}])
_CHUNKS = st.lists(
    st.builds(
        lambda delta, usage, model, has_choice: {
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}] if has_choice else [],
            "usage": usage,
        },
        _DELTAS,
        _USAGES,
        st.sampled_from([MODEL, ""]),
        st.booleans(),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(_CHUNKS)
def test_chunk_reader_concludes_what_the_dict_side_says(wire_chunks: list[dict[str, Any]]) -> None:
    from huggingface_hub.inference._generated.types import ChatCompletionStreamOutput

    from ecologits_like.tracers._core import FINAL, PASS, Tally
    from ecologits_like.tracers.huggingface_hub import on_chat_chunk

    chunks = [ChatCompletionStreamOutput.parse_obj_as_instance(json.dumps(c)) for c in wire_chunks]
    tally = Tally()
    codes = [on_chat_chunk(tally, chunk) for chunk in chunks]
    assert (tally.model, tally.counted, tally.output_tokens, tally.input_tokens, tally.approximation) == (
        _tally_read_as_a_dict(chunks)
    )
    assert codes == [FINAL if c["usage"] else PASS for c in wire_chunks]
