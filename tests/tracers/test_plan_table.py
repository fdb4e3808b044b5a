"""The tracers' table of plans (one dict lookup per call): emptied by ``init()`` and by registry changes."""

from __future__ import annotations

import itertools
import time
import warnings
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest

from ecologits_like import EcoLogits, _sinks, estimate
from ecologits_like.records import RequestRecord
from ecologits_like.tracers import _core, _patching
from tests.tracers.conftest import FakeAPI, assert_matches_estimate, openai_client, wire_json

MESSAGES = [{"role": "user", "content": "Hello"}]
CUSTOM = "acme-chat-1"  # not in the reference data


def _call(client: Any, records: list[RequestRecord], model: str = "gpt-4o-mini") -> RequestRecord:
    client.chat.completions.create(model=model, messages=MESSAGES)
    return records[-1]


def test_a_new_init_uses_its_own_settings_for_models_already_traced(api: FakeAPI, records: list[RequestRecord]) -> None:
    client = openai_client(api)
    EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")
    first, again = _call(client, records), _call(client, records)
    assert first.zone == again.zone == "FRA"
    assert_matches_estimate(again)
    EcoLogits.init(providers=["openai"], electricity_mix_zone="POL")
    after = _call(client, records)
    assert after.zone == "POL"
    assert_matches_estimate(after)
    EcoLogits.uninstrument()
    EcoLogits.init(providers=["openai"])
    assert _call(client, records).zone not in ("FRA", "POL")


def test_registering_replacing_and_removing_a_model_reach_the_next_traced_call(
    api: FakeAPI, records: list[RequestRecord]
) -> None:
    def answer(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        return FakeAPI.json({**wire_json("chat_completion.json"), "model": CUSTOM})

    api.override = answer
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    assert [e.code for e in _call(client, records, CUSTOM).impacts.errors] == ["model-not-registered"]
    try:
        EcoLogits.register_model("openai", CUSTOM, total_parameters=8)
        small = _call(client, records, CUSTOM)
        assert small.model_resolved == CUSTOM
        assert_matches_estimate(_call(client, records, CUSTOM))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ModelReplacedWarning: replacing it is the point
            EcoLogits.register_model("openai", CUSTOM, total_parameters=400)
        large = _call(client, records, CUSTOM)
        assert large.impacts.energy is not None and small.impacts.energy is not None
        assert large.impacts.energy.value > small.impacts.energy.value
        assert_matches_estimate(large)
    finally:
        EcoLogits.unregister_model("openai", CUSTOM)
    assert [e.code for e in _call(client, records, CUSTOM).impacts.errors] == ["model-not-registered"]


def _fixed_latency(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Each reading of the tracer's clock is ``seconds`` after the one before: a call ends ``seconds``
    after it starts, whichever module reads its end."""
    readings = itertools.count()

    def clock() -> float:
        return 100.0 + seconds * next(readings)

    monkeypatch.setattr(_patching, "perf_counter", clock)
    monkeypatch.setattr(_core, "time", SimpleNamespace(perf_counter=clock, time=time.time))


@pytest.mark.parametrize("collected", [False, True], ids=["nobody collects records", "a sink collects records"])
def test_with_or_without_a_record_the_impacts_are_the_estimate(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch, collected: bool
) -> None:
    """A complete response with a known plan skips finish_request when nothing else is needed: same impacts."""
    captured: list[RequestRecord] = []
    monkeypatch.setattr(_sinks, "_sinks", (captured.append,) if collected else ())
    _fixed_latency(monkeypatch, 0.0625)  # exact in binary; shorter than the tokens take at the fitted speed: it counts
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # resolves the plan
    again = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # finds it in the table
    usage = wire_json("chat_completion.json")["usage"]
    expected = estimate(
        "openai",
        wire_json("chat_completion.json")["model"],
        usage["completion_tokens"],
        request_latency=0.0625,
        input_tokens=usage["prompt_tokens"],
        cached_input_tokens=usage.get("prompt_tokens_details", {}).get("cached_tokens") or 0,
    )
    assert first.impacts == expected and again.impacts == expected
    assert len(captured) == (2 if collected else 0)
