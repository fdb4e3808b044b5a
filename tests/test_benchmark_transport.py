"""The benchmark's in-process transport serves what its case names promise: N chunks per stream.

``benchmarks/run.py`` reports "per stream of N chunks" for every provider; a stream body one event
short (a sentinel counted as a chunk) would skew every per-chunk figure. Counted through the bare
SDK clients, as the benchmark reads them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MESSAGES = [{"role": "user", "content": "Hello!"}]


@pytest.fixture(scope="module")
def transport() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("_bench_transport", BENCHMARKS / "_transport.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _streams(transport: ModuleType, n: int) -> dict[str, Any]:
    server, other = transport.Server(n), transport.OtherServer(n)
    oai, ant = transport.clients(server)
    mistral, co, hf = transport.other_clients(other)
    return {
        "openai chat": lambda: oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True),
        "openai responses": lambda: oai.responses.create(model="gpt-4.1", input="Hi.", stream=True),
        "anthropic": lambda: ant.messages.create(
            model="claude-sonnet-4-6", max_tokens=256, messages=MESSAGES, stream=True
        ),
        "mistralai": lambda: mistral.chat.stream(model="mistral-small-latest", messages=MESSAGES),
        "cohere": lambda: co.chat_stream(model="command-a-03-2025", messages=MESSAGES),
        "huggingface_hub": lambda: hf.chat_completion(MESSAGES, model="meta-llama/Llama-3.1-8B-Instruct", stream=True),
    }


@pytest.mark.parametrize("n", [100, 1000])
def test_every_stream_yields_n_chunks(transport: ModuleType, n: int) -> None:
    counts = {name: sum(1 for _ in open_stream()) for name, open_stream in _streams(transport, n).items()}
    assert counts == dict.fromkeys(counts, n)


def test_too_short_a_stream_is_refused(transport: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"mistral_stream\.sse needs more than \d+ chunks, not 2"):
        transport.repeated_deltas("mistral_stream.sse", '"content":" Chat"', 2)
