"""The tracers' table of plans (one dict lookup per call): emptied by ``init()`` and by registry changes."""

from __future__ import annotations

import warnings
from typing import Any

import httpx2

from ecologits_like import EcoLogits
from ecologits_like.records import RequestRecord
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
