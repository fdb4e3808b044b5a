"""Through the real OpenAI SDK and tracer: a session, the JSONL recorder, then the CLI report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecologits_like import _sinks
from ecologits_like.cli import main
from ecologits_like.recording import JsonlRecorder, load_records
from ecologits_like.session import session
from tests.exporters.schemas import schema_errors

openai = pytest.importorskip("openai")
pytest.importorskip("httpx2")

from tests.tracers.conftest import FakeAPI, openai_client, wire_json  # noqa: E402

SECRET_PROMPT = "my secret prompt about project Zanzibar"
API_KEY = "sk-test"


@pytest.fixture
def traced() -> Iterator[None]:
    from ecologits_like import EcoLogits

    EcoLogits.init(providers=["openai"])
    try:
        yield
    finally:
        EcoLogits.uninstrument()


def test_traced_calls_flow_into_sessions_recordings_and_reports(
    traced: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], report_validator: Any
) -> None:
    api = FakeAPI()
    client = openai_client(api)
    path = tmp_path / "requests.jsonl"
    recorder = JsonlRecorder(path)
    _sinks.add_sink(recorder)
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "outside"}])
        with session("support-bot", labels={"team": "care"}) as s:
            first = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": SECRET_PROMPT}]
            )
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": SECRET_PROMPT}], stream=True
            )
            for _ in stream:
                pass
    finally:
        _sinks.remove_sink(recorder)
        recorder.close()

    assert len(s.requests) == 2
    assert s.requests[0].impacts is first.impacts
    assert [r.stream for r in s.requests] == [False, True]
    assert all(dict(r.labels) == {"team": "care"} for r in s.requests)
    assert s.impacts.energy.min == pytest.approx(sum(r.impacts.energy.min for r in s.requests), rel=1e-12)

    loaded = load_records(path)
    assert loaded.problems == [] and len(loaded.records) == 3
    assert [dict(r.labels) for r in loaded.records] == [{}, {"team": "care"}, {"team": "care"}]
    assert loaded.records[1] == s.requests[0]

    out = tmp_path / "reports"
    assert main(["report", str(path), "--format", "boamps", "--out", str(out), "--publisher-name", "ACME"]) == 0
    reports = sorted(out.iterdir())
    assert [p.name for p in reports] == ["boamps-openai-gpt-4o-mini-USA.json"]
    report = json.loads(reports[0].read_text())
    assert schema_errors(report_validator, report) == []
    assert report["task"]["nbRequest"] == 3

    completion = wire_json("chat_completion.json")["choices"][0]["message"]["content"]
    for written in (path, reports[0]):
        text = written.read_text()
        assert SECRET_PROMPT not in text and "outside" not in text
        assert completion not in text and API_KEY not in text
