"""Concurrency: many threads and tasks through one client, nested sessions, a JSONL file, and init/uninstrument races.

Every session's totals must be exactly the sum of its own requests (no cross-talk), no JSONL line
may be lost or torn, nothing may deadlock (every wait has a timeout), and a response is either
traced (impacts and a record) or not (neither), never half.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ecologits_like import EcoLogits
from ecologits_like.records import RequestRecord
from ecologits_like.session import Session, bind
from tests.tracers.conftest import FakeAPI, async_openai_client, openai_client

MESSAGES = [{"role": "user", "content": "Hello"}]
THREADS = 32
CALLS_PER_THREAD = 6
TASKS = 500
TIMEOUT_S = 60


def _energy(impacts: Any) -> float:
    value = impacts.energy.value
    return value if isinstance(value, float) else value.min


def _sync_call(client: Any, kind: int) -> Any:
    """One of three call styles; returns the object carrying the impacts."""
    if kind == 0:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    if kind == 1:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        for _ in stream:
            pass
        return stream
    return client.responses.create(model="gpt-4.1", input="Hi")


def _assert_session_is_the_sum(session: Session, impacts: list[Any]) -> None:
    assert len(session) == len(impacts), session
    assert sorted(id(r.impacts) for r in session.requests) == sorted(id(i) for i in impacts)  # its own, no other
    assert _energy(session.impacts) == math.fsum(_energy(i) for i in impacts)


def test_threads_share_a_client_with_nested_sessions_and_one_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    EcoLogits.init(providers=["openai"], record_to=path)
    client = openai_client(FakeAPI())
    start = threading.Barrier(THREADS, timeout=TIMEOUT_S)

    def worker(index: int) -> tuple[Session, list[Any], Session, list[Any]]:
        start.wait()  # all threads call at once
        mine: list[Any] = []
        inner_impacts: list[Any] = []
        with EcoLogits.session(f"thread-{index}", labels={"thread": str(index)}) as own:
            for call in range(CALLS_PER_THREAD // 2):
                mine.append(_sync_call(client, (index + call) % 3).impacts)
            with EcoLogits.session(f"thread-{index}-inner", labels={"inner": "yes"}) as inner:
                for call in range(CALLS_PER_THREAD - CALLS_PER_THREAD // 2):
                    result = _sync_call(client, (index + call + 1) % 3).impacts
                    mine.append(result)
                    inner_impacts.append(result)
        return own, mine, inner, inner_impacts

    with EcoLogits.session("everything") as everything, ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(bind(worker), i) for i in range(THREADS)]
        results = [f.result(timeout=TIMEOUT_S) for f in futures]

    every: list[Any] = []
    for own, mine, inner, inner_impacts in results:
        _assert_session_is_the_sum(own, mine)
        _assert_session_is_the_sum(inner, inner_impacts)
        every.extend(mine)
    _assert_session_is_the_sum(everything, every)

    EcoLogits.uninstrument()  # closes the file
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == THREADS * CALLS_PER_THREAD  # none lost, none torn
    by_thread: dict[str, int] = {}
    for line in lines[:-1]:
        labels = json.loads(line)["labels"]
        by_thread[labels["thread"]] = by_thread.get(labels["thread"], 0) + 1
    assert by_thread == {str(i): CALLS_PER_THREAD for i in range(THREADS)}


def test_asyncio_tasks_share_a_client_with_nested_sessions() -> None:
    EcoLogits.init(providers=["openai"])

    async def main() -> None:
        client = async_openai_client(FakeAPI())

        async def task(index: int) -> tuple[Session, list[Any], Session, list[Any]]:
            mine: list[Any] = []
            async with EcoLogits.session(f"task-{index}") as own:
                if index % 2:
                    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
                    async for _ in stream:
                        await asyncio.sleep(0)  # interleave with the other tasks mid-stream
                    mine.append(stream.impacts)
                else:
                    mine.append((await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)).impacts)
                async with EcoLogits.session(f"task-{index}-inner") as inner:
                    response = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                    mine.append(response.impacts)
            return own, mine, inner, [response.impacts]

        async with EcoLogits.session("all-tasks") as everything:
            results = await asyncio.wait_for(asyncio.gather(*(task(i) for i in range(TASKS))), TIMEOUT_S)
        every: list[Any] = []
        for own, mine, inner, inner_impacts in results:
            _assert_session_is_the_sum(own, mine)
            _assert_session_is_the_sum(inner, inner_impacts)
            every.extend(mine)
        _assert_session_is_the_sum(everything, every)

    asyncio.run(main())


@pytest.mark.parametrize("style", [0, 1, 2], ids=["chat", "chat-stream", "responses"])
def test_init_and_uninstrument_racing_with_calls(style: int, records: list[RequestRecord]) -> None:
    client = openai_client(FakeAPI())
    stop = threading.Event()
    failures: list[BaseException] = []
    outcomes: list[Any] = []
    lock = threading.Lock()

    def caller() -> None:
        while not stop.is_set():
            try:
                result = _sync_call(client, style)
            except BaseException as exc:  # any failure at all is a bug
                failures.append(exc)
                return
            with lock:
                outcomes.append(result)

    def toggler() -> None:
        # Keep toggling until the callers have completed enough calls under both states.
        deadline = time.monotonic() + TIMEOUT_S / 2
        while len(outcomes) < 120 and time.monotonic() < deadline:
            EcoLogits.init(providers=["openai"])
            time.sleep(0.001)
            EcoLogits.uninstrument()
            time.sleep(0.001)

    callers = [threading.Thread(target=caller) for _ in range(4)]
    for thread in callers:
        thread.start()
    toggling = threading.Thread(target=toggler)
    toggling.start()
    toggling.join(TIMEOUT_S)
    stop.set()
    for thread in callers:
        thread.join(TIMEOUT_S)
    assert not toggling.is_alive() and not any(t.is_alive() for t in callers), "deadlock"
    assert failures == []
    traced = [o for o in outcomes if getattr(o, "impacts", None) is not None]
    assert all(o.impacts.energy is not None and not o.impacts.errors for o in traced)
    # Either traced (impacts and exactly one record) or not at all (neither).
    assert sorted(id(r.impacts) for r in records) == sorted(id(o.impacts) for o in traced)
    assert len(outcomes) >= 120 and traced, "the race did not happen"
