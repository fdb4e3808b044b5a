"""What the response handler remembers of response classes, and when it forgets it."""

from __future__ import annotations

from typing import Any

import httpx2

from ecologits_like import EcoLogits
from ecologits_like.records import RequestRecord
from ecologits_like.tracers import _core
from tests.tracers.conftest import FakeAPI, openai_client, wire_json

MESSAGES = [{"role": "user", "content": "Hello"}]


def test_a_complete_response_class_is_classified_once(api: FakeAPI, records: list[RequestRecord]) -> None:
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(first) in _core._complete_types
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert type(stream) not in _core._complete_types  # streams are never remembered as complete
    list(stream)
    second = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert vars(second)["impacts"] is records[-1].impacts and second.impacts.energy is not None
    assert len(records) == 3


def test_a_response_arriving_after_uninstrument_is_left_untouched_even_of_a_known_class(
    api: FakeAPI, records: list[RequestRecord]
) -> None:
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # its class is known now

    def uninstrument_mid_flight(request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        EcoLogits.uninstrument()
        return FakeAPI.json(wire_json("chat_completion.json"))

    api.override = uninstrument_mid_flight
    late = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "impacts" not in vars(late) and not hasattr(late, "impacts")
    assert len(records) == 1 and not _core._complete_types
