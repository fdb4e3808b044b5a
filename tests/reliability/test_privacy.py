"""Privacy: traced calls whose prompts, completions and API keys carry unique canaries, with every sink on;
nothing the SDK produces (records, JSONL, CSV, BoAmps reports, OpenTelemetry metrics, its own log lines
down to DEBUG, session summaries) contains a canary or an ``Authorization``/``x-api-key`` value.

The provider SDKs' own DEBUG logs (``openai``, ``httpx2``...) do echo requests: they are not ours and
are left out of the scan (only the ``ecologits_like`` logger is).
"""

from __future__ import annotations

import gc
import json
import logging
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ecologits_like import EcoLogits
from ecologits_like.exporters.boamps import write_reports
from ecologits_like.exporters.csv import write_csv
from ecologits_like.recording import load_records
from ecologits_like.records import RequestRecord
from tests.tracers.conftest import FakeAPI

PROMPT = "CANARY-PROMPT-7f3a9c"
COMPLETION = "CANARY-COMPLETION-b81e44"
OPENAI_KEY = "sk-CANARY-KEY-5d20e1"
ANTHROPIC_KEY = "sk-ant-CANARY-KEY-c93f07"
CANARIES = (PROMPT, COMPLETION, OPENAI_KEY, ANTHROPIC_KEY, "CANARY")
MESSAGES = [{"role": "user", "content": f"Please repeat {PROMPT}"}]


class CanaryAPI(FakeAPI):
    """The fake API, answering with the completion canary in every text field and remembering auth headers."""

    def __init__(self) -> None:
        super().__init__()
        self.auth_values: set[str] = set()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        for name in ("authorization", "x-api-key"):
            if name in request.headers:
                self.auth_values.add(request.headers[name])
        response = super().__call__(request)
        response.read()
        body = response.content
        for original in (b"Hello! How can I assist you today?", b"Hello", b"Hi"):
            body = body.replace(original, COMPLETION.encode())
        return httpx2.Response(response.status_code, content=body, headers=response.headers)


def _traced_calls(api: CanaryAPI) -> list[Any]:
    import anthropic
    import openai

    client = openai.OpenAI(api_key=OPENAI_KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(api)))
    claude = anthropic.Anthropic(api_key=ANTHROPIC_KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(api)))
    outputs: list[Any] = [client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)]
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    outputs.extend(stream)
    abandoned = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    outputs.append(next(iter(abandoned)))
    del abandoned
    gc.collect()
    outputs.append(client.responses.create(model="gpt-4.1", input=PROMPT))
    outputs.append(client.chat.completions.create(model="gpt-unknown-model", messages=MESSAGES))
    outputs.append(claude.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES))
    with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES) as events:
        outputs.extend(events)
    return outputs


def test_no_sink_sees_prompts_completions_or_keys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, records: list[RequestRecord]
) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    caplog.set_level(logging.DEBUG)
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    jsonl = tmp_path / "records.jsonl"
    api = CanaryAPI()
    EcoLogits.init(providers=["openai", "anthropic"], record_to=jsonl, opentelemetry=meter_provider)
    try:
        with EcoLogits.session("privacy", labels={"team": "care"}) as session:
            outputs = _traced_calls(api)
        metrics = reader.get_metrics_data()
    finally:
        EcoLogits.uninstrument()
        meter_provider.shutdown()

    # The canaries did go through the SDK: the scan below would see them if anything copied them.
    assert any(COMPLETION in repr(o) for o in outputs)
    assert all(any(key in value for value in api.auth_values) for key in (OPENAI_KEY, ANTHROPIC_KEY))
    assert len(records) == len(session) == 7 and any(r.partial for r in records)

    write_csv(session.requests, tmp_path / "records.csv")
    write_reports(session.to_boamps(), tmp_path / "reports")
    loaded, problems = load_records(jsonl)
    assert len(loaded) == 7 and problems == []
    produced = {
        "records": repr(records),
        "session": repr(session) + repr(session.summary()) + repr(session.impacts) + repr(session.errors),
        "impacts": repr([getattr(o, "impacts", None) for o in outputs]),
        "metrics": metrics.to_json() if metrics is not None else "",
        "logs": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name.startswith("ecologits_like")
        ),
    }
    for path in tmp_path.rglob("*"):
        if path.is_file():
            produced[str(path.relative_to(tmp_path))] = path.read_text(encoding="utf-8")
    assert {"records.jsonl", "records.csv"} <= set(produced) and any(k.startswith("reports") for k in produced)
    assert json.loads(produced["metrics"] or "{}") or produced["metrics"] == ""
    secrets = (*CANARIES, *api.auth_values, "Bearer ", "authorization", "x-api-key")
    leaks = {name: [s for s in secrets if s.lower() in text.lower()] for name, text in produced.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
