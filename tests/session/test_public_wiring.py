"""EcoLogits.session and EcoLogits.init(record_to=...) through the real OpenAI client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecologits_like import EcoLogits, _sinks
from ecologits_like.recording import load_records

pytest.importorskip("openai")
pytest.importorskip("httpx2")

from tests.tracers.conftest import FakeAPI, openai_client


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    EcoLogits.uninstrument()


def _ask(client: object) -> object:
    return client.chat.completions.create(  # type: ignore[attr-defined]
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )


def test_session_and_record_to_collect_traced_requests(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    EcoLogits.init(providers="openai", record_to=path)
    client = openai_client(FakeAPI())
    _ask(client)
    with EcoLogits.session("bot", labels={"team": "care"}) as outer:
        _ask(client)
        with EcoLogits.session("inner", labels={"step": "2"}) as inner:
            _ask(client)
    assert (len(outer.requests), len(inner.requests)) == (2, 1)
    assert dict(inner.requests[0].labels) == {"team": "care", "step": "2"}
    loaded = load_records(path)
    assert loaded.problems == [] and len(loaded.records) == 3
    EcoLogits.uninstrument()
    assert not any(type(sink).__name__ == "JsonlRecorder" for sink in _sinks.sinks())


def test_session_as_async_context_manager() -> None:
    EcoLogits.init(providers="openai")
    client = openai_client(FakeAPI())

    async def main() -> int:
        async with EcoLogits.session("async") as s:
            await asyncio.to_thread(lambda: None)
            _ask(client)
        return len(s.requests)

    assert asyncio.run(main()) == 1


def test_reinit_replaces_the_recorder_without_double_writing(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    EcoLogits.init(providers="openai", record_to=first)
    EcoLogits.init(providers="openai", record_to=second)
    _ask(openai_client(FakeAPI()))
    assert not first.exists() or load_records(first).records == []
    assert len(load_records(second).records) == 1


def test_record_to_must_be_a_path() -> None:
    with pytest.raises(TypeError, match="record_to must be a file path or None, got 42"):
        EcoLogits.init(providers="openai", record_to=42)  # type: ignore[arg-type]
