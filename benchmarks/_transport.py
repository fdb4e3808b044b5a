"""In-process HTTP for the benchmarks: realistic OpenAI / Anthropic wire bodies over ``httpx2.MockTransport``.

Bodies are built once; each request gets a fresh ``httpx2.Response`` over the same bytes, so the
transport costs the same whether or not a tracer is installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

_CHAT_ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
_WORDS = ["Hello", "!", " How", " can", " I", " assist", " you", " today", "?", " Sure"]


def chat_completion() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion",
            "created": 1741569952,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Hello! How can I assist you today?",
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_06737a9306",
        }
    ).encode()


def response_api() -> bytes:
    return json.dumps(
        {
            "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
            "object": "response",
            "created_at": 1741476542,
            "status": "completed",
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "model": "gpt-4.1-2025-04-14",
            "output": [
                {
                    "type": "message",
                    "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                    "status": "completed",
                    "role": "assistant",
                    "content": [
                        {
                            "type": "output_text",
                            "text": "In a peaceful grove beneath a silver moon, a unicorn found a pool.",
                            "annotations": [],
                        }
                    ],
                }
            ],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": {
                "input_tokens": 36,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 87,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 123,
            },
            "user": None,
            "metadata": {},
        }
    ).encode()


def anthropic_message() -> bytes:
    return json.dumps(
        {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 12,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 10,
                "service_tier": "standard",
            },
        }
    ).encode()


def _chat_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": _CHAT_ID,
        "object": "chat.completion.chunk",
        "created": 1741570283,
        "model": "gpt-4o-mini-2024-07-18",
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def chat_stream(n: int, *, include_usage: bool) -> bytes:
    """An OpenAI chat stream of ``n`` chunks the caller sees (role, n - 2 content deltas, finish),
    plus the usage-only chunk when the request asked for it, then ``[DONE]``."""
    chunks = [_chat_chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [_chat_chunk({"content": _WORDS[i % len(_WORDS)]}) for i in range(n - 2)]
    chunks.append(_chat_chunk({}, finish="stop"))
    if include_usage:
        usage = _chat_chunk({})
        usage["choices"] = []
        usage["usage"] = {
            "prompt_tokens": 19,
            "completion_tokens": n - 2,
            "total_tokens": 19 + n - 2,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }
        chunks.append(usage)
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def anthropic_stream(n: int) -> bytes:
    """An Anthropic messages stream of ``n`` events (n - 5 text deltas)."""
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_014p7gG3wDgGV9EUtLvnow3U",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-6",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": 472,
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                        "output_tokens": 2,
                    },
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for i in range(n - 5):
        delta = {"type": "text_delta", "text": _WORDS[i % len(_WORDS)]}
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": n - 5},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def responses_stream(n: int) -> bytes:
    """A Responses API stream of ``n`` events: the recorded one (``tests/tracers/wire/response_stream.sse``)
    with its text deltas repeated so that ``n`` events in all come, renumbered."""
    events = [
        json.loads(block.split("data: ", 1)[1])
        for block in _wire("response_stream.sse").decode().split("\n\n")
        if block
    ]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    others = [e for e in events if e["type"] != "response.output_text.delta"]
    if n <= len(others):
        raise ValueError(f"a Responses stream needs more than {len(others)} events, not {n}")
    first_delta = events.index(deltas[0])
    body = others[:first_delta] + [dict(deltas[i % len(deltas)]) for i in range(n - len(others))] + others[first_delta:]
    for number, event in enumerate(body):
        event["sequence_number"] = number
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in body).encode()


class Server:
    """Answers ``/chat/completions``, ``/responses`` and ``/v1/messages`` from prebuilt bodies."""

    def __init__(self, stream_chunks: int = 100) -> None:
        self.chat = chat_completion()
        self.response = response_api()
        self.message = anthropic_message()
        self.set_stream_chunks(stream_chunks)

    def set_stream_chunks(self, n: int) -> None:
        self.stream_chunks = n
        self.chat_sse = chat_stream(n, include_usage=False)
        self.chat_sse_usage = chat_stream(n, include_usage=True)
        self.anthropic_sse = anthropic_stream(n)
        self.responses_sse = responses_stream(n)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        content = request.content
        stream = _streams(content)
        if path.endswith("/chat/completions"):
            if not stream:
                return _json(self.chat, "x-request-id")
            usage = b'"include_usage":true' in content or b'"include_usage": true' in content
            return _sse(self.chat_sse_usage if usage else self.chat_sse, "x-request-id")
        if path.endswith("/responses"):
            return _sse(self.responses_sse, "x-request-id") if stream else _json(self.response, "x-request-id")
        if path.endswith("/v1/messages"):
            return _sse(self.anthropic_sse, "request-id") if stream else _json(self.message, "request-id")
        return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})


def _streams(request_body: bytes) -> bool:
    return b'"stream":true' in request_body or b'"stream": true' in request_body


def _json(body: bytes, id_header: str) -> httpx2.Response:
    return httpx2.Response(200, content=body, headers={"content-type": "application/json", id_header: "req_bench"})


def _sse(body: bytes, id_header: str) -> httpx2.Response:
    return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream", id_header: "req_bench"})


def clients(handler: Callable[[httpx2.Request], httpx2.Response]) -> tuple[Any, Any]:
    """Real ``openai.OpenAI`` and ``anthropic.Anthropic`` clients over the in-process transport."""
    import anthropic
    import openai

    oai = openai.OpenAI(
        api_key="sk-bench", http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), max_retries=0
    )
    ant = anthropic.Anthropic(
        api_key="sk-ant-bench", http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), max_retries=0
    )
    return oai, ant


# -- Mistral, Cohere, Hugging Face: the wire bodies the tracer tests use -------------------------------

WIRE = Path(__file__).resolve().parents[1] / "tests" / "tracers" / "wire"


def _wire(name: str) -> bytes:
    return (WIRE / name).read_bytes()


def repeated_deltas(name: str, marker: str, n: int) -> bytes:
    """The recorded SSE stream ``name`` grown (or shrunk) so that the SDK yields ``n`` chunks, by
    repeating its delta events (the blocks containing ``marker``) in their recorded order; what
    precedes and follows them (start, usage and end events, a ``[DONE]`` sentinel) is kept as recorded."""
    blocks = [b for b in _wire(name).decode().split("\n\n") if b.strip()]
    deltas = [i for i, b in enumerate(blocks) if marker in b]
    head, tail = blocks[: deltas[0]], blocks[deltas[-1] + 1 :]
    kept = len(head) + sum(1 for b in tail if b.strip() != "data: [DONE]")  # the sentinel yields no chunk
    if n <= kept:
        raise ValueError(f"{name} needs more than {kept} chunks, not {n}")
    middle = [blocks[deltas[i % len(deltas)]] for i in range(n - kept)]
    return ("\n\n".join(head + middle + tail) + "\n\n").encode()


class OtherServer:
    """Answers Mistral ``/v1/chat/completions``, Cohere ``/v2/chat`` and the HF router's chat completions,
    complete or streamed (the recorded streams of ``tests/tracers/wire`` grown to ``stream_chunks`` events)."""

    def __init__(self, stream_chunks: int = 100) -> None:
        self.mistral = _wire("mistral_chat.json")
        self.cohere = _wire("cohere_v2_chat.json")
        self.hf = _wire("hf_chat.json")
        self.set_stream_chunks(stream_chunks)

    def set_stream_chunks(self, n: int) -> None:
        self.stream_chunks = n
        self.mistral_sse = repeated_deltas("mistral_stream.sse", '"content":" Chat"', n)
        self.cohere_sse = repeated_deltas("cohere_v2_stream.sse", "content-delta", n)
        self.hf_sse = repeated_deltas("hf_chat_stream.sse", '"content":" is"', n)

    def httpx2(self, request: httpx2.Request) -> httpx2.Response:
        host, path = request.url.host, request.url.path
        stream = _streams(request.content)
        if host == "api.mistral.ai" and path == "/v1/chat/completions":
            return _sse(self.mistral_sse, "x-request-id") if stream else _json(self.mistral, "x-request-id")
        if host == "router.huggingface.co" and path == "/v1/chat/completions":
            return _sse(self.hf_sse, "x-request-id") if stream else _json(self.hf, "x-request-id")
        return httpx2.Response(404, json={"error": f"no route {host}{path}"})

    def httpx(self, request: Any) -> Any:
        import httpx

        if request.url.path == "/v2/chat":
            if _streams(request.content):
                return httpx.Response(200, content=self.cohere_sse, headers={"content-type": "text/event-stream"})
            return httpx.Response(200, content=self.cohere, headers={"content-type": "application/json"})
        return httpx.Response(404, json={"message": f"no route {request.url.path}"})


def other_clients(server: OtherServer) -> tuple[Any, Any, Any]:
    """Real ``mistralai.Mistral``, ``cohere.ClientV2`` (over ``httpx``) and ``huggingface_hub.InferenceClient``."""
    import cohere
    import httpx
    from huggingface_hub import InferenceClient, set_client_factory
    from mistralai.client import Mistral

    mistral = Mistral(
        api_key="bench",
        server_url="https://api.mistral.ai",
        client=httpx2.Client(transport=httpx2.MockTransport(server.httpx2)),
        retry_config=None,
    )
    co = cohere.ClientV2(
        api_key="co-bench",
        base_url="https://api.cohere.com",
        httpx_client=httpx.Client(transport=httpx.MockTransport(server.httpx)),
        max_retries=0,
    )
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(server.httpx2)))
    return mistral, co, InferenceClient(token="hf_bench")


def async_clients(handler: Callable[[httpx2.Request], httpx2.Response]) -> tuple[Any, Any]:
    """``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic`` over the same in-process handler."""
    import anthropic
    import openai

    async def answer(request: httpx2.Request) -> httpx2.Response:
        return handler(request)

    oai = openai.AsyncOpenAI(
        api_key="sk-bench", http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)), max_retries=0
    )
    ant = anthropic.AsyncAnthropic(
        api_key="sk-ant-bench",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)),
        max_retries=0,
    )
    return oai, ant
