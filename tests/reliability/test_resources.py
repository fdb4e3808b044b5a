"""Resource hygiene: no per-call growth, no stale side tables, and ``uninstrument()`` leaves no trace.

The 100,000-call run is ``python benchmarks/memory.py``; here a cheaper deterministic check: after a
warm-up, a few hundred more traced calls (plain, streamed, abandoned streams, sessions opened and
closed, records to a JSONL file) add no Python objects and no memory allocated by ``ecologits_like``
beyond a small bound.
"""

from __future__ import annotations

import gc
import inspect
import tracemalloc
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecologits_like import EcoLogits, _log
from ecologits_like._plan import _cached_build
from ecologits_like.tracers import PROVIDERS, load_spec
from ecologits_like.tracers._core import AsideImpacts
from tests.reliability.kit import HF_MODEL, MESSAGES, Apis
from tests.tracers.conftest import FakeAPI, openai_client, wire

PACKAGE = str(Path(__file__).resolve().parents[2] / "ecologits_like")


def _forgetful_client() -> Any:
    """An OpenAI client over a transport that keeps nothing (``FakeAPI`` records every request)."""
    import httpx2
    import openai

    plain, stream = wire("chat_completion.json"), wire("chat_stream.sse")

    def answer(request: httpx2.Request) -> httpx2.Response:
        if b'"stream":true' in request.content.replace(b" ", b""):
            return httpx2.Response(200, content=stream, headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, content=plain, headers={"content-type": "application/json"})

    transport = httpx2.MockTransport(answer)
    return openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport), max_retries=0)


def _mixed_calls(client: Any) -> Callable[[int], None]:
    def call(i: int) -> None:
        with EcoLogits.session(f"s{i % 7}", labels={"n": str(i % 3)}):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
            if i % 2:
                for _ in stream:
                    pass
            else:  # abandoned after one chunk: finalised by the garbage collector
                next(iter(stream))
            del stream

    return call


def _ours(snapshot: tracemalloc.Snapshot) -> int:
    return sum(
        s.size for s in snapshot.filter_traces([tracemalloc.Filter(True, f"{PACKAGE}/*")]).statistics("filename")
    )


def test_no_per_call_growth(tmp_path: Path) -> None:
    EcoLogits.init(providers=["openai"], record_to=tmp_path / "r.jsonl")
    call = _mixed_calls(_forgetful_client())
    for i in range(120):  # warm-up: plan cache, log-once keys, SDK caches, interned strings
        call(i)
    gc.collect()
    seen_keys, plans = len(_log._seen), _cached_build.cache_info().currsize

    before = {id(o) for o in gc.get_objects()}
    for i in range(100):
        call(i)
    gc.collect()
    new = [o for o in gc.get_objects() if id(o) not in before and o is not before]
    assert len(new) < 20, f"{len(new)} objects outlived their calls: {[type(o).__name__ for o in new][:20]}"
    del new, before

    # Without the JSONL recorder here: under pytest only, CPython keeps a 58-byte block from about
    # every other ``datetime.isoformat()`` in recording.py with no Python object referring to it
    # (the object check above, JSONL on, finds nothing kept); benchmarks/memory.py shows the
    # process flat over 100,000 calls with the recorder on.
    EcoLogits.init(providers=["openai"])
    EcoLogits._replace_recorder(None)
    tracemalloc.start(1)
    try:
        start = tracemalloc.take_snapshot()
        for i in range(100):
            call(i)
        gc.collect()
        end = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = _ours(end) - _ours(start)
    # A leaked record, impacts object or table entry is hundreds of bytes per call.
    assert grown < 100 * 64, f"ecologits_like kept {grown} bytes over 100 calls"
    assert (len(_log._seen), _cached_build.cache_info().currsize) == (seen_keys, plans)


def test_closed_sessions_are_not_retained() -> None:
    EcoLogits.init(providers=["openai"])
    client = openai_client(FakeAPI())
    with EcoLogits.session("outer") as outer, EcoLogits.session("inner") as inner:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    refs = [weakref.ref(outer), weakref.ref(inner)]
    del outer, inner
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_huggingface_side_table_never_grows_nor_returns_stale_impacts(apis: Apis) -> None:
    from huggingface_hub import InferenceClient
    from huggingface_hub.inference._generated.types import ChatCompletionOutput

    EcoLogits.init(providers=["huggingface_hub"])
    client = InferenceClient(token="hf_test")
    aside = ChatCompletionOutput.__dict__["impacts"]
    assert isinstance(aside, AsideImpacts)
    for _ in range(10):
        response = client.chat_completion(MESSAGES, model=HF_MODEL)
        assert response.impacts.energy is not None
        address = id(response)
        del response
        gc.collect()
        assert aside._table == {}, "an entry outlived its response"
        # A new, untraced object of the same class, most likely at the freed address, has no impacts.
        fresh = ChatCompletionOutput(choices=[], created=0, id="x", model="m", system_fingerprint="", usage=None)  # type: ignore[arg-type]
        with pytest.raises(AttributeError):
            fresh.impacts  # noqa: B018
        del fresh
    assert isinstance(address, int)


def _patched_classes() -> list[type]:
    classes: list[type] = []
    for name in PROVIDERS:
        for target in load_spec(name).patch_table():
            try:
                module = __import__(target.module, fromlist=["_"])
            except ImportError:
                continue
            owner: Any = module
            for part in target.qualname.rpartition(".")[0].split("."):
                owner = getattr(owner, part, None)
            if isinstance(owner, type) and owner not in classes:
                classes.append(owner)
    return classes


def _fingerprint(classes: list[type]) -> dict[str, Any]:
    prints: dict[str, Any] = {}
    for cls in classes:
        for attr, value in vars(cls).items():
            key = f"{cls.__module__}.{cls.__qualname__}.{attr}"
            try:
                signature = str(inspect.signature(value)) if callable(value) else None
            except (TypeError, ValueError):
                signature = None
            prints[key] = (id(value), type(value), signature)
        prints[f"{cls.__module__}.{cls.__qualname__}.<mro>"] = tuple(id(c) for c in cls.__mro__)
    return prints


def test_uninstrument_leaves_the_sdk_classes_as_they_were(apis: Apis) -> None:
    classes = _patched_classes()
    assert len(classes) >= 10
    pristine = _fingerprint(classes)
    for _ in range(2):  # twice: re-instrumenting after uninstrument must not leave anything either
        EcoLogits.init()
        assert _fingerprint(classes) != pristine  # something was patched
        EcoLogits.uninstrument()
        assert _fingerprint(classes) == pristine
    response = openai_client(FakeAPI()).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "impacts" not in vars(response) and not hasattr(response, "impacts")
