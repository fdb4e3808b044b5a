"""What the response handler remembers of response classes, and when it forgets it."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from ecologits_like import EcoLogits, _sinks
from ecologits_like.records import RequestRecord
from ecologits_like.tracers import _core
from ecologits_like.tracers._core import ResponseUsage
from tests.test_hot_path_guard import PACKAGE, _count_calls
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


# -- the sync wrappers' common case (a known class, its plan in the table, nobody collecting records) --


def _no_sinks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sinks, "_sinks", ())


def test_the_common_case_needs_no_response_handler(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_sinks(monkeypatch)
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # handled by on_response
    responses: list[Any] = []
    counts = _count_calls(
        lambda: responses.append(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)),
        lambda filename: filename.startswith(PACKAGE),
    )
    called = {key.rsplit(":", 1)[-1] for key in counts}
    assert "on_response" not in called and "lazy_estimate" in called, counts
    (again,) = responses
    assert again.impacts.energy is not None and again.impacts.model_dump().keys() == first.impacts.model_dump().keys()
    assert "impacts" in vars(again) and "impacts" not in again.model_dump_json()


def test_a_failing_extraction_of_a_known_class_is_reported_by_the_response_handler(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tracer_logs: pytest.LogCaptureFixture
) -> None:
    from openai.types import CompletionUsage

    _no_sinks(monkeypatch)
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # the class is known now

    def broken(usage: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(CompletionUsage, "prompt_tokens_details", property(broken), raising=False)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert response.choices[0].message.content
    assert [e.code for e in response.impacts.errors] == ["tracer-error"]
    assert [r.getMessage() for r in tracer_logs.records] == [response.impacts.errors[0].message]


def test_a_known_class_answering_with_a_model_not_in_the_table_gets_that_models_plan(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sinks(monkeypatch)
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    api.override = lambda request, body: FakeAPI.json({**wire_json("chat_completion.json"), "model": "gpt-4o"})
    response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    config = _core.state.config
    assert config is not None and ("openai", "gpt-4o") in config.plans
    assert response.impacts.energy is not None and not response.impacts.errors


def test_an_approximated_count_of_a_known_class_keeps_its_warning(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ecologits_like.tracers.openai as tracer

    def approximating(response: Any) -> ResponseUsage:
        return response.model, 7, None, None, None, "counted some other way"

    _no_sinks(monkeypatch)
    client = openai_client(api)
    EcoLogits.init(providers=["openai"])
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # the class is known now
    # the wrapper holds the shape's extract function itself: give it another body
    monkeypatch.setattr(tracer.extract_chat, "__code__", approximating.__code__)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [w.code for w in response.impacts.warnings][-1] == "output-tokens-approximated"
